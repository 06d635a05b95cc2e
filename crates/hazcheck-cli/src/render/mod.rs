//! Turning diagnostics into text: annotated snippets for people, and JSON,
//! SARIF and JUnit XML for machines.
//!
//! Every function here is pure: it builds a `String` and leaves printing to
//! the caller. None of them trusts the spans it is given, so a span past the
//! end of its file, one that runs backwards or one that splits a character
//! gives odd-looking output at worst, never a panic.
//!
//! The order of diagnostics in the output is the order of the slice passed
//! in; callers that want a stable order sort first (see
//! `hazcheck::diagnostic::sort`).

mod human;
mod json;
mod junit;
mod sarif;
mod source;

#[cfg(test)]
mod tests;

use hazcheck::diagnostic::{Code, Diagnostic};
use serde::Serialize;

pub use human::human;
pub use json::json;
pub use junit::junit;
pub use sarif::sarif;

/// The closing line of a check, such as `checked 3 files: 2 errors, 1 warning`
/// or `checked 1 file: no problems`. No line break at the end.
pub fn summary(errors: usize, warnings: usize, files: usize) -> String {
    let checked = format!("checked {files} {}", plural(files, "file", "files"));
    let errors_text = format!("{errors} {}", plural(errors, "error", "errors"));
    let warnings_text = format!("{warnings} {}", plural(warnings, "warning", "warnings"));
    match (errors, warnings) {
        (0, 0) => format!("{checked}: no problems"),
        (_, 0) => format!("{checked}: {errors_text}"),
        (0, _) => format!("{checked}: {warnings_text}"),
        _ => format!("{checked}: {errors_text}, {warnings_text}"),
    }
}

/// A one-sentence explanation of what a diagnostic code means, used as the
/// rule description in SARIF output.
pub fn code_description(code: Code) -> &'static str {
    match code {
        Code::Io => "The file could not be read.",
        Code::Syntax => {
            "The file is not well-formed YAML or JSON: bad syntax, a bad encoding or a key given twice."
        }
        Code::LimitExceeded => {
            "Reading or compiling the input went past one of the configured resource limits."
        }
        Code::UnknownKey => "The document uses a key that the format does not have.",
        Code::MissingKey => "A key that the format requires is absent.",
        Code::InvalidValue => "A value is of the wrong type or does not have the expected shape.",
        Code::InvalidCondition => {
            "A condition must use exactly one operator, but this one has none or several."
        }
        Code::DuplicateId => "Two definitions of the same kind use the same id.",
        Code::UnknownItem => "The reference names a checklist item that is not defined.",
        Code::UnknownRule => "The reference names a rule that is not defined.",
        Code::UnknownParameter => "The reference names a parameter that is not defined.",
        Code::UnknownDocument => "The reference names a basis document that is not defined.",
        Code::UnknownSection => "The reference names a section that is not defined.",
        Code::TypeMismatch => {
            "A comparison uses an operand that does not suit the answer type of its item."
        }
        Code::UnknownOption => "The value is not one of the options defined by the choice item.",
        Code::InvalidRegex => {
            "The regular expression does not compile or compiles to something too large."
        }
        Code::ScriptError => "The Rhai script does not compile.",
        Code::RuleCycle => "Rules refer to one another in a loop.",
        Code::UnreachableCount => {
            "An \"at least N of\" condition can never hold because N is zero or larger than the number of conditions."
        }
        Code::InvalidDate => "A date, period or seasonal window is not valid.",
        Code::IncompleteTable => {
            "A parameter table lacks a row for some value of the item that selects its rows."
        }
        Code::InvalidInclude => {
            "An include cannot be resolved, or a file ends up including itself."
        }
        Code::OverlappingVersions => {
            "Two versions of the same ruleset are in force over overlapping periods."
        }
        Code::UnknownEventKind => {
            "A condition counts events of a kind the ruleset does not declare."
        }
        Code::UnusedItem => "The checklist item is never read by any rule.",
        Code::MissingTranslation => "The text is given in only one of Chinese and English.",
        Code::UnusedParameter => "The parameter is never used by any rule.",
        Code::UnusedDocument => "The basis document is never cited by any rule.",
        Code::AnswerType => "The answer is of a type that the item does not accept.",
        Code::AnswerOutOfRange => "The number lies outside the bounds the item allows.",
        Code::AnswerUnknownOption => "The answer picks an option that the item does not offer.",
        Code::AnswerUnknownItem => "The answer is for an item that the ruleset does not define.",
        Code::AnswerNotApplicableItem => {
            "The answer is for an item that does not apply to this site."
        }
        Code::AnswerNaNotAllowed => {
            "The answer says \"not applicable\" for an item that does not permit it."
        }
        Code::UnknownRuleset => "The inspection refers to a ruleset that has not been loaded.",
        Code::NoVersionInForce => {
            "No version of the ruleset is in force on the date of the inspection."
        }
        Code::EventUnknownKind => {
            "The inspection's history holds an event of a kind the ruleset does not declare."
        }
        Code::DeadlineUnknownRule => {
            "The inspection sets a rectification deadline for a rule the ruleset does not have."
        }
        // Codes added to the library after this list was written fall back
        // to their short name until they get a sentence here.
        _ => code.slug(),
    }
}

/// Counts errors and warnings.
fn count(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    (errors, diags.len() - errors)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Pretty JSON with a final line break. Serializing plain data structures
/// does not fail; should it ever, the result is an empty object rather than
/// a panic.
fn to_pretty_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}
