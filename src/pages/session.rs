//! Who is looking at a page: the language, and the signed-in session if any, from the
//! session cookie. Forms and scripts of a session send its CSRF token back.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};

use super::{tr, Lang, PageError};
use crate::db::sessions::{self, WebSession};
use crate::http::AppState;

pub const SESSION_COOKIE: &str = "boucle_session";
pub const LANG_COOKIE: &str = "boucle_lang";

/// Anyone: their language, and their session when signed in.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Lang,
    pub session: Option<WebSession>,
    /// The path asked for, to come back to after signing in.
    pub path: String,
}

/// A signed-in user; pages that need one send others to the sign-in page.
#[derive(Debug, Clone)]
pub struct Staff {
    pub lang: Lang,
    pub session: WebSession,
    pub visitor: Visitor,
}

impl Staff {
    /// Refuses a form or script whose token is not this session's: a page of another site
    /// cannot make a signed-in browser act.
    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if !token.is_empty() && constant_time_eq(token.as_bytes(), self.session.csrf.as_bytes()) {
            return Ok(());
        }
        let lang = self.lang;
        Err(PageError::shown(
            StatusCode::FORBIDDEN,
            lang,
            tr!(lang, "Formulaire expiré", "Form expired"),
            tr!(
                lang,
                "Ce formulaire ne vient pas de cette session ; rechargez la page et recommencez.",
                "This form does not come from this session; reload the page and try again."
            ),
        ))
    }
}

impl Staff {
    /// Refuses users who do not run the loop.
    pub fn coordinator(&self) -> Result<(), PageError> {
        if self.session.actor.role.manages_loop() {
            return Ok(());
        }
        let lang = self.lang;
        Err(PageError::shown(
            StatusCode::FORBIDDEN,
            lang,
            tr!(lang, "Réservé à la coordination", "For coordinators"),
            tr!(
                lang,
                "Cette page est celle des coordinateurs de la boucle ; ouvrez celle de votre rôle depuis le menu.",
                "This page is the loop coordinators'; open your role's page from the menu."
            ),
        ))
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The language: `?lang=` first, then the cookie it sets, then the user's, then the
/// browser's; French otherwise.
fn language(req: &HttpRequest, session: Option<&WebSession>) -> Lang {
    let asked = req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("lang="));
    let cookie = req.cookie(LANG_COOKIE);
    let from_browser = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|first| {
            if first.trim().starts_with("en") {
                "en"
            } else {
                "fr"
            }
        });
    asked
        .and_then(Lang::parse)
        .or_else(|| cookie.and_then(|c| Lang::parse(c.value())))
        .or_else(|| session.and_then(|s| Lang::parse(&s.language)))
        .or_else(|| from_browser.and_then(Lang::parse))
        .unwrap_or(Lang::Fr)
}

/// A cookie only this site's pages read: HttpOnly, SameSite=Lax, Secure behind HTTPS.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c
}

async fn visitor_of(req: HttpRequest) -> Result<Visitor, PageError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::Internal(anyhow::anyhow!("application state missing")))?;
    let secret = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let session = match secret {
        Some(secret) => {
            let db = state.db.clone();
            web::block(move || -> anyhow::Result<Option<WebSession>> {
                let mut conn = db.write_conn()?;
                sessions::find(&mut conn, &secret, crate::db::catalog::now())
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))??
        }
        None => None,
    };
    let path = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    Ok(Visitor {
        lang: language(&req, session.as_ref()),
        session,
        path,
    })
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Visitor, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(visitor_of(req.clone()))
    }
}

impl FromRequest for Staff {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let visitor = visitor_of(req).await?;
            match visitor.session.clone() {
                Some(session) => Ok(Staff {
                    lang: visitor.lang,
                    session,
                    visitor,
                }),
                None => Err(PageError::SignIn { next: visitor.path }),
            }
        })
    }
}
