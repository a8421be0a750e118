//! Output formats. Each lays out a finished [`Report`]; none of them decides anything.

pub mod human;
pub mod json;
pub mod layout;
pub mod live;
pub mod markdown;
pub mod nagios;
pub mod oneline;
pub mod prometheus;
pub mod repeat;

use crate::report::{Check, Details, Fault, Report};

/// A way of writing a report.
pub trait Render {
    /// Writes the report.
    fn render(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// The run's outcome in one word: `OK`, `WARN` (passed with warnings), `FAIL` or `INTERRUPTED`.
pub fn outcome_word(report: &Report) -> &'static str {
    match report.verdict.fault {
        _ if report.interrupted => "INTERRUPTED",
        Fault::None if report.verdict.code == "ok" => "OK",
        Fault::None => "WARN",
        _ => "FAIL",
    }
}

/// The checks a person reads, in report order: all of them, except a discover check skipped
/// because nothing asked for it (a server as TARGET, no address to compare with), which would
/// only say "not needed" at the top of every report. The JSON keeps all seven.
pub fn checks_for_people(report: &Report) -> impl Iterator<Item = &Check> {
    report.checks.iter().filter(|c| {
        !(c.id == crate::report::CheckId::Discover
            && c.status == crate::report::Status::Skip
            && c.summary == crate::discover::NOT_ASKED)
    })
}

/// The discover check's facts, a line each: every source's question, outcome, answer and time,
/// then why the server was chosen (empty for other checks, or a skipped discover check).
pub fn discover_lines(check: &Check) -> Vec<String> {
    let Details::Discover(d) = &check.details else {
        return Vec::new();
    };
    let mut lines: Vec<String> = Vec::new();
    let mut not_asked: Vec<String> = Vec::new();
    for (i, a) in d.sources.iter().enumerate() {
        if a.outcome == crate::report::discover::SourceOutcome::Skipped {
            // Sources not asked for the same reason share a line.
            not_asked.push(format!("{} {}", a.source.as_str(), a.query));
            if d.sources
                .get(i + 1)
                .is_none_or(|next| next.answer != a.answer)
            {
                lines.push(format!("{}: {}", not_asked.join(", "), a.answer));
                not_asked.clear();
            }
            continue;
        }
        lines.push(format!(
            "{} {}: {}, {} ({} ms)",
            a.source.as_str(),
            a.query,
            a.outcome.as_str().replace('_', " "),
            a.answer,
            a.duration_ms
        ));
    }
    lines.push(format!("why: {}", d.reason));
    lines
}

/// `host:port`, an IPv6 address in brackets (`[2001:db8::1]:993`).
pub fn host_port(report: &Report) -> String {
    let t = &report.target;
    if t.host.contains(':') {
        format!("[{}]:{}", t.host, t.port)
    } else {
        format!("{}:{}", t.host, t.port)
    }
}

/// A duration for people: `850 ms` below a second, else seconds with one decimal (`1.5 s`).
pub fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// When and where the run happened, in one line: `2026-11-24T19:53:02Z · linux/x86_64 · from
/// 192.0.2.7:50312` (the local address only when a connection was made).
pub fn provenance(report: &Report) -> String {
    let env = &report.environment;
    let mut line = format!("{} · {}/{}", started_at(report), env.os, env.arch);
    if let Some(local) = env.local_address {
        line.push_str(&format!(" · from {local}"));
    }
    line
}

/// When the run started, to the second (`2026-11-24T19:53:02Z`): `started_at` without its
/// fraction.
pub fn started_at(report: &Report) -> String {
    to_the_second(&report.started_at)
}

/// An RFC 3339 time without its fraction of a second.
fn to_the_second(at: &str) -> String {
    match (at.find('.'), at.rfind(['Z', '+', '-'])) {
        (Some(dot), Some(zone)) if zone > dot => format!("{}{}", &at[..dot], &at[zone..]),
        _ => at.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    /// A real report: the demo's healthy run on loopback (run once, then cloned).
    pub(crate) fn demo_report() -> crate::report::Report {
        static REPORT: std::sync::OnceLock<crate::report::Report> = std::sync::OnceLock::new();
        REPORT
            .get_or_init(|| {
                tokio::runtime::Runtime::new()
                    .unwrap()
                    .block_on(crate::demo::run(None, false))
                    .unwrap()
            })
            .clone()
    }

    #[test]
    fn start_time_drops_its_fraction() {
        let cut = super::to_the_second;
        assert_eq!(cut("2026-11-24T19:53:02.123456Z"), "2026-11-24T19:53:02Z");
        assert_eq!(cut("2026-11-24T19:53:02Z"), "2026-11-24T19:53:02Z");
        assert_eq!(
            cut("2026-11-24T19:53:02.5+01:00"),
            "2026-11-24T19:53:02+01:00"
        );
    }
}
