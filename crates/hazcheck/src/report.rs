//! The report: what evaluating one inspection produces.
//!
//! A report is plain data with a JSON Schema (`hazcheck schema report`). It
//! names the ruleset version used, gives a verdict, lists findings with
//! their basis and evidence, excepted findings, undetermined rules with the
//! answers they miss, and the problems found in the answers. The same
//! inputs always give byte-identical JSON: every list has a fixed order and
//! nothing depends on the clock or on hashing. Reports also deserialize, so
//! that follow-up inspections and statistics can read reports written
//! earlier.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::diagnostic::Code;
use crate::model::{Lang, Level, Text};

/// The format version of reports; it changes only when a field changes
/// meaning or disappears.
pub const REPORT_FORMAT: &str = "hazcheck.report/1";

/// The outcome of evaluating one inspection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// The ruleset version used.
    pub ruleset: RulesetRef,
    /// The inspection evaluated.
    pub inspection: InspectionRef,
    /// The overall verdict.
    pub verdict: Verdict,
    /// Whether every rule, and every exception and escalation of a
    /// finding, could be decided. A report with findings can still be incomplete.
    pub complete: bool,
    /// Counts, for dashboards.
    pub counts: Counts,
    /// The findings, major first, then by rule id.
    pub findings: Vec<Finding>,
    /// Findings cancelled by an exception.
    pub excepted: Vec<Excepted>,
    /// Rules that could not be decided.
    pub undetermined: Vec<Undetermined>,
    /// Problems with the answers.
    pub input_diagnostics: Vec<InputDiagnostic>,
    /// Condition trees of every rule, when an explanation was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanations: Option<Vec<Explanation>>,
}

/// The overall verdict of a report.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No finding, and every rule was decided.
    Clear,
    /// No finding, but some rules could not be decided: not a pass.
    Incomplete,
    /// At least one ordinary finding and no major one.
    Ordinary,
    /// At least one major finding.
    Major,
}

impl Verdict {
    /// The verdict as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clear => "clear",
            Verdict::Incomplete => "incomplete",
            Verdict::Ordinary => "ordinary",
            Verdict::Major => "major",
        }
    }

    /// A short text in the given language.
    pub fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Verdict::Clear, Lang::Zh) => "未发现隐患",
            (Verdict::Incomplete, Lang::Zh) => "无法判定（有未回答的检查项）",
            (Verdict::Ordinary, Lang::Zh) => "存在一般事故隐患",
            (Verdict::Major, Lang::Zh) => "存在重大事故隐患",
            (Verdict::Clear, Lang::En) => "no hazard found",
            (Verdict::Incomplete, Lang::En) => "undecided (unanswered items)",
            (Verdict::Ordinary, Lang::En) => "ordinary hazards found",
            (Verdict::Major, Lang::En) => "major hazard found",
        }
    }
}

/// The ruleset version a report used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RulesetRef {
    /// The ruleset id.
    pub id: String,
    /// The version label.
    pub version: String,
    /// The supervision domain, such as `construction`, when the ruleset
    /// names one; statistics group findings by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Its title.
    pub title: Text,
    /// First day in force.
    pub effective_from: Date,
    /// Last day in force, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<Date>,
}

/// The inspection a report is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InspectionRef {
    /// The inspection id, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The inspection date.
    pub date: Date,
    /// The site.
    pub site: crate::inspection::Site,
    /// Who inspected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
}

/// Counts of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Rules in the ruleset version.
    pub rules: usize,
    /// Major findings.
    pub major: usize,
    /// Ordinary findings.
    pub ordinary: usize,
    /// Findings that need a person's confirmation.
    pub needs_confirmation: usize,
    /// Excepted findings.
    pub excepted: usize,
    /// Undetermined rules.
    pub undetermined: usize,
    /// Findings whose escalation could not be decided.
    pub undetermined_escalations: usize,
    /// Findings whose exception could not be decided.
    // Added within format /1: reports written before it must still be
    // readable by follow-ups and statistics.
    #[serde(default)]
    pub undetermined_exceptions: usize,
    /// Rules that did not apply to this site.
    pub not_applicable: usize,
    /// Rules decided as not firing.
    pub passed: usize,
    /// Problems with the answers.
    pub input_diagnostics: usize,
}

