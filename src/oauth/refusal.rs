//! Why a sign-in did not give a token, and what to do about each known answer of the identity
//! providers: a table of error codes (RFC 6749 §5.2, RFC 8628 §3.5) and Microsoft's `AADSTS`
//! numbers, not `if` chains.

use super::providers::Provider;

/// Why no token was obtained.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The settings cannot start a sign-in (no client id, a bad authority...).
    #[error("{0}")]
    Usage(String),
    /// The person declined at the provider's page (`access_denied`).
    #[error(
        "sign-in was declined (access_denied): the account did not grant imapdoctor access; run again and accept, or ask the administrator whether the app is allowed"
    )]
    Declined,
    /// The code expired before the person finished (`expired_token`, or `expires_in` passed).
    #[error("the code expired before sign-in finished: run again and enter the code within {0}")]
    Expired(String),
    /// `--max-time` passed while waiting for the person.
    #[error("--max-time passed before sign-in finished")]
    OutOfTime,
    /// Ctrl-C while waiting.
    #[error("sign-in interrupted")]
    Interrupted,
    /// The provider refused with an error code (what it said, sanitized, and what to do).
    #[error("{0}")]
    Refused(String),
    /// The provider could not be reached, or answered something that is not OAuth.
    #[error("sign-in: {0}")]
    Transport(String),
}

impl SignInError {
    /// The exit code: 130 for Ctrl-C, else 2 (the check did not run).
    pub fn exit_code(&self) -> crate::exit_code::ExitCode {
        match self {
            SignInError::Interrupted => crate::exit_code::ExitCode::Interrupted,
            _ => crate::exit_code::ExitCode::Usage,
        }
    }
}

/// What to do for an answer containing a code: (provider, or any; the `error` value or an
/// `AADSTS` number in the description; the advice).
const ADVICE: &[(Option<Provider>, &str, &str)] = &[
    (
        Some(Provider::Google),
        "invalid_scope",
        "Google allows the device flow only for a few scopes, and Gmail's https://mail.google.com/ is not among them (\"OAuth 2.0 for TV and Limited-Input Device Applications\", allowed scopes): sign in with --oauth-flow browser (the default for google) and a \"Desktop app\" client",
    ),
    (
        None,
        "invalid_client",
        "check --oauth-client-id (Microsoft: a public client with \"Allow public client flows\" on; Google: an OAuth client of type \"Desktop app\" and its secret in IMAPDOCTOR_OAUTH_CLIENT_SECRET)",
    ),
    (
        None,
        "invalid_grant",
        "the provider did not accept the code (expired, already used, or not issued for this run's verifier and redirect): run again",
    ),
    (
        None,
        "unauthorized_client",
        "the application may not use this flow: Microsoft: turn on \"Allow public client flows\" in its Authentication settings (and, for --oauth-flow browser, add the platform \"Mobile and desktop applications\" with redirect URI http://127.0.0.1); Google: use an OAuth client of type \"Desktop app\" (browser flow) or \"TVs and Limited Input devices\" (device flow)",
    ),
    (
        Some(Provider::Microsoft),
        "AADSTS50011",
        "the redirect URI is not registered: add the platform \"Mobile and desktop applications\" with redirect URI http://127.0.0.1 to the application (Authentication settings), or use --oauth-flow device",
    ),
    (
        Some(Provider::Microsoft),
        "AADSTS7000218",
        "the application is not a public client: turn on \"Allow public client flows\" in its Authentication settings",
    ),
    (
        Some(Provider::Microsoft),
        "AADSTS50194",
        "the application is single-tenant: pass --oauth-tenant with your tenant's domain or id",
    ),
    (
        Some(Provider::Microsoft),
        "AADSTS700016",
        "no such application in this tenant: check --oauth-client-id and --oauth-tenant",
    ),
    (
        Some(Provider::Microsoft),
        "AADSTS65001",
        "the application lacks consent for IMAP.AccessAsUser.All: an administrator must grant it",
    ),
    (
        Some(Provider::Microsoft),
        "AADSTS90002",
        "no such tenant: check --oauth-tenant",
    ),
];

/// The message for an `error` answer of the token or device-authorization endpoint (both
/// already sanitized): the code, the provider's description, and advice when the table has some.
pub fn refused(provider: Provider, error: &str, description: Option<&str>) -> SignInError {
    let mut message = format!("sign-in refused by {}: {error}", provider.name());
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        message.push_str(&format!(" ({description})"));
    }
    let found = ADVICE.iter().find(|(only, code, _)| {
        only.is_none_or(|p| p == provider)
            && (error == *code || description.is_some_and(|d| d.contains(code)))
    });
    if let Some((_, _, advice)) = found {
        message.push_str(": ");
        message.push_str(advice);
    }
    SignInError::Refused(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_get_advice() {
        let text = refused(Provider::Google, "invalid_scope", None).to_string();
        assert!(text.contains("not among them"), "{text}");
        let text = refused(
            Provider::Microsoft,
            "invalid_request",
            Some("AADSTS50194: Application is not configured as a multi-tenant application."),
        )
        .to_string();
        assert!(text.contains("--oauth-tenant"), "{text}");
        let text = refused(
            Provider::Microsoft,
            "invalid_request",
            Some("AADSTS50011: The redirect URI 'http://127.0.0.1:5/' does not match."),
        )
        .to_string();
        assert!(text.contains("Mobile and desktop applications"), "{text}");
        let text = refused(Provider::Microsoft, "server_error", Some("boom")).to_string();
        assert_eq!(text, "sign-in refused by microsoft: server_error (boom)");
    }
}
