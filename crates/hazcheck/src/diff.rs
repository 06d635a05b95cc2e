//! Comparing two versions of a ruleset: what a reviewer must see first.
//!
//! [`compare`] works on two merged models (includes resolved) and lists
//! what changed, each change with its old and new value; level changes come
//! first, since a rule moving between major and ordinary changes what a
//! site must do. [`compare_sides`] pairs the rulesets of two loaded sides
//! (the base branch and the change, say) by id and their versions by label,
//! so that every version is compared and a version added or removed is
//! reported as such. [`corpus`] evaluates a set of inspections on both
//! sides, each with the version in force on its date, and lists those whose
//! outcome changes; an inspection of another ruleset is skipped with the
//! reason, and one that no version covers is reported, never dropped.
//!
//! ```
//! use hazcheck::diff::{Side, compare_sides};
//! use hazcheck::{Limits, Loader};
//!
//! let base = r#"
//! ruleset: demo
//! version: "1"
//! title: {zh: 演示, en: Demo}
//! effective: {from: 2024-01-01}
//! documents:
//!   - {id: std, title: {zh: 标准, en: Standard}, verified: true}
//! items:
//!   - {id: guard.present, type: yes_no, prompt: {zh: 是否设置护栏？, en: Guardrail?}}
//! rules:
//!   - id: no-guard
//!     level: ordinary
//!     basis: {document: std, clause: "4.1"}
//!     title: {zh: 未设置护栏, en: No guardrail}
//!     when: {item: guard.present, is: false}
//! "#;
//! let load = |text: &str| {
//!     let mut loader = Loader::new(Limits::default());
//!     loader.add_memory("demo.yaml", text);
//!     loader.load().library.ok_or("the ruleset has errors")
//! };
//! let old = load(base)?;
//! let new = load(&base.replace("level: ordinary", "level: major"))?;
//! let diff = compare_sides(&Side::all(&old), &Side::all(&new));
//! let change = &diff[0].versions[0].changes[0];
//! assert_eq!((change.kind, change.id.as_str()), ("level", "no-guard"));
//! assert_eq!(change.fields[0].old, "ordinary");
//! assert_eq!(change.fields[0].new, "major");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::Ruleset;
use crate::date::Date;
use crate::eval::EvalOptions;
use crate::inspection::Inspection;
use crate::load::Library;
use crate::model::RulesetFile;
use crate::report::{Report, Verdict};

mod values;

pub use values::condition;
use values::{
    bases, basis, bounds, days, deadlines, escalations, exception, options, parameter_value,
    period, text,
};

/// One difference between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `level`, `rule`, `item`, `parameter`, `section`, `event_kind`,
    /// `document` or `meta`.
    pub kind: &'static str,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// The id of what changed (for `meta`, the key: `effective`,
    /// `deadlines`, `title`, `domain`, `out_of_force` or `follow_up`).
    pub id: String,
    /// In a few words: the fields that changed, or for something added or
    /// removed, what it is (a rule's level and basis, an item's type).
    pub detail: String,
    /// Each changed field with its old and new value, rendered compactly;
    /// empty for something added or removed.
    pub fields: Vec<FieldChange>,
}

/// One field of a [`Change`], before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field: `level`, `condition`, `applies_if`, `exception`,
    /// `escalation`, `basis`, `also`, `deadline`, `needs_confirmation`,
    /// `title`, `guidance`, `note`, `type`, `bounds`, `options`,
    /// `not_applicable`, `photo`, `section`, `prompt`, `help`, `value`,
    /// `unit`, `source`, `description`, `label`, `number`, `issuer`, `date`,
    /// `verified` or, for `meta`, the key itself.
    pub field: &'static str,
    /// The old value (`none` when it was not given).
    pub old: String,
    /// The new value (`none` when it is not given).
    pub new: String,
}

