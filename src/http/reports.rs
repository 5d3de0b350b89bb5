//! `GET /reports/loop` and `/reports/loop/monthly`: the figures of DESIGN section 4.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::trips::return_curve;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::Authed;
use super::{read, State};
use crate::db::reports::{loop_report, months, ReportData};
use crate::db::sums::Scope;
use crate::error::AppError;

/// The scalar fields of a report, in the order of its CSV columns.
pub const FIELDS: &[&str] = &[
    "uses",
    "first_uses",
    "reuses",
    "fleet_avg",
    "rotations_per_year",
    "avg_cycle_days",
    "returns",
    "trips",
    "trips_returned",
    "return_rate",
    "broken",
    "lost",
    "breakage_rate",
    "loss_rate",
    "shipments",
    "vehicle_km",
    "container_km",
    "km_per_use",
    "avoided_waste_kg",
    "avoided_co2e_kg",
];
/// The columns before the figures in a loop report's CSV.
pub const LEAD: &[&str] = &["from", "to", "site_id", "type_id"];
const LEG_FIELDS: &[&str] = &[
    "from_kind",
    "to_kind",
    "shipments",
    "vehicle_km",
    "container_km",
];

#[derive(Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    type_id: Option<String>,
    format: Option<String>,
    part: Option<String>,
}

pub fn date(name: &str, value: Option<&str>) -> Result<NaiveDate, AppError> {
    let text = value
        .ok_or_else(|| AppError::bad_request("invalid_query", format!("give {name}=YYYY-MM-DD")))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(
            "invalid_query",
            format!("{name}={text:?} is not a date; give YYYY-MM-DD"),
        )
    })
}

struct Asked {
    from: NaiveDate,
    to: NaiveDate,
    scope: Scope,
    csv: bool,
    legs: bool,
}

/// The days `from` and `to` (excluded) of a query, in order.
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), AppError> {
    let (from, to) = (date("from", from)?, date("to", to)?);
    if from >= to {
        return Err(AppError::bad_request(
            "invalid_query",
            format!("from ({from}) must be before to ({to}); to is excluded"),
        ));
    }
    Ok((from, to))
}

/// The site a query is about: the one asked for, if the user may see it; a site-bound
/// user's own when none is asked for; none (the whole loop) for coordinators.
pub fn scoped_site(authed: &Authed, asked: Option<String>) -> Result<Option<String>, AppError> {
    Ok(match (asked, &authed.actor.site_id) {
        (Some(site), _) => {
            authed.at_site(&site)?;
            Some(site)
        }
        (None, Some(own)) if !authed.actor.role.manages_loop() => Some(own.clone()),
        (None, _) => None,
    })
}

/// Reads the query; users bound to a site see its figures only.
fn asked(authed: &Authed, q: ReportQuery) -> Result<Asked, AppError> {
    let (from, to) = period(q.from.as_deref(), q.to.as_deref())?;
    let site_id = scoped_site(authed, q.site_id)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(AppError::bad_request(
                "invalid_query",
                format!("format={other:?} is not known; give json or csv"),
            ))
        }
    };
    let legs = match q.part.as_deref() {
        None => false,
        Some("legs") => true,
        Some(other) => {
            return Err(AppError::bad_request(
                "invalid_query",
                format!("part={other:?} is not known; give legs"),
            ))
        }
    };
    Ok(Asked {
        from,
        to,
        scope: Scope {
            site_id,
            type_id: q.type_id,
        },
        csv,
        legs,
    })
}

/// A report as JSON: the period, its filters and every figure.
pub fn to_json(
    r: &ReportData,
    scope: &Scope,
    month: Option<&str>,
) -> Result<Map<String, Value>, AppError> {
    let mut m = Map::new();
    if let Some(month) = month {
        m.insert("month".into(), json!(month));
    }
    m.insert("from".into(), json!(r.from.format("%Y-%m-%d").to_string()));
    m.insert("to".into(), json!(r.to.format("%Y-%m-%d").to_string()));
    m.insert("site_id".into(), json!(scope.site_id));
    m.insert("type_id".into(), json!(scope.type_id));
    let Value::Object(figures) = serde_json::to_value(&r.figures).map_err(anyhow::Error::from)?
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "figures are not an object"
        )));
    };
    m.extend(figures);
    m.insert("avoided_co2e_kg".into(), json!(r.balance.avoided_co2e_kg));
    m.insert("factors".into(), json!(r.balance.factors));
    m.insert("co2e_missing".into(), json!(r.balance.co2e_missing));
    Ok(m)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv(header: &[&str], rows: &[Map<String, Value>]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(csv_text(header, rows))
}

