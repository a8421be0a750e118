//! Arbitrary bytes as the certificate chain a server presents: DER certificates one after the
//! other (each as long as its outer length says; the rest of the input when that is unreadable).
//! Describing the chain and reading its origin never panic, and the facts hold only sanitized text.
#![no_main]

use imapdoctor::checks::certificate::{describe_chain, names_for_hint, origin};
use imapdoctor_fuzz::assert_json_safe;
use libfuzzer_sys::fuzz_target;
use rustls_pki_types::CertificateDer;

/// The length of the DER element at the start of `der` (tag, length, contents), if readable.
fn element_len(der: &[u8]) -> Option<usize> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some(2 + first as usize);
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let len = der
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    Some(2 + n + len)
}

fuzz_target!(|data: &[u8]| {
    let mut chain = Vec::new();
    let mut rest = data;
    while !rest.is_empty() && chain.len() < 8 {
        let len = element_len(rest)
            .filter(|&n| n <= rest.len())
            .unwrap_or(rest.len());
        let (der, after) = rest.split_at(len);
        chain.push(CertificateDer::from(der));
        rest = after;
    }
    let infos = describe_chain(&chain);
    assert_eq!(infos.len(), chain.len());
    for info in &infos {
        let _ = names_for_hint(info);
    }
    assert_json_safe("certificate", &infos);
    assert_json_safe("chain origin", &origin(&chain));
});
