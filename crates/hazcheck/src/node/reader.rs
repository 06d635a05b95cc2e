//! The YAML reader: granit-parser's events (the parser inside serde-saphyr)
//! turned into a located [`Node`] tree directly, without serde in between.
//!
//! It reads YAML exactly as `serde_saphyr::from_str_with_options` does for a
//! value read with `deserialize_any` and wrapped in `Spanned`, with the
//! options [`super::parse_yaml`] documents: the same tree for every input,
//! and the same error at the same place. The parts follow serde-saphyr's
//! own:
//!
//! - [`Budget`] counts what serde-saphyr's budget counts (events, nodes,
//!   scalar bytes, depth, anchors, aliases, merge keys, copies kept for
//!   anchors) at the same events, so a limit breaks at the same place.
//! - [`Live`] is the event stream: it records the events of anchored nodes
//!   and replays them where an alias is used. Every replayed node is
//!   located where the alias is written.
//! - [`Reader`] builds nodes: plain scalars typed by the YAML 1.2 core
//!   schema (booleans `true`/`false` only), quoted and block scalars kept
//!   as strings, tags, duplicate keys rejected, merge keys (`<<`) applied.
//!
//! The reader recurses once per nesting level; the depth limit bounds it
//! (see [`crate::limits`]).

use std::borrow::Cow;
use std::collections::HashSet;

use serde_saphyr::granit_parser::{self as gp, Event, ScalarStyle, ScanError, Tag};

use super::{Node, NodeKind, is_integer_literal};
use crate::span::{FileId, Span};

/// The YAML namespace of the standard tags (`!!str` and friends).
const YAML_NS: &str = "tag:yaml.org,2002:";

/// Budget values serde-saphyr uses by default, which [`super::parse_yaml`]
/// leaves as they are.
const MAX_EVENTS: usize = 1_000_000;
const MAX_ANCHORS: usize = 50_000;
const MAX_DOCUMENTS: usize = 1_024;
const MAX_MERGE_KEYS: usize = 10_000;
const MAX_RECORDED_EVENTS: usize = 1_000_000;
const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;
const MAX_REPLAYED_EVENTS: usize = 1_000_000;
const RATIO_MIN_ALIASES: usize = 100;
const RATIO_MULTIPLIER: usize = 10;

/// A position in the text: one-based line, one-based character column and,
/// when known, the byte offset and length of what is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Loc {
    pub(super) line: u32,
    pub(super) column: u32,
    /// Byte offset and length; none past 4 GiB, as in serde-saphyr.
    pub(super) bytes: Option<(u32, u32)>,
}

/// No position (serde-saphyr's unknown location).
const NOWHERE: Loc = Loc {
    line: 0,
    column: 0,
    bytes: None,
};

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Loc {
    fn of(span: &gp::Span) -> Loc {
        let bytes = match (span.start.byte_offset(), span.end.byte_offset()) {
            (Some(start), Some(end)) => {
                let len = end.saturating_sub(start);
                u32::try_from(start).ok().zip(u32::try_from(len).ok())
            }
            _ => None,
        };
        Loc {
            line: saturate(span.start.line()),
            column: saturate(span.start.col().saturating_add(1)),
            bytes,
        }
    }

    fn of_marker(mark: &gp::Marker) -> Loc {
        Loc {
            line: saturate(mark.line()),
            column: saturate(mark.col().saturating_add(1)),
            bytes: None,
        }
    }
}

/// A limit of the budget that was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Breach {
    Events,
    Aliases,
    Anchors,
    Depth,
    Documents,
    Nodes,
    ScalarBytes,
    MergeKeys,
    AliasAnchorRatio,
    RecordedAnchorEvents,
    RecordedAnchorBytes,
    Unbalanced,
}

/// What went wrong, in the terms the diagnostic is written from.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum ErrKind {
    /// A syntax error of the parser, with its message.
    Scan(String),
    /// A budget limit.
    Budget(Breach),
    /// A second document.
    MultipleDocuments,
    /// Anything else, with serde-saphyr's message for it.
    Message(String),
}

/// An error and where it is reported.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Failure {
    pub(super) kind: ErrKind,
    pub(super) loc: Option<Loc>,
}

/// A [`Failure`], boxed to keep the results of the hot path small.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ReadError(pub(super) Box<Failure>);

impl ReadError {
    #[cold]
    fn at(kind: ErrKind, loc: Loc) -> ReadError {
        ReadError(Box::new(Failure {
            kind,
            loc: Some(loc),
        }))
    }

    #[cold]
    fn message(msg: impl Into<String>, loc: Loc) -> ReadError {
        ReadError::at(ErrKind::Message(msg.into()), loc)
    }

    #[cold]
    fn budget(breach: Breach, loc: Loc) -> ReadError {
        ReadError::at(ErrKind::Budget(breach), loc)
    }

    #[cold]
    fn scan(err: ScanError) -> ReadError {
        let loc = Loc::of_marker(err.marker());
        match err.kind() {
            gp::ErrorKind::MultipleDocumentsUnsupported => {
                ReadError::at(ErrKind::MultipleDocuments, loc)
            }
            gp::ErrorKind::UnknownAnchor => unknown_anchor(loc),
            gp::ErrorKind::InputIo { .. }
            | gp::ErrorKind::InputDecoding { .. }
            | gp::ErrorKind::InputByteLimitExceeded { .. } => ReadError(Box::new(Failure {
                kind: ErrKind::Message(format!("IO error: {}", err.info())),
                loc: None,
            })),
            _ => ReadError::at(ErrKind::Scan(err.info()), loc),
        }
    }

    /// The error as reported from inside a value used through an alias:
    /// at the alias.
    #[cold]
    fn used_at(mut self, alias: Loc) -> ReadError {
        self.0.loc = Some(alias);
        self
    }
}

#[cold]
fn unknown_anchor(loc: Loc) -> ReadError {
    ReadError::message("alias references unknown anchor", loc)
}

#[cold]
fn recursive(loc: Loc) -> ReadError {
    ReadError::message("recursive references require weak recursion types", loc)
}

#[cold]
fn merge_value(loc: Loc) -> ReadError {
    ReadError::message(
        "YAML merge value must be mapping or sequence of mappings",
        loc,
    )
}

#[cold]
fn duplicate(key: Option<&str>, loc: Loc) -> ReadError {
    let msg = match key {
        Some(k) => {
            format!("duplicate mapping key: {k}, set DuplicateKeyPolicy in Options if acceptable")
        }
        None => "duplicate mapping key, set DuplicateKeyPolicy in Options if acceptable".into(),
    };
    ReadError::message(msg, loc)
}

/// The parser ends every node it starts, so a stream does not stop inside
/// one; should it, this is the error.
#[cold]
fn internal(loc: Loc) -> ReadError {
    ReadError::message("unexpected end of input", loc)
}

/// What serde-saphyr makes of a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum SfTag {
    None,
    Int,
    Float,
    Bool,
    Null,
    Seq,
    Map,
    TimeStamp,
    Time,
    Binary,
    String,
    Merge,
    Value,
    NonSpecific,
    Include,
    Degrees,
    Radians,
    Other,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Scalar,
    Sequence,
    Mapping,
}

