//! A located document tree: the common input form of rulesets and
//! inspections.
//!
//! YAML text is parsed by serde-saphyr (safe Rust, resource budgets, duplicate
//! keys rejected) into a [`Node`] tree that keeps the location of every
//! scalar, sequence and mapping. JSON values convert into the same tree. The
//! typed models are then decoded from nodes by hand (see
//! [`Decoder`](crate::decode::Decoder)), which lets one pass report every
//! unknown key and every wrong type in a file with its line and column,
//! instead of stopping at the first serde error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

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
    // The reader recurses once per level, and takes a lot of stack per
    // level in a debug build: deep limits get a thread with enough stack.
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
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = depth;
    // The parser has its own bound on flow (`[...]`, `{...}`) nesting, 255
    // by default, that would report "recursion limit exceeded" without
    // naming the limit (see `describe`). Its scanner runs ahead of the
    // budget's count (looking for the `:` of a flow key), so the bound is
    // set well above the cap: the budget then speaks first, at the value
    // that went one level too deep. Counting flow levels takes no stack.
    budget.flow_nesting_limit = 4 * crate::json::MAX_NESTING;
    budget.max_nodes = limits.max_nodes;
    budget.max_aliases = limits.max_aliases;
    budget.max_total_scalar_bytes = limits.max_bytes.saturating_mul(2);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    // YAML 1.1 reads `y`, `n`, `on` and `off` as booleans, which would turn
    // the key `n` of `at_least` into `false`. Only true/false are booleans
    // here; `yes` and `no` stay strings and are accepted where a yes/no
    // answer is expected.
    options.strict_booleans = true;
    // NaN and infinities reach the tree builder, which keeps them as bad
    // numbers for the decoder to report in place (so that the rest of the
    // file is still checked).
    options.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::PassThrough;
    match serde_saphyr::from_str_with_options::<RawNode>(text, options) {
        Ok(raw) => Ok(raw.into_node(file, text, shift)),
        Err(err) => {
            let mut span = Span::file_only(file);
            let mut have_offset = false;
            if let Some(loc) = err.location() {
                let (start, len) = (loc.span().byte_offset(), loc.span().byte_len());
                if let Some(start) = start {
                    have_offset = true;
                    let start = usize::try_from(start).unwrap_or(0);
                    span.start = start + shift;
                    span.end = span.start + len.and_then(|l| usize::try_from(l).ok()).unwrap_or(0);
                }
                span.line = u32::try_from(loc.line()).unwrap_or(0);
                span.column = u32::try_from(loc.column()).unwrap_or(0);
            }
            if !have_offset && span.line > 0 {
                span.start = offset_of(text, span.line, span.column) + shift;
                span.end = span.start;
            }
            let (code, mut message, mut help) = describe(&err, limits);
            // The reader reports a tab where the scalar before it began;
            // point at the tab itself.
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
            Err(match help {
                Some(h) => diag.with_help(h),
                None => diag,
            })
        }
    }
}

