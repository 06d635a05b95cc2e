//! The comparison report of issue 12, printed as Markdown.
//!
//! One run measures, on this machine and in this order: compile time and
//! memory of every shipped ruleset version; evaluation time on clean,
//! typical and worst-case generated inspections; a differential check of
//! hazcheck against the hand-style Rust floor, a direct interpreter of the
//! lowered rules, regorus (interpreter and VM) and zen-engine; hazcheck
//! against the floor for every version; the peers' speed on the
//! construction ruleset; evaluation time against the number of rules that
//! apply; end-to-end batch throughput on one and all cores, through the
//! serde_json path and through `hazcheck batch`'s own path; and the memory
//! of a long batch, from the `batch` binary (a million inspections, or
//! 100,000 with `--quick`). The targets of the issue are checked as ratios
//! of the same run.
//!
//!     cargo build --release --bins          # the batch binary too
//!     cargo run --release --bin report [-- --quick] [-- --peers all]
//!
//! `--peers all` builds the Rego policy and the JDM decision of every
//! version for the differential check, not only construction's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;

use hazcheck::{EvalOptions, FileId, Inspection, Library, Limits, Ruleset, Verdict};
use hazcheck_benches::floor_rt::{self, Finding, Input, Level};
use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::interp::{self, Regexes};
use hazcheck_benches::lower::{self, Lowered};
use hazcheck_benches::measure::{self, Counting, us};
use hazcheck_benches::peers::{Rego, RegoVm, Zen};
use hazcheck_benches::{emit_jdm, emit_rego, floor, shipped};
use rayon::prelude::*;
use serde_json::Value;

#[global_allocator]
static ALLOC: Counting = Counting;

/// Findings as sorted (rule, level) pairs.
type Pairs = Vec<(String, Level)>;

