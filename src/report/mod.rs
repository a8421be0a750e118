//! The report model: what a run found, as plain serializable data. Checks fill it in, `diagnose`
//! adds the verdict, renderers lay it out. Every field here is part of the documented `--json`
//! schema (see the README), so names only ever get added, never changed.

use schemars::JsonSchema;
use serde::Serialize;

pub mod auth;
pub mod capability;
pub mod certificate;
pub mod control;
pub mod discover;
pub mod dns;
pub mod folders;
pub mod repeat;
pub mod tcp;
pub mod tls;
pub mod token;
pub mod transcript;

use self::auth::AuthDetails;
use self::capability::CapabilityDetails;
use self::control::ControlReport;
use self::discover::DiscoverDetails;
use self::dns::DnsDetails;
use self::folders::FoldersDetails;
use self::tcp::TcpDetails;
use self::tls::TlsDetails;
use self::transcript::TranscriptLine;

/// Version of the JSON document's layout; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one run of imapdoctor found.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Report {
    /// Layout version of this document ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The program that wrote the report.
    pub tool: Tool,
    /// What was checked.
    pub target: TargetInfo,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: u64,
    /// Whether the run was interrupted (Ctrl-C) before it finished: the checks finished by then
    /// are reported, the others skipped, and the verdict is `interrupted` (always present).
    pub interrupted: bool,
    /// The checklist, always in the order discover, dns, tcp, tls, capability, auth, folders.
    pub checks: Vec<Check>,
    /// The known-good endpoints probed for comparison (absent with `--no-control`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlReport>,
    /// Which side owns the problem, and what to do next.
    pub verdict: Verdict,
    /// The redacted protocol transcript (only with `-v`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<TranscriptLine>>,
    /// Where the run happened: this computer's system, resolvers, proxy settings and address.
    pub environment: Environment,
    /// The exit code the run ends with (0 passed, 10–15 the failing layer, 16 no server found
    /// for the address, 130 interrupted; see the README).
    pub exit_code: u8,
}

/// Where a run happened, for a ticket: what a helpdesk asks first.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct Environment {
    /// Operating system (`linux`, `macos`, `windows`, …).
    pub os: &'static str,
    /// CPU architecture (`x86_64`, `aarch64`, …).
    pub arch: &'static str,
    /// The nameservers this computer is configured with (empty when none can be read).
    pub resolvers: Vec<std::net::IpAddr>,
    /// Names of the proxy-related environment variables that are set (`HTTPS_PROXY`, `NO_PROXY`,
    /// …), sorted; never their values, which can hold credentials. IMAP connections do not use
    /// them, which is often the point.
    pub proxy_variables: Vec<String>,
    /// This computer's end of the TCP connection (`null` when none was made).
    pub local_address: Option<std::net::SocketAddr>,
    /// The config file the run read (`imapdoctor.toml`, for its `[defaults]` and profiles);
    /// `null` when it read none.
    pub config_file: Option<String>,
}

/// What `--format json` writes instead of a report when the command line is wrong.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ErrorDocument {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// What went wrong.
    pub error: RunError,
}

/// Why no report was written.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RunError {
    /// `usage`: the command line was wrong (exit code 2).
    pub code: &'static str,
    /// What is wrong, for a person (the same text as on stderr).
    pub message: String,
}

/// The program that wrote the report.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Tool {
    /// Always `imapdoctor`.
    pub name: &'static str,
    /// The program's version.
    pub version: &'static str,
}

/// What was checked, as the user asked for it and as it was understood.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TargetInfo {
    /// The TARGET argument exactly as given (for `@NAME`, the profile's `target`).
    pub input: String,
    /// Host name or IP address connected to; an internationalised name in its A-label form
    /// (`xn--bcher-kva.example`), as DNS and TLS saw it.
    pub host: String,
    /// The Unicode form of an internationalised host name (`bücher.example`); only when it
    /// differs from `host`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_unicode: Option<String>,
    /// TCP port.
    pub port: u16,
    /// Connection security: `tls` (implicit TLS), `starttls` or `none`.
    pub security: crate::config::Security,
    /// User name logged in as, if any (`null` for a connectivity-only check).
    pub user: Option<String>,
    /// The config file's profile the settings came from (`work-exchange` for
    /// `imapdoctor @work-exchange`); only when one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// A layer of the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckId {
    /// Finding the server of an e-mail address (or comparing a given server with the `--user`
    /// address's provider).
    Discover,
    /// Name resolution.
    Dns,
    /// TCP connection.
    Tcp,
    /// TLS handshake and certificate.
    Tls,
    /// Greeting, capabilities and STARTTLS.
    Capability,
    /// Authentication.
    Auth,
    /// Mailbox listing and opening.
    Folders,
}

impl CheckId {
    /// All checks in report order.
    pub const ALL: [CheckId; 7] = [
        CheckId::Discover,
        CheckId::Dns,
        CheckId::Tcp,
        CheckId::Tls,
        CheckId::Capability,
        CheckId::Auth,
        CheckId::Folders,
    ];

    /// The id as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Discover => "discover",
            CheckId::Dns => "dns",
            CheckId::Tcp => "tcp",
            CheckId::Tls => "tls",
            CheckId::Capability => "capability",
            CheckId::Auth => "auth",
            CheckId::Folders => "folders",
        }
    }
}

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Worked.
    Pass,
    /// Worked, with something worth knowing.
    Warn,
    /// Did not work.
    Fail,
    /// Not run (an earlier check failed, or it does not apply).
    Skip,
}