impl SfTag {
    fn of(tag: &Tag) -> SfTag {
        for prefix in [
            "!include",
            "tag:yaml.org,2002:include",
            "tag:yaml.org,2002:!include",
        ] {
            if let Some(rest) = tag.suffix_in_namespace(prefix)
                && (rest.is_empty() || rest.starts_with('#'))
            {
                return SfTag::Include;
            }
        }
        if let Some(core) = tag.core_suffix().and_then(core_suffix) {
            return core;
        }
        match tag.suffix_in_namespace(YAML_NS).as_deref() {
            Some("merge") => return SfTag::Merge,
            Some("value") => return SfTag::Value,
            _ => {}
        }
        if let Some(suffix) = tag.suffix_in_namespace(YAML_NS) {
            return tag_name(suffix.strip_prefix('!').unwrap_or(&suffix));
        }
        let Some(suffix) = tag.suffix_in_namespace("!") else {
            return SfTag::Other;
        };
        match suffix.as_ref() {
            "" | "!" => SfTag::NonSpecific,
            "!timestamp" => SfTag::TimeStamp,
            "!binary" => SfTag::Binary,
            name => match name.strip_prefix('!') {
                Some(name) => core_suffix(name).unwrap_or(SfTag::Other),
                None => tag_name(name),
            },
        }
    }

    fn requires(self) -> Option<Shape> {
        match self {
            SfTag::Int
            | SfTag::Float
            | SfTag::Bool
            | SfTag::Null
            | SfTag::TimeStamp
            | SfTag::Time
            | SfTag::Binary
            | SfTag::String
            | SfTag::Merge
            | SfTag::Value
            | SfTag::Include
            | SfTag::Degrees
            | SfTag::Radians => Some(Shape::Scalar),
            SfTag::Seq => Some(Shape::Sequence),
            SfTag::Map => Some(Shape::Mapping),
            SfTag::None | SfTag::NonSpecific | SfTag::Other => None,
        }
    }

    fn forces_string(self) -> bool {
        matches!(self, SfTag::String | SfTag::NonSpecific)
    }

    fn can_parse_into_string(self) -> bool {
        matches!(
            self,
            SfTag::None
                | SfTag::String
                | SfTag::Merge
                | SfTag::Value
                | SfTag::Other
                | SfTag::Include
                | SfTag::NonSpecific
        )
    }

    fn is_core(self) -> bool {
        matches!(
            self,
            SfTag::Int
                | SfTag::Float
                | SfTag::Bool
                | SfTag::Null
                | SfTag::Seq
                | SfTag::Map
                | SfTag::String
        )
    }

    fn is_robotics(self) -> bool {
        matches!(self, SfTag::Time | SfTag::Degrees | SfTag::Radians)
    }
}

fn core_suffix(suffix: &str) -> Option<SfTag> {
    Some(match suffix {
        "null" => SfTag::Null,
        "bool" => SfTag::Bool,
        "int" => SfTag::Int,
        "float" => SfTag::Float,
        "map" => SfTag::Map,
        "seq" => SfTag::Seq,
        "str" => SfTag::String,
        _ => return None,
    })
}

fn tag_name(name: &str) -> SfTag {
    match name {
        "int" => SfTag::Int,
        "float" => SfTag::Float,
        "bool" => SfTag::Bool,
        "null" => SfTag::Null,
        "seq" => SfTag::Seq,
        "map" => SfTag::Map,
        "str" => SfTag::String,
        "timestamp" => SfTag::TimeStamp,
        "time" => SfTag::Time,
        "binary" => SfTag::Binary,
        "include" => SfTag::Include,
        "degrees" => SfTag::Degrees,
        "radians" => SfTag::Radians,
        _ => SfTag::Other,
    }
}

/// A tag as the reader needs it.
#[derive(Clone, Debug)]
struct TagInfo {
    sf: SfTag,
    /// The resolved spelling, which tells custom tags apart in keys.
    resolved: String,
    /// The spelling as written, for messages.
    written: String,
    /// The bytes the budget counts for it.
    budget_len: usize,
}

impl TagInfo {
    #[cold]
    fn of(tag: &Tag) -> Box<TagInfo> {
        let (handle, suffix) = tag.parts();
        Box::new(TagInfo {
            sf: SfTag::of(tag),
            resolved: tag.to_string(),
            written: tag.original(),
            budget_len: handle.len().saturating_add(suffix.len()),
        })
    }

    /// Rejects a standard tag on a node of another shape.
    fn check(&self, shape: Shape, loc: Loc) -> Result<(), ReadError> {
        match self.sf.requires() {
            Some(required) if required != shape => Err(if self.sf == SfTag::Include {
                ReadError::message(
                    "!include currently only supports the scalar form: !include <path>",
                    loc,
                )
            } else {
                ReadError::message(format!("unsupported tag `{}`", self.written), loc)
            }),
            _ => Ok(()),
        }
    }
}

fn sf(tag: &Option<Box<TagInfo>>) -> SfTag {
    tag.as_ref().map_or(SfTag::None, |t| t.sf)
}

/// One event of the document, as the reader sees it.
#[derive(Clone, Debug)]
enum Kind<'a> {
    Scalar {
        value: Cow<'a, str>,
        style: ScalarStyle,
        tag: Option<Box<TagInfo>>,
    },
    SeqStart {
        tag: Option<Box<TagInfo>>,
    },
    SeqEnd,
    MapStart {
        tag: Option<Box<TagInfo>>,
    },
    MapEnd,
    /// An alias used inside the node it refers to.
    Recursive {
        anchor: usize,
    },
}

#[derive(Clone, Debug)]
struct Ev<'a> {
    kind: Kind<'a>,
    /// Where the event was written (for a replayed event, in the anchored
    /// node).
    loc: Loc,
}

impl Ev<'_> {
    /// The bytes a copy of this event allocates, which the budget counts
    /// when an anchor keeps it.
    fn owned_bytes(&self) -> usize {
        match &self.kind {
            Kind::Scalar { value, tag, .. } => {
                let value = match value {
                    Cow::Borrowed(_) => 0,
                    Cow::Owned(v) => v.len(),
                };
                value.saturating_add(tag.as_ref().map_or(0, |t| t.resolved.len()))
            }
            Kind::SeqStart { tag } | Kind::MapStart { tag } => {
                tag.as_ref().map_or(0, |t| t.resolved.len())
            }
            Kind::SeqEnd | Kind::MapEnd | Kind::Recursive { .. } => 0,
        }
    }

    fn is_start(&self) -> bool {
        matches!(self.kind, Kind::SeqStart { .. } | Kind::MapStart { .. })
    }

    fn is_end(&self) -> bool {
        matches!(self.kind, Kind::SeqEnd | Kind::MapEnd)
    }
}

/// Where a node is reported: where it is written, or where the alias or
/// merge key that brings it is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Origin {
    Direct,
    Alias(Loc),
    Merge(Loc),
}

#[derive(Clone, Debug)]
struct Item<'a> {
    ev: Ev<'a>,
    origin: Origin,
}

