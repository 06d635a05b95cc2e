//! Writes a lowered ruleset as a Rego policy, for regorus.
//!
//! Each rule becomes a boolean rule `fires_N` (one body per alternative, as
//! Rego expresses "or") and, for ordinary rules that escalate, `major_N`;
//! `findings` collects `[rule, level]` pairs. Nested alternatives and
//! negations get helper rules, the way a Rego author would factor them.
//! Answers are read as `input.answers["item.id"]`; a number test first
//! checks `is_number`, because Rego orders values of different types.

use std::fmt::Write;

use crate::lower::{Atom, B, DateRhs, Lowered, NumRhs};

/// The package name of generated policies.
pub const PACKAGE: &str = "hz";

/// The rule to evaluate.
pub const QUERY: &str = "data.hz.findings";

const PRELUDE: &str = r#"package hz

import rego.v1

a := input.answers

# The item has no usable answer: absent, or "n/a".
na(k) if not has_answer(k)

na(k) if a[k] == "n/a"

has_answer(k) if {
	_ = a[k]
}

# A string answer other than "n/a".
str(k) := s if {
	s := a[k]
	is_string(s)
	s != "n/a"
}

overlaps(l, set) if {
	some v in l
	v in set
}

contains_all(l, set) if {
	every o in set {
		o in l
	}
}

# Two digits as a number; regorus's to_number rejects a leading zero, as
# JSON does, so "08" is read as 108 - 100.
two(s) := to_number(concat("", ["1", s])) - 100

# YYYY-MM-DD as a number, for date arithmetic without the time builtins.
day_key(d) := ((to_number(substring(d, 0, 4)) * 100) + two(substring(d, 5, 2))) * 100 + two(substring(d, 8, 2))

# The date plus years and months is before the inspection date. A day that
# does not exist in the target month compares like the month's last day.
older(d, y, m) if {
	t := ((to_number(substring(d, 0, 4)) + y) * 12 + two(substring(d, 5, 2))) - 1 + m
	ny := floor(t / 12)
	nm := (t - ny * 12) + 1
	(ny * 100 + nm) * 100 + two(substring(d, 8, 2)) < day_key(input.date)
}

# A YYYY-MM-DD date in a yearly window of MM-DD days, both ends included;
# from later than to crosses New Year.
in_season(d, from, to) if {
	from <= to
	md := substring(d, 5, 5)
	md >= from
	md <= to
}

in_season(d, from, to) if {
	from > to
	substring(d, 5, 5) >= from
}

in_season(d, from, to) if {
	from > to
	substring(d, 5, 5) <= to
}

# An HH:MM time in a daily window, from included, to excluded; from later
# than to crosses midnight.
in_window(t, from, to) if {
	from <= to
	t >= from
	t < to
}

in_window(t, from, to) if {
	from > to
	t >= from
}

in_window(t, from, to) if {
	from > to
	t < to
}

previous(rule) if {
	some f in input.previous.findings
	f.rule == rule
}

previous_overdue(rule) if {
	some f in input.previous.findings
	f.rule == rule
	f.due < input.date
}
"#;

/// The whole policy. Fails on what this writer does not express in Rego
/// (day durations, event histories).
pub fn policy(l: &Lowered) -> Result<String, String> {
    let mut w = Writer {
        out: String::from(PRELUDE),
        aux: 0,
    };
    for (k, r) in l.rules.iter().enumerate() {
        w.rule(&format!("fires_{k}"), &r.fires)?;
        let _ = writeln!(w.out);
        match r.level {
            hazcheck::Level::Major => {
                let _ = writeln!(
                    w.out,
                    "findings contains [{:?}, \"major\"] if fires_{k}\n",
                    r.id
                );
            }
            hazcheck::Level::Ordinary => {
                w.rule(&format!("major_{k}"), &r.major_if)?;
                let _ = writeln!(
                    w.out,
                    "findings contains [{id:?}, \"major\"] if {{\n\tfires_{k}\n\tmajor_{k}\n}}\n\nfindings contains [{id:?}, \"ordinary\"] if {{\n\tfires_{k}\n\tnot major_{k}\n}}\n",
                    id = r.id
                );
            }
        }
    }
    Ok(w.out)
}

struct Writer {
    out: String,
    aux: usize,
}

impl Writer {
    /// Defines boolean rule `name` to hold exactly when `b` does.
    fn rule(&mut self, name: &str, b: &B) -> Result<(), String> {
        let bodies: Vec<Vec<String>> = match b {
            B::Or(list) => list
                .iter()
                .map(|x| self.body(x))
                .collect::<Result<_, _>>()?,
            other => vec![self.body(other)?],
        };
        for body in bodies {
            let _ = writeln!(self.out, "{name} if {{\n\t{}\n}}", body.join("\n\t"));
        }
        Ok(())
    }

    /// The statements of one rule body for a conjunction.
    fn body(&mut self, b: &B) -> Result<Vec<String>, String> {
        Ok(match b {
            B::Const(true) => vec!["true".into()],
            B::Const(false) => vec!["false".into()],
            B::And(list) => {
                let mut out = Vec::new();
                for x in list {
                    out.extend(self.body(x)?);
                }
                out
            }
            B::Or(_) => vec![self.helper(b)?],
            // Counted as a Rego author would: one boolean rule per member
            // (false by default), and the true ones counted.
            B::AtLeast(n, list) => {
                let mut flags = Vec::new();
                for m in list {
                    let name = self.helper(m)?;
                    let _ = writeln!(self.out, "default {name} := false\n");
                    flags.push(name);
                }
                let v = self.var();
                vec![format!(
                    "count([{v} | some {v} in [{}]; {v}]) >= {n}",
                    flags.join(", ")
                )]
            }
            B::Not(x) => match x.as_ref() {
                B::Atom(a) if single(a) => vec![format!("not {}", self.atom(a)?.join("; "))],
                other => vec![format!("not {}", self.helper(other)?)],
            },
            B::Atom(a) => self.atom(a)?,
        })
    }

