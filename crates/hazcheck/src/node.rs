//! A located document tree: the common input form of rulesets and
//! inspections.
//!
//! YAML text is read with serde-saphyr's parser (safe Rust, resource
//! budgets, duplicate keys rejected): the tree is built from its events
//! directly (see `reader`), as serde-saphyr itself would read it, and keeps
//! the location of every scalar, sequence and mapping. JSON values convert
//! into the same tree. The typed models are then decoded from nodes by hand
//! (see [`Decoder`](crate::decode::Decoder)), which lets one pass report
//! every unknown key and every wrong type in a file with its line and
//! column, instead of stopping at the first serde error.

mod reader;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod oracle;

use crate::diagnostic::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// One node of a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: NodeKind,
    /// Where it was written.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// Any other number, as the shortest decimal that reads back as it.
    Float(f64),
    /// A number as written that neither an `i64` nor a finite `f64` holds
    /// (a whole number beyond the `i64` range, NaN, an infinity). It stays
    /// in the tree so that the decoder reports it where a number is read,
    /// and every other problem of the file is still found.
    BadNumber(String),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order. Keys are usually strings.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short name of the node's type for messages: "a string", "a list"...
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::BadNumber(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The string value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar rendered as text (for messages and string-typed answers).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Null => Some("null".into()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(f.to_string()),
            NodeKind::BadNumber(s) | NodeKind::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Converts a JSON value into a node. JSON values carry no positions, so
    /// every span points at the file as a whole.
    pub fn from_json(value: &serde_json::Value, file: FileId) -> Node {
        let span = Span::file_only(file);
        let kind = match value {
            serde_json::Value::Null => NodeKind::Null,
            serde_json::Value::Bool(b) => NodeKind::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.is_u64()) {
                (Some(i), _) => NodeKind::Int(i),
                // A whole number beyond `i64`, kept digit for digit.
                (None, true) => NodeKind::BadNumber(n.to_string()),
                (None, false) => match n.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => NodeKind::Float(f),
                    None => NodeKind::BadNumber(n.to_string()),
                },
            },
            serde_json::Value::String(s) => NodeKind::Str(s.clone()),
            serde_json::Value::Array(items) => {
                NodeKind::Seq(items.iter().map(|v| Node::from_json(v, file)).collect())
            }
            serde_json::Value::Object(map) => NodeKind::Map(
                map.iter()
                    .map(|(k, v)| {
                        (
                            Node {
                                kind: NodeKind::Str(k.clone()),
                                span,
                            },
                            Node::from_json(v, file),
                        )
                    })
                    .collect(),
            ),
        };
        Node { kind, span }
    }
}

/// Limits on the YAML reader itself, applied before any decoding.
#[derive(Clone, Debug)]
pub struct ParseLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of lists and mappings.
    pub max_depth: usize,
    /// Most nodes in one document.
    pub max_nodes: usize,
    /// Most alias uses (`*name`) in one document.
    pub max_aliases: usize,
    /// The command-line flag that raises `max_bytes`, named in the help of
    /// the diagnostic (rulesets and inspections have separate limits).
    pub bytes_flag: &'static str,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_bytes: 4 << 20,
            max_depth: 48,
            max_nodes: 250_000,
            max_aliases: 1_000,
            bytes_flag: "--max-ruleset-bytes",
        }
    }
}

/// Parses YAML (or JSON, which YAML reads too) into a located tree.
///
/// `file` is the id the spans will carry. A syntax error, a duplicate key, a
/// tab used for indentation or an exceeded limit gives one diagnostic located
/// where the parser stopped.
pub fn parse_yaml(text: &str, file: FileId, limits: &ParseLimits) -> Result<Node, Diagnostic> {
    parse_with(text, file, limits, read)
}

/// What reads a text known to hold something: `(text after the byte-order
/// mark, file, limits, depth limit, length of the byte-order mark)`.
type Read = fn(&str, FileId, &ParseLimits, usize, usize) -> Result<Node, Diagnostic>;

