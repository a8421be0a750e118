//! Output formats. Each lays out a finished [`Report`]; none of them decides anything.

pub mod human;
pub mod json;
pub mod layout;
pub mod live;

use crate::report::Report;

/// A way of writing a report.
pub trait Render {
    /// Writes the report.
    fn render(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}
