//! The layered checklist: (discover →) dns → tcp → tls → capability → auth → folders (with
//! STARTTLS the plaintext greeting precedes tls; the discover check runs before, see
//! [`crate::discover`]). Each layer is its own module returning a [`Check`]; this module
//! runs them in order, bounds each by `--timeout` and the run by `--max-time`, and marks every check
//! after a failure as skipped. Each finished check is also recorded in a [`Progress`] as it
//! finishes, so the run can be reported when it is interrupted.

pub mod auth;
pub mod capability;
pub mod certificate;
pub mod dns;
pub mod folders;
pub mod nameservers;
pub mod progress;
pub mod tcp;
pub mod tls;
pub mod tls_probe;
pub mod token;
pub mod trust;

use tokio::time::Instant;

use crate::config::{Config, Security};
use crate::imap::{Connection, Recorded, Transport};
use crate::report::{Check, CheckId};
use crate::transcript::Transcript;
pub use progress::Progress;

/// Results gathered so far, by id.
struct Checklist {
    checks: Vec<Check>,
    step_timeout: std::time::Duration,
    login_timeout: std::time::Duration,
    run_deadline: Option<Instant>,
    progress: Progress,
}

impl Checklist {
    /// Records a check; `false` if it failed (the run stops).
    fn record(&mut self, check: Check) -> bool {
        let ok = check.status != crate::report::Status::Fail;
        self.progress.finished(&check);
        self.checks.push(check);
        ok
    }

    /// The deadline for the next network step.
    fn step(&self) -> Instant {
        self.within_run(self.step_timeout)
    }

    /// The deadline for the login, which has its own bound: servers delay failed logins.
    fn login_step(&self) -> Instant {
        self.within_run(self.login_timeout)
    }

    /// The deadline for a network step of check `id` that waits for `waiting_for`, told to the
    /// progress listener as the step starts.
    fn begin(&self, id: CheckId, waiting_for: &'static str) -> Instant {
        self.announce(id, waiting_for, self.step())
    }

    /// As [`Checklist::begin`], for the login (its own bound).
    fn begin_login(&self, waiting_for: &'static str) -> Instant {
        self.announce(CheckId::Auth, waiting_for, self.login_step())
    }

    fn announce(&self, id: CheckId, waiting_for: &'static str, deadline: Instant) -> Instant {
        self.progress.started(&progress::Step {
            name: id.as_str(),
            waiting_for,
            limit: deadline.saturating_duration_since(Instant::now()),
        });
        deadline
    }

    fn within_run(&self, bound: std::time::Duration) -> Instant {
        let step = Instant::now() + bound;
        self.run_deadline.map_or(step, |run| run.min(step))
    }

    /// All seven checks in report order, the ones not run marked skipped.
    fn finish(self) -> Vec<Check> {
        let failed = self
            .checks
            .iter()
            .find(|c| c.status == crate::report::Status::Fail)
            .map(|c| c.id.as_str());
        let reason = match failed {
            Some(f) => format!("skipped: the {f} check failed"),
            None => "skipped".to_string(),
        };
        in_report_order(self.checks, &reason)
    }
}

/// All seven checks in report order from those that `finished` before the run was interrupted
/// (see [`Progress::checks`]); the others, the one under way included, are marked skipped.
pub fn interrupted(finished: Vec<Check>) -> Vec<Check> {
    in_report_order(finished, "skipped: the run was interrupted")
}

/// All seven checks in report order; those missing from `checks` skipped with `reason`.
fn in_report_order(mut checks: Vec<Check>, reason: &str) -> Vec<Check> {
    CheckId::ALL
        .iter()
        .map(|id| match checks.iter().position(|c| c.id == *id) {
            Some(i) => checks.swap_remove(i),
            None => Check::skipped(*id, reason),
        })
        .collect()
}

/// Runs the checklist against `config.target` after the `discovered` check (see
/// [`crate::discover::run`]; when it failed, nothing else runs), recording each check in
/// `progress` as it finishes.
pub async fn run(
    config: &Config,
    transcript: &Transcript,
    run_deadline: Option<Instant>,
    control: &crate::control::Trigger,
    progress: &Progress,
    discovered: Check,
) -> Vec<Check> {
    let mut list = Checklist {
        checks: Vec::new(),
        step_timeout: config.step_timeout,
        login_timeout: config.login_timeout,
        run_deadline,
        progress: progress.clone(),
    };
    if !list.record(discovered) {
        return list.finish();
    }
    if config.target.security != Security::None {
        trust::prepare(&config.extra_roots);
    }
    walk(config, transcript, &mut list, control).await;
    list.finish()
}

