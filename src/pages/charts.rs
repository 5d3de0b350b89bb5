//! Charts drawn as SVG on the server: monthly bars, return curves, and the flows between
//! sites placed by their coordinates. Each has a text alternative.

use maud::{html, Markup};

/// Grouped bars, one group per label, one bar per series; `series` are (name, css class).
pub fn bars(
    title: &str,
    labels: &[String],
    series: &[(&str, &str)],
    values: &[Vec<f64>],
) -> Markup {
    let (w, h, left, bottom, top): (f64, f64, f64, f64, f64) = (640.0, 240.0, 44.0, 28.0, 12.0);
    let max = values
        .iter()
        .flatten()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let step = nice_step(max);
    let top_value = (max / step).ceil() * step;
    let n = labels.len().max(1) as f64;
    let group = (w - left - 8.0) / n;
    let bar = (group * 0.8) / series.len().max(1) as f64;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / top_value);
    let ticks: Vec<f64> = (0..=((top_value / step) as usize))
        .map(|i| i as f64 * step)
        .collect();
    html! {
        svg.chart viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) {
            title { (title) }
            @for t in &ticks {
                line.grid x1=(left) x2=(w - 8.0) y1=(y(*t)) y2=(y(*t)) {}
                text.axis x=(left - 4.0) y=(y(*t) + 4.0) text-anchor="end" { (fmt(*t)) }
            }
            @for (i, label) in labels.iter().enumerate() {
                @let x0 = left + group * i as f64 + group * 0.1;
                @for (j, (name, class)) in series.iter().enumerate() {
                    @let v = values.get(j).and_then(|s| s.get(i)).copied().unwrap_or(0.0);
                    rect class=(class) x=(x0 + bar * j as f64) y=(y(v)) width=(bar.max(1.0)) height=((y(0.0) - y(v)).max(0.0)) {
                        title { (label) " · " (name) " : " (fmt(v)) }
                    }
                }
                text.axis x=(x0 + group * 0.4) y=(h - 10.0) text-anchor="middle" { (label) }
            }
        }
        p.legend { @for (name, class) in series { span class={ "key " (class) } {} (name) " " } }
    }
}

/// A return curve: the share of trips back (0 to 1) against days, up to `max_days`.
pub fn curve(title: &str, points: &[(f64, f64)], max_days: f64) -> Markup {
    let (w, h, left, bottom, top): (f64, f64, f64, f64, f64) = (320.0, 160.0, 36.0, 24.0, 8.0);
    let x = |d: f64| left + (w - left - 8.0) * (d.min(max_days) / max_days);
    let y = |s: f64| top + (h - top - bottom) * (1.0 - s);
    let mut path = format!("M{:.1},{:.1}", x(0.0), y(0.0));
    let mut last = 0.0;
    for (d, share) in points {
        path.push_str(&format!(" H{:.1} V{:.1}", x(*d), y(*share)));
        last = *share;
    }
    path.push_str(&format!(" H{:.1}", x(max_days)));
    html! {
        svg.chart.curve viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) {
            title { (title) }
            @for s in [0.0, 0.5, 1.0] {
                line.grid x1=(left) x2=(w - 8.0) y1=(y(s)) y2=(y(s)) {}
                text.axis x=(left - 4.0) y=(y(s) + 4.0) text-anchor="end" { (format!("{:.0} %", s * 100.0)) }
            }
            @for d in [0.0, max_days / 2.0, max_days] {
                text.axis x=(x(d)) y=(h - 6.0) text-anchor="middle" { (format!("{d:.0} j")) }
            }
            path.line d=(path) {}
            text.value x=(w - 10.0) y=(y(last) - 4.0) text-anchor="end" { (format!("{:.0} %", last * 100.0)) }
        }
    }
}

/// A site on the flows map.
pub struct Place<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub lat: f64,
    pub lon: f64,
}

/// A flow between two places (indices), with its containers and km.
pub struct Link {
    pub from: usize,
    pub to: usize,
    pub containers: i64,
    pub km: f64,
}

/// The sites at their coordinates (equirectangular, north up) and the flows between them,
/// each line as thick as its containers, labelled with its km.
pub fn flow_map(title: &str, places: &[Place], links: &[Link]) -> Markup {
    let (w, h, pad): (f64, f64, f64) = (900.0, 560.0, 70.0);
    let lats = places.iter().map(|p| p.lat);
    let lons = places.iter().map(|p| p.lon);
    let (lat0, lat1) = (
        lats.clone().fold(f64::MAX, f64::min),
        lats.fold(f64::MIN, f64::max),
    );
    let (lon0, lon1) = (
        lons.clone().fold(f64::MAX, f64::min),
        lons.fold(f64::MIN, f64::max),
    );
    let k = (lat0.to_radians().cos()).max(0.1);
    let span = ((lon1 - lon0) * k).max(lat1 - lat0).max(1e-6);
    let scale = ((w - 2.0 * pad).min(h - 2.0 * pad)) / span;
    let at = |p: &Place| {
        (
            pad + (p.lon - lon0) * k * scale,
            h - pad - (p.lat - lat0) * scale,
        )
    };
    let most = links.iter().map(|l| l.containers).max().unwrap_or(1).max(1) as f64;
    // The km of the biggest flows only, so that the map stays readable.
    let mut sizes: Vec<i64> = links.iter().map(|l| l.containers).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let labelled = sizes.get(LABELLED_FLOWS - 1).copied().unwrap_or(0);
    html! {
        svg.chart.map viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(title) {
            title { (title) }
            @for l in links {
                @if let (Some(a), Some(b)) = (places.get(l.from), places.get(l.to)) {
                    @let ((x1, y1), (x2, y2)) = (at(a), at(b));
                    line.flow x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke-width=(format!("{:.1}", 1.5 + 10.0 * l.containers as f64 / most)) {
                        title { (a.name) " → " (b.name) " : " (l.containers) " · " (format!("{:.1} km", l.km)) }
                    }
                    @if l.containers >= labelled {
                        text.km x=((x1 + x2) / 2.0) y=((y1 + y2) / 2.0 - 4.0) text-anchor="middle" { (format!("{:.0} km", l.km)) }
                    }
                }
            }
            @for p in places {
                @let (x, y) = at(p);
                circle class={ "site " (p.kind) } cx=(x) cy=(y) r="7" {}
                text.name x=(x) y=(y + 20.0) text-anchor="middle" { (p.name) }
            }
        }
    }
}

/// How many flows of the map are labelled with their km.
const LABELLED_FLOWS: usize = 8;

fn nice_step(max: f64) -> f64 {
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
