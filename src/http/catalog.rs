//! Sites, routes and container types.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Authed;
use super::views::{ErrorView, RouteView, SiteView, TypeView};
use super::{check_number, read, write, State};
use crate::db::catalog;
use crate::db::models::{ContainerType, Route, Site};
use crate::domain::bounds;
use crate::domain::state::SiteKind;
use crate::error::AppError;

#[derive(Deserialize, ToSchema)]
pub struct NewSite {
    /// Given by imports that keep a loop's ids; new sites get one.
    #[serde(skip)]
    pub id: Option<String>,
    pub name: String,
    #[schema(value_type = SiteKind)]
    pub kind: String,
    /// WGS84 latitude, -90 to 90.
    pub lat: f64,
    /// WGS84 longitude, -180 to 180.
    pub lon: f64,
    pub address: Option<String>,
    pub email: Option<String>,
}

fn required(field: &str, value: &str) -> Result<String, AppError> {
    bounds::check_name(field, value, bounds::NAME_CHARS)
        .map_err(|message| AppError::unprocessable("invalid_field", message))
}

/// Adds a site (coordinators).
#[utoipa::path(post, path = "/api/v1/sites", operation_id = "createSite", tag = "catalog",
    request_body = NewSite,
    responses(
        (status = 201, description = "The site, with its new id.", body = SiteView),
        (status = 403, description = "`forbidden`: only coordinators create sites.", body = ErrorView),
        (status = 422, description = "`invalid_field`: a field is empty, unknown or out of range; the message names it.", body = ErrorView),
    ))]
pub async fn create_site(
    state: State,
    authed: Authed,
    body: web::Json<NewSite>,
) -> Result<HttpResponse, AppError> {
    authed.manager("create sites")?;
    let site = site_of(body.into_inner()).map_err(|(_, e)| e)?;
    let saved = site.clone();
    write(&state, move |conn| Ok(catalog::insert_site(conn, &saved)?)).await?;
    Ok(HttpResponse::Created().json(SiteView::from(site)))
}

/// A refusal of one field of a new site or type: which field, and the answer.
pub type FieldError = (&'static str, AppError);

fn at(field: &'static str) -> impl Fn(AppError) -> FieldError {
    move |e| (field, e)
}

/// A new site, checked: the API's and the imports' rules.
pub fn site_of(b: NewSite) -> Result<Site, FieldError> {
    let kind = SiteKind::parse(&b.kind).ok_or_else(|| {
        let message = format!(
            "kind {:?} is not a site kind; give one of {}",
            b.kind,
            SiteKind::choices()
        );
        ("kind", AppError::unprocessable("invalid_field", message))
    })?;
    let lat_ok = (-90.0..=90.0).contains(&b.lat);
    if !lat_ok || !(-180.0..=180.0).contains(&b.lon) {
        let message = format!("lat {} / lon {} are not WGS84 coordinates: lat goes from -90 to 90, lon from -180 to 180", b.lat, b.lon);
        let field = if lat_ok { "lon" } else { "lat" };
        return Err((field, AppError::unprocessable("invalid_field", message)));
    }
    let email = match b.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if !crate::domain::valid_email(e) => {
            let message = format!("email {e:?} is not an e-mail address");
            return Err(("email", AppError::unprocessable("invalid_field", message)));
        }
        other => other.map(str::to_owned),
    };
    Ok(Site {
        id: b.id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        name: required("name", &b.name).map_err(at("name"))?,
        kind: kind.as_str().to_owned(),
        lat: b.lat,
        lon: b.lon,
        address: match &b.address {
            Some(a) => bounds::check_lines("address", a, bounds::ADDRESS_CHARS)
                .map_err(|m| ("address", AppError::unprocessable("invalid_field", m)))?,
            None => None,
        },
        email,
        created_at: catalog::now(),
    })
}

/// Every site of the loop.
#[utoipa::path(get, path = "/api/v1/sites", operation_id = "listSites", tag = "catalog",
    responses((status = 200, description = "The sites, by name.", body = Vec<SiteView>)))]
pub async fn list_sites(state: State, _authed: Authed) -> Result<HttpResponse, AppError> {
    let sites = read(&state, |conn| Ok(catalog::list_sites(conn)?)).await?;
    Ok(HttpResponse::Ok().json(sites.into_iter().map(SiteView::from).collect::<Vec<_>>()))
}

/// One site.
#[utoipa::path(get, path = "/api/v1/sites/{id}", operation_id = "getSite", tag = "catalog",
    params(("id" = String, Path, description = "The site's id.")),
    responses(
        (status = 200, description = "The site.", body = SiteView),
        (status = 404, description = "`not_found`: no site has this id.", body = ErrorView),
    ))]
pub async fn get_site(
    state: State,
    _authed: Authed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let shown = id.clone();
    let site = read(&state, move |conn| Ok(catalog::find_site(conn, &id)?)).await?;
    let site = site.ok_or_else(|| AppError::not_found(format!("no site has the id {shown}")))?;
    Ok(HttpResponse::Ok().json(SiteView::from(site)))
}

#[derive(Deserialize, ToSchema)]
pub struct PutRoute {
    from_site_id: String,
    to_site_id: String,
    /// The road distance, used for shipments between these sites instead of the straight
    /// line times the detour factor.
    distance_km: f64,
}

