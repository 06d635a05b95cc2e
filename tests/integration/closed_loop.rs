//! The closed loop (#11): a three-visit history of one site through
//! `hazcheck follow-up`, statistics over ten thousand generated reports
//! checked against counts computed here from the generator's own choices,
//! and the statistics page in a real headless browser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hazcheck::followup::{FollowUpOptions, Previous, follow_up};
use hazcheck::{EvalOptions, Inspection, Library, Limits, Loader, SourceMap};
use serde_json::Value;

use crate::support::*;

const RULESETS: &str = "tests/fixtures/closed-loop";
const VISITS: [&str; 3] = [
    "tests/fixtures/closed-loop/examples/visit-1.yaml",
    "tests/fixtures/closed-loop/examples/visit-2.yaml",
    "tests/fixtures/closed-loop/examples/visit-3.yaml",
];

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("closed-loop-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

fn json(o: &std::process::Output) -> Value {
    assert!(
        o.status.success(),
        "hazcheck failed: {}\n{}",
        stderr(o),
        stdout(o)
    );
    serde_json::from_str(&stdout(o)).expect("JSON output")
}

fn statuses(f: &Value) -> Vec<(String, String)> {
    f["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| {
            (
                m["rule"].as_str().expect("rule").to_string(),
                m["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Runs the three visits through the command line and returns the paths
/// of the report of visit 1 and the follow-ups of visits 2 and 3.
fn three_visits(dir: &Path) -> [PathBuf; 3] {
    let paths = [
        dir.join("visit-1.json"),
        dir.join("visit-2.json"),
        dir.join("visit-3.json"),
    ];
    let v1 = hazcheck(&["eval", "--ruleset", RULESETS, VISITS[0], "--format", "json"]);
    assert!(v1.status.success(), "{}", stderr(&v1));
    std::fs::write(&paths[0], &v1.stdout).expect("write");
    for i in 1..3 {
        let prev = paths[i - 1].to_string_lossy().into_owned();
        let o = hazcheck(&[
            "follow-up",
            "--ruleset",
            RULESETS,
            "--previous",
            &prev,
            VISITS[i],
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::write(&paths[i], &o.stdout).expect("write");
    }
    paths
}

#[test]
fn three_visits_of_one_site() {
    let dir = scratch("three-visits");
    let [_, p2, p3] = three_visits(&dir);
    let v2: Value = serde_json::from_str(&std::fs::read_to_string(&p2).expect("read")).expect("v2");
    let v3: Value = serde_json::from_str(&std::fs::read_to_string(&p3).expect("read")).expect("v3");

    // Visit 2, two weeks later: the power was fixed; the edges are past
    // the 3 days the team gave them (due 2025-03-06), the nets past their
    // 2025-03-10 due date; the monitoring is due on 2025-04-02.
    assert_eq!(
        statuses(&v2),
        pairs(&[
            ("maj.monitoring", "open"),
            ("ord.edge", "overdue"),
            ("ord.nets", "overdue"),
            ("ord.power", "rectified"),
        ])
    );
    // The ruleset saw the overdue edge through the previous block and
    // escalated it to a candidate major hazard; the follow-up flags it.
    let edge = v2["report"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "ord.edge")
        .expect("edge finding");
    assert_eq!(edge["level"], "major");
    assert_eq!(edge["escalated_from"], "ordinary");
    assert_eq!(
        v2["report"]["inspection"]["site"]["id"], "JN-2025-031",
        "the report is of the inspected site"
    );
    assert_eq!(v2["escalate"].as_array().map(Vec::len), Some(1));
    assert_eq!(v2["escalate"][0]["rule"], "ord.edge");
    assert_eq!(v2["escalate"][0]["reason"], "overdue_major");
    // The due date stays the first visit's, not the escalated finding's.
    assert_eq!(v2["matches"][1]["due"], "2025-03-06");
    assert_eq!(edge["due"], "2025-04-16");
    assert_eq!(edge["deadline_from"], "ruleset");
    // A hazard still there at its level shows, in the visit's own report,
    // the due date it had: the same as its match.
    let nets = v2["report"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "ord.nets")
        .expect("nets finding");
    let nets_match = v2["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .find(|m| m["rule"] == "ord.nets")
        .expect("nets match");
    assert_eq!(nets["due"], nets_match["due"]);
    assert_eq!(nets["deadline_from"], "first_visit");
    // The settings used: the defaults, since site-safety has no
    // `follow_up` section.
    assert_eq!(
        v2["policy"],
        serde_json::json!({"overdue_major": true, "repeated_open": 2})
    );
    let v1: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("visit-1.json")).expect("read"))
            .expect("v1");
    let deadlines: Vec<(String, Value, Value)> = v1["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["due"].clone(),
                f["deadline_from"].clone(),
            )
        })
        .collect();
    assert_eq!(
        deadlines,
        [
            ("maj.monitoring", "2025-04-02", "ruleset"),
            ("ord.edge", "2025-03-06", "inspection_rule"),
            ("ord.nets", "2025-03-10", "ruleset"),
            ("ord.power", "2025-03-10", "ruleset"),
        ]
        .map(|(r, d, f)| (r.to_string(), Value::from(d), Value::from(f)))
    );

    // Visit 3: the edges are fixed, the nets are open at a second follow-up
    // in a row, the monitoring is overdue, the power is wrong again (a new
    // hazard with its own due date).
    assert_eq!(
        statuses(&v3),
        pairs(&[
            ("maj.monitoring", "overdue"),
            ("ord.edge", "rectified"),
            ("ord.nets", "overdue"),
            ("ord.power", "new"),
        ])
    );
    let escalate: Vec<(String, String)> = v3["escalate"]
        .as_array()
        .expect("escalate")
        .iter()
        .map(|e| {
            (
                e["rule"].as_str().unwrap_or_default().to_string(),
                e["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        escalate,
        pairs(&[
            ("maj.monitoring", "overdue_major"),
            ("ord.nets", "repeatedly_open")
        ])
    );
    assert_eq!(v3["matches"][3]["found"], "2025-04-07");
    assert_eq!(v3["matches"][3]["due"], "2025-04-14");
    assert_eq!(v3["matches"][2]["open_visits"], 2);

    // The history keeps the whole chain for audit.
    let history = v3["history"].as_array().expect("history");
    let dates: Vec<&str> = history
        .iter()
        .map(|v| v["date"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(dates, ["2025-03-03", "2025-03-17", "2025-04-07"]);
    assert_eq!(history[0]["items"].as_array().map(Vec::len), Some(4));
    assert!(
        history[0]["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["status"] == "new")
    );
    assert_eq!(
        history[1], v2["history"][1],
        "earlier visits are kept as written"
    );
    assert_eq!(history[2]["inspection"], "JN-031-V3");

    // Same inputs, byte-identical output.
    let prev = p2.to_string_lossy().into_owned();
    let args = [
        "follow-up",
        "--ruleset",
        RULESETS,
        "--previous",
        &prev,
        VISITS[2],
    ];
    let again = hazcheck(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(
        stdout(&again),
        std::fs::read_to_string(&p3).expect("read"),
        "follow-up output must be deterministic"
    );
    let human = hazcheck(&[&args[..], &["--lang", "en"]].concat());
    assert!(human.status.success());
    assert_snapshot(
        &root().join("tests/fixtures/closed-loop/visit-3.follow-up.out"),
        &stdout(&human),
    );
    let md = hazcheck(&[&args[..], &["--lang", "en", "--format", "markdown"]].concat());
    assert!(
        stdout(&md).contains("| overdue | `ord.nets` |"),
        "{}",
        stdout(&md)
    );
    assert!(stdout(&md).contains("- [ ] set the deadline"));

    // `--repeated-open` overrides the ruleset: with 1, the nets are
    // flagged at the first follow-up already.
    let v1 = dir.join("visit-1.json").to_string_lossy().into_owned();
    let visit_2 = |extra: &[&str]| {
        let args = ["follow-up", "--ruleset", RULESETS, "--previous", &v1];
        hazcheck(&[&args[..], &[VISITS[1]], extra].concat())
    };
    let once = json(&visit_2(&["--format", "json", "--repeated-open", "1"]));
    let flagged: Vec<(&str, &str)> = once["escalate"]
        .as_array()
        .expect("escalate")
        .iter()
        .map(|e| {
            (
                e["rule"].as_str().unwrap_or_default(),
                e["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        flagged,
        [
            ("ord.edge", "overdue_major"),
            ("ord.nets", "repeatedly_open")
        ]
    );
    assert_eq!(once["policy"]["repeated_open"], 1);
    let zero = visit_2(&["--repeated-open", "0"]);
    assert_eq!(zero.status.code(), Some(2), "{}", stderr(&zero));

    // A report written before fields were added to format /1 (here
    // `ruleset.domain` and `counts.undetermined_exceptions`) still serves
    // as the previous visit, with the same result.
    let older = hazcheck(&[
        "follow-up",
        "--ruleset",
        RULESETS,
        "--previous",
        "tests/fixtures/closed-loop/visit-1.older-report.json",
        VISITS[1],
        "--format",
        "json",
    ]);
    assert!(older.status.success(), "{}", stderr(&older));
    assert_eq!(stdout(&older), std::fs::read_to_string(&p2).expect("read"));

    // Exit 1 on escalation only when asked.
    let fail = hazcheck(&[&args[..], &["--fail-on-escalation"]].concat());
    assert_eq!(fail.status.code(), Some(1));
}

/// docs/closed-loop.md walks through the loop with the fixture visits; its
/// commands run in a copy of `tests/fixtures/closed-loop/`, and what they
/// print must be what the page shows.
#[test]
fn the_closed_loop_guide_runs_as_written() {
    let dir = crate::support::scratch("closed-loop-guide");
    crate::tutorial::check_doc(
        &root().join("docs/closed-loop.md"),
        &dir,
        Some(&root().join("tests/fixtures")),
    );
    // The guide's last follow-up is the third visit of the chain.
    let v3: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("visit-3.json")).expect("visit-3.json written"),
    )
    .expect("json");
    assert_eq!(v3["history"].as_array().map(Vec::len), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn follow_up_refuses_another_site_or_an_earlier_date() {
    let dir = scratch("refuse");
    let [p1, _, _] = three_visits(&dir);
    let prev = p1.to_string_lossy().into_owned();
    let other = dir.join("other.yaml");
    std::fs::write(
        &other,
        "ruleset: site-safety\ndate: 2025-03-17\nsite: {id: QD-1}\nanswers: {edge_ok: yes}\n",
    )
    .expect("write");
    let o = hazcheck(&[
        "follow-up",
        "--ruleset",
        RULESETS,
        "--previous",
        &prev,
        &other.to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("previous visit is of site `JN-2025-031`, this inspection of site `QD-1`"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &other,
        "ruleset: site-safety\ndate: 2025-03-01\nsite: {id: JN-2025-031}\nanswers: {edge_ok: yes}\n",
    )
    .expect("write");
    let o = hazcheck(&[
        "follow-up",
        "--ruleset",
        RULESETS,
        "--previous",
        &prev,
        &other.to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "this inspection on 2025-03-01 is not later than the last visit on 2025-03-03"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn follow_up_refuses_the_same_visit_twice() {
    let dir = scratch("twice");
    let [_, p2, _] = three_visits(&dir);
    let prev = p2.to_string_lossy().into_owned();
    let run = |inspection: &str| {
        hazcheck(&[
            "follow-up",
            "--ruleset",
            RULESETS,
            "--previous",
            &prev,
            inspection,
            "--format",
            "json",
        ])
    };
    // Visit 2 applied to its own result: it would count every hazard open
    // once more and add visit 2 to the history again.
    let o = run(VISITS[1]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}: inspection `JN-031-V2` is already visit 2 of the history (on 2025-03-17)\n",
            VISITS[1]
        )
    );
    assert!(stdout(&o).is_empty());
    // Another inspection on the same day as the last visit.
    let same_day = dir.join("same-day.yaml");
    std::fs::write(
        &same_day,
        "ruleset: site-safety\ndate: 2025-03-17\nsite: {id: JN-2025-031}\nanswers: {edge_ok: yes}\n",
    )
    .expect("write");
    let o = run(&same_day.to_string_lossy());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("this inspection on 2025-03-17 is not later than the last visit on 2025-03-17; a follow-up must come after every visit of the history"),
        "{}",
        stderr(&o)
    );
    // The next day is a visit.
    std::fs::write(
        &same_day,
        "ruleset: site-safety\ndate: 2025-03-18\nsite: {id: JN-2025-031}\nanswers: {edge_ok: no, nets_ok: no, power_ok: yes, monitoring: no}\n",
    )
    .expect("write");
    let f = json(&run(&same_day.to_string_lossy()));
    assert_eq!(f["history"].as_array().map(Vec::len), Some(3));
    assert_eq!(f["matches"][1]["rule"], "ord.edge");
    assert_eq!(f["matches"][1]["open_visits"], 2);
}

#[test]
fn stats_of_the_three_visits() {
    let dir = scratch("three-visit-stats");
    let paths = three_visits(&dir);
    let p: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let s = json(&hazcheck(&[
        "stats", &p[0], &p[1], &p[2], "--format", "json",
    ]));
    // Five hazards: edge, nets, power and monitoring from visit 1 (each
    // counted once however often it was seen again) and the power found
    // again at visit 3. The power of visit 1 and the edge were rectified.
    let t = &s["total"];
    assert_eq!(
        [
            &t["inspections"],
            &t["sites"],
            &t["hazards"],
            &t["major"],
            &t["ordinary"],
            &t["rectified"],
            &t["open"],
            &t["overdue"],
            &t["escalated"]
        ]
        .map(|v| v.as_u64().expect("count")),
        [3, 1, 5, 2, 3, 2, 3, 2, 2]
    );
    assert_eq!(t["rectified_percent"], 40.0);
    assert_eq!(s["as_of"], "2025-04-07");
    assert_eq!(s["by_city"][0]["key"], "山东省/济南市");
    assert_eq!(s["major_open"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["major_open"][0]["rule"], "maj.monitoring");
    // A folder gives the same result as the files.
    let folder = json(&hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "json",
    ]));
    assert_eq!(folder, s);
    let table = hazcheck(&["stats", &dir.to_string_lossy(), "--lang", "en"]);
    assert_snapshot(
        &root().join("tests/fixtures/closed-loop/stats.out"),
        &stdout(&table),
    );
    let csv = stdout(&hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "csv",
    ]));
    assert!(csv.starts_with("dimension,key,ruleset,title,inspections,"));
    assert!(
        csv.contains("\ntotal,total,,,3,1,5,2,3,2,3,2,0,2,40.0\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nrule,ord.nets,site-safety,安全网缺失或破损,3,1,1,0,1,0,1,1,0,1,0.0\n"),
        "{csv}"
    );
}

/// A small deterministic generator (SplitMix64): the same stream on every
/// machine, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Cities with their counties.
type Cities = &'static [(&'static str, &'static [&'static str])];

const REGIONS: &[(&str, Cities)] = &[
    (
        "山东省",
        &[
            ("济南市", &["历下区", "市中区", "历城区"]),
            ("青岛市", &["市南区", "市北区", "黄岛区"]),
            ("烟台市", &["芝罘区", "莱山区"]),
        ],
    ),
    (
        "河南省",
        &[("郑州市", &["金水区", "中原区"]), ("洛阳市", &["西工区"])],
    ),
];

/// One checklist item of the fixture rulesets, as the generator sees it:
/// the rule it drives, the answer that raises it, and its level.
struct Item {
    id: &'static str,
    rule: &'static str,
    bad: bool,
    major: bool,
    percent: u64,
}

const SITE_ITEMS: &[Item] = &[
    Item {
        id: "edge_ok",
        rule: "ord.edge",
        bad: false,
        major: false,
        percent: 20,
    },
    Item {
        id: "nets_ok",
        rule: "ord.nets",
        bad: false,
        major: false,
        percent: 20,
    },
    Item {
        id: "power_ok",
        rule: "ord.power",
        bad: false,
        major: false,
        percent: 20,
    },
    Item {
        id: "monitoring",
        rule: "maj.monitoring",
        bad: false,
        major: true,
        percent: 8,
    },
];
const FIRE_ITEMS: &[Item] = &[
    Item {
        id: "signs_ok",
        rule: "ord.signs",
        bad: false,
        major: false,
        percent: 20,
    },
    Item {
        id: "patrol_ok",
        rule: "ord.patrol",
        bad: false,
        major: false,
        percent: 15,
    },
    Item {
        id: "fire_use",
        rule: "maj.fire-use",
        bad: true,
        major: true,
        percent: 5,
    },
];

/// What the generator expects of one hazard.
#[derive(Clone, Debug)]
struct Hazard {
    site: usize,
    ruleset: &'static str,
    rule: &'static str,
    found: i64,
    major: bool,
    due: Option<i64>,
    rectified: bool,
    escalated: bool,
    /// Follow-ups in a row that found it still there.
    open_visits: u32,
}

/// What the generator expects of one inspection.
struct Visit {
    site: usize,
    day: i64,
    /// Rules recorded as findings, with whether each is major.
    present: Vec<(&'static str, bool)>,
}

struct Site {
    ruleset: &'static str,
    domain: &'static str,
    region: Option<String>,
}

/// What the generator knows of a fixture ruleset.
struct Fixture {
    id: &'static str,
    domain: &'static str,
    items: &'static [Item],
    /// Its `deadlines` (ordinary, major), if it has them.
    deadlines: Option<(i64, i64)>,
    /// Its `follow_up` section: (overdue_major, repeated_open).
    policy: (bool, u32),
    /// Whether an overdue `ord.edge` escalates to major.
    escalates_edge: bool,
    /// The days by level a team orders when it sets them.
    team_days: (i64, i64),
}

const SITE_SAFETY: Fixture = Fixture {
    id: "site-safety",
    domain: "construction",
    items: SITE_ITEMS,
    deadlines: Some((7, 30)),
    policy: (true, 2),
    escalates_edge: true,
    team_days: (15, 60),
};

const FIRE_SAFETY: Fixture = Fixture {
    id: "fire-safety",
    domain: "forest-fire",
    items: FIRE_ITEMS,
    deadlines: None,
    policy: (false, 1),
    escalates_edge: false,
    team_days: (10, 30),
};

/// A deadline set for one rule: days, or a due date (as a day number).
#[derive(Clone, Copy)]
enum RuleDue {
    Days(i64),
    Date(i64),
}

/// The deadlines a generated inspection sets.
#[derive(Default)]
struct Deadlines {
    level: Option<(i64, i64)>,
    rules: BTreeMap<&'static str, RuleDue>,
}

impl Deadlines {
    /// Some days by level now and then; for some hazards a deadline of
    /// their own, in days or as a date.
    fn generate(rng: &mut Rng, f: &Fixture, day: i64, bad: &BTreeSet<&str>) -> Deadlines {
        let mut d = Deadlines::default();
        if rng.chance(if f.deadlines.is_none() { 50 } else { 20 }) {
            d.level = Some(f.team_days);
        }
        for i in f.items {
            if bad.contains(i.id) && rng.chance(10) {
                let due = if rng.chance(50) {
                    RuleDue::Days(3)
                } else {
                    RuleDue::Date(day + 20)
                };
                d.rules.insert(i.rule, due);
            }
        }
        d
    }

    fn yaml(&self) -> String {
        let mut parts = Vec::new();
        if let Some((o, m)) = self.level {
            parts.push(format!("ordinary: {o}, major: {m}"));
        }
        if !self.rules.is_empty() {
            let rules: Vec<String> = self
                .rules
                .iter()
                .map(|(r, d)| match d {
                    RuleDue::Days(n) => format!("{r}: {n}"),
                    RuleDue::Date(x) => format!("{r}: {}", day(*x)),
                })
                .collect();
            parts.push(format!("rules: {{{}}}", rules.join(", ")));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("deadlines: {{{}}}\n", parts.join(", "))
        }
    }

    /// The due date of a finding of `rule` on `day`: the rule's own entry,
    /// then the days by level, then the ruleset's (the fixtures' rules have
    /// no deadline of their own).
    fn due(&self, f: &Fixture, day: i64, rule: &str, major: bool) -> Option<i64> {
        if let Some(d) = self.rules.get(rule) {
            return Some(match d {
                RuleDue::Days(n) => day + n,
                RuleDue::Date(x) => *x,
            });
        }
        let pick = |(o, m): (i64, i64)| if major { m } else { o };
        self.level.or(f.deadlines).map(|d| day + pick(d))
    }
}

fn day(d: i64) -> hazcheck::Date {
    hazcheck::Date::from_days(d).expect("date")
}

fn month(d: i64) -> String {
    let d = day(d);
    format!("{:04}-{:02}", d.year(), d.month())
}

fn answers(items: &[Item], bad: &BTreeSet<&str>, missing: &BTreeSet<&str>) -> String {
    items
        .iter()
        .filter(|i| !missing.contains(i.id))
        .map(|i| {
            let is_bad = bad.contains(i.id);
            let yes = if is_bad { i.bad } else { !i.bad };
            format!("{}: {}", i.id, if yes { "yes" } else { "no" })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse(text: &str) -> Inspection {
    Inspection::parse(
        text,
        "generated.yaml",
        &mut SourceMap::new(),
        &Limits::default(),
    )
    .expect("generated inspection")
}

fn library() -> Library {
    let mut loader = Loader::new(Limits::default());
    loader.add_path(&root().join(RULESETS));
    loader.load().library.expect("fixture rulesets load")
}

/// Expected counts of one row, in the order of the JSON fields.
type Counts = [usize; 10];

#[derive(Default)]
struct Expect {
    inspections: usize,
    sites: BTreeSet<usize>,
    hazards: usize,
    major: usize,
    ordinary: usize,
    rectified: usize,
    overdue: usize,
    no_due: usize,
    escalated: usize,
}

impl Expect {
    fn counts(&self) -> Counts {
        [
            self.inspections,
            self.sites.len(),
            self.hazards,
            self.major,
            self.ordinary,
            self.rectified,
            self.hazards - self.rectified,
            self.overdue,
            self.no_due,
            self.escalated,
        ]
    }
}

fn row_counts(row: &Value) -> Counts {
    [
        "inspections",
        "sites",
        "hazards",
        "major",
        "ordinary",
        "rectified",
        "open",
        "overdue",
        "no_due",
        "escalated",
    ]
    .map(|k| row[k].as_u64().unwrap_or(u64::MAX) as usize)
}

/// A return visit to a site: decides what was fixed, what is still there
/// and what is new, the way the follow-up must see it, and returns the
/// inspection text. `carried` holds the hazards not seen rectified.
#[allow(clippy::too_many_arguments)]
fn return_visit(
    rng: &mut Rng,
    f: &Fixture,
    s: usize,
    d: i64,
    id: &str,
    site_yaml: &str,
    carried: &mut Vec<usize>,
    hazards: &mut Vec<Hazard>,
    visits: &mut Vec<Visit>,
) -> String {
    let mut bad = BTreeSet::new();
    let mut missing = BTreeSet::new();
    let mut still = Vec::new();
    let mut new = Vec::new();
    for i in f.items {
        match carried.iter().copied().find(|h| hazards[*h].rule == i.rule) {
            Some(h) => {
                if rng.chance(5) {
                    // Not answered: unverified, not rectified, not flagged.
                    missing.insert(i.id);
                    hazards[h].escalated = false;
                } else if rng.chance(50) {
                    hazards[h].rectified = true;
                    hazards[h].escalated = false;
                    carried.retain(|x| *x != h);
                } else {
                    bad.insert(i.id);
                    still.push((h, i));
                }
            }
            None => {
                if rng.chance(8) {
                    bad.insert(i.id);
                    new.push(i);
                }
            }
        }
    }
    let deadlines = Deadlines::generate(rng, f, d, &bad);
    let mut present = Vec::new();
    for (h, i) in still {
        let hz = &mut hazards[h];
        // Overdue by the due date it had; the ruleset escalates an overdue
        // edge; a deadline ordered for its rule now replaces the old one.
        let overdue = hz.due.is_some_and(|due| due < d);
        let now_major = i.major || (f.escalates_edge && i.rule == "ord.edge" && overdue);
        let new_due = deadlines.due(f, d, i.rule, now_major);
        hz.due = if deadlines.rules.contains_key(i.rule) {
            new_due
        } else {
            hz.due.or(new_due)
        };
        let was_major = hz.major;
        hz.major = now_major;
        hz.open_visits += 1;
        let major = was_major || now_major;
        let (overdue_major, repeated_open) = f.policy;
        hz.escalated = if overdue && major {
            overdue_major
        } else {
            !major && hz.open_visits >= repeated_open
        };
        present.push((i.rule, now_major));
    }
    for i in new {
        hazards.push(Hazard {
            site: s,
            ruleset: f.id,
            rule: i.rule,
            found: d,
            major: i.major,
            due: deadlines.due(f, d, i.rule, i.major),
            rectified: false,
            escalated: false,
            open_visits: 0,
        });
        carried.push(hazards.len() - 1);
        present.push((i.rule, i.major));
    }
    visits.push(Visit {
        site: s,
        day: d,
        present,
    });
    format!(
        "ruleset: {}\nid: {id}\ndate: {}\nsite: {site_yaml}\n{}answers: {{{}}}\n",
        f.id,
        day(d),
        deadlines.yaml(),
        answers(f.items, &bad, &missing)
    )
}

#[test]
fn stats_over_ten_thousand_generated_reports() {
    const SITES: usize = 10_000;
    let lib = library();
    let dir = scratch("ten-thousand");
    let epoch = hazcheck::Date::new(2025, 1, 1).expect("date").to_days();
    let mut rng = Rng(11);
    let mut sites = Vec::new();
    let mut visits = Vec::new();
    let mut hazards: Vec<Hazard> = Vec::new();
    let mut batch = String::new();
    let mut array = Vec::new();
    let mut followups = String::new();
    for sub in ["reports/nested", "reports/chains", "dupes"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    std::fs::write(dir.join("README.txt"), "not read: not JSON").expect("write");
    let (mut follow_up_count, mut chain_count, mut plain_follow_up_reports) = (0, 0, 0);
    for s in 0..SITES {
        let f = if rng.chance(40) {
            &FIRE_SAFETY
        } else {
            &SITE_SAFETY
        };
        let (province, cities) = REGIONS[rng.below(REGIONS.len() as u64) as usize];
        let (city, counties) = cities[rng.below(cities.len() as u64) as usize];
        let county = counties[rng.below(counties.len() as u64) as usize];
        let region = match rng.below(100) {
            0..90 => Some(format!("{province}/{city}/{county}")),
            90..95 => Some(format!("{province}/{city}")),
            95..98 => Some(province.to_string()),
            _ => None,
        };
        let site_yaml = match &region {
            Some(r) => format!("{{id: S{s:05}, name: 场所{s}, region: {r}}}"),
            None => format!("{{id: S{s:05}, name: 场所{s}}}"),
        };
        sites.push(Site {
            ruleset: f.id,
            domain: f.domain,
            region,
        });

        // First visit.
        let d1 = epoch + rng.below(150) as i64;
        let mut bad = BTreeSet::new();
        let mut missing = BTreeSet::new();
        for i in f.items {
            if rng.chance(3) {
                missing.insert(i.id);
            } else if rng.chance(i.percent) {
                bad.insert(i.id);
            }
        }
        let deadlines = Deadlines::generate(&mut rng, f, d1, &bad);
        let text = format!(
            "ruleset: {}\nid: V1-{s}\ndate: {}\nsite: {site_yaml}\n{}answers: {{{}}}\n",
            f.id,
            day(d1),
            deadlines.yaml(),
            answers(f.items, &bad, &missing)
        );
        let report = lib
            .evaluate(&parse(&text), &EvalOptions::default())
            .expect("evaluate");
        assert!(report.input_diagnostics.is_empty(), "{text}");
        let mut carried: Vec<usize> = f
            .items
            .iter()
            .filter(|i| bad.contains(i.id))
            .map(|i| {
                hazards.push(Hazard {
                    site: s,
                    ruleset: f.id,
                    rule: i.rule,
                    found: d1,
                    major: i.major,
                    due: deadlines.due(f, d1, i.rule, i.major),
                    rectified: false,
                    escalated: false,
                    open_visits: 0,
                });
                hazards.len() - 1
            })
            .collect();
        visits.push(Visit {
            site: s,
            day: d1,
            present: f
                .items
                .iter()
                .filter(|i| bad.contains(i.id))
                .map(|i| (i.rule, i.major))
                .collect(),
        });

        // Where the report goes: batch lines (bare or wrapped), single
        // files, or one JSON array; a few are written twice.
        let batch_line = |batch: &mut String, report: &hazcheck::Report, wrapped: bool| {
            let value = serde_json::to_value(report).expect("value");
            let line = if wrapped {
                serde_json::json!({"line": s + 1, "report": value})
            } else {
                value
            };
            batch.push_str(&line.to_string());
            batch.push('\n');
        };
        match s % 10 {
            0..6 => {
                batch_line(&mut batch, &report, s % 2 == 1);
                if s < 70 && s % 10 == 0 {
                    std::fs::write(dir.join(format!("dupes/S{s:05}.json")), report.to_json())
                        .expect("write");
                }
            }
            6..9 => std::fs::write(
                dir.join(format!("reports/nested/S{s:05}.json")),
                report.to_json(),
            )
            .expect("write"),
            _ => array.push(serde_json::to_value(&report).expect("value")),
        }

        // A return visit for about a third of the sites, and a second one
        // for some of those, each the follow-up of the one before.
        let mut previous = Previous::Report(Box::new(report));
        let mut last = d1;
        for (visit, chance) in [(2, 35), (3, 40)] {
            if !rng.chance(chance) {
                break;
            }
            last += 1 + rng.below(45) as i64;
            let text = return_visit(
                &mut rng,
                f,
                s,
                last,
                &format!("V{visit}-{s}"),
                &site_yaml,
                &mut carried,
                &mut hazards,
                &mut visits,
            );
            let inspection = parse(&text);
            let result = follow_up(&lib, &previous, &inspection, &FollowUpOptions::default())
                .expect("follow-up");
            if visit == 2 {
                follow_up_count += 1;
                followups.push_str(&serde_json::to_string(&result).expect("json"));
                followups.push('\n');
                // The team's own report of the same visit, evaluated
                // without the previous visit, also among the inputs: the
                // follow-up result accounts for it, nothing is counted
                // twice.
                if rng.chance(30) {
                    plain_follow_up_reports += 1;
                    let plain = lib
                        .evaluate(&inspection, &EvalOptions::default())
                        .expect("evaluate");
                    batch_line(&mut batch, &plain, s % 2 == 0);
                }
            } else {
                chain_count += 1;
                std::fs::write(
                    dir.join(format!("reports/chains/S{s:05}.json")),
                    result.to_json(),
                )
                .expect("write");
            }
            previous = Previous::FollowUp(Box::new(result));
        }
    }
    for i in 0..5 {
        batch.push_str(&format!(
            "{{\"line\": {}, \"errors\": [{{\"code\": \"E0002\", \"name\": \"syntax\", \"message\": \"not JSON\", \"line\": {}, \"column\": 1}}]}}\n",
            SITES + i,
            SITES + i
        ));
    }
    std::fs::write(dir.join("batch.ndjson"), batch).expect("write");
    std::fs::write(
        dir.join("array.json"),
        serde_json::to_string_pretty(&array).expect("json"),
    )
    .expect("write");
    std::fs::write(dir.join("followups.jsonl"), followups).expect("write");

    // The counts, computed from the generator's choices.
    let as_of = visits.iter().map(|v| v.day).max().expect("visits");
    let mut rows: BTreeMap<(String, String), Expect> = BTreeMap::new();
    let region_keys = |r: &Option<String>| -> [String; 3] {
        let parts: Vec<&str> = r
            .as_deref()
            .map(|r| r.split('/').collect())
            .unwrap_or_default();
        let upto = |n: usize| {
            if parts.len() >= n {
                parts[..n].join("/")
            } else {
                "-".to_string()
            }
        };
        [upto(1), upto(2), upto(3)]
    };
    let level_key = |major: bool| if major { "major" } else { "ordinary" }.to_string();
    for v in &visits {
        let site = &sites[v.site];
        let [p, c, k] = region_keys(&site.region);
        for key in [
            ("total".to_string(), "total".to_string()),
            ("domain".into(), site.domain.to_string()),
            ("province".into(), p),
            ("city".into(), c),
            ("county".into(), k),
            ("month".into(), month(v.day)),
        ] {
            let e = rows.entry(key).or_default();
            e.inspections += 1;
            e.sites.insert(v.site);
        }
        let levels: BTreeSet<bool> = v.present.iter().map(|p| p.1).collect();
        for major in levels {
            let e = rows.entry(("level".into(), level_key(major))).or_default();
            e.inspections += 1;
            e.sites.insert(v.site);
        }
        for (rule, _) in &v.present {
            let e = rows.entry(("rule".into(), rule.to_string())).or_default();
            e.inspections += 1;
            e.sites.insert(v.site);
        }
    }
    let mut major_open = 0;
    let mut overdue_total = 0;
    for h in &hazards {
        let site = &sites[h.site];
        assert_eq!(site.ruleset, h.ruleset);
        let [p, c, k] = region_keys(&site.region);
        let overdue = !h.rectified && h.due.is_some_and(|due| due < as_of);
        let no_due = !h.rectified && h.due.is_none();
        major_open += usize::from(h.major && !h.rectified);
        overdue_total += usize::from(overdue);
        for key in [
            ("total".to_string(), "total".to_string()),
            ("level".into(), level_key(h.major)),
            ("domain".into(), site.domain.to_string()),
            ("rule".into(), h.rule.to_string()),
            ("province".into(), p),
            ("city".into(), c),
            ("county".into(), k),
            ("month".into(), month(h.found)),
        ] {
            let e = rows.entry(key).or_default();
            e.sites.insert(h.site);
            e.hazards += 1;
            if h.major {
                e.major += 1;
            } else {
                e.ordinary += 1;
            }
            e.rectified += usize::from(h.rectified);
            e.overdue += usize::from(overdue);
            e.no_due += usize::from(no_due);
            e.escalated += usize::from(h.escalated && !h.rectified);
        }
    }
    // Levels always have both rows.
    for l in ["major", "ordinary"] {
        rows.entry(("level".into(), l.into())).or_default();
    }

    let o = hazcheck(&["stats", &dir.to_string_lossy(), "--format", "json"]);
    let s = json(&o);
    assert_eq!(s["inputs"]["reports"], SITES + 7 + plain_follow_up_reports);
    assert_eq!(s["inputs"]["follow_ups"], follow_up_count + chain_count);
    assert_eq!(s["inputs"]["failed"], 5);
    assert_eq!(s["inputs"]["duplicates"], 7 + plain_follow_up_reports);
    assert_eq!(s["as_of"], day(as_of).to_string());

    let mut got: BTreeMap<(String, String), Counts> = BTreeMap::new();
    got.insert(("total".into(), "total".into()), row_counts(&s["total"]));
    for dim in [
        "level", "domain", "rule", "province", "city", "county", "month",
    ] {
        for r in s[format!("by_{dim}")].as_array().expect("rows") {
            let key = r["key"].as_str().expect("key").to_string();
            let old = got.insert((dim.to_string(), key.clone()), row_counts(r));
            assert!(old.is_none(), "row {dim} {key} appears twice");
        }
    }
    let want: BTreeMap<(String, String), Counts> =
        rows.iter().map(|(k, e)| (k.clone(), e.counts())).collect();
    for (k, w) in &want {
        assert_eq!(
            got.get(k),
            Some(w),
            "row {k:?} (inspections, sites, hazards, major, ordinary, rectified, open, overdue, no_due, escalated)"
        );
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    let total = &rows[&("total".to_string(), "total".to_string())];
    let fire = &rows[&("domain".to_string(), "forest-fire".to_string())];
    assert!(
        total.hazards > 5_000
            && total.rectified > 500
            && total.escalated > 50
            && total.no_due > 100
            && total.overdue > 100
            && fire.escalated > 20
            && chain_count > 500
            && plain_follow_up_reports > 500,
        "the generated set exercises every state: {:?}, forest fire {:?}, {chain_count} chains, {plain_follow_up_reports} plain reports of follow-ups",
        total.counts(),
        fire.counts()
    );
    let tenths = (total.rectified * 2000 + total.hazards) / (total.hazards * 2);
    assert_eq!(
        s["total"]["rectified_percent"].as_f64(),
        Some(tenths as f64 / 10.0)
    );
    assert_eq!(s["major_open"].as_array().map(Vec::len), Some(major_open));
    assert_eq!(s["overdue"].as_array().map(Vec::len), Some(overdue_total));
    assert_eq!(s["by_domain"].as_array().map(Vec::len), Some(2));

    // With a late as-of date every hazard not rectified and with a due
    // date is overdue; those without one never are.
    let late = json(&hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]));
    assert_eq!(
        late["total"]["overdue"],
        total.hazards - total.rectified - total.no_due
    );

    // The CSV carries the same totals.
    let csv = stdout(&hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "csv",
    ]));
    let line = csv.lines().nth(1).expect("total line");
    let c = total.counts();
    assert!(
        line.starts_with(&format!(
            "total,total,,,{},{},{},{},{},{},{},{},{},{},",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
        )),
        "{line}"
    );
    // A header, then every row of `got` and the weeks.
    let weeks = s["by_week"].as_array().map_or(0, Vec::len);
    assert_eq!(csv.lines().count(), 1 + got.len() + weeks);
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

// A skip (HAZCHECK_NO_BROWSER=1) prints a line: it must be visible in the
// test log, never silent.
#[allow(clippy::print_stderr)]
#[test]
fn stats_page_renders_in_a_headless_browser() {
    let Some(chromium) = find_chromium() else {
        if std::env::var_os("HAZCHECK_NO_BROWSER").is_some_and(|v| v == "1") {
            eprintln!(
                "SKIPPED: no chromium on PATH and HAZCHECK_NO_BROWSER=1: the HTML page was not rendered"
            );
            return;
        }
        panic!(
            "this test renders the statistics page with chromium, which is not on PATH; \
             run .ci/install-chromium, or set HAZCHECK_NO_BROWSER=1 to skip it"
        );
    };
    let dir = scratch("browser");
    let paths = three_visits(&dir);
    // A site whose texts are markup: the page must show them as text.
    let mut hostile: Value =
        serde_json::from_str(&std::fs::read_to_string(&paths[0]).expect("read")).expect("json");
    hostile["inspection"]["site"] = serde_json::json!({
        "id": "X-1",
        "name": "<script>document.title='pwned'</script> & Co",
        "region": "山东省/济南市<img src=x>/历下区",
    });
    std::fs::write(dir.join("hostile.json"), hostile.to_string()).expect("write");
    let o = hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "html",
        "--lang",
        "en",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = stdout(&o);
    assert!(!html.contains("<script"), "no markup from the inputs");
    for bad in [
        "<link", "<img", "<iframe", "src=\"", "href=", "url(", "@import", "https://",
    ] {
        assert!(
            !html.contains(bad),
            "the page must load nothing: found {bad}"
        );
    }
    let page = dir.join("stats.html");
    std::fs::write(&page, &html).expect("write");
    let url = format!("file://{}", page.display());
    let profile = dir.join("profile");
    let browser = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(&chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--window-size=1100,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(&url);
        cmd.output().expect("run chromium")
    };
    let dom = browser(&["--dump-dom"]);
    assert!(dom.status.success(), "chromium failed: {}", stderr(&dom));
    let dom = stdout(&dom);
    // The browser built the document: title, charts with their bars, and
    // the hostile texts as text.
    assert!(
        dom.contains("<title>Work-safety supervision statistics</title>"),
        "{dom}"
    );
    assert_eq!(
        dom.matches("<svg class=\"chart").count(),
        10,
        "one chart per group and two rate charts"
    );
    assert!(dom.matches("class=\"bar major\"").count() >= 8);
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt; &amp; Co"));
    assert!(!dom.contains("<script"));
    assert!(!dom.contains("<img"));
    assert!(dom.contains("<section id=\"major-open\">"));
    let shot = dir.join("page.png");
    let o = browser(&[&format!("--screenshot={}", shot.display())]);
    assert!(o.status.success(), "chromium failed: {}", stderr(&o));
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A blank page of this size compresses to a few kilobytes; the charts
    // and tables make it much larger.
    assert!(
        png.len() > 20_000,
        "screenshot of {} bytes looks blank",
        png.len()
    );
}

/// Ids, site names and titles read from inspections and reports never
/// reach the terminal raw: the follow-up text and the statistics table
/// show control characters as escapes, as `eval` does.
#[test]
fn follow_up_and_stats_text_cannot_drive_the_terminal() {
    let dir = scratch("terminal");
    let hostile = |path: &str, id: &str| {
        let text = std::fs::read_to_string(root().join(path)).expect("read visit");
        text.replace(&format!("id: {id}"), &format!("id: \"{id}\\e[31mRED\""))
            .replace("name: 某住宅项目3号楼", "name: \"某住宅\\e[2J项目\"")
    };
    let v1 = dir.join("visit-1.yaml");
    let v2 = dir.join("visit-2.yaml");
    std::fs::write(&v1, hostile(VISITS[0], "JN-031-V1")).expect("write");
    std::fs::write(&v2, hostile(VISITS[1], "JN-031-V2")).expect("write");
    let report = dir.join("visit-1.json");
    let (v1, v2, report_s) = (
        v1.to_string_lossy().into_owned(),
        v2.to_string_lossy().into_owned(),
        report.to_string_lossy().into_owned(),
    );
    let o = hazcheck(&["eval", "--ruleset", RULESETS, &v1, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\\u001b[2J"),
        "the report keeps the name as given"
    );
    std::fs::write(&report, &o.stdout).expect("write");
    let follow = hazcheck(&[
        "follow-up",
        "--ruleset",
        RULESETS,
        "--previous",
        &report_s,
        &v2,
    ]);
    assert!(follow.status.success(), "{}", stderr(&follow));
    let stats = hazcheck(&["stats", &report_s, "--lang", "en"]);
    assert!(stats.status.success(), "{}", stderr(&stats));
    for (what, text, shown) in [
        ("follow-up", stdout(&follow), "JN-031-V1\\u{1b}[31mRED"),
        ("stats", stdout(&stats), "某住宅\\u{1b}[2J项目"),
    ] {
        assert!(
            !text.contains('\u{1b}'),
            "{what} printed a raw escape:\n{text}"
        );
        assert!(
            text.contains(shown),
            "{what} does not show {shown:?}:\n{text}"
        );
    }
}
