//! Follow-up inspections (回头看): did the hazards found last time get fixed?
//!
//! Supervision does not end at the finding. Every finding has a due date;
//! a later visit to the same site checks each earlier finding and
//! classifies it as rectified, still open, or overdue (still open after its
//! due date). What cannot be checked because answers are missing is
//! `unverified`, never rectified. Overdue major hazards, and ordinary ones
//! found open at several follow-ups in a row, are flagged for
//! government-supervised rectification (挂牌督办), as the ruleset's
//! `follow_up` section says ([`EscalationPolicy`]). A finding without a due
//! date is never overdue.
//!
//! The previous visit's open findings are passed to the new inspection as
//! its `previous` block before it is evaluated, so the ruleset's own
//! escalations (`previous: {rule, overdue: true}`) see them. A follow-up
//! result keeps the whole chain of visits in `history`, and it can itself
//! be the previous visit of the next follow-up: due dates are carried from
//! the visit that first found a hazard, so re-finding a hazard never moves
//! its deadline (only a deadline the follow-up inspection sets for its rule
//! does). A follow-up must come after every visit of the history, so the
//! same visit is never counted twice.
//!
//! ```
//! use hazcheck::followup::{FollowUpOptions, Previous, Status, follow_up};
//! use hazcheck::{Date, EvalOptions, Inspection, Limits, SourceMap};
//!
//! let library = hazcheck::builtin::load(Limits::default())
//!     .library
//!     .ok_or("the built-in rulesets have errors")?;
//! let mut sources = SourceMap::new();
//! let mut visit = |date: &str, answers: &str| {
//!     let text = format!(
//!         "ruleset: common-tasks\ndate: {date}\nsite: {{id: plant-7}}\n\
//!          deadlines: {{ordinary: 30}}\nanswers: {answers}\n"
//!     );
//!     Inspection::parse(&text, "visit.yaml", &mut sources, &Limits::default())
//!         .map_err(|d| format!("{} problems", d.len()))
//! };
//!
//! // First visit: no licence, no emergency plan, an escape exit blocked;
//! // 30 days to fix each, so all are due on 2025-04-09.
//! let answers = "{ct.licence.held: no, ct.plan.exists: no, ct.exits.clear: no}";
//! let first = visit("2025-03-10", answers)?;
//! let report = library.evaluate(&first, &EvalOptions::default())?;
//! assert_eq!(report.findings.len(), 3);
//! // The report is stored as JSON and read back at the next visit.
//! let previous = Previous::from_json(&report.to_json())?;
//!
//! // Return visit: the licence was obtained, there is still no plan, and
//! // nobody checked the exits this time.
//! let answers = "{ct.licence.held: yes, ct.licence.valid_until: 2026-12-31, \
//!                ct.licence.in_scope: yes, ct.plan.exists: no}";
//! let again = visit("2025-04-01", answers)?;
//! let result = follow_up(&library, &previous, &again, &FollowUpOptions::default())?;
//! let status = |rule: &str| result.matches.iter().find(|m| m.rule == rule).map(|m| m.status);
//! assert_eq!(status("ct.licence-missing"), Some(Status::Rectified));
//! assert_eq!(status("ct.no-plan"), Some(Status::Open));
//! // Not checked is not rectified.
//! assert_eq!(status("ct.exits-blocked"), Some(Status::Unverified));
//! assert_eq!((result.counts.rectified, result.counts.open), (1, 1));
//! assert_eq!(result.history.len(), 2);
//!
//! // The same answers after the due date: the plan is overdue.
//! let late = visit("2025-04-20", answers)?;
//! let result = follow_up(&library, &previous, &late, &FollowUpOptions::default())?;
//! let no_plan = result.matches.iter().find(|m| m.rule == "ct.no-plan").ok_or("no match")?;
//! assert_eq!(no_plan.status, Status::Overdue);
//! assert_eq!(no_plan.due, Some(Date::parse("2025-04-09")?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::inspection::{Inspection, PreviousFinding, PreviousInspection, Site};
use crate::load::{Library, SelectError};
use crate::model::{Lang, Level, Text};
use crate::report::{DeadlineFrom, REPORT_FORMAT, Report, Verdict};
use crate::{EvalOptions, Ruleset};

/// The format version of follow-up results.
pub const FOLLOW_UP_FORMAT: &str = "hazcheck.followup/1";

/// Options of a follow-up.
#[derive(Clone, Debug, Default)]
pub struct FollowUpOptions {
    /// Options for evaluating the follow-up inspection itself.
    pub eval: EvalOptions,
    /// Overrides the ruleset's `follow_up.repeated_open`: an ordinary hazard
    /// still open at this many follow-ups in a row is flagged for
    /// escalation. Values below 1 act as 1.
    pub repeated_open: Option<u32>,
    /// Overrides the ruleset's `follow_up.overdue_major`: whether a major
    /// hazard still there after its due date is flagged.
    pub overdue_major: Option<bool>,
}

/// When hazards are flagged for government-supervised rectification, as
/// used by one follow-up: the ruleset's `follow_up` section, with the
/// defaults for what it leaves out and the caller's overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EscalationPolicy {
    /// Whether a major hazard still there after its due date is flagged.
    pub overdue_major: bool,
    /// An ordinary hazard still there at this many follow-ups in a row is
    /// flagged.
    pub repeated_open: u32,
}

impl Default for EscalationPolicy {
    /// Overdue major hazards are flagged, and ordinary hazards found at a
    /// first visit and still there at the next two visits.
    fn default() -> EscalationPolicy {
        EscalationPolicy {
            overdue_major: true,
            repeated_open: 2,
        }
    }
}

impl EscalationPolicy {
    /// The policy of a ruleset version, with the options' overrides.
    ///
    /// ```
    /// use hazcheck::Limits;
    /// use hazcheck::followup::{EscalationPolicy, FollowUpOptions};
    ///
    /// let library = hazcheck::builtin::load(Limits::default())
    ///     .library
    ///     .ok_or("the built-in rulesets have errors")?;
    /// // This ruleset has no `follow_up` section: the defaults apply.
    /// let ruleset = &library.versions("common-tasks")[0];
    /// let policy = EscalationPolicy::of(ruleset, &FollowUpOptions::default());
    /// assert_eq!(policy, EscalationPolicy { overdue_major: true, repeated_open: 2 });
    ///
    /// // An override of 0 acts as 1: escalate at the first follow-up.
    /// let options = FollowUpOptions { repeated_open: Some(0), ..FollowUpOptions::default() };
    /// assert_eq!(EscalationPolicy::of(ruleset, &options).repeated_open, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(ruleset: &Ruleset, options: &FollowUpOptions) -> EscalationPolicy {
        let default = EscalationPolicy::default();
        let section = ruleset.model().follow_up.as_ref();
        EscalationPolicy {
            overdue_major: options
                .overdue_major
                .or_else(|| section.and_then(|s| s.overdue_major))
                .unwrap_or(default.overdue_major),
            repeated_open: options
                .repeated_open
                .or_else(|| section.and_then(|s| s.repeated_open))
                .unwrap_or(default.repeated_open)
                .max(1),
        }
    }
}

