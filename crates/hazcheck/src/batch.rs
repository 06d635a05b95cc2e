//! Batch evaluation: inspections as NDJSON in, one record per line out.
//!
//! Field apps and scripts export inspections one JSON object per line. A
//! batch never loses a line: every input line gives exactly one [`Record`],
//! either a report or the located errors that stopped it, numbered like the
//! input. Lines that are empty, too long, not UTF-8 or not JSON are records
//! too, so a consumer can always pair outputs with inputs.
//!
//! [`LineReader`] reads lines as bytes in bounded memory (a line longer
//! than the inspection size limit is counted and skipped, never held), and
//! [`Batch::evaluate`] turns one line into one record without touching
//! shared state, so callers can evaluate lines on as many threads as they
//! like and keep the input order by collecting in order.
//!
//! ```
//! use hazcheck::batch::{Batch, LineReader};
//! use hazcheck::{EvalOptions, Limits, Verdict};
//!
//! let library = hazcheck::builtin::load(Limits::default())
//!     .library
//!     .ok_or("the built-in rulesets have errors")?;
//! let batch = Batch::new(&library, Limits::default(), EvalOptions::default());
//! let input = [
//!     r#"{"ruleset":"common-tasks","date":"2025-03-10","answers":{"ct.plan.exists":false}}"#,
//!     r#"{"ruleset":"common-tasks","date":"2025-03-10","answers":{"ct.plan.exists":true}}"#,
//!     r#"{"ruleset":"common-tasks","date":"2025-03-11","answers":{"ct.exits.clear":false}}"#,
//! ]
//! .join("\n");
//!
//! // Read the lines, evaluate them on two threads, keep the input order.
//! let lines = LineReader::new(input.as_bytes(), batch.limits().max_inspection_bytes)
//!     .collect::<Result<Vec<_>, _>>()?;
//! let records = std::thread::scope(|scope| {
//!     let workers: Vec<_> = lines
//!         .chunks(2)
//!         .map(|chunk| {
//!             let batch = &batch;
//!             scope.spawn(move || {
//!                 chunk.iter().map(|(n, line)| batch.evaluate(*n, line)).collect::<Vec<_>>()
//!             })
//!         })
//!         .collect();
//!     let mut records = Vec::new();
//!     for worker in workers {
//!         records.extend(worker.join().map_err(|_| "a worker panicked")?);
//!     }
//!     Ok::<_, &str>(records)
//! })?;
//!
//! let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
//! assert_eq!(lines, [1, 2, 3]);
//! let verdicts: Vec<_> = records.iter().map(|r| r.verdict()).collect();
//! let (ordinary, incomplete) = (Some(Verdict::Ordinary), Some(Verdict::Incomplete));
//! assert_eq!(verdicts, [ordinary, incomplete, ordinary]);
//! assert!(records[2].to_json_line().starts_with(r#"{"line":3,"report":{"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, BufRead};

use serde::Serialize;

use crate::diagnostic::{self, Code, Diagnostic};
use crate::eval::EvalOptions;
use crate::inspection::Inspection;
use crate::limits::Limits;
use crate::load::{Library, SelectError};
use crate::report::{Report, Verdict};
use crate::span::FileId;

/// Evaluates NDJSON lines against a library of rulesets.
///
/// A batch keeps nothing from one line to the next, so one batch can be
/// shared by every thread that evaluates lines (see the module example).
#[derive(Debug)]
pub struct Batch<'a> {
    library: &'a Library,
    limits: Limits,
    options: EvalOptions,
}

/// One input line as [`LineReader`] hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// The bytes of the line, without its line ending (`\n` or `\r\n`).
    Bytes(Vec<u8>),
    /// A line longer than the limit; only its length was kept.
    TooLong {
        /// Its length in bytes.
        len: u64,
    },
}

/// What one input line gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The one-based number of the input line.
    pub line: u64,
    /// The report, or why there is none.
    pub outcome: Outcome,
}

/// A report, or the errors that prevented one.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The inspection was evaluated.
    Report(Box<Report>),
    /// The line could not be evaluated; never empty.
    Errors(Vec<LineError>),
}

