//! The OAuth 2.0 device authorization grant (RFC 8628): ask the device-authorization endpoint
//! for a user code (§3.1–3.2), show the person where to enter it, then poll the token endpoint at
//! the interval asked (§3.4–3.5: `authorization_pending` → keep polling, `slow_down` → 5 s more
//! between polls) until a token, a refusal, the code's expiry, `--max-time` or Ctrl-C.

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use super::http::{Answer, Client};
use super::providers::{Endpoints, Provider};
use super::refusal::{self, SignInError};
use crate::secret::Secret;

/// The polling interval when the provider names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN: Duration = Duration::from_secs(5);
/// The code's lifetime when the provider names none.
const DEFAULT_EXPIRES_IN: u64 = 900;
/// The longest wait for a person imapdoctor accepts from a provider.
const MAX_EXPIRES_IN: u64 = 3600;
/// The longest interval accepted from a provider.
const MAX_INTERVAL: u64 = 60;
/// The longest user code or verification URL shown.
const MAX_SHOWN: usize = 300;

/// What one sign-in asks for.
pub struct Request {
    /// The identity provider.
    pub provider: Provider,
    /// Its endpoints.
    pub endpoints: Endpoints,
    /// The application's client id.
    pub client_id: String,
    /// The application's client secret, for providers that want one (Google's device clients).
    pub client_secret: Option<Secret>,
    /// The scopes asked for, space-separated.
    pub scope: &'static str,
}

/// What the person must do, as the provider said it (sanitized).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// The page to open (`verification_uri`; Google's `verification_url`).
    pub verification_uri: String,
    /// The code to enter there.
    pub user_code: String,
    /// The page with the code filled in, if the provider gives one.
    pub verification_uri_complete: Option<String>,
    /// How long the code lasts.
    pub expires_in: Duration,
}

/// A token the person granted.
pub struct Granted {
    /// The access token (registered for redaction).
    pub token: Secret,
    /// The scopes granted, as the token endpoint lists them (sanitized; empty when it does not).
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    verification_uri: Option<String>,
    verification_url: Option<String>,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: Option<String>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}

/// One poll's outcome.
enum Poll {
    Pending,
    SlowDown,
    Token(Granted),
}

/// Runs the grant: `show` is told what the person must do once the code is issued. The wait is
/// bounded by the code's lifetime and by `deadline` (`--max-time`); `interrupt` (Ctrl-C) stops it.
pub async fn sign_in(
    client: &Client,
    request: &Request,
    deadline: Option<Instant>,
    interrupt: impl Future<Output = ()>,
    show: impl FnOnce(&Prompt),
) -> Result<Granted, SignInError> {
    let bounded = async {
        let (device_code, prompt, mut interval) = authorize(client, request).await?;
        show(&prompt);
        let expires_at = Instant::now() + prompt.expires_in;
        let lifetime = lifetime(prompt.expires_in);
        let code_expired = || SignInError::Expired(lifetime.clone());
        loop {
            let wake = Instant::now() + interval;
            if wake >= expires_at {
                tokio::time::sleep_until(expires_at).await;
                return Err(code_expired());
            }
            tokio::time::sleep_until(wake).await;
            match poll(client, request, &device_code).await? {
                Poll::Pending => {}
                Poll::SlowDown => interval += SLOW_DOWN,
                Poll::Token(granted) => return Ok(granted),
            }
            if Instant::now() >= expires_at {
                return Err(code_expired());
            }
        }
    };
    super::within(bounded, deadline, interrupt).await
}

/// How long a code lasts, as a person would say it.
pub fn lifetime(span: Duration) -> String {
    match span.as_secs() {
        1 => "1 second".into(),
        s @ 0..120 => format!("{s} seconds"),
        s => crate::checks::token::span(s as i64),
    }
}

/// Posts `fields` to `url` as the application: with the client id, and its secret when there is
/// one, which every request carries.
pub(super) async fn post_as_client(
    client: &Client,
    request: &Request,
    url: &str,
    fields: &[(&str, &str)],
) -> Result<super::http::Answer, SignInError> {
    let mut form = vec![("client_id", request.client_id.as_str())];
    if let Some(secret) = &request.client_secret {
        form.push(("client_secret", secret.expose()));
    }
    form.extend_from_slice(fields);
    client
        .post(url, &form)
        .await
        .map_err(SignInError::Transport)
}

