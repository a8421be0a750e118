//! `imapdoctor demo`: an in-process IMAP server on loopback (implicit TLS, a generated certificate,
//! a test account) and the full check against it, so a new user sees a complete report without an
//! account. `--fault` shows failures and their verdicts, `--list` names them.

mod blackhole;
pub mod faults;
pub mod pki;
pub mod server;

use std::time::Duration;

use crate::cli::DemoFault;
use crate::config::{Config, ControlEndpoint, Credentials, Security, Target};
use crate::report::Report;
use crate::secret::Secret;
use blackhole::Blackhole;
use pki::{LeafSpec, TestCa};
use server::{Opening, Script};

/// The demo account.
const USER: &str = "demo@example.test";
/// The demo account's password (a demo secret: it is redacted like a real one).
const PASSWORD: &str = "demo-password-1234";

/// Starts the demo server and checks it.
pub async fn run(fault: Option<DemoFault>, verbose: bool) -> anyhow::Result<Report> {
    let ca = TestCa::new("imapdoctor demo CA");
    let script = script(fault, &ca);
    let handle = server::spawn(script).await?;
    let mut port = handle.port();
    // Blackholed ports (the target's, the control's) stay blackholed until the check is over.
    let mut holes = Vec::new();
    let mut controls = Vec::new();
    let _keep = match fault {
        Some(DemoFault::ServerDown) => {
            drop(handle);
            None
        }
        Some(DemoFault::BlackholedPort | DemoFault::NothingReachable) => {
            let hole = Blackhole::bind().await?;
            port = hole.port();
            holes.push(hole);
            None
        }
        _ => Some(handle),
    };
    if fault == Some(DemoFault::NothingReachable) {
        // The control is a loopback port too: the demo never leaves this computer.
        let hole = Blackhole::bind().await?;
        controls.push(ControlEndpoint {
            host: "127.0.0.1".into(),
            port: hole.port(),
        });
        holes.push(hole);
    }
    let password = match fault {
        Some(DemoFault::WrongPassword) => "not-the-password",
        _ => PASSWORD,
    };
    // Waiting for silence is the fault: keep it short.
    let step_timeout = match fault {
        Some(DemoFault::BlackholedPort | DemoFault::NothingReachable) => Duration::from_secs(1),
        _ => Duration::from_secs(5),
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
            token_origin: None,
        }),
        user: Some(USER.into()),
        mailbox: match fault {
            Some(DemoFault::MissingMailbox) => "Archive/2019".into(),
            _ => "INBOX".into(),
        },
        extra_roots: vec![ca.cert_der.clone()],
        ca_file: None,
        insecure: false,
        step_timeout,
        login_timeout: Duration::from_secs(30),
        max_time: Some(Duration::from_secs(30)),
        resolve: vec![],
        controls,
        allow_plaintext_auth: false,
        verbose,
        discovery: None,
    };
    Ok(crate::engine::check(config).await)
}

/// The demo server's behaviour for `fault`: a healthy implicit-TLS server with the demo account,
/// changed where the fault lies with the server.
fn script(fault: Option<DemoFault>, ca: &TestCa) -> Script {
    let names = ["127.0.0.1", "localhost"];
    let leaf = match fault {
        Some(DemoFault::ExpiredCertificate) => ca.issue(&LeafSpec::expired(names)),
        Some(DemoFault::NameMismatch) => ca.issue(&LeafSpec::valid_for(["mail.example.net"])),
        // The firewall's CA is not among the demo's trusted roots.
        Some(DemoFault::Interception) => {
            TestCa::new("FortiGate SSL Inspection CA").issue(&LeafSpec::valid_for(names))
        }
        _ => ca.issue(&LeafSpec::valid_for(names)),
    };
    let mut script = Script {
        security: match fault {
            Some(DemoFault::PlaintextPort) => server::Security::Plain,
            _ => server::Security::ImplicitTls(leaf.server_config()),
        },
        accounts: vec![(USER.to_string(), PASSWORD.to_string())],
        ..Script::default()
    };
    match fault {
        Some(DemoFault::ByeGreeting) => {
            script.opening = Opening::Greet(
                "* BYE [UNAVAILABLE] Server shutting down for maintenance, try again later".into(),
            );
        }
        Some(DemoFault::ThrottledLogin) => {
            script.login_reply =
                Some("NO [UNAVAILABLE] Too many logins, try again in a few minutes".into());
            script.login_delay = Duration::from_secs(1);
        }
        _ => {}
    }
    script
}
