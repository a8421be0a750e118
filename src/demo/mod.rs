//! `imapdoctor demo`: an in-process IMAP server on loopback (implicit TLS, a generated certificate,
//! a test account) and the full check against it, so a new user sees a complete report without an
//! account. `--fault` shows failures and their verdicts.

pub mod pki;
pub mod server;

use std::time::Duration;

use crate::cli::DemoFault;
use crate::config::{Config, Credentials, Security, Target};
use crate::report::Report;
use crate::secret::Secret;
use pki::{LeafSpec, TestCa};
use server::{Opening, Script};

/// The demo account.
const USER: &str = "demo@example.test";
/// The demo account's password (a demo secret: it is redacted like a real one).
const PASSWORD: &str = "demo-password-1234";

/// Starts the demo server and checks it.
pub async fn run(fault: Option<DemoFault>, verbose: bool) -> anyhow::Result<Report> {
    let ca = TestCa::new("imapdoctor demo CA");
    let names = ["127.0.0.1", "localhost"];
    let leaf = match fault {
        Some(DemoFault::ExpiredCertificate) => ca.issue(&LeafSpec::expired(names)),
        _ => ca.issue(&LeafSpec::valid_for(names)),
    };
    let mut script = Script {
        security: server::Security::ImplicitTls(leaf.server_config()),
        accounts: vec![(USER.to_string(), PASSWORD.to_string())],
        ..Script::default()
    };
    if fault == Some(DemoFault::ByeGreeting) {
        script.opening = Opening::Greet(
            "* BYE [UNAVAILABLE] Server shutting down for maintenance, try again later".into(),
        );
    }
    let handle = server::spawn(script).await?;
    let port = handle.port();
    let _keep = if fault == Some(DemoFault::ServerDown) {
        drop(handle);
        None
    } else {
        Some(handle)
    };
    let password = match fault {
        Some(DemoFault::WrongPassword) => "not-the-password",
        _ => PASSWORD,
    };
    let config = Config {
        target: Target {
            input: format!("imaps://127.0.0.1:{port}"),
            host: "127.0.0.1".into(),
            port,
            security: Security::Tls,
        },
        credentials: Some(Credentials {
            user: USER.into(),
            secret: Secret::new(password.into()),
            mechanism: None,
            is_token: false,
        }),
        user: Some(USER.into()),
        mailbox: match fault {
            Some(DemoFault::MissingMailbox) => "Archive/2019".into(),
            _ => "INBOX".into(),
        },
        extra_roots: vec![ca.cert_der.clone()],
        ca_file: None,
        insecure: false,
        step_timeout: Duration::from_secs(5),
        login_timeout: Duration::from_secs(30),
        max_time: Some(Duration::from_secs(30)),
        resolve: vec![],
        controls: vec![],
        allow_plaintext_auth: false,
        verbose,
    };
    Ok(crate::app::check(config).await)
}
