//! The JSON Schemas: checked-in copies match the types, and every shipped
//! ruleset, example inspection and report validates against them.

use hazcheck::schema::{SchemaKind, schema, schema_text};

use crate::support::*;

fn validator(kind: SchemaKind) -> jsonschema::Validator {
    jsonschema::draft7::new(&schema(kind)).expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn checked_in_schemas_match_the_types() {
    for (kind, name) in [
        (SchemaKind::Ruleset, "ruleset"),
        (SchemaKind::Inspection, "inspection"),
        (SchemaKind::Report, "report"),
    ] {
        assert_snapshot(
            &root().join(format!("docs/schema/{name}.schema.json")),
            &schema_text(kind),
        );
        let o = hazcheck(&["schema", name]);
        assert_eq!(stdout(&o), schema_text(kind));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
        assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
    }
}

#[test]
fn shipped_rulesets_validate_against_the_schema() {
    let v = validator(SchemaKind::Ruleset);
    let mut n = 0;
    for f in files_under(&root().join("rulesets"), &["yaml", "yml"]) {
        let s = f.to_string_lossy();
        if s.contains("/tests/") || s.contains("/examples/") {
            continue;
        }
        assert_valid(&v, &yaml_json(&f), &s);
        n += 1;
    }
    for f in files_under(&root().join("tests/fixtures"), &["yaml"]) {
        let s = f.to_string_lossy();
        if !s.contains("/tests/") && !s.contains("/examples/") {
            assert_valid(&v, &yaml_json(&f), &s);
        }
    }
    let _ = n;
}

#[test]
fn a_wrong_ruleset_is_rejected_by_the_schema() {
    let v = validator(SchemaKind::Ruleset);
    let doc = yaml_json(&root().join("tests/diagnostics/E0101-unknown-key.yaml"));
    assert!(!v.is_valid(&doc), "unknown keys must not validate");
}

#[test]
fn inspections_and_reports_validate() {
    let vi = validator(SchemaKind::Inspection);
    let vr = validator(SchemaKind::Report);
    let mut examples = files_under(&root().join("rulesets"), &["yaml"]);
    examples.retain(|f| f.to_string_lossy().contains("/examples/"));
    examples.push(root().join("tests/fixtures/demo/examples/major-deep-pit.yaml"));
    for f in &examples {
        assert_valid(&vi, &yaml_json(f), &f.to_string_lossy());
    }
    let o = hazcheck(&[
        "eval",
        "--ruleset",
        "tests/fixtures/demo/demo.yaml",
        "tests/fixtures/demo/examples/major-deep-pit.yaml",
        "--format",
        "json",
        "--explain",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("report");
    assert_valid(&vr, &report, "report");
}
