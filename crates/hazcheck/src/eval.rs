//! Evaluation: a pure function of a compiled ruleset and an inspection.
//!
//! Answers are first checked against their items (type, bounds, options,
//! applicability); a bad answer becomes an input diagnostic and counts as
//! missing. Conditions are then evaluated in a four-valued logic: a
//! condition holds, does not hold, is unknown because answers it needs are
//! missing, or does not apply because an answer says "not applicable".
//! Unknown follows Kleene's rules, so a rule still fires when an unrelated
//! answer is missing; "not applicable" is never read as "no".
//!
//! ```
//! use hazcheck::{EvalOptions, Inspection, Limits, Report, SourceMap, Verdict};
//!
//! let library = hazcheck::builtin::load(Limits::default())
//!     .library
//!     .ok_or("the built-in rulesets have errors")?;
//! let mut sources = SourceMap::new();
//! let mut evaluate = |answers: &str| -> Result<Report, Box<dyn std::error::Error>> {
//!     let text = format!("ruleset: common-tasks\ndate: 2025-03-10\nanswers: {answers}\n");
//!     let inspection = Inspection::parse(&text, "inspection.yaml", &mut sources, &Limits::default())
//!         .map_err(|d| format!("{} problems", d.len()))?;
//!     Ok(library.evaluate(&inspection, &EvalOptions::default())?)
//! };
//!
//! // One question answered "no": its rule fires although the others are
//! // missing, and those are undetermined, not passed.
//! let report = evaluate("{ct.licence.held: no}")?;
//! assert_eq!(report.verdict, Verdict::Ordinary);
//! assert_eq!(report.findings[0].rule, "ct.licence-missing");
//! assert!(!report.complete);
//! assert!(report.undetermined.iter().any(|u| u.rule == "ct.no-plan"));
//!
//! // A business that needs no licence answers "n/a": no finding, and the
//! // licence's validity no longer applies either.
//! let report = evaluate("{ct.licence.held: n/a}")?;
//! assert!(report.findings.is_empty());
//! assert!(!report.undetermined.iter().any(|u| u.rule.starts_with("ct.licence")));
//! assert_eq!(report.verdict, Verdict::Incomplete);
//!
//! // The same inspection always gives the same report.
//! assert_eq!(evaluate("{ct.licence.held: n/a}")?, report);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rhai::{Dynamic, Scope};

use crate::Ruleset;
use crate::compile::{CParam, CRule, Cond, CountRef, DateRhs, Num, Test};
use crate::date::Date;
use crate::decimal::Decimal;
use crate::diagnostic::Code;
use crate::inspection::{Answer, Inspection};
use crate::model::{ItemType, Level, Text};
use crate::report::*;

/// The value of a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Truth {
    /// The condition holds.
    True,
    /// It does not hold.
    False,
    /// Answers it needs are missing, and they could change the outcome.
    Unknown,
    /// It is about something that does not apply to this site.
    NotApplicable,
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    /// `not`: swaps true and false; unknown and not-applicable stay.
    pub fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            other => other,
        }
    }

    /// `all` of a list: false wins; then not-applicable (it cannot fire);
    /// then unknown; true only when every member is true, so an empty
    /// list is true.
    ///
    /// ```
    /// use hazcheck::Truth::{self, False, NotApplicable, True, Unknown};
    ///
    /// // A missing answer does not matter once another member is false.
    /// assert_eq!(Truth::all([Unknown, False]), False);
    /// assert_eq!(Truth::all([True, Unknown]), Unknown);
    /// // No answer could make it true when a member does not apply.
    /// assert_eq!(Truth::all([NotApplicable, Unknown]), NotApplicable);
    /// assert_eq!(Truth::all([True, True]), True);
    /// assert_eq!(Truth::all([]), True);
    /// ```
    pub fn all(values: impl IntoIterator<Item = Truth>) -> Truth {
        let (mut na, mut unknown) = (false, false);
        for v in values {
            match v {
                Truth::False => return Truth::False,
                Truth::NotApplicable => na = true,
                Truth::Unknown => unknown = true,
                Truth::True => {}
            }
        }
        if na {
            Truth::NotApplicable
        } else if unknown {
            Truth::Unknown
        } else {
            Truth::True
        }
    }

    /// `any` of a list: true wins; then unknown; then false; not-applicable
    /// only when every member is. An empty list is false.
    ///
    /// ```
    /// use hazcheck::Truth::{self, False, NotApplicable, True, Unknown};
    ///
    /// // One true member decides, whatever is missing.
    /// assert_eq!(Truth::any([Unknown, True]), True);
    /// assert_eq!(Truth::any([False, Unknown]), Unknown);
    /// // Members that do not apply are left out while another is decided.
    /// assert_eq!(Truth::any([NotApplicable, False]), False);
    /// assert_eq!(Truth::any([NotApplicable, NotApplicable]), NotApplicable);
    /// assert_eq!(Truth::any([]), False);
    ///
    /// // De Morgan's law holds for the three Kleene values.
    /// for a in [True, False, Unknown] {
    ///     for b in [True, False, Unknown] {
    ///         assert_eq!(Truth::any([a, b]).negate(), Truth::all([a.negate(), b.negate()]));
    ///     }
    /// }
    /// ```
    pub fn any(values: impl IntoIterator<Item = Truth>) -> Truth {
        let (mut unknown, mut fals, mut empty) = (false, false, true);
        for v in values {
            empty = false;
            match v {
                Truth::True => return Truth::True,
                Truth::Unknown => unknown = true,
                Truth::False => fals = true,
                Truth::NotApplicable => {}
            }
        }
        if unknown {
            Truth::Unknown
        } else if fals || empty {
            Truth::False
        } else {
            Truth::NotApplicable
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
            Truth::NotApplicable => "not_applicable",
        }
    }
}

/// An answer after checking.
#[derive(Clone, Debug)]
enum Ans<'r> {
    Missing,
    Na,
    Val(Val<'r>),
}

#[derive(Clone, Debug)]
enum Val<'r> {
    Bool(bool),
    Num(Decimal),
    Opt(usize),
    Multi(Vec<usize>),
    Date(Date),
    Time(crate::date::TimeOfDay),
    // Borrowed from the inspection: text answers are not copied to be
    // compared (#12).
    Text(std::borrow::Cow<'r, str>),
}

/// Options for one evaluation.
///
/// The default leaves out the explanations, which are as large as the
/// ruleset; ask for them to show an auditor why each rule came out as it
/// did (`hazcheck eval --explain`).
///
/// ```
/// use hazcheck::{EvalOptions, Inspection, Limits, SourceMap};
///
/// let library = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// let text = "ruleset: common-tasks\ndate: 2025-03-10\nanswers: {ct.licence.held: no}\n";
/// let inspection = Inspection::parse(text, "inspection.yaml", &mut SourceMap::new(), &Limits::default())
///     .map_err(|d| format!("{} problems", d.len()))?;
///
/// let plain = library.evaluate(&inspection, &EvalOptions::default())?;
/// assert!(plain.explanations.is_none());
///
/// let explained = library.evaluate(&inspection, &EvalOptions { explain: true })?;
/// let explanations = explained.explanations.as_deref().unwrap_or_default();
/// assert_eq!(explanations.len(), explained.counts.rules);
/// let licence = explanations
///     .iter()
///     .find(|e| e.rule == "ct.licence-missing")
///     .ok_or("no explanation")?;
/// assert_eq!(licence.outcome, "fired");
/// assert_eq!(licence.when.condition, "ct.licence.held is no");
/// assert_eq!(licence.when.value, "true");
/// // The rest of the report is the same.
/// assert_eq!(explained.findings, plain.findings);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct EvalOptions {
    /// Include the evaluated condition tree of every rule.
    pub explain: bool,
}

/// How a rule came out.
#[derive(Clone, Debug)]
enum Outcome {
    Fired {
        level: Level,
        escalation: Option<usize>,
    },
    Excepted,
    Passed,
    NotApplicable,
    Undetermined,
}

struct State<'r> {
    rs: &'r Ruleset,
    insp: &'r Inspection,
    answers: Vec<Ans<'r>>,
    // The answers as written, turned into JSON only when a report shows
    // one (#12: most answers never appear in a report, so converting every
    // answer up front was work thrown away).
    raw: Vec<Option<&'r Answer>>,
    date: Date,
    rule_truth: Vec<Truth>,
    script_errors: Vec<Option<String>>,
}

