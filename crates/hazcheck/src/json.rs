//! A strict JSON reader that keeps the location of every value.
//!
//! Inspections sent as NDJSON (one JSON document per line, see
//! [`crate::batch`]) deserve the same located diagnostics as YAML files, but
//! serde_json keeps no positions. This reader builds the same [`Node`] tree
//! that [`crate::node::parse_yaml`] builds, with a line and column on every
//! value, and enforces the same [`ParseLimits`] as it goes: size, nesting
//! depth and node count. It follows RFC 8259 to the letter: no comments, no
//! trailing commas, no `NaN` or infinities, and, unlike most readers, a
//! duplicate key is an error rather than a silent overwrite.
//!
//! It is a small recursive-descent parser; the depth limit bounds its
//! recursion (and [`MAX_NESTING`] bounds the limit).

use crate::diagnostic::{Code, Diagnostic};
use crate::node::{Node, NodeKind, ParseLimits};
use crate::span::{FileId, Span};

/// The deepest nesting any reader accepts, whatever the limits say.
///
/// Readers and decoders recurse once per level. At the default depth limit
/// (48) they need less than 2 MiB of stack even in a debug build; at this
/// cap, a release build needs about 2 MiB and a debug build about 16 MiB
/// (the command line's batch workers have that much).
pub const MAX_NESTING: usize = 256;

