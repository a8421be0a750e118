//! Output formats against a scripted server: the Markdown and one-line reports (stable parts
//! compared exactly, times, ports and timestamps masked), `--quiet`, colour choices, the usage-error
//! JSON document, and the report's `environment` and `exit_code`.

mod support;

use regex::Regex;
use support::scripted::*;

/// A server that rejects the canary password.
async fn rejecting() -> (Fixture, TestCa) {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::ImplicitTls(leaf(&ca).server_config()))
        .with_account(USER, "another-password");
    (Fixture::start(script, &ca).await, ca)
}

/// A run that logs in with the canary password, with `args` (and `env`).
async fn login(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--timeout", "2", "--user", USER];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    env.push(("IMAPDOCTOR_PASSWORD", CANARY));
    f.run_with(&all, &env).await
}

/// Masks what changes from run to run: the server's port, this computer's port, times,
/// timestamps, the operating system.
fn masked(text: &str, port: u16) -> String {
    let text = text.replace(&format!(":{port}"), ":PORT");
    let rules = [
        (r"(?m)^ +\d+ms ", "TIME "),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:LOCAL"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIMESTAMP"),
        (r"\d+(\.\d)? ?(ms|s)\b", "TIME"),
    ];
    let mut text = text.replace("127.0.0.1:PORT", "SERVER");
    for (pattern, with) in rules {
        text = Regex::new(pattern)
            .unwrap()
            .replace_all(&text, with)
            .into_owned();
    }
    let os = format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH);
    text.replace(&os, "OS/ARCH")
        .replace("SERVER", "127.0.0.1:PORT")
}

const MARKDOWN: &str = r#"### imapdoctor: FAIL `auth.rejected` [account] 127.0.0.1:PORT

imaps://127.0.0.1:PORT (implicit TLS) as alice@example.test · imapdoctor VERSION · TIMESTAMP · OS/ARCH · from 127.0.0.1:LOCAL · took TIME

| check | status | time | summary |
|---|---|---:|---|
| discover | skip |  | not needed: the target is a server (an IP address, nothing to compare with the --user address) |
| dns | pass | TIME | 127.0.0.1 is an IP address; no lookup needed<br>· an IP address bypasses DNS: a DNS problem would not show here |
| tcp | pass | TIME | connected to 127.0.0.1:PORT |
| tls | pass | TIME | TLSv1.3, TLS13_AES_256_GCM_SHA384; certificate for 127.0.0.1, 365 days left<br>· issued by a private CA (CN=t, O=t): normal for internal servers |
| capability | pass | TIME | OK greeting (8 capabilities, AUTH=PLAIN)<br>· greeting: imapdoctor demo server ready. |
| auth | fail | TIME | the server rejected the login for alice@example.test: NO \[AUTHENTICATIONFAILED\] Authentication failed. |
| folders | skip |  | skipped: the auth check failed |

**Verdict [account]:** The problem is with the account: the server rejected the credentials.

- code: `auth.rejected`
- confidence: certain

Next steps:

- The server said: "Authentication failed."
- Check the user name (often the full e-mail address) and the password.
- Many providers (Gmail, iCloud, Yahoo) require an app password for IMAP.

<details>
<summary>Transcript (6 lines)</summary>

```text
TIME === connecting to 127.0.0.1:PORT
TIME === TLS handshake, verifying the certificate for 127.0.0.1
TIME === TLS established: TLSv1.3, TLS13_AES_256_GCM_SHA384
TIME <~ * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] imapdoctor demo server ready.
TIME ~> a1 AUTHENTICATE PLAIN ***
TIME <~ a1 NO [AUTHENTICATIONFAILED] Authentication failed.
```

</details>
"#;

