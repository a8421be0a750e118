//! What each demo fault simulates and the verdict code it leads to, for `imapdoctor demo --list`.

use clap::ValueEnum;

use crate::cli::DemoFault;

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

/// One line per fault: its `--fault` name, the verdict code, what it simulates.
pub fn list() -> String {
    let rows: Vec<(String, &str, &str)> = DemoFault::value_variants()
        .iter()
        .filter_map(|fault| {
            let name = fault.to_possible_value()?.get_name().to_string();
            let (what, code) = describe(*fault);
            Some((name, code, what))
        })
        .collect();
    let name_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let code_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(name, code, what)| format!("{name:name_width$}  {code:code_width$}  {what}\n"))
        .collect()
}
