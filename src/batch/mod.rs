//! `imapdoctor batch FILE`: many mailboxes, one view. Rows are read as they are needed (at most
//! `--concurrency` ahead), each checked through [`engine::check`] with at most `--concurrency`
//! checks (and so connections) open at once, and each report streamed out the moment it
//! finishes: as a JSON line, or on a terminal as a tick of the progress bar. Only a small
//! [`summary::Outcome`] of each report is kept, for the summary that ends the batch.
//!
//! Data flows one way: a reader thread (file or stdin: [`input`] lines → [`Settings`] layered
//! over the command line's → [`Config`]) → the checks → this module's sink → [`summary`] →
//! [`table`] on a terminal, a `{"summary": …}` line otherwise.

pub mod args;
pub mod input;
pub mod lines;
pub mod summary;
pub mod table;

use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use self::args::BatchArgs;
use self::lines::{ErrorLine, ReportLine, SummaryLine};
use self::summary::{Outcome, Summary, Tally};
use crate::cli::{Format, OutputArgs};
use crate::config::Config;
use crate::exit_code::ExitCode;
use crate::report::Report;
use crate::settings::{Asking, Settings};

/// Largest batch file read (a million rows of over a hundred bytes each).
pub const MAX_FILE: u64 = 128 * 1024 * 1024;

/// A row ready to check, or a line that will not be.
enum Entry {
    /// The row at this line, validated.
    Check(u64, Box<Config>),
    /// The line, and why it is skipped.
    Bad(u64, String),
}

/// What the checks hand to the sink.
enum Finished {
    /// The row at this line was checked.
    Checked(u64, Box<Report>),
    /// The line was skipped.
    Bad(u64, String),
}

/// How the batch is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    /// JSON Lines on stdout.
    Lines,
    /// A progress bar on stderr, failures as they come and the summary table on stdout.
    Table,
    /// Nothing on stdout (`--quiet`).
    Quiet,
}

/// Runs the batch on `runtime` (shut down without waiting for stuck lookups) and returns its
/// exit code.
pub fn run(
    runtime: tokio::runtime::Runtime,
    args: &BatchArgs,
    output: &OutputArgs,
    defaults: Settings,
) -> ExitCode {
    let view = match output.format() {
        _ if output.quiet => View::Quiet,
        Format::Json => View::Lines,
        Format::Human if io::stdout().is_terminal() => View::Table,
        Format::Human => View::Lines,
        other => {
            return crate::app::usage_error(
                output,
                &format!(
                    "batch writes JSON Lines (--format json) or, on a terminal, a table: --format {} does not apply",
                    format!("{other:?}").to_lowercase()
                ),
            );
        }
    };
    let reader = match open(&args.file) {
        Ok(reader) => reader,
        Err(e) => return crate::app::usage_error(output, &e),
    };
    let total = match view {
        View::Table => count_rows(&args.file),
        _ => None,
    };
    let (rows, entries) = mpsc::channel(usize::from(args.concurrency));
    // The config file's [defaults] under the batch options (its target never: rows name theirs).
    let base = args.settings().over(Settings {
        target: None,
        ..defaults
    });
    let verbose = output.verbose;
    std::thread::spawn(move || read_rows(reader, &base, verbose, &rows));
    let mut sink = Sink::new(view, total);
    let finished = runtime.block_on(check_all(entries, usize::from(args.concurrency), &mut sink));
    runtime.shutdown_background();
    match finished {
        Ok(interrupted) => match sink.finish(interrupted) {
            Ok(summary) => summary.exit,
            Err(e) => write_failed(e),
        },
        Err(e) => write_failed(e),
    }
}

fn write_failed(e: io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::Internal;
    }
    crate::stderr::say(format_args!("cannot write the batch's output: {e}"));
    ExitCode::Internal
}

