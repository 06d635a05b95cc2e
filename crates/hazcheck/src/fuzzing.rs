//! Entry points for the fuzz targets, as plain functions.
//!
//! The fuzz crate (`fuzz/`, outside the workspace) calls these with the
//! bytes libFuzzer makes up, and the integration tests replay the committed
//! seed corpus and every past crash through the same functions, so CI runs
//! them without libFuzzer. Each function returns `Err` with a description
//! when an invariant of the engine does not hold for its input; a crash,
//! a hang or runaway memory is the other kind of finding, which the fuzzer
//! notices by itself.
//!
//! Not part of the supported API.

use std::sync::OnceLock;

use crate::batch::Batch;
use crate::eval::EvalOptions;
use crate::inspection::Inspection;
use crate::limits::Limits;
use crate::load::{Library, Loader};
use crate::report::{Report, Verdict};
use crate::span::SourceMap;

/// Loads arbitrary bytes as a ruleset file (with one module beside it, for
/// includes), then evaluates an empty inspection with every version that
/// loaded.
pub fn load_ruleset(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let load = || {
        let mut loader = Loader::new(Limits::default());
        loader.provide_memory("fuzz/module.yaml", MODULE);
        loader.add_memory("fuzz/ruleset.yaml", &text);
        loader.load()
    };
    let outcome = load();
    if outcome.library.is_some() == outcome.has_errors() {
        return Err("a library must be produced exactly when there is no error".into());
    }
    for d in &outcome.diagnostics {
        if outcome.sources.get(d.span.file).is_none() {
            return Err(format!(
                "diagnostic {} points at an unregistered file",
                d.code
            ));
        }
        if d.message.is_empty() {
            return Err(format!("diagnostic {} has no message", d.code));
        }
    }
    let again = load();
    if again.diagnostics != outcome.diagnostics {
        return Err("loading the same text twice gave different diagnostics".into());
    }
    if let Some(library) = &outcome.library {
        evaluate_every_version(library, &[])?;
    }
    Ok(())
}

/// Compiles arbitrary text as a condition, a script or a regular
/// expression inside a small ruleset, then evaluates it against a few
/// inspections. The first byte chooses which; the rest is the text.
pub fn compile_conditions(data: &[u8]) -> Result<(), String> {
    let (kind, rest) = match data.split_first() {
        Some((k, rest)) => (*k % 3, rest),
        None => return Ok(()),
    };
    let text = String::from_utf8_lossy(rest);
    let when = match kind {
        // The condition is written as a block under `when:`; indenting
        // every line keeps whatever it holds inside the rule.
        0 => {
            let mut block = String::from("\n");
            for line in text.lines() {
                block.push_str("        ");
                block.push_str(line);
                block.push('\n');
            }
            block
        }
        1 => format!(" {{script: {}}}\n", quoted(&text)),
        _ => format!(" {{item: note, matches: {}}}\n", quoted(&text)),
    };
    let ruleset = format!("{CONDITION_RULESET}    when:{when}");
    let mut loader = Loader::new(Limits::default());
    loader.add_memory("fuzz/conditions.yaml", &ruleset);
    let outcome = loader.load();
    if outcome.library.is_some() == outcome.has_errors() {
        return Err("a library must be produced exactly when there is no error".into());
    }
    if let Some(library) = &outcome.library {
        evaluate_every_version(library, CONDITION_ANSWERS)?;
    }
    Ok(())
}

