//! Runs every `hazcheck` command shown in docs/ci.md against the shipped
//! rulesets, with the base branch simulated by a copy of them next to the
//! checkout, so the documented CI jobs keep working.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
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
    let tmp = std::env::temp_dir().join(format!("hazcheck-ci-doc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let repo = tmp.join("repo");
    copy_dir(&root().join("rulesets"), &repo.join("rulesets"));
    copy_dir(&root().join("rulesets"), &tmp.join("base/rulesets"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_hazcheck"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
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
    // The SARIF and JUnit files the jobs upload are written and parse.
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("hazcheck.sarif")).expect("sarif file"),
    )
    .expect("sarif json");
    assert_eq!(sarif["version"], "2.1.0");
    let junit = std::fs::read_to_string(repo.join("hazcheck-tests.xml")).expect("junit file");
    roxmltree::Document::parse(&junit).expect("junit xml");
    let diff = std::fs::read_to_string(repo.join("diff.md")).expect("diff.md");
    assert!(diff.starts_with("## Ruleset change"), "{diff}");
    let _ = std::fs::remove_dir_all(&tmp);
}
