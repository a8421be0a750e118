//! Integration tests against a real Cyrus IMAP 3.6 (see `support/cyrus.rs`): a self-test of the
//! harness with plain sockets, then the `imapdoctor` binary end to end, healthy and in each
//! failure Cyrus can be made to show. Each test comment quotes what Cyrus 3.6.1 (Debian
//! 3.6.1-4+deb12u5) sent, from the `-v` transcript.
//!
//! Without Cyrus unpacked (`.ci/install-cyrus`) every test here passes after printing "skipped:
//! cyrus not installed (…)"; set IMAPDOCTOR_REQUIRE_CYRUS=1 (CI) to make that a failure.
//!
//! Not tested because Cyrus cannot be made to do it: a PREAUTH greeting. imapd 3.6 always
//! greets `* OK [CAPABILITY …]` (`cmdloop()` in imap/imapd.c; "PREAUTH" appears in imap/ only as
//! the `CAPA_PREAUTH` capability flag and in backend.c, the proxy's client side); `imapd -N`
//! skips the password check but still waits for LOGIN, and `-p <ssf>` only declares an external
//! security layer.

#![cfg(unix)]

mod support;

use std::net::SocketAddr;
use std::time::Instant;

use support::cli::{Imapdoctor, Run};
use support::cyrus::{
    CANARY_PASSWORD, Cyrus, INBOX_MESSAGES, Options, UNICODE_MAILBOX, UNICODE_MAILBOX_MUTF7, USER,
};
use support::imap_session::{ImapSession, login_literal};

/// A wrong password that is a canary too.
const WRONG_PASSWORD: &str = "Wrong-canary-8d07aa-pässword";
/// A user Cyrus does not know.
const UNKNOWN_USER: &str = "nobody-here";
/// Cyrus sleeps `failedloginpause` (3 s) before answering a failed login.
const SLOW_LOGIN_TIMEOUT: u64 = 15;

// ---------------------------------------------------------------------------------------------
// The harness itself, with plain sockets.

#[test]
fn harness_serves_imaps_and_starttls() {
    let started = Instant::now();
    let Some(cy) = Cyrus::start() else { return };
    eprintln!("cyrus ready in {:?}", started.elapsed());

    // The plaintext port: STARTTLS on offer, no login before it (allowplaintext: no).
    let plain = ImapSession::plain(SocketAddr::new(cy.host, cy.imap_port)).unwrap();
    let greeting = &plain.greeting;
    assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
    assert!(greeting.contains(" STARTTLS"), "{greeting}");
    assert!(greeting.contains(" LOGINDISABLED"), "{greeting}");
    assert!(greeting.contains(&cy.greeting), "{greeting}");

    // The imaps port: the account, its messages and the mailbox named in modified UTF-7.
    let mut imaps = cy.logged_in_session().unwrap();
    let list = imaps.ok(b"LIST \"\" \"*\"").unwrap();
    assert!(list.iter().any(|l| l.ends_with(" INBOX\r\n")), "{list:?}");
    let unicode = format!(" \"{UNICODE_MAILBOX_MUTF7}\"\r\n");
    assert!(list.iter().any(|l| l.ends_with(&unicode)), "{list:?}");
    let select = imaps.ok(b"EXAMINE INBOX").unwrap();
    let exists = format!("* {INBOX_MESSAGES} EXISTS");
    assert!(select.iter().any(|l| l.starts_with(&exists)), "{select:?}");
    imaps.ok(b"LOGOUT").unwrap();

    // A wrong password: refused after Cyrus's failedloginpause.
    let mut imaps = cy.tls_session().unwrap();
    let (_, done) = imaps.command(&login_literal(USER, WRONG_PASSWORD)).unwrap();
    assert!(done.starts_with("t1 NO "), "{done}");
}

#[test]
fn harness_instances_are_independent() {
    let Some(a) = Cyrus::start() else { return };
    let Some(b) = Cyrus::start() else { return };
    assert_ne!(a.imaps_port, b.imaps_port);
    assert_ne!(a.imap_port, b.imap_port);
    assert_ne!(a.dir(), b.dir());
    let dir = a.dir().to_path_buf();
    let master = SocketAddr::new(a.host, a.imap_port);
    let stopping = Instant::now();
    drop(a);
    eprintln!("cyrus stopped in {:?}", stopping.elapsed());
    assert!(!dir.exists(), "the temp dir is removed on drop");
    assert!(ImapSession::plain(master).is_err(), "a's listener is gone");
    // b still serves.
    let session = ImapSession::plain(SocketAddr::new(b.host, b.imap_port)).unwrap();
    assert!(
        session.greeting.contains(&b.greeting),
        "{}",
        session.greeting
    );
}