/// A floor's evaluation function.
type FloorFn = fn(&Input<'_>, &mut Vec<Finding>);

/// The ruleset the issue compares peers on.
const FOCUS: &str = "construction";

struct Version {
    id: String,
    version: String,
    library: Library,
    rs: Arc<Ruleset>,
    compile_ns: f64,
    bytes: i64,
    lowered: Result<Lowered, String>,
    floor: Option<FloorFn>,
    plan: Option<Plan>,
}

struct Pools {
    clean: Vec<Value>,
    typical: Vec<Value>,
    worst: Vec<Value>,
    mix: BTreeMap<&'static str, usize>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let all_peers = args.windows(2).any(|w| w[0] == "--peers" && w[1] == "all");
    let reps = if quick { 3 } else { 7 };
    let n_typical = if quick { 600 } else { 2000 };
    let mut md = String::new();
    let _ = writeln!(md, "# hazcheck benchmark report\n");
    machine(&mut md);

    let versions = load_all(if quick { 5 } else { 15 });
    let mut targets: Vec<(String, String, bool)> = Vec::new();

    // Compile time and memory.
    let _ = writeln!(md, "## Compile time and memory of the shipped rulesets\n");
    let _ = writeln!(
        md,
        "Load = parse the YAML, check, merge includes, compile; median of runs. Memory = bytes the compiled `Library` keeps allocated (counting allocator).\n"
    );
    let _ = writeln!(
        md,
        "| ruleset | version | items | rules | compile (ms) | memory (KiB) |\n|---|---|--:|--:|--:|--:|"
    );
    for v in &versions {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.2} | {:.0} |",
            v.id,
            v.version,
            v.rs.item_count(),
            v.rs.rule_count(),
            v.compile_ns / 1e6,
            v.bytes as f64 / 1024.0
        );
    }
    let _ = writeln!(md);

    // Pools and evaluation times.
    let mut pools: Vec<Option<Pools>> = Vec::new();
    for v in &versions {
        pools.push(v.plan.as_ref().map(|p| make_pools(v, p, n_typical)));
    }
    let _ = writeln!(md, "## Evaluation time per inspection\n");
    let _ = writeln!(
        md,
        "`Ruleset::evaluate` on a decoded `Inspection` (the report included, without `--explain`), and with `Inspection::from_json` from a parsed `serde_json::Value` in front. Generated, complete inspections: clean (every tested answer good), typical (the mix below), worst (as many rules applicable and firing as the generator finds). Median of {reps} runs over each pool. Allocations are counted over one pass.\n"
    );
    let _ = writeln!(
        md,
        "| ruleset | version | pool | inspections | applicable rules (mean) | findings (mean) | evaluate (µs) | from_json + evaluate (µs) | allocations per inspection |\n|---|---|---|--:|--:|--:|--:|--:|--:|"
    );
    let limits = Limits::default();
    let opts = EvalOptions::default();
    let mut typical_eval: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (v, p) in versions.iter().zip(&pools) {
        let Some(p) = p else { continue };
        for (name, pool) in [
            ("clean", &p.clean),
            ("typical", &p.typical),
            ("worst", &p.worst),
        ] {
            let insps = decode(pool, &limits);
            let (applicable, findings) = shape(&v.rs, &insps);
            let eval = measure::per_item(&insps, reps, |i| {
                black_box(v.rs.evaluate(i, &opts));
            });
            let both = measure::per_item(pool, reps, |j| {
                if let Ok(i) = Inspection::from_json(j, FileId(0), &limits) {
                    black_box(v.rs.evaluate(&i, &opts));
                }
            });
            let ((), c) = measure::count(|| {
                for i in &insps {
                    black_box(v.rs.evaluate(i, &opts));
                }
            });
            if name == "typical" {
                typical_eval.insert((v.id.clone(), v.version.clone()), eval);
            }
            let _ = writeln!(
                md,
                "| {} | {} | {name} | {} | {applicable:.1} | {findings:.2} | {} | {} | {:.0} |",
                v.id,
                v.version,
                pool.len(),
                us(eval),
                us(both),
                c.calls as f64 / insps.len().max(1) as f64
            );
        }
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "Typical mix (engine verdicts):\n");
    let _ = writeln!(
        md,
        "| ruleset | version | clear | ordinary | major | incomplete |\n|---|---|--:|--:|--:|--:|"
    );
    for (v, p) in versions.iter().zip(&pools) {
        let Some(p) = p else { continue };
        let g = |k: &str| p.mix.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            v.id,
            v.version,
            g("clear"),
            g("ordinary"),
            g("major"),
            g("incomplete")
        );
    }
    let _ = writeln!(md);

    // Compile cost against evaluation cost.
    let _ = writeln!(
        md,
        "### Compiling costs no more than evaluating 1,000 inspections\n"
    );
    let _ = writeln!(
        md,
        "| ruleset | version | compile (ms) | 1,000 typical evaluations (ms) | ratio |\n|---|---|--:|--:|--:|"
    );
    for v in &versions {
        let Some(e) = typical_eval.get(&(v.id.clone(), v.version.clone())) else {
            continue;
        };
        let ratio = v.compile_ns / (e * 1000.0);
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {:.2} | {:.2} |",
            v.id,
            v.version,
            v.compile_ns / 1e6,
            e * 1000.0 / 1e6,
            ratio
        );
        targets.push((
            format!("compile {} {} ≤ 1,000 evaluations", v.id, v.version),
            format!("{ratio:.2}×"),
            ratio <= 1.0,
        ));
    }
    let _ = writeln!(md);

    // Differential check and peers.
    let _ = writeln!(md, "## Same findings from every implementation\n");
    let _ = writeln!(
        md,
        "Findings compared as sorted (rule, level) pairs on every generated inspection (clean, typical and worst pools). `floor` is the hand-style Rust written out by build.rs; `interp` a direct interpreter of the same lowered formulas; `regorus` and `regorus-vm` the Rego policy on regorus's interpreter and VM; `zen` the JDM decision on zen-engine.\n"
    );
    let _ = writeln!(
        md,
        "| ruleset | version | inspections | floor | interp | regorus | regorus-vm | zen |\n|---|---|--:|---|---|---|---|---|"
    );
    let mut notes = String::new();
    let mut focus_peers = None;
    for (v, p) in versions.iter().zip(&pools) {
        let Some(p) = p else { continue };
        let lowered = match &v.lowered {
            Ok(l) => l,
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {} | {} | – | not expressible: {e} | | | | |",
                    v.id, v.version
                );
                continue;
            }
        };
        let with_peers = all_peers || v.id == FOCUS;
        let peers = if with_peers {
            Some(build_peers(lowered, &mut notes))
        } else {
            None
        };
        let all: Vec<&Value> = p.clean.iter().chain(&p.typical).chain(&p.worst).collect();
        let mut results: Vec<String> = Vec::new();
        let mut mism = [0usize; 5];
        let mut errors = [0usize; 5];
        let mut re = Regexes::default();
        let mut shown = 0;
        for j in &all {
            let Ok(i) = Inspection::from_json(j, FileId(0), &limits) else {
                continue;
            };
            let want = engine_pairs(&v.rs.evaluate(&i, &opts));
            let Some(input) = Input::new(j) else { continue };
            let mut got: [Option<Result<Pairs, String>>; 5] = Default::default();
            if let Some(f) = v.floor {
                let mut out = Vec::new();
                f(&input, &mut out);
                got[0] = Some(Ok(interp::pairs(&out)));
            }
            got[1] = Some(Ok(interp::findings(lowered, &input, &mut re)));
            if let Some(pe) = &peers {
                let pe = &mut *pe.borrow_mut();
                if let Some(r) = pe.rego.as_mut() {
                    got[2] = Some(r.findings(regorus::Value::from((*j).clone())));
                }
                if let Some(r) = pe.rego_vm.as_mut() {
                    got[3] = Some(r.findings(regorus::Value::from((*j).clone())));
                }
                if let Some(z) = pe.zen.as_ref() {
                    got[4] = Some(z.findings(zen_engine::Variable::from((*j).clone())));
                }
            }
            for (k, g) in got.iter().enumerate() {
                match g {
                    None => {}
                    Some(Err(e)) => {
                        errors[k] += 1;
                        if shown < 3 {
                            shown += 1;
                            let _ = writeln!(
                                notes,
                                "- {} {} {}: {} error: {e}",
                                v.id, v.version, j["id"], NAMES[k]
                            );
                        }
                    }
                    Some(Ok(g)) if *g != want => {
                        mism[k] += 1;
                        if shown < 3 {
                            shown += 1;
                            eprintln!("{} {} mismatch for {}: {j}", v.id, v.version, NAMES[k]);
                            let _ = writeln!(
                                notes,
                                "- {} {} {}: {} gives {:?}, hazcheck {:?}",
                                v.id, v.version, j["id"], NAMES[k], g, want
                            );
                        }
                    }
                    Some(Ok(_)) => {}
                }
            }
        }
        let has = |k: usize| match k {
            0 => v.floor.is_some(),
            1 => true,
            _ => peers.as_ref().is_some_and(|p| {
                let p = p.borrow();
                match k {
                    2 => p.rego.is_some(),
                    3 => p.rego_vm.is_some(),
                    _ => p.zen.is_some(),
                }
            }),
        };
        for k in 0..5 {
            results.push(if !has(k) {
                "–".into()
            } else if mism[k] == 0 && errors[k] == 0 {
                "same".into()
            } else {
                format!("**{} differ, {} errors**", mism[k], errors[k])
            });
            if has(k) && k != 1 {
                targets.push((
                    format!("same findings: {} {} {}", NAMES[k], v.id, v.version),
                    format!("{} differ, {} errors", mism[k], errors[k]),
                    mism[k] == 0 && errors[k] == 0,
                ));
            }
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            v.id,
            v.version,
            all.len(),
            results.join(" | ")
        );
        if v.id == FOCUS && v.rs.info().effective_to.is_none() {
            focus_peers = peers.map(|p| (p, lowered.clone()));
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(md, "\n{notes}");
    }
    let _ = writeln!(md);

    // hazcheck against the floor and the interpreter, every version.
    let _ = writeln!(md, "### hazcheck against the floor, per ruleset\n");
    let _ = writeln!(
        md,
        "Typical pool of each version; median of {reps} runs. `floor` and `interp` run on the parsed `serde_json::Value`, hazcheck `evaluate` on the decoded `Inspection` and builds the full report.\n"
    );
    let _ = writeln!(
        md,
        "| ruleset | version | rules | floor (µs) | interp (µs) | hazcheck evaluate (µs) | evaluate × floor | from_json + evaluate × floor |\n|---|---|--:|--:|--:|--:|--:|--:|"
    );
    for (v, p) in versions.iter().zip(&pools) {
        let Some(p) = p else { continue };
        let (Some(f), Ok(l)) = (v.floor, &v.lowered) else {
            let _ = writeln!(
                md,
                "| {} | {} | {} | – | – | {} | – | – |",
                v.id,
                v.version,
                v.rs.rule_count(),
                typical_eval
                    .get(&(v.id.clone(), v.version.clone()))
                    .map_or("–".into(), |e| us(*e))
            );
            continue;
        };
        let insps = decode(&p.typical, &limits);
        let inputs: Vec<Input<'_>> = p.typical.iter().filter_map(Input::new).collect();
        let mut out = Vec::new();
        let floor_ns = measure::per_item(&inputs, reps, |i| {
            out.clear();
            f(i, &mut out);
            black_box(&out);
        });
        let mut re = Regexes::default();
        let interp_ns = measure::per_item(&inputs, reps, |i| {
            black_box(interp::findings(l, i, &mut re));
        });
        let eval_ns = measure::per_item(&insps, reps, |i| {
            black_box(v.rs.evaluate(i, &opts));
        });
        let both_ns = measure::per_item(&p.typical, reps, |j| {
            if let Ok(i) = Inspection::from_json(j, FileId(0), &limits) {
                black_box(v.rs.evaluate(&i, &opts));
            }
        });
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {:.2} | {:.2} |",
            v.id,
            v.version,
            v.rs.rule_count(),
            us(floor_ns),
            us(interp_ns),
            us(eval_ns),
            eval_ns / floor_ns,
            both_ns / floor_ns
        );
        targets.push((
            format!("evaluate within 1.5× of the floor: {} {}", v.id, v.version),
            format!("{:.2}×", eval_ns / floor_ns),
            eval_ns / floor_ns <= 1.5,
        ));
    }
    let _ = writeln!(md);

    // Speed against the peers, on the version of the focus ruleset in force.
    if let Some(ix) = versions
        .iter()
        .position(|v| v.id == FOCUS && v.rs.info().effective_to.is_none())
        && let Some(p) = &pools[ix]
    {
        let v = &versions[ix];
        let insps = decode(&p.typical, &limits);
        let inputs: Vec<Input<'_>> = p.typical.iter().filter_map(Input::new).collect();
        let mut out = Vec::new();
        let floor_ns = v.floor.map(|f| {
            measure::per_item(&inputs, reps, |i| {
                out.clear();
                f(i, &mut out);
                black_box(&out);
            })
        });
        let engine_ns = measure::per_item(&insps, reps, |i| {
            black_box(v.rs.evaluate(i, &opts));
        });
        let engine_json_ns = measure::per_item(&p.typical, reps, |j| {
            if let Ok(i) = Inspection::from_json(j, FileId(0), &limits) {
                black_box(v.rs.evaluate(&i, &opts));
            }
        });
        let parse_texts: Vec<String> = p.typical.iter().map(|j| j.to_string()).collect();
        let parse_ns = measure::per_item(&parse_texts, reps, |t| {
            black_box(serde_json::from_str::<Value>(t).ok());
        });
        let mut rows: Vec<(String, f64, String)> = Vec::new();
        if let Some(f) = floor_ns {
            rows.push((
                "hand-style Rust (floor), on `serde_json::Value`".into(),
                f,
                "the floor".into(),
            ));
        }
        rows.push((
            "hazcheck `evaluate`, on `Inspection`".into(),
            engine_ns,
            "full report".into(),
        ));
        rows.push((
            "hazcheck `from_json` + `evaluate`, on `serde_json::Value`".into(),
            engine_json_ns,
            "full report".into(),
        ));
        let lowered = v.lowered.as_ref().ok();
        if let Some(l) = lowered {
            let mut re = Regexes::default();
            let ns = measure::per_item(&inputs, reps, |i| {
                black_box(interp::findings(l, i, &mut re));
            });
            rows.push((
                "direct interpreter of the lowered formulas".into(),
                ns,
                "(rule, level) pairs".into(),
            ));
        }
        let mut rego_ns = None;
        let mut zen_ns = None;
        if let Some((pe, _)) = &focus_peers {
            let pe = &mut *pe.borrow_mut();
            let slow_reps = if quick { 1 } else { 3 };
            let subset: Vec<&Value> = p
                .typical
                .iter()
                .take(if quick { 100 } else { 400 })
                .collect();
            let rv: Vec<regorus::Value> = subset
                .iter()
                .map(|j| regorus::Value::from((*j).clone()))
                .collect();
            if let Some(r) = pe.rego.as_mut() {
                let ns = measure::per_item(&rv, slow_reps, |x| {
                    black_box(r.findings(x.clone()).ok());
                });
                rows.push((
                    "regorus interpreter, on `regorus::Value`".into(),
                    ns,
                    "set of [rule, level]".into(),
                ));
                rego_ns = Some(ns);
            }
            if let Some(r) = pe.rego_vm.as_mut() {
                let ns = measure::per_item(&rv, slow_reps, |x| {
                    black_box(r.findings(x.clone()).ok());
                });
                rows.push((
                    "regorus VM (RVM), on `regorus::Value`".into(),
                    ns,
                    "set of [rule, level]".into(),
                ));
                rego_ns = Some(rego_ns.map_or(ns, |o: f64| o.min(ns)));
            }
            if let Some(z) = pe.zen.as_ref() {
                let zv: Vec<zen_engine::Variable> = subset
                    .iter()
                    .map(|j| zen_engine::Variable::from((*j).clone()))
                    .collect();
                let ns = measure::per_item(&zv, slow_reps, |x| {
                    black_box(z.findings(x.clone()).ok());
                });
                rows.push((
                    "zen-engine, on `zen::Variable`".into(),
                    ns,
                    "object of levels".into(),
                ));
                zen_ns = Some(ns);
            }
        }
        let _ = writeln!(
            md,
            "## {} {}: hazcheck against the floor and the peers\n",
            v.id, v.version
        );
        let _ = writeln!(
            md,
            "{} typical inspections ({} for the peers); each engine starts from its own parsed input. Parsing the inspection's JSON text with serde_json alone: {} µs.\n",
            p.typical.len(),
            if quick { 100 } else { 400 },
            us(parse_ns)
        );
        let _ = writeln!(
            md,
            "| implementation | output | µs per inspection | × floor | × hazcheck |\n|---|---|--:|--:|--:|"
        );
        for (name, ns, output) in &rows {
            let _ = writeln!(
                md,
                "| {name} | {output} | {} | {} | {:.2} |",
                us(*ns),
                floor_ns.map_or("–".to_string(), |f| format!("{:.2}", ns / f)),
                ns / engine_ns
            );
        }
        let _ = writeln!(md);
        if let Some(f) = floor_ns {
            targets.push((
                "from_json + evaluate within 1.5× of the floor".into(),
                format!("{:.2}×", engine_json_ns / f),
                engine_json_ns / f <= 1.5,
            ));
        }
        if let Some(r) = rego_ns {
            targets.push((
                "at least 10× faster than regorus (its faster mode)".into(),
                format!("{:.1}×", r / engine_ns),
                r / engine_ns >= 10.0,
            ));
        }
        if let Some(z) = zen_ns {
            targets.push((
                "at least 50× faster than zen-engine".into(),
                format!("{:.1}×", z / engine_ns),
                z / engine_ns >= 50.0,
            ));
        }

        // Cost against the rules that apply.
        scaling(&mut md, v, p, &limits, reps);

        // End-to-end batch.
        batch(&mut md, v, &parse_texts, reps, &mut targets);
    }

    batch_memory(&mut md, quick);

    let _ = writeln!(md, "## Targets\n");
    let _ = writeln!(md, "| target | measured | met |\n|---|--:|---|");
    for (t, m, ok) in &targets {
        let _ = writeln!(md, "| {t} | {m} | {} |", if *ok { "yes" } else { "**no**" });
    }
    print!("{md}");
}

