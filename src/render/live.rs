//! The live view on a terminal: while the run goes on, each finished check's line appears the
//! moment it finishes, and the step under way shows what it waits for and for how long against
//! its limit (`capability  waiting for the greeting… 4 s of 10`). Drawn on stderr by indicatif
//! (which also keeps Windows consoles working and draws nothing when stderr is not a terminal), so
//! stdout carries only the report. The live lines are erased when the run ends: the report that
//! follows repeats them, complete and wrapped.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::human::Human;
use crate::checks::progress::{Event, Progress, Step};
use crate::report::Check;

/// How often the step under way is redrawn (its spinner and seconds).
const TICK: Duration = Duration::from_millis(100);

/// The live lines of one run.
pub struct Live {
    lines: MultiProgress,
    /// The step under way, if any.
    running: Mutex<Option<ProgressBar>>,
}

impl Live {
    /// A live view drawn on stderr.
    pub fn on_stderr() -> Arc<Live> {
        Arc::new(Live {
            lines: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            running: Mutex::new(None),
        })
    }

    /// A record of the run's progress that draws each event here.
    pub fn progress(self: &Arc<Self>) -> Progress {
        let live = Arc::clone(self);
        Progress::with_listener(move |event| live.show(event))
    }

    /// Erases the live lines, before the report takes their place.
    pub fn clear(&self) {
        self.stop_running();
        let _ = self.lines.clear();
    }

    fn show(&self, event: Event<'_>) {
        match event {
            Event::Started(step) => self.start(step),
            Event::Finished(check) => self.finish(check),
        }
    }

    fn start(&self, step: &Step) {
        self.stop_running();
        let bar = self.lines.add(ProgressBar::new_spinner());
        bar.set_style(waiting_style(step));
        bar.enable_steady_tick(TICK);
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar);
    }

    fn finish(&self, check: &Check) {
        self.stop_running();
        let line = Human {
            color: false,
            width: None,
        }
        .check_line(check);
        let line = crate::secret::redact(&line).into_owned();
        let bar = self.lines.add(ProgressBar::new_spinner());
        bar.set_style(ProgressStyle::with_template("{wide_msg}").expect("a valid template"));
        bar.finish_with_message(line);
    }

    /// Removes the line of the step under way, if any.
    fn stop_running(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(bar) = running {
            bar.finish_and_clear();
            self.lines.remove(&bar);
        }
    }
}

/// `  ⠋    capability waiting for the greeting… 4 s of 10`: the spinner in the status column, the
/// check's name in the id column, the seconds waited against the step's limit.
fn waiting_style(step: &Step) -> ProgressStyle {
    let template = format!(
        "  {{spinner:4}} {:<10} waiting for {}… {{waited}} of {}",
        step.name,
        step.waiting_for,
        seconds(step.limit)
    );
    ProgressStyle::with_template(&template)
        .expect("a valid template")
        .with_key(
            "waited",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{} s", state.elapsed().as_secs());
            },
        )
}

/// A limit in whole seconds when it is one (`10`), else to a tenth (`2.5`).
fn seconds(limit: Duration) -> String {
    let tenths = (limit.as_millis() + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_in_seconds() {
        assert_eq!(seconds(Duration::from_secs(10)), "10");
        assert_eq!(seconds(Duration::from_millis(2_500)), "2.5");
        assert_eq!(seconds(Duration::from_millis(9_996)), "10");
        assert_eq!(seconds(Duration::from_millis(40)), "0");
    }
}
