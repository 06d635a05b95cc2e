//! `hazcheck new`: the scaffold passes the strictest check and full coverage
//! out of the box, never overwrites, and points its modelines at schemas
//! that exist.

use std::path::Path;

use crate::support::*;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_scaffold_checks_and_tests_with_full_coverage() {
    let dir = scratch("new-scaffold");
    let o = hazcheck_in(&dir, &["new", "site-cs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "created site-cs/2024.yaml\n\
         created site-cs/tests/v2024.yaml\n\
         created site-cs/examples/major-no-attendant.yaml\n\
         created site-cs/schema/ruleset.schema.json\n\
         created site-cs/schema/inspection.schema.json\n\
         \n\
         next:\n  \
         hazcheck check site-cs\n  \
         hazcheck test site-cs --coverage\n  \
         hazcheck eval --ruleset site-cs site-cs/examples/major-no-attendant.yaml\n"
    );

    let check = hazcheck_in(&dir, &["check", "site-cs", "--deny-warnings"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(stdout(&check).contains("no problems"), "{}", stdout(&check));

    let test = hazcheck_in(
        &dir,
        &["test", "site-cs", "--min-coverage", "100", "--coverage"],
    );
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    let text = stdout(&test);
    assert!(text.contains("rules 100.0%, clauses 100.0%"), "{text}");
    assert!(text.contains("3 passed, 0 failed"), "{text}");

    // The sample inspection is the major case the rule encodes.
    let eval = hazcheck_in(
        &dir,
        &[
            "eval",
            "--ruleset",
            "site-cs",
            "site-cs/examples/major-no-attendant.yaml",
            "--format",
            "json",
            "--fail-on",
            "major",
        ],
    );
    assert_eq!(eval.status.code(), Some(1), "{}", stderr(&eval));
    let report: serde_json::Value = serde_json::from_str(&stdout(&eval)).expect("report json");
    assert_eq!(report["verdict"], "major");
    assert_eq!(report["findings"][0]["rule"], "c2024.11.3");

    // The schema copies are the schemas of this binary.
    assert_eq!(
        read(&dir.join("site-cs/schema/ruleset.schema.json")),
        stdout(&hazcheck(&["schema", "ruleset"]))
    );
    assert_eq!(
        read(&dir.join("site-cs/schema/inspection.schema.json")),
        stdout(&hazcheck(&["schema", "inspection"]))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn new_never_overwrites() {
    let dir = scratch("new-no-overwrite");
    assert_eq!(hazcheck_in(&dir, &["new", "rs"]).status.code(), Some(0));
    let ruleset = dir.join("rs/2024.yaml");
    std::fs::write(&ruleset, "ruleset: rs # edited\n").expect("edit");
    std::fs::remove_file(dir.join("rs/tests/v2024.yaml")).expect("remove");

    let again = hazcheck_in(&dir, &["new", "rs"]);
    assert_eq!(again.status.code(), Some(2));
    let err = stderr(&again);
    assert!(
        err.contains("rs/2024.yaml") && err.contains("never overwrites"),
        "{err}"
    );
    // Nothing was written, not even the file that was missing.
    assert_eq!(read(&ruleset), "ruleset: rs # edited\n");
    assert!(!dir.join("rs/tests/v2024.yaml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_id_comes_from_the_folder_or_from_the_option() {
    let dir = scratch("new-ids");
    let bad = hazcheck_in(&dir, &["new", "my rules"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("`my rules` is not a valid ruleset id")
            && stderr(&bad).contains("--id"),
        "{}",
        stderr(&bad)
    );
    assert!(
        !dir.join("my rules").exists(),
        "nothing is written for a bad id"
    );

    let o = hazcheck_in(&dir, &["new", "my rules", "--id", "2025"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(read(&dir.join("my rules/2024.yaml")).contains("\nruleset: \"2025\"\n"));
    let test = hazcheck_in(&dir, &["test", "my rules", "--min-coverage", "100"]);
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inside_a_checkout_modelines_point_at_the_checked_in_schemas() {
    let dir = scratch("new-in-checkout");
    std::fs::create_dir_all(dir.join("docs/schema")).expect("mkdir");
    for kind in ["ruleset", "inspection"] {
        std::fs::write(
            dir.join(format!("docs/schema/{kind}.schema.json")),
            stdout(&hazcheck(&["schema", kind])),
        )
        .expect("write schema");
    }
    let o = hazcheck_in(&dir, &["new", "rulesets/./site-cs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("schema.json"), "{}", stdout(&o));
    assert!(!dir.join("rulesets/site-cs/schema").exists());
    let ruleset = read(&dir.join("rulesets/site-cs/2024.yaml"));
    assert!(
        ruleset
            .starts_with("# yaml-language-server: $schema=../../docs/schema/ruleset.schema.json\n"),
        "{ruleset}"
    );
    let example = read(&dir.join("rulesets/site-cs/examples/major-no-attendant.yaml"));
    assert!(
        example.starts_with(
            "# yaml-language-server: $schema=../../../docs/schema/inspection.schema.json\n"
        ),
        "{example}"
    );
    let check = hazcheck_in(&dir, &["check", "rulesets", "--deny-warnings"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let _ = std::fs::remove_dir_all(&dir);
}
