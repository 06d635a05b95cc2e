//! Integration tests: the real `hazcheck` binary and the library, driven by
//! the data files under `tests/` and `rulesets/`.
//!
//! Expected outputs live next to their inputs (`*.out`). Run the tests with
//! `HAZCHECK_BLESS=1` to rewrite them after an intended change, then review
//! the diff.

mod bad_inputs;
mod batch;
mod ci_doc;
mod cli;
mod closed_loop;
mod diagnostics;
mod diff;
mod doc_links;
mod editor;
mod fuzz_corpus;
mod inspections;
mod junit;
mod new;
mod schema;
mod shipped;
mod support;
mod tutorial;
