//! OAuth sign-in (`--oauth`) end to end: a real HTTPS identity provider on loopback (axum over
//! tokio-rustls, certificate from the test CA, trusted through `--ca-file`) serving the device
//! authorization and token endpoints of RFC 8628, and a scripted IMAP server that accepts only the
//! token the provider issues. Approve, decline, expiry and slow_down each get their outcome; the
//! token never appears in stdout, stderr or the JSON.
//!
//! The browser flow (authorization code with PKCE, loopback redirect): the provider also serves
//! an authorization endpoint answering with a 302 to the redirect URI, and checks
//! S256(code_verifier) against the challenge at the token endpoint; the test plays the browser
//! (reads the URL from stderr, GETs it, follows the redirect to imapdoctor's loopback listener).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use support::scripted::*;

/// A loopback identity provider. Each poll of the token endpoint takes the next answer of its
/// script (the last one repeats); every request is recorded with its time.
mod provider {
    use super::*;
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

    async fn authorization(
        State(shared): State<Shared>,
        uri: axum::http::Uri,
    ) -> impl IntoResponse {
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
}

use provider::Answer;

/// An IMAP server accepting only the canary token for [`USER`], and the provider.
async fn lab(
    device: serde_json::Value,
    answers: Vec<Answer>,
) -> (Fixture, provider::Provider, TestCa) {
    let ca = TestCa::new("t");
    let imap = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, TOKEN_CANARY), &ca).await;
    let idp = provider::start(&ca, device, answers).await;
    (imap, idp, ca)
}

