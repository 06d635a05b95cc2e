//! Decoding located trees into typed models, collecting every problem.
//!
//! A [`Decoder`] walks a [`Node`] and fills a model type. It never stops at
//! the first problem: an unknown key, a missing key or a wrong type is
//! recorded as a [`Diagnostic`] and decoding goes on with the rest of the
//! file, so an expert sees every mistake of a file in one run.

use crate::date::{Date, MonthDay, TimeOfDay};
use crate::decimal::Decimal;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::node::{Node, NodeKind};
use crate::span::Span;

/// Collects diagnostics while decoding.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Everything found so far.
    pub diags: Vec<Diagnostic>,
    /// The text the nodes were parsed from, when known: a number written
    /// where a string is expected (`clause: 6.10`) is then taken exactly as
    /// written, not as the float it parses to.
    source: Option<std::sync::Arc<str>>,
}

/// A mapping being read key by key; keys never taken are reported as
/// unknown when it is finished.
pub struct MapReader<'n> {
    node: &'n Node,
    entries: &'n [(Node, Node)],
    taken: Vec<bool>,
    what: &'static str,
}

impl<'n> MapReader<'n> {
    /// Takes a key's value, if present.
    pub fn take(&mut self, key: &str) -> Option<&'n Node> {
        let entries = self.entries;
        for (i, (k, v)) in entries.iter().enumerate() {
            if k.as_str() == Some(key) {
                if let Some(t) = self.taken.get_mut(i) {
                    *t = true;
                }
                return Some(v);
            }
        }
        None
    }

    /// Whether the mapping has a key.
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.as_str() == Some(key))
    }

    /// The span of the whole mapping.
    pub fn span(&self) -> Span {
        self.node.span
    }

    /// Reports every key not taken. `known` lists the keys the format
    /// defines here, for the help text.
    pub fn finish(self, dec: &mut Decoder, known: &[&str]) {
        for ((k, _), taken) in self.entries.iter().zip(&self.taken) {
            if *taken {
                continue;
            }
            let name = k.scalar_text().unwrap_or_else(|| k.type_name().to_string());
            let mut d = Diagnostic::new(
                Code::UnknownKey,
                k.span,
                format!("unknown key `{name}` in {}", self.what),
            )
            .with_label("not part of the format");
            d = match closest(&name, known) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("expected one of: {}", known.join(", "))),
            };
            dec.diags.push(d);
        }
    }
}

