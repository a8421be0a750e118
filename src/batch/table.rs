//! The batch on a terminal: a line per failing target as it finishes, then the summary as a
//! table (readings first, then failures by check, fault and code, then servers). Layout only:
//! every figure and sentence comes from [`Summary`].

use std::io::{self, Write};

use super::summary::Summary;
use crate::render::{Render, oneline::Oneline};
use crate::report::Report;
use crate::sanitize::terminal_text;

/// `line 7: FAIL auth.rejected [account] 127.0.0.2:993 0.1 s 2026-…`, a failing target's line.
pub fn failure_line(line: u64, report: &Report) -> String {
    let mut one = Vec::new();
    let _ = Oneline.render(report, &mut one);
    format!("line {line}: {}", String::from_utf8_lossy(&one))
}

/// Writes the summary table.
pub fn write(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let mut head = format!(
        "{} checked: {} passed, {} failed",
        summary.targets, summary.passed, summary.failed
    );
    if summary.bad_lines > 0 {
        let lines = if summary.bad_lines == 1 {
            "line"
        } else {
            "lines"
        };
        head.push_str(&format!(", {} bad {lines} skipped", summary.bad_lines));
    }
    if summary.interrupted {
        head.push_str(" (interrupted: the summary so far)");
    }
    writeln!(out, "\n{head}")?;
    for reading in &summary.reading {
        writeln!(out, "  {}", terminal_text(reading))?;
    }
    if !summary.failures.is_empty() {
        let rows: Vec<[String; 6]> = summary
            .failures
            .iter()
            .map(|f| {
                let servers: Vec<&str> = f.servers.keys().map(String::as_str).collect();
                let mut lines: Vec<String> = f.lines.iter().map(u64::to_string).collect();
                if (f.lines.len() as u64) < f.count {
                    lines.push("…".into());
                }
                [
                    f.count.to_string(),
                    f.check.clone(),
                    f.fault.as_str().to_string(),
                    f.code.clone(),
                    terminal_text(&servers.join(" ")),
                    lines.join(" "),
                ]
            })
            .collect();
        writeln!(out)?;
        columns(
            out,
            ["FAILED", "CHECK", "FAULT", "CODE", "SERVERS", "LINES"],
            &rows,
        )?;
    }
    let rows: Vec<[String; 4]> = summary
        .servers
        .iter()
        .map(|s| {
            [
                terminal_text(&s.server),
                s.targets.to_string(),
                (s.targets - s.failed).to_string(),
                s.failed.to_string(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        writeln!(out)?;
        columns(out, ["SERVER", "TARGETS", "PASSED", "FAILED"], &rows)?;
    }
    Ok(())
}

/// Left-aligned columns, two spaces apart, the last one unpadded.
fn columns<const N: usize>(
    out: &mut dyn Write,
    header: [&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = header.map(str::to_string);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::summary::{Failure, Outcome, Tally};
    use crate::exit_code::ExitCode;
    use crate::report::Fault;

    #[test]
    fn the_table_lays_out_readings_failures_and_servers() {
        let mut tally = Tally::default();
        tally.add(Outcome {
            line: 3,
            server: "a.test:993".into(),
            provider: false,
            failure: Some(Failure {
                check: "auth".into(),
                fault: Fault::Account,
                code: "auth.rejected".into(),
            }),
            exit_code: ExitCode::Auth,
        });
        tally.add(Outcome {
            line: 4,
            server: "a.test:993".into(),
            provider: false,
            failure: None,
            exit_code: ExitCode::Success,
        });
        let mut out = Vec::new();
        super::write(&tally.summary(false), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "
2 checked: 1 passed, 1 failed
  1 of 2 fails at auth with auth.rejected on a.test:993: that account or that computer

FAILED  CHECK  FAULT    CODE           SERVERS     LINES
1       auth   account  auth.rejected  a.test:993  3

SERVER      TARGETS  PASSED  FAILED
a.test:993  2        1       1
"
        );
    }
}
