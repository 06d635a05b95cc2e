//! A fixed workload for instruction counts under callgrind, which repeat
//! exactly from run to run and so compare versions of the engine.
//!
//!     valgrind --tool=callgrind --collect-atstart=no \
//!         --toggle-collect='*measured_pass*' \
//!         target/release/callgrind MODE [PASSES] [PROFILE]
//!
//! MODE is `evaluate` (decoded inspections), `from-json` (from parsed
//! JSON), `end-to-end` (JSON text in, report JSON out, through
//! serde_json), `batch` (a line in, its output record out, as `hazcheck
//! batch` does), `compile` (load and compile the ruleset version once
//! per pass: divide by PASSES only), `floor`, `floor-line` (the floor's
//! pipeline: parse, evaluate, serialize), `rego-vm` or `zen`; another mode,
//! or one without its floor or peer, exits with 2. The program evaluates
//! 200 generated inspections (PROFILE `typical`, `clean` or
//! `worst`; default typical) PASSES times (default 5); only
//! `measured_pass` is counted, so instructions per inspection = Ir / (200 ×
//! PASSES). `benches/callgrind.sh` does this. The ruleset is construction
//! unless `RULESET` names another shipped one (the Rego and JDM peers exist
//! for construction only), in its latest shipped version unless `VERSION`
//! names another (a file name under rulesets/RULESET/, such as 2022).

use std::hint::black_box;

use hazcheck::{EvalOptions, FileId, Inspection, Limits, Ruleset};
use hazcheck_benches::floor_rt::{Finding, Input};
use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::peers::{RegoVm, Zen};
use hazcheck_benches::{emit_jdm, emit_rego, floor, lower, shipped};

const POOL: u64 = 200;

const MODES: [&str; 9] = [
    "evaluate",
    "from-json",
    "end-to-end",
    "batch",
    "compile",
    "floor",
    "floor-line",
    "rego-vm",
    "zen",
];

struct Work<'a> {
    rs: &'a Ruleset,
    batch: hazcheck::batch::Batch<'a>,
    lines: &'a [hazcheck::batch::Line],
    sources: &'a [shipped::Shipped],
    texts: &'a [String],
    values: &'a [serde_json::Value],
    insps: &'a [Inspection],
    floor: Option<fn(&Input<'_>, &mut Vec<Finding>)>,
    rego: Option<std::cell::RefCell<RegoVm>>,
    rego_inputs: Vec<regorus::Value>,
    zen: Option<Zen>,
    zen_inputs: Vec<zen_engine::Variable>,
}