/// The known word closest to `word`, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(&str, usize)> = None;
    for k in known {
        let d = edit_distance(word, k);
        if d <= (k.chars().count() / 3).max(1) && best.is_none_or(|(_, b)| d < b) {
            best = Some((k, d));
        }
    }
    best.map(|(k, _)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

impl Decoder {
    /// A fresh decoder.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder that knows the text its nodes come from, so numbers used
    /// as strings keep the digits they were written with.
    pub fn with_source(source: std::sync::Arc<str>) -> Decoder {
        Decoder {
            diags: Vec::new(),
            source: Some(source),
        }
    }

    /// Records a problem.
    pub fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, span, message));
    }

    fn wrong_type(&mut self, node: &Node, expected: &str) {
        // A number no native type holds is the problem in itself, whatever
        // was expected in its place.
        if let NodeKind::BadNumber(written) = &node.kind {
            self.diags.push(
                Diagnostic::new(Code::InvalidValue, node.span, bad_number(written))
                    .with_label(format!("expected {expected}")),
            );
            return;
        }
        let found = node.scalar_text().map_or_else(
            || node.type_name().to_string(),
            |t| format!("{} `{}`", node.type_name(), truncate(&t, 60)),
        );
        self.diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                node.span,
                format!("expected {expected}, found {found}"),
            )
            .with_label(format!("expected {expected}")),
        );
    }

    /// Starts reading a mapping; records an error and returns `None` when the
    /// node is something else.
    pub fn map<'n>(&mut self, node: &'n Node, what: &'static str) -> Option<MapReader<'n>> {
        match &node.kind {
            NodeKind::Map(entries) => Some(MapReader {
                node,
                entries,
                taken: vec![false; entries.len()],
                what,
            }),
            _ => {
                self.wrong_type(node, &format!("a mapping ({what})"));
                None
            }
        }
    }

    /// Reports a missing required key at the mapping.
    pub fn missing(&mut self, map: &MapReader<'_>, key: &str) {
        self.diags.push(
            Diagnostic::new(
                Code::MissingKey,
                map.span(),
                format!("missing key `{key}` in {}", map.what),
            )
            .with_help(format!("add `{key}:`")),
        );
    }

    /// A required value.
    pub fn req<'n, T>(
        &mut self,
        map: &mut MapReader<'n>,
        key: &str,
        f: impl FnOnce(&mut Decoder, &'n Node) -> Option<T>,
    ) -> Option<T> {
        match map.take(key) {
            Some(n) => f(self, n),
            None => {
                self.missing(map, key);
                None
            }
        }
    }

    /// An optional value. A `null` counts as absent.
    pub fn opt<'n, T>(
        &mut self,
        map: &mut MapReader<'n>,
        key: &str,
        f: impl FnOnce(&mut Decoder, &'n Node) -> Option<T>,
    ) -> Option<T> {
        match map.take(key) {
            Some(n) if n.kind == NodeKind::Null => None,
            Some(n) => f(self, n),
            None => None,
        }
    }

    /// A string.
    pub fn string(&mut self, node: &Node) -> Option<Sp<String>> {
        match &node.kind {
            NodeKind::Str(s) => Some(Sp::new(s.clone(), node.span)),
            // Numbers written where an id or label is expected are taken as
            // their text, like YAML users expect of `version: 2024` and
            // `clause: 6.10`.
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::BadNumber(_) => {
                // FIXME(#2): through an alias (`clause: *c`) the text at the
                // node's span is the alias itself; the node would need the
                // span of its definition too, for this to read `6.10`.
                let written = self
                    .source
                    .as_deref()
                    .and_then(|t| t.get(node.span.start..node.span.end))
                    .filter(|t| !t.is_empty() && t.trim() == *t);
                let text = match (written, &node.kind) {
                    (Some(t), _) => t.to_string(),
                    (None, NodeKind::Int(i)) => i.to_string(),
                    (None, NodeKind::Float(f)) => f.to_string(),
                    (None, NodeKind::BadNumber(t)) => t.clone(),
                    (None, _) => String::new(),
                };
                Some(Sp::new(text, node.span))
            }
            _ => {
                self.wrong_type(node, "a string");
                None
            }
        }
    }

    /// An identifier: a non-empty string of letters, digits, `_`, `-` and
    /// `.`, not starting or ending with a dot.
    pub fn ident(&mut self, node: &Node) -> Option<Sp<String>> {
        let s = self.string(node)?;
        let ok = !s.value.is_empty()
            && s.value.len() <= 128
            && s.value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !s.value.starts_with('.')
            && !s.value.ends_with('.')
            && !s.value.contains("..");
        if ok {
            Some(s)
        } else {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    node.span,
                    format!("invalid id `{}`", truncate(&s.value, 60)),
                )
                .with_help(
                    "ids use ASCII letters, digits, `_`, `-` and dots between parts, at most 128 characters",
                ),
            );
            None
        }
    }

    /// A boolean. `yes`/`no` are accepted as well as `true`/`false`.
    pub fn boolean(&mut self, node: &Node) -> Option<Sp<bool>> {
        match &node.kind {
            NodeKind::Bool(b) => Some(Sp::new(*b, node.span)),
            NodeKind::Str(s) if s == "yes" => Some(Sp::new(true, node.span)),
            NodeKind::Str(s) if s == "no" => Some(Sp::new(false, node.span)),
            _ => {
                self.wrong_type(node, "yes/no (true or false)");
                None
            }
        }
    }

    /// A decimal number.
    pub fn decimal(&mut self, node: &Node) -> Option<Sp<Decimal>> {
        match number_of(node) {
            Ok(d) => Some(Sp::new(d, node.span)),
            Err(msg) => {
                self.diags
                    .push(Diagnostic::new(Code::InvalidValue, node.span, msg));
                None
            }
        }
    }

    /// A whole number from 0 to `u32::MAX`.
    pub fn uint(&mut self, node: &Node) -> Option<Sp<u32>> {
        match &node.kind {
            NodeKind::Int(i) if *i >= 0 => match u32::try_from(*i) {
                Ok(v) => Some(Sp::new(v, node.span)),
                Err(_) => {
                    self.error(Code::InvalidValue, node.span, format!("{i} is too large"));
                    None
                }
            },
            NodeKind::BadNumber(t) if is_whole(t) && !t.starts_with('-') => {
                self.error(Code::InvalidValue, node.span, format!("{t} is too large"));
                None
            }
            _ => {
                self.wrong_type(node, "a whole number, zero or more");
                None
            }
        }
    }

    /// A date `YYYY-MM-DD`.
    pub fn date(&mut self, node: &Node) -> Option<Sp<Date>> {
        let Some(s) = node.as_str() else {
            self.wrong_type(node, "a date (YYYY-MM-DD)");
            return None;
        };
        match Date::parse(s) {
            Ok(d) => Some(Sp::new(d, node.span)),
            Err(e) => {
                self.error(Code::InvalidDate, node.span, e.to_string());
                None
            }
        }
    }

    /// A month and day `MM-DD`.
    pub fn month_day(&mut self, node: &Node) -> Option<Sp<MonthDay>> {
        let Some(s) = node.as_str() else {
            self.wrong_type(node, "a month and day (MM-DD, quoted)");
            return None;
        };
        match MonthDay::parse(s) {
            Ok(d) => Some(Sp::new(d, node.span)),
            Err(e) => {
                self.error(Code::InvalidDate, node.span, e.to_string());
                None
            }
        }
    }

    /// A time of day `HH:MM`.
    pub fn time(&mut self, node: &Node) -> Option<Sp<TimeOfDay>> {
        let Some(s) = node.as_str() else {
            self.wrong_type(node, "a time of day (HH:MM, quoted)");
            return None;
        };
        match TimeOfDay::parse(s) {
            Ok(t) => Some(Sp::new(t, node.span)),
            Err(e) => {
                self.error(Code::InvalidValue, node.span, e.to_string());
                None
            }
        }
    }

    /// A list, decoding each element with `f`. Elements that fail are
    /// dropped after their diagnostics are recorded.
    pub fn list<T>(
        &mut self,
        node: &Node,
        mut f: impl FnMut(&mut Decoder, &Node) -> Option<T>,
    ) -> Option<Vec<T>> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items.iter().filter_map(|n| f(self, n)).collect()),
            _ => {
                self.wrong_type(node, "a list");
                None
            }
        }
    }

    /// A bilingual text `{zh: ..., en: ...}`.
    pub fn text(&mut self, node: &Node) -> Option<Text> {
        let mut m = self.map(node, "a text")?;
        let zh = self.opt(&mut m, "zh", |d, n| d.string(n)).map(|s| s.value);
        let en = self.opt(&mut m, "en", |d, n| d.string(n)).map(|s| s.value);
        m.finish(self, &["zh", "en"]);
        Some(Text { zh, en })
    }
}

