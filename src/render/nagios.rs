//! `--format nagios`: the Monitoring Plugins convention (Nagios, Icinga, Naemon, Checkmk), one
//! status line and an exit code:
//!
//! `IMAP OK - ok [none] imap.example.test:993: Everything works …|dns=0.001s;;;0 … time=0.213s;5;10;0 cert_days=89;21:;7:`
//!
//! The service (`IMAP`), the state (`OK`, `WARNING`, `CRITICAL`, `UNKNOWN`), the verdict code, its
//! `[fault]`, host:port and the verdict's summary; after `|`, performance data in the plugin
//! guidelines' form `label=value[UOM];[warn];[crit];[min];[max]`: each check that ran (seconds), the
//! run's total time (`time`, seconds) and the certificate's days left (`cert_days`, when the TLS
//! check read a certificate). The thresholds appear in the guidelines' range format: `5` (alert
//! above 5) for the time, `21:` (alert below 21) for the days.
//!
//! The state: a failed check is CRITICAL; a passing run is WARNING or CRITICAL when its total time
//! or certificate days cross `--warning` / `--critical` ([`Limits`]), WARNING when a check warned,
//! else OK; an interrupted run (and, in [`crate::plugin`], a usage or internal error) is UNKNOWN.
//! The text is sanitized, one line, and holds no `|` (it would start the performance data).

use std::fmt::Write as _;
use std::io::Write;
use std::str::FromStr;

use super::{Render, host_port};
use crate::report::{CheckId, Details, Fault, Report};
use crate::sanitize::terminal_text;

/// The service name at the start of the status line.
pub const SERVICE: &str = "IMAP";

/// A plugin state, as Nagios reads the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Exit 0: the service works within the thresholds.
    Ok = 0,
    /// Exit 1: a warning threshold was crossed, or a check warned.
    Warning = 1,
    /// Exit 2: a check failed, or a critical threshold was crossed.
    Critical = 2,
    /// Exit 3: no answer (interrupted, wrong arguments, an internal error).
    Unknown = 3,
}

impl State {
    /// As written in the status line.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// One level's thresholds (`--warning` or `--critical`): `time=SECS,cert-days=DAYS`, each part
/// optional. The state rises when the run's total time is above `time` seconds, or when the
/// certificate has fewer than `cert-days` days left.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Thresholds {
    /// Alert above this many seconds of total run time.
    pub time: Option<f64>,
    /// Alert below this many days left on the server's certificate.
    pub cert_days: Option<i64>,
}

impl FromStr for Thresholds {
    type Err = String;

    /// Parses `time=5,cert-days=21` (either part alone, in any order).
    fn from_str(text: &str) -> Result<Self, String> {
        let mut thresholds = Thresholds::default();
        for part in text.split(',').map(str::trim) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KEY=VALUE (time=SECS, cert-days=DAYS)"))?;
            match key.trim() {
                "time" => {
                    let secs: f64 = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("time={value}: a number of seconds is expected"))?;
                    if !(secs.is_finite() && secs > 0.0) {
                        return Err(format!("time={value}: must be above 0"));
                    }
                    thresholds.time = Some(secs);
                }
                "cert-days" => {
                    let days: i64 = value.trim().parse().map_err(|_| {
                        format!("cert-days={value}: a whole number of days is expected")
                    })?;
                    thresholds.cert_days = Some(days);
                }
                other => {
                    return Err(format!(
                        "unknown threshold {other:?}: time=SECS or cert-days=DAYS"
                    ));
                }
            }
        }
        Ok(thresholds)
    }
}

/// The `--warning` and `--critical` thresholds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    /// `--warning`.
    pub warning: Thresholds,
    /// `--critical`.
    pub critical: Thresholds,
}

