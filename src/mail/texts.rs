//! The words of every mail, in French and in English. Alerts are plain text; digests add an
//! HTML part (see `digest`).

use chrono::NaiveDateTime;

use super::outbox::Content;
use super::{Kind, Lang};

/// A number with `decimals` places, with a decimal comma in French.
pub fn num(lang: Lang, x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    match lang {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
}

pub fn when(lang: Lang, t: NaiveDateTime) -> String {
    match lang {
        Lang::Fr => t.format("%d/%m/%Y %H:%M UTC").to_string(),
        Lang::En => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn kind_name(lang: Lang, kind: Kind) -> &'static str {
    match (lang, kind) {
        (Lang::Fr, Kind::LowStock) => "alerte de stock bas",
        (Lang::Fr, Kind::CollectionNeeded) => "alerte de collecte",
        (Lang::Fr, Kind::ShipmentOverdue) => "alerte d'expédition en retard",
        (Lang::Fr, Kind::WashRejects) => "alerte de rebuts au lavage",
        (Lang::Fr, Kind::DigestWeekly) => "bilan hebdomadaire",
        (Lang::Fr, Kind::DigestMonthly) => "bilan mensuel",
        (Lang::En, Kind::LowStock) => "low stock alert",
        (Lang::En, Kind::CollectionNeeded) => "collection alert",
        (Lang::En, Kind::ShipmentOverdue) => "overdue shipment alert",
        (Lang::En, Kind::WashRejects) => "wash reject alert",
        (Lang::En, Kind::DigestWeekly) => "weekly digest",
        (Lang::En, Kind::DigestMonthly) => "monthly digest",
    }
}

/// The body with the footer every mail ends with: why it was sent and how to stop it.
pub fn with_footer(lang: Lang, kind: Kind, url: &str, c: &Content) -> (String, Option<String>) {
    let what = kind_name(lang, kind);
    let line = match lang {
        Lang::Fr => {
            format!("Message de Boucle ({what}). Pour ne plus recevoir ce type de message : {url}")
        }
        Lang::En => format!("Sent by Boucle ({what}). To stop receiving this kind of mail: {url}"),
    };
    let text = format!("{}\n\n-- \n{line}\n", c.text.trim_end());
    let html = c.html.as_ref().map(|h| {
        let (before, link) = match lang {
            Lang::Fr => (format!("Message de Boucle ({what})."), "Ne plus recevoir ce type de message"),
            Lang::En => (format!("Sent by Boucle ({what})."), "Stop receiving this kind of mail"),
        };
        format!(
            "{h}\n<hr>\n<p style=\"font-size:small;color:#555\">{} <a href=\"{}\">{link}</a></p>\n</body></html>\n",
            escape(&before),
            escape(url)
        )
    });
    (text, html)
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn low_stock(lang: Lang, site: &str, kind: &str, have: i64, min: i64) -> Content {
    let (subject, text) = match lang {
        Lang::Fr => (
            format!("Stock bas : {kind} chez {site}"),
            format!("{site} n'a plus que {have} contenant(s) « {kind} » propres, sur place ou en route, pour un seuil de {min}.\n\nDemandez une livraison de contenants propres à la laverie avant d'en manquer."),
        ),
        Lang::En => (
            format!("Low stock: {kind} at {site}"),
            format!("{site} has only {have} clean \"{kind}\" container(s), on site or on their way, against a threshold of {min}.\n\nAsk the washer for clean containers before running out."),
        ),
    };
    Content {
        subject,
        text,
        ..Content::default()
    }
}

/// Why a shop needs collecting: how many dirty containers wait and for how long.
pub struct Collection<'a> {
    pub shop: &'a str,
    pub dirty: i64,
    pub oldest_days: f64,
    pub min_dirty: i64,
    pub max_days: f64,
}

pub fn collection(lang: Lang, c: &Collection) -> Content {
    let days = num(lang, c.oldest_days, 1);
    let (subject, text) = match lang {
        Lang::Fr => (
            format!("Collecte à prévoir : {} ({} {})", c.shop, c.dirty, if c.dirty > 1 { "contenants sales" } else { "contenant sale" }),
            format!("{} garde {} contenant(s) sales ; le plus ancien attend depuis {days} jour(s).\nUne collecte est demandée à partir de {} contenants ou de {} jour(s) d'attente.\n\nPrévoyez un passage pour les ramener à la laverie.", c.shop, c.dirty, c.min_dirty, num(lang, c.max_days, 1)),
        ),
        Lang::En => (
            format!("Collection needed: {} ({} {})", c.shop, c.dirty, if c.dirty > 1 { "dirty containers" } else { "dirty container" }),
            format!("{} holds {} dirty container(s); the oldest has waited {days} day(s).\nA collection is called for from {} containers or {} day(s) of waiting.\n\nPlan a round to bring them to the washer.", c.shop, c.dirty, c.min_dirty, num(lang, c.max_days, 1)),
        ),
    };
    Content {
        subject,
        text,
        ..Content::default()
    }
}

/// A shipment still not received.
pub struct Overdue<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub departed_at: NaiveDateTime,
    pub hours: f64,
    pub containers: i64,
    pub shipment_id: &'a str,
}

pub fn overdue(lang: Lang, o: &Overdue) -> Content {
    let left = when(lang, o.departed_at);
    let (subject, text) = match lang {
        Lang::Fr => (
            format!("Expédition en retard : {} → {}", o.from, o.to),
            format!("L'expédition {} de {} vers {}, partie le {left} avec {} contenant(s), n'est toujours pas reçue après {} heures.\n\nVérifiez qu'elle est bien arrivée et enregistrez sa réception.", o.shipment_id, o.from, o.to, o.containers, num(lang, o.hours, 0)),
        ),
        Lang::En => (
            format!("Shipment overdue: {} → {}", o.from, o.to),
            format!("Shipment {} from {} to {}, which left on {left} with {} container(s), is still not received after {} hours.\n\nCheck that it arrived and record its receipt.", o.shipment_id, o.from, o.to, o.containers, num(lang, o.hours, 0)),
        ),
    };
    Content {
        subject,
        text,
        ..Content::default()
    }
}

/// A wash batch with many rejects.
pub struct Rejects<'a> {
    pub washer: &'a str,
    pub finished_at: NaiveDateTime,
    pub rejected: i64,
    pub total: i64,
    pub threshold: f64,
    pub batch_id: &'a str,
}

