//! The committed JSON Schema (`schema/report.schema.json`) is generated from the report types.
//! This test fails when it drifts; `UPDATE_SCHEMA=1 cargo test --test schema` rewrites it. It also
//! checks that the schema is strict enough to catch a broken document, and that the README's JSON
//! section names every field the schema has.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::schema::violations;

#[test]
fn the_committed_schema_matches_the_report_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(imapdoctor::schema::PATH);
    let generated = imapdoctor::schema::render();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; run `UPDATE_SCHEMA=1 cargo test --test schema`",
        path.display()
    );
}

/// A usage-error document as `--format json` writes it.
fn error_document() -> Value {
    json!({"schema_version": 1, "error": {"code": "usage", "message": "no target"}})
}

#[test]
fn a_usage_error_document_conforms() {
    assert_eq!(violations(&error_document()), Vec::<String>::new());
}

#[test]
fn broken_documents_fail_validation() {
    let mut unknown_field = error_document();
    unknown_field["error"]["hint"] = json!("try --help");
    let mut wrong_type = error_document();
    wrong_type["schema_version"] = json!("1");
    let mut future_version = error_document();
    future_version["schema_version"] = json!(2);
    let mut missing_field = error_document();
    missing_field["error"]
        .as_object_mut()
        .unwrap()
        .remove("message");
    let report_missing_checks = json!({"schema_version": 1, "verdict": {}});
    for broken in [
        unknown_field,
        wrong_type,
        future_version,
        missing_field,
        report_missing_checks,
    ] {
        assert!(
            !violations(&broken).is_empty(),
            "{broken} passed validation"
        );
    }
}

/// A bad line's line of `imapdoctor batch`.
fn batch_error_line() -> Value {
    json!({"schema_version": 1, "line": 3, "error": {"code": "usage", "message": "a password in the file"}})
}

/// The last line of `imapdoctor batch`.
fn batch_summary_line() -> Value {
    json!({"schema_version": 1, "summary": {
        "targets": 1, "passed": 0, "failed": 1, "bad_lines": 1, "interrupted": false,
        "failures": [{"check": "tcp", "fault": "server", "code": "tcp.refused", "count": 1,
            "servers": {"127.0.0.1:9": 1}, "lines": [2],
            "reading": "1 of 1 fails at tcp with tcp.refused on 127.0.0.1:9: server side"}],
        "servers": [{"server": "127.0.0.1:9", "targets": 1, "failed": 1}],
        "reading": ["1 of 1 fails at tcp with tcp.refused on 127.0.0.1:9: server side"],
        "exit_code": 11}})
}

#[test]
fn batch_lines_conform() {
    for line in [batch_error_line(), batch_summary_line()] {
        assert_eq!(violations(&line), Vec::<String>::new(), "{line}");
    }
}

#[test]
fn broken_batch_lines_fail_validation() {
    let mut unversioned = batch_error_line();
    unversioned
        .as_object_mut()
        .unwrap()
        .remove("schema_version");
    let mut two_shapes = batch_error_line();
    two_shapes["report"] = json!({});
    let mut summary_with_runs = batch_summary_line();
    summary_with_runs["runs"] = json!([]);
    let mut unknown_group_field = batch_summary_line();
    unknown_group_field["summary"]["failures"][0]["hint"] = json!("retry");
    let mut missing_servers = batch_summary_line();
    missing_servers["summary"]
        .as_object_mut()
        .unwrap()
        .remove("servers");
    let broken_report_line =
        json!({"schema_version": 1, "line": 1, "report": {"schema_version": 1, "verdict": {}}});
    for broken in [
        unversioned,
        two_shapes,
        summary_with_runs,
        unknown_group_field,
        missing_servers,
        broken_report_line,
    ] {
        assert!(
            !violations(&broken).is_empty(),
            "{broken} passed validation"
        );
    }
}

/// `imapdoctor explain CODE --format json`.
fn explanation_document() -> Value {
    json!({"schema_version": 1, "explanation": {
        "code": "tcp.timeout", "owners": ["server"], "headline": "No answer.",
        "confidence": "likely", "meanings": [{"when": null, "fault": "server",
            "summary": "No answer.", "hints": ["Try another network."]}],
        "alternatives": [{"fault": "local", "summary": "a firewall may drop it"}]}})
}

/// `imapdoctor demo --list --format json`.
fn demo_faults_document() -> Value {
    json!({"schema_version": 1, "demo_faults": [
        {"name": "server-down", "code": "tcp.refused", "simulates": "nothing listens"}]})
}

#[test]
fn catalogues_conform_and_are_told_apart_from_the_other_shapes() {
    let explanation = explanation_document();
    let list = json!({"schema_version": 1, "explanations": [explanation["explanation"]]});
    for document in [explanation.clone(), list, demo_faults_document()] {
        assert_eq!(violations(&document), Vec::<String>::new(), "{document}");
    }
    let mut with_error = explanation.clone();
    with_error["error"] = error_document()["error"].clone();
    let mut both = explanation.clone();
    both["explanations"] = json!([]);
    let mut unknown_field = explanation.clone();
    unknown_field["explanation"]["severity"] = json!("high");
    let mut wrong_owner = explanation.clone();
    wrong_owner["explanation"]["owners"] = json!(["nobody"]);
    let mut missing_when = explanation;
    missing_when["explanation"]["meanings"][0]
        .as_object_mut()
        .unwrap()
        .remove("when");
    let mut fault_without_code = demo_faults_document();
    fault_without_code["demo_faults"][0]
        .as_object_mut()
        .unwrap()
        .remove("code");
    let mut demo_with_runs = demo_faults_document();
    demo_with_runs["runs"] = json!([]);
    for broken in [
        with_error,
        both,
        unknown_field,
        wrong_owner,
        missing_when,
        fault_without_code,
        demo_with_runs,
    ] {
        assert!(
            !violations(&broken).is_empty(),
            "{broken} passed validation"
        );
    }
}

/// Every field name the schema knows, at any depth.
fn field_names(schema: &Value, names: &mut std::collections::BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                names.extend(properties.keys().cloned());
            }
            map.values().for_each(|v| field_names(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| field_names(v, names)),
        _ => {}
    }
}

#[test]
fn the_readme_documents_every_field() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(imapdoctor::schema::PATH)).unwrap(),
    )
    .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find("## JSON (`--json`)")
        .expect("the README's JSON section");
    let end = readme[start + 1..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 1 + i);
    let section = &readme[start..end];
    let mut names = std::collections::BTreeSet::new();
    field_names(&schema, &mut names);
    assert!(names.len() > 50, "{names:?}");
    // Named as `name`, `name[]`, `parent.name`, `name.child`, `name{…}` or `name (…`.
    let mentioned = |name: &str| {
        [
            format!("`{name}`"),
            format!("`{name}[]"),
            format!(".{name}`"),
            format!(".{name}[]"),
            format!("`{name}."),
            format!("`{name}{{"),
            format!("`{name} "),
        ]
        .iter()
        .any(|form| section.contains(form.as_str()))
    };
    let missing: Vec<&String> = names.iter().filter(|name| !mentioned(name)).collect();
    assert!(
        missing.is_empty(),
        "fields of the JSON report the README's JSON section does not mention: {missing:?}"
    );
}
