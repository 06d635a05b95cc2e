//! The ruleset format: what experts write.
//!
//! These types are the single description of a ruleset file. The YAML
//! decoder in [`crate::decode`] fills them, serde serializes them (for
//! `hazcheck diff` and tooling), and schemars derives the draft-07 JSON
//! Schema that editors use from them, so the three cannot drift apart: a test
//! round-trips every shipped ruleset through all three.
//!
//! Identifiers and references are wrapped in [`Sp`] so that every semantic
//! error can point at the exact text that caused it.
//!
//! A compiled ruleset keeps its model ([`crate::Ruleset::model`]), so an app
//! can list the questions of a checklist and the rules behind it:
//!
//! ```
//! use hazcheck::model::ItemType;
//! use hazcheck::{Lang, Level, Limits};
//!
//! let outcome = hazcheck::builtin::load(Limits::default());
//! let library = outcome.library.ok_or("the built-in rulesets have errors")?;
//! let model = library.versions("common-tasks")[0].model();
//!
//! let item = model
//!     .items
//!     .iter()
//!     .find(|i| i.id.value == "ct.licence.held")
//!     .ok_or("no such item")?;
//! assert_eq!(item.kind.value, ItemType::YesNo);
//! assert!(item.not_applicable);
//! assert_eq!(
//!     item.prompt.get(Lang::En),
//!     "Does the unit hold the licence (or filing) its business requires?"
//! );
//!
//! let rule = model
//!     .rules
//!     .iter()
//!     .find(|r| r.id.value == "ct.licence-missing")
//!     .ok_or("no such rule")?;
//! assert_eq!(rule.level.value, Level::Ordinary);
//! assert_eq!(rule.basis.document.value, "aj16");
//!
//! // Includes are merged, and every id still points at where it was
//! // written: this rule comes from the shared module.
//! let file = outcome.sources.get(rule.id.span.file).ok_or("unknown file")?;
//! assert_eq!(file.name, "builtin:rulesets/shared/common-tasks.yaml");
//! assert_eq!(file.text.get(rule.id.span.start..rule.id.span.end), Some("ct.licence-missing"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize, Serializer};

use crate::date::{Date, MonthDay, TimeOfDay};
use crate::decimal::Decimal;
use crate::span::Span;

/// A value together with the place it was written.
///
/// Serializes and describes itself (in the JSON Schema) exactly as the inner
/// value: the span is bookkeeping, not data.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Sp<T> {
    /// Wraps a value with its span.
    pub fn new(value: T, span: Span) -> Sp<T> {
        Sp { value, span }
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A location that never makes two values unequal: two conditions written
/// in different places are the same condition.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loc(pub Span);

impl PartialEq for Loc {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A text in Chinese and English. Both are expected; a missing one is a
/// warning (`W0402`), not an error, so a ruleset can be drafted in one
/// language first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The Chinese text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
    /// The English text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// The text in the preferred language, falling back to the other one,
    /// and the empty string when neither is given.
    ///
    /// ```
    /// use hazcheck::{Lang, Text};
    ///
    /// let title = Text {
    ///     zh: Some("未设置护栏".to_string()),
    ///     en: Some("No guardrail".to_string()),
    /// };
    /// assert_eq!(title.get(Lang::En), "No guardrail");
    /// assert_eq!(title.get(Lang::Zh), "未设置护栏");
    ///
    /// // A draft in one language is shown in that language.
    /// let draft = Text { zh: Some("未设置护栏".to_string()), en: None };
    /// assert_eq!(draft.get(Lang::En), "未设置护栏");
    /// assert_eq!(Text::default().get(Lang::Zh), "");
    ///
    /// // Chinese is the default language, as on the command line.
    /// assert_eq!(title.get(Lang::default()), "未设置护栏");
    /// ```
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Zh => (&self.zh, &self.en),
            Lang::En => (&self.en, &self.zh),
        };
        first.as_deref().or(second.as_deref()).unwrap_or("")
    }
}

/// A display language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

/// The level of a hazard.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 一般事故隐患: fixed at once or by a deadline.
    Ordinary,
    /// 重大事故隐患: government-supervised rectification, partial stop of work.
    Major,
}

