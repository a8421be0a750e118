//! The autoconfig document itself: Thunderbird's `config-v1.1.xml` format (the one its ISPDB and
//! providers' `autoconfig.DOMAIN` servers publish). Only the IMAP servers are read, in document
//! order; POP3 and SMTP entries are ignored. Placeholders in host names are filled in from the
//! address, and every host name is checked the way a typed target is ([`crate::host`]).
//!
//! The document came off the network: everything taken from it, and every error that quotes it,
//! is sanitized ([`crate::sanitize`]). roxmltree refuses DTDs (so no entity expansion), and the
//! caller bounds the input's size.

use crate::config::Security;

use super::ImapServer;

/// Longest piece of server text quoted in an error.
const QUOTE: usize = 80;

/// Most XML nodes read from one document (the size bound already limits them; this keeps a
/// document of tiny elements cheap too).
const MAX_NODES: u32 = 20_000;

/// The IMAP servers a document lists, with placeholders filled in from `address` (its local part)
/// and `domain`. `Err` says why the document gives none: not XML, not an autoconfig document, no
/// IMAP server, or none usable (then with the first entry's fault). An unusable entry beside
/// usable ones is left out.
pub fn imap_servers(xml: &[u8], address: &str, domain: &str) -> Result<Vec<ImapServer>, String> {
    let text = std::str::from_utf8(xml).map_err(|e| format!("not XML: not UTF-8 ({e})"))?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| format!("not XML: {}", crate::sanitize::within(&e.to_string(), 200)))?;
    let root = document.root_element();
    if root.tag_name().name() != "clientConfig" {
        return Err(format!(
            "not an autoconfig document: the root element is <{}>, not <clientConfig>",
            crate::sanitize::within(root.tag_name().name(), QUOTE)
        ));
    }
    let entries: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("emailProvider"))
        .flat_map(|provider| provider.children())
        .filter(|n| {
            n.has_tag_name("incomingServer")
                && n.attribute("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("imap"))
        })
        .collect();
    if entries.is_empty() {
        return Err("the document lists no IMAP server".into());
    }
    let local_part = address.rsplit_once('@').map_or(address, |(local, _)| local);
    let mut servers = Vec::new();
    let mut first_fault = None;
    for (index, entry) in entries.iter().enumerate() {
        match server(*entry, address, local_part, domain) {
            Ok(server) => servers.push(server),
            Err(why) => {
                first_fault.get_or_insert_with(|| format!("IMAP server {}: {why}", index + 1));
            }
        }
    }
    match (servers.is_empty(), first_fault) {
        (true, Some(fault)) => Err(format!("no usable IMAP server ({fault})")),
        _ => Ok(servers),
    }
}

/// One `<incomingServer type="imap">` entry.
fn server(
    entry: roxmltree::Node,
    address: &str,
    local_part: &str,
    domain: &str,
) -> Result<ImapServer, String> {
    let hostname = field(entry, "hostname")?;
    let filled = fill(hostname, address, local_part, domain);
    let host = crate::host::to_ascii(&filled).map_err(|why| {
        format!(
            "bad <hostname> {:?}: {}",
            crate::sanitize::within(&filled, QUOTE),
            crate::sanitize::within(&why, 200)
        )
    })?;
    let port = field(entry, "port")?;
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("bad <port> {:?}", crate::sanitize::within(port, QUOTE)))?;
    let socket_type = field(entry, "socketType")?;
    let security = match socket_type.to_ascii_uppercase().as_str() {
        "SSL" => Security::Tls,
        "STARTTLS" => Security::Starttls,
        "PLAIN" => Security::None,
        _ => {
            return Err(format!(
                "unknown <socketType> {:?} (SSL, STARTTLS or plain)",
                crate::sanitize::within(socket_type, QUOTE)
            ));
        }
    };
    Ok(ImapServer {
        host,
        port,
        security,
    })
}

/// The trimmed text of the entry's child element `name`.
fn field<'a>(entry: roxmltree::Node<'a, '_>, name: &str) -> Result<&'a str, String> {
    entry
        .children()
        .find(|n| n.has_tag_name(name))
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("no <{name}>"))
}

/// Fills Thunderbird's placeholders: `%EMAILADDRESS%`, `%EMAILLOCALPART%`, `%EMAILDOMAIN%`.
pub fn fill(text: &str, address: &str, local_part: &str, domain: &str) -> String {
    text.replace("%EMAILADDRESS%", address)
        .replace("%EMAILLOCALPART%", local_part)
        .replace("%EMAILDOMAIN%", domain)
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
