//! Streams generated inspections through the engine end to end (JSON text
//! in, report JSON out) and prints the peak resident memory as it goes, to
//! show that a long batch runs in flat memory.
//!
//!     cargo run --release --bin batch -- [COUNT] [THREADS]
//!
//! COUNT defaults to 1,000,000 and THREADS to every core. Inspections are
//! generated in chunks of 1,000 on the worker threads (seeded by chunk
//! number, so the run is reproducible); only per-chunk totals are kept.

use std::time::Instant;

use hazcheck::{EvalOptions, FileId, Inspection, Limits};
use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::{measure, shipped};
use rayon::prelude::*;

const CHUNK: u64 = 1000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let threads: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let Some(file) = shipped::files()
        .into_iter()
        .filter(|f| f.name.starts_with("builtin:rulesets/construction/"))
        .max_by(|a, b| a.name.cmp(&b.name))
    else {
        eprintln!("no construction ruleset");
        std::process::exit(2);
    };
    let library = match shipped::load(&file) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let Some(rs) = library.versions("construction").first().cloned() else {
        std::process::exit(2);
    };
    let plan = match Plan::new(rs.model()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let limits = Limits::default();
    let opts = EvalOptions::default();
    let chunks = count.div_ceil(CHUNK);
    let checkpoints = [chunks / 100, chunks / 10, chunks / 2, chunks];
    let start = Instant::now();
    println!("| inspections | peak RSS (MiB) | output (MiB) | major | ordinary | seconds |");
    println!("|--:|--:|--:|--:|--:|--:|");
    let mut done = 0u64;
    let (mut bytes, mut major, mut ordinary) = (0usize, 0usize, 0usize);
    for &upto in &checkpoints {
        let (b, m, o) = pool.install(|| {
            (done..upto)
                .into_par_iter()
                .map(|chunk| {
                    let mut rng = Rng::new(chunk);
                    let (mut b, mut m, mut o) = (0usize, 0usize, 0usize);
                    for n in 0..CHUNK.min(count - chunk * CHUNK) {
                        let text = plan
                            .inspection(&mut rng, Profile::Typical, chunk * CHUNK + n)
                            .to_string();
                        let Ok(j) = serde_json::from_str::<serde_json::Value>(&text) else {
                            continue;
                        };
                        let Ok(i) = Inspection::from_json(&j, FileId(0), &limits) else {
                            continue;
                        };
                        let Ok(r) = library.evaluate(&i, &opts) else {
                            continue;
                        };
                        m += r.counts.major.min(1);
                        o += usize::from(r.counts.major == 0 && r.counts.ordinary > 0);
                        b += serde_json::to_string(&r).map_or(0, |s| s.len());
                    }
                    (b, m, o)
                })
                .reduce(|| (0, 0, 0), |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2))
        });
        bytes += b;
        major += m;
        ordinary += o;
        done = upto;
        println!(
            "| {} | {:.1} | {:.0} | {major} | {ordinary} | {:.1} |",
            (done * CHUNK).min(count),
            measure::peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
            bytes as f64 / 1048576.0,
            start.elapsed().as_secs_f64()
        );
    }
}
