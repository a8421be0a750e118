//! OAuth sign-in (`--oauth microsoft|google`): before the check, obtain an access token, and
//! hand it to the settings as the token to log in with (XOAUTH2, or OAUTHBEARER with `--auth`).
//! Two flows (`--oauth-flow`): the authorization code grant with PKCE and a loopback redirect
//! ([`browser`], Google's default: its device flow cannot grant the Gmail scope), the person
//! signing in in a browser on this machine; and the device authorization grant (RFC 8628,
//! [`device`], Microsoft's default), the person signing in on another screen.
//!
//! Only the command line's single check (and `--repeat`/`--watch`, which reuse the token) signs
//! in: it needs a person. Batch rows, exporter modules and `--format nagios` never start it; a
//! setting of `oauth` there is a usage error. What the person must do goes to stderr, never
//! stdout (which holds the report); the token is a [`Secret`] from the moment it is read, never
//! printed nor written to disk, and the token lint runs on it as on any other token.

pub mod browser;
pub mod device;
pub mod http;
pub mod pkce;
pub mod providers;
pub mod refusal;

use std::time::Duration;

pub use providers::{Flow, Provider};
pub use refusal::SignInError;

use crate::report::token::TokenOrigin;
use crate::secret::Secret;
use crate::settings::Settings;

/// Environment variable holding the OAuth client secret, for applications that have one
/// (Google's "Desktop app" and "TVs and Limited Input devices" clients); never taken from the
/// command line.
pub const CLIENT_SECRET_ENV: &str = "IMAPDOCTOR_OAUTH_CLIENT_SECRET";

/// A token from a sign-in, with where it came from.
pub struct Grant {
    /// The access token.
    pub token: Secret,
    /// Provider, tenant and scopes, for the report.
    pub origin: TokenOrigin,
}

/// Signs in when the settings ask for it (`oauth`), telling the person on stderr what to do;
/// `None` when they do not. Bounded by the code's lifetime, `--max-time` and `interrupt`
/// (Ctrl-C); each request by `--timeout`.
pub async fn sign_in(
    settings: &Settings,
    interrupt: impl Future<Output = ()>,
) -> Result<Option<Grant>, SignInError> {
    let Some(provider) = settings.oauth else {
        return Ok(None);
    };
    let usage = |m: &str| SignInError::Usage(m.to_string());
    // The user to sign in as: --user, else an e-mail address given as TARGET (it is the user).
    let address = settings
        .target
        .as_deref()
        .filter(|t| !t.contains("://") && crate::discover::address_domain(t).is_some());
    let Some(user) = settings.user.as_deref().or(address) else {
        return Err(usage(
            "--oauth needs --user (or an e-mail address as TARGET): the mailbox to sign in for",
        ));
    };
    if settings.auth.is_some_and(|m| !m.uses_token()) {
        return Err(usage(
            "--oauth gives a token: use --auth xoauth2 or --auth oauthbearer, or leave --auth out",
        ));
    }
    let flow = settings.oauth_flow.unwrap_or(provider.default_flow());
    let client_id = client_id(provider, flow, settings.oauth_client_id.as_deref())?;
    let endpoints = providers::endpoints(
        provider,
        settings.oauth_tenant.as_deref(),
        settings.oauth_authority.as_deref(),
    )
    .map_err(SignInError::Usage)?;
    let extra_roots = match &settings.ca_file {
        Some(path) => {
            crate::config::load_ca_file(path).map_err(|e| SignInError::Usage(e.to_string()))?
        }
        None => Vec::new(),
    };
    let client_secret = match std::env::var(CLIENT_SECRET_ENV) {
        Ok(value) if !value.trim().is_empty() => Some(Secret::new(value.trim().to_string())),
        _ => None,
    };
    let seconds = |s: Option<f64>| s.and_then(|s| Duration::try_from_secs_f64(s).ok());
    let timeout = seconds(settings.timeout)
        .unwrap_or(Duration::from_secs_f64(crate::settings::DEFAULT_TIMEOUT));
    let deadline = seconds(settings.max_time).map(|d| tokio::time::Instant::now() + d);
    let client = http::Client::new(extra_roots, timeout)
        .await
        .map_err(SignInError::Transport)?;
    let request = device::Request {
        provider,
        endpoints,
        client_id,
        client_secret,
        scope: provider.scope(),
    };
    let granted = match flow {
        Flow::Device => {
            let show = |prompt: &device::Prompt| tell(provider, user, prompt);
            device::sign_in(&client, &request, deadline, interrupt, show).await?
        }
        Flow::Browser => {
            let show = |prompt: &browser::Prompt| tell_browser(provider, user, prompt);
            browser::sign_in(&client, &request, user, timeout, deadline, interrupt, show).await?
        }
    };
    crate::stderr::say(format_args!("signed in to {}", provider.name()));
    let scopes = if granted.scopes.is_empty() {
        provider
            .scope()
            .split_whitespace()
            .map(String::from)
            .collect()
    } else {
        granted.scopes
    };
    Ok(Some(Grant {
        token: granted.token,
        origin: TokenOrigin {
            flow: flow.grant(),
            provider: provider.name(),
            tenant: request.endpoints.tenant,
            scopes,
        },
    }))
}

