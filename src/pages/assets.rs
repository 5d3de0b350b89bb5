//! The pages' style sheet and scripts, compiled into the binary: nothing to build, nothing
//! fetched from elsewhere.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

use super::{Lang, PageError};

/// Changes with the binary, so that a new version's files are not taken from a cache.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
    (
        "till.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/till.js"),
    ),
    (
        "jsQR.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/jsQR.js"),
    ),
];

/// `GET /assets/{file}`.
pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let Some((_, content_type, body)) = FILES.iter().find(|(name, ..)| *name == path.as_str())
    else {
        return Err(PageError::shown(
            StatusCode::NOT_FOUND,
            Lang::Fr,
            "Fichier introuvable · File not found",
            format!("{} n'existe pas · does not exist", path.as_str()),
        ));
    };
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=604800"))
        .body(*body))
}
