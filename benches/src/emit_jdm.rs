//! Writes a lowered ruleset as a JDM decision graph, for zen-engine.
//!
//! The graph is input → one expression node → output. The expression node
//! has one expression per rule, `rN`, whose value is `"major"`,
//! `"ordinary"` or `null`: the rule's level when it produces a finding. A
//! decision table would need one row per alternative of every rule and
//! could not express the nesting; zen's expression language can, with
//! `and`, `or`, `not`, `in`, `some` and `matches`.

use serde_json::{Value, json};

use crate::lower::{Atom, B, DateRhs, Lowered, NumRhs};

/// The decision graph.
pub fn decision(l: &Lowered) -> Result<Value, String> {
    let mut expressions = Vec::new();
    for (k, r) in l.rules.iter().enumerate() {
        let fires = expr(&r.fires)?;
        let level = match r.level {
            hazcheck::Level::Major => "'major'".to_string(),
            hazcheck::Level::Ordinary => {
                format!("({}) ? 'major' : 'ordinary'", expr(&r.major_if)?)
            }
        };
        expressions.push(json!({
            "id": format!("e{k}"),
            "key": format!("r{k}"),
            "value": format!("({fires}) ? ({level}) : null"),
        }));
    }
    Ok(json!({
        "nodes": [
            {"id": "in", "name": "request", "type": "inputNode", "content": {}},
            {"id": "rules", "name": "rules", "type": "expressionNode", "content": {"expressions": expressions}},
            {"id": "out", "name": "response", "type": "outputNode", "content": {}}
        ],
        "edges": [
            {"id": "e-in", "sourceId": "in", "targetId": "rules"},
            {"id": "e-out", "sourceId": "rules", "targetId": "out"}
        ]
    }))
}

fn expr(b: &B) -> Result<String, String> {
    Ok(match b {
        B::Const(v) => v.to_string(),
        B::And(list) => format!(
            "({})",
            list.iter()
                .map(expr)
                .collect::<Result<Vec<_>, _>>()?
                .join(" and ")
        ),
        B::Or(list) => format!(
            "({})",
            list.iter()
                .map(expr)
                .collect::<Result<Vec<_>, _>>()?
                .join(" or ")
        ),
        B::Not(x) => format!("not ({})", expr(x)?),
        B::AtLeast(n, list) => expr(&crate::lower::expand(*n, list))?,
        B::Atom(a) => atom(a)?,
    })
}

/// A string literal; zen strings have no escapes, so quotes cannot occur.
fn lit(s: &str) -> Result<String, String> {
    if s.contains('\'') {
        return Err(format!("a quote in {s:?}"));
    }
    Ok(format!("'{s}'"))
}

fn ans(k: &str) -> Result<String, String> {
    Ok(format!("answers[{}]", lit(k)?))
}

/// A string answer other than "n/a".
fn is_str(x: &str) -> String {
    format!("(type({x}) == 'string' and {x} != 'n/a')")
}

fn list(s: &[String]) -> Result<String, String> {
    Ok(format!(
        "[{}]",
        s.iter()
            .map(|o| lit(o))
            .collect::<Result<Vec<_>, _>>()?
            .join(", ")
    ))
}

fn scaled(v: String, factor: &Option<String>) -> String {
    match factor {
        Some(f) => format!("{v} * {f}"),
        None => v,
    }
}

/// `MM-DD` as MM * 100 + DD (or `HH:MM` as HH * 100 + MM).
fn number_of(s: &str, sep: char) -> Result<u32, String> {
    let (a, b) = s
        .split_once(sep)
        .ok_or_else(|| format!("not a window end: {s:?}"))?;
    let parse = |v: &str| v.parse::<u32>().map_err(|e| format!("{s:?}: {e}"));
    Ok(parse(a)? * 100 + parse(b)?)
}

/// `HH:MM` as minutes from midnight.
fn minutes_of(s: &str) -> Result<u32, String> {
    let n = number_of(s, ':')?;
    Ok(n / 100 * 60 + n % 100)
}

/// `x` in the window from `f` to `t` (crossing over when `f > t`); the end
/// is included for yearly windows, excluded for daily ones.
fn window(x: &str, f: u32, t: u32, inclusive: bool) -> String {
    let below = if inclusive { "<=" } else { "<" };
    if f <= t {
        format!("{x} >= {f} and {x} {below} {t}")
    } else {
        format!("{x} >= {f} or {x} {below} {t}")
    }
}

