//! What servers say when login or mailbox access fails, and whose problem it is: RFC 5530 response
//! codes and the provider strings of `imap-failure-modes.md`, as a table. Text rows are tried before
//! code rows because they are more specific (Gmail's app-password reply carries `[ALERT]`, not
//! `[AUTHENTICATIONFAILED]`).

use crate::report::Fault;

/// What a row matches.
pub enum Matcher {
    /// The response text contains this (case-insensitive).
    Text(&'static str),
    /// The response code is this.
    Code(&'static str),
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

use Matcher::{Code, Text};

/// The table.
#[rustfmt::skip]
pub const RESPONSE_RULES: &[ResponseRule] = &[
    ResponseRule { matcher: Text("Application-specific password required"), fault: Fault::Account, code: "app_password_required", summary: "the account has 2-step verification and needs an app password for IMAP.", hints: &["Create an app password (https://support.google.com/accounts/answer/185833) and use it instead of the normal password, or use OAuth2."] },
    ResponseRule { matcher: Text("Web login required"), fault: Fault::Account, code: "web_login_required", summary: "the provider blocked the sign-in until the user confirms it in a web browser.", hints: &["Sign in to the account's webmail from this computer, confirm the blocked sign-in, then retry."] },
    ResponseRule { matcher: Text("log in via your web browser"), fault: Fault::Account, code: "web_login_required", summary: "the provider blocked the sign-in until the user confirms it in a web browser.", hints: &["Sign in to the account's webmail from this computer, confirm the blocked sign-in, then retry."] },
    ResponseRule { matcher: Text("Too many simultaneous connections"), fault: Fault::Account, code: "too_many_connections", summary: "the account's limit of simultaneous IMAP connections is reached by other clients (this is not a password problem).", hints: &["Close mail apps on other devices, or wait for their connections to time out.", "Gmail allows 15 IMAP connections per account."] },
    ResponseRule { matcher: Text("Maximum number of connections"), fault: Fault::Account, code: "too_many_connections", summary: "the account's limit of simultaneous connections from this address is reached (this is not a password problem).", hints: &["Close mail apps on other devices or other profiles on this computer, then retry."] },
    ResponseRule { matcher: Text("User is authenticated but not connected"), fault: Fault::Account, code: "not_connected", summary: "Exchange Online accepted the credentials but could not open a mailbox for that identity.", hints: &["The user name must be the mailbox's address (for a token: user= must match the mailbox).", "For a shared mailbox or app-only access, the identity needs FullAccess on the mailbox.", "For OAuth2 check the scopes: IMAP.AccessAsUser.All (delegated) or IMAP.AccessAsApp (app-only)."] },
    ResponseRule { matcher: Text("AUTHENTICATE failed"), fault: Fault::Account, code: "token_rejected", summary: "the server rejected the OAuth2 token.", hints: &["Check the token's audience (an Outlook/IMAP token, not Microsoft Graph), scope, expiry and user.", "For app-only tokens, the service principal must be registered in Exchange and have mailbox permission."] },
    ResponseRule { matcher: Text("LOGIN failed"), fault: Fault::Account, code: "basic_auth_refused", summary: "Exchange Online refused the password login (it gives no reason).", hints: &["Most Microsoft 365 tenants disable basic authentication for IMAP: use OAuth2 (XOAUTH2) instead.", "Otherwise check the password, and that IMAP is enabled for the mailbox."] },
    ResponseRule { matcher: Text("Plaintext authentication disallowed"), fault: Fault::Config, code: "privacy_required", summary: "the server requires TLS before login.", hints: &["Use imaps:// (port 993) or STARTTLS."] },
    ResponseRule { matcher: Code("UNAVAILABLE"), fault: Fault::Server, code: "unavailable", summary: "a subsystem of the mail server (often its authentication backend) is down.", hints: &["Retry later; if it persists, contact the mail provider."] },
    ResponseRule { matcher: Code("SERVERBUG"), fault: Fault::Server, code: "server_bug", summary: "the mail server reports an internal error.", hints: &["Contact the mail provider with the transcript (-v)."] },
    ResponseRule { matcher: Code("CORRUPTION"), fault: Fault::Server, code: "corruption", summary: "the mail server reports corrupted data.", hints: &["Contact the mail provider."] },
    ResponseRule { matcher: Code("INUSE"), fault: Fault::Server, code: "in_use", summary: "the mailbox is locked by another session.", hints: &["Retry in a few minutes."] },
    ResponseRule { matcher: Code("PRIVACYREQUIRED"), fault: Fault::Config, code: "privacy_required", summary: "the server requires TLS before login.", hints: &["Use imaps:// (port 993) or STARTTLS."] },
    ResponseRule { matcher: Code("AUTHENTICATIONFAILED"), fault: Fault::Account, code: "rejected", summary: "the server rejected the credentials.", hints: &["Check the user name (often the full e-mail address) and the password.", "Many providers (Gmail, iCloud, Yahoo) require an app password for IMAP."] },
    ResponseRule { matcher: Code("AUTHORIZATIONFAILED"), fault: Fault::Account, code: "authorization_failed", summary: "the identity may not act as the requested user.", hints: &["Check the user name and the permissions between the two identities."] },
    ResponseRule { matcher: Code("EXPIRED"), fault: Fault::Account, code: "expired", summary: "the password or the account has expired.", hints: &["Change the password (or renew the account), then retry."] },
    ResponseRule { matcher: Code("CONTACTADMIN"), fault: Fault::Account, code: "contact_admin", summary: "the server says the user must contact the administrator.", hints: &["Contact the mail administrator."] },
    ResponseRule { matcher: Code("NOPERM"), fault: Fault::Account, code: "no_permission", summary: "the account has no permission for this mailbox.", hints: &["Check the mailbox permissions for this account."] },
    ResponseRule { matcher: Code("OVERQUOTA"), fault: Fault::Account, code: "over_quota", summary: "the account exceeded a quota or bandwidth limit.", hints: &["Wait for the limit to reset (Gmail: daily), or free up space."] },
    ResponseRule { matcher: Code("LIMIT"), fault: Fault::Account, code: "limit", summary: "the account hit a server limit.", hints: &["Wait and retry, or reduce the number of connected clients."] },
    ResponseRule { matcher: Code("THROTTLED"), fault: Fault::Account, code: "throttled", summary: "the provider is throttling this account.", hints: &["Wait and retry later."] },
    ResponseRule { matcher: Code("NONEXISTENT"), fault: Fault::Config, code: "mailbox_missing", summary: "the mailbox named does not exist.", hints: &["Check the name with --mailbox, or omit it for INBOX."] },
    ResponseRule { matcher: Code("CLIENTBUG"), fault: Fault::Config, code: "client_bug", summary: "the server says the client sent something wrong.", hints: &["Report it to the imapdoctor maintainers with the transcript (-v)."] },
];

/// The row matching a server response, if any.
pub fn classify(code: Option<&str>, text: &str) -> Option<&'static ResponseRule> {
    let text = text.to_ascii_lowercase();
    let by_text = RESPONSE_RULES.iter().find(|r| match r.matcher {
        Text(t) => text.contains(&t.to_ascii_lowercase()),
        Code(_) => false,
    });
    by_text.or_else(|| {
        let code = code?;
        RESPONSE_RULES
            .iter()
            .find(|r| matches!(r.matcher, Code(c) if c.eq_ignore_ascii_case(code)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_strings_beat_generic_codes() {
        let gmail = classify(
            Some("ALERT"),
            "Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)",
        );
        assert_eq!(gmail.unwrap().code, "app_password_required");
        assert_eq!(
            classify(
                Some("ALERT"),
                "Too many simultaneous connections. (Failure)"
            )
            .unwrap()
            .fault,
            Fault::Account
        );
        assert_eq!(
            classify(
                Some("UNAVAILABLE"),
                "Temporary authentication failure. [host:2026]"
            )
            .unwrap()
            .fault,
            Fault::Server
        );
        assert_eq!(
            classify(None, "LOGIN failed.").unwrap().code,
            "basic_auth_refused"
        );
        assert!(classify(None, "whatever").is_none());
    }
}