impl Item<'_> {
    fn reference(&self) -> Loc {
        match self.origin {
            Origin::Alias(l) | Origin::Merge(l) => l,
            Origin::Direct => self.ev.loc,
        }
    }

    /// The alias an error inside this value is reported at.
    fn alias(&self) -> Option<Loc> {
        match self.origin {
            Origin::Alias(l) if l != self.ev.loc => Some(l),
            _ => None,
        }
    }

    /// A plain `<<` key (or one tagged `!!merge`).
    fn is_merge_key(&self) -> bool {
        match &self.ev.kind {
            Kind::Scalar { value, style, tag } => is_merge_key(value, *style, tag.as_deref()),
            _ => false,
        }
    }
}

/// Whether a scalar is a merge key: a plain `<<`, or one tagged `!!merge`.
fn is_merge_key(value: &str, style: ScalarStyle, tag: Option<&TagInfo>) -> bool {
    value == "<<"
        && match tag {
            Some(t) => t.sf == SfTag::Merge,
            None => style == ScalarStyle::Plain,
        }
}

#[derive(Clone, Copy)]
enum Container {
    Sequence {
        from_value: bool,
    },
    Mapping {
        expecting_key: bool,
        from_value: bool,
    },
}

/// serde-saphyr's budget, counted at the same events.
struct Budget {
    max_depth: usize,
    max_nodes: usize,
    max_aliases: usize,
    max_scalar_bytes: usize,
    events: usize,
    aliases: usize,
    anchors: Vec<bool>,
    anchor_count: usize,
    recorded_events: usize,
    recorded_bytes: usize,
    documents: usize,
    nodes: usize,
    scalar_bytes: usize,
    merge_keys: usize,
    /// The lists and mappings open, innermost last: their number is the
    /// depth.
    containers: Vec<Container>,
}

impl Budget {
    fn event(&mut self) -> Result<(), Breach> {
        self.events += 1;
        if self.events > MAX_EVENTS {
            return Err(Breach::Events);
        }
        Ok(())
    }

    fn node(&mut self) -> Result<(), Breach> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(Breach::Nodes);
        }
        Ok(())
    }

    fn bytes(&mut self, n: usize) -> Result<(), Breach> {
        self.scalar_bytes = self.scalar_bytes.saturating_add(n);
        if self.scalar_bytes > self.max_scalar_bytes {
            return Err(Breach::ScalarBytes);
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize) -> Result<(), Breach> {
        if id == 0 {
            return Ok(());
        }
        if id >= self.anchors.len() {
            self.anchors.resize(id + 1, false);
        }
        if !self.anchors[id] {
            self.anchors[id] = true;
            self.anchor_count += 1;
            if self.anchor_count > MAX_ANCHORS {
                return Err(Breach::Anchors);
            }
        }
        Ok(())
    }

    fn scalar(
        &mut self,
        len: usize,
        tag_len: usize,
        anchor: usize,
        merge_key: bool,
    ) -> Result<(), Breach> {
        self.event()?;
        self.node()?;
        self.bytes(len.saturating_add(tag_len))?;
        self.anchor(anchor)?;
        if let Some(Container::Mapping { expecting_key, .. }) = self.containers.last_mut() {
            if *expecting_key {
                if merge_key {
                    self.merge_keys += 1;
                    if self.merge_keys > MAX_MERGE_KEYS {
                        return Err(Breach::MergeKeys);
                    }
                }
                *expecting_key = false;
            } else {
                *expecting_key = true;
            }
        }
        Ok(())
    }

    fn enter(&mut self, mapping: bool, tag_len: usize, anchor: usize) -> Result<(), Breach> {
        self.event()?;
        self.node()?;
        if self.containers.len() >= self.max_depth {
            return Err(Breach::Depth);
        }
        self.bytes(tag_len)?;
        let from_value = match self.containers.last_mut() {
            Some(Container::Mapping { expecting_key, .. }) => {
                !std::mem::replace(expecting_key, false)
            }
            _ => false,
        };
        self.containers.push(if mapping {
            Container::Mapping {
                expecting_key: true,
                from_value,
            }
        } else {
            Container::Sequence { from_value }
        });
        self.anchor(anchor)
    }

    fn leave(&mut self, mapping: bool) -> Result<(), Breach> {
        self.event()?;
        let from_value = match (mapping, self.containers.pop()) {
            (false, Some(Container::Sequence { from_value }))
            | (true, Some(Container::Mapping { from_value, .. })) => from_value,
            _ => return Err(Breach::Unbalanced),
        };
        if from_value
            && let Some(Container::Mapping { expecting_key, .. }) = self.containers.last_mut()
        {
            *expecting_key = true;
        }
        Ok(())
    }

    /// A raw parser event (other than an alias).
    fn observe(&mut self, raw: &Event<'_>, tag: Option<&TagInfo>) -> Result<(), Breach> {
        let tag_len = tag.map_or(0, |t| t.budget_len);
        match raw {
            Event::Scalar(value, style, anchor, _) => self.scalar(
                value.len(),
                tag_len,
                *anchor,
                is_merge_key(value, *style, tag),
            ),
            Event::MappingStart(_, anchor, _) => self.enter(true, tag_len, *anchor),
            Event::SequenceStart(_, anchor, _) => self.enter(false, tag_len, *anchor),
            Event::MappingEnd => self.leave(true),
            Event::SequenceEnd => self.leave(false),
            Event::DocumentStart(..) => {
                self.event()?;
                self.documents += 1;
                if self.documents > MAX_DOCUMENTS {
                    return Err(Breach::Documents);
                }
                Ok(())
            }
            _ => self.event(),
        }
    }

    /// A replayed event: what serde-saphyr shows its budget for it (tags
    /// other than `!!merge` are not repeated).
    fn observe_replay(&mut self, ev: &Ev<'_>) -> Result<(), Breach> {
        match &ev.kind {
            Kind::Scalar { value, style, tag } => {
                let merge = sf(tag) == SfTag::Merge;
                let tag_len = if merge {
                    YAML_NS.len() + "merge".len()
                } else {
                    0
                };
                let merge_key = value == "<<" && (merge || *style == ScalarStyle::Plain);
                self.scalar(value.len(), tag_len, 0, merge_key)
            }
            Kind::Recursive { .. } => self.scalar(0, 0, 0, false),
            Kind::SeqStart { .. } => self.enter(false, 0, 0),
            Kind::MapStart { .. } => self.enter(true, 0, 0),
            Kind::SeqEnd => self.leave(false),
            Kind::MapEnd => self.leave(true),
        }
    }

    fn alias(&mut self) -> Result<(), Breach> {
        self.event()?;
        self.aliases += 1;
        if self.aliases > self.max_aliases {
            return Err(Breach::Aliases);
        }
        Ok(())
    }

    fn recorded(&mut self, bytes: usize) -> Result<(), Breach> {
        self.recorded_events = self.recorded_events.saturating_add(1);
        if self.recorded_events > MAX_RECORDED_EVENTS {
            return Err(Breach::RecordedAnchorEvents);
        }
        self.recorded_bytes = self.recorded_bytes.saturating_add(bytes);
        if self.recorded_bytes > MAX_RECORDED_BYTES {
            return Err(Breach::RecordedAnchorBytes);
        }
        Ok(())
    }

    /// The check made once the whole text is read: many aliases for few
    /// anchors.
    fn finish(&self) -> Result<(), Breach> {
        if self.aliases >= RATIO_MIN_ALIASES
            && (self.anchor_count == 0
                || self.aliases > RATIO_MULTIPLIER.saturating_mul(self.anchor_count))
        {
            return Err(Breach::AliasAnchorRatio);
        }
        Ok(())
    }
}

