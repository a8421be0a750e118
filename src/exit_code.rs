//! Exit codes: stable, documented in the README, one per failing layer so scripts can branch.

use crate::report::{CheckId, Report};

/// How the process ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Every check passed (warnings allowed).
    Success = 0,
    /// The command line was wrong.
    Usage = 2,
    /// imapdoctor itself failed.
    Internal = 3,
    /// The dns check failed.
    Dns = 10,
    /// The tcp check failed.
    Tcp = 11,
    /// The tls check failed.
    Tls = 12,
    /// The capability check failed.
    Capability = 13,
    /// The auth check failed.
    Auth = 14,
    /// The folders check failed.
    Folders = 15,
    /// The discover check failed: no server was found for the e-mail address given as TARGET.
    Discover = 16,
    /// The run was interrupted (Ctrl-C, at the password prompt or during the checks): 128 + SIGINT,
    /// as shells report it.
    Interrupted = 130,
}

impl ExitCode {
    /// The code for a finished report: interrupted, the first failing check's, or success.
    pub fn for_report(report: &Report) -> ExitCode {
        if report.interrupted {
            return ExitCode::Interrupted;
        }
        report
            .first_failure()
            .map_or(ExitCode::Success, |c| ExitCode::for_check(c.id))
    }

    /// The code for a run that failed at this check.
    pub fn for_check(id: CheckId) -> ExitCode {
        match id {
            CheckId::Discover => ExitCode::Discover,
            CheckId::Dns => ExitCode::Dns,
            CheckId::Tcp => ExitCode::Tcp,
            CheckId::Tls => ExitCode::Tls,
            CheckId::Capability => ExitCode::Capability,
            CheckId::Auth => ExitCode::Auth,
            CheckId::Folders => ExitCode::Folders,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
