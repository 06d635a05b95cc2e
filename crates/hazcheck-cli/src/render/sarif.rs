//! SARIF 2.1.0 output, for code-scanning services.
//!
//! Only the parts of the format that hazcheck fills in are modelled here.
//! Optional fields that have nothing to say are left out rather than written
//! as `null`, which the SARIF schema would reject.

use std::collections::BTreeMap;

use hazcheck::diagnostic::{Code, Diagnostic, Severity};
use hazcheck::span::{SourceMap, Span};
use serde::Serialize;

use super::source::{Files, clamp};
use super::{code_description, to_pretty_json};

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
const TOOL_NAME: &str = "hazcheck";
const TOOL_URI: &str = "https://example.invalid/hazcheck";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    artifacts: Vec<Artifact>,
    results: Vec<SarifResult>,
    /// Span columns count characters, not UTF-16 units.
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Artifact {
    location: ArtifactUri,
    #[serde(skip_serializing_if = "Option::is_none")]
    length: Option<usize>,
}

#[derive(Serialize)]
struct ArtifactUri {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
    index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

/// Renders diagnostics as a SARIF 2.1.0 log with a single run.
///
/// The driver lists one rule per code that occurs, sorted by code; each
/// result points at its rule by id and index. Files that results point into
/// are listed as artifacts, sorted by URI. A region is given only for spans
/// that carry a line; its end is worked out from the span's end offset in the
/// source text. Columns count Unicode code points, as the run declares. The
/// text is pretty-printed, ends with a line break and depends only on the
/// input.
pub fn sarif(diags: &[Diagnostic], sources: &SourceMap, tool_version: &str) -> String {
    let mut files = Files::new(sources);

    let codes: BTreeMap<&'static str, Code> =
        diags.iter().map(|d| (d.code.as_str(), d.code)).collect();
    let rule_index: BTreeMap<&'static str, usize> =
        codes.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules = codes.values().map(|&code| rule(code)).collect();

    // Every file that a primary or secondary span points into, if it is known.
    let mut artifact_index: BTreeMap<String, (usize, Option<usize>)> = BTreeMap::new();
    for span in diags
        .iter()
        .flat_map(|d| std::iter::once(&d.span).chain(d.secondary.iter().map(|l| &l.span)))
    {
        if let Some(file) = sources.get(span.file) {
            artifact_index
                .entry(file_uri(&file.name))
                .or_insert((0, Some(file.text.len())));
        }
    }
    for (i, slot) in artifact_index.values_mut().enumerate() {
        slot.0 = i;
    }
    let artifacts = artifact_index
        .iter()
        .map(|(uri, &(_, length))| Artifact {
            location: ArtifactUri { uri: uri.clone() },
            length,
        })
        .collect();

    let mut results = Vec::with_capacity(diags.len());
    for diag in diags {
        let id = diag.code.as_str();
        let text = match &diag.help {
            Some(help) => format!("{} (help: {help})", diag.message),
            None => diag.message.clone(),
        };
        let locations = physical(diag.span, &mut files, &artifact_index)
            .map(|p| Location {
                id: None,
                physical_location: Some(p),
                message: None,
            })
            .into_iter()
            .collect();
        let related_locations = diag
            .secondary
            .iter()
            .enumerate()
            .map(|(i, label)| Location {
                id: Some(i),
                physical_location: physical(label.span, &mut files, &artifact_index),
                message: Some(Text {
                    text: label.message.clone(),
                }),
            })
            .collect();
        results.push(SarifResult {
            rule_id: id,
            rule_index: rule_index.get(id).copied().unwrap_or(0),
            level: level(diag.severity),
            message: Text { text },
            locations,
            related_locations,
        });
    }

    let log = Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: TOOL_NAME,
                    version: tool_version,
                    information_uri: TOOL_URI,
                    rules,
                },
            },
            artifacts,
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    to_pretty_json(&log)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: Code) -> Rule {
    Rule {
        id: code.as_str(),
        name: pascal_case(code.slug()),
        short_description: Text {
            text: code_description(code).to_string(),
        },
        default_configuration: Configuration {
            level: level(code.severity()),
        },
    }
}

/// `unknown-item` becomes `UnknownItem`.
fn pascal_case(slug: &str) -> String {
    slug.split(['-', '_'])
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars))
                .into_iter()
                .flatten()
        })
        .collect()
}

/// Where a span points, or `None` when its file is not in the map.
fn physical(
    span: Span,
    files: &mut Files<'_>,
    artifacts: &BTreeMap<String, (usize, Option<usize>)>,
) -> Option<PhysicalLocation> {
    let uri = file_uri(files.name(span.file));
    let (text, lines) = files.get(span.file)?;
    let index = artifacts.get(&uri).map_or(0, |&(i, _)| i);
    let region = (span.line > 0).then(|| {
        let start_line = span.line as usize;
        let start_column = (span.column > 0).then_some(span.column as usize);
        let range = clamp(text, span.start, span.end);
        let (end_line, end_column) = lines.line_col(text, range.end);
        // A span whose offsets disagree with its line and column could
        // produce an end before the start; such an end is left out.
        let (end_line, end_column) = match start_column {
            Some(start_column) if (end_line, end_column) >= (start_line, start_column) => {
                (Some(end_line), Some(end_column))
            }
            None if end_line >= start_line => (Some(end_line), None),
            _ => (None, None),
        };
        Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    });
    Some(PhysicalLocation {
        artifact_location: ArtifactLocation { uri, index },
        region,
    })
}

/// Turns a file name into a URI reference: backslashes become forward
/// slashes, absolute paths become `file:` URIs, and bytes that may not
/// appear in a URI path are percent-encoded. Names of embedded rulesets
/// (`builtin:...`) keep their scheme.
pub(super) fn file_uri(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("builtin:") {
        return format!("builtin:{}", percent_encode(rest));
    }
    let path = name.replace('\\', "/");
    let bytes = path.as_bytes();
    if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/' {
        // A Windows drive letter, as in `C:/rules/a.yaml`.
        let (drive, rest) = path.split_at(2);
        return format!("file:///{drive}{}", percent_encode(rest));
    }
    if path.starts_with("//") {
        return format!("file:{}", percent_encode(&path));
    }
    if path.starts_with('/') {
        return format!("file://{}", percent_encode(&path));
    }
    percent_encode(&path)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
