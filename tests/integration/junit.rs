//! JUnit output of `hazcheck test` and `hazcheck check`, read the way CI
//! systems read it: every reason for a non-zero exit is a failing test
//! case, identities are unique and stable, counts add up.

use crate::support::*;

/// One test case of a JUnit report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JunitCase {
    pub suite: String,
    pub classname: String,
    pub name: String,
    /// The failure's message and text, when the case failed.
    pub failure: Option<(String, String)>,
}

const REPORT_ATTRIBUTES: &[&str] = &[
    "name",
    "tests",
    "failures",
    "errors",
    "skipped",
    "time",
    "timestamp",
];
const SUITE_ATTRIBUTES: &[&str] = &[
    "name",
    "tests",
    "failures",
    "errors",
    "skipped",
    "time",
    "timestamp",
    "hostname",
    "id",
    "package",
    "file",
];

/// Reads a JUnit report and checks its structure against what JUnit
/// consumers (Jenkins, GitLab, the GitHub test reporters) rely on: a
/// `testsuites` root holding only `testsuite` elements, each holding only
/// `testcase` elements; `tests`, `failures`, `errors` and `skipped` on each
/// suite that count its cases, and on the root that add up the suites;
/// each case with a `name` and a `classname` and at most one outcome
/// element (`failure`, `error` or `skipped`), a failure with a `message`;
/// no attribute or element outside the format. Panics with the reason when
/// the report breaks one of these.
pub fn junit_cases(xml: &str) -> Vec<JunitCase> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites", "root element");
    let count = |n: roxmltree::Node<'_, '_>, attr: &str| -> usize {
        n.attribute(attr)
            .unwrap_or_else(|| panic!("<{}> has no `{attr}`", n.tag_name().name()))
            .parse()
            .unwrap_or_else(|e| panic!("`{attr}` is not a count: {e}"))
    };
    let only_attributes = |n: roxmltree::Node<'_, '_>, allowed: &[&str]| {
        for a in n.attributes() {
            assert!(
                allowed.contains(&a.name()),
                "<{}> has an attribute `{}` outside the format",
                n.tag_name().name(),
                a.name()
            );
        }
    };
    only_attributes(root, REPORT_ATTRIBUTES);
    let mut cases = Vec::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for suite in root.children().filter(roxmltree::Node::is_element) {
        assert_eq!(
            suite.tag_name().name(),
            "testsuite",
            "child of <testsuites>"
        );
        only_attributes(suite, SUITE_ATTRIBUTES);
        let suite_name = suite.attribute("name").expect("a suite has a name");
        let (mut t, mut f, mut e, mut s) = (0, 0, 0, 0);
        for case in suite.children().filter(roxmltree::Node::is_element) {
            match case.tag_name().name() {
                "testcase" => {}
                "properties" | "system-out" | "system-err" => continue,
                other => panic!("<{other}> inside <testsuite>"),
            }
            only_attributes(
                case,
                &["name", "classname", "time", "assertions", "file", "line"],
            );
            t += 1;
            let mut outcome: Option<(String, String)> = None;
            let mut outcomes = 0;
            for child in case.children().filter(roxmltree::Node::is_element) {
                match child.tag_name().name() {
                    "failure" => {
                        f += 1;
                        outcomes += 1;
                        let message = child.attribute("message").unwrap_or_else(|| {
                            panic!(
                                "a failure without a message in {:?}",
                                case.attribute("name")
                            )
                        });
                        assert!(!message.is_empty(), "an empty failure message");
                        outcome = Some((message.to_string(), child.text().unwrap_or("").into()));
                    }
                    "error" => {
                        e += 1;
                        outcomes += 1;
                    }
                    "skipped" => {
                        s += 1;
                        outcomes += 1;
                    }
                    "system-out" | "system-err" | "properties" => {}
                    other => panic!("<{other}> inside <testcase>"),
                }
            }
            assert!(outcomes <= 1, "a case with several outcomes");
            cases.push(JunitCase {
                suite: suite_name.to_string(),
                classname: case
                    .attribute("classname")
                    .expect("a case has a classname")
                    .to_string(),
                name: case
                    .attribute("name")
                    .expect("a case has a name")
                    .to_string(),
                failure: outcome,
            });
        }
        assert_eq!(count(suite, "tests"), t, "tests of suite {suite_name}");
        assert_eq!(
            count(suite, "failures"),
            f,
            "failures of suite {suite_name}"
        );
        assert_eq!(count(suite, "errors"), e, "errors of suite {suite_name}");
        if suite.attribute("skipped").is_some() {
            assert_eq!(count(suite, "skipped"), s, "skipped of suite {suite_name}");
        }
        (tests, failures, errors, skipped) = (tests + t, failures + f, errors + e, skipped + s);
    }
    assert_eq!(count(root, "tests"), tests, "tests of the report");
    assert_eq!(count(root, "failures"), failures, "failures of the report");
    assert_eq!(count(root, "errors"), errors, "errors of the report");
    if root.attribute("skipped").is_some() {
        assert_eq!(count(root, "skipped"), skipped, "skipped of the report");
    }
    cases
}

