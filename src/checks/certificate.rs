//! Reading the presented certificate chain into report facts: subject, issuer, names, validity.

use rustls_pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

pub use crate::report::certificate::{CertificateInfo, ChainOrigin};
use crate::sanitize;

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

/// Reads the origin of a presented chain.
pub fn origin(chain: &[CertificateDer<'_>]) -> ChainOrigin {
    let parsed: Vec<X509Certificate<'_>> = chain
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c))
        .collect();
    let Some(last) = parsed.last() else {
        return ChainOrigin::default();
    };
    let interception_product = parsed.iter().find_map(|c| {
        crate::providers::interception_product(&c.issuer().to_string())
            .or_else(|| crate::providers::interception_product(&c.subject().to_string()))
    });
    let root_name = last.issuer().as_raw();
    let public_root = webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .any(|anchor| same_name(anchor.subject.as_ref(), root_name));
    ChainOrigin {
        public_root: Some(public_root),
        root: Some(sanitize::terminal_text(&last.issuer().to_string())),
        interception_product,
    }
}

/// Compares a trust anchor's subject (the Name's contents) with a certificate's raw Name
/// (a DER SEQUENCE: tag, length, contents).
fn same_name(anchor_subject: &[u8], raw_name: &[u8]) -> bool {
    anchor_subject == raw_name || der_contents(raw_name) == Some(anchor_subject)
}

fn der_contents(tlv: &[u8]) -> Option<&[u8]> {
    let (&first_len, rest) = tlv.get(1..)?.split_first()?;
    let (len, body) = if first_len < 0x80 {
        (first_len as usize, rest)
    } else {
        let n = (first_len & 0x7f) as usize;
        let bytes = rest.get(..n)?;
        (
            bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize),
            &rest[n..],
        )
    };
    body.get(..len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pki::{LeafSpec, TestCa};

    #[test]
    fn a_private_ca_is_not_a_public_root() {
        let ca = TestCa::new("Contoso Corporate Proxy CA");
        let leaf = ca.issue(&LeafSpec::valid_for(["outlook.office365.com"]));
        let origin = origin(&leaf.chain);
        assert_eq!(origin.public_root, Some(false));
        assert!(origin.root.unwrap().contains("Contoso Corporate Proxy CA"));
        assert_eq!(origin.interception_product, None);
    }

    #[test]
    fn names_the_interception_product() {
        let ca = TestCa::new("Avast Web/Mail Shield Root");
        let leaf = ca.issue(&LeafSpec::valid_for(["imap.gmail.com"]));
        assert_eq!(
            origin(&leaf.chain).interception_product,
            Some("Avast Web/Mail Shield (antivirus)")
        );
    }

    #[test]
    fn recognises_a_mozilla_root_by_name() {
        // A name equal to a real Mozilla root's subject counts as public.
        let anchor = &webpki_roots::TLS_SERVER_ROOTS[0];
        let subject = anchor.subject.as_ref();
        let mut tlv = vec![0x30];
        if subject.len() < 0x80 {
            tlv.push(subject.len() as u8);
        } else {
            tlv.extend([0x82, (subject.len() >> 8) as u8, subject.len() as u8]);
        }
        tlv.extend_from_slice(subject);
        assert!(same_name(subject, &tlv));
        assert!(!same_name(subject, &tlv[..tlv.len() - 1]));
    }
}
