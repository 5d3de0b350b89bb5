//! The producer's stock: clean, inbound and filled containers and the days of cover per
//! type, the alerts in force; filling scanned containers, and shipping to a shop.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::once::{key_field, once, Done};
use super::session::Staff;
use super::work::{codes, number, outcomes, site_for, site_picker};
use super::{layout, tr, Lang, PageError};
use crate::db::catalog::{self, now};
use crate::db::models::Site;
use crate::db::scans::{EventRequest, Outcome};
use crate::db::shipments::{self, NewShipment};
use crate::domain::state::{Action, SiteKind};
use crate::http::{read, record, refused, State};

const FILLERS: &[SiteKind] = &[SiteKind::Producer, SiteKind::Company, SiteKind::Hub];

#[derive(Deserialize)]
pub struct SiteQuery {
    site: Option<String>,
}

async fn render(
    state: &State,
    staff: &Staff,
    site: Site,
    sites: Vec<Site>,
    done: Option<(Action, Vec<Outcome>)>,
) -> Result<Markup, PageError> {
    let lang: Lang = staff.lang;
    let id = site.id.clone();
    let (rows, types, alerts) = read(state, move |conn| {
        let today = chrono::Utc::now().date_naive();
        let rows = crate::db::stock::stock(conn, Some(&id), None, today)?;
        let alerts: Vec<_> = crate::mail::alerts::in_force(conn)?
            .into_iter()
            .filter(|a| a.site_id.as_deref() == Some(id.as_str()))
            .collect();
        Ok((rows, catalog::list_types(conn)?, alerts))
    })
    .await?;
    let type_name = |id: &str| {
        types
            .iter()
            .find(|t| t.id == id)
            .map_or(id.to_owned(), |t| t.name.clone())
    };
    let shops: Vec<&Site> = sites
        .iter()
        .filter(|s| SiteKind::parse(&s.kind) == Some(SiteKind::Shop))
        .collect();
    let body = html! {
        p.site { (site.name) }
        (site_picker(staff, "/producer", &site, &sites, SiteKind::Producer))
        @for a in &alerts {
            p.notice.alert role="alert" { (a.detail) }
        }
        div.table-wrap {
            table #stock {
                thead { tr {
                    th { (tr!(lang, "Contenant", "Container")) }
                    th.num { (tr!(lang, "Propres", "Clean")) }
                    th.num { (tr!(lang, "En route", "Inbound")) }
                    th.num { (tr!(lang, "Remplis", "Filled")) }
                    th.num { (tr!(lang, "Jours de stock", "Days of cover")) }
                } }
                tbody {
                    @for r in &rows {
                        tr data-type=(r.type_id) {
                            td { (type_name(&r.type_id)) }
                            td.num.clean { (r.clean) }
                            td.num.inbound { (r.inbound) }
                            td.num.filled { (r.filled) }
                            td.num.cover { (r.days_of_cover.map(|d| number(lang, d, 1)).unwrap_or_else(|| "–".to_owned())) }
                        }
                    }
                }
            }
        }
        @if let Some((action, results)) = &done { (outcomes(lang, *action, results)) }
        form.card method="post" action="/producer/fill" {
            h2 { (tr!(lang, "Remplissage", "Filling")) }
            input type="hidden" name="csrf" value=(staff.session.csrf);
            (key_field())
            input type="hidden" name="site" value=(site.id);
            label for="fill-codes" { (tr!(lang, "Contenants remplis (un code par ligne)", "Containers filled (one code per line)")) }
            textarea #fill-codes name="codes" rows="5" required {}
            button.primary type="submit" { (tr!(lang, "Enregistrer le remplissage", "Record the filling")) }
        }
        @if !shops.is_empty() {
            form.card method="post" action="/producer/ship" {
                h2 { (tr!(lang, "Livraison à un magasin", "Shipment to a shop")) }
                input type="hidden" name="csrf" value=(staff.session.csrf);
                (key_field())
                input type="hidden" name="site" value=(site.id);
                label for="shop" { (tr!(lang, "Magasin", "Shop")) }
                select #shop name="shop" { @for s in &shops { option value=(s.id) { (s.name) } } }
                label for="ship-codes" { (tr!(lang, "Contenants chargés (un code par ligne)", "Containers loaded (one code per line)")) }
                textarea #ship-codes name="codes" rows="5" required {}
                button.primary type="submit" { (tr!(lang, "Expédier", "Ship")) }
            }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Stock du producteur", "Producer's stock"),
        body,
        &[],
    ))
}

/// `GET /producer`.
pub async fn page(
    state: State,
    staff: Staff,
    query: web::Query<SiteQuery>,
) -> Result<Markup, PageError> {
    let (site, sites) = site_for(&state, &staff, query.site.as_deref(), FILLERS).await?;
    render(&state, &staff, site, sites, None).await
}

#[derive(Deserialize)]
pub struct CodesForm {
    csrf: String,
    /// The form's key (`once`).
    #[serde(default)]
    once: String,
    site: String,
    codes: String,
    #[serde(default)]
    shop: String,
}

/// `POST /producer/fill`: each code scanned is filled here, now; once per form.
pub async fn fill(
    state: State,
    staff: Staff,
    form: web::Form<CodesForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let (site, sites) = site_for(&state, &staff, Some(&f.site), FILLERS).await?;
        let now = now();
        let (site_id, list) = (site.id.clone(), codes(&f.codes));
        let user = staff.session.actor.clone();
        let results = record(&state, &user, now, move |conn, rec| {
            let mut out = Vec::with_capacity(list.len());
            for code in list {
                let req = EventRequest {
                    id: None,
                    code,
                    action: Action::Fill,
                    site_id: site_id.clone(),
                    to_site_id: None,
                    at: now,
                    shipment_id: None,
                    batch_id: None,
                    reason: None,
                };
                out.push(rec.record(conn, &req)?);
            }
            Ok(out)
        })
        .await?;
        let page = render(&state, &staff, site, sites, Some((Action::Fill, results))).await?;
        Ok(Done::Page(page))
    })
    .await
}

/// `POST /producer/ship`: the codes scanned leave for the shop, as one shipment; once per
/// form.
pub async fn ship(
    state: State,
    staff: Staff,
    form: web::Form<CodesForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let (site, sites) = site_for(&state, &staff, Some(&f.site), FILLERS).await?;
        let now = now();
        let req = NewShipment {
            id: None,
            from_site_id: site.id.clone(),
            to_site_id: f.shop.clone(),
            codes: codes(&f.codes),
            departed_at: now,
            distance_km: None,
            vehicle: None,
            detour_factor: state.config.detour_factor,
        };
        let user = staff.session.actor.clone();
        let report = record(&state, &user, now, move |conn, rec| {
            shipments::create(conn, rec, &req)?.map_err(refused)
        })
        .await?;
        let done = Some((Action::Ship, report.results));
        Ok(Done::Page(render(&state, &staff, site, sites, done).await?))
    })
    .await
}