/// The state of a finished report under `limits`, with the reasons a threshold was crossed
/// (empty when none was).
pub fn state(report: &Report, limits: &Limits) -> (State, Vec<String>) {
    if report.interrupted {
        return (State::Unknown, vec![]);
    }
    if report.first_failure().is_some() {
        return (State::Critical, vec![]);
    }
    let mut state = if report.verdict.fault == Fault::None && report.verdict.code != "ok" {
        State::Warning
    } else {
        State::Ok
    };
    let mut reasons = Vec::new();
    let secs = report.duration_ms as f64 / 1000.0;
    let days = certificate_days(report);
    for (level, thresholds) in [
        (State::Critical, &limits.critical),
        (State::Warning, &limits.warning),
    ] {
        let mut crossed = Vec::new();
        if let Some(limit) = thresholds.time.filter(|&limit| secs > limit) {
            crossed.push(format!("total time {secs:.3} s above {limit} s"));
        }
        if let (Some(limit), Some(days)) = (thresholds.cert_days, days)
            && days < limit
        {
            crossed.push(format!("certificate {days} days left, below {limit}"));
        }
        if !crossed.is_empty() {
            state = state.max(level);
            reasons.extend(
                crossed
                    .into_iter()
                    .map(|r| format!("{r} ({})", level.as_str())),
            );
            break;
        }
    }
    (state, reasons)
}

/// Days left on the server's certificate, when the TLS check read one.
pub fn certificate_days(report: &Report) -> Option<i64> {
    match &report.check(CheckId::Tls).details {
        Details::Tls(tls) => tls.chain.first().map(|c| c.days_left),
        _ => None,
    }
}

/// The status line's text: sanitized, on one line, without `|`.
pub fn plugin_text(text: &str) -> String {
    terminal_text(text).replace('|', "/")
}

/// The performance data: `label=value[UOM];[warn];[crit];[min];[max]` for each check that ran,
/// the total time and the certificate's days left, space-separated.
pub fn performance_data(report: &Report, limits: &Limits) -> String {
    let mut out = String::new();
    for check in &report.checks {
        if check.status == crate::report::Status::Skip {
            continue;
        }
        let _ = write!(
            out,
            "{}={}s;;;0 ",
            check.id.as_str(),
            seconds(check.duration_ms)
        );
    }
    let limit = |t: Option<f64>| t.map(|s| s.to_string()).unwrap_or_default();
    let _ = write!(
        out,
        "time={}s;{};{};0",
        seconds(report.duration_ms),
        limit(limits.warning.time),
        limit(limits.critical.time)
    );
    if let Some(days) = certificate_days(report) {
        let range = |d: Option<i64>| d.map(|d| format!("{d}:")).unwrap_or_default();
        let _ = write!(
            out,
            " cert_days={days};{};{}",
            range(limits.warning.cert_days),
            range(limits.critical.cert_days)
        );
    }
    out
}

/// Milliseconds as seconds with three decimals.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The Nagios renderer.
pub struct Nagios {
    /// The thresholds the state is judged by.
    pub limits: Limits,
}

impl Render for Nagios {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        let (state, reasons) = state(report, &self.limits);
        let mut text = format!(
            "{} [{}] {}: {}",
            report.verdict.code,
            report.verdict.fault.as_str(),
            host_port(report),
            report.verdict.summary
        );
        for reason in reasons {
            text.push_str("; ");
            text.push_str(&reason);
        }
        writeln!(
            out,
            "{SERVICE} {} - {}|{}",
            state.as_str(),
            plugin_text(&text),
            performance_data(report, &self.limits)
        )
    }
}

