//! What a request naming many containers answers as a whole: the same request sent again
//! (each container a duplicate), and one none of whose containers could be recorded.

use diesel::prelude::*;

use super::models::Container;
use super::scans::{Outcome, Recorder, Rejection, Status};
use super::schema::events;
use super::DbConnection;
use crate::domain::state::Action;

/// Why a shipment or wash batch none of whose containers could be recorded is refused: the
/// first refusals, each with its container. None when one at least was recorded.
pub fn nothing_recorded(results: &[Outcome], done: &str) -> Option<Rejection> {
    if results.iter().any(|o| o.status != Status::Rejected) {
        return None;
    }
    const SHOWN: usize = 5;
    let mut reasons: Vec<String> = results
        .iter()
        .take(SHOWN)
        .map(|o| {
            let why = o.error.as_ref().map_or("refused", |e| e.message.as_str());
            format!("{}: {why}", o.code)
        })
        .collect();
    if results.len() > SHOWN {
        reasons.push(format!("and {} more", results.len() - SHOWN));
    }
    let message = match results.len() {
        0 => format!("no container was given, so nothing was {done}; list the containers' codes"),
        n => format!(
            "none of the {n} containers could be {done}, so nothing was recorded ({})",
            reasons.join("; ")
        ),
    };
    Some(Rejection::new("nothing_recorded", message))
}

/// What a repeated request's events are tied to.
pub enum Link<'a> {
    Shipment(&'a str),
    Batch(&'a str),
}

/// The answer to a request sent again: each code `duplicate`, with its container and the id
/// of the event first recorded for it.
pub fn duplicates(
    conn: &mut DbConnection,
    rec: &Recorder,
    codes: &[String],
    link: Link,
    action: Action,
) -> anyhow::Result<Vec<Outcome>> {
    let mut out = Vec::with_capacity(codes.len());
    for code in codes {
        let found: Option<Container> = match rec.container(conn, code)? {
            Ok(c) => Some(c),
            Err(why) => {
                out.push(Outcome::rejected(String::new(), code.clone(), why, None));
                continue;
            }
        };
        let mut query = events::table
            .filter(events::container_id.eq(found.as_ref().map_or("", |c| c.id.as_str())))
            .filter(events::action.eq(action.as_str()))
            .select(events::id)
            .into_boxed();
        query = match link {
            Link::Shipment(id) => query.filter(events::shipment_id.eq(id)),
            Link::Batch(id) => query.filter(events::batch_id.eq(id)),
        };
        let event_id: Option<String> = query.first(conn).optional()?;
        out.push(Outcome {
            id: event_id.unwrap_or_default(),
            code: found
                .as_ref()
                .map_or_else(|| code.clone(), |c| c.code.clone()),
            status: Status::Duplicate,
            error: None,
            container: found,
            inferred: vec![],
        });
    }
    Ok(out)
}
