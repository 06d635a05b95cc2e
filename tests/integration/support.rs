//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the workspace folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs the hazcheck binary from the repository root.
pub fn hazcheck(args: &[&str]) -> Output {
    hazcheck_in(&root(), args)
}

/// Runs the binary from the repository root with `input` on standard
/// input. The input is written from a thread of its own while the output
/// is read, so that neither side waits on a full pipe however large both
/// are.
pub fn hazcheck_stdin(args: &[&str], input: impl AsRef<[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hazcheck"))
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn hazcheck");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.as_ref().to_vec();
    // A run that stops reading early closes the pipe; that is its answer,
    // not a failure of the test.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

/// Runs the binary in `dir`, for commands that write files or whose output
/// shows paths relative to where they run.
pub fn hazcheck_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hazcheck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run hazcheck")
}

/// A fresh, empty folder for one test in the system's temporary folder;
/// the test removes it when it passes and leaves it for a look when it
/// fails. Not under `target/`: that is inside this checkout, and
/// `hazcheck new` behaves differently there (its modelines point at
/// `docs/schema/`).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hazcheck-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    for e in entries.flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

/// `PATH` with the folder of this build's binary first, so that a shell
/// runs it as `hazcheck`.
pub fn path_with_binary() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_hazcheck"))
        .parent()
        .expect("binary folder");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A located YAML tree as JSON, the form JSON Schema validators read.
pub fn to_json(n: &hazcheck::node::Node) -> serde_json::Value {
    use hazcheck::node::NodeKind;
    match &n.kind {
        NodeKind::Null => serde_json::Value::Null,
        NodeKind::Bool(b) => (*b).into(),
        NodeKind::Int(i) => (*i).into(),
        NodeKind::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        NodeKind::Str(s) => s.clone().into(),
        // JSON has no such number either; null fails where a number is due.
        NodeKind::BadNumber(_) => serde_json::Value::Null,
        NodeKind::Seq(items) => items.iter().map(to_json).collect(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.scalar_text().unwrap_or_default(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// A YAML file read with hazcheck's own reader, as JSON.
pub fn yaml_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read");
    let node =
        hazcheck::node::parse_yaml(&text, hazcheck::FileId(0), &Default::default()).expect("yaml");
    to_json(&node)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with the expected file, or rewrites it when
/// `HAZCHECK_BLESS` is set.
pub fn assert_snapshot(expected: &Path, actual: &str) {
    if std::env::var_os("HAZCHECK_BLESS").is_some() {
        std::fs::write(expected, actual).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with HAZCHECK_BLESS=1",
            expected.display()
        )
    });
    if want != actual {
        panic!(
            "output differs from {}\n--- expected\n{want}\n--- actual\n{actual}\n(run with HAZCHECK_BLESS=1 to accept)",
            expected.display()
        );
    }
}

/// Files under a folder with one of the given extensions, sorted.
pub fn files_under(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
