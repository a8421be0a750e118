//! The `tls` check: the TLS handshake, verified against the operating system's trust store (plus
//! `--ca-file`), with the presented chain captured even when verification fails.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustls::CertificateError;
use rustls_pki_types::ServerName;

use super::certificate::{CertificateInfo, describe_chain};
use super::trust::{self, Captured};
use crate::config::Config;
use crate::imap::{Recorded, TlsStream};
pub use crate::report::tls::{TlsDetails, Verification, VerifyReason};
use crate::report::{Check, CheckId, Details};
use crate::transcript::Transcript;

/// A leaf certificate expiring within this many days makes the check `warn`.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

impl VerifyReason {
    /// The `tls` check's error code (without `tls.`) when verification is enforced.
    pub fn error_code(self) -> &'static str {
        match self {
            VerifyReason::Expired => "certificate_expired",
            VerifyReason::NotYetValid => "certificate_not_yet_valid",
            VerifyReason::NameMismatch => "name_mismatch",
            VerifyReason::SelfSigned => "self_signed",
            VerifyReason::UnknownIssuer => "unknown_issuer",
            VerifyReason::Revoked => "certificate_revoked",
            VerifyReason::Invalid => "certificate_invalid",
        }
    }
}

/// Runs the handshake over `socket`.
pub async fn run(
    config: &Config,
    socket: Recorded,
    transcript: &Transcript,
    deadline: tokio::time::Instant,
) -> (Check, Option<TlsStream>) {
    let started = Instant::now();
    let (check, stream) = handshake(config, socket, transcript, deadline).await;
    let mut check = forensics(check, &config.target.host);
    check.duration_ms = started.elapsed().as_millis() as u64;
    let stream = stream.filter(|_| check.status != crate::report::Status::Fail);
    (check, stream)
}

async fn handshake(
    config: &Config,
    socket: Recorded,
    transcript: &Transcript,
    deadline: tokio::time::Instant,
) -> (Check, Option<TlsStream>) {
    let host = config.target.host.clone();
    let captured = Arc::new(Mutex::new(Captured::default()));
    let trust = if config.extra_roots.is_empty() {
        "os"
    } else {
        "os+ca-file"
    };
    let mut details = TlsDetails {
        server_name: host.clone(),
        version: None,
        cipher_suite: None,
        chain: vec![],
        verification: Verification {
            verified: false,
            reason: None,
            message: None,
            trust,
            insecure: config.insecure,
        },
        received_instead: None,
        origin: Default::default(),
    };
    let tls_config = trust::recording_config(
        &config.extra_roots,
        config.insecure,
        captured.clone(),
        deadline.into_std(),
    );
    let Ok(name) = ServerName::try_from(host.clone()) else {
        let message = format!("{host:?} is not a valid TLS server name");
        return (
            Check::failed(
                CheckId::Tls,
                "bad_server_name",
                message,
                Details::Tls(Box::new(details)),
            ),
            None,
        );
    };
    transcript.remark(&format!(
        "TLS handshake, verifying the certificate for {host}"
    ));
    let connector = tokio_rustls::TlsConnector::from(tls_config);
    let mut first_bytes = Vec::new();
    let connect = connector.connect_with(name, socket, |_| {}).into_fallible();
    let outcome = match tokio::time::timeout_at(deadline, connect).await {
        Err(elapsed) => Err(elapsed),
        Ok(Ok(stream)) => Ok(Ok(stream)),
        Ok(Err((error, io))) => {
            // Keep what the server sent instead (it may be a plaintext greeting).
            first_bytes = io.first_bytes;
            Ok(Err(error))
        }
    };
    let captured = std::mem::take(&mut *captured.lock().unwrap_or_else(|p| p.into_inner()));
    details.chain = describe_chain(&captured.chain);
    if captured.no_trust_store && !config.insecure {
        let why = match captured.error {
            Some(rustls::Error::General(why)) => why,
            other => other.map(|e| e.to_string()).unwrap_or_default(),
        };
        let message = format!("no usable trust store on this computer: {why}");
        return (
            Check::failed(
                CheckId::Tls,
                "no_trust_store",
                message,
                Details::Tls(Box::new(details)),
            ),
            None,
        );
    }
    details.origin = super::certificate::origin(&captured.chain);
    if let Some(error) = &captured.error {
        details.verification.reason = Some(reason(error, &details.chain));
        details.verification.message = Some(error.to_string());
    } else {
        details.verification.verified = !captured.chain.is_empty();
    }
    match outcome {
        Err(_) => {
            let message = "the server did not complete the TLS handshake in time";
            (
                Check::failed(
                    CheckId::Tls,
                    "timeout",
                    message,
                    Details::Tls(Box::new(details)),
                ),
                None,
            )
        }
        Ok(Err(e)) => (failure(e, &first_bytes, details), None),
        Ok(Ok(stream)) => {
            let (_, session) = stream.get_ref();
            details.version = session
                .protocol_version()
                .map(|v| v.as_str().unwrap_or("unknown").replace('_', "."));
            details.cipher_suite = session
                .negotiated_cipher_suite()
                .map(|s| s.suite().as_str().unwrap_or("unknown").to_string());
            transcript.remark(&format!(
                "TLS established: {}, {}",
                details.version.as_deref().unwrap_or("?"),
                details.cipher_suite.as_deref().unwrap_or("?")
            ));
            (success(details), Some(stream))
        }
    }
}

