//! `imapdoctor.toml`: defaults for every run (control endpoints, timeouts, colour, format), named
//! profiles (`imapdoctor @work-exchange`) and the exporter's modules. Every table holds
//! [`Settings`] fields, named as the command-line options; flags given on the command line win.
//!
//! ```toml
//! [defaults]
//! control = ["imap.internal.example:993"]   # [] = none
//! timeout = 5
//! format = "markdown"
//!
//! [profiles.work-exchange]                # imapdoctor @work-exchange
//! target = "outlook.office365.com"
//! user = "alice@example.com"
//! token_env = "WORK_TOKEN"
//!
//! [modules.exchange]          # for `imapdoctor serve`
//! user = "probe@example.com"
//! password_env = "PROBE_PASSWORD"
//! ```
//!
//! The file never holds a secret, only where to find one (`password_env`, `password_file`,
//! `token_env`, `token_file`); relative paths in it (`ca_file`, `password_file`, `token_file`)
//! are relative to the file's directory. [`location`] decides which file a run reads,
//! [`layers`] puts the command line over a profile over `[defaults]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{ColorWhen, Format};
use crate::settings::Settings;

pub mod layers;
pub mod location;

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "IMAPDOCTOR_CONFIG";
/// Largest config file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A parsed config file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Defaults for every run.
    #[serde(default)]
    pub defaults: Defaults,
    /// Named settings for `imapdoctor @NAME`.
    #[serde(default)]
    pub profiles: BTreeMap<String, Settings>,
    /// Named settings for the exporter's `/probe?module=NAME`.
    #[serde(default)]
    pub modules: BTreeMap<String, Settings>,
}

/// The `[defaults]` table: check settings plus how to write the report.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct Defaults {
    /// Report format (`--format`).
    pub format: Option<Format>,
    /// When to colour (`--color`).
    pub color: Option<ColorWhen>,
    /// Check settings.
    pub settings: Settings,
}

impl TryFrom<toml::Table> for Defaults {
    type Error = toml::de::Error;

    /// Takes `format` and `color` out, and reads the rest as [`Settings`], so an unknown key is
    /// an error there as anywhere (serde's `flatten` would let it pass).
    fn try_from(mut table: toml::Table) -> Result<Self, Self::Error> {
        let format = table.remove("format").map(|v| v.try_into()).transpose()?;
        let color = table.remove("color").map(|v| v.try_into()).transpose()?;
        let settings = toml::Value::Table(table).try_into()?;
        Ok(Defaults {
            format,
            color,
            settings,
        })
    }
}

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("config file {path}: {message}")]
pub struct ConfigFileError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigFile {
    /// Parses a config file's text (`path` only names it in errors; relative paths in it stay
    /// as written).
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigFileError> {
        toml::from_str(text).map_err(|e| {
            // toml ends a type error with "\nin `key`": one line here.
            let mut message =
                crate::sanitize::terminal_text(&e.message().trim().replace('\n', " "));
            if ["`password`", "`token`"]
                .iter()
                .any(|key| message.starts_with(&format!("unknown field {key}")))
            {
                message.push_str(
                    "; the file never holds a secret: put the secret in an environment variable and name it with password_env (token_env for a token), or in a private file named with password_file (token_file)",
                );
            }
            if ["`format`", "`color`"]
                .iter()
                .any(|key| message.starts_with(&format!("unknown field {key}")))
            {
                message.push_str("; format and color belong in [defaults]");
            }
            let at = e
                .span()
                .map(|span| key_at(text, span.start, &message).unwrap_or(span.start));
            let line = at
                .and_then(|at| text.get(..at))
                .map(|before| before.matches('\n').count() + 1);
            ConfigFileError {
                path: match line {
                    Some(line) => format!("{}, line {line}", path.display()),
                    None => path.display().to_string(),
                },
                message,
            }
        })
    }

    /// Reads and parses the config file at `path` (a regular file, at most
    /// [`MAX_CONFIG_BYTES`]), with its relative paths made relative to its directory.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigFileError> {
        let error = |message: String| ConfigFileError {
            path: path.display().to_string(),
            message,
        };
        let bytes = crate::input_file::read_regular(path, MAX_CONFIG_BYTES)
            .map_err(|e| error(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| error("not UTF-8 text".into()))?;
        let mut file = Self::parse(&text, path)?;
        file.paths_relative_to(path.parent().unwrap_or(Path::new("")));
        Ok(file)
    }

    /// Makes the relative `ca_file`, `password_file` and `token_file` of every table relative to
    /// `dir` (the config file's directory) rather than to wherever imapdoctor runs.
    fn paths_relative_to(&mut self, dir: &Path) {
        let tables = std::iter::once(&mut self.defaults.settings)
            .chain(self.profiles.values_mut())
            .chain(self.modules.values_mut());
        for settings in tables {
            for path in [
                &mut settings.ca_file,
                &mut settings.password_file,
                &mut settings.token_file,
            ]
            .into_iter()
            .flatten()
            {
                if path.is_relative() {
                    *path = dir.join(&*path);
                }
            }
        }
    }
}

