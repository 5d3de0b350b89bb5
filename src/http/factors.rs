//! `GET/POST /emission-factors`: every version is kept; a new value is a new version.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Authed;
use super::{check_number, read, write, State};
use crate::db::catalog::{find_type, now};
use crate::db::factors::{add_version, all};
use crate::domain::co2e::{latest, Factor};
use crate::error::AppError;

const VEHICLES: &[&str] = &["van", "truck", "car", "cargo_bike", "other"];

pub async fn list(state: State, _authed: Authed) -> Result<HttpResponse, AppError> {
    let factors = read(&state, |conn| Ok(all(conn)?)).await?;
    let current = latest(&factors);
    let shown: Vec<_> = factors
        .into_iter()
        .map(|f| {
            let is_current = current.iter().any(|c| c.id == f.id);
            let mut v = json!(f);
            v["current"] = json!(is_current);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(shown))
}

#[derive(Deserialize)]
pub struct NewFactor {
    kind: String,
    subject: Option<String>,
    value: f64,
    source: String,
}

pub async fn create(
    state: State,
    authed: Authed,
    body: web::Json<NewFactor>,
) -> Result<HttpResponse, AppError> {
    authed.manager("add emission factors")?;
    let b = body.into_inner();
    let value = check_number("value", b.value, 0.0)?;
    let source = b.source.trim().to_owned();
    if source.is_empty() {
        return Err(AppError::unprocessable(
            "invalid_field",
            "source must say where the value comes from (a database, a study, a measurement)",
        ));
    }
    let subject = b.subject.unwrap_or_default().trim().to_owned();
    let kind = b.kind.clone();
    let factor = write(&state, move |conn| {
        let (per, unit) = match kind.as_str() {
            "transport" if VEHICLES.contains(&subject.as_str()) => ("vehicle_km", "kg CO2e/vehicle-km"),
            "transport" => {
                return Err(AppError::unprocessable("invalid_field", format!("subject {subject:?} is not a vehicle; give one of {}", VEHICLES.join(", "))))
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
        let subject = if per == "kg" { subject.to_lowercase() } else { subject };
        let new = Factor { id: uuid::Uuid::now_v7().to_string(), kind, subject, per: per.into(), value, unit: unit.into(), source, version: 0 };
        Ok(add_version(conn, &new, now())?)
    })
    .await?;
    Ok(HttpResponse::Created().json(factor))
}