async fn walk(
    config: &Config,
    transcript: &Transcript,
    list: &mut Checklist,
    control: &crate::control::Trigger,
) {
    let (check, addrs) = dns::run(config, list.begin(CheckId::Dns, "the DNS answers")).await;
    if !list.record(check) {
        control.start_now();
        return;
    }
    transcript.remark(&format!(
        "connecting to {}:{}",
        config.target.host, config.target.port
    ));
    let (check, stream) = tcp::run(&addrs, list.begin(CheckId::Tcp, "the connection")).await;
    let connected = list.record(check);
    if connected {
        control.not_needed();
    } else {
        control.start_now();
    }
    let Some(stream) = stream.filter(|_| connected) else {
        return;
    };
    let peer = stream.peer_addr().ok();
    let socket = Recorded::new(stream);
    let mut conn = match config.target.security {
        Security::Tls => {
            let deadline = list.begin(CheckId::Tls, "the TLS handshake");
            let (check, tls) = tls::run(config, socket, transcript, deadline).await;
            let passed = list.record(check);
            let Some(tls) = tls.filter(|_| passed) else {
                return;
            };
            let mut conn = Connection::new(Transport::Tls(Box::new(tls)), transcript.clone());
            let deadline = list.begin(CheckId::Capability, "the greeting");
            match capability::greet(&mut conn, &config.target.host, deadline).await {
                Ok(progress) => {
                    let caps = progress.details.clone();
                    list.record(capability::finish(progress));
                    return after_capability(config, list, conn, caps).await;
                }
                Err(check) => {
                    list.record(check);
                    return;
                }
            }
        }
        Security::Starttls | Security::None => {
            Connection::new(Transport::Plain(socket), transcript.clone())
        }
    };
    let (host, port) = (&config.target.host, config.target.port);
    let deadline = list.begin(CheckId::Capability, "the greeting");
    let mut progress = match tls_probe::greet(&mut conn, host, peer, port, deadline).await {
        Ok(p) => p,
        Err(check) => {
            list.record(check);
            return;
        }
    };
    if config.target.security == Security::None {
        let caps = progress.details.clone();
        let mut check = capability::finish(progress);
        check.notes.push(if caps.has("STARTTLS") {
            "STARTTLS is offered: --security starttls would encrypt this connection".into()
        } else {
            "no STARTTLS offered: this port cannot be encrypted".to_string()
        });
        list.record(check);
        list.record(Check::skipped(
            CheckId::Tls,
            "not used: --security none (everything travels unencrypted)",
        ));
        return after_capability(config, list, conn, caps).await;
    }
    let deadline = list.begin(CheckId::Capability, "the answer to STARTTLS");
    if let Err(check) = capability::starttls(&mut conn, &mut progress, deadline).await {
        list.record(check);
        return;
    }
    let (socket, next_tag) = match conn.into_plain() {
        Ok(plain) => plain,
        Err(_) => {
            list.record(capability::injection(&progress));
            return;
        }
    };
    transcript.remark("STARTTLS accepted");
    let deadline = list.begin(CheckId::Tls, "the TLS handshake");
    let (check, tls) = tls::run(config, socket, transcript, deadline).await;
    let passed = list.record(check);
    let Some(tls) = tls.filter(|_| passed) else {
        let mut partial = capability::finish(progress);
        partial
            .notes
            .push("capabilities inside TLS were not read: the TLS handshake failed".into());
        list.record(partial);
        return;
    };
    let mut conn = Connection::new(Transport::Tls(Box::new(tls)), transcript.clone())
        .continuing_tags_from(next_tag);
    let deadline = list.begin(CheckId::Capability, "the capabilities inside TLS");
    match capability::after_starttls(&mut conn, progress, deadline).await {
        Ok(progress) => {
            let caps = progress.details.clone();
            list.record(capability::finish(progress));
            after_capability(config, list, conn, caps).await
        }
        Err(check) => {
            list.record(check);
        }
    }
}

async fn after_capability(
    config: &Config,
    list: &mut Checklist,
    mut conn: Connection,
    caps: capability::CapabilityDetails,
) {
    let Some(creds) = &config.credentials else {
        let reason = if config.user.is_some() {
            "skipped: no password or token available"
        } else {
            "skipped: no --user given (connectivity check only)"
        };
        list.record(Check::skipped(CheckId::Auth, reason));
        list.record(Check::skipped(CheckId::Folders, reason));
        let tag = conn.tag();
        let line = format!("{tag} LOGOUT");
        let _ = conn.send(&line, &line, list.step()).await;
        let _ = tokio::time::timeout_at(list.step(), conn.shutdown()).await;
        return;
    };
    let check = if caps.preauthenticated() {
        auth::preauthenticated(&creds.user)
    } else {
        let deadline = list.begin_login("the answer to the login");
        auth::run(config, creds, &caps, &mut conn, deadline).await
    };
    if !list.record(check) {
        let _ = tokio::time::timeout_at(list.step(), conn.shutdown()).await;
        return;
    }
    let deadline = list.begin(CheckId::Folders, "the folder list");
    let check = folders::run(&mut conn, &config.mailbox, deadline).await;
    list.record(check);
}
