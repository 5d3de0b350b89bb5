//! Signing in with an e-mail and a password, and out. Failed attempts are counted per e-mail
//! and per client address; past the limit, sign-in waits.

use actix_web::cookie::time::Duration as CookieAge;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::layout;
use super::session::{constant_time_eq, cookie, Staff, Visitor, SESSION_COOKIE};
use super::{see_other, tr, Lang, PageError};
use crate::db::audit::{self, AuditAction, By};
use crate::db::auth::random_secret;
use crate::db::catalog::now;
use crate::db::sessions;
use crate::domain::roles::Role;
use crate::http::throttle::Attempt;
use crate::http::{throttle, write, State};

/// The double-submit cookie of the sign-in form (there is no session yet).
const FORM_COOKIE: &str = "boucle_sign_in";

/// Where a role starts its day.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Shop => "/shop",
        Role::Washer => "/washer",
        Role::Producer => "/producer",
        Role::Coordinator | Role::Admin => "/dashboard",
    }
}

/// Only paths of this site: `/x`, not `//elsewhere` or `https://...`.
/// A path of this site to go to after signing in. Only visible ASCII: browsers drop tabs and
/// line breaks from a URL, so `/\t/evil.example` would become `//evil.example`, another site,
/// and a line break in a header is refused by the server.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        let b = n.as_bytes();
        b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && b.iter().all(|c| c.is_ascii_graphic() && *c != b'\\')
    })
    .map(str::to_owned)
}

/// `GET /`: the signed-in user's first page, or the sign-in page.
pub async fn home(visitor: Visitor) -> HttpResponse {
    match &visitor.session {
        Some(s) => see_other(home_of(s.actor.role)),
        None => see_other("/sign-in"),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn form(lang: Lang, token: &str, next: &str, email: &str, error: Option<&str>) -> maud::Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.card method="post" action="/sign-in" {
            input type="hidden" name="form_token" value=(token);
            input type="hidden" name="next" value=(next);
            label for="email" { (tr!(lang, "Adresse e-mail", "E-mail address")) }
            input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
            label for="password" { (tr!(lang, "Mot de passe", "Password")) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button.primary type="submit" { (tr!(lang, "Se connecter", "Sign in")) }
        }
    }
}

/// Cookies go over HTTPS only when the browser came over HTTPS (directly, or through a
/// proxy that says so).
pub fn secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn form_page(
    secure: bool,
    visitor: &Visitor,
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> HttpResponse {
    let lang = visitor.lang;
    let token = random_secret();
    let title = tr!(lang, "Connexion", "Sign in");
    let body = form(lang, &token, next, email, error);
    HttpResponse::build(status)
        .cookie(cookie(FORM_COOKIE, token, secure))
        .content_type("text/html; charset=utf-8")
        .body(layout::page(visitor, title, body, &[]).into_string())
}

/// `GET /sign-in?next=`.
pub async fn page(
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    if let Some(s) = &visitor.session {
        return see_other(next.as_deref().unwrap_or(home_of(s.actor.role)));
    }
    form_page(
        secure(&req),
        &visitor,
        StatusCode::OK,
        &next.unwrap_or_default(),
        "",
        None,
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    form_token: String,
    next: String,
    email: String,
    password: String,
}

/// `POST /sign-in`.
pub async fn submit(
    state: State,
    req: HttpRequest,
    visitor: Visitor,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    let lang = visitor.lang;
    let again = |status, message: &str| {
        Ok(form_page(
            secure(&req),
            &visitor,
            status,
            &f.next,
            &f.email,
            Some(message),
        ))
    };
    let expected = req
        .cookie(FORM_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.form_token.as_bytes()) {
        return again(
            StatusCode::FORBIDDEN,
            tr!(
                lang,
                "Le formulaire a expiré : saisissez à nouveau votre mot de passe.",
                "The form expired: type your password again."
            ),
        );
    }
    let email = f.email.trim().to_lowercase();
    let client = throttle::client_address(&req, &state.config.trusted_proxies);
    let now = now();
    if let Attempt::Wait(until) = throttle::reserve(&state, "page", &email, &client, now).await? {
        let minutes = throttle::minutes_left(until, now);
        let message = match lang {
            Lang::Fr => format!("Trop d'essais manqués : réessayez dans {minutes} min."),
            Lang::En => format!("Too many failed attempts: try again in {minutes} min."),
        };
        return again(StatusCode::TOO_MANY_REQUESTS, &message);
    }
    let Some(user) = throttle::verify(&state, &email, &f.password).await? else {
        throttle::failed(&state, "page", &email, &client, now).await?;
        return again(
            StatusCode::UNAUTHORIZED,
            tr!(
                lang,
                "L'adresse e-mail ou le mot de passe est faux.",
                "The e-mail address or the password is wrong."
            ),
        );
    };
    let role = Role::parse(&user.role).unwrap_or(Role::Shop);
    let secret = write(&state, move |conn| {
        sessions::clear_failures(conn, &email, &throttle::counted(&client))?;
        let secret = sessions::start(conn, &user.id, now)?;
        let by = By::user(&user.id, &user.email, &client);
        audit::record(
            conn,
            AuditAction::SignIn,
            &by,
            Some(&user.email),
            "page",
            now,
        )?;
        Ok(secret)
    })
    .await?;
    let secure = secure(&req);
    let mut session = cookie(SESSION_COOKIE, secret, secure);
    session.set_max_age(CookieAge::days(sessions::LIFETIME.num_days()));
    let mut spent = cookie(FORM_COOKIE, String::new(), secure);
    spent.make_removal();
    let to = safe_next(Some(&f.next)).unwrap_or_else(|| home_of(role).to_owned());
    Ok(HttpResponse::SeeOther()
        .cookie(session)
        .cookie(spent)
        .insert_header((header::LOCATION, to))
        .finish())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /sign-out`.
pub async fn sign_out(
    state: State,
    staff: Staff,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    staff.check_csrf(&form.csrf)?;
    let client = throttle::client_address(&req, &state.config.trusted_proxies);
    let session = staff.session;
    write(&state, move |conn| {
        if sessions::end(conn, &session.id, now())? > 0 {
            let actor = &session.actor;
            let by = By::user(&actor.user_id, &actor.email, &client);
            audit::record(
                conn,
                AuditAction::SignOut,
                &by,
                Some(&actor.email),
                "page",
                now(),
            )?;
        }
        Ok(())
    })
    .await?;
    let mut gone = cookie(SESSION_COOKIE, String::new(), false);
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((header::LOCATION, "/sign-in"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        for ok in [
            "/shop",
            "/c/BC-7K3M-QD9A?done=recorded",
            "/receive?site=a%20b",
        ] {
            assert_eq!(safe_next(Some(ok)).as_deref(), Some(ok));
        }
        for off in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/shop\r\nSet-Cookie: x=1",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(off)), None, "{off:?}");
        }
    }
}