const NAMES: [&str; 5] = ["floor", "interp", "regorus", "regorus-vm", "zen"];

struct Peers {
    rego: Option<Rego>,
    rego_vm: Option<RegoVm>,
    zen: Option<Zen>,
}

fn build_peers(l: &Lowered, notes: &mut String) -> std::cell::RefCell<Peers> {
    let mut p = Peers {
        rego: None,
        rego_vm: None,
        zen: None,
    };
    match emit_rego::policy(l) {
        Ok(policy) => {
            match Rego::new(&policy) {
                Ok(r) => p.rego = Some(r),
                Err(e) => {
                    let _ = writeln!(
                        notes,
                        "- {} {}: regorus rejects the policy: {e}",
                        l.id, l.version
                    );
                }
            }
            match RegoVm::new(&policy) {
                Ok(r) => p.rego_vm = Some(r),
                Err(e) => {
                    let _ = writeln!(notes, "- {} {}: regorus VM: {e}", l.id, l.version);
                }
            }
        }
        Err(e) => {
            let _ = writeln!(notes, "- {} {}: no Rego policy: {e}", l.id, l.version);
        }
    }
    match emit_jdm::decision(l).and_then(|g| Zen::new(&g, l)) {
        Ok(z) => p.zen = Some(z),
        Err(e) => {
            let _ = writeln!(notes, "- {} {}: no JDM decision: {e}", l.id, l.version);
        }
    }
    std::cell::RefCell::new(p)
}

