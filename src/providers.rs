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
    Provider { id: "webde", name: "WEB.DE", domains: &["web.de"], greeting: None, public: true },
    Provider { id: "yandex", name: "Yandex Mail", domains: &["yandex.com", "yandex.ru"], greeting: None, public: true },
    Provider { id: "dovecot", name: "Dovecot", domains: &[], greeting: Some("Dovecot"), public: false },
];

/// A provider's published IMAP settings: the server for the mail domains it owns (the part
/// after `@`), for `--provider NAME`, and for custom domains whose MX it hosts.
#[derive(Debug)]
pub struct Preset {
    /// The name `--provider` takes (`microsoft`, `google`, …).
    pub name: &'static str,
    /// Display name.
    pub display: &'static str,
    /// The [`Provider`] id its servers belong to (`microsoft`, `google`, …).
    pub provider: &'static str,
    /// IMAP host.
    pub host: &'static str,
    /// IMAP port.
    pub port: u16,
    /// The provider's own mail domains, whose server is this preset without any lookup.
    pub mail_domains: &'static [&'static str],
    /// Host name suffixes of its inbound mail servers (MX) that recognise a custom domain hosted
    /// there (empty: its MX hosts only its own domains).
    pub mx_suffixes: &'static [&'static str],
    /// Where the provider publishes these settings (its help page).
    pub source: &'static str,
}

/// The presets: every provider here documents implicit TLS on port 993 (the `source` page of
/// each). `--provider` lists these names in this order.
#[rustfmt::skip]
pub const PRESETS: &[Preset] = &[
    Preset { name: "microsoft", display: "Microsoft 365 / Outlook.com", provider: "microsoft", host: "outlook.office365.com", port: 993,
        mail_domains: &["outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "outlook.de", "outlook.fr", "live.co.uk", "live.fr", "live.de"],
        // Microsoft 365 tenants: TENANT.mail.protection.outlook.com; Outlook.com: *.olc.protection.outlook.com.
        mx_suffixes: &["protection.outlook.com"],
        source: "https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-8361e398-8af4-4e97-b147-6c6c4ac95353" },
    Preset { name: "google", display: "Gmail / Google Workspace", provider: "google", host: "imap.gmail.com", port: 993,
        mail_domains: &["gmail.com", "googlemail.com"],
        // aspmx.l.google.com and its alternates, smtp.google.com; gmail-smtp-in.l.google.com.
        mx_suffixes: &["google.com", "googlemail.com"],
        source: "https://support.google.com/mail/answer/7126229" },
    Preset { name: "icloud", display: "iCloud Mail", provider: "apple", host: "imap.mail.me.com", port: 993,
        mail_domains: &["icloud.com", "me.com", "mac.com"],
        // mx01.mail.icloud.com, mx02.mail.icloud.com (iCloud+ custom e-mail domains).
        mx_suffixes: &["mail.icloud.com"],
        source: "https://support.apple.com/en-us/102525" },
    Preset { name: "yahoo", display: "Yahoo Mail", provider: "yahoo", host: "imap.mail.yahoo.com", port: 993,
        mail_domains: &["yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.it", "yahoo.es"],
        mx_suffixes: &[],
        source: "https://help.yahoo.com/kb/SLN4075.html" },
    Preset { name: "aol", display: "AOL Mail", provider: "yahoo", host: "imap.aol.com", port: 993,
        mail_domains: &["aol.com", "aim.com"],
        mx_suffixes: &[],
        source: "https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail" },
    Preset { name: "fastmail", display: "Fastmail", provider: "fastmail", host: "imap.fastmail.com", port: 993,
        mail_domains: &["fastmail.com", "fastmail.fm"],
        // in1-smtp.messagingengine.com, in2-smtp.messagingengine.com (custom domains).
        mx_suffixes: &["messagingengine.com"],
        source: "https://www.fastmail.help/hc/en-us/articles/1500000278342-Server-names-and-ports" },
    Preset { name: "gmx", display: "GMX (gmx.net)", provider: "gmx", host: "imap.gmx.net", port: 993,
        mail_domains: &["gmx.net", "gmx.de", "gmx.at", "gmx.ch"],
        mx_suffixes: &[],
        source: "https://hilfe.gmx.net/pop-imap/imap/imap-serverdaten.html" },
    Preset { name: "gmx-com", display: "GMX (gmx.com)", provider: "gmx", host: "imap.gmx.com", port: 993,
        mail_domains: &["gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr"],
        mx_suffixes: &[],
        source: "https://support.gmx.com/pop-imap/imap/server.html" },
    Preset { name: "webde", display: "WEB.DE", provider: "webde", host: "imap.web.de", port: 993,
        mail_domains: &["web.de"],
        mx_suffixes: &[],
        source: "https://hilfe.web.de/pop-imap/imap/imap-serverdaten.html" },
    Preset { name: "zoho", display: "Zoho Mail", provider: "zoho", host: "imap.zoho.com", port: 993,
        mail_domains: &["zoho.com", "zohomail.com"],
        // mx.zoho.com, mx2.zoho.com (organisations' domains; their users may need imappro.zoho.com).
        mx_suffixes: &["zoho.com"],
        source: "https://www.zoho.com/mail/help/imap-access.html" },
    Preset { name: "zoho-eu", display: "Zoho Mail (EU)", provider: "zoho", host: "imap.zoho.eu", port: 993,
        mail_domains: &["zoho.eu", "zohomail.eu"],
        mx_suffixes: &["zoho.eu"],
        source: "https://www.zoho.com/mail/help/imap-access.html" },
    Preset { name: "yandex", display: "Yandex Mail", provider: "yandex", host: "imap.yandex.com", port: 993,
        mail_domains: &["yandex.com", "yandex.ru", "ya.ru"],
        mx_suffixes: &["yandex.net"],
        source: "https://yandex.com/support/mail/mail-clients/others.html" },
];

/// The preset of the provider that owns the mail domain `domain` (`gmail.com` → Gmail).
pub fn preset_for_mail_domain(domain: &str) -> Option<&'static Preset> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    PRESETS
        .iter()
        .find(|p| p.mail_domains.contains(&domain.as_str()))
}

