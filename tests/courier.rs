//! Integration tests against a real Courier-IMAP 5.0 (see `support/courier.rs`): the harness
//! itself, then the `imapdoctor` binary end to end, healthy and in each failure Courier can be
//! made to show. Each test's comment quotes what Courier sends (from `-v` transcripts).
//!
//! Without Courier installed (`.ci/install-courier`), or not as root, every test here passes
//! after printing "skipped: courier not installed (…)"; set IMAPDOCTOR_REQUIRE_COURIER=1 (CI) to
//! make that a failure.

#![cfg(target_os = "linux")]

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use support::cli::{Imapdoctor, Run};
use support::courier::{CANARY_PASSWORD, Courier, LOCKED_PASSWORD, LOCKED_USER, Options, USER};
use support::maildir::INBOX_MESSAGES;

/// A wrong password that is a canary too.
const WRONG_PASSWORD: &str = "Wrong-canary-6d0b3a-pässword";

/// `imapdoctor --json -v --ca-file <test CA> <args> <url>` with `password`, every account's
/// password registered as a secret that must not leak, and Courier's logs in the explanation.
fn run<'a>(courier: &'a Courier, args: &[&str], url: &str, password: &str) -> Imapdoctor<'a> {
    let ca = courier.ca_file.to_str().expect("a UTF-8 temp path");
    let args = [&["--json", "-v", "--ca-file", ca], args, &[url]].concat();
    Imapdoctor::new(&args)
        .password(password)
        .secret(USER, CANARY_PASSWORD, "c0e41b")
        .secret(LOCKED_USER, LOCKED_PASSWORD, "a7d95f")
        .secret(USER, WRONG_PASSWORD, "6d0b3a")
        .context(|| courier.log())
}

/// [`run`] as [`USER`] with the right password, over implicit TLS.
fn run_tls(courier: &Courier, args: &[&str]) -> Run {
    let args = [&["--user", USER], args].concat();
    run(courier, &args, &courier.imaps_url(), CANARY_PASSWORD).run()
}