impl Level {
    /// `ordinary` or `major`, as rulesets and reports write it.
    ///
    /// ```
    /// use hazcheck::Level;
    ///
    /// assert_eq!(Level::Major.as_str(), "major");
    /// assert_eq!(serde_json::from_str::<Level>(r#""ordinary""#)?, Level::Ordinary);
    /// assert!(serde_json::from_str::<Level>(r#""Major""#).is_err());
    ///
    /// // Levels are ordered, so the most serious of several is the largest.
    /// let levels = [Level::Ordinary, Level::Major, Level::Ordinary];
    /// assert_eq!(levels.iter().max(), Some(&Level::Major));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ordinary => "ordinary",
            Level::Major => "major",
        }
    }
}

/// A whole file: a ruleset (`ruleset:` key) or a shared module (`module:`
/// key) that rulesets include.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesetFile {
    /// The ruleset id, such as `construction`. Several files may share one id
    /// as versions with different periods in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<Sp<String>>,
    /// The module id, for a shared file that rulesets include.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<Sp<String>>,
    /// The version label, such as `"2024"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Sp<String>>,
    /// The supervision domain, such as `construction` or `forest-fire`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The title.
    #[serde(default)]
    pub title: Text,
    /// A longer description: scope, what is not covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// The period in which this version is in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<Period>,
    /// What to tell an inspection dated outside every version's period,
    /// such as "no national standard was in force before 2022-04-19".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_force: Option<Text>,
    /// Default rectification deadlines by level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<Deadlines>,
    /// When follow-up inspections flag a hazard for government-supervised
    /// rectification (挂牌督办).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpPolicy>,
    /// The documents (standards, regulations) that rules cite.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// Shared modules to include.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<Include>,
    /// Checklist sections, in display order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// Named constants and tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// The checklist questions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    /// The rules that turn answers into findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// Kinds of events an inspection's history may record (violations,
    /// scores, incidents), for rules about what was not dealt with in time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_kinds: Vec<EventKind>,
}

/// A kind of event in a site's history.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventKind {
    /// The id events use.
    pub id: Sp<String>,
    /// What it is.
    pub label: Text,
}

/// A question about the events of the site's history: how many events of
/// the given kinds (and value) were not dealt with in time.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// The event kinds that count.
    pub kinds: Vec<Sp<String>>,
    /// Only events whose value is at least this (such as a score of 10):
    /// a number or `{param: ...}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<Factor>,
    /// An event counts when it was not dealt with within this long after
    /// it happened (and that time has passed by the inspection date).
    /// Without it, an event counts while it is not dealt with at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_handled_within: Option<Duration>,
    /// Only events within this long before the inspection date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Duration>,
    /// How many such events make the condition hold (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Sp<u32>>,
}

/// A period in force. `to` is inclusive; an open end means "until replaced".
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day in force.
    pub from: Sp<Date>,
    /// Last day in force, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Sp<Date>>,
}

/// Default rectification deadlines in days, by level.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// Days to fix an ordinary hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinary: Option<u32>,
    /// Days to fix a major hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<u32>,
}

/// When a follow-up inspection (回头看) flags a hazard still there for
/// government-supervised rectification (挂牌督办).
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpPolicy {
    /// Flag a major hazard still there after its due date; default `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_major: Option<bool>,
    /// Flag an ordinary hazard found still there at this many follow-ups in
    /// a row; default 2, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub repeated_open: Option<u32>,
}

/// A basis document: a standard, regulation or local rule.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The id rules use to cite it.
    pub id: Sp<String>,
    /// Its name.
    pub title: Text,
    /// Its official number, such as `建质规〔2024〕5号`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The body that issued it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The date it was issued or took effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Whether the team checked the clauses cited against the official text.
    pub verified: bool,
    /// Where the text was read, or what remains to check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An included module, and the module rules this ruleset takes over with its