/// Judges who issued the chain: an interception product, or a private root where a big public
/// provider always uses a public CA, means something on this computer or network re-signs TLS.
/// A private root elsewhere is normal (internal CAs) and only noted.
fn forensics(check: Check, host: &str) -> Check {
    let Details::Tls(details) = &check.details else {
        return check;
    };
    let origin = details.origin.clone();
    let root = origin.root.clone().unwrap_or_default();
    let provider = crate::providers::by_host(host).filter(|p| p.public);
    let message = match (origin.interception_product, provider, origin.public_root) {
        (Some(product), _, _) => Some(format!(
            "TLS is intercepted on this computer or network by {product}: the certificate is issued by {root}"
        )),
        (None, Some(p), Some(false)) => Some(format!(
            "TLS is intercepted: {host} is {}, which uses public certificate authorities, but this chain ends at {root}, which is not a public root",
            p.name
        )),
        _ => None,
    };
    match message {
        Some(message) => {
            let details = check.details.clone();
            let mut failed = Check::failed(CheckId::Tls, "intercepted", message, details);
            failed.notes = check.notes;
            failed
        }
        None if origin.public_root == Some(false)
            && check.status != crate::report::Status::Fail =>
        {
            let mut check = check;
            check.notes.push(format!(
                "issued by a private CA ({root}): normal for internal servers"
            ));
            check
        }
        None => check,
    }
}

fn reason(error: &rustls::Error, chain: &[CertificateInfo]) -> VerifyReason {
    let rustls::Error::InvalidCertificate(e) = error else {
        return VerifyReason::Invalid;
    };
    match e {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            VerifyReason::Expired
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            VerifyReason::NotYetValid
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            VerifyReason::NameMismatch
        }
        CertificateError::Revoked => VerifyReason::Revoked,
        CertificateError::UnknownIssuer if chain.len() == 1 && chain[0].self_issued => {
            VerifyReason::SelfSigned
        }
        CertificateError::UnknownIssuer => VerifyReason::UnknownIssuer,
        _ => VerifyReason::Invalid,
    }
}

/// The check error code (without `tls.`) and message for a certificate that failed verification.
fn verify_failure(reason: VerifyReason, details: &TlsDetails) -> (&'static str, String) {
    let leaf = details.chain.first();
    let message = match reason {
        VerifyReason::Expired => format!(
            "the server's certificate expired on {}",
            leaf.map_or("?", |l| l.not_after.as_str())
        ),
        VerifyReason::NotYetValid => format!(
            "the server's certificate is not valid until {}",
            leaf.map_or("?", |l| l.not_before.as_str())
        ),
        VerifyReason::NameMismatch => format!(
            "the certificate is not valid for {} (it names {})",
            details.server_name,
            leaf.map(|l| super::certificate::names_for_hint(l).join(", "))
                .unwrap_or_default()
        ),
        VerifyReason::SelfSigned => {
            "the server's certificate is self-signed and not trusted".into()
        }
        VerifyReason::UnknownIssuer => format!(
            "the certificate's issuer is not trusted ({})",
            details.chain.last().map_or("?", |c| c.issuer.as_str())
        ),
        VerifyReason::Revoked => "the server's certificate was revoked".into(),
        VerifyReason::Invalid => format!(
            "the server's certificate is invalid: {}",
            details.verification.message.as_deref().unwrap_or("?")
        ),
    };
    (reason.error_code(), message)
}

