//! How far the checklist has got: each check is recorded here the moment it finishes, so whoever
//! watches the run can read the finished checks at any time (the app builds the report from them
//! when the run is interrupted with Ctrl-C) or hear of each one as it finishes (a listener).

use std::sync::{Arc, Mutex, PoisonError};

use crate::report::Check;

/// Called with each check as it finishes, in the order they finish.
type Listener = Box<dyn Fn(&Check) + Send + Sync>;

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

    /// An empty record that also calls `listener` with each check as it finishes (from the task
    /// running the checklist: keep it short).
    pub fn with_listener(listener: impl Fn(&Check) + Send + Sync + 'static) -> Self {
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
            listener(check);
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
    fn clones_share_the_record_and_the_listener_hears_each_check() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let ears = Arc::clone(&heard);
        let progress = Progress::with_listener(move |c| ears.lock().unwrap().push(c.id));
        let watcher = progress.clone();
        assert!(watcher.checks().is_empty());
        progress.finished(&Check::passed(CheckId::Dns, "resolved", Details::None));
        progress.finished(&Check::skipped(CheckId::Tcp, "not run"));
        let ids: Vec<CheckId> = watcher.checks().iter().map(|c| c.id).collect();
        assert_eq!(ids, [CheckId::Dns, CheckId::Tcp]);
        assert_eq!(*heard.lock().unwrap(), [CheckId::Dns, CheckId::Tcp]);
    }
}