/// own basis.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Include {
    /// Path of the module file, relative to the including file.
    pub path: Sp<String>,
    /// Module rules to take over. Items of the module are always included;
    /// its rules only when listed here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<IncludedRule>,
    /// A further condition for every item of the module to apply in this
    /// ruleset (such as "only when an operator is inspected"), added to
    /// each item's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<Condition>,
    /// Further conditions for single items of the module to apply in this
    /// ruleset, added to the item's own (and to `applies_if` above).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<IncludedItem>,
}

/// A module item with a further applicability condition in one ruleset.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludedItem {
    /// The module item's id.
    pub id: Sp<String>,
    /// The further condition for it to apply here.
    pub applies_if: Condition,
}

/// A module rule taken over by a ruleset, with the ruleset's own basis.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludedRule {
    /// The module rule's id.
    pub id: Sp<String>,
    /// The basis this ruleset cites for it.
    pub basis: Basis,
    /// The level in this ruleset, if it differs from the module's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Whether the clause was verified; defaults to the document's flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// A further condition for the rule to apply in this ruleset (such as
    /// "only for metal-smelting firms"), added to the module rule's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<Condition>,
    /// Escalations this ruleset adds to the module rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalation>,
}

/// A checklist section.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// The section id.
    pub id: Sp<String>,
    /// Its heading.
    pub title: Text,
}

/// A named constant or a table keyed by a choice answer.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The name rules use.
    pub id: Sp<String>,
    /// A constant value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Sp<Decimal>>,
    /// A table: the value depends on the answer of a choice item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// A yearly window of month-days (such as a fire period), for
    /// `season: {param: ...}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season: Option<Season>,
    /// A daily window of times (such as a night rest period), for
    /// `time_between: {param: ...}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_window: Option<TimeRange>,
    /// The unit, such as `m` or `kN/m²`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Where the value comes from.
    pub source: Basis,
    /// What it means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
}

/// A parameter table keyed by the options of a choice item.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The choice item whose answer selects the row.
    pub by: Sp<String>,
    /// One value per option id.
    pub values: Vec<TableRow>,
    /// The value for options not listed. Without it every option must be
    /// listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Sp<Decimal>>,
}

/// One row of a [`Table`].
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableRow {
    /// The option id.
    pub option: Sp<String>,
    /// The value for that option.
    pub value: Sp<Decimal>,
}

/// A citation: a document and a clause in it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// The id of a document in `documents`.
    pub document: Sp<String>,
    /// The clause, such as `5(4)` or `6.5`.
    pub clause: String,
    /// Whether this clause was verified against the official text. Defaults to
    /// the document's `verified`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// The type of an item's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Yes or no.
    YesNo,
    /// A measured number, with a unit and bounds.
    Number,
    /// A whole number of things, zero or more.
    Count,
    /// One of the listed options.
    Choice,
    /// Any number of the listed options.
    MultiChoice,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A time of day, `HH:MM`.
    Time,
    /// Free text.
    Text,
}

impl ItemType {
    /// The name used in the YAML format.
    ///
    /// ```
    /// use hazcheck::model::ItemType;
    ///
    /// assert_eq!(ItemType::MultiChoice.as_str(), "multi_choice");
    /// assert_eq!(serde_json::to_string(&ItemType::YesNo)?, r#""yes_no""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::YesNo => "yes_no",
            ItemType::Number => "number",
            ItemType::Count => "count",
            ItemType::Choice => "choice",
            ItemType::MultiChoice => "multi_choice",
            ItemType::Date => "date",
            ItemType::Time => "time",
            ItemType::Text => "text",
        }
    }

    /// Whether answers are numbers: [`ItemType::Number`] and
    /// [`ItemType::Count`]. Their answers are exact decimals.
    ///
    /// ```
    /// use hazcheck::model::ItemType;
    ///
    /// assert!(ItemType::Count.is_numeric());
    /// assert!(ItemType::Number.is_numeric());
    /// assert!(!ItemType::Date.is_numeric());
    /// ```
    pub fn is_numeric(self) -> bool {
        matches!(self, ItemType::Number | ItemType::Count)
    }
}

