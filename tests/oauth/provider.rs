//! A loopback identity provider for the OAuth tests: HTTPS (axum over tokio-rustls, certificate
//! from the test CA) serving the device authorization, authorization and token endpoints. Each
//! poll of the token endpoint takes the next answer of its script (the last one repeats); every
//! request is recorded with its time.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::support::scripted::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The device code the provider issues (a canary: it must never be shown).
pub const DEVICE_CODE: &str = "device-code-canary-31f7";
pub const USER_CODE: &str = "WDJB-MJHT";
pub const CLIENT_ID: &str = "0a1b2c3d-test-client";
/// The authorization code the browser flow's provider issues (a canary).
pub const AUTH_CODE: &str = "auth-code-canary-6b0c";

/// How the authorization endpoint answers the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorize {
    /// A 302 to the redirect URI with the code and the request's state.
    Grant,
    /// A 302 with `error=access_denied`.
    Deny,
    /// A 302 with the code but another state.
    ForgeState,
    /// A 302 with the code, remembering a challenge that is not the request's, so the
    /// verifier sent to the token endpoint cannot match.
    WrongChallenge,
}

/// One answer of the token endpoint.
#[derive(Clone, Debug)]
pub enum Answer {
    Pending,
    SlowDown,
    Denied,
    Expired,
    Token,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub form: Vec<(String, String)>,
    pub at: Instant,
}

