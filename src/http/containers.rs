//! Commissioning containers, and reading one by its code.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Authed;
use super::views::{ContainerView, ErrorView, EventView};
use super::{read, time_or_now, write, State};
use crate::db::catalog;
use crate::db::containers::{
    commission as commission_in_db, find_by_code, timeline_of, Commission,
};
use crate::db::models::Container;
use crate::domain::code::parse_any;
use crate::error::AppError;

/// The most containers commissioned in one request.
pub const MAX_COMMISSION: usize = 10_000;

#[derive(Deserialize, ToSchema)]
pub struct NewContainers {
    type_id: String,
    /// Where the new containers are, clean.
    site_id: String,
    /// 1 to 10,000.
    count: i64,
    /// RFC 3339; when a loop imports its existing fleet. Now when absent.
    at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Commissioned {
    containers: Vec<ContainerView>,
}

/// Gives new containers their codes (coordinators): all `at_site`, `clean`, at `site_id`.
#[utoipa::path(post, path = "/api/v1/containers", operation_id = "commissionContainers", tag = "containers",
    request_body = NewContainers,
    responses(
        (status = 201, description = "The new containers.", body = Commissioned),
        (status = 403, description = "`forbidden`: only coordinators commission containers.", body = ErrorView),
        (status = 422, description = "`invalid_field` or `batch_too_large` (count out of 1 to 10,000), `unknown_type`, `unknown_site`, `future_time`.", body = ErrorView),
    ))]
pub async fn commission(
    state: State,
    authed: Authed,
    body: web::Json<NewContainers>,
) -> Result<HttpResponse, AppError> {
    authed.manager("commission containers")?;
    let b = body.into_inner();
    if b.count < 1 || b.count > MAX_COMMISSION as i64 {
        let code = if b.count > 0 {
            "batch_too_large"
        } else {
            "invalid_field"
        };
        return Err(AppError::unprocessable(
            code,
            format!("count must be from 1 to {MAX_COMMISSION}, not {}", b.count),
        ));
    }
    let now = catalog::now();
    let at = time_or_now("at", b.at.as_deref(), now)?;
    let prefix = state.config.code_prefix.clone();
    let user_id = authed.actor.user_id.clone();
    let made = write(&state, move |conn| {
        if catalog::find_type(conn, &b.type_id)?.is_none() {
            return Err(AppError::unprocessable(
                "unknown_type",
                format!(
                    "no container type has the id {}; create it with POST /api/v1/container-types",
                    b.type_id
                ),
            ));
        }
        if catalog::find_site(conn, &b.site_id)?.is_none() {
            return Err(AppError::unprocessable(
                "unknown_site",
                format!("no site has the id {}", b.site_id),
            ));
        }
        let order = Commission {
            type_id: &b.type_id,
            site_id: &b.site_id,
            count: b.count as usize,
            at,
            user_id: Some(&user_id),
            prefix: &prefix,
            now,
        };
        Ok(commission_in_db(conn, &order)?)
    })
    .await?;
    let links = super::links(&state).await?;
    let containers: Vec<ContainerView> = made
        .into_iter()
        .map(|c| ContainerView::new(c, &links))
        .collect();
    Ok(HttpResponse::Created().json(Commissioned { containers }))
}

/// `GET /8003/{grai}`: the GS1 Digital Link URI in a container's QR code resolves to the
/// container's page.
#[utoipa::path(get, path = "/8003/{grai}", operation_id = "resolveDigitalLink", tag = "links",
    params(("grai" = String, Path, description = "The GRAI without its AI: `0`, company prefix, asset type, check digit, serial.")),
    responses(
        (status = 307, description = "To the container's page `/c/{code}`.", headers(("Location" = String))),
        (status = 400, description = "`invalid_code`: not a GRAI of this loop, or a wrong check digit.", body = ErrorView),
        (status = 404, description = "`not_found`: the loop has no GS1 prefix, or no container has this GRAI.", body = ErrorView),
    ))]
pub async fn digital_link(state: State, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    if state.config.gs1.is_none() {
        return Err(AppError::not_found(
            "this loop has no GS1 company prefix, so no GS1 Digital Link; its QR codes carry /c/ URLs",
        ));
    }
    let value = path.into_inner();
    let container = lookup(&state, format!("(8003){value}")).await?;
    let page = format!("{}/c/{}", state.config.base_url, container.code);
    Ok(HttpResponse::TemporaryRedirect()
        .insert_header((actix_web::http::header::LOCATION, page))
        .finish())
}

