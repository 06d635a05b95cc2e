//! Generated inspections: complete, realistic and reproducible.
//!
//! A generator fills in a ruleset's checklist the way a site visit would:
//! it picks the works on site, answers every item that then applies (and
//! no other), mostly with the "good" answer, sometimes with a bad one,
//! sometimes with a value exactly on a legal threshold, and now and then
//! attaches the previous inspection's findings. What is good or bad is read
//! from the rules themselves: an answer that would make a rule's condition
//! hold is bad. Nothing is random in the output for a given seed.
//!
//! Windows are read from the rules too: a `season` on the inspection date
//! or on a date item and a `time_between` on a time item give good, bad
//! and boundary values (a window's first and last day or minute, and the
//! ones just outside, across New Year or midnight when the window
//! crosses it). A ruleset that declares event kinds gets an `events`
//! history with each inspection, with events on their handling deadline
//! and on the `min_value` threshold among the typical cases.

use std::collections::HashMap;

use hazcheck::Date;
use hazcheck::date::{MonthDay, TimeOfDay};
use hazcheck::model::{
    Condition, Duration, Factor, ItemType, Literal, Operand, Parameter, RulesetFile, Season,
    TimeRange, Window,
};
use serde_json::{Map, Value, json};

use crate::floor_rt::Input;
use crate::interp::{Regexes, eval};
use crate::lower::{self, Atom, B, Op};

/// A small, fast, reproducible random source (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A source for a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> Option<&'a T> {
        list.get(self.below(list.len()))
    }
}

/// How an inspection is filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Every item that rules test gets its good answer.
    Clean,
    /// Mostly good answers; a few bad ones, some values on thresholds, and
    /// sometimes a previous inspection with findings past their due date.
    Typical,
    /// As many items and rules apply as possible, and most answers are bad.
    Worst,
}

/// What the rules say about one item: which answers are bad.
#[derive(Clone, Debug, Default)]
struct Polarity {
    bad_yes: u32,
    bad_no: u32,
    bad_options: Vec<String>,
    bad_numbers: Vec<(Op, f64)>,
    thresholds: Vec<f64>,
    bad_past: bool,
    bad_older: Option<(u32, u32, u32)>,
    bad_match: bool,
    /// Yearly windows on a date answer: (from, to, an answer inside is bad).
    seasons: Vec<(MonthDay, MonthDay, bool)>,
    /// Daily windows on a time answer, in minutes from midnight: (from,
    /// to, an answer inside is bad).
    windows: Vec<(u32, u32, bool)>,
    in_rules: bool,
}

impl Polarity {
    /// Whether the item has values "exactly on a threshold" to offer.
    fn has_boundary(&self) -> bool {
        !self.thresholds.is_empty()
            || !self.seasons.is_empty()
            || !self.windows.is_empty()
            || self.bad_past
            || self.bad_older.is_some()
    }
}

/// An `events` condition as the generator needs it.
#[derive(Clone, Debug)]
struct EventNeed {
    kinds: Vec<String>,
    min_value: Option<f64>,
    within: Option<(u32, u32, u32)>,
}

/// What the conditions of a ruleset say, gathered in one walk.
#[derive(Default)]
struct Found {
    pols: HashMap<String, Polarity>,
    previous: Vec<String>,
    /// Yearly windows on the inspection date: (from, to, inside makes the
    /// condition hold).
    date_seasons: Vec<(MonthDay, MonthDay, bool)>,
    events: Vec<EventNeed>,
}

/// The parameters of a ruleset, for resolving what conditions name.
struct Params<'m> {
    numbers: HashMap<&'m str, Vec<f64>>,
    all: HashMap<&'m str, &'m Parameter>,
}

#[derive(Clone, Debug)]
struct PItem {
    id: String,
    kind: ItemType,
    options: Vec<String>,
    na_allowed: bool,
    min: Option<f64>,
    max: Option<f64>,
    applies: Option<B>,
    pol: Polarity,
}

