//! Alerts: conditions checked in the transaction of the events that may start or end them
//! (and by a periodic sweep for those that time alone starts). An alert in force is a row of
//! `alerts`; its mails are queued when the row is made, so each start is told once.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::outbox::{queue, recipients, Audience, Content};
use super::{texts, Kind, Lang};
use crate::config::Config;
use crate::db::catalog::find_type;
use crate::db::models::Site;
use crate::db::schema::holdings_now as holdings;
use crate::db::schema::{alerts, collection_thresholds, low_stock_thresholds};
use crate::db::DbConnection;
use crate::domain::state::{Condition, Place, SiteKind};

/// A condition that needs someone's attention, in force from `raised_at` until cleared.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
pub struct Alert {
    pub id: String,
    /// `low_stock`, `collection_needed`, `shipment_overdue` or `wash_rejects`.
    pub kind: String,
    pub subject: String,
    pub site_id: Option<String>,
    pub type_id: Option<String>,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    pub detail: String,
    #[serde(with = "crate::domain::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: NaiveDateTime,
    #[serde(with = "crate::domain::time::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cleared_at: Option<NaiveDateTime>,
}

/// What an alert is about, for its row.
#[derive(Default)]
pub(super) struct About {
    pub(super) site_id: Option<String>,
    pub(super) type_id: Option<String>,
    pub(super) shipment_id: Option<String>,
    pub(super) batch_id: Option<String>,
}

/// Makes the alert `kind` on `subject` in force, unless it is already, and queues its mails.
/// Two instances noticing the same start at once: one insert wins on the unique index, the
/// other's savepoint is rolled back and it sends nothing.
#[allow(clippy::too_many_arguments)]
pub(super) fn raise(
    conn: &mut DbConnection,
    config: &Config,
    now: NaiveDateTime,
    kind: Kind,
    subject: &str,
    about: About,
    audiences: &[Audience],
    render: &dyn Fn(Lang) -> Content,
) -> QueryResult<()> {
    let in_force = crate::each_backend!(conn, c => alerts::table
        .filter(alerts::kind.eq(kind.as_str()))
        .filter(alerts::subject.eq(subject))
        .filter(alerts::cleared_at.is_null())
        .count()
        .get_result::<i64>(c))?;
    if in_force > 0 {
        return Ok(());
    }
    let alert = Alert {
        id: uuid::Uuid::now_v7().to_string(),
        kind: kind.as_str().to_owned(),
        subject: subject.to_owned(),
        site_id: about.site_id,
        type_id: about.type_id,
        shipment_id: about.shipment_id,
        batch_id: about.batch_id,
        detail: render(Lang::En).subject,
        raised_at: now,
        cleared_at: None,
    };
    let made = crate::db::insert_once(conn, |c| {
        diesel::insert_into(alerts::table).values(&alert).execute(c)
    })?;
    if !made {
        return Ok(());
    }
    let to = recipients(conn, kind, audiences)?;
    queue(
        conn,
        &config.base_url,
        kind,
        &to,
        Some(&alert.id),
        now,
        render,
    )?;
    Ok(())
}

/// Ends the alert `kind` on `subject` if one is in force.
pub(super) fn clear(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    kind: Kind,
    subject: &str,
) -> QueryResult<()> {
    crate::db::prepared::clear_alert(kind.as_str(), subject, now).run(conn)?;
    Ok(())
}

