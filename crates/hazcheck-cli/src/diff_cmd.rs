//! `hazcheck diff`: compares two sides (files, folders or built-in ids)
//! and renders the library's comparison as text, JSON or Markdown.
//!
//! The comparison itself lives in `hazcheck::diff`; this file loads the
//! two sides and the corpus, and renders. Every version on either side is
//! compared, so the output lists version by version what changed, with the
//! old and new value of each field, and level changes above everything
//! else.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hazcheck::diff::{self, Change, CorpusDiff, RulesetDiff, Side, Status};
use hazcheck::{Inspection, Library, Limits, SourceMap};

use crate::cli::ReportFormat;
use crate::render;

/// What `hazcheck diff` was asked.
pub struct DiffArgs<'a> {
    pub old: &'a str,
    pub new: &'a str,
    pub corpus: &'a [PathBuf],
    pub format: ReportFormat,
    pub limits: &'a Limits,
}

/// Runs the comparison; exit 0 when it could be made (whatever changed),
/// and an error (exit 2) when a side or the corpus cannot be read.
pub fn run(args: &DiffArgs<'_>, out: &mut dyn Write) -> Result<u8> {
    let (old_lib, old_only) = load_side(args.old, args.limits)?;
    let (new_lib, new_only) = load_side(args.new, args.limits)?;
    let old = side(&old_lib, old_only.as_deref());
    let new = side(&new_lib, new_only.as_deref());
    let rulesets = diff::compare_sides(&old, &new);
    let corpus = if args.corpus.is_empty() {
        None
    } else {
        let inspections = read_corpus(args.corpus, args.limits)?;
        Some(diff::corpus(&old, &new, &inspections))
    };
    let text = match args.format {
        ReportFormat::Json => json(args, &rulesets, corpus.as_ref())?,
        ReportFormat::Human => human(&rulesets, corpus.as_ref()),
        ReportFormat::Markdown => markdown(&rulesets, corpus.as_ref()),
    };
    out.write_all(text.as_bytes())?;
    Ok(0)
}

fn side<'a>(lib: &'a Library, only: Option<&str>) -> Side<'a> {
    match only {
        Some(id) => Side::one(lib, id),
        None => Side::all(lib),
    }
}

/// Loads one side: a file or folder (every ruleset in it), or a built-in
/// ruleset id (that ruleset only).
fn load_side(spec: &str, limits: &Limits) -> Result<(Library, Option<String>)> {
    let lib = crate::cli::load_ruleset_with(spec, limits)?;
    if Path::new(spec).exists() {
        if lib.ids().next().is_none() {
            bail!("`{spec}` holds no ruleset (only modules, or nothing)");
        }
        Ok((lib, None))
    } else {
        Ok((lib, Some(spec.to_string())))
    }
}

/// Reads the inspections of the corpus: each folder's `.yaml`, `.yml` and
/// `.json` files (not its subfolders), sorted by name, and files as given.
/// An unreadable folder or an invalid inspection is an error: a corpus
/// that silently lost a file would understate what a change does.
fn read_corpus(paths: &[PathBuf], limits: &Limits) -> Result<Vec<(String, Inspection)>> {
    let mut files = Vec::new();
    for dir in paths {
        if dir.is_file() {
            files.push(dir.clone());
            continue;
        }
        let mut here = Vec::new();
        for e in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let p = e
                .with_context(|| format!("cannot read {}", dir.display()))?
                .path();
            if p.is_file()
                && p.extension()
                    .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            {
                here.push(p);
            }
        }
        here.sort();
        files.extend(here);
    }
    let mut inspections = Vec::new();
    for f in &files {
        let (name, text) = crate::cli::read_input_limited(f, limits.max_inspection_bytes)?;
        let mut sources = SourceMap::new();
        match Inspection::parse(&text, &name, &mut sources, limits) {
            Ok(i) => inspections.push((name, i)),
            Err(d) => bail!(
                "{name} is not a valid inspection:\n{}",
                render::human(&d, &sources, false)
            ),
        }
    }
    Ok(inspections)
}

fn json(
    args: &DiffArgs<'_>,
    rulesets: &[RulesetDiff],
    corpus: Option<&CorpusDiff>,
) -> Result<String> {
    let mut s = serde_json::to_string_pretty(&serde_json::json!({
        "version": 1,
        "old": args.old,
        "new": args.new,
        "rulesets": rulesets,
        "corpus": corpus,
    }))?;
    s.push('\n');
    Ok(s)
}

/// The level changes of every compared version: (ruleset, version, change).
fn level_changes(rulesets: &[RulesetDiff]) -> Vec<(&str, &str, &Change)> {
    let mut out = Vec::new();
    for r in rulesets {
        for v in &r.versions {
            for c in v.changes.iter().filter(|c| c.kind == "level") {
                out.push((r.id(), v.version.as_str(), c));
            }
        }
    }
    out
}

