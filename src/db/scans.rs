//! Recording one event on one container: the heart of every scan, shipment and wash batch.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{Container, NewEvent, Site};
use super::schema::events;
use super::DbConnection;
use crate::domain::access::Reach;
use crate::domain::code::parse_any;
use crate::domain::state::{Action, Ev, SiteKind};
use crate::domain::time::too_far_ahead;

pub use super::timelines::{event_recorded, find_by_serial, load_recorded, load_timeline, to_ev};

/// One event a device or a person asks to record.
#[derive(Debug, Clone)]
pub struct EventRequest {
    /// The client's UUID for idempotence, already checked to be one.
    pub id: Option<String>,
    pub code: String,
    pub action: Action,
    pub site_id: String,
    pub to_site_id: Option<String>,
    pub at: NaiveDateTime,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Recorded,
    Duplicate,
    Rejected,
}

/// Why one scan was not applied, for the person who made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn new(code: &'static str, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub code: String,
    pub status: Status,
    pub error: Option<Rejection>,
    pub container: Option<Container>,
    /// Steps inferred before the event (rule 3).
    pub inferred: Vec<Action>,
}

impl Outcome {
    pub fn rejected(
        id: String,
        code: String,
        why: Rejection,
        container: Option<Container>,
    ) -> Outcome {
        Outcome {
            id,
            code,
            status: Status::Rejected,
            error: Some(why),
            container,
            inferred: vec![],
        }
    }
}

/// What is shared by the events recorded in one transaction.
pub struct Recorder {
    pub user_id: Option<String>,
    /// What the writer may touch, asked of every event it records (`domain::access`).
    pub reach: Reach,
    pub prefix: String,
    /// The loop's GS1 company prefix, for codes given as GRAIs.
    pub gs1: Option<crate::domain::gs1::CompanyPrefix>,
    pub now: NaiveDateTime,
    sites: HashMap<String, Site>,
    /// Sites whose stock the recorded events changed: where containers were, went or are
    /// bound, so the alerts about them are checked before the transaction ends.
    pub touched: BTreeSet<String>,
    /// What the recorded events add to the counters, written by [`Recorder::finish`].
    pub pending: super::figures::Pending,
}

impl Recorder {
    pub fn new(
        user_id: Option<String>,
        reach: Reach,
        prefix: &str,
        now: NaiveDateTime,
    ) -> Recorder {
        Recorder {
            user_id,
            reach,
            prefix: prefix.to_owned(),
            gs1: None,
            now,
            sites: HashMap::new(),
            touched: BTreeSet::new(),
            pending: Default::default(),
        }
    }

    /// Writes what the recorded events add to the counters; called once, before the
    /// transaction ends.
    pub fn finish(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        self.pending.flush(conn)
    }

    pub fn site(&mut self, conn: &mut DbConnection, id: &str) -> QueryResult<Option<Site>> {
        if let Some(site) = self.sites.get(id) {
            return Ok(Some(site.clone()));
        }
        let found = super::catalog::find_site(conn, id)?;
        if let Some(site) = &found {
            self.sites.insert(id.to_owned(), site.clone());
        }
        Ok(found)
    }

    fn site_name(&mut self, conn: &mut DbConnection, id: &str) -> QueryResult<String> {
        Ok(self
            .site(conn, id)?
            .map_or_else(|| format!("site {id}"), |s| s.name))
    }

    /// Refuses what happens at a site the writer does not reach: a shipment leaving from it
    /// or received there (`what` says which), a wash batch run there.
    pub fn may_act_at(
        &mut self,
        conn: &mut DbConnection,
        site_id: &str,
        what: &str,
    ) -> QueryResult<Result<(), Rejection>> {
        if self.reach.covers(site_id) {
            return Ok(Ok(()));
        }
        let name = self.site_name(conn, site_id)?;
        Ok(Err(Rejection::new(
            "forbidden",
            format!("{what} {name}, and your account works only at its own site"),
        )))
    }

    /// Finds the container a code names, locking its row on PostgreSQL so that two
    /// instances never fold the same container at once.
    pub fn container(
        &self,
        conn: &mut DbConnection,
        code: &str,
    ) -> anyhow::Result<Result<Container, Rejection>> {
        let parsed = match parse_any(code, &self.prefix, self.gs1.as_ref()) {
            Ok(parsed) => parsed,
            Err(e) => {
                return Ok(Err(Rejection::new(
                    "invalid_code",
                    format!("{code:?} is not a container code: {e}"),
                )))
            }
        };
        let Some(found) = find_by_serial(conn, &parsed.code, true)? else {
            return Ok(Err(Rejection::new(
                "unknown_code",
                format!(
                    "no container has the code {}; check the label, or ask a coordinator to commission it",
                    parsed.code.display(&self.prefix)
                ),
            )));
        };
        if let Some(why) = asset_type_mismatch(conn, &found, parsed.asset_type)? {
            return Ok(Err(Rejection::new("invalid_code", why)));
        }
        Ok(Ok(found))
    }

