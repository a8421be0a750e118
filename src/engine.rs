//! The engine: one check of one server, as a library function. A [`Config`] goes in, the
//! finished [`Report`] (verdict, exit code and environment included) comes out. Every front end
//! runs checks through here: the single check, `--repeat`, `batch`, `serve` and the demo.

use tokio::time::Instant;

use crate::checks;
use crate::config::Config;
use crate::control;
use crate::exit_code::ExitCode;
use crate::report::{Report, SCHEMA_VERSION, TargetInfo, Tool};
use crate::transcript::Transcript;

/// Runs the check described by `config` and returns the finished report (verdict included).
pub async fn check(config: Config) -> Report {
    check_until(config, std::future::pending()).await
}

/// As [`check`], but stops when `interrupt` completes (Ctrl-C): the report then holds the checks
/// finished by then, the others skipped, no control probe (it is not waited for) and the
/// `interrupted` verdict.
pub async fn check_until(config: Config, interrupt: impl Future<Output = ()>) -> Report {
    check_watched(config, interrupt, checks::Progress::new()).await
}

/// As [`check_until`], telling `progress` of each step as it starts and each check as it
/// finishes (the control probe's wait included).
pub async fn check_watched(
    config: Config,
    interrupt: impl Future<Output = ()>,
    progress: checks::Progress,
) -> Report {
    let mut interrupt = std::pin::pin!(interrupt);
    let started = Instant::now();
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let run_deadline = config.max_time.map(|d| started + d);
    let transcript = Transcript::new(started.into_std());
    let mut config = config;
    let (discovered, found) = tokio::select! {
        biased;
        () = &mut interrupt => (None, None),
        (check, target) = crate::discover::run(&config, run_deadline, &progress) => (Some(check), target),
    };
    if let Some(target) = found {
        config = crate::discover::found_config(config, target);
    }
    let (trigger, probe) = control::spawn(config.clone(), run_deadline);
    let stop_probe = probe.abort_handle();
    let finished = match discovered {
        None => None,
        Some(discovered) => tokio::select! {
            biased;
            () = &mut interrupt => None,
            checks = checks::run(&config, &transcript, run_deadline, &trigger, &progress, discovered) => Some(checks),
        },
    };
    let interrupted = finished.is_none();
    let checks = finished.unwrap_or_else(|| checks::interrupted(progress.checks()));
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "imapdoctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        target: TargetInfo {
            input: crate::sanitize::terminal_text(&config.target.input),
            host: config.target.host.clone(),
            host_unicode: config.target.host_unicode(),
            port: config.target.port,
            security: config.target.security,
            user: config.user.clone(),
            profile: None,
        },
        started_at,
        duration_ms: 0,
        interrupted,
        checks,
        control: None,
        verdict: crate::report::Verdict {
            fault: crate::report::Fault::None,
            code: String::new(),
            summary: String::new(),
            confidence: crate::report::Confidence::Certain,
            alternatives: vec![],
            hints: vec![],
            evidence: vec![],
        },
        transcript: None,
        environment: Default::default(),
        exit_code: 0,
    };
    if !config.controls.is_empty() && !interrupted {
        let needed = report
            .first_failure()
            .and_then(|c| c.error_code())
            .is_some_and(crate::diagnose::needs_control);
        report.control = if needed {
            trigger.start_now();
            progress.started(&checks::progress::Step {
                name: "control",
                waiting_for: "the control servers",
                limit: run_deadline.map_or(config.step_timeout, |run| {
                    config
                        .step_timeout
                        .min(run.saturating_duration_since(Instant::now()))
                }),
            });
            let compared = async {
                let endpoints = match probe.await {
                    Ok(Some(found)) => found,
                    // The target connected, then failed later: probe now.
                    _ => control::probe_all(config.clone(), run_deadline).await,
                };
                control::judge(endpoints, control::TargetEvidence::of(&report.checks))
            };
            tokio::select! {
                biased;
                () = &mut interrupt => None,
                control = compared => Some(control),
            }
        } else {
            Some(control::not_needed())
        };
        report.interrupted = report.control.is_none();
    }
    stop_probe.abort();
    report.verdict = crate::diagnose::diagnose(&report);
    if config.verbose {
        report.transcript = Some(transcript.lines());
    }
    report.environment = crate::environment::of_this_computer(
        report
            .checks
            .iter()
            .find(|c| c.id == crate::report::CheckId::Tcp),
    );
    report.exit_code = ExitCode::for_report(&report) as u8;
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}
