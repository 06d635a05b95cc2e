//! The shipped rulesets' sample inspections: each evaluates, with the
//! built-in rulesets, to the verdict its file name states (`clean-`,
//! `ordinary-`, `major-`), with every rule decided and no bad answer.

use crate::support::*;

#[test]
fn sample_inspections_give_the_verdict_their_name_states() {
    let mut examples = files_under(&root().join("rulesets"), &["yaml"]);
    examples.retain(|f| f.to_string_lossy().contains("/examples/"));
    for f in examples {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected = match name.split('-').next() {
            Some("clean") => "clear",
            Some("ordinary") => "ordinary",
            Some("major") => "major",
            _ => panic!(
                "{}: example names start with clean-, ordinary- or major-",
                f.display()
            ),
        };
        let rel = f
            .strip_prefix(root())
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let id = rel.split('/').nth(1).expect("rulesets/<id>/examples");
        let o = hazcheck(&["eval", "--ruleset", id, &rel, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{rel}: {}", stderr(&o));
        let r: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
        assert_eq!(r["verdict"], expected, "{rel}");
        assert_eq!(
            r["complete"], true,
            "{rel}: undetermined {:#}",
            r["undetermined"]
        );
        assert_eq!(r["input_diagnostics"], serde_json::json!([]), "{rel}");
    }
}
