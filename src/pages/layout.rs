//! The frame of every page: head, header with the signed-in user and their pages, footer.

use maud::{html, Markup, DOCTYPE};

use super::session::Visitor;
use super::{tr, Lang};
use crate::domain::roles::Role;

/// Pages load nothing from elsewhere and run no inline script; the camera is asked for by
/// the till's own script.
pub const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// A page without the signed-in header (errors, sign-in).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    document(lang, title, html! {}, body, &[])
}

/// A page with its header: who is signed in and the pages of their role.
pub fn page(visitor: &Visitor, title: &str, body: Markup, scripts: &[&str]) -> Markup {
    let lang = visitor.lang;
    let header = html! {
        header.top {
            a.brand href="/" { "Boucle" }
            @if let Some(s) = &visitor.session {
                nav aria-label=(tr!(lang, "Pages", "Pages")) {
                    @for (href, label) in links(s.actor.role, lang) {
                        a href=(href) { (label) }
                    }
                }
                form.sign-out method="post" action="/sign-out" {
                    input type="hidden" name="csrf" value=(s.csrf);
                    span.who { (s.actor.email) }
                    button type="submit" { (tr!(lang, "Se déconnecter", "Sign out")) }
                }
            } @else {
                nav { a href="/sign-in" { (tr!(lang, "Se connecter", "Sign in")) } }
            }
            (switch_language(lang))
        }
    };
    document(lang, title, header, body, scripts)
}

fn switch_language(lang: Lang) -> Markup {
    let (other, label) = match lang {
        Lang::Fr => ("en", "English"),
        Lang::En => ("fr", "Français"),
    };
    html! { a.lang href={ "?lang=" (other) } lang=(other) { (label) } }
}

/// The pages each role opens, in the order of their day.
pub fn links(role: Role, lang: Lang) -> Vec<(&'static str, &'static str)> {
    let till = ("/shop", tr!(lang, "Caisse", "Till"));
    let receive = ("/receive", tr!(lang, "Réception", "Receiving"));
    let washer = ("/washer", tr!(lang, "Lavage", "Washing"));
    let producer = ("/producer", tr!(lang, "Stock", "Stock"));
    match role {
        Role::Shop => vec![till, receive],
        Role::Washer => vec![washer, receive],
        Role::Producer => vec![producer, receive],
        Role::Coordinator | Role::Admin => vec![
            ("/dashboard", tr!(lang, "Tableau de bord", "Dashboard")),
            till,
            receive,
            washer,
            producer,
            ("/labels", tr!(lang, "Étiquettes", "Labels")),
            ("/manage", tr!(lang, "Gestion", "Management")),
        ],
    }
}

fn document(lang: Lang, title: &str, header: Markup, body: Markup, scripts: &[&str]) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Boucle" }
                link rel="stylesheet" href={ "/assets/app.css?v=" (super::assets::VERSION) };
                link rel="icon" href="data:,";
            }
            body {
                (header)
                main id="main" {
                    h1 { (title) }
                    (body)
                }
                @for s in scripts {
                    script src={ "/assets/" (s) "?v=" (super::assets::VERSION) } defer {}
                }
            }
        }
    }
}
