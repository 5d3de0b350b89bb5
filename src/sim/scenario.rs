//! The loops `boucle simulate` plays: a ZeroWest-like food loop and a Biotop-like park.

/// A site of a scenario, with its coordinates (WGS84).
pub struct SiteSpec {
    pub name: String,
    pub kind: &'static str,
    pub lat: f64,
    pub lon: f64,
}

pub struct TypeSpec {
    pub name: &'static str,
    pub material: &'static str,
    pub capacity_ml: Option<f64>,
    pub tare_mass_g: f64,
    pub single_use_mass_g: f64,
    /// Containers commissioned at the washer at the start, at scale 1.
    pub fleet: usize,
    /// Share of the fills that use this type.
    pub fill_share: f64,
}

pub struct Scenario {
    pub name: &'static str,
    pub washer: SiteSpec,
    pub fillers: Vec<SiteSpec>,
    /// Where filled containers go. `None`: the fillers send to each other (a park).
    pub users: Option<Vec<SiteSpec>>,
    pub types: Vec<TypeSpec>,
    /// Mean fills per filler and working day, at scale 1.
    pub fills_per_day: f64,
    /// Users sell to consumers who bring containers back (shops), or empty them (firms).
    pub consumers: bool,
    /// Chance a day that a filled container on a shop's shelf is sold.
    pub sell_chance: f64,
    /// Share of the shops that scan sales.
    pub scanning_shops: f64,
    /// Share of sold containers that come back; the others are lost.
    pub return_rate: f64,
    /// Days before a return or an emptying: uniform between these.
    pub delay_days: (u32, u32),
    /// Each filler delivers what it filled every this many days.
    pub deliver_every: u32,
    /// A shop's dirty containers are collected every this many days.
    pub collect_every: u32,
    /// The washer restocks the fillers every this many days, up to this many clean each.
    pub restock_every: u32,
    pub restock_target: usize,
    /// Wash rejects: broken, and sent back to be washed again.
    pub broken_share: f64,
    pub rewash_share: f64,
    /// Days after which a container not brought back is declared lost.
    pub lost_after_days: u32,
    /// The vehicles of deliveries and of collections.
    pub delivery_vehicle: &'static str,
    pub collection_vehicle: &'static str,
}

fn ring(
    names: &[&str],
    prefix: &str,
    kind: &'static str,
    center: (f64, f64),
    radius_deg: f64,
) -> Vec<SiteSpec> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let angle = i as f64 / names.len() as f64 * std::f64::consts::TAU;
            let r = radius_deg * (0.7 + 0.3 * ((i * 7 % 5) as f64 / 4.0));
            SiteSpec {
                name: format!("{prefix}{n}"),
                kind,
                lat: center.0 + r * angle.sin(),
                lon: center.1 + 1.5 * r * angle.cos(),
            }
        })
        .collect()
}

/// One washer about 8 km from 9 shops, 13 producers further out, jars and bottles.
pub fn zerowest() -> Scenario {
    let rennes = (48.1115, -1.6800);
    let shops = [
        "Rennes Centre",
        "Rennes Nord",
        "Cesson",
        "Saint-Grégoire",
        "Bruz",
        "Pacé",
        "Chantepie",
        "Betton",
        "Vern",
    ];
    let producers = [
        "Laiterie de Noyal",
        "Confitures du Couesnon",
        "Brasserie de la Vilaine",
        "Conserverie de Redon",
        "Miellerie des Landes",
        "Jus de pommes de Liffré",
        "Fromagerie de Vitré",
        "Légumerie de Châteaugiron",
        "Yaourts de Janzé",
        "Soupes de Montfort",
        "Cidrerie de Fougères",
        "Compotes de Combourg",
        "Sauces de Dol",
    ];
    Scenario {
        name: "zerowest",
        washer: SiteSpec {
            name: "Laverie du Grand-Ouest".into(),
            kind: "washer",
            lat: rennes.0 - 0.0700,
            lon: rennes.1 + 0.0100,
        },
        fillers: ring(&producers, "", "producer", rennes, 0.30),
        users: Some(ring(&shops, "Épicerie ", "shop", rennes, 0.06)),
        types: vec![
            TypeSpec {
                name: "Bocal 370 ml",
                material: "glass",
                capacity_ml: Some(370.0),
                tare_mass_g: 250.0,
                single_use_mass_g: 180.0,
                fleet: 3_000,
                fill_share: 0.65,
            },
            TypeSpec {
                name: "Bouteille 75 cl",
                material: "glass",
                capacity_ml: Some(750.0),
                tare_mass_g: 500.0,
                single_use_mass_g: 400.0,
                fleet: 1_600,
                fill_share: 0.35,
            },
        ],
        fills_per_day: 6.0,
        consumers: true,
        sell_chance: 0.35,
        scanning_shops: 0.6,
        return_rate: 0.88,
        delay_days: (3, 30),
        deliver_every: 7,
        collect_every: 7,
        restock_every: 7,
        restock_target: 60,
        broken_share: 0.02,
        rewash_share: 0.01,
        lost_after_days: 90,
        delivery_vehicle: "van",
        collection_vehicle: "truck",
    }
}

/// A few dozen firms passing big-bags to each other, with an inspection and cleaning site.
pub fn big_bags() -> Scenario {
    let perigny = (46.1550, -1.0950);
    let firms: Vec<String> = (1..=32).map(|i| format!("Entreprise {i:02}")).collect();
    let names: Vec<&str> = firms.iter().map(String::as_str).collect();
    Scenario {
        name: "big-bags",
        washer: SiteSpec {
            name: "Inspection et nettoyage des big-bags".into(),
            kind: "washer",
            lat: perigny.0,
            lon: perigny.1,
        },
        fillers: ring(&names, "", "company", perigny, 0.03),
        users: None,
        types: vec![TypeSpec {
            name: "Big-bag 1 m3",
            material: "polypropylene",
            capacity_ml: Some(1_000_000.0),
            tare_mass_g: 2_500.0,
            single_use_mass_g: 2_500.0,
            fleet: 700,
            fill_share: 1.0,
        }],
        fills_per_day: 0.8,
        consumers: false,
        sell_chance: 0.0,
        scanning_shops: 1.0,
        return_rate: 0.995,
        delay_days: (1, 6),
        deliver_every: 1,
        collect_every: 3,
        restock_every: 3,
        restock_target: 6,
        broken_share: 0.03,
        rewash_share: 0.02,
        lost_after_days: 60,
        delivery_vehicle: "truck",
        collection_vehicle: "truck",
    }
}