/// Checks the alerts that events at `sites` may have started or ended: low stock at the
/// sites that fill, collection needed at shops.
pub fn check_sites(
    conn: &mut DbConnection,
    config: &Config,
    sites: &[Site],
    now: NaiveDateTime,
) -> QueryResult<()> {
    for site in sites {
        match SiteKind::parse(&site.kind) {
            Some(SiteKind::Shop) => check_collection(conn, config, &site.id, &site.name, now)?,
            Some(SiteKind::Producer | SiteKind::Company | SiteKind::Hub) => {
                let thresholds: Vec<(String, i64)> = low_stock_thresholds::table
                    .filter(low_stock_thresholds::site_id.eq(&site.id))
                    .select((
                        low_stock_thresholds::type_id,
                        low_stock_thresholds::min_clean,
                    ))
                    .load(conn)?;
                for (type_id, min) in thresholds {
                    check_low_stock(conn, config, site, &type_id, min, now)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Clean containers of a type at a site, on the premises or on their way to it.
pub fn clean_and_inbound(
    conn: &mut DbConnection,
    site_id: &str,
    type_id: &str,
) -> QueryResult<i64> {
    let counts: Vec<i64> = holdings::table
        .filter(holdings::site_id.eq(site_id))
        .filter(holdings::type_id.eq(type_id))
        .filter(holdings::condition.eq(Condition::Clean.as_str()))
        // Two comparisons rather than `IN`: diesel prepares an `IN` list anew every time.
        .filter(
            holdings::state
                .eq(Place::AtSite.as_str())
                .or(holdings::state.eq(Place::InTransit.as_str())),
        )
        .select(holdings::n)
        .load(conn)?;
    Ok(counts.into_iter().sum())
}

fn check_low_stock(
    conn: &mut DbConnection,
    config: &Config,
    site: &Site,
    type_id: &str,
    min: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let site_id = &site.id;
    let subject = format!("{site_id}/{type_id}");
    let have = clean_and_inbound(conn, site_id, type_id)?;
    if have >= min {
        return clear(conn, now, Kind::LowStock, &subject);
    }
    let kind = find_type(conn, type_id)?.map_or_else(|| type_id.to_owned(), |t| t.name);
    let about = About {
        site_id: Some(site_id.to_owned()),
        type_id: Some(type_id.to_owned()),
        ..About::default()
    };
    let audiences = [
        Audience::AtSites(vec![site_id.to_owned()]),
        Audience::Coordinators,
    ];
    let render = |lang| texts::low_stock(lang, &site.name, &kind, have, min);
    raise(
        conn,
        config,
        now,
        Kind::LowStock,
        &subject,
        about,
        &audiences,
        &render,
    )
}

/// The thresholds in force at a shop: its own, or the loop's defaults.
pub fn collection_limits(
    conn: &mut DbConnection,
    config: &Config,
    shop_id: &str,
) -> QueryResult<(i64, f64)> {
    let own: Option<(Option<i64>, Option<f64>)> = crate::each_backend!(conn, c => collection_thresholds::table
        .find(shop_id)
        .select((
            collection_thresholds::min_dirty,
            collection_thresholds::max_wait_days,
        ))
        .get_result(c)
        .optional())?;
    let (min, days) = own.unwrap_or((None, None));
    Ok(limits_or_defaults(config, min, days))
}

/// A shop's own thresholds where it has them, the loop's defaults elsewhere.
fn limits_or_defaults(config: &Config, min: Option<i64>, days: Option<f64>) -> (i64, f64) {
    (
        min.unwrap_or(config.mail.collect_min_dirty),
        days.unwrap_or(config.mail.collect_max_days),
    )
}

fn check_collection(
    conn: &mut DbConnection,
    config: &Config,
    shop_id: &str,
    shop: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // The count from the holdings, the oldest through the partial index on dirty containers,
    // the shop's thresholds and the alert in force, in one statement.
    let kind = Kind::CollectionNeeded;
    let (dirty, oldest, own_min, own_days, in_force) =
        crate::db::prepared::collection_state(shop_id, kind.as_str()).row(conn)?;
    let (min_dirty, max_days) = limits_or_defaults(config, own_min, own_days);
    let oldest_days = oldest.map_or(0.0, |t| (now - t).num_seconds() as f64 / 86_400.0);
    if dirty == 0 || (dirty < min_dirty && oldest_days <= max_days) {
        return match in_force {
            0 => Ok(()),
            _ => clear(conn, now, kind, shop_id),
        };
    }
    if in_force > 0 {
        return Ok(());
    }
    let about = About {
        site_id: Some(shop_id.to_owned()),
        ..About::default()
    };
    let why = texts::Collection {
        shop,
        dirty,
        oldest_days,
        min_dirty,
        max_days,
    };
    let render = |lang| texts::collection(lang, &why);
    let audiences = [Audience::Washers, Audience::Coordinators];
    raise(conn, config, now, kind, shop_id, about, &audiences, &render)
}

/// Every check, for the periodic sweep: what time alone can start (a dirty container waiting
/// too long, a shipment not received) and what may have been missed.
pub fn sweep(conn: &mut DbConnection, config: &Config, now: NaiveDateTime) -> QueryResult<()> {
    let all = crate::db::catalog::list_sites(conn)?;
    check_sites(conn, config, &all, now)?;
    super::operations::check_shipments(conn, config, now)
}

/// The alerts in force, oldest first.
pub fn in_force(conn: &mut DbConnection) -> QueryResult<Vec<Alert>> {
    alerts::table
        .filter(alerts::cleared_at.is_null())
        .order(alerts::raised_at)
        .select(Alert::as_select())
        .load(conn)
}
