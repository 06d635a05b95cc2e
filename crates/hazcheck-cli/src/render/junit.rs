//! JUnit XML output, for CI systems that show test reports.

use std::collections::BTreeMap;

use hazcheck::diagnostic::Diagnostic;
use hazcheck::span::SourceMap;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::human::render_all;
use super::plural;

const REPORT_NAME: &str = "hazcheck";
const SUITE_NAME: &str = "hazcheck check";
const CLASS_NAME: &str = "hazcheck.check";

/// Renders the result of a check as a JUnit XML report.
///
/// The report holds one test suite, `hazcheck check`, with one test case per
/// checked file, named after the file. A file with errors fails: the failure
/// message counts the errors and its text is the plain [`super::human()`]
/// rendering of all of that file's diagnostics. A file with only warnings
/// passes and carries the rendered warnings as its standard output, unless
/// `deny_warnings` is set: then warnings fail the file as errors do, since
/// they fail the check (its exit code) as well.
/// Diagnostics in a file that is not among `files` (an included module, say)
/// get a test case of their own after the checked files, so that none is
/// lost. No timestamps, durations or host names are written, so the same
/// input always gives the same bytes.
pub fn junit(
    diags: &[Diagnostic],
    sources: &SourceMap,
    files: &[String],
    deny_warnings: bool,
) -> String {
    let mut by_file: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for diag in diags {
        by_file
            .entry(sources.name(diag.span.file))
            .or_default()
            .push(diag);
    }

    let mut names: Vec<&str> = Vec::new();
    for name in files {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let extra: Vec<&str> = by_file
        .keys()
        .copied()
        .filter(|n| !names.contains(n))
        .collect();
    names.extend(extra);

    let mut suite = TestSuite::new(SUITE_NAME);
    for name in names {
        let file_diags = by_file.get(name).map_or(&[][..], Vec::as_slice);
        suite.add_test_case(test_case(name, file_diags, sources, deny_warnings));
    }
    let mut report = Report::new(REPORT_NAME);
    report.add_test_suite(suite);
    match report.to_string() {
        Ok(mut xml) => {
            if !xml.ends_with('\n') {
                xml.push('\n');
            }
            xml
        }
        // Writing to memory does not fail in practice; should it ever, an
        // empty report is still a well-formed document.
        Err(_) => concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<testsuites name="hazcheck" tests="0" failures="0" errors="0"/>"#,
            "\n"
        )
        .to_string(),
    }
}

fn test_case(
    name: &str,
    diags: &[&Diagnostic],
    sources: &SourceMap,
    deny_warnings: bool,
) -> TestCase {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let fails = errors > 0 || (deny_warnings && warnings > 0);
    let status = if fails {
        let mut message = Vec::new();
        if errors > 0 {
            message.push(format!("{errors} {}", plural(errors, "error", "errors")));
        }
        if deny_warnings && warnings > 0 {
            message.push(format!(
                "{warnings} {} (--deny-warnings)",
                plural(warnings, "warning", "warnings")
            ));
        }
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(message.join(", "))
            .set_description(render_all(diags.iter().copied(), sources, false));
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(CLASS_NAME);
    if !fails && !diags.is_empty() {
        case.set_system_out(render_all(diags.iter().copied(), sources, false));
    }
    case
}
