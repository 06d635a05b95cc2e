//! Rendering the parts of a ruleset model on one line each, for the old
//! and new values of a [`super::Change`]: conditions close to how they are
//! written, bases as `document clause`, texts as `zh / en`, parameters
//! with their unit.

use std::fmt::Write as _;

use crate::date::Date;
use crate::model::{
    self, Basis, Condition, Count, Duration, Escalation, Exception, Factor, Literal, Operand,
    Parameter, Period, Text, Window,
};

/// Renders a condition on one line, close to how it is written:
/// `all(pit.depth >= param deep_pit, not(pit.monitoring is yes))`.
pub fn condition(c: &Condition) -> String {
    let list = |l: &[Condition]| l.iter().map(condition).collect::<Vec<_>>().join(", ");
    if let Some(l) = &c.all {
        return format!("all({})", list(l));
    }
    if let Some(l) = &c.any {
        return format!("any({})", list(l));
    }
    if let Some(x) = &c.not {
        return format!("not({})", condition(x));
    }
    if let Some(a) = &c.at_least {
        let n = match &a.n {
            Count::Fixed(n) => n.value.to_string(),
            Count::Param(p) => format!("param {}", p.param.value),
        };
        return format!("at least {n} of ({})", list(&a.of));
    }
    if let Some(r) = &c.rule {
        return format!("rule {}", r.value);
    }
    if let Some(p) = &c.previous {
        let overdue = if p.overdue { ", overdue" } else { "" };
        return format!("previous finding {}{overdue}", p.rule.value);
    }
    if let Some(s) = &c.script {
        return format!("script `{}`", s.value.trim());
    }
    if let Some(e) = &c.events {
        let kinds: Vec<&str> = e.kinds.iter().map(|k| k.value.as_str()).collect();
        let mut s = format!("events {}", kinds.join("|"));
        if let Some(v) = &e.min_value {
            let _ = write!(s, ", value >= {}", factor(v));
        }
        if let Some(d) = &e.not_handled_within {
            let _ = write!(s, ", not handled within {}", duration(d));
        }
        if let Some(d) = &e.since {
            let _ = write!(s, ", since {}", duration(d));
        }
        if let Some(n) = &e.at_least {
            let _ = write!(s, ", at least {}", n.value);
        }
        return s;
    }
    if let Some(r) = &c.inspection_date {
        return format!(
            "inspection date in {}..{}",
            opt_date(r.from.as_ref().map(|d| d.value)),
            opt_date(r.to.as_ref().map(|d| d.value))
        );
    }
    let subject = c
        .item
        .as_ref()
        .map_or_else(|| "inspection date".to_string(), |i| i.value.clone());
    let cmp = [
        ("=", &c.eq),
        ("!=", &c.ne),
        ("<", &c.lt),
        ("<=", &c.lte),
        (">", &c.gt),
        (">=", &c.gte),
    ];
    for (op, v) in cmp {
        if let Some(v) = v {
            return format!("{subject} {op} {}", operand(v));
        }
    }
    if let Some(b) = &c.is {
        return format!("{subject} is {}", yes_no(b.value));
    }
    if let Some(r) = &c.between {
        let lo = r.min.as_ref().map(operand);
        let hi = r.max.as_ref().map(operand);
        return format!(
            "{subject} in {}{}, {}{}",
            if r.min_exclusive { "(" } else { "[" },
            lo.as_deref().unwrap_or("-∞"),
            hi.as_deref().unwrap_or("∞"),
            if r.max_exclusive { ")" } else { "]" },
        );
    }
    if let Some(l) = &c.in_ {
        let l: Vec<&str> = l.iter().map(|o| o.value.as_str()).collect();
        return format!("{subject} in {{{}}}", l.join(", "));
    }
    if let Some(l) = &c.has_all {
        let l: Vec<&str> = l.iter().map(|o| o.value.as_str()).collect();
        return format!("{subject} has all {{{}}}", l.join(", "));
    }
    if let Some(m) = &c.matches {
        return format!("{subject} matches /{}/", m.value);
    }
    if let Some(d) = &c.older_than {
        return format!("{subject} older than {}", duration(d));
    }
    if let Some(d) = &c.due_within {
        return format!("{subject} due within {}", duration(d));
    }
    if let Some(b) = &c.before_inspection {
        let not = if b.value { "" } else { "not " };
        return format!("{subject} {not}before the inspection date");
    }
    if let Some(s) = &c.season {
        return match s {
            Window::Literal(s) => format!("{subject} in season {}..{}", s.from.value, s.to.value),
            Window::Param(p) => format!("{subject} in season {}", p.param.value),
        };
    }
    if let Some(t) = &c.time_between {
        return match t {
            Window::Literal(t) => format!("{subject} between {}..{}", t.from.value, t.to.value),
            Window::Param(p) => format!("{subject} between {}", p.param.value),
        };
    }
    if let Some(b) = &c.answered {
        let not = if b.value { "" } else { "not " };
        return format!("{subject} {not}answered");
    }
    if let Some(b) = &c.not_applicable {
        let not = if b.value { "" } else { "not " };
        return format!("{subject} is {not}n/a");
    }
    // A condition the loader accepted always has one of the operators
    // above; anything else is shown as written rather than hidden.
    serde_json::to_string(c).unwrap_or_default()
}

