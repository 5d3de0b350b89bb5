//! CSV imports and exports for coordinators: `POST /import/{what}`, `GET /export/{what}`.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authed;
use super::reports::period;
use super::views::ErrorView;
use super::{read, write, State};
use crate::error::AppError;
use crate::interop::csv::{import as import_rows, Import, ImportError, ImportSettings};
use crate::interop::csv_export::{export_containers, export_events, export_sites, export_types};

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// Rows imported: all of the file's.
    imported: usize,
    /// `sites`, `types` or `containers`.
    what: String,
}

/// `POST /import/{sites|types|containers}`: a CSV file (with a header), imported whole or
/// not at all (coordinators).
#[utoipa::path(post, path = "/api/v1/import/{what}", operation_id = "importCsv", tag = "interop",
    params(("what" = String, Path, description = "`sites`, `types` or `containers`.")),
    request_body(content = String, description = "A CSV file in UTF-8 with a header; the columns are in docs/INTEROP.md.", content_type = "text/csv"),
    responses(
        (status = 200, description = "Every row imported.", body = Imported),
        (status = 403, description = "`forbidden`: only coordinators import.", body = ErrorView),
        (status = 404, description = "`not_found`: this cannot be imported.", body = ErrorView),
        (status = 422, description = "`invalid_row`: the message names the line, the column and what is wrong; nothing was imported.", body = ErrorView),
    ))]
pub async fn import(
    state: State,
    authed: Authed,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    authed.manager("import")?;
    let what = path.into_inner();
    let kind = Import::parse(&what).ok_or_else(|| {
        AppError::not_found(format!(
            "{what:?} cannot be imported; give sites, types or containers"
        ))
    })?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        AppError::bad_request(
            "invalid_body",
            "the CSV file is not UTF-8 text; save it as CSV UTF-8",
        )
    })?;
    let config = state.config.clone();
    let user_id = authed.actor.user_id.clone();
    let n = write(&state, move |conn| {
        let settings = ImportSettings {
            code_prefix: &config.code_prefix,
            gs1: config.gs1.as_ref(),
            user_id: Some(&user_id),
            now: crate::db::catalog::now(),
        };
        import_rows(conn, kind, &text, &settings, &|_, _| {}).map_err(|e| match e {
            ImportError::Row(r) => AppError::unprocessable("invalid_row", r.to_string()),
            ImportError::Database(e) => AppError::Internal(e),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Imported { imported: n, what }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Events only: the first day, `YYYY-MM-DD`.
    from: Option<String>,
    /// Events only: the day after the last, `YYYY-MM-DD`: excluded.
    to: Option<String>,
}

/// `GET /export/{events|containers|sites|types}` (events: `?from=&to=`) as CSV
/// (coordinators); sites, types and containers in the columns their imports take.
#[utoipa::path(get, path = "/api/v1/export/{what}", operation_id = "exportCsv", tag = "interop",
    params(("what" = String, Path, description = "`events`, `containers`, `sites` or `types`."), ExportQuery),
    responses(
        (status = 200, description = "The CSV file.", content_type = "text/csv", body = String),
        (status = 403, description = "`forbidden`: only coordinators export.", body = ErrorView),
        (status = 404, description = "`not_found`: this cannot be exported.", body = ErrorView),
    ))]
pub async fn export(
    state: State,
    authed: Authed,
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    authed.manager("export")?;
    let what = path.into_inner();
    let period = match what.as_str() {
        "containers" | "sites" | "types" => None,
        "events" => {
            let q = query.into_inner();
            Some(period(q.from.as_deref(), q.to.as_deref())?)
        }
        other => {
            return Err(AppError::not_found(format!(
                "{other:?} cannot be exported; give events, containers, sites or types"
            )))
        }
    };
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let bytes = read(&state, move |conn| {
        let mut out = csv::Writer::from_writer(Vec::new());
        match (what.as_str(), period) {
            ("sites", _) => export_sites(conn, &mut out)?,
            ("types", _) => export_types(conn, &mut out)?,
            (_, None) => export_containers(conn, &mut out, &|_| {})?,
            (_, Some((from, to))) => {
                export_events(conn, midnight(from), midnight(to), &mut out, &|_| {})?
            }
        };
        out.into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(bytes))
}
