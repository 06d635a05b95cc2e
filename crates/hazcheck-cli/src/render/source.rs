//! Safe handling of byte ranges and line lookups in source texts.
//!
//! Spans come from the library and are trusted to be sensible, but nothing
//! here relies on it: every offset is pulled inside the text and onto a
//! character boundary before it is used to slice anything or is handed to the
//! snippet renderer (which panics on a range that splits a character).

use std::collections::BTreeMap;
use std::ops::Range;

use hazcheck::span::{FileId, SourceMap};

/// Byte offsets at which each line of a text begins.
#[derive(Debug)]
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The zero-based line that contains `offset`. An offset just past a
    /// line break belongs to the following line.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// The byte offset where zero-based `line` begins (0 for a line that
    /// does not exist).
    pub(super) fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(0)
    }

    /// One-based line and one-based column, counted in characters, of a byte
    /// offset. Offsets outside the text or inside a character are moved back
    /// to the nearest boundary first.
    pub(super) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_boundary(text, offset);
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line + 1, column)
    }
}

/// The largest character boundary of `text` that is not after `i`.
pub(super) fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest character boundary of `text` that is not before `i` (or the
/// end of the text).
pub(super) fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Makes a byte range safe to use on `text`.
///
/// The result lies inside the text, starts and ends on character boundaries
/// and never runs backwards: a start in the middle of a character moves to
/// that character's first byte and an end moves past its last byte, so the
/// character is covered whole. A range whose end comes before its start
/// collapses to an empty range at the start. A line break at the very end of
/// a non-empty range is dropped, so that a span covering "the rest of the
/// line" does not spill onto the next one.
pub(super) fn clamp(text: &str, start: usize, end: usize) -> Range<usize> {
    let start = floor_boundary(text, start);
    let mut end = ceil_boundary(text, end.max(start));
    let bytes = text.as_bytes();
    if end > start && bytes.get(end - 1) == Some(&b'\n') {
        end -= 1;
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
    }
    start..end
}

/// A run of whole lines cut out of a file, so that the snippet renderer only
/// ever sees the part of the text around the annotations.
#[derive(Debug)]
pub(super) struct Window<'t> {
    /// The lines themselves, including the final line break if there is one.
    pub(super) source: &'t str,
    /// Byte offset of `source` within the whole text.
    pub(super) offset: usize,
    /// One-based number of the first line in `source`.
    pub(super) first_line: usize,
}

impl Window<'_> {
    /// Moves a range of the whole text (inside the window) to window
    /// coordinates.
    pub(super) fn local(&self, range: &Range<usize>) -> Range<usize> {
        let start = range
            .start
            .saturating_sub(self.offset)
            .min(self.source.len());
        let end = range
            .end
            .saturating_sub(self.offset)
            .clamp(start, self.source.len());
        start..end
    }
}

/// The smallest run of whole lines that contains bytes `lo..hi`; both must be
/// character boundaries of `text` with `lo <= hi` (as [`clamp`] gives).
pub(super) fn window<'t>(text: &'t str, lines: &LineIndex, lo: usize, hi: usize) -> Window<'t> {
    let first = lines.line_of(lo);
    let start = lines.line_start(first).min(lo);
    let end = match text.get(hi..).and_then(|rest| rest.find('\n')) {
        Some(i) => hi + i + 1,
        None => text.len(),
    };
    Window {
        source: text.get(start..end).unwrap_or(""),
        offset: start,
        first_line: first + 1,
    }
}

/// The texts of a [`SourceMap`] with their line indexes, built the first time
/// each file is asked for and then kept.
pub(super) struct Files<'s> {
    sources: &'s SourceMap,
    lines: BTreeMap<FileId, LineIndex>,
}

impl<'s> Files<'s> {
    pub(super) fn new(sources: &'s SourceMap) -> Files<'s> {
        Files {
            sources,
            lines: BTreeMap::new(),
        }
    }

    /// The display name of a file (`<unknown>` for an id not in the map).
    pub(super) fn name(&self, id: FileId) -> &'s str {
        self.sources.name(id)
    }

    /// The text of a file and its line index, or `None` for an unknown id.
    pub(super) fn get(&mut self, id: FileId) -> Option<(&'s str, &LineIndex)> {
        let text: &'s str = &self.sources.get(id)?.text;
        let lines = self.lines.entry(id).or_insert_with(|| LineIndex::new(text));
        Some((text, lines))
    }
}