/// [`parse_yaml`] with the reader `read` (the tests compare two).
fn parse_with(
    text: &str,
    file: FileId,
    limits: &ParseLimits,
    read: Read,
) -> Result<Node, Diagnostic> {
    if text.len() > limits.max_bytes {
        return Err(Diagnostic::new(
            Code::LimitExceeded,
            Span::file_only(file),
            format!(
                "file is {} bytes, more than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        )
        .with_help(format!(
            "split the file or raise the limit ({})",
            limits.bytes_flag
        )));
    }
    // A byte-order mark is harmless; strip it so that column numbers on the
    // first line stay right.
    let (text, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    if text.trim().is_empty() {
        return Err(
            Diagnostic::new(Code::Syntax, Span::file_only(file), "file is empty")
                .with_help("a ruleset or inspection is a YAML mapping"),
        );
    }
    // A file of comments holds no document either; it is empty like a file
    // of blank lines, not a document whose value is null.
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Err(Diagnostic::new(
            Code::Syntax,
            Span::file_only(file),
            "file is empty (it holds only comments)",
        )
        .with_help("a ruleset or inspection is a YAML mapping"));
    }
    let depth = limits.max_depth.min(crate::json::MAX_NESTING);
    // The reader recurses once per level: deep limits get a thread with
    // enough stack.
    crate::limits::with_stack(crate::limits::yaml_stack(depth), || {
        read(text, file, limits, depth, shift)
    })
    .unwrap_or_else(|e| {
        Err(Diagnostic::new(
            Code::Io,
            Span::file_only(file),
            format!("cannot start a thread to read deeply nested YAML: {e}"),
        ))
    })
}

/// [`parse_yaml`] once the text is known to hold something.
fn read(
    text: &str,
    file: FileId,
    limits: &ParseLimits,
    depth: usize,
    shift: usize,
) -> Result<Node, Diagnostic> {
    let settings = reader::Settings {
        max_depth: depth,
        max_nodes: limits.max_nodes,
        max_aliases: limits.max_aliases,
        max_scalar_bytes: limits.max_bytes.saturating_mul(2),
    };
    reader::read(text, file, shift, &settings).map_err(|err| {
        let mut span = Span::file_only(file);
        let mut have_offset = false;
        if let Some(loc) = err.0.loc {
            if let Some((start, len)) = loc.bytes {
                have_offset = true;
                span.start = start as usize + shift;
                span.end = span.start + len as usize;
            }
            span.line = loc.line;
            span.column = loc.column;
        }
        if !have_offset && span.line > 0 {
            span.start = offset_of(text, span.line, span.column) + shift;
            span.end = span.start;
        }
        let (code, message, help) = describe(&err, limits);
        located(text, file, shift, span, code, message, help)
    })
}

/// The diagnostic of a reader error at `span`. The reader reports a tab
/// in the indentation where the scalar before it began; the diagnostic
/// points at the tab itself.
fn located(
    text: &str,
    file: FileId,
    shift: usize,
    mut span: Span,
    code: Code,
    mut message: String,
    mut help: Option<String>,
) -> Diagnostic {
    if code == Code::Syntax
        && message.contains("found a tab")
        && let Some(at) = indentation_tab(text, span.line)
    {
        let (line, column) = line_col(text, at);
        span = Span {
            file,
            start: at + shift,
            end: at + shift + 1,
            line,
            column,
        };
        message = "a tab is used for indentation".to_string();
        help = Some("YAML indents with spaces only".to_string());
    }
    let diag = Diagnostic::new(code, span, message);
    match help {
        Some(h) => diag.with_help(h),
        None => diag,
    }
}

/// The code, message and help of a reader error. Budget breaches become
/// [`Code::LimitExceeded`] with the limit and the flag that raises it; the
/// rest are syntax errors with serde-saphyr's wording.
fn describe(err: &reader::ReadError, limits: &ParseLimits) -> (Code, String, Option<String>) {
    use reader::{Breach, ErrKind};
    let depth_limit = || {
        format!(
            "lists and mappings nested deeper than {} levels",
            limits.max_depth.min(crate::json::MAX_NESTING)
        )
    };
    match &err.0.kind {
        ErrKind::Budget(breach) => {
            let (message, flag) = match breach {
                Breach::Depth => (depth_limit(), "--max-yaml-depth"),
                Breach::Nodes => (
                    format!(
                        "more than {} YAML nodes (a value used through an alias counts each time)",
                        limits.max_nodes
                    ),
                    "--max-yaml-nodes",
                ),
                Breach::Aliases => (
                    format!("more than {} alias uses (`*name`)", limits.max_aliases),
                    "--max-yaml-aliases",
                ),
                Breach::ScalarBytes => (
                    format!(
                        "strings add up to more than {} bytes (a string used through an alias counts each time)",
                        limits.max_bytes.saturating_mul(2)
                    ),
                    limits.bytes_flag,
                ),
                other => {
                    let name = match other {
                        Breach::Events => "events",
                        Breach::Anchors => "anchors",
                        Breach::Documents => "documents",
                        Breach::MergeKeys => "mergekeys",
                        Breach::AliasAnchorRatio => "aliasanchorratio",
                        Breach::RecordedAnchorEvents => "recordedanchorevents",
                        Breach::RecordedAnchorBytes => "recordedanchorbytes",
                        _ => "sequenceunbalanced",
                    };
                    (format!("YAML reader budget exceeded ({name})"), "")
                }
            };
            let help = (!flag.is_empty())
                .then(|| format!("simplify the file or raise the limit ({flag})"));
            (Code::LimitExceeded, message, help)
        }
        ErrKind::MultipleDocuments => (
            Code::Syntax,
            "a file holds one YAML document, this one has more".to_string(),
            Some("remove the second `---` and what follows, or split the file".to_string()),
        ),
        // The parser's own nesting bound (see `reader::read`); should it
        // ever be reached first, it is the same limit.
        ErrKind::Scan(msg) if msg == "recursion limit exceeded" => (
            Code::LimitExceeded,
            depth_limit(),
            Some("simplify the file or raise the limit (--max-yaml-depth)".to_string()),
        ),
        ErrKind::Scan(msg) | ErrKind::Message(msg) => {
            // serde-saphyr's rendering: control characters escaped, the
            // location after the message (which `first_line` takes off).
            let mut shown = String::with_capacity(msg.len() + 32);
            for c in msg.chars() {
                if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                    shown.extend(c.escape_debug());
                } else {
                    shown.push(c);
                }
            }
            if let Some(loc) = err.0.loc {
                shown.push_str(&format!(" at line {}, column {}", loc.line, loc.column));
            }
            (Code::Syntax, first_line(&shown), None)
        }
    }
}

/// The offset of the first tab in the indentation of a line, from line
/// `from` (one-based) on.
fn indentation_tab(text: &str, from: u32) -> Option<usize> {
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 >= from as usize {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            if let Some(t) = line.get(..indent).and_then(|s| s.find('\t')) {
                return Some(offset + t);
            }
        }
        offset += line.len();
    }
    None
}

