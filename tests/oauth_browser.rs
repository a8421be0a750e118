//! OAuth sign-in in the browser (`--oauth-flow browser`, Google's default) end to end: the loopback
//! HTTPS identity provider (`oauth/provider.rs`) also serves an authorization endpoint answering
//! with a 302 to the redirect URI, and checks S256(code_verifier) against the challenge at the
//! token endpoint; the test plays the browser (`oauth/browser.rs`: reads the URL from stderr, GETs
//! it, follows the redirect to imapdoctor's loopback listener), and a scripted IMAP server accepts
//! only the token issued. Success, refusals and bounds each get their outcome; the code, the
//! verifier, the client secret and the token never appear in stdout, stderr or the JSON.

#[path = "oauth/browser.rs"]
mod browser;
#[path = "oauth/provider.rs"]
mod provider;
mod support;

use std::time::Instant;

use provider::Answer;
use support::scripted::*;

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
