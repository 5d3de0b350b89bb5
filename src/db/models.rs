//! Rows as stored, and their conversions to the domain's types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    api_tokens, container_types, containers, events, routes, shipments, sites, users, wash_batches,
};
use crate::domain::figures::Memory;
use crate::domain::state::{Condition, ContainerState, Place, RetiredReason};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sites, treat_none_as_default_value = false)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = routes, treat_none_as_default_value = false)]
pub struct Route {
    pub from_site_id: String,
    pub to_site_id: String,
    pub distance_km: f64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = container_types, treat_none_as_default_value = false)]
pub struct ContainerType {
    pub id: String,
    pub name: String,
    pub material: String,
    pub capacity_ml: Option<f64>,
    pub tare_mass_g: f64,
    pub single_use_mass_g: f64,
    pub created_at: NaiveDateTime,
    /// The GS1 asset type number, given by [`crate::db::catalog::insert_type`].
    pub asset_type: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct User {
    pub id: String,
    pub email: String,
    pub role: String,
    pub site_id: Option<String>,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens, treat_none_as_default_value = false)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipments, treat_none_as_default_value = false)]
pub struct Shipment {
    pub id: String,
    pub from_site_id: String,
    pub to_site_id: String,
    pub departed_at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    pub vehicle: Option<String>,
    pub distance_km: f64,
    pub distance_source: String,
    pub user_id: Option<String>,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = wash_batches, treat_none_as_default_value = false)]
pub struct WashBatch {
    pub id: String,
    pub site_id: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub program: Option<String>,
    pub temperature_c: Option<f64>,
    pub water_l: Option<f64>,
    pub energy_kwh: Option<f64>,
    pub washed: i64,
    pub rejected: i64,
    pub user_id: Option<String>,
    pub recorded_at: NaiveDateTime,
}

// `treat_none_as_null`: an update must clear a shipment or batch that no longer holds it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = containers, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct Container {
    pub id: String,
    pub serial: i64,
    pub code: String,
    pub type_id: String,
    pub state: String,
    pub condition: String,
    pub site_id: String,
    pub shipment_id: Option<String>,
    pub dest_site_id: Option<String>,
    pub batch_id: Option<String>,
    pub uses: i64,
    pub retired_reason: Option<String>,
    pub last_event_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_fill_at: Option<NaiveDateTime>,
    pub open_trips: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub container_id: String,
    pub action: String,
    pub site_id: String,
    pub to_site_id: Option<String>,
    pub at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub user_id: Option<String>,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct NewEvent {
    pub id: String,
    pub container_id: String,
    pub action: String,
    pub site_id: String,
    pub to_site_id: Option<String>,
    pub at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub user_id: Option<String>,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    pub reason: Option<String>,
}

impl Container {
    /// The state the row caches. Values come from this code base only, so an unknown one
    /// means a corrupted row, reported as an error rather than guessed.
    pub fn domain_state(&self) -> anyhow::Result<ContainerState> {
        let bad = |field: &str, value: &str| {
            anyhow::anyhow!("container {} has an unknown {field} {value:?}", self.id)
        };
        Ok(ContainerState {
            state: Place::parse(&self.state).ok_or_else(|| bad("state", &self.state))?,
            condition: Condition::parse(&self.condition)
                .ok_or_else(|| bad("condition", &self.condition))?,
            site_id: self.site_id.clone(),
            shipment_id: self.shipment_id.clone(),
            dest_site_id: self.dest_site_id.clone(),
            batch_id: self.batch_id.clone(),
            uses: self.uses,
            retired_reason: match &self.retired_reason {
                Some(r) => Some(RetiredReason::parse(r).ok_or_else(|| bad("retired_reason", r))?),
                None => None,
            },
            last_event_at: self.last_event_at,
        })
    }

    /// What the figures remember of this container's past.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let open_trips = Memory::parse_open_trips(&self.open_trips).ok_or_else(|| {
            anyhow::anyhow!(
                "container {} has unreadable open trips {:?}",
                self.id,
                self.open_trips
            )
        })?;
        Ok(Memory {
            last_fill_at: self.last_fill_at,
            open_trips,
        })
    }

    pub fn set_memory(&mut self, m: &Memory) {
        self.last_fill_at = m.last_fill_at;
        self.open_trips = m.open_trips_text();
    }

    pub fn set_state(&mut self, s: &ContainerState, now: NaiveDateTime) {
        self.state = s.state.as_str().to_owned();
        self.condition = s.condition.as_str().to_owned();
        self.site_id = s.site_id.clone();
        self.shipment_id = s.shipment_id.clone();
        self.dest_site_id = s.dest_site_id.clone();
        self.batch_id = s.batch_id.clone();
        self.uses = s.uses;
        self.retired_reason = s.retired_reason.map(|r| r.as_str().to_owned());
        self.last_event_at = s.last_event_at;
        self.updated_at = now;
    }
}
