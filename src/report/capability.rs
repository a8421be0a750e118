//! The capability check's findings: the greeting, STARTTLS, the capabilities.

use schemars::JsonSchema;
use serde::Serialize;

/// Whether a count is zero (skipped in the JSON).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The server's greeting.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Greeting {
    /// `OK`, `PREAUTH` or `BYE`.
    pub status: &'static str,
    /// Response code name, if any (e.g. `CAPABILITY`, `ALERT`, `UNAVAILABLE`).
    pub code: Option<String>,
    /// The greeting text (sanitized).
    pub text: String,
}

/// STARTTLS negotiation.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StartTls {
    /// The plaintext capabilities advertised STARTTLS.
    pub offered: bool,
    /// The server's reply to STARTTLS.
    pub reply: Option<String>,
    /// Capabilities advertised before TLS.
    pub capabilities_before_tls: Vec<String>,
}

/// Facts of the `capability` check.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct CapabilityDetails {
    /// The greeting, once one arrived.
    pub greeting: Option<Greeting>,
    /// The capabilities in effect for login (after STARTTLS when used).
    pub capabilities: Vec<String>,
    /// How many more capabilities the server listed beyond the first 1000 (ignored).
    #[serde(skip_serializing_if = "is_zero")]
    pub capabilities_ignored: usize,
    /// Where they came from: `greeting` (the `[CAPABILITY]` code) or `command`.
    pub capabilities_source: Option<&'static str>,
    /// The SASL mechanisms advertised (`AUTH=...`).
    pub auth_mechanisms: Vec<String>,
    /// `LOGINDISABLED` is advertised: the LOGIN command is refused.
    pub login_disabled: bool,
    /// STARTTLS negotiation (only with `--security starttls`).
    pub starttls: Option<StartTls>,
    /// Who answered, from the host name and the greeting.
    pub provider: Identification,
    /// A plaintext port that stayed silent: what a TLS handshake on a second connection found
    /// (`tls`, `not_tls`, `no_answer`, `cut_off`, `no_connection`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_probe: Option<super::tls::TlsProbe>,
}

/// Who answered, as far as the host name and greeting tell.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct Identification {
    /// Provider identifier (`microsoft`, `google`, `apple`, `yahoo`, `dovecot`, …).
    pub id: Option<&'static str>,
    /// Display name.
    pub name: Option<&'static str>,
    /// Exchange Online: the front-end server that answered, decoded from the greeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub front_end: Option<String>,
    /// Gmail: this computer's public IP address as the server saw it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
}
