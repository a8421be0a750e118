//! Linting an OAuth2 bearer token before it is sent: when it is a JWT (Microsoft's are), its claims
//! can be read without checking the signature and explain most `AUTHENTICATE failed` answers in
//! advance: expired, meant for another API (Microsoft Graph instead of Exchange), missing the IMAP
//! scope, or issued for another user. The token itself is never reported.

pub use crate::report::token::{Finding, TokenFacts};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// The last second a date can be written for (9999-12-31T23:59:59Z); later claims are "the far
/// future".
const LATEST: i64 = 253_402_300_799;

/// A time claim (`exp`, `nbf`, `iat`): a NumericDate, seconds since 1970 (RFC 7519 §2), possibly
/// with a fraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// A second from 1970 to the end of the year 9999 (a fraction dropped).
    At(i64),
    /// Beyond the year 9999 (a token whose issuer wrote milliseconds, or "never").
    FarFuture,
    /// Not a time: not a number, or before 1970.
    Invalid,
}

/// The time claim `key`, if present.
fn moment(claims: &Value, key: &str) -> Option<Moment> {
    let value = claims.get(key)?;
    let moment = if let Some(n) = value.as_i64() {
        match n {
            ..0 => Moment::Invalid,
            0..=LATEST => Moment::At(n),
            _ => Moment::FarFuture,
        }
    } else if value.is_u64() {
        Moment::FarFuture
    } else {
        match value.as_f64() {
            Some(n) if n >= 0.0 && n <= LATEST as f64 => Moment::At(n.floor() as i64),
            Some(n) if n > LATEST as f64 => Moment::FarFuture,
            _ => Moment::Invalid,
        }
    };
    Some(moment)
}