/// Reads a number node as a decimal, or says why it is not one.
pub fn number_of(node: &Node) -> Result<Decimal, String> {
    match &node.kind {
        NodeKind::Int(i) => Ok(Decimal::from_i64(*i)),
        NodeKind::Float(f) => Decimal::from_f64(*f)
            .ok_or_else(|| format!("number `{f}` is out of the supported range")),
        // A whole number beyond `i64` is still exact as a decimal when it
        // has few enough digits.
        NodeKind::BadNumber(written) if is_whole(written) => {
            Decimal::parse(written).map_err(|e| e.to_string())
        }
        NodeKind::BadNumber(written) => Err(bad_number(written)),
        NodeKind::Str(s) => match Decimal::parse(s) {
            Ok(d) => Ok(d),
            Err(e) => Err(e.to_string()),
        },
        _ => Err(format!("expected a number, found {}", node.type_name())),
    }
}

/// Why a number the tree could not hold is refused where no decimal is
/// read.
pub fn bad_number(written: &str) -> String {
    let lower = written.to_ascii_lowercase();
    if lower.contains("nan") {
        format!("`{written}` is not a number (NaN is not accepted)")
    } else if lower.contains("inf") {
        format!("number `{written}` is out of range (infinities are not accepted)")
    } else if is_whole(written) {
        format!(
            "integer {written} is out of range (whole numbers go from {} to {})",
            i64::MIN,
            i64::MAX
        )
    } else {
        format!("number `{written}` is out of range (it is beyond the largest number)")
    }
}

/// Whether a number as written is a plain whole number.
fn is_whole(written: &str) -> bool {
    let digits = written.strip_prefix(['-', '+']).unwrap_or(written);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// Shortens a string for a message.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

// ---------------------------------------------------------------------------
// The ruleset format.

const FILE_KEYS: &[&str] = &[
    "ruleset",
    "module",
    "version",
    "domain",
    "title",
    "description",
    "effective",
    "out_of_force",
    "deadlines",
    "follow_up",
    "documents",
    "include",
    "sections",
    "parameters",
    "items",
    "rules",
    "event_kinds",
];

/// Decodes a whole ruleset or module file.
pub fn ruleset_file(dec: &mut Decoder, node: &Node) -> Option<RulesetFile> {
    let mut m = dec.map(node, "a ruleset file")?;
    let ruleset = dec.opt(&mut m, "ruleset", |d, n| d.ident(n));
    let module = dec.opt(&mut m, "module", |d, n| d.ident(n));
    if ruleset.is_none() && module.is_none() && !m.has("ruleset") && !m.has("module") {
        dec.diags.push(
            Diagnostic::new(
                Code::MissingKey,
                m.span(),
                "missing key `ruleset` (or `module` for a shared file)",
            )
            .with_help("start the file with `ruleset: <id>` or `module: <id>`"),
        );
    }
    if let (Some(r), Some(_)) = (&ruleset, &module) {
        dec.error(
            Code::InvalidValue,
            r.span,
            "a file is either a ruleset or a module, not both",
        );
    }
    let version = dec.opt(&mut m, "version", |d, n| d.string(n));
    let domain = dec
        .opt(&mut m, "domain", |d, n| d.string(n))
        .map(|s| s.value);
    let title = if ruleset.is_some() {
        dec.req(&mut m, "title", |d, n| d.text(n))
            .unwrap_or_default()
    } else {
        dec.opt(&mut m, "title", |d, n| d.text(n))
            .unwrap_or_default()
    };
    let description = dec.opt(&mut m, "description", |d, n| d.text(n));
    let effective = dec.opt(&mut m, "effective", period);
    if ruleset.is_some() && !m.has("effective") {
        dec.missing(&m, "effective");
    }
    let out_of_force = dec.opt(&mut m, "out_of_force", |d, n| d.text(n));
    let deadlines = dec.opt(&mut m, "deadlines", deadlines);
    let follow_up = dec.opt(&mut m, "follow_up", follow_up_policy);
    let documents = dec
        .opt(&mut m, "documents", |d, n| d.list(n, document))
        .unwrap_or_default();
    let include = dec
        .opt(&mut m, "include", |d, n| d.list(n, include))
        .unwrap_or_default();
    let sections = dec
        .opt(&mut m, "sections", |d, n| d.list(n, section))
        .unwrap_or_default();
    let parameters = dec
        .opt(&mut m, "parameters", |d, n| d.list(n, parameter))
        .unwrap_or_default();
    let items = dec
        .opt(&mut m, "items", |d, n| d.list(n, item))
        .unwrap_or_default();
    let rules = dec
        .opt(&mut m, "rules", |d, n| d.list(n, rule))
        .unwrap_or_default();
    let event_kinds = dec
        .opt(&mut m, "event_kinds", |d, n| {
            d.list(n, |d, n| {
                let mut m = d.map(n, "an event kind (`id`, `label`)")?;
                let id = d.req(&mut m, "id", |d, n| d.ident(n));
                let label = d.req(&mut m, "label", |d, n| d.text(n));
                m.finish(d, &["id", "label"]);
                Some(EventKind {
                    id: id?,
                    label: label?,
                })
            })
        })
        .unwrap_or_default();
    m.finish(dec, FILE_KEYS);
    Some(RulesetFile {
        ruleset,
        module,
        version,
        domain,
        title,
        description,
        effective,
        out_of_force,
        deadlines,
        follow_up,
        documents,
        include,
        sections,
        parameters,
        items,
        rules,
        event_kinds,
    })
}

fn period(dec: &mut Decoder, node: &Node) -> Option<Period> {
    let mut m = dec.map(node, "a period (`from`, `to`)")?;
    let from = dec.req(&mut m, "from", |d, n| d.date(n));
    let to = dec.opt(&mut m, "to", |d, n| d.date(n));
    m.finish(dec, &["from", "to"]);
    let from = from?;
    if let Some(to) = &to
        && to.value < from.value
    {
        dec.error(
            Code::InvalidDate,
            to.span,
            format!(
                "period ends ({}) before it starts ({})",
                to.value, from.value
            ),
        );
    }
    Some(Period { from, to })
}

fn deadlines(dec: &mut Decoder, node: &Node) -> Option<Deadlines> {
    let mut m = dec.map(node, "deadlines")?;
    let ordinary = dec
        .opt(&mut m, "ordinary", |d, n| d.uint(n))
        .map(|v| v.value);
    let major = dec.opt(&mut m, "major", |d, n| d.uint(n)).map(|v| v.value);
    m.finish(dec, &["ordinary", "major"]);
    Some(Deadlines { ordinary, major })
}

fn follow_up_policy(dec: &mut Decoder, node: &Node) -> Option<FollowUpPolicy> {
    let mut m = dec.map(node, "follow_up (`overdue_major`, `repeated_open`)")?;
    let overdue_major = dec
        .opt(&mut m, "overdue_major", |d, n| d.boolean(n))
        .map(|v| v.value);
    let repeated_open = dec.opt(&mut m, "repeated_open", |d, n| d.uint(n));
    m.finish(dec, &["overdue_major", "repeated_open"]);
    if let Some(r) = &repeated_open
        && r.value == 0
    {
        dec.diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                r.span,
                "`repeated_open` is 0; a hazard is counted open from its first follow-up",
            )
            .with_help("give 1 to flag an ordinary hazard at its first follow-up, 2 at its second"),
        );
        return None;
    }
    Some(FollowUpPolicy {
        overdue_major,
        repeated_open: repeated_open.map(|r| r.value),
    })
}

