//! Diagnostics: located, coded problems found while loading rulesets and
//! inspections.
//!
//! A [`Diagnostic`] is plain data. The library never prints; the command line
//! renders diagnostics as rustc-style snippets, JSON, SARIF or JUnit. Every
//! diagnostic carries a stable [`Code`] documented in `docs/diagnostics.md`.
//!
//! ```
//! use hazcheck::{Code, Inspection, Limits, Severity, SourceMap};
//!
//! let mut sources = SourceMap::new();
//! let text = "ruleset: construction\ndate: 2025-02-30\n";
//! let errors = Inspection::parse(text, "site-7.yaml", &mut sources, &Limits::default())
//!     .unwrap_err();
//! let error = &errors[0];
//! assert_eq!(error.code, Code::InvalidDate);
//! assert_eq!(error.severity, Severity::Error);
//! assert_eq!((error.span.line, error.span.column), (2, 7));
//!
//! // The record is what JSON output shows, with the file name resolved.
//! let record = error.to_record(&sources);
//! assert_eq!(record.file, "site-7.yaml");
//! assert_eq!((record.code.as_str(), record.name), ("E0307", "invalid-date"));
//! assert_eq!((record.line, record.column), (2, 7));
//! assert_eq!(text.get(record.start..record.end), Some("2025-02-30"));
//! ```

use serde::Serialize;

use crate::span::{SourceMap, Span};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// The input can be used, but something is probably wrong.
    Warning,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $slug:literal, $sev:ident; )*) => {
        /// The stable code of a diagnostic. Codes never change meaning; a
        /// retired code is never reused.
        ///
        /// ```
        /// use hazcheck::{Code, Severity};
        ///
        /// assert_eq!(Code::UnknownItem.as_str(), "E0202");
        /// assert_eq!(Code::UnknownItem.slug(), "unknown-item");
        /// assert_eq!(Code::UnknownItem.severity(), Severity::Error);
        /// // W codes are warnings: `hazcheck check --deny-warnings` fails on them.
        /// assert_eq!(Code::UnusedItem.as_str(), "W0401");
        /// assert_eq!(Code::UnusedItem.severity(), Severity::Warning);
        ///
        /// // Codes and names are unique.
        /// let mut codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        /// let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.slug()).collect();
        /// codes.sort_unstable();
        /// codes.dedup();
        /// names.sort_unstable();
        /// names.dedup();
        /// assert_eq!((codes.len(), names.len()), (Code::ALL.len(), Code::ALL.len()));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in output, such as `E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, such as `unknown-key`.
            pub fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }

            /// The severity diagnostics with this code have.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }
        }
    };
}

