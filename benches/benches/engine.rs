//! Criterion micro benchmarks: compile and evaluate the construction
//! ruleset in force, and the hand-style floor on the same inspections.
//! The comparison tables come from `cargo run --release --bin report`;
//! these are for exploring one change at a time (`cargo bench`).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hazcheck::{EvalOptions, FileId, Inspection, Limits};
use hazcheck_benches::floor_rt::Input;
use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::{floor, shipped};

fn construction(c: &mut Criterion) {
    let Some(file) = shipped::files()
        .into_iter()
        .filter(|f| f.name.starts_with("builtin:rulesets/construction/"))
        .max_by(|a, b| a.name.cmp(&b.name))
    else {
        return;
    };
    c.bench_function("compile construction (newest)", |b| {
        b.iter(|| black_box(shipped::load(&file).ok()));
    });
    let Ok(library) = shipped::load(&file) else {
        return;
    };
    let Some(rs) = library.versions("construction").first().cloned() else {
        return;
    };
    let Ok(plan) = Plan::new(rs.model()) else {
        return;
    };
    let mut rng = Rng::new(12);
    let pool: Vec<serde_json::Value> = (0..500)
        .map(|n| plan.inspection(&mut rng, Profile::Typical, n))
        .collect();
    let limits = Limits::default();
    let insps: Vec<Inspection> = pool
        .iter()
        .filter_map(|j| Inspection::from_json(j, FileId(0), &limits).ok())
        .collect();
    let opts = EvalOptions::default();
    c.bench_function("evaluate construction, 500 typical", |b| {
        b.iter(|| {
            for i in &insps {
                black_box(rs.evaluate(i, &opts));
            }
        });
    });
    let version = rs.info().version.clone();
    if let Some((_, _, f)) = floor::FLOORS
        .iter()
        .find(|(id, v, _)| *id == "construction" && *v == version)
    {
        let inputs: Vec<Input<'_>> = pool.iter().filter_map(Input::new).collect();
        let mut out = Vec::new();
        c.bench_function("floor construction, 500 typical", |b| {
            b.iter(|| {
                for i in &inputs {
                    out.clear();
                    f(i, &mut out);
                    black_box(&out);
                }
            });
        });
    }
}

criterion_group!(benches, construction);
criterion_main!(benches);
