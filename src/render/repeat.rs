//! Output of `--repeat` and `--watch`: the line written as each run completes, the summary at the
//! end (human), and the JSON document written piece by piece
//! (`{"schema_version":1,"runs":[…],"summary":{…}}`, each report as its run completes, so a
//! long `--watch` holds no report in memory).

use std::io::{self, Write};

use super::{host_port, seconds, started_at};
use crate::report::repeat::{CheckSummary, Latency, RepeatSummary};
use crate::report::{Report, SCHEMA_VERSION};
use crate::sanitize::terminal_text;

/// A run's line, for people and logs alike, fields separated by spaces:
///
/// `run 3/20 2026-11-24T19:53:02Z FAIL auth.unavailable [server] 127.0.0.1:993 312 ms`
///
/// the run's number (of how many; `run 3` with `--watch`), when it started, `PASS` or `FAIL`
/// (warnings pass), the verdict code, `[fault]`, host:port, and the run's wall time.
pub fn run_line(number: u32, planned: Option<u32>, report: &Report) -> String {
    let of = planned.map_or_else(String::new, |n| format!("/{n}"));
    let status = if report.exit_code == 0 {
        "PASS"
    } else {
        "FAIL"
    };
    format!(
        "run {number}{of} {} {status} {} [{}] {} {} ms",
        started_at(report),
        report.verdict.code,
        report.verdict.fault.as_str(),
        terminal_text(&host_port(report)),
        report.duration_ms
    )
}

/// The human summary: what ran, each check's pass rate and latency, the distinct verdicts, and a
/// reading of each failure. `target` is what was checked, as shown to people.
pub fn write_summary(summary: &RepeatSummary, target: &str, out: &mut dyn Write) -> io::Result<()> {
    let runs = |n: u32| {
        if n == 1 {
            "1 run".to_string()
        } else {
            format!("{n} runs")
        }
    };
    let mut head = match (summary.interrupted, summary.planned) {
        (true, Some(planned)) => format!(
            "Summary so far (interrupted): {} of {planned} completed",
            runs(summary.completed)
        ),
        (true, None) => format!("Summary (stopped by Ctrl-C): {}", runs(summary.completed)),
        (false, _) => format!("Summary: {}", runs(summary.completed)),
    };
    head.push_str(&format!(
        " of {}, {} passed, {} failed, {} apart",
        terminal_text(target),
        summary.passed,
        summary.failed,
        seconds(summary.interval_ms)
    ));
    writeln!(out, "\n{head}")?;
    if summary.completed == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "\n  {:<10} {:>9} {:>5}  {:>8} {:>8} {:>8} {:>8}",
        "check", "passed", "rate", "min", "median", "p95", "max"
    )?;
    for check in &summary.checks {
        writeln!(out, "{}", check_row(check))?;
    }
    if let Some(total) = &summary.duration {
        writeln!(
            out,
            "  {:<10} {:>9} {:>5}  {}",
            "run",
            "",
            "",
            spread(total)
        )?;
    }
    writeln!(out, "\nVerdicts:")?;
    for verdict in &summary.verdicts {
        writeln!(
            out,
            "  {:>5} × {} [{}]",
            verdict.count,
            verdict.code,
            verdict.fault.as_str()
        )?;
    }
    for reading in summary.verdicts.iter().filter_map(|v| v.reading.as_ref()) {
        writeln!(out, "  → {reading}")?;
    }
    writeln!(out, "\nExit code {}.", summary.exit_code)
}

/// One check's row: passed of ran, the rate, and the spread of its times.
fn check_row(check: &CheckSummary) -> String {
    let id = check.id.as_str();
    match (check.pass_rate, &check.latency) {
        (Some(rate), Some(latency)) => format!(
            "  {id:<10} {:>9} {:>4.0}%  {}",
            format!("{}/{}", check.passed, check.ran),
            rate * 100.0,
            spread(latency)
        ),
        _ => format!("  {id:<10} {:>9}        skipped in every run", "–"),
    }
}

/// `min median p95 max`, each right-aligned in ms.
fn spread(latency: &Latency) -> String {
    let ms = |v: String| format!("{v:>5} ms");
    format!(
        "{} {} {} {}",
        ms(latency.min_ms.to_string()),
        ms(latency.median_ms.to_string()),
        ms(latency.p95_ms.to_string()),
        ms(latency.max_ms.to_string())
    )
}

/// The JSON document, written as the runs complete: [`JsonStream::begin`], a
/// [`JsonStream::run`] per run, then [`JsonStream::end`] with the summary.
#[derive(Debug, Default)]
pub struct JsonStream {
    runs: u32,
}

impl JsonStream {
    /// The document's opening, up to the `runs` array's.
    pub fn begin(&self) -> String {
        format!("{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"runs\": [")
    }

    /// A run's report, as an element of the `runs` array.
    pub fn run(&mut self, report: &Report) -> io::Result<String> {
        let separator = if self.runs == 0 { "\n" } else { ",\n" };
        self.runs += 1;
        Ok(format!("{separator}{}", indented(report, 4)?))
    }

    /// The end of the `runs` array, the summary and the document's end.
    pub fn end(&self, summary: &RepeatSummary) -> io::Result<String> {
        let close = if self.runs == 0 { "]" } else { "\n  ]" };
        let summary = indented(summary, 2)?;
        Ok(format!(
            "{close},\n  \"summary\": {}\n}}\n",
            summary.trim_start()
        ))
    }
}

/// `value` as guarded pretty JSON ([`super::json::write`]) with every line indented by `by`
/// spaces and no final line break (JSON strings hold no raw line break, so lines are safe to
/// indent).
fn indented(value: &impl serde::Serialize, by: usize) -> io::Result<String> {
    let mut rendered = Vec::new();
    super::json::write(value, &mut rendered)?;
    let text = String::from_utf8_lossy(&rendered);
    let pad = " ".repeat(by);
    Ok(text
        .trim_end()
        .lines()
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::repeat::RepeatSummary;

    #[test]
    fn the_streamed_document_is_one_json_value() {
        let summary = RepeatSummary {
            planned: Some(2),
            ..Default::default()
        };
        let stream = JsonStream::default();
        let text = format!("{}{}", stream.begin(), stream.end(&summary).unwrap());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["runs"], serde_json::json!([]));
        assert_eq!(value["summary"]["planned"], 2);
    }
}
