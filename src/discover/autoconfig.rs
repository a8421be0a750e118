//! Discovery source 3: Mozilla autoconfig documents, as Thunderbird fetches them.
//!
//! Two places are asked at once for one domain: the provider's own autoconfig host
//! (`https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDRESS`) and the domain's
//! well-known path (`https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml`). Each answer is
//! one [`AutoconfigAttempt`]: the URL, how long it took, and the IMAP servers the document lists
//! or why there are none ([`imap_servers`] reads the XML).
//!
//! The fetch is deliberately narrower than a browser's:
//! - **HTTPS only, also for redirects.** Thunderbird falls back to plain HTTP, but a document
//!   fetched without TLS can be replaced by anyone on the path, who then names their own server
//!   as the user's IMAP server and collects the password. A diagnostic must not recommend that.
//! - Certificates are verified against the OS trust store plus `--ca-file`
//!   ([`crate::checks::trust`]), like the IMAP connection's.
//! - **No proxy from the environment** (`HTTPS_PROXY`, `ALL_PROXY`): imapdoctor checks the direct
//!   path from this computer, as its IMAP connection does, and a proxy would answer for a
//!   network the IMAP connection never crosses.
//! - At most [`MAX_REDIRECTS`] redirects, a body of at most [`MAX_DOCUMENT`] bytes (read piece by
//!   piece, so a huge or endless body never sits in memory), and the whole attempt within the
//!   given timeout.
//! - `--resolve` entries for port 443 (or [`AutoconfigOptions::port`]) replace DNS for their host.

mod document;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rustls_pki_types::CertificateDer;

pub use document::{fill, imap_servers};

/// Largest document read; a real one is a few kilobytes.
pub const MAX_DOCUMENT: usize = 256 * 1024;

/// Most redirects followed in one attempt.
pub const MAX_REDIRECTS: usize = 5;

/// How the documents are fetched.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoconfigOptions {
    /// Time limit of each attempt (connection, TLS, request, redirects and the whole body).
    pub timeout: Duration,
    /// Certificates trusted besides the OS store (`--ca-file`).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Addresses to use instead of DNS, as `--resolve` gives them (host, port, addresses); only
    /// entries for [`port`](Self::port) apply.
    pub resolve: Vec<(String, u16, Vec<IpAddr>)>,
    /// The HTTPS port asked: 443, the only one mail clients use. Another port is for tests and
    /// internal mirrors; it then appears in the URLs (`https://autoconfig.DOMAIN:PORT/…`).
    pub port: u16,
}

impl Default for AutoconfigOptions {
    /// Ten seconds per attempt, the OS trust store alone, DNS, port 443.
    fn default() -> Self {
        AutoconfigOptions {
            timeout: Duration::from_secs(10),
            extra_roots: Vec::new(),
            resolve: Vec::new(),
            port: 443,
        }
    }
}

/// An IMAP server an autoconfig document names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapServer {
    /// Host name in its A-label (Punycode) form, placeholders filled in, checked like a typed
    /// target.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Security, from the document's `socketType` (`SSL`, `STARTTLS`, `plain`).
    pub security: crate::config::Security,
}

/// One document fetched (or not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoconfigAttempt {
    /// The URL asked first (before any redirect).
    pub url: String,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: u64,
    /// The IMAP servers the document lists, in its order; or why there are none (HTTP status,
    /// connection or certificate failure, time limit, size limit, not XML, no IMAP server).
    /// Sanitized.
    pub outcome: Result<Vec<ImapServer>, String>,
}