fn machine(md: &mut String) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "Machine: {cpu}, {cores} cores available; {rustc}; release profile. Load average (1 min) at the start: {:.2}.\n",
        measure::load_average().unwrap_or(f64::NAN)
    );
}

fn load_all(reps: usize) -> Vec<Version> {
    let floors: BTreeMap<(&str, &str), FloorFn> = floor::FLOORS
        .iter()
        .map(|(id, v, f)| ((*id, *v), *f))
        .collect();
    let mut out = Vec::new();
    for file in shipped::files() {
        // Warm up lazily initialized state before counting.
        let Ok(library) = shipped::load(&file) else {
            eprintln!("skipping {}: it does not load", file.name);
            continue;
        };
        let (_, counted) = measure::count(|| shipped::load(&file).ok());
        let compile_ns = measure::time(reps, || {
            black_box(shipped::load(&file).ok());
        });
        let Some(id) = library.ids().next().map(str::to_string) else {
            continue;
        };
        let Some(rs) = library.versions(&id).first().cloned() else {
            continue;
        };
        let version = rs.info().version.clone();
        let lowered = lower::lower(rs.model());
        let plan = Plan::new(rs.model())
            .map_err(|e| eprintln!("no generator for {id} {version}: {e}"))
            .ok();
        out.push(Version {
            floor: floors.get(&(id.as_str(), version.as_str())).copied(),
            id,
            version,
            library,
            rs,
            compile_ns,
            bytes: counted.live_bytes,
            lowered,
            plan,
        });
    }
    out
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Clear => "clear",
        Verdict::Ordinary => "ordinary",
        Verdict::Major => "major",
        _ => "incomplete",
    }
}