impl Status {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One layer's result.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Check {
    /// Which layer.
    pub id: CheckId,
    /// Outcome.
    pub status: Status,
    /// Time spent in this check, milliseconds.
    pub duration_ms: u64,
    /// One line for a person.
    pub summary: String,
    /// Why it failed, as a stable machine-readable kind plus a message (only on `fail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<CheckError>,
    /// Why the check warns, as a stable kind plus a message (only on `warn`, when the warning has
    /// a kind the verdict can use, e.g. `tcp.ipv6_broken`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<CheckError>,
    /// Things worth knowing that did not change the status (or made it `warn`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Structured facts of the layer (see the README for each layer's fields); `null` when skipped.
    pub details: Details,
}

/// Why a check failed.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CheckError {
    /// Stable dotted kind, e.g. `tcp.refused`, `tls.certificate_expired`, `auth.rejected`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// Per-layer facts.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Details {
    /// The check did not run.
    None,
    /// Facts of the `discover` check.
    Discover(Box<DiscoverDetails>),
    /// Facts of the `dns` check.
    Dns(DnsDetails),
    /// Facts of the `tcp` check.
    Tcp(TcpDetails),
    /// Facts of the `tls` check.
    Tls(Box<TlsDetails>),
    /// Facts of the `capability` check.
    Capability(CapabilityDetails),
    /// Facts of the `auth` check.
    Auth(AuthDetails),
    /// Facts of the `folders` check.
    Folders(FoldersDetails),
}

/// Which side owns the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    /// No problem found.
    None,
    /// This computer or its network.
    Local,
    /// The mail server, its provider, or the path to it.
    Server,
    /// The account: credentials, policy, permissions.
    Account,
    /// The settings the user typed (host, port, security, mailbox).
    Config,
}

impl Fault {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Local => "local",
            Fault::Server => "server",
            Fault::Account => "account",
            Fault::Config => "config",
        }
    }
}

/// The conclusion of the run.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Verdict {
    /// Which side owns the problem.
    pub fault: Fault,
    /// Stable dotted code, e.g. `ok`, `tcp.refused`, `auth.rejected`.
    pub code: String,
    /// Plain-language conclusion naming the side.
    pub summary: String,
    /// How firmly the evidence supports `fault`.
    pub confidence: Confidence,
    /// The other sides that remain possible (empty when the evidence names one owner).
    pub alternatives: Vec<Alternative>,
    /// What to do next.
    pub hints: Vec<String>,
    /// The facts the verdict rests on (which checks, the control probe's result).
    pub evidence: Vec<String>,
}

/// How firmly the evidence supports a verdict's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The evidence proves it (the server said so, a protocol fact, a refused port).
    Certain,
    /// One owner is probable, another remains possible (see `alternatives`).
    Likely,
    /// The evidence that would decide it is missing or not comparable (the control probe was
    /// off, cut off by `--max-time`, or could not be compared with the target).
    Inconclusive,
}

impl Confidence {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Certain => "certain",
            Confidence::Likely => "likely",
            Confidence::Inconclusive => "inconclusive",
        }
    }
}

/// Another side that may own the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Alternative {
    /// That side.
    pub fault: Fault,
    /// Why it remains possible, for a person.
    pub summary: String,
}

impl Check {
    /// A check that did not run, with the reason.
    pub fn skipped(id: CheckId, reason: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Skip,
            duration_ms: 0,
            summary: reason.into(),
            error: None,
            warning: None,
            notes: Vec::new(),
            details: Details::None,
        }
    }

    /// A failed check with a machine-readable kind.
    pub fn failed(id: CheckId, code: &str, message: impl Into<String>, details: Details) -> Self {
        let message = message.into();
        Check {
            id,
            status: Status::Fail,
            duration_ms: 0,
            summary: message.clone(),
            error: Some(CheckError {
                code: format!("{}.{code}", id.as_str()),
                message,
            }),
            warning: None,
            notes: Vec::new(),
            details,
        }
    }

    /// A passing check.
    pub fn passed(id: CheckId, summary: impl Into<String>, details: Details) -> Self {
        Check {
            id,
            status: Status::Pass,
            duration_ms: 0,
            summary: summary.into(),
            error: None,
            warning: None,
            notes: Vec::new(),
            details,
        }
    }

    /// Marks the check `warn` with a machine-readable kind; the message also becomes a note.
    pub fn warn(&mut self, code: &str, message: impl Into<String>) {
        let message = message.into();
        self.status = Status::Warn;
        self.notes.push(message.clone());
        self.warning.get_or_insert(CheckError {
            code: format!("{}.{code}", self.id.as_str()),
            message,
        });
    }

    /// The failure code, when failed.
    pub fn error_code(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.code.as_str())
    }
}

impl Report {
    /// The check with this id.
    pub fn check(&self, id: CheckId) -> &Check {
        self.checks
            .iter()
            .find(|c| c.id == id)
            .expect("every report holds every check")
    }

    /// The first failing check in execution order.
    pub fn first_failure(&self) -> Option<&Check> {
        let order = execution_order(self.target.security);
        order
            .iter()
            .map(|id| self.check(*id))
            .find(|c| c.status == Status::Fail)
    }
}

/// The order checks run in: with STARTTLS the plaintext greeting (capability) precedes tls.
pub fn execution_order(security: crate::config::Security) -> [CheckId; 7] {
    use CheckId::*;
    match security {
        crate::config::Security::Tls => [Discover, Dns, Tcp, Tls, Capability, Auth, Folders],
        _ => [Discover, Dns, Tcp, Capability, Tls, Auth, Folders],
    }
}