/// Signs in with `--oauth microsoft` against the lab, as JSON, and checks.
async fn sign_in(imap: &Fixture, idp: &provider::Provider, extra: &[&str]) -> Run {
    let authority = idp.authority();
    let mut args = vec![
        "--json",
        "--user",
        USER,
        "--oauth",
        "microsoft",
        "--oauth-client-id",
        provider::CLIENT_ID,
        "--oauth-authority",
        &authority,
    ];
    args.extend_from_slice(extra);
    let run = imap.run_with(&args, &[]).await;
    for secret in [provider::DEVICE_CODE, "refresh-canary-9d2e"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret} leaked:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn approved_after_two_pending_polls_the_token_logs_in() {
    let answers = vec![Answer::Pending, Answer::Pending, Answer::Token];
    let (imap, idp, _ca) = lab(provider::device(1, 60), answers).await;
    let run = sign_in(&imap, &idp, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("open https://microsoft.com/devicelogin")
            && run.stderr.contains(provider::USER_CODE),
        "{}",
        run.stderr
    );
    let auth = &run.check("auth")["details"];
    assert_eq!(auth["mechanism"], "XOAUTH2");
    let origin = &auth["token_origin"];
    assert_eq!(origin["flow"], "device_code");
    assert_eq!(origin["provider"], "microsoft");
    assert_eq!(origin["tenant"], "common");
    assert_eq!(
        origin["scopes"],
        serde_json::json!(["https://outlook.office.com/IMAP.AccessAsUser.All"])
    );
    let seen = idp.seen();
    assert_eq!(seen[0].path, "/idp/common/oauth2/v2.0/devicecode");
    assert_eq!(
        seen[0].field("scope"),
        Some("https://outlook.office.com/IMAP.AccessAsUser.All offline_access")
    );
    assert_eq!(idp.polls().len(), 3, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oauthbearer_when_asked_and_the_tenant_in_the_path() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Token]).await;
    let run = sign_in(
        &imap,
        &idp,
        &["--auth", "oauthbearer", "--oauth-tenant", "contoso.example"],
    )
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.check("auth")["details"]["mechanism"], "OAUTHBEARER");
    assert_eq!(
        idp.seen()[0].path,
        "/idp/contoso.example/oauth2/v2.0/devicecode"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn declined_sign_in_is_a_usage_error_and_nothing_is_sent_to_the_server() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Denied]).await;
    let run = sign_in(&imap, &idp, &[]).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("sign-in was declined"),
        "{}",
        run.stderr
    );
    let document = run.json.as_ref().expect("a JSON error document");
    assert_eq!(document["error"]["code"], "usage");
    assert_eq!(imap.server.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_answer_and_the_codes_own_lifetime_both_end_the_wait() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Expired]).await;
    let run = sign_in(&imap, &idp, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the code expired before sign-in finished"),
        "{}",
        run.stderr
    );
    // The provider keeps answering "pending"; the code lasts 2 s.
    let (imap, idp, _ca) = lab(provider::device(1, 2), vec![Answer::Pending]).await;
    let run = sign_in(&imap, &idp, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the code expired") && run.stderr.contains("within 2 seconds"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    assert!(idp.polls().len() <= 2, "{:?}", idp.polls());
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_down_adds_five_seconds_between_polls() {
    let answers = vec![Answer::Pending, Answer::SlowDown, Answer::Token];
    let (imap, idp, _ca) = lab(provider::device(1, 60), answers).await;
    let run = sign_in(&imap, &idp, &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let polls = idp.polls();
    assert_eq!(polls.len(), 3, "{polls:?}");
    let first = polls[1].at - polls[0].at;
    let slowed = polls[2].at - polls[1].at;
    assert!(
        first >= Duration::from_millis(900) && first < Duration::from_secs(3),
        "{first:?}"
    );
    assert!(slowed >= Duration::from_millis(5900), "{slowed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_time_bounds_the_wait_for_the_person() {
    let (imap, idp, _ca) = lab(provider::device(1, 600), vec![Answer::Pending]).await;
    let run = sign_in(&imap, &idp, &["--max-time", "1.5"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--max-time"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(4), "{:?}", run.elapsed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_error_is_shown_with_advice() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Token]).await;
    let authority = idp.authority();
    let args = [
        "--user",
        USER,
        "--oauth",
        "microsoft",
        "--oauth-client-id",
        "wrong-id",
        "--oauth-authority",
        &authority,
    ];
    let run = imap.run_with(&args, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid_client") && run.stderr.contains("AADSTS700016"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_client_id_or_with_a_plain_authority_nothing_is_asked() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Token]).await;
    let run = imap
        .run_with(&["--user", USER, "--oauth", "microsoft"], &[])
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("needs --oauth-client-id") && run.stderr.contains("Sign in with OAuth"),
        "{}",
        run.stderr
    );
    let plain = format!("http://127.0.0.1:{}/idp", idp.port);
    let args = [
        "--user",
        USER,
        "--oauth",
        "microsoft",
        "--oauth-client-id",
        provider::CLIENT_ID,
        "--oauth-authority",
        &plain,
    ];
    let run = imap.run_with(&args, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("https://"), "{}", run.stderr);
    assert!(idp.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_provider_certificate_stops_the_sign_in() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Token]).await;
    let authority = idp.authority();
    // No --ca-file: the provider's certificate is from the test CA, which nothing trusts.
    let target = format!("imaps://127.0.0.1:{}", imap.server.port());
    let args = [
        "--no-control",
        "--user",
        USER,
        "--oauth",
        "microsoft",
        "--oauth-client-id",
        provider::CLIENT_ID,
        "--oauth-authority",
        &authority,
        &target,
    ];
    let run = run(&args, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("sign-in:"), "{}", run.stderr);
    assert!(idp.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_of_the_config_file_signs_in_with_its_application() {
    let (imap, idp, _ca) = lab(provider::device(1, 60), vec![Answer::Token]).await;
    let config = tempfile::NamedTempFile::new().unwrap();
    let profile = format!(
        "[profiles.lab]\ntarget = \"imaps://127.0.0.1:{}\"\nuser = \"{USER}\"\nca_file = {:?}\ncontrol = []\noauth = \"microsoft\"\noauth_client_id = \"{}\"\noauth_tenant = \"organizations\"\noauth_authority = \"{}\"\n",
        imap.server.port(),
        imap.ca(),
        provider::CLIENT_ID,
        idp.authority()
    );
    std::fs::write(config.path(), profile).unwrap();
    let path = config.path().display().to_string();
    let run = run(&["--json", "--config", &path, "@lab"], &[]).await;
    run.assert_no_secret();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let origin = &run.check("auth")["details"]["token_origin"];
    assert_eq!(origin["tenant"], "organizations");
    assert_eq!(
        idp.seen()[0].path,
        "/idp/organizations/oauth2/v2.0/devicecode"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_rows_never_start_a_sign_in() {
    let (imap, idp, ca) = lab(provider::device(1, 60), vec![Answer::Token]).await;
    let _ = ca;
    let rows = tempfile::NamedTempFile::new().unwrap();
    let row = serde_json::json!({
        "target": format!("imaps://127.0.0.1:{}", imap.server.port()),
        "user": USER,
        "oauth": "microsoft",
        "oauth_client_id": provider::CLIENT_ID,
        "oauth_authority": idp.authority(),
        "ca_file": imap.ca(),
        "control": [],
    });
    std::fs::write(rows.path(), format!("{row}\n")).unwrap();
    let path = rows.path().display().to_string();
    let run = run(&["--json", "batch", &path], &[]).await;
    assert!(
        run.stdout.contains("needs a person to sign in"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(idp.seen().is_empty());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_wait_with_exit_130() {
    let (imap, idp, _ca) = lab(provider::device(1, 600), vec![Answer::Pending]).await;
    let authority = idp.authority();
    let target = format!("imaps://127.0.0.1:{}", imap.server.port());
    let ca = imap.ca();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .args([
            "--no-control",
            "--ca-file",
            &ca,
            "--user",
            USER,
            "--oauth",
            "microsoft",
            "--oauth-client-id",
            provider::CLIENT_ID,
            "--oauth-authority",
            &authority,
            &target,
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap() as libc::pid_t;
    let started = Instant::now();
    while idp.polls().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "never polled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: a plain kill(2) of our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("the sign-in did not stop at Ctrl-C")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("sign-in interrupted"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(imap.server.accepted(), 0);
}

/// The browser flow: the test plays the browser.
mod browser {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::process::{Child, ChildStderr};

    /// One HTTP/1.1 GET over `stream` (`Connection: close`): the status and the whole answer.
    async fn get<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
        mut stream: S,
        host: &str,
        target: &str,
    ) -> (u16, String) {
        let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, answer)
    }

    /// GETs `url` (`https://127.0.0.1:PORT/...` on the test provider, trusted through `ca`)
    /// and gives the `Location` of its 302.
    pub async fn open(ca: &TestCa, url: &str) -> String {
        let rest = url.strip_prefix("https://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.cert_der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(host).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .unwrap();
        let (status, answer) = get(tls, host, path).await;
        assert_eq!(status, 302, "{answer}");
        answer
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .expect("a Location")
            .trim()
            .to_string()
    }

    /// GETs a plain `http://127.0.0.1:PORT/...` URL (imapdoctor's loopback listener).
    pub async fn follow(url: &str) -> (u16, String) {
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        assert!(host.starts_with("127.0.0.1:"), "{url}");
        let tcp = tokio::net::TcpStream::connect(host).await.unwrap();
        get(tcp, host, path).await
    }

    /// A running sign-in: the child, its stderr so far.
    pub struct Signing {
        pub child: Child,
        stderr: BufReader<ChildStderr>,
        pub seen: String,
    }

    impl Signing {
        /// Starts imapdoctor (clean environment, `IMAPDOCTOR_CONFIG=""`) with `args` and `env`.
        pub fn start(args: &[&str], env: &[(&str, &str)]) -> Signing {
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
            cmd.env_clear()
                .env("IMAPDOCTOR_CONFIG", "")
                .args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true);
            for (k, v) in env {
                cmd.env(k, v);
            }
            let mut child = cmd.spawn().unwrap();
            let stderr = BufReader::new(child.stderr.take().unwrap());
            Signing {
                child,
                stderr,
                seen: String::new(),
            }
        }

        /// The authorization URL printed on stderr (the line after "open this URL").
        pub async fn url(&mut self) -> String {
            let read = async {
                loop {
                    let mut line = String::new();
                    let n = self.stderr.read_line(&mut line).await.unwrap();
                    assert!(n > 0, "stderr ended without a URL:\n{}", self.seen);
                    self.seen.push_str(&line);
                    if let Some(url) = line.trim().strip_prefix("imapdoctor:   ") {
                        return url.to_string();
                    }
                }
            };
            tokio::time::timeout(Duration::from_secs(10), read)
                .await
                .expect("no URL on stderr")
        }

        /// Waits for the exit: the run, stderr whole.
        pub async fn finish(mut self) -> Run {
            let started = Instant::now();
            let mut rest = String::new();
            let mut stdout = self.child.stdout.take().unwrap();
            let mut out = Vec::new();
            let waited = async {
                let _ = self.stderr.read_to_string(&mut rest).await;
                let _ = stdout.read_to_end(&mut out).await;
                self.child.wait().await.unwrap()
            };
            let status = tokio::time::timeout(Duration::from_secs(20), waited)
                .await
                .expect("imapdoctor hung");
            let stdout = String::from_utf8_lossy(&out).into_owned();
            let json = support::schema::conforming_document(&stdout);
            Run {
                code: status.code().unwrap_or(-1),
                stdout,
                stderr: self.seen + &rest,
                json,
                elapsed: started.elapsed(),
            }
        }
    }
}

use provider::Authorize;

/// An IMAP server accepting only the canary token, and a provider authorizing as `authorize`.
async fn browser_lab(authorize: Authorize) -> (Fixture, provider::Provider, TestCa) {
    let ca = TestCa::new("t");
    let imap = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, TOKEN_CANARY), &ca).await;
    let idp =
        provider::start_authorizing(&ca, provider::device(1, 60), vec![Answer::Token], authorize)
            .await;
    (imap, idp, ca)
}

const CLIENT_SECRET: &str = "client-secret-canary-e41a";

/// Starts `--oauth google` (the browser flow by default) against the lab, as JSON.
fn google(imap: &Fixture, idp: &provider::Provider, extra: &[&str]) -> browser::Signing {
    let target = format!("imaps://127.0.0.1:{}", imap.server.port());
    let ca = imap.ca();
    let authority = idp.authority();
    let mut args = vec![
        "--json",
        "--no-control",
        "--ca-file",
        &ca,
        "--user",
        USER,
        "--oauth",
        "google",
        "--oauth-client-id",
        provider::CLIENT_ID,
        "--oauth-authority",
        &authority,
    ];
    args.extend_from_slice(extra);
    args.push(&target);
    browser::Signing::start(&args, &[("IMAPDOCTOR_OAUTH_CLIENT_SECRET", CLIENT_SECRET)])
}

/// No secret of the browser flow in stdout or stderr (the verifier as the provider received it).
fn assert_no_browser_secret(run: &Run, idp: &provider::Provider) {
    run.assert_no_secret();
    let mut secrets = vec![provider::AUTH_CODE.to_string(), CLIENT_SECRET.to_string()];
    secrets.extend(
        idp.polls()
            .iter()
            .filter_map(|s| s.field("code_verifier").map(String::from)),
    );
    for secret in secrets {
        assert!(
            !run.stdout.contains(&secret) && !run.stderr.contains(&secret),
            "{secret} leaked:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn google_signs_in_in_the_browser_and_the_token_logs_in() {
    let (imap, idp, ca) = browser_lab(Authorize::Grant).await;
    let mut signing = google(&imap, &idp, &["--verbose"]);
    let url = signing.url().await;
    assert!(
        url.starts_with(&format!("{}/o/oauth2/v2/auth?", idp.authority())),
        "{url}"
    );
    let redirect = browser::open(&ca, &url).await;
    // A request for another path (a browser's favicon) is answered 404 and the wait goes on.
    let base = &redirect[..redirect.find('?').unwrap()];
    let (status, _) = browser::follow(&format!("{base}favicon.ico")).await;
    assert_eq!(status, 404);
    let (status, page) = browser::follow(&redirect).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    let run = signing.finish().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_no_browser_secret(&run, &idp);
    assert!(run.stderr.contains("signed in to google"), "{}", run.stderr);
    // The transcript is there (--verbose), and the XOAUTH2 string is not in it.
    let transcript = run.json.as_ref().unwrap()["transcript"].to_string();
    assert!(transcript.contains("AUTHENTICATE XOAUTH2"), "{transcript}");
    let xoauth2 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(format!("user={USER}\x01auth=Bearer {TOKEN_CANARY}\x01\x01"))
    };
    assert!(!run.stdout.contains(&xoauth2), "{transcript}");

    let auth = &run.check("auth")["details"];
    assert_eq!(auth["mechanism"], "XOAUTH2");
    let origin = &auth["token_origin"];
    assert_eq!(origin["flow"], "authorization_code");
    assert_eq!(origin["provider"], "google");
    assert_eq!(origin["tenant"], serde_json::Value::Null);
    assert_eq!(
        origin["scopes"],
        serde_json::json!(["https://mail.google.com/"])
    );
    let notes = run.check("auth")["notes"].to_string();
    assert!(
        notes.contains("google sign-in (browser, authorization code)"),
        "{notes}"
    );

    let seen = idp.seen();
    let asked = &seen[0];
    assert_eq!(asked.path, "/idp/o/oauth2/v2/auth");
    let redirect_uri = asked.field("redirect_uri").unwrap();
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with('/'),
        "{redirect_uri}"
    );
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", provider::CLIENT_ID),
        ("scope", "https://mail.google.com/"),
        ("code_challenge_method", "S256"),
        ("login_hint", USER),
        ("access_type", "online"),
    ] {
        assert_eq!(asked.field(name), Some(value), "{name}: {asked:?}");
    }
    assert!(asked.field("state").is_some_and(|s| s.len() >= 16));
    let polls = idp.polls();
    assert_eq!(polls.len(), 1, "{polls:?}");
    let exchange = &polls[0];
    assert_eq!(exchange.path, "/idp/token");
    assert_eq!(exchange.field("grant_type"), Some("authorization_code"));
    assert_eq!(exchange.field("redirect_uri"), Some(redirect_uri));
    assert_eq!(exchange.field("client_secret"), Some(CLIENT_SECRET));
    let verifier = exchange.field("code_verifier").unwrap();
    assert_eq!(
        Some(provider::s256(verifier).as_str()),
        asked.field("code_challenge")
    );
    assert!(verifier.len() >= 43);
}

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_in_the_browser_is_declined_and_nothing_is_exchanged() {
    let (imap, idp, ca) = browser_lab(Authorize::Deny).await;
    let mut signing = google(&imap, &idp, &[]);
    let redirect = browser::open(&ca, &signing.url().await).await;
    let (status, page) = browser::follow(&redirect).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("did not succeed"), "{page}");
    let run = signing.finish().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("sign-in was declined"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json.as_ref().unwrap()["error"]["code"], "usage");
    assert!(idp.polls().is_empty());
    assert_eq!(imap.server.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_with_another_state_is_refused_and_its_code_never_exchanged() {
    let (imap, idp, ca) = browser_lab(Authorize::ForgeState).await;
    let mut signing = google(&imap, &idp, &[]);
    let redirect = browser::open(&ca, &signing.url().await).await;
    let (status, page) = browser::follow(&redirect).await;
    assert_eq!(status, 200, "{page}");
    let run = signing.finish().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("did not carry this run's state"),
        "{}",
        run.stderr
    );
    assert_no_browser_secret(&run, &idp);
    assert!(idp.polls().is_empty(), "{:?}", idp.polls());
    assert_eq!(imap.server.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verifier_that_does_not_match_the_challenge_is_refused_by_the_provider() {
    let (imap, idp, ca) = browser_lab(Authorize::WrongChallenge).await;
    let mut signing = google(&imap, &idp, &[]);
    let redirect = browser::open(&ca, &signing.url().await).await;
    browser::follow(&redirect).await;
    let run = signing.finish().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("sign-in refused by google: invalid_grant")
            && run.stderr.contains("run again"),
        "{}",
        run.stderr
    );
    assert_no_browser_secret(&run, &idp);
    assert_eq!(idp.polls().len(), 1);
    assert_eq!(imap.server.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn max_time_bounds_the_wait_for_a_browser_that_never_comes() {
    let (imap, idp, _ca) = browser_lab(Authorize::Grant).await;
    let mut signing = google(&imap, &idp, &["--max-time", "1.5"]);
    let url = signing.url().await;
    assert!(url.contains("code_challenge="), "{url}");
    let run = signing.finish().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--max-time"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(4), "{:?}", run.elapsed);
    assert!(idp.seen().is_empty());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_wait_for_the_browser_with_exit_130() {
    let (imap, idp, _ca) = browser_lab(Authorize::Grant).await;
    let mut signing = google(&imap, &idp, &[]);
    signing.url().await;
    let pid = signing.child.id().unwrap() as libc::pid_t;
    // SAFETY: a plain kill(2) of our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let run = signing.finish().await;
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("sign-in interrupted"), "{}", run.stderr);
    assert!(idp.seen().is_empty());
    assert_eq!(imap.server.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn microsoft_signs_in_in_the_browser_when_a_profile_says_so() {
    let (imap, idp, ca) = browser_lab(Authorize::Grant).await;
    let config = tempfile::NamedTempFile::new().unwrap();
    let profile = format!(
        "[profiles.lab]\ntarget = \"imaps://127.0.0.1:{}\"\nuser = \"{USER}\"\nca_file = {:?}\ncontrol = []\noauth = \"microsoft\"\noauth_flow = \"browser\"\noauth_client_id = \"{}\"\noauth_authority = \"{}\"\n",
        imap.server.port(),
        imap.ca(),
        provider::CLIENT_ID,
        idp.authority()
    );
    std::fs::write(config.path(), profile).unwrap();
    let path = config.path().display().to_string();
    let mut signing = browser::Signing::start(&["--json", "--config", &path, "@lab"], &[]);
    let url = signing.url().await;
    let redirect = browser::open(&ca, &url).await;
    browser::follow(&redirect).await;
    let run = signing.finish().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_no_browser_secret(&run, &idp);
    let origin = &run.check("auth")["details"]["token_origin"];
    assert_eq!(origin["flow"], "authorization_code");
    assert_eq!(origin["tenant"], "common");
    let asked = &idp.seen()[0];
    assert_eq!(asked.path, "/idp/common/oauth2/v2.0/authorize");
    assert_eq!(asked.field("access_type"), None);
    assert_eq!(
        asked.field("scope"),
        Some("https://outlook.office.com/IMAP.AccessAsUser.All offline_access")
    );
    assert_eq!(idp.polls()[0].path, "/idp/common/oauth2/v2.0/token");
}

#[tokio::test(flavor = "multi_thread")]
async fn google_keeps_the_device_flow_when_asked_for_it() {
    let (imap, idp, _ca) = browser_lab(Authorize::Grant).await;
    let run = imap
        .run_with(
            &[
                "--user",
                USER,
                "--oauth",
                "google",
                "--oauth-flow",
                "device",
                "--oauth-client-id",
                provider::CLIENT_ID,
                "--oauth-authority",
                &idp.authority(),
            ],
            &[],
        )
        .await;
    // The test provider serves no Google device endpoint: what matters is where it asked.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(idp.seen().len(), 0, "{:?}", idp.seen());
    assert!(run.stderr.contains("/idp/device/code"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_oversized_and_other_requests_do_not_hold_up_the_redirect() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (imap, idp, ca) = browser_lab(Authorize::Grant).await;
    let mut signing = google(&imap, &idp, &[]);
    let redirect = browser::open(&ca, &signing.url().await).await;
    let host = redirect
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    // A connection that never says anything (a browser's speculative one) stays open meanwhile.
    let _idle = tokio::net::TcpStream::connect(&host).await.unwrap();
    // A request head over 8 KiB is answered 431 (exactly one byte over: all of it is read, so
    // closing the connection does not reset it before the answer arrives).
    let mut big = tokio::net::TcpStream::connect(&host).await.unwrap();
    let frame = "GET /?pad= HTTP/1.1\r\n".len();
    let head = format!(
        "GET /?pad={} HTTP/1.1\r\n",
        "a".repeat(8 * 1024 + 1 - frame)
    );
    assert_eq!(head.len(), 8 * 1024 + 1);
    let _ = big.write_all(head.as_bytes()).await;
    let mut answer = String::new();
    let _ = big.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    // A POST is answered 405.
    let mut post = tokio::net::TcpStream::connect(&host).await.unwrap();
    post.write_all(b"POST /?code=x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = post.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    let started = Instant::now();
    let (status, page) = browser::follow(&redirect).await;
    assert_eq!(status, 200, "{page}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let run = signing.finish().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_no_browser_secret(&run, &idp);
}
