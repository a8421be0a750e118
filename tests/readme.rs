//! The README's decision table ("How imapdoctor decides") is generated from the tables in
//! `src/diagnose/`: this test fails when they drift; `UPDATE_README=1 cargo test --test readme`
//! rewrites it.

const START: &str = "<!-- decision-table:start (generated from src/diagnose; UPDATE_README=1 cargo test --test readme) -->\n";
const END: &str = "<!-- decision-table:end -->";

#[test]
fn readme_decision_table_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(START)
        .expect("README has the decision-table start marker")
        + START.len();
    let end = readme[start..]
        .find(END)
        .expect("README has the decision-table end marker")
        + start;
    let table = imapdoctor::diagnose::decision_table_markdown();
    if std::env::var_os("UPDATE_README").is_some_and(|v| v == "1") {
        let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "the README's decision table is out of date: UPDATE_README=1 cargo test --test readme"
    );
}

#[test]
fn readme_names_the_two_commands_ci_uses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(readme.contains("cargo run --release -- demo"));
    let test_command = ci.lines().last().unwrap().trim();
    assert!(
        readme.contains(test_command),
        "README must show the test command CI runs: {test_command}"
    );
}
