//! The `--format json` document.

use hazcheck::diagnostic::{Diagnostic, DiagnosticRecord};
use hazcheck::span::SourceMap;
use serde::Serialize;

use super::{count, to_pretty_json};

/// The version of the JSON document layout; bumped when a field changes
/// meaning or disappears.
const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    files: &'a [String],
    errors: usize,
    warnings: usize,
    diagnostics: Vec<DiagnosticRecord>,
}

/// Renders the result of a check as a pretty-printed JSON document:
///
/// ```json
/// {"version": 1, "files": [...], "errors": 2, "warnings": 1, "diagnostics": [...]}
/// ```
///
/// `files` lists the files that were checked, as given. Each diagnostic is a
/// [`DiagnosticRecord`], in the order of `diags`. The text ends with a line
/// break, and the same input always gives the same bytes.
pub fn json(diags: &[Diagnostic], sources: &SourceMap, files: &[String]) -> String {
    let (errors, warnings) = count(diags);
    let report = JsonReport {
        version: JSON_VERSION,
        files,
        errors,
        warnings,
        diagnostics: diags.iter().map(|d| d.to_record(sources)).collect(),
    };
    to_pretty_json(&report)
}
