//! The page behind every QR code, `/c/{code}`: for anyone who scans a jar with a phone, what
//! the container is, how often it has been used, the waste that saved, and where to bring it
//! back. No personal data, no sign-in. Signed-in staff also get the actions of their role.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout;
use super::once::{key_field, once, Done};
use super::session::{Staff, Visitor};
use super::{tr, words, Lang, PageError};
use crate::db::catalog;
use crate::db::containers::find_by_code;
use crate::db::models::{Container, ContainerType, Site};
use crate::db::scans::{EventRequest, Status};
use crate::domain::code::parse_any;
use crate::domain::roles::Role;
use crate::domain::state::{Action, SiteKind};
use crate::http::{read, record, State};

fn not_found(lang: Lang) -> PageError {
    PageError::shown(
        StatusCode::NOT_FOUND,
        lang,
        tr!(lang, "Contenant inconnu", "Unknown container"),
        tr!(
            lang,
            "Aucun contenant de la boucle n'a ce code. Vérifiez le code imprimé sous le QR code.",
            "No container of the loop has this code. Check the code printed under the QR code."
        ),
    )
}

async fn container(
    state: &State,
    lang: Lang,
    code: &str,
) -> Result<(Container, ContainerType, Vec<Site>), PageError> {
    let config = &state.config;
    let parsed =
        parse_any(code, &config.code_prefix, config.gs1.as_ref()).map_err(|_| not_found(lang))?;
    let found = read(state, move |conn| {
        let Some(c) = find_by_code(conn, &parsed.code)? else {
            return Ok(None);
        };
        let Some(t) = catalog::find_type(conn, &c.type_id)? else {
            return Ok(None);
        };
        Ok(Some((c, t, catalog::list_sites(conn)?)))
    })
    .await?;
    found.ok_or_else(|| not_found(lang))
}

/// The actions a role takes on a container from its page, at its own site.
fn actions(role: Role) -> &'static [Action] {
    match role {
        Role::Shop => &[Action::Return, Action::Sell, Action::Break],
        Role::Producer => &[Action::Fill, Action::Break],
        Role::Washer => &[Action::Break],
        Role::Coordinator | Role::Admin => &[],
    }
}

fn action_label(lang: Lang, a: Action) -> &'static str {
    match a {
        Action::Return => tr!(lang, "Enregistrer le retour", "Record as returned"),
        Action::Sell => tr!(lang, "Enregistrer la vente", "Record as sold"),
        Action::Fill => tr!(lang, "Enregistrer le remplissage", "Record as filled"),
        _ => tr!(lang, "Signaler cassé", "Report broken"),
    }
}

