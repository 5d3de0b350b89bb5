//! The weekly and monthly digests to coordinators: the loop's figures of the period beside
//! the previous one, in plain text and HTML, with the period's report CSV attached.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, Timelike};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::outbox::{queue, recipients, Audience, Content};
use super::texts::{escape, num};
use super::{Kind, Lang};
use crate::config::Config;
use crate::db::reports::loop_report;
use crate::db::schema::{digests, events};
use crate::db::sums::Scope;
use crate::db::DbConnection;
use crate::http::reports::{csv_text, to_json, FIELDS, LEAD};

/// The period [from, to) a digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The week (Monday to Monday) or month that contains `day`.
    pub fn containing(kind: Kind, day: NaiveDate) -> Period {
        if kind == Kind::DigestMonthly {
            let from = day.with_day(1).unwrap_or(day);
            Period {
                from,
                to: from + Months::new(1),
            }
        } else {
            let from = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
            Period {
                from,
                to: from + Days::new(7),
            }
        }
    }

    pub fn previous(self, kind: Kind) -> Period {
        Period::containing(kind, self.from - Days::new(1))
    }

    /// The latest period whose digest is due at `now`: it has ended, and `hour` (UTC) of the
    /// day after has come.
    pub fn last_due(kind: Kind, now: NaiveDateTime, hour: u32) -> Period {
        let current = Period::containing(kind, now.date());
        let last = current.previous(kind);
        if now.date() == current.from && now.hour() < hour {
            last.previous(kind)
        } else {
            last
        }
    }
}

/// Queues the digests due at `now` that no instance has queued yet. Returns how many mails
/// were queued.
pub fn queue_due(
    conn: &mut DbConnection,
    config: &Config,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let mut queued = 0;
    for kind in [Kind::DigestWeekly, Kind::DigestMonthly] {
        let period = Period::last_due(kind, now, config.mail.digest_hour);
        // No digest of a time before the loop's first event.
        let first: Option<NaiveDateTime> = events::table
            .select(diesel::dsl::min(events::at))
            .first(conn)?;
        if first.is_none_or(|t| t.date() >= period.to) {
            continue;
        }
        crate::db::write_tx(conn, |conn| -> anyhow::Result<()> {
            let done: i64 = digests::table
                .find((kind.as_str(), period.from.to_string()))
                .count()
                .get_result(conn)?;
            if done > 0 {
                return Ok(());
            }
            let claimed = crate::db::insert_once(conn, |c| {
                diesel::insert_into(digests::table)
                    .values((
                        digests::kind.eq(kind.as_str()),
                        digests::period_start.eq(period.from.to_string()),
                        digests::period_end.eq(period.to.to_string()),
                        digests::queued_at.eq(now),
                    ))
                    .execute(c)
            })?;
            if !claimed {
                return Ok(());
            }
            queued += send(conn, config, kind, period, now)?;
            Ok(())
        })?;
    }
    Ok(queued)
}

