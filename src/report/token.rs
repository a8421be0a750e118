//! What the OAuth2 token lint found.

use schemars::JsonSchema;
use serde::Serialize;

/// One problem found in the token.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Finding {
    /// Stable kind: `expired`, `not_yet_valid`, `invalid_claim` (a time claim that is not a time),
    /// `wrong_audience`, `missing_imap_scope`, `user_mismatch`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: &'static str,
}

/// What the token says about itself (never the token).
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct TokenFacts {
    /// Whether the token is a JWT whose claims could be read.
    pub jwt: bool,
    /// `aud` claim.
    pub audience: Option<String>,
    /// `scp` claim (delegated permissions), split on spaces.
    pub scopes: Vec<String>,
    /// `roles` claim (application permissions).
    pub roles: Vec<String>,
    /// `upn`, `unique_name`, `preferred_username` or `email`: whom the token is for.
    pub subject_user: Option<String>,
    /// `exp` as RFC 3339; absent without a valid `exp`, or when it is beyond the year 9999.
    pub expires_at: Option<String>,
    /// Problems found.
    pub findings: Vec<Finding>,
}

/// Where a token came from when imapdoctor signed in for it (`--oauth`): never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TokenOrigin {
    /// How it was obtained: `authorization_code` (the authorization code grant with PKCE and a
    /// loopback redirect, RFC 7636 and RFC 8252: `--oauth-flow browser`) or `device_code` (the
    /// OAuth 2.0 device authorization grant, RFC 8628: `--oauth-flow device`).
    pub flow: &'static str,
    /// The identity provider: `microsoft` or `google`.
    pub provider: &'static str,
    /// The Microsoft tenant signed in to (`common` unless `--oauth-tenant` said otherwise).
    pub tenant: Option<String>,
    /// The scopes the token endpoint says it granted (sanitized), else those asked for.
    pub scopes: Vec<String>,
}
