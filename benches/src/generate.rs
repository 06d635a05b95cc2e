//! Generated inspections: complete, realistic and reproducible.
//!
//! A generator fills in a ruleset's checklist the way a site visit would:
//! it picks the works on site, answers every item that then applies (and
//! no other), mostly with the "good" answer, sometimes with a bad one,
//! sometimes with a value exactly on a legal threshold, and now and then
//! attaches the previous inspection's findings. What is good or bad is read
//! from the rules themselves: an answer that would make a rule's condition
//! hold is bad. Nothing is random in the output for a given seed.

use std::collections::HashMap;

use hazcheck::Date;
use hazcheck::model::{Condition, ItemType, Literal, Operand, RulesetFile};
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
    pub fn next(&mut self) -> u64 {
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
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
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
    in_rules: bool,
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
}

impl Plan {
    /// Reads a merged ruleset model.
    pub fn new(model: &RulesetFile) -> Result<Plan, String> {
        let params: HashMap<&str, Vec<f64>> = model
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
            .collect();
        let mut pols: HashMap<String, Polarity> = HashMap::new();
        let mut previous_rules = Vec::new();
        for r in &model.rules {
            walk(&r.when, true, &params, &mut pols, &mut previous_rules);
            for e in &r.escalate {
                walk(&e.when, true, &params, &mut pols, &mut previous_rules);
            }
            // Gating thresholds (危大 sizes) matter too, for "on the
            // threshold" values, but do not make an answer bad.
            if let Some(a) = &r.applies_if {
                let mut gate = HashMap::new();
                walk(a, true, &params, &mut gate, &mut Vec::new());
                for (k, g) in gate {
                    pols.entry(k).or_default().thresholds.extend(g.thresholds);
                }
            }
        }
        let mut items = Vec::new();
        for it in &model.items {
            if let Some(a) = &it.applies_if {
                let mut gate = HashMap::new();
                walk(a, true, &params, &mut gate, &mut Vec::new());
                for (k, g) in gate {
                    pols.entry(k).or_default().thresholds.extend(g.thresholds);
                }
            }
        }
        for it in &model.items {
            items.push(PItem {
                id: it.id.value.clone(),
                kind: it.kind.value,
                options: it.options.iter().map(|o| o.id.value.clone()).collect(),
                na_allowed: it.not_applicable,
                min: it.min.as_ref().map(|m| m.value.to_f64()),
                max: it.max.as_ref().map(|m| m.value.to_f64()),
                applies: lower::item_applies(model, it)?,
                pol: pols.remove(&it.id.value).unwrap_or_default(),
            });
        }
        let items = dependency_order(items);
        let period = model.effective.as_ref().ok_or("no period in force")?;
        let from = period.from.value;
        let days = match &period.to {
            Some(to) => from.days_until(to.value).clamp(0, 730),
            None => 730,
        };
        previous_rules.sort();
        previous_rules.dedup();
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
        })
    }

    /// Generates one inspection.
    pub fn inspection(&self, rng: &mut Rng, profile: Profile, n: u64) -> Value {
        let date = self
            .from
            .add_days(rng.below(self.days as usize + 1) as i64)
            .unwrap_or(self.from);
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
                };
                if !eval(a, &input, &mut re) {
                    continue;
                }
            }
            if it.na_allowed && profile != Profile::Worst && rng.chance(0.05) {
                answers.insert(it.id.clone(), json!("n/a"));
                continue;
            }
            let mode = if profile == Profile::Worst {
                Mode::Bad
            } else if bad.contains(&ix) {
                Mode::Bad
            } else if !it.pol.in_rules {
                Mode::Any
            } else if profile == Profile::Clean {
                Mode::Good
            } else if on_threshold && !it.pol.thresholds.is_empty() && rng.chance(0.5) {
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
        insp
    }
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
                        if let Some(o) = rng.pick(&bad) {
                            if !out.contains(o) {
                                out.push(*o);
                            }
                        }
                    }
                    out
                }
                Mode::Good | Mode::Threshold if !p.bad_options.is_empty() => Vec::new(),
                _ => {
                    // A site with a few kinds of works going on.
                    let mut out = Vec::new();
                    for _ in 0..1 + rng.below(3) {
                        if let Some(o) = rng.pick(&it.options) {
                            if !out.contains(&o) {
                                out.push(o);
                            }
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
                Mode::Threshold => rng.pick(&p.thresholds).copied(),
                Mode::Bad if profile == Profile::Worst => {
                    bad.iter().chain(&cands).copied().reduce(f64::max)
                }
                Mode::Bad if !bad.is_empty() => rng.pick(&bad).copied(),
                Mode::Good if !good.is_empty() => rng.pick(&good).copied(),
                _ => rng.pick(&cands).copied(),
            }?;
            number(v)
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
fn walk(
    c: &Condition,
    positive: bool,
    params: &HashMap<&str, Vec<f64>>,
    pols: &mut HashMap<String, Polarity>,
    previous: &mut Vec<String>,
) {
    for list in [&c.all, &c.any].into_iter().flatten() {
        for m in list {
            walk(m, positive, params, pols, previous);
        }
    }
    if let Some(x) = &c.not {
        walk(x, !positive, params, pols, previous);
    }
    if let Some(a) = &c.at_least {
        for m in &a.of {
            walk(m, positive, params, pols, previous);
        }
    }
    if let Some(p) = &c.previous {
        previous.push(p.rule.value.clone());
    }
    let Some(item) = &c.item else { return };
    let p = pols.entry(item.value.clone()).or_default();
    p.in_rules = true;
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
    let cmps = [
        (&c.eq, Op::Eq),
        (&c.ne, Op::Ne),
        (&c.lt, Op::Lt),
        (&c.lte, Op::Le),
        (&c.gt, Op::Gt),
        (&c.gte, Op::Ge),
    ];
    for (operand, op) in cmps {
        let Some(operand) = operand else { continue };
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
                if let Some(values) = r.param.as_ref().and_then(|p| params.get(p.value.as_str())) {
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
    if let Some(d) = &c.older_than {
        let dur = match &d.param {
            Some(_) => (1, 0, 0),
            None => (d.years, d.months, d.days),
        };
        if positive {
            p.bad_older = Some(dur);
        }
    }
    if c.matches.is_some() && positive {
        p.bad_match = true;
    }
}

/// Items whose applicability reads other items come after them.
fn dependency_order(items: Vec<PItem>) -> Vec<PItem> {
    fn reads(b: &B, out: &mut Vec<String>) {
        match b {
            B::And(v) | B::Or(v) => v.iter().for_each(|x| reads(x, out)),
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
                Atom::Previous { .. } | Atom::InspectionDate { .. } => {}
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