/// Generates the pools. The typical pool is filled to a realistic mix by
/// the engine's verdicts: 70% clear, 20% ordinary, 10% major.
fn make_pools(v: &Version, plan: &Plan, n_typical: usize) -> Pools {
    let limits = Limits::default();
    let opts = EvalOptions::default();
    let verdict = |j: &Value| {
        Inspection::from_json(j, FileId(0), &limits)
            .ok()
            .and_then(|i| v.library.evaluate(&i, &opts).ok())
            .map_or("incomplete", |r| verdict_name(r.verdict))
    };
    let mut rng = Rng::new(12);
    let mut n = 0u64;
    let clean: Vec<Value> = (0..n_typical / 4)
        .map(|_| {
            n += 1;
            plan.inspection(&mut rng, Profile::Clean, n)
        })
        .collect();
    let quota = [
        ("clear", n_typical * 7 / 10),
        ("ordinary", n_typical * 2 / 10),
        ("major", n_typical - n_typical * 7 / 10 - n_typical * 2 / 10),
    ];
    let mut typical = Vec::new();
    let mut mix: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut tries = 0;
    while typical.len() < n_typical && tries < n_typical * 40 {
        tries += 1;
        n += 1;
        let j = plan.inspection(&mut rng, Profile::Typical, n);
        let k = verdict(&j);
        let want = quota.iter().find(|(q, _)| *q == k).map_or(0, |(_, c)| *c);
        let have = mix.get(k).copied().unwrap_or(0);
        // Past many tries, take what comes so the pool fills up.
        if have < want || tries > n_typical * 30 {
            *mix.entry(k).or_default() += 1;
            typical.push(j);
        }
    }
    // Worst case: keep the candidates with the most applicable rules.
    let mut worst: Vec<(usize, Value)> = (0..n_typical / 2)
        .map(|_| {
            n += 1;
            let j = plan.inspection(&mut rng, Profile::Worst, n);
            let applicable = Inspection::from_json(&j, FileId(0), &limits)
                .ok()
                .map_or(0, |i| {
                    let r = v.rs.evaluate(&i, &opts);
                    r.counts.rules - r.counts.not_applicable
                });
            (applicable, j)
        })
        .collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.0));
    let worst = worst
        .into_iter()
        .take(n_typical / 10)
        .map(|(_, j)| j)
        .collect();
    Pools {
        clean,
        typical,
        worst,
        mix,
    }
}