/// Rows as CSV with `header` for columns, as every CSV download gives them.
pub fn csv_text(header: &[&str], rows: &[Map<String, Value>]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = header
            .iter()
            .map(|h| cell(row.get(*h).unwrap_or(&Value::Null)))
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

fn answer(a: &Asked, reports: Vec<Map<String, Value>>, monthly: bool) -> HttpResponse {
    let lead: &[&str] = if monthly {
        &["month", "from", "to", "site_id", "type_id"]
    } else {
        LEAD
    };
    if a.csv && a.legs {
        let mut rows = Vec::new();
        for r in &reports {
            for leg in r
                .get("legs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let mut row = Map::new();
                for key in lead {
                    row.insert((*key).into(), r.get(*key).cloned().unwrap_or(Value::Null));
                }
                if let Value::Object(l) = leg {
                    row.extend(l.clone());
                }
                rows.push(row);
            }
        }
        return csv(&[lead, LEG_FIELDS].concat(), &rows);
    }
    if a.csv {
        return csv(&[lead, FIELDS].concat(), &reports);
    }
    if monthly {
        HttpResponse::Ok().json(reports)
    } else {
        HttpResponse::Ok().json(reports.into_iter().next().unwrap_or_default())
    }
}

pub async fn loop_figures(
    state: State,
    authed: Authed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let a = asked(&authed, query.into_inner())?;
    let (from, to, scope) = (a.from, a.to, a.scope.clone());
    let report = read(&state, move |conn| Ok(loop_report(conn, from, to, &scope)?)).await?;
    Ok(answer(&a, vec![to_json(&report, &a.scope, None)?], false))
}

pub async fn monthly(
    state: State,
    authed: Authed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let a = asked(&authed, query.into_inner())?;
    let (from, to, scope) = (a.from, a.to, a.scope.clone());
    let reports = read(&state, move |conn| {
        months(from, to)
            .into_iter()
            .map(|(month, start, end)| Ok((month, loop_report(conn, start, end, &scope)?)))
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    let rows = reports
        .iter()
        .map(|(month, r)| to_json(r, &a.scope, Some(month)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(answer(&a, rows, true))
}

const FLOW_FIELDS: &[&str] = &[
    "from_site_id",
    "from_name",
    "to_site_id",
    "to_name",
    "shipments",
    "containers",
    "vehicle_km",
    "container_km",
];

/// `GET /reports/flows`: shipments, containers, vehicle-km and container-km for each pair of
/// sites (the origin-destination matrix).
pub async fn flows(
    state: State,
    authed: Authed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let a = asked(&authed, query.into_inner())?;
    let (from, to, scope) = (a.from, a.to, a.scope.clone());
    let (flows, sites) = read(&state, move |conn| {
        Ok((
            crate::db::reports::flows(conn, from, to, &scope)?,
            crate::db::catalog::list_sites(conn)?,
        ))
    })
    .await?;
    let name = |id: &str| sites.iter().find(|s| s.id == id).map(|s| s.name.clone());
    let rows: Vec<Map<String, Value>> = flows
        .into_iter()
        .map(|f| {
            let mut m = Map::new();
            m.insert("from_name".into(), json!(name(&f.from_site_id)));
            m.insert("to_name".into(), json!(name(&f.to_site_id)));
            if let Ok(Value::Object(fields)) = serde_json::to_value(&f) {
                m.extend(fields);
            }
            m
        })
        .collect();
    if a.csv {
        return Ok(csv(FLOW_FIELDS, &rows));
    }
    Ok(HttpResponse::Ok().json(rows))
}

/// `GET /reports/returns`: per shop, the share of the period's trips returned after N days
/// (Kaplan-Meier, trips still out censored at now) and the median days to return.
pub async fn returns(
    state: State,
    authed: Authed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let a = asked(&authed, query.into_inner())?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let (from, to, shop) = (midnight(a.from), midnight(a.to), a.scope.site_id.clone());
    let (trips, sites) = read(&state, move |conn| {
        Ok((
            crate::db::trips::started_in(conn, from, to, shop.as_deref())?,
            crate::db::catalog::list_sites(conn)?,
        ))
    })
    .await?;
    let now = chrono::Utc::now().naive_utc();
    let days =
        |d: chrono::TimeDelta| d.num_microseconds().unwrap_or(i64::MAX) as f64 / 86_400_000_000.0;
    let observation = |received: NaiveDateTime, returned: Option<NaiveDateTime>| match returned {
        Some(r) => (days(r - received), true),
        None => (days(now - received), false),
    };
    let mut by_shop: std::collections::BTreeMap<String, Vec<(f64, bool)>> =
        std::collections::BTreeMap::new();
    for (shop, received, returned) in &trips {
        by_shop
            .entry(shop.clone())
            .or_default()
            .push(observation(*received, *returned));
    }
    let all: Vec<(f64, bool)> = by_shop.values().flatten().copied().collect();
    let shops: Vec<Value> = by_shop
        .into_iter()
        .map(|(site_id, obs)| {
            let name = sites
                .iter()
                .find(|s| s.id == site_id)
                .map(|s| s.name.clone());
            let mut v = json!(return_curve(&obs));
            v["site_id"] = json!(site_id);
            v["name"] = json!(name);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "from": a.from.format("%Y-%m-%d").to_string(),
        "to": a.to.format("%Y-%m-%d").to_string(),
        "site_id": a.scope.site_id,
        "all": return_curve(&all),
        "shops": shops,
    })))
}
