//! `hazcheck diff`: every version compared, old and new values, the corpus
//! evaluated with the version in force on each side, exit codes and the
//! three formats.
//!
//! `tests/fixtures/diff/old` holds versions 2022 and 2024 of a small
//! ruleset; `new` changes 2024 (a level, a condition, a threshold, a basis,
//! deadlines, its period, rules and items added and removed), adds 2026 and
//! drops 2022. `examples` holds inspections for each case the corpus must
//! handle, one of them of another ruleset.

use crate::ci_doc::lower_a_major_rule;
use crate::support::*;

const OLD: &str = "tests/fixtures/diff/old";
const NEW: &str = "tests/fixtures/diff/new";
const CORPUS: &str = "tests/fixtures/diff/examples";

fn diff(args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    let o = hazcheck(&all);
    (o.status.code(), stdout(&o), stderr(&o))
}

#[test]
fn every_version_is_compared_with_old_and_new_values() {
    let (code, text, err) = diff(&[OLD, NEW, "--corpus", CORPUS]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = text.lines().collect();
    // Level changes stand above everything else.
    assert_eq!(lines[0], "level changes:", "{text}");
    assert_eq!(lines[1], "  pits 2024: standing-water ordinary → major");
    for want in [
        "  version 2022 (2022-01-01..2023-12-31): removed",
        "  version 2024 (2024-01-01.. → 2024-01-01..2025-12-31): changed",
        "  version 2026 (2026-01-01..): added",
        "      basis: std 5.3 → std 5.3(1)",
        "      condition: pit.water is yes → all(pit.water is yes, pit.depth > 2)",
        "      deadline: 3 days → 5 days",
        "      value: 5 m → 4 m",
        "      deadlines: ordinary 7 days, major 30 days → ordinary 10 days, major 30 days",
        "    added rule no-ladder: ordinary, basis std 6.3",
        "    removed rule no-fence: ordinary, basis std 6.2",
        "    added item pit.ladder: yes_no: 是否设置上下通道 / Access ladder in place?",
        "    removed item pit.fence: yes_no: 是否设置临边防护 / Edge protection in place?",
    ] {
        assert!(lines.contains(&want), "missing `{want}` in\n{text}");
    }
    assert_snapshot(&root().join("tests/fixtures/diff/human.out"), &text);
}

#[test]
fn the_corpus_uses_the_version_in_force_on_each_side() {
    let (code, text, err) = diff(&[OLD, NEW, "--corpus", CORPUS, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let c = &v["corpus"];
    assert_eq!(c["inspections"], 6, "{c}");
    assert_eq!(c["evaluated"], 3, "{c}");
    let changed: Vec<(String, String, String, String)> = c["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|x| {
            (
                x["inspection"].as_str().unwrap_or_default().to_string(),
                format!("{} → {}", x["old_version"], x["new_version"]),
                format!("{} → {}", x["old_verdict"], x["new_verdict"]),
                x["rules"][0]["rule"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            (
                format!("{CORPUS}/c-2024-water-becomes-major.yaml"),
                r#""2024" → "2024""#.to_string(),
                r#""ordinary" → "major""#.to_string(),
                "standing-water".to_string()
            ),
            (
                format!("{CORPUS}/e-2026-new-version.yaml"),
                r#""2024" → "2026""#.to_string(),
                r#""incomplete" → "major""#.to_string(),
                "deep-unmonitored".to_string()
            ),
        ]
    );
    assert_eq!(
        c["changed"][0]["rules"][0]["old"], "ordinary, due 2024-06-06",
        "the rule's own deadline (3 days) before"
    );
    assert_eq!(c["changed"][0]["rules"][0]["new"], "major, due 2024-06-08");
    // No version in force on a side: reported, not dropped.
    assert_eq!(
        c["uncovered"][0]["inspection"],
        format!("{CORPUS}/a-2021-before-every-version.yaml")
    );
    assert_eq!(c["uncovered"][0]["old_version"], serde_json::Value::Null);
    assert_eq!(c["uncovered"][1]["old_version"], "2022");
    assert_eq!(c["uncovered"][1]["new_version"], serde_json::Value::Null);
    // Another ruleset's inspection: skipped with the reason, never mixed in.
    assert_eq!(c["skipped"].as_array().map(Vec::len), Some(1));
    assert_eq!(c["skipped"][0]["ruleset"], "demo");
    assert!(
        c["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("`demo`") && r.contains("not compared")),
        "{c}"
    );
    // The structural part carries old and new values too.
    let versions = &v["rulesets"][0]["versions"];
    assert_eq!(versions[0]["status"], "removed");
    assert_eq!(versions[2]["status"], "added");
    let first = &versions[1]["changes"][0];
    assert_eq!(first["kind"], "level");
    assert_eq!(first["fields"][0]["old"], "ordinary");
    assert_eq!(first["fields"][0]["new"], "major");
}

#[test]
fn markdown_is_a_pull_request_comment_with_level_changes_first() {
    let (code, md, err) = diff(&[OLD, NEW, "--corpus", CORPUS, "--format", "markdown"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        md.starts_with("## Ruleset change\n\n### Level changes\n"),
        "{md}"
    );
    assert!(
        md.contains("| `pits` | 2024 | `standing-water` | ordinary | **major** |"),
        "{md}"
    );
    assert!(
        md.contains("| changed | rule | `standing-water` | condition | pit.water is yes | all(pit.water is yes, pit.depth &gt; 2) |"),
        "{md}"
    );
    assert!(
        md.contains("| `pits` | 2026 | 2026-01-01.. | added |  |"),
        "{md}"
    );
    assert!(md.contains("### Behaviour over the corpus"), "{md}");
    // Every table row has as many cells as its header.
    let mut width = 0;
    for line in md.lines() {
        if !line.starts_with('|') {
            width = 0;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        if width == 0 {
            width = cells;
        }
        assert_eq!(cells, width, "ragged row `{line}`");
    }
    assert_snapshot(&root().join("tests/fixtures/diff/markdown.out"), &md);
}

#[test]
fn issue_4_diff_compares_the_version_in_force_not_only_the_newest() {
    // The reproducer of the report: two copies of the shipped rulesets, a
    // major rule of the older confined-space version lowered in one. The
    // newest version is the same on both sides, so comparing only that
    // said "no change".
    let tmp = scratch("diff-older-version");
    copy_dir(&root().join("rulesets"), &tmp.join("base"));
    copy_dir(&root().join("rulesets"), &tmp.join("new"));
    let (version, rule, example) = lower_a_major_rule(&tmp.join("new"));
    let o = hazcheck_in(
        &tmp,
        &[
            "diff",
            "base/confined-space",
            "new/confined-space",
            "--corpus",
            "new/confined-space/examples",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!(
            "  confined-space {version}: {rule} major → ordinary"
        )),
        "{text}"
    );
    assert!(!text.contains("no change to rules"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains(&example))
        .unwrap_or_else(|| panic!("{example} not listed as changed:\n{text}"));
    assert!(
        line.contains(&format!("confined-space {version} → {version}")),
        "evaluated with the version in force on its date: {line}"
    );
    assert!(text.contains(&format!("    {rule}: major")), "{text}");
    // The whole folder compares every ruleset; only the changed one differs.
    let all = hazcheck_in(&tmp, &["diff", "base", "new", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&all)).expect("json");
    let statuses: Vec<(String, String)> = v["rulesets"]
        .as_array()
        .expect("rulesets")
        .iter()
        .map(|r| (r["new_id"].to_string(), r["status"].to_string()))
        .collect();
    let changed: Vec<&(String, String)> = statuses
        .iter()
        .filter(|(_, s)| s != "\"unchanged\"")
        .collect();
    assert_eq!(
        changed,
        vec![&("\"confined-space\"".to_string(), "\"changed\"".to_string())],
        "{statuses:?}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn a_built_in_id_is_compared_with_its_folder() {
    let (code, text, err) = diff(&["confined-space", "rulesets/confined-space"]);
    assert_eq!(code, Some(0), "{err}");
    let versions = text.lines().filter(|l| l.starts_with("  version ")).count();
    let library = hazcheck::builtin::load(hazcheck::Limits::default())
        .library
        .expect("built-in rulesets");
    assert_eq!(versions, library.versions("confined-space").len(), "{text}");
    assert!(
        text.ends_with("no change to rules, items, parameters or documents\n"),
        "{text}"
    );
}

#[test]
fn diff_exit_codes() {
    // Changes are not failures.
    assert_eq!(diff(&[OLD, NEW]).0, Some(0));
    let (code, _, err) = diff(&[OLD, "no/such/ruleset"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("neither a file nor a built-in ruleset"),
        "{err}"
    );
    let (code, _, err) = diff(&["rulesets/shared", NEW]);
    assert_eq!(code, Some(2));
    assert!(err.contains("holds no ruleset"), "{err}");
    let (code, _, err) = diff(&[OLD, "tests/diagnostics/E0202-unknown-item.yaml"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("E0202"), "{err}");
    assert_eq!(diff(&[OLD]).0, Some(2), "a missing side is a usage error");
    // A corpus that cannot be read, or holds an invalid inspection.
    let (code, _, err) = diff(&[OLD, NEW, "--corpus", "no/such/folder"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read no/such/folder"), "{err}");
    let bad = scratch("diff-bad-corpus");
    std::fs::write(bad.join("broken.yaml"), "ruleset: pits\nanswers: {}\n").expect("write");
    let bad_dir = bad.display().to_string();
    let (code, _, err) = diff(&[OLD, NEW, "--corpus", &bad_dir]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("is not a valid inspection") && err.contains("E0102"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&bad);
}

#[test]
fn diff_takes_the_limit_flags() {
    let (code, _, err) = diff(&[OLD, NEW, "--max-rules", "1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("E0003"), "{err}");
    let (code, _, err) = diff(&[OLD, NEW, "--corpus", CORPUS, "--max-inspection-bytes", "16"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("larger than the limit of 16 bytes"), "{err}");
    // Limits that hold change nothing.
    let (code, text, _) = diff(&[OLD, NEW, "--max-rules", "3"]);
    assert_eq!(code, Some(0));
    assert!(text.starts_with("level changes:"), "{text}");
}