fn document(dec: &mut Decoder, node: &Node) -> Option<Document> {
    let mut m = dec.map(node, "a document")?;
    let id = dec.req(&mut m, "id", |d, n| d.ident(n));
    let title = dec.req(&mut m, "title", |d, n| d.text(n));
    let number = dec
        .opt(&mut m, "number", |d, n| d.string(n))
        .map(|s| s.value);
    let issuer = dec
        .opt(&mut m, "issuer", |d, n| d.string(n))
        .map(|s| s.value);
    let date = dec.opt(&mut m, "date", |d, n| d.date(n)).map(|s| s.value);
    let verified = dec.req(&mut m, "verified", |d, n| d.boolean(n));
    let note = dec.opt(&mut m, "note", |d, n| d.string(n)).map(|s| s.value);
    m.finish(
        dec,
        &[
            "id", "title", "number", "issuer", "date", "verified", "note",
        ],
    );
    Some(Document {
        id: id?,
        title: title?,
        number,
        issuer,
        date,
        verified: verified?.value,
        note,
    })
}

fn include(dec: &mut Decoder, node: &Node) -> Option<Include> {
    let mut m = dec.map(node, "an include")?;
    let path = dec.req(&mut m, "path", |d, n| d.string(n));
    let rules = dec
        .opt(&mut m, "rules", |d, n| d.list(n, included_rule))
        .unwrap_or_default();
    let applies_if = dec.opt(&mut m, "applies_if", condition);
    let items = dec
        .opt(&mut m, "items", |d, n| {
            d.list(n, |d, n| {
                let mut m = d.map(n, "an included item (`id`, `applies_if`)")?;
                let id = d.req(&mut m, "id", |d, n| d.ident(n));
                let applies_if = d.req(&mut m, "applies_if", condition);
                m.finish(d, &["id", "applies_if"]);
                Some(IncludedItem {
                    id: id?,
                    applies_if: applies_if?,
                })
            })
        })
        .unwrap_or_default();
    m.finish(dec, &["path", "rules", "applies_if", "items"]);
    Some(Include {
        path: path?,
        rules,
        applies_if,
        items,
    })
}

fn included_rule(dec: &mut Decoder, node: &Node) -> Option<IncludedRule> {
    let mut m = dec.map(node, "an included rule")?;
    let id = dec.req(&mut m, "id", |d, n| d.ident(n));
    let cited = dec.req(&mut m, "basis", basis);
    let lvl = dec.opt(&mut m, "level", level).map(|l| l.value);
    let verified = dec
        .opt(&mut m, "verified", |d, n| d.boolean(n))
        .map(|b| b.value);
    let applies_if = dec.opt(&mut m, "applies_if", condition);
    let escalate = dec
        .opt(&mut m, "escalate", |d, n| d.list(n, escalation))
        .unwrap_or_default();
    m.finish(
        dec,
        &["id", "basis", "level", "verified", "applies_if", "escalate"],
    );
    Some(IncludedRule {
        id: id?,
        basis: cited?,
        level: lvl,
        verified,
        applies_if,
        escalate,
    })
}

fn escalation(d: &mut Decoder, n: &Node) -> Option<Escalation> {
    let mut m = d.map(n, "an escalation (`to`, `when`, `reason`)")?;
    let to = d.req(&mut m, "to", level);
    let when = d.req(&mut m, "when", condition);
    let reason = d.req(&mut m, "reason", |d, n| d.text(n));
    let needs_confirmation = d
        .opt(&mut m, "needs_confirmation", |d, n| d.boolean(n))
        .is_some_and(|b| b.value);
    let basis = d.opt(&mut m, "basis", basis);
    m.finish(d, &["to", "when", "reason", "needs_confirmation", "basis"]);
    Some(Escalation {
        to: to?,
        when: when?,
        reason: reason?,
        needs_confirmation,
        basis,
    })
}

fn section(dec: &mut Decoder, node: &Node) -> Option<Section> {
    let mut m = dec.map(node, "a section")?;
    let id = dec.req(&mut m, "id", |d, n| d.ident(n));
    let title = dec.req(&mut m, "title", |d, n| d.text(n));
    m.finish(dec, &["id", "title"]);
    Some(Section {
        id: id?,
        title: title?,
    })
}

