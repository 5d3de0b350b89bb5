//! EPCIS 2.0 (JSON-LD): each recorded event of a container as an ObjectEvent, with the CBV 2.0
//! business step and disposition where one fits, and Boucle's own vocabulary (prefix `boucle:`,
//! declared in the `@context`) for filling and washing.

use serde_json::{json, Map, Value};

use crate::domain::state::{Action, REJECT_REWASH, WASH_STARTED};

/// The standard context every EPCIS 2.0 JSON-LD document names.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";
/// Boucle's vocabulary, for steps the CBV has no word for, under the loop's own origin; its
/// terms are written `boucle:filling` whatever the loop.
pub fn vocabulary(base_url: &str) -> String {
    format!("{base_url}/ns/epcis#")
}

/// What EPCIS says of one of Boucle's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meaning {
    /// `ADD`, `OBSERVE` or `DELETE`.
    pub action: &'static str,
    pub biz_step: &'static str,
    pub disposition: &'static str,
}

const fn m(action: &'static str, biz_step: &'static str, disposition: &'static str) -> Meaning {
    Meaning {
        action,
        biz_step,
        disposition,
    }
}

/// Every action, with the reason that tells some apart, and its EPCIS meaning. Read both
/// ways: by export, and by capture to find the action of an incoming event.
pub const TABLE: &[(Action, Option<&str>, Meaning)] = &[
    (
        Action::Commission,
        None,
        m("ADD", "commissioning", "active"),
    ),
    (
        Action::Fill,
        None,
        m("OBSERVE", "boucle:filling", "boucle:filled"),
    ),
    (Action::Ship, None, m("OBSERVE", "shipping", "in_transit")),
    (
        Action::Receive,
        None,
        m("OBSERVE", "receiving", "in_progress"),
    ),
    (
        Action::Sell,
        None,
        m("OBSERVE", "retail_selling", "retail_sold"),
    ),
    (Action::Return, None, m("OBSERVE", "collecting", "returned")),
    (
        Action::Wash,
        Some(WASH_STARTED),
        m("OBSERVE", "boucle:washing", "in_progress"),
    ),
    (
        Action::Wash,
        Some("finished"),
        m("OBSERVE", "boucle:washing", "available"),
    ),
    (
        Action::Reject,
        Some("broken"),
        m("OBSERVE", "inspecting", "damaged"),
    ),
    (
        Action::Reject,
        Some(REJECT_REWASH),
        m("OBSERVE", "inspecting", "non_conformant"),
    ),
    (Action::Break, None, m("DELETE", "destroying", "destroyed")),
    (
        Action::Lose,
        None,
        m("DELETE", "decommissioning", "boucle:lost"),
    ),
    (
        Action::Retire,
        None,
        m("DELETE", "decommissioning", "inactive"),
    ),
];

/// The meaning of an action as recorded (its reason picks among a wash's and a reject's).
pub fn meaning(action: Action, reason: Option<&str>) -> Option<Meaning> {
    TABLE
        .iter()
        .find(|(a, r, _)| *a == action && (r.is_none() || *r == reason))
        .map(|(_, _, meaning)| *meaning)
}

/// The action (and reason) an incoming event stands for, from its business step and
/// disposition.
pub fn action_of(biz_step: &str, disposition: &str) -> Option<(Action, Option<&'static str>)> {
    TABLE
        .iter()
        .find(|(_, _, m)| m.biz_step == biz_step && m.disposition == disposition)
        .map(|(a, r, _)| (*a, *r))
}

/// A site as EPCIS names it (read point and business location).
pub fn site_uri(site_id: &str) -> String {
    format!("urn:uuid:{site_id}")
}

/// The site id in a read point, business location, source or destination.
pub fn site_id(uri: &str) -> Option<&str> {
    uri.strip_prefix("urn:uuid:")
}

/// One recorded event, with what EPCIS needs beside it.
pub struct Fact<'a> {
    pub event_id: &'a str,
    pub epc: String,
    pub action: Action,
    pub reason: Option<&'a str>,
    pub site_id: &'a str,
    pub to_site_id: Option<&'a str>,
    /// The origin of the shipment a `receive` ends.
    pub from_site_id: Option<&'a str>,
    pub at: &'a str,
    pub recorded_at: &'a str,
    pub shipment_id: Option<&'a str>,
    pub batch_id: Option<&'a str>,
    /// The container's type, told on its commissioning.
    pub type_id: Option<&'a str>,
    /// The shipment's vehicle and km, told on shipping.
    pub vehicle: Option<&'a str>,
    pub distance_km: Option<f64>,
}

