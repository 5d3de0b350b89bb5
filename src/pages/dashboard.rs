//! The coordinator's view of the loop over a period: every figure with its definition one
//! click away, monthly charts, the flows between sites, return curves per shop, and the
//! same as CSV.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{Datelike, Months, NaiveDate};
use maud::{html, Markup};
use serde::Deserialize;

use super::charts::{self, Link, Place};
use super::session::Staff;
use super::work::number;
use super::{layout, tr, Lang, PageError};
use crate::db::reports::{flows, loop_report, months, Flow, ReportData};
use crate::db::sums::Scope;
use crate::domain::report::Figures;
use crate::http::flows::{curves, ShopCurve};
use crate::http::reports::{csv_text, to_json, FIELDS, LEAD};
use crate::http::{read, State};

#[derive(Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The period asked for; by default the last twelve months, this one included.
fn period(lang: Lang, q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), PageError> {
    let today = chrono::Utc::now().date_naive();
    let next_month = today.with_day(1).unwrap_or(today) + Months::new(1);
    let parse =
        |v: &Option<String>, default: NaiveDate| match v.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            None => Some(default),
        };
    let from = parse(&q.from, next_month - Months::new(12));
    let to = parse(&q.to, next_month);
    match (from, to) {
        (Some(f), Some(t)) if crate::domain::bounds::period_fits(f, t) => Ok((f, t)),
        _ => Err(PageError::shown(
            StatusCode::BAD_REQUEST,
            lang,
            tr!(lang, "Période refusée", "Period refused"),
            tr!(
                lang,
                "Donnez deux dates AAAA-MM-JJ, la première avant la seconde (exclue), à 20 ans au plus l'une de l'autre.",
                "Give two dates YYYY-MM-DD, the first before the second (excluded), at most 20 years apart."
            ),
        )),
    }
}

struct Data {
    report: ReportData,
    monthly: Vec<(String, ReportData)>,
    flows: Vec<Flow>,
    sites: Vec<crate::db::models::Site>,
    all: crate::domain::trips::ReturnCurve,
    shops: Vec<ShopCurve>,
}

/// The dashboard's data, read on three connections at once: the monthly reports, the
/// period's report with its flows, and the return curves.
async fn data(state: &State, from: NaiveDate, to: NaiveDate) -> Result<Data, PageError> {
    // The months in two halves, one per core, as the other reads.
    let all_months = months(from, to);
    let half = all_months.len().div_ceil(2);
    let later = all_months[half..].to_vec();
    let mut earlier = all_months;
    earlier.truncate(half);
    let month_reports = |list: Vec<(String, NaiveDate, NaiveDate)>| {
        read(state, move |conn| {
            let scope = Scope::default();
            let mut out = Vec::with_capacity(list.len());
            for (month, start, end) in list {
                out.push((month, loop_report(conn, start, end, &scope)?));
            }
            Ok(out)
        })
    };
    let monthly = futures_util::future::try_join(month_reports(earlier), month_reports(later));
    let period = read(state, move |conn| {
        let scope = Scope::default();
        Ok((
            loop_report(conn, from, to, &scope)?,
            flows(conn, from, to, &scope)?,
        ))
    });
    let returns = read(state, move |conn| {
        let sites = crate::db::catalog::list_sites(conn)?;
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
        let trips = crate::db::trips::started_in(conn, midnight(from), midnight(to), None)?;
        let (all, shops) = curves(&trips, &sites, chrono::Utc::now().naive_utc());
        Ok((sites, all, shops))
    });
    let ((mut monthly, later), (report, flows), (sites, all, shops)) =
        futures_util::future::try_join3(monthly, period, returns).await?;
    monthly.extend(later);
    Ok(Data {
        report,
        monthly,
        flows,
        sites,
        all,
        shops,
    })
}

/// A figure for people: integers as they are, shares as percentages, the rest rounded.
fn shown(lang: Lang, name: &str, v: &serde_json::Value) -> String {
    match v.as_f64() {
        None => "–".to_owned(),
        Some(x) if name.ends_with("_rate") => format!("{} %", number(lang, x * 100.0, 1)),
        Some(x) if v.is_i64() => number(lang, x, 0),
        Some(x) => number(lang, x, if x.abs() >= 100.0 { 0 } else { 1 }),
    }
}

