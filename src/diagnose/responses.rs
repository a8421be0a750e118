//! What servers say when login or mailbox access fails, and whose problem it is, as a table.
//!
//! Precedence: an RFC 5530 response code decides first, and text only refines within that code
//! (a row with both); text decides alone only when the response has no code this table knows
//! (none, or one such as `[ALERT]` that says nothing about the cause). Text rows written for one
//! provider (Exchange Online's `LOGIN failed.`, Gmail's messages) apply only when that provider
//! was recognised from the host name or the greeting: Courier also says `NO Login failed.`, and
//! that is an ordinary rejected password, not Exchange's basic-auth policy.

use crate::report::Fault;

/// What a row matches. Every field given must match.
pub struct Matcher {
    /// The response code (`UNAVAILABLE`); `None`: the response has no code this table knows.
    pub code: Option<&'static str>,
    /// Text the response contains (case-insensitive).
    pub text: Option<&'static str>,
    /// The provider (`microsoft`, `google`) that must have been recognised for this row.
    pub provider: Option<&'static str>,
}

/// One row.
pub struct ResponseRule {
    /// What it matches.
    pub matcher: Matcher,
    /// Who owns the problem.
    pub fault: Fault,
    /// Verdict code suffix (the failing check's id is prefixed: `auth.unavailable`).
    pub code: &'static str,
    /// The verdict's summary after the owner's opening.
    pub summary: &'static str,
    /// What to do next.
    pub hints: &'static [&'static str],
}

const fn code(code: &'static str) -> Matcher {
    Matcher {
        code: Some(code),
        text: None,
        provider: None,
    }
}

const fn text(text: &'static str) -> Matcher {
    Matcher {
        code: None,
        text: Some(text),
        provider: None,
    }
}

const fn provider_text(provider: &'static str, text: &'static str) -> Matcher {
    Matcher {
        code: None,
        text: Some(text),
        provider: Some(provider),
    }
}

const ENCRYPTION_HINTS: &[&str] =
    &["Use imaps:// (implicit TLS, usually port 993) or STARTTLS (imap://, usually port 143)."];
const SERVER_AUTH_HINTS: &[&str] = &[
    "This is not a wrong password: the server could not check it. Retry later; if it persists, contact the mail provider.",
];

