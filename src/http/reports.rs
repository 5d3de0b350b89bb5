//! `GET /reports/loop` and `/reports/loop/monthly`: the figures of docs/FIGURES.md, and the
//! query and CSV helpers every report shares.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authed;
use super::views::ErrorView;
use super::{read, State};
use crate::db::reports::{loop_report, months, ReportData};
use crate::db::sums::Scope;
use crate::domain::bounds::{period_fits, MAX_PERIOD_YEARS};
use crate::domain::co2e::Factor;
use crate::domain::report::Figures;
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The first day, `YYYY-MM-DD`, from 00:00 UTC.
    #[param(required = true, value_type = String)]
    from: Option<String>,
    /// The day after the last, `YYYY-MM-DD`: excluded.
    #[param(required = true, value_type = String)]
    to: Option<String>,
    /// One site; site-bound users get their own site when absent.
    site_id: Option<String>,
    /// One container type.
    type_id: Option<String>,
    /// `json` (the default) or `csv`.
    format: Option<String>,
    /// `legs`: with `format=csv`, one row per leg (kinds of sites joined) instead of the
    /// figures.
    part: Option<String>,
}

/// A loop report: its period and filters, and every figure, never rounded (each one is
/// defined in docs/FIGURES.md).
#[derive(Serialize, ToSchema)]
pub struct ReportView {
    /// `YYYY-MM`, in monthly reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<String>,
    from: String,
    to: String,
    site_id: Option<String>,
    type_id: Option<String>,
    #[serde(flatten)]
    figures: Figures,
    /// Null when a factor it needs is missing (see `co2e_missing`).
    avoided_co2e_kg: Option<f64>,
    /// The emission factor versions used.
    factors: Vec<Factor>,
    /// The factors that would be needed and are not there.
    co2e_missing: Vec<String>,
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

pub(super) struct Asked {
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    pub(super) scope: Scope,
    pub(super) csv: bool,
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
    if !period_fits(from, to) {
        return Err(AppError::bad_request(
            "invalid_query",
            format!("from {from} to {to} is longer than {MAX_PERIOD_YEARS} years; ask for a shorter period"),
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
pub(super) fn asked(authed: &Authed, q: ReportQuery) -> Result<Asked, AppError> {
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
    let view = ReportView {
        month: month.map(str::to_owned),
        from: r.from.format("%Y-%m-%d").to_string(),
        to: r.to.format("%Y-%m-%d").to_string(),
        site_id: scope.site_id.clone(),
        type_id: scope.type_id.clone(),
        figures: r.figures.clone(),
        avoided_co2e_kg: r.balance.avoided_co2e_kg,
        factors: r.balance.factors.clone(),
        co2e_missing: r.balance.co2e_missing.clone(),
    };
    match serde_json::to_value(view).map_err(anyhow::Error::from)? {
        Value::Object(m) => Ok(m),
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "a report is not an object"
        ))),
    }
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

/// The loop's figures over a period, for the whole loop or one site and/or type.
#[utoipa::path(get, path = "/api/v1/reports/loop", operation_id = "getLoopReport", tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, content((ReportView = "application/json"), (String = "text/csv")), description = "The report; with `format=csv`, a header and one row."),
        (status = 403, description = "`forbidden`: the site asked for is not the user's.", body = ErrorView),
    ))]
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

/// One report per calendar month overlapping the period, each clipped to it.
#[utoipa::path(get, path = "/api/v1/reports/loop/monthly", operation_id = "getMonthlyReports", tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, content((Vec<ReportView> = "application/json"), (String = "text/csv")), description = "One report per month with its `month`; with `format=csv`, one row per month."),
        (status = 403, description = "`forbidden`: the site asked for is not the user's.", body = ErrorView),
    ))]
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