/// Compares two versions of one ruleset. Level changes come first, then
/// rules, items, parameters, sections, event kinds, documents and the
/// ruleset's own keys (period in force, default deadlines, title, domain,
/// the note for dates out of force, follow-up escalation settings).
///
/// ```
/// use hazcheck::diff::compare;
/// use hazcheck::{Level, Limits};
///
/// let library = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// let old = library.versions("common-tasks")[0].model();
/// let mut new = old.clone();
/// for rule in &mut new.rules {
///     match rule.id.value.as_str() {
///         "ct.licence-missing" => rule.guidance = None,
///         "ct.exits-blocked" => rule.level.value = Level::Major,
///         _ => {}
///     }
/// }
///
/// let changes = compare(old, &new);
/// // The level change comes first, although its rule comes later.
/// let summary: Vec<_> = changes.iter().map(|c| (c.kind, c.id.as_str())).collect();
/// assert_eq!(summary, [("level", "ct.exits-blocked"), ("rule", "ct.licence-missing")]);
/// assert_eq!(changes[0].detail, "ordinary → major");
/// let guidance = &changes[1].fields[0];
/// assert_eq!((guidance.field, guidance.new.as_str()), ("guidance", "none"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare(old: &RulesetFile, new: &RulesetFile) -> Vec<Change> {
    let mut out = Vec::new();
    for r in &new.rules {
        if let Some(o) = old.rules.iter().find(|o| o.id.value == r.id.value)
            && o.level.value != r.level.value
        {
            let (a, b) = (o.level.value.as_str(), r.level.value.as_str());
            out.push(Change {
                kind: "level",
                change: "changed",
                id: r.id.value.clone(),
                detail: format!("{a} → {b}"),
                fields: vec![field("level", a.to_string(), b.to_string())],
            });
        }
    }
    let none = || "none".to_string();
    by_id(
        &mut out,
        "rule",
        (&old.rules, &new.rules),
        |r| &r.id.value,
        |r| format!("{}, basis {}", r.level.value.as_str(), basis(&r.basis)),
        |o, n| {
            Fields::new(o, n)
                .add("condition", |r| condition(&r.when))
                .add("applies_if", |r| {
                    r.applies_if.as_ref().map_or_else(none, condition)
                })
                .add("exception", |r| {
                    r.unless.as_ref().map_or_else(none, exception)
                })
                .add("escalation", |r| escalations(&r.escalate))
                .add("basis", |r| basis(&r.basis))
                .add("also", |r| bases(&r.also))
                .add("deadline", |r| r.deadline.map_or_else(none, days))
                .add("needs_confirmation", |r| r.needs_confirmation.to_string())
                .add("title", |r| text(&r.title))
                .add("guidance", |r| r.guidance.as_ref().map_or_else(none, text))
                .add("note", |r| r.note.clone().unwrap_or_else(none))
                .done()
        },
    );
    by_id(
        &mut out,
        "item",
        (&old.items, &new.items),
        |i| &i.id.value,
        |i| format!("{}: {}", i.kind.value.as_str(), text(&i.prompt)),
        |o, n| {
            Fields::new(o, n)
                .add("type", |i| i.kind.value.as_str().to_string())
                .add("bounds", bounds)
                .add("options", options)
                .add("applies_if", |i| {
                    i.applies_if.as_ref().map_or_else(none, condition)
                })
                .add("not_applicable", |i| i.not_applicable.to_string())
                .add("photo", |i| i.photo.to_string())
                .add("section", |i| {
                    i.section.as_ref().map_or_else(none, |s| s.value.clone())
                })
                .add("prompt", |i| text(&i.prompt))
                .add("help", |i| i.help.as_ref().map_or_else(none, text))
                .done()
        },
    );
    by_id(
        &mut out,
        "parameter",
        (&old.parameters, &new.parameters),
        |p| &p.id.value,
        parameter_value,
        |o, n| {
            Fields::new(o, n)
                .add("value", parameter_value)
                .add("unit", |p| p.unit.clone().unwrap_or_else(none))
                .add("source", |p| basis(&p.source))
                .add("description", |p| {
                    p.description.as_ref().map_or_else(none, text)
                })
                .done()
        },
    );
    by_id(
        &mut out,
        "section",
        (&old.sections, &new.sections),
        |s| &s.id.value,
        |s| text(&s.title),
        |o, n| Fields::new(o, n).add("title", |s| text(&s.title)).done(),
    );
    by_id(
        &mut out,
        "event_kind",
        (&old.event_kinds, &new.event_kinds),
        |k| &k.id.value,
        |k| text(&k.label),
        |o, n| Fields::new(o, n).add("label", |k| text(&k.label)).done(),
    );
    by_id(
        &mut out,
        "document",
        (&old.documents, &new.documents),
        |d| &d.id.value,
        |d| text(&d.title),
        |o, n| {
            Fields::new(o, n)
                .add("title", |d| text(&d.title))
                .add("number", |d| d.number.clone().unwrap_or_else(none))
                .add("issuer", |d| d.issuer.clone().unwrap_or_else(none))
                .add("date", |d| d.date.map_or_else(none, |d| d.to_string()))
                .add("verified", |d| d.verified.to_string())
                .add("note", |d| d.note.clone().unwrap_or_else(none))
                .done()
        },
    );
    // TODO(#4): the ruleset's `description` is not compared, so a changed
    // description goes unreported; adding it here (with its detail text
    // below) would finish it.
    let meta = Fields::new(old, new)
        .add("effective", |m| {
            m.effective.as_ref().map_or_else(none, period)
        })
        .add("deadlines", |m| {
            m.deadlines.as_ref().map_or_else(none, deadlines)
        })
        .add("title", |m| text(&m.title))
        .add("domain", |m| m.domain.clone().unwrap_or_else(none))
        .add("out_of_force", |m| {
            m.out_of_force.as_ref().map_or_else(none, text)
        })
        .add("follow_up", |m| {
            m.follow_up.as_ref().map_or_else(none, |p| {
                format!(
                    "overdue major {}, repeated open {}",
                    p.overdue_major
                        .map_or_else(|| "default".into(), |b| b.to_string()),
                    p.repeated_open
                        .map_or_else(|| "default".into(), |n| n.to_string())
                )
            })
        })
        .done();
    for f in meta {
        out.push(Change {
            kind: "meta",
            change: "changed",
            id: f.field.to_string(),
            detail: match f.field {
                "effective" => "period in force",
                "deadlines" => "default deadlines",
                "out_of_force" => "note for dates outside every version",
                "follow_up" => "follow-up escalation settings",
                other => other,
            }
            .to_string(),
            fields: vec![f],
        });
    }
    out
}

