//! Writes the peers' versions of a shipped ruleset and a sample of its
//! generated inspections, to read or to run elsewhere (`opa eval`, the
//! GoRules editor).
//!
//!     cargo run --release --bin dump -- [RULESET] [DIR]
//!
//! RULESET defaults to `construction` (every version is written), DIR to
//! `target/peers`. Files: `ID-VERSION.rego`, `ID-VERSION.jdm.json` and
//! `ID-VERSION.inspections.ndjson` (200 typical inspections).

use std::path::PathBuf;

use hazcheck_benches::generate::{Plan, Profile, Rng};
use hazcheck_benches::{emit_jdm, emit_rego, lower, shipped};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let id = args.get(1).map_or("construction", String::as_str);
    let dir = PathBuf::from(args.get(2).map_or("target/peers", String::as_str));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        std::process::exit(2);
    }
    for file in shipped::files() {
        if !file.name.starts_with(&format!("builtin:rulesets/{id}/")) {
            continue;
        }
        let library = match shipped::load(&file) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        for rs in library.versions(id) {
            let stem = format!("{id}-{}", rs.info().version);
            let write = |ext: &str, text: &str| {
                let path = dir.join(format!("{stem}.{ext}"));
                match std::fs::write(&path, text) {
                    Ok(()) => println!("wrote {}", path.display()),
                    Err(e) => eprintln!("{}: {e}", path.display()),
                }
            };
            match lower::lower(rs.model()) {
                Ok(l) => {
                    match emit_rego::policy(&l) {
                        Ok(p) => write("rego", &p),
                        Err(e) => eprintln!("{stem}: no Rego: {e}"),
                    }
                    match emit_jdm::decision(&l) {
                        Ok(g) => write(
                            "jdm.json",
                            &serde_json::to_string_pretty(&g).unwrap_or_default(),
                        ),
                        Err(e) => eprintln!("{stem}: no JDM: {e}"),
                    }
                }
                Err(e) => eprintln!("{stem}: not expressible: {e}"),
            }
            if let Ok(plan) = Plan::new(rs.model()) {
                let mut rng = Rng::new(12);
                let lines: Vec<String> = (0..200)
                    .map(|n| plan.inspection(&mut rng, Profile::Typical, n).to_string())
                    .collect();
                write("inspections.ndjson", &(lines.join("\n") + "\n"));
            }
        }
    }
}
