//! What each demo fault simulates and the verdict code it leads to, for `imapdoctor demo --list`
//! (text, or with `--format json` a [`DemoFaultsDocument`]).

use clap::ValueEnum;
use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::DemoFault;
use crate::report::SCHEMA_VERSION;

/// What `fault` simulates and the verdict code the demo ends with.
pub fn describe(fault: DemoFault) -> (&'static str, &'static str) {
    match fault {
        DemoFault::WrongPassword => ("the server rejects the password", "auth.rejected"),
        DemoFault::ExpiredCertificate => (
            "the server's certificate has expired",
            "tls.certificate_expired",
        ),
        DemoFault::ServerDown => ("nothing listens on the port", "tcp.refused"),
        DemoFault::ByeGreeting => (
            "the server greets with BYE [UNAVAILABLE] (maintenance)",
            "capability.unavailable",
        ),
        DemoFault::MissingMailbox => (
            "the mailbox asked for does not exist",
            "folders.mailbox_missing",
        ),
        DemoFault::BlackholedPort => (
            "the port drops connection attempts without an answer (a firewall's silent drop)",
            "tcp.timeout",
        ),
        DemoFault::PlaintextPort => (
            "implicit TLS is expected, the port greets in plain IMAP",
            "tls.plaintext_greeting",
        ),
        DemoFault::Interception => (
            "a firewall re-signs TLS with its own CA, unknown to this computer",
            "tls.intercepted",
        ),
        DemoFault::NameMismatch => (
            "the certificate is for mail.example.net, not the name connected to",
            "tls.name_mismatch",
        ),
        DemoFault::ThrottledLogin => (
            "the login is answered after a delay with NO [UNAVAILABLE]",
            "auth.unavailable",
        ),
        DemoFault::NothingReachable => (
            "neither the server nor the known-good control endpoint answers (both loopback)",
            "network.nothing_reachable",
        ),
    }
}

/// `imapdoctor demo --list --format json`: every fault the demo can show.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DemoFaultsDocument {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// Every fault, in the order of `demo --list`.
    pub demo_faults: Vec<DemoFaultEntry>,
}

/// One fault the demo can show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DemoFaultEntry {
    /// Its name, as `demo --fault NAME` takes it.
    pub name: String,
    /// The verdict code the demo ends with (see `imapdoctor explain CODE`).
    pub code: String,
    /// What it simulates.
    pub simulates: String,
}

/// Every fault, in the order `--fault` lists them.
pub fn entries() -> Vec<DemoFaultEntry> {
    DemoFault::value_variants()
        .iter()
        .filter_map(|fault| {
            let name = fault.to_possible_value()?.get_name().to_string();
            let (what, code) = describe(*fault);
            Some(DemoFaultEntry {
                name,
                code: code.to_string(),
                simulates: what.to_string(),
            })
        })
        .collect()
}

/// The document of every fault.
pub fn document() -> DemoFaultsDocument {
    DemoFaultsDocument {
        schema_version: SCHEMA_VERSION,
        demo_faults: entries(),
    }
}

/// One line per fault: its `--fault` name, the verdict code, what it simulates.
pub fn list() -> String {
    let rows = entries();
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let code_width = rows.iter().map(|r| r.code.len()).max().unwrap_or(0);
    rows.iter()
        .map(|r| {
            format!(
                "{:name_width$}  {:code_width$}  {}\n",
                r.name, r.code, r.simulates
            )
        })
        .collect()
}
