//! `imapdoctor serve`: a blackbox-exporter-style HTTP endpoint for Prometheus.
//!
//! - `GET /probe?target=imaps://host:port[&module=NAME]` runs one check through the engine and
//!   answers its metrics ([`crate::metrics`], plus `imapdoctor_probe_success`). The module is a
//!   `[modules.NAME]` table of the config file; without one, a connectivity check (no login).
//!   The probe's time is the scrape timeout Prometheus sends
//!   (`X-Prometheus-Scrape-Timeout-Seconds`) minus a margin, 9.5 s without the header.
//! - `GET /metrics`: the exporter's own metrics (probes by result, their duration, in flight).
//!
//! At most `--max-concurrent` probes run at once; a probe beyond that is answered at once with
//! HTTP 503 (Prometheus records a failed scrape and tries at the next interval) rather than
//! queued behind probes that may each take the whole scrape timeout. A bad target or module is
//! HTTP 400 with a plain-text message. No response holds a secret: the answer passes
//! [`crate::secret::redact`]. The endpoint has no authentication: listen on loopback or a
//! private address, never where the internet can reach it (a probe makes outgoing connections
//! for whoever asks).

pub mod budget;
pub mod exporter_metrics;
pub mod probe;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;

use self::exporter_metrics::{ExporterMetrics, ProbeResult};
use self::probe::Modules;
use crate::config_file::ConfigFile;
use crate::exit_code::ExitCode;

/// Default bound on concurrent probes.
pub const DEFAULT_MAX_CONCURRENT: usize = 16;

/// What `serve` needs from the command line.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The config file (`--config`, `IMAPDOCTOR_CONFIG` or the platform's), with the modules
    /// (none: only the default module).
    pub config: Option<ConfigFile>,
    /// Bound on concurrent probes.
    pub max_concurrent: usize,
}

/// The exporter's shared state.
struct Exporter {
    modules: Modules,
    slots: Semaphore,
    max_concurrent: usize,
    metrics: ExporterMetrics,
}

/// Runs the exporter until Ctrl-C (or SIGTERM on Unix). Prints `listening on http://ADDR` to
/// stderr once bound.
pub async fn run(options: ServeOptions) -> ExitCode {
    let modules = match options.config {
        None => Modules::default(),
        Some(file) => Modules {
            modules: file.modules,
            defaults: file.defaults.settings,
        },
    };
    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(l) => l,
        Err(e) => {
            crate::stderr::say(format_args!("cannot listen on {}: {e}", options.listen));
            return ExitCode::Usage;
        }
    };
    let exporter = Arc::new(Exporter {
        modules,
        slots: Semaphore::new(options.max_concurrent),
        max_concurrent: options.max_concurrent,
        metrics: ExporterMetrics::default(),
    });
    match listener.local_addr() {
        Ok(addr) => crate::stderr::say(format_args!("listening on http://{addr}")),
        Err(e) => crate::stderr::say(format_args!("listening ({e})")),
    }
    let app = Router::new()
        .route("/probe", get(probe))
        .route("/metrics", get(own_metrics))
        .with_state(exporter);
    match axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
    {
        Ok(()) => ExitCode::Success,
        Err(e) => {
            crate::stderr::say(format_args!("the server stopped: {e}"));
            ExitCode::Internal
        }
    }
}

/// Completes at Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// A plain-text answer.
fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        crate::secret::redact(&body).into_owned() + "\n",
    )
        .into_response()
}

/// `GET /probe`.
async fn probe(
    State(exporter): State<Arc<Exporter>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let config = match exporter.modules.config(&query) {
        Ok(config) => config,
        Err(e) => {
            exporter.metrics.count(ProbeResult::BadRequest);
            return text(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    let Ok(_slot) = exporter.slots.try_acquire() else {
        exporter.metrics.count(ProbeResult::Overloaded);
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} probes are running already (--max-concurrent)",
                exporter.max_concurrent
            ),
        );
    };
    let budget = budget::of_header(
        headers
            .get(budget::SCRAPE_TIMEOUT_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    let report = {
        let _running = exporter.metrics.running();
        probe::run(config, budget).await
    };
    exporter.metrics.observe(report.duration_ms as f64 / 1000.0);
    exporter.metrics.count(if probe::succeeded(&report) {
        ProbeResult::Success
    } else {
        ProbeResult::Failure
    });
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        probe::exposition(&report),
    )
        .into_response()
}

/// `GET /metrics`.
async fn own_metrics(State(exporter): State<Arc<Exporter>>) -> Response {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::encode(&exporter.metrics.registry),
    )
        .into_response()
}
