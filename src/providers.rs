//! What imapdoctor knows about mail providers and TLS interception products, as tables: host
//! names, greeting fingerprints, and the issuer names of software that re-signs TLS.

use base64::Engine;

pub use crate::report::capability::Identification;

/// A known provider.
pub struct Provider {
    /// Stable identifier (`microsoft`, `google`, …).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Host name suffixes of its IMAP endpoints.
    pub domains: &'static [&'static str],
    /// Greeting text that identifies it (case-insensitive substring).
    pub greeting: Option<&'static str>,
    /// A big public provider: its certificates always come from public CAs.
    pub public: bool,
}

/// The table.
#[rustfmt::skip]
pub const PROVIDERS: &[Provider] = &[
    Provider { id: "microsoft", name: "Microsoft Exchange Online", domains: &["office365.com", "outlook.com", "office.com"], greeting: Some("Microsoft Exchange IMAP4"), public: true },
    Provider { id: "google", name: "Gmail / Google Workspace", domains: &["gmail.com", "googlemail.com", "google.com"], greeting: Some("Gimap ready"), public: true },
    Provider { id: "apple", name: "iCloud Mail", domains: &["me.com", "icloud.com", "mac.com"], greeting: Some("iSCREAM"), public: true },
    Provider { id: "yahoo", name: "Yahoo Mail", domains: &["yahoo.com", "aol.com"], greeting: None, public: true },
    Provider { id: "fastmail", name: "Fastmail", domains: &["fastmail.com", "messagingengine.com"], greeting: None, public: true },
    Provider { id: "zoho", name: "Zoho Mail", domains: &["zoho.com", "zoho.eu"], greeting: None, public: true },
    Provider { id: "gmx", name: "GMX", domains: &["gmx.com", "gmx.net"], greeting: None, public: true },
    Provider { id: "yandex", name: "Yandex Mail", domains: &["yandex.com", "yandex.ru"], greeting: None, public: true },
    Provider { id: "dovecot", name: "Dovecot", domains: &[], greeting: Some("Dovecot"), public: false },
];

/// The IMAP server of the big providers' mail domains (the part after `@`), as their help pages give it.
#[rustfmt::skip]
pub const MAIL_DOMAINS: &[(&str, &str)] = &[
    ("gmail.com", "imap.gmail.com"), ("googlemail.com", "imap.gmail.com"),
    ("outlook.com", "outlook.office365.com"), ("hotmail.com", "outlook.office365.com"),
    ("live.com", "outlook.office365.com"), ("msn.com", "outlook.office365.com"),
    ("icloud.com", "imap.mail.me.com"), ("me.com", "imap.mail.me.com"), ("mac.com", "imap.mail.me.com"),
    ("yahoo.com", "imap.mail.yahoo.com"), ("aol.com", "imap.aol.com"),
    ("fastmail.com", "imap.fastmail.com"),
    ("zoho.com", "imap.zoho.com"), ("zoho.eu", "imap.zoho.eu"),
    ("gmx.com", "imap.gmx.com"), ("gmx.net", "imap.gmx.net"),
    ("yandex.com", "imap.yandex.com"), ("yandex.ru", "imap.yandex.ru"),
];

/// The IMAP server for addresses at `domain`, when it is a big provider's mail domain.
pub fn imap_host_for_mail_domain(domain: &str) -> Option<&'static str> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    MAIL_DOMAINS
        .iter()
        .find(|(d, _)| *d == domain)
        .map(|(_, host)| *host)
}

/// Software known to re-sign TLS (antivirus mail shields, corporate proxies), by a name that
/// appears in its CA's subject.
#[rustfmt::skip]
pub const INTERCEPTION_PRODUCTS: &[(&str, &str)] = &[
    ("Avast", "Avast Web/Mail Shield (antivirus)"),
    ("AVG", "AVG Web/Email Shield (antivirus)"),
    ("Kaspersky", "Kaspersky (antivirus)"),
    ("ESET", "ESET SSL Filter (antivirus)"),
    ("Bitdefender", "Bitdefender (antivirus)"),
    ("Sophos", "Sophos (firewall / endpoint)"),
    ("Fortinet", "Fortinet FortiGate (firewall)"),
    ("FortiGate", "Fortinet FortiGate (firewall)"),
    ("Zscaler", "Zscaler (corporate proxy)"),
    ("Palo Alto", "Palo Alto Networks (firewall)"),
    ("Netskope", "Netskope (corporate proxy)"),
    ("Cisco Umbrella", "Cisco Umbrella (secure web gateway)"),
    ("Blue Coat", "Blue Coat / Symantec ProxySG (corporate proxy)"),
    ("Forcepoint", "Forcepoint (corporate proxy)"),
    ("McAfee Web Gateway", "McAfee / Skyhigh Web Gateway (corporate proxy)"),
    ("Check Point", "Check Point (firewall)"),
    ("Barracuda", "Barracuda (firewall)"),
    ("WatchGuard", "WatchGuard (firewall)"),
    ("SonicWall", "SonicWall (firewall)"),
    ("Norton", "Norton (antivirus)"),
    ("Trend Micro", "Trend Micro (antivirus)"),
    ("Cloudflare Gateway", "Cloudflare Gateway (secure web gateway)"),
    ("mitmproxy", "mitmproxy (debugging proxy)"),
    ("Fiddler", "Fiddler (debugging proxy)"),
    ("Charles Proxy", "Charles Proxy (debugging proxy)"),
];

