//! `--repeat` and `--watch` from the command line: runs the repetition, writes each run's line
//! (human, oneline) or report (json) to stdout as it completes, then the summary, every piece
//! through [`crate::app::write_stdout`] as a single report's output is; the exit code is the summary's.

use std::ops::ControlFlow;

use super::statistics::{RunRecord, summarize};
use super::{Plan, repeat};
use crate::cli::{Format, OutputArgs};
use crate::config::Config;
use crate::exit_code::ExitCode;
use crate::render::repeat::{JsonStream, run_line, write_summary};

/// Where the output goes: stdout, scrubbed, flushed piece by piece; nothing with `--quiet`; the
/// first write error ends the output (and the repetition).
struct Output {
    quiet: bool,
    failed: Option<std::io::Error>,
}

impl Output {
    fn write(&mut self, text: &str) -> ControlFlow<()> {
        if self.quiet || self.failed.is_some() {
            return ControlFlow::Continue(());
        }
        match crate::app::write_stdout(text, false) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Runs the check of `config` as `plan` says (until Ctrl-C with `--watch`) and writes it out in
/// the chosen format; shuts `runtime` down when done.
pub fn run(
    runtime: tokio::runtime::Runtime,
    config: Config,
    plan: Plan,
    output: &OutputArgs,
    interrupt: impl Future<Output = ()>,
) -> ExitCode {
    let format = output.format();
    let mut out = Output {
        quiet: output.quiet,
        failed: None,
    };
    let mut json = JsonStream::default();
    if format == Format::Json {
        let _ = out.write(&json.begin());
    }
    let mut records = Vec::new();
    let mut target = crate::sanitize::terminal_text(&config.target.input);
    let ended = runtime.block_on(repeat(&config, plan, interrupt, |number, report| {
        records.push(RunRecord::of(&report));
        if number == 1 {
            target = crate::render::host_port(&report);
        }
        let piece = match format {
            Format::Json => json.run(&report),
            _ => Ok(format!("{}\n", run_line(number, plan.runs, &report))),
        };
        match piece {
            Ok(piece) => out.write(&piece),
            Err(e) => {
                out.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }));
    // getaddrinfo cannot be cancelled: never wait for a lookup that outlived its deadline.
    runtime.shutdown_background();
    let interval_ms = plan.interval.as_millis() as u64;
    let summary = summarize(&records, plan.runs, interval_ms, ended.interrupted);
    match format {
        Format::Json => match json.end(&summary) {
            Ok(end) => {
                let _ = out.write(&end);
            }
            Err(e) => out.failed = Some(e),
        },
        Format::Oneline => {}
        _ => {
            let mut text = Vec::new();
            if write_summary(&summary, &target, &mut text).is_ok() {
                let _ = out.write(&String::from_utf8_lossy(&text));
            }
        }
    }
    if let Some(e) = out.failed
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        crate::stderr::say(format_args!("cannot write the report: {e}"));
        return ExitCode::Internal;
    }
    super::statistics::exit_code(&records, ended.interrupted)
}
