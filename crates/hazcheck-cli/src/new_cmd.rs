//! `hazcheck new`: scaffolds a ruleset folder that already checks and tests.
//!
//! An expert starting a ruleset should begin from something that works: a
//! ruleset version with one item and one rule, a test file that covers that
//! rule both ways, and a sample inspection. The scaffold encodes one real
//! clause (建质规〔2024〕5号 Art. 11(3), no dedicated attendant during
//! confined-space work), paraphrased and marked unverified, so that every
//! key has a meaningful example next to it.
//!
//! Each YAML file that has a schema carries a `yaml-language-server`
//! modeline, which gives completion and checking in editors. Inside a
//! hazcheck checkout (a folder above holds `docs/schema/`) the modeline
//! points at the checked-in schemas; anywhere else the scaffold gets its own
//! copies in `schema/`, so that it works offline and in any editor.
//!
//! Nothing is ever overwritten: when one of the files exists, nothing is
//! written at all.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use hazcheck::schema::{SchemaKind, schema_text};
use hazcheck::{Limits, Loader};

/// The version label and first day in force of the scaffolded version: the
/// day 建质规〔2024〕5号 was issued and took effect.
const VERSION: &str = "2024";
const EFFECTIVE_FROM: &str = "2024-12-13";

/// Writes the scaffold into `dir`; the ruleset id is `id` or the folder's
/// name.
pub fn run(dir: &Path, id: Option<&str>, out: &mut dyn Write) -> Result<u8> {
    let id = match id {
        Some(id) => id.to_string(),
        None => default_id(dir)?,
    };
    if let Err(why) = check_id(&id) {
        bail!("`{id}` is not a valid ruleset id: {why}; choose one with --id");
    }
    let schemas = SchemaPlace::find(dir);
    let files = scaffold(&id, &schemas);
    self_check(&id, &files)?;

    let existing: Vec<String> = files
        .iter()
        .map(|f| dir.join(&f.path))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if let Some(first) = existing.first() {
        let what = match existing.len() {
            1 => format!("{first} already exists"),
            n => format!(
                "{first} and {} more files of the scaffold already exist",
                n - 1
            ),
        };
        bail!("{what}; `hazcheck new` never overwrites files (choose another folder)");
    }
    let mut report = String::new();
    for f in &files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // `create_new` keeps the promise even if a file appears between the
        // check above and this write.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(f.text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let _ = writeln!(report, "created {}", path.display());
    }
    let d = dir.display();
    let example = dir.join(EXAMPLE);
    let _ = write!(
        report,
        "\nnext:\n  hazcheck check {d}\n  hazcheck test {d} --coverage\n  hazcheck eval --ruleset {d} {}\n",
        example.display()
    );
    out.write_all(report.as_bytes())?;
    Ok(0)
}

/// One file of the scaffold, relative to its folder.
struct File {
    path: PathBuf,
    text: String,
}

const RULESET: &str = "2024.yaml";
const TESTS: &str = "tests/v2024.yaml";
const EXAMPLE: &str = "examples/major-no-attendant.yaml";

/// Where the modelines point.
enum SchemaPlace {
    /// A checked-in `docs/schema/` folder this many levels above the
    /// scaffold folder.
    Checkout { up: usize },
    /// Copies written into the scaffold's own `schema/` folder.
    Local,
}

impl SchemaPlace {
    fn find(dir: &Path) -> SchemaPlace {
        let Some(abs) = absolute(dir) else {
            return SchemaPlace::Local;
        };
        for (up, ancestor) in abs.ancestors().enumerate().skip(1) {
            if ancestor.join("docs/schema/ruleset.schema.json").is_file() {
                return SchemaPlace::Checkout { up };
            }
        }
        SchemaPlace::Local
    }

    /// The modeline path of a schema, seen from a file `depth` folders below
    /// the scaffold folder.
    fn path(&self, name: &str, depth: usize) -> String {
        match self {
            SchemaPlace::Checkout { up } => {
                format!("{}docs/schema/{name}", "../".repeat(up + depth))
            }
            SchemaPlace::Local => format!("{}schema/{name}", "../".repeat(depth)),
        }
    }
}

/// `dir` made absolute without touching the file system beyond the current
/// folder, with `.` and `..` resolved by name: the folder usually does not
/// exist yet, so it cannot be canonicalized.
fn absolute(dir: &Path) -> Option<PathBuf> {
    let joined = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(dir)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Some(out)
}

fn default_id(dir: &Path) -> Result<String> {
    let name = absolute(dir)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if name.is_empty() {
        bail!(
            "cannot take a ruleset id from `{}`; choose one with --id",
            dir.display()
        );
    }
    Ok(name)
}

/// The rule the loader applies to ids, checked here first so that a bad
/// folder name gets a message about `--id` rather than a located error in a
/// file the user has not written.
fn check_id(id: &str) -> Result<(), &'static str> {
    let chars_ok = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if id.is_empty() || id.len() > 128 || !chars_ok {
        return Err("ids use ASCII letters, digits, `_`, `-` and `.`, at most 128 characters");
    }
    if id.starts_with('.') || id.ends_with('.') || id.contains("..") {
        return Err("a dot may only stand between two parts");
    }
    Ok(())
}

/// The id as a YAML scalar: quoted when YAML would read it as something
/// other than text.
fn yaml_id(id: &str) -> String {
    let plain = id.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(
            id.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        id.to_string()
    } else {
        format!("\"{id}\"")
    }
}