/// The events of an anchored node being recorded.
struct Recording<'a> {
    id: usize,
    depth: usize,
    events: Vec<Ev<'a>>,
}

/// An alias being replayed.
struct Replaying {
    anchor: usize,
    next: usize,
    alias: Loc,
}

/// A source of events.
trait Source<'a> {
    fn next(&mut self) -> Result<Option<Item<'a>>, ReadError>;
}

/// The document's own event stream: the parser, with aliases replayed.
struct Live<'a> {
    parser: gp::Parser<'a, gp::StrInput<'a>>,
    budget: Budget,
    replaying: Option<Replaying>,
    replayed: usize,
    anchors: Vec<Option<Vec<Ev<'a>>>>,
    recording: Vec<Recording<'a>>,
    /// Where the last event was.
    last: Loc,
    produced: bool,
}

impl<'a> Live<'a> {
    /// Charges a copy of `ev` kept for an anchor.
    fn charge(&mut self, ev: &Ev<'a>, alias: Option<Loc>) -> Result<(), ReadError> {
        self.budget
            .recorded(ev.owned_bytes())
            .map_err(|b| ReadError::budget(b, alias.unwrap_or(ev.loc)))
    }

    /// Adds `ev` to the open recordings (all but the newest when it was
    /// opened by this very event).
    fn record(
        &mut self,
        ev: &Ev<'a>,
        alias: Option<Loc>,
        skip_newest: bool,
    ) -> Result<(), ReadError> {
        let n = self.recording.len() - usize::from(skip_newest);
        for i in 0..n {
            self.charge(ev, alias)?;
            self.recording[i].events.push(ev.clone());
        }
        Ok(())
    }

    fn store(&mut self, id: usize, events: Vec<Ev<'a>>) {
        if id >= self.anchors.len() {
            self.anchors.resize_with(id + 8, || None);
        }
        self.anchors[id] = Some(events);
    }

    fn reset_document(&mut self) {
        self.replaying = None;
        self.recording.clear();
        self.anchors.iter_mut().for_each(|a| *a = None);
        self.replayed = 0;
    }

    /// The next event of an alias being replayed, if any is left.
    fn replay(&mut self) -> Result<Option<Item<'a>>, ReadError> {
        let Some(r) = &mut self.replaying else {
            return Ok(None);
        };
        let alias = r.alias;
        let Some(ev) = self
            .anchors
            .get(r.anchor)
            .and_then(|a| a.as_ref())
            .and_then(|events| events.get(r.next))
            .cloned()
        else {
            self.replaying = None;
            return Ok(None);
        };
        r.next += 1;
        self.replayed += 1;
        if self.replayed > MAX_REPLAYED_EVENTS {
            return Err(ReadError::message(
                format!(
                    "alias replay limit exceeded: total_replayed_events={} > {MAX_REPLAYED_EVENTS}",
                    self.replayed
                ),
                ev.loc,
            ));
        }
        self.budget
            .observe_replay(&ev)
            .map_err(|b| ReadError::budget(b, alias))?;
        if !self.recording.is_empty() {
            self.record(&ev, Some(alias), false)?;
        }
        self.last = ev.loc;
        self.produced = true;
        Ok(Some(Item {
            ev,
            origin: Origin::Alias(alias),
        }))
    }

    /// Closes the recordings a container end completes.
    fn close_recordings(&mut self, loc: Loc) -> Result<(), ReadError> {
        for r in &mut self.recording {
            r.depth = r
                .depth
                .checked_sub(1)
                .ok_or_else(|| ReadError::message("internal depth underflow", loc))?;
        }
        while self.recording.last().is_some_and(|r| r.depth == 0) {
            if let Some(done) = self.recording.pop() {
                self.store(done.id, done.events);
            }
        }
        Ok(())
    }

    fn start(&mut self, ev: Ev<'a>, anchor: usize) -> Result<Item<'a>, ReadError> {
        for r in &mut self.recording {
            r.depth += 1;
        }
        if anchor != 0 {
            self.charge(&ev, None)?;
            self.recording.push(Recording {
                id: anchor,
                depth: 1,
                events: vec![ev.clone()],
            });
        }
        if !self.recording.is_empty() {
            self.record(&ev, None, anchor != 0)?;
        }
        Ok(Item {
            ev,
            origin: Origin::Direct,
        })
    }

    fn end(&mut self, ev: Ev<'a>) -> Result<Item<'a>, ReadError> {
        if !self.recording.is_empty() {
            self.record(&ev, None, false)?;
            self.close_recordings(ev.loc)?;
        }
        Ok(Item {
            ev,
            origin: Origin::Direct,
        })
    }
}

impl<'a> Source<'a> for Live<'a> {
    fn next(&mut self) -> Result<Option<Item<'a>>, ReadError> {
        if self.replaying.is_some()
            && let Some(item) = self.replay()?
        {
            return Ok(Some(item));
        }
        while let Some(next) = self.parser.next() {
            let (raw, span) = next.map_err(ReadError::scan)?;
            let loc = Loc::of(&span);
            let tag = match &raw {
                Event::Scalar(_, _, _, Some(t))
                | Event::SequenceStart(_, _, Some(t))
                | Event::MappingStart(_, _, Some(t)) => Some(TagInfo::of(t)),
                _ => None,
            };
            if !matches!(raw, Event::Alias(_)) {
                self.budget
                    .observe(&raw, tag.as_deref())
                    .map_err(|b| ReadError::budget(b, loc))?;
            }
            self.last = loc;
            let item = match raw {
                Event::Scalar(value, style, anchor, _) => {
                    if let Some(t) = &tag {
                        t.check(Shape::Scalar, loc)?;
                    }
                    let ev = Ev {
                        kind: Kind::Scalar { value, style, tag },
                        loc,
                    };
                    if !self.recording.is_empty() {
                        self.record(&ev, None, false)?;
                    }
                    if anchor != 0 {
                        self.charge(&ev, None)?;
                        self.store(anchor, vec![ev.clone()]);
                    }
                    Item {
                        ev,
                        origin: Origin::Direct,
                    }
                }
                Event::SequenceStart(_, anchor, _) => {
                    if let Some(t) = &tag {
                        t.check(Shape::Sequence, loc)?;
                    }
                    self.start(
                        Ev {
                            kind: Kind::SeqStart { tag },
                            loc,
                        },
                        anchor,
                    )?
                }
                Event::MappingStart(_, anchor, _) => {
                    if let Some(t) = &tag {
                        t.check(Shape::Mapping, loc)?;
                    }
                    self.start(
                        Ev {
                            kind: Kind::MapStart { tag },
                            loc,
                        },
                        anchor,
                    )?
                }
                Event::SequenceEnd => self.end(Ev {
                    kind: Kind::SeqEnd,
                    loc,
                })?,
                Event::MappingEnd => self.end(Ev {
                    kind: Kind::MapEnd,
                    loc,
                })?,
                Event::Alias(id) => {
                    self.budget.alias().map_err(|b| ReadError::budget(b, loc))?;
                    if self.recording.iter().any(|r| r.id == id) {
                        let ev = Ev {
                            kind: Kind::Recursive { anchor: id },
                            loc,
                        };
                        if !self.recording.is_empty() {
                            self.record(&ev, None, false)?;
                        }
                        Item {
                            ev,
                            origin: Origin::Direct,
                        }
                    } else {
                        if !self.anchors.get(id).is_some_and(Option::is_some) {
                            return Err(unknown_anchor(loc));
                        }
                        self.replaying = Some(Replaying {
                            anchor: id,
                            next: 0,
                            alias: loc,
                        });
                        match self.replay()? {
                            Some(item) => return Ok(Some(item)),
                            None => return Err(unknown_anchor(loc)),
                        }
                    }
                }
                Event::DocumentStart(..) | Event::DocumentEnd => {
                    self.reset_document();
                    continue;
                }
                Event::StreamStart | Event::StreamEnd => continue,
                _ => {
                    return Err(ReadError::message(
                        "unsupported event from granit-parser",
                        loc,
                    ));
                }
            };
            self.produced = true;
            return Ok(Some(item));
        }
        // A stream without any document reads as null.
        if !self.produced {
            self.produced = true;
            return Ok(Some(Item {
                ev: Ev {
                    kind: Kind::Scalar {
                        value: Cow::Owned(String::new()),
                        style: ScalarStyle::Plain,
                        tag: Some(Box::new(TagInfo {
                            sf: SfTag::Null,
                            resolved: String::new(),
                            written: String::new(),
                            budget_len: 0,
                        })),
                    },
                    loc: self.last,
                },
                origin: Origin::Direct,
            }));
        }
        Ok(None)
    }
}