/// The container a code in a path names, or a 4xx that says what is wrong with the code.
async fn lookup(state: &State, code: String) -> Result<Container, AppError> {
    let parsed =
        parse_any(&code, &state.config.code_prefix, state.config.gs1.as_ref()).map_err(|e| {
            AppError::bad_request(
                "invalid_code",
                format!("{code:?} is not a container code: {e}"),
            )
        })?;
    let shown = parsed.code.display(&state.config.code_prefix);
    let found = read(state, move |conn| {
        let Some(c) = find_by_code(conn, &parsed.code)? else {
            return Ok(None);
        };
        match crate::db::scans::asset_type_mismatch(conn, &c, parsed.asset_type)? {
            Some(why) => Err(AppError::bad_request("invalid_code", why)),
            None => Ok(Some(c)),
        }
    })
    .await?;
    found.ok_or_else(|| {
        AppError::not_found(format!(
            "no container has the code {shown}; check the label"
        ))
    })
}

/// One container as it is now.
#[utoipa::path(get, path = "/api/v1/containers/{code}", operation_id = "getContainer", tag = "containers",
    params(("code" = String, Path, description = "A short code, a `/c/` URL, a GS1 Digital Link URI or a GRAI element string.")),
    responses(
        (status = 200, description = "The container.", body = ContainerView),
        (status = 400, description = "`invalid_code`: not a container code of this loop.", body = ErrorView),
        (status = 404, description = "`not_found`: no container has this code.", body = ErrorView),
    ))]
pub async fn get(
    state: State,
    _authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let container = lookup(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ContainerView::new(container, &super::links(&state).await?)))
}

/// The container's timeline. Users bound to a site see the events at their site only, so
/// that no partner reads another's flows.
#[utoipa::path(get, path = "/api/v1/containers/{code}/events", operation_id = "listContainerEvents", tag = "containers",
    params(("code" = String, Path, description = "A short code, a `/c/` URL, a GS1 Digital Link URI or a GRAI element string.")),
    responses(
        (status = 200, description = "Its events ordered by `at`, ties by recording order.", body = Vec<EventView>),
        (status = 400, description = "`invalid_code`: not a container code of this loop.", body = ErrorView),
        (status = 404, description = "`not_found`: no container has this code.", body = ErrorView),
    ))]
pub async fn events(
    state: State,
    authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let container = lookup(&state, path.into_inner()).await?;
    let id = container.id.clone();
    let entries = read(&state, move |conn| Ok(timeline_of(conn, &id)?)).await?;
    let actor = &authed.actor;
    let shown: Vec<EventView> = entries
        .into_iter()
        .filter(|e| {
            actor.role.manages_loop()
                || e.event.site_id.as_str() == actor.site_id.as_deref().unwrap_or("")
                || e.event.to_site_id.as_deref() == actor.site_id.as_deref()
        })
        .map(|e| EventView::new(e.event, &container.code, e.inferred))
        .collect();
    Ok(HttpResponse::Ok().json(shown))
}

/// The QR code of the container's URL, as SVG for labels.
#[utoipa::path(get, path = "/api/v1/containers/{code}/qr.svg", operation_id = "getContainerQrSvg", tag = "containers",
    params(("code" = String, Path, description = "A short code, a `/c/` URL, a GS1 Digital Link URI or a GRAI element string.")),
    responses(
        (status = 200, description = "The QR image.", content_type = "image/svg+xml", body = String),
        (status = 400, description = "`invalid_code`: not a container code of this loop.", body = ErrorView),
        (status = 404, description = "`not_found`: no container has this code.", body = ErrorView),
    ))]
pub async fn qr_svg(
    state: State,
    _authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    qr(state, path.into_inner(), "image/svg+xml", |url| {
        Ok(crate::qr::svg(url)?.into_bytes())
    })
    .await
}

/// The QR code of the container's URL, as PNG.
#[utoipa::path(get, path = "/api/v1/containers/{code}/qr.png", operation_id = "getContainerQrPng", tag = "containers",
    params(("code" = String, Path, description = "A short code, a `/c/` URL, a GS1 Digital Link URI or a GRAI element string.")),
    responses(
        (status = 200, description = "The QR image.", content_type = "image/png", body = Vec<u8>),
        (status = 400, description = "`invalid_code`: not a container code of this loop.", body = ErrorView),
        (status = 404, description = "`not_found`: no container has this code.", body = ErrorView),
    ))]
pub async fn qr_png(
    state: State,
    _authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    qr(state, path.into_inner(), "image/png", crate::qr::png).await
}

/// The QR image of the container's URL, drawn off the async workers.
async fn qr(
    state: State,
    code: String,
    content_type: &'static str,
    draw: fn(&str) -> anyhow::Result<Vec<u8>>,
) -> Result<HttpResponse, AppError> {
    let container = lookup(&state, code).await?;
    let url = super::links(&state)
        .await?
        .url(&container.type_id, &container.code);
    let image = web::block(move || draw(&url)).await??;
    Ok(HttpResponse::Ok().content_type(content_type).body(image))
}