/// A checklist question.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// A stable dotted id, such as `excavation.depth`.
    pub id: Sp<String>,
    /// The section it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<Sp<String>>,
    /// The answer type.
    #[serde(rename = "type")]
    pub kind: Sp<ItemType>,
    /// The question as shown to the inspector.
    pub prompt: Text,
    /// How to check it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Unit of a number answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Smallest accepted number (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Sp<Decimal>>,
    /// Largest accepted number (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Sp<Decimal>>,
    /// Options of a choice item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// Whether "not applicable" is an allowed answer.
    #[serde(default)]
    pub not_applicable: bool,
    /// Whether photo evidence is expected with the answer.
    #[serde(default)]
    pub photo: bool,
    /// The item is only asked when this holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<Condition>,
}

/// One option of a choice item.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// The id answers use.
    pub id: Sp<String>,
    /// The label shown.
    pub label: Text,
}

/// A rule: when its condition holds, the inspection has a finding.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A stable id, such as `c2024.5.4`.
    pub id: Sp<String>,
    /// The level of the finding.
    pub level: Sp<Level>,
    /// The clause that makes this a hazard.
    pub basis: Basis,
    /// Further clauses cited with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Basis>,
    /// The finding as the inspector reads it.
    pub title: Text,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<Text>,
    /// Days to rectify; defaults to the ruleset's deadline for the level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u32>,
    /// Whether a person must confirm the finding (a candidate major hazard,
    /// an inspector-asserted catch-all, an expert-panel decision).
    #[serde(default)]
    pub needs_confirmation: bool,
    /// The rule is only evaluated when this holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<Condition>,
    /// The condition under which the rule fires.
    pub when: Condition,
    /// An exception: when it holds, the finding is reported as excepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unless: Option<Exception>,
    /// Ways the finding becomes more serious.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalation>,
    /// Notes for the ruleset's maintainers (not shown in reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An exception that cancels a finding.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// When the exception holds. An exception is only granted when its
    /// condition is established; a missing answer does not excuse.
    pub when: Condition,
    /// Why the exception applies, for the report.
    pub reason: Text,
    /// The clause that grants the exception.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

/// A way an ordinary finding becomes major.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// The level it escalates to.
    pub to: Sp<Level>,
    /// When it escalates: an unhandled precursor, a previous finding still
    /// open past its due date, an accumulation of other findings.
    pub when: Condition,
    /// Why, for the report.
    pub reason: Text,
    /// Whether the escalated finding needs confirmation.
    #[serde(default)]
    pub needs_confirmation: bool,
    /// The clause that makes the escalated finding a hazard of that level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

/// A condition. Exactly one operator key is present: `all`, `any`, `not`,
/// `at_least`, `rule`, `previous`, `script`, `season` (on the inspection
/// date), or `item` with one comparison key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Holds when every member holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<Condition>>,
    /// Holds when some member holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Condition>>,
    /// Holds when the member does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Condition>>,
    /// Holds when at least N members hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<AtLeast>,
    /// Holds when another rule produced a finding: it fired and no
    /// exception cancelled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Sp<String>>,
    /// Holds when the previous inspection of the site recorded a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
    /// A Rhai expression over the answers, where nothing else fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<Sp<String>>,
    /// Holds when the site's event history has events not dealt with in
    /// time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<EventQuery>,
    /// The item the comparison reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Sp<String>>,
    /// A yes/no answer is this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is: Option<Sp<bool>>,
    /// Equal to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eq: Option<Operand>,
    /// Not equal to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ne: Option<Operand>,
    /// Less than.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<Operand>,
    /// Less than or equal to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lte: Option<Operand>,
    /// Greater than.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<Operand>,
    /// Greater than or equal to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gte: Option<Operand>,
    /// Within a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub between: Option<Range>,
    /// A choice answer is one of these options; a multiple-choice answer
    /// includes at least one of them.
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub in_: Option<Vec<Sp<String>>>,
    /// The inspection date lies in this period (either end may be open;
    /// both are inclusive), for duties that start or end on a date inside
    /// a version's period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection_date: Option<DateRange>,
    /// A multiple-choice answer includes all of these options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_all: Option<Vec<Sp<String>>>,
    /// A text answer matches this regular expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<Sp<String>>,
    /// A date answer lies more than this long before the inspection date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub older_than: Option<Duration>,
    /// A date answer lies within this long after the inspection date
    /// (inclusive), or has already passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_within: Option<Duration>,
    /// A date answer lies before the inspection date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_inspection: Option<Sp<bool>>,
    /// The date (the item's, or the inspection date without `item`) falls
    /// in a yearly window; a window may cross New Year. Written out, or as
    /// `{param: ...}` naming a season parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season: Option<Window<Season>>,
    /// A time answer falls in a daily window (from inclusive, to exclusive;
    /// may cross midnight). Written out, or as `{param: ...}` naming a
    /// time-window parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_between: Option<Window<TimeRange>>,
    /// Whether the item was answered at all (`true`) or left blank (`false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<Sp<bool>>,
    /// Whether the item was answered "not applicable".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<Sp<bool>>,
    /// Where the condition was written.
    #[serde(skip)]
    #[schemars(skip)]
    pub at: Loc,
}