/// A citation as shown in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BasisRef {
    /// The document id.
    pub document: String,
    /// The document's title.
    pub title: Text,
    /// Its official number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The clause.
    pub clause: String,
    /// Whether the clause was verified against the official text. An
    /// unverified clause must be checked before the finding is used.
    pub verified: bool,
}

/// An answer that a finding, exception or undetermined rule rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// The item id.
    pub item: String,
    /// The item's question.
    pub prompt: Text,
    /// The answer as written; `null` when missing.
    pub answer: serde_json::Value,
    /// The condition it satisfied, such as `excavation.depth ≥ 3`.
    pub condition: String,
}

/// A finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The rule that fired.
    pub rule: String,
    /// The level, after escalation.
    pub level: Level,
    /// The level before escalation, when it was escalated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_from: Option<Level>,
    /// Why it was escalated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation_reason: Option<Text>,
    /// Whether a person must confirm it before it is final.
    pub needs_confirmation: bool,
    /// Whether every clause it cites was verified.
    pub verified: bool,
    /// What is wrong.
    pub title: Text,
    /// The clause that makes it a hazard.
    pub basis: BasisRef,
    /// Further clauses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<BasisRef>,
    /// The answers that made it fire.
    pub evidence: Vec<Evidence>,
    /// For "at least N of" conditions: the members that were counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counted: Vec<String>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<Text>,
    /// For a major finding: the five rectification elements to settle
    /// (responsibility, funds, measures, deadline, emergency plan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rectification: Vec<Text>,
    /// An exception that could not be decided because answers are missing:
    /// the finding stands, but might be cancelled once they are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undetermined_exception: Option<UndeterminedException>,
    /// Escalations that could not be decided because answers are missing:
    /// the finding may be more serious than its level says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undetermined_escalations: Vec<UndeterminedEscalation>,
    /// Days allowed to rectify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_days: Option<u32>,
    /// The rectification due date. Absent when nothing sets a deadline for
    /// the finding: neither the inspection (by rule or by level), nor the
    /// rule, nor the ruleset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// Where `deadline_days` and `due` come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_from: Option<DeadlineFrom>,
}

/// Where a finding's rectification deadline comes from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineFrom {
    /// The inspection's `deadlines.rules` entry for the finding's rule.
    InspectionRule,
    /// The rule's own `deadline` in the ruleset.
    Rule,
    /// The inspection's `deadlines` for the finding's level.
    InspectionLevel,
    /// The ruleset's `deadlines` for the finding's level.
    Ruleset,
    /// In a follow-up, a hazard still there keeps the due date of the
    /// visit that found it (`deadline_days` then counts from that visit).
    FirstVisit,
}

/// An exception of a finding that could not be decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UndeterminedException {
    /// Why the exception would apply.
    pub reason: Text,
    /// The unanswered items that decide it.
    pub missing: Vec<String>,
}

/// An escalation of a finding that could not be decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UndeterminedEscalation {
    /// The level it would escalate to.
    pub to: Level,
    /// Why it would escalate.
    pub reason: Text,
    /// The unanswered items that decide it.
    pub missing: Vec<String>,
}

/// A finding cancelled by an exception.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Excepted {
    /// The rule.
    pub rule: String,
    /// The level it would have had.
    pub level: Level,
    /// What would have been wrong.
    pub title: Text,
    /// Why the exception applies.
    pub reason: Text,
    /// The clause granting the exception, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception_basis: Option<BasisRef>,
    /// The answers that made the rule fire.
    pub evidence: Vec<Evidence>,
    /// The answers that established the exception.
    pub exception_evidence: Vec<Evidence>,
}

