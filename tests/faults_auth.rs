//! Login and mailboxes against scripted servers: response codes and provider strings, OAuth2 tokens,
//! plaintext refusal, hangs and closes after login, and the password never leaking.
//! Each scenario asserts the failing check, the exit code, the fault and the verdict code.

mod support;

use support::scripted::*;

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_over_plaintext() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    let run = f.check("imap", &["--security", "none"]).await;
    expect(&run, 14, "auth", "config", "auth.plaintext_refused");
    let sent: Vec<String> = f.server.received().into_iter().map(|r| r.command).collect();
    assert!(
        !sent
            .iter()
            .any(|c| c.eq_ignore_ascii_case("LOGIN") || c.eq_ignore_ascii_case("AUTHENTICATE")),
        "{sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plaintext_auth_when_explicitly_allowed() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    let run = f
        .check("imap", &["--security", "none", "--allow-plaintext-auth"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("tls"), "skip");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password() {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::ImplicitTls(leaf(&ca).server_config()))
        .with_account(USER, "another-password");
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 14, "auth", "account", "auth.rejected");
    assert_eq!(
        run.check("auth")["details"]["response_code"],
        "AUTHENTICATIONFAILED"
    );
    assert_eq!(run.status("folders"), "skip");
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_backend_unavailable_is_the_servers_problem() {
    let run =
        login_reply("NO [UNAVAILABLE] Temporary authentication failure. [mx1:2026-11-23 10:00:00]")
            .await;
    expect(&run, 14, "auth", "server", "auth.unavailable");
    let summary = run.verdict("summary");
    assert!(
        summary.starts_with("The problem is at the mail server: "),
        "{summary}"
    );
    // The evidence lists the checks that ran, not the skipped ones.
    let evidence = run.json.as_ref().unwrap()["verdict"]["evidence"].to_string();
    assert!(evidence.contains("auth: fail"), "{evidence}");
    assert!(!evidence.contains("folders: skip"), "{evidence}");
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_login_failed_points_to_basic_auth() {
    let run = login_reply_after(EXCHANGE_GREETING, "NO LOGIN failed.").await;
    expect(&run, 14, "auth", "account", "auth.basic_auth_refused");
    assert!(
        run.json.as_ref().unwrap()["verdict"]["hints"]
            .to_string()
            .contains("OAuth2")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_failed_from_another_server_is_a_plain_rejection() {
    // Courier says exactly this for a wrong password: not Exchange, no basic-auth story.
    let run = login_reply("NO Login failed.").await;
    expect(&run, 14, "auth", "account", "auth.rejected");
    let verdict = run.json.as_ref().unwrap()["verdict"].to_string();
    for word in ["Exchange", "Microsoft", "basic auth"] {
        assert!(!verdict.contains(word), "{word} in {verdict}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gmail_app_password_required() {
    let reply = "NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)";
    let run = login_reply_after(GMAIL_GREETING, reply).await;
    expect(&run, 14, "auth", "account", "auth.app_password_required");
}

#[tokio::test(flavor = "multi_thread")]
async fn gmail_wording_elsewhere_is_not_gmail() {
    let reply = "NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)";
    let run = login_reply(reply).await;
    expect(&run, 14, "auth", "account", "auth.rejected");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_code_decides_before_the_text() {
    // Text that alone means "encryption required", under a code that means "backend down".
    let run = login_reply("NO [UNAVAILABLE] STARTTLS required; authentication service down").await;
    expect(&run, 14, "auth", "server", "auth.unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn encryption_required_in_words_is_a_settings_problem() {
    for reply in [
        "NO Login only available under a layer",
        "NO STARTTLS required.",
        "BAD [ALERT] Plaintext authentication disallowed on non-secure connections.",
    ] {
        let run = login_reply(reply).await;
        expect(&run, 14, "auth", "config", "auth.privacy_required");
        let verdict = run.json.as_ref().unwrap()["verdict"].to_string();
        assert!(!verdict.contains("password"), "{reply}: {verdict}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_side_authentication_failures_are_the_servers() {
    for (reply, code) in [
        (
            "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.",
            "auth.server_bug",
        ),
        (
            "NO Login failed: generic failure",
            "auth.auth_backend_failed",
        ),
        (
            "NO Temporary problem, please try again later.",
            "auth.auth_backend_failed",
        ),
        ("NO internal error", "auth.server_bug"),
    ] {
        let run = login_reply(reply).await;
        expect(&run, 14, "auth", "server", code);
        assert!(
            !run.verdict("summary").contains("rejected the credentials"),
            "{reply}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_connections_is_not_a_password_problem() {
    let run = login_reply_after(
        GMAIL_GREETING,
        "NO [ALERT] Too many simultaneous connections. (Failure)",
    )
    .await;
    expect(&run, 14, "auth", "account", "auth.too_many_connections");
    assert!(run.verdict("summary").contains("not a password problem"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_per_address_login_limit_is_not_a_password_problem() {
    // Cyrus with maxlogins_per_host.
    let run = login_reply("NO Too many open connections (2 of 2 from localhost [127.0.0.1])").await;
    expect(&run, 14, "auth", "account", "auth.too_many_connections");
    assert!(run.verdict("summary").contains("not a password problem"));
}

#[tokio::test(flavor = "multi_thread")]
async fn privacy_required_is_a_settings_problem() {
    let run = login_reply("NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.").await;
    expect(&run, 14, "auth", "config", "auth.privacy_required");
}

#[tokio::test(flavor = "multi_thread")]
async fn hang_after_login() {
    expect(
        &after_login(AfterLogin::Hang).await,
        15,
        "folders",
        "server",
        "folders.timeout",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn close_after_login() {
    let run = after_login(AfterLogin::Close).await;
    expect(&run, 15, "folders", "server", "folders.closed");
    // A bare close right after a login is also how an account without IMAP access or over its
    // connection limit can look (when the server's BYE is lost to a reset): likely, not certain.
    assert_eq!(run.confidence(), ("likely", vec!["account"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_authenticated_but_not_connected() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(EXCHANGE_GREETING.into()))
        .with_after_login(AfterLogin::Bad(
            "User is authenticated but not connected.".into(),
        ));
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &["--timeout", "1"]).await;
    expect(&run, 15, "folders", "account", "folders.not_connected");
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_disabled_for_the_account_after_login() {
    // Courier accepts the password, then: `* BYE IMAP access disabled for this account.`
    let run = after_login(AfterLogin::Bye(
        "IMAP access disabled for this account.".into(),
    ))
    .await;
    expect(&run, 15, "folders", "account", "folders.imap_disabled");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_mailbox() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.check("imaps", &["--mailbox", "No Such Box"]).await;
    expect(&run, 15, "folders", "config", "folders.mailbox_missing");
}

#[tokio::test(flavor = "multi_thread")]
async fn xoauth2_token_rejected_with_error_detail() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(EXCHANGE_GREETING.into()))
        .with_oauth(USER, "the-right-token");
    let f = Fixture::start(script, &ca).await;
    let args = ["--json", "-v", "--user", USER];
    let run = f
        .run_with(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)])
        .await;
    expect(&run, 14, "auth", "account", "auth.token_rejected");
    let auth = &run.check("auth")["details"];
    assert_eq!(auth["mechanism"], "XOAUTH2");
    assert!(
        auth["sasl_error"].as_str().unwrap().contains("401"),
        "{auth}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn xoauth2_token_accepted() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, TOKEN_CANARY), &ca).await;
    let args = ["-v", "--user", USER];
    let run = f
        .run_with(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)])
        .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("AUTHENTICATE XOAUTH2 ***"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn human_report_and_transcript_redact_the_password() {
    let ca = TestCa::new("t");
    for mech in ["login", "plain"] {
        let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
        let args = ["-v", "--auth", mech, "--user", USER];
        let run = f.run_with(&args, &[("IMAPDOCTOR_PASSWORD", CANARY)]).await;
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(run.stdout.contains("***"), "{}", run.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_server_fault_points_to_service_health() {
    let ca = TestCa::new("t");
    let greeting = "* OK The Microsoft Exchange IMAP4 service is ready.".to_string();
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(greeting))
        .with_after_login(AfterLogin::Close);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &["--timeout", "1"]).await;
    expect(&run, 15, "folders", "server", "folders.closed");
    assert!(
        run.json.as_ref().unwrap()["verdict"]["hints"]
            .to_string()
            .contains("Service health")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_token_is_explained_before_the_server_rejects_it() {
    let ca = TestCa::new("t");
    let token = jwt(serde_json::json!({
        "iss": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
        "aud": "https://graph.microsoft.com", "scp": "Mail.Read", "upn": USER, "exp": 4_000_000_000u64
    }));
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(EXCHANGE_GREETING.into()))
        .with_oauth(USER, "another-token");
    let f = Fixture::start(script, &ca).await;
    let token_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token_file.path(), format!("{token}\n")).unwrap();
    let token_path = token_file.path().display().to_string();
    let args = [
        "--json",
        "-v",
        "--oauth-token-file",
        &token_path,
        "--user",
        USER,
    ];
    let run = f.run_with(&args, &[]).await;
    assert!(
        !run.stdout.contains(&token) && !run.stderr.contains(&token),
        "token leaked"
    );
    expect(&run, 14, "auth", "account", "auth.token_rejected");
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("Microsoft Graph"), "{hints}");
    let findings = &run.check("auth")["details"]["token"]["findings"];
    assert_eq!(findings[0]["code"], "wrong_audience");
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_token_with_a_finding_warns() {
    let ca = TestCa::new("t");
    let token = jwt(serde_json::json!({
        "iss": "https://login.microsoftonline.com/contoso/v2.0", "aud": "https://outlook.office.com",
        "scp": "IMAP.AccessAsUser.All", "upn": "someone.else@example.test", "exp": 4_000_000_000u64
    }));
    let f = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, &token), &ca).await;
    let args = ["--json", "--user", USER];
    let run = f
        .run_with(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", &token)])
        .await;
    assert!(!run.stdout.contains(&token), "token leaked");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("auth"), "warn");
    assert_eq!(
        run.check("auth")["warning"]["code"],
        "auth.token_user_mismatch"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn oauthbearer_is_used_when_forced() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, TOKEN_CANARY), &ca).await;
    let args = ["--json", "--auth", "oauthbearer", "--user", USER];
    let run = f
        .run_with(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)])
        .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check("auth")["details"]["mechanism"], "OAUTHBEARER");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_login_beyond_the_timeout() {
    let ca = TestCa::new("t");
    let mut script = tls_script(&leaf(&ca));
    script.login_delay = Duration::from_secs(5);
    let f = Fixture::start(script, &ca).await;
    // The login has its own bound (--login-timeout), not --timeout: servers delay failed logins.
    let run = f.check("imaps", &["--timeout", "1"]).await;
    assert_eq!(
        run.code, 0,
        "a 5 s login fits the default login bound:\n{}",
        run.stdout
    );
    let run = f.check("imaps", &["--login-timeout", "1"]).await;
    expect(&run, 14, "auth", "server", "auth.timeout");
    let summary = run.verdict("summary");
    assert!(summary.contains("throttling failed logins"), "{summary}");
    assert!(
        summary.starts_with(
            "The problem is at the mail server, or with this account's failed logins: "
        ),
        "{summary}"
    );
    assert!(summary.contains("account"), "{summary}");
    let verdict = &run.json.as_ref().unwrap()["verdict"];
    assert_eq!(verdict["confidence"], "likely");
    assert_eq!(verdict["alternatives"][0]["fault"], "account", "{verdict}");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_password() {
    let run = login_reply("NO [EXPIRED] Password expired, change it in webmail").await;
    expect(&run, 14, "auth", "account", "auth.expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn web_login_required() {
    let run = login_reply_after(
        GMAIL_GREETING,
        "NO [WEBALERT https://accounts.google.com/signin/continue?sarp=1] Web login required.",
    )
    .await;
    expect(&run, 14, "auth", "account", "auth.web_login_required");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_disabled_without_a_password_mechanism() {
    let ca = TestCa::new("t");
    let mut script = tls_script(&leaf(&ca));
    script.capabilities = vec![
        "IMAP4rev1".into(),
        "LOGINDISABLED".into(),
        "AUTH=GSSAPI".into(),
    ];
    let f = Fixture::start(script, &ca).await;
    // Over TLS, LOGINDISABLED is a policy, not a demand for encryption.
    let run = f.check("imaps", &[]).await;
    expect(&run, 14, "auth", "config", "auth.no_mechanism");
    assert!(run.summary("auth").contains("GSSAPI"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_not_sent_where_no_token_mechanism_is_offered() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let args = ["--json", "-v", "--user", USER];
    let run = f
        .run_with(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)])
        .await;
    expect(&run, 14, "auth", "config", "auth.mechanism_not_offered");
    assert!(!run.stdout.contains("AUTHENTICATE"), "{}", run.stdout);
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("PLAIN"), "{hints}");
    run.assert_no_secret();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forced_mechanism_the_server_does_not_offer() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let args = ["--json", "--auth", "xoauth2", "--user", USER];
    let run = f
        .run_with(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)])
        .await;
    expect(&run, 14, "auth", "config", "auth.mechanism_not_offered");
    assert!(
        run.summary("auth").contains("does not offer"),
        "{}",
        run.stdout
    );
    let run = login_reply("NO Unsupported authentication mechanism").await;
    expect(&run, 14, "auth", "config", "auth.mechanism_not_offered");
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_untagged_responses_after_login_are_cut_off() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_after_login(AfterLogin::Flood),
        &ca,
    )
    .await;
    let run = f.check("imaps", &["--timeout", "20"]).await;
    expect(&run, 15, "folders", "server", "folders.too_long");
}

#[tokio::test(flavor = "multi_thread")]
async fn unencrypted_session_notes_whether_starttls_is_offered() {
    let ca = TestCa::new("t");
    let plain = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    let run = plain
        .check("imap", &["--security", "none", "--allow-plaintext-auth"])
        .await;
    assert!(
        run.check("capability")["notes"]
            .to_string()
            .contains("no STARTTLS offered")
    );
    let upgradable =
        Script::healthy(Security::StartTls(leaf(&ca).server_config())).with_account(USER, CANARY);
    let f = Fixture::start(upgradable, &ca).await;
    let run = f.check("imap", &["--security", "none"]).await;
    assert!(
        run.check("capability")["notes"]
            .to_string()
            .contains("--security starttls would encrypt")
    );
    // LOGINDISABLED before STARTTLS: encryption first, and --allow-plaintext-auth cannot help.
    expect(&run, 14, "auth", "config", "auth.encryption_required");
    let verdict = run.json.as_ref().unwrap()["verdict"].to_string();
    assert!(!verdict.contains("allow-plaintext-auth"), "{verdict}");
    assert!(!verdict.contains("password"), "{verdict}");
    // Allowed to try anyway: the server's own refusal is still the settings' problem.
    let run = f
        .check("imap", &["--security", "none", "--allow-plaintext-auth"])
        .await;
    expect(&run, 14, "auth", "config", "auth.privacy_required");
}
