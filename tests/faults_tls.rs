//! Certificates and TLS from scripted servers: expired, not yet valid, wrong name, self-signed,
//! untrusted, interception, a wrong clock, old protocol versions.
//! Each scenario asserts the failing check, the exit code, the fault and the verdict code.

mod support;

use support::scripted::*;

#[tokio::test(flavor = "multi_thread")]
async fn expired_certificate() {
    let ca = TestCa::new("t");
    let expired = ca.issue(&LeafSpec::expired(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&expired), &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.certificate_expired");
    let tls = &run.check("tls")["details"];
    assert_eq!(tls["verification"]["reason"], "expired");
    assert!(
        tls["chain"][0]["days_left"].as_i64().unwrap() < 0,
        "chain captured despite the failure"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn not_yet_valid_certificate() {
    let ca = TestCa::new("t");
    let early = ca.issue(&LeafSpec::not_yet_valid(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&early), &ca).await;
    expect(
        &f.check("imaps", &[]).await,
        12,
        "tls",
        "server",
        "tls.certificate_not_yet_valid",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_host_certificate_suggests_the_certificates_name() {
    let ca = TestCa::new("t");
    let other = ca.issue(&LeafSpec::valid_for(["mail.example.net"]));
    let f = Fixture::start(tls_script(&other), &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.name_mismatch");
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("mail.example.net"), "{hints}");
}

#[tokio::test(flavor = "multi_thread")]
async fn self_signed_certificate() {
    let ca = TestCa::new("t");
    let own = Leaf::self_signed(&LeafSpec::valid_for(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&own), &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.self_signed");
    assert_eq!(run.check("tls")["details"]["chain"][0]["self_issued"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_issuer_without_ca_file() {
    let ca = TestCa::new("Private Corp CA");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let run = run(&["--json", "--no-control", &target], &[]).await;
    expect(&run, 12, "tls", "server", "tls.unknown_issuer");
}

/// A connectivity check with `--insecure` against a server presenting `leaf`, trusting `ca`; JSON
/// and human output. Asserts what holds for every `--insecure` run: exit 0, tls `warn`, verdict
/// `ok.with_warnings` (fault none) and never a "verified connection".
async fn insecure(leaf: &Leaf, ca: &TestCa) -> (Run, Run) {
    let f = Fixture::start(tls_script(leaf), ca).await;
    let json = f.run_with(&["--json", "--insecure"], &[]).await;
    let human = f.run_with(&["--no-color", "--insecure"], &[]).await;
    for run in [&json, &human] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        assert!(
            !run.stdout.contains("verified connection"),
            "claims a verified connection:\n{}",
            run.stdout
        );
    }
    assert_eq!(json.status("tls"), "warn");
    assert_eq!(
        json.check("tls")["details"]["verification"]["insecure"],
        true
    );
    assert_eq!(json.verdict("code"), "ok.with_warnings");
    assert_eq!(json.verdict("fault"), "none");
    (json, human)
}

/// `--insecure` with a certificate that would fail: `tls.unverified`, led by the would-be failure.
async fn insecure_would_fail(leaf: &Leaf, ca: &TestCa, would: &str) {
    let (json, human) = insecure(leaf, ca).await;
    let tls = json.check("tls");
    assert_eq!(tls["warning"]["code"], "tls.unverified", "{}", json.stdout);
    let message = tls["warning"]["message"].as_str().unwrap();
    let lead = format!("the certificate would fail verification ({would})");
    assert!(message.starts_with(&lead), "{message}");
    assert_eq!(tls["details"]["verification"]["verified"], false);
    assert_eq!(
        tls["notes"][0], message,
        "the would-be failure leads the notes"
    );
    assert!(json.verdict("summary").contains(would), "{}", json.stdout);
    let hints = json.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("would fail verification"), "{hints}");
    assert!(human.stdout.contains("NOT verified"), "{}", human.stdout);
    assert!(human.stdout.contains("--insecure"), "{}", human.stdout);
    assert!(
        human.stdout.contains("Verdict [OK WITH WARNINGS]"),
        "{}",
        human.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_an_expired_certificate_is_unverified() {
    let ca = TestCa::new("t");
    let expired = ca.issue(&LeafSpec::expired(["127.0.0.1"]));
    insecure_would_fail(&expired, &ca, "tls.certificate_expired").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_a_self_signed_certificate_is_unverified() {
    let ca = TestCa::new("t");
    let own = Leaf::self_signed(&LeafSpec::valid_for(["127.0.0.1"]));
    insecure_would_fail(&own, &ca, "tls.self_signed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_a_name_mismatch_is_unverified() {
    let ca = TestCa::new("t");
    let other = ca.issue(&LeafSpec::valid_for(["mail.example.net"]));
    insecure_would_fail(&other, &ca, "tls.name_mismatch").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_an_unknown_issuer_is_unverified() {
    let issuer = TestCa::new("Private Corp CA");
    let trusted = TestCa::new("Some other CA");
    insecure_would_fail(&leaf(&issuer), &trusted, "tls.unknown_issuer").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_a_good_certificate_says_it_would_have_verified() {
    let ca = TestCa::new("t");
    let (json, _) = insecure(&leaf(&ca), &ca).await;
    let tls = json.check("tls");
    assert_eq!(tls["warning"]["code"], "tls.insecure", "{}", json.stdout);
    assert!(
        tls["warning"]["message"]
            .as_str()
            .unwrap()
            .contains("would have verified")
    );
    assert!(
        json.verdict("summary")
            .contains("without certificate verification, by request")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_expiring_soon_warns() {
    let ca = TestCa::new("t");
    let soon = ca.issue(&LeafSpec::expiring_in(["127.0.0.1"], 5));
    let f = Fixture::start(tls_script(&soon), &ca).await;
    let run = f.check("imaps", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("tls"), "warn");
    assert_eq!(run.verdict("fault"), "none");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plaintext_bye_before_tls_is_the_servers_refusal() {
    // Courier's couriertcpd -denymsg during maintenance: a bare BYE (LF only), then close,
    // before any TLS, on the implicit-TLS port. The server speaks, so it is not "not TLS".
    let ca = TestCa::new("t");
    let bye = b"* BYE Server down for maintenance, back at 14:00 UTC.\n".to_vec();
    let script = Script::healthy(Security::Plain).with_opening(Opening::RawThenClose(bye));
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.bye");
    assert!(run.summary("tls").contains("maintenance"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn plaintext_greeting_on_a_tls_port() {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::Plain).with_account(USER, CANARY);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "config", "tls.plaintext_greeting");
    assert!(
        run.check("tls")["details"]["received_instead"]
            .as_str()
            .unwrap()
            .starts_with("* OK")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn private_root_for_a_public_provider_is_interception() {
    let proxy = TestCa::new("Contoso Corporate Proxy CA");
    let forged = proxy.issue(&LeafSpec::valid_for(["outlook.office365.com"]));
    let f = Fixture::start(tls_script(&forged), &proxy).await;
    let resolve = format!("outlook.office365.com:{}:127.0.0.1", f.server.port());
    let target = format!("outlook.office365.com:{}", f.server.port());
    let ca_path = f.ca();
    let run = run(
        &[
            "--json",
            "--no-control",
            "--resolve",
            &resolve,
            "--ca-file",
            &ca_path,
            &target,
        ],
        &[],
    )
    .await;
    expect(&run, 12, "tls", "local", "tls.intercepted");
    assert!(
        run.check("tls")["summary"]
            .as_str()
            .unwrap()
            .contains("Contoso Corporate Proxy CA")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn antivirus_mail_shield_is_named() {
    let shield = TestCa::new("Avast Web/Mail Shield Root");
    let forged = shield.issue(&LeafSpec::valid_for(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&forged), &shield).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "local", "tls.intercepted");
    assert!(
        run.check("tls")["summary"]
            .as_str()
            .unwrap()
            .contains("Avast")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn private_ca_for_an_internal_server_is_only_noted() {
    let ca = TestCa::new("Example Internal CA");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.check("imaps", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check("tls")["details"]["origin"]["public_root"], false);
    assert!(run.check("tls")["notes"].to_string().contains("private CA"));
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_target_and_control_mean_a_wrong_clock() {
    let ca = TestCa::new("t");
    let expired = || ca.issue(&LeafSpec::expired(["127.0.0.1"]));
    let control = server::spawn(tls_script(&expired())).await.unwrap();
    let f = Fixture::start(tls_script(&expired()), &ca).await;
    let control_arg = format!("127.0.0.1:{}", control.port());
    let run = f.check("imaps", &["--control", &control_arg]).await;
    expect(&run, 12, "tls", "local", "tls.clock_wrong");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_target_with_a_healthy_control_is_the_server() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let f = Fixture::start(
        tls_script(&ca.issue(&LeafSpec::expired(["127.0.0.1"]))),
        &ca,
    )
    .await;
    let control_arg = format!("127.0.0.1:{}", control.port());
    let run = f.check("imaps", &["--control", &control_arg]).await;
    expect(&run, 12, "tls", "server", "tls.certificate_expired");
    // The control checked the clock; it says nothing about the network for a TLS failure.
    let summary = run.verdict("summary");
    assert!(!summary.contains("network works"), "{summary}");
    assert_eq!(
        run.json.as_ref().unwrap()["verdict"]["confidence"],
        "certain"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_old_tls_versions_on_offer() {
    // What a TLS 1.0-only server answers to a TLS 1.2/1.3 ClientHello: a protocol_version alert.
    let alert = vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_opening(Opening::RawThenClose(alert)),
        &ca,
    )
    .await;
    expect(
        &f.check("imaps", &[]).await,
        12,
        "tls",
        "server",
        "tls.protocol_version",
    );
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn no_trust_store_on_this_computer() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    // rustls-native-certs reads the store from these on Linux.
    let env = [
        ("SSL_CERT_FILE", "/nonexistent/ca.pem"),
        ("SSL_CERT_DIR", "/nonexistent"),
    ];
    let run = run(&["--json", "--no-control", &target], &env).await;
    expect(&run, 12, "tls", "local", "tls.no_trust_store");
}