/// A rule that could not be decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Undetermined {
    /// The rule.
    pub rule: String,
    /// The level it would have.
    pub level: Level,
    /// What it checks.
    pub title: Text,
    /// The unanswered items that could change the outcome.
    pub missing: Vec<String>,
    /// A script error, if that is why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A problem with one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InputDiagnostic {
    /// The stable code.
    #[schemars(with = "String")]
    pub code: Code,
    /// The item the answer was given for.
    pub item: String,
    /// What is wrong.
    pub message: String,
    /// The answer as written.
    pub answer: serde_json::Value,
}

/// The evaluated condition tree of one rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Explanation {
    /// The rule.
    pub rule: String,
    /// What happened: `fired`, `excepted`, `passed`, `not_applicable` or
    /// `undetermined`.
    pub outcome: String,
    /// The rule's applicability condition, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<TraceNode>,
    /// The rule's condition.
    pub when: TraceNode,
    /// The exception, if the rule has one and fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unless: Option<TraceNode>,
    /// The rule's escalations, when it fired: each with its condition, so
    /// that an auditor sees why a finding was or was not raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<TraceEscalation>,
}

/// An escalation of a fired rule, evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TraceEscalation {
    /// The level it raises the finding to.
    pub to: Level,
    /// Why, as the ruleset says.
    pub reason: Text,
    /// Its condition.
    pub when: TraceNode,
}

/// A node of an evaluated condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TraceNode {
    /// The kind of node: `all`, `any`, `not`, `at_least`, `item` (a test
    /// on an answer or on the inspection date), `rule`, `previous`,
    /// `script` or `events`.
    pub kind: String,
    /// What the node tests.
    pub condition: String,
    /// Its value: `true`, `false`, `unknown` or `not_applicable`.
    pub value: String,
    /// The answers a leaf read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<TraceAnswer>,
    /// The parameters a node read, with the values they had (a table's
    /// value follows its category answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<TraceParameter>,
    /// The members of a compound node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TraceNode>,
    /// A script error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A parameter read by a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TraceParameter {
    /// The parameter id.
    pub id: String,
    /// Its value for this inspection; `null` when it depends on a category
    /// that is unanswered, `"n/a"` when that category is not applicable.
    pub value: serde_json::Value,
}

/// An answer read by a leaf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TraceAnswer {
    /// The item id.
    pub item: String,
    /// The answer; `null` when missing, `"n/a"` when not applicable.
    pub answer: serde_json::Value,
}

impl Report {
    /// The report as pretty JSON with a trailing newline, in the
    /// `hazcheck.report/1` format (schema: `hazcheck schema report`).
    /// Reports deserialize too, for tools that read stored reports.
    ///
    /// ```
    /// use hazcheck::{EvalOptions, Inspection, Lang, Level, Limits, Report, SourceMap, Verdict};
    ///
    /// let library = hazcheck::builtin::load(Limits::default())
    ///     .library
    ///     .ok_or("the built-in rulesets have errors")?;
    /// let text = hazcheck::builtin::file(
    ///     "rulesets/confined-space/examples/major-gongmao-septic-tank-no-attendant.yaml",
    /// )
    /// .ok_or("no such sample")?;
    /// let mut sources = SourceMap::new();
    /// let inspection = Inspection::parse(text, "sample.yaml", &mut sources, &Limits::default())
    ///     .map_err(|d| format!("{} problems", d.len()))?;
    /// let report = library.evaluate(&inspection, &EvalOptions::default())?;
    ///
    /// assert_eq!(report.verdict, Verdict::Major);
    /// let first = &report.findings[0];
    /// assert_eq!(first.level, Level::Major);
    /// println!("{} — {} ({})", first.rule, first.title.get(Lang::En), first.basis.clause);
    ///
    /// let json = report.to_json();
    /// assert!(json.starts_with("{\n  \"format\": \"hazcheck.report/1\""));
    /// let back: Report = serde_json::from_str(&json)?;
    /// assert_eq!(back, report);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
