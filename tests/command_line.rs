//! The command line itself, through the binary: `explain`, global options before a subcommand,
//! the usage errors people meet first (two hosts as TARGET), the warning for
//! an unused `--resolve`, and what `--help` says about the control probe. Nothing here leaves
//! loopback: the demo serves on loopback, and checks use IP targets with `--no-control`.

mod support;

use support::offline::{Output, imapdoctor};

#[test]
fn explain_gives_owner_meaning_hints_and_other_causes() {
    let out = imapdoctor(&["explain", "tcp.timeout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = &out.stdout;
    assert!(text.starts_with("tcp.timeout\n  owner: server\n"), "{text}");
    assert!(
        text.contains("inconclusive without a comparable control"),
        "{text}"
    );
    assert!(
        text.contains("drops\npackets") || text.contains("drops packets"),
        "{text}"
    );
    assert!(
        text.contains("What to do:\n  - A firewall on this network"),
        "{text}"
    );
    assert!(
        text.contains("Other possible causes:\n  - local: "),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn explain_reads_response_codes_as_the_report_spells_them() {
    let out = imapdoctor(&["explain", "AUTH.UNAVAILABLE"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("auth.unavailable\n  owner: server\n")
    );
    assert!(out.stdout.contains("When the server answers [UNAVAILABLE]"));
    // A check's own row and the response rows of the same name together.
    let out = imapdoctor(&["explain", "auth.rejected"]);
    assert!(out.stdout.contains("The server rejected the credentials."));
    assert!(
        out.stdout
            .contains("When the server answers [AUTHENTICATIONFAILED]")
    );
}

#[test]
fn explain_list_has_one_line_per_code() {
    let out = imapdoctor(&["explain", "--list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let row = |code: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(code))
            .unwrap_or_else(|| panic!("{code} missing:\n{}", out.stdout))
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert_eq!(row("ok"), "none");
    assert_eq!(row("tcp.refused"), "server");
    assert_eq!(row("auth.rejected"), "account");
    assert_eq!(row("folders.mailbox_missing"), "config");
    assert_eq!(row("<check>.unavailable"), "server");
    assert!(lines.len() > 80, "{}", lines.len());
    // Every listed code explains itself.
    for line in lines.iter().step_by(17) {
        let code = line.split_whitespace().next().unwrap();
        assert_eq!(imapdoctor(&["explain", code]).code, 0, "{code}");
    }
}

#[test]
fn an_unknown_code_is_a_usage_error_naming_the_closest() {
    let out = imapdoctor(&["explain", "tcp.refsed"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.starts_with(
            "imapdoctor: unknown verdict code \"tcp.refsed\"; did you mean tcp.refused"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(imapdoctor(&["explain"]).code, 2);
}

#[test]
fn global_options_before_the_subcommand_apply_to_it() {
    let out = imapdoctor(&["--json", "demo"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["target"]["host"], "127.0.0.1");
    assert_eq!(report["verdict"]["code"], "ok");

    let out = imapdoctor(&["--json", "demo", "--fault", "wrong-password"]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    assert_eq!(out.json()["verdict"]["code"], "auth.rejected");

    let out = imapdoctor(&["-v", "demo"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("127.0.0.1"), "{}", out.stdout);
    assert!(
        out.stdout.contains("LOGOUT"),
        "no transcript:\n{}",
        out.stdout
    );

    let out = imapdoctor(&["--no-color", "demo"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("127.0.0.1"), "{}", out.stdout);
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn the_demo_greeting_bye_hints_with_the_servers_reason() {
    let out = imapdoctor(&["demo", "--json", "--fault", "bye-greeting"]);
    assert_eq!(out.code, 13, "{}", out.stderr);
    let verdict = &out.json()["verdict"];
    let first = verdict["hints"][0].as_str().unwrap();
    assert!(
        first.starts_with("The server said: \"Server shutting down for maintenance"),
        "{first}"
    );
    assert!(
        !verdict.to_string().contains("authentication backend"),
        "{verdict}"
    );
}

/// Runs `imapdoctor ARGS`, which must end as a usage error (2, nothing on stdout) whose
/// message contains each of `said`.
fn usage_error(args: &[&str], said: &[&str]) -> Output {
    let out = imapdoctor(args);
    assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    for words in said {
        assert!(out.stderr.contains(words), "{args:?}: {}", out.stderr);
    }
    out
}

#[test]
fn check_options_or_a_target_with_a_subcommand_are_refused() {
    usage_error(
        &["--port", "143", "demo"],
        &["--port cannot be used with 'imapdoctor demo'"],
    );
    usage_error(
        &["127.0.0.1", "demo"],
        &["TARGET (127.0.0.1) cannot be used"],
    );
}

#[test]
fn two_targets_are_one_too_many() {
    let out = imapdoctor(&["127.0.0.1", "127.0.0.2"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("one target at a time"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("subcommand"), "{}", out.stderr);
}

#[test]
fn an_unused_resolve_entry_is_warned_about() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("127.0.0.1:{port}");
    let used = format!("127.0.0.1:{port}:127.0.0.1");
    let out = imapdoctor(&[
        "--no-control",
        "--timeout",
        "2",
        "--resolve",
        "127.0.0.1:143:127.0.0.1",
        "--resolve",
        &used,
        &target,
    ]);
    assert_eq!(out.code, 11, "{}", out.stderr);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("imapdoctor: warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains("--resolve for 127.0.0.1:143 is not used"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].ends_with(&target), "{}", warnings[0]);
}

#[test]
fn help_says_when_public_control_endpoints_are_contacted() {
    let out = imapdoctor(&["--help"]);
    assert_eq!(out.code, 0);
    let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("By default, when a check fails"), "{help}");
    assert!(help.contains("imap.gmail.com"), "{help}");
    assert!(help.contains("--no-control turns that off"), "{help}");
    assert!(help.contains("--control HOST[:PORT]"), "{help}");
}
