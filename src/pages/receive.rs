//! Receiving a shipment at any site: the shipments on their way here, then for one, scan the
//! codes that arrived or receive all, and see what is missing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::once::{key_field, once, Done};
use super::session::Staff;
use super::work::{codes, outcomes, site_for, site_picker, when};
use super::{layout, tr, Lang, PageError};
use crate::db::catalog::now;
use crate::db::models::Site;
use crate::db::scans::Outcome;
use crate::db::shipments::{self, ShipmentReport};
use crate::domain::state::{Action, SiteKind};
use crate::http::{read, record, refused, State};

const ANY: &[SiteKind] = &[
    SiteKind::Shop,
    SiteKind::Washer,
    SiteKind::Producer,
    SiteKind::Company,
    SiteKind::Hub,
];

#[derive(Deserialize)]
pub struct SiteQuery {
    site: Option<String>,
}

fn name<'a>(sites: &'a [Site], id: &'a str) -> &'a str {
    sites
        .iter()
        .find(|s| s.id == id)
        .map_or(id, |s| s.name.as_str())
}

/// `GET /receive`: the shipments coming here.
pub async fn list(
    state: State,
    staff: Staff,
    query: web::Query<SiteQuery>,
) -> Result<Markup, PageError> {
    let lang = staff.lang;
    let (site, sites) = site_for(&state, &staff, query.site.as_deref(), ANY).await?;
    let id = site.id.clone();
    let inbound = read(&state, move |conn| Ok(shipments::inbound(conn, &id)?)).await?;
    let body = html! {
        p.site { (site.name) }
        (site_picker(&staff, "/receive", &site, &sites, SiteKind::parse(&site.kind).unwrap_or(SiteKind::Shop)))
        @if inbound.is_empty() {
            p #no-inbound { (tr!(lang, "Aucune livraison en route vers ce site.", "No shipment on its way to this site.")) }
        } @else {
            div.table-wrap {
                table #inbound {
                    thead { tr {
                        th { (tr!(lang, "De", "From")) } th { (tr!(lang, "Partie le", "Left")) }
                        th.num { (tr!(lang, "En route", "On the way")) } th {}
                    } }
                    tbody {
                        @for (s, n) in &inbound {
                            tr {
                                td { (name(&sites, &s.from_site_id)) }
                                td { (when(s.departed_at)) }
                                td.num { (n) }
                                td { a href={ "/receive/" (s.id) } { (tr!(lang, "Réceptionner", "Receive")) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Réception", "Receiving"),
        body,
        &[],
    ))
}

async fn shipment(
    state: &State,
    staff: &Staff,
    id: String,
) -> Result<(ShipmentReport, Vec<Site>), PageError> {
    let lang = staff.lang;
    let actor = staff.session.actor.clone();
    let found = read(state, move |conn| {
        let Some(s) = shipments::find(conn, &id)? else {
            return Ok(None);
        };
        Ok(Some((
            shipments::summary(conn, s)?,
            crate::db::catalog::list_sites(conn)?,
        )))
    })
    .await?;
    match found {
        Some((r, sites)) if actor.may_act_at(&r.shipment.to_site_id) => Ok((r, sites)),
        Some(_) => Err(PageError::shown(
            StatusCode::FORBIDDEN,
            lang,
            tr!(lang, "Réception", "Receiving"),
            tr!(
                lang,
                "Seul le site de destination réceptionne cette livraison.",
                "Only the destination receives this shipment."
            ),
        )),
        None => Err(PageError::shown(
            StatusCode::NOT_FOUND,
            lang,
            tr!(lang, "Réception", "Receiving"),
            tr!(
                lang,
                "Cette livraison n'existe pas.",
                "There is no such shipment."
            ),
        )),
    }
}

fn shipment_page(staff: &Staff, r: &ShipmentReport, sites: &[Site], results: &[Outcome]) -> Markup {
    let lang: Lang = staff.lang;
    let s = &r.shipment;
    let body = html! {
        dl.facts {
            dt { (tr!(lang, "De", "From")) } dd { (name(sites, &s.from_site_id)) }
            dt { (tr!(lang, "Vers", "To")) } dd { (name(sites, &s.to_site_id)) }
            dt { (tr!(lang, "Partie le", "Left")) } dd { (when(s.departed_at)) }
            dt { (tr!(lang, "Contenants", "Containers")) } dd #shipped { (r.containers) }
        }
        (outcomes(lang, Action::Receive, results))
        @if r.missing.is_empty() {
            p.result.ok #complete role="status" { (tr!(lang, "Tout est arrivé.", "Everything has arrived.")) }
        } @else {
            form.card method="post" action={ "/receive/" (s.id) } {
                input type="hidden" name="csrf" value=(staff.session.csrf);
                (key_field())
                label for="codes" { (tr!(lang, "Codes arrivés (un par ligne ; la douchette passe à la ligne)", "Codes that arrived (one per line; the hand scanner starts a new line)")) }
                textarea #codes name="codes" rows="6" autofocus {}
                button.primary type="submit" name="all" value="no" { (tr!(lang, "Réceptionner ces codes", "Receive these codes")) }
                button type="submit" name="all" value="yes" { (tr!(lang, "Tout réceptionner", "Receive all")) }
            }
            h2 { (tr!(lang, "Encore en route", "Still on the way")) " (" span #missing-count { (r.missing.len()) } ")" }
            ul #missing { @for c in &r.missing { li { (c) } } }
        }
    };
    layout::page(
        &staff.visitor,
        tr!(lang, "Réception d'une livraison", "Receiving a shipment"),
        body,
        &[],
    )
}

/// `GET /receive/{id}`.
pub async fn page(
    state: State,
    staff: Staff,
    path: web::Path<String>,
) -> Result<Markup, PageError> {
    let (r, sites) = shipment(&state, &staff, path.into_inner()).await?;
    Ok(shipment_page(&staff, &r, &sites, &[]))
}

#[derive(Deserialize)]
pub struct ReceiveForm {
    csrf: String,
    #[serde(default)]
    once: String,
    #[serde(default)]
    codes: String,
    all: String,
}

/// `POST /receive/{id}`: the codes scanned, or all still on board; answers with each
/// code's outcome and what is still missing; once per form.
pub async fn submit(
    state: State,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<ReceiveForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    once(&state, &staff, &f.once, async {
        let (r, _) = shipment(&state, &staff, path.into_inner()).await?;
        let chosen = (f.all != "yes").then(|| codes(&f.codes));
        let now = now();
        let user = staff.session.actor.clone();
        let report = record(&state, &user, now, move |conn, rec| {
            shipments::receive(conn, rec, r.shipment, now, chosen)?.map_err(refused)
        })
        .await?;
        let (after, sites) = shipment(&state, &staff, report.shipment.id.clone()).await?;
        Ok(Done::Page(shipment_page(
            &staff,
            &after,
            &sites,
            &report.results,
        )))
    })
    .await
}
