//! Lowering a ruleset's conditions to plain boolean formulas, so that the
//! same rules can be written out for other engines (hand-style Rust, Rego,
//! JDM) and compared with hazcheck's own evaluation.
//!
//! hazcheck evaluates conditions in a four-valued logic (true, false,
//! unknown, not applicable). Other engines only have booleans, so every
//! condition is lowered to three formulas: "it is true", "it is false" and
//! "it is not applicable"; unknown is what is left. The peers assume a
//! complete inspection, as the generated ones are: every item that applies
//! is answered and no other item is, so an absent answer means "does not
//! apply" and the peers need not re-derive item applicability (hazcheck
//! does; the comparison favours the peers there).
//!
//! This file is also compiled into the bench crate's build script (which
//! writes the Rust floor), so it uses nothing but hazcheck and std.

use std::collections::HashMap;

use hazcheck::Decimal;
use hazcheck::model::{
    Condition, Count, Duration, EventQuery, Factor, Item, ItemType, Level, Literal, Operand,
    Parameter, Rule, RulesetFile, Season, TimeRange, Window,
};

/// A boolean formula over atoms.
#[derive(Clone, Debug, PartialEq)]
pub enum B {
    /// Always true or always false.
    Const(bool),
    /// Every member holds.
    And(Vec<B>),
    /// Some member holds.
    Or(Vec<B>),
    /// The member does not hold.
    Not(Box<B>),
    /// At least N of the members hold (N from 2 to one less than the
    /// number of members; [`at_least`] folds the other cases).
    AtLeast(u64, Vec<B>),
    /// A test on the inspection.
    Atom(Atom),
}

/// The comparisons a condition holds (`eq`, `ne`, `lt`, `lte`, `gt`,
/// `gte`), in that order, with their operands.
pub fn comparisons(c: &Condition) -> impl Iterator<Item = (Op, &Operand)> {
    [
        (&c.eq, Op::Eq),
        (&c.ne, Op::Ne),
        (&c.lt, Op::Lt),
        (&c.lte, Op::Le),
        (&c.gt, Op::Gt),
        (&c.gte, Op::Ge),
    ]
    .into_iter()
    .filter_map(|(operand, op)| operand.as_ref().map(|o| (op, o)))
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// The operator whose result is the opposite for any two numbers.
    pub fn negate(self) -> Op {
        match self {
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
        }
    }

    /// The operator as written in Rust, Rego and zen expressions.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// The right-hand side of a number comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum NumRhs {
    /// A constant (a literal or a constant parameter, already scaled).
    Lit(String),
    /// Another item's answer, optionally scaled.
    Item {
        /// The item id.
        item: String,
        /// The factor, as decimal text.
        factor: Option<String>,
    },
    /// A parameter table keyed by a choice item.
    Table {
        /// The choice item.
        by: String,
        /// (option id, value) rows.
        rows: Vec<(String, String)>,
        /// The value for unlisted options.
        default: Option<String>,
        /// The factor, as decimal text.
        factor: Option<String>,
    },
}

/// What a date answer is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum DateRhs {
    /// The inspection date.
    Inspection,
    /// A fixed date, `YYYY-MM-DD`.
    Lit(String),
    /// Another date item.
    Item(String),
}

