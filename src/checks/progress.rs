//! How far the checklist has got: each check is recorded here the moment it finishes, so whoever
//! watches the run can read the finished checks at any time (the app builds the report from them
//! when the run is interrupted with Ctrl-C) or hear of each step as it starts and each check as it
//! finishes (a listener: the live view on a terminal).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::report::Check;

/// A network step that has started: what it waits for and how long it may wait.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The check it belongs to (`capability`), or `control` for the control probe.
    pub name: &'static str,
    /// What it waits for, as read after "waiting for": "the greeting".
    pub waiting_for: &'static str,
    /// How long it may wait: its `--timeout` (or `--login-timeout`), less if `--max-time` ends
    /// the run sooner.
    pub limit: Duration,
}

/// What a listener hears, in the order it happens.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A step started waiting.
    Started(&'a Step),
    /// A check finished (a step may still follow for the same check: STARTTLS).
    Finished(&'a Check),
}

/// Called with each event as it happens.
type Listener = Box<dyn Fn(Event<'_>) + Send + Sync>;

/// The checks finished so far in one run, shared between the checklist and its watchers. Clones
/// share the same record.
#[derive(Clone, Default)]
pub struct Progress {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    finished: Mutex<Vec<Check>>,
    listener: Option<Listener>,
}

impl Progress {
    /// An empty record without a listener.
    pub fn new() -> Self {
        Progress::default()
    }

    /// An empty record that also calls `listener` with each step as it starts and each check as
    /// it finishes (from the task running the checklist: keep it short).
    pub fn with_listener(listener: impl Fn(Event<'_>) + Send + Sync + 'static) -> Self {
        Progress {
            shared: Arc::new(Shared {
                finished: Mutex::default(),
                listener: Some(Box::new(listener)),
            }),
        }
    }

    /// Records a finished check and tells the listener.
    pub fn finished(&self, check: &Check) {
        self.shared
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(check.clone());
        if let Some(listener) = &self.shared.listener {
            listener(Event::Finished(check));
        }
    }

    /// Tells the listener that a step started waiting.
    pub fn started(&self, step: &Step) {
        if let Some(listener) = &self.shared.listener {
            listener(Event::Started(step));
        }
    }

    /// The checks finished so far, in the order they finished.
    pub fn checks(&self) -> Vec<Check> {
        self.shared
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("finished", &self.checks().len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckId, Details};

    #[test]
    fn clones_share_the_record_and_the_listener_hears_each_event() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let ears = Arc::clone(&heard);
        let progress = Progress::with_listener(move |event| {
            ears.lock().unwrap().push(match event {
                Event::Started(step) => format!("{} waits", step.name),
                Event::Finished(check) => check.id.as_str().to_string(),
            })
        });
        let watcher = progress.clone();
        assert!(watcher.checks().is_empty());
        progress.started(&Step {
            name: "dns",
            waiting_for: "the DNS answers",
            limit: Duration::from_secs(10),
        });
        progress.finished(&Check::passed(CheckId::Dns, "resolved", Details::None));
        progress.finished(&Check::skipped(CheckId::Tcp, "not run"));
        let ids: Vec<CheckId> = watcher.checks().iter().map(|c| c.id).collect();
        assert_eq!(ids, [CheckId::Dns, CheckId::Tcp]);
        assert_eq!(*heard.lock().unwrap(), ["dns waits", "dns", "tcp"]);
    }
}
