//! The command line (clap). Only `config::from_cli` and `main` look at these types.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgGroup, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{AuthMechanism, Security};
use crate::settings::Settings;

pub use self::network::NetworkArgs;

pub mod network;

/// Diagnose IMAP connectivity: DNS → TCP → TLS → greeting → login → folders, with a verdict on
/// which side owns the problem (this computer, the server, the account or the settings).
#[derive(Debug, Parser)]
#[command(
    name = "imapdoctor",
    version,
    about,
    subcommand_negates_reqs = true,
    override_usage = "imapdoctor [OPTIONS] <TARGET>\n       imapdoctor [OPTIONS] @<PROFILE>\n       imapdoctor [OPTIONS] --repeat <N> | --watch [--interval <SECS>] <TARGET>\n       imapdoctor batch [OPTIONS] <FILE>\n       imapdoctor serve --listen <ADDR> [--config <FILE>]\n       imapdoctor [--json] [-v] [--no-color] demo [--fault <FAULT> | --list]\n       imapdoctor explain <CODE|--list>",
    subcommand_precedence_over_arg = true,
    args_override_self = true,
    after_help = "Passwords are never taken from the command line: set IMAPDOCTOR_PASSWORD, use --password-stdin, \
or type it at the prompt. An OAuth2 token is read from IMAPDOCTOR_OAUTH_TOKEN, or obtained by signing in with --oauth microsoft|google (what to open is shown on stderr: for google, a URL to open in a browser on this machine; for microsoft, a web page and a code to enter there; --oauth-flow chooses).\n\n\
By default, when a check fails in a way this computer's network could explain (DNS, TCP, an expired \
certificate), imapdoctor contacts two public known-good IMAP servers on port 993 (imap.gmail.com and \
outlook.office365.com, others when the target is one of them) to tell the network from the server. \
--no-control turns that off; --control HOST[:PORT] names your own.\n\n\
Defaults for every run, and named profiles (imapdoctor @NAME), come from imapdoctor.toml: --config FILE, \
else IMAPDOCTOR_CONFIG, else the platform's config directory (on Linux ~/.config/imapdoctor/imapdoctor.toml); \
options on the command line win. See the README's \"Config file and profiles\".\n\n\
Exit codes: 0 all passed, 2 usage, 3 internal error, 10 dns, 11 tcp, 12 tls, 13 capability, 14 auth, 15 folders, 16 discover (no server found for the address), 130 interrupted (Ctrl-C); --repeat and batch: the most frequent failure's code; --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n\n\
Examples:\n  imapdoctor outlook.office365.com\n  imapdoctor alice@example.com   (finds the server, logs in as alice@example.com when a password is set)\n  IMAPDOCTOR_PASSWORD=... imapdoctor --user me@example.com imaps://imap.example.com\n  imapdoctor --json imap://mail.example.com:143 > report.json\n  imapdoctor @work-exchange   (a profile of the config file)\n  imapdoctor demo --fault wrong-password\n  imapdoctor explain auth.rejected"
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

    /// Which config file to read.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Which config file to read (`imapdoctor.toml`; see [`crate::config_file`]).
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Read defaults and profiles from this file [default: $IMAPDOCTOR_CONFIG, else imapdoctor.toml in the platform's config directory, when it exists].
    #[arg(long, value_name = "FILE", global = true, overrides_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no config file (as IMAPDOCTOR_CONFIG=""); the last of --config and --no-config wins.
    #[arg(long, global = true, overrides_with = "config")]
    pub no_config: bool,
}

/// Modes other than the check.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the full check against a built-in IMAP server on loopback (no account needed).
    Demo(DemoArgs),
    /// Explain a verdict code: who owns it, what it means, what to do, other possible causes (text, or one JSON document with --json).
    Explain(ExplainArgs),
    /// Check many mailboxes concurrently from a file (one per line), then summarise the fleet.
    Batch(crate::batch::args::BatchArgs),
    /// Serve probes over HTTP for Prometheus (blackbox-exporter style): GET /probe?target=…&module=…, GET /metrics.
    Serve(ServeArgs),
}