fn decode(pool: &[Value], limits: &Limits) -> Vec<Inspection> {
    pool.iter()
        .filter_map(|j| Inspection::from_json(j, FileId(0), limits).ok())
        .collect()
}

/// Mean applicable rules and findings.
fn shape(rs: &Ruleset, insps: &[Inspection]) -> (f64, f64) {
    let opts = EvalOptions::default();
    let (mut a, mut f) = (0usize, 0usize);
    for i in insps {
        let r = rs.evaluate(i, &opts);
        a += r.counts.rules - r.counts.not_applicable;
        f += r.findings.len();
    }
    let n = insps.len().max(1) as f64;
    (a as f64 / n, f as f64 / n)
}

fn engine_pairs(r: &hazcheck::Report) -> Vec<(String, Level)> {
    let mut out: Vec<(String, Level)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                if f.level == hazcheck::Level::Major {
                    Level::Major
                } else {
                    Level::Ordinary
                },
            )
        })
        .collect();
    out.sort();
    out
}

fn scaling(md: &mut String, v: &Version, p: &Pools, limits: &Limits, reps: usize) {
    let opts = EvalOptions::default();
    let mut buckets: BTreeMap<usize, Vec<(Inspection, &Value, usize)>> = BTreeMap::new();
    for j in p.clean.iter().chain(&p.typical).chain(&p.worst) {
        let Ok(i) = Inspection::from_json(j, FileId(0), limits) else {
            continue;
        };
        let r = v.rs.evaluate(&i, &opts);
        let applicable = r.counts.rules - r.counts.not_applicable;
        buckets
            .entry(applicable / 10 * 10)
            .or_default()
            .push((i, j, r.findings.len()));
    }
    let _ = writeln!(
        md,
        "### Cost against the rules that apply ({} {}, {} items, {} rules)\n",
        v.id,
        v.version,
        v.rs.item_count(),
        v.rs.rule_count()
    );
    let _ = writeln!(
        md,
        "| applicable rules | inspections | findings (mean) | hazcheck (µs) | µs per applicable rule | floor (µs) |\n|---|--:|--:|--:|--:|--:|"
    );
    for (b, list) in &buckets {
        if list.len() < 5 {
            continue;
        }
        let insps: Vec<&Inspection> = list.iter().map(|(i, _, _)| i).collect();
        let ns = measure::per_item(&insps, reps, |i| {
            black_box(v.rs.evaluate(i, &opts));
        });
        let inputs: Vec<Input<'_>> = list.iter().filter_map(|(_, j, _)| Input::new(j)).collect();
        let mut out = Vec::new();
        let floor = v.floor.map(|f| {
            measure::per_item(&inputs, reps, |i| {
                out.clear();
                f(i, &mut out);
                black_box(&out);
            })
        });
        let findings = list.iter().map(|(_, _, f)| *f).sum::<usize>() as f64 / list.len() as f64;
        let _ = writeln!(
            md,
            "| {b}–{} | {} | {findings:.1} | {} | {:.3} | {} |",
            b + 9,
            list.len(),
            us(ns),
            ns / 1000.0 / (*b as f64 + 4.5),
            floor.map_or("–".into(), us)
        );
    }
    let _ = writeln!(md);
}

