//! One run: command line → [`Config`] → checklist (+ control probe) → [`Report`] → verdict →
//! rendered output and exit code.

use std::io::{IsTerminal, Write};

use crate::checks;
use crate::cli::{CheckArgs, Cli, ColorWhen, Command, Format, OutputArgs};
use crate::config::{Config, UsageError};
use crate::config_file::location::Loaded;
use crate::exit_code::ExitCode;
use crate::render::{
    Render, human::Human, json::Json, live::Live, markdown::Markdown, oneline::Oneline,
};
use crate::report::{ErrorDocument, Report, RunError, SCHEMA_VERSION};
use crate::secret;
use crate::settings::Asking;

/// Builds the run's settings from the check arguments over the config file's profile (`@NAME`)
/// and `[defaults]` (reads the password; never from argv).
pub fn config_from_cli(
    args: &CheckArgs,
    file: Option<&Loaded>,
    verbose: bool,
) -> Result<Config, UsageError> {
    crate::config_file::layers::layer(args.settings(), file)?.into_config(
        Asking::Interactive {
            password_stdin: args.password_stdin,
        },
        verbose,
    )
}

/// As [`config_from_cli`], signing in first when `--oauth` (or the config file's `oauth`) asks
/// for it ([`crate::oauth::sign_in`], Ctrl-C stops it); the other settings are checked before
/// anyone is asked to sign in.
fn config_signing_in(
    args: &CheckArgs,
    file: Option<&Loaded>,
    verbose: bool,
    runtime: &tokio::runtime::Runtime,
) -> Result<Config, crate::oauth::SignInError> {
    let usage = |e: UsageError| crate::oauth::SignInError::Usage(e.to_string());
    let settings = crate::config_file::layers::layer(args.settings(), file).map_err(usage)?;
    let asking = Asking::Interactive {
        password_stdin: args.password_stdin,
    };
    if settings.oauth.is_none() {
        return settings.into_config(asking, verbose).map_err(usage);
    }
    crate::settings::Settings {
        user: None,
        oauth: None,
        ..settings.clone()
    }
    .into_config(Asking::Never, verbose)
    .map_err(usage)?;
    let grant = runtime.block_on(crate::oauth::sign_in(&settings, ctrl_c()))?;
    settings
        .into_config_signed_in(asking, verbose, grant)
        .map_err(usage)
}

/// Completes at the first Ctrl-C (SIGINT on Unix); never, when it cannot be listened for.
pub async fn ctrl_c() {
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
        Format::Nagios => crate::render::nagios::Nagios {
            limits: output.limits(),
        }
        .render(report, &mut rendered)?,
        Format::Prometheus => {
            crate::render::prometheus::Prometheus.render(report, &mut rendered)?
        }
    }
    write_stdout(&String::from_utf8_lossy(&rendered), color)
}