/// The batch file (`-`: stdin), refused unless a regular file within [`MAX_FILE`].
fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, String> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(io::stdin().take(MAX_FILE))));
    }
    let shown = crate::sanitize::terminal_text(&path.display().to_string());
    let refused = |e: &dyn std::fmt::Display| format!("batch file {shown}: {e}");
    if !is_stream(path) {
        crate::input_file::check_regular(path, MAX_FILE).map_err(|e| refused(&e))?;
    }
    let file = std::fs::File::open(path).map_err(|e| refused(&e))?;
    Ok(Box::new(BufReader::new(file.take(MAX_FILE))))
}

/// Standard input or a pipe (`imapdoctor batch <(command)`): read once, as it comes, at most
/// [`MAX_FILE`] bytes like a file.
fn is_stream(path: &Path) -> bool {
    path == Path::new("-") || crate::input_file::is_pipe(path)
}

/// How many rows the file holds (lines neither blank nor comments), for the progress bar; `None`
/// for a stream, which can be read only once.
fn count_rows(path: &Path) -> Option<u64> {
    if is_stream(path) {
        return None;
    }
    let reader = open(path).ok()?;
    let mut rows = 0;
    each_line(reader, |_, line| {
        let text = line.unwrap_or_default();
        let text = text.trim();
        rows += u64::from(!text.is_empty() && !text.starts_with('#'));
        true
    });
    Some(rows)
}

/// Calls `each` with every line's number and text (or why it cannot be read: too long, not
/// UTF-8) until it returns false or the input ends. Reads at most [`input::MAX_LINE`] of a line.
fn each_line(
    mut reader: Box<dyn BufRead + Send>,
    mut each: impl FnMut(u64, Result<String, String>) -> bool,
) {
    let mut number = 0;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        let limit = input::MAX_LINE as u64 + 1;
        let read = match reader.by_ref().take(limit).read_until(b'\n', &mut bytes) {
            Ok(0) => return,
            Ok(read) => read,
            Err(e) => {
                crate::stderr::say(format_args!("reading the batch file: {e}"));
                return;
            }
        };
        number += 1;
        let line = if !bytes.ends_with(b"\n") && read > input::MAX_LINE {
            if skip_line(&mut reader).is_err() {
                return;
            }
            Err(format!("longer than {} KiB", input::MAX_LINE / 1024))
        } else {
            String::from_utf8(std::mem::take(&mut bytes))
                .map(|l| l.trim_end_matches(['\r', '\n']).to_string())
                .map_err(|_| "not UTF-8 text".to_string())
        };
        if !each(number, line) {
            return;
        }
    }
}

/// Discards the rest of an overlong line.
fn skip_line(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        if let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            reader.consume(end + 1);
            return Ok(());
        }
        let all = buffer.len();
        reader.consume(all);
    }
}

/// The reader thread: every line becomes an [`Entry`], sent as the checks make room.
fn read_rows(
    reader: Box<dyn BufRead + Send>,
    base: &Settings,
    verbose: bool,
    rows: &mpsc::Sender<Entry>,
) {
    each_line(reader, |number, line| {
        let entry = match line.map(|text| input::parse(&text)) {
            Ok(input::Line::Nothing) => return true,
            Err(why) | Ok(input::Line::Bad(why)) => Entry::Bad(number, why),
            Ok(input::Line::Row(row)) => {
                match row.over(base.clone()).into_config(Asking::Never, verbose) {
                    Ok(config) => Entry::Check(number, Box::new(config)),
                    Err(e) => Entry::Bad(number, e.to_string()),
                }
            }
        };
        rows.blocking_send(entry).is_ok()
    });
}