/// Queues the digest of `period` to every coordinator who receives `kind`.
pub fn send(
    conn: &mut DbConnection,
    config: &Config,
    kind: Kind,
    period: Period,
    now: NaiveDateTime,
) -> anyhow::Result<usize> {
    let scope = Scope::default();
    let this = to_json(
        &loop_report(conn, period.from, period.to, &scope)?,
        &scope,
        None,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let before = period.previous(kind);
    let last = to_json(
        &loop_report(conn, before.from, before.to, &scope)?,
        &scope,
        None,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let csv = csv_text(&[LEAD, FIELDS].concat(), std::slice::from_ref(&this));
    let to = recipients(conn, kind, &[Audience::Coordinators])?;
    let render = |lang| render(lang, kind, period, &this, &last, &csv, &config.base_url);
    Ok(queue(conn, &config.base_url, kind, &to, None, now, &render)?.len())
}

fn label(lang: Lang, field: &str) -> &'static str {
    let (fr, en) = match field {
        "uses" => ("Utilisations (remplissages)", "Uses (fills)"),
        "first_uses" => ("Premières utilisations", "First uses"),
        "reuses" => ("Réutilisations", "Reuses"),
        "fleet_avg" => ("Parc moyen (contenants)", "Average fleet (containers)"),
        "rotations_per_year" => ("Rotations par an", "Rotations per year"),
        "avg_cycle_days" => ("Durée moyenne d'un cycle (jours)", "Average cycle (days)"),
        "returns" => ("Retours", "Returns"),
        "trips" => ("Ventes (sorties)", "Trips out (sales)"),
        "trips_returned" => ("Sorties revenues", "Trips returned"),
        "return_rate" => ("Taux de retour", "Return rate"),
        "broken" => ("Cassés", "Broken"),
        "lost" => ("Perdus", "Lost"),
        "breakage_rate" => ("Taux de casse", "Breakage rate"),
        "loss_rate" => ("Taux de perte", "Loss rate"),
        "shipments" => ("Expéditions", "Shipments"),
        "vehicle_km" => ("Km parcourus (véhicules)", "Vehicle-km"),
        "container_km" => ("Km parcourus (contenants)", "Container-km"),
        "km_per_use" => ("Km par utilisation", "Km per use"),
        "avoided_waste_kg" => ("Déchets évités (kg)", "Waste avoided (kg)"),
        "avoided_co2e_kg" => ("Émissions évitées (kg CO2e)", "Emissions avoided (kg CO2e)"),
        _ => ("", ""),
    };
    if lang == Lang::Fr {
        fr
    } else {
        en
    }
}

/// A figure as a person reads it: rates in percent, a dash when there is none.
pub fn shown(lang: Lang, field: &str, v: Option<f64>) -> String {
    let Some(x) = v else { return "—".to_owned() };
    // No "-0" for a sum of nothing.
    let x = x + 0.0;
    let pct = if lang == Lang::Fr { " %" } else { "%" };
    if field.ends_with("_rate") {
        return format!("{}{pct}", num(lang, 100.0 * x, 1));
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    num(lang, x, 2)
}

fn change(lang: Lang, field: &str, now: Option<f64>, before: Option<f64>) -> String {
    let (Some(a), Some(b)) = (now, before) else {
        return "—".to_owned();
    };
    let d = a - b;
    let sign = if d > 0.0 { "+" } else { "" };
    if field.ends_with("_rate") {
        return format!("{sign}{} pts", num(lang, 100.0 * d, 1));
    }
    let diff = format!("{sign}{}", shown(lang, field, Some(d)));
    if b == 0.0 {
        return diff;
    }
    let pct = if lang == Lang::Fr { " %" } else { "%" };
    format!("{diff} ({sign}{}{pct})", num(lang, 100.0 * d / b.abs(), 1))
}

fn title(lang: Lang, kind: Kind, p: Period) -> String {
    let last_day = p.to - Days::new(1);
    let d = |x: NaiveDate| match lang {
        Lang::Fr => x.format("%d/%m/%Y").to_string(),
        Lang::En => x.format("%Y-%m-%d").to_string(),
    };
    match (lang, kind) {
        (Lang::Fr, Kind::DigestMonthly) => {
            format!("Boucle : bilan du mois {}", p.from.format("%m/%Y"))
        }
        (Lang::En, Kind::DigestMonthly) => {
            format!("Boucle: the month of {}", p.from.format("%B %Y"))
        }
        (Lang::Fr, _) => format!(
            "Boucle : bilan de la semaine du {} au {}",
            d(p.from),
            d(last_day)
        ),
        (Lang::En, _) => format!("Boucle: the week of {} to {}", d(p.from), d(last_day)),
    }
}

fn render(
    lang: Lang,
    kind: Kind,
    period: Period,
    this: &Map<String, Value>,
    last: &Map<String, Value>,
    csv: &str,
    base_url: &str,
) -> Content {
    let subject = title(lang, kind, period);
    let heads = match lang {
        Lang::Fr => ["Indicateur", "Période", "Précédente", "Écart"],
        Lang::En => ["Figure", "Period", "Previous", "Change"],
    };
    let rows: Vec<[String; 4]> = FIELDS
        .iter()
        .map(|f| {
            let (a, b) = (
                this.get(*f).and_then(Value::as_f64),
                last.get(*f).and_then(Value::as_f64),
            );
            [
                label(lang, f).to_owned(),
                shown(lang, f, a),
                shown(lang, f, b),
                change(lang, f, a, b),
            ]
        })
        .collect();
    let (intro, defs) = match lang {
        Lang::Fr => ("Les chiffres de la boucle sur la période, comparés à la précédente. Le détail est joint en CSV.", "Définition de chaque indicateur : docs/FIGURES.md ; les mêmes chiffres sont servis par"),
        Lang::En => ("The loop's figures over the period, beside the previous one. The details are attached as CSV.", "How each figure is defined: docs/FIGURES.md; the same figures are served by"),
    };
    let api = format!(
        "{base_url}/api/v1/reports/loop?from={}&to={}",
        period.from, period.to
    );
    let mut text = format!("{subject}\n\n{intro}\n\n");
    text.push_str(&format!(
        "{:<36} {:>12} {:>12}  {}\n",
        heads[0], heads[1], heads[2], heads[3]
    ));
    for r in &rows {
        text.push_str(&format!(
            "{:<36} {:>12} {:>12}  {}\n",
            r[0], r[1], r[2], r[3]
        ));
    }
    text.push_str(&format!("\n{defs} {api}\n"));
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body style=\"font-family:sans-serif\">\n<h1 style=\"font-size:1.3em\">{}</h1>\n<p>{}</p>\n<table style=\"border-collapse:collapse\">\n<tr>",
        lang.as_str(), escape(&subject), escape(&subject), escape(intro)
    );
    for h in heads {
        html.push_str(&format!(
            "<th style=\"text-align:left;padding:2px 8px\">{}</th>",
            escape(h)
        ));
    }
    html.push_str("</tr>\n");
    for r in &rows {
        html.push_str(&format!(
            "<tr><td style=\"padding:2px 8px\">{}</td><td style=\"text-align:right;padding:2px 8px\">{}</td><td style=\"text-align:right;padding:2px 8px\">{}</td><td style=\"text-align:right;padding:2px 8px\">{}</td></tr>\n",
            escape(&r[0]), escape(&r[1]), escape(&r[2]), escape(&r[3])
        ));
    }
    html.push_str(&format!(
        "</table>\n<p>{} <a href=\"{}\">{}</a></p>",
        escape(defs),
        escape(&api),
        escape(&api)
    ));
    Content {
        subject,
        text,
        html: Some(html),
        attachment: Some((
            format!("boucle-{}-{}.csv", period.from, period.to),
            csv.to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a time")
    }
    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn the_week_before_is_due_once_its_monday_hour_has_come() {
        // Saturday 28 November 2026: the last full week is 16-23 November.
        let p = Period::last_due(Kind::DigestWeekly, at("2026-11-28 12:00"), 6);
        assert_eq!(
            p,
            Period {
                from: day("2026-11-16"),
                to: day("2026-11-23")
            }
        );
        // Monday 30 November at 05:59, the week of 23 November is not due yet; at 06:00 it is.
        let p = Period::last_due(Kind::DigestWeekly, at("2026-11-30 05:59"), 6);
        assert_eq!(p.from, day("2026-11-16"));
        let p = Period::last_due(Kind::DigestWeekly, at("2026-11-30 06:00"), 6);
        assert_eq!(
            p,
            Period {
                from: day("2026-11-23"),
                to: day("2026-11-30")
            }
        );
    }

    #[test]
    fn the_month_before_is_due_on_the_first() {
        let p = Period::last_due(Kind::DigestMonthly, at("2026-12-01 07:00"), 6);
        assert_eq!(
            p,
            Period {
                from: day("2026-11-01"),
                to: day("2026-12-01")
            }
        );
        let p = Period::last_due(Kind::DigestMonthly, at("2026-12-01 05:00"), 6);
        assert_eq!(
            p,
            Period {
                from: day("2026-10-01"),
                to: day("2026-11-01")
            }
        );
        assert_eq!(p.previous(Kind::DigestMonthly).from, day("2026-09-01"));
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(shown(Lang::Fr, "return_rate", Some(0.875)), "87,5 %");
        assert_eq!(shown(Lang::En, "return_rate", Some(0.875)), "87.5%");
        assert_eq!(shown(Lang::Fr, "uses", Some(120.0)), "120");
        assert_eq!(shown(Lang::Fr, "vehicle_km", Some(16.25)), "16,25");
        assert_eq!(shown(Lang::En, "km_per_use", None), "—");
        assert_eq!(shown(Lang::En, "vehicle_km", Some(-0.0)), "0");
        assert_eq!(
            change(Lang::Fr, "uses", Some(120.0), Some(100.0)),
            "+20 (+20,0 %)"
        );
        assert_eq!(
            change(Lang::En, "uses", Some(90.0), Some(100.0)),
            "-10 (-10.0%)"
        );
        assert_eq!(
            change(Lang::En, "return_rate", Some(0.9), Some(0.8)),
            "+10.0 pts"
        );
        assert_eq!(change(Lang::En, "uses", Some(5.0), Some(0.0)), "+5");
    }
}
