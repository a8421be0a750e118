//! The auth check's findings.

use schemars::JsonSchema;
use serde::Serialize;

/// Facts of the `auth` check.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct AuthDetails {
    /// Mechanism used: `LOGIN`, `PLAIN`, `XOAUTH2`, `OAUTHBEARER` (or `PREAUTH`).
    pub mechanism: Option<&'static str>,
    /// User name.
    pub user: String,
    /// The server's tagged result: `OK`, `NO`, `BAD`, or `BYE`.
    pub result: Option<&'static str>,
    /// The response code of the result, e.g. `AUTHENTICATIONFAILED`, `UNAVAILABLE`.
    pub response_code: Option<String>,
    /// The result's text (sanitized).
    pub text: Option<String>,
    /// Error detail a SASL server sent in a challenge (decoded from base64, sanitized), as
    /// Exchange and Gmail do for rejected OAuth2 tokens.
    pub sasl_error: Option<String>,
    /// Milliseconds from sending the credentials to the result.
    pub round_trip_ms: Option<u64>,
    /// With a bearer token: what its claims say (JWT only; never the token itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<super::token::TokenFacts>,
    /// With `--oauth`: how imapdoctor signed in for the token (provider, tenant, scopes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_origin: Option<super::token::TokenOrigin>,
}
