//! The command line (clap). Only `config::from_cli` and `main` look at these types.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgGroup, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{AuthMechanism, Security};

/// Diagnose IMAP connectivity: DNS → TCP → TLS → greeting → login → folders, with a verdict on
/// which side owns the problem (this computer, the server, the account or the settings).
#[derive(Debug, Parser)]
#[command(
    name = "imapdoctor",
    version,
    about,
    subcommand_negates_reqs = true,
    override_usage = "imapdoctor [OPTIONS] <TARGET>\n       imapdoctor [--json] [-v] [--no-color] demo [--fault <FAULT>]\n       imapdoctor explain <CODE|--list>",
    subcommand_precedence_over_arg = true,
    args_override_self = true,
    after_help = "Passwords are never taken from the command line: set IMAPDOCTOR_PASSWORD, use --password-stdin, \
or type it at the prompt. An OAuth2 token is read from IMAPDOCTOR_OAUTH_TOKEN.\n\n\
By default, when a check fails in a way this computer's network could explain (DNS, TCP, an expired \
certificate), imapdoctor contacts two public known-good IMAP servers on port 993 (imap.gmail.com and \
outlook.office365.com, others when the target is one of them) to tell the network from the server. \
--no-control turns that off; --control HOST[:PORT] names your own.\n\n\
Exit codes: 0 all passed, 2 usage, 3 internal error, 10 dns, 11 tcp, 12 tls, 13 capability, 14 auth, 15 folders, 130 interrupted (Ctrl-C).\n\n\
Examples:\n  imapdoctor outlook.office365.com\n  IMAPDOCTOR_PASSWORD=... imapdoctor --user me@example.com imaps://imap.example.com\n  imapdoctor --json imap://mail.example.com:143 > report.json\n  imapdoctor demo --fault wrong-password\n  imapdoctor explain auth.rejected"
)]
pub struct Cli {
    /// A mode other than the check.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Check options.
    #[command(flatten)]
    pub check: CheckArgs,

    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Modes other than the check.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the full check against a built-in IMAP server on loopback (no account needed).
    Demo(DemoArgs),
    /// Explain a verdict code: who owns it, what it means, what to do, other possible causes.
    Explain(ExplainArgs),
}

/// `imapdoctor explain` options.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["code", "list"])))]
pub struct ExplainArgs {
    /// The verdict code, as the report gives it (tcp.refused, auth.unavailable).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,

    /// List every verdict code with its owner and a one-line summary.
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}

/// `imapdoctor demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Show a failure and its verdict instead of a healthy server.
    #[arg(long, value_enum)]
    pub fault: Option<DemoFault>,
}

/// Failures the demo can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DemoFault {
    /// The password is wrong (fault: account).
    WrongPassword,
    /// The server's certificate has expired (fault: server).
    ExpiredCertificate,
    /// Nothing listens on the port (fault: server).
    ServerDown,
    /// The server refuses the session in its greeting (fault: server).
    ByeGreeting,
    /// The mailbox does not exist (fault: config).
    MissingMailbox,
}

/// What to check and how.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The server: host, host:port, imaps://host[:port] (implicit TLS) or imap://host[:port] (STARTTLS).
    #[arg(value_name = "TARGET", required = true)]
    pub target: Option<String>,

    /// Refused with a message: one target at a time.
    #[arg(value_name = "MORE", hide = true)]
    pub more_targets: Vec<String>,

    /// Port (default: 993 for implicit TLS, 143 for STARTTLS or none).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Connection security (default: from the URL scheme, else the port: 143 → starttls, otherwise tls).
    #[arg(long, value_enum, value_name = "MODE")]
    pub security: Option<Security>,

    /// Log in as NAME (without it the check stops after capability).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,

    /// Authentication mechanism (default: chosen from the server's capabilities; XOAUTH2 when IMAPDOCTOR_OAUTH_TOKEN is set).
    #[arg(long, value_enum, value_name = "MECHANISM")]
    pub auth: Option<AuthMechanism>,

    /// Read the OAuth2 bearer token from this file (instead of IMAPDOCTOR_OAUTH_TOKEN).
    #[arg(long, value_name = "PATH")]
    pub oauth_token_file: Option<PathBuf>,

    /// Mailbox for the folders check.
    #[arg(long, value_name = "NAME", default_value = "INBOX")]
    pub mailbox: String,

    /// Extra trust anchors (PEM), added to the operating system's trust store.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Do not verify the certificate (the report says so, and TLS is at best a warning).
    #[arg(long)]
    pub insecure: bool,

    /// Allow credentials over an unencrypted connection (only with --security none).
    #[arg(long, requires = "security")]
    pub allow_plaintext_auth: bool,

    /// Bound on each network step, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// Bound on the login, in seconds: servers delay failed logins on purpose (Dovecot up to 15 s, Courier 5 s, Cyrus 3 s).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub login_timeout: f64,

    /// Hard bound on the whole run (control probe included), in seconds.
    #[arg(long, value_name = "SECS")]
    pub max_time: Option<f64>,

    /// Connect to ADDR (or a comma-separated list, tried Happy Eyeballs style) for HOST:PORT, still verifying the certificate for HOST (as curl's --resolve).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// A known-good endpoint to compare with when the target is unreachable (repeatable; default: public providers).
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with = "no_control")]
    pub control: Vec<String>,

    /// Do not probe any control endpoint.
    #[arg(long)]
    pub no_control: bool,
}

/// How to write the report.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write one JSON document to stdout.
    #[arg(long, global = true)]
    pub json: bool,

    /// No colour (NO_COLOR is honoured too; colour only on a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Include the protocol transcript.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// Parses the command line. Global options (`--json`, `-v`, `--no-color`) may come before a
/// subcommand (`imapdoctor --json demo`); the check's own options and TARGET may not, nor may a
/// second TARGET.
pub fn parse() -> Result<Cli, clap::Error> {
    let matches = command().try_get_matches()?;
    let cli = Cli::from_arg_matches(&matches)?;
    if let Some((mode, _)) = matches.subcommand() {
        let given: Vec<String> = check_args()
            .iter()
            .filter(|a| matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
            .map(|a| match a.get_long() {
                Some(long) => format!("--{long}"),
                None => format!(
                    "TARGET ({})",
                    cli.check.target.as_deref().unwrap_or_default()
                ),
            })
            .collect();
        if !given.is_empty() {
            let message = format!(
                "{} cannot be used with 'imapdoctor {mode}' (only --json, --no-color and -v apply to it)",
                given.join(", ")
            );
            return Err(command().error(ErrorKind::ArgumentConflict, message));
        }
    }
    if let (Some(first), Some(second)) = (&cli.check.target, cli.check.more_targets.first()) {
        let message = format!(
            "one target at a time: {first:?} and {second:?} were given; run imapdoctor once per server"
        );
        return Err(command().error(ErrorKind::TooManyValues, message));
    }
    Ok(cli)
}

/// The check's own arguments (not the global output options).
fn check_args() -> Vec<clap::Arg> {
    let check = <CheckArgs as Args>::augment_args(clap::Command::new("check"));
    check.get_arguments().cloned().collect()
}

/// The clap command, for completions and the man page.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        super::command().debug_assert();
    }
}