    /// Records `req`, or says why not. Database failures are errors; everything a person
    /// can correct is a rejected outcome, and nothing else in the transaction is undone.
    pub fn record(
        &mut self,
        conn: &mut DbConnection,
        req: &EventRequest,
    ) -> anyhow::Result<Outcome> {
        let id = req
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let reject = |why| Ok(Outcome::rejected(id.clone(), req.code.clone(), why, None));
        // Before the container is looked up, so that a refused writer learns nothing of it.
        if let Err(refusal) = self.reach.at_site(&req.site_id) {
            let name = self.site_name(conn, &req.site_id)?;
            let message = refusal.message(&req.code, req.action, &|_| name.clone());
            return reject(Rejection::new(refusal.code(), message));
        }
        let mut container = match self.container(conn, &req.code)? {
            Ok(c) => c,
            Err(why) => return reject(why),
        };
        let code = container.code.clone();
        if req.id.is_some() {
            let seen = crate::each_backend!(conn, c => events::table
                .filter(events::id.eq(&id))
                .select(events::container_id)
                .get_result::<String>(c)
                .optional())?;
            match seen {
                Some(owner) if owner == container.id => {
                    return Ok(Outcome { id, code, status: Status::Duplicate, error: None, container: Some(container), inferred: vec![] })
                }
                Some(_) => {
                    return reject(Rejection::new(
                        "id_reused",
                        format!("the id {id} was already used for another container; give each scan its own id"),
                    ))
                }
                None => {}
            }
        }
        if too_far_ahead(req.at, self.now) {
            return reject(Rejection::new(
                "future_time",
                format!("the scan's time {} UTC is more than 5 minutes ahead of the server's clock ({} UTC); check the device's clock", req.at, self.now),
            ));
        }
        let Some(site) = self.site(conn, &req.site_id)? else {
            return reject(Rejection::new(
                "unknown_site",
                format!("no site has the id {}", req.site_id),
            ));
        };
        let kind = parse_kind(&site)?;
        let ev = Ev {
            action: req.action,
            site_id: req.site_id.clone(),
            site_kind: kind,
            to_site_id: req.to_site_id.clone(),
            at: req.at,
            inferred: false,
            shipment_id: req.shipment_id.clone(),
            batch_id: req.batch_id.clone(),
            reason: req.reason.clone(),
        };
        let current = container.domain_state()?;
        let planned = super::change::prepare(conn, &container, &current, &ev, &self.reach)?;
        let change = match planned {
            Ok(ok) => ok,
            Err(refusal) => {
                let mut names = HashMap::new();
                for sid in [&current.site_id, &req.site_id]
                    .into_iter()
                    .chain(current.dest_site_id.as_ref())
                {
                    names.insert(sid.clone(), self.site_name(conn, sid)?);
                }
                let lookup = |sid: &str| {
                    names
                        .get(sid)
                        .cloned()
                        .unwrap_or_else(|| format!("site {sid}"))
                };
                let why =
                    Rejection::new(refusal.code(), refusal.message(&code, req.action, &lookup));
                return Ok(Outcome::rejected(id, code, why, Some(container)));
            }
        };
        let event = NewEvent {
            id: id.clone(),
            container_id: container.id.clone(),
            action: req.action.as_str().to_owned(),
            site_id: req.site_id.clone(),
            to_site_id: req.to_site_id.clone(),
            at: req.at,
            recorded_at: self.now,
            user_id: self.user_id.clone(),
            shipment_id: req.shipment_id.clone(),
            batch_id: req.batch_id.clone(),
            reason: req.reason.clone(),
        };
        super::prepared::insert_event(&event).run(conn)?;
        let pending = &mut self.pending;
        super::change::commit(conn, &mut container, &change, &ev, self.now, pending)?;
        self.touched.extend(
            [Some(current.site_id), current.dest_site_id]
                .into_iter()
                .chain([
                    Some(container.site_id.clone()),
                    container.dest_site_id.clone(),
                ])
                .flatten(),
        );
        let inferred = change
            .steps
            .iter()
            .filter(|s| s.inferred)
            .map(|s| s.action)
            .collect();
        Ok(Outcome {
            id,
            code,
            status: Status::Recorded,
            error: None,
            container: Some(container),
            inferred,
        })
    }
}

/// When a GRAI named the container, says so if its asset type is not the container's type's.
pub fn asset_type_mismatch(
    conn: &mut DbConnection,
    container: &Container,
    asset_type: Option<u64>,
) -> QueryResult<Option<String>> {
    let Some(named) = asset_type else {
        return Ok(None);
    };
    let Some(t) = super::catalog::find_type(conn, &container.type_id)? else {
        return Ok(None);
    };
    Ok((u64::try_from(t.asset_type).ok() != Some(named)).then(|| {
        format!(
            "the GRAI names asset type {named}, but container {} is a {} (asset type {}); the label does not belong to this container",
            container.code, t.name, t.asset_type
        )
    }))
}

pub fn parse_kind(site: &Site) -> anyhow::Result<SiteKind> {
    SiteKind::parse(&site.kind)
        .with_context(|| format!("site {} has an unknown kind {:?}", site.id, site.kind))
}