/// `imapdoctor serve` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Each GET /probe?target=imaps://host:port&module=NAME runs one check (the module: a [modules.NAME] table of the config file; without one, no login) and answers its metrics, imapdoctor_probe_success among them. A probe lasts at most the scrape timeout Prometheus sends (X-Prometheus-Scrape-Timeout-Seconds) minus 0.5 s, 9.5 s without it. GET /metrics: the exporter's own metrics.\n\n\
There is no authentication: listen on loopback or a private address, never where the internet can reach it."
)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:9993 (port 0: any free port, printed on stderr).
    #[arg(long, value_name = "ADDR", required = true)]
    pub listen: std::net::SocketAddr,

    /// Most probes running at once; beyond that a probe is answered 503 at once.
    #[arg(long, value_name = "N", default_value_t = crate::serve::DEFAULT_MAX_CONCURRENT, value_parser = clap::builder::ValueParser::new(clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4096)))]
    pub max_concurrent: usize,
}

/// `imapdoctor explain` options.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["code", "list"])))]
pub struct ExplainArgs {
    /// The verdict code, as the report gives it (tcp.refused, auth.unavailable).
    #[arg(value_name = "CODE")]
    pub code: Option<String>,

    /// List every verdict code with its owner and a one-line summary (with --json: every code's full entry).
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
}

/// `imapdoctor demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Show a failure and its verdict instead of a healthy server.
    #[arg(long, value_enum)]
    pub fault: Option<DemoFault>,

    /// List the faults the demo can show, each with what it simulates and its verdict code (text, or one JSON document with --json).
    #[arg(long, conflicts_with = "fault")]
    pub list: bool,
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
    /// The port drops connection attempts without an answer (fault: server).
    BlackholedPort,
    /// The TLS port speaks plain IMAP (fault: config).
    PlaintextPort,
    /// Something re-signs TLS with its own certificate authority (fault: local).
    Interception,
    /// The certificate is for another name (fault: server).
    NameMismatch,
    /// The login is answered slowly with NO [UNAVAILABLE] (fault: server).
    ThrottledLogin,
    /// Neither the server nor the known-good control endpoint answers (fault: local).
    NothingReachable,
}

/// What to check and how.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("repetition").args(["repeat", "watch"])))]
pub struct CheckArgs {
    /// The server: host, host:port, imaps://host[:port] (implicit TLS) or imap://host[:port] (STARTTLS); or an e-mail address, whose server is discovered (presets, SRV, autoconfig, MX) and who is the --user by default; or @NAME, a profile of the config file (its [profiles.NAME] table; options given here still win).
    #[arg(value_name = "TARGET", required = true)]
    pub target: Option<String>,

    /// Refused with a message: one target at a time.
    #[arg(value_name = "MORE", hide = true)]
    pub more_targets: Vec<String>,

    /// With an e-mail address as TARGET: use this provider's published settings instead of discovering them (microsoft, google, icloud, yahoo, aol, fastmail, gmx, gmx-com, webde, zoho, zoho-eu, yandex).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,

    /// Port (default: 993 for implicit TLS, 143 for STARTTLS or none).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Connection security (default: from the URL scheme, else the port: 143 → starttls, otherwise tls).
    #[arg(long, value_enum, value_name = "MODE")]
    pub security: Option<Security>,

    /// Log in as NAME (without it the check stops after capability).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Read the password from the first line of standard input (asked without echo when standard input is a terminal).
    #[arg(long)]
    pub password_stdin: bool,

    /// Authentication mechanism (default: chosen from the server's capabilities; XOAUTH2 when IMAPDOCTOR_OAUTH_TOKEN is set).
    #[arg(long, value_enum, value_name = "MECHANISM")]
    pub auth: Option<AuthMechanism>,

    /// Read the OAuth2 bearer token from this file (instead of IMAPDOCTOR_OAUTH_TOKEN).
    #[arg(long, value_name = "PATH")]
    pub oauth_token_file: Option<PathBuf>,