/// The fields of one thing on both sides, rendered, keeping those that
/// differ.
struct Fields<'a, T> {
    old: &'a T,
    new: &'a T,
    out: Vec<FieldChange>,
}

impl<'a, T> Fields<'a, T> {
    fn new(old: &'a T, new: &'a T) -> Fields<'a, T> {
        Fields {
            old,
            new,
            out: Vec::new(),
        }
    }

    fn add(mut self, name: &'static str, render: impl Fn(&T) -> String) -> Fields<'a, T> {
        let (a, b) = (render(self.old), render(self.new));
        if a != b {
            self.out.push(field(name, a, b));
        }
        self
    }

    fn done(self) -> Vec<FieldChange> {
        self.out
    }
}

/// The rulesets of one side of a comparison, each with its versions.
#[derive(Clone, Debug, Default)]
pub struct Side<'a> {
    rulesets: Vec<(&'a str, &'a [Arc<Ruleset>])>,
}

impl<'a> Side<'a> {
    /// Every ruleset a library holds.
    pub fn all(library: &'a Library) -> Side<'a> {
        Side {
            rulesets: library.ids().map(|id| (id, library.versions(id))).collect(),
        }
    }

    /// Only ruleset `id` of a library (nothing when it has none).
    pub fn one(library: &'a Library, id: &str) -> Side<'a> {
        Side {
            rulesets: library
                .ids()
                .filter(|i| *i == id)
                .map(|id| (id, library.versions(id)))
                .collect(),
        }
    }

    /// The ruleset ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.rulesets.iter().map(|(id, _)| *id)
    }

    fn versions(&self, id: Option<&str>) -> &'a [Arc<Ruleset>] {
        id.and_then(|id| self.rulesets.iter().find(|(i, _)| *i == id))
            .map_or(&[], |(_, v)| *v)
    }
}

/// Whether something was added, removed, changed or left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only the new side has it.
    Added,
    /// Only the old side has it.
    Removed,
    /// Both sides have it, and it differs.
    Changed,
    /// Both sides have it, the same.
    Unchanged,
}

impl Status {
    /// `added`, `removed`, `changed` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// The comparison of one ruleset on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct RulesetDiff {
    /// Its id on the old side; `None` when the ruleset was added.
    pub old_id: Option<String>,
    /// Its id on the new side; `None` when the ruleset was removed. Differs
    /// from `old_id` only when each side holds one ruleset and they were
    /// paired although their ids differ.
    pub new_id: Option<String>,
    /// Added, removed, changed, or unchanged (every version unchanged).
    pub status: Status,
    /// Every version on either side, matched by version label, in the order
    /// of their periods in force.
    pub versions: Vec<VersionDiff>,
}

impl RulesetDiff {
    /// The id to show: the new one, or the old one for a removed ruleset.
    pub fn id(&self) -> &str {
        self.new_id
            .as_deref()
            .or(self.old_id.as_deref())
            .unwrap_or_default()
    }
}

/// The comparison of one version label on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct VersionDiff {
    /// The version label.
    pub version: String,
    /// Added, removed, changed or unchanged.
    pub status: Status,
    /// Its period in force on the old side (`from..to`, open end `from..`).
    pub old_period: Option<String>,
    /// Its period in force on the new side.
    pub new_period: Option<String>,
    /// What changed, level changes first; empty unless `changed`.
    pub changes: Vec<Change>,
}

/// Compares every ruleset of two sides, pairing rulesets by id and versions
/// by label. When each side holds exactly one ruleset under different ids,
/// the two are paired (a renamed ruleset); otherwise a ruleset on one side
/// only is added or removed, with all its versions.
pub fn compare_sides(old: &Side<'_>, new: &Side<'_>) -> Vec<RulesetDiff> {
    pairs(old, new)
        .into_iter()
        .map(|(o, n)| {
            let versions = compare_versions(old.versions(o), new.versions(n));
            let status = match (o, n) {
                (None, _) => Status::Added,
                (_, None) => Status::Removed,
                _ if o != n || versions.iter().any(|v| v.status != Status::Unchanged) => {
                    Status::Changed
                }
                _ => Status::Unchanged,
            };
            RulesetDiff {
                old_id: o.map(String::from),
                new_id: n.map(String::from),
                status,
                versions,
            }
        })
        .collect()
}

/// Behaviour over a corpus of inspections.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CorpusDiff {
    /// How many inspections were given.
    pub inspections: usize,
    /// How many were evaluated on both sides.
    pub evaluated: usize,
    /// Those evaluated on both sides whose verdict or rule outcomes differ,
    /// in input order.
    pub changed: Vec<CorpusChange>,
    /// Those of a compared ruleset that no version covers on one side or
    /// both (their date lies outside every period in force there).
    pub uncovered: Vec<Uncovered>,
    /// Those naming a ruleset that is not compared, with the reason.
    pub skipped: Vec<Skipped>,
}

/// An inspection whose outcome differs between the two sides.
#[derive(Clone, Debug, Serialize)]
pub struct CorpusChange {
    /// The inspection's name (its file).
    pub inspection: String,
    /// The ruleset it names.
    pub ruleset: String,
    /// Its date, which chose the versions.
    pub date: Date,
    /// The old version in force on that date.
    pub old_version: String,
    /// The new version in force on that date.
    pub new_version: String,
    /// The verdict on the old side.
    pub old_verdict: Verdict,
    /// The verdict on the new side.
    pub new_verdict: Verdict,
    /// Each rule whose outcome differs, in rule id order.
    pub rules: Vec<OutcomeChange>,
}

