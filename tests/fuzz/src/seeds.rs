//! The first inputs of each target, well-formed ones that reach deep into the service (the
//! seeds of the corpora, written by `cargo test --test fuzz_corpora -- --ignored`).

use boucle::domain::code::ShortCode;
use boucle::domain::gs1::{CompanyPrefix, Grai};

use super::{seed_code, EMAIL, GS1, JAR, PASSWORD, PRODUCER, SEEDED, SHOP, WASHER};

/// The seeds of `target`.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let code = seed_code(1);
    let bare = code.trim_start_matches("ZW-").replace('-', "");
    let company = CompanyPrefix::parse(GS1).expect("the company prefix");
    let grai = Grai::new(&company, 7, &ShortCode::from_serial(1)).expect("a GRAI");
    let texts: Vec<String> = match target {
        "codes" => vec![
            code.clone(),
            code.to_lowercase(),
            bare.clone(),
            format!("https://boucle.test/c/{code}?from=label"),
            grai.element_string(),
            grai.digital_link("https://boucle.test"),
            grai.epc_uri(),
            format!("  {}  ", code.replace('0', "O")),
        ],
        "csv" => vec![
            "\0name,kind,lat,lon,address,email\nBio shop,shop,48.1,-1.6,\"1 rue, Rennes\",a@b.test\n".into(),
            "\u{1}name,material,tare_mass_g,single_use_mass_g,capacity_ml\nBottle,glass,\"400,5\",35,750\n".into(),
            format!("\u{2}type_id,site_id,code,commissioned_at\n{JAR},{PRODUCER},{},2026-11-01T08:00:00Z\n{JAR},{WASHER},,\n", seed_code(SEEDED + 1)),
            "\u{2}type_id,site_id\nnot-a-type,nowhere\n".into(),
            "\0\u{feff}Name,Kind,Lat,Lon\nX,farm,95,0\n".into(),
        ],
        "epcis" => TABLE_STEPS
            .iter()
            .enumerate()
            .map(|(i, (step, disposition))| epcis_document(i, step, disposition, &seed_code(i as u64 + 1)))
            .collect(),
        "json" => {
            let c2 = seed_code(2);
            let c3 = seed_code(3);
            [
                format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}","name":"fuzz"}}"#),
                r#"{"name":"Épicerie","kind":"shop","lat":48.1,"lon":-1.7,"email":"e@shop.test"}"#.into(),
                format!(r#"{{"from_site_id":"{SHOP}","to_site_id":"{WASHER}","distance_km":8.2}}"#),
                r#"{"name":"Pot 500","material":"glass","tare_mass_g":240.5,"single_use_mass_g":28,"capacity_ml":500}"#.into(),
                format!(r#"{{"type_id":"{JAR}","site_id":"{PRODUCER}","count":3}}"#),
                format!(r#"{{"scans":[{{"code":"{code}","action":"break","site_id":"{SHOP}"}},{{"id":"0192f0aa-0000-7000-8000-000000000001","code":"{c2}","action":"retire","site_id":"{SHOP}","at":"2026-11-20T10:00:00Z"}},{{"code":"{c3}","action":"retire","site_id":"{SHOP}","reason":"end_of_life"}}]}}"#),
                "{}".into(),
                format!(r#"{{"from_site_id":"{SHOP}","to_site_id":"{WASHER}","codes":["{code}","{c2}"],"vehicle":"van"}}"#),
                "{}".into(),
                format!(r#"{{"site_id":"{WASHER}","codes":["{code}","{c2}"]}}"#),
                format!(r#"{{"rejected":[{{"code":"{c2}","reason":"broken"}}]}}"#),
                r#"{"kind":"single_use","subject":"glass","value":1.2,"source":"ADEME Base Empreinte"}"#.into(),
                epcis_document(0, "collecting", "returned", &code),
                format!(r#"{{"site_id":"{PRODUCER}","type_id":"{JAR}","min_clean":5}}"#),
                format!(r#"{{"site_id":"{SHOP}","min_dirty":12}}"#),
                r#"{"language":"en","weekly_digest":false}"#.into(),
                "{}".into(),
            ]
            .into_iter()
            .enumerate()
            .map(|(i, body)| format!("{}{body}", char::from(i as u8)))
            .collect()
        }
        _ => Vec::new(),
    };
    texts.into_iter().map(String::into_bytes).collect()
}

/// Business steps and dispositions of the loop's actions (docs/INTEROP.md).
const TABLE_STEPS: &[(&str, &str)] = &[
    ("commissioning", "active"),
    ("boucle:filling", "boucle:filled"),
    ("shipping", "in_transit"),
    ("receiving", "in_progress"),
    ("retail_selling", "retail_sold"),
    ("collecting", "returned"),
    ("boucle:washing", "in_progress"),
    ("boucle:washing", "available"),
    ("inspecting", "damaged"),
    ("inspecting", "non_conformant"),
    ("destroying", "destroyed"),
    ("decommissioning", "boucle:lost"),
    ("decommissioning", "inactive"),
];

fn epcis_document(i: usize, step: &str, disposition: &str, code: &str) -> String {
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-21T18:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent",
            "eventID": format!("urn:uuid:0192f0aa-0000-7000-8000-{i:012}"),
            "eventTime": "2026-11-20T10:00:00Z", "eventTimeZoneOffset": "+01:00",
            "epcList": [format!("https://boucle.test/c/{code}")], "action": "OBSERVE",
            "bizStep": step, "disposition": disposition,
            "readPoint": {"id": format!("urn:uuid:{SHOP}")},
            "bizLocation": {"id": format!("urn:uuid:{SHOP}")},
            "destination": [{"type": "location", "destination": format!("urn:uuid:{WASHER}")}]
        }]}
    })
    .to_string()
}