    /// Sign in for an OAuth2 token before the check: open the URL shown on stderr (google: in a browser on this machine; microsoft: the device flow's page, and enter the code) (needs --user and --oauth-client-id; XOAUTH2 unless --auth oauthbearer).
    #[arg(
        long,
        value_enum,
        value_name = "PROVIDER",
        conflicts_with = "oauth_token_file"
    )]
    pub oauth: Option<crate::oauth::Provider>,

    /// The application (client) id to sign in with: imapdoctor ships none (see the README's "Sign in with OAuth" to register one).
    #[arg(long, value_name = "ID")]
    pub oauth_client_id: Option<String>,

    /// Microsoft tenant to sign in to: a domain, a tenant id, or common, organizations, consumers [default: common].
    #[arg(long, value_name = "TENANT")]
    pub oauth_tenant: Option<String>,

    /// The identity provider's base URL instead of its public one (sovereign clouds, tests): https only; the endpoints keep the provider's paths under it.
    #[arg(long, value_name = "URL")]
    pub oauth_authority: Option<String>,

    /// How to sign in with --oauth: browser (authorization code with PKCE, redirected to 127.0.0.1) or device (a code entered on any device) [default: browser for google, device for microsoft].
    #[arg(long, value_enum, value_name = "FLOW")]
    pub oauth_flow: Option<crate::oauth::Flow>,

    /// Mailbox for the folders check [default: INBOX].
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,

    /// Allow credentials over an unencrypted connection (only with --security none).
    #[arg(long, requires = "security")]
    pub allow_plaintext_auth: bool,

    /// Trust, time bounds and the control probe.
    #[command(flatten)]
    pub network: NetworkArgs,

    /// Connect to ADDR (or a comma-separated list, tried Happy Eyeballs style) for HOST:PORT, still verifying the certificate for HOST (as curl's --resolve).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// Run the check N times, a new connection each time: a line per run, then each check's pass rate and latency and the distinct verdicts (to catch intermittent failures).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: Option<u32>,

    /// As --repeat, until Ctrl-C (which prints the summary).
    #[arg(long, conflicts_with = "repeat")]
    pub watch: bool,

    /// Seconds from one run's start to the next's, with --repeat or --watch (0: back to back) [default: 5].
    #[arg(long, value_name = "SECS", requires = "repetition", value_parser = parse_interval)]
    pub interval: Option<f64>,
}

/// `--interval`: a number of seconds from 0 to a day.
fn parse_interval(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err("a number of seconds from 0 to 86400".into()),
    }
}

