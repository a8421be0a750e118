//! Unit tests of the repetition's statistics, on hand-built reports.

use super::*;
use crate::report::{
    Check, CheckId, Confidence, Details, SCHEMA_VERSION, TargetInfo, Tool, Verdict,
};

/// A finished report: every check up to `failing` passed with `ms` each, `failing` failed with
/// `code` (owner `fault`), the rest skipped; `None` passes them all.
fn report(failing: Option<(CheckId, &str, Fault)>, ms: u64) -> Report {
    let mut failed = false;
    let checks = CheckId::ALL
        .iter()
        .map(|&id| {
            let mut check = match failing {
                _ if failed => Check::skipped(id, "skipped"),
                Some((f, code, _)) if f == id => {
                    failed = true;
                    Check::failed(
                        id,
                        code.split('.').nth(1).unwrap_or(code),
                        "no",
                        Details::None,
                    )
                }
                _ => Check::passed(id, "yes", Details::None),
            };
            if check.status != Status::Skip {
                check.duration_ms = ms;
            }
            check
        })
        .collect();
    let (fault, code, exit) = match failing {
        None => (Fault::None, "ok", 0),
        Some((id, code, fault)) => (fault, code, ExitCode::for_check(id) as u8),
    };
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "imapdoctor",
            version: "0",
        },
        target: TargetInfo {
            input: "imap.example.test".into(),
            host: "imap.example.test".into(),
            host_unicode: None,
            profile: None,
            port: 993,
            security: crate::config::Security::Tls,
            user: Some("alice".into()),
        },
        started_at: String::new(),
        duration_ms: ms * 6,
        interrupted: false,
        checks,
        control: None,
        verdict: Verdict {
            fault,
            code: code.into(),
            summary: String::new(),
            confidence: Confidence::Certain,
            alternatives: Vec::new(),
            hints: Vec::new(),
            evidence: Vec::new(),
        },
        transcript: None,
        environment: Default::default(),
        exit_code: exit,
    }
}

/// The record of such a run.
fn run(failing: Option<(CheckId, &str, Fault)>, ms: u64) -> RunRecord {
    RunRecord::of(&report(failing, ms))
}

const UNAVAILABLE: Option<(CheckId, &str, Fault)> =
    Some((CheckId::Auth, "auth.unavailable", Fault::Server));
const REFUSED: Option<(CheckId, &str, Fault)> = Some((CheckId::Tcp, "tcp.refused", Fault::Server));

#[test]
fn median_takes_the_middle_or_the_mean_of_the_two_middles() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[7]), Some(7.0));
    assert_eq!(median(&[1, 2, 10]), Some(2.0));
    assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
}

#[test]
fn p95_is_the_nearest_rank() {
    let one_to_twenty: Vec<u64> = (1..=20).collect();
    // ⌈0.95 × 20⌉ = 19.
    assert_eq!(nearest_rank(&one_to_twenty, 95), Some(19));
    let one_to_hundred: Vec<u64> = (1..=100).collect();
    assert_eq!(nearest_rank(&one_to_hundred, 95), Some(95));
    // ⌈0.95 × 10⌉ = 10: with ten values the 95th percentile is the largest.
    let ten: Vec<u64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 95), Some(10));
    assert_eq!(nearest_rank(&[42], 95), Some(42));
    assert_eq!(nearest_rank(&[1, 2, 3], 0), Some(1));
    assert_eq!(nearest_rank(&[], 95), None);
}

#[test]
fn latency_sorts_before_it_measures() {
    let spread = latency([30, 10, 20, 40]).unwrap();
    assert_eq!(spread.min_ms, 10);
    assert_eq!(spread.median_ms, 25.0);
    assert_eq!(spread.p95_ms, 40);
    assert_eq!(spread.max_ms, 40);
    assert_eq!(latency([]), None);
}

