//! Inspections: the filled-in checklists that rulesets evaluate.
//!
//! An inspection names its ruleset, its date (the only clock evaluation
//! knows), the site and the answers keyed by item id. It may carry the
//! findings of the previous inspection of the same site, for escalation and
//! follow-up. Answers are kept as written until evaluation checks them
//! against the items of the ruleset version in force on the date.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::decode::Decoder;
use crate::diagnostic::{Code, Diagnostic};
use crate::limits::Limits;
use crate::model::{Level, Sp};
use crate::node::{self, Node, NodeKind};
use crate::span::{FileId, SourceMap, Span};

/// A filled-in checklist.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    /// The id of the ruleset to evaluate with.
    pub ruleset: Sp<String>,
    /// An id for the inspection, if the app has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The inspection date; it selects the ruleset version and is the
    /// reference for every date condition.
    pub date: Sp<Date>,
    /// The site inspected.
    #[serde(default)]
    pub site: Site,
    /// Who inspected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
    /// The answers, keyed by item id.
    #[serde(default)]
    pub answers: BTreeMap<String, Sp<Answer>>,
    /// The previous inspection of the same site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousInspection>,
    /// The rectification deadlines the inspecting team orders: days by
    /// level, and a deadline per finding by rule id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<InspectionDeadlines>,
    /// The site's history of events (violations, scores, incidents). Absent
    /// means the history is unknown; an empty list means there were none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
}

/// The rectification deadlines an inspecting team orders, as written in
/// its rectification notice (整改通知书).
///
/// For a finding, the first of these that gives a deadline applies: the
/// entry of its rule in `rules`, the rule's own `deadline` in the ruleset,
/// the entry for its level here, then the ruleset's `deadlines` for its
/// level.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionDeadlines {
    /// Days to fix an ordinary hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinary: Option<u32>,
    /// Days to fix a major hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<u32>,
    /// The deadline of one finding, keyed by the rule that raises it: days
    /// from the inspection date, or the due date itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, Sp<RuleDeadline>>,
}

/// The deadline ordered for one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RuleDeadline {
    /// Days from the inspection date (0: by the inspection date itself).
    Days(u32),
    /// The due date, on or after the inspection date.
    Date(Date),
}

/// The deadline of a finding of `rule` at `level`, inspected on `date`:
/// days, due date and where they come from, by the precedence of
/// [`InspectionDeadlines`]. `None` when nothing sets one.
pub(crate) fn deadline_of(
    rule: &str,
    rule_days: Option<u32>,
    level: Level,
    team: Option<&InspectionDeadlines>,
    ruleset: &crate::model::Deadlines,
    date: Date,
) -> Option<(u32, Option<Date>, crate::report::DeadlineFrom)> {
    use crate::report::DeadlineFrom;
    let days = |d: u32, from| Some((d, date.add_days(i64::from(d)), from));
    if let Some(d) = team.and_then(|t| t.rules.get(rule)) {
        return match d.value {
            RuleDeadline::Days(n) => days(n, DeadlineFrom::InspectionRule),
            RuleDeadline::Date(due) => {
                let n = u32::try_from(due.to_days() - date.to_days()).unwrap_or(0);
                Some((n, Some(due), DeadlineFrom::InspectionRule))
            }
        };
    }
    if let Some(n) = rule_days {
        return days(n, DeadlineFrom::Rule);
    }
    let by_level = |ordinary: Option<u32>, major: Option<u32>| match level {
        Level::Ordinary => ordinary,
        Level::Major => major,
    };
    if let Some(n) = team.and_then(|t| by_level(t.ordinary, t.major)) {
        return days(n, DeadlineFrom::InspectionLevel);
    }
    by_level(ruleset.ordinary, ruleset.major).and_then(|n| days(n, DeadlineFrom::Ruleset))
}

/// One event of a site's history.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Its kind, one of the ruleset's `event_kinds`.
    pub kind: String,
    /// When it happened.
    pub date: Date,
    /// Who or what it concerns (a vehicle, a driver).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A measured value, such as a score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<crate::decimal::Decimal>,
    /// When it was dealt with, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled: Option<Date>,
}

