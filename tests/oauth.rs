//! OAuth sign-in (`--oauth`) end to end: a real HTTPS identity provider on loopback (axum over
//! tokio-rustls, certificate from the test CA, trusted through `--ca-file`) serving the device
//! authorization and token endpoints of RFC 8628, and a scripted IMAP server that accepts only the
//! token the provider issues. Approve, decline, expiry and slow_down each get their outcome; the
//! token never appears in stdout, stderr or the JSON.

#[path = "oauth/provider.rs"]
mod provider;
mod support;

use std::time::Instant;

use support::scripted::*;

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
