//! `--format nagios` against scripted servers: the status line and performance data match the
//! Monitoring Plugins guidelines' format, and the exit code is the plugin state (0 OK,
//! 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

mod support;

use regex::Regex;
use support::scripted::*;

/// The guidelines' line: `SERVICE STATE - text|perfdata`, the text without `|`, each
/// performance item `'label'=value[UOM];[warn];[crit];[min];[max]` (trailing fields optional,
/// warn and crit in the range format).
fn plugin_line() -> Regex {
    let number = r"-?[0-9.]+";
    let range = format!(r"@?(~|{number})?:?({number})?");
    let item = format!(
        r"('[^']+'|[^ '=]+)={number}(s|ms|us|%|B|KB|MB|TB|c)?(;({range})?){{0,2}}(;({number})?){{0,2}}"
    );
    Regex::new(&format!(
        r"^IMAP (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+\|{item}( {item})*\n$"
    ))
    .unwrap()
}

async fn nagios(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--format", "nagios", "--timeout", "2"];
    all.extend_from_slice(args);
    let run = f.run_with(&all, env).await;
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    run
}

async fn healthy() -> (Fixture, TestCa) {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    (f, ca)
}

const LOGIN: [(&str, &str); 1] = [("IMAPDOCTOR_PASSWORD", CANARY)];

#[tokio::test]
async fn a_healthy_server_is_ok_with_perfdata_for_every_step_and_the_certificate() {
    let (f, _ca) = healthy().await;
    let run = nagios(&f, &["--user", USER], &LOGIN).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(plugin_line().is_match(&run.stdout), "{}", run.stdout);
    assert!(
        run.stdout.starts_with("IMAP OK - ok [none] 127.0.0.1:"),
        "{}",
        run.stdout
    );
    let perf = run.stdout.split_once('|').unwrap().1;
    for label in ["dns", "tcp", "tls", "capability", "auth", "folders", "time"] {
        assert!(
            Regex::new(&format!(r"(^| ){label}=\d+\.\d{{3}}s;"))
                .unwrap()
                .is_match(perf),
            "{label}: {perf}"
        );
    }
    assert!(perf.trim_end().ends_with(" cert_days=365;;"), "{perf}");
}

#[tokio::test]
async fn thresholds_make_it_warning_or_critical() {
    let (f, _ca) = healthy().await;
    let run = nagios(&f, &["--warning", "cert-days=400"], &[]).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(plugin_line().is_match(&run.stdout), "{}", run.stdout);
    assert!(run.stdout.starts_with("IMAP WARNING - "), "{}", run.stdout);
    assert!(
        run.stdout.contains(" cert_days=365;400:;"),
        "{}",
        run.stdout
    );

    let run = nagios(
        &f,
        &[
            "--warning",
            "time=60,cert-days=400",
            "--critical",
            "cert-days=366",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(plugin_line().is_match(&run.stdout), "{}", run.stdout);
    assert!(
        run.stdout.contains("below 366 (CRITICAL)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" time="), "{}", run.stdout);
    assert!(run.stdout.contains("s;60;;0 "), "{}", run.stdout);

    let run = nagios(
        &f,
        &["--warning", "time=60", "--critical", "cert-days=30"],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[tokio::test]
async fn a_failed_check_is_critical_and_server_text_stays_on_one_line_without_a_pipe() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_login_reply("NO [UNAVAILABLE] try | later\u{1b}[2J\u{202e} | again");
    let f = Fixture::start(script, &ca).await;
    let run = nagios(&f, &["--user", USER], &LOGIN).await;
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(plugin_line().is_match(&run.stdout), "{}", run.stdout);
    assert!(
        run.stdout.starts_with("IMAP CRITICAL - auth."),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches('|').count(), 1, "{}", run.stdout);
    assert!(
        !run.stdout.contains(['\u{1b}', '\u{202e}']),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn usage_errors_are_unknown() {
    let (f, _ca) = healthy().await;
    let unknown = Regex::new(r"^IMAP UNKNOWN - [^|\n]+\n$").unwrap();
    for args in [
        &["--warning", "time=soon"][..],
        &["--timeout", "0"][..],
        &["--user", USER][..],
    ] {
        let run = nagios(&f, args, &[]).await;
        assert_eq!(run.code, 3, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(unknown.is_match(&run.stdout), "{args:?}: {}", run.stdout);
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}