/// The provider a host name belongs to.
pub fn by_host(host: &str) -> Option<&'static Provider> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    PROVIDERS.iter().find(|p| {
        p.domains
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    })
}

/// The provider with this id.
pub fn by_id(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// The provider a greeting identifies.
pub fn by_greeting(text: &str) -> Option<&'static Provider> {
    let text = text.to_ascii_lowercase();
    PROVIDERS.iter().find(|p| {
        p.greeting
            .is_some_and(|g| text.contains(&g.to_ascii_lowercase()))
    })
}

/// The interception product a certificate name mentions.
pub fn interception_product(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    INTERCEPTION_PRODUCTS
        .iter()
        .find(|(needle, _)| contains_word(&name, &needle.to_ascii_lowercase()))
        .map(|(_, product)| *product)
}

/// Whether `needle` occurs in `haystack` not glued to other letters (so "AVG" does not match
/// "Navigator").
fn contains_word(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Identifies the server from its host name and greeting text.
pub fn identify(host: &str, greeting: &str) -> Identification {
    let provider = by_greeting(greeting).or_else(|| by_host(host));
    Identification {
        id: provider.map(|p| p.id),
        name: provider.map(|p| p.name),
        front_end: exchange_front_end(greeting),
        client_ip: gmail_client_ip(greeting),
    }
}

/// Exchange Online's greeting ends in `[base64]`: UTF-16LE text naming the front-end server.
pub fn exchange_front_end(greeting: &str) -> Option<String> {
    if !greeting.contains("Microsoft Exchange") {
        return None;
    }
    let open = greeting.rfind('[')?;
    let close = open + greeting[open..].find(']')?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(greeting[open + 1..close].trim())
        .ok()?;
    if bytes.len() % 2 != 0 || bytes.len() > 512 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).ok()?;
    let text = text.trim_matches(char::from(0)).trim();
    let plausible = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    plausible.then(|| text.to_string())
}

/// Gmail's greeting echoes the client's public address: `Gimap ready for requests from 203.0.113.7 ...`.
pub fn gmail_client_ip(greeting: &str) -> Option<String> {
    let rest = greeting.split("ready for requests from ").nth(1)?;
    let candidate = rest.split_whitespace().next()?;
    candidate
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_exchange_front_end() {
        let name = "LO4P123CA0233.GBRP123.PROD.OUTLOOK.COM";
        let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(utf16);
        let greeting = format!("The Microsoft Exchange IMAP4 service is ready. [{b64}]");
        assert_eq!(exchange_front_end(&greeting).as_deref(), Some(name));
        let id = identify("outlook.office365.com", &greeting);
        assert_eq!(id.id, Some("microsoft"));
        assert_eq!(exchange_front_end("Dovecot ready. [abc]"), None);
    }

    #[test]
    fn reads_gmails_echoed_address() {
        let g = "Gimap ready for requests from 203.0.113.7 h12mb123456lfb";
        assert_eq!(gmail_client_ip(g).as_deref(), Some("203.0.113.7"));
        assert_eq!(identify("imap.gmail.com", g).id, Some("google"));
    }

    #[test]
    fn names_interception_products_by_word() {
        assert_eq!(
            interception_product("CN=Avast Web/Mail Shield Root, O=Avast Web/Mail Shield"),
            Some("Avast Web/Mail Shield (antivirus)")
        );
        assert_eq!(
            interception_product("CN=Zscaler Intermediate Root CA"),
            Some("Zscaler (corporate proxy)")
        );
        assert_eq!(interception_product("CN=Navigator Trust CA"), None);
        assert_eq!(interception_product("CN=DigiCert Global Root G2"), None);
    }

    #[test]
    fn hosts_map_to_providers() {
        assert_eq!(by_host("outlook.office365.com").unwrap().id, "microsoft");
        assert_eq!(by_host("imap.gmail.com.").unwrap().id, "google");
        assert!(by_host("mail.example.org").is_none());
        assert!(by_host("notgmail.com").is_none());
    }
}