#[inline(never)]
fn measured_pass(mode: &str, w: &Work<'_>) -> usize {
    let limits = Limits::default();
    let opts = EvalOptions::default();
    let mut n = 0;
    match mode {
        "evaluate" => {
            for i in w.insps {
                n += black_box(w.rs.evaluate(i, &opts)).findings.len();
            }
        }
        "from-json" => {
            for j in w.values {
                if let Ok(i) = Inspection::from_json(j, FileId(0), &limits) {
                    n += black_box(w.rs.evaluate(&i, &opts)).findings.len();
                }
            }
        }
        "end-to-end" => {
            for t in w.texts {
                let Ok(j) = serde_json::from_str::<serde_json::Value>(t) else {
                    continue;
                };
                if let Ok(i) = Inspection::from_json(&j, FileId(0), &limits) {
                    let r = w.rs.evaluate(&i, &opts);
                    n += serde_json::to_string(&r).map_or(0, |s| s.len());
                }
            }
        }
        "batch" => {
            // What `hazcheck batch` does with each line: the located JSON
            // reader, decoding, evaluation and the output record.
            for l in w.lines {
                n += w.batch.evaluate(0, l).to_json_line().len();
            }
        }
        "compile" => {
            for f in w.sources {
                n += shipped::load(f).map_or(0, |l| l.ids().count());
            }
        }
        "floor-line" => {
            if let Some(f) = w.floor {
                let mut out = Vec::new();
                for t in w.texts {
                    n += hazcheck_benches::floor_rt::floor_line(t, f, &mut out);
                }
            }
        }
        "floor" => {
            if let Some(f) = w.floor {
                let mut out = Vec::new();
                for j in w.values {
                    if let Some(i) = Input::new(j) {
                        out.clear();
                        f(&i, &mut out);
                        n += black_box(&out).len();
                    }
                }
            }
        }
        "rego-vm" => {
            if let Some(r) = &w.rego {
                let mut r = r.borrow_mut();
                for x in &w.rego_inputs {
                    n += r.findings(x.clone()).map_or(0, |f| f.len());
                }
            }
        }
        "zen" => {
            if let Some(z) = &w.zen {
                for x in &w.zen_inputs {
                    n += z.findings(x.clone()).map_or(0, |f| f.len());
                }
            }
        }
        _ => {}
    }
    n
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("evaluate", String::as_str);
    if !MODES.contains(&mode) {
        eprintln!("unknown mode {mode:?}; modes: {}", MODES.join(" "));
        std::process::exit(2);
    }
    let passes: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let profile = match args.get(3).map(String::as_str) {
        Some("clean") => Profile::Clean,
        Some("worst") => Profile::Worst,
        _ => Profile::Typical,
    };
    let chosen = std::env::var("VERSION").ok();
    let id = std::env::var("RULESET").unwrap_or_else(|_| "construction".into());
    let Some(file) = shipped::files()
        .into_iter()
        .filter(|f| f.name.starts_with(&format!("builtin:rulesets/{id}/")))
        .filter(|f| {
            chosen
                .as_ref()
                .is_none_or(|v| f.name.ends_with(&format!("/{v}.yaml")))
        })
        .max_by(|a, b| a.name.cmp(&b.name))
    else {
        std::process::exit(2);
    };
    let Ok(library) = shipped::load(&file) else {
        std::process::exit(2);
    };
    let Some(rs) = library.versions(&id).first().cloned() else {
        std::process::exit(2);
    };
    let Ok(plan) = Plan::new(rs.model()) else {
        std::process::exit(2);
    };
    let mut rng = Rng::new(12);
    let values: Vec<serde_json::Value> = (0..POOL)
        .map(|n| plan.inspection(&mut rng, profile, n))
        .collect();
    let texts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let limits = Limits::default();
    let insps: Vec<Inspection> = values
        .iter()
        .filter_map(|j| Inspection::from_json(j, FileId(0), &limits).ok())
        .collect();
    let version = rs.info().version.clone();
    let lowered = lower::lower(rs.model()).ok();
    let peers = mode == "rego-vm" || mode == "zen";
    let rego = lowered
        .as_ref()
        .filter(|_| peers)
        .and_then(|l| emit_rego::policy(l).ok())
        .and_then(|p| RegoVm::new(&p).ok())
        .map(std::cell::RefCell::new);
    let zen = lowered
        .as_ref()
        .filter(|_| peers)
        .and_then(|l| emit_jdm::decision(l).and_then(|g| Zen::new(&g, l)).ok());
    let lines: Vec<hazcheck::batch::Line> = texts
        .iter()
        .map(|t| hazcheck::batch::Line::Bytes(t.as_bytes().to_vec()))
        .collect();
    let sources = [file];
    let w = Work {
        batch: hazcheck::batch::Batch::new(&library, limits.clone(), EvalOptions::default()),
        lines: &lines,
        sources: &sources,
        rego,
        rego_inputs: values
            .iter()
            .map(|v| regorus::Value::from(v.clone()))
            .collect(),
        zen,
        zen_inputs: values
            .iter()
            .map(|v| zen_engine::Variable::from(v.clone()))
            .collect(),
        rs: &rs,
        texts: &texts,
        values: &values,
        insps: &insps,
        floor: floor::FLOORS
            .iter()
            .find(|(i, v, _)| *i == id && *v == version)
            .map(|(_, _, f)| *f),
    };
    let missing = match mode {
        "floor" | "floor-line" => w.floor.is_none().then_some("no floor"),
        "rego-vm" => w.rego.is_none().then_some("no Rego policy"),
        "zen" => w.zen.is_none().then_some("no JDM decision"),
        _ => None,
    };
    if let Some(m) = missing {
        eprintln!("{mode}: {m} for {id} {version}");
        std::process::exit(2);
    }
    let mut total = 0;
    for _ in 0..passes {
        total += measured_pass(mode, &w);
    }
    println!(
        "{mode}: {} inspections × {passes} passes ({total})",
        values.len()
    );
    // A load that failed would be counted as a cheap one.
    if mode == "compile" && total == 0 {
        eprintln!("compile: {id} {version} did not load");
        std::process::exit(1);
    }
}
