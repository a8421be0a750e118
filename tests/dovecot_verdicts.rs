//! The verdict classes of issue 7 against a real Dovecot (see `support/dovecot.rs`): encryption
//! required before login, the authentication backend down, failed-login throttling, mailbox names
//! in modified UTF-7, the closest existing mailbox, and STATUS before EXAMINE.
//!
//! Without Dovecot installed every test here passes after printing "skipped: dovecot not
//! installed"; set IMAPDOCTOR_REQUIRE_DOVECOT=1 (CI) to make that a failure.

#![cfg(unix)]

mod support;

use support::cli::{Imapdoctor, Run};
use support::dovecot::{ARCHIVE, CANARY_PASSWORD, Dovecot, NON_ASCII_MAILBOX, USER};

/// A wrong password that is also a canary.
const WRONG: &str = "wrong-Canary-41c07d";

/// Runs against `dc` with its CA, the main user and `password`, checking no secret leaks.
fn check(dc: &Dovecot, password: &str, args: &[&str]) -> Run {
    let ca = dc.ca_file.display().to_string();
    let args = [
        &["--json", "-v", "--ca-file", &ca, "--user", USER][..],
        args,
    ]
    .concat();
    Imapdoctor::new(&args)
        .password(password)
        .secret(USER, CANARY_PASSWORD, "7f3a9c")
        .secret(USER, WRONG, "41c07d")
        .context(|| dc.log())
        .run()
}

#[test]
fn plaintext_before_starttls_is_refused_as_encryption_required() {
    let Some(dc) = Dovecot::start() else { return };
    if !dc.login_disabled_before_tls {
        eprintln!("skipped: Dovecot sees loopback as secured here (no 127.0.0.2)");
        return;
    }
    let url = dc.imap_url();
    for extra in [&[][..], &["--allow-plaintext-auth"][..]] {
        let args = [&["--security", "none"][..], extra, &[&url]].concat();
        let run = check(&dc, CANARY_PASSWORD, &args);
        // Dovecot: `* OK [CAPABILITY IMAP4rev1 … STARTTLS LOGINDISABLED] …`, no AUTH= at all.
        run.assert_verdict(14, "config", "auth.encryption_required");
        let verdict = run.report()["verdict"].to_string();
        assert!(!verdict.contains("allow-plaintext-auth"), "{verdict}");
        assert!(!verdict.contains("password"), "{verdict}");
        assert!(
            !run.stdout.contains("LOGIN \\\"") && !run.stdout.contains("AUTHENTICATE"),
            "credentials were sent:\n{}",
            run.explain()
        );
    }
}

#[test]
fn authentication_backend_down_is_the_servers_problem() {
    let Some(dc) = Dovecot::start() else { return };
    break_the_passdb(&dc);
    let run = check(&dc, CANARY_PASSWORD, &[&dc.imaps_url()]);
    run.assert_verdict(14, "server", "auth.unavailable");
    assert!(
        !run.verdict("summary").contains("rejected the credentials"),
        "{}",
        run.explain()
    );
}

/// Swaps the passdb for a checkpassword program that always answers "temporary failure" (exit
/// 111), as a dead LDAP or SQL backend does, and reloads Dovecot. Dovecot then answers logins
/// with `NO [UNAVAILABLE] Temporary authentication failure. [host:date]`.
fn break_the_passdb(dc: &Dovecot) {
    use std::os::unix::fs::PermissionsExt;
    let script = dc.dir().join("backend-down.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 111\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf_path = dc.dir().join("dovecot.conf");
    let conf = std::fs::read_to_string(&conf_path).unwrap();
    let users = format!("args = {}", dc.dir().join("users").display());
    assert!(conf.contains("driver = passwd-file") && conf.contains(&users));
    let conf = conf
        .replacen("driver = passwd-file", "driver = checkpassword", 1)
        .replacen(&users, &format!("args = {}", script.display()), 1);
    std::fs::write(&conf_path, conf).unwrap();
    let reload = std::process::Command::new("doveadm")
        .env("PATH", "/usr/bin:/usr/sbin:/bin:/sbin")
        .arg("-c")
        .arg(&conf_path)
        .arg("reload")
        .output()
        .expect("running doveadm reload");
    assert!(reload.status.success(), "doveadm reload: {reload:?}");
    // The reload restarts the auth process; wait until the new passdb answers.
    std::thread::sleep(std::time::Duration::from_millis(500));
}

#[test]
fn a_login_held_back_after_failures_is_throttling_not_a_dead_backend() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    // A failure makes Dovecot delay the next login from this address (its auth penalty: 2 s,
    // doubling up to 15 s).
    let first = check(&dc, WRONG, &[&url]);
    first.assert_verdict(14, "account", "auth.rejected");
    let held = check(&dc, WRONG, &["--login-timeout", "1", &url]);
    held.assert_verdict(14, "server", "auth.timeout");
    let summary = held.verdict("summary");
    assert!(summary.contains("throttling failed logins"), "{summary}");
    assert!(!summary.contains("backend is down"), "{summary}");
}

#[test]
fn a_non_ascii_mailbox_opens() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let run = check(
        &dc,
        CANARY_PASSWORD,
        &["--mailbox", NON_ASCII_MAILBOX, &url],
    );
    assert_eq!(run.code, 0, "{}", run.explain());
    let folders = &run.check("folders")["details"];
    assert_eq!(
        folders["mailbox_sent"],
        "Entw&APw-rfe 2026",
        "{}",
        run.explain()
    );
    // STATUS goes before EXAMINE: no [CLIENTBUG] from Dovecot for STATUS on the selected mailbox.
    assert_eq!(folders["status"]["completion"]["result"], "OK");
    assert!(folders["status"]["completion"]["response_code"].is_null());
    assert_eq!(folders["status"]["items"]["MESSAGES"], 0);
}

#[test]
fn a_missing_mailbox_names_the_closest_existing_one() {
    let Some(dc) = Dovecot::start() else { return };
    let wanted = ARCHIVE.to_lowercase();
    let url = dc.imaps_url();
    let run = check(&dc, CANARY_PASSWORD, &["--mailbox", &wanted, &url]);
    run.assert_verdict(15, "config", "folders.mailbox_missing");
    assert_eq!(
        run.check("folders")["details"]["closest"][0],
        ARCHIVE,
        "{}",
        run.explain()
    );
    assert!(
        run.report()["verdict"]["hints"]
            .to_string()
            .contains(ARCHIVE)
    );
}