/// Events recorded earlier (a key, a value brought by a merge key), read
/// again.
struct Replay<'a> {
    items: std::vec::IntoIter<Item<'a>>,
}

impl<'a> Source<'a> for Replay<'a> {
    fn next(&mut self) -> Result<Option<Item<'a>>, ReadError> {
        Ok(self.items.next())
    }
}

fn next_item<'a>(src: &mut impl Source<'a>, after: Loc) -> Result<Item<'a>, ReadError> {
    src.next()?.ok_or_else(|| internal(after))
}

/// Reads the rest of the node `first` starts, keeping its events.
fn capture<'a>(src: &mut impl Source<'a>, first: Item<'a>) -> Result<Vec<Item<'a>>, ReadError> {
    let mut depth = usize::from(first.ev.is_start());
    let mut last = first.ev.loc;
    let mut items = vec![first];
    while depth > 0 {
        let item = next_item(src, last)?;
        last = item.ev.loc;
        if item.ev.is_start() {
            depth += 1;
        } else if item.ev.is_end() {
            depth -= 1;
        }
        items.push(item);
    }
    Ok(items)
}

/// The index just past the node that starts at `i`.
fn skip(items: &[Item<'_>], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < items.len() {
        let ev = &items[j].ev;
        j += 1;
        if ev.is_start() {
            depth += 1;
        } else if ev.is_end() {
            depth = depth.saturating_sub(1);
        }
        if depth == 0 {
            break;
        }
    }
    j
}

/// How a key's tag takes part in telling keys apart.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum CanonTag {
    Semantic(SfTag),
    Custom(String),
}

fn canon(tag: Option<&TagInfo>, implicit: SfTag) -> CanonTag {
    let t = tag.map_or(SfTag::None, |t| t.sf);
    if let Some(info) = tag
        && (t == SfTag::Other
            || (implicit == SfTag::Map && t == SfTag::Map && info.resolved == "!map"))
    {
        return CanonTag::Custom(info.resolved.clone());
    }
    CanonTag::Semantic(if matches!(t, SfTag::None | SfTag::NonSpecific) {
        implicit
    } else if implicit == SfTag::String && t.can_parse_into_string() {
        SfTag::String
    } else {
        t
    })
}

/// What makes two keys the same key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyId<'a> {
    Recursive(usize),
    Int { negative: bool, magnitude: u128 },
    Scalar(CanonTag, Cow<'a, str>),
    Seq(CanonTag, Vec<KeyId<'a>>),
    Map(CanonTag, Vec<(KeyId<'a>, KeyId<'a>)>),
}

fn scalar_id<'a>(value: &Cow<'a, str>, style: ScalarStyle, tag: Option<&TagInfo>) -> KeyId<'a> {
    let t = tag.map_or(SfTag::None, |t| t.sf);
    // A number starts with a digit, a sign or padding.
    let numeric = value
        .as_bytes()
        .first()
        .is_some_and(|b| !b.is_ascii_alphabetic() && *b < 0x80);
    if numeric && (t == SfTag::Int || (t == SfTag::None && style == ScalarStyle::Plain)) {
        let v = yaml_trim(value);
        let parsed = if v.starts_with('-') {
            parse_signed(v).map(|n| (n < 0, n.unsigned_abs()))
        } else {
            parse_unsigned(v).map(|n| (false, n))
        };
        if let Some((negative, magnitude)) = parsed {
            return KeyId::Int {
                negative,
                magnitude,
            };
        }
    }
    let tag_id = if t == SfTag::None && scalar_is_null(t, value, style) {
        CanonTag::Semantic(SfTag::Null)
    } else {
        canon(tag, SfTag::String)
    };
    KeyId::Scalar(tag_id, value.clone())
}

/// The identity of the node that starts at `items[i]`, and the index past
/// it.
fn node_id<'a>(items: &[Item<'a>], i: usize) -> (KeyId<'a>, usize) {
    let Some(item) = items.get(i) else {
        return (KeyId::Recursive(0), i + 1);
    };
    match &item.ev.kind {
        Kind::Recursive { anchor } => (KeyId::Recursive(*anchor), i + 1),
        Kind::Scalar { value, style, tag } => (scalar_id(value, *style, tag.as_deref()), i + 1),
        Kind::SeqStart { tag } => {
            let mut elements = Vec::new();
            let mut j = i + 1;
            while j < items.len() && !items[j].ev.is_end() {
                let (id, next) = node_id(items, j);
                elements.push(id);
                j = next;
            }
            (
                KeyId::Seq(canon(tag.as_deref(), SfTag::Seq), elements),
                j + 1,
            )
        }
        Kind::MapStart { tag } => {
            let mut entries = Vec::new();
            let mut j = i + 1;
            while j < items.len() && !items[j].ev.is_end() {
                let (key, next) = node_id(items, j);
                let (value, next) = node_id(items, next);
                entries.push((key, value));
                j = next;
            }
            entries.sort();
            (
                KeyId::Map(canon(tag.as_deref(), SfTag::Map), entries),
                j + 1,
            )
        }
        Kind::SeqEnd | Kind::MapEnd => (KeyId::Recursive(0), i + 1),
    }
}

/// A key and value a merge key brings, read when the mapping ends.
struct Entry<'a> {
    id: KeyId<'a>,
    key: Vec<Item<'a>>,
    value: Vec<Item<'a>>,
}

/// The text of a key for the duplicate-key message.
fn key_text<'b>(items: &'b [Item<'_>]) -> Option<&'b str> {
    match items {
        [
            Item {
                ev:
                    Ev {
                        kind: Kind::Scalar { value, tag, .. },
                        ..
                    },
                ..
            },
        ] if sf(tag).can_parse_into_string() => Some(value),
        _ => None,
    }
}

fn retarget<'a>(items: &[Item<'a>], at: Loc) -> Vec<Item<'a>> {
    items
        .iter()
        .map(|item| Item {
            ev: item.ev.clone(),
            origin: match item.origin {
                Origin::Alias(l) => Origin::Alias(l),
                _ => Origin::Merge(at),
            },
        })
        .collect()
}

