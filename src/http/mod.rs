//! The JSON API under `/api/v1`: one module per resource, handlers kept thin.

pub mod audit;
pub mod auth;
pub mod catalog;
pub mod containers;
pub mod deadline;
pub mod epcis;
pub mod factors;
pub mod flows;
mod input;
pub mod mail;
pub mod openapi;
pub mod outbox;
pub mod reports;
pub mod scans;
pub mod shipments;
pub mod stock;
pub mod throttle;
pub mod transfer;
pub mod unsubscribe;
pub mod views;
pub mod wash;

pub use input::{check_number, client_id, page_limit, parse_time, refused, time_or_now};

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use crate::config::Config;
use crate::db::scans::Recorder;
use crate::db::{write_tx, Db, DbConnection};
use crate::domain::access::Reach;
use crate::domain::roles::Actor;
use crate::error::AppError;

/// What every handler shares.
pub struct AppState {
    pub db: Db,
    pub config: Config,
}

pub type State = web::Data<AppState>;

/// Request bodies above this size are refused: 10,000 codes fit with room to spare.
const JSON_LIMIT: usize = 4 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let json = web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|err, _req| {
            let message = match &err {
                actix_web::error::JsonPayloadError::ContentType => {
                    "the body must be JSON, sent with Content-Type: application/json".to_owned()
                }
                actix_web::error::JsonPayloadError::Overflow { limit }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { limit, .. } => {
                    format!("the body is larger than {limit} bytes; send fewer items per request")
                }
                other => format!("the body is not valid: {other}"),
            };
            AppError::bad_request("invalid_body", message).into()
        });
    let query = web::QueryConfig::default().error_handler(|err, _req| {
        AppError::bad_request(
            "invalid_query",
            format!("the query string is not valid: {err}"),
        )
        .into()
    });
    let path = web::PathConfig::default().error_handler(|err, _req| {
        AppError::bad_request("invalid_query", format!("the path is not valid: {err}")).into()
    });
    cfg.app_data(json)
        .app_data(web::PayloadConfig::new(JSON_LIMIT))
        .app_data(query)
        .app_data(path)
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(auth::require_token))
                // Routes are tried in order, those with a {parameter} by a pattern match:
                // the ones a till or a producer calls all day come first.
                .route("/scans", web::post().to(scans::create))
                .route("/stock", web::get().to(stock::get))
                .route("/health", web::get().to(health))
                .route("/openapi.json", web::get().to(openapi::openapi_json))
                .route("/auth/token", web::post().to(auth::create_token))
                .route("/auth/token", web::delete().to(auth::revoke_token))
                .route("/sites", web::post().to(catalog::create_site))
                .route("/sites", web::get().to(catalog::list_sites))
                .route("/sites/{id}", web::get().to(catalog::get_site))
                .route("/routes", web::put().to(catalog::put_route))
                .route("/routes", web::get().to(catalog::list_routes))
                .route("/container-types", web::post().to(catalog::create_type))
                .route("/container-types", web::get().to(catalog::list_types))
                .route("/containers", web::post().to(containers::commission))
                .route("/containers/{code}", web::get().to(containers::get))
                .route(
                    "/containers/{code}/events",
                    web::get().to(containers::events),
                )
                .route(
                    "/containers/{code}/qr.svg",
                    web::get().to(containers::qr_svg),
                )
                .route(
                    "/containers/{code}/qr.png",
                    web::get().to(containers::qr_png),
                )
                .route("/scans/{id}/undo", web::post().to(scans::undo))
                .route("/shipments", web::post().to(shipments::create))
                .route("/shipments/{id}", web::get().to(shipments::get))
                .route(
                    "/shipments/{id}/receive",
                    web::post().to(shipments::receive),
                )
                .route("/wash-batches", web::post().to(wash::open))
                .route("/wash-batches/{id}", web::get().to(wash::get))
                .route(
                    "/wash-batches/{id}/complete",
                    web::post().to(wash::complete),
                )
                .route("/reports/loop", web::get().to(reports::loop_figures))
                .route("/reports/loop/monthly", web::get().to(reports::monthly))
                .route("/reports/flows", web::get().to(flows::flows))
                .route("/reports/returns", web::get().to(flows::returns))
                .route("/emission-factors", web::get().to(factors::list))
                .route("/emission-factors", web::post().to(factors::create))
                .route("/epcis/events", web::get().to(epcis::export))
                .route("/epcis/capture", web::post().to(epcis::capture))
                .route("/import/{what}", web::post().to(transfer::import))
                .route("/export/{what}", web::get().to(transfer::export))
                .route("/alerts", web::get().to(mail::list_alerts))
                .route("/alerts/low-stock", web::put().to(mail::put_low_stock))
                .route("/alerts/collection", web::put().to(mail::put_collection))
                .route("/me/notifications", web::get().to(mail::get_prefs))
                .route("/me/notifications", web::put().to(mail::put_prefs))
                .route("/outbox", web::get().to(outbox::list_outbox))
                .route("/outbox/{id}/retry", web::post().to(outbox::retry))
                .route("/audit", web::get().to(audit::list_audit))
                .default_service(web::to(not_found)),
        )
        .route("/8003/{grai}", web::get().to(containers::digital_link))
        .route("/api/docs", web::get().to(openapi::docs_page))
        .route("/api/docs/{file}", web::get().to(openapi::docs_asset))
        .route(
            "/unsubscribe/{token}",
            web::get().to(unsubscribe::unsubscribe_page),
        )
        .route(
            "/unsubscribe/{token}",
            web::post().to(unsubscribe::unsubscribe),
        );
}

