//! The inspection generator and the lowering on what the shipped rulesets
//! use: yearly and daily windows (written out and from parameters, across
//! New Year and midnight), `at_least` with N from a table, and event
//! histories. hazcheck is the reference: the direct interpreter of the
//! lowered formulas, and the floor for the shipped versions, must give
//! the same findings on every generated inspection.
//!
//!     cargo test --release --locked

use std::collections::BTreeSet;

use hazcheck::{EvalOptions, FileId, Inspection, Library, Limits, Loader};
use hazcheck_benches::floor_rt::{Input, Level};
use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::interp::{self, Regexes};
use hazcheck_benches::{floor, lower, shipped};
use serde_json::Value;

const WINDOWS: &str = r#"
ruleset: w
title: {zh: 窗口, en: Windows}
effective: {from: 2024-01-01, to: 2025-12-31}
documents: [{id: d, title: {zh: 标准, en: Standard}, verified: true}]
parameters:
  - {id: fire_period, season: {from: "11-01", to: "05-31"}, source: {document: d, clause: "1"}}
  - {id: night, time_window: {from: "22:00", to: "02:00"}, source: {document: d, clause: "2"}}
  - {id: one_month, value: 1, unit: months, source: {document: d, clause: "3"}}
  - {id: points, value: 10, source: {document: d, clause: "3"}}
  - id: needed
    source: {document: d, clause: "4"}
    table: {by: kind, values: [{option: high, value: 1}], default: 2}
event_kinds:
  - {id: speeding, label: {zh: 超速, en: Speeding}}
  - {id: score, label: {zh: 记分, en: Score}}
items:
  - id: kind
    type: choice
    not_applicable: true
    prompt: {zh: 类别, en: Kind}
    options: [{id: high, label: {zh: 高, en: High}}, {id: low, label: {zh: 低, en: Low}}]
  - {id: fire.date, type: date, prompt: {zh: 日期, en: Date}}
  - {id: shift.start, type: time, prompt: {zh: 时间, en: Time}}
  - {id: patrol, type: yes_no, prompt: {zh: 巡查, en: Patrol}, applies_if: {season: {param: fire_period}}}
  - {id: relay, type: yes_no, prompt: {zh: 接驳, en: Relay}, applies_if: {item: shift.start, time_between: {param: night}}}
  - {id: a, type: yes_no, prompt: {zh: 甲, en: A}}
  - {id: b, type: yes_no, prompt: {zh: 乙, en: B}}
  - {id: c, type: yes_no, prompt: {zh: 丙, en: C}}
rules:
  - {id: r-patrol, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: patrol, is: false}}
  - {id: r-spring, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {item: fire.date, season: {from: "03-01", to: "04-15"}}}
  - {id: r-fire-date, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, when: {not: {item: fire.date, season: {param: fire_period}}}}
  - {id: r-night, level: major, basis: {document: d, clause: "2"}, title: {zh: x, en: x}, when: {all: [{item: shift.start, time_between: {param: night}}, {item: relay, is: false}]}}
  - {id: r-day, level: ordinary, basis: {document: d, clause: "2"}, title: {zh: x, en: x}, when: {item: shift.start, time_between: {from: "08:00", to: "08:30"}}}
  - {id: r-count, level: major, basis: {document: d, clause: "4"}, title: {zh: x, en: x}, when: {at_least: {n: {param: needed}, of: [{item: a, is: true}, {item: b, is: true}, {item: c, is: true}]}}}
  - {id: r-events, level: major, basis: {document: d, clause: "3"}, title: {zh: x, en: x}, when: {events: {kinds: [speeding], not_handled_within: {param: one_month}}}}
  - {id: r-score, level: major, basis: {document: d, clause: "3"}, title: {zh: x, en: x}, when: {events: {kinds: [score], min_value: {param: points}}}}
  - {id: r-winter, level: ordinary, basis: {document: d, clause: "1"}, title: {zh: x, en: x}, applies_if: {season: {from: "12-01", to: "02-29"}}, when: {item: a, is: true}}
"#;

fn load(text: &str) -> Library {
    let mut loader = Loader::new(Limits::default());
    loader.add_memory("w.yaml", text);
    let out = loader.load();
    let errors: Vec<String> = out
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    out.library.expect("a library")
}

fn pool(plan: &Plan, profile: Profile, n: u64) -> Vec<Value> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|k| plan.inspection(&mut rng, profile, k))
        .collect()
}

