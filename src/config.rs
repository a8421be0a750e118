//! The plain, validated settings of a run, built from the command line. Checks read this and never
//! see clap types.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// How the connection is secured.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS: the TLS handshake comes first (usually port 993).
    Tls,
    /// A plaintext greeting, then STARTTLS (usually port 143).
    Starttls,
    /// No encryption at all.
    None,
}

impl Security {
    /// The usual port for this security.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::Starttls | Security::None => 143,
        }
    }

    /// How it is written in reports.
    pub fn describe(self) -> &'static str {
        match self {
            Security::Tls => "implicit TLS",
            Security::Starttls => "STARTTLS",
            Security::None => "no encryption",
        }
    }
}

/// The server to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The argument as given.
    pub input: String,
    /// IP literal (without brackets) or host name, a name in its A-label form (UTS 46): what DNS,
    /// TLS and `--resolve` use. [`Target::host_unicode`] gives the Unicode form for display.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Connection security.
    pub security: Security,
}

/// The authentication mechanism to use.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum AuthMechanism {
    /// The IMAP LOGIN command.
    Login,
    /// AUTHENTICATE PLAIN (RFC 4616).
    Plain,
    /// AUTHENTICATE XOAUTH2 (Google, Microsoft).
    Xoauth2,
    /// AUTHENTICATE OAUTHBEARER (RFC 7628).
    Oauthbearer,
}

impl AuthMechanism {
    /// Whether this mechanism sends a bearer token rather than a password.
    pub fn uses_token(self) -> bool {
        matches!(self, AuthMechanism::Xoauth2 | AuthMechanism::Oauthbearer)
    }
}

/// What to log in with.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password or token.
    pub secret: Secret,
    /// Forced mechanism (`--auth`), or `None` to choose from the capabilities.
    pub mechanism: Option<AuthMechanism>,
    /// Whether `secret` is an OAuth2 bearer token.
    pub is_token: bool,
    /// Where the token came from when imapdoctor signed in for it (`--oauth`).
    pub token_origin: Option<crate::report::token::TokenOrigin>,
}

/// A known-good endpoint to compare with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ControlEndpoint {
    /// Host name.
    pub host: String,
    /// Port (implicit TLS).
    pub port: u16,
}

/// Everything a check run needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The server to check.
    pub target: Target,
    /// Credentials, when logging in (`--user`).
    pub credentials: Option<Credentials>,
    /// The user name even when no secret is available (for the report).
    pub user: Option<String>,
    /// Mailbox for the folders check.
    pub mailbox: String,
    /// Extra trust anchors (PEM file contents, DER-decoded).
    pub extra_roots: Vec<rustls_pki_types::CertificateDer<'static>>,
    /// Where the extra anchors came from (for the report).
    pub ca_file: Option<PathBuf>,
    /// Do not verify the certificate.
    pub insecure: bool,
    /// Bound on each network step.
    pub step_timeout: Duration,
    /// Bound on the login (servers delay failed logins on purpose).
    pub login_timeout: Duration,
    /// Bound on the whole run.
    pub max_time: Option<Duration>,
    /// Addresses to use instead of resolving, as curl's `--resolve` (host, port, addresses in order).
    pub resolve: Vec<(String, u16, Vec<IpAddr>)>,
    /// Known-good endpoints to compare with.
    pub controls: Vec<ControlEndpoint>,
    /// Permit credentials over an unencrypted connection (with `--security none` only).
    pub allow_plaintext_auth: bool,
    /// Keep the protocol transcript in the report.
    pub verbose: bool,
    /// What the discover check does: find the server of an e-mail address given as TARGET (then
    /// `target` is a stand-in until it is found), or compare the server with the `--user`
    /// address's provider; `None`: nothing (the check is skipped).
    pub discovery: Option<crate::discover::Request>,
}

impl Config {
    /// The override addresses for the target, if `--resolve` gave any (names compare in their
    /// A-label form, ignoring case and a trailing root dot).
    pub fn resolved_override(&self) -> Option<Vec<SocketAddr>> {
        self.resolve
            .iter()
            .find(|(h, p, _)| self.is_target(h, *p))
            .map(|(_, p, addrs)| addrs.iter().map(|a| SocketAddr::new(*a, *p)).collect())
    }

    /// The `--resolve` entries nothing uses: for another host or port than the target's (none
    /// while the target is an e-mail address whose server is not found yet).
    pub fn unused_resolve(&self) -> impl Iterator<Item = &(String, u16, Vec<IpAddr>)> {
        let finding = matches!(
            &self.discovery,
            Some(r) if matches!(r.goal, crate::discover::Goal::Find { .. })
        );
        self.resolve
            .iter()
            .filter(move |(h, p, _)| !finding && !self.is_target(h, *p))
    }

