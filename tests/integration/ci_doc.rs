//! Runs every `hazcheck` command shown in docs/ci.md against the shipped
//! rulesets, with the base branch simulated by a copy of them next to the
//! checkout, so the documented CI jobs keep working.

use std::path::Path;
use std::process::Command;

use crate::support::*;

/// A change a reviewer must see: in the copy of the rulesets under `dir`,
/// a major rule of an older confined-space version (not the newest) that
/// decides one of the shipped examples is lowered to ordinary. Returns the
/// version, the rule and the example's file name. Found from the shipped
/// files rather than named here, so that it follows the rulesets.
pub fn lower_a_major_rule(dir: &Path) -> (String, String, String) {
    use hazcheck::{EvalOptions, Inspection, Level, Limits, Loader, SourceMap};
    let shipped = root().join("rulesets/confined-space");
    let mut loader = Loader::new(Limits::default());
    loader.add_path(&shipped);
    let library = loader.load().library.expect("confined-space loads");
    let versions = library.versions("confined-space");
    let newest = versions.last().expect("a version").info().version.clone();
    for example in files_under(&shipped.join("examples"), &["yaml"]) {
        let text = std::fs::read_to_string(&example).expect("example");
        let mut sources = SourceMap::new();
        let name = example.display().to_string();
        let inspection =
            Inspection::parse(&text, &name, &mut sources, &Limits::default()).expect("inspection");
        let report = library
            .evaluate(&inspection, &EvalOptions::default())
            .expect("in force");
        let version = report.ruleset.version.clone();
        if version == newest {
            continue;
        }
        let file = dir.join(format!("confined-space/{version}.yaml"));
        let yaml = std::fs::read_to_string(&file).expect("version file");
        for f in report.findings.iter().filter(|f| f.level == Level::Major) {
            let written = format!("  - id: {}\n    level: major\n", f.rule);
            if yaml.matches(&written).count() == 1 {
                let lowered = format!("  - id: {}\n    level: ordinary\n", f.rule);
                std::fs::write(&file, yaml.replace(&written, &lowered)).expect("write");
                let file_name = example.file_name().expect("name").to_string_lossy();
                return (version, f.rule.clone(), file_name.into_owned());
            }
        }
    }
    panic!("no example of an older confined-space version has a major finding to lower")
}

#[test]
fn every_command_in_the_ci_guide_runs() {
    let doc = std::fs::read_to_string(root().join("docs/ci.md")).expect("docs/ci.md");
    let commands: Vec<String> = doc
        .lines()
        .map(str::trim)
        .map(|l| l.trim_start_matches("- ").trim_start_matches("run: "))
        .filter(|l| l.starts_with("hazcheck "))
        .map(String::from)
        .collect();
    assert!(
        commands.len() >= 8,
        "expected the CI jobs' commands, found {commands:?}"
    );
    for needed in [
        "hazcheck check",
        "hazcheck test",
        "hazcheck diff",
        "--format sarif",
        "--min-coverage 100",
        "--corpus",
    ] {
        assert!(
            commands.iter().any(|c| c.contains(needed)),
            "no command uses `{needed}`"
        );
    }
    let tmp = scratch("ci-doc");
    let repo = tmp.join("repo");
    copy_dir(&root().join("rulesets"), &repo.join("rulesets"));
    copy_dir(&root().join("rulesets"), &tmp.join("base/rulesets"));
    // The base branch had the rule at ordinary; the change raises it to
    // major, as shipped. The diff must show that, not an identical copy.
    let (version, rule, example) = lower_a_major_rule(&tmp.join("base/rulesets"));
    let path = path_with_binary();
    for c in &commands {
        let out = Command::new("sh")
            .arg("-c")
            .arg(c)
            .current_dir(&repo)
            .env("PATH", &path)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "`{c}` failed with {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The SARIF and JUnit files the jobs upload are written and valid.
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("hazcheck.sarif")).expect("sarif file"),
    )
    .expect("sarif json");
    assert_eq!(sarif["version"], "2.1.0");
    for file in ["hazcheck-tests.xml", "hazcheck-check.xml"] {
        let junit = std::fs::read_to_string(repo.join(file)).expect("junit file");
        let cases = crate::junit::junit_cases(&junit);
        assert!(!cases.is_empty(), "{file}");
        assert!(cases.iter().all(|c| c.failure.is_none()), "{file}");
    }
    // The comparison shows the change: the level first, then the example
    // whose verdict it changes, evaluated with the version of its date.
    let diff = std::fs::read_to_string(repo.join("diff.md")).expect("diff.md");
    assert!(
        diff.starts_with("## Ruleset change\n\n### Level changes\n"),
        "{diff}"
    );
    assert!(
        diff.contains(&format!(
            "| `confined-space` | {version} | `{rule}` | ordinary | **major** |"
        )),
        "{diff}"
    );
    let row = diff
        .lines()
        .find(|l| l.contains(&example))
        .unwrap_or_else(|| panic!("{example} is not among the changes:\n{diff}"));
    assert!(
        row.contains(&format!("`confined-space` {version} → {version}"))
            && row.contains(&format!("`{rule}`: ordinary")),
        "{row}"
    );
    assert!(diff.contains("Unchanged: `common-tasks`"), "{diff}");
    let _ = std::fs::remove_dir_all(&tmp);
}
