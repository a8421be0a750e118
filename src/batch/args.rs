//! `imapdoctor batch` options (clap), kept beside the batch so `cli.rs` only names the mode. They
//! become the batch's [`Settings`], which every row is layered over.

use std::path::PathBuf;

use clap::Args;

use crate::config::Security;
use crate::settings::Settings;

/// `imapdoctor batch` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Each line of FILE is TARGET [USER], or a JSON object with \"target\" and any of \"user\", \"security\", \"mailbox\", \"password_env\" (the name of an environment variable holding that row's password; default IMAPDOCTOR_PASSWORD). Never a password. Blank lines and # comments are skipped; a bad line is reported with its line number and skipped.\n\n\
Output: JSON Lines, {\"line\": N, \"report\": {…}} per target as it finishes ({\"line\": N, \"error\": {…}} for a bad line), then {\"summary\": {…}} grouping the failures by check, fault and code and by server. On a terminal (human format): a progress bar and a summary table instead.\n\n\
Exit codes: 0 all passed; else the exit code of the most frequent failure (10 dns … 15 folders; ties: the earliest layer); 2 when FILE cannot be read, or bad lines were the only failures; 130 interrupted.\n\n\
Example:\n  IMAPDOCTOR_PASSWORD=... imapdoctor batch --no-control --concurrency 32 mailboxes.txt > fleet.jsonl"
)]
pub struct BatchArgs {
    /// The batch file (`-`: standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Targets checked at the same time (each holds one connection, two with the control probe).
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Connection security for rows that do not say (default: from each target's scheme or port).
    #[arg(long, value_enum, value_name = "MODE")]
    pub security: Option<Security>,

    /// Mailbox for the folders check, for rows that do not say [default: INBOX].
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,

    /// Extra trust anchors (PEM), added to the operating system's trust store.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Do not verify certificates (each report says so).
    #[arg(long)]
    pub insecure: bool,

    /// Bound on each network step, in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Bound on each login, in seconds [default: 30].
    #[arg(long, value_name = "SECS")]
    pub login_timeout: Option<f64>,

    /// Hard bound on each target's run, in seconds.
    #[arg(long, value_name = "SECS")]
    pub max_time: Option<f64>,

    /// A known-good endpoint to compare with when a target is unreachable (repeatable; default: public providers).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub control: Vec<String>,

    /// Never contact control endpoints.
    #[arg(long, conflicts_with = "control")]
    pub no_control: bool,
}

impl BatchArgs {
    /// The settings every row is layered over.
    pub fn settings(&self) -> Settings {
        Settings {
            security: self.security,
            mailbox: self.mailbox.clone(),
            ca_file: self.ca_file.clone(),
            insecure: self.insecure.then_some(true),
            timeout: self.timeout,
            login_timeout: self.login_timeout,
            max_time: self.max_time,
            control: if self.no_control {
                Some(Vec::new())
            } else {
                (!self.control.is_empty()).then(|| self.control.clone())
            },
            ..Default::default()
        }
    }
}
