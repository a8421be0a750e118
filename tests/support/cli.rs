//! Runs the `imapdoctor` binary the way the real-server tests need it: in an empty environment
//! (PATH only, and `IMAPDOCTOR_CONFIG=""`: no config file, whatever the developer's own), always `--no-control --no-color`, a password only through `IMAPDOCTOR_PASSWORD`
//! or standard input (`--password-stdin`), and every run checked for leaked secrets in any form
//! before its output is looked at. [`Run`] then reads the `--json` report: statuses, a check,
//! the verdict, the first failing check.
//!
//! ```ignore
//! let run = Imapdoctor::new(&["--json", "--user", USER, &url])
//!     .password(PASSWORD)
//!     .secret(USER, PASSWORD, "core")
//!     .run();
//! assert_eq!(run.code, 14, "{}", run.explain());
//! ```

use std::cmp::Ordering;
use std::time::Duration;

use assert_cmd::Command;
use base64::Engine;
use serde_json::Value;

/// The layers' checks, in report order (after the discover check).
pub const CHECK_IDS: [&str; 6] = ["dns", "tcp", "tls", "capability", "auth", "folders"];

/// Produces text for assertion messages when a run ends (a server's log, say).
type Context<'a> = Box<dyn Fn() -> String + Send + 'a>;

/// One invocation being prepared.
pub struct Imapdoctor<'a> {
    args: Vec<String>,
    password: Option<String>,
    stdin: String,
    step_timeout: u64,
    needles: Vec<String>,
    context: Vec<Context<'a>>,
}

impl<'a> Imapdoctor<'a> {
    /// `imapdoctor --no-control --no-color --timeout 10 <args>`.
    pub fn new(args: &[&str]) -> Imapdoctor<'a> {
        Imapdoctor {
            args: args.iter().map(|a| a.to_string()).collect(),
            password: None,
            stdin: String::new(),
            step_timeout: 10,
            needles: Vec::new(),
            context: Vec::new(),
        }
    }

    /// Passes `password` in `IMAPDOCTOR_PASSWORD` (never in argv).
    pub fn password(mut self, password: &str) -> Imapdoctor<'a> {
        self.password = Some(password.to_string());
        self
    }

    /// Passes `password` on standard input (a line), with `--password-stdin`.
    pub fn password_stdin(mut self, password: &str) -> Imapdoctor<'a> {
        self.args.insert(0, "--password-stdin".to_string());
        self.stdin = format!("{password}\n");
        self
    }

    /// `--timeout SECS` instead of 10 (a server that delays failed logins needs more).
    pub fn step_timeout(mut self, secs: u64) -> Imapdoctor<'a> {
        self.step_timeout = secs;
        self
    }

    /// A secret that must not appear in stdout or stderr: verbatim, base64 (AUTHENTICATE
    /// LOGIN), as the AUTHENTICATE PLAIN blob for `user`, and its distinctive `core`, which
    /// survives any quoting or escaping (`\"`, `\u00e4`, percent-encoding).
    pub fn secret(mut self, user: &str, password: &str, core: &str) -> Imapdoctor<'a> {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        self.needles.extend([
            password.to_string(),
            b64(password),
            b64(&format!("\0{user}\0{password}")),
            core.to_string(),
        ]);
        self
    }

    /// Text appended to [`Run::explain`] (a server's log, say), read when the run ends.
    pub fn context(mut self, text: impl Fn() -> String + Send + 'a) -> Imapdoctor<'a> {
        self.context.push(Box::new(text));
        self
    }

    /// Runs it (at most a minute) and asserts that no secret leaked.
    pub fn run(self) -> Run {
        // The path cargo compiled in (unlike `Command::cargo_bin`, this also works when the
        // test binary is run directly, e.g. as another user).
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
        cmd.env_clear()
            .env("IMAPDOCTOR_CONFIG", "")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["--no-control", "--no-color", "--timeout"])
            .arg(self.step_timeout.to_string())
            .args(&self.args)
            .write_stdin(self.stdin.as_str())
            .timeout(Duration::from_secs(60));
        if let Some(password) = &self.password {
            cmd.env("IMAPDOCTOR_PASSWORD", password);
        }
        let output = cmd.output().expect("running imapdoctor");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let json = super::schema::conforming_document(&stdout);
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            json,
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            args: self.args,
            context: self
                .context
                .iter()
                .map(|text| text())
                .collect::<Vec<_>>()
                .join("\n"),
        };
        for needle in &self.needles {
            assert!(
                !run.stdout.contains(needle) && !run.stderr.contains(needle),
                "secret {needle:?} leaked\n{}",
                run.explain()
            );
        }
        run
    }
}

