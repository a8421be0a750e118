//! `imapdoctor.toml` on the command line: where it is found (`--config`, `IMAPDOCTOR_CONFIG`, the
//! platform's directory, `--no-config`), the layers (command line over `@profile` over
//! `[defaults]`), output options from `[defaults]`, relative paths, and the errors (a missing named
//! file, an unknown profile, a secret in the file). Every run has its own empty `HOME` and
//! `XDG_CONFIG_HOME`, so the developer's own config file never takes part; loopback only.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::scripted::*;

/// A directory standing for the user's home (and config directory), and a config file in
/// another directory.
struct Setup {
    home: tempfile::TempDir,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            home: tempfile::tempdir().unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes `imapdoctor.toml` (in its own directory) and returns its path.
    fn config(&self, text: &str) -> PathBuf {
        let path = self.dir.path().join("imapdoctor.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs the binary with only PATH, HOME and XDG_CONFIG_HOME (the empty home), plus `env`,
    /// from the home directory (not the config file's); asserts no canary secret leaked.
    async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let home = self.home.path();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .envs(env.iter().copied())
            .current_dir(home)
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let started = std::time::Instant::now();
        let output = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .expect("imapdoctor hung")
            .expect("run imapdoctor");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let json = support::schema::conforming_document(&stdout);
        let run = Run {
            elapsed: started.elapsed(),
            code: output.status.code().unwrap_or(-1),
            json,
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        run.assert_no_secret();
        run
    }
}

/// Everything about a run, for assertion messages.
fn explain(run: &Run) -> String {
    format!(
        "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.code, run.stdout, run.stderr
    )
}

fn report(run: &Run) -> &Value {
    run.json
        .as_ref()
        .unwrap_or_else(|| panic!("no JSON report\n{}", explain(run)))
}

/// A healthy TLS server accepting [`USER`] with [`CANARY`], and a config file whose `lab`
/// profile names it, with the CA file as a path relative to the config file.
async fn lab(setup: &Setup, extra: &str) -> (Fixture, PathBuf) {
    let ca = TestCa::new("t");
    let fixture = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    std::fs::write(setup.dir.path().join("lab-ca.pem"), &ca.cert_pem).unwrap();
    let config = setup.config(&format!(
        "[defaults]\ncontrol = []\ntimeout = 5\n\n[profiles.lab]\ntarget = \"imaps://127.0.0.1:{}\"\nuser = \"{USER}\"\npassword_env = \"LAB_PASSWORD\"\nca_file = \"lab-ca.pem\"\n{extra}",
        fixture.server.port()
    ));
    (fixture, config)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_names_the_server_user_secret_source_and_a_ca_file_beside_the_config() {
    let setup = Setup::new();
    let (_fixture, config) = lab(&setup, "").await;
    let config_arg = config.display().to_string();
    let run = setup
        .run(
            &["--json", "--config", &config_arg, "@lab"],
            &[("LAB_PASSWORD", CANARY)],
        )
        .await;
    let why = explain(&run);
    assert_eq!(run.code, 0, "{why}");
    for id in ["tls", "auth", "folders"] {
        assert_eq!(run.status(id), "pass", "{why}");
    }
    let report = report(&run);
    assert_eq!(report["target"]["profile"], "lab", "{why}");
    assert_eq!(report["target"]["user"], USER, "{why}");
    assert_eq!(report["environment"]["config_file"], config_arg, "{why}");
    assert!(report.get("control").is_none(), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn options_on_the_command_line_win_over_the_profile() {
    let setup = Setup::new();
    let (_fixture, config) = lab(&setup, "").await;
    let config = config.display().to_string();
    let env = [
        ("IMAPDOCTOR_CONFIG", config.as_str()),
        ("LAB_PASSWORD", CANARY),
    ];
    let run = setup
        .run(&["--json", "--user", "bob@example.test", "@lab"], &env)
        .await;
    expect(&run, 14, "auth", "account", "auth.rejected");
    assert_eq!(report(&run)["target"]["user"], "bob@example.test");
    // The profile's mailbox, then the command line's.
    let (_fixture, config) = lab(&setup, "mailbox = \"Nowhere\"\n").await;
    let config = config.display().to_string();
    let env = [
        ("IMAPDOCTOR_CONFIG", config.as_str()),
        ("LAB_PASSWORD", CANARY),
    ];
    let run = setup.run(&["--json", "@lab"], &env).await;
    assert_eq!(run.status("folders"), "fail", "{}", explain(&run));
    let run = setup
        .run(&["--json", "--mailbox", "INBOX", "@lab"], &env)
        .await;
    assert_eq!(run.code, 0, "{}", explain(&run));
}

#[tokio::test(flavor = "multi_thread")]
async fn defaults_apply_to_a_plain_target_and_options_win_over_them() {
    let setup = Setup::new();
    let target = format!("127.0.0.1:{}", closed_port());
    let control = format!("127.0.0.1:{}", closed_port());
    // An impossible timeout in [defaults] is used (a usage error), unless --timeout is given.
    let config = setup.config("[defaults]\ntimeout = -1\ncontrol = []\n");
    let config = config.display().to_string();
    let run = setup
        .run(&["--json", "--config", &config, &target], &[])
        .await;
    assert_eq!(run.code, 2, "{}", explain(&run));
    assert!(run.stderr.contains("--timeout"), "{}", explain(&run));
    let run = setup
        .run(
            &["--json", "--config", &config, "--timeout", "2", &target],
            &[],
        )
        .await;
    expect(&run, 11, "tcp", "server", "tcp.refused");
    // `control = []`: no control probe.
    assert!(report(&run).get("control").is_none(), "{}", explain(&run));
    // A control endpoint in [defaults] is probed; --no-control wins over it.
    let config = setup.config(&format!("[defaults]\ncontrol = [\"{control}\"]\n"));
    let config = config.display().to_string();
    let run = setup
        .run(&["--json", "--config", &config, &target], &[])
        .await;
    let endpoints = &report(&run)["control"]["endpoints"];
    assert_eq!(
        endpoints[0]["port"].to_string(),
        control.rsplit(':').next().unwrap(),
        "{}",
        explain(&run)
    );
    let run = setup
        .run(
            &["--json", "--config", &config, "--no-control", &target],
            &[],
        )
        .await;
    assert!(report(&run).get("control").is_none(), "{}", explain(&run));
}

#[tokio::test(flavor = "multi_thread")]
async fn format_and_color_come_from_defaults_unless_given() {
    let setup = Setup::new();
    let target = format!("127.0.0.1:{}", closed_port());
    let config = setup.config("[defaults]\nformat = \"json\"\ncontrol = []\n");
    let config = config.display().to_string();
    let env = [("IMAPDOCTOR_CONFIG", config.as_str())];
    let run = setup.run(&[&target], &env).await;
    assert_eq!(report(&run)["verdict"]["code"], "tcp.refused");
    let run = setup.run(&["--format", "oneline", &target], &env).await;
    assert!(run.json.is_none(), "{}", explain(&run));
    assert!(run.stdout.contains("tcp.refused"), "{}", explain(&run));
    // The demo honours [defaults] too.
    let run = setup.run(&["demo"], &env).await;
    assert_eq!(run.code, 0, "{}", explain(&run));
    assert_eq!(report(&run)["verdict"]["code"], "ok", "{}", explain(&run));
    // Colour: always from [defaults] (stdout is a pipe); --no-color wins.
    let config = setup.config("[defaults]\ncolor = \"always\"\ncontrol = []\n");
    let config = config.display().to_string();
    let env = [("IMAPDOCTOR_CONFIG", config.as_str())];
    let run = setup.run(&[&target], &env).await;
    assert!(run.stdout.contains("\x1b["), "{}", explain(&run));
    let run = setup.run(&["--no-color", &target], &env).await;
    assert!(!run.stdout.contains("\x1b["), "{}", explain(&run));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_profile_is_a_usage_error_naming_the_known_ones() {
    let setup = Setup::new();
    let (_fixture, config) = lab(&setup, "[profiles.home]\ntarget = \"127.0.0.1:1\"\n").await;
    let config = config.display().to_string();
    let run = setup.run(&["--config", &config, "@lba"], &[]).await;
    assert_eq!(run.code, 2, "{}", explain(&run));
    assert!(
        run.stderr.contains("unknown profile \"lba\""),
        "{}",
        explain(&run)
    );
    assert!(
        run.stderr.contains("did you mean @lab?"),
        "{}",
        explain(&run)
    );
    assert!(run.stderr.contains("@home, @lab"), "{}", explain(&run));
    // Without any config file, a profile is still a clear usage error.
    let run = setup.run(&["--no-config", "@lab"], &[]).await;
    assert_eq!(run.code, 2, "{}", explain(&run));
    assert!(run.stderr.contains("no config file"), "{}", explain(&run));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_file_must_exist_a_default_one_need_not() {
    let setup = Setup::new();
    let missing = setup.dir.path().join("nowhere.toml");
    let missing = missing.display().to_string();
    let target = format!("127.0.0.1:{}", closed_port());
    let run = setup
        .run(&["--json", "--config", &missing, &target], &[])
        .await;
    assert_eq!(run.code, 2, "{}", explain(&run));
    assert!(run.stderr.contains(&missing), "{}", explain(&run));
    assert!(run.stderr.contains("--config"), "{}", explain(&run));
    assert_eq!(report(&run)["error"]["code"], "usage", "{}", explain(&run));
    let run = setup
        .run(&[&target], &[("IMAPDOCTOR_CONFIG", missing.as_str())])
        .await;
    assert_eq!(run.code, 2, "{}", explain(&run));
    assert!(
        run.stderr.contains("IMAPDOCTOR_CONFIG"),
        "{}",
        explain(&run)
    );
    // Nothing in the (empty) home's config directory: silently none.
    let run = setup.run(&["--json", "--no-control", &target], &[]).await;
    assert_eq!(run.code, 11, "{}", explain(&run));
    assert_eq!(run.stderr, "", "{}", explain(&run));
    assert_eq!(report(&run)["environment"]["config_file"], Value::Null);
}

/// `dirs` finds the config directory through XDG_CONFIG_HOME on Linux only.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn the_file_in_the_config_directory_is_read_unless_turned_off() {
    let setup = Setup::new();
    let dir = setup.home.path().join(".config").join("imapdoctor");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("imapdoctor.toml");
    std::fs::write(&path, "[defaults]\nformat = \"json\"\ncontrol = []\n").unwrap();
    let target = format!("127.0.0.1:{}", closed_port());
    let run = setup.run(&[&target], &[]).await;
    let config_file = &report(&run)["environment"]["config_file"];
    assert_eq!(config_file.as_str(), path.to_str(), "{}", explain(&run));
    for off in [
        setup
            .run(&["--no-control", "--no-config", &target], &[])
            .await,
        setup
            .run(&["--no-control", &target], &[("IMAPDOCTOR_CONFIG", "")])
            .await,
    ] {
        assert_eq!(off.code, 11, "{}", explain(&off));
        assert!(off.json.is_none(), "{}", explain(&off));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_in_the_file_is_refused_with_where_to_put_it() {
    let setup = Setup::new();
    let config = setup.config(&format!(
        "[profiles.lab]\ntarget = \"127.0.0.1:1\"\npassword = \"{CANARY}\"\n"
    ));
    let config = config.display().to_string();
    let run = setup.run(&["--config", &config, "@lab"], &[]).await;
    assert_eq!(run.code, 2, "{}", explain(&run));
    assert!(run.stderr.contains("`password`"), "{}", explain(&run));
    assert!(run.stderr.contains("password_env"), "{}", explain(&run));
    assert!(run.stderr.contains("line 3"), "{}", explain(&run));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_file_is_relative_to_the_config_file() {
    let setup = Setup::new();
    let password_file = setup.dir.path().join("secrets").join("lab");
    std::fs::create_dir_all(password_file.parent().unwrap()).unwrap();
    std::fs::write(&password_file, format!("{CANARY}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(&password_file, private).unwrap();
    }
    let (_fixture, config) = lab(&setup, "password_file = \"secrets/lab\"\n").await;
    let config = config.display().to_string();
    let run = setup
        .run(&["--json", "--config", &config, "@lab"], &[])
        .await;
    assert_eq!(run.code, 0, "{}", explain(&run));
    assert_eq!(run.stderr, "", "{}", explain(&run));
}