codes! {
    /// The file could not be read.
    Io = "E0001", "io", Error;
    /// The file is not valid YAML or JSON (syntax, encoding, duplicate keys).
    Syntax = "E0002", "syntax", Error;
    /// A resource limit was exceeded while reading or compiling.
    LimitExceeded = "E0003", "limit-exceeded", Error;
    /// A key that the format does not define.
    UnknownKey = "E0101", "unknown-key", Error;
    /// A required key is missing.
    MissingKey = "E0102", "missing-key", Error;
    /// A value has the wrong type or shape.
    InvalidValue = "E0103", "invalid-value", Error;
    /// A condition has no operator or more than one.
    InvalidCondition = "E0104", "invalid-condition", Error;
    /// Two things of the same kind share an id.
    DuplicateId = "E0201", "duplicate-id", Error;
    /// A reference to an item that does not exist.
    UnknownItem = "E0202", "unknown-item", Error;
    /// A reference to a rule that does not exist.
    UnknownRule = "E0203", "unknown-rule", Error;
    /// A reference to a parameter that does not exist.
    UnknownParameter = "E0204", "unknown-parameter", Error;
    /// A reference to a basis document that does not exist.
    UnknownDocument = "E0205", "unknown-document", Error;
    /// A reference to a section that does not exist.
    UnknownSection = "E0206", "unknown-section", Error;
    /// A comparison whose operand does not fit the item's answer type.
    TypeMismatch = "E0301", "type-mismatch", Error;
    /// An option that the choice item does not define.
    UnknownOption = "E0302", "unknown-option", Error;
    /// A regular expression that does not compile or is too large.
    InvalidRegex = "E0303", "invalid-regex", Error;
    /// A Rhai script that does not compile.
    ScriptError = "E0304", "script-error", Error;
    /// Rules that refer to each other in a cycle.
    RuleCycle = "E0305", "rule-cycle", Error;
    /// An "at least N of" whose N can never be reached (or is zero).
    UnreachableCount = "E0306", "unreachable-count", Error;
    /// An invalid date, period or season window.
    InvalidDate = "E0307", "invalid-date", Error;
    /// A parameter table that misses a key of the item that selects its row.
    IncompleteTable = "E0308", "incomplete-table", Error;
    /// An include that cannot be resolved or that includes itself.
    InvalidInclude = "E0309", "invalid-include", Error;
    /// Two versions of one ruleset whose periods in force overlap.
    OverlappingVersions = "E0310", "overlapping-versions", Error;
    /// A reference to an event kind the ruleset does not declare.
    UnknownEventKind = "E0311", "unknown-event-kind", Error;
    /// An item that no rule reads.
    UnusedItem = "W0401", "unused-item", Warning;
    /// A text that lacks its Chinese or English version.
    MissingTranslation = "W0402", "missing-translation", Warning;
    /// A parameter that no rule uses.
    UnusedParameter = "W0403", "unused-parameter", Warning;
    /// A basis document that no rule cites.
    UnusedDocument = "W0404", "unused-document", Warning;
    /// An answer whose type does not fit its item.
    AnswerType = "E0501", "answer-type", Error;
    /// A number outside the item's bounds.
    AnswerOutOfRange = "E0502", "answer-out-of-range", Error;
    /// An answer naming an option the item does not have.
    AnswerUnknownOption = "E0503", "answer-unknown-option", Error;
    /// An answer to an item the ruleset does not define.
    AnswerUnknownItem = "E0504", "answer-unknown-item", Error;
    /// An answer to an item that does not apply to this site.
    AnswerNotApplicableItem = "E0505", "answer-item-not-applicable", Error;
    /// "Not applicable" given for an item that does not allow it.
    AnswerNaNotAllowed = "E0506", "answer-na-not-allowed", Error;
    /// The inspection names a ruleset that is not loaded.
    UnknownRuleset = "E0507", "unknown-ruleset", Error;
    /// No version of the ruleset is in force on the inspection date.
    NoVersionInForce = "E0508", "no-version-in-force", Error;
    /// An event of a kind the ruleset does not declare.
    EventUnknownKind = "E0509", "event-unknown-kind", Error;
    /// A deadline the inspection sets for a rule the ruleset does not have.
    DeadlineUnknownRule = "E0510", "deadline-unknown-rule", Error;
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

// Reports written earlier carry codes as text; reading them back (follow-ups,
// statistics) must accept exactly the codes this version knows.
impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let text = String::deserialize(d)?;
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{text}`")))
    }
}

/// A secondary location with a short label, such as "first defined here".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What the reader should see there.
    pub message: String,
}

/// One problem, located in a file.
///
/// The library builds diagnostics with [`Diagnostic::new`] and the `with_`
/// methods; an app reads them, or turns them into records for JSON.
///
/// ```
/// use hazcheck::{Code, Diagnostic, SourceMap, Span};
///
/// let mut sources = SourceMap::new();
/// let text = "rules:\n  - when: {item: guard.presnt, is: false}\n";
/// let file = sources.add("guard.yaml", text);
/// let start = text.find("guard.presnt").ok_or("not found")?;
/// let end = start + "guard.presnt".len();
/// let (line, column) = sources.line_col(file, start);
/// let span = Span { file, start, end, line, column };
///
/// let diagnostic = Diagnostic::new(Code::UnknownItem, span, "unknown item `guard.presnt`")
///     .with_label("no item has this id")
///     .with_help("did you mean `guard.present`?");
/// assert!(diagnostic.is_error());
/// assert_eq!((diagnostic.span.line, diagnostic.span.column), (2, 18));
///
/// let record = diagnostic.to_record(&sources);
/// assert_eq!(record.help.as_deref(), Some("did you mean `guard.present`?"));
/// assert_eq!(serde_json::to_value(&record)?["code"], "E0202");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error or warning; normally the code's own severity.
    pub severity: Severity,
    /// One lowercase sentence, no trailing period.
    pub message: String,
    /// The primary location.
    pub span: Span,
    /// The label shown under the primary location, if any.
    pub label: Option<String>,
    /// Further locations.
    pub secondary: Vec<Label>,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's own severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span,
            label: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Sets the label under the primary span.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Adds a secondary location.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// A JSON-friendly view of the diagnostic, with the file name resolved.
    pub fn to_record(&self, sources: &SourceMap) -> DiagnosticRecord {
        let (line, column) = if self.span.is_located() {
            (self.span.line, self.span.column)
        } else {
            (0, 0)
        };
        DiagnosticRecord {
            code: self.code,
            name: self.code.slug(),
            severity: self.severity,
            message: self.message.clone(),
            file: sources.name(self.span.file).to_string(),
            line,
            column,
            start: self.span.start,
            end: self.span.end,
            label: self.label.clone(),
            help: self.help.clone(),
        }
    }
}

/// A diagnostic as it appears in JSON output.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DiagnosticRecord {
    /// The stable code, such as `E0202`.
    pub code: Code,
    /// The code's kebab-case name.
    pub name: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// The file name as registered.
    pub file: String,
    /// One-based line, 0 when unknown.
    pub line: u32,
    /// One-based column, 0 when unknown.
    pub column: u32,
    /// Byte offset where the span starts.
    pub start: usize,
    /// Byte offset where the span ends.
    pub end: usize,
    /// The label under the span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Sorts diagnostics by file, position and code, so output is deterministic.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.span.file, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.span.file,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}