    fn is_target(&self, host: &str, port: u16) -> bool {
        let name = |h: &str| h.trim_end_matches('.').to_ascii_lowercase();
        name(host) == name(&self.target.host) && port == self.target.port
    }
}

/// A problem with what the user typed.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The TARGET could not be understood.
    #[error("cannot understand target {0:?}: {1}")]
    Target(String, String),
    /// `--provider` names no preset (the name, the known names).
    #[error("--provider {0:?} is not a known provider; the names are: {1}")]
    Provider(String, String),
    /// `--provider` with a TARGET that is not an e-mail address.
    #[error(
        "--provider applies to an e-mail address given as TARGET (imapdoctor --provider NAME alice@example.com), not to a server"
    )]
    ProviderWithoutAddress,
    /// `--port` disagrees with the port in TARGET.
    #[error("--port {0} contradicts the port {1} in the target")]
    PortConflict(u16, u16),
    /// A `--resolve` entry could not be understood.
    #[error("--resolve {0:?}: expected HOST:PORT:ADDRESS[,ADDRESS...]")]
    Resolve(String),
    /// A `--control` entry could not be understood.
    #[error("--control {0:?}: expected HOST[:PORT]")]
    Control(String),
    /// A host name in `--resolve` or `--control` is not valid (the option, the entry, why).
    #[error("{0} {1:?}: {2}")]
    Host(&'static str, String, String),
    /// The CA file could not be used.
    #[error("--ca-file {0}: {1}")]
    CaFile(String, String),
    /// No way to get the password.
    #[error("{0}")]
    Credentials(String),
    /// `@NAME` names no usable profile (why, and the known names).
    #[error("{0}")]
    Profile(String),
    /// A value that cannot travel in an IMAP command (the option, the character's name).
    #[error("{0} contains {1}, which cannot be sent in an IMAP command")]
    Unsendable(&'static str, &'static str),
}

/// Refuses a value for `option` (`--user`, `--mailbox`) holding CR, LF or NUL: none can be sent in
/// an IMAP string (RFC 3501 §4.3); a line break would end the command early, a NUL split a SASL
/// PLAIN message.
pub fn sendable(option: &'static str, value: &str) -> Result<(), UsageError> {
    let name = |c: char| match c {
        '\r' => Some("a carriage return (CR)"),
        '\n' => Some("a line feed (LF)"),
        '\0' => Some("a NUL character"),
        _ => None,
    };
    match value.chars().find_map(name) {
        Some(found) => Err(UsageError::Unsendable(option, found)),
        None => Ok(()),
    }
}

/// Splits `host`, `host:port`, `[v6]:port` or a bare IPv6 literal.
fn split_host_port(s: &str) -> Result<(String, Option<u16>), &'static str> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed '[' in IPv6 address")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("brackets are only for IPv6 addresses");
        }
        let port = match after {
            "" => None,
            p => Some(parse_port(p.strip_prefix(':').ok_or("junk after ']'")?)?),
        };
        return Ok((host.to_string(), port));
    }
    if s.parse::<IpAddr>().is_ok() {
        return Ok((s.to_string(), None));
    }
    match s.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => Err(
            "more than one ':' (give the port once; an IPv6 address goes in brackets, as [2001:db8::1]:993)",
        ),
        Some((host, port)) => Ok((host.to_string(), Some(parse_port(port)?))),
        None => Ok((s.to_string(), None)),
    }
}

fn parse_port(p: &str) -> Result<u16, &'static str> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err("the port must be a number from 1 to 65535"),
        Ok(n) => Ok(n),
    }
}