/// The code, message and help of a reader error. Budget breaches become
/// [`Code::LimitExceeded`] with the limit and the flag that raises it; the
/// rest are syntax errors with serde-saphyr's own first line.
fn describe(err: &serde_saphyr::Error, limits: &ParseLimits) -> (Code, String, Option<String>) {
    use serde_saphyr::budget::BudgetBreach;
    match err {
        // An error met while replaying an alias is reported at the alias;
        // what went wrong is the inner error.
        serde_saphyr::Error::AliasError { error, .. } => describe(error, limits),
        serde_saphyr::Error::Budget { breach, .. } => {
            let (message, flag) = match breach {
                BudgetBreach::Depth { .. } => (
                    format!(
                        "lists and mappings nested deeper than {} levels",
                        limits.max_depth.min(crate::json::MAX_NESTING)
                    ),
                    "--max-yaml-depth",
                ),
                BudgetBreach::Nodes { .. } => (
                    format!(
                        "more than {} YAML nodes (a value used through an alias counts each time)",
                        limits.max_nodes
                    ),
                    "--max-yaml-nodes",
                ),
                BudgetBreach::Aliases { .. } => (
                    format!("more than {} alias uses (`*name`)", limits.max_aliases),
                    "--max-yaml-aliases",
                ),
                BudgetBreach::ScalarBytes { .. } => (
                    format!(
                        "strings add up to more than {} bytes (a string used through an alias counts each time)",
                        limits.max_bytes.saturating_mul(2)
                    ),
                    limits.bytes_flag,
                ),
                other => {
                    let name = format!("{other:?}");
                    let name = name
                        .split([' ', '{', '('])
                        .next()
                        .unwrap_or("")
                        .to_lowercase();
                    (format!("YAML reader budget exceeded ({name})"), "")
                }
            };
            let help = (!flag.is_empty())
                .then(|| format!("simplify the file or raise the limit ({flag})"));
            (Code::LimitExceeded, message, help)
        }
        serde_saphyr::Error::MultipleDocuments { .. } => (
            Code::Syntax,
            "a file holds one YAML document, this one has more".to_string(),
            Some("remove the second `---` and what follows, or split the file".to_string()),
        ),
        // The parser's own nesting bound (see `read`); should it ever be
        // reached first, it is the same limit.
        serde_saphyr::Error::ExternalMessage { msg, .. } if msg == "recursion limit exceeded" => (
            Code::LimitExceeded,
            format!(
                "lists and mappings nested deeper than {} levels",
                limits.max_depth.min(crate::json::MAX_NESTING)
            ),
            Some("simplify the file or raise the limit (--max-yaml-depth)".to_string()),
        ),
        other => (
            Code::Syntax,
            first_line(&other.without_snippet().to_string()),
            None,
        ),
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

/// The tree as serde-saphyr hands it over, before spans are converted.
struct RawNode(Spanned<RawKind>);

enum RawKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl RawNode {
    /// Converts the tree. A whole number too large for an `i64` reaches
    /// here as a float, which would silently drop digits; it becomes a
    /// [`NodeKind::BadNumber`] with the number as written, as do NaN and
    /// the infinities.
    fn into_node(self, file: FileId, text: &str, shift: usize) -> Node {
        let loc = self.0.referenced;
        let s = loc.span();
        let start = s
            .byte_offset()
            .and_then(|o| usize::try_from(o).ok())
            .unwrap_or(0);
        let len = s
            .byte_len()
            .and_then(|o| usize::try_from(o).ok())
            .unwrap_or(0);
        let start = start.min(text.len());
        let end = (start + len).min(text.len());
        let span = Span {
            file,
            start: start + shift,
            end: end + shift,
            line: u32::try_from(loc.line()).unwrap_or(0),
            column: u32::try_from(loc.column()).unwrap_or(0),
        };
        let kind = match self.0.value {
            RawKind::Null => NodeKind::Null,
            RawKind::Bool(b) => NodeKind::Bool(b),
            RawKind::Int(i) => NodeKind::Int(i),
            RawKind::Float(f) => {
                let written = text.get(start..end).unwrap_or("").trim();
                if !f.is_finite() || is_integer_literal(written) {
                    NodeKind::BadNumber(written.to_string())
                } else {
                    NodeKind::Float(f)
                }
            }
            RawKind::Str(s) => NodeKind::Str(s),
            RawKind::Seq(items) => NodeKind::Seq(
                items
                    .into_iter()
                    .map(|n| n.into_node(file, text, shift))
                    .collect(),
            ),
            RawKind::Map(entries) => NodeKind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k.into_node(file, text, shift),
                            v.into_node(file, text, shift),
                        )
                    })
                    .collect(),
            ),
        };
        Node { kind, span }
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

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Spanned::<RawKind>::deserialize(d).map(RawNode)
    }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawKind, E> {
        Ok(RawKind::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawKind, E> {
        Ok(RawKind::Int(v))
    }
    // Whole numbers beyond `i64` go on as floats; the tree builder sees
    // that they were written as integers and keeps them as bad numbers
    // (a float would silently drop digits).
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawKind, E> {
        Ok(i64::try_from(v).map_or(RawKind::Float(v as f64), RawKind::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawKind, E> {
        Ok(i64::try_from(v).map_or(RawKind::Float(v as f64), RawKind::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawKind, E> {
        Ok(i64::try_from(v).map_or(RawKind::Float(v as f64), RawKind::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawKind, E> {
        Ok(RawKind::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKind, E> {
        Ok(RawKind::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawKind, E> {
        Ok(RawKind::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        d.deserialize_any(RawVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(RawKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKind, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<RawNode, RawNode>()? {
            entries.push((k, v));
        }
        Ok(RawKind::Map(entries))
    }
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
