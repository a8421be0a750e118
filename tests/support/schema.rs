//! Validates every JSON document a test reads from the binary against the checked-in schema
//! (`schema/report.schema.json`), so a field the schema does not describe fails the test that
//! produced it.

use std::sync::OnceLock;

use serde_json::Value;

/// The checked-in schema, compiled once per test binary.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(include_str!("../../schema/report.schema.json"))
            .expect("schema/report.schema.json is JSON");
        jsonschema::validator_for(&schema).expect("schema/report.schema.json is a valid schema")
    })
}

/// The ways `document` breaks the schema, one line each (empty when it conforms).
pub fn violations(document: &Value) -> Vec<String> {
    validator()
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Panics with every violation when `document` does not conform to the schema.
pub fn assert_conforms(document: &Value) {
    let violations = violations(document);
    assert!(
        violations.is_empty(),
        "the JSON document breaks schema/report.schema.json:\n{}\n{}",
        violations.join("\n"),
        serde_json::to_string_pretty(document).unwrap_or_default()
    );
}
