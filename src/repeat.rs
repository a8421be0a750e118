//! `--repeat N` and `--watch`: the same check run again and again, a new connection each time,
//! to catch what fails only some of the time. Each run goes through [`engine::check_until`] with
//! the same [`Config`] (the secret was read once); a line per run as it completes; at the end
//! (or at Ctrl-C) a summary of the runs ([`statistics`]).

pub mod command_line;
pub mod statistics;

use std::ops::ControlFlow;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::Config;
use crate::engine;
use crate::report::Report;

/// Default time from one run's start to the next's, in seconds.
pub const DEFAULT_INTERVAL: f64 = 5.0;

/// How often to check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// How many runs (`--repeat N`); `None` until Ctrl-C (`--watch`).
    pub runs: Option<u32>,
    /// From one run's start to the next's (`--interval`); a run that takes longer is followed
    /// at once.
    pub interval: Duration,
}

/// How a repetition ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Runs that completed.
    pub completed: u32,
    /// Whether `interrupt` ended it (a run under way then is dropped).
    pub interrupted: bool,
}

/// Runs the check of `config` as `plan` says until it is done, `interrupt` completes or `each`
/// breaks (its output is gone), handing each completed run's report to `each` (with its number,
/// from 1) as it completes.
pub async fn repeat(
    config: &Config,
    plan: Plan,
    interrupt: impl Future<Output = ()>,
    mut each: impl FnMut(u32, Report) -> ControlFlow<()>,
) -> Ended {
    let mut interrupt = std::pin::pin!(interrupt);
    let mut completed = 0u32;
    let mut next = Instant::now();
    while plan.runs.is_none_or(|n| completed < n) {
        tokio::select! {
            biased;
            () = &mut interrupt => return Ended { completed, interrupted: true },
            () = tokio::time::sleep_until(next) => {}
        }
        next = Instant::now() + plan.interval;
        let report = engine::check_until(config.clone(), &mut interrupt).await;
        if report.interrupted {
            return Ended {
                completed,
                interrupted: true,
            };
        }
        completed += 1;
        if each(completed, report).is_break() {
            break;
        }
    }
    Ended {
        completed,
        interrupted: false,
    }
}