fn merged_ref(item: &Item<'_>, at: Loc) -> Loc {
    match item.origin {
        Origin::Alias(l) => l,
        _ => at,
    }
}

/// The entries a merge value recorded in `items` brings; nodes not used
/// through an alias are reported at `at`.
fn expand<'a>(items: &[Item<'a>], at: Loc) -> Result<Vec<Entry<'a>>, ReadError> {
    let Some(first) = items.first() else {
        return Ok(Vec::new());
    };
    match &first.ev.kind {
        Kind::Scalar { value, style, tag } if scalar_is_null(sf(tag), value, *style) => {
            Ok(Vec::new())
        }
        Kind::Recursive { .. } => Err(recursive(first.ev.loc)),
        Kind::MapStart { .. } => merged_map(items, at),
        Kind::SeqStart { .. } => {
            let mut out = Vec::new();
            let mut i = 1;
            while let Some(item) = items.get(i) {
                match item.ev.kind {
                    Kind::SeqEnd => break,
                    Kind::Recursive { .. } => return Err(recursive(item.ev.loc)),
                    _ => {}
                }
                let end = skip(items, i);
                out.extend(expand(&items[i..end], merged_ref(item, at))?);
                i = end;
            }
            Ok(out)
        }
        _ => Err(merge_value(first.ev.loc)),
    }
}

/// The entries of a mapping brought by a merge key: its own first (each
/// key once), then those of its own merge keys.
fn merged_map<'a>(items: &[Item<'a>], at: Loc) -> Result<Vec<Entry<'a>>, ReadError> {
    let mut fields: Vec<Entry<'a>> = Vec::new();
    let mut merges = Vec::new();
    let mut i = 1;
    while let Some(item) = items.get(i) {
        match item.ev.kind {
            Kind::MapEnd => break,
            Kind::Recursive { .. } => return Err(recursive(item.ev.loc)),
            _ => {}
        }
        let key_end = skip(items, i);
        let value_end = skip(items, key_end);
        if key_end == i + 1 && item.is_merge_key() {
            // The value of a merge key met here is reported where it is
            // used (in a list, each mapping where it is used); as a value
            // used through an alias is a whole, that is `at` or the alias.
            if let Some(value) = items.get(key_end) {
                merges.push(expand(&items[key_end..value_end], merged_ref(value, at))?);
            }
        } else {
            fields.push(Entry {
                id: node_id(items, i).0,
                key: retarget(&items[i..key_end], at),
                value: retarget(&items[key_end..value_end], at),
            });
        }
        i = value_end;
    }
    let mut seen = HashSet::with_capacity(fields.len());
    for field in &fields {
        if !seen.insert(&field.id) {
            let loc = field.key.first().map_or(at, |k| k.ev.loc);
            return Err(duplicate(key_text(&field.key), loc));
        }
    }
    fields.extend(merges.into_iter().flatten());
    Ok(fields)
}

/// Builds nodes from events.
struct Reader<'a> {
    /// The text, after the byte-order mark.
    text: &'a str,
    file: FileId,
    /// Where `text` starts in the file (after a byte-order mark).
    shift: usize,
    /// The keys of the mappings being read, innermost last (a mapping
    /// with many keys keeps its own set instead).
    keys: Vec<KeyId<'a>>,
    /// The entries of the mappings being read, innermost last.
    entries: Vec<(Node, Node)>,
    /// The items of the lists being read, innermost last.
    items: Vec<Node>,
}

/// The keys of one mapping: those on [`Reader::keys`] from `base` on, or
/// a set of their own once they are many.
struct Keys<'a> {
    base: usize,
    set: Option<HashSet<KeyId<'a>>>,
}

impl<'a> Keys<'a> {
    fn contains(&self, all: &[KeyId<'a>], id: &KeyId<'a>) -> bool {
        match &self.set {
            Some(set) => set.contains(id),
            None => all[self.base..].contains(id),
        }
    }

    fn insert(&mut self, all: &mut Vec<KeyId<'a>>, id: KeyId<'a>) {
        match &mut self.set {
            Some(set) => {
                set.insert(id);
            }
            None => {
                all.push(id);
                if all.len() - self.base > 16 {
                    self.set = Some(all.drain(self.base..).collect());
                }
            }
        }
    }
}

/// A scalar's value before it becomes a node.
enum Typed {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
    Decoded(String),
}

impl<'a> Reader<'a> {
    fn span(&self, loc: Loc) -> (Span, usize, usize) {
        let (start, len) = loc.bytes.map_or((0, 0), |(s, l)| (s as usize, l as usize));
        let start = start.min(self.text.len());
        let end = start.saturating_add(len).min(self.text.len());
        (
            Span {
                file: self.file,
                start: start + self.shift,
                end: end + self.shift,
                line: loc.line,
                column: loc.column,
            },
            start,
            end,
        )
    }

    /// A node in the place of a mapping value or a list item: an error
    /// inside a value used through an alias is reported at the alias.
    fn value<S: Source<'a>>(&mut self, src: &mut S, first: Item<'a>) -> Result<Node, ReadError> {
        match first.alias() {
            None => self.node(src, first),
            Some(alias) => self.node(src, first).map_err(|e| e.used_at(alias)),
        }
    }