/// Everything needed to generate inspections for one ruleset version.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The ruleset id.
    pub ruleset: String,
    from: Date,
    days: i64,
    items: Vec<PItem>,
    previous_rules: Vec<String>,
    date_seasons: Vec<(MonthDay, MonthDay, bool)>,
    /// Inspection dates in the period on or next to a window boundary.
    date_boundaries: Vec<Date>,
    /// Declared event kinds (an `events` list goes with every inspection
    /// when there are any) and the conditions that count them.
    event_kinds: Vec<String>,
    events: Vec<EventNeed>,
}

impl Plan {
    /// Reads a merged ruleset model.
    pub fn new(model: &RulesetFile) -> Result<Plan, String> {
        let params = Params {
            numbers: model
                .parameters
                .iter()
                .map(|p| {
                    let mut v: Vec<f64> = p.value.iter().map(|v| v.value.to_f64()).collect();
                    if let Some(t) = &p.table {
                        v.extend(t.values.iter().map(|r| r.value.value.to_f64()));
                        v.extend(t.default.iter().map(|d| d.value.to_f64()));
                    }
                    (p.id.value.as_str(), v)
                })
                .collect(),
            all: model
                .parameters
                .iter()
                .map(|p| (p.id.value.as_str(), p))
                .collect(),
        };
        let mut found = Found::default();
        for r in &model.rules {
            walk(&r.when, true, &params, &mut found);
            for e in &r.escalate {
                walk(&e.when, true, &params, &mut found);
            }
            // Gating thresholds (危大 sizes) matter too, for "on the
            // threshold" values, but do not make an answer bad.
            if let Some(a) = &r.applies_if {
                gate(a, &params, &mut found);
            }
        }
        for it in &model.items {
            if let Some(a) = &it.applies_if {
                gate(a, &params, &mut found);
            }
        }
        let mut items = Vec::new();
        for it in &model.items {
            items.push(PItem {
                id: it.id.value.clone(),
                kind: it.kind.value,
                options: it.options.iter().map(|o| o.id.value.clone()).collect(),
                na_allowed: it.not_applicable,
                min: it.min.as_ref().map(|m| m.value.to_f64()),
                max: it.max.as_ref().map(|m| m.value.to_f64()),
                applies: lower::item_applies(model, it)?,
                pol: found.pols.remove(&it.id.value).unwrap_or_default(),
            });
        }
        let items = dependency_order(items);
        let period = model.effective.as_ref().ok_or("no period in force")?;
        let from = period.from.value;
        let days = match &period.to {
            Some(to) => from.days_until(to.value).clamp(0, 730),
            None => 730,
        };
        let mut previous_rules = found.previous;
        previous_rules.sort();
        previous_rules.dedup();
        let mut date_boundaries = Vec::new();
        if let Some(last) = from.add_days(days) {
            for &(f, t, _) in &found.date_seasons {
                for year in from.year() - 1..=last.year() + 1 {
                    for d in boundary_days(year, f, t) {
                        if from <= d && d <= last {
                            date_boundaries.push(d);
                        }
                    }
                }
            }
        }
        date_boundaries.sort();
        date_boundaries.dedup();
        Ok(Plan {
            ruleset: model
                .ruleset
                .as_ref()
                .map(|r| r.value.clone())
                .unwrap_or_default(),
            from,
            days,
            items,
            previous_rules,
            date_seasons: found.date_seasons,
            date_boundaries,
            event_kinds: model
                .event_kinds
                .iter()
                .map(|k| k.id.value.clone())
                .collect(),
            events: found.events,
        })
    }