/// The table. Within a code, rows with text come before the row without.
#[rustfmt::skip]
pub const RESPONSE_RULES: &[ResponseRule] = &[
    // Gmail.
    ResponseRule { matcher: provider_text("google", "Application-specific password required"), fault: Fault::Account, code: "app_password_required", summary: "the account has 2-step verification and needs an app password for IMAP.", hints: &["Create an app password (https://support.google.com/accounts/answer/185833) and use it instead of the normal password, or use OAuth2."] },
    ResponseRule { matcher: provider_text("google", "Web login required"), fault: Fault::Account, code: "web_login_required", summary: "Google blocked the sign-in until the user confirms it in a web browser.", hints: &["Sign in to the account's webmail from this computer, confirm the blocked sign-in, then retry."] },
    ResponseRule { matcher: provider_text("google", "log in via your web browser"), fault: Fault::Account, code: "web_login_required", summary: "Google blocked the sign-in until the user confirms it in a web browser.", hints: &["Sign in to the account's webmail from this computer, confirm the blocked sign-in, then retry."] },
    ResponseRule { matcher: provider_text("google", "Too many simultaneous connections"), fault: Fault::Account, code: "too_many_connections", summary: "the account's limit of simultaneous IMAP connections (15 at Gmail) is reached by other clients (this is not a password problem).", hints: &["Close mail apps on other devices, or wait for their connections to time out."] },
    // Exchange Online.
    ResponseRule { matcher: provider_text("microsoft", "User is authenticated but not connected"), fault: Fault::Account, code: "not_connected", summary: "Exchange Online accepted the credentials but could not open a mailbox for that identity.", hints: &["The user name must be the mailbox's address (for a token: user= must match the mailbox).", "For a shared mailbox or app-only access, the identity needs FullAccess on the mailbox.", "For OAuth2 check the scopes: IMAP.AccessAsUser.All (delegated) or IMAP.AccessAsApp (app-only)."] },
    ResponseRule { matcher: provider_text("microsoft", "AUTHENTICATE failed"), fault: Fault::Account, code: "token_rejected", summary: "Exchange Online rejected the OAuth2 token.", hints: &["Check the token's audience (an Outlook/IMAP token, not Microsoft Graph), scope, expiry and user.", "For app-only tokens, the service principal must be registered in Exchange and have mailbox permission."] },
    ResponseRule { matcher: provider_text("microsoft", "LOGIN failed"), fault: Fault::Account, code: "basic_auth_refused", summary: "Exchange Online refused the password login (it gives no reason).", hints: &["Most Microsoft 365 tenants disable basic authentication for IMAP: use OAuth2 (XOAUTH2) instead.", "Otherwise check the password, and that IMAP is enabled for the mailbox."] },
    // Server software, any provider: encryption required before login.
    ResponseRule { matcher: text("Plaintext authentication disallowed"), fault: Fault::Config, code: "privacy_required", summary: "the server requires TLS before login (Dovecot: plaintext authentication disallowed).", hints: ENCRYPTION_HINTS },
    ResponseRule { matcher: text("Login only available under a layer"), fault: Fault::Config, code: "privacy_required", summary: "the server requires TLS before login (Cyrus: login only available under a security layer).", hints: ENCRYPTION_HINTS },
    ResponseRule { matcher: text("STARTTLS required"), fault: Fault::Config, code: "privacy_required", summary: "the server requires TLS before login (STARTTLS required).", hints: ENCRYPTION_HINTS },
    // The server could not check the credentials.
    ResponseRule { matcher: text("generic failure"), fault: Fault::Server, code: "auth_backend_failed", summary: "the server's authentication backend failed (SASL: generic failure).", hints: SERVER_AUTH_HINTS },
    ResponseRule { matcher: text("Temporary problem"), fault: Fault::Server, code: "auth_backend_failed", summary: "the server reports a temporary problem checking the credentials.", hints: SERVER_AUTH_HINTS },
    ResponseRule { matcher: text("Temporary authentication failure"), fault: Fault::Server, code: "auth_backend_failed", summary: "the server reports a temporary failure of its authentication backend.", hints: SERVER_AUTH_HINTS },
    ResponseRule { matcher: text("internal error"), fault: Fault::Server, code: "server_bug", summary: "the mail server reports an internal error.", hints: &["Retry later; if it persists, contact the mail provider with the transcript (-v)."] },
    // The mechanism is not there.
    ResponseRule { matcher: text("Unsupported authentication mechanism"), fault: Fault::Config, code: "mechanism_not_offered", summary: "the server does not support the authentication mechanism used.", hints: &["Use a mechanism the server offers (see the capability check), with --auth."] },
    // IMAP switched off for this account (Courier: `* BYE IMAP access disabled for this
    // account.`; Gmail: `Your account is not enabled for IMAP use.`).
    ResponseRule { matcher: text("IMAP access disabled"), fault: Fault::Account, code: "imap_disabled", summary: "IMAP access is disabled for this account (the password was accepted).", hints: &["Ask the mail administrator to enable IMAP for this account, or enable it in the account's webmail settings."] },
    ResponseRule { matcher: text("not enabled for IMAP"), fault: Fault::Account, code: "imap_disabled", summary: "IMAP access is disabled for this account.", hints: &["Enable IMAP in the account's webmail settings (Gmail: Settings → Forwarding and POP/IMAP), or ask the administrator."] },
    // A per-user/per-address connection limit (Dovecot: mail_max_userip_connections; Cyrus:
    // maxlogins_per_host, `Too many open connections (2 of 2 from host [addr])`).
    ResponseRule { matcher: text("Too many open connections"), fault: Fault::Account, code: "too_many_connections", summary: "the server's limit of simultaneous logins from this address is reached (this is not a password problem).", hints: &["Close mail apps on other devices or other profiles on this computer (and, behind a shared address, ask who else is connected), then retry."] },
    ResponseRule { matcher: text("Maximum number of connections"), fault: Fault::Account, code: "too_many_connections", summary: "the limit of simultaneous connections for this user from this address is reached (this is not a password problem).", hints: &["Close mail apps on other devices or other profiles on this computer, then retry."] },
    // RFC 5530 codes.
    ResponseRule { matcher: code("UNAVAILABLE"), fault: Fault::Server, code: "unavailable", summary: "a subsystem of the mail server (often its authentication backend) is down.", hints: &["This is not a wrong password. Retry later; if it persists, contact the mail provider."] },
    ResponseRule { matcher: code("SERVERBUG"), fault: Fault::Server, code: "server_bug", summary: "the mail server reports an internal error.", hints: &["Contact the mail provider with the transcript (-v)."] },
    ResponseRule { matcher: code("CORRUPTION"), fault: Fault::Server, code: "corruption", summary: "the mail server reports corrupted data.", hints: &["Contact the mail provider."] },
    ResponseRule { matcher: code("INUSE"), fault: Fault::Server, code: "in_use", summary: "the mailbox is locked by another session.", hints: &["Retry in a few minutes."] },
    ResponseRule { matcher: code("PRIVACYREQUIRED"), fault: Fault::Config, code: "privacy_required", summary: "the server requires TLS before login.", hints: ENCRYPTION_HINTS },
    ResponseRule { matcher: code("AUTHENTICATIONFAILED"), fault: Fault::Account, code: "rejected", summary: "the server rejected the credentials.", hints: &["Check the user name (often the full e-mail address) and the password.", "Many providers (Gmail, iCloud, Yahoo) require an app password for IMAP."] },
    ResponseRule { matcher: code("AUTHORIZATIONFAILED"), fault: Fault::Account, code: "authorization_failed", summary: "the identity may not act as the requested user.", hints: &["Check the user name and the permissions between the two identities."] },
    ResponseRule { matcher: code("EXPIRED"), fault: Fault::Account, code: "expired", summary: "the password or the account has expired.", hints: &["Change the password (or renew the account), then retry."] },
    ResponseRule { matcher: code("CONTACTADMIN"), fault: Fault::Account, code: "contact_admin", summary: "the server says the user must contact the administrator.", hints: &["Contact the mail administrator."] },
    ResponseRule { matcher: code("NOPERM"), fault: Fault::Account, code: "no_permission", summary: "the account has no permission for this mailbox.", hints: &["Check the mailbox permissions for this account."] },
    ResponseRule { matcher: code("OVERQUOTA"), fault: Fault::Account, code: "over_quota", summary: "the account exceeded a quota or bandwidth limit.", hints: &["Wait for the limit to reset (Gmail: daily), or free up space."] },
    ResponseRule { matcher: code("LIMIT"), fault: Fault::Account, code: "limit", summary: "the account hit a server limit.", hints: &["Wait and retry, or reduce the number of connected clients."] },
    ResponseRule { matcher: code("THROTTLED"), fault: Fault::Account, code: "throttled", summary: "the provider is throttling this account.", hints: &["Wait and retry later."] },
    ResponseRule { matcher: code("NONEXISTENT"), fault: Fault::Config, code: "mailbox_missing", summary: "the mailbox named does not exist.", hints: &["Check the name with --mailbox, or omit it for INBOX."] },
    ResponseRule { matcher: code("CLIENTBUG"), fault: Fault::Config, code: "client_bug", summary: "the server says the client sent something wrong.", hints: &["Report it to the imapdoctor maintainers with the transcript (-v)."] },
];

