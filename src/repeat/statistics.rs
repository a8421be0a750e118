//! The arithmetic of a repetition, as pure functions of the runs: latency spreads (median, 95th
//! percentile by nearest rank), pass rates, the distinct verdicts with their readings, and the
//! repetition's exit code. A run is kept as a [`RunRecord`] (a few hundred bytes), not as its
//! report, so that `--watch` can run for days.

use crate::exit_code::ExitCode;
use crate::report::repeat::{CheckSummary, Latency, Pattern, RepeatSummary, VerdictCount};
use crate::report::{CheckId, Fault, Report, Status, execution_order};

/// What the summary needs of one completed run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// The run's exit code (0 passed).
    pub exit_code: u8,
    /// The run's wall time, milliseconds.
    pub duration_ms: u64,
    /// Each check's status and time, in [`CheckId::ALL`] order.
    pub checks: [(Status, u64); 7],
    /// The verdict code.
    pub code: String,
    /// The verdict's owner.
    pub fault: Fault,
    /// The check the run failed at and its place in the run's execution order (`None` when it
    /// passed).
    pub failed: Option<(CheckId, usize)>,
}

impl RunRecord {
    /// The record of a finished report.
    pub fn of(report: &Report) -> RunRecord {
        let checks = CheckId::ALL.map(|id| {
            report
                .checks
                .iter()
                .find(|c| c.id == id)
                .map_or((Status::Skip, 0), |c| (c.status, c.duration_ms))
        });
        let failed = (report.exit_code != 0)
            .then(|| report.first_failure())
            .flatten()
            .map(|c| {
                let order = execution_order(report.target.security);
                let rank = order.iter().position(|&o| o == c.id).unwrap_or(order.len());
                (c.id, rank)
            });
        RunRecord {
            exit_code: report.exit_code,
            duration_ms: report.duration_ms,
            checks,
            code: report.verdict.code.clone(),
            fault: report.verdict.fault,
            failed,
        }
    }

    /// Whether the run passed: it ended with exit code 0 (warnings allowed).
    pub fn passed(&self) -> bool {
        self.exit_code == 0
    }
}

/// The median of sorted values: the middle one, or the mean of the two middle ones (`None` for
/// no values).
pub fn median(sorted: &[u64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0),
    }
}

/// The `percent`th percentile of sorted values by nearest rank: the value at rank
/// ⌈percent / 100 × n⌉ (at least rank 1), `None` for no values.
pub fn nearest_rank(sorted: &[u64], percent: u32) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::try_from(percent).unwrap_or(100) * n).div_ceil(100);
    Some(sorted[rank.clamp(1, n) - 1])
}

/// The spread of these times (in any order), `None` for none.
pub fn latency(values: impl IntoIterator<Item = u64>) -> Option<Latency> {
    let mut sorted: Vec<u64> = values.into_iter().collect();
    sorted.sort_unstable();
    Some(Latency {
        min_ms: *sorted.first()?,
        median_ms: median(&sorted)?,
        p95_ms: nearest_rank(&sorted, 95)?,
        max_ms: *sorted.last()?,
    })
}

/// `passed / ran`, `None` when it never ran.
pub fn pass_rate(passed: u32, ran: u32) -> Option<f64> {
    (ran > 0).then(|| f64::from(passed) / f64::from(ran))
}

/// Each check across the runs, in report order.
pub fn check_summaries(runs: &[RunRecord]) -> Vec<CheckSummary> {
    CheckId::ALL
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let count = |wanted: &[Status]| {
                runs.iter()
                    .filter(|r| wanted.contains(&r.checks[i].0))
                    .count() as u32
            };
            let passed = count(&[Status::Pass, Status::Warn]);
            let ran = count(&[Status::Pass, Status::Warn, Status::Fail]);
            CheckSummary {
                id,
                ran,
                passed,
                failed: count(&[Status::Fail]),
                skipped: count(&[Status::Skip]),
                pass_rate: pass_rate(passed, ran),
                latency: latency(
                    runs.iter()
                        .filter(|r| r.checks[i].0 != Status::Skip)
                        .map(|r| r.checks[i].1),
                ),
            }
        })
        .collect()
}

/// The distinct outcomes (verdict code, owner, failing check), the most frequent first (ties: in
/// the order they first came), each failure with its pattern and reading.
pub fn verdict_counts(runs: &[RunRecord]) -> Vec<VerdictCount> {
    let mut counts: Vec<VerdictCount> = Vec::new();
    for run in runs {
        let check = run.failed.map(|(id, _)| id);
        let code = &run.code;
        let fault = run.fault;
        match counts
            .iter_mut()
            .find(|v| v.code == *code && v.fault == fault && v.check == check)
        {
            Some(known) => known.count += 1,
            None => counts.push(VerdictCount {
                code: code.clone(),
                fault,
                check,
                count: 1,
                pattern: None,
                reading: None,
            }),
        }
    }
    counts.sort_by_key(|v| std::cmp::Reverse(v.count));
    let total = runs.len() as u32;
    let any_passed = runs.iter().any(RunRecord::passed);
    for verdict in &mut counts {
        let Some(check) = verdict.check else {
            continue;
        };
        let pattern = if any_passed {
            Pattern::Intermittent
        } else if verdict.count == total {
            Pattern::EveryRun
        } else {
            Pattern::AmongOtherFailures
        };
        verdict.pattern = Some(pattern);
        verdict.reading = Some(format!(
            "{} failed {} of {} with {}: {}, {}",
            check.as_str(),
            verdict.count,
            total,
            verdict.code,
            pattern.as_str(),
            side(verdict.fault)
        ));
    }
    counts
}

/// Whose side a fault is on, for a reading.
fn side(fault: Fault) -> &'static str {
    match fault {
        Fault::None => "no side",
        Fault::Local => "this computer or its network",
        Fault::Server => "server side",
        Fault::Account => "the account",
        Fault::Config => "the settings",
    }
}

/// The repetition's exit code: 0 when every run passed, else the exit code of the most frequent
/// failing layer (ties: the layer that runs first); 130 when interrupted before any run
/// completed.
pub fn exit_code(runs: &[RunRecord], interrupted: bool) -> ExitCode {
    if runs.is_empty() && interrupted {
        return ExitCode::Interrupted;
    }
    let mut failures: Vec<(CheckId, u32, usize)> = Vec::new();
    for run in runs {
        let Some((id, rank)) = run.failed else {
            continue;
        };
        match failures.iter_mut().find(|f| f.0 == id) {
            Some(known) => known.1 += 1,
            None => failures.push((id, 1, rank)),
        }
    }
    failures
        .iter()
        .min_by_key(|(_, count, rank)| (std::cmp::Reverse(*count), *rank))
        .map_or(ExitCode::Success, |f| ExitCode::for_check(f.0))
}

/// The summary of the completed runs.
pub fn summarize(
    runs: &[RunRecord],
    planned: Option<u32>,
    interval_ms: u64,
    interrupted: bool,
) -> RepeatSummary {
    let passed_runs = runs.iter().filter(|r| r.passed()).count() as u32;
    RepeatSummary {
        planned,
        completed: runs.len() as u32,
        passed: passed_runs,
        failed: runs.len() as u32 - passed_runs,
        interval_ms,
        interrupted,
        duration: latency(runs.iter().map(|r| r.duration_ms)),
        checks: check_summaries(runs),
        verdicts: verdict_counts(runs),
        exit_code: exit_code(runs, interrupted) as u8,
    }
}

#[cfg(test)]
#[path = "statistics_tests.rs"]
mod tests;
