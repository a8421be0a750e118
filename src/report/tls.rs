//! The tls check's findings: the session, the verification, the probes behind a failure.

use schemars::JsonSchema;
use serde::Serialize;

use super::certificate::{CertificateInfo, ChainOrigin};

/// Why the certificate was not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyReason {
    /// The certificate's validity ended.
    Expired,
    /// The certificate's validity has not started.
    NotYetValid,
    /// The certificate is not valid for the host name.
    NameMismatch,
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// The certificate signed itself and is not trusted.
    SelfSigned,
    /// The certificate was revoked.
    Revoked,
    /// Anything else (bad signature, wrong purpose, bad encoding).
    Invalid,
}

/// The certificate verification result.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Verification {
    /// Whether the chain verified for the host name.
    pub verified: bool,
    /// Why not, when not.
    pub reason: Option<VerifyReason>,
    /// The verifier's own message.
    pub message: Option<String>,
    /// Trust anchors used: `os` or `os+ca-file`.
    pub trust: &'static str,
    /// `--insecure` was given: the result was recorded but not enforced.
    pub insecure: bool,
}

/// Facts of the `tls` check.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TlsDetails {
    /// The name the certificate was verified against (and sent as SNI, unless an IP address).
    pub server_name: String,
    /// Negotiated protocol version: `TLSv1.2` or `TLSv1.3`.
    pub version: Option<String>,
    /// Negotiated cipher suite.
    pub cipher_suite: Option<String>,
    /// The presented chain, leaf first (captured even when verification failed).
    pub chain: Vec<CertificateInfo>,
    /// The verification result.
    pub verification: Verification,
    /// Who issued the chain: public or private root, interception product.
    pub origin: ChainOrigin,
    /// What arrived instead of a TLS handshake, when something else did (sanitized).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_instead: Option<String>,
}

/// What a TLS handshake on a second connection found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsProbe {
    /// The port answered the ClientHello in TLS: it speaks implicit TLS.
    Tls,
    /// The port answered with something that is not TLS, or closed the connection.
    NotTls,
    /// The port accepted the connection and did not answer the ClientHello for a second or more.
    NoAnswer,
    /// The deadline ended the probe before it could tell.
    CutOff,
    /// The second connection could not be made.
    NoConnection,
}