/// The first key of a mapping, in document order, that repeats an earlier
/// one: the indices of the earlier and of the repeated entry. Small
/// mappings are compared pairwise; larger ones through their keys sorted,
/// so that the check never costs more than a sort.
fn first_duplicate(entries: &[(Node, Node)]) -> Option<(usize, usize)> {
    let key = |i: usize| entries.get(i).and_then(|(k, _)| k.as_str()).unwrap_or("");
    if entries.len() <= 16 {
        return (1..entries.len()).find_map(|j| (0..j).find(|&i| key(i) == key(j)).map(|i| (i, j)));
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
    // Within a run of equal keys (sorted by position inside the run), the
    // first two entries are the original and its repeat; of all runs the
    // earliest repeat is reported, as a reader going through the document
    // meets it first.
    (1..order.len())
        .filter_map(|p| {
            let (prev, here) = (*order.get(p - 1)?, *order.get(p)?);
            let run_start = p < 2 || order.get(p - 2).is_none_or(|&b| key(b) != key(prev));
            (run_start && key(prev) == key(here)).then_some((prev, here))
        })
        .min_by_key(|&(_, again)| again)
}

/// Parses one JSON document into a located tree.
///
/// A leading byte-order mark is skipped (columns on the first line stay
/// right). Every error is one diagnostic at the position where reading
/// stopped: [`Code::Syntax`] for malformed text and duplicate keys,
/// [`Code::InvalidValue`] for `NaN` and the infinities, and
/// [`Code::LimitExceeded`] for exceeded limits. Numbers that no `i64` or
/// finite `f64` holds are kept as [`NodeKind::BadNumber`].
///
/// ```
/// use hazcheck::json::parse_json;
/// use hazcheck::{Code, FileId, Limits};
///
/// let limits = Limits::default().inspection_parse();
/// let parse = |text: &str| parse_json(text, FileId(0), &limits);
/// assert!(parse(r#"{"ruleset": "construction", "answers": {"pit.depth": 6.2}}"#).is_ok());
///
/// // A repeated key is an error at the repeat, not a silent overwrite.
/// let error = parse(r#"{"date": "2025-03-10", "date": "2025-03-11"}"#).unwrap_err();
/// assert_eq!(error.code, Code::Syntax);
/// assert_eq!((error.span.line, error.span.column), (1, 24));
///
/// let code = |text: &str| parse(text).err().map(|d| d.code);
/// assert_eq!(code("[1, 2,]"), Some(Code::Syntax));
/// assert_eq!(code(r#"{"a": 1} // note"#), Some(Code::Syntax));
/// assert_eq!(code(r#"{"a": NaN}"#), Some(Code::InvalidValue));
/// assert_eq!(code(&"[".repeat(100)), Some(Code::LimitExceeded));
/// ```
pub fn parse_json(text: &str, file: FileId, limits: &ParseLimits) -> Result<Node, Diagnostic> {
    if text.len() > limits.max_bytes {
        return Err(Diagnostic::new(
            Code::LimitExceeded,
            Span {
                file,
                start: 0,
                end: 0,
                line: 1,
                column: 1,
            },
            format!(
                "input is {} bytes, more than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        )
        .with_help(format!("raise the limit ({})", limits.bytes_flag)));
    }
    let shift = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: shift,
        line: 1,
        column: 1,
        file,
        limits,
        max_depth: limits.max_depth.min(MAX_NESTING),
        nodes: 0,
    };
    p.skip_ws();
    if p.pos >= p.bytes.len() {
        return Err(p.error(Code::Syntax, "input is empty"));
    }
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error(Code::Syntax, "unexpected text after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    column: u32,
    file: FileId,
    limits: &'a ParseLimits,
    max_depth: usize,
    nodes: usize,
}

impl Parser<'_> {
    fn here(&self) -> Span {
        Span {
            file: self.file,
            start: self.pos,
            end: self.pos,
            line: self.line,
            column: self.column,
        }
    }

    fn error(&self, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.here(), message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Moves one byte on. Columns count characters, so continuation bytes
    /// of a multi-byte character do not move the column.
    fn bump(&mut self) {
        if let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// Describes what stands at the cursor, for "expected ..., found ..."
    /// messages.
    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "the end of the input".to_string(),
            Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    fn count_node(&mut self) -> Result<(), Diagnostic> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(self
                .error(
                    Code::LimitExceeded,
                    format!("more than {} JSON values", self.limits.max_nodes),
                )
                .with_help("simplify the input or raise the limit (--max-yaml-nodes)"));
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        self.count_node()?;
        let start = self.here();
        let kind = match self.peek() {
            Some(b'{') => self.object(depth + 1)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'"') => NodeKind::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal("true", NodeKind::Bool(true))?,
            Some(b'f') => self.literal("false", NodeKind::Bool(false))?,
            Some(b'n') => self.literal("null", NodeKind::Null)?,
            _ => return Err(self.not_a_value()),
        };
        Ok(Node {
            kind,
            span: Span {
                end: self.pos,
                ..start
            },
        })
    }

    fn not_a_value(&self) -> Diagnostic {
        let rest = self.text.get(self.pos..).unwrap_or("");
        for word in ["NaN", "Infinity", "-Infinity", "+Infinity"] {
            if rest.starts_with(word) {
                return self
                    .error(Code::InvalidValue, format!("`{word}` is not a number"))
                    .with_help("numbers are finite; NaN and infinities are not accepted");
            }
        }
        self.error(
            Code::Syntax,
            format!("expected a JSON value, found {}", self.found()),
        )
    }

    fn literal(&mut self, word: &str, kind: NodeKind) -> Result<NodeKind, Diagnostic> {
        if self
            .bytes
            .get(self.pos..self.pos + word.len())
            .is_some_and(|b| b == word.as_bytes())
        {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(kind)
        } else {
            Err(self.not_a_value())
        }
    }

    fn enter(&self, depth: usize) -> Result<(), Diagnostic> {
        if depth > self.max_depth {
            return Err(self
                .error(
                    Code::LimitExceeded,
                    format!(
                        "lists and mappings nested deeper than {} levels",
                        self.max_depth
                    ),
                )
                .with_help("simplify the input or raise the limit (--max-yaml-depth)"));
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<NodeKind, Diagnostic> {
        self.enter(depth)?;
        self.bump();
        let mut entries: Vec<(Node, Node)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(NodeKind::Map(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error(
                    Code::Syntax,
                    format!("expected a key in double quotes, found {}", self.found()),
                ));
            }
            self.count_node()?;
            let start = self.here();
            let key = self.string()?;
            let key_span = Span {
                end: self.pos,
                ..start
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error(
                    Code::Syntax,
                    format!("expected `:` after the key, found {}", self.found()),
                ));
            }
            self.bump();
            self.skip_ws();
            let value = self.value(depth)?;
            entries.push((
                Node {
                    kind: NodeKind::Str(key),
                    span: key_span,
                },
                value,
            ));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return match first_duplicate(&entries) {
                        None => Ok(NodeKind::Map(entries)),
                        Some((first, again)) => {
                            let (k, first) = (&entries[again].0, entries[first].0.span);
                            Err(Diagnostic::new(
                                Code::Syntax,
                                k.span,
                                format!(
                                    "duplicate key `{}`",
                                    crate::decode::truncate(k.as_str().unwrap_or(""), 60)
                                ),
                            )
                            .with_secondary(first, "first written here"))
                        }
                    };
                }
                _ => {
                    return Err(self.error(
                        Code::Syntax,
                        format!("expected `,` or `}}`, found {}", self.found()),
                    ));
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<NodeKind, Diagnostic> {
        self.enter(depth)?;
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(NodeKind::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(NodeKind::Seq(items));
                }
                _ => {
                    return Err(self.error(
                        Code::Syntax,
                        format!("expected `,` or `]`, found {}", self.found()),
                    ));
                }
            }
        }
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        self.bump();
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            // A run of plain characters: no line break can be in it (control
            // characters end it), so only the column moves, by the number
            // of characters.
            let run = self
                .bytes
                .get(run_start..)
                .unwrap_or(&[])
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(self.bytes.len() - run_start);
            let text = self.text.get(run_start..run_start + run).unwrap_or("");
            self.pos += run;
            self.column += u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
            if out.is_empty() && self.peek() == Some(b'"') {
                // The common case, a string without escapes: one copy.
                self.bump();
                return Ok(text.to_string());
            }
            out.push_str(text);
            match self.peek() {
                None => return Err(self.error(Code::Syntax, "unterminated string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    let at = self.here();
                    self.bump();
                    let c = self.escape().map_err(|m| {
                        Diagnostic::new(
                            Code::Syntax,
                            Span {
                                end: self.pos,
                                ..at
                            },
                            m,
                        )
                    })?;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.error(
                        Code::Syntax,
                        format!(
                            "{} in a string; write it as an escape such as \\n",
                            self.found()
                        ),
                    ));
                }
            }
        }
    }

    /// Reads what follows a backslash.
    fn escape(&mut self) -> Result<char, String> {
        let Some(b) = self.peek() else {
            return Err("unterminated string".to_string());
        };
        self.bump();
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    if self.peek() != Some(b'\\')
                        || self.bytes.get(self.pos + 1).copied() != Some(b'u')
                    {
                        return Err(format!("unpaired surrogate \\u{hi:04X} in a string"));
                    }
                    self.bump();
                    self.bump();
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(format!("unpaired surrogate \\u{hi:04X} in a string"));
                    }
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    char::from_u32(code).ok_or_else(|| "invalid \\u escape".to_string())?
                } else {
                    char::from_u32(hi)
                        .ok_or_else(|| format!("unpaired surrogate \\u{hi:04X} in a string"))?
                }
            }
            other => {
                return Err(format!(
                    "invalid escape `\\{}` in a string",
                    char::from(other).escape_default()
                ));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| "a \\u escape takes four hexadecimal digits".to_string())?;
            v = v * 16 + d;
            self.bump();
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let mut n = 0;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.bump();
            n += 1;
        }
        n
    }

    fn number(&mut self) -> Result<NodeKind, Diagnostic> {
        let start = self.here();
        if self.peek() == Some(b'-') {
            self.bump();
            if self
                .text
                .get(self.pos..)
                .is_some_and(|r| r.starts_with("Infinity"))
            {
                self.pos = start.start;
                self.column = start.column;
                return Err(self.not_a_value());
            }
        }
        let bad = |p: &Self, what: &str| {
            Diagnostic::new(
                Code::Syntax,
                p.here(),
                format!("invalid number: {what}, found {}", p.found()),
            )
        };
        match self.peek() {
            Some(b'0') => {
                self.bump();
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return Err(bad(self, "a number does not start with 0"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(bad(self, "expected a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.bump();
            if self.digits() == 0 {
                return Err(bad(self, "expected a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if self.digits() == 0 {
                return Err(bad(self, "expected a digit in the exponent"));
            }
        }
        let written = self.text.get(start.start..self.pos).unwrap_or("");
        // Numbers no native type holds stay in the tree as written, for the
        // decoder to read as exact decimals or report where they are used.
        if integer {
            return Ok(written
                .parse::<i64>()
                .map_or_else(|_| NodeKind::BadNumber(written.to_string()), NodeKind::Int));
        }
        Ok(match written.parse::<f64>() {
            Ok(f) if f.is_finite() => NodeKind::Float(f),
            _ => NodeKind::BadNumber(written.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_first_repeated_key_is_found_in_maps_of_any_size(
            keys in prop::collection::vec("[a-e]{1,2}", 0..40),
        ) {
            let entries: Vec<(Node, Node)> = keys
                .iter()
                .map(|k| {
                    let n = |kind| Node { kind, span: Span::file_only(FileId(0)) };
                    (n(NodeKind::Str(k.clone())), n(NodeKind::Null))
                })
                .collect();
            // What a reader going through the keys in order meets first.
            let want = (1..keys.len())
                .find_map(|j| keys[..j].iter().position(|k| *k == keys[j]).map(|i| (i, j)));
            prop_assert_eq!(first_duplicate(&entries), want);
        }
    }

    fn parse(text: &str) -> Result<Node, Diagnostic> {
        parse_json(text, FileId(0), &ParseLimits::default())
    }

    fn err(text: &str) -> (Code, u32, u32, String) {
        let d = parse(text).unwrap_err();
        (d.code, d.span.line, d.span.column, d.message)
    }

    #[test]
    fn reads_values_with_their_positions() {
        let n = parse("{\"a\": [1, -2.5e1, \"é\\u00e9\\ud83d\\ude00\", true, null], \"b\": {}}")
            .unwrap();
        let NodeKind::Map(entries) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 2);
        let (k, v) = &entries[0];
        assert_eq!(k.as_str(), Some("a"));
        assert_eq!((k.span.line, k.span.column), (1, 2));
        let NodeKind::Seq(items) = &v.kind else {
            panic!("not a list")
        };
        assert_eq!(items[0].kind, NodeKind::Int(1));
        assert_eq!(items[1].kind, NodeKind::Float(-25.0));
        assert_eq!(items[2].kind, NodeKind::Str("éé😀".into()));
        assert_eq!((items[3].span.line, items[3].span.column), (1, 42));
        assert_eq!(items[4].kind, NodeKind::Null);
        assert_eq!(entries[1].1.kind, NodeKind::Map(vec![]));
    }

    #[test]
    fn columns_count_characters_and_skip_a_bom() {
        let n = parse("\u{feff}{\"名称\": x}").unwrap_err();
        assert_eq!((n.span.line, n.span.column), (1, 8));
        assert_eq!(n.message, "expected a JSON value, found `x`");
    }

    #[test]
    fn rejects_what_json_does_not_allow() {
        let cases: &[(&str, Code, u32, u32, &str)] = &[
            ("", Code::Syntax, 1, 1, "input is empty"),
            (
                "{\"a\":1,}",
                Code::Syntax,
                1,
                8,
                "expected a key in double quotes, found `}`",
            ),
            (
                "[1 2]",
                Code::Syntax,
                1,
                4,
                "expected `,` or `]`, found `2`",
            ),
            ("{\"a\":1,\"a\":2}", Code::Syntax, 1, 8, "duplicate key `a`"),
            ("NaN", Code::InvalidValue, 1, 1, "`NaN` is not a number"),
            (
                "[-Infinity]",
                Code::InvalidValue,
                1,
                2,
                "`-Infinity` is not a number",
            ),
            (
                "012",
                Code::Syntax,
                1,
                2,
                "invalid number: a number does not start with 0, found `1`",
            ),
            (
                "\"a\tb\"",
                Code::Syntax,
                1,
                3,
                "the control character U+0009 in a string; write it as an escape such as \\n",
            ),
            (
                "\"\\ud800\"",
                Code::Syntax,
                1,
                2,
                "unpaired surrogate \\uD800 in a string",
            ),
            (
                "\"\\x\"",
                Code::Syntax,
                1,
                2,
                "invalid escape `\\x` in a string",
            ),
            ("\"abc", Code::Syntax, 1, 5, "unterminated string"),
            (
                "{} {}",
                Code::Syntax,
                1,
                4,
                "unexpected text after the JSON value",
            ),
            (
                "tru",
                Code::Syntax,
                1,
                1,
                "expected a JSON value, found `t`",
            ),
            (
                "１２",
                Code::Syntax,
                1,
                1,
                "expected a JSON value, found `１`",
            ),
        ];
        for (text, code, line, col, msg) in cases {
            assert_eq!(
                err(text),
                (*code, *line, *col, msg.to_string()),
                "input {text:?}"
            );
        }
    }

    #[test]
    fn limits_are_located_errors() {
        let limits = ParseLimits {
            max_depth: 3,
            max_nodes: 5,
            max_bytes: 20,
            ..ParseLimits::default()
        };
        let d = parse_json("[[[[1]]]]", FileId(0), &limits).unwrap_err();
        assert_eq!((d.code, d.span.column), (Code::LimitExceeded, 4));
        let d = parse_json("[1,2,3,4,5]", FileId(0), &limits).unwrap_err();
        assert_eq!((d.code, d.span.column), (Code::LimitExceeded, 10));
        let d = parse_json(&" ".repeat(21), FileId(0), &limits).unwrap_err();
        assert_eq!(d.code, Code::LimitExceeded);
        // The depth limit is capped, whatever the caller asks for. The
        // thread gets the stack a debug build needs at the cap.
        let capped = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(|| {
                let deep = format!(
                    "{}{}",
                    "[".repeat(MAX_NESTING + 1),
                    "]".repeat(MAX_NESTING + 1)
                );
                let limits = ParseLimits {
                    max_depth: usize::MAX,
                    max_bytes: usize::MAX,
                    ..ParseLimits::default()
                };
                let at_cap = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
                (
                    parse_json(&deep, FileId(0), &limits).map_err(|d| d.code),
                    parse_json(&at_cap, FileId(0), &limits).is_ok(),
                )
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(capped.0.map(|_| ()), Err(Code::LimitExceeded));
        assert!(capped.1);
    }
}