/// One located error of an input line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// The stable code, such as `E0002`.
    pub code: Code,
    /// The code's kebab-case name.
    pub name: &'static str,
    /// What is wrong.
    pub message: String,
    /// The one-based input line.
    pub line: u64,
    /// The one-based column, in characters; 0 when the error concerns the
    /// line as a whole.
    pub column: u32,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl<'a> Batch<'a> {
    /// A batch over `library`. `limits` bound each line (its size, nesting,
    /// answers); `options` apply to every evaluation.
    pub fn new(library: &'a Library, limits: Limits, options: EvalOptions) -> Batch<'a> {
        Batch {
            library,
            limits,
            options,
        }
    }

    /// The limits lines are read with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Evaluates one line. Never fails: whatever the line holds, the result
    /// is a record for it.
    ///
    /// Even a panic (a bug, never the line's fault) gives a record: the
    /// evaluation of each line is guarded, and a line whose evaluation
    /// panicked gets one `E0001` error whose message starts with
    /// `internal error`, so that the other lines of a batch are not lost.
    ///
    /// ```
    /// use hazcheck::batch::{Batch, Line, Outcome};
    /// use hazcheck::{Code, EvalOptions, Library, Limits};
    ///
    /// let library = Library::default();
    /// let batch = Batch::new(&library, Limits::default(), EvalOptions::default());
    /// let record = batch.evaluate(7, &Line::TooLong { len: 5_000_000 });
    /// assert_eq!(record.line, 7);
    /// let Outcome::Errors(errors) = &record.outcome else {
    ///     return Err("a line that was not kept cannot give a report".into());
    /// };
    /// assert_eq!((errors[0].code, errors[0].line, errors[0].column), (Code::LimitExceeded, 7, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, number: u64, line: &Line) -> Record {
        let guarded = || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.outcome(number, line)))
        };
        let failed = |message: String| {
            Err(vec![LineError {
                code: Code::Io,
                name: Code::Io.slug(),
                message,
                line: number,
                column: 0,
                help: Some("please report this line to the hazcheck maintainers".to_string()),
            }])
        };
        // Reading and evaluating recurse once per nesting level; deep limits
        // get a thread with enough stack.
        let outcome = match crate::limits::with_stack(self.limits.line_stack(), guarded) {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => failed(format!(
                "internal error while evaluating this line: {}",
                crate::script::panic_message(&*panic)
            )),
            Err(e) => failed(format!("cannot start a thread to evaluate this line: {e}")),
        };
        let outcome = match outcome {
            Ok(report) => Outcome::Report(Box::new(report)),
            Err(errors) => Outcome::Errors(errors),
        };
        Record {
            line: number,
            outcome,
        }
    }

    /// Evaluates every line of `input` in order, on the calling thread.
    /// Reading from memory cannot fail, so there is one record per line.
    ///
    /// ```
    /// use hazcheck::batch::{Batch, Outcome};
    /// use hazcheck::{Code, EvalOptions, Limits, Verdict};
    ///
    /// let library = hazcheck::builtin::load(Limits::default())
    ///     .library
    ///     .ok_or("the built-in rulesets have errors")?;
    /// let batch = Batch::new(&library, Limits::default(), EvalOptions::default());
    /// let input = concat!(
    ///     r#"{"ruleset":"common-tasks","date":"2025-03-10","answers":{"ct.licence.held":false}}"#,
    ///     "\n",
    ///     r#"{"ruleset":"common-tasks","date":"2025-03-10","answers":{"#,
    ///     "\n",
    ///     "\n",
    ///     r#"{"ruleset":"no-such-list","date":"2025-03-10"}"#,
    ///     "\n",
    /// );
    /// let records = batch.evaluate_all(input.as_bytes());
    ///
    /// // One record per line, numbered like the input, bad lines included.
    /// let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
    /// assert_eq!(lines, [1, 2, 3, 4]);
    /// assert_eq!(records[0].verdict(), Some(Verdict::Ordinary));
    /// let code = |i: usize| match &records[i].outcome {
    ///     Outcome::Errors(errors) => Some(errors[0].code),
    ///     Outcome::Report(_) => None,
    /// };
    /// assert_eq!(code(1), Some(Code::Syntax)); // cut off
    /// assert_eq!(code(2), Some(Code::Syntax)); // empty
    /// assert_eq!(code(3), Some(Code::UnknownRuleset));
    /// assert!(records[3].to_json_line().starts_with(r#"{"line":4,"errors":[{"code":"E0507""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_all(&self, input: &[u8]) -> Vec<Record> {
        LineReader::new(input, self.limits.max_inspection_bytes)
            .filter_map(Result::ok)
            .map(|(n, line)| self.evaluate(n, &line))
            .collect()
    }

    fn outcome(&self, number: u64, line: &Line) -> Result<Report, Vec<LineError>> {
        let whole_line = |code: Code, message: String, help: Option<&str>| {
            vec![LineError {
                code,
                name: code.slug(),
                message,
                line: number,
                column: 0,
                help: help.map(String::from),
            }]
        };
        let bytes = match line {
            Line::Bytes(b) => b,
            Line::TooLong { len } => {
                return Err(whole_line(
                    Code::LimitExceeded,
                    format!(
                        "line is {len} bytes long, more than the limit of {} bytes",
                        self.limits.max_inspection_bytes
                    ),
                    Some("raise the limit (--max-inspection-bytes)"),
                ));
            }
        };
        // A way to make evaluation panic, for the test that a panic costs
        // one record and no more.
        #[cfg(test)]
        if bytes == b"\"panic\"" {
            panic!("a simulated bug");
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            let column = String::from_utf8_lossy(valid).chars().count() + 1;
            vec![LineError {
                code: Code::Syntax,
                name: Code::Syntax.slug(),
                message: "line is not valid UTF-8".to_string(),
                line: number,
                column: u32::try_from(column).unwrap_or(u32::MAX),
                help: Some("save the file as UTF-8".to_string()),
            }]
        })?;
        if text.trim().is_empty() {
            return Err(whole_line(
                Code::Syntax,
                "line is empty".to_string(),
                Some("each line holds one inspection as a JSON object"),
            ));
        }
        let to_errors = |diags: Vec<Diagnostic>| -> Vec<LineError> {
            let mut diags = diags;
            diagnostic::sort(&mut diags);
            diags
                .into_iter()
                .map(|d| LineError {
                    code: d.code,
                    name: d.code.slug(),
                    message: d.message,
                    // A line holds no line break outside strings, so the
                    // reader's own line is always the first.
                    line: number,
                    column: d.span.column,
                    help: d.help,
                })
                .collect()
        };
        let node = crate::json::parse_json(text, FileId(0), &self.limits.inspection_parse())
            .map_err(|d| to_errors(vec![d]))?;
        let inspection = Inspection::from_node(&node, &self.limits).map_err(to_errors)?;
        self.library
            .evaluate(&inspection, &self.options)
            .map_err(|e| {
                let span = match e {
                    SelectError::UnknownRuleset { .. } => inspection.ruleset.span,
                    _ => inspection.date.span,
                };
                to_errors(vec![Diagnostic::new(e.code(), span, e.to_string())])
            })
    }
}

