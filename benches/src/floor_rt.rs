//! The few helpers the generated hand-style Rust calls: typed reads of one
//! answer from a `serde_json` object, and two date tests.

use serde::Serialize;
use serde_json::{Map, Value};

/// One inspection as the floor reads it: borrowed from the parsed JSON.
pub struct Input<'a> {
    /// The answers object.
    pub answers: &'a Map<String, Value>,
    /// The inspection date, `YYYY-MM-DD`.
    pub date: &'a str,
    /// The previous inspection's findings.
    pub previous: &'a [Value],
    /// The site's event history, when the inspection carries one.
    pub events: Option<&'a [Value]>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Input<'a> {
    /// Borrows the parts of a parsed inspection; `None` without a date.
    pub fn new(v: &'a Value) -> Option<Input<'a>> {
        Some(Input {
            answers: v
                .get("answers")
                .and_then(Value::as_object)
                .unwrap_or(&EMPTY),
            date: v.get("date")?.as_str()?,
            previous: v
                .get("previous")
                .and_then(|p| p.get("findings"))
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice),
            events: v.get("events").and_then(Value::as_array).map(Vec::as_slice),
        })
    }
}

/// The level of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 一般事故隐患.
    Ordinary,
    /// 重大事故隐患.
    Major,
}

/// A finding of the floor: what a hand-written checker would report.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The rule id.
    pub rule: &'static str,
    /// The level reached.
    pub level: Level,
    /// Chinese title.
    pub title_zh: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Basis document id.
    pub document: &'static str,
    /// Basis clause.
    pub clause: &'static str,
}

/// Whether the item has no usable answer (absent, or "n/a").
#[inline]
pub fn na(a: &Map<String, Value>, k: &str) -> bool {
    match a.get(k) {
        None => true,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("n/a"),
        Some(_) => false,
    }
}

/// A yes/no answer.
#[inline]
pub fn yes_no(a: &Map<String, Value>, k: &str) -> Option<bool> {
    a.get(k)?.as_bool()
}

/// A number answer.
#[inline]
pub fn num(a: &Map<String, Value>, k: &str) -> Option<f64> {
    a.get(k)?.as_f64()
}

/// A string answer other than "n/a" (an option, a text, a date).
#[inline]
pub fn opt<'a>(a: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    a.get(k)?
        .as_str()
        .filter(|s| !s.eq_ignore_ascii_case("n/a"))
}

/// A list answer.
#[inline]
pub fn multi<'a>(a: &'a Map<String, Value>, k: &str) -> Option<&'a Vec<Value>> {
    a.get(k)?.as_array()
}

/// Whether a compiled pattern matches.
#[inline]
pub fn matches_re(re: &Option<regex::Regex>, s: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(s))
}

/// Whether `date` plus the duration is before `today`.
pub fn older(date: &str, years: i64, months: i64, days: i64, today: &str) -> bool {
    let (Ok(d), Ok(t)) = (hazcheck::Date::parse(date), hazcheck::Date::parse(today)) else {
        return false;
    };
    d.add_years(years)
        .and_then(|d| d.add_months(months))
        .and_then(|d| d.add_days(days))
        .is_some_and(|limit| limit < t)
}

/// Whether a `YYYY-MM-DD` date falls in the yearly window `from..=to` of
/// `MM-DD` days (crossing New Year when `from` is later than `to`).
#[inline]
pub fn in_season(date: &str, from: &str, to: &str) -> bool {
    let day = date.get(5..).unwrap_or("");
    if from <= to {
        from <= day && day <= to
    } else {
        day >= from || day <= to
    }
}

/// Whether an `HH:MM` time falls in the daily window `from..to` (crossing
/// midnight when `from` is later than `to`; empty when they are equal).
#[inline]
pub fn in_window(time: &str, from: &str, to: &str) -> bool {
    if from <= to {
        from <= time && time < to
    } else {
        time >= from || time < to
    }
}