/// A finished run.
pub struct Run {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Standard output parsed as JSON, if it is JSON.
    pub json: Option<Value>,
    args: Vec<String>,
    context: String,
}

impl Run {
    /// Everything about the run, for assertion messages.
    pub fn explain(&self) -> String {
        format!(
            "imapdoctor {:?}: exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n{}",
            self.args, self.code, self.stdout, self.stderr, self.context
        )
    }

    /// The JSON report, or a panic explaining why there is none.
    pub fn report(&self) -> &Value {
        self.json
            .as_ref()
            .unwrap_or_else(|| panic!("no JSON report on stdout\n{}", self.explain()))
    }

    /// (id, status) of each layer's check, in order: the discover check (first, skipped when
    /// TARGET is a server) is not one of them.
    pub fn statuses(&self) -> Vec<(String, String)> {
        let checks = self.report()["checks"].as_array();
        let checks = checks.unwrap_or_else(|| panic!("no checks array\n{}", self.explain()));
        checks
            .iter()
            .filter(|c| c["id"] != "discover")
            .map(|c| {
                let field = |name: &str| c[name].as_str().unwrap_or_default().to_string();
                (field("id"), field("status"))
            })
            .collect()
    }

    /// The check with this id.
    pub fn check(&self, id: &str) -> &Value {
        self.report()["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["id"] == id))
            .unwrap_or_else(|| panic!("no {id} check\n{}", self.explain()))
    }

    /// The id of the first failing check, if any.
    pub fn failing(&self) -> Option<String> {
        self.statuses()
            .into_iter()
            .find(|(_, status)| status == "fail")
            .map(|(id, _)| id)
    }

    /// `verdict.<field>` as a string ("" when absent).
    pub fn verdict(&self, field: &str) -> String {
        let value = &self.report()["verdict"][field];
        value.as_str().unwrap_or_default().to_string()
    }

    /// The verdict's summary and hints, one per line (what a person reads).
    pub fn verdict_text(&self) -> String {
        let verdict = &self.report()["verdict"];
        let hints = verdict["hints"].as_array().into_iter().flatten();
        std::iter::once(&verdict["summary"])
            .chain(hints)
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// What the server sent, line by line, from the `-v` transcript (empty without `-v`).
    pub fn server_lines(&self) -> Vec<String> {
        let transcript = self.report()["transcript"].as_array().into_iter().flatten();
        transcript
            .filter(|entry| entry["direction"] == "server")
            .filter_map(|entry| entry["text"].as_str().map(str::to_string))
            .collect()
    }

    /// Asserts exit 0, all six checks passing and fault `none`.
    pub fn assert_all_pass(&self) {
        let why = self.explain();
        assert_eq!(self.code, 0, "{why}");
        let all_pass: Vec<(String, String)> = CHECK_IDS
            .iter()
            .map(|id| (id.to_string(), "pass".to_string()))
            .collect();
        assert_eq!(self.statuses(), all_pass, "{why}");
        assert_eq!(self.verdict("fault"), "none", "{why}");
    }

    /// Asserts the exit code, and the verdict's fault and code.
    pub fn assert_verdict(&self, code: i32, fault: &str, verdict_code: &str) {
        let why = self.explain();
        assert_eq!(self.code, code, "exit code\n{why}");
        assert_eq!(self.verdict("fault"), fault, "verdict.fault\n{why}");
        assert_eq!(self.verdict("code"), verdict_code, "verdict.code\n{why}");
    }

    /// As [`Run::assert_verdict`], and `check` is the first failing check.
    pub fn assert_fails(&self, code: i32, check: &str, fault: &str, verdict_code: &str) {
        self.assert_verdict(code, fault, verdict_code);
        assert_eq!(
            self.failing().as_deref(),
            Some(check),
            "failing check\n{}",
            self.explain()
        );
    }

    /// Asserts that `check` failed, with its exit code and the verdict's `fault` (whatever the
    /// verdict's code): the checks that ran before it (in execution order: with STARTTLS the
    /// capability check runs before tls) passed, those after it were skipped.
    pub fn assert_failed_at(&self, check: &str, fault: &str) {
        let why = self.explain();
        let position = CHECK_IDS.iter().position(|id| *id == check);
        let position = position.unwrap_or_else(|| panic!("no check {check:?}"));
        assert_eq!(self.code, 10 + position as i32, "exit code\n{why}");
        let security = self.report()["target"]["security"]
            .as_str()
            .unwrap_or_default();
        let order: [&str; 6] = match security {
            "starttls" => ["dns", "tcp", "capability", "tls", "auth", "folders"],
            _ => CHECK_IDS,
        };
        let failed_at = order.iter().position(|id| *id == check).unwrap();
        let statuses = self.statuses();
        for (i, id) in order.iter().enumerate() {
            let status = statuses
                .iter()
                .find(|(c, _)| c == id)
                .map(|(_, s)| s.as_str());
            let expected: &[&str] = match i.cmp(&failed_at) {
                // Without TLS (`--security none`) the tls check is skipped.
                Ordering::Less if *id == "tls" && security == "none" => &["skip"],
                Ordering::Less => &["pass", "warn"],
                Ordering::Equal => &["fail"],
                Ordering::Greater => &["skip"],
            };
            let ok = status.is_some_and(|s| expected.contains(&s));
            assert!(
                ok,
                "{id} is {status:?}, expected one of {expected:?}\n{why}"
            );
        }
        assert_eq!(self.verdict("fault"), fault, "verdict.fault\n{why}");
    }

    /// Asserts that the verdict does not send the user to the password (the failure is not
    /// about it): no sentence of the summary or hints tells to check it or calls it wrong
    /// (sentences that say it is *not* the password are fine), and the verdict is not
    /// `auth.rejected`.
    pub fn assert_no_password_hint(&self) {
        let text = self.verdict_text().to_lowercase();
        let blames = text.split(['.', '\n', ';', ':']).find(|sentence| {
            sentence.contains("password")
                && ["check", "wrong", "incorrect"]
                    .iter()
                    .any(|w| sentence.contains(w))
                && ![" not ", "n't "].iter().any(|w| sentence.contains(w))
        });
        let why = self.explain();
        assert!(
            blames.is_none(),
            "the verdict sends the user to the password: {blames:?}\n{why}"
        );
        assert_ne!(self.verdict("code"), "auth.rejected", "{why}");
    }

    /// Asserts a failure that is not about the password, in the server's words:
    /// [`Run::assert_failed_at`] with `check` and `fault`, [`Run::assert_server_said`] with
    /// `words`, and [`Run::assert_no_password_hint`].
    pub fn assert_failed_not_password(&self, check: &str, fault: &str, words: &str) {
        self.assert_failed_at(check, fault);
        self.assert_server_said(words);
        self.assert_no_password_hint();
    }

    /// Asserts that the server sent a line containing `words` (needs `-v`).
    pub fn assert_server_said(&self, words: &str) {
        let lines = self.server_lines();
        assert!(
            lines.iter().any(|line| line.contains(words)),
            "the server did not say {words:?}: {lines:#?}\n{}",
            self.explain()
        );
    }
}
