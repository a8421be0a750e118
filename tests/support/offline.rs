//! The binary run for what needs no server: in an empty environment (PATH only, no config file),
//! its exit code and both streams collected.

use assert_cmd::Command;
use serde_json::Value;

/// How a run ended.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The one JSON document on stdout, asserted to conform to the schema.
    pub fn json(&self) -> Value {
        super::schema::conforming_document(&self.stdout)
            .unwrap_or_else(|| panic!("not one JSON document:\n{}{}", self.stdout, self.stderr))
    }
}

/// Runs `imapdoctor ARGS` in an empty environment (PATH only, no config file).
pub fn imapdoctor(args: &[&str]) -> Output {
    imapdoctor_with(args, &[])
}

/// As [`imapdoctor`], with `env` added to the environment.
pub fn imapdoctor_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = Command::cargo_bin("imapdoctor")
        .unwrap()
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args(args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
