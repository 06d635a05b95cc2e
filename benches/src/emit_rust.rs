//! Writes a lowered ruleset as straight-line Rust: the "hand-written"
//! floor of the comparison.
//!
//! The output is what a programmer would write for one fixed ruleset: one
//! `if` per rule over `serde_json` answers, with `&&`, `||` and `!`, a map
//! lookup per test and no interpretation at all. It is generated (by the
//! build script) rather than typed so that it follows every edit of the
//! shipped rulesets; the differential check in `report` shows that it
//! agrees with hazcheck. Used by build.rs through `#[path]`, so it needs
//! nothing but std and `lower`.

use std::fmt::Write;

use super::lower::{Atom, B, DateRhs, Lowered, NumRhs, patterns};

/// Static texts of a rule that the floor copies into its findings, so that
/// its serialized output carries what a report needs (rule, level, title,
/// basis) without evidence.
pub struct RuleText {
    /// The rule id.
    pub id: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Basis document id.
    pub document: String,
    /// Basis clause.
    pub clause: String,
}

/// The module for one ruleset version. `name` is a Rust identifier.
pub fn module(name: &str, l: &Lowered, texts: &[RuleText]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "/// {} {}: {} rules, written out by hand-style code.",
        l.id,
        l.version,
        l.rules.len()
    );
    let _ = writeln!(s, "pub mod {name} {{");
    let _ = writeln!(s, "    use crate::floor_rt::*;");
    let pats = patterns(l);
    for (i, p) in pats.iter().enumerate() {
        let _ = writeln!(
            s,
            "    static RE_{i}: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| regex::Regex::new({p:?}).ok());"
        );
    }
    let _ = writeln!(s, "    /// Appends the findings of one inspection.");
    let _ = writeln!(
        s,
        "    pub fn evaluate(i: &Input<'_>, out: &mut Vec<Finding>) {{"
    );
    let _ = writeln!(s, "        let a = i.answers;");
    for (k, r) in l.rules.iter().enumerate() {
        let text = texts.iter().find(|t| t.id == r.id);
        let fires = expr(&r.fires, &pats);
        let level = match r.level {
            hazcheck::Level::Major => "Level::Major".to_string(),
            hazcheck::Level::Ordinary => format!(
                "if {} {{ Level::Major }} else {{ Level::Ordinary }}",
                expr(&r.major_if, &pats)
            ),
        };
        let _ = writeln!(s, "        // rule {k}: {}", r.id);
        let _ = writeln!(s, "        if {fires} {{");
        let _ = writeln!(
            s,
            "            out.push(Finding {{ rule: {:?}, level: {level}, title_zh: {:?}, title_en: {:?}, document: {:?}, clause: {:?} }});",
            r.id,
            text.map_or("", |t| t.title_zh.as_str()),
            text.map_or("", |t| t.title_en.as_str()),
            text.map_or("", |t| t.document.as_str()),
            text.map_or("", |t| t.clause.as_str()),
        );
        let _ = writeln!(s, "        }}");
    }
    let _ = writeln!(s, "        let _ = a;");
    let _ = writeln!(s, "    }}");
    let _ = writeln!(s, "}}");
    s
}