fn failure(error: std::io::Error, first_bytes: &[u8], mut details: TlsDetails) -> Check {
    if let Some(reason) = details.verification.reason {
        let (code, message) = verify_failure(reason, &details);
        return Check::failed(CheckId::Tls, code, message, Details::Tls(Box::new(details)));
    }
    let looks_like_text =
        !first_bytes.is_empty() && first_bytes[0] != 0x16 && first_bytes[0] != 0x15;
    if looks_like_text {
        let shown = crate::sanitize::untrusted_within(first_bytes, 120);
        let shown = shown.trim_end_matches("\\x0d\\x0a").to_string();
        details.received_instead = Some(shown.clone());
        let (code, message) = if first_bytes.starts_with(b"* OK")
            || first_bytes.starts_with(b"* PREAUTH")
        {
            (
                "plaintext_greeting",
                format!(
                    "the server sent a plaintext IMAP greeting instead of a TLS handshake: {shown}"
                ),
            )
        } else if first_bytes.starts_with(b"* BYE") {
            (
                "bye",
                format!(
                    "the server refused the connection with a plaintext BYE before any TLS: {shown}"
                ),
            )
        } else {
            (
                "not_tls",
                format!("the server answered with something that is not TLS: {shown}"),
            )
        };
        return Check::failed(CheckId::Tls, code, message, Details::Tls(Box::new(details)));
    }
    let inner = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    let (code, message) = match inner {
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion))
        | Some(rustls::Error::PeerIncompatible(_)) => (
            "protocol_version",
            format!(
                "no TLS version or cipher in common with the server (it may offer only TLS 1.0/1.1): {error}"
            ),
        ),
        Some(e) => (
            "handshake_failed",
            format!(
                "the TLS handshake failed: {}",
                crate::sanitize::terminal_text(&e.to_string())
            ),
        ),
        None if first_bytes.is_empty() => (
            "closed",
            "the server closed the connection during the TLS handshake".into(),
        ),
        None => (
            "handshake_failed",
            format!("the TLS handshake failed: {error}"),
        ),
    };
    Check::failed(CheckId::Tls, code, message, Details::Tls(Box::new(details)))
}

fn success(details: TlsDetails) -> Check {
    let leaf = details.chain.first().cloned();
    let version = details.version.clone().unwrap_or_default();
    let mut summary = format!(
        "{version}, {}",
        details.cipher_suite.clone().unwrap_or_default()
    );
    if let Some(leaf) = &leaf {
        let name = super::certificate::names_for_hint(leaf)
            .first()
            .cloned()
            .unwrap_or_default();
        summary.push_str(&format!(
            "; certificate for {name}, {} days left",
            leaf.days_left
        ));
    }
    // With --insecure the would-be verdict on the certificate leads the warnings.
    let unverified = details.verification.insecure.then(|| {
        match details.verification.reason {
            Some(reason) => {
                let (code, why) = verify_failure(reason, &details);
                (
                    "unverified",
                    format!(
                        "the certificate would fail verification (tls.{code}): {why}; --insecure accepted it, so this connection could be intercepted"
                    ),
                )
            }
            None => (
                "insecure",
                "--insecure: certificate verification was not enforced, by request (the certificate would have verified)"
                    .to_string(),
            ),
        }
    });
    if unverified.is_some() {
        summary.push_str(" (NOT verified: --insecure)");
    }
    let mut check = Check::passed(CheckId::Tls, summary, Details::Tls(Box::new(details)));
    if let Some((code, message)) = unverified {
        check.warn(code, message);
    }
    if let Some(leaf) = leaf
        && leaf.days_left < EXPIRY_WARNING_DAYS
        && leaf.days_left >= 0
    {
        let message = format!(
            "the certificate expires in {} days ({})",
            leaf.days_left, leaf.not_after
        );
        check.warn("expires_soon", message);
    }
    check
}
