//! The washer's batches: open one by scanning dirty containers in, complete it with its
//! rejects (broken, or to wash again) and the water and energy used; the day's batches.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use maud::{html, Markup};
use serde::Deserialize;

use super::once::{key_field, once, Done};
use super::session::Staff;
use super::work::{codes, number, outcomes, site_for, site_picker, when};
use super::{layout, tr, Lang, PageError};
use crate::db::catalog::now;
use crate::db::models::WashBatch;
use crate::db::scans::Outcome;
use crate::db::wash::{self, BatchReport, Completion, NewBatch};
use crate::domain::bounds::{self, Bound};
use crate::domain::state::{Action, SiteKind, REJECT_REWASH};
use crate::http::{read, record, refused, State};

const WASHERS: &[SiteKind] = &[SiteKind::Washer, SiteKind::Hub];

#[derive(Deserialize)]
pub struct SiteQuery {
    site: Option<String>,
}

fn batches_table(lang: Lang, batches: &[WashBatch]) -> Markup {
    html! {
        div.table-wrap {
            table #batches {
                thead { tr {
                    th { (tr!(lang, "Commencé", "Started")) } th { (tr!(lang, "Programme", "Program")) }
                    th.num { (tr!(lang, "Lavés", "Washed")) } th.num { (tr!(lang, "Rebuts", "Rejected")) }
                    th { (tr!(lang, "État", "State")) }
                } }
                tbody {
                    @for b in batches {
                        tr {
                            td { a href={ "/washer/batches/" (b.id) } { (when(b.started_at)) } }
                            td { (b.program.as_deref().unwrap_or("")) }
                            td.num { (b.washed) }
                            td.num { (b.rejected) }
                            td { @if b.finished_at.is_some() { (tr!(lang, "terminé", "done")) } @else { strong { (tr!(lang, "en cours", "running")) } } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /washer`: today's batches and the form to open one.
pub async fn page(
    state: State,
    staff: Staff,
    query: web::Query<SiteQuery>,
) -> Result<Markup, PageError> {
    let lang = staff.lang;
    let (site, sites) = site_for(&state, &staff, query.site.as_deref(), WASHERS).await?;
    let id = site.id.clone();
    let midnight = now().date().and_hms_opt(0, 0, 0).unwrap_or_else(now);
    let batches = read(&state, move |conn| Ok(wash::at_site(conn, &id, midnight)?)).await?;
    let body = html! {
        p.site { (site.name) }
        (site_picker(&staff, "/washer", &site, &sites, SiteKind::Washer))
        (batches_table(lang, &batches))
        form.card method="post" action="/washer/batches" {
            h2 { (tr!(lang, "Nouveau lot", "New batch")) }
            input type="hidden" name="csrf" value=(staff.session.csrf);
            (key_field())
            input type="hidden" name="site" value=(site.id);
            label for="codes" { (tr!(lang, "Contenants chargés (un code par ligne)", "Containers loaded (one code per line)")) }
            textarea #codes name="codes" rows="6" required {}
            label for="program" { (tr!(lang, "Programme", "Program")) }
            input #program type="text" name="program";
            label for="temperature" { (tr!(lang, "Température (°C)", "Temperature (°C)")) }
            input #temperature type="number" name="temperature_c" step="any";
            button.primary type="submit" { (tr!(lang, "Ouvrir le lot", "Open the batch")) }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Lavage", "Washing"),
        body,
        &[],
    ))
}

fn optional_number(
    lang: Lang,
    field: &str,
    text: &str,
    bound: &Bound,
) -> Result<Option<f64>, PageError> {
    let t = text.trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if bound.contains(v) => Ok(Some(v)),
        _ => Err(PageError::shown(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            tr!(lang, "Valeur refusée", "Value refused"),
            match lang {
                Lang::Fr => format!(
                    "{field} : « {text} » n'est pas un nombre de {} à {} {}.",
                    bound.min, bound.max, bound.unit
                ),
                Lang::En => format!(
                    "{field}: \"{text}\" is not a number from {} to {} {}.",
                    bound.min, bound.max, bound.unit
                ),
            },
        )),
    }
}

#[derive(Deserialize)]
pub struct OpenForm {
    csrf: String,
    #[serde(default)]
    once: String,
    site: String,
    codes: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    temperature_c: String,
}

/// `POST /washer/batches`: once per form.
pub async fn open(
    state: State,
    staff: Staff,
    form: web::Form<OpenForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let lang = staff.lang;
        let (site, _) = site_for(&state, &staff, Some(&f.site), WASHERS).await?;
        let now = now();
        let req = NewBatch {
            id: None,
            site_id: site.id,
            codes: codes(&f.codes),
            started_at: now,
            program: Some(f.program.trim().to_owned()).filter(|p| !p.is_empty()),
            temperature_c: optional_number(
                lang,
                tr!(lang, "Température", "Temperature"),
                &f.temperature_c,
                &bounds::TEMPERATURE_C,
            )?,
        };
        let user = staff.session.actor.clone();
        let report = record(&state, &user, now, move |conn, rec| {
            wash::open(conn, rec, &req)?.map_err(refused)
        })
        .await?;
        Ok(Done::Page(
            batch_page(&state, &staff, report, Action::Wash).await?,
        ))
    })
    .await
}

async fn batch_page(
    state: &State,
    staff: &Staff,
    r: BatchReport,
    action: Action,
) -> Result<Markup, PageError> {
    let lang = staff.lang;
    let id = r.batch.id.clone();
    let inside = read(state, move |conn| Ok(wash::codes_in(conn, &id)?)).await?;
    let b = &r.batch;
    let results: &[Outcome] = &r.results;
    let body = html! {
        dl.facts {
            dt { (tr!(lang, "Commencé", "Started")) } dd { (when(b.started_at)) }
            dt { (tr!(lang, "Programme", "Program")) } dd { (b.program.as_deref().unwrap_or("")) }
            dt { (tr!(lang, "Dans la machine", "In the machine")) } dd #inside { (inside.len()) }
            @if let Some(f) = b.finished_at {
                dt { (tr!(lang, "Terminé", "Finished")) } dd { (when(f)) }
                dt { (tr!(lang, "Lavés", "Washed")) } dd #washed { (b.washed) }
                dt { (tr!(lang, "Rebuts", "Rejected")) } dd #rejected { (b.rejected) }
                dt { (tr!(lang, "Eau", "Water")) } dd { (b.water_l.map(|w| number(lang, w, 1) + " L").unwrap_or_default()) }
                dt { (tr!(lang, "Énergie", "Energy")) } dd { (b.energy_kwh.map(|e| number(lang, e, 1) + " kWh").unwrap_or_default()) }
            }
        }
        (outcomes(lang, action, results))
        @if b.finished_at.is_none() {
            form.card method="post" action={ "/washer/batches/" (b.id) "/complete" } {
                h2 { (tr!(lang, "Terminer le lot", "Complete the batch")) }
                input type="hidden" name="csrf" value=(staff.session.csrf);
                (key_field())
                label for="broken" { (tr!(lang, "Cassés (retirés de la boucle), un code par ligne", "Broken (retired from the loop), one code per line")) }
                textarea #broken name="broken" rows="3" {}
                label for="rewash" { (tr!(lang, "À relaver, un code par ligne", "To wash again, one code per line")) }
                textarea #rewash name="rewash" rows="3" {}
                label for="water" { (tr!(lang, "Eau utilisée (L)", "Water used (L)")) }
                input #water type="number" name="water_l" step="any" min="0";
                label for="energy" { (tr!(lang, "Énergie utilisée (kWh)", "Energy used (kWh)")) }
                input #energy type="number" name="energy_kwh" step="any" min="0";
                button.primary type="submit" { (tr!(lang, "Terminer : le reste sort propre", "Complete: the rest comes out clean")) }
            }
            details { summary { (tr!(lang, "Contenants du lot", "Containers in the batch")) } ul { @for c in &inside { li { (c) } } } }
        }
        p { a href="/washer" { (tr!(lang, "Tous les lots", "All batches")) } }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Lot de lavage", "Wash batch"),
        body,
        &[],
    ))
}

async fn batch_of(state: &State, staff: &Staff, id: String) -> Result<WashBatch, PageError> {
    let lang = staff.lang;
    let batch = read(state, move |conn| Ok(wash::find(conn, &id)?)).await?;
    match batch {
        Some(b) if staff.session.actor.may_act_at(&b.site_id) => Ok(b),
        _ => Err(PageError::shown(
            StatusCode::NOT_FOUND,
            lang,
            tr!(lang, "Lot de lavage", "Wash batch"),
            tr!(
                lang,
                "Ce lot n'existe pas sur votre site.",
                "There is no such batch at your site."
            ),
        )),
    }
}

/// `GET /washer/batches/{id}`.
pub async fn batch(
    state: State,
    staff: Staff,
    path: web::Path<String>,
) -> Result<Markup, PageError> {
    let b = batch_of(&state, &staff, path.into_inner()).await?;
    batch_page(
        &state,
        &staff,
        BatchReport {
            batch: b,
            results: vec![],
        },
        Action::Wash,
    )
    .await
}

#[derive(Deserialize)]
pub struct CompleteForm {
    csrf: String,
    #[serde(default)]
    once: String,
    #[serde(default)]
    broken: String,
    #[serde(default)]
    rewash: String,
    #[serde(default)]
    water_l: String,
    #[serde(default)]
    energy_kwh: String,
}

/// `POST /washer/batches/{id}/complete`: once per form.
pub async fn complete(
    state: State,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<CompleteForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let lang = staff.lang;
        let b = batch_of(&state, &staff, path.into_inner()).await?;
        let mut rejected: Vec<(String, String)> = codes(&f.broken)
            .into_iter()
            .map(|c| (c, "broken".to_owned()))
            .collect();
        rejected.extend(
            codes(&f.rewash)
                .into_iter()
                .map(|c| (c, REJECT_REWASH.to_owned())),
        );
        let now = now().max(b.started_at + Duration::seconds(1));
        let done = Completion {
            finished_at: now,
            rejected,
            water_l: optional_number(
                lang,
                tr!(lang, "Eau", "Water"),
                &f.water_l,
                &bounds::WATER_L,
            )?,
            energy_kwh: optional_number(
                lang,
                tr!(lang, "Énergie", "Energy"),
                &f.energy_kwh,
                &bounds::ENERGY_KWH,
            )?,
        };
        let user = staff.session.actor.clone();
        let config = state.config.clone();
        let was_open = b.finished_at.is_none();
        let report = record(
            &state,
            &user,
            crate::db::catalog::now(),
            move |conn, rec| {
                let report = wash::complete(conn, rec, b, &done)?.map_err(refused)?;
                if was_open {
                    crate::mail::operations::check_batch(conn, &config, &report.batch, now)?;
                }
                Ok(report)
            },
        )
        .await?;
        Ok(Done::Page(
            batch_page(&state, &staff, report, Action::Reject).await?,
        ))
    })
    .await
}
