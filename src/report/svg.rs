//! The HTML report's charts, drawn as inline SVG: links by status over the runs (stacked
//! bars), and rot by domain (stacked horizontal bars). No script, no fonts fetched; each
//! bar has a `<title>` so hovering (or a screen reader) tells the numbers.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::html;
use super::model::{DomainRow, HistoryPoint};

/// Statuses in the order they are stacked (good at the bottom), with their colours.
pub const PALETTE: [(&str, &str); 11] = [
    ("alive", "#2e7d32"),
    ("moved", "#0277bd"),
    ("drifted", "#c0a000"),
    ("blocked", "#8e24aa"),
    ("soft404", "#ef6c00"),
    ("gone", "#c62828"),
    ("server_error", "#f9a825"),
    ("timeout", "#6d4c41"),
    ("network_error", "#546e7a"),
    ("invalid", "#212121"),
    ("not_checked", "#bdbdbd"),
];

fn colour(status: &str) -> &'static str {
    PALETTE
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("#9e9e9e", |(_, c)| c)
}

/// Statuses present in `maps`, in palette order (unknown ones last).
fn present<'a>(maps: impl Iterator<Item = &'a BTreeMap<String, usize>>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for m in maps {
        for k in m.keys() {
            if !seen.contains(k) {
                seen.push(k.clone());
            }
        }
    }
    let rank = |s: &str| PALETTE.iter().position(|(p, _)| *p == s).unwrap_or(99);
    seen.sort_by_key(|s| (rank(s), s.clone()));
    seen
}

fn legend(svg: &mut String, statuses: &[String], y: f64) {
    let mut x = 0.0;
    for s in statuses {
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="10" height="10" fill="{}"/><text x="{}" y="{}" class="lg">{}</text>"#,
            colour(s),
            x + 14.0,
            y + 9.0,
            html(&super::status_label(s))
        );
        x += 24.0 + 7.0 * s.len() as f64;
    }
}

/// Links by status after each run, one stacked bar per run.
pub fn history(points: &[HistoryPoint]) -> String {
    let (w, h, left, top, bottom) = (720.0, 250.0, 44.0, 10.0, 60.0);
    let statuses = present(points.iter().map(|p| &p.by_status));
    let max = points
        .iter()
        .map(|p| p.by_status.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_h = h - top - bottom;
    let n = points.len().max(1) as f64;
    let slot = (w - left) / n;
    let bar = (slot * 0.7).min(40.0);
    // A label ("11-28") is about 34 px wide: one every `every` runs fits.
    let every = (38.0 / slot).ceil().max(1.0) as usize;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="Links by status over the runs">"#
    );
    // Axis with the top value and zero.
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" class="ax"/><text x="{}" y="{}" class="tk" text-anchor="end">{max}</text><text x="{}" y="{}" class="tk" text-anchor="end">0</text>"#,
        top + plot_h,
        left - 4.0,
        top + 8.0,
        left - 4.0,
        top + plot_h
    );
    for (i, p) in points.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot_h;
        for s in &statuses {
            let v = p.by_status.get(s).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let bh = plot_h * v as f64 / max;
            y -= bh;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{}"><title>run {} ({}): {v} {}</title></rect>"#,
                colour(s),
                p.run,
                html(super::date(&p.at)),
                html(s)
            );
        }
        // The run's number, and its date (month-day) under it, for every `every`-th run
        // counted back from the latest (neighbouring labels would overlap on a narrow
        // slot); a run when our network was down is marked under its bar.
        let centre = x + bar / 2.0;
        if (points.len() - 1 - i).is_multiple_of(every) {
            let _ = write!(
                svg,
                r#"<text x="{centre:.1}" y="{}" class="tk" text-anchor="middle">{}</text><text x="{centre:.1}" y="{}" class="lg" text-anchor="middle">{}</text>"#,
                top + plot_h + 13.0,
                p.run,
                top + plot_h + 25.0,
                html(super::date(&p.at).get(5..).unwrap_or(""))
            );
        }
        if p.network_down {
            let _ = write!(
                svg,
                r##"<text x="{centre:.1}" y="{}" class="tk" text-anchor="middle" fill="#c62828">×<title>run {}: our network was down</title></text>"##,
                top + plot_h + 37.0,
                p.run
            );
        }
    }
    legend(&mut svg, &statuses, h - 22.0);
    svg.push_str("</svg>");
    svg
}

/// The domains with the most links that are not alive, as stacked horizontal bars.
pub fn rot_by_domain(domains: &[DomainRow], limit: usize) -> String {
    let not_alive = |d: &DomainRow| d.links - d.by_status.get("alive").copied().unwrap_or(0);
    let mut rows: Vec<&DomainRow> = domains.iter().filter(|d| not_alive(d) > 0).collect();
    rows.sort_by(|a, b| {
        not_alive(b)
            .cmp(&not_alive(a))
            .then(a.domain.cmp(&b.domain))
    });
    rows.truncate(limit);
    let (w, row_h, left, top) = (720.0, 22.0, 200.0, 4.0);
    let h = top + row_h * rows.len() as f64 + 34.0;
    let statuses = present(rows.iter().map(|d| &d.by_status));
    let max = rows.iter().map(|d| d.links).max().unwrap_or(1).max(1) as f64;
    let plot_w = w - left - 40.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="Rot by domain">"#
    );
    for (i, d) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" class="tk" text-anchor="end">{}</text>"#,
            left - 6.0,
            y + 14.0,
            html(&d.domain)
        );
        let mut x = left;
        for s in &statuses {
            let v = d.by_status.get(s).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let bw = plot_w * v as f64 / max;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{}" width="{bw:.1}" height="{}" fill="{}"><title>{}: {v} {}</title></rect>"#,
                y + 3.0,
                row_h - 6.0,
                colour(s),
                html(&d.domain),
                html(s)
            );
            x += bw;
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" class="tk">{}</text>"#,
            x + 4.0,
            y + 14.0,
            d.links
        );
    }
    legend(&mut svg, &statuses, h - 22.0);
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize, down: usize) -> Vec<HistoryPoint> {
        (0..n)
            .map(|i| HistoryPoint {
                run: i as i64 + 1,
                at: format!("2026-11-{:02}T03:00:00Z", i % 28 + 1),
                network_down: i == down,
                by_status: [("alive".to_string(), 3)].into_iter().collect(),
            })
            .collect()
    }

    /// Issue 28: the run chart's labels overlapped for neighbouring runs. With many runs,
    /// only every so many is labelled (the last too), never two closer than a label.
    #[test]
    fn run_labels_never_overlap() {
        for n in [1, 5, 18, 30, 60] {
            let svg = history(&points(n, 2));
            let xs: Vec<f64> = svg
                .split(r#"<text x=""#)
                .skip(1)
                .filter(|t| t.contains(r#"class="tk" text-anchor="middle">"#) && !t.contains('×'))
                .filter_map(|t| t.split('"').next()?.parse().ok())
                .collect();
            assert!(!xs.is_empty(), "{n} runs: no label");
            for pair in xs.windows(2) {
                assert!(pair[1] - pair[0] >= 34.0, "{n} runs: labels at {pair:?}");
            }
            // A run when our network was down is marked, whatever is labelled.
            assert!(n <= 2 || svg.contains("our network was down"), "{n}");
        }
    }
}