fn parameter(dec: &mut Decoder, node: &Node) -> Option<Parameter> {
    const VALUE_KEYS: [&str; 4] = ["value", "table", "season", "time_window"];
    let mut m = dec.map(node, "a parameter")?;
    let id = dec.req(&mut m, "id", |d, n| d.ident(n));
    let value = dec.opt(&mut m, "value", |d, n| d.decimal(n));
    let table = dec.opt(&mut m, "table", table);
    let season = dec.opt(&mut m, "season", season);
    let time_window = dec.opt(&mut m, "time_window", time_range);
    let unit = dec.opt(&mut m, "unit", |d, n| d.string(n)).map(|s| s.value);
    let source = dec.req(&mut m, "source", basis);
    let description = dec.opt(&mut m, "description", |d, n| d.text(n));
    let span = m.span();
    let written = VALUE_KEYS.iter().filter(|k| m.has(k)).count();
    m.finish(
        dec,
        &[
            "id",
            "value",
            "table",
            "season",
            "time_window",
            "unit",
            "source",
            "description",
        ],
    );
    let id = id?;
    let decoded = usize::from(value.is_some())
        + usize::from(table.is_some())
        + usize::from(season.is_some())
        + usize::from(time_window.is_some());
    // A key that was written but failed to decode has its own diagnostic
    // already; only the count of keys written is the author's mistake.
    if written != 1 {
        dec.diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                span,
                format!(
                    "parameter `{}` needs exactly one of `value`, `table`, `season` and `time_window`",
                    id.value
                ),
            )
            .with_help(
                "a constant is `value: 3`; a table is `table: {by: <item>, values: [...]}`; \
                 a yearly window is `season: {from: \"11-01\", to: \"05-31\"}`; \
                 a daily one is `time_window: {from: \"02:00\", to: \"05:00\"}`",
            ),
        );
        return None;
    }
    if decoded != 1 {
        return None;
    }
    Some(Parameter {
        id,
        value,
        table,
        season,
        time_window,
        unit,
        source: source?,
        description,
    })
}

fn season(dec: &mut Decoder, node: &Node) -> Option<Season> {
    let mut m = dec.map(node, "a season (`from`, `to` as MM-DD)")?;
    let from = dec.req(&mut m, "from", |d, n| d.month_day(n));
    let to = dec.req(&mut m, "to", |d, n| d.month_day(n));
    m.finish(dec, &["from", "to"]);
    Some(Season {
        from: from?,
        to: to?,
    })
}

fn time_range(dec: &mut Decoder, node: &Node) -> Option<TimeRange> {
    let mut m = dec.map(node, "a time window (`from`, `to` as HH:MM)")?;
    let from = dec.req(&mut m, "from", |d, n| d.time(n));
    let to = dec.req(&mut m, "to", |d, n| d.time(n));
    m.finish(dec, &["from", "to"]);
    Some(TimeRange {
        from: from?,
        to: to?,
    })
}

/// A window written out, or `{param: ...}` naming a parameter that holds one.
fn window<T>(
    dec: &mut Decoder,
    node: &Node,
    literal: fn(&mut Decoder, &Node) -> Option<T>,
) -> Option<Window<T>> {
    if let NodeKind::Map(entries) = &node.kind
        && entries.iter().any(|(k, _)| k.as_str() == Some("param"))
    {
        return param_ref(dec, node).map(Window::Param);
    }
    literal(dec, node).map(Window::Literal)
}

/// `{param: ...}`: a reference to a parameter by its id.
fn param_ref(dec: &mut Decoder, node: &Node) -> Option<ParamRef> {
    let mut m = dec.map(node, "a parameter reference (`param`)")?;
    let param = dec.req(&mut m, "param", |d, n| d.ident(n));
    m.finish(dec, &["param"]);
    Some(ParamRef { param: param? })
}

fn table(dec: &mut Decoder, node: &Node) -> Option<Table> {
    let mut m = dec.map(node, "a parameter table")?;
    let by = dec.req(&mut m, "by", |d, n| d.ident(n));
    let values = dec.req(&mut m, "values", |d, n| {
        d.list(n, |d, n| {
            let mut m = d.map(n, "a table row (`option`, `value`)")?;
            let option = d.req(&mut m, "option", |d, n| d.ident(n));
            let value = d.req(&mut m, "value", |d, n| d.decimal(n));
            m.finish(d, &["option", "value"]);
            Some(TableRow {
                option: option?,
                value: value?,
            })
        })
    });
    let default = dec.opt(&mut m, "default", |d, n| d.decimal(n));
    m.finish(dec, &["by", "values", "default"]);
    Some(Table {
        by: by?,
        values: values?,
        default,
    })
}

fn basis(dec: &mut Decoder, node: &Node) -> Option<Basis> {
    let mut m = dec.map(node, "a basis (`document`, `clause`)")?;
    let document = dec.req(&mut m, "document", |d, n| d.ident(n));
    let clause = dec.req(&mut m, "clause", |d, n| d.string(n));
    let verified = dec
        .opt(&mut m, "verified", |d, n| d.boolean(n))
        .map(|b| b.value);
    m.finish(dec, &["document", "clause", "verified"]);
    Some(Basis {
        document: document?,
        clause: clause?.value,
        verified,
    })
}

fn level(dec: &mut Decoder, node: &Node) -> Option<Sp<Level>> {
    match node.as_str() {
        Some("ordinary") => Some(Sp::new(Level::Ordinary, node.span)),
        Some("major") => Some(Sp::new(Level::Major, node.span)),
        _ => {
            dec.wrong_type(node, "a level (`ordinary` or `major`)");
            None
        }
    }
}