/// What the page says after an action, by the key its redirect carries: the page shows only
/// its own words, never text from the address.
fn done_words(lang: Lang, key: &str) -> Option<&'static str> {
    Some(match key {
        "return" => words::recorded(lang, false),
        "duplicate" => words::recorded(lang, true),
        "sell" => tr!(lang, "Vente enregistrée", "Sale recorded"),
        "fill" => tr!(lang, "Remplissage enregistré", "Fill recorded"),
        "break" => tr!(lang, "Casse enregistrée", "Breakage recorded"),
        _ => return None,
    })
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// `GET /c/{code}`.
pub async fn page(
    state: State,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<Markup, PageError> {
    let lang = visitor.lang;
    let (c, t, sites) = container(&state, lang, &path).await?;
    let retired = c.retired_reason.is_some();
    let saved_kg = c.uses as f64 * t.single_use_mass_g / 1000.0;
    let shops: Vec<&Site> = sites
        .iter()
        .filter(|s| SiteKind::parse(&s.kind) == Some(SiteKind::Shop))
        .collect();
    let staff_site = visitor.session.as_ref().and_then(|s| {
        let site = s.actor.site_id.as_ref()?;
        Some((s, sites.iter().find(|x| &x.id == site)?))
    });
    let title = format!("{} {}", t.name, c.code);
    let body = html! {
        @if let Some(done) = query.done.as_deref().and_then(|key| done_words(lang, key)) {
            p.result.ok role="status" { (done) }
        }
        dl.facts {
            dt { (tr!(lang, "Contenant", "Container")) } dd { (t.name) " (" (t.material) ")" }
            dt { (tr!(lang, "Utilisations", "Uses")) } dd #uses { (c.uses) }
            dt { (tr!(lang, "Emballages jetables évités", "Single-use packaging avoided")) }
            dd #saved { (format_kg(lang, saved_kg)) }
        }
        @if retired {
            p.notice { (tr!(lang, "Ce contenant a été retiré de la boucle.", "This container has been retired from the loop.")) }
        } @else {
            p { (tr!(lang, "Rapportez-le vide dans l'un de ces magasins :", "Bring it back empty to one of these shops:")) }
            ul #shops {
                @for s in &shops {
                    li {
                        strong { (s.name) }
                        @if let Some(a) = &s.address { br; (a) }
                        br;
                        a href={ "https://www.openstreetmap.org/?mlat=" (s.lat) "&mlon=" (s.lon) "#map=17/" (s.lat) "/" (s.lon) } {
                            (format!("{:.5}, {:.5}", s.lat, s.lon))
                        }
                    }
                }
            }
        }
        @if let Some((session, site)) = staff_site {
            section.card {
                h2 { (site.name) }
                @for a in actions(session.actor.role) {
                    form method="post" action={ "/c/" (c.code) "/scan" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        (key_field())
                        input type="hidden" name="action" value=(a.as_str());
                        button type="submit" { (action_label(lang, *a)) }
                    }
                }
            }
        }
    };
    Ok(layout::page(&visitor, &title, body, &[]))
}

fn format_kg(lang: Lang, kg: f64) -> String {
    let text = if kg < 1.0 {
        format!("{:.0} g", kg * 1000.0)
    } else {
        format!("{kg:.1} kg")
    };
    match lang {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

#[derive(Deserialize)]
pub struct ScanForm {
    csrf: String,
    #[serde(default)]
    once: String,
    action: String,
}

/// `POST /c/{code}/scan`: one action of the staff's role, at their site.
pub async fn scan(
    state: State,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<ScanForm>,
) -> Result<HttpResponse, PageError> {
    let lang = staff.lang;
    staff.check_csrf(&form.csrf)?;
    let actor = staff.session.actor.clone();
    let action = Action::parse(&form.action).filter(|a| actions(actor.role).contains(a));
    let (Some(action), Some(site)) = (action, actor.site_id.clone()) else {
        return Err(PageError::shown(
            StatusCode::FORBIDDEN,
            lang,
            tr!(lang, "Action refusée", "Action refused"),
            tr!(
                lang,
                "Votre compte ne fait pas cette action.",
                "Your account does not do this."
            ),
        ));
    };
    once(&state, &staff, &form.once, async {
        let now = catalog::now();
        let code = path.into_inner();
        let req = EventRequest {
            id: None,
            code: code.clone(),
            action,
            site_id: site,
            to_site_id: None,
            at: now,
            shipment_id: None,
            batch_id: None,
            reason: None,
        };
        let o = record(&state, &actor, now, move |conn, rec| {
            Ok(rec.record(conn, &req)?)
        })
        .await?;
        if o.status == Status::Rejected {
            let why = o.error.as_ref().map_or("", |e| e.code);
            return Err(PageError::shown(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                tr!(lang, "Rien n'a été enregistré", "Nothing was recorded"),
                words::refusal_of(lang, action, why),
            ));
        }
        let done = match o.status {
            Status::Duplicate => "duplicate",
            _ => action.as_str(),
        };
        Ok(Done::Go(format!("/c/{}?done={done}", o.code)))
    })
    .await
}