// ---------------------------------------------------------------------------------------------
// The binary, end to end.

/// `imapdoctor --json -v --ca-file <CA> --user <user> <args…> <url>` with `password` in the
/// environment, every test password registered as a secret, Cyrus's log for the messages.
fn doctor<'a>(
    cy: &'a Cyrus,
    user: &str,
    password: &str,
    args: &[&str],
    url: &str,
) -> Imapdoctor<'a> {
    let ca = cy.ca_file.to_str().expect("a UTF-8 temp path");
    let all = [
        &["--json", "-v", "--ca-file", ca, "--user", user],
        args,
        &[url],
    ]
    .concat();
    Imapdoctor::new(&all)
        .password(password)
        .secret(USER, CANARY_PASSWORD, "5c81e0")
        .secret(USER, WRONG_PASSWORD, "8d07aa")
        .secret(UNKNOWN_USER, CANARY_PASSWORD, "5c81e0")
        .context(|| cy.log())
}

/// [`doctor`] as [`USER`] with the right password, run.
fn run_as_user(cy: &Cyrus, args: &[&str], url: &str) -> Run {
    doctor(cy, USER, CANARY_PASSWORD, args, url).run()
}

/// [`doctor`] as `user` with `password`, which Cyrus refuses after its failedloginpause with a
/// line containing `words`: the auth check fails, with `fault` and an `auth.` verdict.
fn slow_login_refused(cy: &Cyrus, user: &str, password: &str, words: &str, fault: &str) -> Run {
    let run = doctor(cy, user, password, &[], &cy.imaps_url())
        .step_timeout(SLOW_LOGIN_TIMEOUT)
        .run();
    run.assert_server_said(words);
    run.assert_failed_at("auth", fault);
    let why = run.explain();
    assert!(run.verdict("code").starts_with("auth."), "{why}");
    run
}

#[test]
fn implicit_tls_all_checks_pass() {
    let Some(cy) = Cyrus::start() else { return };
    let run = run_as_user(&cy, &[], &cy.imaps_url());
    run.assert_all_pass();
    let report = run.report();
    assert_eq!(report["target"]["security"], "tls", "{}", run.explain());
    assert_eq!(report["target"]["port"], cy.imaps_port, "{}", run.explain());
    assert!(
        run.server_lines()[0].contains(&cy.greeting),
        "{}",
        run.explain()
    );
}

#[test]
fn starttls_all_checks_pass() {
    // Cyrus: `* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS LOGINDISABLED] <servername>
    // Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready`, then `OK Begin TLS negotiation now`.
    let Some(cy) = Cyrus::start() else { return };
    let run = run_as_user(&cy, &[], &cy.imap_url());
    run.assert_all_pass();
    let why = run.explain();
    assert_eq!(run.report()["target"]["security"], "starttls", "{why}");
    run.assert_server_said("LOGINDISABLED");
}

/// Logs in as `user` with `password`, which Cyrus refuses: an account fault.
fn assert_login_rejected(user: &str, password: &str) {
    let Some(cy) = Cyrus::start() else { return };
    slow_login_refused(&cy, user, password, "authentication failure", "account");
}

#[test]
fn wrong_password_is_an_account_fault() {
    // Cyrus, after failedloginpause (3 s): `a1 NO authentication failure` (to AUTHENTICATE
    // PLAIN; LOGIN gets `NO Login failed: authentication failure`). Verdict: account,
    // auth.rejected.
    assert_login_rejected(USER, WRONG_PASSWORD);
}

#[test]
fn unknown_user_is_an_account_fault() {
    // Cyrus answers exactly as for a wrong password (it turns SASL_NOUSER into SASL_BADAUTH,
    // "don't allow user probing"): `a1 NO authentication failure`. Verdict: account,
    // auth.rejected.
    assert_login_rejected(UNKNOWN_USER, CANARY_PASSWORD);
}

#[test]
fn missing_mailbox_is_a_config_fault() {
    // Cyrus answers STATUS and EXAMINE `NO Mailbox does not exist` (no response code).
    let Some(cy) = Cyrus::start() else { return };
    let url = cy.imaps_url();
    let run = run_as_user(&cy, &["--mailbox", "Nope"], &url);
    run.assert_fails(15, "folders", "config", "folders.mailbox_missing");
    run.assert_server_said("Mailbox does not exist");
}

