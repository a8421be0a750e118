//! One run: command line → [`Config`] → checklist (+ control probe) → [`Report`] → verdict →
//! rendered output and exit code.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use tokio::time::Instant;

use crate::checks;
use crate::cli::{CheckArgs, Cli, ColorWhen, Command, Format, OutputArgs};
use crate::config::{self, Config, Credentials, Target, UsageError};
use crate::control;
use crate::exit_code::ExitCode;
use crate::render::{
    Render, human::Human, json::Json, live::Live, markdown::Markdown, oneline::Oneline,
};
use crate::report::{ErrorDocument, Report, RunError, SCHEMA_VERSION, TargetInfo, Tool};
use crate::secret;
use crate::transcript::Transcript;

/// Builds the run's settings from the check arguments (reads the password; never from argv).
pub fn config_from_cli(args: &CheckArgs, verbose: bool) -> Result<Config, UsageError> {
    let input = args.target.as_deref().unwrap_or_default();
    let target = Target::parse(input, args.port, args.security)?;
    config::sendable("--mailbox", &args.mailbox)?;
    if let Some(user) = &args.user {
        config::sendable("--user", user)?;
    }
    let seconds = |what: &str, s: f64| {
        if s.is_finite() && s > 0.0 && s <= 86_400.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(UsageError::Credentials(format!(
                "{what} must be a number of seconds above 0"
            )))
        }
    };
    let step_timeout = seconds("--timeout", args.timeout)?;
    let login_timeout = seconds("--login-timeout", args.login_timeout)?;
    let max_time = args
        .max_time
        .map(|s| seconds("--max-time", s))
        .transpose()?;
    let resolve = args
        .resolve
        .iter()
        .map(|r| config::parse_resolve(r))
        .collect::<Result<_, _>>()?;
    let controls = if args.no_control {
        Vec::new()
    } else if args.control.is_empty() {
        control::default_controls(&target.host)
    } else {
        args.control
            .iter()
            .map(|c| config::parse_control(c))
            .collect::<Result<_, _>>()?
    };
    let extra_roots = match &args.ca_file {
        Some(path) => config::load_ca_file(path)?,
        None => Vec::new(),
    };
    let credentials = match &args.user {
        None => None,
        Some(user) => {
            let wants_token = args.auth.is_some_and(|m| m.uses_token());
            let token = match &args.oauth_token_file {
                Some(path) => Some(secret::token_from_file(path).map_err(UsageError::Credentials)?),
                None => secret::token_from_env().map_err(UsageError::Credentials)?,
            };
            let token = token.filter(|_| args.auth.is_none() || wants_token);
            let (secret, is_token) = match token {
                Some(token) => (token, true),
                None if wants_token => {
                    return Err(UsageError::Credentials(format!(
                        "--auth {} needs a token (--oauth-token-file, or {})",
                        if args.auth == Some(config::AuthMechanism::Oauthbearer) {
                            "oauthbearer"
                        } else {
                            "xoauth2"
                        },
                        secret::TOKEN_ENV
                    )));
                }
                None => (
                    secret::read_password(user, args.password_stdin)
                        .map_err(UsageError::Credentials)?,
                    false,
                ),
            };
            Some(Credentials {
                user: user.clone(),
                secret,
                mechanism: args.auth,
                is_token,
            })
        }
    };
    Ok(Config {
        target,
        user: args.user.clone(),
        credentials,
        mailbox: args.mailbox.clone(),
        extra_roots,
        ca_file: args.ca_file.clone(),
        insecure: args.insecure,
        step_timeout,
        login_timeout,
        max_time,
        resolve,
        controls,
        allow_plaintext_auth: args.allow_plaintext_auth,
        verbose,
    })
}

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
    let (trigger, probe) = control::spawn(config.clone(), run_deadline);
    let stop_probe = probe.abort_handle();
    let finished = tokio::select! {
        biased;
        () = &mut interrupt => None,
        checks = checks::run(&config, &transcript, run_deadline, &trigger, &progress) => Some(checks),
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

/// Completes at the first Ctrl-C (SIGINT on Unix); never, when it cannot be listened for.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Writes the report to stdout in the chosen format (nothing with `--quiet`). The whole output
/// passes [`secret::redact`] on its way out: whatever path a string took into the report, no
/// registered secret form reaches stdout.
pub fn render(report: &Report, output: &OutputArgs) -> std::io::Result<()> {
    if output.quiet {
        return Ok(());
    }
    let stdout = std::io::stdout();
    let format = output.format();
    let color = format == Format::Human
        && use_color(output.color(), stdout.is_terminal(), |name| {
            std::env::var_os(name)
        });
    let mut rendered = Vec::new();
    match format {
        Format::Human => {
            let width = crate::render::layout::width(stdout.is_terminal());
            Human { color, width }.render(report, &mut rendered)?
        }
        Format::Json => Json.render(report, &mut rendered)?,
        Format::Markdown => Markdown.render(report, &mut rendered)?,
        Format::Oneline => Oneline.render(report, &mut rendered)?,
    }
    let text = String::from_utf8_lossy(&rendered);
    let text = secret::redact(&text);
    let choice = if color {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    let mut stream = anstream::AutoStream::new(stdout.lock(), choice);
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// Whether the run is shown live as it goes (on stderr, see [`Live`]): only for the human report
/// on a terminal, never with `--quiet`, when stdout is a pipe or a file, or the output is for
/// machines.
fn shows_live_progress(output: &OutputArgs) -> bool {
    output.format() == Format::Human && !output.quiet && std::io::stdout().is_terminal()
}

/// Whether to colour: `always` and `never` as said; `auto` colours on a terminal or when
/// `CLICOLOR_FORCE` is set (not `0`), but never when `NO_COLOR` is set (not empty).
pub fn use_color(
    when: ColorWhen,
    is_terminal: bool,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    let set = |name: &str, off: &str| var(name).is_some_and(|v| !v.is_empty() && v != off);
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if set("NO_COLOR", "") => false,
        ColorWhen::Auto => is_terminal || set("CLICOLOR_FORCE", "0"),
    }
}

/// For a usage error when JSON was asked for (and not `--quiet`): one JSON document on stdout,
/// `{"schema_version":1,"error":{"code":"usage","message":…}}`, so `> ticket.json` never leaves
/// an empty file. The message also goes to stderr, as always.
pub fn write_usage_error_json(message: &str) {
    let message = secret::redact(message.trim());
    let document = ErrorDocument {
        schema_version: SCHEMA_VERSION,
        error: RunError {
            code: "usage",
            message: message.into_owned(),
        },
    };
    let mut rendered = Vec::new();
    if crate::render::json::write(&document, &mut rendered).is_ok() {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&rendered).and_then(|()| stdout.flush());
    }
}

/// The whole program after argument parsing.
pub fn main(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::stderr::say(format_args!("cannot start: {e}"));
            return ExitCode::Internal;
        }
    };
    let report = match &cli.command {
        Some(Command::Explain(explain)) => {
            return crate::explain::run(explain.code.as_deref(), explain.list);
        }
        Some(Command::Demo(demo)) if demo.list => {
            return crate::explain::print(&crate::demo::faults::list());
        }
        Some(Command::Demo(demo)) => {
            runtime.block_on(crate::demo::run(demo.fault, cli.output.verbose))
        }
        None => match config_from_cli(&cli.check, cli.output.verbose) {
            Ok(config) => {
                for (host, port, _) in config.unused_resolve() {
                    let target = &config.target;
                    crate::stderr::warn(format_args!(
                        "--resolve for {host}:{port} is not used: the check connects to {}:{}",
                        target.host, target.port
                    ));
                }
                let live = shows_live_progress(&cli.output).then(Live::on_stderr);
                let progress = live
                    .as_ref()
                    .map_or_else(checks::Progress::new, Live::progress);
                let report = runtime.block_on(check_watched(config, ctrl_c(), progress));
                if let Some(live) = live {
                    live.clear();
                }
                Ok(report)
            }
            Err(e) => {
                if cli.output.format() == Format::Json && !cli.output.quiet {
                    write_usage_error_json(&e.to_string());
                }
                crate::stderr::say(e);
                return ExitCode::Usage;
            }
        },
    };
    // getaddrinfo cannot be cancelled: never wait for a lookup that outlived its deadline.
    runtime.shutdown_background();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            crate::stderr::say(format_args!("{e:#}"));
            return ExitCode::Internal;
        }
    };
    if let Err(e) = render(&report, &cli.output)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        crate::stderr::say(format_args!("cannot write the report: {e}"));
        return ExitCode::Internal;
    }
    ExitCode::for_report(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn color(when: ColorWhen, terminal: bool, env: &[(&str, &str)]) -> bool {
        use_color(when, terminal, |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.into())
        })
    }

    #[test]
    fn colour_follows_flag_then_no_color_then_clicolor_force_then_terminal() {
        assert!(color(ColorWhen::Always, false, &[("NO_COLOR", "1")]));
        assert!(!color(ColorWhen::Never, true, &[("CLICOLOR_FORCE", "1")]));
        assert!(color(ColorWhen::Auto, true, &[]));
        assert!(!color(ColorWhen::Auto, false, &[]));
        assert!(color(ColorWhen::Auto, false, &[("CLICOLOR_FORCE", "1")]));
        assert!(!color(ColorWhen::Auto, false, &[("CLICOLOR_FORCE", "0")]));
        assert!(!color(ColorWhen::Auto, true, &[("NO_COLOR", "1")]));
        assert!(!color(
            ColorWhen::Auto,
            true,
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
        ));
        assert!(color(ColorWhen::Auto, true, &[("NO_COLOR", "")]));
    }
}
