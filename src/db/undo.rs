//! Undoing a scan made by mistake: a later `undo` event names it, and from then on the
//! loop's history leaves both out. Nothing is deleted.

use diesel::prelude::*;

use super::schema::events;

/// Filters a query of events down to the loop's history: no `undo` event, and no event an
/// `undo` names. The undo is looked up by the unique index on `undoes`, row by row: a list of
/// every undo of the loop, built for each query, made each fold cost as much as the loop had
/// undos (the soak found it, docs/RELIABILITY.md).
#[macro_export]
macro_rules! live_events {
    () => {
        $crate::db::schema::events::action
            .ne("undo")
            .and(::diesel::dsl::sql::<::diesel::sql_types::Bool>(
                "NOT EXISTS (SELECT 1 FROM events AS undos WHERE undos.undoes = events.id)",
            ))
    };
}

/// Whether the event was undone.
pub fn is_undone(conn: &mut super::DbConnection, event_id: &str) -> QueryResult<bool> {
    let n: i64 = events::table
        .filter(events::undoes.eq(event_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Undoes the scan `event_id` for `actor`: recorded when it is a fill, sale or return of
/// the actor's site with nothing recorded on the container after it; a second undo of the
/// same scan is a duplicate. The outcome's id is the `undo` event's.
pub fn undo(
    conn: &mut super::DbConnection,
    rec: &mut super::scans::Recorder,
    event_id: &str,
    actor: &crate::domain::roles::Actor,
) -> anyhow::Result<super::scans::Outcome> {
    use super::models::{Container, Event, NewEvent};
    use super::scans::{load_recorded, Outcome, Rejection, Status};
    use super::schema::containers;
    use crate::domain::state::{Action, UNDOABLE};

    let found: Option<(Event, Container)> = events::table
        .inner_join(containers::table)
        .filter(events::id.eq(event_id))
        .select((Event::as_select(), Container::as_select()))
        // Not `first()`: its bound `LIMIT` made SQLite plan the statement again at every undo.
        .get_result(conn)
        .optional()?;
    let refuse = |code, message: String, container| {
        Ok(Outcome::rejected(
            String::new(),
            String::new(),
            Rejection::new(code, message),
            container,
        ))
    };
    let Some((event, mut container)) = found else {
        return refuse("not_found", format!("no scan has the id {event_id}"), None);
    };
    let with_code = |mut o: Outcome, code: &str| {
        o.code = code.to_owned();
        o
    };
    let code = container.code.clone();
    if !actor.may_act_at(&event.site_id) {
        let o = refuse(
            "forbidden_site",
            format!("scan {event_id} was made at another site; only that site undoes it"),
            None,
        )?;
        return Ok(with_code(o, &code));
    }
    if is_undone(conn, event_id)? {
        return Ok(Outcome {
            id: event_id.to_owned(),
            code,
            status: Status::Duplicate,
            error: None,
            container: Some(container),
            inferred: vec![],
        });
    }
    let action = Action::parse(&event.action);
    if !action.is_some_and(|a| UNDOABLE.contains(&a)) {
        let o = refuse(
            "not_undoable",
            format!(
                "a {} cannot be undone; only a fill, a sale or a return scanned by mistake",
                event.action
            ),
            Some(container),
        )?;
        return Ok(with_code(o, &code));
    }
    let recorded = load_recorded(conn, &container.id)?;
    let index = recorded.iter().position(|(e, _)| e.id == event.id);
    let last = recorded.len().checked_sub(1);
    let evs: Vec<_> = recorded.iter().map(|(_, ev)| ev.clone()).collect();
    let change = match (index, last) {
        (Some(i), Some(l)) if i == l => crate::domain::figures::void(&container.type_id, &evs, i),
        _ => None,
    };
    let Some(change) = change else {
        let o = refuse("not_undoable", format!("container {code} has a later scan than {event_id}; it can no longer be undone here, ask the coordinator"), Some(container))?;
        return Ok(with_code(o, &code));
    };
    let id = uuid::Uuid::now_v7().to_string();
    let undo = NewEvent {
        id: id.clone(),
        container_id: container.id.clone(),
        action: Action::Undo.as_str().to_owned(),
        site_id: event.site_id.clone(),
        to_site_id: None,
        at: rec.now,
        recorded_at: rec.now,
        user_id: rec.user_id.clone(),
        shipment_id: None,
        batch_id: None,
        reason: None,
    };
    diesel::insert_into(events::table)
        .values((undo, events::undoes.eq(Some(event_id))))
        .execute(conn)?;
    container.set_state(&change.after, rec.now);
    container.set_memory(&change.memory);
    super::prepared::update_container(&container).run(conn)?;
    rec.pending.add(&change.delta);
    super::trips::apply(conn, &container.id, &container.type_id, &change.trips)?;
    rec.touched.insert(event.site_id);
    Ok(Outcome {
        id,
        code,
        status: Status::Recorded,
        error: None,
        container: Some(container),
        inferred: vec![],
    })
}