/// Writes `text` to stdout and flushes it: the one way output reaches stdout (a report, a
/// repeat's or batch's pieces, a plugin line). It passes [`secret::redact`] first; without
/// `color`, colour codes are stripped.
pub fn write_stdout(text: &str, color: bool) -> std::io::Result<()> {
    let text = secret::redact(text);
    let choice = if color {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    let mut stream = anstream::AutoStream::new(std::io::stdout().lock(), choice);
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// The report, saying which config file and profile the run used.
fn with_config_file(mut report: Report, args: &CheckArgs, file: Option<&Loaded>) -> Report {
    report.environment.config_file =
        file.map(|f| crate::sanitize::terminal_text(&f.path.display().to_string()));
    report.target.profile = args
        .target
        .as_deref()
        .and_then(crate::config_file::layers::profile_name)
        .map(crate::sanitize::terminal_text);
    report
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
        let _ = write_stdout(&String::from_utf8_lossy(&rendered), false);
    }
}

/// A usage error of a mode that has parsed its own arguments: the message on stderr, and as the
/// usage-error document on stdout when JSON was asked for ([`write_usage_error_json`]).
pub fn usage_error(output: &OutputArgs, message: &str) -> ExitCode {
    if output.format() == Format::Json && !output.quiet {
        write_usage_error_json(message);
    }
    crate::stderr::say(message);
    ExitCode::Usage
}

/// The whole program after argument parsing.
/// The program after argument parsing: reads the config file (not for `explain` and lists), takes
/// its output defaults, then runs as a monitoring plugin (`--format nagios`: plugin exit codes)
/// or as itself.
pub fn run(mut cli: Cli) -> std::process::ExitCode {
    let file = match &cli.command {
        Some(Command::Explain(_)) => None,
        Some(Command::Demo(demo)) if demo.list => None,
        _ => match crate::config_file::location::load(&cli.config) {
            Ok(file) => file,
            Err(e) if cli.output.format() == Format::Nagios => {
                crate::stderr::say(&e);
                return crate::plugin::unknown(&e.to_string());
            }
            Err(e) => return usage_error(&cli.output, &e.to_string()).into(),
        },
    };
    if let Some(file) = &file {
        let defaults = &file.file.defaults;
        cli.output.or_defaults(defaults.format, defaults.color);
    }
    if cli.output.format() == Format::Nagios {
        crate::plugin::main(cli, file)
    } else {
        main(cli, file).into()
    }
}

/// The runtime every mode runs on: two worker threads (a check is I/O-bound), timers and I/O.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// The program as itself, with the config file read (if any).
pub fn main(cli: Cli, file: Option<Loaded>) -> ExitCode {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            crate::stderr::say(format_args!("cannot start: {e}"));
            return ExitCode::Internal;
        }
    };
    let report = match &cli.command {
        Some(Command::Explain(explain)) => {
            return crate::explain::run(explain.code.as_deref(), explain.list, &cli.output);
        }
        Some(Command::Batch(batch)) => {
            let defaults = file.map(|f| f.file.defaults.settings).unwrap_or_default();
            return crate::batch::run(runtime, batch, &cli.output, defaults);
        }
        Some(Command::Serve(serve)) => {
            let options = crate::serve::ServeOptions {
                listen: serve.listen,
                config: file.map(|f| f.file),
                max_concurrent: serve.max_concurrent,
            };
            return runtime.block_on(crate::serve::run(options));
        }
        Some(Command::Demo(demo)) if demo.list => {
            let (text, document) = (crate::demo::faults::list(), crate::demo::faults::document());
            return crate::explain::run_list("demo --list", &text, &document, &cli.output);
        }
        Some(Command::Demo(demo)) => {
            runtime.block_on(crate::demo::run(demo.fault, cli.output.verbose))
        }
        None => match config_signing_in(&cli.check, file.as_ref(), cli.output.verbose, &runtime) {
            Ok(config) => {
                for (host, port, _) in config.unused_resolve() {
                    let target = &config.target;
                    crate::stderr::warn(format_args!(
                        "--resolve for {host}:{port} is not used: the check connects to {}:{}",
                        target.host, target.port
                    ));
                }
                if let Some(plan) = cli.check.plan() {
                    return crate::repeat::command_line::run(
                        runtime,
                        config,
                        plan,
                        &cli.output,
                        ctrl_c(),
                    );
                }
                let live = shows_live_progress(&cli.output).then(Live::on_stderr);
                let progress = live
                    .as_ref()
                    .map_or_else(checks::Progress::new, Live::progress);
                let report =
                    runtime.block_on(crate::engine::check_watched(config, ctrl_c(), progress));
                if let Some(live) = live {
                    live.clear();
                }
                Ok(with_config_file(report, &cli.check, file.as_ref()))
            }
            Err(e) => {
                let code = e.exit_code();
                if code == ExitCode::Usage
                    && cli.output.format() == Format::Json
                    && !cli.output.quiet
                {
                    write_usage_error_json(&e.to_string());
                }
                crate::stderr::say(e);
                runtime.shutdown_background();
                return code;
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