/// The site of an inspection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// A stable site id (used to match follow-up inspections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The site name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The region path, such as `山东省/济南市/历下区`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A site category, free text for reporting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// One answer as written.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum Answer {
    /// Yes or no.
    Bool(bool),
    /// A number.
    Number(crate::decimal::Decimal),
    /// A string: an option id, a date, a time, text, or `n/a`.
    Text(String),
    /// Several option ids, for a multiple-choice item.
    List(Vec<String>),
    /// Written but left empty (`item:` or `item: null`): the answer is
    /// missing, but the item id is still checked.
    Unanswered,
    /// An answer of a shape no item takes (a mapping, a list holding more
    /// than option ids), with what was found. Checked against its item it
    /// is an input diagnostic and counts as missing, like any answer of
    /// the wrong type; it is written out as `null`.
    #[schemars(skip)]
    Malformed(String),
}

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Bool(b) => s.serialize_bool(*b),
            Answer::Number(d) => d.serialize(s),
            Answer::Text(t) => s.serialize_str(t),
            Answer::List(l) => l.serialize(s),
            Answer::Unanswered | Answer::Malformed(_) => s.serialize_unit(),
        }
    }
}

impl Answer {
    /// Whether this is the "not applicable" answer (`n/a`, any case, with
    /// or without spaces around it).
    pub fn is_na(&self) -> bool {
        matches!(self, Answer::Text(t) if t.trim().eq_ignore_ascii_case("n/a"))
    }

    /// The answer as JSON, for reports.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The findings of the previous inspection of the same site.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousInspection {
    /// Its date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Its findings.
    #[serde(default)]
    pub findings: Vec<PreviousFinding>,
}

/// A finding of a previous inspection.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousFinding {
    /// The rule that raised it.
    pub rule: String,
    /// Its level.
    pub level: Level,
    /// Its rectification due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
}

const INSPECTION_KEYS: &[&str] = &[
    "ruleset",
    "id",
    "date",
    "site",
    "inspector",
    "answers",
    "previous",
    "events",
    "deadlines",
];

impl Inspection {
    /// Parses an inspection from YAML or JSON text. The file is registered in
    /// `sources` under `name` so that diagnostics can show it.
    ///
    /// Only the structure is checked here (keys, types, dates, limits);
    /// answers are checked against their items when a ruleset version
    /// evaluates them.
    ///
    /// ```
    /// use hazcheck::{Code, Inspection, Limits, SourceMap};
    ///
    /// let mut sources = SourceMap::new();
    /// let json = r#"{"ruleset": "construction", "date": "2025-03-10",
    ///                "answers": {"pit.depth": 6.2, "pit.monitoring": "no"}}"#;
    /// let inspection = Inspection::parse(json, "a.json", &mut sources, &Limits::default())
    ///     .map_err(|d| format!("{} problems", d.len()))?;
    /// assert_eq!(inspection.ruleset.value, "construction");
    /// assert_eq!(inspection.answers.len(), 2);
    ///
    /// // Every problem, with its place.
    /// let errors = Inspection::parse(
    ///     "ruleset: construction\ndate: 2025-02-30\nanswer: {}\n",
    ///     "b.yaml",
    ///     &mut sources,
    ///     &Limits::default(),
    /// )
    /// .unwrap_err();
    /// let codes: Vec<Code> = errors.iter().map(|d| d.code).collect();
    /// assert_eq!(codes, [Code::InvalidDate, Code::UnknownKey]);
    /// assert_eq!(errors[1].span.line, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(
        text: &str,
        name: &str,
        sources: &mut SourceMap,
        limits: &Limits,
    ) -> Result<Inspection, Vec<Diagnostic>> {
        let file = sources.add(name, text);
        let node = node::parse_yaml(text, file, &limits.inspection_parse()).map_err(|d| vec![d])?;
        Inspection::from_node(&node, limits)
    }

    /// Builds an inspection from a JSON value (as read from one line of
    /// NDJSON). Diagnostics point at `file` without line numbers.
    pub fn from_json(
        value: &serde_json::Value,
        file: FileId,
        limits: &Limits,
    ) -> Result<Inspection, Vec<Diagnostic>> {
        // The answers are most of an inspection. They are read straight
        // from the JSON when they are within the limits, which spares
        // copying every key and string into a tree first; the rest goes
        // through the tree. Anything out of the ordinary takes the general
        // path, so diagnostics are the same either way.
        if let serde_json::Value::Object(top) = value
            && let Some(serde_json::Value::Object(given)) = top.get("answers")
            && let Some(answers) = answers_from_json(given, limits)
        {
            let rest: serde_json::Map<String, serde_json::Value> = top
                .iter()
                .filter(|(k, _)| k.as_str() != "answers")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut i = Inspection::from_node(
                &Node::from_json(&serde_json::Value::Object(rest), file),
                limits,
            )?;
            let span = Span::file_only(file);
            i.answers = answers
                .into_iter()
                .map(|(k, a)| (k, Sp::new(a, span)))
                .collect();
            return Ok(i);
        }
        Inspection::from_node(&Node::from_json(value, file), limits)
    }

    /// Decodes an inspection from a located tree.
    pub fn from_node(node: &Node, limits: &Limits) -> Result<Inspection, Vec<Diagnostic>> {
        let mut dec = Decoder::new();
        let out = decode(&mut dec, node, limits);
        crate::diagnostic::sort(&mut dec.diags);
        match out {
            Some(i) if dec.diags.is_empty() => Ok(i),
            _ => {
                if dec.diags.is_empty() {
                    dec.error(Code::InvalidValue, node.span, "invalid inspection");
                }
                Err(dec.diags)
            }
        }
    }
}

