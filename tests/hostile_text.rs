//! Server text is untrusted: a server that puts terminal escapes, C1 controls, bidi overrides and
//! isolates, tag characters, line and paragraph separators, the Arabic letter mark, a soft hyphen,
//! deprecated format characters and zero-width characters into every field it controls (greeting
//! and its response code, capabilities, login reply code and text, LIST names, STATUS item names,
//! EXAMINE reply, BYE, the CA's name). None of them may reach any output raw (human, JSON,
//! markdown, oneline, nagios, prometheus, `--repeat` human and JSON; `batch`'s JSON Lines, summary
//! and stderr; `serve`'s `/probe`, `/metrics` and stderr), in any string or key; where server text
//! shows, it shows escaped.

mod support;

use std::sync::Arc;

use serde_json::Value;
use support::hostile::{
    self, BatchFiles, Command, Reply, Responder, Then, ca_file, every_string, json_lines,
};
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

/// Every output format of one check: JSON first (its report is returned), then human and markdown
/// (these three `-v`, with the transcript), oneline, nagios, prometheus, and two back-to-back
/// runs (`--repeat`, `-v`) as JSON and human (its run lines and summary table). The ones marked
/// `true` show server text, escaped.
const FORMATS: &[(&[&str], bool)] = &[
    (&["--json", "-v"], true),
    (&["-v"], true),
    (&["--format", "markdown", "-v"], true),
    (&["--format", "oneline"], false),
    (&["--format", "nagios"], false),
    (&["--format", "prometheus"], false),
    (&["--repeat", "2", "--interval", "0", "--json", "-v"], true),
    (&["--repeat", "2", "--interval", "0", "-v"], false),
];

/// Asserts that a JSON document holds no hidden character, raw or as a `\u` escape.
fn assert_clean_json(stdout: &str, document: &Value) {
    assert!(
        !stdout.contains("\\u00") && !stdout.contains("\\u20"),
        "a JSON escape that decodes to a hidden character:\n{stdout}"
    );
    every_string(document, &mut |s| assert_clean("a JSON string", s));
}

/// Every check runs so: no control probe, each step and the run bounded, plaintext on loopback.
const BOUNDED: &[&str] = &[
    "--no-control",
    "--timeout",
    "3",
    "--max-time",
    "10",
    "--security",
    "none",
    "--allow-plaintext-auth",
];

