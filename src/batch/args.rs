//! `imapdoctor batch` options (clap), kept beside the batch so `cli.rs` only names the mode. They
//! become the batch's [`Settings`], which every row is layered over.

use std::path::PathBuf;

use clap::Args;

use crate::cli::network::{NetworkArgs, batch_wording};
use crate::config::Security;
use crate::settings::Settings;

/// `imapdoctor batch` options.
#[derive(Debug, Args)]
#[command(
    mut_args(batch_wording),
    after_help = "Each line of FILE is TARGET [USER], or a JSON object with \"target\" and any of \"user\", \"security\", \"mailbox\", \"password_env\" (the name of an environment variable holding that row's password; default IMAPDOCTOR_PASSWORD). Never a password. Blank lines and # comments are skipped; a bad line is reported with its line number and skipped.\n\n\
Output: JSON Lines, each line a JSON document with \"schema_version\" (see the README's JSON section): {\"line\": N, \"report\": {…}} per target as it finishes ({\"line\": N, \"error\": {…}} for a bad line), then {\"summary\": {…}} grouping the failures by check, fault and code and by server. On a terminal (human format): a progress bar and a summary table instead.\n\n\
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

    /// Trust, time bounds and the control probe.
    #[command(flatten)]
    pub network: NetworkArgs,
}

impl BatchArgs {
    /// The settings every row is layered over.
    pub fn settings(&self) -> Settings {
        Settings {
            security: self.security,
            mailbox: self.mailbox.clone(),
            ..self.network.settings()
        }
    }
}
