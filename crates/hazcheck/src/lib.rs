//! hazcheck makes work-safety hazard checklists executable.
//!
//! Experts write a ruleset in YAML: checklist items with typed answers, and
//! rules that say when an answer pattern is an ordinary hazard (一般事故隐患)
//! or a major hazard (重大事故隐患), each with its legal basis. Apps load and
//! compile a ruleset once, then evaluate many inspections; each evaluation
//! gives a [`Report`] with findings, their level, basis, evidence and
//! explanation. What cannot be decided because an answer is missing is
//! reported as undetermined, never as a pass.
//!
//! ```
//! use hazcheck::{EvalOptions, Inspection, Limits, Loader, SourceMap};
//!
//! let ruleset = r#"
//! ruleset: demo
//! version: "1"
//! title: {zh: 演示, en: Demo}
//! effective: {from: 2024-01-01}
//! documents:
//!   - {id: std, title: {zh: 标准, en: Standard}, verified: true}
//! items:
//!   - id: guard.present
//!     type: yes_no
//!     prompt: {zh: 是否设置护栏？, en: Is a guardrail installed?}
//! rules:
//!   - id: no-guard
//!     level: ordinary
//!     basis: {document: std, clause: "4.1"}
//!     title: {zh: 未设置护栏, en: No guardrail}
//!     when: {item: guard.present, is: false}
//! "#;
//! let mut loader = Loader::new(Limits::default());
//! loader.add_memory("demo.yaml", ruleset);
//! let outcome = loader.load();
//! let library = outcome.library.ok_or("the ruleset has errors")?;
//!
//! let mut sources = SourceMap::new();
//! let inspection = Inspection::parse(
//!     "ruleset: demo\ndate: 2025-03-01\nanswers: {guard.present: no}\n",
//!     "inspection.yaml",
//!     &mut sources,
//!     &Limits::default(),
//! )
//! .map_err(|_| "bad inspection")?;
//! let report = library.evaluate(&inspection, &EvalOptions::default())?;
//! assert_eq!(report.verdict, hazcheck::Verdict::Ordinary);
//! assert_eq!(report.findings[0].rule, "no-guard");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The types most apps need are at the top of the crate: [`Loader`] and
//! [`Library`] (or [`builtin::load`] for the shipped rulesets), [`Inspection`],
//! [`EvalOptions`], [`Report`] and [`Limits`]. The rest, by task:
//!
//! - [`batch`]: many inspections as NDJSON, one record per line;
//! - [`followup`]: a return visit matched against the previous one;
//! - [`stats`]: counts over many reports and follow-ups;
//! - [`testing`]: a ruleset's own test cases and their coverage;
//! - [`diff`]: what changed between two versions of a ruleset;
//! - [`schema`]: the JSON Schemas of rulesets, inspections and reports;
//! - [`decimal`], [`date`], [`eval::Truth`]: the values conditions compare
//!   and the logic that combines them;
//! - [`diagnostic`], [`span`]: located, coded problems.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod batch;
pub mod builtin;
pub mod compile;
pub mod date;
pub mod decimal;
pub mod decode;
pub mod diagnostic;
pub mod diff;
pub mod eval;
pub mod followup;
#[doc(hidden)]
pub mod fuzzing;
pub mod inspection;
pub mod json;
pub mod limits;
pub mod load;
pub mod model;
pub mod node;
pub mod report;
pub mod schema;
pub mod script;
pub mod span;
pub mod stats;
pub mod testing;

pub use date::Date;
pub use decimal::Decimal;
pub use diagnostic::{Code, Diagnostic, Severity};
pub use eval::{EvalOptions, Truth};
pub use inspection::Inspection;
pub use limits::Limits;
pub use load::{Library, LoadOutcome, Loader, SelectError};
pub use model::{Lang, Level, Text};
pub use report::{Report, Verdict};
pub use span::{FileId, SourceMap, Span};

// The embedding guide's code blocks run as doc tests of this crate, so the
// guide cannot drift from the API it describes.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/embedding.md")]
pub struct EmbeddingGuide;

/// What identifies one compiled ruleset version.
#[derive(Clone, Debug, PartialEq)]
pub struct RulesetInfo {
    /// The ruleset id.
    pub id: String,
    /// The version label.
    pub version: String,
    /// The supervision domain.
    pub domain: Option<String>,
    /// The title.
    pub title: Text,
    /// The description.
    pub description: Option<Text>,
    /// First day in force.
    pub effective_from: Date,
    /// Last day in force, if any.
    pub effective_to: Option<Date>,
    /// The file it was loaded from.
    pub file: String,
}

/// One compiled ruleset version: immutable, `Send + Sync`, ready to
/// evaluate any number of inspections from any number of threads.
pub struct Ruleset {
    pub(crate) info: RulesetInfo,
    pub(crate) model: model::RulesetFile,
    pub(crate) documents: Vec<model::Document>,
    pub(crate) deadlines: model::Deadlines,
    pub(crate) compiled: compile::Compiled,
    /// Item ids with their index, sorted by id: answers (sorted too) are
    /// matched to items in one pass, without hashing.
    pub(crate) items_by_id: Vec<(String, usize)>,
    pub(crate) limits: Limits,
}

impl std::fmt::Debug for Ruleset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ruleset")
            .field("id", &self.info.id)
            .field("version", &self.info.version)
            .field("items", &self.compiled.items.len())
            .field("rules", &self.compiled.rules.len())
            .finish()
    }
}

impl Ruleset {
    pub(crate) fn new(
        info: RulesetInfo,
        model: model::RulesetFile,
        compiled: compile::Compiled,
        limits: Limits,
    ) -> Ruleset {
        let mut items_by_id: Vec<(String, usize)> = compiled
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        items_by_id.sort_unstable();
        Ruleset {
            info,
            documents: model.documents.clone(),
            deadlines: load::deadlines_of(&model),
            model,
            compiled,
            items_by_id,
            limits,
        }
    }

    /// The version's identity.
    pub fn info(&self) -> &RulesetInfo {
        &self.info
    }

    /// The ruleset as written, after includes were merged.
    pub fn model(&self) -> &model::RulesetFile {
        &self.model
    }

    /// The limits it was compiled with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Number of items.
    pub fn item_count(&self) -> usize {
        self.compiled.items.len()
    }

    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.compiled.rules.len()
    }

    /// The index of an item.
    pub(crate) fn item_ix(&self, id: &str) -> Option<usize> {
        self.items_by_id
            .binary_search_by(|(k, _)| k.as_str().cmp(id))
            .ok()
            .and_then(|at| self.items_by_id.get(at))
            .map(|(_, ix)| *ix)
    }

    /// Evaluates an inspection with this version, whatever its date. Most
    /// callers use [`Library::evaluate`], which picks the version in force.
    pub fn evaluate(&self, inspection: &Inspection, options: &EvalOptions) -> Report {
        // Evaluation recurses once per condition level; a ruleset loaded
        // with deep limits is evaluated where the stack is deep enough.
        // Should no thread start, it is evaluated here, where the default
        // limits always fit.
        let run = || eval::evaluate(self, inspection, options);
        limits::with_stack(self.limits.line_stack(), run).unwrap_or_else(|_| run())
    }
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}
    #[test]
    fn compiled_rulesets_can_be_shared_between_threads() {
        assert_send_sync::<super::Ruleset>();
        assert_send_sync::<super::Library>();
    }
}