/// Every route of the API, for documentation and for the test that checks each answers.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/token"),
    ("DELETE", "/api/v1/auth/token"),
    ("POST", "/api/v1/sites"),
    ("GET", "/api/v1/sites"),
    ("GET", "/api/v1/sites/{id}"),
    ("PUT", "/api/v1/routes"),
    ("GET", "/api/v1/routes"),
    ("POST", "/api/v1/container-types"),
    ("GET", "/api/v1/container-types"),
    ("POST", "/api/v1/containers"),
    ("GET", "/api/v1/containers/{code}"),
    ("GET", "/api/v1/containers/{code}/events"),
    ("GET", "/api/v1/containers/{code}/qr.svg"),
    ("GET", "/api/v1/containers/{code}/qr.png"),
    ("POST", "/api/v1/scans"),
    ("POST", "/api/v1/scans/{id}/undo"),
    ("POST", "/api/v1/shipments"),
    ("GET", "/api/v1/shipments/{id}"),
    ("POST", "/api/v1/shipments/{id}/receive"),
    ("POST", "/api/v1/wash-batches"),
    ("GET", "/api/v1/wash-batches/{id}"),
    ("POST", "/api/v1/wash-batches/{id}/complete"),
    ("GET", "/api/v1/stock"),
    ("GET", "/api/v1/reports/loop"),
    ("GET", "/api/v1/reports/loop/monthly"),
    ("GET", "/api/v1/reports/flows"),
    ("GET", "/api/v1/reports/returns"),
    ("GET", "/api/v1/emission-factors"),
    ("POST", "/api/v1/emission-factors"),
    ("GET", "/api/v1/epcis/events"),
    ("POST", "/api/v1/epcis/capture"),
    ("POST", "/api/v1/import/{what}"),
    ("GET", "/api/v1/export/{what}"),
    ("GET", "/api/v1/alerts"),
    ("PUT", "/api/v1/alerts/low-stock"),
    ("PUT", "/api/v1/alerts/collection"),
    ("GET", "/api/v1/me/notifications"),
    ("PUT", "/api/v1/me/notifications"),
    ("GET", "/api/v1/outbox"),
    ("POST", "/api/v1/outbox/{id}/retry"),
    ("GET", "/api/v1/audit"),
];

/// The routes outside `/api/v1` that programs follow: the link in a GS1 QR code, and the
/// unsubscribe link of mails (RFC 8058 one-click is a POST).
pub const LINKS: &[(&str, &str)] = &[
    ("GET", "/8003/{grai}"),
    ("GET", "/unsubscribe/{token}"),
    ("POST", "/unsubscribe/{token}"),
];

async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found(format!(
        "there is no {} {} in this API; see the README for the routes",
        req.method(),
        req.path()
    )))
}

/// Whether the service and its database answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    status: &'static str,
    /// `sqlite` or `postgresql`.
    database: &'static str,
}

