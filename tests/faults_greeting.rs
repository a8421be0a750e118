//! Greetings, capabilities and STARTTLS from scripted servers: BYE, silence, garbage, endless and
//! dripping lines, closes, port mix-ups, provider greetings, escape sequences.
//! Each scenario asserts the failing check, the exit code, the fault and the verdict code.

mod support;

use support::scripted::*;

#[tokio::test(flavor = "multi_thread")]
async fn bye_greeting_is_the_servers_problem() {
    let run = opening_run(
        Opening::Greet("* BYE Server overloaded, try later".into()),
        &[],
    )
    .await;
    expect(&run, 13, "capability", "server", "capability.bye");
    assert!(run.summary("capability").contains("Server overloaded"));
    let hints = &run.json.as_ref().unwrap()["verdict"]["hints"];
    assert_eq!(
        hints[0],
        "The server said: \"Server overloaded, try later\""
    );
    assert_eq!(run.status("auth"), "skip");
    assert_eq!(run.summary("auth"), "skipped: the capability check failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn bye_greeting_with_unavailable_code() {
    let run = opening_run(
        Opening::Greet("* BYE [UNAVAILABLE] Maintenance".into()),
        &[],
    )
    .await;
    expect(&run, 13, "capability", "server", "capability.unavailable");
    // The server's own reason, and no talk of a login that never happened.
    let verdict = &run.json.as_ref().unwrap()["verdict"];
    assert_eq!(verdict["hints"][0], "The server said: \"Maintenance\"");
    let said = verdict.to_string();
    assert!(!said.contains("password"), "{said}");
    assert!(!said.contains("authentication backend"), "{said}");
    assert!(verdict["summary"].as_str().unwrap().contains("greeting"));
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_server_times_out_on_the_greeting() {
    let run = opening_run(Opening::Silent, &["--timeout", "1"]).await;
    expect(&run, 13, "capability", "server", "capability.timeout");
    // Inside implicit TLS already: no hint to use TLS.
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(!hints.contains("--security tls"), "{hints}");
    assert_eq!(run.confidence(), ("likely", vec!["local"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_instead_of_a_greeting_is_not_imap() {
    let garbage = b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n".to_vec();
    let run = opening_run(Opening::Raw(garbage), &[]).await;
    expect(&run, 13, "capability", "config", "capability.not_imap");
    assert!(run.summary("capability").contains("HTTP/1.1 400"));
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_greeting_is_cut_off() {
    expect(
        &opening_run(Opening::EndlessLine, &[]).await,
        13,
        "capability",
        "server",
        "capability.too_long",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dripping_greeting_ends_at_the_step_timeout() {
    let drip = Opening::Drip {
        line: "* OK this greeting arrives one byte at a time".into(),
        interval: Duration::from_millis(300),
    };
    let run = opening_run(drip, &["--timeout", "1"]).await;
    expect(&run, 13, "capability", "server", "capability.timeout");
    assert!(run.summary("capability").contains("never finished"));
}

#[tokio::test(flavor = "multi_thread")]
async fn close_right_after_connect() {
    expect(
        &opening_run(Opening::Close, &[]).await,
        13,
        "capability",
        "server",
        "capability.closed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn close_after_the_greeting() {
    let opening = Opening::RawThenClose(b"* OK ready\r\n".to_vec());
    // No capabilities in the greeting: the CAPABILITY command meets a closed connection.
    expect(
        &opening_run(opening, &[]).await,
        13,
        "capability",
        "server",
        "capability.closed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_limit_per_user_and_address() {
    let greeting = "* BYE Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)";
    expect(
        &opening_run(Opening::Greet(greeting.into()), &[]).await,
        13,
        "capability",
        "account",
        "capability.too_many_connections",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_not_offered() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    expect(
        &f.check("imap", &[]).await,
        13,
        "capability",
        "config",
        "capability.starttls_unavailable",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_happy_path() {
    let ca = TestCa::new("t");
    let script =
        Script::healthy(Security::StartTls(leaf(&ca).server_config())).with_account(USER, CANARY);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imap", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let caps = &run.check("capability")["details"];
    assert_eq!(caps["starttls"]["offered"], true);
    assert_eq!(
        caps["login_disabled"], false,
        "capabilities re-read inside TLS"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_against_an_implicit_tls_port_ends_as_soon_as_tls_answers() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.check("imap", &["--timeout", "10", "-v"]).await;
    expect(&run, 13, "capability", "config", "capability.tls_port");
    assert_eq!(run.confidence(), ("certain", vec![]));
    assert_eq!(run.check("capability")["details"]["tls_probe"], "tls");
    // The probe starts after a second of silence and answers within a round trip, long before
    // the 10 s --timeout.
    let took = run.check("capability")["duration_ms"].as_u64().unwrap();
    assert!((1000..5000).contains(&took), "capability took {took} ms");
    assert!(transcript_says(
        &run,
        "trying a TLS handshake on a second connection"
    ));
    assert!(transcript_says(&run, "TLS probe: the port answered in TLS"));
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_plaintext_port_that_does_not_speak_tls_either() {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::Plain).with_opening(Opening::Silent);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imap", &["--timeout", "2.5", "-v"]).await;
    expect(&run, 13, "capability", "server", "capability.timeout");
    assert_eq!(run.check("capability")["details"]["tls_probe"], "no_answer");
    assert!(transcript_says(&run, "TLS probe: no answer"));
    // TLS was ruled out: neither the hint nor the alternative suggests it.
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(!hints.contains("--security tls"), "{hints}");
    assert_eq!(run.confidence(), ("likely", vec!["local"]));
}

/// A port whose first connection stays silent and whose second (the TLS probe) gets `reply` to
/// its ClientHello; checked with `--timeout 2`.
async fn silent_then_answers_the_probe(reply: &'static [u8]) -> Run {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (silent, _) = listener.accept().await.unwrap();
        let (mut probe, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 512];
        let _ = probe.read(&mut buf).await;
        let _ = probe.write_all(reply).await;
        drop(probe);
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(silent);
    });
    let target = format!("imap://127.0.0.1:{port}");
    let run = run(
        &["--json", "-v", "--no-control", "--timeout", "2", &target],
        &[],
    )
    .await;
    server.abort();
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_plaintext_port_that_answers_tls_with_garbage() {
    let run = silent_then_answers_the_probe(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
    expect(&run, 13, "capability", "server", "capability.timeout");
    assert_eq!(run.check("capability")["details"]["tls_probe"], "not_tls");
    assert!(transcript_says(&run, "does not speak TLS either"));
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(!hints.contains("--security tls"), "{hints}");
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_plaintext_port_that_answers_tls_with_an_alert_speaks_tls() {
    // A fatal handshake_failure alert (an old TLS-only server, say): TLS, though not ours.
    let alert: &[u8] = &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
    let run = silent_then_answers_the_probe(alert).await;
    expect(&run, 13, "capability", "config", "capability.tls_port");
    assert_eq!(run.check("capability")["details"]["tls_probe"], "tls");
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_plaintext_port_without_time_for_the_probe_keeps_the_tls_hint() {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::Plain).with_opening(Opening::Silent);
    let f = Fixture::start(script, &ca).await;
    // No time for the probe at all (0.8 s), or too little for silence to mean much (0.5 s).
    for (timeout, probe) in [("0.8", serde_json::Value::Null), ("1.5", "cut_off".into())] {
        let run = f.check("imap", &["--timeout", timeout]).await;
        expect(&run, 13, "capability", "server", "capability.timeout");
        assert_eq!(run.check("capability")["details"]["tls_probe"], probe);
        let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
        assert!(hints.contains("--security tls"), "{hints}");
        assert_eq!(run.confidence(), ("likely", vec!["config", "local"]));
    }
}

fn transcript_says(run: &Run, text: &str) -> bool {
    run.json.as_ref().unwrap()["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .any(|line| line["text"].as_str().unwrap().contains(text))
}

#[tokio::test(flavor = "multi_thread")]
async fn preauth_greeting_needs_no_login() {
    let run = opening_run(
        Opening::Greet("* PREAUTH [CAPABILITY IMAP4rev1] welcome back".into()),
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check("auth")["details"]["mechanism"], "PREAUTH");
    // The login was not tested: say so, never "the login works".
    assert_eq!(run.status("auth"), "warn");
    assert_eq!(run.check("auth")["warning"]["code"], "auth.preauth");
    assert_eq!(run.verdict("code"), "ok.with_warnings");
    let summary = run.verdict("summary");
    assert!(summary.contains("no password was checked"), "{summary}");
    assert!(!summary.contains("login works"), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_escapes_from_the_server_are_neutralised() {
    let ca = TestCa::new("t");
    let evil = "* BYE \x1b]0;pwned\x07\x1b[2J\u{202e}gnp.exe";
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_opening(Opening::Greet(evil.into())),
        &ca,
    )
    .await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    for format in ["--json", "--no-color"] {
        let run = run(
            &[format, "-v", "--no-control", "--ca-file", &ca_path, &target],
            &[],
        )
        .await;
        assert_eq!(run.code, 13);
        assert!(
            !run.stdout.contains('\x1b'),
            "raw ESC reached the output:\n{}",
            run.stdout
        );
        assert!(
            !run.stdout.contains('\u{202e}'),
            "bidi override reached the output"
        );
        assert!(run.stdout.contains("pwned"), "the text is shown, escaped");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_greeting_names_the_front_end() {
    use base64::Engine;
    let ca = TestCa::new("t");
    let front_end = "LO4P123CA0233.GBRP123.PROD.OUTLOOK.COM";
    let utf16: Vec<u8> = front_end
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(utf16);
    let greeting = format!("* OK The Microsoft Exchange IMAP4 service is ready. [{b64}]");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(greeting))
        .with_login_reply("NO LOGIN failed.");
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 14, "auth", "account", "auth.basic_auth_refused");
    let provider = &run.check("capability")["details"]["provider"];
    assert_eq!(provider["id"], "microsoft");
    assert_eq!(provider["front_end"], front_end);
}

#[tokio::test(flavor = "multi_thread")]
async fn gmail_greeting_reports_the_public_address() {
    let greeting = "* OK Gimap ready for requests from 203.0.113.7 h12mb123456lfb".to_string();
    let run = opening_run(Opening::Greet(greeting), &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.check("capability")["details"]["provider"]["client_ip"],
        "203.0.113.7"
    );
}