fn engine_line(text: &str, library: &Library, limits: &Limits, opts: &EvalOptions) -> usize {
    let Ok(j) = serde_json::from_str::<Value>(text) else {
        return 0;
    };
    let Ok(i) = Inspection::from_json(&j, FileId(0), limits) else {
        return 0;
    };
    let Ok(r) = library.evaluate(&i, opts) else {
        return 0;
    };
    serde_json::to_string(&r).map_or(0, |s| s.len())
}

/// Peak memory of a long batch: runs the `batch` binary next to this one
/// (a process of its own, so that the pools of this report do not count)
/// and copies its table.
fn batch_memory(md: &mut String, quick: bool) {
    let count = if quick { 100_000 } else { 1_000_000 };
    let _ = writeln!(md, "## Memory of a long batch\n");
    let exe = std::env::current_exe().ok();
    let batch = exe
        .as_ref()
        .map(|e| e.with_file_name(format!("batch{}", std::env::consts::EXE_SUFFIX)));
    let Some(batch) = batch.filter(|b| b.exists()) else {
        let _ = writeln!(
            md,
            "Not measured: the `batch` binary is not built next to this one (`cargo build --release --bins`).\n"
        );
        return;
    };
    let _ = writeln!(
        md,
        "`cargo run --release --bin batch -- {count}`: generated typical construction inspections, every core, each line through `Batch::evaluate` and `Record::to_json_line`. RSS is the resident set after each part of the run, peak RSS its high-water mark so far: flat when it stops growing after the first rows.\n"
    );
    match std::process::Command::new(&batch)
        .arg(count.to_string())
        .output()
    {
        Ok(o) if o.status.success() => {
            let _ = writeln!(md, "{}", String::from_utf8_lossy(&o.stdout).trim_end());
        }
        Ok(o) => {
            let _ = writeln!(
                md,
                "The batch run failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        Err(e) => {
            let _ = writeln!(md, "The batch run did not start: {e}");
        }
    }
    let _ = writeln!(md);
}

/// The end-to-end pipelines timed against each other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pipe {
    /// `serde_json::from_str` → `Inspection::from_json` → `Library::evaluate`
    /// → `serde_json::to_string`.
    Serde,
    /// `Batch::evaluate` → `Record::to_json_line`: what `hazcheck batch`
    /// runs per line, with hazcheck's own located JSON reader.
    Batch,
    /// `serde_json::from_str` → the floor → `serde_json::to_string`.
    Floor,
}

