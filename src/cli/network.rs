//! The network options the check and `imapdoctor batch` share: trust (`--ca-file`,
//! `--insecure`), time bounds (`--timeout`, `--login-timeout`, `--max-time`) and the control
//! probe (`--control`, `--no-control`). One definition, flattened into both; the help speaks of
//! one run, and [`batch_wording`] rewords it for a batch (each target, each report).

use std::path::PathBuf;

use clap::{Arg, Args};

use crate::settings::Settings;

/// Trust, time bounds and the control probe.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Extra trust anchors (PEM), added to the operating system's trust store.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Do not verify the certificate (the report says so, and TLS is at best a warning).
    #[arg(long)]
    pub insecure: bool,

    /// Bound on each network step, in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Bound on the login, in seconds: servers delay failed logins on purpose (Dovecot up to 15 s, Courier 5 s, Cyrus 3 s) [default: 30].
    #[arg(long, value_name = "SECS")]
    pub login_timeout: Option<f64>,

    /// Hard bound on the whole run (control probe included), in seconds.
    #[arg(long, value_name = "SECS")]
    pub max_time: Option<f64>,

    /// A known-good endpoint to compare with when the target is unreachable (repeatable; default: public providers).
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with = "no_control")]
    pub control: Vec<String>,

    /// Do not probe any control endpoint.
    #[arg(long)]
    pub no_control: bool,
}

impl NetworkArgs {
    /// The settings these options give (unset options stay unset, so that a config file's
    /// defaults and profiles can fill them; `--no-control` is an empty control list).
    pub fn settings(&self) -> Settings {
        Settings {
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
            ..Settings::default()
        }
    }
}

/// The help of the options whose meaning a batch changes (each target is one run).
const BATCH_HELP: [(&str, &str); 5] = [
    (
        "insecure",
        "Do not verify certificates (each report says so)",
    ),
    (
        "login_timeout",
        "Bound on each login, in seconds [default: 30]",
    ),
    ("max_time", "Hard bound on each target's run, in seconds"),
    (
        "control",
        "A known-good endpoint to compare with when a target is unreachable (repeatable; default: public providers)",
    ),
    ("no_control", "Never contact control endpoints"),
];

/// Rewords `arg`'s help for `imapdoctor batch` where [`BATCH_HELP`] has a wording for it.
pub fn batch_wording(arg: Arg) -> Arg {
    match BATCH_HELP.iter().find(|(id, _)| arg.get_id() == *id) {
        Some((_, help)) => arg.help(*help),
        None => arg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Probe {
        #[command(flatten)]
        network: NetworkArgs,
    }

    fn settings(words: &[&str]) -> Settings {
        let words = std::iter::once("probe").chain(words.iter().copied());
        <Probe as clap::Parser>::parse_from(words)
            .network
            .settings()
    }

    #[test]
    fn unset_options_stay_unset_and_no_control_is_an_empty_list() {
        let none = settings(&[]);
        assert_eq!(
            (none.insecure, none.timeout, none.control),
            (None, None, None)
        );
        let given = settings(&[
            "--insecure",
            "--timeout",
            "2",
            "--login-timeout",
            "3",
            "--max-time",
            "4",
            "--ca-file",
            "ca.pem",
            "--control",
            "127.0.0.1:1",
        ]);
        assert_eq!(given.insecure, Some(true));
        assert_eq!(
            (given.timeout, given.login_timeout, given.max_time),
            (Some(2.0), Some(3.0), Some(4.0))
        );
        assert_eq!(given.ca_file, Some(PathBuf::from("ca.pem")));
        assert_eq!(given.control, Some(vec!["127.0.0.1:1".to_string()]));
        assert_eq!(settings(&["--no-control"]).control, Some(Vec::new()));
    }

    #[test]
    fn every_batch_wording_names_an_option() {
        let command = NetworkArgs::augment_args(clap::Command::new("probe"));
        for (id, _) in BATCH_HELP {
            assert!(command.get_arguments().any(|a| a.get_id() == id), "{id}");
        }
    }
}