impl Record {
    /// The verdict, when the line gave a report.
    pub fn verdict(&self) -> Option<Verdict> {
        match &self.outcome {
            Outcome::Report(r) => Some(r.verdict),
            Outcome::Errors(_) => None,
        }
    }

    /// The record as one line of JSON, ending with a newline:
    /// `{"line":N,"report":{...}}` or `{"line":N,"errors":[...]}`.
    pub fn to_json_line(&self) -> String {
        #[derive(Serialize)]
        struct Out<'r> {
            line: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            report: Option<&'r Report>,
            #[serde(skip_serializing_if = "Option::is_none")]
            errors: Option<&'r [LineError]>,
        }
        let out = match &self.outcome {
            Outcome::Report(r) => Out {
                line: self.line,
                report: Some(r),
                errors: None,
            },
            Outcome::Errors(e) => Out {
                line: self.line,
                report: None,
                errors: Some(e),
            },
        };
        // Serializing plain data into a string cannot fail; should it ever,
        // the line still gets a record.
        let mut s = serde_json::to_string(&out).unwrap_or_else(|e| {
            format!(
                r#"{{"line":{},"errors":[{{"code":"E0002","name":"syntax","message":"cannot write the record: {}","line":{},"column":0}}]}}"#,
                self.line,
                e.to_string().replace(['"', '\\'], "'"),
                self.line
            )
        });
        s.push('\n');
        s
    }
}

