//! The forms of the management page: each checked as the API checks it, then back to the
//! page saying what was added or what was wrong.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::once::{once, Done};
use super::session::Staff;
use super::{see_other, tr, words, Lang, PageError};
use crate::db::audit::By;
use crate::db::catalog::{self, now};
use crate::db::users::{self, NewUser, Refusal};
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::http::catalog::{set_route, site_of, type_of, NewSite, NewType};
use crate::http::{write, State};

/// Back to the page at `section`, saying what was done or what was wrong, in words signed
/// for this session: the page shows no text that a link from elsewhere put in its address.
fn back(staff: &Staff, section: &str, result: Result<String, String>) -> HttpResponse {
    let (key, text) = match result {
        Ok(done) => ("done", done),
        Err(why) => ("error", why),
    };
    see_other(format!(
        "/manage?{key}={}&sig={}#{section}",
        words::url_encode(&text),
        words::signature(&staff.session.csrf, &format!("{key}:{text}"))
    ))
}

/// The answer of a management form: back to the page, the form given back when it was refused.
fn answered(response: HttpResponse) -> Result<Done, PageError> {
    match Done::redirect(response)? {
        Done::Go(to) if to.starts_with("/manage?error=") => Ok(Done::Refused(to)),
        done => Ok(done),
    }
}

/// A number typed in a form: dot or comma decimals.
fn decimal(field: &str, text: &str) -> Result<f64, String> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .map_err(|_| format!("{field}: {text:?} is not a number"))
}

fn optional_decimal(field: &str, text: &str) -> Result<Option<f64>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        decimal(field, text).map(Some)
    }
}

fn message(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Client { message, .. } => Ok(message),
        other => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct SiteForm {
    csrf: String,
    #[serde(default)]
    once: String,
    name: String,
    kind: String,
    lat: String,
    lon: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    email: String,
}

/// `POST /manage/sites`.
pub async fn add_site(
    state: State,
    staff: Staff,
    form: web::Form<SiteForm>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let key = f.once.clone();
    once(&state, &staff, &key, async {
        let answer: Result<HttpResponse, PageError> = async {
            let (lat, lon) = match (decimal("lat", &f.lat), decimal("lon", &f.lon)) {
                (Ok(a), Ok(o)) => (a, o),
                (Err(e), _) | (_, Err(e)) => return Ok(back(&staff, "sites", Err(e))),
            };
            let new = NewSite {
                id: None,
                name: f.name,
                kind: f.kind,
                lat,
                lon,
                address: Some(f.address),
                email: Some(f.email),
            };
            let site = match site_of(new) {
                Ok(s) => s,
                Err((_, e)) => return Ok(back(&staff, "sites", Err(message(e)?))),
            };
            let name = site.name.clone();
            write(&state, move |conn| Ok(catalog::insert_site(conn, &site)?)).await?;
            Ok(back(&staff, "sites", Ok(name)))
        }
        .await;
        answer.and_then(answered)
    })
    .await
}

#[derive(Deserialize)]
pub struct RouteForm {
    csrf: String,
    #[serde(default)]
    once: String,
    from: String,
    to: String,
    km: String,
}

/// `POST /manage/routes`.
pub async fn put_route(
    state: State,
    staff: Staff,
    form: web::Form<RouteForm>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let key = f.once.clone();
    once(&state, &staff, &key, async {
        let answer: Result<HttpResponse, PageError> = async {
            let km = match decimal("km", &f.km) {
                Ok(k) => k,
                Err(e) => return Ok(back(&staff, "routes", Err(e))),
            };
            match write(&state, move |conn| set_route(conn, f.from, f.to, km)).await {
                Ok(r) => Ok(back(&staff, "routes", Ok(format!("{} km", r.distance_km)))),
                Err(e) => Ok(back(&staff, "routes", Err(message(e)?))),
            }
        }
        .await;
        answer.and_then(answered)
    })
    .await
}

#[derive(Deserialize)]
pub struct TypeForm {
    csrf: String,
    #[serde(default)]
    once: String,
    name: String,
    material: String,
    #[serde(default)]
    capacity_ml: String,
    tare_mass_g: String,
    single_use_mass_g: String,
}

/// `POST /manage/types`.
pub async fn add_type(
    state: State,
    staff: Staff,
    form: web::Form<TypeForm>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let key = f.once.clone();
    once(&state, &staff, &key, async {
        let answer: Result<HttpResponse, PageError> = async {
            let numbers = (
                optional_decimal("capacity_ml", &f.capacity_ml),
                decimal("tare_mass_g", &f.tare_mass_g),
                decimal("single_use_mass_g", &f.single_use_mass_g),
            );
            let (capacity_ml, tare_mass_g, single_use_mass_g) = match numbers {
                (Ok(c), Ok(t), Ok(s)) => (c, t, s),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    return Ok(back(&staff, "types", Err(e)))
                }
            };
            let new = NewType {
                id: None,
                name: f.name,
                material: f.material,
                capacity_ml,
                tare_mass_g,
                single_use_mass_g,
            };
            let t = match type_of(new) {
                Ok(t) => t,
                Err((_, e)) => return Ok(back(&staff, "types", Err(message(e)?))),
            };
            let name = t.name.clone();
            write(&state, move |conn| Ok(catalog::insert_type(conn, &t)?)).await?;
            Ok(back(&staff, "types", Ok(name)))
        }
        .await;
        answer.and_then(answered)
    })
    .await
}

