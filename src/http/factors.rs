//! `GET/POST /emission-factors`: every version is kept; a new value is a new version.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Authed;
use super::views::ErrorView;
use super::{check_number, read, write, State};
use crate::db::catalog::{find_type, now};
use crate::db::factors::{add_version, all};
use crate::domain::bounds;
use crate::domain::co2e::{latest, Factor};
use crate::domain::state::Vehicle;
use crate::error::AppError;

/// A version of an emission factor, and whether it is the one in use.
#[derive(Serialize, ToSchema)]
pub struct FactorView {
    #[serde(flatten)]
    factor: Factor,
    /// True for the latest version of its kind and subject, the one reports use.
    current: bool,
}

/// Every version of every emission factor.
#[utoipa::path(get, path = "/api/v1/emission-factors", operation_id = "listEmissionFactors", tag = "reports",
    responses((status = 200, description = "The factors, every version.", body = Vec<FactorView>)))]
pub async fn list(state: State, _authed: Authed) -> Result<HttpResponse, AppError> {
    let factors = read(&state, |conn| Ok(all(conn)?)).await?;
    let current = latest(&factors);
    let shown: Vec<FactorView> = factors
        .into_iter()
        .map(|factor| FactorView {
            current: current.iter().any(|c| c.id == factor.id),
            factor,
        })
        .collect();
    Ok(HttpResponse::Ok().json(shown))
}

#[derive(Deserialize, ToSchema)]
pub struct NewFactor {
    /// `single_use`, `reusable`, `wash` or `transport`.
    kind: String,
    /// A vehicle (transport), a container type id or a material (single_use, reusable);
    /// none for wash.
    subject: Option<String>,
    /// kg CO2e per vehicle-km, per container or per kg, as the kind and subject say.
    value: f64,
    /// Where the value comes from: a database, a study, a measurement.
    source: String,
}

/// Adds a new version of an emission factor (coordinators); earlier versions are kept.
#[utoipa::path(post, path = "/api/v1/emission-factors", operation_id = "addEmissionFactor", tag = "reports",
    request_body = NewFactor,
    responses(
        (status = 201, description = "The new version.", body = Factor),
        (status = 403, description = "`forbidden`: only coordinators add factors.", body = ErrorView),
        (status = 422, description = "`invalid_field`: an unknown kind or subject, a negative value, no source.", body = ErrorView),
    ))]
pub async fn create(
    state: State,
    authed: Authed,
    body: web::Json<NewFactor>,
) -> Result<HttpResponse, AppError> {
    authed.manager("add emission factors")?;
    let b = body.into_inner();
    let factor = write(&state, move |conn| {
        add(
            conn,
            b.kind,
            b.subject.unwrap_or_default(),
            b.value,
            &b.source,
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(factor))
}

/// Adds a version of the factor of `kind` and `subject`, checked: the API's and the pages'
/// rules.
pub fn add(
    conn: &mut crate::db::DbConnection,
    kind: String,
    subject: String,
    value: f64,
    source: &str,
) -> Result<Factor, AppError> {
    let value = check_number("value", value, &bounds::FACTOR)?;
    let source = source.trim().to_owned();
    if source.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "source must say where the value comes from (a database, a study, a measurement)",
        ));
    }
    let subject = subject.trim().to_owned();
    let (per, unit) = match kind.as_str() {
        "transport" if Vehicle::parse(&subject).is_some() => ("vehicle_km", "kg CO2e/vehicle-km"),
        "transport" => {
            return Err(AppError::unprocessable("invalid_field", format!("subject {subject:?} is not a vehicle; give one of {}", Vehicle::choices())))
        }
        "wash" if subject.is_empty() => ("container", "kg CO2e/container"),
        "wash" => return Err(AppError::unprocessable("invalid_field", "a wash factor has no subject: leave it out")),
        "single_use" | "reusable" if subject.is_empty() => {
            return Err(AppError::unprocessable("invalid_field", "subject must be a container type id (per container) or a material such as glass (per kg)"))
        }
        "single_use" | "reusable" if find_type(conn, &subject)?.is_some() => ("container", "kg CO2e/container"),
        "single_use" | "reusable" => ("kg", "kg CO2e/kg"),
        other => {
            return Err(AppError::unprocessable("invalid_field", format!("kind {other:?} is not known; give single_use, reusable, wash or transport")))
        }
    };
    let subject = if per == "kg" {
        subject.to_lowercase()
    } else {
        subject
    };
    let new = Factor {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        subject,
        per: per.into(),
        value,
        unit: unit.into(),
        source,
        version: 0,
    };
    Ok(add_version(conn, &new, now())?)
}