/// How one rule came out on both sides of a corpus inspection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutcomeChange {
    /// The rule id.
    pub rule: String,
    /// The outcome with the old version: `none` (no finding), `undetermined`,
    /// `excepted`, or the finding's level, with ` (escalated)` when it was
    /// escalated and `, due YYYY-MM-DD` when it has a due date.
    pub old: String,
    /// The outcome with the new version, in the same words.
    pub new: String,
}

/// An inspection that a side has no version for.
#[derive(Clone, Debug, Serialize)]
pub struct Uncovered {
    /// The inspection's name.
    pub inspection: String,
    /// The ruleset it names.
    pub ruleset: String,
    /// Its date.
    pub date: Date,
    /// The old version in force on that date, if any.
    pub old_version: Option<String>,
    /// The new version in force on that date, if any.
    pub new_version: Option<String>,
}

/// An inspection left out of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The inspection's name.
    pub inspection: String,
    /// The ruleset it names.
    pub ruleset: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Evaluates every inspection on both sides, each with the version of its
/// ruleset in force on its date there, and lists those whose verdict or
/// rule outcomes change. Inspections of a ruleset neither side compares are
/// skipped with the reason; those whose date no version covers on a side
/// are listed as uncovered.
///
/// ```
/// use hazcheck::diff::{Side, corpus};
/// use hazcheck::{Inspection, Limits, Loader, SourceMap, Verdict};
///
/// // The old side: the shipped rulesets. The new side: the common task
/// // list with a blocked escape exit made a major hazard.
/// let old = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// let mut loader = Loader::new(Limits::default());
/// for path in ["rulesets/common-tasks/2021.yaml", "rulesets/shared/common-tasks.yaml"] {
///     let text = hazcheck::builtin::file(path).ok_or("no such file")?;
///     let edited: Vec<String> = text
///         .lines()
///         .map(|line| {
///             if line.contains("{id: ct.exits-blocked,") {
///                 line.replace("level: ordinary", "level: major")
///             } else {
///                 line.to_string()
///             }
///         })
///         .collect();
///     loader.add_memory(path, &edited.join("\n"));
/// }
/// let new = loader.load().library.ok_or("the changed ruleset has errors")?;
///
/// let mut sources = SourceMap::new();
/// let mut inspections = Vec::new();
/// for (name, text) in [
///     ("exits.yaml", "ruleset: common-tasks\ndate: 2025-03-10\nanswers: {ct.exits.clear: no}\n"),
///     ("plan.yaml", "ruleset: common-tasks\ndate: 2025-03-10\nanswers: {ct.plan.exists: no}\n"),
///     ("fire.yaml", "ruleset: forest-fire\ndate: 2025-03-10\n"),
/// ] {
///     let inspection = Inspection::parse(text, name, &mut sources, &Limits::default())
///         .map_err(|d| format!("{} problems", d.len()))?;
///     inspections.push((name.to_string(), inspection));
/// }
///
/// let old_side = Side::one(&old, "common-tasks");
/// let diff = corpus(&old_side, &Side::all(&new), &inspections);
/// assert_eq!((diff.inspections, diff.evaluated), (3, 2));
/// assert_eq!(diff.changed.len(), 1);
/// let change = &diff.changed[0];
/// assert_eq!(change.inspection, "exits.yaml");
/// assert_eq!((change.old_verdict, change.new_verdict), (Verdict::Ordinary, Verdict::Major));
/// assert_eq!(change.rules[0].rule, "ct.exits-blocked");
/// assert_eq!((change.rules[0].old.as_str(), change.rules[0].new.as_str()), ("ordinary", "major"));
/// // An inspection of a ruleset that is not compared is skipped, with the reason.
/// assert_eq!(diff.skipped[0].inspection, "fire.yaml");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn corpus(old: &Side<'_>, new: &Side<'_>, inspections: &[(String, Inspection)]) -> CorpusDiff {
    let opts = EvalOptions::default();
    let pairs = pairs(old, new);
    let mut out = CorpusDiff {
        inspections: inspections.len(),
        ..CorpusDiff::default()
    };
    for (name, i) in inspections {
        let id = i.ruleset.value.as_str();
        let date = i.date.value;
        let Some((o, n)) = pairs
            .iter()
            .find(|(o, n)| *o == Some(id) || *n == Some(id))
            .copied()
        else {
            let compared: Vec<&str> = pairs.iter().map(|(o, n)| n.or(*o).unwrap_or("")).collect();
            out.skipped.push(Skipped {
                inspection: name.clone(),
                ruleset: id.to_string(),
                reason: format!(
                    "it names ruleset `{id}`, which is not compared (compared: {})",
                    if compared.is_empty() {
                        "none".to_string()
                    } else {
                        compared.join(", ")
                    }
                ),
            });
            continue;
        };
        let in_force = |versions: &[Arc<Ruleset>]| {
            versions
                .iter()
                .find(|v| v.info().in_force(date))
                .map(Arc::clone)
        };
        let (a, b) = (in_force(old.versions(o)), in_force(new.versions(n)));
        let (Some(a), Some(b)) = (a.clone(), b.clone()) else {
            out.uncovered.push(Uncovered {
                inspection: name.clone(),
                ruleset: id.to_string(),
                date,
                old_version: a.map(|v| v.info().version.clone()),
                new_version: b.map(|v| v.info().version.clone()),
            });
            continue;
        };
        out.evaluated += 1;
        let (ra, rb) = (a.evaluate(i, &opts), b.evaluate(i, &opts));
        let (oa, ob) = (outcomes(&ra), outcomes(&rb));
        let rules: BTreeSet<&str> = oa.keys().chain(ob.keys()).copied().collect();
        let none = "none".to_string();
        let rules: Vec<OutcomeChange> = rules
            .into_iter()
            .filter_map(|r| {
                let (x, y) = (oa.get(r).unwrap_or(&none), ob.get(r).unwrap_or(&none));
                (x != y).then(|| OutcomeChange {
                    rule: r.to_string(),
                    old: x.clone(),
                    new: y.clone(),
                })
            })
            .collect();
        if ra.verdict != rb.verdict || !rules.is_empty() {
            out.changed.push(CorpusChange {
                inspection: name.clone(),
                ruleset: id.to_string(),
                date,
                old_version: a.info().version.clone(),
                new_version: b.info().version.clone(),
                old_verdict: ra.verdict,
                new_verdict: rb.verdict,
                rules,
            });
        }
    }
    out
}

