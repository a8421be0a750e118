//! Linting an OAuth2 bearer token before it is sent: when it is a JWT (Microsoft's are), its claims
//! can be read without checking the signature and explain most `AUTHENTICATE failed` answers in
//! advance: expired, meant for another API (Microsoft Graph instead of Exchange), missing the IMAP
//! scope, or issued for another user. The token itself is never reported.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::Value;

/// Audiences that mean "Exchange Online" (resource URLs and the Office 365 Exchange Online app id).
const EXCHANGE_AUDIENCES: [&str; 4] = [
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "00000002-0000-0ff1-ce00-000000000000",
    "https://outlook.office.com/",
];

/// Audiences that mean "Microsoft Graph": the classic mistake.
const GRAPH_AUDIENCES: [&str; 3] = [
    "https://graph.microsoft.com",
    "https://graph.microsoft.com/",
    "00000003-0000-0000-c000-000000000000",
];

/// One problem found in the token.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Stable kind: `expired`, `not_yet_valid`, `wrong_audience`, `missing_imap_scope`,
    /// `user_mismatch`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: &'static str,
}

/// What the token says about itself (never the token).
#[derive(Clone, Debug, Default, Serialize)]
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
    /// `exp` as RFC 3339.
    pub expires_at: Option<String>,
    /// Problems found.
    pub findings: Vec<Finding>,
}

/// Decodes the payload of a JWT (no signature check).
fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.is_object().then_some(value)
}

fn text(claims: &Value, key: &str) -> Option<String> {
    claims
        .get(key)?
        .as_str()
        .map(crate::sanitize::terminal_text)
}

/// Lints `token` for logging in as `user`, at unix time `now`.
pub fn lint(token: &str, user: &str, now: i64) -> TokenFacts {
    let Some(claims) = claims(token) else {
        return TokenFacts::default();
    };
    let audience = match claims.get("aud") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .next()
            .map(str::to_string),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
    .map(|a| crate::sanitize::terminal_text(&a));
    let scopes: Vec<String> = text(&claims, "scp")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let roles: Vec<String> = claims
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(crate::sanitize::terminal_text)
                .collect()
        })
        .unwrap_or_default();
    let subject_user = ["upn", "unique_name", "preferred_username", "email"]
        .iter()
        .find_map(|k| text(&claims, k));
    let exp = claims.get("exp").and_then(Value::as_i64);
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    let issuer = text(&claims, "iss").unwrap_or_default();
    let microsoft =
        issuer.contains("sts.windows.net") || issuer.contains("login.microsoftonline.com");
    let mut findings = Vec::new();
    if let Some(exp) = exp.filter(|&e| e <= now) {
        findings.push(Finding {
            code: "expired",
            message: format!(
                "the token expired {} minutes ago ({})",
                (now - exp) / 60,
                super::certificate::rfc3339(exp)
            ),
            hint: "Get a fresh access token (they usually last about an hour).",
        });
    }
    if let Some(nbf) = nbf.filter(|&n| n > now + 300) {
        findings.push(Finding {
            code: "not_yet_valid",
            message: format!(
                "the token is not valid until {}",
                super::certificate::rfc3339(nbf)
            ),
            hint: "Check this computer's clock, or wait.",
        });
    }
    if let Some(aud) = &audience {
        if GRAPH_AUDIENCES.contains(&aud.as_str()) {
            findings.push(Finding {
                code: "wrong_audience",
                message: format!("the token is for Microsoft Graph ({aud}), not for Exchange Online IMAP"),
                hint: "Request the token for the scope https://outlook.office.com/IMAP.AccessAsUser.All (delegated) or https://outlook.office365.com/.default (app-only).",
            });
        } else if microsoft && !EXCHANGE_AUDIENCES.contains(&aud.as_str()) {
            findings.push(Finding {
                code: "wrong_audience",
                message: format!("the token's audience is {aud}, not Exchange Online (https://outlook.office.com)"),
                hint: "Request the token for the scope https://outlook.office.com/IMAP.AccessAsUser.All (delegated) or https://outlook.office365.com/.default (app-only).",
            });
        }
    }
    let imap_scope = scopes
        .iter()
        .any(|s| s.eq_ignore_ascii_case("IMAP.AccessAsUser.All"))
        || roles
            .iter()
            .any(|r| r.eq_ignore_ascii_case("IMAP.AccessAsApp"));
    if microsoft && !imap_scope {
        findings.push(Finding {
            code: "missing_imap_scope",
            message: "the token grants neither IMAP.AccessAsUser.All (delegated) nor IMAP.AccessAsApp (app-only)".into(),
            hint: "Add the IMAP permission to the app registration (with admin consent for IMAP.AccessAsApp) and request a new token.",
        });
    }
    if let Some(subject) = &subject_user
        && !scopes.is_empty()
        && !subject.eq_ignore_ascii_case(user)
    {
        findings.push(Finding {
            code: "user_mismatch",
            message: format!(
                "the token was issued to {subject}, but --user is {}",
                crate::sanitize::terminal_text(user)
            ),
            hint: "Use the token owner's address as --user, or get a token for the mailbox's user.",
        });
    }
    TokenFacts {
        jwt: true,
        audience,
        scopes,
        roles,
        subject_user,
        expires_at: exp.map(super::certificate::rfc3339),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.c2ln",
            enc(&serde_json::json!({"typ":"JWT","alg":"RS256"})),
            enc(&claims)
        )
    }

    const NOW: i64 = 1_800_000_000;
    const MS: &str = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/";

    fn codes(facts: &TokenFacts) -> Vec<&str> {
        facts.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_good_delegated_exchange_token_has_no_findings() {
        let t = jwt(
            serde_json::json!({"iss": MS, "aud": "https://outlook.office.com", "scp": "IMAP.AccessAsUser.All offline_access", "upn": "alice@contoso.com", "exp": NOW + 3000}),
        );
        let facts = lint(&t, "Alice@Contoso.com", NOW);
        assert!(facts.jwt);
        assert!(facts.findings.is_empty(), "{:?}", facts.findings);
    }

    #[test]
    fn graph_token_expired_for_someone_else() {
        let t = jwt(
            serde_json::json!({"iss": MS, "aud": "00000003-0000-0000-c000-000000000000", "scp": "Mail.Read User.Read", "upn": "bob@contoso.com", "exp": NOW - 600}),
        );
        let facts = lint(&t, "alice@contoso.com", NOW);
        assert_eq!(
            codes(&facts),
            [
                "expired",
                "wrong_audience",
                "missing_imap_scope",
                "user_mismatch"
            ]
        );
    }

    #[test]
    fn app_only_token_needs_the_app_role() {
        let ok = jwt(
            serde_json::json!({"iss": MS, "aud": "https://outlook.office365.com", "roles": ["IMAP.AccessAsApp"], "exp": NOW + 60}),
        );
        assert!(lint(&ok, "shared@contoso.com", NOW).findings.is_empty());
        let missing = jwt(
            serde_json::json!({"iss": MS, "aud": "https://outlook.office365.com", "roles": ["Mail.Read"], "exp": NOW + 60}),
        );
        assert_eq!(
            codes(&lint(&missing, "shared@contoso.com", NOW)),
            ["missing_imap_scope"]
        );
    }

    #[test]
    fn opaque_tokens_are_not_judged() {
        let facts = lint("ya29.a0AfH6SMBx-opaque", "alice@gmail.com", NOW);
        assert!(!facts.jwt && facts.findings.is_empty());
        assert!(!lint("a.b.c", "u", NOW).jwt);
    }
}
