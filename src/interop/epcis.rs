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

/// The namespace of the scan ids made from event ids that are not `urn:uuid:`.
const EVENT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x7c1f_0b2a_4d5e_4f60_9a8b_1c2d_3e4f_5a6b);

/// An incoming ObjectEvent, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub event_id: String,
    /// The id the first container's scan is recorded under: the UUID of a `urn:uuid:` event
    /// id, else one made from the event id, so that the same event captured twice is one scan.
    pub scan_id: String,
    pub epcs: Vec<String>,
    pub action: Action,
    pub reason: Option<String>,
    pub site_id: String,
    pub at: String,
    pub to_site_id: Option<String>,
    pub shipment_id: Option<String>,
    pub batch_id: Option<String>,
    pub type_id: Option<String>,
    pub vehicle: Option<String>,
    pub distance_km: Option<f64>,
}

impl Incoming {
    /// The scan id of the `i`-th container of the event.
    pub fn scan_id_of(&self, i: usize, epc: &str) -> String {
        if i == 0 {
            self.scan_id.clone()
        } else {
            uuid::Uuid::new_v5(
                &EVENT_NAMESPACE,
                format!("{}#{epc}", self.event_id).as_bytes(),
            )
            .to_string()
        }
    }
}

/// Why an incoming event cannot be read: an error code and a sentence.
pub type Unreadable = (&'static str, String);

fn text<'a>(e: &'a Value, field: &str) -> Option<&'a str> {
    e.get(field).and_then(Value::as_str)
}

fn location(e: &Value, list: &str, field: &str) -> Option<String> {
    e.get(list)?
        .as_array()?
        .iter()
        .find_map(|x| text(x, field).and_then(site_id).map(str::to_owned))
}

/// Reads an event of a captured document: an ObjectEvent whose business step and disposition
/// name one of Boucle's actions, at a site named `urn:uuid:{site id}`.
pub fn read_event(e: &Value) -> Result<Incoming, Unreadable> {
    let event_id = text(e, "eventID")
        .ok_or((
            "invalid_event",
            "the event has no eventID; give each event a stable id, e.g. urn:uuid:...".to_owned(),
        ))?
        .to_owned();
    if text(e, "type") != Some("ObjectEvent") {
        return Err((
            "unsupported_event",
            format!(
                "{event_id}: only ObjectEvents are captured, not {}",
                text(e, "type").unwrap_or("an event without type")
            ),
        ));
    }
    let (step, disposition) = (
        text(e, "bizStep").unwrap_or(""),
        text(e, "disposition").unwrap_or(""),
    );
    let (action, reason) = action_of(step, disposition).ok_or_else(|| {
        let known: Vec<String> = TABLE.iter().map(|(_, _, m)| format!("{}/{}", m.biz_step, m.disposition)).collect();
        ("unknown_step", format!(
            "{event_id}: bizStep {step:?} with disposition {disposition:?} is not a step of the loop; give one of {}",
            known.join(", ")
        ))
    })?;
    let reason = reason.map(str::to_owned).or(match action {
        Action::Break => Some("broken".to_owned()),
        Action::Lose => Some("lost".to_owned()),
        Action::Retire => Some("end_of_life".to_owned()),
        _ => None,
    });
    let place = e
        .get("bizLocation")
        .or_else(|| e.get("readPoint"))
        .and_then(|p| text(p, "id"));
    let site = place.and_then(site_id).ok_or_else(|| {
        ("invalid_event", format!(
            "{event_id}: the site is given as readPoint or bizLocation {{\"id\": \"urn:uuid:SITE_ID\"}}, not {place:?}"
        ))
    })?;
    let epcs: Vec<String> = e
        .get("epcList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if epcs.is_empty() {
        return Err((
            "invalid_event",
            format!("{event_id}: epcList names no container"),
        ));
    }
    let at = text(e, "eventTime")
        .ok_or_else(|| {
            (
                "invalid_event",
                format!("{event_id}: the event has no eventTime"),
            )
        })?
        .to_owned();
    let scan_id = match event_id
        .strip_prefix("urn:uuid:")
        .and_then(|u| uuid::Uuid::parse_str(u).ok())
    {
        Some(u) => u.to_string(),
        None => uuid::Uuid::new_v5(&EVENT_NAMESPACE, event_id.as_bytes()).to_string(),
    };
    Ok(Incoming {
        scan_id,
        epcs,
        action,
        reason,
        site_id: site.to_owned(),
        at,
        to_site_id: location(e, "destinationList", "destination"),
        shipment_id: text(e, "boucle:shipment").map(str::to_owned),
        batch_id: text(e, "boucle:washBatch").map(str::to_owned),
        type_id: text(e, "boucle:containerType").map(str::to_owned),
        vehicle: text(e, "boucle:vehicle").map(str::to_owned),
        distance_km: e.get("boucle:distanceKm").and_then(Value::as_f64),
        event_id,
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

    #[test]
    fn an_incoming_event_is_read_or_refused_with_its_reason() {
        let e = json!({
            "type": "ObjectEvent", "eventID": "ni:///sha-256;abc?ver=CBV2.0",
            "eventTime": "2026-11-20T08:00:00Z", "eventTimeZoneOffset": "+01:00",
            "epcList": ["urn:epc:id:grai:0614141.00001.SXJZ3BGC"], "action": "OBSERVE",
            "bizStep": "collecting", "disposition": "returned",
            "readPoint": {"id": "urn:uuid:01a2-shop"}
        });
        let read = read_event(&e).expect("read");
        assert_eq!(read.action, Action::Return);
        assert_eq!(read.site_id, "01a2-shop");
        assert_eq!(
            read.scan_id,
            read_event(&e).expect("again").scan_id,
            "the same id each time"
        );
        let mut other = e.clone();
        other["bizStep"] = json!("dancing");
        let (code, message) = read_event(&other).expect_err("refused");
        assert_eq!(code, "unknown_step");
        assert!(message.starts_with("ni:///sha-256;abc?ver=CBV2.0: bizStep \"dancing\" with disposition \"returned\" is not a step of the loop"), "{message}");
        let mut uuid_id = e.clone();
        uuid_id["eventID"] = json!("urn:uuid:01a22321-6c0e-7a55-9a0b-3e4f5c2d1b10");
        assert_eq!(
            read_event(&uuid_id).expect("read").scan_id,
            "01a22321-6c0e-7a55-9a0b-3e4f5c2d1b10"
        );
    }
}
