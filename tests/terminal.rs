//! The human report on a terminal: the run shown live on the terminal while it goes (each step
//! saying what it waits for), nothing live when stdout is not a terminal, lines wrapped to the
//! width with hanging indents, and with `-v` the transcript before the checks so the verdict
//! ends the report.

mod support;

use support::scripted::*;

/// A plaintext server that accepts and never says anything.
async fn silent_server() -> Fixture {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::Plain).with_opening(Opening::Silent);
    Fixture::start(script, &ca).await
}

#[cfg(target_os = "linux")]
mod live {
    use super::support::pty::OnTerminal;
    use super::*;

    fn args(port: u16) -> Vec<String> {
        ["--no-control", "--security", "none", "--timeout", "3"]
            .map(String::from)
            .into_iter()
            .chain([format!("127.0.0.1:{port}")])
            .collect()
    }

    /// Runs the binary on a terminal in a blocking thread (the scripted server keeps the runtime).
    async fn on_terminal<T: Send + 'static>(
        port: u16,
        stdout_on_terminal: bool,
        watch: impl FnOnce(OnTerminal) -> T + Send + 'static,
    ) -> T {
        tokio::task::spawn_blocking(move || {
            let args = args(port);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // A terminal that can move the cursor (without TERM, or with TERM=dumb, nothing live).
            let env = [("TERM", "xterm-256color")];
            watch(OnTerminal::spawn_with(
                &args,
                &env,
                stdout_on_terminal,
                true,
            ))
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_step_under_way_shows_what_it_waits_for_while_the_server_is_silent() {
        let f = silent_server().await;
        on_terminal(f.server.port(), true, |mut terminal| {
            terminal.wait_for("waiting for the greeting");
            assert!(
                terminal.running(),
                "the live line appeared only after the run"
            );
            // Finished checks appear as they finish, before the run ends.
            let screen = terminal.screen();
            assert!(screen.contains("PASS tcp"), "{screen}");
            assert!(screen.contains("of 3"), "the step's limit: {screen}");
            let ended = terminal.ended();
            assert_eq!(ended.status.code(), Some(13));
            let screen = terminal.final_screen();
            // The report follows the live lines, complete.
            let live = screen.rfind("waiting for the greeting").unwrap();
            let report = &screen[live..];
            // (Coloured: the status words and the ids are apart.)
            for part in [
                "no lookup needed",
                "connected to 127.0.0.1",
                "capability  3",
                "no greeting from the server",
                "Verdict [SERVER]",
                "Finished in",
            ] {
                assert!(
                    report.contains(part),
                    "{part:?} missing after the live lines: {screen}"
                );
            }
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nothing_is_shown_live_when_stdout_is_not_a_terminal() {
        let f = silent_server().await;
        let (screen, ended) = on_terminal(f.server.port(), false, |mut terminal| {
            let ended = terminal.ended();
            (terminal.final_screen(), ended)
        })
        .await;
        assert_eq!(ended.status.code(), Some(13));
        assert!(
            screen.is_empty(),
            "stderr on the terminal showed {screen:?}"
        );
        assert!(
            ended.stdout.contains("Verdict [SERVER]"),
            "{}",
            ended.stdout
        );
        assert!(!ended.stdout.contains("waiting for"), "{}", ended.stdout);
    }

    /// `imapdoctor batch -` with its table on the terminal checks the rows typed on standard input
    /// (the row count for the progress bar must not read the stream first), and a pipe given as
    /// the file (`batch <(command)`) is read as a stream too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_on_a_terminal_checks_rows_from_a_stream() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("rows");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let rows = format!("127.0.0.1:{}\n127.0.0.1:{}\n", closed_port(), closed_port());
        let fifo_shown = fifo.display().to_string();
        let (typed, piped) = tokio::task::spawn_blocking(move || {
            let common = ["--no-control", "--max-time", "3"];
            let env = [("TERM", "xterm-256color")];
            let typed = {
                let args: Vec<&str> = ["batch", "-"].iter().chain(&common).copied().collect();
                let mut terminal = OnTerminal::spawn_with(&args, &env, true, true);
                // Two rows typed, then the end of input (^D on an empty line).
                terminal.type_keys(rows.as_bytes());
                terminal.type_keys(b"\x04");
                let ended = terminal.ended();
                (ended.status.code(), terminal.final_screen())
            };
            let writer = std::thread::spawn({
                let fifo = fifo.clone();
                let rows = rows.clone();
                move || std::fs::write(fifo, rows).unwrap()
            });
            let piped = {
                let args: Vec<&str> = ["batch", &fifo_shown]
                    .iter()
                    .chain(&common)
                    .copied()
                    .collect();
                let mut terminal = OnTerminal::spawn_with(&args, &env, true, true);
                let ended = terminal.ended();
                (ended.status.code(), terminal.final_screen())
            };
            writer.join().unwrap();
            (typed, piped)
        })
        .await
        .unwrap();
        for (how, (code, screen)) in [("typed", typed), ("a pipe", piped)] {
            assert_eq!(code, Some(11), "{how}: {screen}");
            assert!(
                screen.contains("2 checked: 0 passed, 2 failed"),
                "{how}: {screen}"
            );
            assert!(screen.contains("tcp.refused"), "{how}: {screen}");
        }
    }
}

/// The human report of a run against a silent server, with `env`.
async fn silent_report(env: &[(&str, &str)]) -> String {
    let f = silent_server().await;
    let target = format!("127.0.0.1:{}", f.server.port());
    let args = [
        "--no-control",
        "--security",
        "none",
        "--timeout",
        "1",
        &target,
    ];
    let run = run(&args, env).await;
    assert_eq!(run.code, 13, "{}", run.stderr);
    run.stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn long_lines_wrap_at_the_width_with_a_hanging_indent() {
    let report = silent_report(&[("COLUMNS", "50")]).await;
    for line in report.lines() {
        assert!(
            line.chars().count() <= 50,
            "{line:?} is wider than 50\n{report}"
        );
    }
    let lines: Vec<&str> = report.lines().collect();
    let failed = lines
        .iter()
        .position(|l| l.starts_with("  FAIL capability"))
        .unwrap();
    // The summary continues under itself, not under the status column.
    let summary_column = lines[failed].find("no greeting").unwrap();
    let next = lines[failed + 1];
    assert_eq!(
        next.len() - next.trim_start().len(),
        summary_column,
        "{report}"
    );
    let rest = next.trim_start();
    assert!(lines[failed].len() + 1 + rest.split(' ').next().unwrap().len() > 50);
    // The verdict and the hints keep their own indents.
    let verdict = lines.iter().position(|l| l.starts_with("Verdict")).unwrap();
    assert!(lines[verdict + 1].starts_with("  ") && !lines[verdict + 1].starts_with("   "));
    let hint = lines.iter().position(|l| l.starts_with("  → ")).unwrap();
    if lines[hint + 1].starts_with(' ') {
        assert!(lines[hint + 1].starts_with("    "), "{report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipe_without_columns_is_not_wrapped() {
    let report = silent_report(&[]).await;
    let summary = "no greeting from the server within the time limit";
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("  FAIL capability") && l.ends_with(summary)),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_v_the_transcript_comes_first_and_the_verdict_last() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.run_with(&["-v"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    let at = |what: &str| {
        out.find(what)
            .unwrap_or_else(|| panic!("{what:?} missing:\n{out}"))
    };
    let legend = at("Transcript (-> sent, <- received, ~> and <~ the same inside TLS");
    let greeting = at(" <~ * OK");
    let checks = at("  PASS dns");
    let verdict = at("Verdict [OK]");
    assert!(
        legend < greeting && greeting < checks && checks < verdict,
        "{out}"
    );
    let after_verdict: Vec<&str> = out[verdict..].lines().collect();
    assert!(
        !after_verdict
            .iter()
            .any(|l| l.contains(" <~ ") || l.contains(" ~> ")),
        "transcript after the verdict:\n{out}"
    );
}