pub(super) fn text(t: &Text) -> String {
    match (&t.zh, &t.en) {
        (Some(zh), Some(en)) => format!("{zh} / {en}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => String::new(),
    }
}

pub(super) fn basis(b: &Basis) -> String {
    let flag = match b.verified {
        Some(true) => " (verified)",
        Some(false) => " (not verified)",
        None => "",
    };
    format!("{} {}{flag}", b.document.value, b.clause)
}

pub(super) fn bases(list: &[Basis]) -> String {
    if list.is_empty() {
        return "none".to_string();
    }
    list.iter().map(basis).collect::<Vec<_>>().join("; ")
}

pub(super) fn exception(e: &Exception) -> String {
    let mut s = format!("when {}", condition(&e.when));
    if let Some(b) = &e.basis {
        let _ = write!(s, ", basis {}", basis(b));
    }
    let _ = write!(s, ", reason {}", text(&e.reason));
    s
}

pub(super) fn escalations(list: &[Escalation]) -> String {
    if list.is_empty() {
        return "none".to_string();
    }
    list.iter()
        .map(|e| {
            let mut s = format!("to {} when {}", e.to.value.as_str(), condition(&e.when));
            if let Some(b) = &e.basis {
                let _ = write!(s, ", basis {}", basis(b));
            }
            if e.needs_confirmation {
                s.push_str(", needs confirmation");
            }
            let _ = write!(s, ", reason {}", text(&e.reason));
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn days(d: u32) -> String {
    if d == 1 {
        "1 day".to_string()
    } else {
        format!("{d} days")
    }
}

pub(super) fn bounds(i: &model::Item) -> String {
    let mut parts = Vec::new();
    if let Some(m) = &i.min {
        parts.push(format!("min {}", m.value));
    }
    if let Some(m) = &i.max {
        parts.push(format!("max {}", m.value));
    }
    if let Some(u) = &i.unit {
        parts.push(format!("unit {u}"));
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

pub(super) fn options(i: &model::Item) -> String {
    if i.options.is_empty() {
        return "none".to_string();
    }
    i.options
        .iter()
        .map(|o| format!("{} ({})", o.id.value, text(&o.label)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn parameter_value(p: &Parameter) -> String {
    let unit = p.unit.as_ref().map_or(String::new(), |u| format!(" {u}"));
    if let Some(v) = &p.value {
        return format!("{}{unit}", v.value);
    }
    if let Some(t) = &p.table {
        let mut rows: Vec<String> = t
            .values
            .iter()
            .map(|r| format!("{}={}", r.option.value, r.value.value))
            .collect();
        if let Some(d) = &t.default {
            rows.push(format!("otherwise {}", d.value));
        }
        return format!("by {}: {}{unit}", t.by.value, rows.join(", "));
    }
    if let Some(w) = &p.season {
        return format!("season {}..{}", w.from.value, w.to.value);
    }
    if let Some(w) = &p.time_window {
        return format!("daily {}..{}", w.from.value, w.to.value);
    }
    "none".to_string()
}

pub(super) fn period(p: &Period) -> String {
    format!(
        "{}..{}",
        p.from.value,
        p.to.as_ref().map_or(String::new(), |d| d.value.to_string())
    )
}

pub(super) fn deadlines(d: &model::Deadlines) -> String {
    let or_none = |d: Option<u32>| d.map_or_else(|| "none".to_string(), days);
    format!(
        "ordinary {}, major {}",
        or_none(d.ordinary),
        or_none(d.major)
    )
}

fn operand(o: &Operand) -> String {
    match o {
        Operand::Literal(l) => literal(&l.value),
        Operand::Ref(r) => {
            let base = match (&r.param, &r.item) {
                (Some(p), _) => format!("param {}", p.value),
                (None, Some(i)) => i.value.clone(),
                (None, None) => "?".to_string(),
            };
            match &r.factor {
                Some(f) => format!("{base} × {}", factor(f)),
                None => base,
            }
        }
    }
}

fn literal(l: &Literal) -> String {
    match l {
        Literal::Bool(b) => yes_no(*b).to_string(),
        Literal::Number(n) => n.to_string(),
        Literal::Str(s) => s.clone(),
    }
}

fn factor(f: &Factor) -> String {
    match f {
        Factor::Number(n) => n.value.to_string(),
        Factor::Param(p) => format!("param {}", p.param.value),
    }
}

fn duration(d: &Duration) -> String {
    if let Some(p) = &d.param {
        return format!("param {}", p.value);
    }
    let unit = |n: u32, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        unit(d.years, "year", "years"),
        unit(d.months, "month", "months"),
        unit(d.days, "day", "days"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "0 days".to_string()
    } else {
        parts.join(" ")
    }
}

fn opt_date(d: Option<Date>) -> String {
    d.map_or(String::new(), |d| d.to_string())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
