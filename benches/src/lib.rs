//! Benchmarks of the hazcheck engine (issue 12), and the pieces they share.
//!
//! The engine is compared on the same rules and the same generated
//! inspections with three peers: hand-style Rust written out from the
//! ruleset (the floor: no interpretation at all), a Rego policy run by
//! regorus, and a JDM decision run by zen-engine. All three are produced
//! from a ruleset by [`lower`], which turns hazcheck's four-valued
//! conditions into plain boolean formulas; the report binary checks that
//! every implementation gives the same findings before it times anything.
//!
//! - [`generate`]: reproducible, complete inspections with a realistic mix.
//! - [`lower`], [`emit_rust`], [`emit_rego`], [`emit_jdm`]: the peers.
//! - [`interp`]: a direct interpreter of the lowered formulas.
//! - [`peers`]: thin wrappers that run regorus and zen-engine.
//! - [`measure`]: timing and allocation counting.
//!
//! See docs/performance.md for the numbers and the commands.

pub mod emit_jdm;
pub mod emit_rego;
pub mod emit_rust;
pub mod floor_rt;
pub mod generate;
pub mod interp;
pub mod lower;
pub mod measure;
pub mod peers;
pub mod shipped;

/// The hand-style Rust floor of every shipped version that lowers, written
/// by build.rs.
#[allow(clippy::all, clippy::pedantic, unused_parens)]
pub mod floor {
    include!(concat!(env!("OUT_DIR"), "/floor.rs"));
}