/// How to write the report.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format: human (default, unless the config file's [defaults] says otherwise), json (one JSON document), markdown (for a ticket), oneline (for a log), nagios (a monitoring plugin) or prometheus (metrics).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        global = true,
        overrides_with = "json"
    )]
    pub format: Option<Format>,

    /// Write one JSON document to stdout (same as --format json).
    #[arg(long, global = true, overrides_with = "format")]
    pub json: bool,

    /// Write nothing to stdout: the exit code only (usage errors still go to stderr).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Colour in the human report: auto (default, unless the config file's [defaults] says otherwise: on a terminal, or with CLICOLOR_FORCE; never with NO_COLOR), always or never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        global = true,
        overrides_with = "no_color"
    )]
    pub color: Option<ColorWhen>,

    /// Same as --color never.
    #[arg(long, global = true, overrides_with = "color")]
    pub no_color: bool,

    /// Include the protocol transcript.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// With --format nagios: WARNING above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part).
    #[arg(long, value_name = "THRESHOLDS", global = true)]
    pub warning: Option<crate::render::nagios::Thresholds>,

    /// With --format nagios: CRITICAL above this total time or below these certificate days left (time=SECS,cert-days=DAYS, either part).
    #[arg(long, value_name = "THRESHOLDS", global = true)]
    pub critical: Option<crate::render::nagios::Thresholds>,
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
                "{} cannot be used with 'imapdoctor {mode}' (only the output options --format, --json, --color, --no-color, -q and -v, and --config and --no-config, apply to it)",
                given.join(", ")
            );
            return Err(command().error(ErrorKind::ArgumentConflict, message));
        }
    }
    if cli.check.plan().is_some() && cli.output.format() == Format::Markdown {
        let message = "--repeat and --watch write human, json or oneline output, not markdown";
        return Err(command().error(ErrorKind::ArgumentConflict, message));
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

impl CheckArgs {
    /// How often to run the check (`--repeat`, `--watch`, `--interval`); `None` for once.
    pub fn plan(&self) -> Option<crate::repeat::Plan> {
        let runs = match (self.repeat, self.watch) {
            (Some(n), _) => Some(n),
            (None, true) => None,
            (None, false) => return None,
        };
        let interval = self.interval.unwrap_or(crate::repeat::DEFAULT_INTERVAL);
        Some(crate::repeat::Plan {
            runs,
            interval: std::time::Duration::from_secs_f64(interval),
        })
    }

    /// The settings the command line gives (unset options stay unset, so that a config file's
    /// defaults and profiles can fill them; `--no-control` is an empty control list).
    pub fn settings(&self) -> Settings {
        let flag = |on: bool| on.then_some(true);
        let list = |l: &[String]| (!l.is_empty()).then(|| l.to_vec());
        let network = self.network.settings();
        Settings {
            target: self.target.clone(),
            provider: self.provider.clone(),
            port: self.port,
            security: self.security,
            user: self.user.clone(),
            auth: self.auth,
            mailbox: self.mailbox.clone(),
            ca_file: network.ca_file,
            insecure: network.insecure,
            allow_plaintext_auth: flag(self.allow_plaintext_auth),
            timeout: network.timeout,
            login_timeout: network.login_timeout,
            max_time: network.max_time,
            resolve: list(&self.resolve),
            control: network.control,
            password_env: None,
            password_file: None,
            token_env: None,
            token_file: self.oauth_token_file.clone(),
            oauth: self.oauth,
            oauth_client_id: self.oauth_client_id.clone(),
            oauth_tenant: self.oauth_tenant.clone(),
            oauth_authority: self.oauth_authority.clone(),
            oauth_flow: self.oauth_flow,
        }
    }
}

impl OutputArgs {
    /// The format asked for (`--json` is `--format json`; neither: human, unless
    /// [`OutputArgs::or_defaults`] filled in a config file's).
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format.unwrap_or(Format::Human)
        }
    }

    /// The `--warning` and `--critical` thresholds.
    pub fn limits(&self) -> crate::render::nagios::Limits {
        crate::render::nagios::Limits {
            warning: self.warning.unwrap_or_default(),
            critical: self.critical.unwrap_or_default(),
        }
    }

    /// When to colour (`--no-color` is `--color never`; neither: auto, unless
    /// [`OutputArgs::or_defaults`] filled in a config file's).
    pub fn color(&self) -> ColorWhen {
        if self.no_color {
            ColorWhen::Never
        } else {
            self.color.unwrap_or(ColorWhen::Auto)
        }
    }

    /// Takes a config file's `format` and `color` where the command line gives none (neither
    /// `--format` nor `--json`; neither `--color` nor `--no-color`).
    pub fn or_defaults(&mut self, format: Option<Format>, color: Option<ColorWhen>) {
        if !self.json && self.format.is_none() {
            self.format = format;
        }
        if !self.no_color && self.color.is_none() {
            self.color = color;
        }
    }
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// For a person at a terminal.
    Human,
    /// One JSON document (schema in the README).
    Json,
    /// A report to paste into a ticket (GitHub-flavoured Markdown).
    Markdown,
    /// One line, for chat or a script's log.
    Oneline,
    /// A monitoring plugin's status line and exit code (Nagios, Icinga; see --warning).
    Nagios,
    /// Metrics in the Prometheus text format (for node_exporter's textfile collector).
    Prometheus,
}

/// When to colour the human report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorWhen {
    /// On a terminal, or when CLICOLOR_FORCE is set; never when NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether raw command-line arguments ask for a JSON report (and not `--quiet`), as far as can be
/// told without clap: for a usage error clap could not parse. The last of `--json` and
/// `--format` wins, as it does for clap.
pub fn asks_for_json(args: &[std::ffi::OsString]) -> bool {
    let mut json = false;
    let mut quiet = false;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        match word.as_ref() {
            "--" => break,
            "--json" => json = true,
            "--quiet" => quiet = true,
            "--format" => json = words.next().is_some_and(|f| f == "json"),
            w if w.starts_with("--format=") => json = w == "--format=json",
            w if w.starts_with('-') && !w.starts_with("--") && w.contains('q') => quiet = true,
            _ => {}
        }
    }
    json && !quiet
}

/// Whether raw command-line arguments ask for `--format nagios` (the last `--format` wins), for
/// a usage error clap could not parse: a plugin answers UNKNOWN (exit 3) then.
pub fn asks_for_nagios(args: &[std::ffi::OsString]) -> bool {
    let mut nagios = false;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        match word.as_ref() {
            "--" => break,
            "--json" => nagios = false,
            "--format" => nagios = words.next().is_some_and(|f| f == "nagios"),
            w if w.starts_with("--format=") => nagios = w == "--format=nagios",
            _ => {}
        }
    }
    nagios
}

