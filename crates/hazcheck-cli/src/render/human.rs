//! Terminal output in the style of rustc and cargo, drawn by
//! `annotate-snippets`.

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet};
use hazcheck::diagnostic::{Diagnostic, Severity};
use hazcheck::span::{FileId, SourceMap, Span};

use super::source::{Files, clamp, window};

/// Renders diagnostics as annotated source snippets, one block per
/// diagnostic with a blank line between blocks.
///
/// Each block opens with a title such as ``error[E0202]: unknown item `x` ``
/// followed by the `--> file:line:column` of the primary span and the source
/// lines it covers. The primary label sits under the primary span; secondary
/// labels in the same file share its snippet, those in other files get a
/// snippet of their own, and the help text closes the block. A diagnostic
/// whose primary span has no line, or whose file is not in `sources`, gets
/// only its title and a `--> file` line.
///
/// With `color` the text carries ANSI styling; without it the text is plain.
/// The result ends with a line break unless `diags` is empty, in which case
/// it is empty. Spans that point outside their file, run backwards or split
/// a character are pulled back into range rather than trusted.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    render_all(diags, sources, color)
}

/// Shared by [`human`] and the JUnit output, which renders one file's
/// diagnostics at a time.
pub(super) fn render_all<'d>(
    diags: impl IntoIterator<Item = &'d Diagnostic>,
    sources: &SourceMap,
    color: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut files = Files::new(sources);
    let mut out = String::new();
    for diag in diags {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&render_one(diag, &mut files, &renderer));
        out.push('\n');
    }
    out
}

/// One annotation waiting to be placed in the snippet of its file.
struct Mark<'d> {
    span: Span,
    primary: bool,
    label: Option<&'d str>,
}

fn render_one(diag: &Diagnostic, files: &mut Files<'_>, renderer: &Renderer) -> String {
    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };

    // Sort the annotations by file, keeping the primary file first and the
    // others in the order they are first mentioned. Labels that cannot be
    // shown in a snippet become notes.
    let mut by_file: Vec<(FileId, Vec<Mark<'_>>)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let primary_shown = diag.span.is_located() && files.get(diag.span.file).is_some();
    if primary_shown {
        by_file.push((
            diag.span.file,
            vec![Mark {
                span: diag.span,
                primary: true,
                label: diag.label.as_deref(),
            }],
        ));
    }
    for secondary in &diag.secondary {
        let span = secondary.span;
        if span.is_located() && files.get(span.file).is_some() {
            let mark = Mark {
                span,
                primary: false,
                label: Some(secondary.message.as_str()),
            };
            match by_file.iter_mut().find(|(file, _)| *file == span.file) {
                Some((_, marks)) => marks.push(mark),
                None => by_file.push((span.file, vec![mark])),
            }
        } else {
            notes.push(format!("{}: {}", files.name(span.file), secondary.message));
        }
    }

    let mut elements: Vec<Element<'_>> = Vec::new();
    if !primary_shown {
        let mut origin = Origin::path(files.name(diag.span.file));
        if diag.span.is_located() {
            origin = origin.line(diag.span.line as usize);
            if diag.span.column > 0 {
                origin = origin.char_column(diag.span.column as usize);
            }
        }
        elements.push(origin.into());
        if let Some(label) = &diag.label {
            elements.push(Level::NOTE.message(label.as_str()).into());
        }
    }
    for (file, marks) in &by_file {
        let name = files.name(*file);
        let Some((text, lines)) = files.get(*file) else {
            continue;
        };
        let ranges: Vec<Range<usize>> = marks
            .iter()
            .map(|m| clamp(text, m.span.start, m.span.end))
            .collect();
        let lo = ranges.iter().map(|r| r.start).min().unwrap_or(0);
        let hi = ranges.iter().map(|r| r.end).max().unwrap_or(lo);
        let win = window(text, lines, lo, hi);
        let mut snippet = Snippet::source(win.source)
            .line_start(win.first_line)
            .path(name);
        for (mark, range) in marks.iter().zip(&ranges) {
            let kind = if mark.primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            snippet = snippet.annotation(kind.span(win.local(range)).label(mark.label));
        }
        elements.push(snippet.into());
    }
    for note in notes {
        elements.push(Level::NOTE.message(note).into());
    }
    if let Some(help) = &diag.help {
        elements.push(Level::HELP.message(help.as_str()).into());
    }

    let title = level
        .primary_title(diag.message.as_str())
        .id(diag.code.as_str());
    renderer.render(&[Group::with_title(title).elements(elements)])
}
