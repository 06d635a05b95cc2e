//! Editor support: the checked-in JSON Schemas are what editors validate
//! against (through the `yaml-language-server` modeline or a settings
//! mapping), so they must work in a validator other than the one hazcheck's
//! own tests use. boon is a separate implementation of draft-07; every
//! shipped ruleset and sample inspection must pass it, and it must agree
//! with the `jsonschema` crate on the invalid files under
//! `tests/diagnostics/`.

use std::path::Path;

use crate::support::*;

/// A schema file compiled by boon, as an editor would load it from disk.
struct Boon {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Boon {
    fn load(path: &Path) -> Boon {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V7);
        let index = compiler
            .compile(&path.to_string_lossy(), &mut schemas)
            .unwrap_or_else(|e| panic!("boon cannot compile {}: {e:#}", path.display()));
        Boon { schemas, index }
    }

    fn errors(&self, doc: &serde_json::Value) -> Option<String> {
        self.schemas
            .validate(doc, self.index)
            .err()
            .map(|e| format!("{e}"))
    }
}

fn is_ruleset_file(p: &Path) -> bool {
    let s = p.to_string_lossy();
    !s.contains("/tests/") && !s.contains("/examples/")
}

#[test]
fn shipped_rulesets_validate_with_an_independent_validator() {
    let boon = Boon::load(&root().join("docs/schema/ruleset.schema.json"));
    let mut checked = Vec::new();
    for f in files_under(&root().join("rulesets"), &["yaml", "yml"]) {
        if !is_ruleset_file(&f) {
            continue;
        }
        if let Some(e) = boon.errors(&yaml_json(&f)) {
            panic!("{} does not match the ruleset schema:\n{e}", f.display());
        }
        checked.push(f);
    }
    // Every ruleset folder and the shared modules were seen, so a change in
    // the walk cannot make this test pass by checking nothing.
    for dir in [
        "confined-space",
        "forest-fire",
        "flood-control",
        "tourist-site",
        "shared",
    ] {
        assert!(
            checked
                .iter()
                .any(|f| f.starts_with(root().join("rulesets").join(dir))),
            "no file of rulesets/{dir} was validated"
        );
    }
}

#[test]
fn sample_inspections_validate_with_an_independent_validator() {
    let boon = Boon::load(&root().join("docs/schema/inspection.schema.json"));
    let mut n = 0;
    for f in files_under(&root().join("rulesets"), &["yaml", "yml"]) {
        if f.to_string_lossy().contains("/examples/") {
            if let Some(e) = boon.errors(&yaml_json(&f)) {
                panic!("{} does not match the inspection schema:\n{e}", f.display());
            }
            n += 1;
        }
    }
    assert!(n >= 5, "only {n} sample inspections found");
}

#[test]
fn both_validators_agree_on_invalid_rulesets() {
    let schema_path = root().join("docs/schema/ruleset.schema.json");
    let boon = Boon::load(&schema_path);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).expect("schema"))
            .expect("schema json");
    let ours = jsonschema::draft7::new(&schema).expect("schema compiles");
    let mut rejected = 0;
    for f in files_under(&root().join("tests/diagnostics"), &["yaml"]) {
        // Files that are not even YAML (bad UTF-8, syntax errors, duplicate
        // keys) have nothing to validate.
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(node) = hazcheck::node::parse_yaml(&text, hazcheck::FileId(0), &Default::default())
        else {
            continue;
        };
        let doc = to_json(&node);
        let by_boon = boon.errors(&doc).is_none();
        assert_eq!(
            by_boon,
            ours.is_valid(&doc),
            "the validators disagree on {}",
            f.display()
        );
        if !by_boon {
            rejected += 1;
        }
    }
    // Unknown keys, missing keys and wrong types are schema errors.
    assert!(rejected >= 3, "only {rejected} invalid files were rejected");
}

#[test]
fn a_scaffold_modeline_names_a_schema_that_accepts_the_file() {
    let dir = scratch("editor-modeline");
    let o = hazcheck_in(&dir, &["new", "site-cs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (file, must_reject) in [
        ("site-cs/2024.yaml", r#"{"ruleset": "x", "colour": "red"}"#),
        (
            "site-cs/examples/major-no-attendant.yaml",
            r#"{"ruleset": "x", "date": "2025-03-10", "answer": {}}"#,
        ),
    ] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).expect("read scaffold");
        let first = text.lines().next().unwrap_or_default();
        let schema = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{file} has no modeline on its first line: {first}"));
        let schema_path = path.parent().expect("parent").join(schema);
        assert!(schema_path.is_file(), "{file}: {schema} does not exist");
        let boon = Boon::load(&schema_path);
        if let Some(e) = boon.errors(&yaml_json(&path)) {
            panic!("{file} does not match its own schema:\n{e}");
        }
        let wrong: serde_json::Value = serde_json::from_str(must_reject).expect("json");
        assert!(
            boon.errors(&wrong).is_some(),
            "{schema} accepts a misspelled key"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