/// The ObjectEvent of one recorded event. Its `eventID` is the event's own id, so it is the
/// same in every export.
pub fn object_event(f: &Fact) -> Value {
    let m = meaning(f.action, f.reason).unwrap_or(m("OBSERVE", "other", "unknown"));
    let mut e = Map::new();
    e.insert("type".into(), json!("ObjectEvent"));
    e.insert("eventTime".into(), json!(f.at));
    e.insert("recordTime".into(), json!(f.recorded_at));
    e.insert("eventTimeZoneOffset".into(), json!("+00:00"));
    e.insert("eventID".into(), json!(format!("urn:uuid:{}", f.event_id)));
    e.insert("epcList".into(), json!([f.epc]));
    e.insert("action".into(), json!(m.action));
    e.insert("bizStep".into(), json!(m.biz_step));
    e.insert("disposition".into(), json!(m.disposition));
    e.insert("readPoint".into(), json!({"id": site_uri(f.site_id)}));
    if f.action != Action::Ship {
        e.insert("bizLocation".into(), json!({"id": site_uri(f.site_id)}));
    }
    let (from, to) = match f.action {
        Action::Ship => (Some(f.site_id), f.to_site_id),
        Action::Receive => (f.from_site_id, Some(f.site_id)),
        _ => (None, None),
    };
    if let Some(from) = from {
        e.insert(
            "sourceList".into(),
            json!([{"type": "location", "source": site_uri(from)}]),
        );
    }
    if let Some(to) = to {
        e.insert(
            "destinationList".into(),
            json!([{"type": "location", "destination": site_uri(to)}]),
        );
    }
    if let Some(s) = f.shipment_id {
        e.insert("boucle:shipment".into(), json!(s));
    }
    if let Some(b) = f.batch_id {
        e.insert("boucle:washBatch".into(), json!(b));
    }
    match f.action {
        Action::Commission => {
            if let Some(t) = f.type_id {
                e.insert("boucle:containerType".into(), json!(t));
            }
        }
        Action::Ship => {
            if let Some(v) = f.vehicle {
                e.insert("boucle:vehicle".into(), json!(v));
            }
            if let Some(km) = f.distance_km {
                e.insert("boucle:distanceKm".into(), json!(km));
            }
        }
        _ => {}
    }
    Value::Object(e)
}

/// A site's master data: its name and coordinates.
pub struct SiteData<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub lat: f64,
    pub lon: f64,
}

/// The EPCIS document of `events`, with the sites they name as master data.
pub fn document(events: Vec<Value>, sites: &[SiteData], created: &str, base_url: &str) -> Value {
    let elements: Vec<Value> = sites
        .iter()
        .map(|s| {
            json!({
                "id": site_uri(s.id),
                "attributes": [
                    {"id": "urn:epcglobal:cbv:mda#name", "attribute": s.name},
                    {"id": "urn:epcglobal:cbv:mda#latitude", "attribute": s.lat.to_string()},
                    {"id": "urn:epcglobal:cbv:mda#longitude", "attribute": s.lon.to_string()},
                    {"id": "boucle:siteKind", "attribute": s.kind},
                ]
            })
        })
        .collect();
    json!({
        "@context": [EPCIS_CONTEXT, {"boucle": vocabulary(base_url)}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisHeader": {
            "epcisMasterData": {
                "vocabularyList": [{
                    "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": elements,
                }]
            }
        },
        "epcisBody": {"eventList": events},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_meaning_read_back_the_same() {
        for (action, reason, m) in TABLE {
            assert_eq!(meaning(*action, *reason), Some(*m));
            assert_eq!(
                action_of(m.biz_step, m.disposition),
                Some((*action, *reason))
            );
        }
        assert_eq!(
            meaning(Action::Wash, Some("finished")).map(|m| m.disposition),
            Some("available")
        );
        assert_eq!(action_of("shipping", "damaged"), None);
    }
}
