//! The discover check's findings: what each source answered for an e-mail address, the server
//! chosen and why.

use schemars::JsonSchema;
use serde::Serialize;

/// Facts of the `discover` check.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DiscoverDetails {
    /// `find` (TARGET is an e-mail address: its server was looked up) or `compare` (TARGET is a
    /// server and `--user` an e-mail address: the server was compared with the address's
    /// provider).
    pub purpose: Purpose,
    /// The e-mail address the sources were asked about.
    pub address: String,
    /// The address's domain (the part after `@`), in its A-label form.
    pub domain: String,
    /// Each source asked, in precedence order (preset, SRV `_imaps` then `_imap`, autoconfig,
    /// MX), with its answer and time.
    pub sources: Vec<SourceAnswer>,
    /// The server chosen (`find` only; `null` when no source found one).
    pub chosen: Option<DiscoveredServer>,
    /// The source the chosen server came from (`null` when none).
    pub chosen_from: Option<Source>,
    /// Why this server, or why none, for a person (the precedence that decided).
    pub reason: String,
    /// The sources that found another server than the chosen one (or, for `compare`, than the
    /// given one).
    pub disagreeing: Vec<Source>,
}

/// What the discover check was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Find the server of the address given as TARGET.
    Find,
    /// Compare the server given as TARGET with the provider of the `--user` address.
    Compare,
}

/// A place the server of an address can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A built-in provider preset: the address's domain is the provider's own (`gmail.com`), or
    /// `--provider` named it.
    Preset,
    /// An RFC 6186 SRV record (`_imaps._tcp.DOMAIN`, `_imap._tcp.DOMAIN`).
    Srv,
    /// A Mozilla autoconfig document (`https://autoconfig.DOMAIN/mail/config-v1.1.xml`, …).
    Autoconfig,
    /// The domain's MX records, recognised as a known provider's (`*.mail.protection.outlook.com`
    /// → Microsoft 365).
    Mx,
}

impl Source {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Preset => "preset",
            Source::Srv => "srv",
            Source::Autoconfig => "autoconfig",
            Source::Mx => "mx",
        }
    }
}

/// How a source answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceOutcome {
    /// It named at least one server (see `servers`).
    Found,
    /// It knows of no server (no preset for the domain, no such record, an MX of no known
    /// provider).
    NotFound,
    /// It says IMAP is decidedly not offered (an SRV record whose target is `.`).
    NotOffered,
    /// It could not be asked or answered with an error (SERVFAIL, refused, a broken document).
    Failed,
    /// No answer before `--timeout` (or `--max-time`).
    Timeout,
    /// Not asked: another answer made it unnecessary (a provider's own domain, or
    /// `--provider`: the preset answers, and nothing is looked up).
    Skipped,
}

impl SourceOutcome {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceOutcome::Found => "found",
            SourceOutcome::NotFound => "not_found",
            SourceOutcome::NotOffered => "not_offered",
            SourceOutcome::Failed => "failed",
            SourceOutcome::Timeout => "timeout",
            SourceOutcome::Skipped => "skipped",
        }
    }
}

/// What one source answered to one question.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SourceAnswer {
    /// Which source.
    pub source: Source,
    /// What was asked: the preset table for a domain, an SRV or MX name, a URL.
    pub query: String,
    /// How it answered.
    pub outcome: SourceOutcome,
    /// The answer for a person: the records, the provider recognised, or the error.
    pub answer: String,
    /// The servers it named, best first (empty unless `found`).
    pub servers: Vec<DiscoveredServer>,
    /// Milliseconds to the answer (or to giving up); 0 for a preset.
    pub duration_ms: u64,
}

/// An IMAP server a source named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DiscoveredServer {
    /// Host name (A-label form, no trailing dot).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Connection security: `tls` (implicit TLS), `starttls` or `none`.
    pub security: crate::config::Security,
    /// The provider it belongs to, when known (`microsoft`, `google`, …: the preset's name).
    pub provider: Option<String>,
}