/// The status line for a run that produced no report (usage or internal error): UNKNOWN.
pub fn unknown_line(message: &str) -> String {
    let first = message.trim().lines().next().unwrap_or_default();
    format!(
        "{SERVICE} {} - {}",
        State::Unknown.as_str(),
        plugin_text(first)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds(text: &str) -> Thresholds {
        text.parse().unwrap()
    }

    #[test]
    fn thresholds_parse_either_part_in_any_order() {
        assert_eq!(
            thresholds("time=5,cert-days=21"),
            Thresholds {
                time: Some(5.0),
                cert_days: Some(21)
            }
        );
        assert_eq!(
            thresholds(" cert-days=7 , time=0.5 "),
            Thresholds {
                time: Some(0.5),
                cert_days: Some(7)
            }
        );
        assert_eq!(thresholds("time=2").cert_days, None);
        for bad in [
            "",
            "time",
            "time=0",
            "time=-1",
            "time=x",
            "cert-days=1.5",
            "days=3",
        ] {
            assert!(bad.parse::<Thresholds>().is_err(), "{bad}");
        }
    }

    /// A passing report (`days` left on the certificate, when any) that took `ms`.
    fn report(ms: u64, days: Option<i64>) -> Report {
        let mut report = super::super::tests::demo_report();
        report.duration_ms = ms;
        let tls_at = report.checks.iter().position(|c| c.id == CheckId::Tls);
        if let Details::Tls(tls) = &mut report.checks[tls_at.unwrap()].details {
            match days {
                Some(d) => tls.chain[0].days_left = d,
                None => tls.chain.clear(),
            }
        }
        report
    }

    fn limits(warning: &str, critical: &str) -> Limits {
        Limits {
            warning: thresholds(warning),
            critical: thresholds(critical),
        }
    }

    #[test]
    fn the_state_rises_with_the_thresholds_crossed() {
        let l = limits("time=5,cert-days=21", "time=10,cert-days=7");
        assert_eq!(state(&report(4_999, Some(21)), &l).0, State::Ok);
        // At the threshold is inside it (the guidelines' range `5` alerts above 5 only).
        assert_eq!(state(&report(5_000, Some(22)), &l).0, State::Ok);
        assert_eq!(state(&report(5_001, Some(30)), &l).0, State::Warning);
        assert_eq!(state(&report(1_000, Some(20)), &l).0, State::Warning);
        assert_eq!(state(&report(10_001, Some(30)), &l).0, State::Critical);
        assert_eq!(state(&report(1_000, Some(6)), &l).0, State::Critical);
        assert_eq!(state(&report(1_000, None), &l).0, State::Ok);
        let (s, reasons) = state(&report(6_000, Some(3)), &l);
        assert_eq!(s, State::Critical);
        assert_eq!(
            reasons,
            ["certificate 3 days left, below 7 (CRITICAL)".to_string()]
        );
        assert_eq!(
            state(&report(60_000, Some(0)), &Limits::default()).0,
            State::Ok
        );
    }

    #[test]
    fn failures_are_critical_warnings_warning_and_interruptions_unknown() {
        let l = Limits::default();
        let mut failed = report(100, Some(90));
        let auth_at = failed.checks.iter().position(|c| c.id == CheckId::Auth);
        failed.checks[auth_at.unwrap()] =
            crate::report::Check::failed(CheckId::Auth, "rejected", "no", Details::None);
        assert_eq!(state(&failed, &l).0, State::Critical);
        let mut warned = report(100, Some(90));
        warned.verdict.code = "tcp.ipv6_broken".into();
        assert_eq!(state(&warned, &l).0, State::Warning);
        let mut interrupted = report(100, Some(90));
        interrupted.interrupted = true;
        assert_eq!(state(&interrupted, &l).0, State::Unknown);
    }

    #[test]
    fn performance_data_follows_the_guidelines_format() {
        let l = limits("time=5,cert-days=21", "time=10,cert-days=7");
        let perf = performance_data(&report(1_234, Some(89)), &l);
        let item = regex_lite(&perf);
        assert!(item, "{perf}");
        assert!(perf.contains(" time=1.234s;5;10;0"), "{perf}");
        assert!(perf.ends_with(" cert_days=89;21:;7:"), "{perf}");
        let bare = performance_data(&report(7, None), &Limits::default());
        assert!(bare.ends_with(" time=0.007s;;;0"), "{bare}");
    }

    /// Every item is `label=value[s][;warn[;crit[;min[;max]]]]` with numbers and ranges as the
    /// guidelines allow (checked by hand: the library has no regex dependency; the integration
    /// test checks the whole line with a regex).
    fn regex_lite(perf: &str) -> bool {
        let number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
        perf.split(' ').all(|item| {
            let Some((label, rest)) = item.split_once('=') else {
                return false;
            };
            let fields: Vec<&str> = rest.split(';').collect();
            let value = fields[0].strip_suffix('s').unwrap_or(fields[0]);
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && fields.len() <= 5
                && number(value)
                && fields[1..]
                    .iter()
                    .all(|f| f.is_empty() || number(f.trim_end_matches(':')))
        })
    }

    #[test]
    fn the_text_is_one_sanitized_line_without_a_pipe() {
        let text = plugin_text("a|b\nc\u{1b}[2J\u{202e}");
        assert!(!text.contains(['|', '\n', '\u{1b}', '\u{202e}']), "{text}");
        assert_eq!(
            unknown_line("bad --warning\nmore"),
            "IMAP UNKNOWN - bad --warning"
        );
    }
}
