//! `--format oneline`: the run in one line, for chat or a script's log, fields separated by
//! spaces, none holding a space but the duration:
//!
//! `FAIL auth.rejected [account] imap.example.test:993 1.5 s 2026-11-24T19:53:02Z`
//!
//! outcome (`OK`, `WARN`, `FAIL`, `INTERRUPTED`), verdict code, `[fault]`, host:port as connected
//! to (A-label form; IPv6 in brackets), the run's wall time, and when it started (RFC 3339, UTC).

use std::io::Write;

use super::{Render, host_port, outcome_word, started_at};
use crate::report::Report;
use crate::sanitize::terminal_text;

/// The one-line renderer.
pub struct Oneline;

impl Render for Oneline {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} {} [{}] {} {:.1} s {}",
            outcome_word(report),
            report.verdict.code,
            report.verdict.fault.as_str(),
            terminal_text(&host_port(report)),
            report.duration_ms as f64 / 1000.0,
            started_at(report)
        )
    }
}