/// A test on the inspection. Every atom about an item holds only when the
/// item (and any other item it reads) has a usable answer; the "false"
/// form of a test is the same atom with the opposite operator or flag.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom {
    /// The item has no usable answer: absent, or "n/a".
    Na(String),
    /// A yes/no answer is `value`.
    Bool {
        /// The item id.
        item: String,
        /// The value tested for.
        value: bool,
    },
    /// A number answer compares with `rhs`.
    Num {
        /// The item id.
        item: String,
        /// The operator.
        op: Op,
        /// The right-hand side.
        rhs: NumRhs,
    },
    /// A choice answer is (`member`) or is not (`!member`) one of `set`.
    Choice {
        /// The item id.
        item: String,
        /// Option ids.
        set: Vec<String>,
        /// Whether membership is tested for.
        member: bool,
    },
    /// A multiple-choice answer includes some (or, with `all`, every) option
    /// of `set`; `holds` says which result is tested for.
    Multi {
        /// The item id.
        item: String,
        /// Option ids.
        set: Vec<String>,
        /// `has_all` rather than `in`.
        all: bool,
        /// The result tested for.
        holds: bool,
    },
    /// A text answer equals (or differs from) `value`.
    Text {
        /// The item id.
        item: String,
        /// The text.
        value: String,
        /// Equality rather than difference.
        eq: bool,
    },
    /// A text answer matches a regular expression (`holds`) or does not.
    Matches {
        /// The item id.
        item: String,
        /// The pattern.
        pattern: String,
        /// The result tested for.
        holds: bool,
    },
    /// A date answer compares with a date.
    Date {
        /// The item id.
        item: String,
        /// The operator.
        op: Op,
        /// The right-hand side.
        rhs: DateRhs,
    },
    /// The answer date plus a duration is before the inspection date
    /// (`older_than`), or not (`holds` false).
    Older {
        /// The item id.
        item: String,
        /// Years to add.
        years: u32,
        /// Months to add.
        months: u32,
        /// Days to add.
        days: u32,
        /// The result tested for.
        holds: bool,
    },
    /// The previous inspection recorded a finding of `rule` (past its due
    /// date, with `overdue`).
    Previous {
        /// The rule id.
        rule: String,
        /// Only findings past their due date.
        overdue: bool,
    },
    /// The inspection date compares with a fixed date.
    InspectionDate {
        /// The operator.
        op: Op,
        /// The date, `YYYY-MM-DD`.
        date: String,
    },
    /// A date falls in a yearly window, both ends included (`from` later
    /// than `to` crosses New Year): the inspection date without `item`, a
    /// date answer with it; `holds` says which result is tested for.
    Season {
        /// The date item, or `None` for the inspection date.
        item: Option<String>,
        /// First day, `MM-DD`.
        from: String,
        /// Last day, `MM-DD`.
        to: String,
        /// The result tested for.
        holds: bool,
    },
    /// A time answer falls in a daily window, `from` included and `to`
    /// excluded (`from` later than `to` crosses midnight).
    Time {
        /// The time item.
        item: String,
        /// Start, `HH:MM`.
        from: String,
        /// End, `HH:MM`.
        to: String,
        /// The result tested for.
        holds: bool,
    },
    /// The event history counts enough events (`holds`), or certainly too
    /// few (`!holds`); both need the inspection to carry `events`.
    Events(Box<Events>),
}

/// An `events` condition with its parameters resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Events {
    /// The event kinds that count.
    pub kinds: Vec<String>,
    /// Only events whose value is at least this (decimal text); an event
    /// without a value may or may not count.
    pub min_value: Option<String>,
    /// An event counts once this long after it has passed without it being
    /// handled (years, months, days).
    pub within: Option<(u32, u32, u32)>,
    /// Only events this long before the inspection date or later.
    pub since: Option<(u32, u32, u32)>,
    /// How many counted events make the condition hold.
    pub at_least: u32,
    /// True: at least `at_least` events surely count. False: fewer than
    /// `at_least` count even with those that might.
    pub holds: bool,
}

/// One rule, lowered.
#[derive(Clone, Debug)]
pub struct LRule {
    /// The rule id.
    pub id: String,
    /// Its level.
    pub level: Level,
    /// The rule produces a finding: it applies, its condition holds, and no
    /// exception is established.
    pub fires: B,
    /// The finding is major although the rule's level is ordinary (an
    /// escalation to major holds). `Const(false)` for major rules.
    pub major_if: B,
}

/// A ruleset version, lowered.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The ruleset id.
    pub id: String,
    /// The version label.
    pub version: String,
    /// The rules, in the order of the ruleset.
    pub rules: Vec<LRule>,
}

/// The three formulas of a condition.
#[derive(Clone, Debug)]
struct Tri {
    t: B,
    f: B,
    n: B,
}

/// Lowers every rule of a merged ruleset. Fails on what the peers cannot
/// express (scripts, event histories), naming it.
pub fn lower(model: &RulesetFile) -> Result<Lowered, String> {
    let cx = Cx::new(model);
    let mut rules = Vec::new();
    for r in &model.rules {
        let tri = cx.rule(r, 0)?;
        let mut major = Vec::new();
        if r.level.value == Level::Ordinary {
            for e in &r.escalate {
                if e.to.value == Level::Major {
                    major.push(cx.cond(&e.when, 0)?.t);
                }
            }
        }
        rules.push(LRule {
            id: r.id.value.clone(),
            level: r.level.value,
            fires: tri.t,
            major_if: or(major),
        });
    }
    Ok(Lowered {
        id: model
            .ruleset
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_default(),
        version: model
            .version
            .as_ref()
            .map_or_else(|| "1".to_string(), |v| v.value.clone()),
        rules,
    })
}