fn engine_pairs(library: &Library, j: &Value) -> Vec<(String, Level)> {
    let i = Inspection::from_json(j, FileId(0), &Limits::default()).expect("a valid inspection");
    let r = library
        .evaluate(&i, &EvalOptions::default())
        .expect("a version in force");
    assert!(
        r.input_diagnostics.is_empty(),
        "generated answers rejected: {:?}\n{j}",
        r.input_diagnostics
    );
    let mut out: Vec<(String, Level)> = r
        .findings
        .iter()
        .map(|f| {
            let level = match f.level {
                hazcheck::Level::Major => Level::Major,
                hazcheck::Level::Ordinary => Level::Ordinary,
            };
            (f.rule.clone(), level)
        })
        .collect();
    out.sort();
    out
}

fn answer<'a>(j: &'a Value, item: &str) -> Option<&'a str> {
    j["answers"][item].as_str()
}

#[test]
fn interpreter_agrees_with_hazcheck_on_windows_counts_and_events() {
    let library = load(WINDOWS);
    let rs = library.versions("w").first().cloned().expect("ruleset w");
    let plan = Plan::new(rs.model()).expect("a plan");
    let lowered = lower::lower(rs.model()).expect("lowered");
    let mut re = Regexes::default();
    let mut fired = BTreeSet::new();
    for profile in [Profile::Clean, Profile::Typical, Profile::Worst] {
        for j in pool(&plan, profile, 1500) {
            let want = engine_pairs(&library, &j);
            let input = Input::new(&j).expect("a date");
            assert_eq!(interp::findings(&lowered, &input, &mut re), want, "{j}");
            fired.extend(want.into_iter().map(|(r, _)| r));
        }
    }
    // Every rule fires somewhere, so each kind of test was exercised both
    // ways.
    let all: BTreeSet<String> = rs
        .model()
        .rules
        .iter()
        .map(|r| r.id.value.clone())
        .collect();
    assert_eq!(fired, all);
}

#[test]
fn typical_inspections_include_values_on_window_boundaries() {
    let library = load(WINDOWS);
    let rs = library.versions("w").first().cloned().expect("ruleset w");
    let plan = Plan::new(rs.model()).expect("a plan");
    let typical = pool(&plan, Profile::Typical, 4000);
    let times: BTreeSet<&str> = typical
        .iter()
        .filter_map(|j| answer(j, "shift.start"))
        .collect();
    // The night window 22:00..02:00 crosses midnight: its first minute,
    // the minute before, its last minute, its excluded end, and both sides
    // of midnight; the same for the day window 08:00..08:30.
    for t in [
        "21:59", "22:00", "23:59", "00:00", "01:59", "02:00", "07:59", "08:00", "08:29", "08:30",
    ] {
        assert!(times.contains(t), "no time {t} among {times:?}");
    }
    // The inspection date on the fire period's edges (11-01..05-31 crosses
    // New Year) and on the winter window's (12-01..02-29, a leap day end).
    let days: BTreeSet<&str> = typical
        .iter()
        .filter_map(|j| j["date"].as_str())
        .filter_map(|d| d.get(5..))
        .collect();
    for d in [
        "10-31", "11-01", "05-31", "06-01", "12-31", "01-01", "11-30", "12-01", "02-29", "03-01",
    ] {
        assert!(days.contains(d), "no inspection on {d}");
    }
    // A date answer on the edges of a window written out in the rule.
    let answered: BTreeSet<&str> = typical
        .iter()
        .filter_map(|j| answer(j, "fire.date"))
        .filter_map(|d| d.get(5..))
        .collect();
    for d in [
        "02-29", "03-01", "04-15", "04-16", "10-31", "11-01", "05-31", "06-01",
    ] {
        assert!(answered.contains(d), "no fire.date on {d}");
    }
}

#[test]
fn worst_inspections_fall_inside_the_windows_that_open_rules() {
    let library = load(WINDOWS);
    let rs = library.versions("w").first().cloned().expect("ruleset w");
    let plan = Plan::new(rs.model()).expect("a plan");
    for j in pool(&plan, Profile::Worst, 300) {
        let day = j["date"].as_str().and_then(|d| d.get(5..)).unwrap_or("");
        // Inside both 11-01..05-31 and 12-01..02-29.
        assert!(day >= "12-01" || day <= "02-29", "worst case dated {day}");
        assert!(j["answers"].get("patrol").is_some(), "{j}");
        // Inside one of the windows whose inside is bad: the night (then
        // the relay question applies) or 08:00..08:30.
        let t = answer(&j, "shift.start").unwrap_or("");
        let night = !("02:00".."22:00").contains(&t);
        assert!(
            night || ("08:00".."08:30").contains(&t),
            "worst case at {t}"
        );
        assert_eq!(j["answers"].get("relay").is_some(), night, "{j}");
    }
}