    /// The inspection date: any day of the period, except that a worst
    /// case falls inside the yearly windows whose inside makes conditions
    /// hold, and a typical inspection sometimes falls on a window boundary.
    fn date(&self, rng: &mut Rng, profile: Profile) -> Date {
        let pick = |rng: &mut Rng| {
            self.from
                .add_days(rng.below(self.days as usize + 1) as i64)
                .unwrap_or(self.from)
        };
        let date = pick(rng);
        if self.date_seasons.is_empty() {
            return date;
        }
        let inside = |d: Date| {
            self.date_seasons
                .iter()
                .filter(|(_, _, positive)| *positive)
                .all(|&(f, t, _)| in_season(d.month_day(), f, t))
        };
        match profile {
            Profile::Worst if !inside(date) => (0..50)
                .map(|_| pick(rng))
                .find(|d| inside(*d))
                .unwrap_or(date),
            Profile::Typical if rng.chance(0.2) => {
                rng.pick(&self.date_boundaries).copied().unwrap_or(date)
            }
            _ => date,
        }
    }

    /// Generates one inspection.
    pub fn inspection(&self, rng: &mut Rng, profile: Profile, n: u64) -> Value {
        let date = self.date(rng, profile);
        let date_text = date.to_string();
        // A few bad answers per non-clean typical inspection.
        let flips = match profile {
            Profile::Typical if rng.chance(0.35) => 1 + rng.below(3),
            _ => 0,
        };
        let tested: Vec<usize> = (0..self.items.len())
            .filter(|&i| self.items.get(i).is_some_and(|it| it.pol.in_rules))
            .collect();
        let mut bad = Vec::new();
        for _ in 0..flips {
            if let Some(&i) = rng.pick(&tested) {
                bad.push(i);
            }
        }
        let on_threshold = profile == Profile::Typical && rng.chance(0.2);
        let mut answers = Map::new();
        let mut re = Regexes::default();
        for (ix, it) in self.items.iter().enumerate() {
            if let Some(a) = &it.applies {
                let input = Input {
                    answers: &answers,
                    date: &date_text,
                    previous: &[],
                    events: None,
                };
                if !eval(a, &input, &mut re) {
                    continue;
                }
            }
            if it.na_allowed && profile != Profile::Worst && rng.chance(0.05) {
                answers.insert(it.id.clone(), json!("n/a"));
                continue;
            }
            let mode = if profile == Profile::Worst || bad.contains(&ix) {
                Mode::Bad
            } else if !it.pol.in_rules {
                Mode::Any
            } else if profile == Profile::Clean {
                Mode::Good
            } else if on_threshold && it.pol.has_boundary() && rng.chance(0.5) {
                Mode::Threshold
            } else {
                Mode::Good
            };
            if let Some(v) = value(it, mode, profile, date, rng) {
                answers.insert(it.id.clone(), v);
            }
        }
        let mut insp = json!({
            "ruleset": self.ruleset,
            "id": format!("gen-{n}"),
            "date": date_text,
            "site": {"id": format!("site-{}", n % 977), "name": format!("工地 {}", n % 977)},
            "inspector": "bench",
            "answers": answers,
        });
        let previous_chance = match profile {
            Profile::Clean => 0.0,
            Profile::Typical => 0.1,
            Profile::Worst => 1.0,
        };
        if !self.previous_rules.is_empty()
            && rng.chance(previous_chance)
            && let Some(obj) = insp.as_object_mut()
        {
            let mut findings = Vec::new();
            let count = if profile == Profile::Worst {
                self.previous_rules.len()
            } else {
                1 + rng.below(2)
            };
            for k in 0..count {
                let rule = if profile == Profile::Worst {
                    self.previous_rules.get(k)
                } else {
                    rng.pick(&self.previous_rules)
                };
                let Some(rule) = rule else { continue };
                // Due dates around the inspection date, the day itself included.
                let offset = [-30, -1, 0, 1, 30][rng.below(5)];
                let offset = if profile == Profile::Worst {
                    -30
                } else {
                    offset
                };
                findings.push(json!({
                    "rule": rule,
                    "level": "ordinary",
                    "due": date.add_days(offset).unwrap_or(date).to_string(),
                }));
            }
            obj.insert(
                "previous".into(),
                json!({"date": date.add_days(-60).unwrap_or(date).to_string(), "findings": findings}),
            );
        }
        if !self.event_kinds.is_empty()
            && let Some(obj) = insp.as_object_mut()
        {
            obj.insert(
                "events".into(),
                Value::Array(self.history(rng, profile, date)),
            );
        }
        insp
    }