    /// `test(answer, from, to)` on an item's string answer, or its negation
    /// (which still needs the answer).
    fn window(&mut self, test: &str, item: &str, from: &str, to: &str, holds: bool) -> Vec<String> {
        let v = self.var();
        vec![
            format!("{v} := str({item:?})"),
            format!(
                "{}{test}({v}, {from:?}, {to:?})",
                if holds { "" } else { "not " }
            ),
        ]
    }

    /// A fresh local variable name.
    fn var(&mut self) -> String {
        self.aux += 1;
        format!("v{}", self.aux)
    }

    fn helper(&mut self, b: &B) -> Result<String, String> {
        self.aux += 1;
        let name = format!("h_{}", self.aux);
        let mut inner = Writer {
            out: String::new(),
            aux: self.aux,
        };
        inner.rule(&name, b)?;
        self.aux = inner.aux;
        self.out.push_str(&inner.out);
        Ok(name)
    }
}

/// Whether an atom is one expression (and so can follow `not`).
fn single(a: &Atom) -> bool {
    matches!(
        a,
        Atom::Na(_)
            | Atom::Bool { .. }
            | Atom::Previous { .. }
            | Atom::Season {
                item: None,
                holds: true,
                ..
            }
    )
}

fn num(v: &str, factor: &Option<String>) -> String {
    match factor {
        Some(f) => format!("{v} * {f}"),
        None => v.to_string(),
    }
}

fn set(s: &[String]) -> String {
    format!(
        "{{{}}}",
        s.iter()
            .map(|o| format!("{o:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Writer {
    fn atom(&mut self, a: &Atom) -> Result<Vec<String>, String> {
        Ok(match a {
            Atom::Na(k) => vec![format!("na({k:?})")],
            Atom::Bool { item, value } => vec![format!("a[{item:?}] == {value}")],
            Atom::Num { item, op, rhs } => {
                let x = format!("a[{item:?}]");
                let mut out = vec![format!("is_number({x})")];
                let op = op.symbol();
                match rhs {
                    NumRhs::Lit(v) => out.push(format!("{x} {op} {v}")),
                    NumRhs::Item { item: j, factor } => {
                        let y = format!("a[{j:?}]");
                        out.push(format!("is_number({y})"));
                        out.push(format!("{x} {op} {}", num(&y, factor)));
                    }
                    NumRhs::Table {
                        by,
                        rows,
                        default,
                        factor,
                    } => {
                        let table = format!(
                            "{{{}}}",
                            rows.iter()
                                .map(|(o, v)| format!("{o:?}: {v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        let lookup = match default {
                            Some(d) => format!("object.get({table}, str({by:?}), {d})"),
                            None => format!("{table}[str({by:?})]"),
                        };
                        out.push(format!("{x} {op} {}", num(&lookup, factor)));
                    }
                }
                out
            }
            Atom::Choice {
                item,
                set: s,
                member,
            } => {
                if *member {
                    vec![format!("str({item:?}) in {}", set(s))]
                } else {
                    let v = self.var();
                    vec![
                        format!("{v} := str({item:?})"),
                        format!("not {v} in {}", set(s)),
                    ]
                }
            }
            Atom::Multi {
                item,
                set: s,
                all,
                holds,
            } => {
                let f = if *all { "contains_all" } else { "overlaps" };
                vec![
                    format!("is_array(a[{item:?}])"),
                    format!(
                        "{}{f}(a[{item:?}], {})",
                        if *holds { "" } else { "not " },
                        set(s)
                    ),
                ]
            }
            Atom::Text { item, value, eq } => vec![format!(
                "str({item:?}) {} {value:?}",
                if *eq { "==" } else { "!=" }
            )],
            Atom::Matches {
                item,
                pattern,
                holds,
            } => {
                let v = self.var();
                vec![
                    format!("{v} := str({item:?})"),
                    format!(
                        "{}regex.match({pattern:?}, {v})",
                        if *holds { "" } else { "not " }
                    ),
                ]
            }
            Atom::Date { item, op, rhs } => {
                let r = match rhs {
                    DateRhs::Inspection => "input.date".to_string(),
                    DateRhs::Lit(l) => format!("{l:?}"),
                    DateRhs::Item(j) => format!("str({j:?})"),
                };
                vec![format!("str({item:?}) {} {r}", op.symbol())]
            }
            Atom::Older {
                item,
                years,
                months,
                days,
                holds,
            } => {
                if *days != 0 {
                    return Err("durations in days".into());
                }
                let v = self.var();
                vec![
                    format!("{v} := str({item:?})"),
                    format!(
                        "{}older({v}, {years}, {months})",
                        if *holds { "" } else { "not " }
                    ),
                ]
            }
            Atom::Previous { rule, overdue } => vec![if *overdue {
                format!("previous_overdue({rule:?})")
            } else {
                format!("previous({rule:?})")
            }],
            Atom::InspectionDate { op, date } => {
                vec![format!("input.date {} {date:?}", op.symbol())]
            }
            Atom::Season {
                item: None,
                from,
                to,
                holds,
            } => vec![format!(
                "{}in_season(input.date, {from:?}, {to:?})",
                if *holds { "" } else { "not " }
            )],
            Atom::Season {
                item: Some(item),
                from,
                to,
                holds,
            } => self.window("in_season", item, from, to, *holds),
            Atom::Time {
                item,
                from,
                to,
                holds,
            } => self.window("in_window", item, from, to, *holds),
            Atom::Events(_) => return Err("event histories".into()),
        })
    }
}