fn ruleset_title(r: &RulesetDiff) -> String {
    match (&r.old_id, &r.new_id) {
        (Some(o), Some(n)) if o != n => format!("{o} → {n}"),
        _ => r.id().to_string(),
    }
}

fn period(v: &diff::VersionDiff) -> String {
    match (&v.old_period, &v.new_period) {
        (Some(o), Some(n)) if o != n => format!("{o} → {n}"),
        (_, Some(p)) | (Some(p), None) => p.clone(),
        (None, None) => String::new(),
    }
}

fn nothing_changed(rulesets: &[RulesetDiff]) -> bool {
    rulesets.iter().all(|r| r.status == Status::Unchanged)
}

fn human(rulesets: &[RulesetDiff], corpus: Option<&CorpusDiff>) -> String {
    let mut s = String::new();
    let levels = level_changes(rulesets);
    if !levels.is_empty() {
        let _ = writeln!(s, "level changes:");
        for (id, version, c) in &levels {
            let _ = writeln!(s, "  {id} {version}: {} {}", c.id, c.detail);
        }
    }
    for r in rulesets {
        let n = r.versions.len();
        let _ = writeln!(
            s,
            "ruleset {}: {} ({n} {})",
            ruleset_title(r),
            r.status.as_str(),
            if n == 1 { "version" } else { "versions" }
        );
        for v in &r.versions {
            let state = match v.status {
                Status::Unchanged => "no change",
                other => other.as_str(),
            };
            let _ = writeln!(s, "  version {} ({}): {state}", v.version, period(v));
            for c in &v.changes {
                let _ = writeln!(s, "    {} {} {}: {}", c.change, c.kind, c.id, c.detail);
                for f in c.fields.iter().filter(|_| c.kind != "level") {
                    if f.old.chars().count() + f.new.chars().count() > 70 {
                        let _ = writeln!(s, "      {}:", f.field);
                        let _ = writeln!(s, "        old: {}", f.old);
                        let _ = writeln!(s, "        new: {}", f.new);
                    } else {
                        let _ = writeln!(s, "      {}: {} → {}", f.field, f.old, f.new);
                    }
                }
            }
        }
    }
    if nothing_changed(rulesets) {
        let _ = writeln!(s, "no change to rules, items, parameters or documents");
    }
    if let Some(c) = corpus {
        let _ = writeln!(s, "corpus: {}", corpus_summary(c));
        for x in &c.changed {
            let _ = writeln!(
                s,
                "  {} ({}, {} {} → {}): {} → {}",
                x.inspection,
                x.date,
                x.ruleset,
                x.old_version,
                x.new_version,
                x.old_verdict.as_str(),
                x.new_verdict.as_str()
            );
            for r in &x.rules {
                let _ = writeln!(s, "    {}: {} → {}", r.rule, r.old, r.new);
            }
        }
        for u in &c.uncovered {
            let _ = writeln!(
                s,
                "  not covered: {} ({}, {}): {}",
                u.inspection,
                u.date,
                u.ruleset,
                uncovered_text(u)
            );
        }
        for k in &c.skipped {
            let _ = writeln!(s, "  skipped: {}: {}", k.inspection, k.reason);
        }
    }
    s
}

fn corpus_summary(c: &CorpusDiff) -> String {
    let n = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {} evaluated with both sides, {} of them {}; {} not covered by a version; {} skipped",
        n(c.inspections, "inspection", "inspections"),
        c.evaluated,
        c.changed.len(),
        if c.changed.len() == 1 {
            "changes"
        } else {
            "change"
        },
        c.uncovered.len(),
        c.skipped.len()
    )
}

fn uncovered_text(u: &diff::Uncovered) -> String {
    let side = |v: &Option<String>| match v {
        Some(v) => format!("version {v}"),
        None => "no version in force".to_string(),
    };
    format!(
        "old side {}, new side {}",
        side(&u.old_version),
        side(&u.new_version)
    )
}