/// The preset named `name` (`--provider`), ignoring case.
pub fn preset_named(name: &str) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
}

/// The preset whose inbound mail servers an MX host name belongs to
/// (`contoso-com.mail.protection.outlook.com` → Microsoft 365).
pub fn preset_for_mx(exchange: &str) -> Option<&'static Preset> {
    let host = exchange.trim_end_matches('.').to_ascii_lowercase();
    PRESETS.iter().find(|p| {
        p.mx_suffixes
            .iter()
            .any(|s| host.ends_with(&format!(".{s}")))
    })
}

/// The IMAP server for addresses at `domain`, when it is a big provider's mail domain.
pub fn imap_host_for_mail_domain(domain: &str) -> Option<&'static str> {
    preset_for_mail_domain(domain).map(|p| p.host)
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
    fn presets_cover_the_providers_own_domains_and_their_mx() {
        assert_eq!(
            preset_for_mail_domain("Gmail.com.").unwrap().host,
            "imap.gmail.com"
        );
        assert_eq!(
            preset_for_mail_domain("hotmail.com").unwrap().name,
            "microsoft"
        );
        assert_eq!(
            preset_for_mail_domain("web.de").unwrap().host,
            "imap.web.de"
        );
        assert!(preset_for_mail_domain("example.com").is_none());
        assert_eq!(
            preset_for_mx("contoso-com.mail.protection.outlook.com.")
                .unwrap()
                .name,
            "microsoft"
        );
        assert_eq!(preset_for_mx("ASPMX.L.GOOGLE.COM").unwrap().name, "google");
        assert_eq!(
            preset_for_mx("alt1.aspmx.l.google.com").unwrap().name,
            "google"
        );
        assert_eq!(
            preset_for_mx("mx01.mail.icloud.com").unwrap().name,
            "icloud"
        );
        assert!(preset_for_mx("google.com.evil.test").is_none());
        assert!(preset_for_mx("notgoogle.com").is_none());
        assert_eq!(
            preset_named(" Microsoft").unwrap().host,
            "outlook.office365.com"
        );
        for name in [
            "microsoft",
            "google",
            "icloud",
            "yahoo",
            "aol",
            "fastmail",
            "gmx",
            "webde",
            "zoho",
        ] {
            assert!(preset_named(name).is_some(), "{name}");
        }
    }

    #[test]
    fn every_preset_is_documented_and_its_host_is_its_providers() {
        for (i, preset) in PRESETS.iter().enumerate() {
            assert!(preset.source.starts_with("https://"), "{}", preset.name);
            assert_eq!(
                by_host(preset.host).map(|p| p.id),
                Some(preset.provider),
                "{}",
                preset.name
            );
            assert!(by_id(preset.provider).is_some(), "{}", preset.name);
            for other in &PRESETS[i + 1..] {
                assert_ne!(other.name, preset.name);
                assert!(
                    preset
                        .mail_domains
                        .iter()
                        .all(|d| !other.mail_domains.contains(d)),
                    "{d:?}",
                    d = preset.name
                );
            }
        }
    }

    #[test]
    fn hosts_map_to_providers() {
        assert_eq!(by_host("outlook.office365.com").unwrap().id, "microsoft");
        assert_eq!(by_host("imap.gmail.com.").unwrap().id, "google");
        assert!(by_host("mail.example.org").is_none());
        assert!(by_host("notgmail.com").is_none());
    }
}
