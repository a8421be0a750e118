//! A server that echoes secrets back: the password (raw, IMAP-quoted with `"` and `\`, inside a
//! literal), the base64 PLAIN / XOAUTH2 / OAUTHBEARER initial responses and the bearer token, in
//! every response kind (tagged NO, BAD, untagged BYE, OK, NO, BAD, a response code, a SASL
//! challenge, LIST and STATUS data, the greeting, an endless line, a plaintext answer on a TLS
//! port). Every output path (human, JSON, markdown, oneline, nagios, prometheus, `--repeat` human
//! and JSON, transcript included, stdout and stderr; `batch`'s JSON Lines, stderr and table;
//! `serve`'s `/probe`, `/metrics` and stderr) must carry no form of any of them, and each scenario
//! shows that the echo did arrive and was redacted.

mod support;

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use support::exporter::Exporter;
use support::hostile::{
    self, BatchFiles, CAPS, Command, Reply, Responder, Then, ca_file, every_string, json_lines,
};
use support::scripted::{TestCa, leaf, run};

const USER: &str = "alice@example.test";
/// Quote and backslash: LOGIN sends it quoted as `"Canary\"Pw\\5c1e9d"`.
const QUOTED_PW: &str = "Canary\"Pw\\5c1e9d";
/// Non-ASCII: LOGIN sends it as a literal.
const LITERAL_PW: &str = "Cänary-Pw-7f3a20";
const TOKEN: &str = "ya29.Canary-Token-e4b8c1";

/// Every form a secret of this run can take, for the assertions.
fn forms(password: &str, port: u16) -> Vec<String> {
    let imap = password.replace('\\', "\\\\").replace('"', "\\\"");
    let json = |s: &str| {
        let q = serde_json::to_string(s).unwrap();
        q[1..q.len() - 1].to_string()
    };
    vec![
        password.to_string(),
        imap.clone(),
        json(password),
        json(&imap),
        B64.encode(format!("\0{USER}\0{password}")),
        TOKEN.to_string(),
        B64.encode(format!("user={USER}\x01auth=Bearer {TOKEN}\x01\x01")),
        B64.encode(format!(
            "n,a={USER},\x01host=127.0.0.1\x01port={port}\x01auth=Bearer {TOKEN}\x01\x01"
        )),
    ]
}

struct Outcome {
    json: Value,
    /// The `--repeat` document: `runs` holds each run's report.
    repeated: Value,
    human: String,
    markdown: String,
}

/// Every output format a check of one server can take: JSON and human (both `-v`, so with the
/// transcript) first, then markdown (`-v`), oneline, nagios, prometheus, and two back-to-back runs
/// (`--repeat`, `-v`) as JSON and human.
const FORMATS: &[&[&str]] = &[
    &["--json", "-v"],
    &["-v"],
    &["--format", "markdown", "-v"],
    &["--format", "oneline"],
    &["--format", "nagios"],
    &["--format", "prometheus"],
    &["--repeat", "2", "--interval", "0", "--json", "-v"],
    &["--repeat", "2", "--interval", "0", "-v"],
];

/// Every run: no control probe, each step and the whole run bounded.
const BOUNDED: &[&str] = &["--no-control", "--timeout", "3", "--max-time", "10"];

/// A plaintext target on loopback, logged in to all the same.
const PLAINTEXT: &[&str] = &["--security", "none", "--allow-plaintext-auth"];