#[derive(Deserialize)]
pub struct FactorForm {
    csrf: String,
    #[serde(default)]
    once: String,
    kind: String,
    #[serde(default)]
    subject: String,
    value: String,
    source: String,
}

/// `POST /manage/factors`.
pub async fn add_factor(
    state: State,
    staff: Staff,
    form: web::Form<FactorForm>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let key = f.once.clone();
    once(&state, &staff, &key, async {
        let answer: Result<HttpResponse, PageError> = async {
            let value = match decimal("value", &f.value) {
                Ok(v) => v,
                Err(e) => return Ok(back(&staff, "factors", Err(e))),
            };
            match write(&state, move |conn| {
                crate::http::factors::add(conn, f.kind, f.subject, value, &f.source)
            })
            .await
            {
                Ok(factor) => Ok(back(
                    &staff,
                    "factors",
                    Ok(format!(
                        "{} {} v{}",
                        factor.kind, factor.subject, factor.version
                    )),
                )),
                Err(e) => Ok(back(&staff, "factors", Err(message(e)?))),
            }
        }
        .await;
        answer.and_then(answered)
    })
    .await
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    #[serde(default)]
    once: String,
    email: String,
    role: String,
    #[serde(default)]
    site: String,
    language: String,
    password: String,
}

fn said(lang: Lang, why: &Refusal) -> String {
    match (why, lang) {
        (Refusal::Email(e), Lang::Fr) => format!("« {e} » n'est pas une adresse e-mail."),
        (Refusal::Email(e), Lang::En) => format!("\"{e}\" is not an e-mail address."),
        (Refusal::ShortPassword, Lang::Fr) => format!(
            "Le mot de passe doit avoir au moins {} caractères.",
            users::MIN_PASSWORD
        ),
        (Refusal::ShortPassword, Lang::En) => format!(
            "The password must have at least {} characters.",
            users::MIN_PASSWORD
        ),
        (Refusal::Taken(e), Lang::Fr) => format!("{e} a déjà un compte."),
        (Refusal::Taken(e), Lang::En) => format!("{e} has an account already."),
        (Refusal::NeedsSite(r), Lang::Fr) => format!(
            "Un utilisateur {} travaille sur un site : choisissez-le.",
            r.as_str()
        ),
        (Refusal::NeedsSite(r), Lang::En) => {
            format!("A {} user works at a site: choose it.", r.as_str())
        }
        (Refusal::NoSite(r), Lang::Fr) => format!(
            "Un {} travaille sur tous les sites : ne choisissez pas de site.",
            r.as_str()
        ),
        (Refusal::NoSite(r), Lang::En) => {
            format!("A {} works across sites: choose no site.", r.as_str())
        }
        (Refusal::UnknownSite(id), _) => format!("{id} ?"),
        (Refusal::WrongSite(r, name, kind), Lang::Fr) => format!(
            "Un utilisateur {} ne travaille pas à {name}, qui est un site {kind}.",
            r.as_str()
        ),
        (Refusal::WrongSite(r, name, kind), Lang::En) => format!(
            "A {} user does not work at {name}, which is a {kind} site.",
            r.as_str()
        ),
    }
}

/// `POST /manage/users` (admins).
pub async fn add_user(
    state: State,
    staff: Staff,
    req: HttpRequest,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let lang = staff.lang;
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let key = f.once.clone();
    once(&state, &staff, &key, async {
        let answer: Result<HttpResponse, PageError> = async {
            if staff.session.actor.role != Role::Admin {
                return Err(PageError::shown(
                    StatusCode::FORBIDDEN,
                    lang,
                    tr!(lang, "Utilisateurs", "Users"),
                    tr!(
                        lang,
                        "Seuls les administrateurs ajoutent des utilisateurs.",
                        "Only admins add users."
                    ),
                ));
            }
            let (Some(role), Some(language)) = (Role::parse(&f.role), Lang::parse(&f.language))
            else {
                return Ok(back(
                    &staff,
                    "users",
                    Err(format!("{} / {}", f.role, f.language)),
                ));
            };
            let client = crate::http::throttle::client_address(&req, &state.config.trusted_proxies);
            let admin = staff.session.actor.clone();
            let added = write(&state, move |conn| {
                let site = Some(f.site.as_str()).filter(|s| !s.is_empty());
                let new = NewUser {
                    email: &f.email,
                    role,
                    site_id: site,
                    language,
                    password: &f.password,
                };
                let by = By::user(&admin.user_id, &admin.email, &client);
                Ok(users::add(conn, &new, &by, now())?)
            })
            .await?;
            Ok(match added {
                Ok(u) => back(&staff, "users", Ok(u.email)),
                Err(why) => back(&staff, "users", Err(said(lang, &why))),
            })
        }
        .await;
        answer.and_then(answered)
    })
    .await
}
