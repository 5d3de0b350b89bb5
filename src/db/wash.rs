//! Wash batches: containers washed together at a washer, with their rejects.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::WashBatch;
use super::requests::{duplicates, nothing_recorded, Link};
use super::scans::{parse_kind, EventRequest, Outcome, Recorder, Rejection, Status};
use super::schema::{containers, wash_batches};
use super::DbConnection;
use crate::domain::state::{Action, Place, SiteKind, WASH_FINISHED, WASH_STARTED};

pub struct NewBatch {
    pub id: Option<String>,
    pub site_id: String,
    pub codes: Vec<String>,
    pub started_at: NaiveDateTime,
    pub program: Option<String>,
    pub temperature_c: Option<f64>,
}

pub struct Completion {
    pub finished_at: NaiveDateTime,
    /// (code, reason) with reason `broken` or `rewash`, already checked.
    pub rejected: Vec<(String, String)>,
    pub water_l: Option<f64>,
    pub energy_kwh: Option<f64>,
}

pub struct BatchReport {
    pub batch: WashBatch,
    pub results: Vec<Outcome>,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<WashBatch>> {
    wash_batches::table
        .find(id)
        .select(WashBatch::as_select())
        .get_result(conn)
        .optional()
}

/// Opens the batch with its containers, each on its own; refused whole, with nothing made,
/// when none of them can go into it (rule 5).
pub fn open(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    req: &NewBatch,
) -> anyhow::Result<Result<BatchReport, Rejection>> {
    let batch = match start(conn, rec, req)? {
        Started::New(batch) => batch,
        Started::Again(report) => return Ok(Ok(report)),
        Started::Refused(why) => return Ok(Err(why)),
    };
    let mut results = Vec::with_capacity(req.codes.len());
    for code in &req.codes {
        results.push(rec.record(
            conn,
            &wash_event(&batch, code, Action::Wash, WASH_STARTED, req.started_at),
        )?);
    }
    if let Some(why) = nothing_recorded(&results, "put in the batch") {
        discard(conn, &batch.id)?;
        return Ok(Err(why));
    }
    Ok(Ok(BatchReport { batch, results }))
}

/// What [`start`] made of a request.
pub enum Started {
    /// A new batch, empty yet.
    New(WashBatch),
    /// The id names this batch already: the request sent again.
    Again(BatchReport),
    Refused(Rejection),
}

/// Checks a new batch and writes it, empty: the caller loads its containers, then
/// [`discard`]s it if none could go in.
pub fn start(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    req: &NewBatch,
) -> anyhow::Result<Started> {
    if let Err(why) = rec.may_act_at(conn, &req.site_id, "this wash batch runs at")? {
        return Ok(Started::Refused(why));
    }
    if let Some(id) = &req.id {
        if let Some(batch) = find(conn, id)? {
            if batch.site_id != req.site_id {
                return Ok(Started::Refused(Rejection::new(
                    "conflict",
                    format!(
                        "the id {id} belongs to another wash batch; give each batch its own id"
                    ),
                )));
            }
            let results = duplicates(conn, rec, &req.codes, Link::Batch(id), Action::Wash)?;
            return Ok(Started::Again(BatchReport { batch, results }));
        }
    }
    let Some(site) = rec.site(conn, &req.site_id)? else {
        return Ok(Started::Refused(Rejection::new(
            "unknown_site",
            format!("no site has the id {}", req.site_id),
        )));
    };
    if parse_kind(&site)? != SiteKind::Washer {
        return Ok(Started::Refused(Rejection::new(
            "wrong_site_kind",
            format!(
                "wash batches run at a washer; {} is a {}",
                site.name, site.kind
            ),
        )));
    }
    let batch = WashBatch {
        id: req
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        site_id: site.id.clone(),
        started_at: req.started_at,
        finished_at: None,
        program: req.program.clone(),
        temperature_c: req.temperature_c,
        water_l: None,
        energy_kwh: None,
        washed: 0,
        rejected: 0,
        user_id: rec.user_id.clone(),
        recorded_at: rec.now,
    };
    diesel::insert_into(wash_batches::table)
        .values(&batch)
        .execute(conn)?;
    Ok(Started::New(batch))
}

/// Removes a batch just opened that no container went into: no event names it yet.
pub fn discard(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(wash_batches::table.find(id)).execute(conn)?;
    Ok(())
}

/// Completes the batch at `finished_at`: a `wash` (clean) event for each container still in
/// it, a `reject` for each reject. Sent again, it changes nothing.
pub fn complete(
    conn: &mut DbConnection,
    rec: &mut Recorder,
    mut batch: WashBatch,
    done: &Completion,
) -> anyhow::Result<Result<BatchReport, Rejection>> {
    if let Err(why) = rec.may_act_at(conn, &batch.site_id, "this wash batch runs at")? {
        return Ok(Err(why));
    }
    if batch.finished_at.is_some() {
        let codes: Vec<String> = done.rejected.iter().map(|(c, _)| c.clone()).collect();
        let results = duplicates(conn, rec, &codes, Link::Batch(&batch.id), Action::Reject)?;
        return Ok(Ok(BatchReport { batch, results }));
    }
    if done.finished_at < batch.started_at {
        return Ok(Err(Rejection::new(
            "invalid_field",
            format!(
                "finished_at {} UTC is before the batch started ({} UTC)",
                done.finished_at, batch.started_at
            ),
        )));
    }
    let members: Vec<String> = containers::table
        .filter(containers::batch_id.eq(&batch.id))
        .filter(containers::state.eq(Place::Washing.as_str()))
        .select(containers::code)
        .order(containers::code)
        .load(conn)?;
    let mut results = Vec::new();
    let mut rejected_codes = Vec::new();
    for (code, reason) in &done.rejected {
        let container = match rec.container(conn, code)? {
            Ok(c) => c,
            Err(why) => {
                results.push(Outcome::rejected(String::new(), code.clone(), why, None));
                continue;
            }
        };
        if !members.contains(&container.code) {
            let why = Rejection::new(
                "not_in_batch",
                format!("container {} is not in this wash batch", container.code),
            );
            results.push(Outcome::rejected(
                String::new(),
                container.code.clone(),
                why,
                Some(container),
            ));
            continue;
        }
        rejected_codes.push(container.code.clone());
        results.push(rec.record(
            conn,
            &wash_event(
                &batch,
                &container.code,
                Action::Reject,
                reason,
                done.finished_at,
            ),
        )?);
    }
    for code in members.iter().filter(|c| !rejected_codes.contains(c)) {
        results.push(rec.record(
            conn,
            &wash_event(&batch, code, Action::Wash, WASH_FINISHED, done.finished_at),
        )?);
    }
    batch.washed = results
        .iter()
        .filter(|o| o.status == Status::Recorded && !rejected_codes.contains(&o.code))
        .count() as i64;
    batch.rejected = results
        .iter()
        .filter(|o| o.status == Status::Recorded && rejected_codes.contains(&o.code))
        .count() as i64;
    batch.finished_at = Some(done.finished_at);
    batch.water_l = done.water_l;
    batch.energy_kwh = done.energy_kwh;
    diesel::update(wash_batches::table.find(&batch.id))
        .set((
            wash_batches::finished_at.eq(batch.finished_at),
            wash_batches::water_l.eq(batch.water_l),
            wash_batches::energy_kwh.eq(batch.energy_kwh),
            wash_batches::washed.eq(batch.washed),
            wash_batches::rejected.eq(batch.rejected),
        ))
        .execute(conn)?;
    Ok(Ok(BatchReport { batch, results }))
}

fn wash_event(
    batch: &WashBatch,
    code: &str,
    action: Action,
    reason: &str,
    at: NaiveDateTime,
) -> EventRequest {
    EventRequest {
        id: None,
        code: code.to_owned(),
        action,
        site_id: batch.site_id.clone(),
        to_site_id: None,
        at,
        shipment_id: None,
        batch_id: Some(batch.id.clone()),
        reason: Some(reason.to_owned()),
    }
}

/// The washer's batches still open, and those started since `since`, newest first.
pub fn at_site(
    conn: &mut DbConnection,
    site_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<WashBatch>> {
    wash_batches::table
        .filter(wash_batches::site_id.eq(site_id))
        .filter(
            wash_batches::finished_at
                .is_null()
                .or(wash_batches::started_at.ge(since)),
        )
        .order(wash_batches::started_at.desc())
        .select(WashBatch::as_select())
        .load(conn)
}

/// The codes of the containers in the batch now.
pub fn codes_in(conn: &mut DbConnection, batch_id: &str) -> QueryResult<Vec<String>> {
    containers::table
        .filter(containers::batch_id.eq(batch_id))
        .select(containers::code)
        .order(containers::code)
        .load(conn)
}
