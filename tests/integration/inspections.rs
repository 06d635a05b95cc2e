//! Answer checking: one inspection per input diagnostic code, evaluated
//! against `tests/inspections/ruleset.yaml`.

use crate::support::*;

fn eval_json(file: &str) -> serde_json::Value {
    let o = hazcheck(&[
        "eval",
        "--ruleset",
        "tests/inspections/ruleset.yaml",
        file,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("report json")
}

#[test]
fn each_bad_answer_is_reported_with_its_code_and_treated_as_missing() {
    for (code, item) in [
        ("E0501", "guard.present"),
        ("E0502", "pit.depth"),
        ("E0503", "weather"),
        ("E0504", "guard.presnt"),
        ("E0505", "pit.monitoring"),
        ("E0506", "guard.present"),
        ("E0509", "events.speedng"),
        ("E0510", "deadlines.rules.no-gaurd"),
    ] {
        let file = std::fs::read_dir(root().join("tests/inspections"))
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(code))
            .expect("case file");
        let r = eval_json(&format!("tests/inspections/{file}"));
        let diags = r["input_diagnostics"].as_array().expect("diagnostics");
        assert!(
            diags.iter().any(|d| d["code"] == code && d["item"] == item),
            "{code}: {r:#}"
        );
        // A rejected answer never becomes a pass: the rules reading it are
        // undetermined, so the verdict cannot be clear.
        assert_ne!(r["verdict"], "clear", "{code}");
    }
}

#[test]
fn a_deadline_for_an_unknown_rule_is_not_used() {
    let r = eval_json("tests/inspections/E0510-deadline-unknown-rule.yaml");
    assert_eq!(
        r["input_diagnostics"][0]["message"],
        "ruleset `answers` 1 has no rule `no-gaurd` (line 7, column 15), so its deadline is not used; did you mean `no-guard`?"
    );
    assert_eq!(r["findings"][0]["rule"], "no-guard");
    assert!(r["findings"][0].get("due").is_none(), "{r:#}");
}

#[test]
fn strict_mode_rejects_bad_answers() {
    let o = hazcheck(&[
        "eval",
        "--ruleset",
        "tests/inspections/ruleset.yaml",
        "tests/inspections/E0502-answer-out-of-range.yaml",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E0502"), "{}", stderr(&o));
}

#[test]
fn unknown_ruleset_and_dates_out_of_force_are_errors() {
    let o = hazcheck(&[
        "eval",
        "--ruleset",
        "tests/inspections/ruleset.yaml",
        "tests/inspections/E0507-unknown-ruleset.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("E0507") && stderr(&o).contains("nosuch"),
        "{}",
        stderr(&o)
    );
    let o = hazcheck(&[
        "eval",
        "--ruleset",
        "tests/inspections/ruleset.yaml",
        "tests/inspections/E0508-no-version-in-force.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("E0508") && e.contains("2023-06-01") && e.contains("from 2024-01-01"),
        "{e}"
    );
}