/// The result of a follow-up inspection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FollowUp {
    /// Always [`FOLLOW_UP_FORMAT`].
    pub format: String,
    /// How many matches have each status, and how many are escalated.
    pub counts: FollowUpCounts,
    /// Every earlier open finding and every new finding, by rule id.
    pub matches: Vec<Match>,
    /// The hazards to list for government-supervised rectification, by
    /// rule id.
    pub escalate: Vec<Escalation>,
    /// The escalation settings this follow-up used.
    #[serde(default)]
    pub policy: EscalationPolicy,
    /// Every visit of the chain, oldest first; the last one is this visit.
    pub history: Vec<Visit>,
    /// The report of this visit, evaluated with the earlier findings in its
    /// `previous` block.
    pub report: Report,
}

/// Where a hazard stands at a follow-up.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Found earlier; its rule was decided and did not fire this time.
    Rectified,
    /// Found earlier and still there; not yet past its due date.
    Open,
    /// Found earlier and still there after its due date.
    Overdue,
    /// Found earlier, but this visit could not decide its rule (missing
    /// answers, or a ruleset version without the rule): not rectified.
    Unverified,
    /// Found at this visit for the first time.
    New,
}

impl Status {
    /// The status as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Rectified => "rectified",
            Status::Open => "open",
            Status::Overdue => "overdue",
            Status::Unverified => "unverified",
            Status::New => "new",
        }
    }

    /// A short text in the given language.
    pub fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Status::Rectified, Lang::Zh) => "已整改",
            (Status::Open, Lang::Zh) => "未整改（未到期）",
            (Status::Overdue, Lang::Zh) => "逾期未整改",
            (Status::Unverified, Lang::Zh) => "无法核实",
            (Status::New, Lang::Zh) => "新发现",
            (Status::Rectified, Lang::En) => "rectified",
            (Status::Open, Lang::En) => "still open",
            (Status::Overdue, Lang::En) => "overdue",
            (Status::Unverified, Lang::En) => "unverified",
            (Status::New, Lang::En) => "new",
        }
    }

    /// Whether the hazard is known to be still there.
    pub fn is_present(self) -> bool {
        matches!(self, Status::Open | Status::Overdue | Status::New)
    }
}

/// One hazard at a follow-up: an earlier finding checked again, or a new
/// finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Match {
    /// The rule that raised it.
    pub rule: String,
    /// Where it stands.
    pub status: Status,
    /// Its level now: the new finding's level when it is still there (the
    /// ruleset may have escalated it), otherwise the earlier level.
    pub level: Level,
    /// Its level at the previous visit; absent for a new finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_level: Option<Level>,
    /// What is wrong.
    pub title: Text,
    /// The date of the visit that first found it.
    pub found: Date,
    /// The due date it had at the previous visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_due: Option<Date>,
    /// Its due date from now on: kept from the visit that first found it,
    /// or the new finding's when none was set before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// At how many follow-ups in a row it was found still there (0 for a
    /// new finding).
    pub open_visits: u32,
}

/// Why a hazard is flagged for government-supervised rectification.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// A major hazard (at the previous visit or now, for instance after the
    /// ruleset escalated an overdue ordinary hazard) still there after its
    /// due date.
    OverdueMajor,
    /// An ordinary hazard still there at
    /// [`EscalationPolicy::repeated_open`] follow-ups in a row.
    RepeatedlyOpen,
}

impl EscalationReason {
    /// The reason as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationReason::OverdueMajor => "overdue_major",
            EscalationReason::RepeatedlyOpen => "repeatedly_open",
        }
    }

    /// A short text in the given language.
    pub fn describe(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (EscalationReason::OverdueMajor, Lang::Zh) => "重大事故隐患逾期未整改，提请挂牌督办",
            (EscalationReason::RepeatedlyOpen, Lang::Zh) => {
                "一般事故隐患经回头看仍未整改，提请挂牌督办"
            }
            (EscalationReason::OverdueMajor, Lang::En) => {
                "major hazard not rectified by its due date: list for supervised rectification"
            }
            (EscalationReason::RepeatedlyOpen, Lang::En) => {
                "ordinary hazard still open after follow-ups: list for supervised rectification"
            }
        }
    }
}

/// A hazard flagged for government-supervised rectification (挂牌督办).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Escalation {
    /// The rule that raised it.
    pub rule: String,
    /// Why it is flagged.
    pub reason: EscalationReason,
    /// Its level now.
    pub level: Level,
    /// What is wrong.
    pub title: Text,
    /// The date of the visit that first found it.
    pub found: Date,
    /// Its due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// At how many follow-ups in a row it was found still there.
    pub open_visits: u32,
}

/// Counts of a follow-up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FollowUpCounts {
    /// Earlier findings now rectified.
    pub rectified: usize,
    /// Earlier findings still open, not yet due.
    pub open: usize,
    /// Earlier findings still open after their due date.
    pub overdue: usize,
    /// Earlier findings that could not be checked.
    pub unverified: usize,
    /// Findings seen for the first time.
    pub new: usize,
    /// Hazards flagged for escalation.
    pub escalate: usize,
}

/// One visit of a chain of follow-ups, as kept for audit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Visit {
    /// The inspection date.
    pub date: Date,
    /// The inspection id, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<String>,
    /// Who inspected, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
    /// The ruleset id.
    pub ruleset: String,
    /// The ruleset version used.
    pub version: String,
    /// The verdict of that visit.
    pub verdict: Verdict,
    /// What the visit found or checked, by rule id; at the first visit every
    /// finding is `new`.
    pub items: Vec<VisitItem>,
}

/// One hazard of a [`Visit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VisitItem {
    /// The rule.
    pub rule: String,
    /// Where it stood at that visit.
    pub status: Status,
    /// Its level at that visit.
    pub level: Level,
    /// Its due date at that visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
}