/// Runs the check in every one of [`FORMATS`] and asserts that no form of any secret reached
/// stdout or stderr and that nothing panicked.
async fn check(port: u16, scheme: &str, password: &str, extra: &[&str]) -> Outcome {
    let target = format!("{scheme}://127.0.0.1:{port}");
    let mut base = [BOUNDED, &["--user", USER]].concat();
    if scheme != "imaps" {
        base.extend_from_slice(PLAINTEXT);
    }
    base.extend_from_slice(extra);
    let mut env = vec![("IMAPDOCTOR_PASSWORD", password)];
    if extra.iter().any(|a| *a == "xoauth2" || *a == "oauthbearer") {
        env = vec![("IMAPDOCTOR_OAUTH_TOKEN", TOKEN)];
    }
    let mut outputs = Vec::new();
    for format in FORMATS {
        let mut args = base.clone();
        args.extend_from_slice(format);
        args.push(&target);
        let run = run(&args, &env).await;
        assert_ne!(run.code, 101, "panicked: {}", run.stderr);
        assert!(!run.stdout.trim().is_empty(), "no output: {}", run.stderr);
        for form in forms(password, port) {
            for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    !text.contains(&form),
                    "{form:?} in {name} of {args:?}:\n{text}"
                );
            }
        }
        outputs.push(run);
    }
    for document in outputs.iter().filter_map(|o| o.json.as_ref()) {
        every_string(document, &mut |s| {
            for form in forms(password, port) {
                assert!(!s.contains(&form), "{form:?} in a JSON string: {s}");
            }
        });
    }
    // In the order of FORMATS.
    let mut outputs = outputs.into_iter();
    let json = outputs.next().unwrap().json.expect("a JSON document");
    let human = outputs.next().unwrap().stdout;
    let markdown = outputs.next().unwrap().stdout;
    let repeated = outputs
        .nth(3)
        .unwrap()
        .json
        .expect("a --repeat JSON document");
    Outcome {
        json,
        repeated,
        human,
        markdown,
    }
}

impl Outcome {
    /// The echo arrived and was redacted where it says: `pointer` holds `***`, in the report and
    /// in each `--repeat` run's.
    fn redacted_at(&self, pointer: &str) -> &Self {
        for (document, pointer) in [
            (&self.json, pointer.to_string()),
            (&self.repeated, format!("/runs/0{pointer}")),
            (&self.repeated, format!("/runs/1{pointer}")),
        ] {
            let field = document.pointer(&pointer).unwrap_or(&Value::Null);
            let text = field
                .as_str()
                .map(str::to_string)
                .unwrap_or(field.to_string());
            assert!(text.contains("***"), "{pointer} = {text}\n{document:#}");
        }
        self
    }

    /// A transcript line from the server holds `***`.
    fn redacted_in_transcript(&self) -> &Self {
        let lines = self.json["transcript"].as_array().unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l["direction"] == "server" && l["text"].as_str().unwrap().contains("***")),
            "{lines:#?}"
        );
        assert!(self.human.contains("***"), "{}", self.human);
        assert!(self.markdown.contains("***"), "{}", self.markdown);
        self
    }
}

fn greeting() -> String {
    format!("* OK [CAPABILITY {CAPS}] ready")
}

/// A server that answers the login with `reply(command)` and everything else with a plain OK.
async fn on_login(reply: impl Fn(&Command) -> Reply + Send + Sync + 'static) -> hostile::Hostile {
    let responder: Responder = Arc::new(move |c: &Command| match c.name.as_str() {
        "LOGIN" | "AUTHENTICATE" => reply(c),
        "LOGOUT" => {
            Reply::lines(["* BYE bye".to_string(), format!("{} OK", c.tag)]).then(Then::Close)
        }
        _ => Reply::lines([format!("{} OK done", c.tag)]),
    });
    hostile::spawn(&greeting(), None, responder).await
}