/// An `events` condition, as a hand-written checker would test it.
pub struct EventTest<'q> {
    /// The kinds that count.
    pub kinds: &'q [&'q str],
    /// Only events with at least this value.
    pub min_value: Option<f64>,
    /// Not handled within (years, months, days) of the event.
    pub within: Option<(i64, i64, i64)>,
    /// Only events this long before the inspection date or later.
    pub since: Option<(i64, i64, i64)>,
    /// How many make the condition hold.
    pub at_least: u64,
}

fn shift(d: hazcheck::Date, (y, m, days): (i64, i64, i64), sign: i64) -> Option<hazcheck::Date> {
    d.add_years(sign * y)?
        .add_months(sign * m)?
        .add_days(sign * days)
}

/// With `holds`, whether the history has at least `at_least` events that
/// surely count; without, whether it has fewer than that even counting the
/// events that lack the value `min_value` needs. False without a history.
pub fn events(i: &Input<'_>, q: &EventTest<'_>, holds: bool) -> bool {
    let Some(list) = i.events else {
        return false;
    };
    let Ok(today) = hazcheck::Date::parse(i.date) else {
        return false;
    };
    let since = q.since.and_then(|d| shift(today, d, -1));
    let (mut sure, mut unsure) = (0u64, 0u64);
    for e in list {
        let Some(kind) = e.get("kind").and_then(Value::as_str) else {
            continue;
        };
        let Some(Ok(date)) = e
            .get("date")
            .and_then(Value::as_str)
            .map(hazcheck::Date::parse)
        else {
            continue;
        };
        if !q.kinds.contains(&kind) || date > today || since.is_some_and(|s| date < s) {
            continue;
        }
        let value = e.get("value").and_then(Value::as_f64);
        if let (Some(min), Some(v)) = (q.min_value, value)
            && v < min
        {
            continue;
        }
        let handled = e
            .get("handled")
            .and_then(Value::as_str)
            .and_then(|h| hazcheck::Date::parse(h).ok());
        let late = match q.within {
            Some(d) => match shift(date, d, 1) {
                Some(deadline) if deadline >= today => false,
                Some(deadline) => handled.is_none_or(|h| h > deadline),
                None => false,
            },
            None => handled.is_none_or(|h| h > today),
        };
        if !late {
            continue;
        }
        if q.min_value.is_some() && value.is_none() {
            unsure += 1;
        } else {
            sure += 1;
        }
    }
    if holds {
        sure >= q.at_least
    } else {
        sure + unsure < q.at_least
    }
}

/// Whether the previous inspection recorded a finding of `rule` (past its
/// due date, with `overdue`).
pub fn previous(i: &Input<'_>, rule: &str, overdue: bool) -> bool {
    i.previous.iter().any(|f| {
        f.get("rule").and_then(Value::as_str) == Some(rule)
            && (!overdue
                || f.get("due")
                    .and_then(Value::as_str)
                    .is_some_and(|d| d < i.date))
    })
}

#[derive(serde::Serialize)]
struct FloorReport<'a> {
    inspection: Option<&'a str>,
    verdict: &'static str,
    findings: &'a [Finding],
}

/// The floor's whole pipeline for one line: parse the JSON text with
/// serde_json, evaluate with the written-out rules, serialize the findings
/// (rule, level, titles, basis) with the verdict. Returns the output length.
pub fn floor_line(
    text: &str,
    f: fn(&Input<'_>, &mut Vec<Finding>),
    out: &mut Vec<Finding>,
) -> usize {
    let Ok(j) = serde_json::from_str::<Value>(text) else {
        return 0;
    };
    let Some(i) = Input::new(&j) else { return 0 };
    out.clear();
    f(&i, out);
    let verdict = if out.iter().any(|f| f.level == Level::Major) {
        "major"
    } else if out.is_empty() {
        "clear"
    } else {
        "ordinary"
    };
    serde_json::to_string(&FloorReport {
        inspection: j.get("id").and_then(Value::as_str),
        verdict,
        findings: out,
    })
    .map_or(0, |s| s.len())
}
