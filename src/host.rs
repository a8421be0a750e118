//! Host names as the user typed them: checked before anything touches the network, so a typo is a
//! usage error rather than a DNS failure blamed on this computer, and internationalised names
//! converted to their A-label (Punycode) form by UTS 46. The A-label form is what DNS, TLS (SNI
//! and the certificate check) and the control probe use; the Unicode form is only for display.

use std::net::IpAddr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// Longest name in DNS (without a trailing root dot).
pub const MAX_NAME: usize = 253;
/// Longest label in DNS.
pub const MAX_LABEL: usize = 63;

/// The host as it goes on the wire: an IP literal unchanged, a name in its A-label form (keeping
/// the user's letter case when the name was plain ASCII already). `Err` says what is wrong.
pub fn to_ascii(host: &str) -> Result<String, String> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(host.to_string());
    }
    if host.is_empty() {
        return Err("no host name".into());
    }
    if let Some(c) = host.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the host name contains a space or control character ({:?})",
            c
        ));
    }
    if host.contains(['"', '\'', '`']) {
        return Err("the host name contains a quote".into());
    }
    if host.contains(':') {
        return Err(format!(
            "{host:?} contains ':' (give the port once, as host:port; an IPv6 address goes in brackets, as [2001:db8::1]:993)"
        ));
    }
    let ascii = Uts46::new()
        .to_ascii(
            host.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| format!("{host:?} is not a valid internationalised domain name (UTS 46)"))?;
    check_structure(&ascii)?;
    if ascii.eq_ignore_ascii_case(host) {
        Ok(host.to_string())
    } else {
        Ok(ascii.into_owned())
    }
}

/// The Unicode form of an A-label name, when it differs from it (`xn--bcher-kva.example` →
/// `bücher.example`); `None` for IP literals, plain ASCII names and undecodable labels.
pub fn to_unicode(ascii: &str) -> Option<String> {
    if !ascii.to_ascii_lowercase().contains("xn--") {
        return None;
    }
    let (unicode, result) = idna::domain_to_unicode(ascii);
    (result.is_ok() && !unicode.eq_ignore_ascii_case(ascii)).then_some(unicode)
}

/// The host for display: `bücher.example (xn--bcher-kva.example)`, or the host alone.
pub fn display(ascii: &str) -> String {
    match to_unicode(ascii) {
        Some(unicode) => format!("{unicode} ({ascii})"),
        None => ascii.to_string(),
    }
}

/// DNS limits and characters on the A-label form: labels of 1 to 63 letters, digits, '-' or '_'
/// (underscores are not valid in host names, but real internal names have them), at most 253
/// characters in all; one trailing root dot is allowed.
fn check_structure(ascii: &str) -> Result<(), String> {
    let name = ascii.strip_suffix('.').unwrap_or(ascii);
    if name.is_empty() {
        return Err("no host name".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!(
                "{ascii:?} has an empty label (a leading dot, or two dots in a row)"
            ));
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "the label {label:?} is {} characters long (at most {MAX_LABEL})",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "{c:?} is not allowed in a host name (letters, digits, '-', '_' and '.' only)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("the label {label:?} starts or ends with '-'"));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "{ascii:?} is not a valid IP address, and a host name cannot end in a number"
        ));
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "the name is {} characters long (at most {MAX_NAME})",
            name.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(host: &str) -> String {
        to_ascii(host).expect_err(host)
    }

    #[test]
    fn accepts_names_and_literals() {
        for ok in [
            "mail.example.com",
            "Mail.Example.COM",
            "mail.example.com.",
            "localhost",
            "_imaps._tcp.example",
            "exchange_01.corp.local",
            "127.0.0.1",
            "::1",
            "2001:db8::1",
            "xn--bcher-kva.example",
        ] {
            assert_eq!(to_ascii(ok).as_deref(), Ok(ok), "{ok}");
        }
        let longest = [
            &"a".repeat(63)[..],
            &"b".repeat(63),
            &"c".repeat(63),
            &"d".repeat(61),
        ]
        .join(".");
        assert_eq!(longest.len(), 253);
        assert!(to_ascii(&longest).is_ok());
        assert!(
            to_ascii(&format!("{longest}.")).is_ok(),
            "a root dot does not count"
        );
    }

    #[test]
    fn converts_internationalised_names_to_a_labels() {
        assert_eq!(to_ascii("bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(to_ascii("BÜCHER.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(to_ascii("münchen.de").unwrap(), "xn--mnchen-3ya.de");
        assert_eq!(
            to_unicode("xn--bcher-kva.example").as_deref(),
            Some("bücher.example")
        );
        assert_eq!(to_unicode("mail.example.com"), None);
        assert_eq!(to_unicode("127.0.0.1"), None);
        assert_eq!(
            display("xn--bcher-kva.example"),
            "bücher.example (xn--bcher-kva.example)"
        );
        assert_eq!(display("mail.example.com"), "mail.example.com");
    }

    #[test]
    fn names_what_is_wrong() {
        assert!(why("").contains("no host name"));
        assert!(why(".").contains("no host name"));
        assert!(why("a b.example").contains("space"));
        assert!(why("mail.example.com\t").contains("space"));
        assert!(why("\"mail.example.com\"").contains("quote"));
        assert!(why("'mail.example.com'").contains("quote"));
        assert!(why("host:993").contains("':'"));
        assert!(why("a..b").contains("empty label"));
        assert!(why(".example.com").contains("empty label"));
        assert!(why("example.com..").contains("empty label"));
        assert!(why(&format!("{}.example", "a".repeat(64))).contains("at most 63"));
        let long = vec!["abcdefghi"; 26].join(".");
        assert_eq!(long.len(), 259);
        assert!(why(&long).contains("at most 253"));
        assert!(why("mail.exa%mple.com").contains("'%' is not allowed"));
        assert!(why("mail/example").contains("not allowed"));
        assert!(why("xn--zz-.example").contains("internationalised"));
        assert!(why("-mail.example.com").contains("starts or ends with '-'"));
        assert!(why("mail-.example.com").contains("starts or ends with '-'"));
        assert!(why("192.168.1.300").contains("not a valid IP address"));
        assert!(why("10.1").contains("not a valid IP address"));
    }

    #[test]
    fn limits_apply_to_the_a_label_form() {
        // 61 characters as typed, but "xn--" and the encoded "ü" make its A-label longer than 63.
        let label = format!("{}ü", "a".repeat(60));
        assert_eq!(label.chars().count(), 61);
        assert!(why(&format!("{label}.example")).contains("at most 63"));
    }
}
