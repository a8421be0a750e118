//! The decision table: each failing check's error code → which side owns it, the verdict code, a
//! plain-language summary and hints. Network rows can be overridden by the control probe (see
//! `mod.rs`); auth and folders rows are refined by the server's response code (see `responses.rs`).

use crate::report::Fault;

/// One row of the table.
pub struct Rule {
    /// The check error code this row matches (`tcp.refused`).
    pub code: &'static str,
    /// Who owns the problem when nothing else is known.
    pub fault: Fault,
    /// The verdict's summary (after the owner's sentence opening).
    pub summary: &'static str,
    /// What to do next.
    pub hints: &'static [&'static str],
}

/// The hint for a silent plaintext port; dropped when implicit TLS is ruled out there.
pub const IMPLICIT_TLS_HINT: &str =
    "If this port expects implicit TLS, use --security tls (usually port 993).";

/// The table. Order does not matter; codes are unique.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    Rule { code: "discover.not_found", fault: Fault::Config, summary: "no IMAP server could be found for the e-mail address: its domain is no built-in provider's, and publishes no IMAP SRV record, no autoconfig document and no MX of a known provider.", hints: &["Give the IMAP server as TARGET and the address as --user: imapdoctor IMAP-HOST --user ADDRESS (the provider's help pages name it; often imap.DOMAIN or mail.DOMAIN).", "If a big provider hosts the domain, --provider NAME applies its settings (microsoft, google, icloud, yahoo, aol, fastmail, gmx, gmx-com, webde, zoho, zoho-eu, yandex).", "The domain's administrator can publish _imaps._tcp SRV records (RFC 6186) so that mail apps find the server."] },
    Rule { code: "discover.no_answer", fault: Fault::Local, summary: "no DNS answer came back for the e-mail address's domain (SRV, MX), so its server could not be looked up.", hints: &["Check the network connection and the DNS settings (VPN, proxy, captive portal sign-in page).", "Or give the IMAP server as TARGET and the address as --user."] },
    Rule { code: "discover.provider_mismatch", fault: Fault::Config, summary: "the server checked is not where the --user address's mail is: the address's domain is another provider's (its MX, or a provider's own domain).", hints: &["Check the server against the address's provider (see the discover check), or the --user address against the server."] },
    Rule { code: "dns.nxdomain", fault: Fault::Config, summary: "the server name does not exist in DNS (NXDOMAIN).", hints: &["Check the spelling of the server name.", "Compare with the provider's documented IMAP host (e.g. outlook.office365.com, imap.gmail.com)."] },
    Rule { code: "dns.no_address", fault: Fault::Config, summary: "the server name exists but has no address (no A or AAAA record).", hints: &["Check the server name: it may be a mail domain rather than the IMAP host (e.g. example.com instead of imap.example.com)."] },
    Rule { code: "dns.servfail", fault: Fault::Server, summary: "the DNS servers responsible for the name are failing (SERVFAIL).", hints: &["The mail provider's DNS is broken or unreachable: retry later, or contact the provider.", "Meanwhile, --resolve HOST:PORT:ADDRESS can test the server by its address."] },
    Rule { code: "dns.no_nameserver_answers", fault: Fault::Local, summary: "none of this computer's DNS servers answers.", hints: &["Check the network connection and the DNS settings (VPN, proxy, captive portal sign-in page).", "Try another network to confirm."] },
    Rule { code: "dns.no_nameservers", fault: Fault::Local, summary: "this computer has no DNS server configured.", hints: &["Check the network settings (DHCP, VPN)."] },
    Rule { code: "dns.refused", fault: Fault::Local, summary: "this computer's DNS servers refuse to answer.", hints: &["The configured DNS server does not serve this computer: check the network and VPN settings."] },
    Rule { code: "dns.os_resolver_failed", fault: Fault::Local, summary: "the DNS servers know the name, but this computer's resolver could not resolve it.", hints: &["Check the hosts file, VPN split-DNS and resolver settings on this computer."] },
    Rule { code: "network.nothing_reachable", fault: Fault::Local, summary: "a network layer failed and the known-good control endpoints cannot be reached either.", hints: &["Check this computer's network connection (Wi-Fi, cable, VPN, proxy, captive portal sign-in page), then run imapdoctor again."] },
    Rule { code: "tcp.refused", fault: Fault::Server, summary: "the host answers, but nothing accepts IMAP connections on this port (the service is down, or the port is wrong).", hints: &["Check the port: implicit TLS is usually 993, STARTTLS 143.", "If the settings are right, the IMAP service at the server is down: contact the mail provider."] },
    Rule { code: "tcp.timeout", fault: Fault::Server, summary: "the connection attempt got no answer: the server or the path to it drops packets.", hints: &["A firewall on this network (corporate, hotel, guest Wi-Fi) may block the IMAP port: try another network.", "If other networks fail too, the server is down or unreachable: contact the mail provider."] },
    Rule { code: "tcp.port_blocked", fault: Fault::Local, summary: "the IMAP port is blocked between this computer and the server: the server answers on port 443 but not on the IMAP port.", hints: &["Corporate, hotel and guest networks often block mail ports: try another network (e.g. a phone hotspot) to confirm.", "Ask the network's administrator to allow outgoing TCP to the IMAP port."] },
    Rule { code: "tcp.ipv6_broken", fault: Fault::Local, summary: "IPv6 is broken on this network (IPv4 works, so this check passed; clients that try IPv6 first may hang).", hints: &["Fix IPv6 on the network (router, VPN), or disable IPv6 on this computer as a workaround."] },
    Rule { code: "tcp.unreachable", fault: Fault::Local, summary: "this computer has no route to the server.", hints: &["Check the network connection (Wi-Fi, cable, VPN)."] },
    Rule { code: "tcp.failed", fault: Fault::Server, summary: "the connection could not be established.", hints: &["Try again, and from another network to narrow it down."] },
    Rule { code: "tls.certificate_expired", fault: Fault::Server, summary: "the server's certificate has expired.", hints: &["The mail provider must renew the certificate.", "If the date on this computer is wrong, fix the clock first: it makes valid certificates look expired."] },
    Rule { code: "tls.certificate_not_yet_valid", fault: Fault::Server, summary: "the server's certificate is not valid yet.", hints: &["Check this computer's date and time first.", "Otherwise the mail provider installed a certificate dated in the future."] },
    Rule { code: "tls.name_mismatch", fault: Fault::Server, summary: "the server's certificate is for a different name.", hints: &["Use the server name the certificate is issued for (see the tls check).", "Otherwise the mail provider must fix the certificate."] },
    Rule { code: "tls.unknown_issuer", fault: Fault::Server, summary: "the server's certificate is not issued by a trusted authority.", hints: &["If the server uses a private CA, pass its certificate with --ca-file.", "If the issuer names antivirus or proxy software, it is intercepting TLS on this computer."] },
    Rule { code: "tls.self_signed", fault: Fault::Server, summary: "the server presents a self-signed certificate.", hints: &["If you trust this server, pass its certificate with --ca-file.", "Otherwise the mail provider must install a certificate from a public authority."] },
    Rule { code: "tls.certificate_revoked", fault: Fault::Server, summary: "the server's certificate was revoked.", hints: &["The mail provider must install a new certificate."] },
    Rule { code: "tls.certificate_invalid", fault: Fault::Server, summary: "the server's certificate is invalid.", hints: &["See the tls check for the verifier's message."] },
    Rule { code: "tls.intercepted", fault: Fault::Local, summary: "software on this computer or network intercepts TLS and presents its own certificate instead of the server's.", hints: &["Antivirus \"mail shields\" and corporate proxies do this: turn off the product's e-mail/TLS scanning, or ask IT to exempt the mail server.", "Mail apps that do not trust that product's root will refuse to connect."] },
    Rule { code: "tls.clock_wrong", fault: Fault::Local, summary: "this computer's clock is wrong: the server's and the control endpoints' certificates all look out of their validity period.", hints: &["Set the date, time and time zone (enable automatic time), then retry."] },
    Rule { code: "tls.plaintext_greeting", fault: Fault::Config, summary: "this port speaks plain IMAP / STARTTLS, not implicit TLS.", hints: &["Try --security starttls, or port 993 for implicit TLS."] },
    Rule { code: "tls.not_tls", fault: Fault::Config, summary: "this port does not speak TLS or IMAP.", hints: &["Check the host and port: implicit TLS IMAP is usually 993."] },
    Rule { code: "tls.bye", fault: Fault::Server, summary: "the server refused the connection with a plaintext BYE before TLS (its connection filter speaks first: maintenance, overload, or a limit on this address).", hints: &["The BYE text says why (see the tls check): retry later, or contact the mail provider."] },
    Rule { code: "tls.protocol_version", fault: Fault::Server, summary: "the server offers no TLS version or cipher a current client accepts (TLS 1.0/1.1 only?).", hints: &["The mail provider must enable TLS 1.2 or 1.3."] },
    Rule { code: "tls.handshake_failed", fault: Fault::Server, summary: "the TLS handshake failed.", hints: &["See the tls check for the details."] },
    Rule { code: "tls.timeout", fault: Fault::Server, summary: "the server accepted the connection but never completed the TLS handshake.", hints: &["If this port speaks STARTTLS, use --security starttls (usually port 143).", "Otherwise the server is overloaded or broken: contact the mail provider."] },
    Rule { code: "tls.closed", fault: Fault::Server, summary: "the server closed the connection during the TLS handshake.", hints: &["Something between this computer and the server may reset TLS connections; try another network."] },
    Rule { code: "tls.no_trust_store", fault: Fault::Local, summary: "this computer has no usable certificate trust store.", hints: &["Install the system CA certificates (e.g. the ca-certificates package), or pass --ca-file.", "If SSL_CERT_FILE is set, it must name a readable PEM file (the tls check says which file failed)."] },
    Rule { code: "tls.bad_server_name", fault: Fault::Config, summary: "the server name is not valid for TLS.", hints: &["Check the host name."] },
    Rule { code: "capability.bye", fault: Fault::Server, summary: "the server refused the session in its greeting.", hints: &["The greeting text says why (see the capability check); it is usually overload or maintenance: retry later, or contact the mail provider."] },
    Rule { code: "capability.timeout", fault: Fault::Server, summary: "the server accepted the connection but sent no greeting.", hints: &[IMPLICIT_TLS_HINT, "The server may be overloaded or hung: retry later, or contact the mail provider."] },
    Rule { code: "capability.closed", fault: Fault::Server, summary: "the server closed the connection right after accepting it.", hints: &["The server may be overloaded, or rejects this computer's address: contact the mail provider."] },
    Rule { code: "capability.too_long", fault: Fault::Server, summary: "the server sends an endless line instead of a greeting.", hints: &["The server is broken or this is not an IMAP server: check the host and port."] },
    Rule { code: "capability.tls_port", fault: Fault::Config, summary: "this port speaks implicit TLS, not plaintext IMAP / STARTTLS.", hints: &["Use imaps://host (or --security tls), usually port 993."] },
    Rule { code: "capability.not_imap", fault: Fault::Config, summary: "the service on this port is not IMAP.", hints: &["Check the host and port: IMAP is 993 (implicit TLS) or 143 (STARTTLS)."] },
    Rule { code: "capability.bad_greeting", fault: Fault::Server, summary: "the server's greeting is not valid IMAP.", hints: &["Contact the mail provider with the transcript (-v)."] },
    Rule { code: "capability.starttls_unavailable", fault: Fault::Config, summary: "the server does not offer STARTTLS on this port.", hints: &["Use implicit TLS instead: imaps://host (port 993)."] },
    Rule { code: "capability.starttls_refused", fault: Fault::Server, summary: "the server advertises STARTTLS but refused it.", hints: &["Use implicit TLS instead (port 993), or contact the mail provider."] },
    Rule { code: "capability.starttls_injection", fault: Fault::Server, summary: "data arrived between the STARTTLS reply and the TLS handshake (possible tampering on the path).", hints: &["Do not use this connection; try another network, and report it to the mail provider."] },
    Rule { code: "capability.command_failed", fault: Fault::Server, summary: "the server refused the CAPABILITY command.", hints: &["Contact the mail provider with the transcript (-v)."] },
    Rule { code: "auth.plaintext_refused", fault: Fault::Config, summary: "credentials would travel unencrypted, so imapdoctor did not send them.", hints: &["Use imaps:// (port 993) or STARTTLS.", "Only on a trusted test network: --security none --allow-plaintext-auth."] },
    Rule { code: "auth.no_mechanism", fault: Fault::Config, summary: "there is no way to log in with what was given and what the server offers.", hints: &["See the auth check; try --auth, or a token in IMAPDOCTOR_OAUTH_TOKEN for XOAUTH2."] },
    Rule { code: "auth.encryption_required", fault: Fault::Config, summary: "the server requires encryption before login (it advertises LOGINDISABLED on this unencrypted connection), so no credentials were sent.", hints: &["Use imaps:// (implicit TLS, usually port 993) or STARTTLS (imap://, usually port 143)."] },
    Rule { code: "auth.mechanism_not_offered", fault: Fault::Config, summary: "the server does not offer the authentication mechanism the credentials need.", hints: &["Use what the server offers (see the capability check): a password instead of a token, or another --auth."] },
    Rule { code: "auth.rejected", fault: Fault::Account, summary: "the server rejected the credentials.", hints: &["Check the user name (often the full e-mail address) and the password.", "Many providers require an app password or OAuth2 for IMAP."] },
    Rule { code: "auth.bad", fault: Fault::Config, summary: "the server did not accept the login command as valid.", hints: &["Try another mechanism with --auth."] },
    Rule { code: "auth.bye", fault: Fault::Server, summary: "the server ended the session during login.", hints: &["The BYE text says why (see the auth check)."] },
    Rule { code: "auth.timeout", fault: Fault::Server, summary: "the server did not answer the login in time. Servers delay failed logins on purpose (Dovecot up to 15 s after repeated failures from one address, Courier 5 s, Cyrus 3 s), so the server may be throttling failed logins from this address (then the account's failed logins are the cause), or its authentication backend hangs.", hints: &["Wait a minute and retry with the right password: a throttled address recovers, a hanging backend does not.", "--login-timeout SECS waits longer for a slow login (default 30)."] },
    Rule { code: "auth.closed", fault: Fault::Server, summary: "the server closed the connection during login.", hints: &["Retry later, or contact the mail provider."] },
    Rule { code: "folders.mailbox_missing", fault: Fault::Config, summary: "the mailbox named does not exist.", hints: &["Check the name with --mailbox (see the folders check for the list), or omit it for INBOX."] },
    Rule { code: "folders.not_provisioned", fault: Fault::Account, summary: "the login works, but the account has no mailboxes at all (LIST is empty and the mailbox cannot be opened): its mailbox is not provisioned.", hints: &["Ask the mail administrator to create the mailbox for this account (new accounts can take a while to be provisioned)."] },
    Rule { code: "folders.refused", fault: Fault::Account, summary: "the server refused to open the mailbox for this account.", hints: &["The account may lack permission on this mailbox; see the folders check."] },
    Rule { code: "folders.bad", fault: Fault::Server, summary: "the server rejected mailbox commands after a successful login.", hints: &["See the folders check and the transcript (-v)."] },
    Rule { code: "folders.bye", fault: Fault::Server, summary: "the server ended the session after login.", hints: &["The BYE text says why (see the folders check)."] },
    Rule { code: "folders.timeout", fault: Fault::Server, summary: "the server hangs after login (no answer to LIST / EXAMINE / STATUS).", hints: &["The mailbox backend may be down or overloaded: retry later, or contact the mail provider."] },
    Rule { code: "folders.too_long", fault: Fault::Server, summary: "the server answers mailbox commands with an endless stream of data.", hints: &["The server is broken: contact the mail provider with the transcript (-v)."] },
    Rule { code: "auth.too_long", fault: Fault::Server, summary: "the server answers the login with an endless stream of data.", hints: &["The server is broken: contact the mail provider with the transcript (-v)."] },
    Rule { code: "folders.closed", fault: Fault::Server, summary: "the server closed the connection after login.", hints: &["Retry later; if it goes on, and for this account only, ask the mail administrator whether IMAP is enabled for the account and how many connections it may have open."] },
];

/// The row for a check error code.
pub fn lookup(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_dotted() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(rule.code.contains('.'), "{}", rule.code);
            assert!(
                RULES[i + 1..].iter().all(|r| r.code != rule.code),
                "duplicate {}",
                rule.code
            );
            assert!(!rule.hints.is_empty(), "{} has no hint", rule.code);
        }
    }
}
