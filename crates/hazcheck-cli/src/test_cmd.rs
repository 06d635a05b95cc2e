//! `hazcheck test`: runs ruleset test cases and reports coverage.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use hazcheck::testing::{self, TestFile, TestRun};
use hazcheck::{Limits, Loader, SourceMap};

use crate::render;

/// Finds test files: a file is taken as it is; a folder is walked for
/// `.yaml` files inside folders named `tests`.
fn discover(path: &Path, out: &mut Vec<PathBuf>) {
    fn walk(dir: &Path, in_tests: bool, out: &mut Vec<PathBuf>, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        if depth > 16 {
            return;
        }
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                walk(&p, in_tests || name == "tests", out, depth + 1);
            } else if in_tests && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                out.push(p);
            }
        }
    }
    if path.is_dir() {
        walk(path, path.file_name().is_some_and(|n| n == "tests"), out, 0);
    } else {
        out.push(path.to_path_buf());
    }
}

/// The folder whose rulesets a test file runs against: the parent of its
/// `tests` folder, or its own folder.
fn ruleset_dir(test: &Path) -> PathBuf {
    let dir = test.parent().unwrap_or(Path::new("."));
    if dir.file_name().is_some_and(|n| n == "tests") {
        dir.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

pub fn run(
    paths: &[PathBuf],
    human: bool,
    junit: bool,
    coverage: bool,
    min: Option<f64>,
    limits: &Limits,
    out: &mut dyn Write,
) -> Result<u8> {
    let limits = limits.clone();
    let mut tests = Vec::new();
    for p in paths {
        if !p.exists() {
            bail!("no such file or folder: {}", p.display());
        }
        discover(p, &mut tests);
    }
    tests.sort();
    tests.dedup();
    if tests.is_empty() {
        bail!("no test files found (test cases live in `tests/` folders next to rulesets)");
    }
    let mut dirs: Vec<PathBuf> = tests.iter().map(|t| ruleset_dir(t)).collect();
    dirs.sort();
    dirs.dedup();
    let mut loader = Loader::new(limits.clone());
    for d in &dirs {
        loader.add_path(d);
    }
    let outcome = loader.load();
    let library = crate::cli::library_or_errors(outcome)?;
    let mut sources = SourceMap::new();
    let mut files: Vec<TestFile> = Vec::new();
    let mut diags = Vec::new();
    for t in &tests {
        let text = std::fs::read_to_string(t)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", t.display()))?;
        match testing::parse(&text, &t.display().to_string(), &mut sources, &limits) {
            Ok(f) => files.push(f),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        bail!(
            "invalid test files:\n{}",
            render::human(&diags, &sources, false)
        );
    }
    let run = testing::run(&library, &files, &sources);
    let (passed, failed) = run.counts();
    let below: Vec<String> = match min {
        Some(min) => run
            .coverage
            .iter()
            .flat_map(|c| {
                let mut v = Vec::new();
                if c.rule_percent() < min {
                    v.push(format!(
                        "{} {}: rule coverage {:.1}% is below {min}%",
                        c.ruleset,
                        c.version,
                        c.rule_percent()
                    ));
                }
                if c.clause_percent() < min {
                    v.push(format!(
                        "{} {}: clause coverage {:.1}% is below {min}%",
                        c.ruleset,
                        c.version,
                        c.clause_percent()
                    ));
                }
                v
            })
            .collect(),
        None => Vec::new(),
    };
    let text = if junit {
        junit_text(&run)
    } else if human {
        human_text(&run, coverage, &below)
    } else {
        let mut s = serde_json::to_string_pretty(&serde_json::json!({
            "version": 1,
            "passed": passed,
            "failed": failed,
            "files": run.files,
            "coverage": run.coverage.iter().map(|c| serde_json::json!({
                "ruleset": c.ruleset, "version": c.version,
                "rule_percent": c.rule_percent(), "clause_percent": c.clause_percent(),
                "rules": c.rules, "clauses": c.clauses,
            })).collect::<Vec<_>>(),
            "coverage_failures": below,
        }))?;
        s.push('\n');
        s
    };
    out.write_all(text.as_bytes())?;
    Ok(u8::from(failed > 0 || !below.is_empty()))
}

fn human_text(run: &TestRun, coverage: bool, below: &[String]) -> String {
    let mut s = String::new();
    for f in &run.files {
        let _ = writeln!(s, "{} ({})", f.file, f.ruleset);
        for c in &f.cases {
            let version = c
                .version
                .as_deref()
                .map_or(String::new(), |v| format!(" [{v}]"));
            if c.passed {
                let _ = writeln!(s, "  ok      {}{version}", c.name);
            } else {
                let _ = writeln!(s, "  FAILED  {}{version} (line {})", c.name, c.line);
                for m in &c.failures {
                    let _ = writeln!(s, "          - {m}");
                }
                let fired = if c.fired.is_empty() {
                    "none".to_string()
                } else {
                    c.fired.join(", ")
                };
                let _ = writeln!(s, "          fired: {fired}");
                let answers: Vec<String> =
                    c.answers.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = writeln!(s, "          answers: {}", answers.join(", "));
            }
        }
    }
    if coverage {
        let _ = writeln!(s, "\ncoverage:");
        for c in &run.coverage {
            let _ = writeln!(
                s,
                "  {} {}: rules {:.1}%, clauses {:.1}%",
                c.ruleset,
                c.version,
                c.rule_percent(),
                c.clause_percent()
            );
            for r in &c.rules {
                if !(r.fired && r.not_fired) {
                    let what = match (r.fired, r.not_fired) {
                        (false, false) => "never fired, never decided",
                        (false, true) => "never fired",
                        _ => "never seen not firing",
                    };
                    let _ = writeln!(s, "    rule {}: {what}", r.rule);
                }
            }
            for cl in &c.clauses {
                if !cl.exercised {
                    let _ = writeln!(
                        s,
                        "    clause {} {}: no case makes a rule citing it fire",
                        cl.document, cl.clause
                    );
                }
            }
        }
    }
    for b in below {
        let _ = writeln!(s, "error: {b}");
    }
    let (passed, failed) = run.counts();
    let _ = writeln!(s, "\n{passed} passed, {failed} failed");
    s
}

fn junit_text(run: &TestRun) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("hazcheck test");
    for f in &run.files {
        let mut suite = TestSuite::new(f.file.clone());
        for c in &f.cases {
            let status = if c.passed {
                TestCaseStatus::success()
            } else {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(c.failures.first().cloned().unwrap_or_default());
                st.set_description(c.failures.join("\n"));
                st
            };
            let mut tc = TestCase::new(c.name.clone(), status);
            tc.set_classname(format!("hazcheck.{}", f.ruleset));
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    let mut s = report.to_string().unwrap_or_default();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