/// `GET /dashboard?from=&to=`.
pub async fn page(
    state: State,
    staff: Staff,
    query: web::Query<PeriodQuery>,
) -> Result<Markup, PageError> {
    staff.coordinator()?;
    let lang = staff.lang;
    let (from, to) = period(lang, &query)?;
    let d = data(&state, from, to).await?;
    let json = to_json(&d.report, &Scope::default(), None)?;
    let labels: Vec<String> = d.monthly.iter().map(|(m, _)| m.clone()).collect();
    let series = |f: fn(&Figures) -> f64| {
        d.monthly
            .iter()
            .map(|(_, r)| f(&r.figures))
            .collect::<Vec<f64>>()
    };
    let index = |id: &str| d.sites.iter().position(|s| s.id == id);
    let places: Vec<Place> = d
        .sites
        .iter()
        .map(|s| Place {
            name: &s.name,
            kind: &s.kind,
            lat: s.lat,
            lon: s.lon,
        })
        .collect();
    let links: Vec<Link> = d
        .flows
        .iter()
        .filter_map(|f| {
            Some(Link {
                from: index(&f.from_site_id)?,
                to: index(&f.to_site_id)?,
                containers: f.containers,
                km: f.vehicle_km / f.shipments.max(1) as f64,
            })
        })
        .collect();
    let q = format!("from={from}&to={to}");
    let body = html! {
        form.card.period.no-print method="get" action="/dashboard" {
            div.row {
                div { label for="from" { (tr!(lang, "Du", "From")) } input #from type="date" name="from" value=(from); }
                div { label for="to" { (tr!(lang, "Au (exclu)", "To (excluded)")) } input #to type="date" name="to" value=(to); }
                button.primary type="submit" { (tr!(lang, "Afficher", "Show")) }
            }
        }
        section #figures.figures {
            @for name in FIELDS {
                @let v = json.get(*name).cloned().unwrap_or_default();
                details.figure data-figure=(name) {
                    summary { span.value { (shown(lang, name, &v)) } span.label { (super::figure_words::label(lang, name)) } }
                    p { (super::figure_words::definition(lang, name)) }
                }
            }
        }
        h2 { (tr!(lang, "Par mois", "By month")) }
        (charts::bars(tr!(lang, "Utilisations et retours par mois", "Uses and returns by month"), &labels,
            &[(tr!(lang, "utilisations", "uses"), "uses"), (tr!(lang, "retours", "returns"), "returns")],
            &[series(|f| f.uses as f64), series(|f| f.returns as f64)]))
        (charts::bars(tr!(lang, "Kilomètres parcourus par mois", "Kilometres driven by month"), &labels,
            &[(tr!(lang, "km véhicule", "vehicle-km"), "km")], &[series(|f| f.vehicle_km)]))
        h2 { (tr!(lang, "Flux entre les sites", "Flows between sites")) }
        (charts::flow_map(tr!(lang, "Carte des flux", "Map of the flows"), &places, &links))
        details.flows { summary { (tr!(lang, "Tableau des flux", "Table of the flows")) " (" (d.flows.len()) ")" }
        div.table-wrap { table #flows {
            thead { tr { th { (tr!(lang, "De", "From")) } th { (tr!(lang, "Vers", "To")) } th.num { (tr!(lang, "Livraisons", "Shipments")) } th.num { (tr!(lang, "Contenants", "Containers")) } th.num { "km" } } }
            tbody { @for f in &d.flows {
                tr { td { (places.get(index(&f.from_site_id).unwrap_or(usize::MAX)).map_or("?", |p| p.name)) } td { (places.get(index(&f.to_site_id).unwrap_or(usize::MAX)).map_or("?", |p| p.name)) } td.num { (f.shipments) } td.num { (f.containers) } td.num { (number(lang, f.vehicle_km, 1)) } }
            } }
        } } }
        h2 { (tr!(lang, "Retours par magasin", "Returns by shop")) }
        div.curves {
            figure { (charts::curve(tr!(lang, "Toute la boucle", "The whole loop"), &points(&d.all), 90.0)) figcaption { (tr!(lang, "Toute la boucle", "The whole loop")) } }
            @for s in &d.shops {
                figure data-shop=(s.site_id) {
                    (charts::curve(s.name.as_deref().unwrap_or(&s.site_id), &points(&s.curve), 90.0))
                    figcaption { (s.name.as_deref().unwrap_or(&s.site_id)) " · " (tr!(lang, "taux de retour ", "return rate ")) (s.curve.return_rate.map(|r| format!("{} %", number(lang, r * 100.0, 0))).unwrap_or_else(|| "–".into())) }
                }
            }
        }
        h2 { (tr!(lang, "Télécharger (CSV)", "Download (CSV)")) }
        ul.downloads {
            li { a href={ "/dashboard/loop.csv?" (q) } { (tr!(lang, "Indicateurs de la période", "The period's figures")) } }
            li { a href={ "/dashboard/monthly.csv?" (q) } { (tr!(lang, "Indicateurs par mois", "Figures by month")) } }
            li { a href={ "/dashboard/flows.csv?" (q) } { (tr!(lang, "Flux entre sites", "Flows between sites")) } }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "La boucle en un coup d'œil", "The loop at a glance"),
        body,
        &[],
    ))
}

fn points(c: &crate::domain::trips::ReturnCurve) -> Vec<(f64, f64)> {
    c.curve
        .iter()
        .map(|p| (p.days as f64, p.returned_share))
        .collect()
}

/// `GET /dashboard/{loop|monthly|flows}.csv?from=&to=`: the same CSV as the API's.
pub async fn csv(
    state: State,
    staff: Staff,
    path: web::Path<String>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let lang = staff.lang;
    let (from, to) = period(lang, &query)?;
    let d = data(&state, from, to).await?;
    let scope = Scope::default();
    let text = match path.as_str() {
        "loop" => csv_text(
            &[LEAD, FIELDS].concat(),
            &[to_json(&d.report, &scope, None)?],
        ),
        "monthly" => {
            let rows = d
                .monthly
                .iter()
                .map(|(m, r)| to_json(r, &scope, Some(m)))
                .collect::<Result<Vec<_>, _>>()?;
            csv_text(&[&["month"], LEAD, FIELDS].concat(), &rows)
        }
        "flows" => crate::http::flows::flows_csv(d.flows, &d.sites),
        _ => {
            return Err(PageError::shown(
                StatusCode::NOT_FOUND,
                lang,
                "CSV",
                tr!(lang, "Ce fichier n'existe pas.", "There is no such file."),
            ))
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!(
                "attachment; filename=\"boucle-{}-{from}-{to}.csv\"",
                path.as_str()
            ),
        ))
        .body(text))
}
