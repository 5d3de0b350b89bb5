//! Managing the loop (coordinators): sites, routes, container types, emission factors, and
//! users (admins add them). The same checks as the API and the command line.

use actix_web::web;
use maud::{html, Markup};
use serde::Deserialize;

use super::once::key_field;
use super::session::{constant_time_eq, Staff};
use super::work::number;
use super::{layout, tr, words, Lang, PageError};
use crate::db::catalog;
use crate::db::users;
use crate::domain::co2e::latest;
use crate::domain::roles::Role;
use crate::domain::state::SiteKind;
use crate::http::{read, State};

#[derive(Deserialize)]
pub struct Outcome {
    done: Option<String>,
    error: Option<String>,
    sig: Option<String>,
}

impl Outcome {
    /// The message of the redirect, if it was signed for this session.
    fn shown<'a>(&self, key: &str, text: &'a Option<String>, csrf: &str) -> Option<&'a str> {
        let text = text.as_deref()?;
        let sig = self.sig.as_deref()?;
        let expected = words::signature(csrf, &format!("{key}:{text}"));
        constant_time_eq(sig.as_bytes(), expected.as_bytes()).then_some(text)
    }
}

/// `GET /manage`.
pub async fn page(
    state: State,
    staff: Staff,
    query: web::Query<Outcome>,
) -> Result<Markup, PageError> {
    staff.coordinator()?;
    let lang: Lang = staff.lang;
    let admin = staff.session.actor.role == Role::Admin;
    let (sites, routes, types, factors, people) = read(&state, |conn| {
        Ok((
            catalog::list_sites(conn)?,
            catalog::list_routes(conn)?,
            catalog::list_types(conn)?,
            crate::db::factors::all(conn)?,
            users::list(conn)?,
        ))
    })
    .await?;
    let current = latest(&factors);
    let site_name = |id: &str| {
        sites
            .iter()
            .find(|s| s.id == id)
            .map_or(id.to_owned(), |s| s.name.clone())
    };
    let csrf = &staff.session.csrf;
    let body = html! {
        @if let Some(d) = query.shown("done", &query.done, csrf) { p.result.ok role="status" { (d) } }
        @if let Some(e) = query.shown("error", &query.error, csrf) { p.error role="alert" { (e) } }
        nav.toc { a href="#sites" { "Sites" } " · " a href="#routes" { (tr!(lang, "Distances", "Routes")) } " · " a href="#types" { (tr!(lang, "Modèles", "Types")) } " · " a href="#factors" { (tr!(lang, "Facteurs d'émission", "Emission factors")) } " · " a href="#users" { (tr!(lang, "Utilisateurs", "Users")) } }
        section #sites {
            h2 { "Sites" }
            div.table-wrap { table { thead { tr { th { (tr!(lang, "Nom", "Name")) } th { (tr!(lang, "Type", "Kind")) } th { (tr!(lang, "Adresse", "Address")) } th.num { "lat" } th.num { "lon" } } }
                tbody { @for s in &sites { tr { td { (s.name) } td { (s.kind) } td { (s.address.as_deref().unwrap_or("")) } td.num { (s.lat) } td.num { (s.lon) } } } } } }
            form.card method="post" action="/manage/sites" {
                input type="hidden" name="csrf" value=(csrf);
                (key_field())
                label for="site-name" { (tr!(lang, "Nom", "Name")) } input #site-name type="text" name="name" required;
                label for="site-kind" { (tr!(lang, "Type de site", "Kind of site")) }
                select #site-kind name="kind" { @for k in SiteKind::ALL { option value=(k.as_str()) { (k.as_str()) } } }
                label for="site-lat" { (tr!(lang, "Latitude (WGS84)", "Latitude (WGS84)")) } input #site-lat type="text" inputmode="decimal" name="lat" required;
                label for="site-lon" { (tr!(lang, "Longitude (WGS84)", "Longitude (WGS84)")) } input #site-lon type="text" inputmode="decimal" name="lon" required;
                label for="site-address" { (tr!(lang, "Adresse", "Address")) } input #site-address type="text" name="address";
                label for="site-email" { (tr!(lang, "E-mail de contact", "Contact e-mail")) } input #site-email type="email" name="email";
                button.primary type="submit" { (tr!(lang, "Ajouter le site", "Add the site")) }
            }
        }
        section #routes {
            h2 { (tr!(lang, "Distances routières", "Road distances")) }
            div.table-wrap { table { thead { tr { th { (tr!(lang, "De", "From")) } th { (tr!(lang, "Vers", "To")) } th.num { "km" } } }
                tbody { @for r in &routes { tr { td { (site_name(&r.from_site_id)) } td { (site_name(&r.to_site_id)) } td.num { (number(lang, r.distance_km, 1)) } } } } } }
            form.card method="post" action="/manage/routes" {
                input type="hidden" name="csrf" value=(csrf);
                (key_field())
                label for="route-from" { (tr!(lang, "De", "From")) } select #route-from name="from" { @for s in &sites { option value=(s.id) { (s.name) } } }
                label for="route-to" { (tr!(lang, "Vers", "To")) } select #route-to name="to" { @for s in &sites { option value=(s.id) { (s.name) } } }
                label for="route-km" { "km" } input #route-km type="text" inputmode="decimal" name="km" required;
                button.primary type="submit" { (tr!(lang, "Enregistrer la distance", "Save the distance")) }
            }
        }
        section #types {
            h2 { (tr!(lang, "Modèles de contenants", "Container types")) }
            div.table-wrap { table { thead { tr { th { (tr!(lang, "Nom", "Name")) } th { (tr!(lang, "Matière", "Material")) } th.num { "ml" } th.num { (tr!(lang, "Tare (g)", "Tare (g)")) } th.num { (tr!(lang, "Jetable remplacé (g)", "Single-use replaced (g)")) } } }
                tbody { @for t in &types { tr { td { (t.name) } td { (t.material) } td.num { (t.capacity_ml.map(|c| number(lang, c, 0)).unwrap_or_default()) } td.num { (number(lang, t.tare_mass_g, 0)) } td.num { (number(lang, t.single_use_mass_g, 0)) } } } } } }
            form.card method="post" action="/manage/types" {
                input type="hidden" name="csrf" value=(csrf);
                (key_field())
                label for="type-name" { (tr!(lang, "Nom", "Name")) } input #type-name type="text" name="name" required;
                label for="type-material" { (tr!(lang, "Matière", "Material")) } input #type-material type="text" name="material" required;
                label for="type-capacity" { (tr!(lang, "Contenance (ml)", "Capacity (ml)")) } input #type-capacity type="text" inputmode="decimal" name="capacity_ml";
                label for="type-tare" { (tr!(lang, "Tare du contenant (g)", "Container's tare (g)")) } input #type-tare type="text" inputmode="decimal" name="tare_mass_g" required;
                label for="type-single" { (tr!(lang, "Masse de l'emballage jetable remplacé (g)", "Mass of the single-use packaging replaced (g)")) } input #type-single type="text" inputmode="decimal" name="single_use_mass_g" required;
                button.primary type="submit" { (tr!(lang, "Ajouter le modèle", "Add the type")) }
            }
        }
        section #factors {
            h2 { (tr!(lang, "Facteurs d'émission", "Emission factors")) }
            div.table-wrap { table { thead { tr { th { (tr!(lang, "Type", "Kind")) } th { (tr!(lang, "Sujet", "Subject")) } th.num { (tr!(lang, "Valeur", "Value")) } th { (tr!(lang, "Unité", "Unit")) } th { "Source" } th.num { "v." } } }
                tbody { @for f in &factors { tr class=(if current.iter().any(|c| c.id == f.id) { "current" } else { "old" }) { td { (f.kind) } td { (f.subject) } td.num { (f.value) } td { (f.unit) } td { (f.source) } td.num { (f.version) } } } } } }
            form.card method="post" action="/manage/factors" {
                input type="hidden" name="csrf" value=(csrf);
                (key_field())
                label for="factor-kind" { (tr!(lang, "Type", "Kind")) }
                select #factor-kind name="kind" { @for k in ["single_use", "reusable", "wash", "transport"] { option value=(k) { (k) } } }
                label for="factor-subject" { (tr!(lang, "Sujet (véhicule, id de modèle ou matière ; vide pour le lavage)", "Subject (vehicle, type id or material; empty for washing)")) } input #factor-subject type="text" name="subject";
                label for="factor-value" { (tr!(lang, "Valeur (kg CO2e)", "Value (kg CO2e)")) } input #factor-value type="text" inputmode="decimal" name="value" required;
                label for="factor-source" { "Source" } input #factor-source type="text" name="source" required;
                button.primary type="submit" { (tr!(lang, "Ajouter une version", "Add a version")) }
            }
        }
        section #users {
            h2 { (tr!(lang, "Utilisateurs", "Users")) }
            div.table-wrap { table { thead { tr { th { "E-mail" } th { (tr!(lang, "Rôle", "Role")) } th { "Site" } } }
                tbody { @for u in &people { tr { td { (u.email) } td { (u.role) } td { (u.site_id.as_deref().map(&site_name).unwrap_or_default()) } } } } } }
            @if admin {
                form.card method="post" action="/manage/users" {
                    input type="hidden" name="csrf" value=(csrf);
                    (key_field())
                    label for="user-email" { "E-mail" } input #user-email type="email" name="email" required;
                    label for="user-role" { (tr!(lang, "Rôle", "Role")) } select #user-role name="role" { @for r in Role::ALL { option value=(r.as_str()) { (r.as_str()) } } }
                    label for="user-site" { (tr!(lang, "Site (boutique, laveur, producteur)", "Site (shop, washer, producer)")) }
                    select #user-site name="site" { option value="" { "—" } @for s in &sites { option value=(s.id) { (s.name) } } }
                    label for="user-lang" { (tr!(lang, "Langue des e-mails", "Language of mails")) } select #user-lang name="language" { option value="fr" { "français" } option value="en" { "English" } }
                    label for="user-password" { (tr!(lang, "Mot de passe de départ (8 caractères au moins)", "First password (8 characters at least)")) } input #user-password type="password" name="password" autocomplete="new-password" required;
                    button.primary type="submit" { (tr!(lang, "Ajouter l'utilisateur", "Add the user")) }
                }
            } @else {
                p { (tr!(lang, "Seuls les administrateurs ajoutent des utilisateurs.", "Only admins add users.")) }
            }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Gestion de la boucle", "Managing the loop"),
        body,
        &[],
    ))
}