/// The "holds" formula of an item's `applies_if`, for the generator of
/// inspections; `None` when the item always applies.
pub fn item_applies(model: &RulesetFile, item: &Item) -> Result<Option<B>, String> {
    let Some(c) = &item.applies_if else {
        return Ok(None);
    };
    // An item's relevance cannot read rules.
    let cx = Cx {
        rules: HashMap::new(),
        ..Cx::new(model)
    };
    Ok(Some(cx.cond(c, 0)?.t))
}

/// Conjunction with constant folding and flattening.
pub fn and(list: Vec<B>) -> B {
    let mut out = Vec::new();
    for b in list {
        match b {
            B::Const(true) => {}
            B::Const(false) => return B::Const(false),
            B::And(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => B::Const(true),
        1 => out.pop().unwrap_or(B::Const(true)),
        _ => B::And(out),
    }
}

/// Disjunction with constant folding and flattening.
pub fn or(list: Vec<B>) -> B {
    let mut out = Vec::new();
    for b in list {
        match b {
            B::Const(false) => {}
            B::Const(true) => return B::Const(true),
            B::Or(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => B::Const(false),
        1 => out.pop().unwrap_or(B::Const(false)),
        _ => B::Or(out),
    }
}

/// Negation with constant folding.
pub fn not(b: B) -> B {
    match b {
        B::Const(v) => B::Const(!v),
        B::Not(inner) => *inner,
        other => B::Not(Box::new(other)),
    }
}

/// "At least `n` of `list`", with constant members folded and the cases
/// that are a plain conjunction or disjunction written as one.
pub fn at_least(n: u64, list: Vec<B>) -> B {
    let mut n = n;
    let mut out = Vec::new();
    for b in list {
        match b {
            B::Const(true) => n = n.saturating_sub(1),
            B::Const(false) => {}
            other => out.push(other),
        }
    }
    let len = out.len() as u64;
    if n == 0 {
        B::Const(true)
    } else if n > len {
        B::Const(false)
    } else if n == 1 {
        or(out)
    } else if n == len {
        and(out)
    } else {
        B::AtLeast(n, out)
    }
}

/// "At least `n` of `list`" as a disjunction over the n-subsets, for
/// engines without counting (members are few where this is used).
pub fn expand(n: u64, list: &[B]) -> B {
    fn go(list: &[B], k: usize, start: usize, chosen: &mut Vec<usize>, out: &mut Vec<B>) {
        if chosen.len() == k {
            out.push(and(chosen
                .iter()
                .filter_map(|&i| list.get(i).cloned())
                .collect()));
            return;
        }
        for i in start..list.len() {
            chosen.push(i);
            go(list, k, i + 1, chosen, out);
            chosen.pop();
        }
    }
    let Ok(k) = usize::try_from(n) else {
        return B::Const(false);
    };
    if k == 0 {
        return B::Const(true);
    }
    if k > list.len() {
        return B::Const(false);
    }
    let mut out = Vec::new();
    go(list, k, 0, &mut Vec::new(), &mut out);
    or(out)
}

/// Every regular expression of a lowered ruleset, in order of first use.
pub fn patterns(l: &Lowered) -> Vec<String> {
    fn walk(b: &B, out: &mut Vec<String>) {
        match b {
            B::And(v) | B::Or(v) | B::AtLeast(_, v) => v.iter().for_each(|x| walk(x, out)),
            B::Not(x) => walk(x, out),
            B::Atom(Atom::Matches { pattern, .. }) if !out.contains(pattern) => {
                out.push(pattern.clone());
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in &l.rules {
        walk(&r.fires, &mut out);
        walk(&r.major_if, &mut out);
    }
    out
}

/// Rule references are inlined; this bounds their nesting.
const MAX_RULE_DEPTH: usize = 16;

struct Cx<'m> {
    items: HashMap<&'m str, &'m Item>,
    params: HashMap<&'m str, &'m Parameter>,
    rules: HashMap<&'m str, &'m Rule>,
}

impl<'m> Cx<'m> {
    /// The lookup tables of a merged ruleset.
    fn new(model: &'m RulesetFile) -> Self {
        Cx {
            items: model
                .items
                .iter()
                .map(|i| (i.id.value.as_str(), i))
                .collect(),
            params: model
                .parameters
                .iter()
                .map(|p| (p.id.value.as_str(), p))
                .collect(),
            rules: model
                .rules
                .iter()
                .map(|r| (r.id.value.as_str(), r))
                .collect(),
        }
    }

    /// A rule's truth as other rules read it: true when it produced a
    /// finding; false when it passed or was excepted; not applicable when
    /// it does not apply.
    fn rule(&self, r: &Rule, depth: usize) -> Result<Tri, String> {
        if depth > MAX_RULE_DEPTH {
            return Err(format!(
                "rule references nested deeper than {MAX_RULE_DEPTH}"
            ));
        }
        let app = match &r.applies_if {
            Some(a) => self.cond(a, depth)?,
            None => Tri {
                t: B::Const(true),
                f: B::Const(false),
                n: B::Const(false),
            },
        };
        let when = self.cond(&r.when, depth)?;
        let unless_t = match &r.unless {
            Some(u) => self.cond(&u.when, depth)?.t,
            None => B::Const(false),
        };
        let t = and(vec![app.t.clone(), when.t.clone(), not(unless_t.clone())]);
        // With the applicability true or unknown, a false condition passes;
        // an established exception turns a firing rule into false as well.
        let f = or(vec![
            and(vec![not(app.f.clone()), not(app.n.clone()), when.f.clone()]),
            and(vec![app.t, when.t, unless_t]),
        ]);
        let n = or(vec![app.f, app.n, when.n]);
        Ok(Tri { t, f, n })
    }

    fn cond(&self, c: &Condition, depth: usize) -> Result<Tri, String> {
        if let Some(list) = &c.all {
            let members = list
                .iter()
                .map(|m| self.cond(m, depth))
                .collect::<Result<Vec<_>, _>>()?;
            let any_f = or(members.iter().map(|m| m.f.clone()).collect());
            return Ok(Tri {
                t: and(members.iter().map(|m| m.t.clone()).collect()),
                n: and(vec![
                    not(any_f.clone()),
                    or(members.iter().map(|m| m.n.clone()).collect()),
                ]),
                f: any_f,
            });
        }
        if let Some(list) = &c.any {
            let members = list
                .iter()
                .map(|m| self.cond(m, depth))
                .collect::<Result<Vec<_>, _>>()?;
            // False needs every member false or not applicable, and one false;
            // an unknown member keeps it unknown.
            let f = and(vec![
                and(members
                    .iter()
                    .map(|m| or(vec![m.f.clone(), m.n.clone()]))
                    .collect()),
                or(members.iter().map(|m| m.f.clone()).collect()),
            ]);
            return Ok(Tri {
                t: or(members.iter().map(|m| m.t.clone()).collect()),
                f,
                n: and(members.iter().map(|m| m.n.clone()).collect()),
            });
        }
        if let Some(inner) = &c.not {
            let x = self.cond(inner, depth)?;
            return Ok(Tri {
                t: x.f,
                f: x.t,
                n: x.n,
            });
        }
        if let Some(a) = &c.at_least {
            return match &a.n {
                Count::Fixed(n) => {
                    let n = u64::from(n.value);
                    self.at_least(&a.of, depth, |members| count_tri(members, n, n))
                }
                Count::Param(p) => self.at_least_param(&p.param.value, &a.of, depth),
            };
        }
        if let Some(r) = &c.rule {
            let rule = self
                .rules
                .get(r.value.as_str())
                .ok_or_else(|| format!("unknown rule `{}`", r.value))?;
            return self.rule(rule, depth + 1);
        }
        if let Some(p) = &c.previous {
            let t = B::Atom(Atom::Previous {
                rule: p.rule.value.clone(),
                overdue: p.overdue,
            });
            return Ok(Tri {
                f: not(t.clone()),
                t,
                n: B::Const(false),
            });
        }
        if c.script.is_some() {
            return Err("Rhai scripts".into());
        }
        if let Some(q) = &c.events {
            let ev = self.events(q)?;
            let t = B::Atom(Atom::Events(Box::new(Events {
                holds: true,
                ..ev.clone()
            })));
            let f = B::Atom(Atom::Events(Box::new(Events { holds: false, ..ev })));
            // Never not applicable; unknown without a history.
            return Ok(Tri {
                t,
                f,
                n: B::Const(false),
            });
        }
        if let (Some(w), None) = (&c.season, &c.item) {
            let (from, to) = self.season(w)?;
            let atom = |holds| {
                B::Atom(Atom::Season {
                    item: None,
                    from: from.clone(),
                    to: to.clone(),
                    holds,
                })
            };
            return Ok(Tri {
                t: atom(true),
                f: atom(false),
                n: B::Const(false),
            });
        }
        if let Some(r) = &c.inspection_date {
            let mut parts = Vec::new();
            if let Some(from) = &r.from {
                parts.push(B::Atom(Atom::InspectionDate {
                    op: Op::Ge,
                    date: from.value.to_string(),
                }));
            }
            if let Some(to) = &r.to {
                parts.push(B::Atom(Atom::InspectionDate {
                    op: Op::Le,
                    date: to.value.to_string(),
                }));
            }
            let t = and(parts);
            return Ok(Tri {
                f: not(t.clone()),
                t,
                n: B::Const(false),
            });
        }
        let Some(item_id) = &c.item else {
            return Err("a condition without an operator".into());
        };
        let id = item_id.value.as_str();
        let item = self
            .items
            .get(id)
            .ok_or_else(|| format!("unknown item `{id}`"))?;
        self.leaf(c, id, item.kind.value)
    }

    /// An `at_least` whose true and false formulas `count` builds from the
    /// members; it is not applicable when every member is.
    fn at_least(
        &self,
        of: &[Condition],
        depth: usize,
        count: impl Fn(&[Tri]) -> (B, B),
    ) -> Result<Tri, String> {
        let members = of
            .iter()
            .map(|m| self.cond(m, depth))
            .collect::<Result<Vec<_>, _>>()?;
        let (t, f) = count(&members);
        Ok(Tri {
            t,
            f,
            n: all_na(&members),
        })
    }

    /// `at_least` with N from a parameter: a constant, or a table keyed by
    /// a choice item, which is a lookup: one alternative per row, one for
    /// the default, and one for the category without a usable answer, where
    /// N is only known to lie between the table's smallest and largest
    /// values.
    fn at_least_param(&self, id: &str, of: &[Condition], depth: usize) -> Result<Tri, String> {
        let param = self
            .params
            .get(id)
            .ok_or_else(|| format!("unknown parameter `{id}`"))?;
        if let Some(v) = &param.value {
            let n = whole(v.value);
            return self.at_least(of, depth, |members| count_tri(members, n, n));
        }
        let Some(table) = &param.table else {
            return Err(format!("parameter `{id}` is not a number"));
        };
        let by = table.by.value.clone();
        let rows: Vec<(String, u64)> = table
            .values
            .iter()
            .map(|r| (r.option.value.clone(), whole(r.value.value)))
            .collect();
        let default = table.default.as_ref().map(|d| whole(d.value));
        let all: Vec<u64> = rows.iter().map(|(_, n)| *n).chain(default).collect();
        let lo = all.iter().copied().min().unwrap_or(0);
        let hi = all.iter().copied().max().unwrap_or(u64::MAX);
        let listed: Vec<String> = rows.iter().map(|(o, _)| o.clone()).collect();
        self.at_least(of, depth, |members| {
            let (mut t, mut f) = (Vec::new(), Vec::new());
            let mut case = |when: B, lo: u64, hi: u64| {
                let (ct, cf) = count_tri(members, lo, hi);
                t.push(and(vec![when.clone(), ct]));
                f.push(and(vec![when, cf]));
            };
            for (o, n) in &rows {
                let when = B::Atom(Atom::Choice {
                    item: by.clone(),
                    set: vec![o.clone()],
                    member: true,
                });
                case(when, *n, *n);
            }
            let unlisted = B::Atom(Atom::Choice {
                item: by.clone(),
                set: listed.clone(),
                member: false,
            });
            match default {
                Some(n) => case(unlisted, n, n),
                None => case(unlisted, lo, hi),
            }
            case(B::Atom(Atom::Na(by.clone())), lo, hi);
            (or(t), or(f))
        })
    }

    /// A window written out, or the one a parameter holds (`pick` reads it
    /// from the parameter).
    fn window<'w, T>(
        &'w self,
        w: &'w Window<T>,
        pick: impl Fn(&'w Parameter) -> Option<&'w T>,
    ) -> Result<&'w T, String> {
        match w {
            Window::Literal(x) => Ok(x),
            Window::Param(p) => self
                .params
                .get(p.param.value.as_str())
                .and_then(|x| pick(x))
                .ok_or_else(|| format!("parameter `{}` is not that window", p.param.value)),
        }
    }

    /// The window of a `season`, as `MM-DD` texts.
    fn season(&self, w: &Window<Season>) -> Result<(String, String), String> {
        let s = self.window(w, |p| p.season.as_ref())?;
        Ok((s.from.value.to_string(), s.to.value.to_string()))
    }

    /// The window of a `time_between`, as `HH:MM` texts.
    fn time_window(&self, w: &Window<TimeRange>) -> Result<(String, String), String> {
        let r = self.window(w, |p| p.time_window.as_ref())?;
        Ok((r.from.value.to_string(), r.to.value.to_string()))
    }

    fn events(&self, q: &EventQuery) -> Result<Events, String> {
        let dur = |d: &Option<Duration>| -> Result<Option<(u32, u32, u32)>, String> {
            d.as_ref()
                .map(|d| self.duration(d).map(|d| (d.years, d.months, d.days)))
                .transpose()
        };
        Ok(Events {
            kinds: q.kinds.iter().map(|k| k.value.clone()).collect(),
            min_value: match &q.min_value {
                None => None,
                Some(Factor::Number(d)) => Some(d.value.to_string()),
                Some(Factor::Param(p)) => Some(self.constant(&p.param.value)?.to_string()),
            },
            within: dur(&q.not_handled_within)?,
            since: dur(&q.since)?,
            at_least: q.at_least.as_ref().map_or(1, |n| n.value),
            holds: true,
        })
    }

    fn leaf(&self, c: &Condition, id: &str, kind: ItemType) -> Result<Tri, String> {
        let na = B::Atom(Atom::Na(id.to_string()));
        let item = id.to_string();
        let tri = |t: Atom, f: Atom, n: B| Tri {
            t: B::Atom(t),
            f: B::Atom(f),
            n,
        };
        if let Some(b) = &c.is {
            return Ok(tri(
                Atom::Bool {
                    item: item.clone(),
                    value: b.value,
                },
                Atom::Bool {
                    item,
                    value: !b.value,
                },
                na,
            ));
        }
        if let Some(b) = &c.not_applicable {
            // Decided by the answer itself: never unknown in a complete
            // inspection, never not applicable.
            let t = if b.value { na.clone() } else { not(na.clone()) };
            return Ok(Tri {
                f: not(t.clone()),
                t,
                n: B::Const(false),
            });
        }
        if let Some(b) = &c.answered {
            return Ok(Tri {
                t: B::Const(b.value),
                f: B::Const(!b.value),
                n: B::Const(false),
            });
        }
        if let Some((op, operand)) = comparisons(c).next() {
            return self.comparison(id, kind, op, operand);
        }
        if c.between.is_some() {
            return Err("`between`".into());
        }
        if let Some(list) = &c.in_ {
            let set: Vec<String> = list.iter().map(|o| o.value.clone()).collect();
            return Ok(match kind {
                ItemType::Choice => tri(
                    Atom::Choice {
                        item: item.clone(),
                        set: set.clone(),
                        member: true,
                    },
                    Atom::Choice {
                        item,
                        set,
                        member: false,
                    },
                    na,
                ),
                _ => tri(
                    Atom::Multi {
                        item: item.clone(),
                        set: set.clone(),
                        all: false,
                        holds: true,
                    },
                    Atom::Multi {
                        item,
                        set,
                        all: false,
                        holds: false,
                    },
                    na,
                ),
            });
        }
        if let Some(list) = &c.has_all {
            let set: Vec<String> = list.iter().map(|o| o.value.clone()).collect();
            return Ok(tri(
                Atom::Multi {
                    item: item.clone(),
                    set: set.clone(),
                    all: true,
                    holds: true,
                },
                Atom::Multi {
                    item,
                    set,
                    all: true,
                    holds: false,
                },
                na,
            ));
        }
        if let Some(re) = &c.matches {
            return Ok(tri(
                Atom::Matches {
                    item: item.clone(),
                    pattern: re.value.clone(),
                    holds: true,
                },
                Atom::Matches {
                    item,
                    pattern: re.value.clone(),
                    holds: false,
                },
                na,
            ));
        }
        if let Some(d) = &c.older_than {
            let d = self.duration(d)?;
            return Ok(tri(
                Atom::Older {
                    item: item.clone(),
                    years: d.years,
                    months: d.months,
                    days: d.days,
                    holds: true,
                },
                Atom::Older {
                    item,
                    years: d.years,
                    months: d.months,
                    days: d.days,
                    holds: false,
                },
                na,
            ));
        }
        if let Some(w) = &c.season {
            let (from, to) = self.season(w)?;
            let atom = |holds| Atom::Season {
                item: Some(item.clone()),
                from: from.clone(),
                to: to.clone(),
                holds,
            };
            return Ok(tri(atom(true), atom(false), na));
        }
        if let Some(w) = &c.time_between {
            let (from, to) = self.time_window(w)?;
            let atom = |holds| Atom::Time {
                item: item.clone(),
                from: from.clone(),
                to: to.clone(),
                holds,
            };
            return Ok(tri(atom(true), atom(false), na));
        }
        if let Some(b) = &c.before_inspection {
            let op = if b.value { Op::Lt } else { Op::Ge };
            return Ok(tri(
                Atom::Date {
                    item: item.clone(),
                    op,
                    rhs: DateRhs::Inspection,
                },
                Atom::Date {
                    item,
                    op: op.negate(),
                    rhs: DateRhs::Inspection,
                },
                na,
            ));
        }
        Err(format!("the test on `{id}`"))
    }

    fn comparison(
        &self,
        id: &str,
        kind: ItemType,
        op: Op,
        operand: &Operand,
    ) -> Result<Tri, String> {
        let item = id.to_string();
        let na = B::Atom(Atom::Na(item.clone()));
        match kind {
            ItemType::Number | ItemType::Count => {
                let (rhs, rhs_na) = self.num_operand(operand)?;
                Ok(Tri {
                    t: B::Atom(Atom::Num {
                        item: item.clone(),
                        op,
                        rhs: rhs.clone(),
                    }),
                    f: B::Atom(Atom::Num {
                        item,
                        op: op.negate(),
                        rhs,
                    }),
                    n: or(vec![na, rhs_na]),
                })
            }
            ItemType::Choice => {
                let Operand::Literal(l) = operand else {
                    return Err(format!("a choice `{id}` compared with a reference"));
                };
                let Literal::Str(s) = &l.value else {
                    return Err(format!("a choice `{id}` compared with a non-string"));
                };
                let member = op == Op::Eq;
                Ok(Tri {
                    t: B::Atom(Atom::Choice {
                        item: item.clone(),
                        set: vec![s.clone()],
                        member,
                    }),
                    f: B::Atom(Atom::Choice {
                        item,
                        set: vec![s.clone()],
                        member: !member,
                    }),
                    n: na,
                })
            }
            ItemType::YesNo => {
                let Operand::Literal(l) = operand else {
                    return Err(format!("a yes/no `{id}` compared with a reference"));
                };
                let Literal::Bool(b) = l.value else {
                    return Err(format!("a yes/no `{id}` compared with a non-boolean"));
                };
                let value = if op == Op::Eq { b } else { !b };
                Ok(Tri {
                    t: B::Atom(Atom::Bool {
                        item: item.clone(),
                        value,
                    }),
                    f: B::Atom(Atom::Bool {
                        item,
                        value: !value,
                    }),
                    n: na,
                })
            }
            ItemType::Text => {
                let Operand::Literal(l) = operand else {
                    return Err(format!("a text `{id}` compared with a reference"));
                };
                let Literal::Str(s) = &l.value else {
                    return Err(format!("a text `{id}` compared with a non-string"));
                };
                let eq = op == Op::Eq;
                Ok(Tri {
                    t: B::Atom(Atom::Text {
                        item: item.clone(),
                        value: s.clone(),
                        eq,
                    }),
                    f: B::Atom(Atom::Text {
                        item,
                        value: s.clone(),
                        eq: !eq,
                    }),
                    n: na,
                })
            }
            ItemType::Date => {
                let (rhs, rhs_na) = match operand {
                    Operand::Literal(l) => match &l.value {
                        Literal::Str(s) => (DateRhs::Lit(s.clone()), B::Const(false)),
                        _ => return Err(format!("a date `{id}` compared with a non-date")),
                    },
                    Operand::Ref(r) => match &r.item {
                        Some(j) => (
                            DateRhs::Item(j.value.clone()),
                            B::Atom(Atom::Na(j.value.clone())),
                        ),
                        None => return Err(format!("a date `{id}` compared with a parameter")),
                    },
                };
                Ok(Tri {
                    t: B::Atom(Atom::Date {
                        item: item.clone(),
                        op,
                        rhs: rhs.clone(),
                    }),
                    f: B::Atom(Atom::Date {
                        item,
                        op: op.negate(),
                        rhs,
                    }),
                    n: or(vec![na, rhs_na]),
                })
            }
            other => Err(format!("comparisons on {} items", other.as_str())),
        }
    }

    /// A number operand and the formula saying it is not applicable.
    fn num_operand(&self, operand: &Operand) -> Result<(NumRhs, B), String> {
        match operand {
            Operand::Literal(l) => match &l.value {
                Literal::Number(d) => Ok((NumRhs::Lit(d.to_string()), B::Const(false))),
                _ => Err("a number compared with a non-number".into()),
            },
            Operand::Ref(r) => {
                let factor = match &r.factor {
                    None => None,
                    Some(Factor::Number(d)) => Some(d.value),
                    Some(Factor::Param(p)) => Some(self.constant(&p.param.value)?),
                };
                if let Some(j) = &r.item {
                    return Ok((
                        NumRhs::Item {
                            item: j.value.clone(),
                            factor: factor.map(|f| f.to_string()),
                        },
                        B::Atom(Atom::Na(j.value.clone())),
                    ));
                }
                let Some(p) = &r.param else {
                    return Err("an operand with neither item nor param".into());
                };
                let param = self
                    .params
                    .get(p.value.as_str())
                    .ok_or_else(|| format!("unknown parameter `{}`", p.value))?;
                if let Some(v) = &param.value {
                    let v = match factor {
                        Some(f) => v
                            .value
                            .checked_mul(f)
                            .ok_or_else(|| format!("`{}` times its factor overflows", p.value))?,
                        None => v.value,
                    };
                    return Ok((NumRhs::Lit(v.to_string()), B::Const(false)));
                }
                let Some(t) = &param.table else {
                    return Err(format!("parameter `{}` has no value", p.value));
                };
                Ok((
                    NumRhs::Table {
                        by: t.by.value.clone(),
                        rows: t
                            .values
                            .iter()
                            .map(|r| (r.option.value.clone(), r.value.value.to_string()))
                            .collect(),
                        default: t.default.as_ref().map(|d| d.value.to_string()),
                        factor: factor.map(|f| f.to_string()),
                    },
                    B::Atom(Atom::Na(t.by.value.clone())),
                ))
            }
        }
    }

    fn constant(&self, id: &str) -> Result<Decimal, String> {
        self.params
            .get(id)
            .and_then(|p| p.value.as_ref())
            .map(|v| v.value)
            .ok_or_else(|| format!("parameter `{id}` is not a constant"))
    }

    fn duration(&self, d: &Duration) -> Result<Duration, String> {
        let Some(p) = &d.param else {
            return Ok(d.clone());
        };
        let param = self
            .params
            .get(p.value.as_str())
            .ok_or_else(|| format!("unknown parameter `{}`", p.value))?;
        let value = param
            .value
            .as_ref()
            .and_then(|v| v.value.to_i64())
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| format!("parameter `{}` is not a whole number", p.value))?;
        let mut out = Duration::default();
        match param.unit.as_deref() {
            Some("years" | "year" | "年") => out.years = value,
            Some("months" | "month" | "月" | "个月") => out.months = value,
            Some("days" | "day" | "日" | "天") => out.days = value,
            other => return Err(format!("duration unit {other:?}")),
        }
        Ok(out)
    }
}

/// A parameter value as a count, as hazcheck reads it: a value that is not
/// a whole number can never be reached.
fn whole(d: Decimal) -> u64 {
    d.to_i64().map_or(u64::MAX, |v| v.max(0) as u64)
}

/// Every member is not applicable (and there is one).
fn all_na(members: &[Tri]) -> B {
    if members.is_empty() {
        return B::Const(false);
    }
    and(members.iter().map(|m| m.n.clone()).collect())
}

/// The true and false formulas of "at least N of the members", where N is
/// only known to lie in `lo..=hi` (`lo == hi` when it is known): true when
/// `hi` members are true, false when fewer than `lo` are true or unknown;
/// neither when every member is not applicable.
fn count_tri(members: &[Tri], lo: u64, hi: u64) -> (B, B) {
    let len = members.len() as u64;
    let applicable = not(all_na(members));
    let t = and(vec![
        applicable.clone(),
        at_least(hi, members.iter().map(|m| m.t.clone()).collect()),
    ]);
    // Fewer than `lo` true or unknown: more than len - lo false or not
    // applicable.
    let f = if lo == 0 {
        B::Const(false)
    } else if lo > len {
        applicable
    } else {
        and(vec![
            applicable,
            at_least(
                len + 1 - lo,
                members
                    .iter()
                    .map(|m| or(vec![m.f.clone(), m.n.clone()]))
                    .collect(),
            ),
        ])
    };
    (t, f)
}