/// Answers once the database does: for load balancers and monitoring.
#[utoipa::path(get, path = "/api/v1/health", operation_id = "health", tag = "sign-in",
    responses(
        (status = 200, description = "The service and its database answer.", body = Health),
        (status = 503, description = "The database does not answer.", body = Health),
    ))]
pub async fn health(state: State) -> HttpResponse {
    let db = state.db.clone();
    let database = db.backend.as_str();
    let answer = web::block(move || -> anyhow::Result<()> {
        use diesel::connection::SimpleConnection;
        let mut conn = db.read_conn()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    })
    .await;
    let failure = match answer {
        Ok(Ok(())) => {
            return HttpResponse::Ok().json(Health {
                status: "ok",
                database,
            })
        }
        Ok(Err(e)) => format!("{e:#}"),
        Err(e) => e.to_string(),
    };
    tracing::error!(error = %failure, "health check: database does not answer");
    HttpResponse::ServiceUnavailable().json(Health {
        status: "unavailable",
        database,
    })
}

/// How this request names containers: with the loop's GS1 prefix, the asset type of each
/// container type is read (a few rows).
pub async fn links(state: &State) -> Result<views::Links, AppError> {
    let base_url = state.config.base_url.clone();
    let code_prefix = state.config.code_prefix.clone();
    let Some(prefix) = state.config.gs1.clone() else {
        return Ok(views::Links {
            base_url,
            code_prefix,
            gs1: None,
        });
    };
    let types = read(state, |conn| Ok(crate::db::catalog::list_types(conn)?)).await?;
    let numbers = types.into_iter().map(|t| (t.id, t.asset_type)).collect();
    Ok(views::Links {
        base_url,
        code_prefix,
        gs1: Some((prefix, numbers)),
    })
}

/// Runs `f` with a reading connection off the async workers.
pub async fn read<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let db = state.db.clone();
    web::block(move || {
        let mut conn = db.read_conn()?;
        f(&mut conn)
    })
    .await?
}

/// Runs `f`, a lookup of a few pages of an index, with a reading connection. On SQLite, with a
/// connection idle, it runs on the async worker itself: such a lookup takes a few microseconds,
/// less than the crossing to the blocking pool and back that [`read`] makes. Otherwise (on
/// PostgreSQL, or with every reading connection busy) it is [`read`].
pub async fn lookup<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    match state.db.idle_sqlite_reader() {
        Some(mut conn) => f(&mut conn),
        None => read(state, f).await,
    }
}

/// Runs `f`, a token check or a sign-in lookup, on the connections kept for them
/// (`Db::auth_conn`): on the async worker with an idle one on SQLite, as [`lookup`] does.
pub async fn auth_lookup<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    if let Some(mut conn) = state.db.idle_sqlite_auth() {
        return f(&mut conn);
    }
    let db = state.db.clone();
    web::block(move || {
        let mut conn = db.auth_conn()?;
        f(&mut conn)
    })
    .await?
}

/// Runs `f` in a write transaction off the async workers.
pub async fn write<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let db = state.db.clone();
    web::block(move || {
        let mut conn = db.write_conn()?;
        write_tx(&mut conn, f)
    })
    .await?
}

/// Runs `f` in a write transaction with a [`Recorder`] for the signed-in user, which asks
/// the rules of access of every event: the way every request that records events writes.
pub async fn record<T: Send + 'static>(
    state: &State,
    actor: &Actor,
    now: NaiveDateTime,
    f: impl FnOnce(&mut DbConnection, &mut Recorder) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let shared = state.clone();
    let (user_id, reach) = (actor.user_id.clone(), Reach::of(actor));
    write(state, move |conn| {
        let config = &shared.config;
        let mut rec = Recorder::new(Some(user_id), reach, &config.code_prefix, now);
        rec.gs1 = config.gs1.clone();
        let answer = f(conn, &mut rec)?;
        rec.finish(conn)?;
        let mut touched = Vec::with_capacity(rec.touched.len());
        for id in std::mem::take(&mut rec.touched) {
            touched.extend(rec.site(conn, &id)?);
        }
        crate::mail::alerts::check_sites(conn, config, &touched, now)?;
        Ok(answer)
    })
    .await
}
