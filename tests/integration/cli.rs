//! Every subcommand, exit code and output format of the binary.

use crate::support::*;

const DEMO: &str = "tests/fixtures/demo/demo.yaml";
const MAJOR: &str = "tests/fixtures/demo/examples/major-deep-pit.yaml";

#[test]
fn check_exit_codes() {
    assert_eq!(hazcheck(&["check", DEMO]).status.code(), Some(0));
    assert_eq!(
        hazcheck(&["check", "tests/fixtures/demo", "--deny-warnings"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        hazcheck(&["check", "tests/diagnostics/E0202-unknown-item.yaml"])
            .status
            .code(),
        Some(1)
    );
    let o = hazcheck(&["check", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such file"), "{}", stderr(&o));
    assert_eq!(
        hazcheck(&["check"]).status.code(),
        Some(2),
        "missing argument is a usage error"
    );
    assert_eq!(
        hazcheck(&["check", DEMO, "--format", "yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn check_formats() {
    let bad = "tests/diagnostics/E0202-unknown-item.yaml";
    let human = stdout(&hazcheck(&["check", bad]));
    assert!(
        human.contains("error[E0202]: unknown item `guard.presnt`"),
        "{human}"
    );
    assert!(
        human.contains("--> tests/diagnostics/E0202-unknown-item.yaml:15:18"),
        "{human}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&hazcheck(&["check", bad, "--format", "json"])))
            .expect("json");
    assert_eq!(json["errors"], 1);
    assert_eq!(json["diagnostics"][0]["code"], "E0202");
    assert_eq!(json["diagnostics"][0]["line"], 15);
    assert_eq!(json["diagnostics"][0]["column"], 18);
    let sarif: serde_json::Value =
        serde_json::from_str(&stdout(&hazcheck(&["check", bad, "--format", "sarif"])))
            .expect("sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "E0202");
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        15
    );
    let junit = stdout(&hazcheck(&["check", bad, DEMO, "--format", "junit"]));
    let doc = roxmltree::Document::parse(&junit).expect("junit xml");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        1
    );
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let text =
        std::fs::read_to_string(root().join("tests/schemas/sarif-2.1.0.json")).expect("schema");
    // The published schema has a stray `]` in two `language` patterns that
    // the validator refuses; the corrected pattern is swapped in here. We
    // never write `language`, so nothing we emit escapes the check.
    let text = text.replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema json");
    let v = jsonschema::draft7::new(&schema).expect("validator");
    for args in [
        vec!["check", "tests/diagnostics", "--format", "sarif"],
        vec!["check", DEMO, "--format", "sarif"],
    ] {
        let out: serde_json::Value =
            serde_json::from_str(&stdout(&hazcheck(&args))).expect("sarif");
        let errors: Vec<String> = v.iter_errors(&out).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn eval_formats_languages_and_exit_codes() {
    let o = hazcheck(&["eval", "--ruleset", DEMO, MAJOR]);
    assert_eq!(o.status.code(), Some(0));
    let zh = stdout(&o);
    assert!(
        zh.contains("存在重大事故隐患") && zh.contains("c5.3"),
        "{zh}"
    );
    let en = stdout(&hazcheck(&[
        "eval",
        "--ruleset",
        DEMO,
        MAJOR,
        "--lang",
        "en",
    ]));
    assert!(
        en.contains("major hazard found")
            && en.contains("Deep excavation without third-party monitoring"),
        "{en}"
    );
    let md = stdout(&hazcheck(&[
        "eval",
        "--ruleset",
        DEMO,
        MAJOR,
        "--format",
        "markdown",
    ]));
    assert!(md.starts_with("## ") && md.contains("| `c5.3` |"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&hazcheck(&[
        "eval",
        "--ruleset",
        DEMO,
        MAJOR,
        "--format",
        "json",
    ])))
    .expect("json");
    assert_eq!(json["verdict"], "major");
    assert_eq!(json["findings"][0]["due"], "2025-04-09");
    assert!(json.get("explanations").is_none());
    let ex = stdout(&hazcheck(&[
        "eval",
        "--ruleset",
        DEMO,
        MAJOR,
        "--explain",
        "--lang",
        "en",
    ]));
    assert!(
        ex.contains("explanation:")
            && ex.contains("pit.hole_depth > pit.pile_diameter × 1 = false"),
        "{ex}"
    );
    assert_eq!(
        hazcheck(&["eval", "--ruleset", DEMO, MAJOR, "--fail-on", "major"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        hazcheck(&["eval", "--ruleset", DEMO, MAJOR, "--fail-on", "ordinary"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        hazcheck(&["eval", "--ruleset", "no-such-ruleset", MAJOR])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        hazcheck(&["eval", "--ruleset", DEMO, "no/such.yaml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn eval_reads_standard_input_and_is_deterministic() {
    let input = std::fs::read_to_string(root().join(MAJOR)).expect("read");
    let a = hazcheck_stdin(
        &[
            "eval",
            "--ruleset",
            DEMO,
            "-",
            "--format",
            "json",
            "--explain",
        ],
        &input,
    );
    let b = hazcheck_stdin(
        &[
            "eval",
            "--ruleset",
            DEMO,
            "-",
            "--format",
            "json",
            "--explain",
        ],
        &input,
    );
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let clean = hazcheck_stdin(
        &[
            "eval",
            "--ruleset",
            DEMO,
            "-",
            "--fail-on",
            "ordinary",
            "--format",
            "json",
        ],
        "ruleset: demo\ndate: 2025-03-10\nanswers: {pit.depth: 2, pit.hole_depth: 0.1, pit.pile_diameter: 0.8}\n",
    );
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let r: serde_json::Value = serde_json::from_str(&stdout(&clean)).expect("json");
    assert_eq!(r["verdict"], "clear");
    let partial = hazcheck_stdin(
        &["eval", "--ruleset", DEMO, "-", "--format", "json"],
        "ruleset: demo\ndate: 2025-03-10\n",
    );
    let r: serde_json::Value = serde_json::from_str(&stdout(&partial)).expect("json");
    assert_eq!(
        r["verdict"], "incomplete",
        "missing answers are never a pass"
    );
}

#[test]
fn test_command_exit_codes_and_formats() {
    let ok = hazcheck(&[
        "test",
        "tests/fixtures/demo",
        "--coverage",
        "--min-coverage",
        "100",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("4 passed, 0 failed"),
        "{}",
        stdout(&ok)
    );
    let failing = hazcheck(&["test", "tests/fixtures/failing"]);
    assert_eq!(failing.status.code(), Some(1));
    let text = stdout(&failing);
    assert!(
        text.contains("FAILED  wrong expectation")
            && text.contains("expected verdict major, got clear"),
        "{text}"
    );
    let below = hazcheck(&[
        "test",
        "tests/fixtures/failing/tests/failing.yaml",
        "--min-coverage",
        "100",
    ]);
    assert_eq!(below.status.code(), Some(1));
    let junit = stdout(&hazcheck(&[
        "test",
        "tests/fixtures/failing",
        "--format",
        "junit",
    ]));
    let doc = roxmltree::Document::parse(&junit).expect("xml");
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        1
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&hazcheck(&[
        "test",
        "tests/fixtures/demo",
        "--format",
        "json",
    ])))
    .expect("json");
    assert_eq!(json["passed"], 4);
    assert_eq!(json["coverage"][0]["rule_percent"], 100.0);
    assert_eq!(hazcheck(&["test", "no/such/folder"]).status.code(), Some(2));
}

#[test]
fn test_exits_2_when_the_rulesets_or_the_test_files_are_invalid() {
    // A ruleset with an error next to a valid test file.
    let dir = scratch("test-bad-ruleset");
    std::fs::create_dir_all(dir.join("tests")).expect("mkdir");
    std::fs::copy(
        root().join("tests/diagnostics/E0202-unknown-item.yaml"),
        dir.join("ruleset.yaml"),
    )
    .expect("copy");
    std::fs::write(
        dir.join("tests/cases.yaml"),
        "ruleset: unknown-item\ncases:\n  - {name: a, date: 2025-01-01, expect: {verdict: clear}}\n",
    )
    .expect("write");
    let o = hazcheck_in(&dir, &["test", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the ruleset has errors") && err.contains("error[E0202]"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&dir);
    // Test files that cannot be run: every problem located, with its code.
    for case in files_under(&root().join("tests/fixtures/bad-tests/tests"), &["yaml"]) {
        let name = case.strip_prefix(root()).expect("in the checkout");
        let name = name.to_string_lossy();
        let o = hazcheck(&["test", &name]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = stderr(&o);
        let code = case
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.split('-').next())
            .expect("a code");
        assert!(err.contains(&format!("[{code}]")), "{name}: {err}");
        assert_snapshot(&case.with_extension("out"), &err);
    }
}

#[test]
fn schema_and_list() {
    for kind in ["ruleset", "inspection", "report"] {
        let o = hazcheck(&["schema", kind]);
        assert_eq!(o.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
        assert!(v["properties"].is_object(), "{kind}");
    }
}

#[test]
fn list_shows_every_built_in_version_with_its_period_and_counts() {
    let o = hazcheck(&["list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "ruleset", "version", "in", "force", "domain", "items", "rules", "major", "title"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    let library = hazcheck::builtin::load(hazcheck::Limits::default())
        .library
        .expect("built-in rulesets");
    let mut expected = Vec::new();
    for id in library.ids() {
        for v in library.versions(id) {
            let info = v.info();
            let major = v
                .model()
                .rules
                .iter()
                .filter(|r| r.level.value == hazcheck::Level::Major)
                .count();
            expected.push(vec![
                info.id.clone(),
                info.version.clone(),
                format!(
                    "{}..{}",
                    info.effective_from,
                    info.effective_to.map_or(String::new(), |d| d.to_string())
                ),
                info.domain.clone().unwrap_or_else(|| "-".into()),
                v.item_count().to_string(),
                v.rule_count().to_string(),
                major.to_string(),
                info.title.get(hazcheck::Lang::Zh).to_string(),
            ]);
        }
    }
    assert!(expected.len() >= 2, "the built-in rulesets have versions");
    let got: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells: Vec<String> = r.iter().take(7).map(|c| c.to_string()).collect();
            cells.push(r[7..].join(" "));
            cells
        })
        .collect();
    assert_eq!(got, expected, "{text}");
}

#[test]
fn diff_shows_level_changes_first_and_behaviour_over_a_corpus() {
    let new = "tests/fixtures/demo-changed/demo.yaml";
    let o = hazcheck(&[
        "diff",
        DEMO,
        new,
        "--corpus",
        "tests/fixtures/demo/examples",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        ["level changes:", "  demo 2024: c5.3 major → ordinary"],
        "{text}"
    );
    assert!(text.contains("      value: 5 m → 4 m"), "{text}");
    assert!(
        text.contains("corpus: 1 inspection, 1 evaluated with both sides, 1 of them changes"),
        "{text}"
    );
    let md = stdout(&hazcheck(&["diff", DEMO, new, "--format", "markdown"]));
    assert!(
        md.contains("| `demo` | 2024 | `c5.3` | major | **ordinary** |"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&hazcheck(&[
        "diff",
        DEMO,
        new,
        "--format",
        "json",
        "--corpus",
        "tests/fixtures/demo/examples",
    ])))
    .expect("json");
    assert_eq!(
        json["rulesets"][0]["versions"][0]["changes"][0]["kind"],
        "level"
    );
    assert_eq!(json["corpus"]["changed"][0]["new_verdict"], "ordinary");
    let same = stdout(&hazcheck(&["diff", DEMO, DEMO]));
    assert!(same.contains("no change"), "{same}");
}

/// A ruleset and the modules it includes in one folder check from inside
/// that folder, by file name or as `.`, as they do from above it.
#[test]
fn includes_beside_the_ruleset_check_from_its_own_folder() {
    let dir = scratch("includes-here");
    copy_dir(&root().join("rulesets/shared"), &dir);
    let ruleset = std::fs::read_to_string(root().join("rulesets/confined-space/2024.yaml"))
        .expect("read ruleset");
    assert!(ruleset.contains("path: ../shared/"));
    std::fs::write(dir.join("cs.yaml"), ruleset.replace("../shared/", "")).expect("write");
    for target in ["cs.yaml", "./cs.yaml", "."] {
        let o = hazcheck_in(&dir, &["check", target, "--deny-warnings"]);
        assert!(
            o.status.success(),
            "check {target}:\n{}{}",
            stdout(&o),
            stderr(&o)
        );
    }
    let name = dir
        .file_name()
        .expect("named")
        .to_string_lossy()
        .into_owned();
    let parent = dir.parent().expect("parent");
    let o = hazcheck_in(parent, &["check", &format!("{name}/cs.yaml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