/// Checks every entry, at most `concurrency` at once, handing each result to `sink` as it
/// finishes. Returns whether Ctrl-C cut the batch short: then no further row starts, and the
/// checks under way end at once with the report of what they had done (`interrupted`), which the
/// sink still takes, as a single check writes its report so far.
async fn check_all(
    mut entries: mpsc::Receiver<Entry>,
    concurrency: usize,
    sink: &mut Sink,
) -> io::Result<bool> {
    let (done, mut finished) = mpsc::channel(concurrency);
    let permits = Arc::new(Semaphore::new(concurrency));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let spawner = tokio::spawn(async move {
        while let Some(entry) = entries.recv().await {
            match entry {
                Entry::Bad(line, why) => {
                    if done.send(Finished::Bad(line, why)).await.is_err() {
                        return;
                    }
                }
                Entry::Check(line, config) => {
                    let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                        return;
                    };
                    let done = done.clone();
                    let mut stopped = stopped.clone();
                    tokio::spawn(async move {
                        let interrupt = async move {
                            if stopped.wait_for(|stop| *stop).await.is_err() {
                                std::future::pending::<()>().await;
                            }
                        };
                        let report = crate::engine::check_until(*config, interrupt).await;
                        let _ = done.send(Finished::Checked(line, Box::new(report))).await;
                        drop(permit);
                    });
                }
            }
        }
    });
    let mut interrupt = std::pin::pin!(crate::app::ctrl_c());
    let interrupted = loop {
        tokio::select! {
            biased;
            () = &mut interrupt => break true,
            next = finished.recv() => match next {
                Some(result) => sink.take(result)?,
                None => break false,
            },
        }
    };
    spawner.abort();
    if interrupted {
        let _ = stop.send(true);
        while let Some(result) = finished.recv().await {
            sink.take(result)?;
        }
    }
    Ok(interrupted)
}

/// Where results go as they finish.
struct Sink {
    view: View,
    tally: Tally,
    bar: Option<ProgressBar>,
}

impl Sink {
    fn new(view: View, total: Option<u64>) -> Sink {
        let bar = (view == View::Table).then(|| progress_bar(total));
        Sink {
            view,
            tally: Tally::default(),
            bar,
        }
    }

    /// Counts a result and shows it.
    fn take(&mut self, result: Finished) -> io::Result<()> {
        match result {
            Finished::Checked(line, report) => {
                let outcome = Outcome::of(line, &report);
                let failed = outcome.failure.is_some();
                self.tally.add(outcome);
                match self.view {
                    View::Lines => write_line(&ReportLine::new(line, &report)),
                    View::Table if failed => self.above_bar(&table::failure_line(line, &report)),
                    _ => Ok(()),
                }?;
            }
            Finished::Bad(line, why) => {
                self.tally.add_bad_line();
                let message = crate::secret::redact(&why).into_owned();
                let said = format!("line {line}: {message}");
                match &self.bar {
                    Some(bar) => bar.suspend(|| crate::stderr::say(&said)),
                    None => crate::stderr::say(&said),
                }
                if self.view == View::Lines {
                    write_line(&ErrorLine::new(line, message))?;
                }
            }
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        Ok(())
    }

    /// Writes `text` to stdout without tearing the progress bar.
    fn above_bar(&self, text: &str) -> io::Result<()> {
        let write = || crate::app::write_stdout(text, false);
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Ends the view with the summary.
    fn finish(self, interrupted: bool) -> io::Result<Summary> {
        let summary = self.tally.summary(interrupted);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        match self.view {
            View::Lines => write_line(&SummaryLine::new(&summary))?,
            View::Table => {
                let mut text = Vec::new();
                table::write(&summary, &mut text)?;
                self.above_bar(&String::from_utf8_lossy(&text))?;
            }
            View::Quiet => {}
        }
        Ok(summary)
    }
}

/// The progress bar on stderr: of `total` rows when known.
fn progress_bar(total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::new(total),
            "{bar:40} {pos}/{len} checked · {elapsed} · {eta} left",
        ),
        None => (
            ProgressBar::no_length(),
            "{spinner} {pos} checked · {elapsed}",
        ),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// One JSON line on stdout, secrets redacted.
fn write_line(value: &impl Serialize) -> io::Result<()> {
    let mut rendered = Vec::new();
    crate::render::json::write_line(value, &mut rendered)?;
    crate::app::write_stdout(&String::from_utf8_lossy(&rendered), false)
}
