//! Each figure's name and definition in plain words, as docs/FIGURES.md gives them.

use super::Lang;

/// (field, French name, English name, French definition, English definition).
const FIGURES: &[(&str, &str, &str, &str, &str)] = &[
    ("uses", "utilisations", "uses", "Remplissages de la période : chaque remplissage est une utilisation.", "Fills in the period: each fill is one use."),
    ("first_uses", "premières utilisations", "first uses", "Parmi elles, le tout premier remplissage d'un contenant.", "Of those, a container's very first fill."),
    ("reuses", "réutilisations", "reuses", "Utilisations moins premières utilisations : celles pour lesquelles aucun contenant neuf n'a été fabriqué.", "Uses minus first uses: those no new container had to be made for."),
    ("fleet_avg", "parc moyen", "average fleet", "Contenants en service en moyenne sur la période (chacun compte pour la part de la période entre sa mise en service et son retrait).", "Containers in service on average over the period (each counts for the part of the period between its commissioning and its retirement)."),
    ("rotations_per_year", "rotations par an", "rotations per year", "Combien de fois par an un contenant moyen est utilisé : utilisations ÷ parc moyen × 365 ÷ jours.", "How many times a year an average container is used: uses ÷ average fleet × 365 ÷ days."),
    ("avg_cycle_days", "cycle moyen (jours)", "average cycle (days)", "Jours entre deux remplissages d'un même contenant, en moyenne.", "Days between two fills of the same container, on average."),
    ("returns", "retours", "returns", "Contenants rapportés (scannés au retour, ou repartis d'un magasin alors qu'on les croyait chez un client).", "Containers brought back (scanned as returned, or shipped from a shop while thought to be with a customer)."),
    ("trips", "voyages", "trips", "Contenants pleins arrivés dans un magasin pendant la période.", "Filled containers that arrived at a shop in the period."),
    ("trips_returned", "voyages revenus", "trips returned", "Parmi ces voyages, ceux dont le contenant est revenu depuis, dans n'importe quel magasin.", "Of those trips, the ones whose container came back since, at any shop."),
    ("return_rate", "taux de retour", "return rate", "Voyages revenus ÷ voyages ; les voyages récents peuvent être encore en cours (voir les courbes).", "Trips returned ÷ trips; recent trips may still be out (see the curves)."),
    ("broken", "cassés", "broken", "Contenants retirés comme cassés pendant la période (rebuts de lavage compris).", "Containers retired as broken in the period (wash rejects included)."),
    ("lost", "perdus", "lost", "Contenants retirés comme perdus pendant la période.", "Containers retired as lost in the period."),
    ("breakage_rate", "taux de casse", "breakage rate", "Cassés ÷ utilisations.", "Broken ÷ uses."),
    ("loss_rate", "taux de perte", "loss rate", "Perdus ÷ utilisations.", "Lost ÷ uses."),
    ("shipments", "livraisons", "shipments", "Livraisons parties pendant la période.", "Shipments that left in the period."),
    ("vehicle_km", "km véhicule", "vehicle-km", "Kilomètres roulés par les véhicules de ces livraisons.", "Kilometres the vehicles drove for those shipments."),
    ("container_km", "km contenant", "container-km", "Kilomètres × contenants à bord, additionnés : le transport de chaque contenant.", "Kilometres × containers on board, summed: each container's transport."),
    ("km_per_use", "km par utilisation", "km per use", "Km contenant ÷ utilisations.", "Container-km ÷ uses."),
    ("avoided_waste_kg", "déchets évités (kg)", "waste avoided (kg)", "Emballages jetables remplacés par les utilisations, moins les contenants retirés (leur propre masse).", "Single-use packaging the uses replaced, minus the containers retired (their own mass)."),
    ("avoided_co2e_kg", "CO2e évité (kg)", "CO2e avoided (kg)", "Emballages jetables non fabriqués, moins les lavages, le transport et les contenants mis en service ; vide s'il manque un facteur d'émission.", "Single-use packaging not made, minus the washes, the transport and the containers commissioned; empty when an emission factor is missing."),
];

fn find(
    name: &str,
) -> Option<&'static (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    FIGURES.iter().find(|f| f.0 == name)
}

pub fn label(lang: Lang, name: &str) -> String {
    match (find(name), lang) {
        (Some(f), Lang::Fr) => f.1.to_owned(),
        (Some(f), Lang::En) => f.2.to_owned(),
        (None, _) => name.to_owned(),
    }
}

pub fn definition(lang: Lang, name: &str) -> &'static str {
    match (find(name), lang) {
        (Some(f), Lang::Fr) => f.3,
        (Some(f), Lang::En) => f.4,
        (None, _) => "",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_figure_of_a_report_has_words() {
        for name in crate::http::reports::FIELDS {
            assert!(super::find(name).is_some(), "{name} has no label");
        }
    }
}