/// The row matching a server response, if any. `provider` is the recognised provider's id.
pub fn classify(
    code: Option<&str>,
    text: &str,
    provider: Option<&str>,
) -> Option<&'static ResponseRule> {
    let text = text.to_ascii_lowercase();
    let applies = |m: &Matcher| {
        m.text
            .is_none_or(|t| text.contains(&t.to_ascii_lowercase()))
            && m.provider.is_none_or(|p| Some(p) == provider)
    };
    let known = code.filter(|c| {
        RESPONSE_RULES
            .iter()
            .any(|r| r.matcher.code.is_some_and(|k| k.eq_ignore_ascii_case(c)))
    });
    RESPONSE_RULES.iter().find(|r| {
        let m = &r.matcher;
        let same_code = match (known, m.code) {
            (Some(c), Some(k)) => k.eq_ignore_ascii_case(c),
            (None, None) => true,
            _ => false,
        };
        same_code && applies(m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(code: Option<&str>, text: &str, provider: Option<&str>) -> Option<&'static str> {
        classify(code, text, provider).map(|r| r.code)
    }

    #[test]
    fn a_known_code_decides_before_any_text() {
        // Text that would match a row alone does not override the code.
        assert_eq!(
            verdict(
                Some("UNAVAILABLE"),
                "Plaintext authentication disallowed",
                None
            ),
            Some("unavailable")
        );
        assert_eq!(
            verdict(Some("authenticationfailed"), "Temporary problem", None),
            Some("rejected")
        );
        assert_eq!(
            verdict(Some("UNAVAILABLE"), "LOGIN failed.", Some("microsoft")),
            Some("unavailable")
        );
    }

    #[test]
    fn text_decides_without_a_known_code() {
        assert_eq!(
            verdict(None, "Login only available under a layer", None),
            Some("privacy_required")
        );
        assert_eq!(
            verdict(Some("ALERT"), "STARTTLS required", None),
            Some("privacy_required")
        );
        assert_eq!(
            verdict(None, "Login failed: generic failure", None),
            Some("auth_backend_failed")
        );
        assert_eq!(verdict(None, "whatever", None), None);
        assert_eq!(verdict(Some("ALERT"), "whatever", Some("google")), None);
    }

    #[test]
    fn provider_wording_needs_the_provider() {
        // Courier says this for a wrong password; only Exchange Online means basic auth by it.
        assert_eq!(verdict(None, "Login failed.", None), None);
        assert_eq!(verdict(None, "Login failed.", Some("google")), None);
        assert_eq!(
            verdict(None, "LOGIN failed.", Some("microsoft")),
            Some("basic_auth_refused")
        );
        let gmail = "Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)";
        assert_eq!(verdict(Some("ALERT"), gmail, None), None);
        assert_eq!(
            verdict(Some("ALERT"), gmail, Some("google")),
            Some("app_password_required")
        );
        let rule = classify(
            Some("ALERT"),
            "Too many simultaneous connections. (Failure)",
            Some("google"),
        )
        .unwrap();
        assert_eq!(rule.fault, Fault::Account);
    }

    #[test]
    fn encryption_required_never_blames_the_password() {
        for rule in RESPONSE_RULES
            .iter()
            .filter(|r| r.code == "privacy_required")
        {
            assert_eq!(rule.fault, Fault::Config);
            for hint in rule.hints {
                assert!(!hint.contains("password"), "{hint}");
                assert!(!hint.contains("allow-plaintext"), "{hint}");
            }
        }
    }

    #[test]
    fn rows_of_one_code_put_refinements_first() {
        for (i, rule) in RESPONSE_RULES.iter().enumerate() {
            let Some(code) = rule.matcher.code else {
                continue;
            };
            if rule.matcher.text.is_some() {
                continue;
            }
            assert!(
                RESPONSE_RULES[i + 1..]
                    .iter()
                    .all(|later| later.matcher.code != Some(code)),
                "a row for [{code}] comes after the row without text"
            );
        }
    }
}