/// Evaluates an inspection with a ruleset version. The caller has already
/// chosen the version in force on the inspection date.
pub(crate) fn evaluate(rs: &Ruleset, insp: &Inspection, opts: &EvalOptions) -> Report {
    let c = &rs.compiled;
    let mut diags = Vec::new();
    let n_items = c.items.len();
    // Filled without cloning: `vec![x; n]` clones the enum per slot (#12).
    let mut answers: Vec<Ans<'_>> = std::iter::repeat_with(|| Ans::Missing)
        .take(n_items)
        .collect();
    let mut raw: Vec<Option<&Answer>> = vec![None; n_items];
    // Answers and item ids are both sorted: one merge pass finds each
    // answer's item.
    let mut items = rs.items_by_id.iter().peekable();
    for (id, answer) in &insp.answers {
        while items.next_if(|(k, _)| k.as_str() < id.as_str()).is_some() {}
        let found = items.next_if(|(k, _)| k == id).map(|(_, ix)| *ix);
        let Some(ix) = found else {
            diags.push(InputDiagnostic {
                code: Code::AnswerUnknownItem,
                item: id.clone(),
                message: format!(
                    "ruleset `{}` {} has no item `{id}`",
                    rs.info.id, rs.info.version
                ),
                answer: answer.value.to_json(),
            });
            continue;
        };
        if let (Some(slot), Some(r)) = (answers.get_mut(ix), raw.get_mut(ix)) {
            match check_answer(&c.items[ix], &answer.value) {
                Ok(a) => *slot = a,
                Err((code, message)) => diags.push(InputDiagnostic {
                    code,
                    item: id.clone(),
                    message,
                    answer: answer.value.to_json(),
                }),
            }
            *r = Some(&answer.value);
        }
    }
    for e in insp.events.iter().flatten() {
        if !rs.model.event_kinds.iter().any(|k| k.id.value == e.kind) {
            let known: Vec<&str> = rs
                .model
                .event_kinds
                .iter()
                .map(|k| k.id.value.as_str())
                .collect();
            diags.push(InputDiagnostic {
                code: Code::EventUnknownKind,
                item: format!("events.{}", e.kind),
                message: format!(
                    "ruleset `{}` {} has no event kind `{}`{}",
                    rs.info.id,
                    rs.info.version,
                    e.kind,
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!("; its kinds are: {}", known.join(", "))
                    }
                ),
                answer: serde_json::to_value(e).unwrap_or(serde_json::Value::Null),
            });
        }
    }
    let rules = insp.deadlines.iter().flat_map(|d| &d.rules);
    for (rule, deadline) in rules {
        if c.rules.iter().any(|r| r.id == *rule) {
            continue;
        }
        let ids: Vec<&str> = c.rules.iter().map(|r| r.id.as_str()).collect();
        let at = deadline.span;
        diags.push(InputDiagnostic {
            code: Code::DeadlineUnknownRule,
            item: format!("deadlines.rules.{rule}"),
            message: format!(
                "ruleset `{}` {} has no rule `{rule}`{}, so its deadline is not used{}",
                rs.info.id,
                rs.info.version,
                if at.is_located() {
                    format!(" (line {}, column {})", at.line, at.column)
                } else {
                    String::new()
                },
                match crate::decode::closest(rule, &ids) {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => String::new(),
                }
            ),
            answer: serde_json::to_value(deadline).unwrap_or(serde_json::Value::Null),
        });
    }
    let mut st = State {
        rs,
        insp,
        answers,
        raw,
        date: insp.date.value,
        rule_truth: vec![Truth::Unknown; c.rules.len()],
        script_errors: vec![None; c.scripts.len()],
    };
    // Applicability of items, in dependency order.
    for &ix in &c.item_order {
        let Some(cond) = c.items.get(ix).and_then(|i| i.applies_if.as_ref()) else {
            continue;
        };
        let v = st.eval(cond);
        if matches!(v, Truth::False | Truth::NotApplicable) {
            if let Some(Ans::Val(_)) = st.answers.get(ix) {
                let item = &c.items[ix];
                diags.push(InputDiagnostic {
                    code: Code::AnswerNotApplicableItem,
                    item: item.id.clone(),
                    message: format!(
                        "item `{}` does not apply to this site, so its answer is not used",
                        item.id
                    ),
                    answer: st
                        .raw
                        .get(ix)
                        .copied()
                        .flatten()
                        .map_or(serde_json::Value::Null, Answer::to_json),
                });
            }
            if let Some(a) = st.answers.get_mut(ix) {
                *a = Ans::Na;
            }
        }
    }

    let mut outcomes: Vec<Outcome> = vec![Outcome::Undetermined; c.rules.len()];
    for &ix in &c.rule_order {
        let Some(rule) = c.rules.get(ix) else {
            continue;
        };
        let (outcome, truth) = st.rule(rule);
        if let Some(t) = st.rule_truth.get_mut(ix) {
            *t = truth;
        }
        if let Some(o) = outcomes.get_mut(ix) {
            *o = outcome;
        }
    }

    let mut report = st.build(&outcomes, diags);
    if opts.explain {
        report.explanations = Some(
            c.rules
                .iter()
                .zip(&outcomes)
                .map(|(r, o)| Explanation {
                    rule: r.id.clone(),
                    outcome: outcome_name(o).to_string(),
                    applies_if: r.applies_if.as_ref().map(|a| st.trace(a)),
                    when: st.trace(&r.when),
                    unless: match (o, &r.unless) {
                        (Outcome::Fired { .. } | Outcome::Excepted, Some(u)) => {
                            Some(st.trace(&u.when))
                        }
                        _ => None,
                    },
                    escalations: match o {
                        Outcome::Fired { .. } => r
                            .escalate
                            .iter()
                            .map(|e| TraceEscalation {
                                to: e.to,
                                reason: e.reason.clone(),
                                when: st.trace(&e.when),
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
        );
    }
    report
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Fired { .. } => "fired",
        Outcome::Excepted => "excepted",
        Outcome::Passed => "passed",
        Outcome::NotApplicable => "not_applicable",
        Outcome::Undetermined => "undetermined",
    }
}

/// Checks one answer against its item.
fn check_answer<'a>(
    item: &crate::compile::CItem,
    a: &'a Answer,
) -> Result<Ans<'a>, (Code, String)> {
    if matches!(a, Answer::Unanswered) {
        return Ok(Ans::Missing);
    }
    if a.is_na() {
        return if item.na_allowed {
            Ok(Ans::Na)
        } else {
            Err((
                Code::AnswerNaNotAllowed,
                format!("item `{}` does not allow \"not applicable\"", item.id),
            ))
        };
    }
    let wrong = |expected: &str| {
        Err((
            Code::AnswerType,
            format!(
                "item `{}` expects {expected}, found {}",
                item.id,
                describe(a)
            ),
        ))
    };
    let val = match (item.kind, a) {
        (ItemType::YesNo, Answer::Bool(b)) => Val::Bool(*b),
        // Spaces around an answer typed into a form or a spreadsheet cell
        // carry no meaning (text answers keep theirs).
        (ItemType::YesNo, Answer::Text(t)) if matches!(t.trim(), "yes" | "no") => {
            Val::Bool(t.trim() == "yes")
        }
        (ItemType::YesNo, _) => return wrong("yes or no"),
        (ItemType::Number | ItemType::Count, Answer::Number(d)) => Val::Num(*d),
        (ItemType::Number | ItemType::Count, Answer::Text(t)) => match Decimal::parse(t.trim()) {
            Ok(d) => Val::Num(d),
            Err(e) => {
                return Err((
                    Code::AnswerType,
                    format!("item `{}` expects a number: {e}", item.id),
                ));
            }
        },
        (ItemType::Number, _) => return wrong("a number"),
        (ItemType::Count, _) => return wrong("a whole number"),
        (ItemType::Choice, Answer::Text(t)) => Val::Opt(option(item, t)?),
        (ItemType::Choice, _) => return wrong("one option id"),
        (ItemType::MultiChoice, Answer::List(list)) => {
            let mut out = Vec::with_capacity(list.len());
            for t in list {
                let i = option(item, t)?;
                if !out.contains(&i) {
                    out.push(i);
                }
            }
            Val::Multi(out)
        }
        (ItemType::MultiChoice, _) => return wrong("a list of option ids"),
        (ItemType::Date, Answer::Text(t)) => match Date::parse(t.trim()) {
            Ok(d) => Val::Date(d),
            Err(e) => return Err((Code::AnswerType, format!("item `{}`: {e}", item.id))),
        },
        (ItemType::Date, _) => return wrong("a date (YYYY-MM-DD)"),
        (ItemType::Time, Answer::Text(t)) => match crate::date::TimeOfDay::parse(t.trim()) {
            Ok(d) => Val::Time(d),
            Err(e) => return Err((Code::AnswerType, format!("item `{}`: {e}", item.id))),
        },
        (ItemType::Time, _) => return wrong("a time (HH:MM)"),
        (ItemType::Text, Answer::Text(t)) => Val::Text(std::borrow::Cow::Borrowed(t)),
        (ItemType::Text, Answer::Number(d)) => Val::Text(std::borrow::Cow::Owned(d.to_string())),
        (ItemType::Text, _) => return wrong("text"),
    };
    if let Val::Num(d) = val {
        if item.kind == ItemType::Count && (!d.is_integer() || d.is_negative()) {
            return Err((
                Code::AnswerOutOfRange,
                format!(
                    "item `{}` is a count; {d} is not a whole number of zero or more",
                    item.id
                ),
            ));
        }
        // Only an answer out of range needs the unit, for its message.
        let unit = || {
            item.unit
                .as_deref()
                .map_or(String::new(), |u| format!(" {u}"))
        };
        if let Some(min) = item.min
            && d < min
        {
            return Err((
                Code::AnswerOutOfRange,
                format!(
                    "item `{}`: {d}{u} is below the smallest accepted value {min}{u}",
                    item.id,
                    u = unit()
                ),
            ));
        }
        if let Some(max) = item.max
            && d > max
        {
            return Err((
                Code::AnswerOutOfRange,
                format!(
                    "item `{}`: {d}{u} is above the largest accepted value {max}{u}",
                    item.id,
                    u = unit()
                ),
            ));
        }
    }
    Ok(Ans::Val(val))
}

/// The index of the option an answer names.
fn option(item: &crate::compile::CItem, t: &str) -> Result<usize, (Code, String)> {
    item.options
        .iter()
        .position(|o| o == t.trim())
        .ok_or_else(|| {
            (
                Code::AnswerUnknownOption,
                format!(
                    "item `{}` has no option `{t}`; its options are: {}",
                    item.id,
                    item.options.join(", ")
                ),
            )
        })
}

fn describe(a: &Answer) -> String {
    match a {
        Answer::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
        Answer::Number(d) => format!("the number {d}"),
        Answer::Text(t) => format!("\"{}\"", crate::decode::truncate(t, 40)),
        Answer::List(_) => "a list".to_string(),
        Answer::Unanswered => "no answer".to_string(),
        Answer::Malformed(found) => found.clone(),
    }
}

impl<'r> State<'r> {
    fn rule(&mut self, rule: &CRule) -> (Outcome, Truth) {
        let app = rule
            .applies_if
            .as_ref()
            .map_or(Truth::True, |a| self.eval(a));
        if matches!(app, Truth::False | Truth::NotApplicable) {
            return (Outcome::NotApplicable, Truth::NotApplicable);
        }
        let when = Truth::all([app, self.eval(&rule.when)]);
        match when {
            Truth::False => (Outcome::Passed, Truth::False),
            Truth::NotApplicable => (Outcome::NotApplicable, Truth::NotApplicable),
            Truth::Unknown => (Outcome::Undetermined, Truth::Unknown),
            Truth::True => {
                // An exception is granted only when it is established; an
                // unanswered exception does not excuse.
                if let Some(u) = &rule.unless
                    && self.eval(&u.when) == Truth::True
                {
                    return (Outcome::Excepted, Truth::False);
                }
                let mut level = rule.level;
                let mut escalation = None;
                for (i, e) in rule.escalate.iter().enumerate() {
                    if e.to > level && self.eval(&e.when) == Truth::True {
                        level = e.to;
                        escalation = Some(i);
                    }
                }
                (Outcome::Fired { level, escalation }, Truth::True)
            }
        }
    }

    fn item_answer(&self, ix: usize) -> &Ans<'r> {
        self.answers.get(ix).unwrap_or(&Ans::Missing)
    }

    fn num(&self, n: &Num) -> Result<Decimal, Truth> {
        let scale = |v: Decimal, f: &Option<Decimal>| match f {
            Some(f) => v.checked_mul(*f).ok_or(Truth::Unknown),
            None => Ok(v),
        };
        match n {
            Num::Lit(d) => Ok(*d),
            Num::Param { param, factor } => scale(self.param(*param)?, factor),
            Num::Item { item, factor } => match self.item_answer(*item) {
                Ans::Val(Val::Num(d)) => scale(*d, factor),
                Ans::Na => Err(Truth::NotApplicable),
                _ => Err(Truth::Unknown),
            },
        }
    }

    fn param(&self, ix: usize) -> Result<Decimal, Truth> {
        match self.rs.compiled.params.get(ix) {
            Some(CParam::Const(d)) => Ok(*d),
            Some(CParam::Table { by, rows, default }) => match self.item_answer(*by) {
                Ans::Val(Val::Opt(o)) => rows
                    .get(*o)
                    .copied()
                    .flatten()
                    .or(*default)
                    .ok_or(Truth::Unknown),
                Ans::Na => Err(Truth::NotApplicable),
                _ => Err(Truth::Unknown),
            },
            None => Err(Truth::Unknown),
        }
    }

    /// The range of values a count parameter can take, for deciding an
    /// "at least N of" whose N is not yet known.
    fn count_bounds(&self, n: &CountRef) -> Result<u64, (u64, u64)> {
        match n {
            CountRef::Fixed(n) => Ok(u64::from(*n)),
            CountRef::Param(p) => match self.param(*p) {
                Ok(d) => Ok(d.to_i64().map_or(u64::MAX, |v| v.max(0) as u64)),
                Err(_) => {
                    let values: Vec<u64> = match self.rs.compiled.params.get(*p) {
                        Some(CParam::Table { rows, default, .. }) => rows
                            .iter()
                            .flatten()
                            .chain(default.iter())
                            .map(|d| d.to_i64().map_or(u64::MAX, |v| v.max(0) as u64))
                            .collect(),
                        _ => Vec::new(),
                    };
                    Err((
                        values.iter().copied().min().unwrap_or(0),
                        values.iter().copied().max().unwrap_or(u64::MAX),
                    ))
                }
            },
        }
    }

    fn eval(&mut self, c: &Cond) -> Truth {
        match c {
            // `all` and `any` stop at the first deciding member; folding
            // lazily keeps that without a vector per node (#12).
            Cond::All(list) => Truth::all(list.iter().map(|x| self.eval(x))),
            Cond::Any(list) => Truth::any(list.iter().map(|x| self.eval(x))),
            Cond::Not(x) => self.eval(x).negate(),
            Cond::AtLeast { n, of } => {
                let values: Vec<Truth> = of.iter().map(|x| self.eval(x)).collect();
                self.at_least(n, &values)
            }
            Cond::Leaf { item, test, .. } => self.leaf(*item, test),
            Cond::Rule(i) => self.rule_truth.get(*i).copied().unwrap_or(Truth::Unknown),
            Cond::Previous { rule, overdue } => {
                let Some(prev) = &self.insp.previous else {
                    return Truth::False;
                };
                Truth::from_bool(prev.findings.iter().any(|f| {
                    f.rule == *rule && (!*overdue || f.due.is_some_and(|d| d < self.date))
                }))
            }
            Cond::Script(i) => self.script(*i),
            Cond::Events(t) => match &self.insp.events {
                // No history given: whether such events exist is unknown.
                None => Truth::Unknown,
                Some(_) => {
                    // An event without the value the query needs might or
                    // might not count.
                    let (sure, unsure) =
                        self.matching_events(t)
                            .iter()
                            .fold((0u64, 0u64), |(s, u), e| {
                                if t.min_value.is_some() && e.value.is_none() {
                                    (s, u + 1)
                                } else {
                                    (s + 1, u)
                                }
                            });
                    let n = u64::from(t.at_least);
                    if sure >= n {
                        Truth::True
                    } else if sure + unsure >= n {
                        Truth::Unknown
                    } else {
                        Truth::False
                    }
                }
            },
        }
    }

    /// The events of the history that a query counts.
    fn matching_events(&self, t: &crate::compile::EventTest) -> Vec<&crate::inspection::Event> {
        let Some(events) = &self.insp.events else {
            return Vec::new();
        };
        let since = t.since.as_ref().and_then(|d| sub(self.date, d));
        events
            .iter()
            .filter(|e| t.kinds.contains(&e.kind) && e.date <= self.date)
            .filter(|e| since.is_none_or(|s| e.date >= s))
            .filter(|e| match (t.min_value, e.value) {
                (Some(min), Some(v)) => v >= min,
                // Kept so that the caller can count it as undecided.
                (Some(_), None) => true,
                (None, _) => true,
            })
            .filter(|e| match &t.not_handled_within {
                Some(d) => match add(e.date, d) {
                    // Still within the time allowed: not (yet) a failure.
                    Some(deadline) if deadline >= self.date => false,
                    Some(deadline) => e.handled.is_none_or(|h| h > deadline),
                    None => false,
                },
                None => e.handled.is_none_or(|h| h > self.date),
            })
            .collect()
    }

    fn at_least(&self, n: &CountRef, values: &[Truth]) -> Truth {
        let yes = values.iter().filter(|v| **v == Truth::True).count() as u64;
        let maybe = values.iter().filter(|v| **v == Truth::Unknown).count() as u64;
        let na = values
            .iter()
            .filter(|v| **v == Truth::NotApplicable)
            .count();
        if na == values.len() && !values.is_empty() {
            return Truth::NotApplicable;
        }
        match self.count_bounds(n) {
            Ok(n) => {
                if yes >= n {
                    Truth::True
                } else if yes + maybe < n {
                    Truth::False
                } else {
                    Truth::Unknown
                }
            }
            Err((lo, hi)) => {
                if yes >= hi {
                    Truth::True
                } else if yes + maybe < lo {
                    Truth::False
                } else {
                    Truth::Unknown
                }
            }
        }
    }

    fn leaf(&self, item: Option<usize>, test: &Test) -> Truth {
        let Some(item) = item else {
            return match test {
                Test::Season(w) => Truth::from_bool(w.contains(self.date)),
                Test::DateRange { from, to } => Truth::from_bool(
                    from.is_none_or(|f| self.date >= f) && to.is_none_or(|t| self.date <= t),
                ),
                _ => Truth::Unknown,
            };
        };
        let ans = self.item_answer(item);
        match (test, ans) {
            (Test::Answered(b), Ans::Missing) => return Truth::from_bool(!*b),
            (Test::Answered(b), _) => return Truth::from_bool(*b),
            (Test::NotApplicable(_), Ans::Missing) => return Truth::Unknown,
            (Test::NotApplicable(b), Ans::Na) => return Truth::from_bool(*b),
            (Test::NotApplicable(b), Ans::Val(_)) => return Truth::from_bool(!*b),
            (_, Ans::Missing) => return Truth::Unknown,
            (_, Ans::Na) => return Truth::NotApplicable,
            _ => {}
        }
        let Ans::Val(v) = ans else {
            return Truth::Unknown;
        };
        let r: Result<bool, Truth> = match (test, v) {
            (Test::Is(b), Val::Bool(x)) => Ok(x == b),
            (Test::Num(op, rhs), Val::Num(x)) => self.num(rhs).map(|r| op.test(x.cmp(&r))),
            (
                Test::Between {
                    min,
                    max,
                    min_excl,
                    max_excl,
                },
                Val::Num(x),
            ) => {
                let lo = match min {
                    Some(m) => self
                        .num(m)
                        .map(|m| if *min_excl { *x > m } else { *x >= m }),
                    None => Ok(true),
                };
                let hi = match max {
                    Some(m) => self
                        .num(m)
                        .map(|m| if *max_excl { *x < m } else { *x <= m }),
                    None => Ok(true),
                };
                match (lo, hi) {
                    (Ok(a), Ok(b)) => Ok(a && b),
                    // One known failing end decides it.
                    (Ok(false), Err(_)) | (Err(_), Ok(false)) => Ok(false),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            (Test::Choice { eq, option }, Val::Opt(o)) => Ok((o == option) == *eq),
            (Test::In(set), Val::Opt(o)) => Ok(set.contains(o)),
            (Test::In(set), Val::Multi(v)) => Ok(v.iter().any(|o| set.contains(o))),
            (Test::HasAll(set), Val::Multi(v)) => Ok(set.iter().all(|o| v.contains(o))),
            (Test::Text { eq, value }, Val::Text(s)) => Ok((s.as_ref() == value.as_str()) == *eq),
            (Test::Matches(re), Val::Text(s)) => Ok(re.is_match(s)),
            (Test::Date(op, rhs), Val::Date(d)) => match rhs {
                DateRhs::Lit(r) => Ok(op.test(d.cmp(r))),
                DateRhs::Item(j) => match self.item_answer(*j) {
                    Ans::Val(Val::Date(r)) => Ok(op.test(d.cmp(r))),
                    Ans::Na => Err(Truth::NotApplicable),
                    _ => Err(Truth::Unknown),
                },
            },
            (Test::Time(op, t), Val::Time(x)) => Ok(op.test(x.cmp(t))),
            // A limit past the last day of the calendar is later than any
            // date: nothing is older than it, everything falls within it.
            (Test::OlderThan(dur), Val::Date(d)) => {
                Ok(add(*d, dur).is_some_and(|limit| limit < self.date))
            }
            (Test::DueWithin(dur), Val::Date(d)) => {
                Ok(add(self.date, dur).is_none_or(|limit| *d <= limit))
            }
            (Test::BeforeInspection(b), Val::Date(d)) => Ok((*d < self.date) == *b),
            (Test::Season(w), Val::Date(d)) => Ok(w.contains(*d)),
            (Test::TimeBetween(w), Val::Time(t)) => Ok(w.contains(*t)),
            _ => Err(Truth::Unknown),
        };
        match r {
            Ok(b) => Truth::from_bool(b),
            Err(t) => t,
        }
    }

    fn script(&mut self, i: usize) -> Truth {
        let c = &self.rs.compiled;
        let (Some(script), Some(engine)) = (c.scripts.get(i), c.engine.as_ref()) else {
            return Truth::Unknown;
        };
        let mut scope = Scope::new();
        for (ix, name) in &script.reads {
            let v: Dynamic = match self.item_answer(*ix) {
                Ans::Missing => return Truth::Unknown,
                Ans::Na => return Truth::NotApplicable,
                Ans::Val(v) => match v {
                    Val::Bool(b) => (*b).into(),
                    Val::Num(d) => d.to_f64().into(),
                    Val::Opt(o) => c
                        .items
                        .get(*ix)
                        .and_then(|it| it.options.get(*o))
                        .cloned()
                        .unwrap_or_default()
                        .into(),
                    Val::Multi(list) => {
                        let opts = c.items.get(*ix).map(|it| &it.options);
                        let arr: rhai::Array = list
                            .iter()
                            .filter_map(|o| opts.and_then(|opts| opts.get(*o)).cloned())
                            .map(Dynamic::from)
                            .collect();
                        arr.into()
                    }
                    Val::Date(d) => d.to_string().into(),
                    Val::Time(t) => t.to_string().into(),
                    Val::Text(s) => s.to_string().into(),
                },
            };
            scope.push(name.clone(), v);
        }
        if script.reads_date {
            scope.push("inspection_date", self.date.to_string());
        }
        match crate::script::run(engine, script, &mut scope) {
            Ok(b) => Truth::from_bool(b),
            Err(e) => {
                if let Some(slot) = self.script_errors.get_mut(i) {
                    *slot = Some(e);
                }
                Truth::Unknown
            }
        }
    }

    fn answer_json(&self, ix: usize) -> serde_json::Value {
        match self.item_answer(ix) {
            Ans::Na => serde_json::Value::String("n/a".into()),
            Ans::Missing => serde_json::Value::Null,
            Ans::Val(_) => self
                .raw
                .get(ix)
                .copied()
                .flatten()
                .map_or(serde_json::Value::Null, Answer::to_json),
        }
    }

    /// Evaluates a condition again, keeping every node's value and the
    /// answers it read.
    fn trace(&mut self, c: &Cond) -> TraceNode {
        let node =
            |kind: &str, condition: String, value: Truth, children: Vec<TraceNode>| TraceNode {
                kind: kind.to_string(),
                condition,
                value: value.as_str().to_string(),
                answers: Vec::new(),
                parameters: Vec::new(),
                children,
                error: None,
            };
        match c {
            Cond::All(list) => {
                let children: Vec<TraceNode> = list.iter().map(|x| self.trace(x)).collect();
                let v = self.eval(c);
                node("all", "all of".into(), v, children)
            }
            Cond::Any(list) => {
                let children: Vec<TraceNode> = list.iter().map(|x| self.trace(x)).collect();
                let v = self.eval(c);
                node("any", "any of".into(), v, children)
            }
            Cond::Not(x) => {
                let child = self.trace(x);
                let v = self.eval(c);
                node("not", "not".into(), v, vec![child])
            }
            Cond::AtLeast { n, of } => {
                let children: Vec<TraceNode> = of.iter().map(|x| self.trace(x)).collect();
                let v = self.eval(c);
                let label = match self.count_bounds(n) {
                    Ok(n) => format!("at least {n} of"),
                    Err(_) => "at least N of (N unknown)".to_string(),
                };
                let mut t = node("at_least", label, v, children);
                if let CountRef::Param(p) = n {
                    t.parameters.push(self.trace_param(*p));
                }
                // The item that selects N from a table is read too.
                if let CountRef::Param(p) = n
                    && let Some(CParam::Table { by, .. }) = self.rs.compiled.params.get(*p)
                {
                    t.answers.push(TraceAnswer {
                        item: self.rs.compiled.items[*by].id.clone(),
                        answer: self.answer_json(*by),
                    });
                }
                t
            }
            Cond::Leaf { item, label, .. } => {
                let v = self.eval(c);
                let mut t = node("item", label.clone(), v, Vec::new());
                let mut reads: Vec<usize> = item.iter().copied().collect();
                if let Some(i) = item {
                    reads.extend(self.operand_items(c, *i));
                }
                t.answers = reads
                    .into_iter()
                    .map(|ix| TraceAnswer {
                        item: self.rs.compiled.items[ix].id.clone(),
                        answer: self.answer_json(ix),
                    })
                    .collect();
                t.parameters = self
                    .leaf_params(c)
                    .into_iter()
                    .map(|p| self.trace_param(p))
                    .collect();
                t
            }
            Cond::Rule(i) => {
                let v = self.eval(c);
                let rs = self.rs;
                let rule = rs.compiled.rules.get(*i);
                let id = rule.map_or("?", |r| r.id.as_str());
                // When the other rule is undecided, its undecided parts
                // show why (and which answers it misses).
                let mut children = Vec::new();
                if v == Truth::Unknown
                    && let Some(r) = rule
                {
                    let parts = [
                        r.applies_if.as_ref(),
                        Some(&r.when),
                        r.unless
                            .as_ref()
                            .filter(|_| self.eval(&r.when) == Truth::True)
                            .map(|u| &u.when),
                    ];
                    for part in parts.into_iter().flatten() {
                        if self.eval(part) == Truth::Unknown {
                            children.push(self.trace(part));
                        }
                    }
                }
                node("rule", format!("rule {id} fires"), v, children)
            }
            Cond::Previous { rule, overdue } => {
                let v = self.eval(c);
                let label = if *overdue {
                    format!("previous finding {rule} overdue")
                } else {
                    format!("previous finding {rule}")
                };
                node("previous", label, v, Vec::new())
            }
            Cond::Script(i) => {
                let v = self.eval(c);
                let mut t = node("script", "script".into(), v, Vec::new());
                if let Some(s) = self.rs.compiled.scripts.get(*i) {
                    t.answers = s
                        .reads
                        .iter()
                        .map(|(ix, _)| TraceAnswer {
                            item: self.rs.compiled.items[*ix].id.clone(),
                            answer: self.answer_json(*ix),
                        })
                        .collect();
                }
                t.error = self.script_errors.get(*i).cloned().flatten();
                t
            }
            Cond::Events(ev) => {
                let v = self.eval(c);
                let mut t = node("events", ev.label.clone(), v, Vec::new());
                // FIXME(#3): the events listed include those without the
                // value a `min_value` query needs, which count as undecided:
                // a fired rule shows them as evidence of a value they lack,
                // and a rule left undetermined by them names nothing
                // missing. Sure and undecided events should be told apart
                // here, and the undecided ones' values listed as missing.
                t.answers = match &self.insp.events {
                    None => vec![TraceAnswer {
                        item: "events".into(),
                        answer: serde_json::Value::Null,
                    }],
                    Some(_) => self
                        .matching_events(ev)
                        .into_iter()
                        .map(|e| TraceAnswer {
                            item: format!("events.{}", e.kind),
                            answer: serde_json::to_value(e).unwrap_or(serde_json::Value::Null),
                        })
                        .collect(),
                };
                t
            }
        }
    }

    /// The parameters a leaf compares with.
    fn leaf_params(&self, c: &Cond) -> Vec<usize> {
        let Cond::Leaf { test, .. } = c else {
            return Vec::new();
        };
        let of = |n: &Option<&Num>| match n {
            Some(Num::Param { param, .. }) => Some(*param),
            _ => None,
        };
        match test {
            Test::Num(_, n) => of(&Some(n)).into_iter().collect(),
            Test::Between { min, max, .. } => [of(&min.as_ref()), of(&max.as_ref())]
                .into_iter()
                .flatten()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A parameter and the value it has for this inspection.
    fn trace_param(&self, p: usize) -> TraceParameter {
        let id = self
            .rs
            .model
            .parameters
            .get(p)
            .map_or_else(String::new, |x| x.id.value.clone());
        let value = match self.param(p) {
            Ok(d) => serde_json::to_value(d).unwrap_or(serde_json::Value::Null),
            Err(Truth::NotApplicable) => serde_json::Value::String("n/a".into()),
            Err(_) => serde_json::Value::Null,
        };
        TraceParameter { id, value }
    }

    /// Items read on the right-hand side of a leaf (another item, or the
    /// item keying a parameter table).
    fn operand_items(&self, c: &Cond, _left: usize) -> Vec<usize> {
        let Cond::Leaf { test, .. } = c else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut num = |n: &Num| match n {
            Num::Item { item, .. } => out.push(*item),
            Num::Param { param, .. } => {
                if let Some(CParam::Table { by, .. }) = self.rs.compiled.params.get(*param) {
                    out.push(*by);
                }
            }
            Num::Lit(_) => {}
        };
        match test {
            Test::Num(_, n) => num(n),
            Test::Between { min, max, .. } => {
                if let Some(n) = min {
                    num(n);
                }
                if let Some(n) = max {
                    num(n);
                }
            }
            Test::Date(_, DateRhs::Item(j)) => out.push(*j),
            _ => {}
        }
        out
    }

    /// The leaves that make a traced condition have the value `want`,
    /// turned into evidence; and the members counted by "at least" nodes.
    fn support(
        &self,
        t: &TraceNode,
        want: &str,
        evidence: &mut Vec<Evidence>,
        counted: &mut Vec<String>,
    ) {
        if t.value != want {
            return;
        }
        if t.children.is_empty() {
            for a in &t.answers {
                // FIXME(#3): an item whose own id starts with `events.` is
                // taken for an event kind here and loses its prompt; looking
                // the id up among the items first would finish it.
                let prompt = match a.item.strip_prefix("events.") {
                    Some(kind) => self
                        .rs
                        .model
                        .event_kinds
                        .iter()
                        .find(|k| k.id.value == kind)
                        .map(|k| k.label.clone())
                        .unwrap_or_default(),
                    None => self
                        .rs
                        .item_ix(&a.item)
                        .and_then(|ix| self.rs.compiled.items.get(ix))
                        .map(|i| i.prompt.clone())
                        .unwrap_or_default(),
                };
                // Under a `not`, the leaf supports the finding by failing;
                // say so, rather than state a test the answer does not meet.
                let condition = if want == "false" {
                    format!("not ({})", t.condition)
                } else {
                    t.condition.clone()
                };
                let e = Evidence {
                    item: a.item.clone(),
                    prompt,
                    answer: a.answer.clone(),
                    condition,
                };
                if !evidence.contains(&e) {
                    evidence.push(e);
                }
            }
            return;
        }
        let flip = if want == "true" { "false" } else { "true" };
        if t.kind == "not" {
            for ch in &t.children {
                self.support(ch, flip, evidence, counted);
            }
            return;
        }
        let conjunctive = (t.kind == "all") == (want == "true");
        if t.kind == "at_least" {
            for ch in &t.children {
                if ch.value == "true" && want == "true" {
                    counted.push(summary(ch));
                }
                self.support(ch, want, evidence, counted);
            }
            return;
        }
        if conjunctive {
            for ch in &t.children {
                self.support(ch, want, evidence, counted);
            }
        } else if let Some(ch) = t.children.iter().find(|c| c.value == want) {
            self.support(ch, want, evidence, counted);
        }
    }

    fn missing(&mut self, t: &TraceNode, out: &mut Vec<String>) {
        if t.value != "unknown" {
            return;
        }
        for a in &t.answers {
            if a.answer.is_null() && !out.contains(&a.item) {
                out.push(a.item.clone());
                // When the item's own applicability is undecided, the
                // answers that decide it are missing too.
                let cond = self
                    .rs
                    .item_ix(&a.item)
                    .and_then(|ix| self.rs.compiled.items.get(ix))
                    .and_then(|it| it.applies_if.as_ref());
                if let Some(cond) = cond {
                    let at = self.trace(cond);
                    self.missing(&at, out);
                }
            }
        }
        for ch in &t.children {
            self.missing(ch, out);
        }
    }

    fn basis_ref(&self, b: &crate::compile::CBasis) -> BasisRef {
        let doc = self.rs.documents.get(b.document);
        BasisRef {
            document: doc.map_or(String::new(), |d| d.id.value.clone()),
            title: doc.map_or_else(Text::default, |d| d.title.clone()),
            number: doc.and_then(|d| d.number.clone()),
            clause: b.clause.clone(),
            verified: b.verified,
        }
    }

    fn build(&mut self, outcomes: &[Outcome], input_diagnostics: Vec<InputDiagnostic>) -> Report {
        let rs = self.rs;
        let c = &rs.compiled;
        let mut findings = Vec::new();
        let mut excepted = Vec::new();
        let mut undetermined = Vec::new();
        let mut counts = Counts {
            rules: c.rules.len(),
            input_diagnostics: input_diagnostics.len(),
            ..Counts::default()
        };
        for (rule, outcome) in c.rules.iter().zip(outcomes) {
            match outcome {
                Outcome::Fired { level, escalation } => {
                    let t = self.trace(&rule.when);
                    let (mut evidence, mut counted) = (Vec::new(), Vec::new());
                    self.support(&t, "true", &mut evidence, &mut counted);
                    let esc = escalation.and_then(|i| rule.escalate.get(i));
                    if let Some(e) = esc {
                        let et = self.trace(&e.when);
                        self.support(&et, "true", &mut evidence, &mut counted);
                    }
                    // Escalations above the level reached that cannot be
                    // decided are reported, so a missing answer never hides
                    // a possibly more serious hazard.
                    let mut undetermined_escalations = Vec::new();
                    for e in &rule.escalate {
                        if e.to > *level && self.eval(&e.when) == Truth::Unknown {
                            let mut missing = Vec::new();
                            let et = self.trace(&e.when);
                            self.missing(&et, &mut missing);
                            undetermined_escalations.push(UndeterminedEscalation {
                                to: e.to,
                                reason: e.reason.clone(),
                                missing,
                            });
                        }
                    }
                    if !undetermined_escalations.is_empty() {
                        counts.undetermined_escalations += 1;
                    }
                    let mut undetermined_exception = None;
                    if let Some(u) = &rule.unless
                        && self.eval(&u.when) == Truth::Unknown
                    {
                        let mut missing = Vec::new();
                        let ut = self.trace(&u.when);
                        self.missing(&ut, &mut missing);
                        counts.undetermined_exceptions += 1;
                        undetermined_exception = Some(UndeterminedException {
                            reason: u.reason.clone(),
                            missing,
                        });
                    }
                    let basis = esc.and_then(|e| e.basis.as_ref()).unwrap_or(&rule.basis);
                    let deadline = crate::inspection::deadline_of(
                        &rule.id,
                        rule.deadline,
                        *level,
                        self.insp.deadlines.as_ref(),
                        &rs.deadlines,
                        self.date,
                    );
                    let needs_confirmation =
                        rule.needs_confirmation || esc.is_some_and(|e| e.needs_confirmation);
                    let verified = basis.verified && rule.also.iter().all(|b| b.verified);
                    match level {
                        Level::Major => counts.major += 1,
                        Level::Ordinary => counts.ordinary += 1,
                    }
                    if needs_confirmation {
                        counts.needs_confirmation += 1;
                    }
                    findings.push(Finding {
                        rule: rule.id.clone(),
                        level: *level,
                        escalated_from: esc.map(|_| rule.level),
                        escalation_reason: esc.map(|e| e.reason.clone()),
                        needs_confirmation,
                        verified,
                        title: rule.title.clone(),
                        basis: self.basis_ref(basis),
                        also: rule.also.iter().map(|b| self.basis_ref(b)).collect(),
                        evidence,
                        counted,
                        guidance: rule.guidance.clone(),
                        rectification: if *level == Level::Major {
                            five_elements()
                        } else {
                            Vec::new()
                        },
                        undetermined_escalations,
                        undetermined_exception,
                        deadline_days: deadline.map(|d| d.0),
                        due: deadline.and_then(|d| d.1),
                        deadline_from: deadline.map(|d| d.2),
                    });
                }
                Outcome::Excepted => {
                    counts.excepted += 1;
                    let t = self.trace(&rule.when);
                    let (mut evidence, mut counted) = (Vec::new(), Vec::new());
                    self.support(&t, "true", &mut evidence, &mut counted);
                    let mut exception_evidence = Vec::new();
                    if let Some(u) = &rule.unless {
                        let ut = self.trace(&u.when);
                        self.support(&ut, "true", &mut exception_evidence, &mut counted);
                    }
                    excepted.push(Excepted {
                        rule: rule.id.clone(),
                        level: rule.level,
                        title: rule.title.clone(),
                        reason: rule
                            .unless
                            .as_ref()
                            .map(|u| u.reason.clone())
                            .unwrap_or_default(),
                        exception_basis: rule
                            .unless
                            .as_ref()
                            .and_then(|u| u.basis.as_ref())
                            .map(|b| self.basis_ref(b)),
                        evidence,
                        exception_evidence,
                    });
                }
                Outcome::Undetermined => {
                    counts.undetermined += 1;
                    let mut missing = Vec::new();
                    if let Some(a) = &rule.applies_if {
                        let t = self.trace(a);
                        self.missing(&t, &mut missing);
                    }
                    let t = self.trace(&rule.when);
                    self.missing(&t, &mut missing);
                    let error = first_error(&t);
                    undetermined.push(Undetermined {
                        rule: rule.id.clone(),
                        level: rule.level,
                        title: rule.title.clone(),
                        missing,
                        error,
                    });
                }
                Outcome::Passed => counts.passed += 1,
                Outcome::NotApplicable => counts.not_applicable += 1,
            }
        }
        findings.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.rule.cmp(&b.rule)));
        excepted.sort_by(|a, b| a.rule.cmp(&b.rule));
        undetermined.sort_by(|a, b| a.rule.cmp(&b.rule));
        let verdict = if counts.major > 0 {
            Verdict::Major
        } else if counts.ordinary > 0 {
            Verdict::Ordinary
        } else if counts.undetermined > 0 {
            Verdict::Incomplete
        } else {
            Verdict::Clear
        };
        Report {
            format: REPORT_FORMAT.to_string(),
            ruleset: RulesetRef {
                id: rs.info.id.clone(),
                version: rs.info.version.clone(),
                domain: rs.info.domain.clone(),
                title: rs.info.title.clone(),
                effective_from: rs.info.effective_from,
                effective_to: rs.info.effective_to,
            },
            inspection: InspectionRef {
                id: self.insp.id.clone(),
                date: self.date,
                site: self.insp.site.clone(),
                inspector: self.insp.inspector.clone(),
            },
            verdict,
            complete: counts.undetermined == 0
                && counts.undetermined_escalations == 0
                && counts.undetermined_exceptions == 0,
            counts,
            findings,
            excepted,
            undetermined,
            input_diagnostics,
            explanations: None,
        }
    }
}

/// A one-line description of a traced condition, for the list of members
/// an "at least N of" counted: a compound member names its members.
fn summary(t: &TraceNode) -> String {
    if t.children.is_empty() {
        return t.condition.clone();
    }
    let inner: Vec<String> = t.children.iter().map(summary).collect();
    crate::decode::truncate(&format!("{} ({})", t.condition, inner.join("; ")), 300)
}

fn first_error(t: &TraceNode) -> Option<String> {
    t.error
        .clone()
        .or_else(|| t.children.iter().find_map(first_error))
}

fn sub(d: Date, dur: &crate::model::Duration) -> Option<Date> {
    d.add_years(-i64::from(dur.years))?
        .add_months(-i64::from(dur.months))?
        .add_days(-i64::from(dur.days))
}

fn add(d: Date, dur: &crate::model::Duration) -> Option<Date> {
    d.add_years(i64::from(dur.years))?
        .add_months(i64::from(dur.months))?
        .add_days(i64::from(dur.days))
}

/// The five rectification elements (五落实) that a major hazard must have
/// settled: responsibility, funds, measures, deadline, emergency plan.
fn five_elements() -> Vec<Text> {
    [
        (
            "落实整改责任（明确责任单位和责任人）",
            "assign responsibility (unit and person in charge)",
        ),
        ("落实整改资金", "secure the funds for rectification"),
        ("落实整改措施", "set the rectification measures"),
        ("落实整改时限", "set the deadline"),
        (
            "落实应急预案（整改期间的安全防范和应急措施）",
            "put an emergency plan and interim safety measures in place",
        ),
    ]
    .iter()
    .map(|(zh, en)| Text {
        zh: Some((*zh).to_string()),
        en: Some((*en).to_string()),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::Truth::{self, *};
    use crate::{EvalOptions, Inspection, Library, Limits, Loader, Report, SourceMap, Verdict};
    use proptest::prelude::*;

    const RULESET: &str = r#"
ruleset: t
title: {zh: 测试, en: Test}
effective: {from: 2024-01-01}
documents: [{id: d, title: {zh: 标准, en: Standard}, verified: true}]
parameters:
  - {id: limit, value: 2.5, unit: m, source: {document: d, clause: "1"}}
  - id: by_kind
    source: {document: d, clause: "2"}
    table: {by: kind, values: [{option: high, value: 30}, {option: low, value: 50}]}
  - {id: ratio, value: 0.8, source: {document: d, clause: "3"}}
  - {id: one_month, value: 1, unit: months, source: {document: d, clause: "3"}}
  - {id: fire_period, season: {from: "11-01", to: "05-31"}, source: {document: d, clause: "4"}}
  - {id: night, time_window: {from: "22:00", to: "06:00"}, source: {document: d, clause: "4"}}
  - id: n_by_kind
    source: {document: d, clause: "2"}
    table: {by: kind, values: [{option: high, value: 2}, {option: low, value: 3}]}
items:
  - {id: a, type: yes_no, not_applicable: true, prompt: {zh: 甲, en: A}}
  - {id: b, type: yes_no, prompt: {zh: 乙, en: B}}
  - {id: c, type: yes_no, prompt: {zh: 丙, en: C}}
  - {id: x, type: number, prompt: {zh: 数, en: X}}
  - {id: y, type: number, prompt: {zh: 数, en: Y}}
  - {id: n, type: count, prompt: {zh: 个数, en: N}}
  - id: kind
    type: choice
    prompt: {zh: 类别, en: Kind}
    options: [{id: high, label: {zh: 高, en: High}}, {id: low, label: {zh: 低, en: Low}}]
  - id: tags
    type: multi_choice
    prompt: {zh: 标签, en: Tags}
    options: [{id: p, label: {zh: 甲, en: P}}, {id: q, label: {zh: 乙, en: Q}}]
  - {id: d1, type: date, prompt: {zh: 日期, en: Date}}
  - {id: t1, type: time, prompt: {zh: 时间, en: Time}}
  - {id: s, type: text, prompt: {zh: 文本, en: Text}}
rules:
  - {id: r-is, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: a, is: false}}
  - {id: r-not, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {not: {item: a, is: true}}}
  - {id: r-all, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {all: [{item: a, is: true}, {item: b, is: true}]}}
  - {id: r-any, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {any: [{item: b, is: true}, {item: c, is: true}]}}
  - {id: r-gte, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: x, gte: {param: limit}}}
  - {id: r-lt-factor, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: x, lt: {item: y, factor: 0.8}}}
  - {id: r-between, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {not: {item: x, between: {min: 19.5, max: 23.5}}}}
  - {id: r-table, level: ordinary, basis: {document: d, clause: "2"}, title: {zh: x, en: x}, when: {item: n, gt: {param: by_kind}}}
  - {id: r-in, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: tags, in: [q]}}
  - {id: r-hasall, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: tags, has_all: [p, q]}}
  - {id: r-older, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: d1, older_than: {months: 1}}}
  - {id: r-season, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {season: {from: "11-01", to: "05-31"}}}
  - {id: r-time, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: t1, time_between: {from: "02:00", to: "05:00"}}}
  - {id: r-match, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: s, matches: "^DH-[0-9]{4}$"}}
  - {id: r-atleast, level: major, basis: {document: d, clause: "2"}, title: {zh: x, en: x}, when: {at_least: {n: {param: n_by_kind}, of: [{item: a, is: false}, {item: b, is: false}, {item: c, is: false}]}}}
  - {id: r-factor-param, level: ordinary, basis: {document: d, clause: "3"}, title: {zh: x, en: x}, when: {item: x, lt: {item: y, factor: {param: ratio}}}}
  - {id: r-ref, level: major, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {all: [{rule: r-any}, {item: x, gt: 1}]}}
  - id: r-esc
    level: ordinary
    basis: {document: d, clause: "1"}
    title: {zh: x, en: x}
    when: {item: b, is: false}
    escalate: [{to: major, when: {item: c, is: false}, reason: {zh: 未处理, en: not handled}}]
  - {id: r-big, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: x, gte: 9223372036854775808}}
  - {id: r-due, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: d1, due_within: {days: 30}}}
  - {id: r-between-open, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: x, between: {min: 19.5, max: 23.5, min_exclusive: true, max_exclusive: true}}}
  - {id: r-older-param, level: ordinary, basis: {document: d, clause: "3"}, title: {zh: x, en: x}, when: {item: d1, older_than: {param: one_month}}}
  - {id: r-season-param, level: ordinary, basis: {document: d, clause: "4"}, title: {zh: x, en: x}, when: {season: {param: fire_period}}}
  - {id: r-date-season-param, level: ordinary, basis: {document: d, clause: "4"}, title: {zh: x, en: x}, when: {item: d1, season: {param: fire_period}}}
  - {id: r-time-param, level: ordinary, basis: {document: d, clause: "4"}, title: {zh: x, en: x}, when: {item: t1, time_between: {param: night}}}
  - {id: r-from-date, level: ordinary, basis: {document: d, clause: "3"}, title: {zh: x, en: x}, when: {inspection_date: {from: 2025-05-04, to: 2025-06-30}}}
  - id: r-unless
    level: ordinary
    basis: {document: d, clause: "1"}
    title: {zh: x, en: x}
    when: {item: b, is: false}
    unless: {when: {item: c, is: true}, reason: {zh: 例外, en: exception}}
  - id: r-script
    level: ordinary
    basis: {document: d, clause: "1"}
    title: {zh: x, en: x}
    when: {script: "x > 10.0 && kind == \"high\""}