/// Pairs the rulesets of two sides: same ids, or the only ruleset of each.
fn pairs<'a>(old: &Side<'a>, new: &Side<'a>) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    let a: Vec<&str> = old.ids().collect();
    let b: Vec<&str> = new.ids().collect();
    if let ([x], [y]) = (a.as_slice(), b.as_slice()) {
        return vec![(Some(*x), Some(*y))];
    }
    let all: BTreeSet<&str> = a.iter().chain(&b).copied().collect();
    all.into_iter()
        .map(|id| (a.contains(&id).then_some(id), b.contains(&id).then_some(id)))
        .collect()
}

fn compare_versions(old: &[Arc<Ruleset>], new: &[Arc<Ruleset>]) -> Vec<VersionDiff> {
    let mut labels: Vec<(Date, &str)> = Vec::new();
    for v in new.iter().chain(old) {
        let label = v.info().version.as_str();
        if !labels.iter().any(|(_, l)| *l == label) {
            labels.push((v.info().effective_from, label));
        }
    }
    labels.sort();
    labels
        .into_iter()
        .map(|(_, label)| {
            let find = |side: &[Arc<Ruleset>]| {
                side.iter()
                    .find(|v| v.info().version == label)
                    .map(Arc::clone)
            };
            let (o, n) = (find(old), find(new));
            let changes = match (&o, &n) {
                (Some(o), Some(n)) => compare(o.model(), n.model()),
                _ => Vec::new(),
            };
            let status = match (&o, &n) {
                (None, _) => Status::Added,
                (_, None) => Status::Removed,
                _ if changes.is_empty() => Status::Unchanged,
                _ => Status::Changed,
            };
            VersionDiff {
                version: label.to_string(),
                status,
                old_period: o.as_ref().map(|v| info_period(v)),
                new_period: n.as_ref().map(|v| info_period(v)),
                changes,
            }
        })
        .collect()
}

fn info_period(v: &Ruleset) -> String {
    let i = v.info();
    format!(
        "{}..{}",
        i.effective_from,
        i.effective_to.map_or(String::new(), |d| d.to_string())
    )
}

/// Each rule's outcome in a report, in the words of [`OutcomeChange`].
fn outcomes(r: &Report) -> BTreeMap<&str, String> {
    let mut out = BTreeMap::new();
    for f in &r.findings {
        let mut s = f.level.as_str().to_string();
        if f.escalated_from.is_some() {
            s.push_str(" (escalated)");
        }
        if let Some(d) = f.due {
            let _ = write!(s, ", due {d}");
        }
        out.insert(f.rule.as_str(), s);
    }
    for u in &r.undetermined {
        out.insert(u.rule.as_str(), "undetermined".to_string());
    }
    for x in &r.excepted {
        out.insert(x.rule.as_str(), "excepted".to_string());
    }
    out
}

/// Compares two lists of things with ids: added and changed in the new
/// order, then removed in the old order.
fn by_id<T>(
    out: &mut Vec<Change>,
    kind: &'static str,
    (old, new): (&[T], &[T]),
    id: impl Fn(&T) -> &String,
    summary: impl Fn(&T) -> String,
    fields: impl Fn(&T, &T) -> Vec<FieldChange>,
) {
    for n in new {
        match old.iter().find(|o| id(o) == id(n)) {
            None => out.push(Change {
                kind,
                change: "added",
                id: id(n).clone(),
                detail: summary(n),
                fields: Vec::new(),
            }),
            Some(o) => {
                let f = fields(o, n);
                if !f.is_empty() {
                    out.push(Change {
                        kind,
                        change: "changed",
                        id: id(n).clone(),
                        detail: f.iter().map(|f| f.field).collect::<Vec<_>>().join(", "),
                        fields: f,
                    });
                }
            }
        }
    }
    for o in old {
        if !new.iter().any(|n| id(n) == id(o)) {
            out.push(Change {
                kind,
                change: "removed",
                id: id(o).clone(),
                detail: summary(o),
                fields: Vec::new(),
            });
        }
    }
}

