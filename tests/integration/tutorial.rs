//! The documents that show commands run them: every ```console block of
//! docs/tutorial.md, README.md, docs/embedding.md, docs/ruleset-format.md
//! and the README.md of every shipped ruleset (and of docs/closed-loop.md,
//! from `closed_loop.rs`) is executed and its output compared, byte for
//! byte, with what the binary prints.
//!
//! A console block holds commands (`$ hazcheck ...`) each followed by its
//! output (standard output, then standard error, as a terminal shows them
//! with `2>&1`). A command that exits with a code other than 0 must be
//! followed by `$ echo $?` showing the code. The tutorial also carries two
//! kinds of HTML comments, invisible when the page is rendered:
//!
//! - `<!-- tutorial: copy STEP -->` copies `tests/tutorial/STEP/` over the
//!   working folder: the reader's edits of that step;
//! - `<!-- tutorial: file PATH -->` before a fenced block: the block is part
//!   of that file as it is at this point (a line `# ...` separates excerpts,
//!   which must appear in order).
//!
//! With `HAZCHECK_BLESS=1` the outputs shown are rewritten from the real
//! ones; file excerpts are never rewritten, they are the reader's input.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// One thing the document asks for, in document order.
enum Step {
    Copy(String),
    File {
        path: String,
        text: String,
        line: usize,
    },
    Run(Vec<Shown>),
}

/// A command and the output shown under it: lines `output.0..output.1` of
/// the document.
struct Shown {
    command: String,
    line: usize,
    output: (usize, usize),
}

fn parse(doc: &str) -> Vec<Step> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut steps = Vec::new();
    let mut pending_file: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line
            .trim()
            .strip_prefix("<!-- tutorial:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            let rest = rest.trim();
            if let Some(step) = rest.strip_prefix("copy ") {
                steps.push(Step::Copy(step.trim().to_string()));
            } else if let Some(path) = rest.strip_prefix("file ") {
                pending_file = Some(path.trim().to_string());
            } else {
                panic!("line {}: unknown tutorial marker `{rest}`", i + 1);
            }
            i += 1;
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end] != "```" {
            end += 1;
        }
        assert!(end < lines.len(), "line {}: unclosed code block", i + 1);
        if let Some(path) = pending_file.take() {
            steps.push(Step::File {
                path,
                text: lines[start..end].join("\n"),
                line: start,
            });
        } else if info.trim() == "console" {
            let mut shown: Vec<Shown> = Vec::new();
            for (n, l) in lines.iter().enumerate().take(end).skip(start) {
                if let Some(cmd) = l.strip_prefix("$ ") {
                    shown.push(Shown {
                        command: cmd.to_string(),
                        line: n + 1,
                        output: (n + 1, n + 1),
                    });
                } else if let Some(last) = shown.last_mut() {
                    last.output.1 = n + 1;
                } else {
                    panic!("line {}: a console block starts with a command", n + 1);
                }
            }
            steps.push(Step::Run(shown));
        }
        i = end + 1;
    }
    assert!(
        pending_file.is_none(),
        "a file marker is not followed by a block"
    );
    steps
}

/// Runs `command` as a reader's shell would, with this build's binary first
/// on the `PATH`; the result is the combined output and the exit code.
fn shell(command: &str, dir: &Path) -> (String, i32) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} 2>&1"))
        .current_dir(dir)
        .env("PATH", path_with_binary())
        .env("NO_COLOR", "1")
        .output()
        .expect("run sh");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// What replaying a document found.
struct Replay {
    /// The document with the outputs it should show.
    blessed: String,
    /// Outputs that differ from the document: blessing fixes these.
    outputs: Vec<String>,
    /// Everything else (excerpts, unshown exit codes): only a person can.
    other: Vec<String>,
}