#[tokio::test(flavor = "multi_thread")]
async fn markdown_report_for_a_rejected_login() {
    let (f, _ca) = rejecting().await;
    let run = login(&f, &["--format", "markdown", "-v"], &[]).await;
    assert_eq!(run.code, 14, "{}\n{}", run.stdout, run.stderr);
    let expected = MARKDOWN.replace("VERSION", env!("CARGO_PKG_VERSION"));
    assert_eq!(masked(&run.stdout, f.server.port()), expected);
    // Without -v: no transcript block.
    let run = login(&f, &["--format", "markdown"], &[]).await;
    assert!(!run.stdout.contains("<details>"), "{}", run.stdout);
    assert!(run.stdout.contains("| auth | fail |"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_discover_check_nobody_asked_for_is_left_out_for_people_kept_in_json() {
    let (f, _ca) = rejecting().await;
    for format in ["human", "markdown"] {
        let run = f
            .run_with(&["--format", format, "--timeout", "2"], &[])
            .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !run.stdout.contains("discover"),
            "{format}:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains("dns"), "{format}:\n{}", run.stdout);
    }
    let run = f.run_with(&["--json", "--timeout", "2"], &[]).await;
    assert_eq!(run.check("discover")["status"], "skip");
    // With --user there is an address to compare with: why it was not compared is shown.
    let run = login(&f, &["--format", "human"], &[]).await;
    assert!(run.stdout.contains("skip discover"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn markdown_escapes_server_text_in_cells() {
    let ca = TestCa::new("t");
    let greeting =
        "* OK | fake | cell | <img src=x onerror=alert(1)> `code` [link](http://x) ready";
    let script = tls_script(&leaf(&ca)).with_opening(Opening::Greet(greeting.into()));
    let f = Fixture::start(script, &ca).await;
    let run = login(&f, &["--format", "markdown", "-v"], &[]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("| capability |"))
        .unwrap();
    assert!(
        row.ends_with(
            "greeting: \\| fake \\| cell \\| &lt;img src=x onerror=alert(1)&gt; \\`code\\` \\[link\\](http://x) ready |"
        ),
        "{row}"
    );
    // Unescaped cell separators: the row's own five.
    let separators = Regex::new(r"(^|[^\\])\|").unwrap().find_iter(row).count();
    assert_eq!(separators, 5, "{row}");
    // Raw only inside the transcript's code block, where Markdown shows it as text.
    let (before, transcript) = run.stdout.split_once("```text\n").unwrap();
    assert!(!before.contains("<img"), "{}", run.stdout);
    assert!(
        transcript.contains("<~ * OK | fake | cell | <img"),
        "{transcript}"
    );
}

/// Asserts the one-line shape: `{head} 127.0.0.1:{port} 1.5 s 2026-11-24T19:53:02Z`.
fn assert_oneline(run: &Run, code: i32, head: &str, port: u16) {
    assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
    let head = regex::escape(head);
    let shape =
        format!(r"^{head} 127\.0\.0\.1:{port} \d+\.\d s \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$");
    let matches = Regex::new(&shape).unwrap().is_match(&run.stdout);
    assert!(matches, "{:?} is not {shape}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn oneline_says_outcome_code_fault_target_time_and_start() {
    let (f, ca) = rejecting().await;
    let run = login(&f, &["--format", "oneline"], &[]).await;
    assert_oneline(&run, 14, "FAIL auth.rejected [account]", f.server.port());
    let healthy = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = login(&healthy, &["--format", "oneline", "-v"], &[]).await;
    assert_oneline(&run, 0, "OK ok [none]", healthy.server.port());
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let (f, _ca) = rejecting().await;
    for format in ["human", "json", "markdown", "oneline"] {
        let run = login(&f, &["--quiet", "--format", format, "-v"], &[]).await;
        assert_eq!(run.code, 14, "{format}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{format}");
    }
    let run = login(&f, &["-q", "--json", "--timeout", "0"], &[]).await;
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
}

/// The usage-error document on stdout, and the message on stderr.
fn usage_document(run: &Run) -> String {
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let document = run.json.as_ref().expect("a JSON document on stdout");
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["error"]["code"], "usage");
    assert_eq!(document.as_object().unwrap().len(), 2, "{}", run.stdout);
    let message = document["error"]["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty());
    assert!(
        run.stderr.contains(&message),
        "{message:?} not in {}",
        run.stderr
    );
    message
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_with_json_write_an_error_document() {
    // From clap: a port out of range, an unknown option.
    let clap = run(&["--format", "json", "--port", "0", "host.example"], &[]).await;
    assert!(usage_document(&clap).contains("--port"));
    let clap = run(&["--json", "--no-such-option", "host.example"], &[]).await;
    assert!(usage_document(&clap).contains("--no-such-option"));
    // From building the settings: a bad timeout, a host name with a space.
    let config = run(&["--format=json", "--timeout", "0", "host.example"], &[]).await;
    assert!(usage_document(&config).contains("--timeout"));
    let config = run(&["--json", "--no-control", "bad host"], &[]).await;
    usage_document(&config);
    // Other formats keep stdout empty; help still goes to stdout as text.
    for format in ["human", "markdown", "oneline"] {
        let run = run(&["--format", format, "--port", "0", "host.example"], &[]).await;
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{format}");
    }
    let help = run(&["--json", "--help"], &[]).await;
    assert_eq!(help.code, 0);
    assert!(
        help.json.is_none() && help.stdout.contains("Usage:"),
        "{}",
        help.stdout
    );
}

/// Arguments, environment, and whether the human report should hold ANSI escapes.
type ColourCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], bool);

#[tokio::test(flavor = "multi_thread")]
async fn colour_follows_color_no_color_and_clicolor_force() {
    let (f, _ca) = rejecting().await;
    let escapes = |run: &Run| run.stdout.contains("\x1b[");
    let cases: [ColourCase; 8] = [
        (&["--color", "always"], &[], true),
        (&["--color", "always"], &[("NO_COLOR", "1")], true),
        (&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false),
        (&["--no-color"], &[("CLICOLOR_FORCE", "1")], false),
        // Not a terminal: auto colours only when forced, and NO_COLOR wins.
        (&[], &[], false),
        (&[], &[("CLICOLOR_FORCE", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false),
        // Colour is for the human report only.
        (&["--color", "always", "--format", "markdown"], &[], false),
    ];
    for (args, env, coloured) in cases {
        let run = login(&f, args, env).await;
        assert_eq!(run.code, 14, "{args:?} {env:?}: {}", run.stderr);
        assert_eq!(escapes(&run), coloured, "{args:?} {env:?}:\n{}", run.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_and_exit_code_describe_the_run_without_proxy_values() {
    let (f, _ca) = rejecting().await;
    let proxy_secret = "Proxy-Pw-9f3e1";
    let proxy = format!("http://bob:{proxy_secret}@proxy.example:3128");
    let env = [
        ("HTTPS_PROXY", proxy.as_str()),
        ("all_proxy", proxy.as_str()),
        ("NO_PROXY", "localhost,.corp.example"),
    ];
    let run = login(&f, &["--json", "-v"], &env).await;
    assert_eq!(run.code, 14, "{}", run.stderr);
    let report = run.json.as_ref().unwrap();
    assert_eq!(report["exit_code"], 14);
    let environment = &report["environment"];
    assert_eq!(environment["os"], std::env::consts::OS);
    assert_eq!(environment["arch"], std::env::consts::ARCH);
    assert_eq!(
        environment["proxy_variables"],
        serde_json::json!(["HTTPS_PROXY", "NO_PROXY", "all_proxy"])
    );
    let resolvers: Vec<String> = imapdoctor::checks::nameservers::configured()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(environment["resolvers"], serde_json::json!(resolvers));
    let local = environment["local_address"].as_str().unwrap();
    assert_eq!(run.check("tcp")["details"]["local_address"], local);
    let local: std::net::SocketAddr = local.parse().unwrap();
    assert_eq!(local.ip().to_string(), "127.0.0.1");
    assert_ne!(local.port(), f.server.port());
    // The human header names it; no format prints a proxy variable's value.
    for format in ["human", "json", "markdown", "oneline"] {
        let run = login(&f, &["--format", format, "-v"], &env).await;
        assert_eq!(run.code, 14);
        for value in [proxy_secret, "proxy.example", "corp.example"] {
            for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    !text.contains(value),
                    "{format} {stream}: {value} in\n{text}"
                );
            }
        }
        if format == "human" {
            assert!(run.stdout.contains(" · from 127.0.0.1:"), "{}", run.stdout);
        }
    }
    // A healthy run ends 0 and says so.
    let ok = f.run_with(&["--json"], &[]).await;
    assert_eq!(
        (ok.code, ok.json.as_ref().unwrap()["exit_code"].as_u64()),
        (0, Some(0))
    );
}
