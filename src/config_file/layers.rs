//! A run's settings in layers, nearest first: the command line, the profile that `@NAME` names
//! (as TARGET), the config file's `[defaults]`, then the built-in defaults (applied by
//! [`Settings::into_config`]).

use super::location::Loaded;
use crate::config::UsageError;
use crate::settings::Settings;

/// What starts a TARGET that names a profile: `imapdoctor @work-exchange`.
pub const PROFILE_SIGIL: char = '@';

/// The profile that `target` names (`@NAME` → `NAME`), if it names one.
pub fn profile_name(target: &str) -> Option<&str> {
    target.strip_prefix(PROFILE_SIGIL)
}

/// The command line's settings over the profile it names (if any) over the file's `[defaults]`.
pub fn layer(command_line: Settings, file: Option<&Loaded>) -> Result<Settings, UsageError> {
    let defaults = file
        .map(|f| f.file.defaults.settings.clone())
        .unwrap_or_default();
    let Some(name) = command_line.target.as_deref().and_then(profile_name) else {
        return Ok(command_line.over(defaults));
    };
    let profile = profile(name, file)?.clone();
    let layered = Settings {
        target: None,
        ..command_line
    }
    .over(profile)
    .over(defaults);
    if layered.target.is_none() {
        return Err(UsageError::Profile(format!(
            "profile {name:?} names no server: add target = \"HOST\" to [profiles.{name}] (or [defaults])"
        )));
    }
    Ok(layered)
}

/// The profile called `name`, or why there is none: the known names, the closest one suggested.
fn profile<'a>(name: &str, file: Option<&'a Loaded>) -> Result<&'a Settings, UsageError> {
    if name.is_empty() {
        return Err(UsageError::Profile(
            "@ must be followed by a profile name (imapdoctor @NAME)".into(),
        ));
    }
    let Some(loaded) = file else {
        return Err(UsageError::Profile(format!(
            "unknown profile {name:?}: no config file was read (profiles are [profiles.NAME] tables in imapdoctor.toml; see --config)"
        )));
    };
    if let Some(settings) = loaded.file.profiles.get(name) {
        return Ok(settings);
    }
    let known: Vec<&str> = loaded.file.profiles.keys().map(String::as_str).collect();
    let closest = known
        .iter()
        .map(|k| (strsim::normalized_damerau_levenshtein(name, k), *k))
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean @{k}?)"))
        .unwrap_or_default();
    let path = loaded.path.display();
    let listed = if known.is_empty() {
        format!("{path} defines no profile")
    } else {
        let names: Vec<String> = known.iter().map(|k| format!("@{k}")).collect();
        format!("{path} defines {}", names.join(", "))
    };
    Err(UsageError::Profile(crate::sanitize::terminal_text(
        &format!("unknown profile {name:?}{closest}: {listed}"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_file::ConfigFile;
    use std::path::{Path, PathBuf};

    fn loaded(text: &str) -> Loaded {
        Loaded {
            path: PathBuf::from("imapdoctor.toml"),
            file: ConfigFile::parse(text, Path::new("imapdoctor.toml")).unwrap(),
        }
    }

    const FILE: &str = r#"
        [defaults]
        timeout = 5
        login_timeout = 20
        user = "default@example.com"

        [profiles.work-exchange]
        target = "outlook.office365.com"
        user = "alice@example.com"
        timeout = 7

        [profiles.home]
        target = "imap.example.net"
    "#;

    fn command_line(target: &str) -> Settings {
        Settings {
            target: Some(target.into()),
            ..Settings::default()
        }
    }

    #[test]
    fn the_command_line_wins_over_the_profile_over_the_defaults() {
        let file = loaded(FILE);
        let settings = layer(
            Settings {
                user: Some("bob@example.com".into()),
                ..command_line("@work-exchange")
            },
            Some(&file),
        )
        .unwrap();
        assert_eq!(settings.target.as_deref(), Some("outlook.office365.com"));
        assert_eq!(settings.user.as_deref(), Some("bob@example.com"));
        assert_eq!(settings.timeout, Some(7.0));
        assert_eq!(settings.login_timeout, Some(20.0));
        let settings = layer(command_line("@home"), Some(&file)).unwrap();
        assert_eq!(settings.user.as_deref(), Some("default@example.com"));
        assert_eq!(settings.timeout, Some(5.0));
    }

    #[test]
    fn a_plain_target_takes_the_defaults_and_no_profile() {
        let file = loaded(FILE);
        let settings = layer(command_line("imap.example.org"), Some(&file)).unwrap();
        assert_eq!(settings.target.as_deref(), Some("imap.example.org"));
        assert_eq!(settings.timeout, Some(5.0));
        assert_eq!(
            layer(command_line("imap.example.org"), None).unwrap(),
            command_line("imap.example.org")
        );
    }

    #[test]
    fn an_unknown_profile_lists_the_known_ones_and_suggests_the_closest() {
        let file = loaded(FILE);
        let error = layer(command_line("@work-exchnage"), Some(&file)).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("did you mean @work-exchange?"),
            "{message}"
        );
        assert!(message.contains("@home, @work-exchange"), "{message}");
        let message = layer(command_line("@zzz"), Some(&file))
            .unwrap_err()
            .to_string();
        assert!(!message.contains("did you mean"), "{message}");
        let message = layer(command_line("@home"), None).unwrap_err().to_string();
        assert!(message.contains("no config file was read"), "{message}");
        let message = layer(command_line("@"), Some(&file))
            .unwrap_err()
            .to_string();
        assert!(message.contains("profile name"), "{message}");
    }

    #[test]
    fn a_profile_without_a_server_is_an_error() {
        let file = loaded("[profiles.p]\nuser = \"a@example.com\"\n");
        let message = layer(command_line("@p"), Some(&file))
            .unwrap_err()
            .to_string();
        assert!(message.contains("names no server"), "{message}");
    }
}
