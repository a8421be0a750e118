//! `--format prometheus`: the report's metrics in the Prometheus text format, for
//! node_exporter's textfile collector (`imapdoctor --format prometheus … > dir/imap.prom.$$ &&
//! mv dir/imap.prom.$$ dir/imap.prom`). The metrics are [`crate::metrics`]'s, the same the
//! exporter's `/probe` answers.

use std::io::Write;

use super::Render;
use crate::report::Report;

/// The Prometheus renderer.
pub struct Prometheus;

impl Render for Prometheus {
    fn render(&self, report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(crate::metrics::of_report(report).as_bytes())
    }
}