pub fn wash_rejects(lang: Lang, r: &Rejects) -> Content {
    let share = num(lang, 100.0 * r.rejected as f64 / r.total.max(1) as f64, 1);
    let limit = num(lang, 100.0 * r.threshold, 1);
    let done = when(lang, r.finished_at);
    let (subject, text) = match lang {
        Lang::Fr => (
            format!("Rebuts au lavage : {share} % chez {}", r.washer),
            format!("Le lot de lavage {} de {}, terminé le {done}, a rejeté {} contenant(s) sur {} ({share} %), au-dessus du seuil de {limit} %.", r.batch_id, r.washer, r.rejected, r.total),
        ),
        Lang::En => (
            format!("Wash rejects: {share}% at {}", r.washer),
            format!("Wash batch {} at {}, finished on {done}, rejected {} container(s) out of {} ({share}%), above the threshold of {limit}%.", r.batch_id, r.washer, r.rejected, r.total),
        ),
    };
    Content {
        subject,
        text,
        ..Content::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_a_decimal_comma_in_french() {
        assert_eq!(num(Lang::Fr, 12.345, 1), "12,3");
        assert_eq!(num(Lang::En, 12.345, 1), "12.3");
    }

    #[test]
    fn every_mail_ends_with_its_unsubscribe_link() {
        let c = low_stock(Lang::Fr, "Ferme du Pré", "Bocal 500 ml", 3, 10);
        assert_eq!(c.subject, "Stock bas : Bocal 500 ml chez Ferme du Pré");
        let (text, html) = with_footer(
            Lang::Fr,
            Kind::LowStock,
            "https://b.test/unsubscribe/t?kind=low_stock",
            &c,
        );
        assert!(text.ends_with("\n-- \nMessage de Boucle (alerte de stock bas). Pour ne plus recevoir ce type de message : https://b.test/unsubscribe/t?kind=low_stock\n"), "{text}");
        assert_eq!(html, None);
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