#[test]
fn event_histories_include_deadlines_and_values_on_the_threshold() {
    let library = load(WINDOWS);
    let rs = library.versions("w").first().cloned().expect("ruleset w");
    let plan = Plan::new(rs.model()).expect("a plan");
    let typical = pool(&plan, Profile::Typical, 3000);
    let (mut on_deadline, mut day_after, mut handled_late) = (0, 0, 0);
    let mut values = BTreeSet::new();
    for j in &typical {
        let today = hazcheck::Date::parse(j["date"].as_str().unwrap_or("")).expect("a date");
        for e in j["events"].as_array().expect("an events list") {
            let date = hazcheck::Date::parse(e["date"].as_str().unwrap_or("")).expect("a date");
            let handled = e["handled"]
                .as_str()
                .map(|h| hazcheck::Date::parse(h).expect("a date"));
            if let Some(h) = handled {
                assert!(h >= date, "handled before the event: {e}");
            }
            match e["kind"].as_str() {
                Some("speeding") => {
                    let deadline = date.add_months(1).expect("a date");
                    if deadline == today {
                        on_deadline += 1;
                    }
                    if deadline.add_days(1) == Some(today) {
                        day_after += 1;
                        if handled == deadline.add_days(1) {
                            handled_late += 1;
                        }
                    }
                }
                Some("score") => {
                    values.insert(e["value"].as_i64().expect("a score has a value"));
                }
                other => panic!("unexpected kind {other:?}"),
            }
        }
    }
    assert!(on_deadline > 0 && day_after > 0 && handled_late > 0);
    assert!(
        values.is_superset(&BTreeSet::from([9, 10, 11])),
        "{values:?}"
    );
    // A clean inspection states an empty history; worst cases always have
    // events.
    assert!(
        pool(&plan, Profile::Clean, 50)
            .iter()
            .all(|j| j["events"].as_array().is_some_and(Vec::is_empty))
    );
    assert!(
        pool(&plan, Profile::Worst, 50)
            .iter()
            .all(|j| j["events"].as_array().is_some_and(|e| !e.is_empty()))
    );
}

#[test]
fn every_shipped_version_has_a_generator_a_floor_and_the_same_findings() {
    let limits = Limits::default();
    let mut re = Regexes::default();
    let mut checked = Vec::new();
    for file in shipped::files() {
        let library = shipped::load(&file).expect("a shipped ruleset loads");
        for id in library.ids() {
            for rs in library.versions(id) {
                let version = rs.info().version.clone();
                let plan = Plan::new(rs.model())
                    .unwrap_or_else(|e| panic!("no generator for {id} {version}: {e}"));
                let lowered = lower::lower(rs.model())
                    .unwrap_or_else(|e| panic!("{id} {version} does not lower: {e}"));
                let f = floor::FLOORS
                    .iter()
                    .find(|(i, v, _)| *i == id && *v == version)
                    .map(|(_, _, f)| *f)
                    .unwrap_or_else(|| panic!("no floor for {id} {version}"));
                for profile in [Profile::Clean, Profile::Typical, Profile::Worst] {
                    for j in pool(&plan, profile, 200) {
                        let i = Inspection::from_json(&j, FileId(0), &limits).expect("valid");
                        let r = rs.evaluate(&i, &EvalOptions::default());
                        assert!(
                            r.input_diagnostics.is_empty(),
                            "{id} {version}: {:?}",
                            r.input_diagnostics
                        );
                        let want = engine_pairs(&library, &j);
                        let input = Input::new(&j).expect("a date");
                        let mut out = Vec::new();
                        f(&input, &mut out);
                        assert_eq!(interp::pairs(&out), want, "floor, {id} {version}: {j}");
                        assert_eq!(
                            interp::findings(&lowered, &input, &mut re),
                            want,
                            "interp, {id} {version}: {j}"
                        );
                    }
                }
                checked.push(format!("{id} {version}"));
            }
        }
    }
    assert!(checked.len() >= 11, "{checked:?}");
}