    /// The site's event history up to the inspection date. Clean: none.
    /// Typical: mostly none; otherwise one to three events of the kinds the
    /// rules count, handled in time or not, on their deadline or a day
    /// either side of it, with values on the `min_value` threshold or next
    /// to it. Worst: two events per condition, not handled, past their
    /// deadline.
    fn history(&self, rng: &mut Rng, profile: Profile, today: Date) -> Vec<Value> {
        let mut out = Vec::new();
        if self.events.is_empty() {
            return out;
        }
        let count = match profile {
            Profile::Clean => 0,
            Profile::Typical if rng.chance(0.7) => 0,
            Profile::Typical => 1 + rng.below(3),
            Profile::Worst => 2 * self.events.len(),
        };
        for k in 0..count {
            let need = match profile {
                Profile::Worst => self.events.get(k / 2),
                _ => rng.pick(&self.events),
            };
            let Some(need) = need else { continue };
            let Some(kind) = rng.pick(&need.kinds) else {
                continue;
            };
            // The last day on which handling the event is still in time.
            let (date, deadline) = match need.within {
                Some(dur) => {
                    let back = match profile {
                        Profile::Worst => -(10 + rng.below(60) as i64),
                        _ => [-20, -1, 0, 1, 20][rng.below(5)],
                    };
                    // An event whose deadline is `back` days from today.
                    let Some(target) = today.add_days(back) else {
                        continue;
                    };
                    let Some(date) = on_deadline(target, dur) else {
                        continue;
                    };
                    (date, add(date, dur).unwrap_or(target))
                }
                None => {
                    let date = today.add_days(-(rng.below(60) as i64)).unwrap_or(today);
                    (date, today)
                }
            };
            let handled = match profile {
                Profile::Worst => None,
                _ => match rng.below(4) {
                    0 => None,
                    1 => Some(deadline),
                    2 => deadline.add_days(1),
                    _ => date.add_days(rng.below(5) as i64),
                },
            }
            .filter(|h| *h >= date);
            let mut e = Map::new();
            e.insert("kind".into(), json!(kind));
            e.insert("date".into(), json!(date.to_string()));
            e.insert(
                "subject".into(),
                json!(format!("鲁A{:05}", rng.below(100_000))),
            );
            if let Some(min) = need.min_value {
                let v = match profile {
                    Profile::Worst => min + 5.0,
                    _ => [min - 1.0, min, min + 1.0][rng.below(3)].max(0.0),
                };
                e.insert("value".into(), number(v));
            }
            if let Some(h) = handled {
                e.insert("handled".into(), json!(h.to_string()));
            }
            out.push(Value::Object(e));
        }
        out
    }
}

/// Whether a month-day falls in a yearly window, both ends included.
fn in_season(day: MonthDay, from: MonthDay, to: MonthDay) -> bool {
    if from <= to {
        from <= day && day <= to
    } else {
        day >= from || day <= to
    }
}

/// The days of `year` on a window's boundary and next to it: its first
/// and last day, the day before and the day after, and New Year's Eve and
/// Day when the window crosses New Year.
fn boundary_days(year: i32, from: MonthDay, to: MonthDay) -> Vec<Date> {
    let mut out = Vec::new();
    for md in [from, to] {
        if let Some(d) = Date::new(year, md.month(), md.day()) {
            out.extend(
                [d.add_days(-1), Some(d), d.add_days(1)]
                    .into_iter()
                    .flatten(),
            );
        }
    }
    if from > to {
        out.extend(Date::new(year, 12, 31));
        out.extend(Date::new(year, 1, 1));
    }
    out
}

fn minutes(t: TimeOfDay) -> u32 {
    t.hour() * 60 + t.minute()
}

