//! Reading autoconfig documents: real ISPDB-style documents, placeholders, and the faults a
//! server's document can have.

use super::*;

const ADDRESS: &str = "alice@example.test";
const DOMAIN: &str = "example.test";

fn parse(xml: &str) -> Result<Vec<ImapServer>, String> {
    imap_servers(xml.as_bytes(), ADDRESS, DOMAIN)
}

fn imap(host: &str, port: u16, security: Security) -> ImapServer {
    ImapServer {
        host: host.into(),
        port,
        security,
    }
}

/// The shape of Thunderbird's ISPDB entry for FastMail: IMAP, POP3 and SMTP, instructions.
const FASTMAIL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="fastmail.com">
    <domain>fastmail.com</domain>
    <displayName>Fastmail</displayName>
    <displayShortName>Fastmail</displayShortName>
    <incomingServer type="imap">
      <hostname>imap.fastmail.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.fastmail.com</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.fastmail.com</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <instruction url="https://www.fastmail.com/help/clients/thunderbird.html">
      <descr lang="en">Using Fastmail with Thunderbird</descr>
    </instruction>
  </emailProvider>
</clientConfig>
"#;

/// The shape of a GMX-style entry: no version attribute, several domains, POP3 listed first.
const GMX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig>
  <emailProvider id="gmx.com">
    <domain>gmx.com</domain>
    <domain>gmx.us</domain>
    <displayName>GMX Freemail</displayName>
    <incomingServer type="pop3">
      <hostname>pop.gmx.com</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.gmx.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.gmx.com</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.gmx.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#;

/// A hosting provider's generic entry: host names built from the address's domain.
const TEMPLATE: &str = r#"<clientConfig version="1.1"><emailProvider id="example.test">
  <incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>993</port>
    <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <incomingServer type="imap"><hostname>mail.%EMAILDOMAIN%</hostname><port>143</port>
    <socketType>plain</socketType><username>%EMAILADDRESS%</username></incomingServer>
</emailProvider></clientConfig>"#;

#[test]
fn a_fastmail_document_gives_its_imap_server_only() {
    assert_eq!(
        parse(FASTMAIL),
        Ok(vec![imap("imap.fastmail.com", 993, Security::Tls)])
    );
}

#[test]
fn imap_servers_keep_document_order_and_pop3_is_ignored() {
    assert_eq!(
        parse(GMX),
        Ok(vec![
            imap("imap.gmx.com", 993, Security::Tls),
            imap("imap.gmx.com", 143, Security::Starttls),
        ])
    );
}

#[test]
fn placeholders_are_filled_from_the_address() {
    assert_eq!(
        parse(TEMPLATE),
        Ok(vec![
            imap("imap.example.test", 993, Security::Tls),
            imap("mail.example.test", 143, Security::None),
        ])
    );
    assert_eq!(
        fill(
            "%EMAILLOCALPART% at %EMAILDOMAIN% (%EMAILADDRESS%)",
            ADDRESS,
            "alice",
            DOMAIN
        ),
        "alice at example.test (alice@example.test)"
    );
}

#[test]
fn a_local_part_in_a_host_name_is_checked_like_any_host() {
    let xml = TEMPLATE.replace("imap.%EMAILDOMAIN%", "%EMAILLOCALPART%.mail.test");
    assert_eq!(
        parse(&xml).unwrap()[0],
        imap("alice.mail.test", 993, Security::Tls)
    );
    let xml = TEMPLATE.replace("mail.%EMAILDOMAIN%", "%EMAILADDRESS%");
    let servers = parse(&xml).unwrap();
    assert_eq!(
        servers.len(),
        1,
        "the entry naming host alice@… is left out"
    );
}

#[test]
fn an_internationalised_host_name_is_converted_to_its_a_label() {
    let xml = TEMPLATE.replace("imap.%EMAILDOMAIN%", "imap.bücher.test");
    assert_eq!(parse(&xml).unwrap()[0].host, "imap.xn--bcher-kva.test");
}

#[test]
fn socket_types_are_read_regardless_of_case() {
    let xml = GMX
        .replace(">SSL<", ">ssl<")
        .replace(">STARTTLS<", ">StartTLS<");
    let securities: Vec<_> = parse(&xml).unwrap().iter().map(|s| s.security).collect();
    assert_eq!(securities, [Security::Tls, Security::Starttls]);
}

#[test]
fn html_is_not_xml() {
    let why = parse("<!DOCTYPE html><html><body>Not found</body></html>").unwrap_err();
    assert!(why.starts_with("not XML"), "{why}");
}

#[test]
fn a_dtd_is_refused() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE clientConfig [<!ENTITY a "aaaaaaaaaa">]>
<clientConfig><emailProvider><incomingServer type="imap"><hostname>&a;.test</hostname>
<port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>"#;
    let why = parse(xml).unwrap_err();
    assert!(why.starts_with("not XML"), "{why}");
}

#[test]
fn another_root_element_is_not_an_autoconfig_document() {
    let why = parse("<Autodiscover><Response/></Autodiscover>").unwrap_err();
    assert_eq!(
        why,
        "not an autoconfig document: the root element is <Autodiscover>, not <clientConfig>"
    );
}

#[test]
fn a_document_without_imap_says_so() {
    let xml = FASTMAIL.replace(r#"type="imap""#, r#"type="exchange""#);
    assert_eq!(
        parse(&xml),
        Err("the document lists no IMAP server".to_string())
    );
}

#[test]
fn unusable_entries_are_explained_when_nothing_is_left() {
    let cases = [
        (
            "<port>993</port>",
            "<port>99999</port>",
            "bad <port> \"99999\"",
        ),
        ("<port>993</port>", "", "no <port>"),
        (
            "<socketType>SSL</socketType>",
            "<socketType>TLS1.3</socketType>",
            "unknown <socketType> \"TLS1.3\"",
        ),
        (
            "imap.fastmail.com",
            "imap fastmail",
            "bad <hostname> \"imap fastmail\"",
        ),
        (
            "<hostname>imap.fastmail.com</hostname>",
            "<hostname> </hostname>",
            "no <hostname>",
        ),
    ];
    for (from, to, expected) in cases {
        let xml = FASTMAIL.replacen(from, to, 1);
        let why = parse(&xml).unwrap_err();
        assert!(
            why.starts_with("no usable IMAP server (IMAP server 1: ") && why.contains(expected),
            "{from} -> {to}: {why}"
        );
    }
}

#[test]
fn server_text_in_errors_is_sanitized() {
    // XML 1.0 forbids C0 controls but allows C1 ones (CSI) and bidirectional overrides.
    let xml = FASTMAIL.replace("imap.fastmail.com", "imap.\u{9b}31mred\u{202e}.test");
    let why = parse(&xml).unwrap_err();
    assert!(
        !why.contains('\u{9b}') && !why.contains('\u{202e}'),
        "{why:?}"
    );
    assert!(why.contains("\\x9b") && why.contains("\\u{202e}"), "{why}");
}

#[test]
fn invalid_utf8_is_not_xml() {
    let why = imap_servers(b"<clientConfig>\xff</clientConfig>", ADDRESS, DOMAIN).unwrap_err();
    assert!(why.starts_with("not XML: not UTF-8"), "{why}");
}
