//! Embedding hazcheck: load the shipped rulesets once, then evaluate
//! inspections from several threads with the same compiled library.
//!
//! Run with `cargo run -p hazcheck --example embed`.

use std::sync::Arc;
use std::thread;

use hazcheck::{EvalOptions, Inspection, Limits, Verdict};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Loading compiles every version of every shipped ruleset: regexes,
    // scripts, indexes. It is done once; the library is immutable after.
    let outcome = hazcheck::builtin::load(Limits::default());
    let library = Arc::new(outcome.library.ok_or("the shipped rulesets have errors")?);

    // A few inspections of the same site on different days, as a field app
    // would send them. Each is parsed on the thread that evaluates it.
    let inspections: Vec<String> = (1..=8)
        .map(|day| {
            format!(
                "ruleset: confined-space\ndate: 2025-03-{day:02}\nsite: {{id: S-{day}, name: 污水泵站}}\nanswers: {{}}\n"
            )
        })
        .collect();

    let handles: Vec<_> = inspections
        .into_iter()
        .map(|text| {
            let library = Arc::clone(&library);
            thread::spawn(move || -> Result<(String, Verdict), String> {
                let mut sources = hazcheck::SourceMap::new();
                let inspection =
                    Inspection::parse(&text, "inspection.yaml", &mut sources, &Limits::default())
                        .map_err(|d| format!("{} problems in the inspection", d.len()))?;
                let report = library
                    .evaluate(&inspection, &EvalOptions::default())
                    .map_err(|e| e.to_string())?;
                let site = report.inspection.site.id.clone().unwrap_or_default();
                Ok((site, report.verdict))
            })
        })
        .collect();

    let mut out = String::new();
    for h in handles {
        match h.join() {
            Ok(Ok((site, verdict))) => out.push_str(&format!("{site}: {}\n", verdict.as_str())),
            Ok(Err(e)) => out.push_str(&format!("error: {e}\n")),
            Err(_) => out.push_str("error: a worker thread panicked\n"),
        }
    }
    // An inspection with no answers is never a pass: every site is
    // "incomplete" until the checklist is filled in.
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes())?;
    Ok(())
}