fn item_type(dec: &mut Decoder, node: &Node) -> Option<Sp<ItemType>> {
    const TYPES: &[ItemType] = &[
        ItemType::YesNo,
        ItemType::Number,
        ItemType::Count,
        ItemType::Choice,
        ItemType::MultiChoice,
        ItemType::Date,
        ItemType::Time,
        ItemType::Text,
    ];
    let s = node.as_str();
    if let Some(t) = TYPES.iter().find(|t| Some(t.as_str()) == s) {
        return Some(Sp::new(*t, node.span));
    }
    let names: Vec<&str> = TYPES.iter().map(|t| t.as_str()).collect();
    let mut d = Diagnostic::new(
        Code::InvalidValue,
        node.span,
        format!(
            "unknown item type `{}`",
            node.scalar_text().unwrap_or_default()
        ),
    );
    d = match s.and_then(|s| closest(s, &names)) {
        Some(c) => d.with_help(format!("did you mean `{c}`?")),
        None => d.with_help(format!("expected one of: {}", names.join(", "))),
    };
    dec.diags.push(d);
    None
}

const ITEM_KEYS: &[&str] = &[
    "id",
    "section",
    "type",
    "prompt",
    "help",
    "unit",
    "min",
    "max",
    "options",
    "not_applicable",
    "photo",
    "applies_if",
];

fn item(dec: &mut Decoder, node: &Node) -> Option<Item> {
    let mut m = dec.map(node, "an item")?;
    let id = dec.req(&mut m, "id", |d, n| d.ident(n));
    let section = dec.opt(&mut m, "section", |d, n| d.ident(n));
    let kind = dec.req(&mut m, "type", item_type);
    let prompt = dec.req(&mut m, "prompt", |d, n| d.text(n));
    let help = dec.opt(&mut m, "help", |d, n| d.text(n));
    let unit = dec.opt(&mut m, "unit", |d, n| d.string(n)).map(|s| s.value);
    let min = dec.opt(&mut m, "min", |d, n| d.decimal(n));
    let max = dec.opt(&mut m, "max", |d, n| d.decimal(n));
    let options = dec
        .opt(&mut m, "options", |d, n| {
            d.list(n, |d, n| {
                let mut m = d.map(n, "an option (`id`, `label`)")?;
                let id = d.req(&mut m, "id", |d, n| d.ident(n));
                let label = d.req(&mut m, "label", |d, n| d.text(n));
                m.finish(d, &["id", "label"]);
                Some(ChoiceOption {
                    id: id?,
                    label: label?,
                })
            })
        })
        .unwrap_or_default();
    let not_applicable = dec
        .opt(&mut m, "not_applicable", |d, n| d.boolean(n))
        .is_some_and(|b| b.value);
    let photo = dec
        .opt(&mut m, "photo", |d, n| d.boolean(n))
        .is_some_and(|b| b.value);
    let applies_if = dec.opt(&mut m, "applies_if", condition);
    m.finish(dec, ITEM_KEYS);
    Some(Item {
        id: id?,
        section,
        kind: kind?,
        // A missing prompt is reported; the item stays known so that rules
        // reading it do not cascade into unknown-item errors.
        prompt: prompt.unwrap_or_default(),
        help,
        unit,
        min,
        max,
        options,
        not_applicable,
        photo,
        applies_if,
    })
}

const RULE_KEYS: &[&str] = &[
    "id",
    "level",
    "basis",
    "also",
    "title",
    "guidance",
    "deadline",
    "needs_confirmation",
    "applies_if",
    "when",
    "unless",
    "escalate",
    "note",
];

fn rule(dec: &mut Decoder, node: &Node) -> Option<Rule> {
    let mut m = dec.map(node, "a rule")?;
    let id = dec.req(&mut m, "id", |d, n| d.ident(n));
    let lvl = dec.req(&mut m, "level", level);
    let cited = dec.req(&mut m, "basis", basis);
    let also = dec
        .opt(&mut m, "also", |d, n| d.list(n, basis))
        .unwrap_or_default();
    let title = dec.req(&mut m, "title", |d, n| d.text(n));
    let guidance = dec.opt(&mut m, "guidance", |d, n| d.text(n));
    let deadline = dec
        .opt(&mut m, "deadline", |d, n| d.uint(n))
        .map(|v| v.value);
    let needs_confirmation = dec
        .opt(&mut m, "needs_confirmation", |d, n| d.boolean(n))
        .is_some_and(|b| b.value);
    let applies_if = dec.opt(&mut m, "applies_if", condition);
    let when = dec.req(&mut m, "when", condition);
    let unless = dec.opt(&mut m, "unless", |d, n| {
        let mut m = d.map(n, "an exception (`when`, `reason`)")?;
        let when = d.req(&mut m, "when", condition);
        let reason = d.req(&mut m, "reason", |d, n| d.text(n));
        let basis = d.opt(&mut m, "basis", basis);
        m.finish(d, &["when", "reason", "basis"]);
        Some(Exception {
            when: when?,
            reason: reason?,
            basis,
        })
    });
    let escalate = dec
        .opt(&mut m, "escalate", |d, n| d.list(n, escalation))
        .unwrap_or_default();
    let note = dec.opt(&mut m, "note", |d, n| d.string(n)).map(|s| s.value);
    m.finish(dec, RULE_KEYS);
    Some(Rule {
        id: id?,
        level: lvl?,
        basis: cited?,
        also,
        title: title.unwrap_or_default(),
        guidance,
        deadline,
        needs_confirmation,
        applies_if,
        when: when?,
        unless,
        escalate,
        note,
    })
}

