//! Streams generated inspections through the engine end to end (JSON text
//! in, output JSON out) and prints the process's resident memory as it
//! goes, to show that a long batch runs in flat memory.
//!
//!     cargo run --release --bin batch -- [COUNT] [THREADS] [--serde] [--quick]
//!
//! COUNT defaults to 1,000,000 (`--quick`: 100,000) and THREADS to every
//! core. Each line goes through `batch::Batch::evaluate` and
//! `Record::to_json_line`, what `hazcheck batch` runs per line; `--serde`
//! takes the serde_json path instead (`serde_json::from_str`,
//! `Inspection::from_json`, `Library::evaluate`, `serde_json::to_string`).
//! Inspections of the construction ruleset in force are generated in
//! chunks of 1,000 on the worker threads (seeded by chunk number, so the
//! run is reproducible); only per-chunk totals are kept. A row is printed
//! after every tenth of the run (and after the first 1%), with the
//! resident set now (VmRSS) and its peak so far (VmHWM).

use std::time::Instant;

use hazcheck::batch::{Batch, Line};
use hazcheck::{EvalOptions, FileId, Inspection, Limits};
use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::{measure, shipped};
use rayon::prelude::*;

const CHUNK: u64 = 1000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serde_path = args.iter().any(|a| a == "--serde");
    let quick = args.iter().any(|a| a == "--quick");
    let mut numbers = args.iter().filter(|a| !a.starts_with("--"));
    let count: u64 = match numbers.next() {
        Some(a) => match a.replace('_', "").parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("COUNT must be a whole number, not {a:?}");
                std::process::exit(2);
            }
        },
        None if quick => 100_000,
        None => 1_000_000,
    };
    let threads: usize = match numbers.next() {
        Some(a) => match a.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("THREADS must be a whole number above 0, not {a:?}");
                std::process::exit(2);
            }
        },
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
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
    let batch = Batch::new(&library, limits.clone(), opts.clone());
    let chunks = count.div_ceil(CHUNK);
    let mut checkpoints: Vec<u64> = std::iter::once(chunks / 100)
        .chain((1..=10).map(|k| chunks * k / 10))
        .filter(|&c| c > 0)
        .collect();
    checkpoints.dedup();
    let start = Instant::now();
    println!(
        "{} {} inspections of {} {} on {threads} thread(s), {} path. Memory before the first: RSS {:.1} MiB.\n",
        if quick { "Quick run:" } else { "Run:" },
        count,
        rs.info().id,
        rs.info().version,
        if serde_path { "serde_json" } else { "`batch`" },
        measure::rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    println!(
        "| inspections | RSS (MiB) | peak RSS (MiB) | output (MiB) | major | ordinary | errors | seconds |"
    );
    println!("|--:|--:|--:|--:|--:|--:|--:|--:|");
    let mut done = 0u64;
    let mut total = Totals::default();
    for &upto in &checkpoints {
        let t = pool.install(|| {
            (done..upto)
                .into_par_iter()
                .map(|chunk| {
                    let mut rng = Rng::new(chunk);
                    let mut t = Totals::default();
                    for n in 0..CHUNK.min(count - chunk * CHUNK) {
                        let number = chunk * CHUNK + n;
                        let text = plan
                            .inspection(&mut rng, Profile::Typical, number)
                            .to_string();
                        if serde_path {
                            serde_line(&text, &library, &limits, &opts, &mut t);
                        } else {
                            let record =
                                batch.evaluate(number + 1, &Line::Bytes(text.into_bytes()));
                            match record.verdict() {
                                Some(hazcheck::Verdict::Major) => t.major += 1,
                                Some(hazcheck::Verdict::Ordinary) => t.ordinary += 1,
                                Some(_) => {}
                                None => t.errors += 1,
                            }
                            t.bytes += record.to_json_line().len();
                        }
                    }
                    t
                })
                .reduce(Totals::default, Totals::add)
        });
        total = total.add(t);
        done = upto;
        println!(
            "| {} | {:.1} | {:.1} | {:.0} | {} | {} | {} | {:.1} |",
            (done * CHUNK).min(count),
            measure::rss_kib().unwrap_or(0) as f64 / 1024.0,
            measure::peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
            total.bytes as f64 / 1048576.0,
            total.major,
            total.ordinary,
            total.errors,
            start.elapsed().as_secs_f64()
        );
    }
}

/// Counts over a part of the run.
#[derive(Clone, Copy, Default)]
struct Totals {
    bytes: usize,
    major: usize,
    ordinary: usize,
    errors: usize,
}

impl Totals {
    fn add(self, o: Totals) -> Totals {
        Totals {
            bytes: self.bytes + o.bytes,
            major: self.major + o.major,
            ordinary: self.ordinary + o.ordinary,
            errors: self.errors + o.errors,
        }
    }
}

fn serde_line(
    text: &str,
    library: &hazcheck::Library,
    limits: &Limits,
    opts: &EvalOptions,
    t: &mut Totals,
) {
    let report = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|j| Inspection::from_json(&j, FileId(0), limits).ok())
        .and_then(|i| library.evaluate(&i, opts).ok());
    let Some(r) = report else {
        t.errors += 1;
        return;
    };
    match r.verdict {
        hazcheck::Verdict::Major => t.major += 1,
        hazcheck::Verdict::Ordinary => t.ordinary += 1,
        _ => {}
    }
    t.bytes += serde_json::to_string(&r).map_or(0, |s| s.len());
}
