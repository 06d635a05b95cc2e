//! `hazcheck batch`: one record per input line, in order, whatever the
//! lines hold; flat streaming; an interrupt leaves whole lines only.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::*;

const DEMO: &str = "tests/fixtures/demo/demo.yaml";

/// A major finding with the demo ruleset.
const MAJOR: &str =
    r#"{"ruleset":"demo","date":"2025-01-10","answers":{"pit.depth":6,"pit.monitoring":false}}"#;

fn records(out: &[u8]) -> Vec<serde_json::Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("every output line is whole JSON"))
        .collect()
}

/// What a record says, in one short string: the verdict of a report, or the
/// errors as `code@column`.
fn gist(r: &serde_json::Value) -> String {
    match r.get("report") {
        Some(rep) => rep["verdict"].as_str().unwrap_or("?").to_string(),
        None => r["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| format!("{}@{}", e["code"].as_str().unwrap_or("?"), e["column"]))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[test]
fn every_line_gives_one_record_in_input_order() {
    let long = format!(
        r#"{{"ruleset":"demo","date":"2025-01-10","id":"{}"}}"#,
        "x".repeat(300)
    );
    let mut input = Vec::new();
    for line in [
        MAJOR.as_bytes(),
        b"",
        b"\xff\xfe{}",
        b"not json",
        format!("{MAJOR}\r").as_bytes(),
        br#"{"ruleset":"nosuch","date":"2025-01-10"}"#,
        long.as_bytes(),
        b"   ",
        br#"{"ruleset":"demo","date":"2023-02-29"}"#,
        br#"{"ruleset":"demo","date":"2025-01-10","answers":{"pit.depth":1e999}}"#,
        br#"{"ruleset":"demo","date":"2025-01-10","answers":{"pit.depth":1,"pit.depth":2}}"#,
        br#"{"ruleset":"demo","date":"2025-01-10"}"#,
    ] {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    // The last line has no line ending and still counts.
    input.extend_from_slice(MAJOR.as_bytes());
    let o = hazcheck_stdin(
        &["batch", "--ruleset", DEMO, "--max-inspection-bytes", "200"],
        &input,
    );
    let recs = records(&o.stdout);
    let got: Vec<(u64, String)> = recs
        .iter()
        .map(|r| (r["line"].as_u64().expect("line"), gist(r)))
        .collect();
    let want: Vec<(u64, String)> = [
        "major",
        "E0002@0",
        "E0002@1",
        "E0002@1",
        "major",
        "E0507@12",
        "E0003@0",
        "E0002@0",
        "E0307@26",
        // A number beyond every range is an input diagnostic of that
        // answer, not a rejected line.
        "incomplete",
        "E0002@64",
        "incomplete",
        "major",
    ]
    .iter()
    .enumerate()
    .map(|(i, g)| (i as u64 + 1, g.to_string()))
    .collect();
    assert_eq!(got, want, "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1), "errors make the exit code 1");
    assert_eq!(
        stderr(&o),
        "batch: 13 lines: 5 reports (3 major, 0 ordinary, 2 incomplete, 0 clear), 8 errors\n"
    );
    // Every error is located on its input line.
    for r in &recs {
        for e in r["errors"].as_array().into_iter().flatten() {
            assert_eq!(e["line"], r["line"], "{r}");
        }
    }
}

#[test]
fn a_file_and_standard_input_give_the_same_records_on_any_number_of_threads() {
    let dir = scratch("batch-same");
    let path = dir.join("in.ndjson");
    let mut input = String::new();
    for i in 0..300 {
        input.push_str(&match i % 3 {
            0 => MAJOR.to_string(),
            1 => format!(r#"{{"ruleset":"demo","date":"2025-01-10","id":"n{i}"}}"#),
            _ => format!(r#"{{"ruleset":"demo","date":"2025-01-{i:02}"}}"#),
        });
        input.push('\n');
    }
    std::fs::write(&path, &input).expect("write input");
    let from_file = hazcheck(&["batch", "--ruleset", DEMO, path.to_str().expect("path")]);
    let from_stdin = hazcheck_stdin(&["batch", "--ruleset", DEMO, "-"], input.as_bytes());
    let one_thread = hazcheck_stdin(
        &["batch", "--ruleset", DEMO, "--jobs", "1"],
        input.as_bytes(),
    );
    assert_eq!(records(&from_file.stdout).len(), 300);
    assert_eq!(from_file.stdout, from_stdin.stdout);
    assert_eq!(from_file.stdout, one_thread.stdout);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn limit_flags_reach_each_line() {
    let line =
        br#"{"ruleset":"demo","date":"2025-01-10","answers":{"pit.depth":1,"pit.hole_depth":2}}"#;
    let o = hazcheck_stdin(&["batch", "--ruleset", DEMO, "--max-answers", "1"], line);
    let recs = records(&o.stdout);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["errors"][0]["code"], "E0003", "{}", recs[0]);
    assert_eq!(
        recs[0]["errors"][0]["message"],
        "2 answers, more than the limit of 1"
    );
    assert_eq!(recs[0]["errors"][0]["column"], 49);
    // The demo ruleset nests seven levels deep; the line nests eight.
    let deep = br#"{"ruleset":"demo","date":"2025-01-10","answers":{"x":[[[[[[1]]]]]]}}"#;
    let o = hazcheck_stdin(&["batch", "--ruleset", DEMO, "--max-yaml-depth", "7"], deep);
    let recs = records(&o.stdout);
    assert_eq!(
        recs[0]["errors"][0]["message"],
        "lists and mappings nested deeper than 7 levels",
        "{}",
        stderr(&o)
    );
    assert_eq!(recs[0]["errors"][0]["column"], 59);
}

/// Sends SIGINT the way a terminal's Ctrl-C does.
fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Waits until `path` holds at least `n` lines (no time limit is asserted;
/// a stuck run fails the test by its own timeout).
fn wait_for_lines(path: &Path, n: usize) {
    loop {
        let have = std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        if have >= n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn an_interrupt_while_waiting_for_input_stops_with_whole_lines() {
    let dir = scratch("batch-interrupt-stdin");
    let out_path = dir.join("out.ndjson");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hazcheck"))
        .args(["batch", "--ruleset", DEMO])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out_path).expect("out file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    for _ in 0..50 {
        writeln!(stdin, "{MAJOR}").expect("write");
    }
    stdin.flush().expect("flush");
    // The 50 records come out while the input is still open...
    wait_for_lines(&out_path, 50);
    // ...and an interrupt stops the run although no more input comes.
    interrupt(child.id());
    let o = child.wait_with_output().expect("wait");
    drop(stdin);
    assert_eq!(o.status.code(), Some(130));
    assert_eq!(
        stderr(&o),
        "batch: interrupted after 50 lines: 50 reports (50 major, 0 ordinary, 0 incomplete, 0 clear), 0 errors\n"
    );
    let recs = records(&std::fs::read(&out_path).expect("read"));
    assert_eq!(recs.len(), 50);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_interrupt_in_the_middle_of_a_file_leaves_a_valid_prefix() {
    let dir = scratch("batch-interrupt-file");
    let in_path = dir.join("in.ndjson");
    let out_path = dir.join("out.ndjson");
    // Long enough that the run is still going when the interrupt comes.
    let mut input = String::new();
    for i in 0..60_000 {
        input.push_str(if i % 7 == 3 { "{oops}" } else { MAJOR });
        input.push('\n');
    }
    std::fs::write(&in_path, &input).expect("write");
    let child = Command::new(env!("CARGO_BIN_EXE_hazcheck"))
        .args(["batch", "--ruleset", DEMO, in_path.to_str().expect("path")])
        .current_dir(root())
        .stdout(std::fs::File::create(&out_path).expect("out file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_lines(&out_path, 1);
    interrupt(child.id());
    let o = child.wait_with_output().expect("wait");
    let bytes = std::fs::read(&out_path).expect("read");
    assert!(bytes.ends_with(b"\n"), "the last line is whole");
    let recs = records(&bytes);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["line"], i as u64 + 1, "records are numbered in order");
        let want = if i % 7 == 3 { None } else { Some("major") };
        assert_eq!(r["report"]["verdict"].as_str(), want, "{r}");
    }
    // Whether or not the run finished before the signal landed, the
    // summary counts what was written.
    let summary = stderr(&o);
    match o.status.code() {
        Some(130) => assert!(
            summary.starts_with(&format!("batch: interrupted after {} lines", recs.len())),
            "{summary}"
        ),
        Some(1) => assert_eq!(recs.len(), 60_000),
        other => panic!("unexpected exit {other:?}: {summary}"),
    }
    let _ = std::fs::remove_dir_all(dir);
}
