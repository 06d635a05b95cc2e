//! A direct interpreter of lowered formulas over `serde_json` inspections.
//!
//! The inspection generator uses it to decide which items apply while it
//! fills a checklist in; the differential check runs it as one more
//! independent evaluation of the same rules.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use crate::floor_rt::{self, Finding, Input, Level};
use crate::lower::{Atom, B, DateRhs, Lowered, NumRhs, Op};

/// Compiled regular expressions, by pattern.
#[derive(Default)]
pub struct Regexes(HashMap<String, Option<Regex>>);

impl Regexes {
    fn is_match(&mut self, pattern: &str, s: &str) -> bool {
        self.0
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(s))
    }
}

/// Evaluates a formula.
pub fn eval(b: &B, i: &Input<'_>, re: &mut Regexes) -> bool {
    match b {
        B::Const(v) => *v,
        B::And(list) => list.iter().all(|x| eval(x, i, re)),
        B::Or(list) => list.iter().any(|x| eval(x, i, re)),
        B::Not(x) => !eval(x, i, re),
        B::AtLeast(n, list) => {
            let mut yes = 0u64;
            list.iter().any(|x| {
                yes += u64::from(eval(x, i, re));
                yes >= *n
            })
        }
        B::Atom(a) => atom(a, i, re),
    }
}

/// The findings of a lowered ruleset, as (rule, level), sorted.
pub fn findings(l: &Lowered, i: &Input<'_>, re: &mut Regexes) -> Vec<(String, Level)> {
    let mut out: Vec<(String, Level)> = Vec::new();
    for r in &l.rules {
        if !eval(&r.fires, i, re) {
            continue;
        }
        let major = r.level == hazcheck::Level::Major || eval(&r.major_if, i, re);
        out.push((
            r.id.clone(),
            if major { Level::Major } else { Level::Ordinary },
        ));
    }
    out.sort();
    out
}

/// Floor findings as sorted (rule, level) pairs.
pub fn pairs(f: &[Finding]) -> Vec<(String, Level)> {
    let mut out: Vec<(String, Level)> = f.iter().map(|f| (f.rule.to_string(), f.level)).collect();
    out.sort();
    out
}

fn cmp<T: PartialOrd>(op: Op, x: T, y: T) -> bool {
    match op {
        Op::Lt => x < y,
        Op::Le => x <= y,
        Op::Gt => x > y,
        Op::Ge => x >= y,
        Op::Eq => x == y,
        Op::Ne => x != y,
    }
}

fn f(d: &str) -> f64 {
    d.parse().unwrap_or(f64::NAN)
}

fn atom(a: &Atom, i: &Input<'_>, re: &mut Regexes) -> bool {
    let ans = i.answers;
    match a {
        Atom::Na(k) => floor_rt::na(ans, k),
        Atom::Bool { item, value } => floor_rt::yes_no(ans, item) == Some(*value),
        Atom::Num { item, op, rhs } => {
            let Some(x) = floor_rt::num(ans, item) else {
                return false;
            };
            let y = match rhs {
                NumRhs::Lit(v) => Some(f(v)),
                NumRhs::Item { item: j, factor } => {
                    floor_rt::num(ans, j).map(|y| factor.as_ref().map_or(y, |k| y * f(k)))
                }
                NumRhs::Table {
                    by,
                    rows,
                    default,
                    factor,
                } => floor_rt::opt(ans, by)
                    .and_then(|o| {
                        rows.iter()
                            .find(|(r, _)| r == o)
                            .map(|(_, v)| f(v))
                            .or(default.as_ref().map(|d| f(d)))
                    })
                    .map(|y| factor.as_ref().map_or(y, |k| y * f(k))),
            };
            y.is_some_and(|y| cmp(*op, x, y))
        }
        Atom::Choice { item, set, member } => {
            floor_rt::opt(ans, item).is_some_and(|s| set.iter().any(|o| o == s) == *member)
        }
        Atom::Multi {
            item,
            set,
            all,
            holds,
        } => floor_rt::multi(ans, item).is_some_and(|l| {
            let has = |o: &String| l.iter().any(|v| v.as_str() == Some(o.as_str()));
            let r = if *all {
                set.iter().all(has)
            } else {
                set.iter().any(has)
            };
            r == *holds
        }),
        Atom::Text { item, value, eq } => {
            floor_rt::opt(ans, item).is_some_and(|s| (s == value) == *eq)
        }
        Atom::Matches {
            item,
            pattern,
            holds,
        } => floor_rt::opt(ans, item).is_some_and(|s| re.is_match(pattern, s) == *holds),
        Atom::Date { item, op, rhs } => {
            let Some(d) = floor_rt::opt(ans, item) else {
                return false;
            };
            let r = match rhs {
                DateRhs::Inspection => Some(i.date),
                DateRhs::Lit(l) => Some(l.as_str()),
                DateRhs::Item(j) => floor_rt::opt(ans, j),
            };
            r.is_some_and(|r| cmp(*op, d, r))
        }
        Atom::Older {
            item,
            years,
            months,
            days,
            holds,
        } => floor_rt::opt(ans, item).is_some_and(|d| {
            floor_rt::older(
                d,
                i64::from(*years),
                i64::from(*months),
                i64::from(*days),
                i.date,
            ) == *holds
        }),
        Atom::Previous { rule, overdue } => floor_rt::previous(i, rule, *overdue),
        Atom::InspectionDate { op, date } => cmp(*op, i.date, date.as_str()),
        Atom::Season {
            item,
            from,
            to,
            holds,
        } => {
            let d = match item {
                None => Some(i.date),
                Some(k) => floor_rt::opt(ans, k),
            };
            d.is_some_and(|d| floor_rt::in_season(d, from, to) == *holds)
        }
        Atom::Time {
            item,
            from,
            to,
            holds,
        } => floor_rt::opt(ans, item).is_some_and(|t| floor_rt::in_window(t, from, to) == *holds),
        Atom::Events(e) => {
            let kinds: Vec<&str> = e.kinds.iter().map(String::as_str).collect();
            let dur = |d: Option<(u32, u32, u32)>| {
                d.map(|(y, m, d)| (i64::from(y), i64::from(m), i64::from(d)))
            };
            let q = floor_rt::EventTest {
                kinds: &kinds,
                min_value: e.min_value.as_deref().map(f),
                within: dur(e.within),
                since: dur(e.since),
                at_least: u64::from(e.at_least),
            };
            floor_rt::events(i, &q, e.holds)
        }
    }
}

/// Whether a JSON value is a usable answer (not absent, not "n/a").
pub fn usable(v: Option<&Value>) -> bool {
    match v {
        None => false,
        Some(Value::String(s)) => !s.eq_ignore_ascii_case("n/a"),
        Some(_) => true,
    }
}
