//! `--format markdown`: a report to paste into a ticket (GitHub-flavoured Markdown): a header
//! line with the outcome, a line saying what was checked, when and from where, a table of the
//! checks, the verdict with its hints, and with `-v` the transcript in a collapsed `<details>`
//! block.
//!
//! Server text is sanitized already; [`inline`] also escapes what Markdown would interpret, so a
//! server cannot add a table cell, a link, an HTML tag or emphasis to the ticket, and the
//! transcript's code fence is longer than any backtick run inside it.

use std::io::Write;

use super::{Render, host_port, outcome_word, provenance, seconds};
use crate::report::{Report, Status};
use crate::sanitize::terminal_text;

/// The Markdown renderer.
pub struct Markdown;

impl Render for Markdown {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        let t = &report.target;
        let v = &report.verdict;
        writeln!(
            out,
            "### imapdoctor: {} `{}` [{}] {}\n",
            outcome_word(report),
            v.code,
            v.fault.as_str(),
            text(&host_port(report))
        )?;
        let user = t
            .user
            .as_deref()
            .map(|u| format!(" as {}", text(u)))
            .unwrap_or_default();
        writeln!(
            out,
            "{} ({}){user} · imapdoctor {} · {} · took {}\n",
            text(&t.input),
            t.security.describe(),
            report.tool.version,
            text(&provenance(report)),
            seconds(report.duration_ms)
        )?;
        writeln!(out, "| check | status | time | summary |")?;
        writeln!(out, "|---|---|---:|---|")?;
        for check in super::checks_for_people(report) {
            let time = match check.status {
                Status::Skip => String::new(),
                _ => format!("{} ms", check.duration_ms),
            };
            let mut summary = text(&check.summary);
            for note in check.notes.iter().chain(&super::discover_lines(check)) {
                summary.push_str(&format!("<br>· {}", text(note)));
            }
            writeln!(
                out,
                "| {} | {} | {time} | {summary} |",
                check.id.as_str(),
                check.status.as_str()
            )?;
        }
        if let Some(control) = report.control.as_ref().filter(|c| !c.endpoints.is_empty()) {
            let note = control.note.map(|n| format!(": {}", text(n)));
            writeln!(
                out,
                "\nControl probe: {}{}\n",
                control.status,
                note.unwrap_or_default()
            )?;
            for probe in &control.endpoints {
                let port = probe.port;
                writeln!(out, "- {}:{port} {}", text(&probe.host), probe.outcome)?;
            }
        }
        writeln!(
            out,
            "\n**Verdict [{}]:** {}\n",
            v.fault.as_str(),
            text(&v.summary)
        )?;
        writeln!(out, "- code: `{}`", v.code)?;
        writeln!(out, "- confidence: {}", v.confidence.as_str())?;
        for alternative in &v.alternatives {
            writeln!(
                out,
                "- may also be `{}`: {}",
                alternative.fault.as_str(),
                text(&alternative.summary)
            )?;
        }
        if !v.hints.is_empty() {
            writeln!(out, "\nNext steps:\n")?;
            for hint in &v.hints {
                writeln!(out, "- {}", text(hint))?;
            }
        }
        if let Some(lines) = &report.transcript {
            let body: Vec<String> = lines
                .iter()
                .map(|line| {
                    let text = terminal_text(&line.text).replace(['\r', '\n'], " ");
                    format!("{:>6} {} {text}", format!("{}ms", line.t_ms), line.prefix())
                })
                .collect();
            let body = body.join("\n");
            let fence = fence_for(&body);
            writeln!(
                out,
                "\n<details>\n<summary>Transcript ({} lines)</summary>\n\n{fence}text\n{body}\n{fence}\n\n</details>",
                lines.len()
            )?;
        }
        Ok(())
    }
}

/// Sanitized, then escaped for Markdown ([`inline`]).
fn text(raw: &str) -> String {
    inline(&terminal_text(raw))
}

/// Escapes `text` for an inline position in Markdown, a table cell included: `\`, `|`, backticks
/// and the emphasis (but `_` inside a word), heading, link and strike-through characters get a
/// backslash; `&`, `<`, `>` become
/// entities (no HTML tag, no autolink); a line break becomes a space (it would end the row).
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let word = |at: Option<usize>| {
            at.and_then(|at| chars.get(at))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            // Inside a word (`TLS13_AES`) an underscore cannot start emphasis.
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push(c),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A backtick fence longer than any run of backticks in `body` (at least three), so no line of
/// the body can close it.
fn fence_for(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escapes_what_markdown_would_interpret() {
        assert_eq!(
            inline("a|b `c` <img src=x> *d* _e_ [f](g) ~~h~~ \\| &lt; #1\r\nnext"),
            "a\\|b \\`c\\` &lt;img src=x&gt; \\*d\\* \\_e\\_ \\[f\\](g) \\~\\~h\\~\\~ \\\\\\| &amp;lt; \\#1  next"
        );
        assert_eq!(inline("plain text, 3 ms."), "plain text, 3 ms.");
        assert_eq!(inline("TLS13_AES _x_ y_ _"), "TLS13_AES \\_x\\_ y\\_ \\_");
    }

    #[test]
    fn fence_outlasts_any_backtick_run() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ``` b ````` c"), "``````");
    }
}