/// Reads lines as bytes, in bounded memory.
///
/// A line is held only up to `max_len` bytes; beyond that it is counted and
/// skipped, and handed over as [`Line::TooLong`]. A final line without a
/// line ending counts; an empty input has no line. A `\r` before the `\n`
/// is dropped and does not count towards the limit.
///
/// An [`io::ErrorKind::Interrupted`] error of the reader is passed on
/// rather than retried, so that a caller can look at a pending stop
/// request; calling [`LineReader::next`] again resumes where it was.
///
/// ```
/// use hazcheck::batch::{Line, LineReader};
///
/// // The first line is exactly at the limit of 8 bytes: the `\r` of its
/// // line ending does not count.
/// let input = "{\"a\": 1}\r\n0123456789\n\nlast";
/// let lines = LineReader::new(input.as_bytes(), 8).collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(
///     lines,
///     [
///         (1, Line::Bytes(b"{\"a\": 1}".to_vec())),
///         (2, Line::TooLong { len: 10 }),
///         (3, Line::Bytes(Vec::new())),
///         (4, Line::Bytes(b"last".to_vec())),
///     ]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LineReader<R> {
    reader: R,
    max_len: usize,
    number: u64,
    /// The current line, as long as it fits (one byte of slack keeps the
    /// `\r` of a CRLF line that is exactly at the limit).
    buf: Vec<u8>,
    /// The length of the current line so far, kept or not.
    len: u64,
    /// The last byte of the current line so far.
    last: Option<u8>,
    bytes_read: u64,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    /// A reader of lines of at most `max_len` bytes.
    pub fn new(reader: R, max_len: usize) -> LineReader<R> {
        LineReader {
            reader,
            max_len,
            number: 0,
            buf: Vec::new(),
            len: 0,
            last: None,
            bytes_read: 0,
            done: false,
        }
    }

    /// Bytes consumed from the reader so far (for progress reports).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The underlying reader (to ask a `BufReader` whether more input is
    /// already buffered, for instance).
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    fn finish(&mut self) -> (u64, Line) {
        self.number += 1;
        let mut len = std::mem::take(&mut self.len);
        if self.last.take() == Some(b'\r') {
            len -= 1;
            if self.buf.len() as u64 > len {
                self.buf.pop();
            }
        }
        let line = if len > self.max_len as u64 {
            self.buf = Vec::new();
            Line::TooLong { len }
        } else {
            Line::Bytes(std::mem::take(&mut self.buf))
        };
        (self.number, line)
    }
}

