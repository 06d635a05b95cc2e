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

/// The ```text blocks of docs/closed-loop.md, in order.
fn doc_outputs() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/closed-loop.md")).expect("read doc");
    doc.split("```text\n")
        .skip(1)
        .filter_map(|b| b.split("```").next().map(String::from))
        .collect()
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

    // Visit 2, two weeks later: the power was fixed; the edges and the
    // nets are past their 2025-03-10 due date; the monitoring is due on
    // 2025-04-02.
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
    assert_eq!(v2["matches"][1]["due"], "2025-03-10");
    assert_eq!(edge["due"], "2025-04-16");

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

    // The visit-2 output shown in docs/closed-loop.md is what the command
    // prints.
    let v1 = dir.join("visit-1.json").to_string_lossy().into_owned();
    let shown = hazcheck(&[
        "follow-up",
        "--ruleset",
        RULESETS,
        "--previous",
        &v1,
        VISITS[1],
        "--lang",
        "en",
    ]);
    let docs = doc_outputs();
    assert!(
        stdout(&shown).contains(&docs[0]),
        "docs/closed-loop.md shows another visit-2 output than:\n{}",
        stdout(&shown)
    );

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
        stderr(&o).contains("before the previous visit"),
        "{}",
        stderr(&o)
    );
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
    assert!(
        stdout(&table).starts_with(&doc_outputs()[1]),
        "docs/closed-loop.md shows another table"
    );
    let csv = stdout(&hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "csv",
    ]));
    assert!(csv.starts_with("dimension,key,ruleset,title,inspections,"));
    assert!(
        csv.contains("\ntotal,total,,,3,1,5,2,3,2,3,2,2,40.0\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nrule,ord.nets,site-safety,安全网缺失或破损,3,1,1,0,1,0,1,1,1,0.0\n"),
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
    level_major: bool,
    due: i64,
    rectified: bool,
    escalated: bool,
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
type Counts = [usize; 9];

#[derive(Default)]
struct Expect {
    inspections: usize,
    sites: BTreeSet<usize>,
    hazards: usize,
    major: usize,
    ordinary: usize,
    rectified: usize,
    overdue: usize,
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
        "escalated",
    ]
    .map(|k| row[k].as_u64().unwrap_or(u64::MAX) as usize)
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
    std::fs::create_dir_all(dir.join("reports/nested")).expect("mkdir");
    std::fs::create_dir_all(dir.join("dupes")).expect("mkdir");
    std::fs::write(dir.join("README.txt"), "not read: not JSON").expect("write");
    let mut follow_up_count = 0;
    for s in 0..SITES {
        let fire = rng.chance(40);
        let (ruleset, domain, items, ord_days) = if fire {
            ("fire-safety", "forest-fire", FIRE_ITEMS, 10)
        } else {
            ("site-safety", "construction", SITE_ITEMS, 7)
        };
        let deadline = |major: bool| if major { 30 } else { ord_days };
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
            ruleset,
            domain,
            region,
        });

        // First visit.
        let d1 = epoch + rng.below(150) as i64;
        let mut bad = BTreeSet::new();
        let mut missing = BTreeSet::new();
        for i in items {
            if rng.chance(3) {
                missing.insert(i.id);
            } else if rng.chance(i.percent) {
                bad.insert(i.id);
            }
        }
        let text = format!(
            "ruleset: {ruleset}\nid: V1-{s}\ndate: {}\nsite: {site_yaml}\nanswers: {{{}}}\n",
            day(d1),
            answers(items, &bad, &missing)
        );
        let report = lib
            .evaluate(&parse(&text), &EvalOptions::default())
            .expect("evaluate");
        let first: Vec<usize> = items
            .iter()
            .filter(|i| bad.contains(i.id))
            .map(|i| {
                hazards.push(Hazard {
                    site: s,
                    ruleset,
                    rule: i.rule,
                    found: d1,
                    level_major: i.major,
                    due: d1 + deadline(i.major),
                    rectified: false,
                    escalated: false,
                });
                hazards.len() - 1
            })
            .collect();
        visits.push(Visit {
            site: s,
            day: d1,
            present: items
                .iter()
                .filter(|i| bad.contains(i.id))
                .map(|i| (i.rule, i.major))
                .collect(),
        });

        // Where the report goes: batch lines (bare or wrapped), single
        // files, or one JSON array; a few are written twice.
        match s % 10 {
            0..6 => {
                let value = serde_json::to_value(&report).expect("value");
                let line = if s % 2 == 0 {
                    value
                } else {
                    serde_json::json!({"line": s + 1, "report": value})
                };
                batch.push_str(&line.to_string());
                batch.push('\n');
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

        // A return visit for about a third of the sites.
        if !rng.chance(35) {
            continue;
        }
        follow_up_count += 1;
        let d2 = d1 + 1 + rng.below(45) as i64;
        let mut bad2 = BTreeSet::new();
        let mut missing2 = BTreeSet::new();
        let mut present = Vec::new();
        for i in items {
            let carried = first.iter().copied().find(|h| hazards[*h].rule == i.rule);
            match carried {
                Some(h) => {
                    if rng.chance(5) {
                        // Not answered: unverified, not rectified.
                        missing2.insert(i.id);
                    } else if rng.chance(50) {
                        hazards[h].rectified = true;
                    } else {
                        bad2.insert(i.id);
                        let overdue = hazards[h].due < d2;
                        // The fixture escalates an overdue edge to major.
                        if i.rule == "ord.edge" && overdue {
                            hazards[h].level_major = true;
                        }
                        hazards[h].escalated = overdue && hazards[h].level_major;
                        present.push((i.rule, hazards[h].level_major));
                    }
                }
                None => {
                    if rng.chance(8) {
                        bad2.insert(i.id);
                        present.push((i.rule, i.major));
                        hazards.push(Hazard {
                            site: s,
                            ruleset,
                            rule: i.rule,
                            found: d2,
                            level_major: i.major,
                            due: d2 + deadline(i.major),
                            rectified: false,
                            escalated: false,
                        });
                    }
                }
            }
        }
        visits.push(Visit {
            site: s,
            day: d2,
            present,
        });
        let text = format!(
            "ruleset: {ruleset}\nid: V2-{s}\ndate: {}\nsite: {site_yaml}\nanswers: {{{}}}\n",
            day(d2),
            answers(items, &bad2, &missing2)
        );
        let f = follow_up(
            &lib,
            &Previous::Report(Box::new(report)),
            &parse(&text),
            &FollowUpOptions::default(),
        )
        .expect("follow-up");
        followups.push_str(&serde_json::to_string(&f).expect("json"));
        followups.push('\n');
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
        let overdue = !h.rectified && h.due < as_of;
        major_open += usize::from(h.level_major && !h.rectified);
        overdue_total += usize::from(overdue);
        for key in [
            ("total".to_string(), "total".to_string()),
            ("level".into(), level_key(h.level_major)),
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
            if h.level_major {
                e.major += 1;
            } else {
                e.ordinary += 1;
            }
            e.rectified += usize::from(h.rectified);
            e.overdue += usize::from(overdue);
            e.escalated += usize::from(h.escalated && !h.rectified);
        }
    }
    // Levels always have both rows.
    for l in ["major", "ordinary"] {
        rows.entry(("level".into(), l.into())).or_default();
    }

    let o = hazcheck(&["stats", &dir.to_string_lossy(), "--format", "json"]);
    let s = json(&o);
    assert_eq!(s["inputs"]["reports"], SITES + 7);
    assert_eq!(s["inputs"]["follow_ups"], follow_up_count);
    assert_eq!(s["inputs"]["failed"], 5);
    assert_eq!(s["inputs"]["duplicates"], 7);
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
            "row {k:?} (inspections, sites, hazards, major, ordinary, rectified, open, overdue, escalated)"
        );
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    let total = &rows[&("total".to_string(), "total".to_string())];
    assert!(
        total.hazards > 5_000 && total.rectified > 500 && total.escalated > 50,
        "the generated set exercises every state: {:?}",
        total.counts()
    );
    let tenths = (total.rectified * 2000 + total.hazards) / (total.hazards * 2);
    assert_eq!(
        s["total"]["rectified_percent"].as_f64(),
        Some(tenths as f64 / 10.0)
    );
    assert_eq!(s["major_open"].as_array().map(Vec::len), Some(major_open));
    assert_eq!(s["overdue"].as_array().map(Vec::len), Some(overdue_total));
    assert_eq!(s["by_domain"].as_array().map(Vec::len), Some(2));

    // With a late as-of date every hazard not rectified is overdue.
    let late = json(&hazcheck(&[
        "stats",
        &dir.to_string_lossy(),
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]));
    assert_eq!(late["total"]["overdue"], total.hazards - total.rectified);

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
            "total,total,,,{},{},{},{},{},{},{},{},{},",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
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
