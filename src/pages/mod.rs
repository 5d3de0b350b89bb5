//! The pages people use, rendered on the server from the same binary: sign-in, the till,
//! the public container page. French by default, English on request.

pub mod assets;
pub mod charts;
pub mod dashboard;
pub mod figure_words;
pub mod labels;
pub mod layout;
pub mod manage;
pub mod manage_forms;
pub mod once;
pub mod producer;
pub mod public;
pub mod receive;
pub mod session;
pub mod sign_in;
pub mod till;
pub mod till_undo;
pub mod washer;
pub mod words;
pub mod work;

use actix_web::http::{header, StatusCode};
use actix_web::{middleware, web, HttpResponse, ResponseError};
use maud::html;

use crate::error::AppError;
pub use crate::mail::Lang;

/// `tr!(lang, "français", "English")`: the text in the page's language.
macro_rules! tr {
    ($lang:expr, $fr:expr, $en:expr) => {
        match $lang {
            $crate::mail::Lang::Fr => $fr,
            $crate::mail::Lang::En => $en,
        }
    };
}
pub(crate) use tr;

/// After a form: to the page that shows its outcome (303, so a reload does not post again).
pub fn see_other(to: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.into()))
        .finish()
}

/// Why a page cannot be shown: the visitor must sign in first, or a message for a person.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the sign-in page, then back to `next`.
    SignIn {
        next: String,
    },
    /// Something the person can correct or should know, in their language.
    Shown {
        status: StatusCode,
        lang: Lang,
        title: String,
        message: String,
    },
    Internal(anyhow::Error),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { next } => write!(f, "sign in to open {next}"),
            PageError::Shown { message, .. } => f.write_str(message),
            PageError::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl PageError {
    pub fn shown(status: StatusCode, lang: Lang, title: &str, message: impl Into<String>) -> Self {
        PageError::Shown {
            status,
            lang,
            title: title.to_owned(),
            message: message.into(),
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        match e {
            AppError::Client {
                status, message, ..
            } => PageError::shown(status, Lang::Fr, "Erreur · Error", message),
            AppError::Unavailable(cause) => {
                PageError::Internal(anyhow::anyhow!("database unavailable: {cause}"))
            }
            AppError::Internal(e) => PageError::Internal(e),
        }
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> PageError {
        PageError::Internal(e)
    }
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> PageError {
        PageError::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Shown { status, .. } => *status,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, title, message) = match self {
            PageError::SignIn { next } => {
                return see_other(format!("/sign-in?next={}", words::url_encode(next)));
            }
            PageError::Shown {
                lang,
                title,
                message,
                ..
            } => (*lang, title.clone(), message.clone()),
            PageError::Internal(cause) => {
                tracing::error!(error.cause_chain = ?cause, "page failed");
                (
                    Lang::Fr,
                    "Erreur · Error".to_owned(),
                    "Désolé, quelque chose s'est mal passé de notre côté ; réessayez. · Sorry, something went wrong on our side; please try again.".to_owned(),
                )
            }
        };
        let body = html! {
            p.error role="alert" { (message) }
            p { a href="/" { (tr!(lang, "Retour à l'accueil", "Back to the start")) } }
        };
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(layout::bare(lang, &title, body).into_string())
    }
}

/// The pages' routes, after the API's: everything not under `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let form = web::FormConfig::default().error_handler(|err, _req| {
        PageError::shown(
            StatusCode::BAD_REQUEST,
            Lang::Fr,
            "Formulaire illisible · Unreadable form",
            format!("Le formulaire envoyé est incomplet ; rechargez la page et recommencez. · The form sent is incomplete; reload the page and try again. ({err})"),
        )
        .into()
    });
    cfg.service(
        web::scope("")
            .app_data(form)
            .wrap(middleware::from_fn(keep_language))
            .wrap(
                middleware::DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, layout::CSP))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            .route("/", web::get().to(sign_in::home))
            .route("/sign-in", web::get().to(sign_in::page))
            .route("/sign-in", web::post().to(sign_in::submit))
            .route("/sign-out", web::post().to(sign_in::sign_out))
            .route("/c/{code}", web::get().to(public::page))
            .route("/c/{code}/scan", web::post().to(public::scan))
            .route("/shop", web::get().to(till::page))
            .route("/shop/return", web::post().to(till::return_form))
            .route("/shop/scans", web::post().to(till::scans_json))
            .route("/shop/collection", web::post().to(till::collection))
            .route("/shop/undo", web::post().to(till_undo::undo))
            .route("/done/{key}", web::get().to(once::answer))
            .route("/labels/made/{key}", web::get().to(labels::made))
            .route("/receive", web::get().to(receive::list))
            .route("/receive/{id}", web::get().to(receive::page))
            .route("/receive/{id}", web::post().to(receive::submit))
            .route("/washer", web::get().to(washer::page))
            .route("/washer/batches", web::post().to(washer::open))
            .route("/washer/batches/{id}", web::get().to(washer::batch))
            .route(
                "/washer/batches/{id}/complete",
                web::post().to(washer::complete),
            )
            .route("/dashboard", web::get().to(dashboard::page))
            .route("/dashboard/{what}.csv", web::get().to(dashboard::csv))
            .route("/labels", web::get().to(labels::page))
            .route("/labels", web::post().to(labels::create))
            .route("/labels/print", web::get().to(labels::reprint))
            .route("/manage", web::get().to(manage::page))
            .route("/manage/sites", web::post().to(manage_forms::add_site))
            .route("/manage/routes", web::post().to(manage_forms::put_route))
            .route("/manage/types", web::post().to(manage_forms::add_type))
            .route("/manage/factors", web::post().to(manage_forms::add_factor))
            .route("/manage/users", web::post().to(manage_forms::add_user))
            .route("/producer", web::get().to(producer::page))
            .route("/producer/fill", web::post().to(producer::fill))
            .route("/producer/ship", web::post().to(producer::ship))
            .route("/assets/{file}", web::get().to(assets::serve))
            .default_service(web::to(not_found)),
    );
}

/// `?lang=en` on any page also sets the language cookie, so that the next pages keep it.
async fn keep_language(
    req: actix_web::dev::ServiceRequest,
    next: middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let asked = req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("lang="))
        .and_then(Lang::parse);
    let mut res = next.call(req).await?;
    if let Some(lang) = asked {
        let mut c = session::cookie(session::LANG_COOKIE, lang.as_str().to_owned(), false);
        c.set_max_age(actix_web::cookie::time::Duration::days(365));
        res.response_mut().add_cookie(&c)?;
    }
    Ok(res)
}

async fn not_found(visitor: session::Visitor) -> Result<HttpResponse, PageError> {
    let lang = visitor.lang;
    Err(PageError::shown(
        StatusCode::NOT_FOUND,
        lang,
        tr!(lang, "Page introuvable", "Page not found"),
        tr!(
            lang,
            "Cette page n'existe pas ; vérifiez l'adresse.",
            "There is no such page; check the address."
        ),
    ))
}
