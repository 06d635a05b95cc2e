//! Source files and locations.
//!
//! Every ruleset, module and inspection that hazcheck reads is registered in a
//! [`SourceMap`] and gets a [`FileId`]. Locations are kept as byte ranges plus
//! the one-based line and column of their start, so that a diagnostic can be
//! rendered with a snippet and also printed as `file:line:column` without
//! re-reading the file.
//!
//! ```
//! use hazcheck::{Inspection, Limits, SourceMap};
//!
//! let mut sources = SourceMap::new();
//! let text = "ruleset: construction\ndate: 2025-03-10\nanswers:\n  pit.depth: 6.2\n";
//! let inspection = Inspection::parse(text, "site-7.yaml", &mut sources, &Limits::default())
//!     .map_err(|d| format!("{} problems", d.len()))?;
//!
//! // Each answer remembers where it was written.
//! let span = inspection.answers.get("pit.depth").ok_or("no answer")?.span;
//! assert_eq!(sources.name(span.file), "site-7.yaml");
//! assert_eq!((span.line, span.column), (4, 14));
//! assert_eq!(text.get(span.start..span.end), Some("6.2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use serde::Serialize;

/// Identifies one file registered in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct FileId(pub u32);

/// A location in a source file: a byte range and the line and column where it
/// starts (both one-based; the column counts characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// The file the span points into.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// One-based line of `start`; 0 when unknown.
    pub line: u32,
    /// One-based column (in characters) of `start`; 0 when unknown.
    pub column: u32,
}

impl Span {
    /// A span that points nowhere in particular in `file`.
    pub fn file_only(file: FileId) -> Span {
        Span {
            file,
            ..Span::default()
        }
    }

    /// Whether the span carries a line and column.
    pub fn is_located(&self) -> bool {
        self.line > 0
    }
}

/// One registered source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown to users: a path relative to where hazcheck was run, or
    /// `builtin:<path>` for embedded rulesets.
    pub name: String,
    /// The whole text of the file.
    pub text: Arc<str>,
}

/// The files read during one load, so that diagnostics can show snippets.
///
/// ```
/// use hazcheck::SourceMap;
///
/// let mut sources = SourceMap::new();
/// let file = sources.add("notes.yaml", "title: 护栏\nitem: guard.presnt\n");
/// assert_eq!(sources.name(file), "notes.yaml");
/// assert_eq!(sources.find("notes.yaml"), Some(file));
///
/// // Columns count characters: 护栏 is two columns and six bytes.
/// let offset = "title: 护栏".len();
/// assert_eq!(offset, 13);
/// assert_eq!(sources.line_col(file, offset), (1, 10));
/// let offset = "title: 护栏\nitem: ".len();
/// assert_eq!(sources.line_col(file, offset), (2, 7));
/// ```
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Registers a file and returns its id. Registering the same name twice
    /// gives two ids; callers that care look names up first.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    /// The file with this id, if it was registered here.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The name of a file, or `<unknown>`.
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |f| f.name.as_str())
    }

    /// The id of the file registered under `name`, if any.
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }

    /// All registered files in registration order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Computes the one-based line and column of a byte offset in a file,
    /// the column in characters. Used for spans that are built from byte
    /// offsets alone. An offset past the end counts as the end of the
    /// file; a file that is not registered gives `(0, 0)`.
    pub fn line_col(&self, id: FileId, offset: usize) -> (u32, u32) {
        let Some(file) = self.get(id) else {
            return (0, 0);
        };
        let text = &file.text;
        let offset = offset.min(text.len());
        let mut line = 1u32;
        let mut line_start = 0usize;
        for (i, b) in text.as_bytes().iter().enumerate().take(offset) {
            if *b == b'\n' {
                line += 1;
                line_start = i + 1;
            }
        }
        let column = text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column as u32)
    }
}