/// Fetches `https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDRESS` and
/// `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml` concurrently; one attempt per URL,
/// in that order.
pub async fn lookup(
    domain: &str,
    address: &str,
    options: &AutoconfigOptions,
) -> Vec<AutoconfigAttempt> {
    let started = Instant::now();
    let port = match options.port {
        443 => String::new(),
        other => format!(":{other}"),
    };
    let ascii = crate::host::to_ascii(domain);
    let name = ascii.as_deref().unwrap_or(domain).trim_end_matches('.');
    let mut provider =
        format!("https://autoconfig.{name}{port}/mail/config-v1.1.xml?emailaddress=");
    provider.extend(url_encoded(address));
    let well_known = format!("https://{name}{port}/.well-known/autoconfig/mail/config-v1.1.xml");
    let client = match ascii {
        Ok(_) => client(options, started + options.timeout),
        Err(why) => Err(format!("no URL to ask: {why}")),
    };
    let client = &client;
    let [provider, well_known] = [provider, well_known].map(|url| async move {
        let begun = Instant::now();
        let outcome = match client {
            Ok(client) => match tokio::time::timeout(options.timeout, fetch(client, &url)).await {
                Ok(Ok((body, content_type))) => {
                    imap_servers(&body, address, domain).map_err(|why| {
                        match (why.strip_prefix("not XML: "), content_type) {
                            (Some(rest), Some(served_as)) => {
                                format!("not XML (served as {served_as}): {rest}")
                            }
                            _ => why,
                        }
                    })
                }
                Ok(Err(why)) => Err(why),
                Err(_) => Err(format!(
                    "no complete answer within {} (the time limit)",
                    seconds(options.timeout)
                )),
            },
            Err(why) => Err(crate::sanitize::terminal_text(why)),
        };
        AutoconfigAttempt {
            url: crate::sanitize::terminal_text(&url),
            duration_ms: u64::try_from(begun.elapsed().as_millis()).unwrap_or(u64::MAX),
            outcome,
        }
    });
    let (provider, well_known) = tokio::join!(provider, well_known);
    vec![provider, well_known]
}

/// The HTTP client for one lookup: verifying TLS, no proxy, HTTPS-only redirects, the
/// `--resolve` overrides. The time limit is not reqwest's: [`lookup`] bounds each whole attempt,
/// so that every way of running out of time says the same.
fn client(options: &AutoconfigOptions, deadline: Instant) -> Result<reqwest::Client, String> {
    let mut tls = crate::checks::trust::verifying_config(&options.extra_roots, deadline);
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.url().scheme() != "https" {
            let to = crate::sanitize::within(attempt.url().as_str(), 200);
            attempt.error(format!(
                "redirect to {to} refused: only HTTPS is followed (a document fetched without TLS could name anyone's server)"
            ))
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .https_only(true)
        .no_proxy()
        .redirect(redirects)
        .user_agent(concat!("imapdoctor/", env!("CARGO_PKG_VERSION")));
    for (host, port, addresses) in &options.resolve {
        if *port != options.port {
            continue;
        }
        let addresses: Vec<SocketAddr> = addresses
            .iter()
            .map(|ip| SocketAddr::new(*ip, *port))
            .collect();
        builder = builder.resolve_to_addrs(host.trim_end_matches('.'), &addresses);
    }
    builder
        .build()
        .map_err(|e| format!("no HTTP client: {}", describe(&e)))
}

/// The body of a successful answer, read in pieces up to [`MAX_DOCUMENT`] bytes, and its
/// Content-Type (sanitized), for the error when it is not XML.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<(Vec<u8>, Option<String>), String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/xml, text/xml")
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "HTTP {}{}",
            status.as_u16(),
            status
                .canonical_reason()
                .map_or(String::new(), |r| format!(" {r}"))
        ));
    }
    let too_large = || format!("the document is larger than {} KiB", MAX_DOCUMENT / 1024);
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT as u64)
    {
        return Err(too_large());
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| crate::sanitize::untrusted_within(v.as_bytes(), 80));
    let mut body = Vec::new();
    while let Some(piece) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + piece.len() > MAX_DOCUMENT {
            return Err(too_large());
        }
        body.extend_from_slice(&piece);
    }
    Ok((body, content_type))
}

/// A reqwest error as one line: what failed, then its innermost cause (the certificate fault,
/// the refused connection), sanitized. The URL is left out: the attempt carries it.
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_redirect() {
        // The policy's own message says what was refused.
        ""
    } else if error.is_timeout() {
        "time limit"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "reading the answer failed"
    } else if error.is_builder() {
        "bad request"
    } else {
        "request failed"
    };
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let cause = cause.to_string();
    let cause = cause
        .strip_prefix("error sending request")
        .unwrap_or(&cause);
    let line = match what {
        "" => cause.trim_start().to_string(),
        what => format!("{what}: {cause}"),
    };
    crate::sanitize::within(&line, 300)
}

/// A duration as the CLI's `--timeout` says it: `5 s`, or `1500 ms`.
fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn url_encoded(value: &str) -> impl Iterator<Item = String> + '_ {
    value.bytes().map(|b| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
            char::from(b).to_string()
        }
        _ => format!("%{b:02X}"),
    })
}