fn field(field: &'static str, old: String, new: String) -> FieldChange {
    FieldChange { field, old, new }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_follow_up_settings_are_listed() {
        let old = RulesetFile::default();
        let new = RulesetFile {
            follow_up: Some(crate::model::FollowUpPolicy {
                repeated_open: Some(3),
                ..crate::model::FollowUpPolicy::default()
            }),
            ..RulesetFile::default()
        };
        let changes = compare(&old, &new);
        let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["follow_up"]);
        assert_eq!(
            changes[0].fields[0].new,
            "overdue major default, repeated open 3"
        );
        assert!(compare(&new, &new).is_empty());
    }
    use crate::{Limits, Loader, SourceMap};

    /// A small ruleset; `extra` is appended to its rules.
    fn ruleset(id: &str, version: &str, from: &str, to: Option<&str>, rules: &str) -> String {
        let to = to.map_or(String::new(), |t| format!(", to: {t}"));
        format!(
            r#"
ruleset: {id}
version: "{version}"
title: {{zh: 演示, en: Demo}}
effective: {{from: {from}{to}}}
deadlines: {{ordinary: 7, major: 30}}
documents:
  - {{id: std, title: {{zh: 标准, en: Standard}}, verified: true}}
parameters:
  - {{id: limit, value: 5, unit: m, source: {{document: std, clause: "1"}}}}
items:
  - {{id: depth, type: number, unit: m, prompt: {{zh: 深度, en: Depth}}}}
  - {{id: guard, type: yes_no, prompt: {{zh: 护栏, en: Guard?}}}}
rules:
  - id: deep
    level: major
    basis: {{document: std, clause: "1"}}
    title: {{zh: 过深, en: Too deep}}
    when: {{item: depth, gte: {{param: limit}}}}
{rules}"#
        )
    }

    const GUARD: &str = r#"
  - id: no-guard
    level: ordinary
    basis: {document: std, clause: "2"}
    title: {zh: 无护栏, en: No guard}
    when: {item: guard, is: false}