fn atom(a: &Atom) -> Result<String, String> {
    Ok(match a {
        Atom::Na(k) => {
            let x = ans(k)?;
            format!("({x} == null or {x} == 'n/a')")
        }
        Atom::Bool { item, value } => format!("{} == {value}", ans(item)?),
        Atom::Num { item, op, rhs } => {
            let x = ans(item)?;
            let op = op.symbol();
            match rhs {
                NumRhs::Lit(v) => format!("(type({x}) == 'number' and {x} {op} {v})"),
                NumRhs::Item { item: j, factor } => {
                    let y = ans(j)?;
                    format!(
                        "(type({x}) == 'number' and type({y}) == 'number' and {x} {op} {})",
                        scaled(y.clone(), factor)
                    )
                }
                NumRhs::Table {
                    by,
                    rows,
                    default,
                    factor,
                } => {
                    let b = ans(by)?;
                    let mut alts = Vec::new();
                    for (o, v) in rows {
                        alts.push(format!(
                            "({b} == {} and {x} {op} {})",
                            lit(o)?,
                            scaled(v.clone(), factor)
                        ));
                    }
                    if let Some(d) = default {
                        alts.push(format!(
                            "({} and not ({b} in {}) and {x} {op} {})",
                            is_str(&b),
                            list(&rows.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>())?,
                            scaled(d.clone(), factor)
                        ));
                    }
                    format!("(type({x}) == 'number' and ({}))", alts.join(" or "))
                }
            }
        }
        Atom::Choice { item, set, member } => {
            let x = ans(item)?;
            if *member {
                format!("({x} in {})", list(set)?)
            } else {
                format!("({} and not ({x} in {}))", is_str(&x), list(set)?)
            }
        }
        Atom::Multi {
            item,
            set,
            all,
            holds,
        } => {
            let x = ans(item)?;
            let test = if *all {
                format!("all({}, # in {x})", list(set)?)
            } else {
                format!("some({x}, # in {})", list(set)?)
            };
            format!(
                "(type({x}) == 'array' and {}({test}))",
                if *holds { "" } else { "not " }
            )
        }
        Atom::Text { item, value, eq } => {
            let x = ans(item)?;
            format!(
                "({} and {x} {} {})",
                is_str(&x),
                if *eq { "==" } else { "!=" },
                lit(value)?
            )
        }
        Atom::Matches {
            item,
            pattern,
            holds,
        } => {
            let x = ans(item)?;
            format!(
                "({} and {}matches({x}, {}))",
                is_str(&x),
                if *holds { "" } else { "not " },
                lit(pattern)?
            )
        }
        Atom::Date { item, op, rhs } => {
            let x = ans(item)?;
            let (r, guard) = match rhs {
                DateRhs::Inspection => ("d(date)".to_string(), String::new()),
                DateRhs::Lit(l) => (format!("d({})", lit(l)?), String::new()),
                DateRhs::Item(j) => {
                    let y = ans(j)?;
                    (format!("d({y})"), format!(" and {}", is_str(&y)))
                }
            };
            let cmp = match op.symbol() {
                "==" => format!("d({x}).isSame({r}, 'day')"),
                "!=" => format!("not d({x}).isSame({r}, 'day')"),
                s => format!("d({x}) {s} {r}"),
            };
            format!("({}{guard} and {cmp})", is_str(&x))
        }
        Atom::Older {
            item,
            years,
            months,
            days,
            holds,
        } => {
            let x = ans(item)?;
            // Years are added as twelve months each: zen's `add(n, 'y')`
            // gives "Invalid date" from a 29 February (which then compares
            // before any date), where months move to the month's last day
            // as hazcheck does.
            format!(
                "({} and {}(d({x}).add({}, 'M').add({months}, 'M').add({days}, 'd') < d(date)))",
                is_str(&x),
                if *holds { "" } else { "not " },
                12 * u64::from(*years)
            )
        }
        Atom::Previous { rule, overdue } => {
            let test = if *overdue {
                format!("#.rule == {} and d(#.due) < d(date)", lit(rule)?)
            } else {
                format!("#.rule == {}", lit(rule)?)
            };
            format!("(type(previous) == 'object' and some(previous.findings, {test}))")
        }
        Atom::InspectionDate { op, date } => {
            format!("(d(date) {} d({}))", op.symbol(), lit(date)?)
        }
        Atom::Season {
            item,
            from,
            to,
            holds,
        } => {
            // Strings do not compare in zen: MM-DD becomes MM * 100 + DD,
            // from slices (inclusive ends) of the date text.
            let (x, guard) = match item {
                None => ("date".to_string(), String::new()),
                Some(k) => {
                    let x = ans(k)?;
                    let g = format!("{} and ", is_str(&x));
                    (x, g)
                }
            };
            let day = format!("(number({x}[5:6]) * 100 + number({x}[8:9]))");
            let test = window(&day, number_of(from, '-')?, number_of(to, '-')?, true);
            format!("({guard}{}({test}))", if *holds { "" } else { "not " })
        }
        Atom::Time {
            item,
            from,
            to,
            holds,
        } => {
            let x = ans(item)?;
            let minute = format!("(number({x}[0:1]) * 60 + number({x}[3:4]))");
            let (f, t) = (minutes_of(from)?, minutes_of(to)?);
            let test = window(&minute, f, t, false);
            format!(
                "({} and {}({test}))",
                is_str(&x),
                if *holds { "" } else { "not " }
            )
        }
        Atom::Events(_) => return Err("event histories".into()),
    })
}
