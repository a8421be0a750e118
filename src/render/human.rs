//! The human report: with `-v` the transcript first, then one line per check (mark, id, time,
//! summary), notes, the verdict headline and hints, so the verdict is the last thing on screen.
//! Lines wrap to the width the caller chose, continuations hanging under the text they continue.
//! Colour only when asked for by the caller.

use std::io::Write;

use anstyle::{AnsiColor, Style};

use super::{Render, layout};
use crate::report::{Check, Confidence, Fault, Report, Status, Verdict};
use crate::sanitize::terminal_text;
use crate::transcript::TranscriptLine;

/// The human renderer.
pub struct Human {
    /// Whether to use colour (decided once by the caller: flag, NO_COLOR, TTY).
    pub color: bool,
    /// The width to wrap lines to, `None` for no wrapping (decided once by the caller:
    /// [`layout::width`]).
    pub width: Option<usize>,
}

/// Where a check's summary starts: after the mark, the id and the time.
const CHECK_INDENT: usize = 2 + 4 + 1 + 10 + 1 + 8 + 2;

/// The transcript's heading, with what its arrows mean.
const TRANSCRIPT_LEGEND: &str = "Transcript (-> sent, <- received, ~> and <~ the same inside TLS, \
                                 === imapdoctor's own note):";

impl Human {
    /// A check's line as it starts the check in the report (and in the live view on a terminal):
    /// `  PASS dns           12 ms  resolved to …`, not wrapped.
    pub fn check_line(&self, check: &Check) -> String {
        let (first, body) = self.check_parts(check);
        format!("{first}{body}")
    }

    /// The mark, id and time columns, and the sanitized summary.
    fn check_parts(&self, check: &Check) -> (String, String) {
        let (style, word) = status_style(check.status);
        let time = if check.status == Status::Skip {
            String::new()
        } else {
            format!("{} ms", check.duration_ms)
        };
        let first = format!(
            "  {} {:<10} {:>8}  ",
            self.paint(style, word),
            check.id.as_str(),
            time
        );
        (first, terminal_text(&check.summary))
    }

    /// `first` then `body`, wrapped to the width with continuations indented by `hang`.
    fn hang(&self, first: &str, body: &str, hang: usize) -> String {
        layout::hanging(self.width, first, body, hang)
    }

