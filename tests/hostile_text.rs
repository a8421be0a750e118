//! Server text is untrusted: a server that puts terminal escapes, C1 controls, bidi overrides and
//! isolates, tag characters, line and paragraph separators, the Arabic letter mark, a soft hyphen,
//! deprecated format characters and zero-width characters into every field it controls (greeting
//! and its response code, capabilities, login reply code and text, LIST names, STATUS item names,
//! EXAMINE reply, BYE). None of them may reach stdout raw, human or JSON, in any string or key;
//! each must show escaped.

mod support;

use std::sync::Arc;

use serde_json::Value;
use support::hostile::{self, Command, Reply, Responder, Then, every_string};
use support::scripted::run;

/// What a hostile server mixes in: each must never appear raw in any output.
const HIDDEN: &[char] = &[
    '\u{1b}',
    '\u{07}',
    '\u{0}',
    '\u{9b}',
    '\u{85}',
    '\u{202e}',
    '\u{2066}',
    '\u{2069}',
    '\u{e0041}',
    '\u{e0001}',
    '\u{2028}',
    '\u{2029}',
    '\u{061c}',
    '\u{00ad}',
    '\u{206a}',
    '\u{206f}',
    '\u{200b}',
    '\u{feff}',
];

/// A string holding every hidden character, between visible letters.
fn nasty(tag: &str) -> String {
    let mut s = String::from(tag);
    for c in HIDDEN {
        s.push(*c);
        s.push('x');
    }
    s
}

/// An atom-safe variant (no NUL, no space, no parentheses): for response codes, capability
/// names, STATUS item names.
fn nasty_atom(tag: &str) -> String {
    nasty(tag).replace('\0', "")
}

fn assert_clean(what: &str, text: &str) {
    for c in text.chars() {
        assert!(
            !HIDDEN.contains(&c) && (c == '\n' || !c.is_control()),
            "{what}: raw U+{:04X} in output:\n{text}",
            c as u32
        );
    }
}

/// Runs human and JSON (`-v`, so the transcript too) and asserts that nothing hidden got
/// through; returns the JSON report.
async fn check(port: u16) -> Value {
    let target = format!("imap://127.0.0.1:{port}");
    let base = [
        "--no-control",
        "--timeout",
        "3",
        "--max-time",
        "10",
        "--security",
        "none",
        "--allow-plaintext-auth",
        "--user",
        "alice@example.test",
        "-v",
    ];
    let env = [("IMAPDOCTOR_PASSWORD", "Canary-Pw-hidden-1")];
    let mut json = Value::Null;
    for format in [Some("--json"), None] {
        let mut args = base.to_vec();
        args.extend(format);
        args.push(&target);
        let run = run(&args, &env).await;
        assert_ne!(run.code, 101, "panicked: {}", run.stderr);
        assert_clean("stdout", &run.stdout);
        assert_clean("stderr", &run.stderr);
        if format.is_some() {
            assert!(
                !run.stdout.contains("\\u00") && !run.stdout.contains("\\u20"),
                "a JSON escape that decodes to a hidden character:\n{}",
                run.stdout
            );
            json = run.json.expect("a JSON document");
            every_string(&json, &mut |s| assert_clean("a JSON string", s));
        } else {
            assert!(run.stdout.contains("\\u{202e}"), "{}", run.stdout);
        }
    }
    json
}