    /// The node `first` starts.
    fn node<S: Source<'a>>(&mut self, src: &mut S, first: Item<'a>) -> Result<Node, ReadError> {
        let reference = first.reference();
        match first.ev.kind {
            Kind::Scalar { value, style, tag } => {
                self.scalar(value, style, tag.as_deref(), first.ev.loc, reference)
            }
            Kind::SeqStart { .. } => {
                let (span, ..) = self.span(reference);
                let base = self.items.len();
                let mut last = first.ev.loc;
                loop {
                    let item = next_item(src, last)?;
                    last = item.ev.loc;
                    if matches!(item.ev.kind, Kind::SeqEnd) {
                        break;
                    }
                    let node = self.value(src, item)?;
                    self.items.push(node);
                }
                Ok(Node {
                    kind: NodeKind::Seq(self.items.drain(base..).collect()),
                    span,
                })
            }
            Kind::MapStart { .. } => self.map(src, first.ev.loc, reference),
            Kind::Recursive { .. } => Err(recursive(first.ev.loc)),
            Kind::SeqEnd => Err(ReadError::message("unexpected sequence end", first.ev.loc)),
            Kind::MapEnd => Err(ReadError::message("unexpected mapping end", first.ev.loc)),
        }
    }

    /// A node read again from recorded events.
    fn replayed(&mut self, items: Vec<Item<'a>>, value: bool) -> Result<Node, ReadError> {
        let mut src = Replay {
            items: items.into_iter(),
        };
        let first = next_item(&mut src, NOWHERE)?;
        if value {
            self.value(&mut src, first)
        } else {
            self.node(&mut src, first)
        }
    }

    fn map<S: Source<'a>>(
        &mut self,
        src: &mut S,
        own: Loc,
        reference: Loc,
    ) -> Result<Node, ReadError> {
        let (span, ..) = self.span(reference);
        let base = self.entries.len();
        let mut seen = Keys {
            base: self.keys.len(),
            set: None,
        };
        let mut merges: Vec<Vec<Entry<'a>>> = Vec::new();
        let mut last = own;
        loop {
            let item = next_item(src, last)?;
            last = item.ev.loc;
            let (key, id) = match &item.ev.kind {
                Kind::MapEnd => break,
                Kind::Recursive { .. } => return Err(recursive(item.ev.loc)),
                Kind::SeqEnd => {
                    return Err(ReadError::message("unexpected sequence end", item.ev.loc));
                }
                Kind::Scalar { value, style, tag } => {
                    if item.is_merge_key() {
                        let first = next_item(src, last)?;
                        let batch = self.merge(src, first)?;
                        if !batch.is_empty() {
                            merges.push(batch);
                        }
                        continue;
                    }
                    let id = scalar_id(value, *style, tag.as_deref());
                    if seen.contains(&self.keys, &id) {
                        let text = sf(tag).can_parse_into_string().then_some(value.as_ref());
                        return Err(duplicate(text, item.ev.loc));
                    }
                    (self.node(src, item)?, id)
                }
                Kind::SeqStart { .. } | Kind::MapStart { .. } => {
                    let at = item.ev.loc;
                    let items = capture(src, item)?;
                    let id = node_id(&items, 0).0;
                    if seen.contains(&self.keys, &id) {
                        return Err(duplicate(None, at));
                    }
                    (self.replayed(items, false)?, id)
                }
            };
            seen.insert(&mut self.keys, id);
            let first = next_item(src, last)?;
            let value = self.value(src, first)?;
            self.entries.push((key, value));
        }
        for entry in merges.into_iter().flatten() {
            if seen.contains(&self.keys, &entry.id) {
                continue;
            }
            let key = self.replayed(entry.key, false)?;
            seen.insert(&mut self.keys, entry.id);
            let value = self.replayed(entry.value, true)?;
            self.entries.push((key, value));
        }
        self.keys.truncate(seen.base);
        Ok(Node {
            kind: NodeKind::Map(self.entries.drain(base..).collect()),
            span,
        })
    }

    /// The entries a merge key's value (starting with `first`) brings.
    fn merge<S: Source<'a>>(
        &self,
        src: &mut S,
        first: Item<'a>,
    ) -> Result<Vec<Entry<'a>>, ReadError> {
        match &first.ev.kind {
            Kind::Scalar { value, style, tag } if scalar_is_null(sf(tag), value, *style) => {
                Ok(Vec::new())
            }
            Kind::Recursive { .. } => Err(recursive(first.ev.loc)),
            Kind::MapStart { .. } => {
                let at = first.reference();
                let items = capture(src, first)?;
                expand(&items, at)
            }
            Kind::SeqStart { .. } => {
                let mut out = Vec::new();
                let mut last = first.ev.loc;
                loop {
                    let item = next_item(src, last)?;
                    last = item.ev.loc;
                    match item.ev.kind {
                        Kind::SeqEnd => break,
                        Kind::Recursive { .. } => return Err(recursive(item.ev.loc)),
                        _ => {}
                    }
                    let at = item.reference();
                    let items = capture(src, item)?;
                    if let Some(end) = items.last() {
                        last = end.ev.loc;
                    }
                    out.extend(expand(&items, at)?);
                }
                Ok(out)
            }
            _ => Err(merge_value(first.ev.loc)),
        }
    }

    fn scalar(
        &self,
        value: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&TagInfo>,
        own: Loc,
        reference: Loc,
    ) -> Result<Node, ReadError> {
        let (span, _, _) = self.span(reference);
        let kind = match type_scalar(&value, style, tag, own)? {
            Typed::Null => NodeKind::Null,
            Typed::Bool(b) => NodeKind::Bool(b),
            Typed::Int(i) => NodeKind::Int(i),
            Typed::Float(f) => {
                // As written where it is defined: through an alias, the
                // reference's own text is the alias.
                let (_, start, end) = self.span(own);
                let written = self.text.get(start..end).unwrap_or("").trim();
                if !f.is_finite() || is_integer_literal(written) {
                    NodeKind::BadNumber(written.to_string())
                } else {
                    NodeKind::Float(f)
                }
            }
            Typed::Str => NodeKind::Str(value.into_owned()),
            Typed::Decoded(s) => NodeKind::Str(s),
        };
        Ok(Node { kind, span })
    }
}

/// A whole number as serde-saphyr hands it on: an `i64`, or a float for
/// larger ones (which the tree keeps as written).
fn unsigned_value(v: u64) -> Typed {
    i64::try_from(v).map_or(Typed::Float(v as f64), Typed::Int)
}

/// Types a scalar as serde-saphyr's `deserialize_any` does.
fn type_scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&TagInfo>,
    loc: Loc,
) -> Result<Typed, ReadError> {
    let t = tag.map_or(SfTag::None, |t| t.sf);
    match t {
        SfTag::Null => return Ok(Typed::Null),
        SfTag::Bool => {
            return parse_bool(value).map(Typed::Bool).ok_or_else(|| {
                ReadError::message("invalid boolean (strict mode expects true/false)", loc)
            });
        }
        SfTag::Int if yaml_trim(value).starts_with('-') => {
            return parse_signed(yaml_trim(value))
                .and_then(|v| i64::try_from(v).ok())
                .map(Typed::Int)
                .ok_or_else(|| ReadError::message("invalid i64", loc));
        }
        SfTag::Int => {
            return parse_unsigned(yaml_trim(value))
                .and_then(|v| u64::try_from(v).ok())
                .map(unsigned_value)
                .ok_or_else(|| ReadError::message("invalid u64", loc));
        }
        SfTag::Float | SfTag::Time | SfTag::Degrees | SfTag::Radians => {
            let parsed = (t == SfTag::Float)
                .then(|| parse_float_incl_overflow(value, t))
                .flatten();
            return parsed
                .map(Typed::Float)
                .ok_or_else(|| ReadError::message("invalid floating point", loc));
        }
        _ => {}
    }
    let plain = style == ScalarStyle::Plain;
    // Most plain scalars are words: one that starts with a letter other
    // than those of `null`, `true` and `false`, or with a character
    // beyond ASCII, is neither null, a boolean nor a number.
    if plain
        && t == SfTag::None
        && let Some(&b) = value.as_bytes().first()
        && (b >= 0x80 || (b.is_ascii_alphabetic() && !b"nNtTfF".contains(&b)))
    {
        return Ok(Typed::Str);
    }
    if scalar_is_null(t, value, style) {
        return Ok(Typed::Null);
    }
    if !plain || !t.can_parse_into_string() || t == SfTag::Binary || t.forces_string() {
        if t == SfTag::Binary {
            let bytes = decode_base64(value)
                .ok_or_else(|| ReadError::message("invalid !!binary base64", loc))?;
            return String::from_utf8(bytes).map(Typed::Decoded).map_err(|_| {
                ReadError::message(
                    "!!binary scalar is not valid UTF-8 so cannot be stored into string. \
                     If you just use !!binary for documentation/annotation, set ignore_binary_tag_for_string in Options",
                    loc,
                )
            });
        }
        if !t.can_parse_into_string() {
            return Err(ReadError::message(
                "cannot deserialize tagged scalar into string",
                loc,
            ));
        }
        return Ok(Typed::Str);
    }
    if let Some(b) = parse_bool(value) {
        return Ok(Typed::Bool(b));
    }
    let trimmed = yaml_trim(value);
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]) || is_signed_nan(trimmed) {
        return Ok(Typed::Str);
    }
    if trimmed.starts_with('-') {
        if !leading_zero_decimal(trimmed)
            && let Some(v) = parse_signed(trimmed).and_then(|v| i64::try_from(v).ok())
        {
            return Ok(Typed::Int(v));
        }
    } else if let Some(v) = parse_unsigned(trimmed).and_then(|v| u64::try_from(v).ok()) {
        return Ok(unsigned_value(v));
    }
    if let Some(f) = parse_float_incl_overflow(value, t) {
        return Ok(Typed::Float(f));
    }
    Ok(Typed::Str)
}