#[test]
fn mailbox_with_non_ascii_and_space_opens() {
    // Cyrus lists it as `* LIST (\HasNoChildren) "/" "Entw&APw-rfe 2026"`, opens `EXAMINE
    // "Entw&APw-rfe 2026"` (`OK [READ-ONLY] Completed`) and answers `NO Mailbox does not exist`
    // to `EXAMINE "Entwürfe 2026"` sent in UTF-8.
    let Some(cy) = Cyrus::start() else { return };
    let url = cy.imaps_url();
    let run = run_as_user(&cy, &["--mailbox", UNICODE_MAILBOX], &url);
    run.assert_all_pass();
    run.assert_server_said(UNICODE_MAILBOX_MUTF7);
}

#[test]
fn plaintext_login_refused_is_a_config_fault() {
    // Cyrus (allowplaintext: no) greets `* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS
    // LOGINDISABLED] …` and would answer LOGIN before STARTTLS with `NO Login only available
    // under a layer` (AUTHENTICATE: `NO Authenticate only available under a layer` only with
    // tls_required; otherwise no mechanism is on offer). imapdoctor honours LOGINDISABLED and
    // sends no credentials. TLS is required; the password is not the problem.
    let Some(cy) = Cyrus::start() else { return };
    let url = cy.imap_url();
    let args = ["--security", "none", "--allow-plaintext-auth"];
    let run = run_as_user(&cy, &args, &url);
    run.assert_failed_not_password("auth", "config", "LOGINDISABLED");
}

#[test]
fn auth_backend_down_is_a_server_fault() {
    // sasl_pwcheck_method: saslauthd, and no saslauthd: Cyrus answers, after failedloginpause,
    // `a1 NO generic failure` (SASL_FAIL; LOGIN gets `NO Login failed: generic failure`). The
    // server cannot check any password. Verdict: server, auth.auth_backend_failed.
    let options = Options {
        auth_backend_down: true,
        ..Options::default()
    };
    let Some(cy) = Cyrus::start_with(options) else {
        return;
    };
    let run = slow_login_refused(&cy, USER, CANARY_PASSWORD, "generic failure", "server");
    run.assert_no_password_hint();
}

#[test]
fn shutdown_message_is_a_server_fault() {
    // With `<configdirectory>/msg/shutdown`, Cyrus 3.6 still greets `* OK` and accepts the
    // login; right after the tagged OK it sends `* BYE [ALERT] Down for maintenance until 06:00
    // UTC` (the file's first line) and exits: imapd checks the file at the top of its command
    // loop, and only once a user is logged in, so it never refuses in the greeting
    // (`capability.bye`). imapdoctor's pipelined LIST/STATUS/EXAMINE meet the BYE
    // (`folders.bye`), or, when they reach Cyrus before it exits, its kernel answers the unread
    // commands with a TCP RST that discards the BYE still unread on our side: then the
    // connection just closes after login (`folders.closed`, seen now and then with the whole
    // suite running). Either way the server owns it.
    let Some(cy) = Cyrus::start() else { return };
    let message = "Down for maintenance until 06:00 UTC";
    cy.set_shutdown_message(message);
    let url = cy.imaps_url();
    let run = run_as_user(&cy, &[], &url);
    run.assert_failed_at("folders", "server");
    let why = run.explain();
    let code = run.verdict("code");
    assert!(
        ["folders.bye", "folders.closed"].contains(&code.as_str()),
        "{why}"
    );
    if code == "folders.bye" {
        run.assert_server_said(&format!("* BYE [ALERT] {message}"));
        assert!(
            run.stdout.contains(message),
            "the BYE text is reported\n{why}"
        );
    }
    run.assert_no_password_hint();
}

#[test]
fn per_address_connection_limit_is_an_account_fault() {
    // maxlogins_per_host: 2 and one session already logged in from 127.0.0.1: Cyrus accepts
    // the password, then answers `NO Too many open connections (2 of 2 from localhost
    // [127.0.0.1])` (imapd's checklimits(), after authentication; Cyrus 3.6 counts the session
    // logging in, so a limit of 1 would refuse every login, even the first).
    let options = Options {
        max_logins_per_host: Some(2),
        ..Options::default()
    };
    let Some(cy) = Cyrus::start_with(options) else {
        return;
    };
    let _holder = cy.logged_in_session().expect("the first session logs in");
    let url = cy.imaps_url();
    let run = run_as_user(&cy, &[], &url);
    run.assert_server_said("Too many open connections");
    run.assert_fails(14, "auth", "account", "auth.too_many_connections");
    run.assert_no_password_hint();
}