fn expr(b: &B, pats: &[String]) -> String {
    match b {
        B::Const(v) => v.to_string(),
        B::And(list) => format!(
            "({})",
            list.iter()
                .map(|x| expr(x, pats))
                .collect::<Vec<_>>()
                .join(" && ")
        ),
        B::Or(list) => format!(
            "({})",
            list.iter()
                .map(|x| expr(x, pats))
                .collect::<Vec<_>>()
                .join(" || ")
        ),
        B::Not(x) => format!("!{}", expr(x, pats)),
        // Counted as a programmer would: one flag per member, summed.
        B::AtLeast(n, list) => format!(
            "({} >= {n})",
            list.iter()
                .map(|x| format!("u32::from({})", expr(x, pats)))
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        B::Atom(a) => atom(a, pats),
    }
}

fn float(d: &str) -> String {
    if d.contains('.') {
        format!("{d}_f64")
    } else {
        format!("{d}.0_f64")
    }
}

fn scaled(v: &str, factor: &Option<String>) -> String {
    match factor {
        Some(f) => format!("{v} * {}", float(f)),
        None => v.to_string(),
    }
}

fn set_pattern(set: &[String]) -> String {
    set.iter()
        .map(|o| format!("{o:?}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn atom(a: &Atom, pats: &[String]) -> String {
    match a {
        Atom::Na(k) => format!("na(a, {k:?})"),
        Atom::Bool { item, value } => format!("(yes_no(a, {item:?}) == Some({value}))"),
        Atom::Num { item, op, rhs } => {
            let op = op.symbol();
            match rhs {
                NumRhs::Lit(v) => format!("num(a, {item:?}).is_some_and(|x| x {op} {})", float(v)),
                NumRhs::Item { item: j, factor } => format!(
                    "(match (num(a, {item:?}), num(a, {j:?})) {{ (Some(x), Some(y)) => x {op} {}, _ => false }})",
                    scaled("y", factor)
                ),
                NumRhs::Table {
                    by,
                    rows,
                    default,
                    factor,
                } => {
                    let mut arms = String::new();
                    for (o, v) in rows {
                        let _ = write!(arms, "{o:?} => Some({}), ", float(v));
                    }
                    let _ = write!(
                        arms,
                        "_ => {}",
                        default
                            .as_ref()
                            .map_or("None".to_string(), |d| format!("Some({})", float(d)))
                    );
                    format!(
                        "(match (num(a, {item:?}), opt(a, {by:?})) {{ (Some(x), Some(o)) => (match o {{ {arms} }}).is_some_and(|y: f64| x {op} {}), _ => false }})",
                        scaled("y", factor)
                    )
                }
            }
        }
        Atom::Choice { item, set, member } => format!(
            "opt(a, {item:?}).is_some_and(|s| {}matches!(s, {}))",
            if *member { "" } else { "!" },
            set_pattern(set)
        ),
        Atom::Multi {
            item,
            set,
            all,
            holds,
        } => {
            let test = if *all {
                format!(
                    "[{}].iter().all(|o| l.iter().any(|v| v.as_str() == Some(o)))",
                    set.iter()
                        .map(|o| format!("{o:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!(
                    "l.iter().any(|v| matches!(v.as_str(), Some({})))",
                    set_pattern(set)
                )
            };
            format!("multi(a, {item:?}).is_some_and(|l| ({test}) == {holds})")
        }
        Atom::Text { item, value, eq } => {
            format!("opt(a, {item:?}).is_some_and(|s| (s == {value:?}) == {eq})")
        }
        Atom::Matches {
            item,
            pattern,
            holds,
        } => {
            let i = pats.iter().position(|p| p == pattern).unwrap_or(0);
            format!("opt(a, {item:?}).is_some_and(|s| matches_re(&RE_{i}, s) == {holds})")
        }
        Atom::Date { item, op, rhs } => {
            let op = op.symbol();
            match rhs {
                DateRhs::Inspection => format!("opt(a, {item:?}).is_some_and(|d| d {op} i.date)"),
                DateRhs::Lit(l) => format!("opt(a, {item:?}).is_some_and(|d| d {op} {l:?})"),
                DateRhs::Item(j) => format!(
                    "(match (opt(a, {item:?}), opt(a, {j:?})) {{ (Some(x), Some(y)) => x {op} y, _ => false }})"
                ),
            }
        }
        Atom::Older {
            item,
            years,
            months,
            days,
            holds,
        } => format!(
            "opt(a, {item:?}).is_some_and(|d| older(d, {years}, {months}, {days}, i.date) == {holds})"
        ),
        Atom::Previous { rule, overdue } => format!("previous(i, {rule:?}, {overdue})"),
        Atom::InspectionDate { op, date } => format!("(i.date {} {date:?})", op.symbol()),
        Atom::Season {
            item: None,
            from,
            to,
            holds,
        } => format!("(in_season(i.date, {from:?}, {to:?}) == {holds})"),
        Atom::Season {
            item: Some(item),
            from,
            to,
            holds,
        } => format!("opt(a, {item:?}).is_some_and(|d| in_season(d, {from:?}, {to:?}) == {holds})"),
        Atom::Time {
            item,
            from,
            to,
            holds,
        } => format!("opt(a, {item:?}).is_some_and(|t| in_window(t, {from:?}, {to:?}) == {holds})"),
        Atom::Events(e) => {
            let dur = |d: Option<(u32, u32, u32)>| {
                d.map_or("None".to_string(), |(y, m, d)| {
                    format!("Some(({y}, {m}, {d}))")
                })
            };
            format!(
                "events(i, &EventTest {{ kinds: &[{}], min_value: {}, within: {}, since: {}, at_least: {} }}, {})",
                e.kinds
                    .iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                e.min_value
                    .as_ref()
                    .map_or("None".to_string(), |v| format!("Some({})", float(v))),
                dur(e.within),
                dur(e.since),
                e.at_least,
                e.holds
            )
        }
    }
}
