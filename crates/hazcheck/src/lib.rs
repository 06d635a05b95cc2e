//! hazcheck: executable work-safety hazard checklists.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod date;
pub mod decimal;
pub mod diagnostic;
pub mod span;