/// `pointer` in the report shows the hidden characters escaped.
fn escaped_at(report: &Value, pointer: &str) {
    let field = report.pointer(pointer).unwrap_or(&Value::Null);
    let text = field.to_string();
    assert!(
        text.contains("\\\\u{202e}") && text.contains("\\\\x9b") && text.contains("\\\\u{e0041}"),
        "{pointer} = {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_every_field_a_server_controls() {
    let responder: Responder = Arc::new(|c: &Command| match c.name.as_str() {
        "CAPABILITY" => Reply::lines([
            format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN {}", nasty_atom("CAP")),
            format!("{} OK [{}] {}", c.tag, nasty_atom("CODE"), nasty("done")),
        ]),
        "LOGIN" | "AUTHENTICATE" => Reply::lines([
            format!("* OK [ALERT] {}", nasty("alert")),
            format!("{} OK [{}] {}", c.tag, nasty_atom("LOGGEDIN"), nasty("in")),
        ]),
        "LIST" => Reply::lines([
            "* LIST () \"/\" INBOX".to_string(),
            format!(
                "* LIST (\\Noselect {}) \"/\" \"{}\"",
                nasty_atom("\\F"),
                nasty("Box")
            ),
            format!("{} OK {}", c.tag, nasty("listed")),
        ]),
        "STATUS" => Reply::lines([
            format!("* STATUS INBOX (MESSAGES 3 {} 4)", nasty_atom("KEY")),
            format!("{} OK {}", c.tag, nasty("status")),
        ]),
        "EXAMINE" | "SELECT" => Reply::lines([format!(
            "{} NO [{}] {}",
            c.tag,
            nasty_atom("NONEXISTENT"),
            nasty("no such mailbox")
        )]),
        "LOGOUT" => Reply::lines([format!("{} OK", c.tag)]).then(Then::Close),
        _ => Reply::lines([format!("{} OK {}", c.tag, nasty("ok"))]),
    });
    let greeting = format!("* OK [{}] {}", nasty_atom("GREETCODE"), nasty("hello"));
    let server = hostile::spawn(&greeting, None, responder).await;
    let report = check(server.port).await;
    escaped_at(&report, "/checks/4/details/greeting/code");
    escaped_at(&report, "/checks/4/details/greeting/text");
    escaped_at(&report, "/checks/4/details/capabilities");
    escaped_at(&report, "/transcript");
    let folders = report["checks"][6].to_string();
    assert!(folders.contains("\\\\u{202e}"), "{folders}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_a_login_refusal_reach_no_verdict_raw() {
    let responder: Responder = Arc::new(|c: &Command| match c.name.as_str() {
        "LOGIN" | "AUTHENTICATE" => Reply::lines([format!(
            "{} NO [{}] {}",
            c.tag,
            nasty_atom("AUTH"),
            nasty("refused")
        )]),
        _ => Reply::lines([format!("{} OK", c.tag)]),
    });
    let greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready";
    let server = hostile::spawn(greeting, None, responder).await;
    let report = check(server.port).await;
    escaped_at(&report, "/checks/5/details/response_code");
    escaped_at(&report, "/checks/5/details/text");
    escaped_at(&report, "/checks/5/error/message");
    escaped_at(&report, "/checks/5/summary");
    escaped_at(&report, "/verdict/evidence");
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_a_bye_greeting() {
    let responder: Responder = Arc::new(|c: &Command| Reply::lines([format!("{} OK", c.tag)]));
    let greeting = format!(
        "* BYE [{}] {}",
        nasty_atom("UNAVAILABLE"),
        nasty("maintenance")
    );
    let server = hostile::spawn(&greeting, None, responder).await;
    let report = check(server.port).await;
    escaped_at(&report, "/checks/4/error/message");
    escaped_at(&report, "/verdict/evidence");
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_certificate_names() {
    // A CA whose name carries them: the chain's issuer, the verification message and the verdict
    // all name it (it is not trusted here, so verification fails and says by whom it was issued).
    let ca = support::scripted::TestCa::new(&nasty("Evil CA "));
    let leaf = support::scripted::leaf(&ca);
    let responder: Responder = Arc::new(|c: &Command| Reply::lines([format!("{} OK", c.tag)]));
    let server = hostile::spawn(
        "* OK [CAPABILITY IMAP4rev1] ready",
        Some(leaf.server_config()),
        responder,
    )
    .await;
    let target = format!("imaps://127.0.0.1:{}", server.port);
    let mut json = Value::Null;
    for format in [Some("--json"), None] {
        let mut args = vec!["--no-control", "--timeout", "3"];
        args.extend(format);
        args.push(&target);
        let run = run(&args, &[]).await;
        assert_ne!(run.code, 101, "panicked: {}", run.stderr);
        assert_clean("stdout", &run.stdout);
        assert_clean("stderr", &run.stderr);
        if format.is_some() {
            json = run.json.expect("a JSON document");
        }
    }
    every_string(&json, &mut |s| assert_clean("a JSON string", s));
    assert_eq!(json["checks"][3]["status"], "fail", "{json:#}");
    escaped_at(&json, "/checks/3/details/chain/0/issuer");
}
