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
//! [profiles.work-exchange]
//! target = "outlook.office365.com"
//! user = "alice@example.com"
//! token_env = "WORK_TOKEN"
//!
//! [modules.exchange]          # for `imapdoctor serve`
//! user = "probe@example.com"
//! password_env = "PROBE_PASSWORD"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{ColorWhen, Format};
use crate::settings::Settings;

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
    /// Parses a config file's text (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigFileError> {
        toml::from_str(text).map_err(|e| ConfigFileError {
            path: path.display().to_string(),
            message: crate::sanitize::terminal_text(e.message()),
        })
    }

    /// Reads and parses the config file at `path` (a regular file, at most
    /// [`MAX_CONFIG_BYTES`]).
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigFileError> {
        let error = |message: String| ConfigFileError {
            path: path.display().to_string(),
            message,
        };
        let bytes = crate::input_file::read_regular(path, MAX_CONFIG_BYTES)
            .map_err(|e| error(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| error("not UTF-8 text".into()))?;
        Self::parse(&text, path)
    }
}

/// The platform's place for the config file: `$XDG_CONFIG_HOME/imapdoctor/imapdoctor.toml` (or
/// `~/.config/…`) on Linux, `~/Library/Application Support/imapdoctor/imapdoctor.toml` on macOS,
/// `%APPDATA%\imapdoctor\imapdoctor.toml` on Windows.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("imapdoctor").join("imapdoctor.toml"))
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
        let error = parse("[profiles.x]\npassword = \"hunter2\"\n").unwrap_err();
        assert!(error.to_string().contains("password"), "{error}");
        assert!(parse("[nonsense]\n").is_err());
    }
}
