//! One invalid ruleset per diagnostic code, each with its rendered output.
//!
//! `tests/diagnostics/<CODE>-<name>.yaml` (or a folder of that name, for
//! problems that span files) is checked with `hazcheck check`; the output
//! must match `<CODE>-<name>.out` and contain the code. Inspection codes
//! (E05xx) have their cases under `tests/inspections/`.

use hazcheck::Code;

use crate::support::*;

fn cases() -> Vec<(String, String)> {
    let dir = root().join("tests/diagnostics");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir)
        .expect("tests/diagnostics")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".out") {
            continue;
        }
        let stem = name.trim_end_matches(".yaml").to_string();
        out.push((stem, format!("tests/diagnostics/{name}")));
    }
    out.sort();
    out
}

#[test]
fn every_case_renders_as_recorded() {
    for (stem, path) in cases() {
        let o = hazcheck(&["check", &path]);
        let text = stdout(&o);
        let code = stem.split('-').next().unwrap_or_default();
        assert!(
            text.contains(&format!("[{code}]")),
            "{path} does not report {code}:\n{text}"
        );
        let expected_exit = if code.starts_with('W') { 0 } else { 1 };
        assert_eq!(
            o.status.code(),
            Some(expected_exit),
            "{path}: {}",
            stderr(&o)
        );
        assert_snapshot(&root().join(format!("tests/diagnostics/{stem}.out")), &text);
    }
}

#[test]
fn warnings_fail_with_deny_warnings() {
    let o = hazcheck(&[
        "check",
        "tests/diagnostics/W0401-unused-item.yaml",
        "--deny-warnings",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn every_code_has_a_case_and_documentation() {
    let docs =
        std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    let cases = cases();
    let inspections: Vec<String> = std::fs::read_dir(root().join("tests/inspections"))
        .expect("tests/inspections")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for code in Code::ALL {
        let c = code.as_str();
        let has_case = cases.iter().any(|(stem, _)| stem.starts_with(c))
            || inspections.iter().any(|n| n.starts_with(c));
        assert!(has_case, "no test case for {c} ({})", code.slug());
        assert!(
            docs.contains(c),
            "docs/diagnostics.md does not document {c}"
        );
    }
}

#[test]
fn all_problems_of_a_file_are_reported_in_one_run() {
    let o = hazcheck(&[
        "check",
        "tests/diagnostics/E0103-invalid-value.yaml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["errors"], 2, "{v}");
}
