//! Reading the events of a captured EPCIS document.

use serde_json::Value;

use super::epcis::{action_of, site_id, TABLE};
use crate::domain::state::Action;

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

/// A shipment's or batch's id named by the event: a UUID, as Boucle gives them, in canonical
/// form.
fn boucle_id(
    e: &Value,
    field: &str,
    event_id: &str,
) -> Result<Option<String>, (&'static str, String)> {
    text(e, field)
        .map(|t| {
            uuid::Uuid::parse_str(t)
                .map(|u| u.to_string())
                .map_err(|_| {
                    (
                        "invalid_event",
                        format!("{event_id}: {field} {t:?} is not a UUID; give the id Boucle gave"),
                    )
                })
        })
        .transpose()
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
        shipment_id: boucle_id(e, "boucle:shipment", &event_id)?,
        batch_id: boucle_id(e, "boucle:washBatch", &event_id)?,
        type_id: text(e, "boucle:containerType").map(str::to_owned),
        vehicle: text(e, "boucle:vehicle").map(str::to_owned),
        distance_km: e.get("boucle:distanceKm").and_then(Value::as_f64),
        event_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