fn decode(dec: &mut Decoder, node: &Node, limits: &Limits) -> Option<Inspection> {
    let mut m = dec.map(node, "an inspection")?;
    let ruleset = dec.req(&mut m, "ruleset", |d, n| d.ident(n));
    let id = dec.opt(&mut m, "id", |d, n| d.string(n)).map(|s| s.value);
    let date = dec.req(&mut m, "date", |d, n| d.date(n));
    let site = dec.opt(&mut m, "site", site).unwrap_or_default();
    let inspector = dec
        .opt(&mut m, "inspector", |d, n| d.string(n))
        .map(|s| s.value);
    let answers = dec
        .opt(&mut m, "answers", |d, n| answers(d, n, limits))
        .unwrap_or_default();
    let previous = dec.opt(&mut m, "previous", previous);
    let deadlines = dec.opt(&mut m, "deadlines", |d, n| {
        let mut m = d.map(n, "deadlines (`ordinary`, `major`, in days; `rules`)")?;
        let ordinary = d.opt(&mut m, "ordinary", |d, n| d.uint(n)).map(|v| v.value);
        let major = d.opt(&mut m, "major", |d, n| d.uint(n)).map(|v| v.value);
        let rules = d
            .opt(&mut m, "rules", |d, n| rule_deadlines(d, n, date.as_ref()))
            .unwrap_or_default();
        m.finish(d, &["ordinary", "major", "rules"]);
        Some(InspectionDeadlines {
            ordinary,
            major,
            rules,
        })
    });
    let events = match m.take("events") {
        Some(n) => dec.list(n, event),
        None => None,
    };
    m.finish(dec, INSPECTION_KEYS);
    if let Some(date) = &date {
        not_after(dec, node, date.value);
    }
    Some(Inspection {
        ruleset: ruleset?,
        id,
        date: date?,
        site,
        inspector,
        answers,
        previous,
        deadlines,
        events,
    })
}

/// The previous inspection lies on or before the inspection date: a later
/// one is a mistake in the input, and would make findings escalate on a
/// visit that has not happened yet. (Events after the date are different:
/// a history exported later may hold them, and an evaluation as of the
/// inspection date leaves them out.)
pub(crate) fn not_after(dec: &mut Decoder, node: &Node, date: Date) {
    let previous = node.get("previous").and_then(|p| p.get("date"));
    if let Some(n) = previous
        && let Some(d) = n.as_str().and_then(|s| s.parse::<Date>().ok())
        && d > date
    {
        dec.error(
            Code::InvalidDate,
            n.span,
            format!("the previous inspection is dated {d}, after this inspection ({date})"),
        );
    }
}

/// The `deadlines.rules` mapping: rule id to days or a due date, which
/// must not be before the inspection date.
fn rule_deadlines(
    dec: &mut Decoder,
    node: &Node,
    date: Option<&Sp<Date>>,
) -> Option<BTreeMap<String, Sp<RuleDeadline>>> {
    let NodeKind::Map(entries) = &node.kind else {
        dec.map(node, "the deadlines by rule id")?;
        return None;
    };
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        let Some(rule) = dec.ident(k) else { continue };
        let deadline = match &v.kind {
            NodeKind::Int(_) => dec.uint(v).map(|n| RuleDeadline::Days(n.value)),
            NodeKind::Str(_) => dec.date(v).and_then(|due| match date {
                Some(day) if due.value < day.value => {
                    dec.error(
                        Code::InvalidDate,
                        v.span,
                        format!(
                            "deadline of `{}` on {}, before the inspection on {}",
                            rule.value, due.value, day.value
                        ),
                    );
                    None
                }
                _ => Some(RuleDeadline::Date(due.value)),
            }),
            _ => {
                dec.error(
                    Code::InvalidValue,
                    v.span,
                    format!(
                        "the deadline of `{}` is {}; expected days (a whole number) or a due date (YYYY-MM-DD)",
                        rule.value,
                        v.type_name()
                    ),
                );
                None
            }
        };
        if let Some(d) = deadline {
            out.insert(rule.value, Sp::new(d, v.span));
        }
    }
    Some(out)
}

