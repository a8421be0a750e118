//! Validates every JSON document a test reads from the binary against the checked-in schema
//! (`schema/report.schema.json`), so a field the schema does not describe fails the test that
//! produced it: one document (`--json`) or each line of JSON Lines (`imapdoctor batch`).

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

/// Every JSON document on `stdout`, each asserted to conform, when `stdout` is nothing but JSON
/// (one document, or JSON Lines as `imapdoctor batch` writes); empty when it is not JSON.
pub fn conforming_documents(stdout: &str) -> Vec<Value> {
    let documents: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(stdout)
        .into_iter()
        .collect();
    let documents = documents.unwrap_or_default();
    documents.iter().for_each(assert_conforms);
    documents
}

/// The one JSON document on `stdout` (`None` when it holds none or several), after asserting that
/// every JSON document on it conforms.
pub fn conforming_document(stdout: &str) -> Option<Value> {
    let mut documents = conforming_documents(stdout);
    (documents.len() == 1).then(|| documents.remove(0))
}
