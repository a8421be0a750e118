//! What a certificate and its chain say, as reported.

use schemars::JsonSchema;
use serde::Serialize;

/// One certificate of the chain the server presented.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CertificateInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names (DNS names and IP addresses).
    pub sans: Vec<String>,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    /// Whether subject and issuer are the same (a self-signed certificate or a root).
    pub self_issued: bool,
    /// SHA-256 fingerprint of the DER encoding, hex.
    pub sha256: String,
}

/// What the chain says about who issued it.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct ChainOrigin {
    /// Whether the chain ends in a root of the public web PKI (Mozilla's root program);
    /// `None` when the chain could not be read.
    pub public_root: Option<bool>,
    /// The name of the root the chain ends in (the last certificate's issuer).
    pub root: Option<String>,
    /// An interception product named by a certificate of the chain (antivirus, corporate proxy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interception_product: Option<&'static str>,
}