/// Reads arbitrary bytes as an inspection, both as one YAML document and
/// as NDJSON lines, and evaluates it with every shipped ruleset version.
pub fn evaluate_inspection(data: &[u8]) -> Result<(), String> {
    let Some(library) = shipped() else {
        return Err("the shipped rulesets do not load".into());
    };
    let limits = Limits::default();
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    match Inspection::parse(&text, "fuzz.yaml", &mut sources, &limits) {
        Ok(inspection) => {
            // The version the inspection selects, then every version, so
            // that evaluation is reached whatever ruleset and date it names.
            if let Ok(report) = library.evaluate(&inspection, &EvalOptions { explain: true }) {
                check_report(&report)?;
            }
            for id in library.ids() {
                for version in library.versions(id) {
                    check_report(&version.evaluate(&inspection, &EvalOptions::default()))?;
                }
            }
        }
        Err(diags) => {
            if diags.is_empty() {
                return Err("an inspection was rejected without a diagnostic".into());
            }
        }
    }
    let batch = Batch::new(library, limits, EvalOptions::default());
    let records = batch.evaluate_all(data);
    let lines = count_lines(data);
    if records.len() != lines {
        return Err(format!(
            "{lines} input lines gave {} records",
            records.len()
        ));
    }
    for (i, r) in records.iter().enumerate() {
        if r.line != i as u64 + 1 {
            return Err(format!("record {} is numbered {}", i + 1, r.line));
        }
        let json = r.to_json_line();
        if json.matches('\n').count() != 1 || !json.ends_with('\n') {
            return Err(format!("record {} is not one line", r.line));
        }
        if serde_json::from_str::<serde_json::Value>(&json).is_err() {
            return Err(format!("record {} is not valid JSON", r.line));
        }
        match &r.outcome {
            crate::batch::Outcome::Report(report) => check_report(report)?,
            crate::batch::Outcome::Errors(errors) => {
                if errors.is_empty() || errors.iter().any(|e| e.line != r.line) {
                    return Err(format!("record {} has misplaced or no errors", r.line));
                }
                // A caught panic becomes a record, but is a bug all the same.
                if let Some(e) = errors
                    .iter()
                    .find(|e| e.message.starts_with("internal error"))
                {
                    return Err(format!("line {} panicked: {}", r.line, e.message));
                }
            }
        }
    }
    Ok(())
}

/// The shipped rulesets, loaded once per process.
fn shipped() -> Option<&'static Library> {
    static SHIPPED: OnceLock<Option<Library>> = OnceLock::new();
    SHIPPED
        .get_or_init(|| crate::builtin::load(Limits::default()).library)
        .as_ref()
}

/// Lines as [`crate::batch::LineReader`] counts them.
fn count_lines(data: &[u8]) -> usize {
    let breaks = data.iter().filter(|&&b| b == b'\n').count();
    if data.last().is_some_and(|&b| b != b'\n') {
        breaks + 1
    } else {
        breaks
    }
}

fn evaluate_every_version(library: &Library, answers: &[(&str, &str)]) -> Result<(), String> {
    for id in library.ids() {
        for version in library.versions(id) {
            let info = version.info();
            for with_answers in [false, true] {
                let mut yaml = format!("ruleset: {id}\ndate: {}\nanswers:\n", info.effective_from);
                if with_answers {
                    for (item, answer) in answers {
                        yaml.push_str(&format!("  {item}: {answer}\n"));
                    }
                }
                let mut sources = SourceMap::new();
                let inspection =
                    Inspection::parse(&yaml, "fuzz.yaml", &mut sources, &Limits::default())
                        .map_err(|d| format!("a generated inspection does not parse: {d:?}"))?;
                check_report(&version.evaluate(&inspection, &EvalOptions { explain: true }))?;
            }
        }
    }
    Ok(())
}

/// Checks what any report must satisfy, whatever the input.
fn check_report(r: &Report) -> Result<(), String> {
    let majors = r
        .findings
        .iter()
        .filter(|f| f.level == crate::model::Level::Major)
        .count();
    let expected = if majors > 0 {
        Verdict::Major
    } else if !r.findings.is_empty() {
        Verdict::Ordinary
    } else if r.undetermined.is_empty() && r.complete {
        Verdict::Clear
    } else {
        Verdict::Incomplete
    };
    if r.verdict != expected {
        return Err(format!(
            "verdict {} with {} findings ({majors} major) and {} undetermined rules",
            r.verdict.as_str(),
            r.findings.len(),
            r.undetermined.len()
        ));
    }
    if r.verdict == Verdict::Clear && !r.complete {
        return Err("a clear verdict on an incomplete evaluation".into());
    }
    // A panic in the script engine is caught and leaves the rule
    // undetermined, which keeps users safe but is still a bug to find.
    if let Some(e) = r
        .undetermined
        .iter()
        .filter_map(|u| u.error.as_deref())
        .find(|e| e.starts_with(crate::script::INTERNAL_ERROR))
    {
        return Err(format!("a script panicked: {e}"));
    }
    let json = r.to_json();
    if serde_json::from_str::<serde_json::Value>(&json).is_err() {
        return Err("the report is not valid JSON".into());
    }
    Ok(())
}