fn failed(cases: &[JunitCase]) -> Vec<&JunitCase> {
    cases.iter().filter(|c| c.failure.is_some()).collect()
}

#[test]
fn the_validator_rejects_what_junit_consumers_would() {
    let good = r#"<testsuites tests="1" failures="1" errors="0"><testsuite name="s" tests="1" failures="1" errors="0"><testcase name="a" classname="c"><failure message="m">t</failure></testcase></testsuite></testsuites>"#;
    assert_eq!(failed(&junit_cases(good)).len(), 1);
    for bad in [
        // Counts that do not match the cases.
        good.replace(
            r#"<testsuites tests="1" failures="1""#,
            r#"<testsuites tests="1" failures="0""#,
        ),
        good.replace(r#"name="s" tests="1""#, r#"name="s" tests="2""#),
        // A case without a class, a failure without a message.
        good.replace(r#" classname="c""#, ""),
        good.replace(r#"<failure message="m">"#, "<failure>"),
        // Elements where the format has none.
        good.replace("<testsuite ", "<suite ")
            .replace("</testsuite>", "</suite>"),
    ] {
        let result = std::panic::catch_unwind(|| junit_cases(&bad));
        assert!(result.is_err(), "accepted: {bad}");
    }
}

#[test]
fn every_case_of_the_shipped_rulesets_has_its_own_identity() {
    let o = hazcheck(&["test", "rulesets/", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cases = junit_cases(&stdout(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&hazcheck(&[
        "test",
        "rulesets/",
        "--format",
        "json",
    ])))
    .expect("json");
    let total = json["passed"].as_u64().unwrap_or(0) + json["failed"].as_u64().unwrap_or(0);
    assert_eq!(cases.len() as u64, total, "one JUnit case per test case");
    let mut ids: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| (c.classname.as_str(), c.name.as_str()))
        .collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "(classname, name) pairs repeat");
    // Each identity names the ruleset, the version and the file.
    for f in json["files"].as_array().expect("files") {
        let file = f["file"].as_str().expect("file");
        for c in f["cases"].as_array().expect("cases") {
            let class = format!(
                "hazcheck.{}.{}",
                f["ruleset"].as_str().expect("ruleset"),
                c["version"].as_str().expect("version")
            );
            let name = format!("{file}: {}", c["name"].as_str().expect("name"));
            assert!(
                cases.iter().any(|j| j.classname == class && j.name == name),
                "no JUnit case ({class}, {name})"
            );
        }
    }
    // Stable: the same run gives the same bytes.
    let again = hazcheck(&["test", "rulesets/", "--format", "junit"]);
    assert_eq!(o.stdout, again.stdout);
}

#[test]
fn a_coverage_floor_below_is_a_failing_case_with_the_gaps() {
    let file = "tests/fixtures/failing/tests/failing.yaml";
    let o = hazcheck(&["test", file, "--min-coverage", "100", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    let cases = junit_cases(&stdout(&o));
    let coverage: Vec<&JunitCase> = cases.iter().filter(|c| c.suite == "coverage").collect();
    assert_eq!(coverage.len(), 1, "{cases:?}");
    assert_eq!(coverage[0].classname, "hazcheck.demo.2024");
    assert_eq!(coverage[0].name, "coverage of demo 2024 is at least 100%");
    let (message, text) = coverage[0].failure.clone().expect("the floor fails");
    assert!(
        message.contains("rule coverage 0.0% is below 100%"),
        "{message}"
    );
    assert!(text.contains("rule c5.3: never fired"), "{text}");
    assert!(
        text.contains("clause jzg2024 5(3): no case makes a rule citing it fire"),
        "{text}"
    );
    // The log of the CI step says why it failed.
    let err = stderr(&o);
    assert!(
        err.contains("error: 1 of 1 cases failed")
            && err.contains("error: demo 2024: rule coverage 0.0% is below 100%"),
        "{err}"
    );
    // Meeting the floor: a passing coverage case, exit 0.
    let ok = hazcheck(&[
        "test",
        "tests/fixtures/demo",
        "--min-coverage",
        "100",
        "--format",
        "junit",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let cases = junit_cases(&stdout(&ok));
    assert!(failed(&cases).is_empty());
    assert_eq!(cases.iter().filter(|c| c.suite == "coverage").count(), 1);
    assert!(stderr(&ok).is_empty(), "{}", stderr(&ok));
}

#[test]
fn a_failure_carries_expected_actual_and_the_answers() {
    let o = hazcheck(&["test", "tests/fixtures/failing", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    let cases = junit_cases(&stdout(&o));
    let f = failed(&cases);
    assert_eq!(f.len(), 1);
    let (message, text) = f[0].failure.clone().expect("failure");
    assert_eq!(message, "expected verdict major, got clear");
    assert!(
        text.contains("answers: pit.depth=4, pit.hole_depth=0.5, pit.pile_diameter=0.8"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&hazcheck(&[
        "test",
        "tests/fixtures/failing",
        "--format",
        "json",
    ])))
    .expect("json");
    let case = &json["files"][0]["cases"][0];
    assert_eq!(case["passed"], false);
    assert_eq!(
        case["answers"],
        serde_json::json!({"pit.depth": 4, "pit.hole_depth": 0.5, "pit.pile_diameter": 0.8})
    );
    assert_eq!(case["failures"][0], "expected verdict major, got clear");
    // A passed case carries no answers.
    let ok: serde_json::Value = serde_json::from_str(&stdout(&hazcheck(&[
        "test",
        "tests/fixtures/demo",
        "--format",
        "json",
    ])))
    .expect("json");
    assert!(ok["files"][0]["cases"][0].get("answers").is_none());
}

#[test]
fn denied_warnings_fail_the_check_case() {
    let file = "tests/diagnostics/W0402-missing-translation.yaml";
    let o = hazcheck(&["check", file, "--deny-warnings", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    let cases = junit_cases(&stdout(&o));
    let f = failed(&cases);
    assert_eq!(f.len(), 1, "{cases:?}");
    let (message, text) = f[0].failure.clone().expect("failure");
    assert_eq!(message, "1 warning (--deny-warnings)");
    assert!(text.contains("warning[W0402]"), "{text}");
    let err = stderr(&o);
    assert!(
        err.contains("error: checked 1 file: 1 warning (warnings fail with --deny-warnings)"),
        "{err}"
    );
    // Without the flag the same file passes, and the warning is kept.
    let o = hazcheck(&["check", file, "--format", "junit"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(failed(&junit_cases(&stdout(&o))).is_empty());
    assert!(stdout(&o).contains("<system-out>warning[W0402]"));
}

#[test]
fn every_non_zero_exit_has_a_failing_case() {
    for args in [
        vec!["check", "tests/diagnostics", "--format", "junit"],
        vec!["check", "tests/fixtures/demo", "--format", "junit"],
        vec![
            "check",
            "tests/diagnostics/W0401-unused-item.yaml",
            "--deny-warnings",
            "--format",
            "junit",
        ],
        vec!["test", "tests/fixtures/demo", "--format", "junit"],
        vec!["test", "tests/fixtures/failing", "--format", "junit"],
        vec![
            "test",
            "tests/fixtures/failing/tests/failing.yaml",
            "--min-coverage",
            "100",
            "--format",
            "junit",
        ],
    ] {
        let o = hazcheck(&args);
        let cases = junit_cases(&stdout(&o));
        assert!(!cases.is_empty(), "{args:?}");
        assert_eq!(
            o.status.code() == Some(1),
            !failed(&cases).is_empty(),
            "{args:?}: exit {:?} with {} failing cases",
            o.status.code(),
            failed(&cases).len()
        );
    }
}
