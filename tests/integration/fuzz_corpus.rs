//! Replays the fuzz corpus and every crash the fuzzer found, without
//! libFuzzer, through the same entry points the fuzz targets call.
//!
//! `fuzz/corpus/<target>/` holds the committed seeds and
//! `fuzz/regressions/<target>/` the inputs that once crashed or broke an
//! invariant; each must now pass. How to fuzz for longer is in
//! `docs/security.md`.

use std::path::Path;

use crate::support::*;

type Target = fn(&[u8]) -> Result<(), String>;

const TARGETS: &[(&str, Target)] = &[
    ("load_ruleset", hazcheck::fuzzing::load_ruleset),
    ("compile_conditions", hazcheck::fuzzing::compile_conditions),
    (
        "evaluate_inspection",
        hazcheck::fuzzing::evaluate_inspection,
    ),
];

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs every input of one folder; returns how many ran.
fn replay(folder: &str) -> usize {
    let mut ran = 0;
    for (name, target) in TARGETS {
        for path in inputs(&root().join("fuzz").join(folder).join(name)) {
            let data = std::fs::read(&path).expect("read input");
            // The fuzzer runs on a main thread; test threads have a smaller
            // stack, so each input gets a thread with the stack the batch
            // workers have.
            let result = std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn(move || target(&data))
                .expect("spawn")
                .join();
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("{}: {e}", path.display()),
                Err(_) => panic!("{}: panicked", path.display()),
            }
            ran += 1;
        }
    }
    ran
}

#[test]
fn the_seed_corpus_passes_every_target() {
    let ran = replay("corpus");
    assert!(ran >= 15, "only {ran} corpus inputs");
    for (name, _) in TARGETS {
        assert!(
            !inputs(&root().join("fuzz/corpus").join(name)).is_empty(),
            "no seed for {name}"
        );
    }
}

#[test]
fn past_crashes_stay_fixed() {
    // A missing or empty folder means the cases were lost, not that all
    // is well: the test must not pass by replaying nothing.
    let dir = root().join("fuzz/regressions");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    for (name, _) in TARGETS {
        let sub = dir.join(name);
        assert!(
            !sub.exists() || !inputs(&sub).is_empty(),
            "{} is empty",
            sub.display()
        );
    }
    let ran = replay("regressions");
    assert!(ran > 0, "no regression case under {}", dir.display());
}