fn scaffold(id: &str, schemas: &SchemaPlace) -> Vec<File> {
    let yid = yaml_id(id);
    let ruleset = format!(
        r#"# yaml-language-server: $schema={schema}
# A starting point made by `hazcheck new`: one item and one rule for
# 建质规〔2024〕5号 Art. 11(3), no dedicated attendant during confined-space
# work. The texts paraphrase the clause; they are not the official wording.
# Read the clause in the official text, then set `verified: true`, or
# replace the example with the clause you are encoding. Every key is
# described in hazcheck's docs/ruleset-format.md.
ruleset: {yid}
version: "{VERSION}"
title:
  zh: 施工现场有限空间作业隐患判定
  en: Confined-space work on building sites
effective: {{from: {EFFECTIVE_FROM}}}

documents:
  - id: jzg2024
    title:
      zh: 房屋市政工程生产安全重大事故隐患判定标准（2024版）
      en: Criteria for major accident hazards in housing and municipal works (2024)
    number: 建质规〔2024〕5号
    verified: false

items:
  - id: cs.attendant
    type: yes_no
    prompt:
      zh: 有限空间作业期间，入口处有专人监护吗？
      en: Is a dedicated attendant posted at the entrance while people work inside?

rules:
  - id: c2024.11.3
    level: major
    basis: {{document: jzg2024, clause: "11(3)"}}
    title:
      zh: 有限空间作业现场未设专人监护
      en: Confined-space work without a dedicated attendant
    guidance:
      zh: 立即停止作业，安排专人在入口全程监护后再恢复。
      en: Stop the work and resume only with an attendant at the entrance throughout.
    when: {{item: cs.attendant, is: false}}
"#,
        schema = schemas.path("ruleset.schema.json", 0),
    );
    let tests = format!(
        r#"# Test cases for {id} version {VERSION}; run them with
# `hazcheck test <folder> --coverage`. Each case is a filled-in checklist
# and what must come out. Every rule needs a case where it fires and one
# where it is decided not to fire.
ruleset: {yid}
defaults:
  date: 2025-03-10
  answers:
    cs.attendant: yes
cases:
  - name: attendant posted
    expect: {{verdict: clear, complete: true, findings: []}}

  - name: no attendant
    answers: {{cs.attendant: no}}
    expect:
      verdict: major
      findings: [{{rule: c2024.11.3, level: major}}]

  - name: attendant not asked
    answers: {{cs.attendant: null}}
    expect: {{verdict: incomplete, undetermined: [c2024.11.3]}}
"#
    );
    let example = format!(
        r#"# yaml-language-server: $schema={schema}
# A sample inspection: evaluate it with
# `hazcheck eval --ruleset <folder> <this file>`.
ruleset: {yid}
date: 2025-03-10
site: {{id: SITE-001, name: 示例工地}}
answers:
  cs.attendant: no
"#,
        schema = schemas.path("inspection.schema.json", 1),
    );
    let mut files = vec![
        File {
            path: RULESET.into(),
            text: ruleset,
        },
        File {
            path: TESTS.into(),
            text: tests,
        },
        File {
            path: EXAMPLE.into(),
            text: example,
        },
    ];
    if let SchemaPlace::Local = schemas {
        for (kind, name) in [
            (SchemaKind::Ruleset, "ruleset.schema.json"),
            (SchemaKind::Inspection, "inspection.schema.json"),
        ] {
            files.push(File {
                path: Path::new("schema").join(name),
                text: schema_text(kind),
            });
        }
    }
    files
}

/// Loads the scaffolded ruleset before anything is written: a scaffold
/// that does not check would be a bug here, not the user's mistake.
fn self_check(id: &str, files: &[File]) -> Result<()> {
    let mut loader = Loader::new(Limits::default());
    for f in files.iter().filter(|f| f.path == Path::new(RULESET)) {
        loader.add_memory(&format!("new/{}", f.path.display()), &f.text);
    }
    let outcome = loader.load();
    if let Some(d) = outcome.diagnostics.first() {
        bail!(
            "cannot scaffold ruleset `{id}`: [{}] {}",
            d.code.as_str(),
            d.message
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_loader_rule() {
        assert!(check_id("site-cs").is_ok());
        assert!(check_id("a.b_c-1").is_ok());
        for bad in [
            "",
            ".a",
            "a.",
            "a..b",
            "with space",
            "中文",
            &"x".repeat(129),
        ] {
            assert!(check_id(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn ids_yaml_would_misread_are_quoted() {
        assert_eq!(yaml_id("site-cs"), "site-cs");
        assert_eq!(yaml_id("2024"), "\"2024\"");
        assert_eq!(yaml_id("True"), "\"True\"");
        assert_eq!(yaml_id("no"), "\"no\"");
    }

    #[test]
    fn modelines_point_up_to_a_checkout_or_into_the_scaffold() {
        let up = SchemaPlace::Checkout { up: 2 };
        assert_eq!(
            up.path("ruleset.schema.json", 0),
            "../../docs/schema/ruleset.schema.json"
        );
        assert_eq!(
            up.path("inspection.schema.json", 1),
            "../../../docs/schema/inspection.schema.json"
        );
        let local = SchemaPlace::Local;
        assert_eq!(
            local.path("ruleset.schema.json", 0),
            "schema/ruleset.schema.json"
        );
        assert_eq!(
            local.path("inspection.schema.json", 1),
            "../schema/inspection.schema.json"
        );
    }

    #[test]
    fn every_valid_id_scaffolds_a_ruleset_that_loads() {
        for id in ["site-cs", "2024", "true", "a.b"] {
            let files = scaffold(id, &SchemaPlace::Local);
            assert!(self_check(id, &files).is_ok(), "{id}");
        }
    }
}