/// A YAML double-quoted scalar holding `text` exactly.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A module the fuzzed ruleset may include.
const MODULE: &str = "module: fuzz-module
documents:
  - {id: std, title: {zh: 标准, en: Standard}, verified: true}
items:
  - {id: m.ok, type: yes_no, prompt: {zh: 是否, en: OK?}}
rules:
  - id: m-rule
    level: ordinary
    basis: {document: std, clause: \"1\"}
    title: {zh: 模块规则, en: Module rule}
    when: {item: m.ok, is: false}
";

/// The ruleset a fuzzed condition is placed in: one item of each common
/// answer type, with ids a condition or script can name.
const CONDITION_RULESET: &str = "ruleset: fuzz
title: {zh: 模糊, en: Fuzz}
effective: {from: 2024-01-01}
documents:
  - {id: std, title: {zh: 标准, en: Standard}, verified: true}
parameters:
  - {id: limit, value: 5, source: {document: std, clause: \"1\"}}
items:
  - {id: ok, type: yes_no, prompt: {zh: 是否, en: OK?}}
  - {id: depth, type: number, min: 0, prompt: {zh: 深度, en: Depth}}
  - {id: count, type: count, min: 0, prompt: {zh: 数量, en: Count}}
  - {id: note, type: text, prompt: {zh: 备注, en: Note}}
  - {id: checked, type: date, prompt: {zh: 日期, en: Date}}
  - id: kind
    type: choice
    prompt: {zh: 类型, en: Kind}
    options:
      - {id: a, label: {zh: 甲, en: A}}
      - {id: b, label: {zh: 乙, en: B}}
  - id: tags
    type: multi_choice
    prompt: {zh: 标签, en: Tags}
    options:
      - {id: x, label: {zh: 子, en: X}}
      - {id: y, label: {zh: 丑, en: Y}}
rules:
  - id: other
    level: ordinary
    basis: {document: std, clause: \"1\"}
    title: {zh: 其他, en: Other}
    when: {item: ok, is: false}
  - id: fuzzed
    level: major
    basis: {document: std, clause: \"2\"}
    title: {zh: 模糊规则, en: Fuzzed rule}
";

const CONDITION_ANSWERS: &[(&str, &str)] = &[
    ("ok", "false"),
    ("depth", "7.5"),
    ("count", "3"),
    ("note", "\"abc 123\""),
    ("checked", "2023-12-01"),
    ("kind", "b"),
    ("tags", "[x, y]"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_load_and_evaluate() {
        assert_eq!(compile_conditions(b"\x00{item: depth, gt: 5}"), Ok(()));
        assert_eq!(
            compile_conditions(b"\x01depth > 5.0 && ok == false"),
            Ok(())
        );
        assert_eq!(compile_conditions(b"\x02^a.c"), Ok(()));
        let mut loader = Loader::new(Limits::default());
        loader.add_memory(
            "t.yaml",
            &format!("{CONDITION_RULESET}    when: {{item: depth, gt: {{param: limit}}}}\n"),
        );
        let outcome = loader.load();
        assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics);
        let library = outcome.library.unwrap();
        evaluate_every_version(&library, CONDITION_ANSWERS).unwrap();
    }

    #[test]
    fn quoting_keeps_the_text() {
        assert_eq!(quoted("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }

    #[test]
    fn inspections_and_lines() {
        assert_eq!(evaluate_inspection(b""), Ok(()));
        assert_eq!(evaluate_inspection(b"\n\n\xff\n{}"), Ok(()));
        let example =
            crate::builtin::file("rulesets/construction/examples/major-2025-deep-excavation.yaml")
                .unwrap_or_default();
        assert_eq!(evaluate_inspection(example.as_bytes()), Ok(()));
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\nb\n"), 2);
    }
}