#[test]
fn pass_rate_is_over_the_runs_the_check_ran_in() {
    assert_eq!(pass_rate(3, 4), Some(0.75));
    assert_eq!(pass_rate(0, 0), None);
    let runs = [run(None, 5), run(UNAVAILABLE, 7), run(None, 9)];
    let checks = check_summaries(&runs);
    let auth = &checks[5];
    assert_eq!(auth.id, CheckId::Auth);
    assert_eq!(
        (auth.ran, auth.passed, auth.failed, auth.skipped),
        (3, 2, 1, 0)
    );
    assert_eq!(auth.pass_rate, Some(2.0 / 3.0));
    let folders = &checks[6];
    assert_eq!((folders.ran, folders.passed, folders.skipped), (2, 2, 1));
    assert_eq!(folders.pass_rate, Some(1.0));
    assert_eq!(folders.latency.unwrap().median_ms, 7.0);
    assert_eq!(auth.latency.unwrap().median_ms, 7.0);
}

#[test]
fn verdicts_are_grouped_most_frequent_first_with_a_reading() {
    let mut runs = vec![run(None, 5); 17];
    runs.extend([
        run(UNAVAILABLE, 5),
        run(UNAVAILABLE, 5),
        run(UNAVAILABLE, 5),
    ]);
    let verdicts = verdict_counts(&runs);
    assert_eq!(verdicts.len(), 2);
    assert_eq!((verdicts[0].code.as_str(), verdicts[0].count), ("ok", 17));
    assert_eq!(verdicts[0].reading, None);
    assert_eq!(verdicts[0].check, None);
    assert_eq!(verdicts[1].check, Some(CheckId::Auth));
    assert_eq!(verdicts[1].pattern, Some(Pattern::Intermittent));
    assert_eq!(
        verdicts[1].reading.as_deref(),
        Some("auth failed 3 of 20 with auth.unavailable: intermittent, server side")
    );
}

#[test]
fn a_failure_in_every_run_is_not_intermittent() {
    let every = verdict_counts(&[run(REFUSED, 1), run(REFUSED, 1)]);
    assert_eq!(every[0].pattern, Some(Pattern::EveryRun));
    let mixed = verdict_counts(&[run(REFUSED, 1), run(UNAVAILABLE, 1), run(UNAVAILABLE, 1)]);
    assert_eq!(mixed[0].code, "auth.unavailable");
    assert_eq!(mixed[0].pattern, Some(Pattern::AmongOtherFailures));
    assert_eq!(mixed[1].pattern, Some(Pattern::AmongOtherFailures));
}

#[test]
fn exit_code_is_the_most_frequent_failure_ties_to_the_earliest_layer() {
    assert_eq!(
        exit_code(&[run(None, 1), run(None, 1)], false),
        ExitCode::Success
    );
    assert_eq!(
        exit_code(&[run(None, 1), run(None, 1)], true),
        ExitCode::Success
    );
    assert_eq!(exit_code(&[], true), ExitCode::Interrupted);
    assert_eq!(exit_code(&[], false), ExitCode::Success);
    let auth_twice = [
        run(REFUSED, 1),
        run(UNAVAILABLE, 1),
        run(UNAVAILABLE, 1),
        run(None, 1),
    ];
    assert_eq!(exit_code(&auth_twice, false), ExitCode::Auth);
    let tie = [run(UNAVAILABLE, 1), run(REFUSED, 1), run(None, 1)];
    assert_eq!(exit_code(&tie, false), ExitCode::Tcp);
}

#[test]
fn the_summary_counts_the_runs() {
    let runs = [run(None, 2), run(UNAVAILABLE, 4), run(None, 6)];
    let summary = summarize(&runs, Some(5), 1000, true);
    assert_eq!(summary.planned, Some(5));
    assert_eq!(
        (summary.completed, summary.passed, summary.failed),
        (3, 2, 1)
    );
    assert!(summary.interrupted);
    assert_eq!(summary.duration.unwrap().max_ms, 36);
    assert_eq!(summary.exit_code, 14);
    assert_eq!(summary.checks.len(), 7);
}