fn event(dec: &mut Decoder, node: &Node) -> Option<Event> {
    let mut m = dec.map(
        node,
        "an event (`kind`, `date`, `subject`, `value`, `handled`)",
    )?;
    let kind = dec.req(&mut m, "kind", |d, n| d.ident(n));
    let date = dec.req(&mut m, "date", |d, n| d.date(n));
    let subject = dec
        .opt(&mut m, "subject", |d, n| d.string(n))
        .map(|s| s.value);
    let value = dec
        .opt(&mut m, "value", |d, n| d.decimal(n))
        .map(|v| v.value);
    let handled = dec
        .opt(&mut m, "handled", |d, n| d.date(n))
        .map(|d| d.value);
    m.finish(dec, &["kind", "date", "subject", "value", "handled"]);
    let (kind, date) = (kind?, date?);
    if let Some(h) = handled
        && h < date.value
    {
        dec.error(
            Code::InvalidDate,
            date.span,
            format!("event handled on {h}, before it happened on {}", date.value),
        );
        return None;
    }
    Some(Event {
        kind: kind.value,
        date: date.value,
        subject,
        value,
        handled,
    })
}

fn site(dec: &mut Decoder, node: &Node) -> Option<Site> {
    let mut m = dec.map(node, "a site")?;
    let id = dec.opt(&mut m, "id", |d, n| d.string(n)).map(|s| s.value);
    let name = dec.opt(&mut m, "name", |d, n| d.string(n)).map(|s| s.value);
    let region = dec
        .opt(&mut m, "region", |d, n| d.string(n))
        .map(|s| s.value);
    let category = dec
        .opt(&mut m, "category", |d, n| d.string(n))
        .map(|s| s.value);
    m.finish(dec, &["id", "name", "region", "category"]);
    Some(Site {
        id,
        name,
        region,
        category,
    })
}

fn answers(
    dec: &mut Decoder,
    node: &Node,
    limits: &Limits,
) -> Option<BTreeMap<String, Sp<Answer>>> {
    let NodeKind::Map(entries) = &node.kind else {
        dec.map(node, "the answers")?;
        return None;
    };
    if entries.len() > limits.max_answers {
        dec.error(
            Code::LimitExceeded,
            node.span,
            format!(
                "{} answers, more than the limit of {}",
                entries.len(),
                limits.max_answers
            ),
        );
        return None;
    }
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let Some(key) = dec.string(k) else { continue };
        let Some(answer) = answer(dec, v, &key.value, limits) else {
            continue;
        };
        out.push((key.value, Sp::new(answer, v.span)));
    }
    // Built in one go (answers usually come sorted, which the build makes
    // cheap); a key written twice keeps its last answer, as with inserts.
    Some(out.into_iter().collect())
}

/// The answers of a JSON inspection, read without building a tree: the
/// same answers [`answers`] decodes from the tree, or `None` when a limit
/// is exceeded (the general path then reports it).
fn answers_from_json(
    given: &serde_json::Map<String, serde_json::Value>,
    limits: &Limits,
) -> Option<Vec<(String, Answer)>> {
    use serde_json::Value as V;
    if given.len() > limits.max_answers {
        return None;
    }
    let fits =
        |s: &str| s.len() <= limits.max_answer_len || s.chars().count() <= limits.max_answer_len;
    let mut out = Vec::with_capacity(given.len());
    for (k, v) in given {
        let a = match v {
            V::Null => Answer::Unanswered,
            V::Bool(b) => Answer::Bool(*b),
            V::Number(n) => {
                let node = Node::from_json(v, FileId(0));
                match crate::decode::number_of(&node) {
                    Ok(d) => Answer::Number(d),
                    Err(_) => Answer::Text(node.scalar_text().unwrap_or_else(|| n.to_string())),
                }
            }
            V::String(t) if fits(t) => Answer::Text(t.clone()),
            V::String(_) => return None,
            V::Array(items) => {
                let mut list = Vec::with_capacity(items.len());
                let mut odd = None;
                for x in items {
                    match x {
                        V::String(t) if fits(t) => list.push(t.clone()),
                        V::String(_) => return None,
                        other => {
                            odd = odd.or(Some(Node::from_json(other, FileId(0)).type_name()));
                        }
                    }
                }
                match odd {
                    Some(found) => Answer::Malformed(format!("a list holding {found}")),
                    None => Answer::List(list),
                }
            }
            V::Object(_) => Answer::Malformed("a mapping".to_string()),
        };
        out.push((k.clone(), a));
    }
    Some(out)
}

