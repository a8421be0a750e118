//! Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP mailbox names: printable ASCII stands
//! for itself (`&` as `&-`), anything else is UTF-16 in a modified base64 between `&` and `-`.
//!
//! Our own rather than the `utf7-imap` crate: its decoder unwraps the base64 of whatever the
//! server sent (a panic on a broken name) and cannot tell a valid name from an invalid one, which
//! a diagnosis needs (a server that sends raw UTF-8 or broken mUTF-7 is shown as it sent it).

use base64::Engine;
use base64::alphabet::IMAP_MUTF7;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};

const MUTF7: GeneralPurpose = GeneralPurpose::new(&IMAP_MUTF7, NO_PAD);

/// Encodes a mailbox name for the wire.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&MUTF7.encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            match c {
                '&' => out.push_str("&-"),
                c => out.push(c),
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes a mailbox name from the wire; `None` when it is not valid modified UTF-7 (raw 8-bit
/// bytes, a bad shift sequence, unpaired surrogates, or an encoded run of plain ASCII).
pub fn decode(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(amp) = rest.find('&') {
        let (plain, shifted) = rest.split_at(amp);
        out.push_str(printable(plain)?);
        let end = shifted.find('-')?;
        let run = &shifted[1..end];
        if run.is_empty() {
            out.push('&');
        } else {
            let bytes = MUTF7.decode(run).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]]));
            for c in char::decode_utf16(units) {
                let c = c.ok()?;
                if (' '..='~').contains(&c) {
                    return None;
                }
                out.push(c);
            }
        }
        rest = &shifted[end + 1..];
    }
    out.push_str(printable(rest)?);
    Some(out)
}

/// A name as a person should see it: decoded when it is valid modified UTF-7 (or when the
/// server speaks UTF-8, RFC 6855), else exactly as sent.
pub fn display(wire: &str, utf8: bool) -> String {
    if utf8 {
        return wire.to_string();
    }
    decode(wire).unwrap_or_else(|| wire.to_string())
}

fn printable(s: &str) -> Option<&str> {
    s.bytes().all(|b| (0x20..0x7f).contains(&b)).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_rfc_examples_and_ours() {
        for (name, wire) in [
            ("INBOX", "INBOX"),
            ("Entwürfe 2026", "Entw&APw-rfe 2026"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("A&B", "A&-B"),
            ("théâtre", "th&AOkA4g-tre"),
            ("😀 mail", "&2D3eAA- mail"),
        ] {
            assert_eq!(encode(name), wire, "{name}");
            assert_eq!(decode(wire).as_deref(), Some(name), "{wire}");
        }
    }

    #[test]
    fn rejects_what_is_not_modified_utf7() {
        for bad in [
            "Entwürfe",  // raw UTF-8
            "&AGE-",     // "a", which must not be encoded
            "&Jjo!",     // unterminated
            "&Jjo?-",    // not the mUTF-7 alphabet
            "&2D0-",     // lone high surrogate
            "&AP-",      // odd number of bytes
            "tab\there", // control character
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        assert_eq!(display("Entwürfe", false), "Entwürfe");
        assert_eq!(display("&AOk-", true), "&AOk-");
        assert_eq!(display("&AOk-", false), "é");
    }
}
