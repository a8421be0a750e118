//! The identity providers imapdoctor signs in with: where their authorization,
//! device-authorization and token endpoints are, which scope lets a token log in to IMAP, and
//! which flow each uses unless `--oauth-flow` says otherwise.
//!
//! Sources: Microsoft identity platform, "OAuth 2.0 device authorization grant"
//! (`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode` and `/token`) and
//! "Authenticate an IMAP, POP or SMTP connection using OAuth" (scope
//! `https://outlook.office.com/IMAP.AccessAsUser.All`); Google, "OAuth 2.0 for TV and
//! Limited-Input Device Applications" (`https://oauth2.googleapis.com/device/code` and `/token`)
//! and "OAuth 2.0 Scopes for Google APIs" (Gmail over IMAP: `https://mail.google.com/`); for the
//! authorization code flow, Microsoft's "OAuth 2.0 authorization code flow"
//! (`.../oauth2/v2.0/authorize`) and Google's "OAuth 2.0 for iOS & Desktop Apps"
//! (`https://accounts.google.com/o/oauth2/v2/auth`, loopback redirect, PKCE).

use serde::Deserialize;

/// Microsoft's default authority (the global cloud).
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Google's default authority (device authorization and token endpoints).
pub const GOOGLE_AUTHORITY: &str = "https://oauth2.googleapis.com";
/// Google's authorization endpoint (on another host than its token endpoint).
pub const GOOGLE_AUTHORIZATION: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// The path of Google's authorization endpoint, kept under an `--oauth-authority`.
const GOOGLE_AUTHORIZATION_PATH: &str = "/o/oauth2/v2/auth";
/// The Microsoft tenant used without `--oauth-tenant`: `common` accepts work or school accounts
/// and personal Microsoft accounts (Outlook.com), as far as the application allows them.
pub const DEFAULT_TENANT: &str = "common";

/// An identity provider imapdoctor can sign in with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Microsoft Entra ID (Microsoft 365, Outlook.com).
    Microsoft,
    /// Google (Gmail, Google Workspace).
    Google,
}

impl Provider {
    /// How it is written in messages and the report.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Microsoft => "microsoft",
            Provider::Google => "google",
        }
    }

    /// The scopes asked for, space-separated.
    pub fn scope(self) -> &'static str {
        match self {
            Provider::Microsoft => {
                "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
            }
            Provider::Google => "https://mail.google.com/",
        }
    }

    /// The flow used without `--oauth-flow`: Google's device flow cannot grant the Gmail scope,
    /// so Google signs in in a browser; Microsoft keeps the device flow.
    pub fn default_flow(self) -> Flow {
        match self {
            Provider::Microsoft => Flow::Device,
            Provider::Google => Flow::Browser,
        }
    }
}

/// How the person signs in (`--oauth-flow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Authorization code with PKCE (RFC 7636) and a loopback redirect (RFC 8252): open the
    /// printed URL in a browser on this machine.
    Browser,
    /// Device authorization grant (RFC 8628): open a page on any device and enter a code.
    Device,
}

impl Flow {
    /// How the report names it (the OAuth grant).
    pub fn grant(self) -> &'static str {
        match self {
            Flow::Browser => "authorization_code",
            Flow::Device => "device_code",
        }
    }
}

/// Where one sign-in asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The authorization endpoint the browser opens (RFC 6749 §3.1).
    pub authorization: String,
    /// The device authorization endpoint (RFC 8628 §3.1).
    pub device_authorization: String,
    /// The token endpoint (RFC 8628 §3.4).
    pub token: String,
    /// The Microsoft tenant (none for Google).
    pub tenant: Option<String>,
}

