//! How long a probe may take: Prometheus sends its scrape timeout in the
//! `X-Prometheus-Scrape-Timeout-Seconds` header; the probe gets that minus a margin (so the
//! answer arrives before Prometheus gives up), and the run's `max_time` and every step's timeout
//! are cut to it.

use std::time::Duration;

use crate::config::Config;

/// The header Prometheus sends with each scrape.
pub const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";
/// The scrape timeout assumed when the header is absent (Prometheus's own default is 10 s).
pub const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);
/// Kept back from the scrape timeout to answer in time: 0.5 s, or a fifth of a short timeout.
pub const MARGIN: Duration = Duration::from_millis(500);
/// The most a probe ever gets, whatever the header says.
pub const LONGEST: Duration = Duration::from_secs(300);

/// The probe's time budget for a header value (absent or unreadable: the default timeout).
pub fn of_header(header: Option<&str>) -> Duration {
    let scrape = header
        .and_then(|h| h.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(LONGEST.as_secs_f64())))
        .unwrap_or(DEFAULT_SCRAPE_TIMEOUT);
    scrape - MARGIN.min(scrape / 5)
}

/// Cuts the run's bounds to `budget`: `max_time` and each step's and the login's timeout.
pub fn apply(config: &mut Config, budget: Duration) {
    config.max_time = Some(config.max_time.map_or(budget, |m| m.min(budget)));
    config.step_timeout = config.step_timeout.min(budget);
    config.login_timeout = config.login_timeout.min(budget);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_keeps_a_margin_from_the_scrape_timeout() {
        assert_eq!(of_header(Some("10")), Duration::from_millis(9_500));
        assert_eq!(of_header(Some("1")), Duration::from_millis(800));
        assert_eq!(of_header(Some(" 2.5 ")), Duration::from_millis(2_000));
        assert_eq!(of_header(None), Duration::from_millis(9_500));
        assert_eq!(of_header(Some("soon")), Duration::from_millis(9_500));
        assert_eq!(of_header(Some("-1")), Duration::from_millis(9_500));
        assert_eq!(of_header(Some("1e9")), LONGEST - MARGIN);
    }
}
