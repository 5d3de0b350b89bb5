//! The API's OpenAPI 3.1 document, made from the handlers' annotations, and the browsable
//! reference at `/api/docs` (Swagger UI, compiled in, so it works without internet).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder, Schema, ServerBuilder,
};
use utoipa::{Modify, OpenApi};

use super::{audit, outbox, stock, transfer, unsubscribe, wash, State};
use super::{auth, catalog, containers, epcis, factors, flows, mail, reports, scans, shipments};
use crate::error::{AppError, ERROR_CODES};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Boucle",
        description = "Follows every reusable container of a local reuse loop (return, washing, \
refilling among shops, a washer and producers) and computes the loop's figures. Sign in with \
`POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`. Errors answer \
`{error, message}`: `error` is a stable code, `message` says what to do. Dates in query strings \
are `YYYY-MM-DD` (from included, to excluded, 00:00 UTC); times are RFC 3339.",
        license(name = "GNU AGPL 3.0 or later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        super::health,
        auth::create_token,
        auth::revoke_token,
        openapi_json,
        catalog::create_site,
        catalog::list_sites,
        catalog::get_site,
        catalog::put_route,
        catalog::list_routes,
        catalog::create_type,
        catalog::list_types,
        containers::commission,
        containers::get,
        containers::events,
        containers::qr_svg,
        containers::qr_png,
        scans::create,
        scans::undo,
        shipments::create,
        shipments::get,
        shipments::receive,
        wash::open,
        wash::get,
        wash::complete,
        stock::get,
        reports::loop_figures,
        reports::monthly,
        flows::flows,
        flows::returns,
        factors::list,
        factors::create,
        epcis::export,
        epcis::capture,
        transfer::import,
        transfer::export,
        mail::list_alerts,
        mail::put_low_stock,
        mail::put_collection,
        mail::get_prefs,
        mail::put_prefs,
        outbox::list_outbox,
        outbox::retry,
        audit::list_audit,
        containers::digital_link,
        unsubscribe::unsubscribe_page,
        unsubscribe::unsubscribe,
    ),
    modifiers(&Conventions),
    tags(
        (name = "sign-in", description = "Health and tokens."),
        (name = "catalog", description = "Sites, routes between them, container types."),
        (name = "containers", description = "Commissioning, a container's state, timeline and QR code."),
        (name = "scans", description = "Fills, sales, returns, breakage and losses, scanned at a site."),
        (name = "shipments", description = "Containers carried from one site to another."),
        (name = "wash", description = "Wash batches at a washer."),
        (name = "stock", description = "Containers per site and type, by condition."),
        (name = "reports", description = "The loop's figures, flows, return curves and emission factors."),
        (name = "alerts", description = "Alert thresholds, mail choices and the outbox."),
        (name = "interop", description = "EPCIS 2.0 and CSV, in and out."),
        (name = "links", description = "The links printed on labels and written in mails."),
    )
)]
pub struct ApiDoc;

/// What every operation shares, added from the code that enforces it: who must sign in
/// (the middleware's list of public routes), the refusals of the extractors, the error codes.
struct Conventions;

fn error(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorView")))
                .build(),
        )
        .build()
}

fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::T(error(description)));
}

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from POST /api/v1/auth/token or `boucle token create`.",
                    ))
                    .build(),
            ),
        );
        if let Some(RefOr::T(Schema::Object(view))) = components.schemas.get_mut("ErrorView") {
            if let Some(RefOr::T(Schema::Object(code))) = view.properties.get_mut("error") {
                code.enum_values = Some(ERROR_CODES.iter().map(|c| (*c).into()).collect());
            }
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                let in_api = path.starts_with("/api/v1/");
                let public = !in_api || auth::is_public(method, path);
                op.security = Some(if public {
                    vec![]
                } else {
                    vec![SecurityRequirement::new("bearer", Vec::<String>::new())]
                });
                if !public {
                    add(
                        op,
                        "401",
                        "`unauthorized`: no token, or one unknown or revoked.",
                    );
                }
                if op.request_body.is_some() {
                    add(op, "400", "`invalid_body`: the body cannot be read as this operation's (the message says why); `invalid_field`: an id, time or code in it cannot be read.");
                }
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                if has_query {
                    add(op, "400", "`invalid_query`: a parameter is missing or cannot be read; the message names it.");
                }
                if in_api {
                    add(
                        op,
                        "500",
                        "`internal_error`: something went wrong on the server; try again.",
                    );
                    add(op, "503", "`service_unavailable`: the database does not answer; try again in a moment.");
                }
            }
        }
    }
}

/// The operations of a path with their methods, as the router names them.
fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("PUT", item.put.as_mut()),
        ("POST", item.post.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("PATCH", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// The methods and paths the document describes.
pub fn documented() -> Vec<(String, String)> {
    let mut doc = document().clone();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, _) in operations(item) {
            out.push((method.to_owned(), path.clone()));
        }
    }
    out
}

static DOCUMENT: OnceLock<Document> = OnceLock::new();

/// The document, made once per process.
pub fn document() -> &'static Document {
    DOCUMENT.get_or_init(ApiDoc::openapi)
}

/// This OpenAPI document, with this loop's address as its server.
#[utoipa::path(get, path = "/api/v1/openapi.json", operation_id = "openapi", tag = "sign-in",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = serde_json::Value)))]
pub async fn openapi_json(state: State) -> HttpResponse {
    HttpResponse::Ok().json(for_loop(&state.config.base_url))
}

/// The document with the loop at `base_url` as its server.
pub fn for_loop(base_url: &str) -> Document {
    let mut doc = document().clone();
    doc.servers = Some(vec![ServerBuilder::new()
        .url(base_url)
        .description(Some("This loop"))
        .build()]);
    doc
}

/// The version of the vendored Swagger UI, in its assets' cache key.
pub const SWAGGER_UI_VERSION: &str = "5.35.0";

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Boucle API reference</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
"#;

/// Starts Swagger UI on this loop's document, with nothing fetched from elsewhere.
const INIT: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false
  });
});
"##;

/// The reference's page gets the pages' security headers; Swagger UI sets style attributes,
/// so its styles may be inline, and it loads nothing from elsewhere.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

fn secured(mut answer: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    answer
        .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    answer
}

/// `GET /api/docs`: the browsable reference.
pub async fn docs_page() -> HttpResponse {
    secured(HttpResponse::Ok())
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

/// `GET /api/docs/{file}`: Swagger UI's files, compiled into the binary.
pub async fn docs_asset(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (content_type, body): (&str, &'static [u8]) = match path.as_str() {
        "swagger-ui-bundle.js" => (
            "text/javascript; charset=utf-8",
            include_bytes!("assets/swagger-ui/swagger-ui-bundle.js"),
        ),
        "swagger-ui.css" => (
            "text/css; charset=utf-8",
            include_bytes!("assets/swagger-ui/swagger-ui.css"),
        ),
        "init.js" => ("text/javascript; charset=utf-8", INIT.as_bytes()),
        "LICENSE" => (
            "text/plain; charset=utf-8",
            include_bytes!("assets/swagger-ui/LICENSE"),
        ),
        other => {
            return Err(AppError::not_found(format!(
                "the API reference has no file {other:?}; open /api/docs"
            )))
        }
    };
    Ok(secured(HttpResponse::Ok())
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::ETAG, format!("\"swagger-ui-{SWAGGER_UI_VERSION}\"")))
        .body(body))
}