fn answer(dec: &mut Decoder, node: &Node, item: &str, limits: &Limits) -> Option<Answer> {
    let too_long = |dec: &mut Decoder, span: Span, len: usize| {
        dec.error(
            Code::LimitExceeded,
            span,
            format!(
                "answer to `{item}` is {len} characters long, more than the limit of {}",
                limits.max_answer_len
            ),
        );
    };
    match &node.kind {
        NodeKind::Null => Some(Answer::Unanswered),
        NodeKind::Bool(b) => Some(Answer::Bool(*b)),
        // A number no decimal holds is kept as written: checked against its
        // item, it becomes an input diagnostic and a missing answer, like
        // any other answer of the wrong form, instead of rejecting the
        // whole inspection.
        NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::BadNumber(_) => {
            match crate::decode::number_of(node) {
                Ok(d) => Some(Answer::Number(d)),
                Err(_) => node.scalar_text().map(Answer::Text),
            }
        }
        NodeKind::Str(s) => {
            let len = s.chars().count();
            if len > limits.max_answer_len {
                too_long(dec, node.span, len);
                return None;
            }
            Some(Answer::Text(s.clone()))
        }
        NodeKind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut odd = None;
            for n in items {
                match n.as_str() {
                    Some(s) if s.chars().count() <= limits.max_answer_len => {
                        out.push(s.to_string())
                    }
                    Some(s) => too_long(dec, n.span, s.chars().count()),
                    None => odd = odd.or(Some(n.type_name())),
                }
            }
            Some(match odd {
                Some(found) => Answer::Malformed(format!("a list holding {found}")),
                None => Answer::List(out),
            })
        }
        NodeKind::Map(_) => Some(Answer::Malformed("a mapping".to_string())),
    }
}

fn previous(dec: &mut Decoder, node: &Node) -> Option<PreviousInspection> {
    let mut m = dec.map(node, "a previous inspection")?;
    let date = dec.opt(&mut m, "date", |d, n| d.date(n)).map(|d| d.value);
    let findings = dec
        .opt(&mut m, "findings", |d, n| {
            d.list(n, |d, n| {
                let mut m = d.map(n, "a previous finding (`rule`, `level`, `due`)")?;
                let rule = d.req(&mut m, "rule", |d, n| d.ident(n));
                let level = d.req(&mut m, "level", |d, n| match n.as_str() {
                    Some("ordinary") => Some(Level::Ordinary),
                    Some("major") => Some(Level::Major),
                    _ => {
                        d.error(
                            Code::InvalidValue,
                            n.span,
                            "expected a level (`ordinary` or `major`)",
                        );
                        None
                    }
                });
                let due = d.opt(&mut m, "due", |d, n| d.date(n)).map(|d| d.value);
                m.finish(d, &["rule", "level", "due"]);
                Some(PreviousFinding {
                    rule: rule?.value,
                    level: level?,
                    due,
                })
            })
        })
        .unwrap_or_default();
    m.finish(dec, &["date", "findings"]);
    Some(PreviousInspection { date, findings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn answer_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as V;
        let leaf = prop_oneof![
            Just(V::Null),
            any::<bool>().prop_map(V::Bool),
            any::<i64>().prop_map(V::from),
            any::<u64>().prop_map(V::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(V::Null, V::Number)),
            ".{0,14}".prop_map(V::String),
        ];
        leaf.prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(V::Array),
                prop::collection::btree_map("[a-z]{1,2}", inner, 0..2)
                    .prop_map(|m| V::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn json_answers_read_directly_equal_those_read_through_the_tree(
            answers in prop::collection::btree_map("[a-z.]{1,6}", answer_json(), 0..8),
            site in prop::option::of(prop::collection::btree_map(
                prop::sample::select(vec!["id", "name", "region", "oops"]).prop_map(str::to_string),
                ".{0,6}".prop_map(serde_json::Value::String),
                0..3,
            )),
            max_len in 1usize..20,
            max_answers in 1usize..10,
        ) {
            let mut top = serde_json::json!({"ruleset": "t", "date": "2025-01-01", "answers": answers});
            if let Some(site) = site {
                top["site"] = serde_json::Value::Object(site.into_iter().collect());
            }
            let limits = Limits { max_answer_len: max_len, max_answers, ..Limits::default() };
            let direct = Inspection::from_json(&top, FileId(0), &limits);
            let tree = Inspection::from_node(&Node::from_json(&top, FileId(0)), &limits);
            prop_assert_eq!(direct, tree);
        }
    }
}