/// Sets the road distance from one site to another (coordinators).
#[utoipa::path(put, path = "/api/v1/routes", operation_id = "putRoute", tag = "catalog",
    request_body = PutRoute,
    responses(
        (status = 200, description = "The route as saved.", body = RouteView),
        (status = 403, description = "`forbidden`: only coordinators set routes.", body = ErrorView),
        (status = 422, description = "`invalid_field` (a negative distance, the same site twice) or `unknown_site`.", body = ErrorView),
    ))]
pub async fn put_route(
    state: State,
    authed: Authed,
    body: web::Json<PutRoute>,
) -> Result<HttpResponse, AppError> {
    authed.manager("set routes")?;
    let b = body.into_inner();
    let route = write(&state, move |conn| {
        set_route(conn, b.from_site_id, b.to_site_id, b.distance_km)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RouteView::from(route)))
}

/// Sets the road distance between two sites, checked: the API's and the pages' rules.
pub fn set_route(
    conn: &mut crate::db::DbConnection,
    from_site_id: String,
    to_site_id: String,
    distance_km: f64,
) -> Result<Route, AppError> {
    check_number("distance_km", distance_km, &bounds::DISTANCE_KM)?;
    if from_site_id == to_site_id {
        return Err(AppError::unprocessable(
            "invalid_field",
            "a route joins two different sites: from_site_id and to_site_id are the same",
        ));
    }
    for id in [&from_site_id, &to_site_id] {
        if catalog::find_site(conn, id)?.is_none() {
            return Err(AppError::unprocessable(
                "unknown_site",
                format!("no site has the id {id}"),
            ));
        }
    }
    let route = Route {
        from_site_id,
        to_site_id,
        distance_km,
        updated_at: catalog::now(),
    };
    catalog::put_route(conn, &route)?;
    Ok(route)
}

/// Every route with its distance.
#[utoipa::path(get, path = "/api/v1/routes", operation_id = "listRoutes", tag = "catalog",
    responses((status = 200, description = "The routes.", body = Vec<RouteView>)))]
pub async fn list_routes(state: State, _authed: Authed) -> Result<HttpResponse, AppError> {
    let routes = read(&state, |conn| Ok(catalog::list_routes(conn)?)).await?;
    Ok(HttpResponse::Ok().json(routes.into_iter().map(RouteView::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewType {
    /// Given by imports that keep a loop's ids; new types get one.
    #[serde(skip)]
    pub id: Option<String>,
    pub name: String,
    pub material: String,
    pub capacity_ml: Option<f64>,
    /// The empty container's mass.
    pub tare_mass_g: f64,
    /// The mass of the single-use packaging one use replaces.
    pub single_use_mass_g: f64,
}

/// Adds a container type (coordinators); it gets the next GS1 asset type number.
#[utoipa::path(post, path = "/api/v1/container-types", operation_id = "createContainerType", tag = "catalog",
    request_body = NewType,
    responses(
        (status = 201, description = "The type, with its new id.", body = TypeView),
        (status = 403, description = "`forbidden`: only coordinators create types.", body = ErrorView),
        (status = 422, description = "`invalid_field`: a field is empty or a mass is negative.", body = ErrorView),
    ))]
pub async fn create_type(
    state: State,
    authed: Authed,
    body: web::Json<NewType>,
) -> Result<HttpResponse, AppError> {
    authed.manager("create container types")?;
    let t = type_of(body.into_inner()).map_err(|(_, e)| e)?;
    let saved = t.clone();
    let asset_type = write(&state, move |conn| Ok(catalog::insert_type(conn, &saved)?)).await?;
    Ok(HttpResponse::Created().json(TypeView::from(ContainerType { asset_type, ..t })))
}

/// A new container type, checked: the API's and the imports' rules.
pub fn type_of(b: NewType) -> Result<ContainerType, FieldError> {
    Ok(ContainerType {
        id: b.id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        name: required("name", &b.name).map_err(at("name"))?,
        material: required("material", &b.material).map_err(at("material"))?,
        capacity_ml: b
            .capacity_ml
            .map(|c| check_number("capacity_ml", c, &bounds::CAPACITY_ML))
            .transpose()
            .map_err(at("capacity_ml"))?,
        tare_mass_g: check_number("tare_mass_g", b.tare_mass_g, &bounds::MASS_G)
            .map_err(at("tare_mass_g"))?,
        single_use_mass_g: check_number("single_use_mass_g", b.single_use_mass_g, &bounds::MASS_G)
            .map_err(at("single_use_mass_g"))?,
        created_at: catalog::now(),
        asset_type: 0,
    })
}

/// Every container type.
#[utoipa::path(get, path = "/api/v1/container-types", operation_id = "listContainerTypes", tag = "catalog",
    responses((status = 200, description = "The types.", body = Vec<TypeView>)))]
pub async fn list_types(state: State, _authed: Authed) -> Result<HttpResponse, AppError> {
    let types = read(&state, |conn| Ok(catalog::list_types(conn)?)).await?;
    Ok(HttpResponse::Ok().json(types.into_iter().map(TypeView::from).collect::<Vec<_>>()))
}