/// The clap command, for completions and the man page.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        super::command().debug_assert();
    }

    fn args(words: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("imapdoctor")
            .chain(words.iter().copied())
            .map(Into::into)
            .collect()
    }

    #[test]
    fn raw_arguments_tell_a_json_request() {
        assert!(asks_for_json(&args(&["--json", "--bogus"])));
        assert!(asks_for_json(&args(&["--format", "json", "x"])));
        assert!(asks_for_json(&args(&["--format=json"])));
        assert!(asks_for_json(&args(&["--format", "human", "--json"])));
        assert!(!asks_for_json(&args(&["--json", "--format", "oneline"])));
        assert!(!asks_for_json(&args(&["--json", "-vq"])));
        assert!(!asks_for_json(&args(&["--", "--json"])));
        assert!(!asks_for_json(&args(&["host"])));
    }

    #[test]
    fn repetition_is_n_runs_or_until_ctrl_c_five_seconds_apart_by_default() {
        let parse = |words: &[&str]| Cli::try_parse_from(args(words)).map(|c| c.check.plan());
        assert_eq!(parse(&["h"]).unwrap(), None);
        let plan = parse(&["--repeat", "3", "h"]).unwrap().unwrap();
        assert_eq!(plan.runs, Some(3));
        assert_eq!(plan.interval, std::time::Duration::from_secs(5));
        let plan = parse(&["--watch", "--interval", "0.25", "h"])
            .unwrap()
            .unwrap();
        assert_eq!(plan.runs, None);
        assert_eq!(plan.interval, std::time::Duration::from_millis(250));
        for nonsense in [
            &["--repeat", "0", "h"][..],
            &["--interval", "1", "h"],
            &["--repeat", "2", "--watch", "h"],
            &["--repeat", "2", "--interval", "-1", "h"],
            &["--watch", "--interval", "NaN", "h"],
            &["--repeat", "2", "--interval", "86401", "h"],
        ] {
            assert!(parse(nonsense).is_err(), "{nonsense:?} accepted");
        }
    }

    #[test]
    fn json_and_format_override_each_other_last_wins() {
        let parse = |words: &[&str]| Cli::try_parse_from(args(words)).unwrap().output;
        assert_eq!(parse(&["--json", "h"]).format(), Format::Json);
        assert_eq!(
            parse(&["--json", "--format", "markdown", "h"]).format(),
            Format::Markdown
        );
        assert_eq!(
            parse(&["--format", "markdown", "--json", "h"]).format(),
            Format::Json
        );
        assert_eq!(parse(&["--no-color", "h"]).color(), ColorWhen::Never);
        assert_eq!(
            parse(&["--no-color", "--color", "always", "h"]).color(),
            ColorWhen::Always
        );
    }

    #[test]
    fn the_last_of_config_and_no_config_wins() {
        let parse = |words: &[&str]| Cli::try_parse_from(args(words)).unwrap().config;
        let config = parse(&["--config", "a.toml", "--no-config", "h"]);
        assert!(config.no_config && config.config.is_none());
        let config = parse(&["--no-config", "--config", "a.toml", "h"]);
        assert!(!config.no_config && config.config.is_some());
    }

    #[test]
    fn config_file_output_defaults_apply_only_where_the_command_line_is_silent() {
        let parse = |words: &[&str]| {
            let mut output = Cli::try_parse_from(args(words)).unwrap().output;
            output.or_defaults(Some(Format::Markdown), Some(ColorWhen::Always));
            (output.format(), output.color())
        };
        assert_eq!(parse(&["h"]), (Format::Markdown, ColorWhen::Always));
        assert_eq!(parse(&["--json", "h"]).0, Format::Json);
        assert_eq!(parse(&["--format", "human", "h"]).0, Format::Human);
        assert_eq!(parse(&["--no-color", "h"]).1, ColorWhen::Never);
        assert_eq!(parse(&["--color", "auto", "h"]).1, ColorWhen::Auto);
        let plain = Cli::try_parse_from(args(&["h"])).unwrap().output;
        assert_eq!(
            (plain.format(), plain.color()),
            (Format::Human, ColorWhen::Auto)
        );
    }
}