/// The previous visit of a follow-up: a plain report (the first visit) or
/// the result of an earlier follow-up (later visits of a chain).
#[derive(Clone, Debug, PartialEq)]
pub enum Previous {
    /// A report, as `hazcheck eval --format json` writes it.
    Report(Box<Report>),
    /// A follow-up result, as `hazcheck follow-up --format json` writes it.
    FollowUp(Box<FollowUp>),
}

/// Why a follow-up could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FollowUpError {
    /// The previous visit is not valid JSON of a report or follow-up.
    #[error("the previous visit is not a valid {what}: {message}")]
    Invalid {
        /// What it claimed to be.
        what: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The previous visit has an unknown `format`.
    #[error(
        "the previous visit has format `{0}`; expected `{REPORT_FORMAT}` or `{FOLLOW_UP_FORMAT}`"
    )]
    UnknownFormat(String),
    /// The two visits use different rulesets.
    #[error("the previous visit used ruleset `{previous}`, this inspection uses `{current}`")]
    RulesetMismatch {
        /// The previous visit's ruleset id.
        previous: String,
        /// This inspection's ruleset id.
        current: String,
    },
    /// The two visits are of different sites.
    #[error("the previous visit is of site `{previous}`, this inspection of site `{current}`")]
    SiteMismatch {
        /// The previous visit's site.
        previous: String,
        /// This inspection's site.
        current: String,
    },
    /// A visit does not say which site it is of.
    #[error(
        "cannot tell whether both visits are of the same site: give `site.id` (or `site.name`) in both inspections"
    )]
    NoSite,
    /// The follow-up is not dated after the last visit of the history: a
    /// second follow-up on the same day, or an earlier inspection.
    #[error(
        "this inspection on {current} is not later than the last visit on {previous}; a follow-up must come after every visit of the history"
    )]
    DateOrder {
        /// The date of the last visit of the history.
        previous: Date,
        /// This inspection's date.
        current: Date,
    },
    /// The inspection is already a visit of the history: the same
    /// inspection applied twice.
    #[error("inspection `{inspection}` is already visit {visit} of the history (on {date})")]
    AlreadyInHistory {
        /// The inspection id.
        inspection: String,
        /// Its place in the history, from 1.
        visit: usize,
        /// The date of that visit.
        date: Date,
    },
    /// No ruleset version could be chosen for the inspection.
    #[error(transparent)]
    Select(#[from] SelectError),
}

impl Previous {
    /// Reads a previous visit from JSON text: a report or a follow-up,
    /// told apart by their `format`.
    ///
    /// ```
    /// use hazcheck::followup::{FollowUpError, Previous};
    ///
    /// let error = Previous::from_json(r#"{"format": "hazcheck.stats/1"}"#).unwrap_err();
    /// assert_eq!(error, FollowUpError::UnknownFormat("hazcheck.stats/1".to_string()));
    ///
    /// // A report whose fields are missing is refused with the decoder's reason.
    /// let error = Previous::from_json(r#"{"format": "hazcheck.report/1"}"#).unwrap_err();
    /// assert!(matches!(error, FollowUpError::Invalid { what: "report", .. }));
    /// ```
    pub fn from_json(text: &str) -> Result<Previous, FollowUpError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| FollowUpError::Invalid {
                what: "JSON document",
                message: e.to_string(),
            })?;
        Previous::from_value(value)
    }

    /// Reads a previous visit from a JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Previous, FollowUpError> {
        if let serde_json::Value::Array(list) = &value {
            return Err(FollowUpError::Invalid {
                what: "report",
                message: format!(
                    "a list of {} documents; give the one report of the site",
                    list.len()
                ),
            });
        }
        let format = value
            .get("format")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string();
        if format == REPORT_FORMAT {
            serde_json::from_value(value)
                .map(|r| Previous::Report(Box::new(r)))
                .map_err(|e| FollowUpError::Invalid {
                    what: "report",
                    message: e.to_string(),
                })
        } else if format == FOLLOW_UP_FORMAT {
            serde_json::from_value(value)
                .map(|f| Previous::FollowUp(Box::new(f)))
                .map_err(|e| FollowUpError::Invalid {
                    what: "follow-up",
                    message: e.to_string(),
                })
        } else {
            Err(FollowUpError::UnknownFormat(format))
        }
    }

    /// The report of the previous visit.
    pub fn report(&self) -> &Report {
        match self {
            Previous::Report(r) => r,
            Previous::FollowUp(f) => &f.report,
        }
    }

    /// The `previous` block a follow-up inspection is evaluated with: every
    /// hazard not known to be rectified, with the due date of the visit that
    /// first found it.
    pub fn to_inspection_block(&self) -> PreviousInspection {
        PreviousInspection {
            date: Some(self.report().inspection.date),
            findings: self
                .carried()
                .into_values()
                .map(|c| PreviousFinding {
                    rule: c.rule,
                    level: c.level,
                    due: c.due,
                })
                .collect(),
        }
    }

    /// The hazards a follow-up must check, by rule id.
    fn carried(&self) -> BTreeMap<String, Carried> {
        match self {
            Previous::Report(r) => r
                .findings
                .iter()
                .map(|f| {
                    let c = Carried {
                        rule: f.rule.clone(),
                        level: f.level,
                        title: f.title.clone(),
                        found: r.inspection.date,
                        due: f.due,
                        open_visits: 0,
                    };
                    (f.rule.clone(), c)
                })
                .collect(),
            Previous::FollowUp(f) => f
                .matches
                .iter()
                // An unverified hazard stays on the list: nobody has seen it
                // fixed.
                .filter(|m| m.status != Status::Rectified)
                .map(|m| {
                    let c = Carried {
                        rule: m.rule.clone(),
                        level: m.level,
                        title: m.title.clone(),
                        found: m.found,
                        due: m.due,
                        open_visits: m.open_visits,
                    };
                    (m.rule.clone(), c)
                })
                .collect(),
        }
    }

    /// The visits so far, oldest first.
    fn history(&self) -> Vec<Visit> {
        match self {
            Previous::Report(r) => {
                let items = r
                    .findings
                    .iter()
                    .map(|f| VisitItem {
                        rule: f.rule.clone(),
                        status: Status::New,
                        level: f.level,
                        due: f.due,
                    })
                    .collect();
                vec![visit_of(r, items)]
            }
            Previous::FollowUp(f) if !f.history.is_empty() => f.history.clone(),
            Previous::FollowUp(f) => vec![visit_of(&f.report, items_of(&f.matches))],
        }
    }
}

