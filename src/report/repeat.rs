//! What `--repeat N` and `--watch` write with `--json`: every run's report and a summary of them
//! (pass rates, latencies, the distinct verdicts and how they recur).

use schemars::JsonSchema;
use serde::Serialize;

use super::{CheckId, Fault, Report};

/// The whole `--repeat` / `--watch` document: `{"schema_version":1,"runs":[…],"summary":{…}}`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RepeatDocument {
    /// Layout version ([`super::SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// The report of each completed run, in the order they ran (a run cut short by Ctrl-C is not
    /// one of them).
    pub runs: Vec<Report>,
    /// What the runs add up to.
    pub summary: RepeatSummary,
}

/// What the completed runs add up to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct RepeatSummary {
    /// How many runs were asked for (`--repeat N`); `null` with `--watch` (until Ctrl-C).
    pub planned: Option<u32>,
    /// Runs that completed.
    pub completed: u32,
    /// Completed runs that passed (exit code 0: warnings allowed).
    pub passed: u32,
    /// Completed runs that failed.
    pub failed: u32,
    /// Time from one run's start to the next's (`--interval`), milliseconds.
    pub interval_ms: u64,
    /// Whether Ctrl-C ended the repetition (always so with `--watch`).
    pub interrupted: bool,
    /// Wall time of the runs, milliseconds (`null` when none completed).
    pub duration: Option<Latency>,
    /// Each check of the checklist, in report order.
    pub checks: Vec<CheckSummary>,
    /// Each distinct outcome (verdict code and owner), the most frequent first.
    pub verdicts: Vec<VerdictCount>,
    /// The exit code of the whole repetition: 0 when every run passed, else the exit code of the
    /// most frequent failure (ties: the layer that runs first); 130 when interrupted before any
    /// run completed.
    pub exit_code: u8,
}

/// One check across the runs.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct CheckSummary {
    /// Which check.
    pub id: CheckId,
    /// Runs in which it ran (not skipped).
    pub ran: u32,
    /// Runs in which it passed (`pass` or `warn`).
    pub passed: u32,
    /// Runs in which it failed.
    pub failed: u32,
    /// Runs in which it was skipped.
    pub skipped: u32,
    /// `passed / ran`, from 0 to 1 (`null` when it never ran).
    pub pass_rate: Option<f64>,
    /// Its time over the runs in which it ran, milliseconds (`null` when it never ran).
    pub latency: Option<Latency>,
}

/// A spread of times, milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Latency {
    /// The shortest.
    pub min_ms: u64,
    /// The median (the mean of the two middle values for an even count).
    pub median_ms: f64,
    /// The 95th percentile by nearest rank (the smallest value at or above 95 % of them).
    pub p95_ms: u64,
    /// The longest.
    pub max_ms: u64,
}

/// One distinct outcome and how often it came.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct VerdictCount {
    /// The verdict code (`ok`, `auth.unavailable`, …).
    pub code: String,
    /// Which side owns it.
    pub fault: Fault,
    /// The check that failed (`null` for a passing outcome).
    pub check: Option<CheckId>,
    /// How many runs ended with it.
    pub count: u32,
    /// How a failure recurs (`null` for a passing outcome).
    pub pattern: Option<Pattern>,
    /// The failure in one sentence ("auth failed 3 of 20 with auth.unavailable: intermittent,
    /// server side"); `null` for a passing outcome.
    pub reading: Option<String>,
}

/// How a failure recurs across the runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Some runs passed, some failed with it: comes and goes.
    Intermittent,
    /// Every run failed with it.
    EveryRun,
    /// No run passed, but other runs failed differently.
    AmongOtherFailures,
}

impl Pattern {
    /// As written in the reading.
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Intermittent => "intermittent",
            Pattern::EveryRun => "every run",
            Pattern::AmongOtherFailures => "no run passed",
        }
    }
}
