//! Which config file a run reads: the one named by `--config FILE`, else by `IMAPDOCTOR_CONFIG`,
//! else `imapdoctor.toml` in the platform's config directory ([`default_path`]) when there is one.
//! `--no-config`, or `IMAPDOCTOR_CONFIG` set but empty, reads none. A file named by the option or
//! the variable must exist; the default one need not.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{CONFIG_ENV, ConfigFile, ConfigFileError, default_path};
use crate::cli::ConfigArgs;

/// What named the config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--config FILE`.
    Option,
    /// `IMAPDOCTOR_CONFIG`.
    Environment,
    /// The platform's config directory.
    Default,
}

/// The config file a run is to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Its path.
    pub path: PathBuf,
    /// What named it.
    pub origin: Origin,
}

/// A config file read for a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// Where it was read from.
    pub path: PathBuf,
    /// What it says.
    pub file: ConfigFile,
}

/// Which file to read, from `--config` (`option`), `--no-config`, the value of
/// `IMAPDOCTOR_CONFIG` (`env`) and the platform's default path; `None`: no file.
pub fn locate(
    option: Option<&Path>,
    no_config: bool,
    env: Option<OsString>,
    default: Option<PathBuf>,
) -> Option<Location> {
    let at = |path: PathBuf, origin| Some(Location { path, origin });
    match (option, env) {
        _ if no_config => None,
        (Some(path), _) => at(path.to_path_buf(), Origin::Option),
        (None, Some(env)) if env.is_empty() => None,
        (None, Some(env)) => at(env.into(), Origin::Environment),
        (None, None) => at(default?, Origin::Default),
    }
}

/// Reads the config file the command line and the environment ask for: `Ok(None)` when they ask
/// for none and the default place holds none.
pub fn load(args: &ConfigArgs) -> Result<Option<Loaded>, ConfigFileError> {
    let env = std::env::var_os(CONFIG_ENV);
    let Some(location) = locate(args.config.as_deref(), args.no_config, env, default_path()) else {
        return Ok(None);
    };
    let missing =
        std::fs::metadata(&location.path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    let named_by = match location.origin {
        Origin::Default if missing => return Ok(None),
        Origin::Default => None,
        Origin::Option => Some("--config"),
        Origin::Environment => Some(CONFIG_ENV),
    };
    if let (true, Some(named_by)) = (missing, named_by) {
        return Err(ConfigFileError {
            path: location.path.display().to_string(),
            message: format!("no such file (named by {named_by}; --no-config reads none)"),
        });
    }
    let file = ConfigFile::load(&location.path)?;
    Ok(Some(Loaded {
        path: location.path,
        file,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_wins_then_the_variable_then_the_default_and_empty_means_none() {
        let default = || Some(PathBuf::from("/home/x/.config/imapdoctor/imapdoctor.toml"));
        let origin = |option: Option<&str>, no_config, env: Option<&str>| {
            locate(
                option.map(Path::new),
                no_config,
                env.map(Into::into),
                default(),
            )
            .map(|l| (l.path.display().to_string(), l.origin))
        };
        let option = Some(("a.toml".to_string(), Origin::Option));
        assert_eq!(origin(Some("a.toml"), false, Some("b.toml")), option);
        assert_eq!(origin(Some("a.toml"), false, Some("")), option);
        assert_eq!(
            origin(None, false, Some("b.toml")),
            Some(("b.toml".to_string(), Origin::Environment))
        );
        assert_eq!(origin(None, false, Some("")), None);
        assert_eq!(origin(None, true, Some("b.toml")), None);
        assert_eq!(origin(None, true, None), None);
        let (_, from) = origin(None, false, None).unwrap();
        assert_eq!(from, Origin::Default);
        assert_eq!(locate(None, false, None, None), None);
    }
}
