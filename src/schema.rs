//! The JSON Schema of every JSON document imapdoctor writes, generated from the report types
//! (`schemars`): one file, `schema/report.schema.json`, whose `oneOf` is a [`Report`]
//! (`--json`), a [`RepeatDocument`] (`--repeat`, `--watch`), an [`ErrorDocument`] (the command
//! line was wrong), one line of `imapdoctor batch`'s JSON Lines: a [`ReportLine`], an
//! [`ErrorLine`] or the [`SummaryLine`], or a catalogue: an [`ExplanationDocument`] (`explain
//! CODE`), an [`ExplanationListDocument`] (`explain --list`) or a [`DemoFaultsDocument`] (`demo
//! --list`). A reader validates stdout (or each batch line) against one schema whatever
//! happened; the shapes cannot be confused (a report has `checks`, a repetition `runs`, an error
//! document `error` without `line`, a batch line `line` with `report` or `error`, the batch's
//! last line `summary` without `runs`, the catalogues `explanation`, `explanations` or
//! `demo_faults`), every one carries `schema_version`, and none allows fields it does not list.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use serde_json::{Value, json};

use crate::batch::lines::{ErrorLine, ReportLine, SummaryLine};
use crate::demo::faults::DemoFaultsDocument;
use crate::explain::document::{ExplanationDocument, ExplanationListDocument};
use crate::report::repeat::RepeatDocument;
use crate::report::{ErrorDocument, Report, SCHEMA_VERSION};

/// Where the generated schema is checked in, relative to the repository root.
pub const PATH: &str = "schema/report.schema.json";

/// The schema of every JSON document, as pretty-printed JSON ending in a newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("a schema serializes");
    text.push('\n');
    text
}

/// The documents the schema covers, by the name of their definition.
const DOCUMENTS: [&str; 9] = [
    "Report",
    "ErrorDocument",
    "RepeatDocument",
    "ReportLine",
    "ErrorLine",
    "SummaryLine",
    "ExplanationDocument",
    "ExplanationListDocument",
    "DemoFaultsDocument",
];

/// The schema of every JSON document: a report, a repetition, the usage-error document, a line
/// of a batch, or a catalogue (`explain`, `demo --list`).
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(ClosedObjects)
        .into_generator();
    let one_of = [
        generator.subschema_for::<Report>(),
        generator.subschema_for::<ErrorDocument>(),
        generator.subschema_for::<RepeatDocument>(),
        generator.subschema_for::<ReportLine>(),
        generator.subschema_for::<ErrorLine>(),
        generator.subschema_for::<SummaryLine>(),
        generator.subschema_for::<ExplanationDocument>(),
        generator.subschema_for::<ExplanationListDocument>(),
        generator.subschema_for::<DemoFaultsDocument>(),
    ];
    let mut definitions = generator.take_definitions(true);
    for name in DOCUMENTS {
        definitions[name]["properties"]["schema_version"]["const"] = json!(SCHEMA_VERSION);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "imapdoctor JSON output",
        "description": format!(
            "What imapdoctor writes as JSON: with `--json` (or `--format json`) one document on \
             stdout, a report, the runs and summary of `--repeat` or `--watch`, or an error \
             document when the command line was wrong; with `imapdoctor batch`, JSON Lines, each \
             line a document: `line` and `report` per target, `line` and `error` per bad line, \
             then `summary`; with `imapdoctor explain` and `demo --list`, the catalogue: \
             `explanation` for one verdict code, `explanations` for all, `demo_faults`. Layout \
             version {SCHEMA_VERSION}: fields are only added within a \
             version; renaming or removing one bumps `schema_version`."
        ),
        "oneOf": one_of,
        "$defs": definitions,
    })
}

/// Marks every object schema with properties `additionalProperties: false`: serde writes exactly
/// the fields a type declares (nothing here is flattened), so an unknown field in a document
/// means the schema or the document is wrong, and an untagged `details` matches one layer only.
#[derive(Clone)]
struct ClosedObjects;

impl Transform for ClosedObjects {
    fn transform(&mut self, schema: &mut Schema) {
        if schema.get("properties").is_some() && schema.get("additionalProperties").is_none() {
            schema.insert("additionalProperties".into(), false.into());
        }
        transform_subschemas(self, schema);
    }
}