impl Seen {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Shared {
    answers: Arc<Mutex<Vec<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    device: serde_json::Value,
    authorize: Authorize,
    /// The challenge and redirect URI of the last authorization request.
    issued: Arc<Mutex<Option<(String, String)>>>,
}

pub struct Provider {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Provider {
    /// The authority to pass with `--oauth-authority`.
    pub fn authority(&self) -> String {
        format!("https://127.0.0.1:{}/idp", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The token polls, in order.
    pub fn polls(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path.ends_with("/token"))
            .collect()
    }
}

/// Starts the provider: `device` is the device authorization answer's JSON, `answers` the
/// token endpoint's script.
pub async fn start(ca: &TestCa, device: serde_json::Value, answers: Vec<Answer>) -> Provider {
    start_authorizing(ca, device, answers, Authorize::Grant).await
}

/// As [`start`], the authorization endpoint answering as `authorize` says.
pub async fn start_authorizing(
    ca: &TestCa,
    device: serde_json::Value,
    answers: Vec<Answer>,
    authorize: Authorize,
) -> Provider {
    let shared = Shared {
        answers: Arc::new(Mutex::new(answers)),
        seen: Arc::default(),
        device,
        authorize,
        issued: Arc::default(),
    };
    let seen = shared.seen.clone();
    let app = axum::Router::new()
        .route("/idp/{tenant}/oauth2/v2.0/devicecode", post(device_code))
        .route("/idp/{tenant}/oauth2/v2.0/token", post(token))
        .route("/idp/{tenant}/oauth2/v2.0/authorize", get(authorization))
        .route("/idp/o/oauth2/v2/auth", get(authorization))
        .route("/idp/token", post(token))
        .with_state(shared);
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(leaf(ca).server_config()),
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { port, seen }
}

/// TLS over a loopback listener (the handshake in `accept`; a failed one is dropped).
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Decodes `application/x-www-form-urlencoded` (`+` and `%XX`).
fn form_fields(body: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn record(shared: &Shared, path: String, body: &str) -> Seen {
    let form = form_fields(body);
    let seen = Seen {
        path,
        form,
        at: Instant::now(),
    };
    shared.seen.lock().unwrap().push(seen.clone());
    seen
}

async fn device_code(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    body: String,
) -> impl IntoResponse {
    let seen = record(&shared, uri.path().to_string(), &body);
    if seen.field("client_id") != Some(CLIENT_ID) {
        let answer = serde_json::json!({"error": "invalid_client", "error_description": "AADSTS700016: no such app"});
        return (StatusCode::BAD_REQUEST, answer.to_string());
    }
    (StatusCode::OK, shared.device.to_string())
}

/// S256 of a verifier, as RFC 7636 §4.2 defines it (computed here independently of
/// imapdoctor's code, with ring and base64 directly).
pub fn s256(verifier: &str) -> String {
    use base64::Engine;
    let hash = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash.as_ref())
}

async fn authorization(State(shared): State<Shared>, uri: axum::http::Uri) -> impl IntoResponse {
    let seen = record(
        &shared,
        uri.path().to_string(),
        uri.query().unwrap_or_default(),
    );
    let (Some(redirect), Some(state), Some(challenge)) = (
        seen.field("redirect_uri"),
        seen.field("state"),
        seen.field("code_challenge"),
    ) else {
        return (StatusCode::BAD_REQUEST, [("location", String::new())]);
    };
    let challenge = match shared.authorize {
        Authorize::WrongChallenge => format!("x{challenge}"),
        _ => challenge.to_string(),
    };
    *shared.issued.lock().unwrap() = Some((challenge, redirect.to_string()));
    let query = match shared.authorize {
        Authorize::Grant | Authorize::WrongChallenge => {
            format!("code={AUTH_CODE}&state={state}&scope=https%3A%2F%2Fmail.google.com%2F")
        }
        Authorize::Deny => {
            format!("error=access_denied&error_description=The+user+denied&state={state}")
        }
        Authorize::ForgeState => format!("code={AUTH_CODE}&state=forged-state"),
    };
    (
        StatusCode::FOUND,
        [("location", format!("{redirect}?{query}"))],
    )
}

/// The token endpoint's answer to an authorization code: the token only for the code issued,
/// the redirect URI used, and a verifier whose S256 is the challenge.
fn code_exchange(shared: &Shared, seen: &Seen) -> (StatusCode, String) {
    let issued = shared.issued.lock().unwrap().clone();
    let matches = issued.is_some_and(|(challenge, redirect)| {
        seen.field("code_verifier").map(s256) == Some(challenge)
            && seen.field("redirect_uri") == Some(redirect.as_str())
    });
    if seen.field("client_id") != Some(CLIENT_ID)
        || seen.field("code") != Some(AUTH_CODE)
        || !matches
    {
        let answer =
            serde_json::json!({"error": "invalid_grant", "error_description": "Bad Request"});
        return (StatusCode::BAD_REQUEST, answer.to_string());
    }
    let body = serde_json::json!({
        "token_type": "Bearer",
        "scope": "https://mail.google.com/",
        "expires_in": 3599,
        "access_token": TOKEN_CANARY,
    });
    (StatusCode::OK, body.to_string())
}

async fn token(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    body: String,
) -> impl IntoResponse {
    let seen = record(&shared, uri.path().to_string(), &body);
    if seen.field("grant_type") == Some("authorization_code") {
        return code_exchange(&shared, &seen);
    }
    let well_formed = seen.field("client_id") == Some(CLIENT_ID)
        && seen.field("device_code") == Some(DEVICE_CODE)
        && seen.field("grant_type") == Some("urn:ietf:params:oauth:grant-type:device_code");
    if !well_formed {
        let answer = serde_json::json!({"error": "invalid_grant"});
        return (StatusCode::BAD_REQUEST, answer.to_string());
    }
    let answer = {
        let mut answers = shared.answers.lock().unwrap();
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers[0].clone()
        }
    };
    let error = |code: &str| {
        let body = serde_json::json!({"error": code, "error_description": format!("AADSTS-test: {code}\r\nTrace ID: x")});
        (StatusCode::BAD_REQUEST, body.to_string())
    };
    match answer {
        Answer::Pending => error("authorization_pending"),
        Answer::SlowDown => error("slow_down"),
        Answer::Denied => error("access_denied"),
        Answer::Expired => error("expired_token"),
        Answer::Token => {
            let body = serde_json::json!({
                "token_type": "Bearer",
                "scope": "https://outlook.office.com/IMAP.AccessAsUser.All",
                "expires_in": 3600,
                "access_token": TOKEN_CANARY,
                "refresh_token": "refresh-canary-9d2e",
            });
            (StatusCode::OK, body.to_string())
        }
    }
}

/// A device authorization answer asking for polls `interval` seconds apart.
pub fn device(interval: u64, expires_in: u64) -> serde_json::Value {
    serde_json::json!({
        "device_code": DEVICE_CODE,
        "user_code": USER_CODE,
        "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": expires_in,
        "interval": interval,
        "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code WDJB-MJHT to authenticate.",
    })
}
