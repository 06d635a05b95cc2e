//! The catalogue of hostile and malformed inputs under `tests/bad-inputs/`.
//!
//! Each case is one file with the exact errors it must give in a
//! `<name>.expected` file beside it, one line per error: the code, the
//! line and column, and the message. A `<name>.args` file adds flags,
//! mostly to set a limit low enough that a small file exceeds it.
//!
//! - `rulesets/`: checked with `hazcheck check --format json`; every error
//!   is `CODE LINE:COLUMN MESSAGE` (warnings are left out).
//! - `inspections/`: evaluated with `hazcheck eval` against
//!   `tests/bad-inputs/ruleset.yaml`. An inspection that cannot be read
//!   gives its rendered diagnostics in the same form; one that is evaluated
//!   gives its verdict, its answer diagnostics (`CODE item: MESSAGE`) and the
//!   errors of rules it left undetermined.
//! - `batch/`: run through `hazcheck batch` with the same ruleset; every
//!   input line gives a `line N:` entry, its verdict or its errors.
//!
//! Whatever a case holds, hazcheck must answer with these errors, quickly
//! and without crashing: a hang or a crash fails the test too. Run with
//! `HAZCHECK_BLESS=1` to rewrite the expected files, then review them.

use std::path::{Path, PathBuf};

use crate::support::*;

const RULESET: &str = "tests/bad-inputs/ruleset.yaml";

fn cases(kind: &str) -> Vec<PathBuf> {
    let dir = root().join("tests/bad-inputs").join(kind);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad-inputs")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x != "expected" && x != "args")
        })
        .collect();
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .expect("under the root")
        .to_string_lossy()
        .replace('\\', "/")
}

fn extra_args(case: &Path) -> Vec<String> {
    std::fs::read_to_string(case.with_extension("args"))
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn run(kind: &str, case: &Path) -> std::process::Output {
    let rel = relative(case);
    let mut args: Vec<String> = match kind {
        "rulesets" => vec!["check".into(), rel, "--format".into(), "json".into()],
        "inspections" => vec![
            "eval".into(),
            "--ruleset".into(),
            RULESET.into(),
            rel,
            "--format".into(),
            "json".into(),
        ],
        _ => vec!["batch".into(), "--ruleset".into(), RULESET.into(), rel],
    };
    args.extend(extra_args(case));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    hazcheck(&args)
}

/// The errors of `hazcheck check --format json`.
fn check_errors(o: &std::process::Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)));
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            format!(
                "{} {}:{} {}",
                d["code"].as_str().unwrap_or("?"),
                d["line"],
                d["column"],
                d["message"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Rendered diagnostics (`error[CODE]: message` then `--> file:L:C`), or
/// the plain `error: ...` line when there are none.
fn rendered_errors(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("error[") else {
            continue;
        };
        let (code, message) = rest.split_once("]: ").expect("code and message");
        let at = lines
            .get(i + 1)
            .and_then(|l| l.trim_start().strip_prefix("--> "))
            .and_then(|l| {
                let mut parts = l.rsplitn(3, ':');
                let col = parts.next()?;
                let line = parts.next()?;
                (col.parse::<u32>().is_ok() && line.parse::<u32>().is_ok())
                    .then(|| format!("{line}:{col}"))
            })
            .unwrap_or_else(|| "0:0".to_string());
        out.push(format!("{code} {at} {message}"));
    }
    if out.is_empty() {
        out.extend(text.lines().next().map(String::from));
    }
    out
}

fn inspection_outcome(o: &std::process::Output) -> Vec<String> {
    if o.status.code() != Some(0) {
        return rendered_errors(&stderr(o));
    }
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("report");
    report_outcome(&r)
}

/// A report's verdict, answer diagnostics and script errors.
fn report_outcome(r: &serde_json::Value) -> Vec<String> {
    let mut out = vec![format!("verdict {}", r["verdict"].as_str().unwrap_or("?"))];
    for d in r["input_diagnostics"].as_array().into_iter().flatten() {
        out.push(format!(
            "{} {}: {}",
            d["code"].as_str().unwrap_or("?"),
            d["item"].as_str().unwrap_or("?"),
            d["message"].as_str().unwrap_or("?")
        ));
    }
    for u in r["undetermined"].as_array().into_iter().flatten() {
        if let Some(e) = u["error"].as_str() {
            out.push(format!(
                "undetermined {}: {e}",
                u["rule"].as_str().unwrap_or("?")
            ));
        }
    }
    out
}

fn batch_outcome(o: &std::process::Output) -> Vec<String> {
    let mut out = Vec::new();
    for line in o.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let r: serde_json::Value = serde_json::from_slice(line).expect("a whole JSON record");
        let n = &r["line"];
        match r.get("report") {
            Some(rep) => out.extend(report_outcome(rep).iter().map(|l| format!("line {n}: {l}"))),
            None => {
                for e in r["errors"].as_array().expect("errors") {
                    out.push(format!(
                        "line {n}: {} {}:{} {}",
                        e["code"].as_str().unwrap_or("?"),
                        e["line"],
                        e["column"],
                        e["message"].as_str().unwrap_or("?")
                    ));
                }
            }
        }
    }
    out
}