/// The padding a scalar may have around a number or a boolean.
fn yaml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

fn parse_bool(s: &str) -> Option<bool> {
    match yaml_trim(s) {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn scalar_is_null(tag: SfTag, value: &str, style: ScalarStyle) -> bool {
    tag == SfTag::Null
        || (!tag.is_core()
            && !tag.forces_string()
            && !matches!(tag, SfTag::Binary | SfTag::TimeStamp)
            && !tag.is_robotics()
            && style == ScalarStyle::Plain
            && matches!(value, "" | "~" | "null" | "Null" | "NULL"))
}

fn is_signed_nan(t: &str) -> bool {
    t.strip_prefix(['+', '-'])
        .is_some_and(|u| matches!(u, ".nan" | ".NaN" | ".NAN"))
}

fn leading_zero_decimal(t: &str) -> bool {
    let s = yaml_trim(t);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Digits in a radix, with single `_` between digits.
fn digits(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut any = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            if i == 0 || bytes[i - 1] == b'_' || i + 1 >= bytes.len() || bytes[i + 1] == b'_' {
                return None;
            }
            continue;
        }
        let d = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'a'..=b'f' if radix > 10 => 10 + u32::from(b - b'a'),
            b'A'..=b'F' if radix > 10 => 10 + u32::from(b - b'A'),
            _ => return None,
        };
        if d >= radix {
            return None;
        }
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        any = true;
    }
    any.then_some(value)
}

fn radix(rest: &str) -> (u32, &str) {
    if let Some(r) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = rest.strip_prefix("0o").or_else(|| rest.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = rest.strip_prefix("0b").or_else(|| rest.strip_prefix("0B")) {
        (2, r)
    } else {
        (10, rest)
    }
}

/// An integer that may be signed, as serde-saphyr reads one (`t` trimmed).
fn parse_signed(t: &str) -> Option<i128> {
    let (negative, rest) = match t.strip_prefix('+') {
        Some(r) => (false, r),
        None => match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        },
    };
    let (radix, ds) = radix(rest);
    if radix == 10 && ds.starts_with('0') && ds != "0" {
        return None;
    }
    let magnitude = digits(ds, radix)?;
    if negative {
        if magnitude == i128::MAX as u128 + 1 {
            Some(i128::MIN)
        } else {
            i128::try_from(magnitude).ok()?.checked_neg()
        }
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// A non-negative integer, as serde-saphyr reads one (`t` trimmed).
fn parse_unsigned(t: &str) -> Option<u128> {
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, ds) = radix(rest);
    if radix == 10 && ds.starts_with('0') && ds != "0" {
        return None;
    }
    digits(ds, radix)
}

/// A float as serde-saphyr's typeless reading takes one, a literal too
/// large for an `f64` included (as an infinity).
fn parse_float_incl_overflow(s: &str, tag: SfTag) -> Option<f64> {
    let t = yaml_trim(s);
    if tag == SfTag::Float && is_signed_nan(t) {
        return Some(f64::NAN);
    }
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        Ok(v)
            if v.is_infinite()
                && t.strip_prefix(['+', '-'])
                    .unwrap_or(t)
                    .as_bytes()
                    .first()
                    .is_some_and(u8::is_ascii_digit) =>
        {
            Some(v)
        }
        _ => None,
    }
}

fn base64_value(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// The bytes of a `!!binary` scalar.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let chunks = clean.len() / 4;
    let mut out = Vec::with_capacity(chunks * 3);
    for (idx, chunk) in clean.chunks_exact(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 0 && idx + 1 != chunks {
            return None;
        }
        let a = base64_value(chunk[0])?;
        let b = base64_value(chunk[1])?;
        let c = match chunk[2] {
            b'=' if pad < 2 => return None,
            b'=' => 0,
            x => base64_value(x)?,
        };
        let d = match chunk[3] {
            b'=' => 0,
            x => base64_value(x)?,
        };
        if (pad == 2 && b & 0x0F != 0) || (pad == 1 && c & 0x03 != 0) {
            return None;
        }
        let triple = (a << 18) | (b << 12) | (c << 6) | d;
        out.push(((triple >> 16) & 0xFF) as u8);
        if pad < 2 {
            out.push(((triple >> 8) & 0xFF) as u8);
        }
        if pad == 0 {
            out.push((triple & 0xFF) as u8);
        }
    }
    Some(out)
}

/// The limits the reader applies.
pub(super) struct Settings {
    pub(super) max_depth: usize,
    pub(super) max_nodes: usize,
    pub(super) max_aliases: usize,
    pub(super) max_scalar_bytes: usize,
}

/// Reads `text` (after a byte-order mark, which starts `shift` bytes into
/// the file) into a tree.
pub(super) fn read(
    text: &str,
    file: FileId,
    shift: usize,
    settings: &Settings,
) -> Result<Node, ReadError> {
    let mut options = gp::Options::default();
    // As serde-saphyr sets the parser up for these limits (see
    // `super::parse_yaml` on the flow bound).
    options.flow_nesting_limit = 4 * crate::json::MAX_NESTING;
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(settings.max_depth.saturating_add(1));
    options.emit_comments = false;
    let mut live = Live {
        parser: gp::Parser::with_options(gp::StrInput::new(text), options),
        budget: Budget {
            max_depth: settings.max_depth,
            max_nodes: settings.max_nodes,
            max_aliases: settings.max_aliases,
            max_scalar_bytes: settings.max_scalar_bytes,
            events: 0,
            aliases: 0,
            anchors: Vec::new(),
            anchor_count: 0,
            recorded_events: 0,
            recorded_bytes: 0,
            documents: 0,
            nodes: 0,
            scalar_bytes: 0,
            merge_keys: 0,
            containers: Vec::new(),
        },
        replaying: None,
        replayed: 0,
        anchors: Vec::new(),
        recording: Vec::new(),
        last: NOWHERE,
        produced: false,
    };
    let mut reader = Reader {
        text,
        file,
        shift,
        keys: Vec::new(),
        entries: Vec::new(),
        items: Vec::new(),
    };
    let start = live.last;
    let first = next_item(&mut live, start)?;
    let node = reader.node(&mut live, first)?;
    if let Some(next) = live.next()? {
        return Err(ReadError::at(ErrKind::MultipleDocuments, next.ev.loc));
    }
    live.budget
        .finish()
        .map_err(|b| ReadError::budget(b, live.last))?;
    Ok(node)
}