/// The platform's place for the config file: `$XDG_CONFIG_HOME/imapdoctor/imapdoctor.toml` (or
/// `~/.config/…`) on Linux, `~/Library/Application Support/imapdoctor/imapdoctor.toml` on macOS,
/// `%APPDATA%\imapdoctor\imapdoctor.toml` on Windows.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("imapdoctor").join("imapdoctor.toml"))
}

/// Where the key a parse error names (`unknown field `key``, `… in `key``) is set, at or after
/// `from`: `[defaults]` is read through a flattened struct, whose errors point at the table's
/// header rather than at the key, and a person editing the file wants the key's line.
fn key_at(text: &str, from: usize, message: &str) -> Option<usize> {
    let named = |prefix: &str| {
        let start = message.find(prefix)? + prefix.len();
        let len = message[start..].find('`')?;
        Some(&message[start..start + len])
    };
    let key = named("unknown field `").or_else(|| named(" in `"))?;
    let mut offset = from;
    for line in text.get(from..)?.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let is_key = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if is_key {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigFileError> {
        ConfigFile::parse(text, Path::new("imapdoctor.toml"))
    }

    #[test]
    fn defaults_profiles_and_modules_parse_into_settings() {
        let file = parse(
            r#"
            [defaults]
            control = []
            timeout = 5
            format = "markdown"
            color = "never"

            [profiles.work-exchange]
            target = "outlook.office365.com"
            user = "alice@example.com"
            token_env = "WORK_TOKEN"

            [modules.exchange]
            user = "probe@example.com"
            password_env = "PROBE_PASSWORD"
            security = "starttls"
            "#,
        )
        .unwrap();
        assert_eq!(file.defaults.format, Some(Format::Markdown));
        assert_eq!(file.defaults.color, Some(ColorWhen::Never));
        assert_eq!(file.defaults.settings.control, Some(vec![]));
        assert_eq!(file.defaults.settings.timeout, Some(5.0));
        let profile = &file.profiles["work-exchange"];
        assert_eq!(profile.token_env.as_deref(), Some("WORK_TOKEN"));
        let module = &file.modules["exchange"];
        assert_eq!(module.security, Some(crate::config::Security::Starttls));
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        let error = parse("[defaults]\ntimout = 5\n").unwrap_err();
        assert!(error.to_string().contains("timout"), "{error}");
        assert!(!error.to_string().contains("\\x0a"), "{error}");
        let error = parse("[profiles.x]\nuser = \"a\"\ntimout = 5\n").unwrap_err();
        assert!(error.to_string().contains("line 3"), "{error}");
        // [defaults] is read through a flattened struct: the key's own line all the same.
        let error = parse("# mine\n[defaults]\ntimeout = 5\ntimout = 5\n").unwrap_err();
        assert!(error.to_string().contains("line 4"), "{error}");
        let error = parse("[defaults]\ncolor = \"never\"\ntimeout = \"x\"\n").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("expected f64 in `timeout`"), "{message}");
        assert!(parse("[nonsense]\n").is_err());
    }

    #[test]
    fn a_secret_in_the_file_is_refused_with_where_to_put_it() {
        for key in ["password", "token"] {
            let error = parse(&format!("[profiles.x]\n{key} = \"hunter2\"\n")).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(&format!("`{key}`")), "{message}");
            assert!(message.contains("environment variable"), "{message}");
            assert!(message.contains("password_env"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        let error = parse("[profiles.x]\nformat = \"json\"\n").unwrap_err();
        assert!(
            error.to_string().contains("belong in [defaults]"),
            "{error}"
        );
        let error = parse("[defaults]\npassword_envv = \"X\"\n").unwrap_err();
        assert!(!error.to_string().contains("never holds"), "{error}");
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("imapdoctor.toml");
        let text = format!(
            "[defaults]\nca_file = \"ca.pem\"\n[profiles.p]\npassword_file = \"secrets/p\"\ntoken_file = \"{}\"\n[modules.m]\nca_file = \"../up.pem\"\n",
            std::env::temp_dir()
                .join("abs")
                .display()
                .to_string()
                .replace('\\', "\\\\")
        );
        std::fs::write(&path, text).unwrap();
        let file = ConfigFile::load(&path).unwrap();
        assert_eq!(
            file.defaults.settings.ca_file,
            Some(dir.path().join("ca.pem"))
        );
        let profile = &file.profiles["p"];
        assert_eq!(profile.password_file, Some(dir.path().join("secrets/p")));
        assert_eq!(profile.token_file, Some(std::env::temp_dir().join("abs")));
        assert_eq!(
            file.modules["m"].ca_file,
            Some(dir.path().join("../up.pem"))
        );
    }
}