#[tokio::test(flavor = "multi_thread")]
async fn password_echoed_in_a_tagged_no() {
    let server = on_login(|c| {
        Reply::lines([format!(
            "{} NO [AUTHENTICATIONFAILED] Invalid credentials for {}",
            c.tag,
            c.text()
        )])
    })
    .await;
    let out = check(server.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_at("/checks/5/error/message")
        .redacted_at("/verdict/evidence")
        .redacted_in_transcript();
    assert_eq!(out.json["verdict"]["code"], "auth.rejected");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_echoed_in_a_tagged_bad() {
    let server = on_login(|c| {
        Reply::lines([format!(
            "{} BAD Error in IMAP command LOGIN: {}",
            c.tag,
            c.text()
        )])
    })
    .await;
    let out = check(server.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_at("/checks/5/summary")
        .redacted_in_transcript();
}

#[tokio::test(flavor = "multi_thread")]
async fn password_echoed_in_a_bye() {
    let server = on_login(|c| {
        Reply::lines([format!("* BYE [ALERT] Go away, {}", c.text())]).then(Then::Close)
    })
    .await;
    let out = check(server.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_at("/checks/5/error/message")
        .redacted_in_transcript();
}

#[tokio::test(flavor = "multi_thread")]
async fn password_echoed_in_untagged_responses_and_codes() {
    let server = on_login(|c| {
        let raw = c.text();
        Reply::lines([
            format!("* OK [ALERT] you said {raw}"),
            format!("* NO {raw}"),
            format!("* BAD {raw}"),
            format!("* {raw}"),
            format!("* CAPABILITY IMAP4rev1 {QUOTED_PW}"),
            format!("{} NO [UNAVAILABLE {QUOTED_PW}] {QUOTED_PW}", c.tag),
        ])
    })
    .await;
    let out = check(server.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
    assert_eq!(out.json["verdict"]["fault"], "server");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_in_a_literal_echoed_raw_and_as_a_literal() {
    let server = on_login(|c| {
        let raw = c.text();
        Reply::lines([
            format!("* OK you sent {raw}"),
            format!("{} NO wrong password {LITERAL_PW}", c.tag),
        ])
    })
    .await;
    let out = check(server.port, "imap", LITERAL_PW, &[]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_initial_response_echoed_encoded_and_decoded() {
    let server = on_login(|c| {
        let b64 = c.text().rsplit(' ').next().unwrap().to_string();
        let decoded = B64.decode(&b64).unwrap_or_default();
        let mut said = b"* OK decoded: ".to_vec();
        said.extend_from_slice(&decoded);
        Reply::lines(vec![
            said,
            format!("* OK [ALERT] {b64}").into_bytes(),
            format!("{} NO [AUTHENTICATIONFAILED] {b64}", c.tag).into_bytes(),
        ])
    })
    .await;
    let out = check(server.port, "imap", QUOTED_PW, &["--auth", "plain"]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
    assert_eq!(out.json["checks"][5]["details"]["mechanism"], "PLAIN");
}

#[tokio::test(flavor = "multi_thread")]
async fn sasl_challenge_echoing_the_credentials() {
    // No SASL-IR: the response travels on a continuation line, and the server's challenge echoes
    // it, encoded and decoded.
    let responder: Responder = Arc::new(|c: &Command| match (c.name.as_str(), c.continued.len()) {
        ("AUTHENTICATE", 0) => Reply::lines(["+ "]).then(Then::AwaitLine),
        ("AUTHENTICATE", 1) => {
            let sent = c.last_continued();
            let decoded = B64.decode(&sent).unwrap_or_default();
            // 25 bytes before the echo: its base64 is not aligned with the initial response's.
            let mut echo = b"{\"status\":\"400\",\"echo\": \"".to_vec();
            echo.extend_from_slice(&decoded);
            echo.extend_from_slice(format!("\",\"raw\":\"{sent}\"}}").as_bytes());
            Reply::lines([format!("+ {}", B64.encode(echo))]).then(Then::AwaitLine)
        }
        ("AUTHENTICATE", _) => Reply::lines([format!(
            "{} NO [AUTHENTICATIONFAILED] {}",
            c.tag,
            String::from_utf8_lossy(&c.continued[0])
        )]),
        _ => Reply::lines([format!("{} OK done", c.tag)]),
    });
    let server = hostile::spawn(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready",
        None,
        responder,
    )
    .await;
    let out = check(server.port, "imap", QUOTED_PW, &["--auth", "plain"]).await;
    out.redacted_at("/checks/5/details/sasl_error")
        .redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
}

/// A token server that answers the initial response with an error challenge echoing the token.
async fn token_echo() -> hostile::Hostile {
    on_login(|c| {
        if c.continued.is_empty() {
            let echo = format!(
                "{{\"status\":\"401\",\"schemes\":\"bearer\",\"token\":\"{TOKEN}\",\"sent\":\"{}\"}}",
                c.text()
            );
            Reply::lines([format!("+ {}", B64.encode(echo))]).then(Then::AwaitLine)
        } else {
            Reply::lines([format!(
                "{} NO [AUTHENTICATIONFAILED] {} {TOKEN}",
                c.tag,
                c.text()
            )])
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn xoauth2_token_echoed() {
    let server = token_echo().await;
    let out = check(server.port, "imap", QUOTED_PW, &["--auth", "xoauth2"]).await;
    out.redacted_at("/checks/5/details/sasl_error")
        .redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
    assert_eq!(out.json["checks"][5]["details"]["mechanism"], "XOAUTH2");
}

#[tokio::test(flavor = "multi_thread")]
async fn oauthbearer_token_echoed() {
    let server = token_echo().await;
    let out = check(server.port, "imap", QUOTED_PW, &["--auth", "oauthbearer"]).await;
    out.redacted_at("/checks/5/details/sasl_error")
        .redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
    assert_eq!(out.json["checks"][5]["details"]["mechanism"], "OAUTHBEARER");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_echoed_in_mailbox_data_after_login() {
    let seen = Arc::new(Mutex::new(String::new()));
    let responder: Responder = Arc::new(move |c: &Command| {
        let said = seen.lock().unwrap().clone();
        match c.name.as_str() {
            "LOGIN" | "AUTHENTICATE" => {
                *seen.lock().unwrap() = c.text();
                Reply::lines([format!(
                    "{} OK [CAPABILITY IMAP4rev1 LIST-STATUS] in",
                    c.tag
                )])
            }
            "LIST" => Reply::lines(vec![
                b"* LIST () \"/\" INBOX".to_vec(),
                format!(
                    "* LIST () \"/\" \"{}\"",
                    QUOTED_PW.replace('\\', "\\\\").replace('"', "\\\"")
                )
                .into_bytes(),
                format!("* LIST () \"/\" {{{}}}", said.len()).into_bytes(),
                said.clone().into_bytes(),
                format!("{} OK LIST done {said}", c.tag).into_bytes(),
            ]),
            "STATUS" => Reply::lines([
                "* STATUS INBOX (MESSAGES 1 Canary-Key-Pw-5c1e9d 3)".to_string(),
                format!("{} OK [ALERT] {said}", c.tag),
            ]),
            "EXAMINE" | "SELECT" => Reply::lines([format!("{} NO [NONEXISTENT] {said}", c.tag)]),
            _ => Reply::lines([format!("{} OK done", c.tag)]),
        }
    });
    let server = hostile::spawn(&greeting(), None, responder).await;
    let out = check(server.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/6/summary")
        .redacted_in_transcript();
}

#[tokio::test(flavor = "multi_thread")]
async fn password_in_the_greeting_and_in_an_endless_line() {
    // The password is registered before any connection: even a greeting cannot show it, and an
    // endless line cut at 200 characters right in the middle of it leaves no part behind.
    let endless = format!("* OK {}{QUOTED_PW}{}", "A".repeat(185), "B".repeat(300_000));
    let server = on_login(move |_| Reply::lines([endless.clone()])).await;
    let responder: Responder = Arc::new(|c: &Command| Reply::lines([format!("{} OK", c.tag)]));
    let greeter = hostile::spawn(&format!("* OK [ALERT] {QUOTED_PW}"), None, responder).await;
    let out = check(greeter.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/4/details/greeting/text");
    // A plaintext greeting on a TLS port: the bytes received instead of a handshake.
    let out = check(greeter.port, "imaps", QUOTED_PW, &[]).await;
    out.redacted_at("/checks/3/details/received_instead");
    let out = check(server.port, "imap", QUOTED_PW, &[]).await;
    out.redacted_in_transcript();
    assert!(!out.human.contains("AAAACanary"), "{}", out.human);
}

#[tokio::test(flavor = "multi_thread")]
async fn echo_inside_tls() {
    let ca = TestCa::new("t");
    let responder: Responder = Arc::new(|c: &Command| match c.name.as_str() {
        "LOGIN" | "AUTHENTICATE" => {
            Reply::lines([format!("{} NO [AUTHENTICATIONFAILED] {}", c.tag, c.text())])
        }
        _ => Reply::lines([format!("{} OK done", c.tag)]),
    });
    let server = hostile::spawn(&greeting(), Some(leaf(&ca).server_config()), responder).await;
    let ca_file = ca_file(&ca);
    let ca_path = ca_file.path().display().to_string();
    let out = check(server.port, "imaps", QUOTED_PW, &["--ca-file", &ca_path]).await;
    out.redacted_at("/checks/5/details/text")
        .redacted_in_transcript();
}

/// The password `batch` rows read from their own variable (`password_env`).
const ROW_PW: &str = "Row\"Canary\\Pw-2b7d41";

/// The batch's environment: the default password and the one a row's `password_env` names.
const BATCH_ENV: [(&str, &str); 2] = [("IMAPDOCTOR_PASSWORD", QUOTED_PW), ("SOME_VAR", ROW_PW)];

/// A password someone wrote into the batch file itself, read from no variable.
const FILE_PW: &str = "File-Canary-Pw-90c3aa";

/// A TLS server that echoes every login back in an untagged OK and in its tagged NO, and the
/// batch file for it: two bad rows that carry a password as a third word (the default one, and
/// one no variable holds), a row with the default password and a row whose `password_env` names
/// `SOME_VAR`.
async fn batch_fleet(ca: &TestCa) -> (hostile::Hostile, BatchFiles) {
    let responder: Responder = Arc::new(|c: &Command| match c.name.as_str() {
        "LOGIN" | "AUTHENTICATE" => Reply::lines([
            format!("* OK [ALERT] you said {}", c.text()),
            format!("{} NO [AUTHENTICATIONFAILED] {}", c.tag, c.text()),
        ]),
        _ => Reply::lines([format!("{} OK done", c.tag)]),
    });
    let server = hostile::spawn(&greeting(), Some(leaf(ca).server_config()), responder).await;
    let target = format!("imaps://127.0.0.1:{}", server.port);
    let rows = [
        format!("{target} {USER} {QUOTED_PW}"),
        format!("{target} {USER} {FILE_PW}"),
        format!("{target} {USER}"),
        format!(r#"{{"target": "{target}", "user": "{USER}", "password_env": "SOME_VAR"}}"#),
    ];
    (server, BatchFiles::new(&rows, ca))
}

/// Asserts that no form of any batch password (nor of the token) is in `text`.
fn no_batch_secret(what: &str, text: &str, port: u16) {
    let all = [
        forms(QUOTED_PW, port),
        forms(ROW_PW, port),
        vec![FILE_PW.into()],
    ];
    for form in all.concat() {
        assert!(!text.contains(&form), "{form:?} in {what}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_rows_echoed_in_json_lines() {
    let ca = TestCa::new("t");
    let (server, files) = batch_fleet(&ca).await;
    let args = files.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run(&args, &BATCH_ENV).await;
    assert_ne!(run.code, 101, "panicked: {}", run.stderr);
    no_batch_secret("stdout", &run.stdout, server.port);
    no_batch_secret("stderr", &run.stderr, server.port);
    let lines = json_lines(&run.stdout);
    for line in &lines {
        every_string(line, &mut |s| {
            no_batch_secret("a JSON string", s, server.port);
        });
    }
    // Both rows' echoes arrived and were redacted.
    for row in [3, 4] {
        let report = &lines
            .iter()
            .find(|l| l["line"] == row && l.get("report").is_some())
            .unwrap_or_else(|| panic!("no report for line {row}:\n{}", run.stdout))["report"];
        assert_eq!(report["verdict"]["code"], "auth.rejected", "{report:#}");
        let text = report["checks"][5]["details"]["text"].as_str().unwrap();
        assert!(text.contains("***"), "line {row}: {text}");
    }
    for line in ["line 1: ", "line 2: "] {
        assert!(run.stderr.contains(line), "{}", run.stderr);
    }
    assert!(
        lines.last().unwrap().get("summary").is_some(),
        "{}",
        run.stdout
    );
}

/// On a terminal, `batch` draws a progress bar and writes each failing row's line and the summary
/// table: no secret there either (nor on stderr, the bad row's message).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn batch_rows_echoed_in_the_table_on_a_terminal() {
    let ca = TestCa::new("t");
    let (server, files) = batch_fleet(&ca).await;
    let args = files.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (screen, ended) = tokio::task::block_in_place(|| {
        support::pty::OnTerminal::run(&args, &BATCH_ENV, true, false)
    });
    assert_eq!(ended.status.code(), Some(14), "{screen}\n{}", ended.stderr);
    no_batch_secret("the terminal", &screen, server.port);
    no_batch_secret("stderr", &ended.stderr, server.port);
    assert!(screen.contains("2 checked"), "the table: {screen}");
    assert!(screen.contains("line 4: FAIL auth.rejected"), "{screen}");
    for line in ["line 1: ", "line 2: "] {
        assert!(ended.stderr.contains(line), "{}", ended.stderr);
    }
}

/// `imapdoctor serve`: a module whose `password_env` names the variable holding the password; a
/// probe against the echoing server, then `/metrics`. Neither answer nor the exporter's stderr
/// carries any form of it, and the probe did log in and fail.
#[tokio::test(flavor = "multi_thread")]
async fn serve_probe_echoed() {
    let ca = TestCa::new("t");
    let responder: Responder = Arc::new(|c: &Command| match c.name.as_str() {
        "LOGIN" | "AUTHENTICATE" => Reply::lines([
            format!("* OK [ALERT] you said {}", c.text()),
            format!("* BAD {QUOTED_PW}"),
            format!("{} NO [AUTHENTICATIONFAILED] {}", c.tag, c.text()),
        ]),
        _ => Reply::lines([format!("{} OK done", c.tag)]),
    });
    let server = hostile::spawn(&greeting(), Some(leaf(&ca).server_config()), responder).await;
    let ca_file = ca_file(&ca);
    let config = format!(
        "[modules.m]\nuser = \"{USER}\"\npassword_env = \"SOME_VAR\"\nca_file = {:?}\ntimeout = 3\nmax_time = 10\n",
        ca_file.path().display()
    );
    let target = format!("imaps://127.0.0.1:{}", server.port);
    let (probe, refused, metrics, stderr) = tokio::task::block_in_place(|| {
        let mut exporter = Exporter::start_with(&config, &[("SOME_VAR", QUOTED_PW)]);
        let probe = exporter.get(&format!("/probe?target={target}&module=m"), &[]);
        let refused = exporter.get(&format!("/probe?target={URL_TARGET}&module=m"), &[]);
        let metrics = exporter.get("/metrics", &[]);
        (probe, refused, metrics, exporter.stop())
    });
    assert_eq!(refused.0, 400, "{refused:?}");
    assert!(
        !refused.1.contains(URL_PW) && refused.1.contains("***"),
        "{refused:?}"
    );
    for (what, text) in [
        ("/probe", &probe.1),
        ("/metrics", &metrics.1),
        ("stderr", &stderr),
    ] {
        for form in forms(QUOTED_PW, server.port) {
            assert!(!text.contains(&form), "{form:?} in {what}:\n{text}");
        }
    }
    assert_eq!((probe.0, metrics.0), (200, 200), "{probe:?}\n{metrics:?}");
    assert!(
        probe.1.contains("code=\"auth.rejected\""),
        "the login was refused: {}",
        probe.1
    );
}

/// On a terminal, the live view draws each check's line on stderr as it finishes, then the
/// report follows on stdout: everything the terminal ever received (erased live lines included)
/// carries no form of the secret, and shows the echo as `***`.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn live_view_on_a_terminal() {
    let server = on_login(|c| {
        Reply::lines([
            format!("* OK [ALERT] you said {}", c.text()),
            format!("{} NO [AUTHENTICATIONFAILED] {}", c.tag, c.text()),
        ])
    })
    .await;
    let target = format!("imap://127.0.0.1:{}", server.port);
    let args = [BOUNDED, &["--user", USER], PLAINTEXT, &["-v", &target]].concat();
    // A terminal that can move the cursor: the live view draws.
    let env = [
        ("IMAPDOCTOR_PASSWORD", QUOTED_PW),
        ("TERM", "xterm-256color"),
    ];
    let (screen, ended) =
        tokio::task::block_in_place(|| support::pty::OnTerminal::run(&args, &env, true, true));
    assert_eq!(ended.status.code(), Some(14), "{screen}");
    for form in forms(QUOTED_PW, server.port) {
        assert!(
            !screen.contains(&form),
            "{form:?} on the terminal:\n{screen}"
        );
    }
    assert!(screen.contains("***"), "{screen}");
}

/// A password typed into the TARGET itself (`user:password@`).
const URL_PW: &str = "Url-Canary-Pw-61d0";
/// A target carrying [`URL_PW`]: refused, and the refusal shows it as `***`.
const URL_TARGET: &str = "imaps://alice:Url-Canary-Pw-61d0@127.0.0.1:1";

#[tokio::test(flavor = "multi_thread")]
async fn a_password_in_the_target_is_refused_without_showing_it() {
    for format in [None, Some("--json")] {
        let mut args = BOUNDED.to_vec();
        args.extend(format);
        args.push(URL_TARGET);
        let run = run(&args, &[]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(URL_PW), "{text}");
        }
        assert!(run.stderr.contains("alice:***@"), "{}", run.stderr);
    }
}