fn run_kind(kind: &str) -> usize {
    let cases = cases(kind);
    for case in &cases {
        let o = run(kind, case);
        // A crash (a signal, or Rust's 101 for a panic) is never an answer.
        let code = o.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{}: exit {code:?}\n{}",
            relative(case),
            stderr(&o)
        );
        let lines = match kind {
            "rulesets" => {
                assert_eq!(code, Some(1), "{}: {}", relative(case), stdout(&o));
                check_errors(&o)
            }
            "inspections" => inspection_outcome(&o),
            _ => batch_outcome(&o),
        };
        assert!(
            lines.iter().any(|l| l.contains(" E0")
                || l.starts_with("E0")
                || l.contains("undetermined")
                || l.starts_with("error")),
            "{}: no error reported:\n{}",
            relative(case),
            lines.join("\n")
        );
        let mut text = lines.join("\n");
        text.push('\n');
        assert_snapshot(&case.with_extension("expected"), &text);
    }
    cases.len()
}

#[test]
fn hostile_rulesets_give_their_exact_errors() {
    run_kind("rulesets");
}

#[test]
fn hostile_inspections_give_their_exact_errors() {
    run_kind("inspections");
}

#[test]
fn hostile_batch_lines_give_their_exact_records() {
    run_kind("batch");
}

#[test]
fn the_catalogue_holds_at_least_forty_cases() {
    let n: usize = ["rulesets", "inspections", "batch"]
        .iter()
        .map(|k| cases(k).len())
        .sum();
    assert!(n >= 40, "only {n} cases");
    for kind in ["rulesets", "inspections", "batch"] {
        for case in cases(kind) {
            assert!(
                case.with_extension("expected").exists(),
                "{} has no expected file",
                relative(&case)
            );
        }
    }
}

/// Inputs that never end or never start: a device and a FIFO are refused
/// as rulesets (a FIFO would block `open`, `/dev/zero` never ends), and
/// inspections and reports are read no further than their limit.
#[cfg(unix)]
#[test]
fn endless_and_blocking_files_are_refused_or_read_bounded() {
    let dir = scratch("endless");
    let fifo = dir.join("fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    for path in ["/dev/zero", fifo.to_str().expect("utf-8 path")] {
        let o = hazcheck(&["check", path, "--format", "json"]);
        assert_eq!(o.status.code(), Some(1), "{path}: {}", stderr(&o));
        assert_eq!(
            check_errors(&o),
            ["E0001 0:0 cannot read `".to_string()
                + path
                + "`: not a regular file (rulesets and modules are read from files)"],
        );
    }
    // An include that names the FIFO from inside the ruleset's folder.
    let ruleset = dir.join("r.yaml");
    std::fs::write(
        &ruleset,
        "ruleset: x\ntitle: {zh: 甲, en: X}\neffective: {from: 2024-01-01}\ninclude: [{path: fifo.yaml}]\n",
    )
    .expect("write");
    let o = hazcheck(&[
        "check",
        ruleset.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let expected = format!(
        "E0309 4:18 cannot read `{}`: not a regular file (rulesets and modules are read from files)",
        hazcheck::load::normalize(&fifo.to_string_lossy())
    );
    assert!(check_errors(&o).contains(&expected), "{}", stdout(&o));
    let o = hazcheck(&["eval", "--ruleset", RULESET, "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[E0003]: file is larger than the limit of 1048576 bytes"),
        "{}",
        stderr(&o)
    );
    let o = hazcheck(&[
        "follow-up",
        "--previous",
        "/dev/zero",
        "--max-report-bytes",
        "4096",
        "tests/bad-inputs/inspections/03-impossible-date.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: /dev/zero is larger than the limit of 4096 bytes (raise it with --max-report-bytes)"
    );
}

/// Reports read back by `stats` and `follow-up` obey `--max-report-bytes`.
#[test]
fn reports_read_back_obey_their_limit() {
    let dir = scratch("report-limit");
    let report = dir.join("report.json");
    let o = hazcheck(&[
        "eval",
        "--ruleset",
        RULESET,
        "tests/bad-inputs/inspections/10-negative-count.yaml",
        "--format",
        "json",
    ]);
    std::fs::write(&report, &o.stdout).expect("write");
    let path = report.to_str().expect("utf-8");
    let o = hazcheck(&["stats", path, "--max-report-bytes", "100"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("is larger than the limit of 100 bytes (raise it with --max-report-bytes)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(hazcheck(&["stats", path]).status.code(), Some(0));
    let o = hazcheck(&[
        "follow-up",
        "--previous",
        path,
        "--ruleset",
        RULESET,
        "--max-inspection-bytes",
        "10",
        "tests/bad-inputs/inspections/10-negative-count.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "is larger than the limit of 10 bytes (raise it with --max-inspection-bytes)"
        ),
        "{}",
        stderr(&o)
    );
}

/// A report read back that is not UTF-8 is refused: from a file with the
/// offset of the first bad byte, from standard input as such.
#[test]
fn reports_read_back_must_be_utf8() {
    const BAD: &[u8] = b"{\"a\":\"\xff\"}";
    const INSPECTION: &str = "tests/bad-inputs/inspections/03-impossible-date.yaml";
    let dir = scratch("report-utf8");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, BAD).expect("write");
    let path = bad.to_str().expect("utf-8");
    let o = hazcheck(&["follow-up", "--previous", path, INSPECTION]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!("error: {path} is not valid UTF-8 (invalid byte at offset 6)\n")
    );
    let o = hazcheck_stdin(&["follow-up", "--previous", "-", INSPECTION], BAD);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "error: standard input is not valid UTF-8\n");
    let _ = std::fs::remove_dir_all(&dir);
}