/// Runs every step of a document in `dir`.
fn run_doc(doc_path: &Path, dir: &Path, steps_dir: Option<&Path>) -> Replay {
    let doc = std::fs::read_to_string(doc_path).expect("read document");
    let name = doc_path.file_name().unwrap_or_default().to_string_lossy();
    let lines: Vec<&str> = doc.lines().collect();
    let mut replacements: Vec<((usize, usize), String)> = Vec::new();
    let mut outputs = Vec::new();
    let mut other = Vec::new();
    let mut commands = 0;
    for step in parse(&doc) {
        match step {
            Step::Copy(s) => {
                let from = steps_dir
                    .unwrap_or_else(|| panic!("{name}: copy markers need a steps folder"))
                    .join(&s);
                copy_dir(&from, dir);
            }
            Step::File { path, text, line } => {
                let actual = std::fs::read_to_string(dir.join(&path))
                    .unwrap_or_else(|e| panic!("{name}:{line}: {path}: {e}"));
                let mut rest = actual.as_str();
                for excerpt in text.split("\n# ...\n") {
                    let excerpt = excerpt.trim_matches('\n');
                    match rest.find(excerpt) {
                        Some(at) => rest = &rest[at + excerpt.len()..],
                        None => other.push(format!(
                            "{name}:{line}: this excerpt is not in {path} (or not in this order):\n{excerpt}\n--- {path} is:\n{actual}"
                        )),
                    }
                }
            }
            Step::Run(shown) => {
                let mut last_code = 0;
                for (k, s) in shown.iter().enumerate() {
                    commands += 1;
                    let (output, code) = if s.command == "echo $?" {
                        (format!("{last_code}\n"), 0)
                    } else if s.command.starts_with("hazcheck ")
                        || (s.command.starts_with("printf ") && s.command.contains("| hazcheck "))
                    {
                        shell(&s.command, dir)
                    } else {
                        panic!(
                            "{name}:{}: only `hazcheck` commands (also fed by `printf '...' |`) and `echo $?` can be shown in a console block",
                            s.line
                        );
                    };
                    if code != 0 && shown.get(k + 1).is_none_or(|n| n.command != "echo $?") {
                        other.push(format!(
                            "{name}:{}: `{}` exits with {code}; show it with `$ echo $?`",
                            s.line, s.command
                        ));
                    }
                    last_code = code;
                    let expected: String = lines[s.output.0..s.output.1]
                        .iter()
                        .map(|l| format!("{l}\n"))
                        .collect();
                    if expected != output {
                        outputs.push(format!(
                            "{name}:{}: `{}` printed\n{output}--- but the document shows\n{expected}",
                            s.line, s.command
                        ));
                    }
                    replacements.push((s.output, output));
                }
            }
        }
    }
    assert!(commands > 0, "{name} shows no command");
    let mut blessed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for ((from, to), output) in replacements.into_iter().rev() {
        blessed.splice(from..to, output.lines().map(String::from));
    }
    let mut text = blessed.join("\n");
    text.push('\n');
    Replay {
        blessed: text,
        outputs,
        other,
    }
}

pub(crate) fn check_doc(doc: &Path, dir: &Path, steps: Option<&Path>) {
    let replay = run_doc(doc, dir, steps);
    let mut problems = replay.other;
    if !replay.outputs.is_empty() {
        if std::env::var_os("HAZCHECK_BLESS").is_some() {
            std::fs::write(doc, replay.blessed).expect("write document");
        } else {
            problems.extend(replay.outputs);
            problems.push("(run with HAZCHECK_BLESS=1 to take the real outputs)".into());
        }
    }
    assert!(
        problems.is_empty(),
        "{} does not match what the commands do:\n\n{}",
        doc.display(),
        problems.join("\n\n")
    );
}

#[test]
fn the_tutorial_runs_as_written() {
    let dir = scratch("tutorial");
    let steps = root().join("tests/tutorial");
    check_doc(&root().join("docs/tutorial.md"), &dir, Some(&steps));

    // Every step folder is used, so none can go stale unnoticed.
    let doc = std::fs::read_to_string(root().join("docs/tutorial.md")).expect("read");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&steps)
        .expect("tests/tutorial")
        .flatten()
        .map(|e| e.path())
        .collect();
    folders.sort();
    for f in folders {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        assert!(
            doc.contains(&format!("<!-- tutorial: copy {name} -->")),
            "tests/tutorial/{name} is not used by docs/tutorial.md"
        );
    }
    // The reader ends with a ruleset that passes what CI asks of the
    // shipped ones.
    let check = hazcheck_in(&dir, &["check", "site-cs", "--deny-warnings"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let test = hazcheck_in(&dir, &["test", "site-cs", "--min-coverage", "100"]);
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_readme_tour_runs_as_written() {
    check_doc(&root().join("README.md"), &root(), None);
}

#[test]
fn the_format_guide_starts_with_a_real_report() {
    check_doc(&root().join("docs/ruleset-format.md"), &root(), None);
}

#[test]
fn the_embedding_guide_shows_a_real_report() {
    check_doc(&root().join("docs/embedding.md"), &root(), None);
}

#[test]
fn the_parser_finds_commands_outputs_and_markers() {
    let doc = "text\n<!-- tutorial: copy 1-a -->\n<!-- tutorial: file x.yaml -->\n```yaml\na: 1\n```\n\n```console\n$ hazcheck list\nout 1\nout 2\n$ echo $?\n0\n```\n```sh\n$ not run\n```\n";
    let steps = parse(doc);
    assert_eq!(steps.len(), 3);
    assert!(matches!(&steps[0], Step::Copy(s) if s == "1-a"));
    assert!(
        matches!(&steps[1], Step::File { path, text, .. } if path == "x.yaml" && text == "a: 1")
    );
    let Step::Run(shown) = &steps[2] else {
        panic!("expected commands");
    };
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[0].command, "hazcheck list");
    assert_eq!(shown[0].output, (9, 11));
    assert_eq!(shown[1].output, (12, 13));
}

#[test]
fn the_ruleset_readmes_show_real_output() {
    for id in [
        "common-tasks",
        "confined-space",
        "construction",
        "flood-control",
        "forest-fire",
        "road-transport",
        "tourist-site",
    ] {
        check_doc(
            &root().join("rulesets").join(id).join("README.md"),
            &root(),
            None,
        );
    }
}