/// `imap://HOST:PORT` with `--security none --allow-plaintext-auth`: LOGIN without TLS.
fn plaintext(courier: &Courier) -> (String, [&'static str; 5]) {
    let url = courier.imap_url();
    (
        url,
        [
            "--security",
            "none",
            "--allow-plaintext-auth",
            "--user",
            USER,
        ],
    )
}

/// Asserts that the verdict does not blame a provider Courier is not.
fn assert_no_provider_text(run: &Run) {
    let text = run.verdict_text();
    for provider in ["Exchange", "Microsoft", "Office 365", "Gmail", "Google"] {
        let why = run.explain();
        assert!(
            !text.contains(provider),
            "verdict mentions {provider}\n{why}"
        );
    }
}

/// The number of sessions couriertcpd has started so far (readiness probes included).
fn connections(courier: &Courier) -> usize {
    courier.log().matches("DEBUG: Connection").count()
}

/// Polls `condition` every 20 ms until it holds; panics after 10 s.
fn wait_for(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not met in 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// The harness itself.

#[test]
fn harness_instances_are_private_and_stop() {
    let started = Instant::now();
    let Some(a) = Courier::start() else { return };
    eprintln!("courier ready in {:?}", started.elapsed());
    let Some(b) = Courier::start() else { return };
    assert_ne!(a.imaps_port, b.imaps_port);
    assert_ne!(a.dir(), b.dir());
    // The authdaemon socket lives in the instance's directory; the system's is untouched.
    assert!(a.dir().join("authdaemon/socket").exists(), "{}", a.log());
    assert!(!Path::new("/run/courier/authdaemon/socket").exists());
    let (dir, port) = (a.dir().to_path_buf(), a.imaps_port);
    let stopping = Instant::now();
    drop(a);
    eprintln!("courier stopped in {:?}", stopping.elapsed());
    assert!(!dir.exists(), "the temp dir is removed on drop");
    assert!(
        TcpStream::connect((b.host, port)).is_err(),
        "a still listens"
    );
    // b still serves.
    run_tls(&b, &[]).assert_all_pass();
}

// ---------------------------------------------------------------------------------------------
// Healthy.

#[test]
fn implicit_tls_all_checks_pass() {
    let Some(c) = Courier::start() else { return };
    let outcome = run_tls(&c, &[]);
    // `* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT
    // THREAD=REFERENCES SORT QUOTA IDLE AUTH=PLAIN ACL ACL2=UNION ENABLE UTF8=ACCEPT]
    // Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for
    // distribution information.`, then `a1 LOGIN "doctor" {23}` (no SASL-IR), `a1 OK LOGIN Ok.`
    outcome.assert_all_pass();
    outcome.assert_server_said("Courier-IMAP ready.");
    let why = outcome.explain();
    assert_eq!(outcome.report()["target"]["security"], "tls", "{why}");
    let examine = &outcome.check("folders")["details"]["examine"];
    assert_eq!(examine["exists"], INBOX_MESSAGES, "{why}");
}

#[test]
fn starttls_all_checks_pass() {
    let Some(c) = Courier::start() else { return };
    let outcome = run(&c, &["--user", USER], &c.imap_url(), CANARY_PASSWORD).run();
    // Before TLS `… IDLE STARTTLS ENABLE UTF8=ACCEPT] Courier-IMAP ready. …` (no AUTH=),
    // `a1 OK Begin SSL/TLS negotiation now.`; after it AUTH=PLAIN and no STARTTLS.
    outcome.assert_all_pass();
    outcome.assert_server_said("Begin SSL/TLS negotiation now.");
    let why = outcome.explain();
    assert_eq!(outcome.report()["target"]["security"], "starttls", "{why}");
}

// ---------------------------------------------------------------------------------------------
// The account.

#[test]
fn wrong_password_is_an_account_fault() {
    let Some(c) = Courier::start() else { return };
    let outcome = run(&c, &["--user", USER], &c.imaps_url(), WRONG_PASSWORD).run();
    // `a1 LOGIN "doctor" {29}` / `+ OK` / the password, then after 5 s `a1 NO Login failed.`
    // No response code; Exchange Online's "LOGIN failed." wording must not make it Microsoft's.
    outcome.assert_fails(14, "auth", "account", "auth.rejected");
    outcome.assert_server_said("NO Login failed.");
    assert_no_provider_text(&outcome);
}

#[test]
fn unknown_user_is_an_account_fault() {
    let Some(c) = Courier::start() else { return };
    let outcome = run(&c, &["--user", "nobody"], &c.imaps_url(), CANARY_PASSWORD).run();
    // The same words as for a wrong password, after the same 5 s: `a1 NO Login failed.`
    outcome.assert_fails(14, "auth", "account", "auth.rejected");
    assert_no_provider_text(&outcome);
}

#[test]
fn imap_disabled_for_the_account_is_an_account_fault() {
    let Some(c) = Courier::start() else { return };
    let url = c.imaps_url();
    let outcome = run(&c, &["--user", LOCKED_USER], &url, LOCKED_PASSWORD).run();
    // userdb `options=disableimap=1`: the password is right (`a1 OK LOGIN Ok.`), then the
    // pipelined LIST / STATUS / EXAMINE get `* BYE IMAP access disabled for this account.` and
    // the connection closes. The account's IMAP permission needs changing, not the server.
    // When the pipelined commands reach Courier before it exits, its kernel answers them with a
    // TCP RST that discards the unsent BYE (seen now and then under load): then all imapdoctor
    // sees is a close after login (`folders.closed`, server), which the verdict then calls
    // likely, with the account's IMAP access as the alternative it names.
    if outcome.verdict("code") == "folders.closed" {
        outcome.assert_fails(15, "folders", "server", "folders.closed");
        assert_eq!(
            outcome.verdict("confidence"),
            "likely",
            "{}",
            outcome.explain()
        );
        let alternatives = outcome.report()["verdict"]["alternatives"].to_string();
        assert!(
            alternatives.contains("IMAP is disabled for the account"),
            "{alternatives}"
        );
        return;
    }
    outcome.assert_failed_not_password(
        "folders",
        "account",
        "* BYE IMAP access disabled for this account.",
    );
    assert_eq!(
        outcome.verdict("code"),
        "folders.imap_disabled",
        "{}",
        outcome.explain()
    );
}

// ---------------------------------------------------------------------------------------------
// Mailboxes.

#[test]
fn missing_mailbox_is_a_config_fault() {
    let Some(c) = Courier::start() else { return };
    let outcome = run_tls(&c, &["--mailbox", "Nope"]);
    // `a2 OK LIST completed` (nothing named Nope); `a3 NO Mailbox does not exist, or must be
    // subscribed to.` for STATUS and EXAMINE (no [NONEXISTENT] code).
    outcome.assert_fails(15, "folders", "config", "folders.mailbox_missing");
    outcome.assert_server_said("NO Mailbox does not exist, or must be subscribed to.");
}

#[test]
fn missing_mailbox_names_the_close_one_in_the_namespace() {
    let Some(c) = Courier::start() else { return };
    let outcome = run_tls(&c, &["--mailbox", "Archive"]);
    // Courier's personal namespace is `INBOX.` (`* NAMESPACE (("INBOX." ".")) NIL …`): the
    // folder is `* LIST (\HasNoChildren) "." "INBOX.Archive"`, and `Archive` gets `NO Mailbox
    // does not exist, or must be subscribed to.` The report should point at the right name.
    outcome.assert_fails(15, "folders", "config", "folders.mailbox_missing");
    let folders = outcome.check("folders").to_string();
    let why = outcome.explain();
    assert!(
        folders.contains("INBOX.Archive"),
        "INBOX.Archive not named\n{why}"
    );
}

#[test]
fn non_ascii_mailbox_with_a_space_opens() {
    let Some(c) = Courier::start() else { return };
    let outcome = run_tls(&c, &["--mailbox", "INBOX.Entwürfe 2026"]);
    // On disk `.Entwürfe 2026` (Courier-IMAP 5 keeps folder names in UTF-8); on the wire
    // `* LIST (\HasNoChildren) "." "INBOX.Entw&APw-rfe 2026"`. The UTF-8 name is unknown to
    // Courier unless UTF8=ACCEPT was enabled: `NO Mailbox does not exist, or must be
    // subscribed to.`
    outcome.assert_all_pass();
    let sent = outcome.report()["transcript"].to_string();
    let why = outcome.explain();
    assert!(sent.contains("\\\"INBOX.Entw&APw-rfe 2026\\\""), "{why}");
}

// ---------------------------------------------------------------------------------------------
// The server's configuration and state.

#[test]
fn encryption_required_is_a_config_fault() {
    let options = Options {
        tls_required: true,
        ..Options::default()
    };
    let Some(c) = Courier::start_with(options) else {
        return;
    };
    let (url, args) = plaintext(&c);
    // IMAP_TLS_REQUIRED=1: `* OK [CAPABILITY … IDLE ACL ACL2=UNION STARTTLS LOGINDISABLED
    // ENABLE UTF8=ACCEPT] Courier-IMAP ready. …`: imapdoctor sends no credentials.
    let outcome = run(&c, &args, &url, CANARY_PASSWORD).run();
    outcome.assert_failed_at("auth", "config");
    outcome.assert_no_password_hint();
    assert_no_provider_text(&outcome);
    // A LOGIN forced anyway gets Courier's own words: `a1 NO STARTTLS required`.
    let forced = [&args[..], &["--auth", "login"]].concat();
    let outcome = run(&c, &forced, &url, CANARY_PASSWORD).run();
    outcome.assert_failed_not_password("auth", "config", "NO STARTTLS required");
    assert_no_provider_text(&outcome);
}

#[test]
fn auth_backend_down_is_a_server_fault() {
    let Some(mut c) = Courier::start() else {
        return;
    };
    c.stop_auth_daemon();
    let outcome = run_tls(&c, &[]);
    // imaplogin finds nobody on the authdaemon socket (log: `ERR: authdaemon: s_connect()
    // failed: Connection refused`) and says `* BYE Temporary problem, please try again later`.
    outcome.assert_failed_not_password(
        "auth",
        "server",
        "* BYE Temporary problem, please try again later",
    );
}

#[test]
fn auth_backend_hanging_is_a_server_fault() {
    let Some(c) = Courier::start() else { return };
    c.pause_auth_daemon();
    let outcome = run_tls(&c, &["--login-timeout", "3"]);
    // authdaemond frozen: after `a1 LOGIN "doctor" {23}` / `+ OK` / the password Courier says
    // nothing until authlib's own read timeout (30 s, as long as imapdoctor's default
    // --login-timeout) ends it with `* BYE Temporary problem, please try again later`.
    outcome.assert_fails(14, "auth", "server", "auth.timeout");
}

/// Runs imapdoctor with `args` against `url` on a Courier whose authdaemond is frozen, so the
/// login waits in imaplogin, and shuts Courier down meanwhile.
fn login_during_shutdown(c: &Courier, args: &[&str], url: &str) -> Run {
    c.pause_auth_daemon();
    let invocation = run(c, args, url, CANARY_PASSWORD);
    let before = connections(c);
    std::thread::scope(|scope| {
        let running = scope.spawn(|| invocation.run());
        wait_for(|| connections(c) > before);
        std::thread::sleep(Duration::from_millis(500));
        c.shut_down();
        running.join().expect("imapdoctor thread")
    })
}

#[test]
fn shutdown_during_login_is_a_server_fault() {
    let Some(c) = Courier::start() else { return };
    let outcome = login_during_shutdown(&c, &["--user", USER], &c.imaps_url());
    // couriertcpd passes SIGTERM to its whole session, couriertls included, so over TLS the
    // connection just closes after the LOGIN (imaplogin's `* BYE Courier-IMAP server shut
    // down by signal.` dies with couriertls; log: `NOTICE: Disconnected during shutdown by
    // signal`).
    outcome.assert_fails(14, "auth", "server", "auth.closed");
    outcome.assert_no_password_hint();
}

#[test]
fn shutdown_during_plaintext_login_says_bye() {
    let Some(c) = Courier::start() else { return };
    let (url, args) = plaintext(&c);
    let outcome = login_during_shutdown(&c, &args, &url);
    // Without couriertls in between, imaplogin's words arrive:
    // `* BYE Courier-IMAP server shut down by signal.`
    outcome.assert_fails(14, "auth", "server", "auth.bye");
    outcome.assert_server_said("* BYE Courier-IMAP server shut down by signal.");
    outcome.assert_no_password_hint();
}

#[test]
fn maintenance_message_is_a_server_fault() {
    let message = "* BYE Server down for maintenance, back at 14:00 UTC.";
    let options = Options {
        deny_message: Some(message.to_string()),
        ..Options::default()
    };
    let Some(c) = Courier::start_with(options) else {
        return;
    };
    // couriertcpd's access file denies everyone; `-denymsg` is sent as is, LF-terminated, and
    // the connection closed: `* BYE Server down for maintenance, back at 14:00 UTC.`
    let outcome = run(&c, &["--user", USER], &c.imap_url(), CANARY_PASSWORD).run();
    outcome.assert_fails(13, "capability", "server", "capability.bye");
    outcome.assert_server_said(message);
    // On the implicit TLS port couriertcpd sends the same plaintext line before any TLS: the
    // server's refusal, not a port that speaks no TLS.
    let outcome = run_tls(&c, &[]);
    let why = outcome.explain();
    assert_eq!(outcome.verdict("fault"), "server", "{why}");
    assert!(outcome.stdout.contains("maintenance"), "{why}");
}

#[test]
fn per_address_connection_limit_is_not_a_password_or_local_problem() {
    let options = Options {
        max_per_ip: Some(2),
        ..Options::default()
    };
    let Some(c) = Courier::start_with(options) else {
        return;
    };
    let before = connections(&c);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect((c.host, c.imap_port)).expect("connecting"))
        .collect();
    wait_for(|| connections(&c) >= before + 2);
    // couriertcpd -maxperip=2: the third connection is accepted and closed at once, without
    // a word (log: `ALERT: Maximum connection limit reached for ::ffff:127.0.0.1`). The limit
    // is per couriertcpd: the implicit TLS port still serves.
    let outcome = run(&c, &["--user", USER], &c.imap_url(), CANARY_PASSWORD).run();
    outcome.assert_fails(13, "capability", "server", "capability.closed");
    outcome.assert_no_password_hint();
    run_tls(&c, &[]).assert_all_pass();
    drop(held);
}

#[test]
fn preauth_greeting_logs_in_without_credentials() {
    let options = Options {
        preauth: true,
        ..Options::default()
    };
    let Some(c) = Courier::start_with(options) else {
        return;
    };
    let outcome = run_tls(&c, &[]);
    // imapd started without imaplogin (AUTHENTICATED=doctor): `* PREAUTH Ready.` No
    // credentials are checked: worth a warning, not a failure.
    let why = outcome.explain();
    assert_eq!(outcome.code, 0, "{why}");
    assert_eq!(outcome.failing(), None, "{why}");
    assert_eq!(outcome.verdict("fault"), "none", "{why}");
    outcome.assert_server_said("* PREAUTH Ready.");
    let auth = &outcome.check("auth")["details"];
    assert_eq!(auth["mechanism"], "PREAUTH", "{why}");
    assert_eq!(outcome.check("folders")["status"], "pass", "{why}");
    let transcript = outcome.report()["transcript"]
        .as_array()
        .into_iter()
        .flatten();
    let mut sent = transcript.filter(|entry| entry["direction"] == "client");
    let login = sent.any(|entry| entry.to_string().contains("LOGIN"));
    assert!(!login, "credentials sent after PREAUTH\n{why}");
}
