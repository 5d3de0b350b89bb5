//! Who may record what (DESIGN section 3), decided here for every path that writes: the API
//! routes, the pages, EPCIS capture, CSV import and the simulation all record through the
//! one `Recorder`, which asks these rules of each event.

use super::roles::Actor;
use super::state::{Action, ContainerState, Ev, Place, Refusal};

/// The part of the loop a writer may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// A coordinator or an admin: every action of every role at every site.
    Loop,
    /// A shop, washer or producer user: what happens at its own site.
    Site(String),
}

impl Reach {
    pub fn of(actor: &Actor) -> Reach {
        match (&actor.site_id, actor.role.manages_loop()) {
            (_, true) => Reach::Loop,
            (Some(site), false) => Reach::Site(site.clone()),
            // A site-bound user with no site (a row written by hand) reaches nothing.
            (None, false) => Reach::Site(String::new()),
        }
    }

    /// Whether the writer may record events at `site_id`, or make a shipment leave from it,
    /// receive one there, run a wash batch there.
    pub fn covers(&self, site_id: &str) -> bool {
        match self {
            Reach::Loop => true,
            Reach::Site(own) => own == site_id,
        }
    }

    /// Why an event at `site_id` is not the writer's, or nothing.
    pub fn at_site(&self, site_id: &str) -> Result<(), Refusal> {
        if self.covers(site_id) {
            Ok(())
        } else {
            Err(Refusal::ForbiddenSite {
                site_id: site_id.to_owned(),
            })
        }
    }
}

/// Whether a writer of `reach` may record `ev` on a container in state `s`, the state at the
/// event's place in its timeline (after the steps it implies). Only breaking, losing and
/// retiring have a rule beyond the site: a site user ends the life only of a container on its
/// premises, with a consumer of its shop, or on a shipment from or to its site.
pub fn authorise(reach: &Reach, s: &ContainerState, ev: &Ev) -> Result<(), Refusal> {
    reach.at_site(&ev.site_id)?;
    let Reach::Site(own) = reach else {
        return Ok(());
    };
    if !matches!(ev.action, Action::Break | Action::Lose | Action::Retire) {
        return Ok(());
    }
    let held = match s.state {
        Place::AtSite | Place::Washing | Place::WithConsumer => s.site_id == *own,
        Place::InTransit => s.site_id == *own || s.dest_site_id.as_deref() == Some(own),
        // The transition table refuses a retired container already.
        Place::Retired => true,
    };
    if held {
        Ok(())
    } else {
        Err(Refusal::NotHeld {
            found: Box::new(s.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::state::{Condition, SiteKind};

    fn state(place: Place, site: &str, dest: Option<&str>) -> ContainerState {
        let at = NaiveDate::from_ymd_opt(2026, 11, 2)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("a valid time");
        ContainerState {
            state: place,
            condition: Condition::Dirty,
            site_id: site.into(),
            shipment_id: dest.map(|_| "sh".into()),
            dest_site_id: dest.map(Into::into),
            batch_id: None,
            uses: 1,
            retired_reason: None,
            last_event_at: at,
        }
    }

    fn retire_at(site: &str, s: &ContainerState) -> Ev {
        Ev::new(Action::Break, site, SiteKind::Shop, s.last_event_at)
    }

    #[test]
    fn a_shop_ends_the_life_only_of_what_it_holds() {
        let shop = Reach::Site("s1".into());
        let allowed = [
            state(Place::AtSite, "s1", None),
            state(Place::WithConsumer, "s1", None),
            state(Place::InTransit, "s1", Some("w")),
            state(Place::InTransit, "p", Some("s1")),
        ];
        for s in &allowed {
            assert_eq!(authorise(&shop, s, &retire_at("s1", s)), Ok(()), "{s:?}");
        }
        let refused = [
            state(Place::AtSite, "s2", None),
            state(Place::WithConsumer, "s2", None),
            state(Place::Washing, "w", None),
            state(Place::InTransit, "p", Some("s2")),
        ];
        for s in &refused {
            let why = authorise(&shop, s, &retire_at("s1", s)).expect_err("refused");
            assert_eq!(why.code(), "forbidden_container", "{s:?}");
        }
    }

    #[test]
    fn a_site_user_records_only_at_its_site_and_a_coordinator_anywhere() {
        let s = state(Place::AtSite, "s2", None);
        let why = authorise(&Reach::Site("s1".into()), &s, &retire_at("s2", &s));
        assert_eq!(why.map_err(|r| r.code()), Err("forbidden_site"));
        assert_eq!(authorise(&Reach::Loop, &s, &retire_at("s9", &s)), Ok(()));
        let fill = Ev::new(Action::Fill, "s1", SiteKind::Producer, s.last_event_at);
        let elsewhere = state(Place::AtSite, "s3", None);
        assert_eq!(
            authorise(&Reach::Site("s1".into()), &elsewhere, &fill),
            Ok(())
        );
    }
}
