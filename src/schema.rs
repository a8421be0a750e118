//! The JSON Schema of what `--json` writes, generated from the report types (`schemars`): one
//! file, `schema/report.schema.json`, whose `oneOf` is either a [`Report`], a
//! [`RepeatDocument`] (`--repeat`, `--watch`) or, when the command line was wrong, an
//! [`ErrorDocument`]. A reader validates stdout against one schema whatever
//! happened; the shapes cannot be confused (a report has `checks`, a repetition `runs`, an error document `error`,
//! and neither allows fields it does not list).

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use serde_json::{Value, json};

use crate::report::repeat::RepeatDocument;
use crate::report::{ErrorDocument, Report, SCHEMA_VERSION};

/// Where the generated schema is checked in, relative to the repository root.
pub const PATH: &str = "schema/report.schema.json";

/// The schema of a `--json` document, as pretty-printed JSON ending in a newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("a schema serializes");
    text.push('\n');
    text
}

/// The schema of a `--json` document: a report, a repetition or the usage-error document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(ClosedObjects)
        .into_generator();
    let report = generator.subschema_for::<Report>();
    let error = generator.subschema_for::<ErrorDocument>();
    let repeat = generator.subschema_for::<RepeatDocument>();
    let mut definitions = generator.take_definitions(true);
    for name in ["Report", "ErrorDocument", "RepeatDocument"] {
        definitions[name]["properties"]["schema_version"]["const"] = json!(SCHEMA_VERSION);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "imapdoctor --json output",
        "description": format!(
            "What `imapdoctor --json` writes to stdout: a report, the runs and summary of \
             `--repeat` or `--watch`, or an error document when the command line was wrong. Layout version {SCHEMA_VERSION}: fields are only added \
             within a version; renaming or removing one bumps `schema_version`."
        ),
        "oneOf": [report, error, repeat],
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