/// The operator keys of a condition that stand on their own.
const STANDALONE_OPS: &[&str] = &[
    "all",
    "any",
    "not",
    "at_least",
    "rule",
    "previous",
    "script",
    "events",
    "inspection_date",
];
/// The comparison keys that go with `item`.
const ITEM_OPS: &[&str] = &[
    "is",
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "between",
    "in",
    "has_all",
    "matches",
    "older_than",
    "due_within",
    "before_inspection",
    "season",
    "time_between",
    "answered",
    "not_applicable",
];

/// Decodes a condition and checks it has exactly one operator.
pub fn condition(dec: &mut Decoder, node: &Node) -> Option<Condition> {
    let mut m = dec.map(node, "a condition")?;
    let span = m.span();
    let present: Vec<&str> = STANDALONE_OPS
        .iter()
        .chain(ITEM_OPS)
        .chain(&["item"])
        .copied()
        .filter(|k| m.has(k))
        .collect();
    let mut c = Condition {
        all: dec.opt(&mut m, "all", |d, n| d.list(n, condition)),
        any: dec.opt(&mut m, "any", |d, n| d.list(n, condition)),
        not: dec.opt(&mut m, "not", condition).map(Box::new),
        at_least: dec.opt(&mut m, "at_least", at_least),
        rule: dec.opt(&mut m, "rule", |d, n| d.ident(n)),
        previous: dec.opt(&mut m, "previous", |d, n| {
            let mut m = d.map(n, "a previous-finding reference (`rule`, `overdue`)")?;
            let rule = d.req(&mut m, "rule", |d, n| d.ident(n));
            let overdue = d
                .opt(&mut m, "overdue", |d, n| d.boolean(n))
                .is_some_and(|b| b.value);
            m.finish(d, &["rule", "overdue"]);
            Some(Previous {
                rule: rule?,
                overdue,
            })
        }),
        script: dec.opt(&mut m, "script", |d, n| d.string(n)),
        events: dec.opt(&mut m, "events", |d, n| {
            let mut m = d.map(
                n,
                "an event query (`kinds`, `min_value`, `not_handled_within`, `since`, `at_least`)",
            )?;
            let kinds = d.req(&mut m, "kinds", |d, n| d.list(n, |d, n| d.ident(n)));
            let min_value = d.opt(&mut m, "min_value", constant);
            let not_handled_within = d.opt(&mut m, "not_handled_within", duration);
            let since = d.opt(&mut m, "since", duration);
            let at_least = d.opt(&mut m, "at_least", |d, n| d.uint(n));
            m.finish(
                d,
                &[
                    "kinds",
                    "min_value",
                    "not_handled_within",
                    "since",
                    "at_least",
                ],
            );
            Some(EventQuery {
                kinds: kinds?,
                min_value,
                not_handled_within,
                since,
                at_least,
            })
        }),
        item: dec.opt(&mut m, "item", |d, n| d.ident(n)),
        is: dec.opt(&mut m, "is", |d, n| d.boolean(n)),
        eq: dec.opt(&mut m, "eq", operand),
        ne: dec.opt(&mut m, "ne", operand),
        lt: dec.opt(&mut m, "lt", operand),
        lte: dec.opt(&mut m, "lte", operand),
        gt: dec.opt(&mut m, "gt", operand),
        gte: dec.opt(&mut m, "gte", operand),
        between: dec.opt(&mut m, "between", range),
        in_: dec.opt(&mut m, "in", |d, n| d.list(n, |d, n| d.ident(n))),
        has_all: dec.opt(&mut m, "has_all", |d, n| d.list(n, |d, n| d.ident(n))),
        inspection_date: dec.opt(&mut m, "inspection_date", |d, n| {
            let mut m = d.map(n, "a date range (`from`, `to`)")?;
            let from = d.opt(&mut m, "from", |d, n| d.date(n));
            let to = d.opt(&mut m, "to", |d, n| d.date(n));
            let span = m.span();
            m.finish(d, &["from", "to"]);
            if from.is_none() && to.is_none() {
                d.error(
                    Code::InvalidDate,
                    span,
                    "a date range needs `from`, `to` or both",
                );
                return None;
            }
            Some(DateRange { from, to })
        }),
        matches: dec.opt(&mut m, "matches", |d, n| d.string(n)),
        older_than: dec.opt(&mut m, "older_than", duration),
        due_within: dec.opt(&mut m, "due_within", duration),
        before_inspection: dec.opt(&mut m, "before_inspection", |d, n| d.boolean(n)),
        season: dec.opt(&mut m, "season", |d, n| window(d, n, season)),
        time_between: dec.opt(&mut m, "time_between", |d, n| window(d, n, time_range)),
        answered: dec.opt(&mut m, "answered", |d, n| d.boolean(n)),
        not_applicable: dec.opt(&mut m, "not_applicable", |d, n| d.boolean(n)),
        at: Loc(span),
    };
    let all_keys: Vec<&str> = STANDALONE_OPS
        .iter()
        .chain(ITEM_OPS)
        .chain(&["item"])
        .copied()
        .collect();
    m.finish(dec, &all_keys);

    let standalone: Vec<&str> = present
        .iter()
        .copied()
        .filter(|k| STANDALONE_OPS.contains(k))
        .collect();
    let comparisons: Vec<&str> = present
        .iter()
        .copied()
        .filter(|k| ITEM_OPS.contains(k))
        .collect();
    let has_item = present.contains(&"item");
    let problem = match (standalone.len(), comparisons.len(), has_item) {
        (1, 0, false) => None,
        (0, 1, true) => None,
        // A season without an item reads the inspection date.
        (0, 1, false) if comparisons == ["season"] => None,
        (0, 0, true) => Some(format!(
            "condition on `item` has no comparison; add one of: {}",
            ITEM_OPS.join(", ")
        )),
        (0, 1, false) => Some(format!(
            "`{}` needs an `item` to compare",
            comparisons.join("")
        )),
        (0, 0, false) => Some("condition has no operator".to_string()),
        _ => Some(format!(
            "condition mixes several operators: {}",
            present.join(", ")
        )),
    };
    if let Some(msg) = problem {
        dec.diags.push(
            Diagnostic::new(Code::InvalidCondition, span, msg).with_help(
                "write one operator per condition and combine them with `all`, `any` or `not`",
            ),
        );
        return None;
    }
    // Drop a condition whose operator failed to decode, so that later
    // stages never see an operator-less condition; its diagnostic is
    // already recorded.
    if condition_is_empty(&c) {
        return None;
    }
    if c.item.is_some() && comparisons.is_empty() {
        c.item = None;
    }
    Some(c)
}