/// The client id to sign in with: none is shipped (no provider publishes one for such use), so
/// it must be given.
fn client_id(provider: Provider, flow: Flow, given: Option<&str>) -> Result<String, SignInError> {
    let Some(id) = given.map(str::trim).filter(|id| !id.is_empty()) else {
        let register = match (provider, flow) {
            (Provider::Microsoft, Flow::Device) => {
                "register a public client in Microsoft Entra ID (\"Allow public client flows\" on, API permission IMAP.AccessAsUser.All)"
            }
            (Provider::Microsoft, Flow::Browser) => {
                "register a public client in Microsoft Entra ID (platform \"Mobile and desktop applications\", redirect URI http://127.0.0.1, API permission IMAP.AccessAsUser.All)"
            }
            (Provider::Google, Flow::Browser) => {
                "create an OAuth client of type \"Desktop app\" in the Google Cloud console (its secret goes in IMAPDOCTOR_OAUTH_CLIENT_SECRET)"
            }
            (Provider::Google, Flow::Device) => {
                "create an OAuth client of type \"TVs and Limited Input devices\" in the Google Cloud console (but Google does not allow the Gmail scope in the device flow: leave --oauth-flow out)"
            }
        };
        return Err(SignInError::Usage(format!(
            "--oauth {} needs --oauth-client-id: imapdoctor ships no application of its own; {register}, see the README's \"Sign in with OAuth\"",
            provider.name()
        )));
    };
    let valid = id.len() <= 256 && !id.chars().any(|c| c.is_control() || c.is_whitespace());
    if !valid {
        return Err(SignInError::Usage(
            "--oauth-client-id: at most 256 characters, without spaces or control characters"
                .into(),
        ));
    }
    Ok(id.to_string())
}

/// Tells the person on stderr where to sign in and with which code.
fn tell(provider: Provider, user: &str, prompt: &device::Prompt) {
    let minutes = device::lifetime(prompt.expires_in);
    crate::stderr::say(format_args!(
        "to sign in to {} as {}, open {} and enter the code {} (within {minutes})",
        provider.name(),
        crate::sanitize::terminal_text(user),
        prompt.verification_uri,
        prompt.user_code,
    ));
    if let Some(complete) = &prompt.verification_uri_complete {
        crate::stderr::say(format_args!("(or open {complete}, the code filled in)"));
    }
    crate::stderr::say("waiting for the sign-in (Ctrl-C stops)...");
}

/// Tells the person on stderr which URL to open in a browser on this machine.
fn tell_browser(provider: Provider, user: &str, prompt: &browser::Prompt) {
    let minutes = device::lifetime(prompt.expires_in);
    crate::stderr::say(format_args!(
        "to sign in to {} as {}, open this URL in a browser on this machine (within {minutes}):",
        provider.name(),
        crate::sanitize::terminal_text(user),
    ));
    crate::stderr::say(format_args!("  {}", prompt.url));
    crate::stderr::say("waiting for the browser to come back to imapdoctor (Ctrl-C stops)...");
}

/// `work`, unless the run's `deadline` (`--max-time`) passes or `interrupt` (Ctrl-C) comes first:
/// how every sign-in flow waits for the person.
async fn within<T>(
    work: impl Future<Output = Result<T, SignInError>>,
    deadline: Option<tokio::time::Instant>,
    interrupt: impl Future<Output = ()>,
) -> Result<T, SignInError> {
    let out_of_time = async {
        match deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = interrupt => Err(SignInError::Interrupted),
        () = out_of_time => Err(SignInError::OutOfTime),
        result = work => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_client_id_says_which_application_to_register_for_the_flow() {
        let message = |provider, flow| client_id(provider, flow, None).unwrap_err().to_string();
        assert!(message(Provider::Google, Flow::Browser).contains("\"Desktop app\""));
        assert!(message(Provider::Google, Flow::Device).contains("does not allow the Gmail scope"));
        assert!(message(Provider::Microsoft, Flow::Browser).contains("http://127.0.0.1"));
        assert!(message(Provider::Microsoft, Flow::Device).contains("Allow public client flows"));
        assert_eq!(Provider::Google.default_flow(), Flow::Browser);
        assert_eq!(Provider::Microsoft.default_flow(), Flow::Device);
    }
}