impl Target {
    /// Parses TARGET with the optional `--port` and `--security`.
    ///
    /// Security comes from `--security`, else the URL scheme, else the port (143 → STARTTLS,
    /// otherwise implicit TLS); with neither port nor security: implicit TLS on 993.
    pub fn parse(
        input: &str,
        port: Option<u16>,
        security: Option<Security>,
    ) -> Result<Target, UsageError> {
        let bad = |why: &str| UsageError::Target(without_password(input), why.to_string());
        let (scheme_security, rest) = if let Some(r) = strip_scheme(input, "imaps://") {
            (Some(Security::Tls), r)
        } else if let Some(r) = strip_scheme(input, "imap://") {
            (Some(Security::Starttls), r)
        } else if input.contains("://") {
            return Err(bad("only imap:// and imaps:// URLs are understood"));
        } else {
            (None, input)
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('@') || rest.contains('?') {
            return Err(bad("give just a host and port, without user or path"));
        }
        let (host, url_port) = split_host_port(rest).map_err(bad)?;
        let host = crate::host::to_ascii(&host).map_err(|why| bad(&why))?;
        let port_given = match (url_port, port) {
            (Some(a), Some(b)) if a != b => return Err(UsageError::PortConflict(b, a)),
            (a, b) => a.or(b),
        };
        let security = security.or(scheme_security).unwrap_or(match port_given {
            Some(143) => Security::Starttls,
            _ => Security::Tls,
        });
        Ok(Target {
            input: input.to_string(),
            host,
            port: port_given.unwrap_or(security.default_port()),
            security,
        })
    }

    /// Whether the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// The Unicode form of an internationalised host name (`bücher.example`), when it differs
    /// from [`Target::host`].
    pub fn host_unicode(&self) -> Option<String> {
        crate::host::to_unicode(&self.host)
    }
}

/// `input` with the password of a `user:password@` part as `***`, for messages: a target that
/// carries one is refused, and saying why must not show it.
fn without_password(input: &str) -> String {
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), input),
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return input.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}{user}:***@{host}"),
        None => input.to_string(),
    }
}

fn strip_scheme<'a>(input: &'a str, scheme: &str) -> Option<&'a str> {
    let head = input.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &input[scheme.len()..])
}

/// Parses a `--resolve HOST:PORT:ADDR[,ADDR...]` entry (IPv6 addresses may be bracketed).
pub fn parse_resolve(entry: &str) -> Result<(String, u16, Vec<IpAddr>), UsageError> {
    let bad = || UsageError::Resolve(entry.to_string());
    let (host, rest) = entry.split_once(':').ok_or_else(bad)?;
    let (port, addrs) = rest.split_once(':').ok_or_else(bad)?;
    let addrs = addrs
        .split(',')
        .map(|a| {
            a.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| bad())
        })
        .collect::<Result<Vec<IpAddr>, _>>()?;
    if host.is_empty() {
        return Err(bad());
    }
    let host = crate::host::to_ascii(host)
        .map_err(|why| UsageError::Host("--resolve", entry.to_string(), why))?;
    Ok((host, parse_port(port).map_err(|_| bad())?, addrs))
}

/// Parses a `--control HOST[:PORT]` entry (port defaults to 993).
pub fn parse_control(entry: &str) -> Result<ControlEndpoint, UsageError> {
    let (host, port) =
        split_host_port(entry).map_err(|_| UsageError::Control(entry.to_string()))?;
    if host.is_empty() {
        return Err(UsageError::Control(entry.to_string()));
    }
    let host = crate::host::to_ascii(&host)
        .map_err(|why| UsageError::Host("--control", entry.to_string(), why))?;
    Ok(ControlEndpoint {
        host,
        port: port.unwrap_or(993),
    })
}

/// Reads `--ca-file`: PEM certificates, each usable as a trust anchor (the test the verifier
/// applies when it loads them). A file that fails here is the user's input, reported before any
/// network activity, never a trust store "missing on this computer".
pub fn load_ca_file(
    path: &std::path::Path,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, UsageError> {
    use rustls_pki_types::pem::PemObject;
    let shown = path.display().to_string();
    let bad = |why: String| UsageError::CaFile(shown.clone(), why);
    let bytes = crate::input_file::read_regular(path, crate::input_file::MAX_CA_BUNDLE)
        .map_err(|e| bad(e.to_string()))?;
    let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(bad(no_certificate(&bytes).into()));
    }
    let count = certs.len();
    for (i, cert) in certs.iter().enumerate() {
        let which = if count == 1 {
            "the certificate".to_string()
        } else {
            format!("certificate {} of {count}", i + 1)
        };
        if let Err(e) = x509_parser::parse_x509_certificate(cert) {
            return Err(bad(format!(
                "{which} is not a valid X.509 certificate: {e}"
            )));
        }
        if let Err(e) = rustls::RootCertStore::empty().add(cert.clone()) {
            return Err(bad(format!("{which} is not usable as a trust anchor: {e}")));
        }
    }
    Ok(certs)
}