/// Runs the check in every one of [`FORMATS`] and asserts that nothing hidden got through;
/// returns the JSON report.
async fn check(port: u16) -> Value {
    let target = format!("imap://127.0.0.1:{port}");
    let base = [BOUNDED, &["--user", "alice@example.test"]].concat();
    let env = [("IMAPDOCTOR_PASSWORD", "Canary-Pw-hidden-1")];
    let mut json = None;
    for (format, shows_server_text) in FORMATS {
        let mut args = base.to_vec();
        args.extend_from_slice(format);
        args.push(&target);
        let run = run(&args, &env).await;
        assert_ne!(run.code, 101, "panicked: {}", run.stderr);
        assert!(!run.stdout.trim().is_empty(), "{format:?}: {}", run.stderr);
        assert_clean("stdout", &run.stdout);
        assert_clean("stderr", &run.stderr);
        if let Some(document) = &run.json {
            assert_clean_json(&run.stdout, document);
        }
        if *shows_server_text {
            assert!(
                run.stdout.contains("\\u{202e}"),
                "{format:?}:\n{}",
                run.stdout
            );
        }
        json = json.or(run.json);
    }
    json.expect("a JSON document")
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

/// A responder that puts hidden characters into every field a server controls after the
/// greeting: capabilities and their reply, the login's untagged and tagged replies, LIST flags and
/// names, STATUS item names, the EXAMINE refusal.
fn everywhere() -> Responder {
    Arc::new(|c: &Command| match c.name.as_str() {
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
    })
}

/// A greeting with hidden characters in its response code and text.
fn greeting_everywhere() -> String {
    format!("* OK [{}] {}", nasty_atom("GREETCODE"), nasty("hello"))
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_every_field_a_server_controls() {
    let server = hostile::spawn(&greeting_everywhere(), None, everywhere()).await;
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

/// A TLS server with hidden characters in every field and in its CA's name, and that CA (to trust,
/// so the check gets through to the folders).
async fn everywhere_over_tls() -> (hostile::Hostile, support::scripted::TestCa) {
    let ca = support::scripted::TestCa::new(&nasty("Evil CA "));
    let tls = support::scripted::leaf(&ca).server_config();
    let server = hostile::spawn(&greeting_everywhere(), Some(tls), everywhere()).await;
    (server, ca)
}

/// `%XX` for every byte: a query value carrying anything.
fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_through_batch_json_lines_and_stderr() {
    let (server, ca) = everywhere_over_tls().await;
    let target = format!("imaps://127.0.0.1:{}", server.port);
    let row = |pairs: &[(&str, &str)]| {
        let object: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        Value::Object(object).to_string()
    };
    let rows = [
        format!("{target} alice@example.test"),
        row(&[("target", &target), ("user", &nasty_atom("bob"))]),
        // Bad rows that say why: an unknown key and a target that is no host, both hidden-laden.
        row(&[("target", &target), (&nasty("key"), "1")]),
        row(&[("target", &nasty("imaps://host"))]),
    ];
    let files = BatchFiles::new(&rows, &ca);
    let args = files.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run(&args, &[("IMAPDOCTOR_PASSWORD", "Canary-Pw-hidden-1")]).await;
    assert_ne!(run.code, 101, "panicked: {}", run.stderr);
    assert_clean("stdout", &run.stdout);
    assert_clean("stderr", &run.stderr);
    let lines = json_lines(&run.stdout);
    for (line, text) in lines.iter().zip(run.stdout.lines()) {
        assert_clean_json(text, line);
    }
    // The server's text did arrive, escaped, in both rows' reports.
    let reports: Vec<&Value> = lines.iter().filter_map(|l| l.get("report")).collect();
    assert_eq!(reports.len(), 2, "{}", run.stdout);
    for report in reports {
        escaped_at(report, "/checks/4/details/greeting/text");
        escaped_at(report, "/checks/3/details/chain/0/issuer");
    }
    assert!(
        lines.last().unwrap().get("summary").is_some(),
        "{}",
        run.stdout
    );
    for line in ["line 3: ", "line 4: "] {
        assert!(run.stderr.contains(line), "{}", run.stderr);
    }
    // On a terminal: the failing rows' lines and the summary table.
    #[cfg(target_os = "linux")]
    {
        let env = [("IMAPDOCTOR_PASSWORD", "Canary-Pw-hidden-1")];
        let (screen, ended) =
            tokio::task::block_in_place(|| support::pty::OnTerminal::run(&args, &env, true, false));
        assert_clean("the terminal", &without_terminal_codes(&screen));
        assert_clean("stderr", &ended.stderr);
        assert!(screen.contains("FAILED  CHECK"), "the table: {screen}");
    }
}

#[cfg(target_os = "linux")]
/// `text` without the terminal's own control sequences (cursor moves, line erasing, colours) and
/// carriage returns.
fn without_terminal_codes(text: &str) -> String {
    let terminal_codes = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\r").unwrap();
    terminal_codes.replace_all(text, "").into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_through_serve() {
    let (server, ca) = everywhere_over_tls().await;
    let ca_file = ca_file(&ca);
    let config = format!(
        "[modules.m]\nuser = \"alice@example.test\"\npassword_env = \"SOME_VAR\"\nca_file = {:?}\ntimeout = 3\nmax_time = 10\n",
        ca_file.path().display()
    );
    let target = format!("imaps://127.0.0.1:{}", server.port);
    let answers = tokio::task::block_in_place(|| {
        let mut exporter =
            support::exporter::Exporter::start_with(&config, &[("SOME_VAR", "Canary-Pw-hidden-1")]);
        [
            exporter.get(&format!("/probe?target={target}&module=m"), &[]),
            // A target that is no host, hidden-laden: HTTP 400 saying why.
            exporter.get(
                &format!("/probe?target={}&module=m", percent_encoded(&nasty("x"))),
                &[],
            ),
            exporter.get("/metrics", &[]),
            (0, exporter.stop()),
        ]
    });
    for (status, body) in &answers {
        assert_clean(&format!("a {status} answer"), body);
    }
    assert_eq!(answers[0].0, 200, "{}", answers[0].1);
    assert!(
        answers[0].1.contains("code=\"folders.refused\""),
        "the probe got through to the folders: {}",
        answers[0].1
    );
    assert_eq!(answers[1].0, 400, "{}", answers[1].1);
}

/// On a terminal: the live view (each check's line on stderr as it finishes, cut to the
/// terminal's width) and the report after it. Once the terminal's own control sequences (cursor
/// moves, line erasing, colours, carriage returns) are taken out, nothing hidden is left, and the
/// refusal's text shows escaped.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_the_live_view_on_a_terminal() {
    let responder: Responder = Arc::new(|c: &Command| match c.name.as_str() {
        "LOGIN" | "AUTHENTICATE" => Reply::lines([format!("{} NO {}", c.tag, nasty("refused"))]),
        _ => Reply::lines([format!("{} OK", c.tag)]),
    });
    let server = hostile::spawn(&greeting_everywhere(), None, responder).await;
    let target = format!("imap://127.0.0.1:{}", server.port);
    // A one-letter user keeps the refusal's text within the live line's width.
    let args = [BOUNDED, &["--user", "a", "-v", &target]].concat();
    let env = [
        ("IMAPDOCTOR_PASSWORD", "Canary-Pw-hidden-1"),
        ("TERM", "xterm-256color"),
    ];
    let (screen, ended) =
        tokio::task::block_in_place(|| support::pty::OnTerminal::run(&args, &env, true, true));
    assert_eq!(ended.status.code(), Some(14), "{screen}");
    let text = without_terminal_codes(&screen);
    assert_clean("the terminal", &text);
    let report_head = format!("imapdoctor {}", env!("CARGO_PKG_VERSION"));
    let live = text.split(&report_head).next().unwrap();
    assert!(
        live.contains("FAIL auth") && live.contains("refused\\x1bx"),
        "the live line shows the refusal escaped: {live}"
    );
}

/// `explain` with a code full of hidden characters (pasted from somewhere): the "unknown code"
/// message shows them escaped.
#[tokio::test(flavor = "multi_thread")]
async fn hidden_characters_in_a_code_to_explain() {
    let code = nasty_atom("auth.");
    for format in [None, Some("--json")] {
        let mut args: Vec<&str> = format.into_iter().collect();
        args.extend(["explain", &code]);
        let run = run(&args, &[]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_clean("stdout", &run.stdout);
        assert_clean("stderr", &run.stderr);
        assert!(run.stderr.contains("\\u{202e}"), "{}", run.stderr);
    }
}