fn batch(
    md: &mut String,
    v: &Version,
    texts: &[String],
    reps: usize,
    targets: &mut Vec<(String, String, bool)>,
) {
    let limits = Limits::default();
    let opts = EvalOptions::default();
    let api = hazcheck::batch::Batch::new(&v.library, limits.clone(), opts.clone());
    // Repeat the pool so that a run lasts long enough to split well.
    let lines: Vec<&String> = texts.iter().cycle().take(texts.len() * 4).collect();
    let byte_lines: Vec<hazcheck::batch::Line> = lines
        .iter()
        .map(|t| hazcheck::batch::Line::Bytes(t.as_bytes().to_vec()))
        .collect();
    // Throughput, and CPU time per inspection: when other work holds a
    // core, the second thread cannot speed the batch up, but its CPU cost
    // per inspection shows whether the threads get in each other's way.
    let run = |threads: usize, pipe: Pipe| -> (f64, f64) {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
        let Ok(pool) = pool else {
            return (f64::NAN, f64::NAN);
        };
        if pipe == Pipe::Floor && v.floor.is_none() {
            return (f64::NAN, f64::NAN);
        }
        let runs = reps.min(5) + 1;
        let cpu0 = measure::cpu_seconds().unwrap_or(0.0);
        let ns = measure::time(reps.min(5), || {
            let bytes: usize = pool.install(|| match pipe {
                Pipe::Batch => byte_lines
                    .par_chunks(256)
                    .enumerate()
                    .map(|(c, chunk)| {
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(k, l)| {
                                api.evaluate((c * 256 + k + 1) as u64, l)
                                    .to_json_line()
                                    .len()
                            })
                            .sum::<usize>()
                    })
                    .sum(),
                _ => lines
                    .par_chunks(256)
                    .map(|chunk| {
                        let mut out = Vec::new();
                        chunk
                            .iter()
                            .map(|t| match (pipe, v.floor) {
                                (Pipe::Floor, Some(f)) => floor_rt::floor_line(t, f, &mut out),
                                _ => engine_line(t, &v.library, &limits, &opts),
                            })
                            .sum::<usize>()
                    })
                    .sum(),
            });
            black_box(bytes);
        });
        let cpu = measure::cpu_seconds().unwrap_or(0.0) - cpu0;
        (
            lines.len() as f64 / (ns / 1e9),
            cpu * 1e6 / (runs * lines.len()) as f64,
        )
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load_before = measure::load_average().unwrap_or(f64::NAN);
    let mut thread_counts = vec![1, 2, cores];
    thread_counts.dedup();
    let mut rows: Vec<(Pipe, usize, (f64, f64))> = Vec::new();
    for pipe in [Pipe::Serde, Pipe::Batch, Pipe::Floor] {
        for &t in &thread_counts {
            if pipe == Pipe::Floor && t == 2 && cores != 2 {
                continue;
            }
            rows.push((pipe, t, run(t, pipe)));
        }
    }
    let get = |pipe: Pipe, t: usize| {
        rows.iter()
            .find(|(p, n, _)| *p == pipe && *n == t)
            .map_or((f64::NAN, f64::NAN), |(_, _, r)| *r)
    };
    let sample = texts.len().min(200);
    let out_bytes: usize = texts
        .iter()
        .take(sample)
        .map(|t| engine_line(t, &v.library, &limits, &opts))
        .sum();
    let record_bytes: usize = texts
        .iter()
        .take(sample)
        .enumerate()
        .map(|(k, t)| {
            api.evaluate(
                k as u64 + 1,
                &hazcheck::batch::Line::Bytes(t.as_bytes().to_vec()),
            )
            .to_json_line()
            .len()
        })
        .sum();
    let floor_bytes: usize = match v.floor {
        Some(f) => {
            let mut out = Vec::new();
            texts
                .iter()
                .take(sample)
                .map(|t| floor_rt::floor_line(t, f, &mut out))
                .sum()
        }
        None => 0,
    };
    let sample = sample.max(1);
    let _ = writeln!(md, "### End-to-end batch ({} {})\n", v.id, v.version);
    let _ = writeln!(
        md,
        "JSON text in, report JSON out (compact), {} lines per run, chunks of 256 lines on a rayon pool. Three pipelines:\n\n- **hazcheck, serde_json path**: `serde_json::from_str` → `Inspection::from_json` → `Library::evaluate` → `serde_json::to_string(&report)`; {} bytes out per inspection.\n- **hazcheck `batch` path**: `batch::Batch::evaluate` → `Record::to_json_line`, what `hazcheck batch` runs per line: hazcheck's own located JSON reader, decoding, evaluation and the output record (`{{\"line\":N,\"report\":{{…}}}}`); {} bytes out per inspection.\n- **floor**: `serde_json::from_str` → the hand-style floor → `serde_json::to_string` of its findings (rule, level, title, basis; no evidence) with the verdict; {} bytes out per inspection.\n",
        lines.len(),
        out_bytes / sample,
        record_bytes / sample,
        floor_bytes / sample
    );
    let _ = writeln!(
        md,
        "Load average (1 min) before and after: {:.2}, {:.2}.\n",
        load_before,
        measure::load_average().unwrap_or(f64::NAN)
    );
    let _ = writeln!(
        md,
        "| pipeline | threads | inspections/s | µs per inspection (wall) | CPU µs per inspection |\n|---|--:|--:|--:|--:|"
    );
    for (pipe, t, (r, cpu)) in &rows {
        let name = match pipe {
            Pipe::Serde => "hazcheck, serde_json path",
            Pipe::Batch => "hazcheck `batch` path",
            Pipe::Floor => "parse + floor + serialize",
        };
        if r.is_nan() {
            continue;
        }
        let _ = writeln!(
            md,
            "| {name} | {t} | {r:.0} | {} | {} |",
            us(1e9 / r),
            if cpu.is_nan() {
                "–".to_string()
            } else {
                format!("{cpu:.1}")
            }
        );
    }
    let _ = writeln!(md);
    // The target compares the faster of the two hazcheck pipelines, named.
    let (serde_1, batch_1) = (get(Pipe::Serde, 1), get(Pipe::Batch, 1));
    let (best, best_name) = if batch_1.0 >= serde_1.0 {
        (Pipe::Batch, "`batch` path")
    } else {
        (Pipe::Serde, "serde_json path")
    };
    let e1 = get(best, 1);
    let e2 = get(best, 2);
    let f1 = get(Pipe::Floor, 1);
    if !f1.0.is_nan() {
        targets.push((
            format!(
                "end-to-end batch within 1.5× of parse + floor + serialize (1 thread; hazcheck {best_name}, the faster)"
            ),
            format!("{:.2}×", f1.0 / e1.0),
            f1.0 / e1.0 <= 1.5,
        ));
    }
    targets.push((
        format!("batch on 2 cores ≥ 1.8× one core (hazcheck {best_name})"),
        format!(
            "{:.2}× (CPU per inspection {:.2}×)",
            e2.0 / e1.0,
            e2.1 / e1.1
        ),
        e2.0 / e1.0 >= 1.8,
    ));
}
