//! The JSON shapes of DESIGN section 3. Field names are public: add, never rename.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::{Container, ContainerType, Event, Route, Shipment, Site, WashBatch};
use crate::db::scans::{Outcome, Status};
use crate::db::shipments::ShipmentReport;
use crate::db::wash::BatchReport;
use crate::domain::code::ShortCode;
use crate::domain::gs1::{CompanyPrefix, Grai};
use crate::domain::state::{Action, Condition, Place, RetiredReason, SiteKind, Vehicle};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

#[derive(Serialize, ToSchema)]
pub struct SiteView {
    pub id: String,
    pub name: String,
    #[schema(value_type = SiteKind)]
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Site> for SiteView {
    fn from(s: Site) -> SiteView {
        SiteView {
            id: s.id,
            name: s.name,
            kind: s.kind,
            lat: s.lat,
            lon: s.lon,
            address: s.address,
            email: s.email,
            created_at: utc(s.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RouteView {
    pub from_site_id: String,
    pub to_site_id: String,
    pub distance_km: f64,
    pub updated_at: DateTime<Utc>,
}

impl From<Route> for RouteView {
    fn from(r: Route) -> RouteView {
        RouteView {
            from_site_id: r.from_site_id,
            to_site_id: r.to_site_id,
            distance_km: r.distance_km,
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TypeView {
    pub id: String,
    pub name: String,
    pub material: String,
    pub capacity_ml: Option<f64>,
    pub tare_mass_g: f64,
    pub single_use_mass_g: f64,
    pub created_at: DateTime<Utc>,
    /// The GS1 asset type number in the GRAIs of this type's containers.
    pub asset_type: i64,
}

impl From<ContainerType> for TypeView {
    fn from(t: ContainerType) -> TypeView {
        TypeView {
            id: t.id,
            name: t.name,
            material: t.material,
            capacity_ml: t.capacity_ml,
            tare_mass_g: t.tare_mass_g,
            single_use_mass_g: t.single_use_mass_g,
            created_at: utc(t.created_at),
            asset_type: t.asset_type,
        }
    }
}

/// How containers are named to the outside: the URL in their QR code (the GS1 Digital Link
/// when the loop has a GS1 company prefix, else `/c/{code}`) and their GRAI.
#[derive(Debug, Clone)]
pub struct Links {
    pub base_url: String,
    pub code_prefix: String,
    /// The company prefix and each type's asset type number.
    pub gs1: Option<(CompanyPrefix, HashMap<String, i64>)>,
}

impl Links {
    pub fn grai(&self, type_id: &str, code: &str) -> Option<Grai> {
        let (prefix, types) = self.gs1.as_ref()?;
        let number = u64::try_from(*types.get(type_id)?).ok()?;
        let parsed = ShortCode::parse(code, &self.code_prefix).ok()?;
        Grai::new(prefix, number, &parsed).ok()
    }

    pub fn url(&self, type_id: &str, code: &str) -> String {
        match self.grai(type_id, code) {
            Some(g) => g.digital_link(&self.base_url),
            None => format!("{}/c/{code}", self.base_url),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContainerView {
    pub id: String,
    pub code: String,
    pub url: String,
    /// The GS1 element string `(8003)...`, when the loop has a GS1 company prefix.
    pub grai: Option<String>,
    pub type_id: String,
    #[schema(value_type = Place)]
    pub state: String,
    #[schema(value_type = Condition)]
    pub condition: String,
    pub site_id: String,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    /// Fills so far.
    pub uses: i64,
    #[schema(value_type = Option<RetiredReason>)]
    pub retired_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContainerView {
    pub fn new(c: Container, links: &Links) -> ContainerView {
        ContainerView {
            url: links.url(&c.type_id, &c.code),
            grai: links.grai(&c.type_id, &c.code).map(|g| g.element_string()),
            id: c.id,
            code: c.code,
            type_id: c.type_id,
            state: c.state,
            condition: c.condition,
            site_id: c.site_id,
            shipment_id: c.shipment_id,
            batch_id: c.batch_id,
            uses: c.uses,
            retired_reason: c.retired_reason,
            created_at: utc(c.created_at),
            updated_at: utc(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub code: String,
    #[schema(value_type = Action)]
    pub action: String,
    pub site_id: String,
    /// For a `ship` event, where the shipment goes.
    pub to_site_id: Option<String>,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// True for a step the loop inferred (rule 3) rather than one scanned.
    pub inferred: bool,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    /// Why: `started`/`finished` for washes, `broken`/`rewash` for rejects, a retirement's
    /// reason.
    pub reason: Option<String>,
}

impl EventView {
    pub fn new(e: Event, code: &str, inferred: bool) -> EventView {
        EventView {
            id: e.id,
            code: code.to_owned(),
            action: e.action,
            site_id: e.site_id,
            to_site_id: e.to_site_id,
            at: utc(e.at),
            recorded_at: utc(e.recorded_at),
            inferred,
            shipment_id: e.shipment_id,
            batch_id: e.batch_id,
            reason: e.reason,
        }
    }
}

crate::domain::words::text_enum!(
    /// What became of one scan (or captured event): recorded now, recorded before (the same
    /// id was sent again), or refused with an `error`.
    ScanStatus {
        Recorded = "recorded",
        Duplicate = "duplicate",
        Rejected = "rejected",
    }
);

/// What went wrong, for a program (`error`, a stable code) and for a person (`message`,
/// which says what to do).
#[derive(Serialize, ToSchema)]
pub struct ErrorView {
    pub error: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ScanResultView {
    pub id: String,
    pub code: String,
    pub status: ScanStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerView>,
    /// True when a step was inferred before this one (rule 3).
    pub inferred: bool,
    /// The inferred steps, e.g. `["return"]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Action>)]
    pub inferred_actions: Vec<&'static str>,
}

impl ScanResultView {
    pub fn new(o: Outcome, links: &Links) -> ScanResultView {
        ScanResultView {
            id: o.id,
            code: o.code,
            status: match o.status {
                Status::Recorded => ScanStatus::Recorded,
                Status::Duplicate => ScanStatus::Duplicate,
                Status::Rejected => ScanStatus::Rejected,
            },
            error: o.error.map(|e| ErrorView {
                error: e.code.to_owned(),
                message: e.message,
            }),
            container: o.container.map(|c| ContainerView::new(c, links)),
            inferred: !o.inferred.is_empty(),
            inferred_actions: o.inferred.iter().map(|a| a.as_str()).collect(),
        }
    }
}

/// One result per item of a request, in order.
#[derive(Serialize, ToSchema)]
pub struct ScanResults {
    pub results: Vec<ScanResultView>,
}

pub fn results(outcomes: Vec<Outcome>, links: &Links) -> Vec<ScanResultView> {
    outcomes
        .into_iter()
        .map(|o| ScanResultView::new(o, links))
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct ShipmentView {
    pub id: String,
    pub from_site_id: String,
    pub to_site_id: String,
    pub departed_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<Vehicle>)]
    pub vehicle: Option<String>,
    pub distance_km: f64,
    /// `explicit`, `route` or `haversine`.
    pub distance_source: String,
    /// Containers shipped on it.
    pub containers: i64,
    /// Codes still in transit on it.
    pub missing: Vec<String>,
    pub results: Vec<ScanResultView>,
}

impl ShipmentView {
    pub fn new(r: ShipmentReport, links: &Links) -> ShipmentView {
        let s: Shipment = r.shipment;
        ShipmentView {
            id: s.id,
            from_site_id: s.from_site_id,
            to_site_id: s.to_site_id,
            departed_at: utc(s.departed_at),
            received_at: s.received_at.map(utc),
            vehicle: s.vehicle,
            distance_km: s.distance_km,
            distance_source: s.distance_source,
            containers: r.containers,
            missing: r.missing,
            results: results(r.results, links),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    pub id: String,
    pub site_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub program: Option<String>,
    pub temperature_c: Option<f64>,
    pub water_l: Option<f64>,
    pub energy_kwh: Option<f64>,
    /// Containers out clean.
    pub washed: i64,
    /// Containers rejected, broken or sent to be washed again.
    pub rejected: i64,
    pub results: Vec<ScanResultView>,
}

impl BatchView {
    pub fn new(r: BatchReport, links: &Links) -> BatchView {
        let b: WashBatch = r.batch;
        BatchView {
            id: b.id,
            site_id: b.site_id,
            started_at: utc(b.started_at),
            finished_at: b.finished_at.map(utc),
            program: b.program,
            temperature_c: b.temperature_c,
            water_l: b.water_l,
            energy_kwh: b.energy_kwh,
            washed: b.washed,
            rejected: b.rejected,
            results: results(r.results, links),
        }
    }
}