fn condition_is_empty(c: &Condition) -> bool {
    c.all.is_none()
        && c.any.is_none()
        && c.not.is_none()
        && c.at_least.is_none()
        && c.rule.is_none()
        && c.previous.is_none()
        && c.script.is_none()
        && c.events.is_none()
        && c.is.is_none()
        && c.eq.is_none()
        && c.ne.is_none()
        && c.lt.is_none()
        && c.lte.is_none()
        && c.gt.is_none()
        && c.gte.is_none()
        && c.between.is_none()
        && c.in_.is_none()
        && c.has_all.is_none()
        && c.inspection_date.is_none()
        && c.matches.is_none()
        && c.older_than.is_none()
        && c.due_within.is_none()
        && c.before_inspection.is_none()
        && c.season.is_none()
        && c.time_between.is_none()
        && c.answered.is_none()
        && c.not_applicable.is_none()
}

fn at_least(dec: &mut Decoder, node: &Node) -> Option<AtLeast> {
    let mut m = dec.map(node, "an at-least (`n`, `of`)")?;
    let n = dec.req(&mut m, "n", |d, n| match &n.kind {
        NodeKind::Map(_) => param_ref(d, n).map(Count::Param),
        _ => d.uint(n).map(Count::Fixed),
    });
    let of = dec.req(&mut m, "of", |d, n| d.list(n, condition));
    m.finish(dec, &["n", "of"]);
    Some(AtLeast { n: n?, of: of? })
}

fn operand(dec: &mut Decoder, node: &Node) -> Option<Operand> {
    let lit = |v| Some(Operand::Literal(Sp::new(v, node.span)));
    match &node.kind {
        NodeKind::Bool(b) => lit(Literal::Bool(*b)),
        NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::BadNumber(_) => dec
            .decimal(node)
            .and_then(|d| lit(Literal::Number(d.value))),
        NodeKind::Str(s) => lit(Literal::Str(s.clone())),
        NodeKind::Map(_) => {
            let mut m = dec.map(node, "an operand (`param` or `item`, with `factor`)")?;
            let param = dec.opt(&mut m, "param", |d, n| d.ident(n));
            let item = dec.opt(&mut m, "item", |d, n| d.ident(n));
            let factor = dec.opt(&mut m, "factor", constant);
            let span = m.span();
            m.finish(dec, &["param", "item", "factor"]);
            if param.is_some() == item.is_some() {
                dec.error(
                    Code::InvalidCondition,
                    span,
                    "an operand names exactly one of `param` and `item`",
                );
                return None;
            }
            Some(Operand::Ref(OperandRef {
                param,
                item,
                factor,
            }))
        }
        _ => {
            dec.wrong_type(node, "a value, `{param: ...}` or `{item: ...}`");
            None
        }
    }
}

/// A constant number: a number or `{param: ...}`.
fn constant(dec: &mut Decoder, node: &Node) -> Option<Factor> {
    match &node.kind {
        NodeKind::Map(_) => param_ref(dec, node).map(Factor::Param),
        _ => dec.decimal(node).map(Factor::Number),
    }
}

fn range(dec: &mut Decoder, node: &Node) -> Option<Range> {
    let mut m = dec.map(node, "a range (`min`, `max`)")?;
    let min = dec.opt(&mut m, "min", operand);
    let max = dec.opt(&mut m, "max", operand);
    let min_exclusive = dec
        .opt(&mut m, "min_exclusive", |d, n| d.boolean(n))
        .is_some_and(|b| b.value);
    let max_exclusive = dec
        .opt(&mut m, "max_exclusive", |d, n| d.boolean(n))
        .is_some_and(|b| b.value);
    let span = m.span();
    m.finish(dec, &["min", "max", "min_exclusive", "max_exclusive"]);
    if min.is_none() && max.is_none() {
        dec.error(
            Code::InvalidCondition,
            span,
            "a range needs `min`, `max` or both",
        );
        return None;
    }
    Some(Range {
        min,
        max,
        min_exclusive,
        max_exclusive,
    })
}

fn duration(dec: &mut Decoder, node: &Node) -> Option<Duration> {
    let mut m = dec.map(node, "a duration (`years`, `months`, `days`, or `param`)")?;
    let years = dec
        .opt(&mut m, "years", |d, n| d.uint(n))
        .map_or(0, |v| v.value);
    let months = dec
        .opt(&mut m, "months", |d, n| d.uint(n))
        .map_or(0, |v| v.value);
    let days = dec
        .opt(&mut m, "days", |d, n| d.uint(n))
        .map_or(0, |v| v.value);
    let param = dec.opt(&mut m, "param", |d, n| d.ident(n));
    let span = m.span();
    m.finish(dec, &["years", "months", "days", "param"]);
    let fixed = years > 0 || months > 0 || days > 0;
    if fixed == param.is_some() {
        let msg = if fixed {
            "a duration is either `years`/`months`/`days` or a `param`, not both"
        } else {
            "a duration needs years, months or days (or a `param`)"
        };
        dec.error(Code::InvalidValue, span, msg);
        return None;
    }
    Some(Duration {
        years,
        months,
        days,
        param,
    })
}
