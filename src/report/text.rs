//! The rot report as text: summary, what changed, the citations to fix by file, domains.

use std::io::{self, Write};

use super::model::{Changes, Report};
use super::{counts, date, plural, since_words, state_words};

/// ANSI colours, or nothing.
struct Paint(bool);

impl Paint {
    fn status(&self, status: &str, text: &str) -> String {
        let code = match status {
            "dead" | "gone" | "soft404" | "invalid" => "31",
            "failing" | "drifted" | "server_error" | "timeout" | "network_error" => "33",
            "moved" => "36",
            "blocked" => "35",
            "alive" | "recovered" => "32",
            _ => return text.to_string(),
        };
        self.wrap(code, text)
    }

    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Strips control characters (terminal escapes from the web must not reach the terminal).
/// One line of text for a terminal: line breaks and tabs become spaces, anything else that
/// could drive the terminal U+FFFD.
fn clean(s: &str) -> String {
    super::escape::terminal(&s.replace(['\n', '\r', '\t'], " ")).into_owned()
}

pub(super) fn write(out: &mut impl Write, r: &Report, color: bool) -> io::Result<()> {
    let paint = Paint(color);
    let s = &r.summary;
    writeln!(
        out,
        "{} run {} ({}, {}), {}",
        paint.bold("citekeep report:"),
        r.run.id,
        r.run.command,
        r.run.started_at,
        since_words(r)
    )?;
    if r.run.network_down {
        writeln!(
            out,
            "{}",
            paint.status(
                "dead",
                "our own network was down in this run: no strikes were recorded"
            )
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", paint.bold("Summary"))?;
    writeln!(
        out,
        "  {} in {} ({}): {}",
        plural(s.links, "link", "links"),
        plural(s.files, "file", "files"),
        plural(s.citations, "citation", "citations"),
        counts(&s.by_status)
    )?;
    writeln!(out, "  verdicts: {}", counts(&s.by_verdict))?;
    writeln!(
        out,
        "  {}: {}, {} newly rotten, {} recovered, {} newly blocked, {} newly moved{}",
        since_words(r),
        plural(s.new_links, "new link", "new links"),
        s.newly_rotten,
        s.recovered,
        s.newly_blocked,
        s.newly_moved,
        if s.drifted > 0 {
            format!("; {} drifted", s.drifted)
        } else {
            String::new()
        }
    )?;

    writeln!(
        out,
        "\n{}",
        paint.bold(&format!("What changed {}", since_words(r)))
    )?;
    if r.changes.is_empty() {
        writeln!(out, "  nothing")?;
    } else {
        for (name, list) in r.changes.groups() {
            let tone = match name {
                "newly rotten" => "dead",
                "newly blocked" => "blocked",
                "newly moved" => "moved",
                _ => name,
            };
            for ch in list {
                let before = ch.verdict_before.as_deref().unwrap_or("new");
                let after = Changes::moved_to(ch)
                    .map(|u| format!(" -> {}", clean(u)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}  {}{after}  ({before} -> {}; {})",
                    paint.status(tone, &format!("{name:<13}")),
                    clean(&ch.url),
                    ch.verdict,
                    clean(&ch.detail)
                )?;
                writeln!(out, "                 cited at {}", ch.cited_at.join(", "))?;
            }
        }
    }

    if !r.replaced.is_empty() {
        writeln!(
            out,
            "\n{}",
            paint.bold(&format!("Replaced by `fix` {}", since_words(r)))
        )?;
        for x in &r.replaced {
            writeln!(
                out,
                "  {}:{}:{}  {}\n      -> {} ({} on {})",
                clean(&x.file),
                x.line,
                x.column,
                clean(&x.url),
                clean(&x.with),
                if x.moved {
                    "where it moved"
                } else {
                    "archived copy"
                },
                &x.date
            )?;
        }
    }

    let to_fix: usize = r.files.iter().map(|f| f.problems.len()).sum();
    writeln!(
        out,
        "\n{}",
        paint.bold(&format!(
            "To look at, by source file ({})",
            plural(to_fix, "citation", "citations")
        ))
    )?;
    if to_fix == 0 {
        writeln!(out, "  nothing: every cited link answered")?;
    }
    for f in r.files.iter().filter(|f| !f.problems.is_empty()) {
        writeln!(out, "{}", paint.bold(&clean(&f.file)))?;
        for p in &f.problems {
            let tone = if p.verdict == "dead" {
                "dead"
            } else {
                p.status.as_str()
            };
            writeln!(
                out,
                "  {:>4}:{:<3} {}",
                p.line,
                p.column,
                paint.status(tone, &clean(&state_words(p)))
            )?;
            let section = p
                .section
                .as_ref()
                .map(|s| format!(" in § {}", clean(s)))
                .unwrap_or_default();
            writeln!(out, "            “{}”{section}", clean(&p.text))?;
            writeln!(out, "            {}", clean(&p.url))?;
            if let (Some(u), "moved") = (&p.final_url, p.status.as_str()) {
                writeln!(out, "            now at {}", clean(u))?;
            }
            if let Some(public) = &p.public_copy {
                writeln!(
                    out,
                    "            public copy {} ({}, {}): {}",
                    date(&public.captured_at),
                    clean(&public.archive),
                    clean(&public.verification),
                    clean(&public.url)
                )?;
            } else if let Some(none) = p.no_public_copy() {
                writeln!(out, "            {none}")?;
            }
            match &p.copy {
                Some(copy) => writeln!(
                    out,
                    "            archived copy {}: {}",
                    date(&copy.captured_at),
                    clean(&copy.url)
                )?,
                None if p.verdict == "dead" || p.verdict == "failing" => {
                    writeln!(out, "            no archived copy")?
                }
                None => {}
            }
        }
    }

    writeln!(out, "\n{}", paint.bold("By domain"))?;
    let width = r
        .domains
        .iter()
        .map(|d| d.domain.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for d in &r.domains {
        writeln!(
            out,
            "  {:<width$}  {:>5}  {}",
            clean(&d.domain),
            d.links,
            counts(&d.by_status)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(Paint(true).status("dead", "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Paint(false).status("dead", "x"), "x");
        assert_eq!(clean("a\x1b[2Jb\n"), "a\u{FFFD}[2Jb ");
    }
}
