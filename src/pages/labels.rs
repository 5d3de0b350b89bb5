//! Labels: commission a batch of containers and print their labels, an A4 sheet of 21
//! (3 × 7, 63.5 × 38.1 mm, the common label sheet) with each container's QR code and its
//! short code in letters large enough to type from a damaged label. Reprints by code.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::once::{key_field, key_of, once, Done};
use super::session::Staff;
use super::work::codes;
use super::{layout, tr, Lang, PageError};
use crate::db::answers;
use crate::db::catalog::{self, now};
use crate::db::containers::{commission, find_by_code, Commission};
use crate::db::models::Container;
use crate::domain::code::parse_any;
use crate::http::{links, read, write, State};

pub const PER_SHEET: usize = 21;

/// `GET /labels`: the form to commission a batch, and to reprint labels.
pub async fn page(state: State, staff: Staff) -> Result<Markup, PageError> {
    staff.coordinator()?;
    let lang = staff.lang;
    let (types, sites) = read(&state, |conn| {
        Ok((catalog::list_types(conn)?, catalog::list_sites(conn)?))
    })
    .await?;
    let body = html! {
        form.card method="post" action="/labels" {
            h2 { (tr!(lang, "Nouveaux contenants", "New containers")) }
            input type="hidden" name="csrf" value=(staff.session.csrf);
            (key_field())
            label for="type" { (tr!(lang, "Modèle", "Type")) }
            select #type name="type_id" required { @for t in &types { option value=(t.id) { (t.name) } } }
            label for="site" { (tr!(lang, "Où ils sont (propres)", "Where they are (clean)")) }
            select #site name="site_id" required { @for s in &sites { option value=(s.id) { (s.name) } } }
            label for="count" { (tr!(lang, "Nombre (21 par planche)", "How many (21 a sheet)")) }
            input #count type="number" name="count" min="1" max="10000" value="21" required;
            button.primary type="submit" { (tr!(lang, "Créer et imprimer les étiquettes", "Create and print the labels")) }
        }
        form.card method="get" action="/labels/print" {
            h2 { (tr!(lang, "Réimprimer", "Reprint")) }
            label for="codes" { (tr!(lang, "Codes (un par ligne)", "Codes (one per line)")) }
            textarea #codes name="codes" rows="4" required {}
            button type="submit" { (tr!(lang, "Imprimer ces étiquettes", "Print these labels")) }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Étiquettes", "Labels"),
        body,
        &[],
    ))
}