fn markdown(rulesets: &[RulesetDiff], corpus: Option<&CorpusDiff>) -> String {
    let mut s = String::from("## Ruleset change\n\n");
    if nothing_changed(rulesets) {
        s.push_str("No change to rules, items, parameters or documents.\n\n");
    }
    let levels = level_changes(rulesets);
    if !levels.is_empty() {
        s.push_str("### Level changes\n\n");
        s.push_str("| ruleset | version | rule | old level | new level |\n");
        s.push_str("|---|---|---|---|---|\n");
        for (id, version, c) in &levels {
            let (o, n) = c
                .fields
                .first()
                .map_or(("", ""), |f| (f.old.as_str(), f.new.as_str()));
            let _ = writeln!(
                s,
                "| `{id}` | {} | `{}` | {o} | **{n}** |",
                cell(version),
                c.id
            );
        }
        s.push('\n');
    }
    let (same, differ): (Vec<_>, Vec<_>) = rulesets
        .iter()
        .flat_map(|r| r.versions.iter().map(move |v| (r, v)))
        .partition(|(_, v)| v.status == Status::Unchanged);
    if !differ.is_empty() {
        s.push_str("| ruleset | version | in force | status | changes |\n");
        s.push_str("|---|---|---|---|---|\n");
        for (r, v) in &differ {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} |",
                cell(&ruleset_title(r)),
                cell(&v.version),
                cell(&period(v)),
                v.status.as_str(),
                cell(&counts(&v.changes))
            );
        }
        s.push('\n');
    }
    if !same.is_empty() {
        let list: Vec<String> = same
            .iter()
            .map(|(r, v)| format!("`{}` {}", ruleset_title(r), v.version))
            .collect();
        let _ = writeln!(s, "Unchanged: {}.\n", list.join(", "));
    }
    for r in rulesets {
        for v in r.versions.iter().filter(|v| !v.changes.is_empty()) {
            let _ = writeln!(s, "### `{}` {}\n", cell(&ruleset_title(r)), v.version);
            s.push_str("| change | what | id | field | old | new |\n");
            s.push_str("|---|---|---|---|---|---|\n");
            for c in &v.changes {
                if c.fields.is_empty() {
                    let (o, n) = match c.change {
                        "removed" => (c.detail.as_str(), ""),
                        _ => ("", c.detail.as_str()),
                    };
                    let _ = writeln!(
                        s,
                        "| {} | {} | `{}` | | {} | {} |",
                        c.change,
                        c.kind,
                        c.id,
                        cell(o),
                        cell(n)
                    );
                }
                for f in &c.fields {
                    let _ = writeln!(
                        s,
                        "| {} | {} | `{}` | {} | {} | {} |",
                        c.change,
                        c.kind,
                        c.id,
                        f.field,
                        cell(&f.old),
                        cell(&f.new)
                    );
                }
            }
            s.push('\n');
        }
    }
    if let Some(c) = corpus {
        s.push_str("### Behaviour over the corpus\n\n");
        let _ = writeln!(s, "{}.\n", corpus_summary(c));
        if !c.changed.is_empty() {
            s.push_str("| inspection | date | versions | verdict | rule outcomes |\n");
            s.push_str("|---|---|---|---|---|\n");
            for x in &c.changed {
                let rules: Vec<String> = x
                    .rules
                    .iter()
                    .map(|r| format!("`{}`: {} → {}", r.rule, cell(&r.old), cell(&r.new)))
                    .collect();
                let _ = writeln!(
                    s,
                    "| `{}` | {} | `{}` {} → {} | {} → {} | {} |",
                    cell(&x.inspection),
                    x.date,
                    x.ruleset,
                    cell(&x.old_version),
                    cell(&x.new_version),
                    x.old_verdict.as_str(),
                    x.new_verdict.as_str(),
                    rules.join("<br>")
                );
            }
            s.push('\n');
        }
        if !c.uncovered.is_empty() {
            s.push_str("Not covered by a version:\n\n");
            for u in &c.uncovered {
                let _ = writeln!(
                    s,
                    "- `{}` ({}, `{}`): {}",
                    cell(&u.inspection),
                    u.date,
                    u.ruleset,
                    uncovered_text(u)
                );
            }
            s.push('\n');
        }
        if !c.skipped.is_empty() {
            s.push_str("Skipped:\n\n");
            for k in &c.skipped {
                let _ = writeln!(s, "- `{}`: {}", cell(&k.inspection), k.reason);
            }
            s.push('\n');
        }
    }
    s
}

/// "1 level, 2 rules, 1 item" for a version's changes.
fn counts(changes: &[Change]) -> String {
    let mut n: Vec<(&str, usize)> = Vec::new();
    for c in changes {
        match n.iter_mut().find(|(k, _)| *k == c.kind) {
            Some((_, k)) => *k += 1,
            None => n.push((c.kind, 1)),
        }
    }
    n.iter()
        .map(|(k, c)| {
            let k = match *k {
                "meta" => "ruleset key",
                "event_kind" => "event kind",
                k => k,
            };
            if *c == 1 {
                format!("1 {k}")
            } else {
                format!("{c} {k}s")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text safe inside a Markdown table cell: pipes escaped, no line breaks,
/// and nothing GitHub would take for HTML or emphasis.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' => out.push_str("\\*"),
            '`' => out.push_str("\\`"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_what_would_break_a_table() {
        assert_eq!(cell("a | b\nc <= d *x*"), "a \\| b c &lt;= d \\*x\\*");
    }

    #[test]
    fn counts_name_each_kind() {
        let c = |kind| Change {
            kind,
            change: "changed",
            id: "x".into(),
            detail: String::new(),
            fields: Vec::new(),
        };
        assert_eq!(
            counts(&[c("level"), c("rule"), c("rule"), c("event_kind"), c("meta")]),
            "1 level, 2 rules, 1 event kind, 1 ruleset key"
        );
    }
}