/// A span of seconds in the unit a person would use: minutes, hours, then days.
pub(crate) fn span(seconds: i64) -> String {
    let (count, unit) = if seconds < 7_200 {
        (seconds / 60, "minute")
    } else if seconds < 172_800 {
        (seconds / 3_600, "hour")
    } else {
        (seconds / 86_400, "day")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
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
    let exp = moment(&claims, "exp");
    let nbf = moment(&claims, "nbf");
    let issuer = text(&claims, "iss").unwrap_or_default();
    let microsoft =
        issuer.contains("sts.windows.net") || issuer.contains("login.microsoftonline.com");
    let mut findings = Vec::new();
    for (key, claim) in [("exp", exp), ("nbf", nbf), ("iat", moment(&claims, "iat"))] {
        if claim == Some(Moment::Invalid) {
            findings.push(Finding {
                code: "invalid_claim",
                message: format!(
                    "the token's {key} claim is not a valid time (seconds since 1970)"
                ),
                hint: "The token is malformed: get a fresh one from the identity provider.",
            });
        }
    }
    if let Some(Moment::At(exp)) = exp
        && exp <= now
    {
        findings.push(Finding {
            code: "expired",
            message: format!(
                "the token expired {} ago ({})",
                span(now.saturating_sub(exp)),
                super::certificate::rfc3339(exp)
            ),
            hint: "Get a fresh access token (they usually last about an hour).",
        });
    }
    let not_before = match nbf {
        Some(Moment::At(nbf)) if nbf > now.saturating_add(300) => {
            Some(super::certificate::rfc3339(nbf))
        }
        Some(Moment::FarFuture) => Some("the far future (after the year 9999)".to_string()),
        _ => None,
    };
    if let Some(when) = not_before {
        findings.push(Finding {
            code: "not_yet_valid",
            message: format!("the token is not valid until {when}"),
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
        expires_at: match exp {
            Some(Moment::At(exp)) => Some(super::certificate::rfc3339(exp)),
            _ => None,
        },
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

    /// The findings and `expires_at` for a token whose only claims are `claims`.
    fn times(claims: serde_json::Value) -> (Vec<String>, Option<String>) {
        let facts = lint(&jwt(claims), "alice@example.com", NOW);
        let findings = facts.findings.iter().map(|f| f.message.clone()).collect();
        (findings, facts.expires_at)
    }

    #[test]
    fn an_expiry_beyond_any_date_is_the_far_future_not_a_problem() {
        let huge = [
            serde_json::json!(i64::MAX),
            serde_json::json!(u64::MAX),
            serde_json::json!(1e300),
            serde_json::json!(LATEST + 1),
        ];
        for exp in huge {
            assert_eq!(
                times(serde_json::json!({"exp": exp})),
                (vec![], None),
                "{exp}"
            );
        }
        assert_eq!(
            times(serde_json::json!({"exp": LATEST})),
            (vec![], Some("9999-12-31T23:59:59Z".to_string()))
        );
    }

    #[test]
    fn an_expiry_that_is_no_time_is_an_invalid_claim() {
        let bad = [
            serde_json::json!(i64::MIN),
            serde_json::json!(-1),
            serde_json::json!(-1e300),
            serde_json::json!(-0.5),
            serde_json::json!("1800000000"),
            serde_json::json!(null),
            serde_json::json!([1]),
        ];
        for exp in bad {
            let (findings, expires_at) = times(serde_json::json!({"exp": exp}));
            assert_eq!(
                findings,
                ["the token's exp claim is not a valid time (seconds since 1970)"],
                "{exp}"
            );
            assert_eq!(expires_at, None, "{exp}");
        }
    }

    #[test]
    fn a_fractional_expiry_counts_its_whole_seconds() {
        let (findings, expires_at) = times(serde_json::json!({"exp": NOW as f64 + 60.75}));
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(expires_at.as_deref(), Some("2027-01-15T08:01:00Z"));
        let (findings, _) = times(serde_json::json!({"exp": NOW as f64 - 90.5}));
        assert_eq!(
            findings,
            ["the token expired 1 minute ago (2027-01-15T07:58:29Z)"]
        );
    }

    #[test]
    fn the_earliest_expiry_is_long_ago_in_days() {
        let (findings, _) = times(serde_json::json!({"exp": 0}));
        assert_eq!(
            findings,
            ["the token expired 20833 days ago (1970-01-01T00:00:00Z)"]
        );
        let (findings, _) = times(serde_json::json!({"exp": NOW - 3 * 3600}));
        assert_eq!(
            findings,
            ["the token expired 3 hours ago (2027-01-15T05:00:00Z)"]
        );
    }

    #[test]
    fn not_before_and_issued_at_at_the_extremes() {
        let (findings, _) = times(serde_json::json!({"nbf": i64::MAX}));
        assert_eq!(
            findings,
            ["the token is not valid until the far future (after the year 9999)"]
        );
        let (findings, _) = times(serde_json::json!({"nbf": 1e300}));
        assert_eq!(findings.len(), 1, "{findings:?}");
        let (findings, _) = times(serde_json::json!({"nbf": i64::MIN, "iat": -1.5}));
        assert_eq!(
            findings,
            [
                "the token's nbf claim is not a valid time (seconds since 1970)",
                "the token's iat claim is not a valid time (seconds since 1970)"
            ]
        );
        for iat in [
            serde_json::json!(i64::MAX),
            serde_json::json!(0),
            serde_json::json!(1e300),
        ] {
            assert_eq!(
                times(serde_json::json!({"iat": iat})),
                (vec![], None),
                "{iat}"
            );
        }
        // Near the top of the range, "now + 5 minutes" must not overflow.
        let facts = lint(
            &jwt(serde_json::json!({"nbf": LATEST, "exp": 0})),
            "u",
            i64::MAX,
        );
        assert_eq!(facts.findings.len(), 1, "{:?}", facts.findings);
    }

    #[test]
    fn opaque_tokens_are_not_judged() {
        let facts = lint("ya29.a0AfH6SMBx-opaque", "alice@gmail.com", NOW);
        assert!(!facts.jwt && facts.findings.is_empty());
        assert!(!lint("a.b.c", "u", NOW).jwt);
    }
}