/// The right-hand side of a comparison: a literal, a parameter, or another
/// item's answer, optionally scaled by a factor.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Operand {
    /// A number, date, option id, or yes/no.
    Literal(Sp<Literal>),
    /// A reference.
    Ref(OperandRef),
}

/// A literal operand value.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Literal {
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Decimal),
    /// A string: an option id, a date, or text.
    Str(String),
}

/// A reference operand: exactly one of `param` and `item`.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperandRef {
    /// A parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<Sp<String>>,
    /// Another item's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Sp<String>>,
    /// A factor applied to the value, such as `0.8` for "80% of": a
    /// number, or `{param: ...}` naming a constant parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<Factor>,
}

/// A constant number: written as a number, or as `{param: ...}` naming a
/// constant parameter (used for factors and event values).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Factor {
    /// A number.
    Number(Sp<Decimal>),
    /// A constant parameter.
    Param(ParamRef),
}

/// A numeric range. Both ends are inclusive unless marked exclusive.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lower end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Operand>,
    /// Upper end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Operand>,
    /// Whether the lower end is excluded.
    #[serde(default)]
    pub min_exclusive: bool,
    /// Whether the upper end is excluded.
    #[serde(default)]
    pub max_exclusive: bool,
}

/// "At least N of" a list of conditions.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AtLeast {
    /// How many must hold: a number, or `{param: ...}` (a constant or a
    /// table keyed by a category item).
    pub n: Count,
    /// The members. Each is counted once.
    pub of: Vec<Condition>,
}

/// A count: a whole number or a parameter.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Count {
    /// A fixed number.
    Fixed(Sp<u32>),
    /// A parameter.
    Param(ParamRef),
}

/// A reference to a parameter.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamRef {
    /// The parameter id.
    pub param: Sp<String>,
}

/// A finding of the previous inspection of the same site.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Previous {
    /// The rule of the previous finding (it may be a rule of an older
    /// version, so it is not checked against this ruleset).
    pub rule: Sp<String>,
    /// Only count it when it was past its due date on this inspection's date.
    #[serde(default)]
    pub overdue: bool,
}

/// A length of time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Duration {
    /// Years.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub years: u32,
    /// Months.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub months: u32,
    /// Days.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub days: u32,
    /// A constant parameter whose unit is `years`, `months` or `days`,
    /// instead of the fields above, so that a validity period can cite its
    /// source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<Sp<String>>,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// A range of dates, both ends inclusive, either end open.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Sp<Date>>,
    /// Last day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Sp<Date>>,
}

/// A window written out in a condition, or a parameter that holds it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Window<T> {
    /// The window itself.
    Literal(T),
    /// A parameter of the same kind.
    Param(ParamRef),
}

/// A yearly window of month-days, both ends inclusive.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Season {
    /// First day, `MM-DD`.
    pub from: Sp<MonthDay>,
    /// Last day, `MM-DD`.
    pub to: Sp<MonthDay>,
}

/// A daily window of times.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// Start, `HH:MM`, inclusive.
    pub from: Sp<TimeOfDay>,
    /// End, `HH:MM`, exclusive.
    pub to: Sp<TimeOfDay>,
}
