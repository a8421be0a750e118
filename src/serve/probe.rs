//! One `/probe` request: `target` and `module` from the query become a [`Config`] (the target
//! layered over the module's settings, those over the config file's `[defaults]`; secrets read
//! from where the module says, never asked for), bounded by the scrape's budget; the check runs
//! through the engine and its report becomes the answer's metrics.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::config::Config;
use crate::report::Report;
use crate::settings::{Asking, Settings};

/// Why a probe request cannot run: answered with HTTP 400 and this message.
#[derive(Debug, thiserror::Error)]
pub enum BadProbe {
    /// No `target` in the query.
    #[error("missing target: /probe?target=imaps://host:port[&module=NAME]")]
    MissingTarget,
    /// `module` names no `[modules.NAME]` table.
    #[error("unknown module {0:?} (the config file's [modules.NAME] tables: {1})")]
    UnknownModule(String, String),
    /// The settings do not validate (bad target, missing secret, …).
    #[error("{0}")]
    Settings(String),
}

/// The settings a probe runs with: the config file's modules and defaults.
#[derive(Clone, Debug, Default)]
pub struct Modules {
    /// `[modules.NAME]`.
    pub modules: BTreeMap<String, Settings>,
    /// `[defaults]`' check settings, under every module.
    pub defaults: Settings,
}

impl Modules {
    /// The run's config for a request's query: `target` over the named module (or none) over
    /// the defaults; no control probe unless the module or the defaults name control endpoints.
    pub fn config(&self, query: &HashMap<String, String>) -> Result<Config, BadProbe> {
        let target = query
            .get("target")
            .filter(|t| !t.trim().is_empty())
            .ok_or(BadProbe::MissingTarget)?;
        let module = match query.get("module").filter(|m| !m.is_empty()) {
            None => Settings::default(),
            Some(name) => self.modules.get(name).cloned().ok_or_else(|| {
                let known: Vec<&str> = self.modules.keys().map(String::as_str).collect();
                BadProbe::UnknownModule(
                    crate::sanitize::within(name, 100),
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    },
                )
            })?,
        };
        let settings = Settings {
            target: Some(target.clone()),
            ..Default::default()
        }
        .over(module)
        .over(self.defaults.clone())
        .over(Settings {
            control: Some(Vec::new()),
            ..Default::default()
        });
        settings
            .into_config(Asking::Never, false)
            .map_err(|e| BadProbe::Settings(crate::sanitize::terminal_text(&e.to_string())))
    }
}

/// Runs the check within `budget`: the config's bounds cut to it (see [`super::budget`]) and,
/// should anything still run over, the run interrupted shortly after.
pub async fn run(mut config: Config, budget: Duration) -> Report {
    super::budget::apply(&mut config, budget);
    let guard = tokio::time::sleep(budget + Duration::from_millis(100));
    crate::engine::check_until(config, guard).await
}

/// Whether the probe succeeded: every check passed (or warned) and it finished in time.
pub fn succeeded(report: &Report) -> bool {
    !report.interrupted && report.first_failure().is_none()
}

/// The answer's metrics: the report's ([`crate::metrics`]) and `imapdoctor_probe_success`.
pub fn exposition(report: &Report) -> String {
    let mut registry = Registry::default();
    let success: Gauge = Gauge::default();
    success.set(i64::from(succeeded(report)));
    registry.register(
        "imapdoctor_probe_success",
        "Whether the probe succeeded (every check passed, in time)",
        success,
    );
    crate::metrics::register_report(&mut registry, report);
    crate::secret::redact(&crate::metrics::encode(&registry)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn modules() -> Modules {
        let mut modules = BTreeMap::new();
        modules.insert(
            "login".to_string(),
            Settings {
                user: Some("probe@example.test".into()),
                password_env: Some("IMAPDOCTOR_TEST_PROBE_PASSWORD_NEVER_SET".into()),
                timeout: Some(3.0),
                ..Default::default()
            },
        );
        modules.insert(
            "fast".to_string(),
            Settings {
                timeout: Some(2.0),
                target: Some("ignored.example.test".into()),
                ..Default::default()
            },
        );
        Modules {
            modules,
            defaults: Settings {
                timeout: Some(7.0),
                mailbox: Some("Archive".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn the_query_target_wins_over_the_module_over_the_defaults() {
        let config = modules()
            .config(&query(&[
                ("target", "imaps://127.0.0.1:993"),
                ("module", "fast"),
            ]))
            .unwrap();
        assert_eq!(config.target.host, "127.0.0.1");
        assert_eq!(config.step_timeout, Duration::from_secs(2));
        assert_eq!(config.mailbox, "Archive");
        assert!(config.controls.is_empty());
        assert!(config.credentials.is_none());
        let config = modules()
            .config(&query(&[("target", "127.0.0.1")]))
            .unwrap();
        assert_eq!(config.step_timeout, Duration::from_secs(7));
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let m = modules();
        assert!(matches!(
            m.config(&query(&[("module", "fast")])),
            Err(BadProbe::MissingTarget)
        ));
        let error = m
            .config(&query(&[("target", "127.0.0.1"), ("module", "nope\u{1b}")]))
            .unwrap_err();
        assert!(matches!(error, BadProbe::UnknownModule(..)));
        let text = error.to_string();
        assert!(
            text.contains("fast, login") && !text.contains('\u{1b}'),
            "{text}"
        );
        let error = m
            .config(&query(&[("target", "127.0.0.1"), ("module", "login")]))
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("IMAPDOCTOR_TEST_PROBE_PASSWORD_NEVER_SET"),
            "{error}"
        );
        assert!(m.config(&query(&[("target", "imaps://[::1")])).is_err());
    }
}