/// Evaluates a follow-up inspection with the version of its ruleset in
/// force on its date, and matches it against the previous visit.
///
/// The inspection's own `previous` block, if any, is replaced by the
/// previous visit's open findings.
pub fn follow_up(
    library: &Library,
    previous: &Previous,
    inspection: &Inspection,
    options: &FollowUpOptions,
) -> Result<FollowUp, FollowUpError> {
    let ruleset = library.select(&inspection.ruleset.value, inspection.date.value)?;
    follow_up_with(ruleset, previous, inspection, options)
}

/// Like [`follow_up`], with a ruleset version chosen by the caller.
pub fn follow_up_with(
    ruleset: &Ruleset,
    previous: &Previous,
    inspection: &Inspection,
    options: &FollowUpOptions,
) -> Result<FollowUp, FollowUpError> {
    let mut inspection = inspection.clone();
    inspection.previous = Some(previous.to_inspection_block());
    let report = ruleset.evaluate(&inspection, &options.eval);
    assess(ruleset, previous, report, options)
}

/// Matches the report of a follow-up inspection against the previous visit.
/// The report should have been evaluated with
/// [`Previous::to_inspection_block`] as its `previous` block, so that the
/// ruleset's escalations saw the earlier findings; `ruleset` is the version
/// that evaluated it, and its `follow_up` section (with the options'
/// overrides) decides what is escalated. Both visits must use the same
/// ruleset id and be of the same site, and the report must be dated after
/// every visit of the history and not be one of them (same inspection id).
pub fn assess(
    ruleset: &Ruleset,
    previous: &Previous,
    report: Report,
    options: &FollowUpOptions,
) -> Result<FollowUp, FollowUpError> {
    let before = previous.report();
    if before.ruleset.id != report.ruleset.id {
        return Err(FollowUpError::RulesetMismatch {
            previous: before.ruleset.id.clone(),
            current: report.ruleset.id.clone(),
        });
    }
    same_site(&before.inspection.site, &report.inspection.site)?;
    let date = report.inspection.date;
    let history = previous.history();
    if let Some(id) = &report.inspection.id
        && let Some((i, v)) = history
            .iter()
            .enumerate()
            .find(|(_, v)| v.inspection.as_ref() == Some(id))
    {
        return Err(FollowUpError::AlreadyInHistory {
            inspection: id.clone(),
            visit: i + 1,
            date: v.date,
        });
    }
    let last = history
        .iter()
        .map(|v| v.date)
        .fold(before.inspection.date, Date::max);
    if date <= last {
        return Err(FollowUpError::DateOrder {
            previous: last,
            current: date,
        });
    }

    let policy = EscalationPolicy::of(ruleset, options);
    let carried = previous.carried();
    let undecided: BTreeSet<&str> = report.undetermined.iter().map(|u| &*u.rule).collect();
    let known: BTreeSet<&str> = ruleset.compiled.rules.iter().map(|r| &*r.id).collect();
    let mut matches = Vec::new();
    for (rule, c) in &carried {
        let now = report.findings.iter().find(|f| f.rule == *rule);
        let m = match now {
            Some(f) => {
                // Whether it is overdue is judged by the deadline it had.
                // From now on it keeps that deadline, unless this
                // inspection ordered a new one for its rule (an extension
                // in a new rectification notice).
                let status = if c.due.or(f.due).is_some_and(|d| d < date) {
                    Status::Overdue
                } else {
                    Status::Open
                };
                let due = if f.deadline_from == Some(DeadlineFrom::InspectionRule) {
                    f.due
                } else {
                    c.due.or(f.due)
                };
                Match {
                    rule: rule.clone(),
                    status,
                    level: f.level,
                    previous_level: Some(c.level),
                    title: f.title.clone(),
                    found: c.found,
                    previous_due: c.due,
                    due,
                    open_visits: c.open_visits.saturating_add(1),
                }
            }
            None => {
                // A rule that was not decided, or that this version does
                // not have, says nothing about the hazard: never a pass.
                let status = if undecided.contains(rule.as_str()) || !known.contains(rule.as_str())
                {
                    Status::Unverified
                } else {
                    Status::Rectified
                };
                Match {
                    rule: rule.clone(),
                    status,
                    level: c.level,
                    previous_level: Some(c.level),
                    title: c.title.clone(),
                    found: c.found,
                    previous_due: c.due,
                    due: c.due,
                    open_visits: c.open_visits,
                }
            }
        };
        matches.push(m);
    }
    for f in &report.findings {
        if !carried.contains_key(&f.rule) {
            matches.push(Match {
                rule: f.rule.clone(),
                status: Status::New,
                level: f.level,
                previous_level: None,
                title: f.title.clone(),
                found: date,
                previous_due: None,
                due: f.due,
                open_visits: 0,
            });
        }
    }
    matches.sort_by(|a, b| a.rule.cmp(&b.rule));
    // The follow-up's own report says the same as its matches: a hazard
    // still there at its level keeps the due date it had (unless this
    // inspection set a new one for its rule), so one visit does not show
    // two due dates for it. A hazard now at another level (escalated to
    // major) has the deadline of its new level.
    let mut report = report;
    for f in &mut report.findings {
        if f.deadline_from == Some(DeadlineFrom::InspectionRule) {
            continue;
        }
        if let Some(c) = carried.get(&f.rule)
            && c.level == f.level
            && let Some(due) = c.due
        {
            f.due = Some(due);
            f.deadline_days = u32::try_from(c.found.days_until(due)).ok();
            f.deadline_from = Some(DeadlineFrom::FirstVisit);
        }
    }

    let escalate: Vec<Escalation> = matches
        .iter()
        .filter_map(|m| {
            let reason = escalation_reason(m, policy)?;
            Some(Escalation {
                rule: m.rule.clone(),
                reason,
                level: m.level,
                title: m.title.clone(),
                found: m.found,
                due: m.due,
                open_visits: m.open_visits,
            })
        })
        .collect();

    let mut counts = FollowUpCounts {
        escalate: escalate.len(),
        ..FollowUpCounts::default()
    };
    for m in &matches {
        match m.status {
            Status::Rectified => counts.rectified += 1,
            Status::Open => counts.open += 1,
            Status::Overdue => counts.overdue += 1,
            Status::Unverified => counts.unverified += 1,
            Status::New => counts.new += 1,
        }
    }

    let mut history = history;
    history.push(visit_of(&report, items_of(&matches)));
    Ok(FollowUp {
        format: FOLLOW_UP_FORMAT.to_string(),
        counts,
        matches,
        escalate,
        policy,
        history,
        report,
    })
}