impl<R: BufRead> Iterator for LineReader<R> {
    type Item = io::Result<(u64, Line)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            if available.is_empty() {
                self.done = true;
                return (self.len > 0).then(|| Ok(self.finish()));
            }
            let (part, ended) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (available.get(..i).unwrap_or(&[]), true),
                None => (available, false),
            };
            let consumed = part.len() + usize::from(ended);
            self.len += part.len() as u64;
            if let Some(&b) = part.last() {
                self.last = Some(b);
            }
            if self.len <= self.max_len as u64 + 1 {
                self.buf.extend_from_slice(part);
            } else if !self.buf.is_empty() {
                self.buf = Vec::new();
            }
            self.reader.consume(consumed);
            self.bytes_read += consumed as u64;
            if ended {
                return Some(Ok(self.finish()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::load::Loader;

    const RULESET: &str = "ruleset: demo
title: {zh: 演示, en: Demo}
effective: {from: 2024-01-01}
documents:
  - {id: std, title: {zh: 标准, en: Standard}, verified: true}
items:
  - {id: guard.present, type: yes_no, prompt: {zh: 护栏, en: Guard}}
  - {id: depth, type: number, min: 0, prompt: {zh: 深度, en: Depth}}
  - {id: note, type: text, prompt: {zh: 备注, en: Note}}
  - id: kind
    type: choice
    prompt: {zh: 类型, en: Kind}
    options:
      - {id: a, label: {zh: 甲, en: A}}
      - {id: b, label: {zh: 乙, en: B}}
rules:
  - id: r1
    level: ordinary
    basis: {document: std, clause: \"1\"}
    title: {zh: 规则, en: Rule}
    when:
      any:
        - {item: guard.present, is: false}
        - {all: [{item: depth, gt: 5}, {item: kind, eq: b}]}
  - id: r2
    level: major
    basis: {document: std, clause: \"2\"}
    title: {zh: 脚本, en: Script}
    when: {script: 'note.len() > 3 && depth > 1.0'}
";

    fn library() -> Library {
        let mut loader = Loader::new(Limits::default());
        loader.add_memory("demo.yaml", RULESET);
        let outcome = loader.load();
        assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics);
        outcome.library.expect("library")
    }

    const VALID: &str =
        r#"{"ruleset":"demo","date":"2025-01-10","answers":{"guard.present":false}}"#;

    #[test]
    fn reads_lines_as_they_are_written() {
        let lines = |input: &[u8], max: usize| -> Vec<(u64, Line)> {
            LineReader::new(input, max).map(Result::unwrap).collect()
        };
        assert_eq!(lines(b"", 10), vec![]);
        assert_eq!(lines(b"\n", 10), vec![(1, Line::Bytes(vec![]))]);
        assert_eq!(
            lines(b"ab\r\ncd", 10),
            vec![
                (1, Line::Bytes(b"ab".to_vec())),
                (2, Line::Bytes(b"cd".to_vec()))
            ]
        );
        // The limit is on the line without its `\r`.
        assert_eq!(
            lines(b"abc\r\n", 3),
            vec![(1, Line::Bytes(b"abc".to_vec()))]
        );
        assert_eq!(
            lines(b"abcd\nx\n", 3),
            vec![
                (1, Line::TooLong { len: 4 }),
                (2, Line::Bytes(b"x".to_vec()))
            ]
        );
        // A reader that hands over one byte at a time gives the same lines.
        let slow = std::io::BufReader::with_capacity(1, &b"abcd\r\nxy\n"[..]);
        let got: Vec<_> = LineReader::new(slow, 3).map(Result::unwrap).collect();
        assert_eq!(
            got,
            vec![
                (1, Line::TooLong { len: 4 }),
                (2, Line::Bytes(b"xy".to_vec()))
            ]
        );
    }

    #[test]
    fn a_panic_costs_one_record_and_no_more() {
        let lib = library();
        let batch = Batch::new(&lib, Limits::default(), EvalOptions::default());
        let records = batch.evaluate_all(format!("{VALID}\n\"panic\"\n{VALID}\n").as_bytes());
        assert_eq!(records.len(), 3);
        assert!(records[0].verdict().is_some() && records[2].verdict().is_some());
        match &records[1].outcome {
            Outcome::Errors(e) => {
                assert_eq!(e.len(), 1);
                assert_eq!((e[0].code, e[0].line), (Code::Io, 2));
                assert_eq!(
                    e[0].message,
                    "internal error while evaluating this line: a simulated bug"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn records_are_one_line_of_json() {
        let lib = library();
        let batch = Batch::new(&lib, Limits::default(), EvalOptions::default());
        let records = batch.evaluate_all(format!("{VALID}\n\nnope\n").as_bytes());
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].verdict(), Some(Verdict::Ordinary));
        let json = records[2].to_json_line();
        assert!(json.ends_with("}\n") && json.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["line"], 3);
        assert_eq!(v["errors"][0]["code"], "E0002");
        assert_eq!(v["errors"][0]["column"], 1);
    }

    /// Any JSON value, biased towards the shape of an inspection so that
    /// evaluation is reached as often as decoding errors.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value as V;
        let leaf = prop_oneof![
            Just(V::Null),
            any::<bool>().prop_map(V::Bool),
            any::<i64>().prop_map(V::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(V::from),
            "[a-z0-9.\\-/: 一-龥]{0,12}".prop_map(V::String),
            prop_oneof![
                Just("2025-01-10"),
                Just("2023-02-29"),
                Just("n/a"),
                Just("b"),
                Just("１２")
            ]
            .prop_map(|s| V::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(V::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("guard.present".to_string()),
                        Just("depth".to_string()),
                        Just("note".to_string()),
                        Just("kind".to_string()),
                        "[a-z.]{1,8}"
                    ],
                    inner,
                    0..4
                )
                .prop_map(|m| V::Object(m.into_iter().collect())),
            ]
        })
    }

    fn inspection_json() -> impl Strategy<Value = serde_json::Value> {
        (
            prop_oneof![Just(Some("demo")), Just(Some("other")), Just(None)],
            prop_oneof![
                Just(Some("2025-01-10")),
                Just(Some("2023-06-01")),
                Just(Some("2025-13-01")),
                Just(None)
            ],
            prop::option::of(json_value()),
            prop::option::of(json_value()),
        )
            .prop_map(|(ruleset, date, answers, extra)| {
                let mut m = serde_json::Map::new();
                if let Some(r) = ruleset {
                    m.insert("ruleset".into(), r.into());
                }
                if let Some(d) = date {
                    m.insert("date".into(), d.into());
                }
                if let Some(a) = answers {
                    m.insert("answers".into(), a);
                }
                if let Some(e) = extra {
                    m.insert("site".into(), e);
                }
                serde_json::Value::Object(m)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn any_inspection_json_gives_a_report_or_located_errors(
            value in prop_oneof![inspection_json(), json_value()]
        ) {
            let lib = library();
            let batch = Batch::new(&lib, Limits::default(), EvalOptions::default());
            let text = value.to_string();
            let record = batch.evaluate(7, &Line::Bytes(text.clone().into_bytes()));
            prop_assert_eq!(record.line, 7);
            match &record.outcome {
                Outcome::Report(r) => {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(&r.to_json()).is_ok());
                }
                Outcome::Errors(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in errors {
                        prop_assert_eq!(e.line, 7);
                        // The text is valid JSON, so every error points
                        // inside it.
                        prop_assert!(e.column >= 1, "{:?} in {}", e, text);
                        prop_assert!(
                            (e.column as usize) <= text.chars().count(),
                            "{:?} in {}", e, text
                        );
                    }
                }
            }
        }

        #[test]
        fn any_bytes_give_exactly_one_record(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let lib = library();
            let batch = Batch::new(&lib, Limits::default(), EvalOptions::default());
            let record = batch.evaluate(1, &Line::Bytes(bytes));
            prop_assert_eq!(record.line, 1);
            if let Outcome::Errors(e) = &record.outcome {
                prop_assert!(!e.is_empty());
            }
        }

        #[test]
        fn n_lines_give_n_records_in_input_order(
            kinds in prop::collection::vec(0u8..7, 0..40),
            final_newline in any::<bool>(),
        ) {
            let lib = library();
            let batch = Batch::new(
                &lib,
                Limits { max_inspection_bytes: 120, ..Limits::default() },
                EvalOptions::default(),
            );
            let mut input = Vec::new();
            for (i, k) in kinds.iter().enumerate() {
                if i > 0 {
                    input.push(b'\n');
                }
                match k {
                    0 => input.extend_from_slice(VALID.as_bytes()),
                    1 => {}
                    2 => input.extend_from_slice(b"{\"ruleset\": "),
                    3 => input.extend_from_slice(b"\xff\xfe\x00{}"),
                    4 => input.extend_from_slice(format!("{VALID}\r").as_bytes()),
                    5 => input.extend_from_slice(&[b'x'; 300]),
                    _ => input.extend_from_slice(b"  \t "),
                }
            }
            // An empty last line only counts when something ends it, and a
            // lone line ending is itself one (empty) line.
            let last_is_empty = kinds.last() == Some(&1);
            if !kinds.is_empty() && (final_newline || last_is_empty) {
                input.push(b'\n');
            }
            let records = batch.evaluate_all(&input);
            prop_assert_eq!(records.len(), kinds.len());
            for (i, (r, k)) in records.iter().zip(&kinds).enumerate() {
                prop_assert_eq!(r.line, i as u64 + 1);
                prop_assert_eq!(r.verdict().is_some(), *k == 0 || *k == 4, "line {} kind {}", i + 1, k);
            }
        }
    }
}
