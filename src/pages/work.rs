//! What the pages of the sites' work share: the site a user works at, the codes of a scan
//! list, and the table of each code's outcome.

use actix_web::http::StatusCode;
use maud::{html, Markup};

use super::session::Staff;
use super::{tr, words, Lang, PageError};
use crate::db::catalog;
use crate::db::models::Site;
use crate::db::scans::{Outcome, Status};
use crate::domain::state::{Action, SiteKind};
use crate::http::{read, State};

/// The site the page works at: the user's own, or for coordinators the one in `?site=`
/// (the first of the right kind when none is asked for); it must be of one of `kinds`.
pub async fn site_for(
    state: &State,
    staff: &Staff,
    asked: Option<&str>,
    kinds: &[SiteKind],
) -> Result<(Site, Vec<Site>), PageError> {
    let lang = staff.lang;
    let sites = read(state, |conn| Ok(catalog::list_sites(conn)?)).await?;
    let fits = |s: &&Site| SiteKind::parse(&s.kind).is_some_and(|k| kinds.contains(&k));
    let actor = &staff.session.actor;
    let found = match (&actor.site_id, asked) {
        (Some(own), _) => sites.iter().find(|s| &s.id == own),
        (None, Some(id)) => sites.iter().find(|s| s.id == id),
        (None, None) => sites.iter().find(fits),
    };
    match found.filter(fits) {
        Some(s) if actor.may_act_at(&s.id) => Ok((s.clone(), sites.clone())),
        _ => Err(PageError::shown(
            StatusCode::FORBIDDEN,
            lang,
            tr!(lang, "Pas pour ce compte", "Not for this account"),
            tr!(
                lang,
                "Cette page sert au travail d'un autre type de site : ouvrez celle de votre rôle depuis le menu.",
                "This page serves the work of another kind of site: open your role's page from the menu."
            ),
        )),
    }
}

/// The codes of a scan list: one per line (a hand scanner ends each with Enter), or
/// separated by spaces or commas.
pub fn codes(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A choice among the sites of a kind the user works for: shown to coordinators, who work
/// for any site, never to a user bound to one.
pub fn site_picker(
    staff: &Staff,
    path: &str,
    current: &Site,
    sites: &[Site],
    kind: SiteKind,
) -> Markup {
    let lang = staff.lang;
    let choices: Vec<&Site> = sites
        .iter()
        .filter(|s| SiteKind::parse(&s.kind) == Some(kind))
        .filter(|s| staff.session.actor.may_act_at(&s.id))
        .collect();
    html! {
        @if choices.len() > 1 {
            form.no-print method="get" action=(path) {
                label for="site" { (tr!(lang, "Site", "Site")) }
                div.row {
                    select #site name="site" {
                        @for s in &choices {
                            option value=(s.id) selected[s.id == current.id] { (s.name) }
                        }
                    }
                    button type="submit" { (tr!(lang, "Changer", "Switch")) }
                }
            }
        }
    }
}

/// What became of each code of a request.
pub fn outcomes(lang: Lang, action: Action, results: &[Outcome]) -> Markup {
    let refused = results
        .iter()
        .filter(|o| o.status == Status::Rejected)
        .count();
    html! {
        @if !results.is_empty() {
            p class=(if refused > 0 { "result refused" } else { "result ok" }) role="status" {
                (results.len() - refused) (tr!(lang, " enregistré(s)", " recorded"))
                @if refused > 0 { ", " (refused) (tr!(lang, " refusé(s)", " refused")) }
            }
            div.table-wrap {
                table.outcomes {
                    thead { tr { th { (tr!(lang, "Code", "Code")) } th { (tr!(lang, "Résultat", "Outcome")) } } }
                    tbody {
                        @for o in results {
                            tr class=(if o.status == Status::Rejected { "rejected" } else { "recorded" }) {
                                td { (o.code) }
                                td {
                                    @match (&o.status, &o.error) {
                                        (Status::Rejected, Some(e)) => (words::refusal_of(lang, action, e.code)),
                                        (Status::Duplicate, _) => (words::recorded(lang, true)),
                                        _ => (tr!(lang, "Enregistré", "Recorded")),
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A date and time for people, in UTC.
pub fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A number as the page's language writes it: `12 345,6` in French, `12,345.6` in English.
pub fn number(lang: Lang, value: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match lang {
        Lang::Fr => ('\u{202f}', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    if value < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_each_language_does() {
        assert_eq!(number(Lang::Fr, 1_290_403.0, 0), "1\u{202f}290\u{202f}403");
        assert_eq!(number(Lang::En, 1_290_403.0, 0), "1,290,403");
        assert_eq!(number(Lang::Fr, 79.84, 1), "79,8");
        assert_eq!(number(Lang::En, -14_745.2, 1), "-14,745.2");
        assert_eq!(number(Lang::Fr, 0.04, 1), "0,0");
        assert_eq!(number(Lang::En, -0.04, 1), "0.0");
        assert_eq!(number(Lang::En, 999.0, 0), "999");
    }
}