impl FollowUp {
    /// The result as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A hazard a follow-up must check.
struct Carried {
    rule: String,
    level: Level,
    title: Text,
    found: Date,
    due: Option<Date>,
    open_visits: u32,
}

fn escalation_reason(m: &Match, policy: EscalationPolicy) -> Option<EscalationReason> {
    if !matches!(m.status, Status::Open | Status::Overdue) {
        return None;
    }
    let level = m.previous_level.map_or(m.level, |p| p.max(m.level));
    if m.status == Status::Overdue && level == Level::Major {
        policy
            .overdue_major
            .then_some(EscalationReason::OverdueMajor)
    } else if level == Level::Ordinary && m.open_visits >= policy.repeated_open {
        Some(EscalationReason::RepeatedlyOpen)
    } else {
        None
    }
}

fn same_site(before: &Site, now: &Site) -> Result<(), FollowUpError> {
    let mismatch = |a: &str, b: &str| FollowUpError::SiteMismatch {
        previous: a.to_string(),
        current: b.to_string(),
    };
    if let (Some(a), Some(b)) = (&before.id, &now.id) {
        return if a == b { Ok(()) } else { Err(mismatch(a, b)) };
    }
    match (&before.name, &now.name) {
        (Some(a), Some(b)) if a == b && before.region == now.region => Ok(()),
        (Some(a), Some(b)) => {
            let full = |name: &str, region: &Option<String>| match region {
                Some(r) => format!("{name} ({r})"),
                None => name.to_string(),
            };
            Err(mismatch(&full(a, &before.region), &full(b, &now.region)))
        }
        _ => Err(FollowUpError::NoSite),
    }
}

fn items_of(matches: &[Match]) -> Vec<VisitItem> {
    matches
        .iter()
        .map(|m| VisitItem {
            rule: m.rule.clone(),
            status: m.status,
            level: m.level,
            due: m.due,
        })
        .collect()
}

fn visit_of(report: &Report, items: Vec<VisitItem>) -> Visit {
    Visit {
        date: report.inspection.date,
        inspection: report.inspection.id.clone(),
        inspector: report.inspection.inspector.clone(),
        ruleset: report.ruleset.id.clone(),
        version: report.ruleset.version.clone(),
        verdict: report.verdict,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, Limits, Loader, SourceMap};

    const RULESET: &str = r#"
ruleset: fu
version: "1"
title: {zh: 回头看, en: Follow-up}
effective: {from: 2024-01-01}
deadlines: {ordinary: 7, major: 30}
documents:
  - {id: std, title: {zh: 标准, en: Standard}, verified: true}
items:
  - {id: a, type: yes_no, prompt: {zh: 甲, en: A}}
  - {id: b, type: yes_no, prompt: {zh: 乙, en: B}}
  - {id: m, type: yes_no, prompt: {zh: 丙, en: M}}
rules:
  - id: r.a
    level: ordinary
    basis: {document: std, clause: "1"}
    title: {zh: 甲, en: A}
    when: {item: a, is: false}
    escalate:
      - to: major
        when: {previous: {rule: r.a, overdue: true}}
        reason: {zh: 逾期, en: overdue}
  - id: r.b
    level: ordinary
    basis: {document: std, clause: "2"}
    title: {zh: 乙, en: B}
    when: {item: b, is: false}
  - id: r.m
    level: major
    basis: {document: std, clause: "3"}
    title: {zh: 丙, en: M}
    when: {item: m, is: false}
"#;

    fn library() -> Library {
        let mut loader = Loader::new(Limits::default());
        loader.add_memory("fu.yaml", RULESET);
        let outcome = loader.load();
        assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
        outcome.library.expect("library")
    }

    fn inspection(date: &str, site: &str, answers: &str) -> Inspection {
        let text =
            format!("ruleset: fu\ndate: {date}\nsite: {{id: {site}}}\nanswers: {{{answers}}}\n");
        Inspection::parse(&text, "i.yaml", &mut SourceMap::new(), &Limits::default())
            .expect("inspection")
    }

    fn first(lib: &Library) -> Previous {
        let i = inspection("2025-03-03", "S1", "a: no, b: no, m: no");
        let r = lib.evaluate(&i, &EvalOptions::default()).expect("report");
        Previous::Report(Box::new(r))
    }

    fn status(f: &FollowUp, rule: &str) -> Status {
        f.matches
            .iter()
            .find(|m| m.rule == rule)
            .map(|m| m.status)
            .expect("match")
    }

    #[test]
    fn earlier_findings_feed_the_previous_block_with_their_due_dates() {
        let lib = library();
        let block = first(&lib).to_inspection_block();
        let date = Date::parse("2025-03-03").ok();
        assert_eq!(block.date, date);
        let rules: Vec<(&str, Level, Option<String>)> = block
            .findings
            .iter()
            .map(|f| (&*f.rule, f.level, f.due.map(|d| d.to_string())))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("r.a", Level::Ordinary, Some("2025-03-10".into())),
                ("r.b", Level::Ordinary, Some("2025-03-10".into())),
                ("r.m", Level::Major, Some("2025-04-02".into())),
            ]
        );
    }

    #[test]
    fn statuses_follow_the_due_dates_and_the_ruleset_escalates() {
        let lib = library();
        let prev = first(&lib);
        // Before any due date: everything still there is open.
        let early = inspection("2025-03-05", "S1", "a: no, b: yes, m: no");
        let f = follow_up(&lib, &prev, &early, &FollowUpOptions::default()).expect("follow-up");
        assert_eq!(status(&f, "r.a"), Status::Open);
        assert_eq!(status(&f, "r.b"), Status::Rectified);
        assert_eq!(status(&f, "r.m"), Status::Open);
        assert!(f.escalate.is_empty());
        // The due date itself is not overdue; the day after is.
        let on_due = inspection("2025-03-10", "S1", "a: no, b: no, m: yes");
        let f = follow_up(&lib, &prev, &on_due, &FollowUpOptions::default()).expect("follow-up");
        assert_eq!(status(&f, "r.a"), Status::Open);
        let late = inspection("2025-03-11", "S1", "a: no, b: no, m: yes");
        let f = follow_up(&lib, &prev, &late, &FollowUpOptions::default()).expect("follow-up");
        assert_eq!(status(&f, "r.a"), Status::Overdue);
        assert_eq!(status(&f, "r.m"), Status::Rectified);
        // The ruleset saw the overdue finding through the previous block.
        let a = f.report.findings.iter().find(|x| x.rule == "r.a");
        assert_eq!(a.map(|x| x.level), Some(Level::Major));
        let reasons: Vec<(&str, EscalationReason)> =
            f.escalate.iter().map(|e| (&*e.rule, e.reason)).collect();
        assert_eq!(reasons, vec![("r.a", EscalationReason::OverdueMajor)]);
        // The due date of the first visit is kept, not the new finding's.
        let m = f.matches.iter().find(|m| m.rule == "r.a").expect("r.a");
        assert_eq!(m.due.map(|d| d.to_string()).as_deref(), Some("2025-03-10"));
        assert_eq!(f.counts.overdue, 2);
        assert_eq!(f.counts.rectified, 1);
    }

    #[test]
    fn a_missing_answer_never_counts_as_rectified() {
        let lib = library();
        let prev = first(&lib);
        let i = inspection("2025-03-05", "S1", "a: no, b: no");
        let f = follow_up(&lib, &prev, &i, &FollowUpOptions::default()).expect("follow-up");
        assert_eq!(status(&f, "r.m"), Status::Unverified);
        assert_eq!(f.counts.unverified, 1);
        // It stays on the list for the next visit.
        let next = Previous::FollowUp(Box::new(f));
        assert!(
            next.to_inspection_block()
                .findings
                .iter()
                .any(|x| x.rule == "r.m")
        );
    }

    #[test]
    fn an_ordinary_hazard_open_at_two_follow_ups_in_a_row_is_flagged() {
        let lib = library();
        let prev = first(&lib);
        let v2 = inspection("2025-03-05", "S1", "a: yes, b: no, m: yes");
        let f2 = follow_up(&lib, &prev, &v2, &FollowUpOptions::default()).expect("v2");
        assert!(f2.escalate.is_empty());
        let v3 = inspection("2025-03-07", "S1", "a: yes, b: no, m: yes");
        let prev2 = Previous::FollowUp(Box::new(f2));
        let f3 = follow_up(&lib, &prev2, &v3, &FollowUpOptions::default()).expect("v3");
        assert_eq!(status(&f3, "r.b"), Status::Open);
        let e: Vec<(&str, EscalationReason, u32)> = f3
            .escalate
            .iter()
            .map(|e| (&*e.rule, e.reason, e.open_visits))
            .collect();
        assert_eq!(e, vec![("r.b", EscalationReason::RepeatedlyOpen, 2)]);
        assert_eq!(f3.history.len(), 3);
        // With a threshold of three follow-ups it is not flagged yet.
        let strict = FollowUpOptions {
            repeated_open: Some(3),
            ..FollowUpOptions::default()
        };
        let f3 = follow_up(&lib, &prev2, &v3, &strict).expect("v3");
        assert!(f3.escalate.is_empty());
    }

    #[test]
    fn a_hazard_fixed_and_found_again_starts_a_new_chain() {
        let lib = library();
        let prev = first(&lib);
        let v2 = inspection("2025-03-05", "S1", "a: yes, b: yes, m: yes");
        let f2 = follow_up(&lib, &prev, &v2, &FollowUpOptions::default()).expect("v2");
        let v3 = inspection("2025-04-20", "S1", "a: no, b: yes, m: yes");
        let f3 = follow_up(
            &lib,
            &Previous::FollowUp(Box::new(f2)),
            &v3,
            &Default::default(),
        )
        .expect("v3");
        let m = f3.matches.iter().find(|m| m.rule == "r.a").expect("r.a");
        assert_eq!(m.status, Status::New);
        assert_eq!(m.found.to_string(), "2025-04-20");
        assert_eq!(m.due.map(|d| d.to_string()).as_deref(), Some("2025-04-27"));
        // Rectified hazards are not carried to the third visit.
        assert_eq!(f3.matches.len(), 1);
    }

    #[test]
    fn wrong_site_ruleset_or_date_order_is_an_error() {
        let lib = library();
        let prev = first(&lib);
        let other = inspection("2025-03-05", "S2", "a: yes");
        assert!(matches!(
            follow_up(&lib, &prev, &other, &Default::default()),
            Err(FollowUpError::SiteMismatch { .. })
        ));
        let earlier = inspection("2025-03-01", "S1", "a: yes");
        assert!(matches!(
            follow_up(&lib, &prev, &earlier, &Default::default()),
            Err(FollowUpError::DateOrder { .. })
        ));
        let mut anonymous = inspection("2025-03-05", "S1", "a: yes");
        anonymous.site = Site::default();
        assert_eq!(
            follow_up(&lib, &prev, &anonymous, &Default::default()),
            Err(FollowUpError::NoSite)
        );
        let Previous::Report(mut r) = prev else {
            unreachable!()
        };
        r.ruleset.id = "other".into();
        let ok = inspection("2025-03-05", "S1", "a: yes");
        assert!(matches!(
            follow_up(&lib, &Previous::Report(r), &ok, &Default::default()),
            Err(FollowUpError::RulesetMismatch { .. })
        ));
    }

    /// Parses an inspection of site S1 with extra top-level YAML.
    fn inspection_with(date: &str, answers: &str, extra: &str) -> Inspection {
        let text =
            format!("ruleset: fu\ndate: {date}\nsite: {{id: S1}}\nanswers: {{{answers}}}\n{extra}");
        Inspection::parse(&text, "i.yaml", &mut SourceMap::new(), &Limits::default())
            .expect("inspection")
    }

    fn due_of(f: &FollowUp, rule: &str) -> Option<String> {
        f.matches
            .iter()
            .find(|m| m.rule == rule)
            .and_then(|m| m.due)
            .map(|d| d.to_string())
    }

    #[test]
    fn a_follow_up_must_come_after_every_visit_of_the_history() {
        let lib = library();
        let prev = first(&lib);
        // The same day as the first visit: refused, not a second visit.
        let same_day = inspection("2025-03-03", "S1", "a: no, b: no, m: no");
        assert_eq!(
            follow_up(&lib, &prev, &same_day, &Default::default()).map_err(|e| e.to_string()),
            Err("this inspection on 2025-03-03 is not later than the last visit on 2025-03-03; a follow-up must come after every visit of the history".into())
        );
        // The follow-up applied a second time to its own result.
        let v2 = inspection_with("2025-03-05", "a: no, b: no, m: no", "id: V2\n");
        let f2 = follow_up(&lib, &prev, &v2, &Default::default()).expect("v2");
        let chain = Previous::FollowUp(Box::new(f2));
        assert!(matches!(
            follow_up(&lib, &chain, &v2, &Default::default()),
            Err(FollowUpError::AlreadyInHistory { visit: 2, .. })
        ));
        // The same id on a later day is still the same inspection.
        let again = inspection_with("2025-03-09", "a: no, b: no, m: no", "id: V2\n");
        assert_eq!(
            follow_up(&lib, &chain, &again, &Default::default()).map_err(|e| e.to_string()),
            Err("inspection `V2` is already visit 2 of the history (on 2025-03-05)".into())
        );
        // Without ids, the date decides.
        let no_id = inspection("2025-03-05", "S1", "a: no, b: no, m: no");
        assert!(matches!(
            follow_up(&lib, &chain, &no_id, &Default::default()),
            Err(FollowUpError::DateOrder { .. })
        ));
        let next = inspection("2025-03-06", "S1", "a: no, b: no, m: no");
        let f3 = follow_up(&lib, &chain, &next, &Default::default()).expect("v3");
        assert_eq!(f3.history.len(), 3);
        let m = f3.matches.iter().find(|m| m.rule == "r.b").expect("r.b");
        assert_eq!(m.open_visits, 2);
    }

    #[test]
    fn deadlines_set_per_rule_win_and_can_be_extended_at_a_follow_up() {
        let lib = library();
        // r.a in 3 days, r.m by a date; r.b keeps the ruleset's 7 days; the
        // team's 15 days for ordinary hazards lose to the rule entries.
        let v1 = inspection_with(
            "2025-03-03",
            "a: no, b: no, m: no",
            "deadlines: {ordinary: 15, rules: {r.a: 3, r.m: 2025-03-20}}\n",
        );
        let r1 = lib.evaluate(&v1, &EvalOptions::default()).expect("v1");
        let got: Vec<String> = r1
            .findings
            .iter()
            .map(|f| {
                let due = f.due.map(|d| d.to_string()).unwrap_or_default();
                format!(
                    "{} {:?} {due} {:?}",
                    f.rule, f.deadline_days, f.deadline_from
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "r.m Some(17) 2025-03-20 Some(InspectionRule)",
                "r.a Some(3) 2025-03-06 Some(InspectionRule)",
                "r.b Some(15) 2025-03-18 Some(InspectionLevel)",
            ]
        );
        assert!(r1.input_diagnostics.is_empty());
        // On 2025-03-10 r.a is overdue (due 03-06); r.b (due 03-18) is not.
        let prev = Previous::Report(Box::new(r1));
        let v2 = inspection_with(
            "2025-03-10",
            "a: no, b: no, m: no",
            "deadlines: {rules: {r.b: 2025-04-30}}\n",
        );
        let f2 = follow_up(&lib, &prev, &v2, &Default::default()).expect("v2");
        assert_eq!(status(&f2, "r.a"), Status::Overdue);
        assert_eq!(status(&f2, "r.b"), Status::Open);
        // The new order for r.b moves its due date from now on; r.a keeps
        // the due date of the visit that found it, whatever the ruleset's
        // defaults say now.
        assert_eq!(due_of(&f2, "r.b").as_deref(), Some("2025-04-30"));
        assert_eq!(due_of(&f2, "r.a").as_deref(), Some("2025-03-06"));
        assert_eq!(due_of(&f2, "r.m").as_deref(), Some("2025-03-20"));
        let b = f2.matches.iter().find(|m| m.rule == "r.b").expect("r.b");
        assert_eq!(
            b.previous_due.map(|d| d.to_string()).as_deref(),
            Some("2025-03-18")
        );
        // At the next visit r.b is judged by its new due date.
        let v3 = inspection("2025-04-20", "S1", "a: yes, b: no, m: yes");
        let f3 = follow_up(
            &lib,
            &Previous::FollowUp(Box::new(f2)),
            &v3,
            &Default::default(),
        )
        .expect("v3");
        assert_eq!(status(&f3, "r.b"), Status::Open);
    }

    #[test]
    fn a_deadline_for_an_unknown_rule_is_an_input_diagnostic() {
        let lib = library();
        let i = inspection_with(
            "2025-03-03",
            "a: no",
            "deadlines:\n  rules:\n    r.aa: 3\n    zzz: 2025-04-01\n",
        );
        let r = lib.evaluate(&i, &EvalOptions::default()).expect("report");
        let diags: Vec<(&str, &str, &str)> = r
            .input_diagnostics
            .iter()
            .map(|d| (d.code.as_str(), &*d.item, &*d.message))
            .collect();
        assert_eq!(
            diags,
            vec![
                (
                    "E0510",
                    "deadlines.rules.r.aa",
                    "ruleset `fu` 1 has no rule `r.aa` (line 7, column 11), so its deadline is not used; did you mean `r.a`?"
                ),
                (
                    "E0510",
                    "deadlines.rules.zzz",
                    "ruleset `fu` 1 has no rule `zzz` (line 8, column 10), so its deadline is not used"
                ),
            ]
        );
        assert_eq!(r.input_diagnostics[1].answer, "2025-04-01");
        // The finding of r.a keeps the ruleset's deadline.
        assert_eq!(r.findings[0].deadline_from, Some(DeadlineFrom::Ruleset));
    }

    #[test]
    fn deadlines_that_are_not_days_or_a_later_date_make_the_inspection_invalid() {
        let text = "ruleset: fu\ndate: 2025-03-03\ndeadlines: {rules: {r.a: 2025-03-02, r.b: -1, r.m: [3], r.x: 2025-02-30}}\n";
        let errors = Inspection::parse(text, "i.yaml", &mut SourceMap::new(), &Limits::default())
            .expect_err("invalid");
        let got: Vec<(Code, u32, u32)> = errors
            .iter()
            .map(|d| (d.code, d.span.line, d.span.column))
            .collect();
        assert_eq!(
            got,
            vec![
                (Code::InvalidDate, 3, 26),
                (Code::InvalidValue, 3, 43),
                (Code::InvalidValue, 3, 52),
                (Code::InvalidDate, 3, 62),
            ],
            "{errors:#?}"
        );
        assert_eq!(
            errors[0].message,
            "deadline of `r.a` on 2025-03-02, before the inspection on 2025-03-03"
        );
    }

    const POLICY: &str = r#"
ruleset: fp
version: "1"
title: {zh: 督办, en: Policy}
effective: {from: 2024-01-01}
deadlines: {major: 10}
follow_up: {overdue_major: false, repeated_open: 1}
documents:
  - {id: std, title: {zh: 标准, en: Standard}, verified: true}
items:
  - {id: b, type: yes_no, prompt: {zh: 乙, en: B}}
  - {id: m, type: yes_no, prompt: {zh: 丙, en: M}}
rules:
  - {id: r.b, level: ordinary, basis: {document: std, clause: "2"}, title: {zh: 乙, en: B}, when: {item: b, is: false}}
  - {id: r.m, level: major, basis: {document: std, clause: "3"}, title: {zh: 丙, en: M}, when: {item: m, is: false}}
"#;

    #[test]
    fn the_ruleset_says_what_is_escalated_and_options_override_it() {
        let mut loader = Loader::new(Limits::default());
        loader.add_memory("fp.yaml", POLICY);
        let outcome = loader.load();
        assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
        let lib = outcome.library.expect("library");
        let parse = |date: &str| {
            let text =
                format!("ruleset: fp\ndate: {date}\nsite: {{id: S1}}\nanswers: {{b: no, m: no}}\n");
            Inspection::parse(&text, "i.yaml", &mut SourceMap::new(), &Limits::default())
                .expect("inspection")
        };
        let r1 = lib
            .evaluate(&parse("2025-03-03"), &EvalOptions::default())
            .expect("v1");
        let prev = Previous::Report(Box::new(r1));
        let v2 = parse("2025-03-20");
        let reasons = |f: &FollowUp| -> Vec<(String, EscalationReason)> {
            f.escalate
                .iter()
                .map(|e| (e.rule.clone(), e.reason))
                .collect()
        };
        // The ruleset: ordinary hazards at their first follow-up, no
        // overdue majors.
        let f = follow_up(&lib, &prev, &v2, &Default::default()).expect("v2");
        assert_eq!(status(&f, "r.m"), Status::Overdue);
        assert_eq!(
            reasons(&f),
            vec![("r.b".into(), EscalationReason::RepeatedlyOpen)]
        );
        assert_eq!(
            f.policy,
            EscalationPolicy {
                overdue_major: false,
                repeated_open: 1
            }
        );
        // The caller overrides both.
        let options = FollowUpOptions {
            repeated_open: Some(2),
            overdue_major: Some(true),
            ..FollowUpOptions::default()
        };
        let f = follow_up(&lib, &prev, &v2, &options).expect("v2");
        assert_eq!(
            reasons(&f),
            vec![("r.m".into(), EscalationReason::OverdueMajor)]
        );
        // The defaults apply to a ruleset without the section.
        let plain = library();
        assert_eq!(
            EscalationPolicy::of(
                plain
                    .select("fu", Date::parse("2025-01-01").expect("date"))
                    .expect("fu"),
                &FollowUpOptions::default()
            ),
            EscalationPolicy::default()
        );
    }

    #[test]
    fn a_repeated_open_of_zero_is_refused_where_it_is_written() {
        let mut loader = Loader::new(Limits::default());
        loader.add_memory(
            "fp.yaml",
            &POLICY.replace("repeated_open: 1", "repeated_open: 0"),
        );
        let outcome = loader.load();
        let got: Vec<(Code, u32)> = outcome
            .diagnostics
            .iter()
            .map(|d| (d.code, d.span.line))
            .collect();
        assert_eq!(got, vec![(Code::InvalidValue, 7)]);
    }

    #[test]
    fn findings_without_a_due_date_stay_open_and_are_never_overdue() {
        // The same ruleset without any deadline, as the shipped ones are.
        let mut loader = Loader::new(Limits::default());
        loader.add_memory(
            "fu.yaml",
            &RULESET.replace("deadlines: {ordinary: 7, major: 30}\n", ""),
        );
        let lib = loader.load().library.expect("library");
        let v1 = inspection("2025-03-03", "S1", "a: no, b: no, m: no");
        let r1 = lib.evaluate(&v1, &EvalOptions::default()).expect("v1");
        assert!(
            r1.findings
                .iter()
                .all(|f| f.due.is_none() && f.deadline_from.is_none())
        );
        // A year later everything still there is open, not overdue, and
        // the overdue escalation of r.a does not fire.
        let v2 = inspection("2026-03-03", "S1", "a: no, b: no, m: no");
        let f2 = follow_up(
            &lib,
            &Previous::Report(Box::new(r1)),
            &v2,
            &Default::default(),
        )
        .expect("v2");
        assert!(
            f2.matches
                .iter()
                .all(|m| m.status == Status::Open && m.due.is_none())
        );
        assert!(
            f2.report
                .findings
                .iter()
                .all(|f| f.escalated_from.is_none())
        );
        assert!(f2.escalate.is_empty());
        // Still there at the next follow-up: the ordinary ones are flagged as
        // repeatedly open, the major one is not (it cannot be overdue).
        let v3 = inspection("2026-04-03", "S1", "a: no, b: no, m: no");
        let f3 = follow_up(
            &lib,
            &Previous::FollowUp(Box::new(f2)),
            &v3,
            &Default::default(),
        )
        .expect("v3");
        let e: Vec<(&str, EscalationReason)> =
            f3.escalate.iter().map(|e| (&*e.rule, e.reason)).collect();
        assert_eq!(
            e,
            vec![
                ("r.a", EscalationReason::RepeatedlyOpen),
                ("r.b", EscalationReason::RepeatedlyOpen)
            ]
        );
        assert_eq!(f3.counts.overdue, 0);
    }

    #[test]
    fn results_round_trip_through_json_and_are_deterministic() {
        let lib = library();
        let prev = first(&lib);
        let text = prev.report().to_json();
        assert_eq!(Previous::from_json(&text), Ok(prev.clone()));
        let v2 = inspection("2025-03-20", "S1", "a: no, b: yes, m: no");
        let f = follow_up(&lib, &prev, &v2, &Default::default()).expect("v2");
        let json = f.to_json();
        assert_eq!(
            Previous::from_json(&json),
            Ok(Previous::FollowUp(Box::new(f.clone())))
        );
        let again = follow_up(&lib, &prev, &v2, &Default::default()).expect("v2");
        assert_eq!(again.to_json(), json);
        assert!(matches!(
            Previous::from_json(r#"{"format": "other/1"}"#),
            Err(FollowUpError::UnknownFormat(_))
        ));
        assert!(matches!(
            Previous::from_json(r#"{"format": "hazcheck.report/1"}"#),
            Err(FollowUpError::Invalid { .. })
        ));
        assert_eq!(
            Previous::from_json("[{}, {}]").map_err(|e| e.to_string()),
            Err("the previous visit is not a valid report: a list of 2 documents; give the one report of the site".into())
        );
        assert!(matches!(
            Previous::from_json("not json"),
            Err(FollowUpError::Invalid { .. })
        ));
    }
}