    /// The `-v` transcript, before the checks so that the verdict ends the report.
    fn transcript(&self, lines: &[TranscriptLine], out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", self.hang("", TRANSCRIPT_LEGEND, 2))?;
        for line in lines {
            let first = format!("{:>6} {} ", format!("{}ms", line.t_ms), line.prefix());
            let hang = first.chars().count();
            writeln!(
                out,
                "{}",
                self.hang(&first, &terminal_text(&line.text), hang)
            )?;
        }
        writeln!(out)
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
}

fn status_style(status: Status) -> (Style, &'static str) {
    let fg = |c: AnsiColor| Style::new().fg_color(Some(c.into())).bold();
    match status {
        Status::Pass => (fg(AnsiColor::Green), "PASS"),
        Status::Warn => (fg(AnsiColor::Yellow), "WARN"),
        Status::Fail => (fg(AnsiColor::Red), "FAIL"),
        Status::Skip => (Style::new().dimmed(), "skip"),
    }
}

impl Render for Human {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        let t = &report.target;
        let user = t
            .user
            .as_deref()
            .map(|u| format!(" as {}", terminal_text(u)))
            .unwrap_or_default();
        // An internationalised name shows both forms: bücher.example:993 (xn--bcher-kva.example; …).
        let (shown, a_label) = match &t.host_unicode {
            Some(unicode) => (unicode, format!("{}; ", terminal_text(&t.host))),
            None => (&t.host, String::new()),
        };
        let heading = format!(
            "imapdoctor {} · {}:{} ({a_label}{}){}",
            report.tool.version,
            terminal_text(shown),
            t.port,
            t.security.describe(),
            user
        );
        writeln!(out, "{}", self.hang("", &heading, 2))?;
        let provenance = terminal_text(&super::provenance(report));
        writeln!(out, "{}", self.hang("", &provenance, 2))?;
        writeln!(out)?;
        if let Some(lines) = &report.transcript {
            self.transcript(lines, out)?;
        }
        for check in super::checks_for_people(report) {
            let (first, body) = self.check_parts(check);
            writeln!(out, "{}", self.hang(&first, &body, CHECK_INDENT))?;
            for note in check.notes.iter().chain(&super::discover_lines(check)) {
                let first = format!("{:CHECK_INDENT$}· ", "");
                writeln!(
                    out,
                    "{}",
                    self.hang(&first, &terminal_text(note), CHECK_INDENT + 2)
                )?;
            }
        }
        if let Some(control) = &report.control
            && !control.endpoints.is_empty()
        {
            let probes: Vec<String> = control
                .endpoints
                .iter()
                .map(|p| format!("{}:{} {}", terminal_text(&p.host), p.port, p.outcome))
                .collect();
            let body = format!("{} ({})", control.status, probes.join(", "));
            writeln!(out, "\n{}", self.hang("  control: ", &body, 11))?;
            if let Some(note) = control.note {
                writeln!(out, "{}", self.hang("           · ", note, 13))?;
            }
        }
        writeln!(out)?;
        let v = &report.verdict;
        let warned = v.fault == Fault::None && v.code != "ok";
        let style = match v.fault {
            Fault::None if warned || report.interrupted => {
                Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold()
            }
            Fault::None => Style::new().fg_color(Some(AnsiColor::Green.into())).bold(),
            _ => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        };
        let fault = match v.fault {
            _ if report.interrupted => "INTERRUPTED",
            Fault::None if warned => "OK WITH WARNINGS",
            Fault::None => "OK",
            Fault::Local => "LOCAL",
            Fault::Server => "SERVER",
            Fault::Account => "ACCOUNT",
            Fault::Config => "CONFIG",
        };
        let first = format!("{} ", self.paint(style, &format!("Verdict [{fault}]:")));
        writeln!(out, "{}", self.hang(&first, &terminal_text(&v.summary), 2))?;
        writeln!(out, "  code: {}", v.code)?;
        if v.fault != Fault::None || v.confidence != Confidence::Certain {
            writeln!(out, "{}", self.hang("  ", &confidence_line(v), 4))?;
        }
        for hint in &v.hints {
            writeln!(out, "{}", self.hang("  → ", &terminal_text(hint), 4))?;
        }
        writeln!(out, "\nFinished in {} ms.", report.duration_ms)
    }
}

/// "Confidence: likely — it may also be on this computer or its network: …".
fn confidence_line(v: &Verdict) -> String {
    let mut line = format!("Confidence: {}", v.confidence.as_str());
    let others: Vec<String> = v
        .alternatives
        .iter()
        .map(|a| {
            let side = match a.fault {
                Fault::None => "nothing",
                Fault::Local => "on this computer or its network",
                Fault::Server => "at the mail server",
                Fault::Account => "with the account",
                Fault::Config => "in the settings used",
            };
            format!("{side}: {}", terminal_text(&a.summary))
        })
        .collect();
    if !others.is_empty() {
        line.push_str(&format!(" — it may also be {}", others.join("; or ")));
    }
    line.push('.');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Alternative;

    fn verdict(confidence: Confidence, alternatives: Vec<Alternative>) -> Verdict {
        Verdict {
            fault: Fault::Server,
            code: "tcp.timeout".into(),
            summary: String::new(),
            confidence,
            alternatives,
            hints: Vec::new(),
            evidence: Vec::new(),
        }
    }

    #[test]
    fn confidence_says_which_other_sides_remain() {
        let alternatives = vec![
            Alternative {
                fault: Fault::Local,
                summary: "a firewall here".into(),
            },
            Alternative {
                fault: Fault::Config,
                summary: "the port".into(),
            },
        ];
        assert_eq!(
            confidence_line(&verdict(Confidence::Likely, alternatives)),
            "Confidence: likely — it may also be on this computer or its network: a firewall here; or in the settings used: the port."
        );
        assert_eq!(
            confidence_line(&verdict(Confidence::Certain, Vec::new())),
            "Confidence: certain."
        );
    }
}