/// The sheets of labels of `containers`.
async fn sheets(
    state: &State,
    staff: &Staff,
    containers: Vec<Container>,
) -> Result<Markup, PageError> {
    let lang: Lang = staff.lang;
    let l = links(state).await?;
    let types = read(state, |conn| Ok(catalog::list_types(conn)?)).await?;
    let mut labels = Vec::with_capacity(containers.len());
    for c in &containers {
        let url = l.url(&c.type_id, &c.code);
        let svg = crate::qr::svg(&url)?;
        let svg = svg[svg.find("<svg").unwrap_or(0)..].to_owned();
        let name = types
            .iter()
            .find(|t| t.id == c.type_id)
            .map_or("", |t| t.name.as_str());
        labels.push((
            c.code.clone(),
            name.to_owned(),
            svg,
            l.grai(&c.type_id, &c.code).map(|g| g.element_string()),
        ));
    }
    let body = html! {
        p.no-print { (containers.len()) (tr!(lang, " étiquettes. Imprimez à 100 % (sans ajuster à la page) sur des planches A4 de 21 étiquettes.", " labels. Print at 100 % (no fit to page) on A4 sheets of 21 labels.")) }
        @for sheet in labels.chunks(PER_SHEET) {
            section.sheet {
                @for (code, name, svg, grai) in sheet {
                    div.label data-code=(code) {
                        div.qr { (PreEscaped(svg)) }
                        div.text {
                            @let (head, tail) = code.rsplit_once('-').map_or((code.as_str(), ""), |(h, t)| (h, t));
                            span.code { span { (head) "-" } span { (tail) } }
                            span.type { (name) }
                            @if let Some(g) = grai { span.grai { (g) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &staff.visitor,
        tr!(lang, "Planche d'étiquettes", "Label sheet"),
        body,
        &[],
    ))
}

#[derive(Deserialize)]
pub struct NewLabels {
    #[serde(default)]
    once: String,
    csrf: String,
    type_id: String,
    site_id: String,
    count: usize,
}

/// `POST /labels`: commissions the containers, then sends to their sheets; once per form,
/// so that a reload of the sheets commissions nothing more.
pub async fn create(
    state: State,
    staff: Staff,
    form: web::Form<NewLabels>,
) -> Result<HttpResponse, PageError> {
    staff.coordinator()?;
    let f = form.into_inner();
    staff.check_csrf(&f.csrf)?;
    let key = key_of(&staff, &f.once)?;
    once(&state, &staff, &key, async {
        let lang = staff.lang;
        if !(1..=crate::http::containers::MAX_COMMISSION).contains(&f.count) {
            return Err(PageError::shown(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                tr!(lang, "Nombre refusé", "Number refused"),
                tr!(
                    lang,
                    "Donnez de 1 à 10 000 contenants.",
                    "Give 1 to 10,000 containers."
                ),
            ));
        }
        let prefix = state.config.code_prefix.clone();
        let user = staff.session.actor.user_id.clone();
        let k = key.clone();
        let made = write(&state, move |conn| {
            let now = now();
            if catalog::find_type(conn, &f.type_id)?.is_none()
                || catalog::find_site(conn, &f.site_id)?.is_none()
            {
                return Ok(false);
            }
            let order = Commission {
                type_id: &f.type_id,
                site_id: &f.site_id,
                count: f.count,
                at: now,
                user_id: Some(&user),
                prefix: &prefix,
                now,
            };
            let made: Vec<String> = commission(conn, &order)?
                .into_iter()
                .map(|c| c.code)
                .collect();
            answers::keep_codes(conn, &k, &made)?;
            Ok(true)
        })
        .await?;
        if !made {
            return Err(PageError::shown(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                tr!(lang, "Étiquettes", "Labels"),
                tr!(
                    lang,
                    "Ce modèle ou ce site n'existe plus : rechargez la page.",
                    "This type or site no longer exists: reload the page."
                ),
            ));
        }
        Ok(Done::Go(format!("/labels/made/{key}")))
    })
    .await
}

/// `GET /labels/made/{key}`: the sheets of the containers a label form of this session
/// commissioned.
pub async fn made(
    state: State,
    staff: Staff,
    path: web::Path<String>,
) -> Result<Markup, PageError> {
    staff.coordinator()?;
    let lang = staff.lang;
    let (key, session) = (path.into_inner(), staff.session.id.clone());
    let prefix = state.config.code_prefix.clone();
    let found = read(&state, move |conn| {
        let Some(codes) = answers::codes(conn, &key, &session)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(codes.len());
        for code in &codes {
            let parsed = crate::domain::code::ShortCode::parse(code, &prefix)
                .map_err(|e| anyhow::anyhow!("a kept code {code:?} does not parse: {e}"))?;
            out.extend(find_by_code(conn, &parsed)?);
        }
        Ok(Some(out))
    })
    .await?;
    match found {
        Some(containers) => sheets(&state, &staff, containers).await,
        None => Err(PageError::shown(
            StatusCode::NOT_FOUND,
            lang,
            tr!(lang, "Étiquettes", "Labels"),
            tr!(
                lang,
                "Ces étiquettes ne sont pas (ou plus) à imprimer ici : réimprimez-les par leurs codes.",
                "These labels are not (or no longer) to print here: reprint them by their codes."
            ),
        )),
    }
}

#[derive(Deserialize)]
pub struct ReprintQuery {
    codes: String,
}

/// `GET /labels/print?codes=`: the labels of existing containers, to replace damaged ones.
pub async fn reprint(
    state: State,
    staff: Staff,
    query: web::Query<ReprintQuery>,
) -> Result<Markup, PageError> {
    staff.coordinator()?;
    let lang = staff.lang;
    let config = state.config.clone();
    let asked = codes(&query.codes);
    let found = read(&state, move |conn| {
        let mut out = Vec::new();
        for code in &asked {
            let parsed = parse_any(code, &config.code_prefix, config.gs1.as_ref()).ok();
            match parsed
                .map(|p| find_by_code(conn, &p.code))
                .transpose()?
                .flatten()
            {
                Some(c) => out.push(c),
                None => return Ok(Err(code.clone())),
            }
        }
        Ok(Ok(out))
    })
    .await?;
    match found {
        Ok(containers) => sheets(&state, &staff, containers).await,
        Err(code) => Err(PageError::shown(
            StatusCode::NOT_FOUND,
            lang,
            tr!(lang, "Étiquettes", "Labels"),
            format!(
                "{code} : {}",
                tr!(
                    lang,
                    "aucun contenant n'a ce code.",
                    "no container has this code."
                )
            ),
        )),
    }
}