"#;

    fn library() -> Library {
        let mut l = Loader::new(Limits::default());
        l.add_memory("t.yaml", RULESET);
        let out = l.load();
        assert!(!out.has_errors(), "{:#?}", out.diagnostics);
        out.library.unwrap()
    }

    /// Evaluates an inspection written as YAML.
    fn report(lib: &Library, text: &str, explain: bool) -> Report {
        let mut sources = SourceMap::new();
        let i = Inspection::parse(text, "i.yaml", &mut sources, &Limits::default()).unwrap();
        lib.evaluate(&i, &EvalOptions { explain }).unwrap()
    }

    /// The outcome of one rule, as its explanation gives it.
    fn outcome_of(lib: &Library, text: &str, rule: &str) -> String {
        report(lib, text, true)
            .explanations
            .unwrap()
            .into_iter()
            .find(|e| e.rule == rule)
            .unwrap()
            .outcome
    }

    fn outcome(lib: &Library, date: &str, answers: &str, rule: &str) -> String {
        let text = format!("ruleset: t\ndate: {date}\nanswers: {answers}\n");
        outcome_of(lib, &text, rule)
    }

    fn check(date: &str, answers: &str, rule: &str, want: &str) {
        let lib = library();
        assert_eq!(
            outcome(&lib, date, answers, rule),
            want,
            "{rule} with {answers} on {date}"
        );
    }

    #[test]
    fn spaces_around_typed_answers_do_not_matter() {
        check("2025-01-01", "{a: \" no \"}", "r-is", "fired");
        check("2025-01-01", "{a: \" N/A \"}", "r-is", "not_applicable");
        check("2025-01-01", "{tags: [\" q\"]}", "r-in", "fired");
        check("2025-03-29", "{d1: \"2025-02-28 \"}", "r-older", "fired");
        check("2025-01-01", "{t1: \" 02:00\"}", "r-time", "fired");
    }

    #[test]
    fn yes_no_and_not_applicable() {
        check("2025-01-01", "{a: no}", "r-is", "fired");
        check("2025-01-01", "{a: yes}", "r-is", "passed");
        check("2025-01-01", "{}", "r-is", "undetermined");
        // Not applicable is never read as "no", and `not` keeps it.
        check("2025-01-01", "{a: n/a}", "r-is", "not_applicable");
        check("2025-01-01", "{a: n/a}", "r-not", "not_applicable");
        check("2025-01-01", "{a: no}", "r-not", "fired");
    }

    #[test]
    fn kleene_all_and_any_in_rules() {
        // A missing unrelated answer does not block a decision.
        check("2025-01-01", "{a: no}", "r-all", "passed");
        check("2025-01-01", "{a: yes}", "r-all", "undetermined");
        check("2025-01-01", "{c: yes}", "r-any", "fired");
        check("2025-01-01", "{c: no}", "r-any", "undetermined");
        check("2025-01-01", "{b: no, c: no}", "r-any", "passed");
    }

    #[test]
    fn exact_decimal_boundaries() {
        check("2025-01-01", "{x: 2.5}", "r-gte", "fired");
        check("2025-01-01", "{x: 2.49}", "r-gte", "passed");
        // 80% of 2.5 is exactly 2.0.
        check("2025-01-01", "{x: 2.0, y: 2.5}", "r-lt-factor", "passed");
        check("2025-01-01", "{x: 1.99, y: 2.5}", "r-lt-factor", "fired");
        check("2025-01-01", "{x: 19.5}", "r-between", "passed");
        check("2025-01-01", "{x: 23.5}", "r-between", "passed");
        check("2025-01-01", "{x: 19.49}", "r-between", "fired");
        check("2025-01-01", "{x: 23.51}", "r-between", "fired");
        check("2025-01-01", "{x: 0.1}", "r-between", "fired");
        // Whole numbers beyond i64 are still exact decimals, in the ruleset
        // and in the answers.
        check("2025-01-01", "{x: 9223372036854775807}", "r-big", "passed");
        check("2025-01-01", "{x: 9223372036854775808}", "r-big", "fired");
        // Exclusive ends leave the bounds themselves out.
        check("2025-01-01", "{x: 19.5}", "r-between-open", "passed");
        check("2025-01-01", "{x: 19.51}", "r-between-open", "fired");
        check("2025-01-01", "{x: 23.5}", "r-between-open", "passed");
        check("2025-01-01", "{x: 23.49}", "r-between-open", "fired");
    }

    #[test]
    fn table_parameters_follow_the_category() {
        check("2025-01-01", "{kind: high, n: 31}", "r-table", "fired");
        check("2025-01-01", "{kind: high, n: 30}", "r-table", "passed");
        check("2025-01-01", "{kind: low, n: 31}", "r-table", "passed");
        check("2025-01-01", "{n: 31}", "r-table", "undetermined");
    }

    #[test]
    fn choices_dates_seasons_times_and_regexes() {
        check("2025-01-01", "{tags: [q]}", "r-in", "fired");
        check("2025-01-01", "{tags: [p]}", "r-in", "passed");
        check("2025-01-01", "{tags: [p, q]}", "r-hasall", "fired");
        check("2025-01-01", "{tags: [q]}", "r-hasall", "passed");
        // One month after 2025-02-28 is 2025-03-28: older than a month
        // only from the next day on.
        check("2025-03-28", "{d1: 2025-02-28}", "r-older", "passed");
        check("2025-03-29", "{d1: 2025-02-28}", "r-older", "fired");
        // Due within 30 days (inclusive), or already past.
        check("2025-01-01", "{d1: 2025-01-31}", "r-due", "fired");
        check("2025-01-01", "{d1: 2025-02-01}", "r-due", "passed");
        check("2025-01-01", "{d1: 2024-12-31}", "r-due", "fired");
        // Limits past the end of the calendar are later than any date.
        check("2025-01-01", "{d1: 9999-12-31}", "r-older", "passed");
        check("9999-12-15", "{d1: 9999-12-31}", "r-due", "fired");
        check("2025-05-31", "{}", "r-season", "fired");
        check("2025-06-01", "{}", "r-season", "passed");
        check("2024-11-01", "{}", "r-season", "fired");
        check("2024-12-31", "{}", "r-season", "fired");
        check("2025-01-01", "{t1: \"02:00\"}", "r-time", "fired");
        check("2025-01-01", "{t1: \"05:00\"}", "r-time", "passed");
        check("2025-01-01", "{t1: \"04:59\"}", "r-time", "fired");
        check("2025-01-01", "{s: DH-1234}", "r-match", "fired");
        // The same windows named by parameters; the night one crosses
        // midnight.
        check("2025-05-31", "{}", "r-season-param", "fired");
        check("2025-06-01", "{}", "r-season-param", "passed");
        check("2025-10-31", "{}", "r-season-param", "passed");
        check("2025-11-01", "{}", "r-season-param", "fired");
        check(
            "2025-07-01",
            "{d1: 2025-01-01}",
            "r-date-season-param",
            "fired",
        );
        check(
            "2025-07-01",
            "{d1: 2025-07-01}",
            "r-date-season-param",
            "passed",
        );
        check("2025-01-01", "{t1: \"22:00\"}", "r-time-param", "fired");
        check("2025-01-01", "{t1: \"05:59\"}", "r-time-param", "fired");
        check("2025-01-01", "{t1: \"06:00\"}", "r-time-param", "passed");
        check("2025-01-01", "{t1: \"21:59\"}", "r-time-param", "passed");
        check("2025-01-01", "{s: DH-12345}", "r-match", "passed");
    }

    #[test]
    fn explanations_show_parameter_values_and_escalations() {
        let lib = library();
        let text = "ruleset: t\ndate: 2025-01-01\nanswers: {x: 3, kind: low, n: 4, b: no}\n";
        let ex = report(&lib, text, true).explanations.unwrap();
        let params = |rule: &str| {
            let e = ex.iter().find(|e| e.rule == rule).unwrap();
            e.when
                .parameters
                .iter()
                .map(|p| format!("{}={}", p.id, p.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(params("r-gte"), ["limit=2.5"]);
        // A table's value follows the category answered.
        assert_eq!(params("r-table"), ["by_kind=50"]);
        assert_eq!(params("r-atleast"), ["n_by_kind=3"]);
        // The fired rule with an escalation shows its condition and value.
        let esc = ex.iter().find(|e| e.rule == "r-esc").unwrap();
        assert_eq!(esc.outcome, "fired");
        assert_eq!(esc.escalations.len(), 1);
        assert_eq!(esc.escalations[0].when.value, "unknown");
        assert_eq!(esc.escalations[0].to, crate::Level::Major);
    }

    #[test]
    fn missing_answers_of_a_referenced_rule_are_listed() {
        let lib = library();
        let text = "ruleset: t\ndate: 2025-01-01\nanswers: {x: 2, b: no}\n";
        let r = report(&lib, text, false);
        let u = r.undetermined.iter().find(|u| u.rule == "r-ref").unwrap();
        // r-any waits for `c`; so does r-ref through it.
        assert_eq!(u.missing, ["c"]);
    }

    #[test]
    fn at_least_is_undetermined_only_when_it_matters() {
        check(
            "2025-01-01",
            "{kind: high, a: no, b: no}",
            "r-atleast",
            "fired",
        );
        check(
            "2025-01-01",
            "{kind: high, a: no, b: yes, c: yes}",
            "r-atleast",
            "passed",
        );
        check(
            "2025-01-01",
            "{kind: high, a: no}",
            "r-atleast",
            "undetermined",
        );
        check(
            "2025-01-01",
            "{kind: low, a: no, b: no, c: yes}",
            "r-atleast",
            "passed",
        );
        check(
            "2025-01-01",
            "{kind: low, a: no, b: no, c: no}",
            "r-atleast",
            "fired",
        );
        // With the category unknown, three members hold: enough for any N.
        check("2025-01-01", "{a: no, b: no, c: no}", "r-atleast", "fired");
        check(
            "2025-01-01",
            "{a: yes, b: yes, c: yes}",
            "r-atleast",
            "passed",
        );
    }

    #[test]
    fn parameters_as_factors_and_durations_and_date_ranges() {
        check("2025-01-01", "{x: 2.0, y: 2.5}", "r-factor-param", "passed");
        check("2025-01-01", "{x: 1.99, y: 2.5}", "r-factor-param", "fired");
        check("2025-03-28", "{d1: 2025-02-28}", "r-older-param", "passed");
        check("2025-03-29", "{d1: 2025-02-28}", "r-older-param", "fired");
        check("2025-05-03", "{}", "r-from-date", "passed");
        check("2025-05-04", "{}", "r-from-date", "fired");
        check("2025-06-30", "{}", "r-from-date", "fired");
        check("2025-07-01", "{}", "r-from-date", "passed");
    }

    #[test]
    fn deadlines_come_from_the_rule_then_the_team_then_the_ruleset() {
        let lib = library();
        let due = |extra: &str| {
            let text = format!("ruleset: t\ndate: 2025-07-01\n{extra}answers: {{b: no, c: no}}\n");
            report(&lib, &text, false)
                .findings
                .iter()
                .find(|f| f.rule == "r-unless")
                .and_then(|f| f.due)
        };
        assert_eq!(due(""), None);
        assert_eq!(
            due("deadlines: {ordinary: 15, major: 60}\n"),
            Some(crate::Date::new(2025, 7, 16).unwrap())
        );
        // The team's deadline for the rule comes before the one for its
        // level, in days or as the due date itself.
        assert_eq!(
            due("deadlines: {ordinary: 15, rules: {r-unless: 3}}\n"),
            Some(crate::Date::new(2025, 7, 4).unwrap())
        );
        assert_eq!(
            due("deadlines: {ordinary: 15, rules: {r-unless: 2025-08-01}}\n"),
            Some(crate::Date::new(2025, 8, 1).unwrap())
        );
        // An entry for another rule leaves this one at its level.
        assert_eq!(
            due("deadlines: {ordinary: 15, rules: {r-is: 3}}\n"),
            Some(crate::Date::new(2025, 7, 16).unwrap())
        );
    }

    #[test]
    fn exceptions_need_to_be_established() {
        check("2025-01-01", "{b: no, c: yes}", "r-unless", "excepted");
        check("2025-01-01", "{b: no, c: no}", "r-unless", "fired");
        check("2025-01-01", "{b: no}", "r-unless", "fired");
    }

    #[test]
    fn scripts_are_three_valued() {
        check("2025-01-01", "{x: 11, kind: high}", "r-script", "fired");
        check("2025-01-01", "{x: 11, kind: low}", "r-script", "passed");
        check("2025-01-01", "{x: 11}", "r-script", "undetermined");
    }

    #[test]
    fn verdicts() {
        let lib = library();
        let eval = |answers: &str| {
            let text = format!("ruleset: t\ndate: 2025-07-01\nanswers: {answers}\n");
            report(&lib, &text, false)
        };
        assert_eq!(eval("{}").verdict, Verdict::Incomplete);
        let r = eval("{a: no, b: no, c: no, kind: high}");
        assert_eq!(r.verdict, Verdict::Major);
        let f = r.findings.iter().find(|f| f.rule == "r-atleast").unwrap();
        assert_eq!(f.counted.len(), 3);
        assert_eq!(f.rectification.len(), 5);
    }

    #[test]
    fn event_history_counts_what_was_not_dealt_with_in_time() {
        let ruleset = r#"
ruleset: ev
title: {zh: 事件, en: Events}
effective: {from: 2024-01-01}
documents: [{id: d, title: {zh: 标准, en: Standard}, verified: true}]
event_kinds:
  - {id: speeding, label: {zh: 超速, en: Speeding}}
  - {id: score, label: {zh: 记分, en: Score}}
rules:
  - {id: late, level: major, basis: {document: d, clause: "3(3)"}, title: {zh: x, en: x}, when: {events: {kinds: [speeding], not_handled_within: {months: 1}}}}
  - {id: high-score, level: major, basis: {document: d, clause: "3(3)"}, title: {zh: x, en: x}, when: {events: {kinds: [score], min_value: 10}}}
"#;
        let mut l = Loader::new(Limits::default());
        l.add_memory("ev.yaml", ruleset);
        let lib = l.load().library.unwrap();
        let run = |date: &str, events: &str, rule: &str| {
            let text = format!("ruleset: ev\ndate: {date}\n{events}\n");
            outcome_of(&lib, &text, rule)
        };
        // One month after 2025-01-15 is 2025-02-15: still in time that day.
        let unhandled = "events: [{kind: speeding, date: 2025-01-15}]";
        assert_eq!(run("2025-02-15", unhandled, "late"), "passed");
        assert_eq!(run("2025-02-16", unhandled, "late"), "fired");
        assert_eq!(
            run(
                "2025-03-01",
                "events: [{kind: speeding, date: 2025-01-15, handled: 2025-02-15}]",
                "late"
            ),
            "passed"
        );
        assert_eq!(
            run(
                "2025-03-01",
                "events: [{kind: speeding, date: 2025-01-15, handled: 2025-02-16}]",
                "late"
            ),
            "fired"
        );
        assert_eq!(run("2025-03-01", "events: []", "late"), "passed");
        // Without a history, nobody knows: undetermined, never a pass.
        assert_eq!(run("2025-03-01", "", "late"), "undetermined");
        assert_eq!(
            run(
                "2025-03-01",
                "events: [{kind: score, date: 2025-02-01, value: 10}]",
                "high-score"
            ),
            "fired"
        );
        assert_eq!(
            run(
                "2025-03-01",
                "events: [{kind: score, date: 2025-02-01, value: 9}]",
                "high-score"
            ),
            "passed"
        );
        assert_eq!(
            run(
                "2025-03-01",
                "events: [{kind: score, date: 2025-02-01, value: 12, handled: 2025-02-02}]",
                "high-score"
            ),
            "passed"
        );
    }

    fn truth() -> impl Strategy<Value = Truth> {
        prop_oneof![Just(True), Just(False), Just(Unknown), Just(NotApplicable)]
    }

    fn kleene() -> impl Strategy<Value = Truth> {
        prop_oneof![Just(True), Just(False), Just(Unknown)]
    }

    /// A yes/no answer, or none.
    fn answer3() -> impl Strategy<Value = Option<bool>> {
        prop::option::of(any::<bool>())
    }

    /// An item id of the test ruleset, or one it does not have (`zz…`).
    fn item_key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "a", "b", "c", "x", "y", "n", "kind", "tags", "d1", "t1", "s"
            ])
            .prop_map(str::to_string),
            "zz[a-z]{1,3}",
        ]
    }

    /// Any JSON value an app might send as an answer.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as V;
        let leaf = prop_oneof![
            Just(V::Null),
            any::<bool>().prop_map(V::Bool),
            any::<i64>().prop_map(V::from),
            any::<u64>().prop_map(V::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(V::Null, V::Number)),
            prop_oneof![
                Just("yes"),
                Just("no"),
                Just("n/a"),
                Just(" N/A "),
                Just("high"),
                Just("q"),
                Just("2024-02-29"),
                Just("2023-02-29"),
                Just("02:00"),
                Just("24:00"),
                Just("DH-1234"),
                Just("1e400"),
                Just("１２"),
                Just("")
            ]
            .prop_map(|s| V::String(s.to_string())),
            ".{0,12}".prop_map(V::String),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(V::Array),
                prop::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                    .prop_map(|m| V::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn kleene_laws_hold(a in kleene(), b in kleene(), c in kleene()) {
            prop_assert_eq!(Truth::all([a, b]), Truth::all([b, a]));
            prop_assert_eq!(Truth::any([a, b]), Truth::any([b, a]));
            prop_assert_eq!(Truth::all([a, Truth::all([b, c])]), Truth::all([Truth::all([a, b]), c]));
            prop_assert_eq!(Truth::any([a, Truth::any([b, c])]), Truth::any([Truth::any([a, b]), c]));
            prop_assert_eq!(Truth::all([a, b]).negate(), Truth::any([a.negate(), b.negate()]));
            prop_assert_eq!(Truth::any([a, b]).negate(), Truth::all([a.negate(), b.negate()]));
            prop_assert_eq!(a.negate().negate(), a);
            prop_assert_eq!(Truth::all([a, True]), a);
            prop_assert_eq!(Truth::any([a, False]), a);
        }

        #[test]
        fn not_applicable_never_fires(a in truth(), b in truth()) {
            // A conjunction with a member that does not apply never holds.
            prop_assert_ne!(Truth::all([NotApplicable, a, b]), True);
            prop_assert_eq!(NotApplicable.negate(), NotApplicable);
        }

        #[test]
        fn evaluation_never_panics_is_deterministic_and_consistent(
            answers in prop::collection::btree_map(item_key(), any_json(), 0..12),
        ) {
            let json = serde_json::json!({"ruleset": "t", "date": "2025-01-01", "answers": answers});
            let lib = library();
            // Only the structure can make an inspection invalid; answers of
            // any shape are checked against their items and reported.
            let i = Inspection::from_json(&json, crate::FileId(0), &Limits::default());
            prop_assert!(i.is_ok(), "{:?}", i.err());
            let i = i.unwrap();
            let r1 = lib.evaluate(&i, &EvalOptions { explain: true }).unwrap();
            let r2 = lib.evaluate(&i, &EvalOptions { explain: true }).unwrap();
            prop_assert_eq!(r1.to_json(), r2.to_json());
            // The counts and the verdict agree with the lists.
            let majors = r1.findings.iter().filter(|f| f.level == crate::Level::Major).count();
            prop_assert_eq!(r1.counts.major, majors);
            prop_assert_eq!(r1.counts.ordinary, r1.findings.len() - majors);
            prop_assert_eq!(r1.counts.undetermined, r1.undetermined.len());
            prop_assert_eq!(r1.counts.excepted, r1.excepted.len());
            let want = if majors > 0 {
                Verdict::Major
            } else if !r1.findings.is_empty() {
                Verdict::Ordinary
            } else if r1.undetermined.is_empty() {
                Verdict::Clear
            } else {
                Verdict::Incomplete
            };
            prop_assert_eq!(r1.verdict, want);
            // Every answer given to an unknown item is reported, none lost.
            for key in answers.keys().filter(|k| k.starts_with("zz")) {
                prop_assert!(r1.input_diagnostics.iter().any(|d| &d.item == key), "{key}");
            }
        }

        #[test]
        fn rules_follow_kleene_logic(a in answer3(), b in answer3(), c in answer3()) {
            // r-all is `a is yes and b is yes`, r-any `b is yes or c is yes`.
            let lib = library();
            let mut m = Vec::new();
            for (k, v) in [("a", a), ("b", b), ("c", c)] {
                if let Some(v) = v { m.push(format!("{k}: {}", if v { "yes" } else { "no" })); }
            }
            let answers = format!("{{{}}}", m.join(", "));
            let leaf = |v: Option<bool>| v.map_or(Unknown, Truth::from_bool);
            let got = |rule: &str| match outcome(&lib, "2025-01-01", &answers, rule).as_str() {
                "fired" => True,
                "passed" => False,
                _ => Unknown,
            };
            prop_assert_eq!(got("r-all"), Truth::all([leaf(a), leaf(b)]));
            prop_assert_eq!(got("r-any"), Truth::any([leaf(b), leaf(c)]));
        }

        #[test]
        fn at_least_is_monotone(
            low in prop::collection::vec(answer3(), 3),
            raise in prop::collection::vec(any::<bool>(), 3),
            kind in prop::option::of(prop_oneof![Just("high"), Just("low")]),
        ) {
            // Members are "x is no" (a member holds when answered no). With
            // each member moved up (no answer to "no", "yes" to no answer),
            // never down, the count can only go up: an outcome never drops
            // from fired, nor from undetermined to passed.
            let lib = library();
            let up = |v: Option<bool>, r: bool| match (v, r) {
                (Some(true), true) => None,
                (None, true) => Some(false),
                (v, _) => v,
            };
            let high: Vec<Option<bool>> = low.iter().zip(&raise).map(|(v, r)| up(*v, *r)).collect();
            let text = |vals: &[Option<bool>]| {
                let mut m: Vec<String> = kind.iter().map(|k| format!("kind: {k}")).collect();
                for (k, v) in ["a", "b", "c"].iter().zip(vals) {
                    if let Some(v) = v { m.push(format!("{k}: {}", if *v { "yes" } else { "no" })); }
                }
                format!("{{{}}}", m.join(", "))
            };
            let rank = |o: String| match o.as_str() { "passed" => 0, "undetermined" => 1, _ => 2 };
            let before = rank(outcome(&lib, "2025-01-01", &text(&low), "r-atleast"));
            let after = rank(outcome(&lib, "2025-01-01", &text(&high), "r-atleast"));
            prop_assert!(after >= before, "{} then {}", text(&low), text(&high));
        }
    }
}
