//! The reader as it was before [`super::reader`]: serde-saphyr's serde path
//! into `Spanned` values. Kept for the tests only, as the oracle the new
//! reader is compared with: both must give the same tree, or the same
//! diagnostic, for every text.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::{Node, NodeKind, ParseLimits, first_line, is_integer_literal, located, offset_of};
use crate::diagnostic::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// [`super::parse_yaml`] once the text is known to hold something, as it
/// was read through serde.
pub(super) fn read(
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
            let (code, message, help) = describe(&err, limits);
            Err(located(text, file, shift, span, code, message, help))
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
                // As written where it is defined, not at an alias to it.
                let d = self.0.defined.span();
                let at = |o: Option<u64>| o.and_then(|o| usize::try_from(o).ok()).unwrap_or(0);
                let start = at(d.byte_offset()).min(text.len());
                let end = (start + at(d.byte_len())).min(text.len());
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