/// The one-based line and character column of a byte offset in `text`.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// The byte offset of a one-based line and character column in `text`.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let col = (column as usize).saturating_sub(1);
            return offset + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

fn first_line(s: &str) -> String {
    let mut line = s.lines().next().unwrap_or("").trim();
    // The location is shown separately, so drop the parser's own suffix.
    if let Some(at) = line.rfind(" at line ") {
        line = &line[..at];
    }
    // The parser's advice on its own options means nothing to a ruleset
    // author.
    if let Some(at) = line.find(", set DuplicateKeyPolicy") {
        line = &line[..at];
    }
    let line = line.trim_end_matches(|c: char| c == ',' || c.is_whitespace());
    // Lowercase the first letter so that messages read the same as ours.
    let mut chars = line.chars();
    match chars.next() {
        Some(c) => c
            .to_lowercase()
            .chain(chars)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string(),
        None => "invalid YAML".to_string(),
    }
}

/// Whether a scalar as written is a plain whole number (optionally signed,
/// with `_` separators), as opposed to a decimal or an exponent form.
fn is_integer_literal(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, max_depth: usize) -> Result<Node, Diagnostic> {
        let limits = ParseLimits {
            max_depth,
            ..ParseLimits::default()
        };
        parse_yaml(text, FileId(0), &limits)
    }

    #[test]
    fn a_file_of_comments_is_empty() {
        for text in [
            "# only a comment\n",
            "  # one\n\n# two\n",
            "\u{feff}# bom\r\n",
        ] {
            let d = parse(text, 48).unwrap_err();
            assert_eq!(d.code, Code::Syntax, "{text:?}");
            assert!(d.message.starts_with("file is empty"), "{}", d.message);
        }
        // A value after the comments is a document.
        assert!(parse("# x\na: 1\n", 48).is_ok());
    }

    #[test]
    fn flow_nesting_beyond_the_limit_names_the_flag() {
        // The parser's own bound (255 flow levels) used to answer first,
        // as a syntax error that named no limit.
        for (levels, limit) in [(60, 48), (258, 256), (300, 256), (300, 1000)] {
            let text = format!("a: {}{}\n", "[".repeat(levels), "]".repeat(levels));
            let d = parse(&text, limit).unwrap_err();
            assert_eq!(
                d.code,
                Code::LimitExceeded,
                "{levels}/{limit}: {}",
                d.message
            );
            assert_eq!(
                d.message,
                format!(
                    "lists and mappings nested deeper than {} levels",
                    limit.min(crate::json::MAX_NESTING)
                )
            );
            assert_eq!(
                d.help.as_deref(),
                Some("simplify the file or raise the limit (--max-yaml-depth)")
            );
        }
        // Exactly at the cap, flow and block nesting both read.
        let n = crate::json::MAX_NESTING - 1;
        let flow = format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        assert!(parse(&flow, 256).is_ok());
        let block: String = (0..n).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(parse(&block, 256).is_ok());
    }
}