/// The endpoints of `provider`, under `authority` when given (the same paths as under the
/// provider's own authority). The authority must be an `https://` URL without query or fragment;
/// a tenant is a name, a domain or an id, never a path.
pub fn endpoints(
    provider: Provider,
    tenant: Option<&str>,
    authority: Option<&str>,
) -> Result<Endpoints, String> {
    let google_authorization = match authority {
        Some(given) => format!("{}{GOOGLE_AUTHORIZATION_PATH}", checked_authority(given)?),
        None => GOOGLE_AUTHORIZATION.to_string(),
    };
    let authority = match authority {
        Some(given) => checked_authority(given)?,
        None => match provider {
            Provider::Microsoft => MICROSOFT_AUTHORITY,
            Provider::Google => GOOGLE_AUTHORITY,
        }
        .to_string(),
    };
    match provider {
        Provider::Microsoft => {
            let tenant = tenant.unwrap_or(DEFAULT_TENANT);
            let valid = !tenant.is_empty()
                && tenant.len() <= 256
                && tenant
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
            if !valid {
                return Err(format!(
                    "--oauth-tenant {:?}: a tenant is a domain (contoso.onmicrosoft.com), an id, or common, organizations, consumers",
                    crate::sanitize::terminal_text(tenant)
                ));
            }
            let base = format!("{authority}/{tenant}/oauth2/v2.0");
            Ok(Endpoints {
                authorization: format!("{base}/authorize"),
                device_authorization: format!("{base}/devicecode"),
                token: format!("{base}/token"),
                tenant: Some(tenant.to_string()),
            })
        }
        Provider::Google => {
            if tenant.is_some() {
                return Err("--oauth-tenant applies to --oauth microsoft only".into());
            }
            Ok(Endpoints {
                authorization: google_authorization,
                device_authorization: format!("{authority}/device/code"),
                token: format!("{authority}/token"),
                tenant: None,
            })
        }
    }
}

/// `authority` without a trailing slash, if it is an `https://` URL with a host and no query,
/// fragment, user information or whitespace.
fn checked_authority(authority: &str) -> Result<String, String> {
    let shown = crate::sanitize::terminal_text(authority);
    let rest = authority.strip_prefix("https://").ok_or_else(|| {
        format!("--oauth-authority {shown:?}: must be an https:// URL (the token travels there)")
    })?;
    let host = rest.split('/').next().unwrap_or_default();
    let bad = rest.is_empty()
        || host.is_empty()
        || host.contains('@')
        || rest.contains(['?', '#'])
        || rest.chars().any(|c| c.is_whitespace() || c.is_control());
    if bad {
        return Err(format!(
            "--oauth-authority {shown:?}: give https://HOST[:PORT][/PATH], without user, query or fragment"
        ));
    }
    Ok(authority.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_endpoints_carry_the_tenant_under_the_authority() {
        let e = endpoints(Provider::Microsoft, None, None).unwrap();
        assert_eq!(
            e.device_authorization,
            "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"
        );
        assert_eq!(
            e.token,
            "https://login.microsoftonline.com/common/oauth2/v2.0/token"
        );
        assert_eq!(
            e.authorization,
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
        );
        let e = endpoints(
            Provider::Microsoft,
            Some("contoso.onmicrosoft.com"),
            Some("https://login.microsoftonline.us/"),
        )
        .unwrap();
        assert_eq!(
            e.token,
            "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }

    #[test]
    fn google_endpoints_follow_the_authority() {
        let e = endpoints(Provider::Google, None, Some("https://127.0.0.1:8443/g")).unwrap();
        assert_eq!(
            e.device_authorization,
            "https://127.0.0.1:8443/g/device/code"
        );
        assert_eq!(e.token, "https://127.0.0.1:8443/g/token");
        assert_eq!(e.authorization, "https://127.0.0.1:8443/g/o/oauth2/v2/auth");
        let e = endpoints(Provider::Google, None, None).unwrap();
        assert_eq!(
            e.authorization,
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
        assert_eq!(e.token, "https://oauth2.googleapis.com/token");
        assert!(endpoints(Provider::Google, Some("common"), None).is_err());
    }

    #[test]
    fn authorities_are_https_and_tenants_are_names() {
        for bad in [
            "http://127.0.0.1:1",
            "https://",
            "https://u@host",
            "https://host/?x",
            "https://host/#x",
            "https://ho st",
        ] {
            assert!(
                endpoints(Provider::Microsoft, None, Some(bad)).is_err(),
                "{bad}"
            );
        }
        for bad in ["", "a/b", "../x", "a?b", "tenant\u{1b}"] {
            assert!(
                endpoints(Provider::Microsoft, Some(bad), None).is_err(),
                "{bad:?}"
            );
        }
    }
}