"#;

    fn library(files: &[String]) -> Library {
        let mut loader = Loader::new(Limits::default());
        for (i, f) in files.iter().enumerate() {
            loader.add_memory(&format!("v{i}.yaml"), f);
        }
        let outcome = loader.load();
        let errors: Vec<&str> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .collect();
        outcome.library.unwrap_or_else(|| panic!("{errors:?}"))
    }

    fn model(text: &str) -> RulesetFile {
        library(&[text.to_string()])
            .versions("demo")
            .first()
            .map(|v| v.model().clone())
            .expect("one version")
    }

    fn one(text: &str) -> String {
        ruleset("demo", "1", "2024-01-01", None, text)
    }

    #[test]
    fn identical_versions_have_no_change() {
        assert_eq!(compare(&model(&one(GUARD)), &model(&one(GUARD))), vec![]);
    }

    #[test]
    fn a_level_change_comes_first_with_both_levels() {
        let old = model(&one(GUARD));
        let new = model(
            &one(&GUARD.replace("level: ordinary", "level: major"))
                .replace("clause: \"2\"", "clause: \"2(1)\""),
        );
        let changes = compare(&old, &new);
        assert_eq!(changes[0].kind, "level");
        assert_eq!(changes[0].id, "no-guard");
        assert_eq!(changes[0].detail, "ordinary → major");
        assert_eq!(
            changes[0].fields,
            vec![field("level", "ordinary".into(), "major".into())]
        );
        assert_eq!(changes[1].kind, "rule");
        assert_eq!(
            changes[1].fields,
            vec![field("basis", "std 2".into(), "std 2(1)".into())]
        );
    }

    #[test]
    fn added_and_removed_rules_and_items_are_listed_with_what_they_are() {
        let old = model(&one(GUARD));
        let new = model(
            &one("")
                .replace(
                    "  - {id: guard, type: yes_no, prompt: {zh: 护栏, en: Guard?}}\n",
                    "  - {id: water, type: yes_no, prompt: {zh: 积水, en: Water?}}\n",
                )
                .replace("rules:\n", "rules:\n  - {id: wet, level: ordinary, basis: {document: std, clause: \"3\"}, title: {zh: 积水, en: Water}, when: {item: water, is: true}}\n"),
        );
        let got: Vec<String> = compare(&old, &new)
            .iter()
            .map(|c| format!("{} {} {}: {}", c.change, c.kind, c.id, c.detail))
            .collect();
        assert_eq!(
            got,
            vec![
                "added rule wet: ordinary, basis std 3",
                "removed rule no-guard: ordinary, basis std 2",
                "added item water: yes_no: 积水 / Water?",
                "removed item guard: yes_no: 护栏 / Guard?",
            ]
        );
    }

    #[test]
    fn changed_conditions_thresholds_and_deadlines_show_old_and_new() {
        let old = model(&one(GUARD));
        let new = model(
            &one(&GUARD.replace(
                "when: {item: guard, is: false}",
                "deadline: 3\n    when: {all: [{item: guard, is: false}, {item: depth, gt: {param: limit, factor: 0.5}}]}",
            ))
            .replace("value: 5, unit: m", "value: 4.5, unit: m")
            .replace("deadlines: {ordinary: 7", "deadlines: {ordinary: 10"),
        );
        let changes = compare(&old, &new);
        let fields: Vec<(&str, &str, &str, &str)> = changes
            .iter()
            .flat_map(|c| {
                c.fields
                    .iter()
                    .map(move |f| (c.id.as_str(), f.field, f.old.as_str(), f.new.as_str()))
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                (
                    "no-guard",
                    "condition",
                    "guard is no",
                    "all(guard is no, depth > param limit × 0.5)"
                ),
                ("no-guard", "deadline", "none", "3 days"),
                ("limit", "value", "5 m", "4.5 m"),
                (
                    "deadlines",
                    "deadlines",
                    "ordinary 7 days, major 30 days",
                    "ordinary 10 days, major 30 days"
                ),
            ]
        );
        assert_eq!(changes[0].detail, "condition, deadline");
    }

    #[test]
    fn conditions_render_compactly() {
        let cases = [
            (
                "{item: depth, between: {min: 1, max: 2, max_exclusive: true}}",
                "depth in [1, 2)",
            ),
            (
                "{item: depth, between: {min: {param: limit}}}",
                "depth in [param limit, ∞]",
            ),
            (
                "{any: [{item: guard, answered: false}, {not: {item: guard, not_applicable: true}}]}",
                "any(guard not answered, not(guard is n/a))",
            ),
            (
                "{at_least: {n: 1, of: [{item: guard, is: true}, {rule: deep}]}}",
                "at least 1 of (guard is yes, rule deep)",
            ),
            (
                "{season: {from: 06-01, to: 09-30}}",
                "inspection date in season 06-01..09-30",
            ),
            (
                "{inspection_date: {from: 2024-03-01}}",
                "inspection date in 2024-03-01..",
            ),
            (
                "{previous: {rule: deep, overdue: true}}",
                "previous finding deep, overdue",
            ),
            ("{item: depth, ne: 3}", "depth != 3"),
        ];
        for (yaml, want) in cases {
            let m = model(&one(&GUARD.replace("{item: guard, is: false}", yaml)));
            let rule = m
                .rules
                .iter()
                .find(|r| r.id.value == "no-guard")
                .expect("rule");
            assert_eq!(condition(&rule.when), want, "{yaml}");
        }
    }

    #[test]
    fn versions_are_matched_by_label_and_added_or_removed_ones_reported() {
        let old = library(&[
            ruleset("demo", "2022", "2022-01-01", Some("2023-12-31"), GUARD),
            ruleset("demo", "2024", "2024-01-01", None, GUARD),
        ]);
        let new = library(&[
            ruleset("demo", "2024", "2024-01-01", Some("2025-12-31"), ""),
            ruleset("demo", "2026", "2026-01-01", None, GUARD),
        ]);
        let diff = compare_sides(&Side::all(&old), &Side::all(&new));
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].status, Status::Changed);
        let v: Vec<(&str, Status)> = diff[0]
            .versions
            .iter()
            .map(|v| (v.version.as_str(), v.status))
            .collect();
        assert_eq!(
            v,
            vec![
                ("2022", Status::Removed),
                ("2024", Status::Changed),
                ("2026", Status::Added)
            ]
        );
        let changed = &diff[0].versions[1];
        assert_eq!(changed.old_period.as_deref(), Some("2024-01-01.."));
        assert_eq!(
            changed.new_period.as_deref(),
            Some("2024-01-01..2025-12-31")
        );
        let kinds: Vec<(&str, &str)> = changed
            .changes
            .iter()
            .map(|c| (c.change, c.id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![("removed", "no-guard"), ("changed", "effective")]
        );
        // Nothing changed: every version unchanged.
        let same = compare_sides(&Side::all(&old), &Side::all(&old));
        assert_eq!(same[0].status, Status::Unchanged);
        assert!(
            same[0]
                .versions
                .iter()
                .all(|v| v.status == Status::Unchanged)
        );
    }

    #[test]
    fn rulesets_pair_by_id_and_a_lone_pair_even_when_renamed() {
        let a = library(&[ruleset("alpha", "1", "2024-01-01", None, "")]);
        let b = library(&[ruleset("beta", "1", "2024-01-01", None, "")]);
        let renamed = compare_sides(&Side::all(&a), &Side::all(&b));
        assert_eq!(renamed.len(), 1);
        assert_eq!(renamed[0].old_id.as_deref(), Some("alpha"));
        assert_eq!(renamed[0].new_id.as_deref(), Some("beta"));
        assert_eq!(renamed[0].status, Status::Changed);
        let both = library(&[
            ruleset("alpha", "1", "2024-01-01", None, ""),
            ruleset("gamma", "1", "2024-01-01", None, ""),
        ]);
        let d = compare_sides(&Side::all(&both), &Side::all(&b));
        let got: Vec<(&str, Status)> = d.iter().map(|r| (r.id(), r.status)).collect();
        assert_eq!(
            got,
            vec![
                ("alpha", Status::Removed),
                ("beta", Status::Added),
                ("gamma", Status::Removed)
            ]
        );
        assert!(d[1].versions.iter().all(|v| v.status == Status::Added));
        // `one` keeps only the ruleset asked for.
        assert_eq!(
            Side::one(&both, "gamma").ids().collect::<Vec<_>>(),
            ["gamma"]
        );
        assert_eq!(Side::one(&both, "nope").ids().count(), 0);
    }

    fn inspection(text: &str) -> Inspection {
        let mut sources = SourceMap::new();
        Inspection::parse(text, "i.yaml", &mut sources, &Limits::default()).expect("inspection")
    }

    #[test]
    fn the_corpus_uses_the_version_in_force_on_each_side_and_reports_the_rest() {
        let old = library(&[
            ruleset("demo", "2022", "2022-01-01", Some("2023-12-31"), GUARD),
            ruleset("demo", "2024", "2024-01-01", None, GUARD),
        ]);
        let new = library(&[
            ruleset(
                "demo",
                "2022",
                "2022-01-01",
                Some("2023-12-31"),
                &GUARD.replace("level: ordinary", "level: major"),
            ),
            ruleset("demo", "2024", "2024-01-01", Some("2025-12-31"), GUARD),
        ]);
        let list = [
            (
                "in-2022",
                "ruleset: demo\ndate: 2022-05-01\nanswers: {depth: 1, guard: no}\n",
            ),
            (
                "in-2024",
                "ruleset: demo\ndate: 2024-05-01\nanswers: {depth: 1, guard: no}\n",
            ),
            (
                "in-2026",
                "ruleset: demo\ndate: 2026-05-01\nanswers: {depth: 1, guard: no}\n",
            ),
            (
                "in-2020",
                "ruleset: demo\ndate: 2020-05-01\nanswers: {depth: 1, guard: no}\n",
            ),
            ("other", "ruleset: other\ndate: 2024-05-01\n"),
        ];
        let inspections: Vec<(String, Inspection)> = list
            .iter()
            .map(|(n, t)| (n.to_string(), inspection(t)))
            .collect();
        let c = corpus(&Side::all(&old), &Side::all(&new), &inspections);
        assert_eq!(c.inspections, 5);
        assert_eq!(c.evaluated, 2);
        // Only the 2022 inspection changes: the 2024 version is the same on
        // both sides, whatever the newest version says.
        assert_eq!(c.changed.len(), 1);
        let x = &c.changed[0];
        assert_eq!(x.inspection, "in-2022");
        assert_eq!(
            (x.old_version.as_str(), x.new_version.as_str()),
            ("2022", "2022")
        );
        assert_eq!(
            (x.old_verdict, x.new_verdict),
            (Verdict::Ordinary, Verdict::Major)
        );
        assert_eq!(
            x.rules,
            vec![OutcomeChange {
                rule: "no-guard".into(),
                old: "ordinary, due 2022-05-08".into(),
                new: "major, due 2022-05-31".into(),
            }]
        );
        let uncovered: Vec<(&str, Option<&str>, Option<&str>)> = c
            .uncovered
            .iter()
            .map(|u| {
                (
                    u.inspection.as_str(),
                    u.old_version.as_deref(),
                    u.new_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            uncovered,
            vec![("in-2026", Some("2024"), None), ("in-2020", None, None)]
        );
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].inspection, "other");
        assert!(
            c.skipped[0].reason.contains("`other`"),
            "{}",
            c.skipped[0].reason
        );
    }

    #[test]
    fn the_corpus_lists_undetermined_and_excepted_outcomes() {
        let old = library(&[one(GUARD)]);
        let new = library(&[one(&GUARD.replace(
            "when: {item: guard, is: false}",
            "when: {item: guard, is: false}\n    unless: {when: {item: depth, lt: 1}, reason: {zh: 浅, en: shallow}}",
        ))]);
        let inspections = vec![
            (
                "shallow".to_string(),
                inspection("ruleset: demo\ndate: 2024-05-01\nanswers: {depth: 0.5, guard: no}\n"),
            ),
            (
                "unknown".to_string(),
                inspection("ruleset: demo\ndate: 2024-05-01\nanswers: {guard: no}\n"),
            ),
        ];
        let c = corpus(&Side::all(&old), &Side::all(&new), &inspections);
        let got: Vec<(&str, &str, &str)> = c
            .changed
            .iter()
            .flat_map(|x| {
                x.rules
                    .iter()
                    .map(move |r| (x.inspection.as_str(), r.old.as_str(), r.new.as_str()))
            })
            .collect();
        assert_eq!(
            got,
            vec![("shallow", "ordinary, due 2024-05-08", "excepted")]
        );
        // A rule that now also needs the missing depth is undetermined.
        let needs_depth = library(&[one(&GUARD.replace(
            "when: {item: guard, is: false}",
            "when: {all: [{item: guard, is: false}, {item: depth, lt: 100}]}",
        ))]);
        let c = corpus(&Side::all(&old), &Side::all(&needs_depth), &inspections);
        let got: Vec<(&str, Verdict, &[OutcomeChange])> = c
            .changed
            .iter()
            .map(|x| (x.inspection.as_str(), x.new_verdict, x.rules.as_slice()))
            .collect();
        assert_eq!(
            got,
            vec![(
                "unknown",
                Verdict::Incomplete,
                &[OutcomeChange {
                    rule: "no-guard".into(),
                    old: "ordinary, due 2024-05-08".into(),
                    new: "undetermined".into(),
                }][..]
            )]
        );
    }
}
