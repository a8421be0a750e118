//! Reading the presented certificate chain into report facts: subject, issuer, names, validity.

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

use crate::sanitize;

/// One certificate of the chain the server presented.
#[derive(Clone, Debug, Serialize)]
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

/// Parses every certificate of a chain (unparseable ones are described as such).
pub fn describe_chain(chain: &[CertificateDer<'_>]) -> Vec<CertificateInfo> {
    chain.iter().map(|der| describe(der)).collect()
}

fn describe(der: &CertificateDer<'_>) -> CertificateInfo {
    let sha256 = fingerprint(der);
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return CertificateInfo {
            subject: "(unparseable certificate)".into(),
            issuer: String::new(),
            sans: vec![],
            not_before: String::new(),
            not_after: String::new(),
            days_left: 0,
            self_issued: false,
            sha256,
        };
    };
    let validity = cert.validity();
    let now = ::time::OffsetDateTime::now_utc().unix_timestamp();
    let not_after = validity.not_after.timestamp();
    CertificateInfo {
        subject: sanitize::terminal_text(&cert.subject().to_string()),
        issuer: sanitize::terminal_text(&cert.issuer().to_string()),
        sans: sans(&cert),
        not_before: rfc3339(validity.not_before.timestamp()),
        not_after: rfc3339(not_after),
        days_left: (not_after - now).div_euclid(86_400),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        sha256,
    }
}

fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return vec![];
    };
    ext.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(n) => Some(sanitize::terminal_text(n)),
            GeneralName::IPAddress(b) => ip_from_bytes(b).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_from_bytes(b: &[u8]) -> Option<std::net::IpAddr> {
    match b.len() {
        4 => Some(<[u8; 4]>::try_from(b).ok()?.into()),
        16 => Some(<[u8; 16]>::try_from(b).ok()?.into()),
        _ => None,
    }
}

/// Seconds since the epoch as RFC 3339.
pub fn rfc3339(unix: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&::time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The names a certificate is valid for (for the name-mismatch hint).
pub fn names_for_hint(info: &CertificateInfo) -> Vec<String> {
    let mut names = info.sans.clone();
    if names.is_empty()
        && let Some(cn) = info.subject.split(", ").find_map(|p| p.strip_prefix("CN="))
    {
        names.push(cn.to_string());
    }
    names
}