/// Asks for a device code and user code (RFC 8628 §3.1).
async fn authorize(
    client: &Client,
    request: &Request,
) -> Result<(Secret, Prompt, Duration), SignInError> {
    let url = &request.endpoints.device_authorization;
    let answer = post_as_client(client, request, url, &[("scope", request.scope)]).await?;
    if answer.status != 200 {
        return Err(error_answer(request.provider, url, &answer));
    }
    let issued: DeviceAuthorization = serde_json::from_slice(&answer.body).map_err(|e| {
        SignInError::Transport(format!(
            "{}: not a device authorization answer: {e}",
            crate::sanitize::terminal_text(url)
        ))
    })?;
    let device_code = Secret::new(issued.device_code);
    let verification_uri = issued
        .verification_uri
        .or(issued.verification_url)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            SignInError::Transport(format!(
                "{}: the answer names no verification URL",
                crate::sanitize::terminal_text(url)
            ))
        })?;
    let shown = |text: &str| crate::sanitize::within(text, MAX_SHOWN);
    let prompt = Prompt {
        verification_uri: shown(&verification_uri),
        user_code: shown(&issued.user_code),
        verification_uri_complete: issued.verification_uri_complete.as_deref().map(shown),
        expires_in: Duration::from_secs(
            issued
                .expires_in
                .unwrap_or(DEFAULT_EXPIRES_IN)
                .clamp(1, MAX_EXPIRES_IN),
        ),
    };
    let interval = issued.interval.map_or(DEFAULT_INTERVAL, |s| {
        Duration::from_secs(s.clamp(1, MAX_INTERVAL))
    });
    Ok((device_code, prompt, interval))
}

/// Asks the token endpoint once (RFC 8628 §3.4).
async fn poll(
    client: &Client,
    request: &Request,
    device_code: &Secret,
) -> Result<Poll, SignInError> {
    let grant = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code.expose()),
    ];
    let url = &request.endpoints.token;
    let answer = post_as_client(client, request, url, &grant).await?;
    if answer.status == 200 {
        return granted(url, &answer).map(Poll::Token);
    }
    match serde_json::from_slice::<ErrorAnswer>(&answer.body) {
        Ok(e) if e.error == "authorization_pending" => Ok(Poll::Pending),
        Ok(e) if e.error == "slow_down" => Ok(Poll::SlowDown),
        Ok(e) if e.error == "access_denied" => Err(SignInError::Declined),
        Ok(e) if e.error == "expired_token" => {
            Err(SignInError::Expired("the time the provider allows".into()))
        }
        _ => Err(error_answer(request.provider, url, &answer)),
    }
}

/// The token of a successful (HTTP 200) token endpoint answer, checked: a non-empty bearer
/// token, registered for redaction as soon as it is read.
pub(super) fn granted(url: &str, answer: &Answer) -> Result<Granted, SignInError> {
    let issued: TokenAnswer = serde_json::from_slice(&answer.body).map_err(|_| {
        SignInError::Transport(format!(
            "{}: the answer holds no access token",
            crate::sanitize::terminal_text(url)
        ))
    })?;
    let token = Secret::new(issued.access_token);
    if let Some(kind) = issued.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(SignInError::Transport(format!(
            "the token endpoint issued a {:?} token, not a bearer token",
            crate::sanitize::within(&kind, 40)
        )));
    }
    if token.expose().is_empty() || token.expose().chars().any(char::is_control) {
        return Err(SignInError::Transport(
            "the token endpoint issued an empty or malformed token".into(),
        ));
    }
    let scopes = issued
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .take(32)
        .map(|s| crate::sanitize::within(s, 200))
        .collect();
    Ok(Granted { token, scopes })
}

/// The error for an answer that is not a success: the OAuth error when the body holds one,
/// else the HTTP status.
pub(super) fn error_answer(provider: Provider, url: &str, answer: &Answer) -> SignInError {
    match serde_json::from_slice::<ErrorAnswer>(&answer.body) {
        Ok(e) => {
            let error = crate::sanitize::within(&e.error, 100);
            let description = e
                .error_description
                .as_deref()
                .map(|d| crate::sanitize::within(d.lines().next().unwrap_or_default(), 400));
            refusal::refused(provider, &error, description.as_deref())
        }
        Err(_) => SignInError::Transport(format!(
            "{}: HTTP {} without an OAuth error",
            crate::sanitize::terminal_text(url),
            answer.status
        )),
    }
}
