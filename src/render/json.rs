//! `--json`: the report as one JSON document (schema in the README).

use super::Render;
use crate::report::Report;

/// The JSON renderer.
pub struct Json;

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