fn time_text(m: u32) -> String {
    let m = m % 1440;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn add(d: Date, (y, m, days): (u32, u32, u32)) -> Option<Date> {
    d.add_years(i64::from(y))?
        .add_months(i64::from(m))?
        .add_days(i64::from(days))
}

/// An event date whose handling deadline (date plus `dur`) is `target`, or
/// the nearest earlier one when no date has exactly that deadline (a month
/// added to 01-31 ends on the month's last day).
fn on_deadline(target: Date, dur: (u32, u32, u32)) -> Option<Date> {
    let guess = sub(target, dur)?;
    (-3..=3)
        .filter_map(|k| guess.add_days(k))
        .filter(|d| add(*d, dur).is_some_and(|x| x <= target))
        .max_by_key(|d| add(*d, dur))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Good,
    Bad,
    Threshold,
    Any,
}

fn value(it: &PItem, mode: Mode, profile: Profile, date: Date, rng: &mut Rng) -> Option<Value> {
    let p = &it.pol;
    Some(match it.kind {
        ItemType::YesNo => {
            let good = match p.bad_yes.cmp(&p.bad_no) {
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Equal => rng.chance(0.5),
            };
            let v = match mode {
                Mode::Good | Mode::Threshold => good,
                Mode::Bad if p.in_rules => !good,
                // Gating questions: "yes" opens more of the checklist.
                Mode::Bad => true,
                Mode::Any => rng.chance(0.5),
            };
            json!(v)
        }
        ItemType::Choice => {
            let good: Vec<&String> = it
                .options
                .iter()
                .filter(|o| !p.bad_options.contains(o))
                .collect();
            let bad: Vec<&String> = it
                .options
                .iter()
                .filter(|o| p.bad_options.contains(o))
                .collect();
            let pick = match mode {
                Mode::Bad if !bad.is_empty() => rng.pick(&bad).copied(),
                Mode::Good | Mode::Threshold if !good.is_empty() => rng.pick(&good).copied(),
                _ => rng.pick(&it.options),
            };
            json!(pick?)
        }
        ItemType::MultiChoice => {
            let chosen: Vec<&String> = match mode {
                Mode::Bad if profile == Profile::Worst => it.options.iter().collect(),
                Mode::Bad => {
                    let bad: Vec<&String> = it
                        .options
                        .iter()
                        .filter(|o| p.bad_options.contains(o))
                        .collect();
                    let mut out = Vec::new();
                    for _ in 0..1 + rng.below(2) {
                        if let Some(o) = rng.pick(&bad)
                            && !out.contains(o)
                        {
                            out.push(*o);
                        }
                    }
                    out
                }
                Mode::Good | Mode::Threshold if !p.bad_options.is_empty() => Vec::new(),
                _ => {
                    // A site with a few kinds of works going on.
                    let mut out = Vec::new();
                    for _ in 0..1 + rng.below(3) {
                        if let Some(o) = rng.pick(&it.options)
                            && !out.contains(&o)
                        {
                            out.push(o);
                        }
                    }
                    out
                }
            };
            json!(chosen)
        }
        ItemType::Number | ItemType::Count => {
            let integer = it.kind == ItemType::Count;
            let mut cands: Vec<f64> = vec![0.0, 1.0, 2.0, 5.0, 10.0];
            for &t in &p.thresholds {
                cands.extend([t, t + 1.0, (t - 1.0).max(0.0)]);
                if !integer {
                    cands.extend([t + 0.5, (t - 0.5).max(0.0), t * 2.0]);
                }
            }
            cands.retain(|v| {
                it.min.is_none_or(|m| *v >= m)
                    && it.max.is_none_or(|m| *v <= m)
                    && (!integer || v.fract() == 0.0)
            });
            let holds_bad = |v: f64| {
                p.bad_numbers.iter().any(|(op, t)| match op {
                    Op::Lt => v < *t,
                    Op::Le => v <= *t,
                    Op::Gt => v > *t,
                    Op::Ge => v >= *t,
                    Op::Eq => v == *t,
                    Op::Ne => v != *t,
                })
            };
            let good: Vec<f64> = cands.iter().copied().filter(|v| !holds_bad(*v)).collect();
            let bad: Vec<f64> = cands.iter().copied().filter(|v| holds_bad(*v)).collect();
            let v = match mode {
                Mode::Threshold if !p.thresholds.is_empty() => rng.pick(&p.thresholds).copied(),
                Mode::Bad if profile == Profile::Worst => {
                    bad.iter().chain(&cands).copied().reduce(f64::max)
                }
                Mode::Bad if !bad.is_empty() => rng.pick(&bad).copied(),
                Mode::Good if !good.is_empty() => rng.pick(&good).copied(),
                _ => rng.pick(&cands).copied(),
            }?;
            number(v)
        }
        ItemType::Date if !p.seasons.is_empty() && !p.bad_past && p.bad_older.is_none() => {
            json!(season_date(p, mode, date, rng)?.to_string())
        }
        ItemType::Date => {
            let d = match (mode, p.bad_past, p.bad_older) {
                (Mode::Bad, true, _) => date.add_days(-(1 + rng.below(90) as i64)),
                (Mode::Threshold, true, _) => Some(date),
                (_, true, _) => date.add_days(30 + rng.below(365) as i64),
                (Mode::Bad, _, Some(dur)) => sub(date, dur)?.add_days(-(1 + rng.below(30) as i64)),
                (Mode::Threshold, _, Some(dur)) => sub(date, dur),
                (_, _, Some(_)) => date.add_days(-(10 + rng.below(200) as i64)),
                _ => date.add_days(-(rng.below(400) as i64)),
            }?;
            json!(d.to_string())
        }
        ItemType::Time if !p.windows.is_empty() => json!(time_text(window_time(p, mode, rng))),
        ItemType::Time => json!(format!("{:02}:{:02}", 7 + rng.below(12), rng.below(60))),
        ItemType::Text => {
            let matching = match mode {
                Mode::Bad => true,
                Mode::Good | Mode::Threshold if p.bad_match => false,
                _ => rng.chance(0.8),
            };
            json!(if matching {
                "现场情况见照片 3"
            } else {
                ""
            })
        }
    })
}

/// A date answer tested against yearly windows, on or before the
/// inspection date: inside a window whose inside is bad for a bad answer,
/// outside for a good one, on or next to a boundary for a threshold case.
fn season_date(p: &Polarity, mode: Mode, today: Date, rng: &mut Rng) -> Option<Date> {
    let &(from, to, bad_inside) = rng.pick(&p.seasons)?;
    let recent = |rng: &mut Rng| today.add_days(-(rng.below(400) as i64));
    let want = match mode {
        Mode::Bad => bad_inside,
        Mode::Good => !bad_inside,
        Mode::Any => return recent(rng),
        Mode::Threshold => {
            let mut days: Vec<Date> = boundary_days(today.year(), from, to)
                .into_iter()
                .chain(boundary_days(today.year() - 1, from, to))
                .filter(|d| *d <= today)
                .collect();
            days.sort();
            days.dedup();
            let k = rng.below(days.len());
            return days.get(k).copied().or_else(|| recent(rng));
        }
    };
    let days: Vec<Date> = (0..400)
        .filter_map(|k| today.add_days(-k))
        .filter(|d| in_season(d.month_day(), from, to) == want)
        .collect();
    match days.get(rng.below(days.len())) {
        Some(d) => Some(*d),
        None => recent(rng),
    }
}

/// A time answer tested against daily windows: inside a window whose
/// inside is bad for a bad answer, outside for a good one, and for a
/// threshold case a window's first minute, its last, or the minute just
/// before or at its (excluded) end, with 23:59 and 00:00 for a window that
/// crosses midnight.
fn window_time(p: &Polarity, mode: Mode, rng: &mut Rng) -> u32 {
    let Some(&(from, to, bad_inside)) = rng.pick(&p.windows) else {
        return 0;
    };
    let want = match mode {
        Mode::Bad => Some(bad_inside),
        Mode::Good => Some(!bad_inside),
        Mode::Any => None,
        Mode::Threshold => {
            let mut cands = vec![(from + 1439) % 1440, from, (to + 1439) % 1440, to];
            if from > to {
                cands.extend([1439, 0]);
            }
            return cands.get(rng.below(cands.len())).copied().unwrap_or(from);
        }
    };
    let Some(want) = want else {
        return rng.below(1440) as u32;
    };
    // The minutes inside run from `from` for `len` minutes (across
    // midnight when they must); the others from `to` for the rest.
    let len = (to + 1440 - from) % 1440;
    let (start, span) = if want { (from, len) } else { (to, 1440 - len) };
    if span == 0 {
        return rng.below(1440) as u32;
    }
    (start + rng.below(span as usize) as u32) % 1440
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn sub(d: Date, (y, m, days): (u32, u32, u32)) -> Option<Date> {
    d.add_years(-i64::from(y))?
        .add_months(-i64::from(m))?
        .add_days(-i64::from(days))
}

/// Records which answers make a condition hold (`positive`) or fail.
fn walk(c: &Condition, positive: bool, params: &Params<'_>, found: &mut Found) {
    for list in [&c.all, &c.any].into_iter().flatten() {
        for m in list {
            walk(m, positive, params, found);
        }
    }
    if let Some(x) = &c.not {
        walk(x, !positive, params, found);
    }
    if let Some(a) = &c.at_least {
        for m in &a.of {
            walk(m, positive, params, found);
        }
    }
    if let Some(p) = &c.previous {
        found.previous.push(p.rule.value.clone());
    }
    if let Some(q) = &c.events {
        found.events.push(EventNeed {
            kinds: q.kinds.iter().map(|k| k.value.clone()).collect(),
            min_value: match &q.min_value {
                Some(Factor::Number(d)) => Some(d.value.to_f64()),
                Some(Factor::Param(p)) => params
                    .numbers
                    .get(p.param.value.as_str())
                    .and_then(|v| v.first().copied()),
                None => None,
            },
            within: q
                .not_handled_within
                .as_ref()
                .and_then(|d| duration(d, params)),
        });
    }
    let yearly = c.season.as_ref().and_then(|w| season(w, params));
    let Some(item) = &c.item else {
        if let Some((from, to)) = yearly {
            found.date_seasons.push((from, to, positive));
        }
        return;
    };
    let p = found.pols.entry(item.value.clone()).or_default();
    p.in_rules = true;
    if let Some((from, to)) = yearly {
        p.seasons.push((from, to, positive));
    }
    if let Some((from, to)) = c.time_between.as_ref().and_then(|w| window(w, params)) {
        p.windows.push((minutes(from), minutes(to), positive));
    }
    if let Some(b) = &c.is {
        if b.value == positive {
            p.bad_yes += 1;
        } else {
            p.bad_no += 1;
        }
    }
    for list in [&c.in_, &c.has_all].into_iter().flatten() {
        if positive {
            p.bad_options.extend(list.iter().map(|o| o.value.clone()));
        }
    }
    for (op, operand) in lower::comparisons(c) {
        let op = if positive { op } else { op.negate() };
        match operand {
            Operand::Literal(l) => match &l.value {
                Literal::Number(d) => {
                    p.bad_numbers.push((op, d.to_f64()));
                    p.thresholds.push(d.to_f64());
                }
                Literal::Str(s) if op == Op::Eq => p.bad_options.push(s.clone()),
                _ => {}
            },
            Operand::Ref(r) => {
                if let Some(values) = r
                    .param
                    .as_ref()
                    .and_then(|p| params.numbers.get(p.value.as_str()))
                {
                    for v in values {
                        p.bad_numbers.push((op, *v));
                        p.thresholds.push(*v);
                    }
                }
            }
        }
    }
    if c.before_inspection
        .as_ref()
        .is_some_and(|b| b.value == positive)
    {
        p.bad_past = true;
    }
    if let Some(d) = &c.older_than
        && positive
    {
        p.bad_older = duration(d, params);
    }
    if c.matches.is_some() && positive {
        p.bad_match = true;
    }
}

/// Walks an applicability condition: its thresholds and windows give
/// boundary values, but no answer becomes bad by it.
fn gate(c: &Condition, params: &Params<'_>, found: &mut Found) {
    let mut g = Found::default();
    walk(c, true, params, &mut g);
    for (k, x) in g.pols {
        let p = found.pols.entry(k).or_default();
        p.thresholds.extend(x.thresholds);
        p.seasons.extend(x.seasons);
        p.windows.extend(x.windows);
    }
    found.date_seasons.extend(g.date_seasons);
}

/// A duration as (years, months, days), a parameter resolved by its unit.
fn duration(d: &Duration, params: &Params<'_>) -> Option<(u32, u32, u32)> {
    let Some(id) = &d.param else {
        return Some((d.years, d.months, d.days));
    };
    let p = params.all.get(id.value.as_str())?;
    let v = u32::try_from(p.value.as_ref()?.value.to_i64()?).ok()?;
    match p.unit.as_deref()? {
        "years" | "year" | "年" => Some((v, 0, 0)),
        "months" | "month" | "月" | "个月" => Some((0, v, 0)),
        "days" | "day" | "日" | "天" => Some((0, 0, v)),
        _ => None,
    }
}

fn season(w: &Window<Season>, params: &Params<'_>) -> Option<(MonthDay, MonthDay)> {
    let s = match w {
        Window::Literal(s) => s,
        Window::Param(p) => params.all.get(p.param.value.as_str())?.season.as_ref()?,
    };
    Some((s.from.value, s.to.value))
}

fn window(w: &Window<TimeRange>, params: &Params<'_>) -> Option<(TimeOfDay, TimeOfDay)> {
    let r = match w {
        Window::Literal(r) => r,
        Window::Param(p) => params
            .all
            .get(p.param.value.as_str())?
            .time_window
            .as_ref()?,
    };
    Some((r.from.value, r.to.value))
}

/// Items whose applicability reads other items come after them.
fn dependency_order(items: Vec<PItem>) -> Vec<PItem> {
    fn reads(b: &B, out: &mut Vec<String>) {
        match b {
            B::And(v) | B::Or(v) | B::AtLeast(_, v) => v.iter().for_each(|x| reads(x, out)),
            B::Not(x) => reads(x, out),
            B::Atom(a) => match a {
                Atom::Na(i)
                | Atom::Bool { item: i, .. }
                | Atom::Choice { item: i, .. }
                | Atom::Multi { item: i, .. }
                | Atom::Text { item: i, .. }
                | Atom::Matches { item: i, .. }
                | Atom::Older { item: i, .. } => out.push(i.clone()),
                Atom::Num { item, rhs, .. } => {
                    out.push(item.clone());
                    match rhs {
                        lower::NumRhs::Item { item, .. } => out.push(item.clone()),
                        lower::NumRhs::Table { by, .. } => out.push(by.clone()),
                        lower::NumRhs::Lit(_) => {}
                    }
                }
                Atom::Date { item, rhs, .. } => {
                    out.push(item.clone());
                    if let lower::DateRhs::Item(j) = rhs {
                        out.push(j.clone());
                    }
                }
                Atom::Season { item: Some(i), .. } | Atom::Time { item: i, .. } => {
                    out.push(i.clone())
                }
                Atom::Previous { .. }
                | Atom::InspectionDate { .. }
                | Atom::Season { item: None, .. }
                | Atom::Events(_) => {}
            },
            B::Const(_) => {}
        }
    }
    let mut pending = items;
    let mut done: Vec<PItem> = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for it in pending {
            let mut deps = Vec::new();
            if let Some(a) = &it.applies {
                reads(a, &mut deps);
            }
            if deps.iter().all(|d| done.iter().any(|x| &x.id == d)) {
                done.push(it);
            } else {
                rest.push(it);
            }
        }
        if rest.len() == before {
            // A cycle (the compiler rejects these): keep the written order.
            done.extend(rest);
            break;
        }
        pending = rest;
    }
    done
}