/// Why a file yielded no PEM certificate.
fn no_certificate(bytes: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        "the file is empty"
    } else if text.contains("PRIVATE KEY-----") {
        "the file holds a private key but no certificate (-----BEGIN CERTIFICATE-----)"
    } else if text.contains("-----BEGIN ") {
        "the file holds PEM data but no certificate (-----BEGIN CERTIFICATE-----)"
    } else {
        "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----); a DER certificate converts with: openssl x509 -inform der -in FILE -out FILE.pem"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &str) -> Target {
        Target::parse(input, None, None).unwrap()
    }

    #[test]
    fn line_breaks_and_nul_cannot_be_sent() {
        for (value, what) in [
            ("a\rb", "a carriage return (CR)"),
            ("ab\n", "a line feed (LF)"),
            ("\0ab", "a NUL character"),
        ] {
            let error = sendable("--user", value).unwrap_err().to_string();
            assert_eq!(
                error,
                format!("--user contains {what}, which cannot be sent in an IMAP command")
            );
        }
        assert!(sendable("--mailbox", "Entwürfe/2019 \"x\"\t").is_ok());
    }

    #[test]
    fn security_and_port_follow_scheme_then_port() {
        assert_eq!(
            (t("mail.example.com").security, t("mail.example.com").port),
            (Security::Tls, 993)
        );
        assert_eq!(t("mail.example.com:143").security, Security::Starttls);
        assert_eq!(t("mail.example.com:1993").security, Security::Tls);
        assert_eq!(t("imap://mail.example.com").port, 143);
        assert_eq!(t("imap://mail.example.com").security, Security::Starttls);
        assert_eq!(t("IMAPS://mail.example.com:10993/").port, 10993);
        assert_eq!(t("[::1]:993").host, "::1");
        assert_eq!(t("::1").host, "::1");
        let idn = t("imaps://bücher.example:1993");
        assert_eq!(
            (idn.host.as_str(), idn.port),
            ("xn--bcher-kva.example", 1993)
        );
        assert_eq!(idn.host_unicode().as_deref(), Some("bücher.example"));
        let none = Target::parse("h", None, Some(Security::None)).unwrap();
        assert_eq!(none.port, 143);
        let forced = Target::parse("imaps://h", None, Some(Security::Starttls)).unwrap();
        assert_eq!((forced.security, forced.port), (Security::Starttls, 143));
    }

    #[test]
    fn a_password_in_the_target_is_not_shown_when_refused() {
        for (input, shown) in [
            (
                "imaps://alice:S3cret@mail.example.com",
                "imaps://alice:***@mail.example.com",
            ),
            (
                "alice@example.com:p@ss:w/rd@h:993",
                "alice@example.com:***@h:993",
            ),
            ("imap://alice@h", "imap://alice@h"),
            ("h:993/INBOX", "h:993/INBOX"),
        ] {
            let error = Target::parse(input, None, None).unwrap_err().to_string();
            assert!(error.contains(&format!("{shown:?}")), "{input}: {error}");
        }
        assert!(
            !Target::parse("imaps://a:S3cret@h", None, None)
                .unwrap_err()
                .to_string()
                .contains("S3cret")
        );
    }

    #[test]
    fn rejects_what_it_cannot_mean() {
        for bad in [
            "",
            "pop3://h",
            "h:0",
            "h:99999",
            "imaps://user@h",
            "h/path",
            "[::1",
            "a b",
            "host:993:1",
            "a..b",
            ".example.com",
            "\"mail.example.com\"",
            "[mail.example.com]:993",
        ] {
            assert!(
                Target::parse(bad, None, None).is_err(),
                "{bad:?} was accepted"
            );
        }
        assert!(matches!(
            Target::parse("h:993", Some(143), None),
            Err(UsageError::PortConflict(143, 993))
        ));
    }

    #[test]
    fn resolve_and_control_entries() {
        let (h, p, a) = parse_resolve("outlook.office365.com:993:127.0.0.1").unwrap();
        assert_eq!(
            (h.as_str(), p, a[0].to_string().as_str()),
            ("outlook.office365.com", 993, "127.0.0.1")
        );
        assert_eq!(
            parse_resolve("h:993:[::1]").unwrap().2[0].to_string(),
            "::1"
        );
        let both = parse_resolve("h:993:[::1],127.0.0.1").unwrap().2;
        assert_eq!(both.len(), 2);
        assert!(both[0].is_ipv6() && both[1].is_ipv4());
        assert!(parse_resolve("h:993").is_err());
        assert!(parse_resolve("a..b:993:127.0.0.1").is_err());
        assert!(parse_control("a b:993").is_err());
        assert_eq!(
            parse_resolve("bücher.example:993:127.0.0.1").unwrap().0,
            "xn--bcher-kva.example"
        );
        assert_eq!(
            parse_control("bücher.example").unwrap().host,
            "xn--bcher-kva.example"
        );
        assert_eq!(parse_control("imap.gmail.com").unwrap().port, 993);
        assert_eq!(parse_control("imap.gmail.com:1993").unwrap().port, 1993);
    }
}
