use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hazcheck::diagnostic::{Code, Diagnostic, Severity};
use hazcheck::span::{FileId, SourceMap, Span};
use proptest::prelude::*;
use serde_json::Value;

use super::sarif::file_uri;
use super::source::{LineIndex, clamp};
use super::*;

const RULESET: &str = "\
# 消防检查
name: 消防检查规则
items:
  - id: fire.extinguisher
    text: 灭火器是否在有效期内？
rules:
  - id: r1
    when: fire.extinguishr
";

const MODULE: &str = "items:\n  - id: fire.exit\n";

/// A span over the `nth` occurrence (0-based) of `needle`, located the same
/// way the library locates spans.
fn span_of(sources: &SourceMap, file: FileId, needle: &str, nth: usize) -> Span {
    let text = &sources.get(file).unwrap().text;
    let start = text.match_indices(needle).nth(nth).unwrap().0;
    span_at(sources, file, start, start + needle.len())
}

fn span_at(sources: &SourceMap, file: FileId, start: usize, end: usize) -> Span {
    let (line, column) = sources.line_col(file, start);
    Span {
        file,
        start,
        end,
        line,
        column,
    }
}

struct Fixture {
    sources: SourceMap,
    ruleset: FileId,
    module: FileId,
}

fn fixture() -> Fixture {
    let mut sources = SourceMap::new();
    let ruleset = sources.add("rulesets/fire.yaml", RULESET);
    let module = sources.add("rulesets/modules/exits.yaml", MODULE);
    Fixture {
        sources,
        ruleset,
        module,
    }
}

/// An error with a label, a help text and secondary labels in its own file
/// and in another one; a warning; a diagnostic without a location.
fn sample(fx: &Fixture) -> Vec<Diagnostic> {
    let s = &fx.sources;
    vec![
        Diagnostic::new(
            Code::UnknownItem,
            span_of(s, fx.ruleset, "fire.extinguishr", 0),
            "unknown item `fire.extinguishr`",
        )
        .with_label("no item has this id")
        .with_help("did you mean `fire.extinguisher`?")
        .with_secondary(
            span_of(s, fx.ruleset, "fire.extinguisher", 0),
            "similar item defined here",
        )
        .with_secondary(span_of(s, fx.module, "fire.exit", 0), "also similar"),
        Diagnostic::new(
            Code::MissingTranslation,
            span_of(s, fx.ruleset, "灭火器是否在有效期内？", 0),
            "text has no English version",
        )
        .with_label("Chinese only"),
        Diagnostic::new(
            Code::Io,
            Span::file_only(fx.module),
            "could not read the file",
        )
        .with_help("check that the file exists"),
    ]
}

fn schema_path() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The copy inside the repository comes first, so the test does not
    // depend on anything outside it; the shared reference copy is a fallback.
    let candidates = [
        manifest.join("../../tests/schemas/sarif-2.1.0.json"),
        manifest.join("../../../shared/reference/schemas/sarif-2.1.0.json"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| panic!("SARIF schema not found at {candidates:?}"))
}

fn sarif_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let text = std::fs::read_to_string(schema_path()).unwrap();
        let mut schema: Value = serde_json::from_str(&text).unwrap();
        // The published schema's pattern for the `language` properties (of
        // `run` and of `toolComponent`) has a stray `]`, a known erratum of
        // SARIF 2.1.0. It is not a valid ECMA-262 regular expression, so the
        // validator refuses the whole schema. Swap in the corrected pattern;
        // hazcheck never writes `language`, so no check that applies to our
        // output gets looser.
        for owner in ["run", "toolComponent"] {
            let pattern = &mut schema["definitions"][owner]["properties"]["language"]["pattern"];
            if pattern == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                *pattern = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
            }
        }
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

fn assert_valid_sarif(text: &str) -> Value {
    let value: Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate: {errors:#?}\n{text}"
    );
    value
}

// ---------------------------------------------------------------- human

#[test]
fn human_simple_error_exact() {
    let fx = fixture();
    let diag = Diagnostic::new(
        Code::UnknownItem,
        span_of(&fx.sources, fx.ruleset, "fire.extinguishr", 0),
        "unknown item `fire.extinguishr`",
    )
    .with_label("no item has this id")
    .with_help("did you mean `fire.extinguisher`?");
    let out = human(&[diag], &fx.sources, false);
    let expected = "\
error[E0202]: unknown item `fire.extinguishr`
 --> rulesets/fire.yaml:8:11
  |
8 |     when: fire.extinguishr
  |           ^^^^^^^^^^^^^^^^ no item has this id
  |
  = help: did you mean `fire.extinguisher`?
";
    assert_eq!(out, expected);
}

#[test]
fn human_line_and_column_count_characters() {
    let fx = fixture();
    let span = span_of(&fx.sources, fx.ruleset, "有效期", 0);
    assert_eq!((span.line, span.column), (5, 17));
    let diag = Diagnostic::new(Code::InvalidValue, span, "bad period");
    let out = human(&[diag], &fx.sources, false);
    let expected = "\
error[E0103]: bad period
 --> rulesets/fire.yaml:5:17
  |
5 |     text: 灭火器是否在有效期内？
  |                       ^^^^^^
";
    assert_eq!(out, expected);
}

#[test]
fn human_full_sample() {
    let fx = fixture();
    let out = human(&sample(&fx), &fx.sources, false);
    // Primary snippet with the same-file secondary label in it.
    assert!(
        out.contains(
            "error[E0202]: unknown item `fire.extinguishr`\n --> rulesets/fire.yaml:8:11\n"
        )
    );
    assert!(out.contains("^^^^^^^^^^^^^^^^ no item has this id"));
    assert!(out.contains("similar item defined here"));
    assert!(out.contains("4 |   - id: fire.extinguisher"));
    // The other file gets a snippet of its own.
    assert!(out.contains("::: rulesets/modules/exits.yaml:2:9"));
    assert!(out.contains("also similar"));
    assert!(out.contains("= help: did you mean `fire.extinguisher`?"));
    // The warning.
    assert!(
        out.contains("warning[W0402]: text has no English version\n --> rulesets/fire.yaml:5:11\n")
    );
    // The unlocated one: title and file, no snippet.
    assert!(out.ends_with(
        "\n\nerror[E0001]: could not read the file\n\
         --> rulesets/modules/exits.yaml\n \
         = help: check that the file exists\n"
    ));
    // Blocks are separated by one blank line, and the text ends with a newline.
    assert_eq!(
        out.matches("\n\nerror[").count() + out.matches("\n\nwarning[").count(),
        2
    );
    assert!(out.ends_with('\n') && !out.ends_with("\n\n"));
    assert!(!out.contains('\x1b'));
}

#[test]
fn human_unlocated_and_unknown_file() {
    let fx = fixture();
    let unlocated = Diagnostic::new(
        Code::Io,
        Span::file_only(fx.ruleset),
        "could not read the file",
    );
    let out = human(&[unlocated], &fx.sources, false);
    assert_eq!(
        out,
        "error[E0001]: could not read the file\n--> rulesets/fire.yaml\n"
    );

    let stray = Span {
        file: FileId(99),
        start: 3,
        end: 9,
        line: 4,
        column: 2,
    };
    let unknown = Diagnostic::new(Code::Syntax, stray, "bad YAML")
        .with_label("here")
        .with_secondary(stray, "and here");
    let out = human(&[unknown], &fx.sources, false);
    assert!(
        out.starts_with("error[E0002]: bad YAML\n--> <unknown>:4:2\n"),
        "{out}"
    );
    assert!(out.contains("note: here"));
    assert!(out.contains("note: <unknown>: and here"));
}

#[test]
fn human_zero_length_span_has_a_caret() {
    let fx = fixture();
    let at = RULESET.find("rules:").unwrap() + "rules:".len();
    let diag = Diagnostic::new(
        Code::MissingKey,
        span_at(&fx.sources, fx.ruleset, at, at),
        "missing key `id`",
    )
    .with_label("expected here");
    let out = human(&[diag], &fx.sources, false);
    assert!(out.contains(" --> rulesets/fire.yaml:6:7\n"), "{out}");
    assert!(
        out.contains("6 | rules:\n  |       ^ expected here\n"),
        "{out}"
    );
}

#[test]
fn human_span_inside_a_character_covers_it() {
    let fx = fixture();
    // One byte into 灭 up to one byte into 火: both characters are marked.
    let start = RULESET.find("灭").unwrap() + 1;
    let diag = Diagnostic::new(
        Code::InvalidValue,
        Span {
            file: fx.ruleset,
            start,
            end: start + 3,
            line: 5,
            column: 11,
        },
        "split",
    );
    let out = human(&[diag], &fx.sources, false);
    assert!(out.contains(" --> rulesets/fire.yaml:5:11\n"), "{out}");
    assert!(out.contains("  |           ^^^^\n"), "{out}");
}

#[test]
fn human_span_past_the_end_is_shown_at_the_end() {
    let fx = fixture();
    let diag = Diagnostic::new(
        Code::Syntax,
        Span {
            file: fx.ruleset,
            start: 10_000,
            end: 20_000,
            line: 99,
            column: 1,
        },
        "unexpected end of file",
    );
    let out = human(&[diag], &fx.sources, false);
    assert!(out.contains(" --> rulesets/fire.yaml:9:1\n"), "{out}");
}

#[test]
fn human_backwards_span_does_not_panic() {
    let fx = fixture();
    let start = RULESET.find("rules").unwrap();
    let diag = Diagnostic::new(
        Code::Syntax,
        Span {
            file: fx.ruleset,
            start,
            end: 2,
            line: 6,
            column: 1,
        },
        "backwards",
    );
    let out = human(&[diag], &fx.sources, false);
    assert!(out.contains(" --> rulesets/fire.yaml:6:1\n"), "{out}");
}

#[test]
fn human_color_is_styled_only_when_asked() {
    let fx = fixture();
    let diags = sample(&fx);
    assert!(human(&diags, &fx.sources, true).contains("\x1b["));
    assert!(!human(&diags, &fx.sources, false).contains("\x1b["));
}

#[test]
fn human_empty_input_is_empty() {
    assert_eq!(human(&[], &SourceMap::new(), false), "");
}

/// Text full of things that have tripped up renderers: characters of several
/// byte lengths, tabs, CRLF and bare CR, control and bidi characters, ZWJ
/// sequences, an empty line and no final newline.
const HOSTILE: &str =
    "名称: 消防\r\n\tkey:\u{1b}[31m \u{202e}abc\u{202c}\r\n\n👩\u{200d}🚒: é\0\u{7f}\rend 𝄞";

fn hostile_diag(file: FileId, start: usize, end: usize, line: u32) -> Diagnostic {
    let span = Span {
        file,
        start,
        end,
        line,
        column: 1,
    };
    Diagnostic::new(Code::Syntax, span, "hostile\nmessage \u{202e}")
        .with_label("label\twith\ttabs")
        .with_secondary(
            Span {
                start: end,
                end: start,
                ..span
            },
            "reversed",
        )
        .with_help("")
}

#[test]
fn hostile_spans_never_panic() {
    let mut sources = SourceMap::new();
    let file = sources.add("hostile.yaml", HOSTILE);
    let empty = sources.add("empty.yaml", "");
    let limit = HOSTILE.len() + 3;
    for start in 0..limit {
        for end in 0..limit {
            let diags = [
                hostile_diag(file, start, end, 1),
                hostile_diag(empty, start, end, 1),
            ];
            let out = human(&diags, &sources, false);
            assert!(out.contains("hostile.yaml:"), "{start}..{end}: {out}");
            let _ = human(&diags, &sources, true);
            let _ = junit(&diags, &sources, &[], false);
        }
    }
    let far = [hostile_diag(file, usize::MAX - 1, usize::MAX, u32::MAX)];
    let _ = human(&far, &sources, false);
    assert_valid_sarif(&sarif(&far, &sources, "0.0.0"));
}

#[test]
fn clamp_keeps_ranges_inside_and_on_boundaries() {
    for start in 0..HOSTILE.len() + 3 {
        for end in 0..HOSTILE.len() + 3 {
            let r = clamp(HOSTILE, start, end);
            assert!(r.start <= r.end && r.end <= HOSTILE.len());
            assert!(
                HOSTILE.get(r.clone()).is_some(),
                "{start}..{end} gave {r:?}"
            );
        }
    }
    assert_eq!(clamp("ab\n", 0, 3), 0..2);
    assert_eq!(clamp("ab\r\n", 0, 4), 0..2);
    assert_eq!(clamp("\n", 0, 1), 0..0);
    assert_eq!(clamp("灭", 1, 2), 0..3);
}

#[test]
fn line_index_matches_the_library() {
    let mut sources = SourceMap::new();
    let file = sources.add("f", RULESET);
    let lines = LineIndex::new(RULESET);
    for offset in (0..=RULESET.len()).filter(|&i| RULESET.is_char_boundary(i)) {
        let (line, column) = sources.line_col(file, offset);
        assert_eq!(
            lines.line_col(RULESET, offset),
            (line as usize, column as usize),
            "at {offset}"
        );
    }
}

// ---------------------------------------------------------------- summary

#[test]
fn summary_lines() {
    assert_eq!(summary(2, 1, 3), "checked 3 files: 2 errors, 1 warning");
    assert_eq!(summary(0, 0, 1), "checked 1 file: no problems");
    assert_eq!(summary(1, 0, 2), "checked 2 files: 1 error");
    assert_eq!(summary(0, 4, 1), "checked 1 file: 4 warnings");
    assert_eq!(summary(0, 0, 0), "checked 0 files: no problems");
}

#[test]
fn every_code_has_a_sentence() {
    for &code in Code::ALL {
        let text = code_description(code);
        assert!(text.ends_with('.') && text.len() > 20, "{code}: {text}");
    }
}

// ---------------------------------------------------------------- json

#[test]
fn json_document() {
    let fx = fixture();
    let diags = sample(&fx);
    let files = vec![
        "rulesets/fire.yaml".to_string(),
        "rulesets/modules/exits.yaml".to_string(),
    ];
    let text = json(&diags, &fx.sources, &files);
    assert!(text.ends_with("}\n"));
    assert_eq!(text, json(&diags, &fx.sources, &files));
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["files"], serde_json::json!(files));
    assert_eq!(value["errors"], 2);
    assert_eq!(value["warnings"], 1);
    let records = value["diagnostics"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["code"], "E0202");
    assert_eq!(records[0]["name"], "unknown-item");
    assert_eq!(records[0]["file"], "rulesets/fire.yaml");
    assert_eq!(records[0]["line"], 8);
    assert_eq!(records[0]["column"], 11);
    assert_eq!(records[1]["severity"], "warning");
    assert_eq!(records[2]["line"], 0);
    // The top-level keys come in a fixed order.
    let positions: Vec<usize> = ["version", "files", "errors", "warnings", "diagnostics"]
        .iter()
        .map(|k| text.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "{positions:?}");
}

#[test]
fn json_empty() {
    let value: Value = serde_json::from_str(&json(&[], &SourceMap::new(), &[])).unwrap();
    assert_eq!(value["errors"], 0);
    assert_eq!(value["diagnostics"], serde_json::json!([]));
}

// ---------------------------------------------------------------- sarif

#[test]
fn sarif_validates_against_the_schema() {
    let fx = fixture();
    let diags = sample(&fx);
    let text = sarif(&diags, &fx.sources, "0.1.0");
    assert!(text.ends_with("}\n"));
    assert_eq!(text, sarif(&diags, &fx.sources, "0.1.0"));
    let log = assert_valid_sarif(&text);

    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "hazcheck");
    assert_eq!(run["tool"]["driver"]["version"], "0.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");

    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["E0001", "E0202", "W0402"]);
    assert_eq!(rules[1]["name"], "UnknownItem");
    assert_eq!(
        rules[1]["shortDescription"]["text"],
        code_description(Code::UnknownItem)
    );
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "warning");

    let artifacts: Vec<&str> = run["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["location"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        artifacts,
        ["rulesets/fire.yaml", "rulesets/modules/exits.yaml"]
    );

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let first = &results[0];
    assert_eq!(first["level"], "error");
    assert_eq!(
        first["message"]["text"],
        "unknown item `fire.extinguishr` (help: did you mean `fire.extinguisher`?)"
    );
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "rulesets/fire.yaml");
    assert_eq!(location["artifactLocation"]["index"], 0);
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 8, "startColumn": 11, "endLine": 8, "endColumn": 27})
    );
    assert_eq!(first["relatedLocations"].as_array().unwrap().len(), 2);
    assert_eq!(
        first["relatedLocations"][1]["physicalLocation"]["artifactLocation"]["index"],
        1
    );

    // Columns count characters: the Chinese text runs from column 11 to 22.
    let warning = &results[1]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(warning["startColumn"], 11);
    assert_eq!(warning["endColumn"], 22);
    assert_eq!(results[1]["level"], "warning");

    // The unlocated diagnostic names its file but has no region.
    let io = &results[2]["locations"][0]["physicalLocation"];
    assert_eq!(io["artifactLocation"]["uri"], "rulesets/modules/exits.yaml");
    assert!(io.get("region").is_none());
}

#[test]
fn sarif_schema_check_is_real() {
    // A region with line 0 breaks the schema; the validator must notice.
    let fx = fixture();
    let text = sarif(&sample(&fx), &fx.sources, "0.1.0");
    let broken = text.replacen("\"startLine\": 8", "\"startLine\": 0", 1);
    assert_ne!(broken, text);
    let value: Value = serde_json::from_str(&broken).unwrap();
    assert!(!sarif_validator().is_valid(&value));
}

#[test]
fn sarif_edge_cases_validate() {
    let mut sources = SourceMap::new();
    let file = sources.add("规则 集\\子目录\\a b.yaml", "a: 1\n");
    let builtin = sources.add("builtin:rulesets/fire.yaml", "a: 1\n");
    let diags = vec![
        Diagnostic::new(
            Code::Syntax,
            Span {
                file: FileId(7),
                start: 0,
                end: 1,
                line: 1,
                column: 1,
            },
            "stray",
        ),
        Diagnostic::new(
            Code::Syntax,
            Span {
                file,
                start: 3,
                end: 0,
                line: 1,
                column: 4,
            },
            "backwards",
        ),
        Diagnostic::new(
            Code::Syntax,
            Span {
                file,
                start: 0,
                end: 1,
                line: 1,
                column: 0,
            },
            "no column",
        ),
        Diagnostic::new(
            Code::Syntax,
            Span {
                file: builtin,
                start: 9,
                end: 99,
                line: 5,
                column: 1,
            },
            "far",
        ),
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::new(Code::UnusedItem, Span::file_only(file), "demoted")
        },
    ];
    let log = assert_valid_sarif(&sarif(&diags, &sources, ""));
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results[0].get("locations").is_none());
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "%E8%A7%84%E5%88%99%20%E9%9B%86/%E5%AD%90%E7%9B%AE%E5%BD%95/a%20b.yaml"
    );
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 1, "endLine": 1})
    );
    assert_eq!(
        results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "builtin:rulesets/fire.yaml"
    );
    assert_eq!(results[4]["level"], "warning");
    assert_valid_sarif(&sarif(&[], &sources, "1.0.0"));
}

#[test]
fn file_uris() {
    assert_eq!(file_uri("rulesets/a.yaml"), "rulesets/a.yaml");
    assert_eq!(file_uri("rulesets\\a.yaml"), "rulesets/a.yaml");
    assert_eq!(file_uri("builtin:gb/fire.yaml"), "builtin:gb/fire.yaml");
    assert_eq!(file_uri("/srv/a.yaml"), "file:///srv/a.yaml");
    assert_eq!(file_uri("C:\\rules\\a.yaml"), "file:///C:/rules/a.yaml");
    assert_eq!(file_uri("a:b.yaml"), "a%3Ab.yaml");
    assert_eq!(file_uri("<unknown>"), "%3Cunknown%3E");
}

// ---------------------------------------------------------------- junit

#[test]
fn junit_report() {
    let fx = fixture();
    let mut diags = sample(&fx);
    // A second error in the ruleset, and a warning in a third, clean file.
    diags.push(Diagnostic::new(
        Code::DuplicateId,
        span_of(&fx.sources, fx.ruleset, "r1", 0),
        "duplicate rule id `r1`",
    ));
    let mut sources = fx.sources.clone();
    let clean = sources.add("rulesets/clean.yaml", "name: ok\n");
    let warned = sources.add("rulesets/warned.yaml", "name: 好\n");
    diags.push(Diagnostic::new(
        Code::UnusedItem,
        span_at(&sources, warned, 0, 4),
        "item `name` is never read",
    ));
    let _ = clean;
    let files: Vec<String> = [
        "rulesets/fire.yaml",
        "rulesets/clean.yaml",
        "rulesets/warned.yaml",
        "rulesets/fire.yaml",
    ]
    .map(String::from)
    .to_vec();

    let xml = junit(&diags, &sources, &files, false);
    assert_eq!(xml, junit(&diags, &sources, &files, false));
    assert!(!xml.contains("timestamp") && !xml.contains("hostname") && !xml.contains("time="));

    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("hazcheck check"));

    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    // Checked files first (duplicates dropped), then the module that only
    // turned up through a diagnostic.
    assert_eq!(
        names,
        [
            "rulesets/fire.yaml",
            "rulesets/clean.yaml",
            "rulesets/warned.yaml",
            "rulesets/modules/exits.yaml"
        ]
    );
    assert!(
        cases
            .iter()
            .all(|c| c.attribute("classname") == Some("hazcheck.check"))
    );
    assert_eq!(suite.attribute("tests"), Some("4"));

    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(suite.attribute("failures"), Some("2"));
    assert_eq!(doc.root_element().attribute("failures"), Some("2"));

    let fire = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(fire.attribute("message"), Some("2 errors"));
    let text = fire.text().unwrap();
    assert!(text.contains("error[E0202]: unknown item `fire.extinguishr`"));
    assert!(text.contains("warning[W0402]"));
    assert!(text.contains("error[E0201]"));
    assert!(
        !text.contains("E0001"),
        "diagnostics of other files stay out"
    );

    let exits = cases[3]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(exits.attribute("message"), Some("1 error"));

    assert!(
        cases[1].children().all(|n| !n.is_element()),
        "a clean file has no children"
    );
    let warned_case = cases[2];
    assert!(warned_case.children().all(|n| !n.has_tag_name("failure")));
    let out = warned_case
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(
        out.text()
            .unwrap()
            .contains("warning[W0401]: item `name` is never read")
    );
}

#[test]
fn junit_fails_warnings_when_they_are_denied() {
    let mut sources = SourceMap::new();
    let warned = sources.add("rulesets/warned.yaml", "name: 好\n");
    let both = sources.add("rulesets/both.yaml", "name: 好\n");
    let diags = vec![
        Diagnostic::new(
            Code::UnusedItem,
            span_at(&sources, warned, 0, 4),
            "item `name` is never read",
        ),
        Diagnostic::new(
            Code::UnknownItem,
            span_at(&sources, both, 0, 4),
            "unknown item `x`",
        ),
        Diagnostic::new(
            Code::MissingTranslation,
            span_at(&sources, both, 6, 9),
            "no English text",
        ),
    ];
    let files = vec![
        "rulesets/warned.yaml".to_string(),
        "rulesets/both.yaml".to_string(),
    ];
    let messages = |deny| {
        let xml = junit(&diags, &sources, &files, deny);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let failures: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .map(|n| n.attribute("message").unwrap_or_default().to_string())
            .collect();
        let total = doc.root_element().attribute("failures").map(String::from);
        (failures, total)
    };
    assert_eq!(
        messages(false),
        (vec!["1 error".to_string()], Some("1".to_string()))
    );
    assert_eq!(
        messages(true),
        (
            vec![
                "1 warning (--deny-warnings)".to_string(),
                "1 error, 1 warning (--deny-warnings)".to_string()
            ],
            Some("2".to_string())
        )
    );
}

#[test]
fn junit_without_problems() {
    let files = vec!["a.yaml".to_string()];
    let xml = junit(&[], &SourceMap::new(), &files, false);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        1
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );
}

// ---------------------------------------------------------------- fuzzing

fn arb_span(files: u32) -> impl Strategy<Value = Span> {
    (0..files + 1, 0usize..300, 0usize..300, 0u32..12, 0u32..40).prop_map(
        |(file, start, end, line, column)| Span {
            file: FileId(file),
            start,
            end,
            line,
            column,
        },
    )
}

fn arb_diag(files: u32) -> impl Strategy<Value = Diagnostic> {
    (
        prop::sample::select(Code::ALL),
        any::<bool>(),
        arb_span(files),
        ".{0,20}",
        prop::option::of(".{0,20}"),
        prop::collection::vec((arb_span(files), ".{0,10}"), 0..3),
        prop::option::of(".{0,20}"),
    )
        .prop_map(|(code, warn, span, message, label, secondary, help)| {
            let mut diag = Diagnostic::new(code, span, message);
            diag.severity = if warn {
                Severity::Warning
            } else {
                Severity::Error
            };
            diag.label = label;
            diag.help = help;
            for (span, message) in secondary {
                diag = diag.with_secondary(span, message);
            }
            diag
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_input_renders(
        texts in prop::collection::vec("(.|\n|\r|\t|灭火器|👩\u{200d}🚒){0,80}", 1..3),
        diags in prop::collection::vec(arb_diag(3), 0..5),
    ) {
        let mut sources = SourceMap::new();
        let mut files = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let name = format!("f{i}.yaml");
            sources.add(name.clone(), text.as_str());
            files.push(name);
        }
        let plain = human(&diags, &sources, false);
        prop_assert_eq!(plain.is_empty(), diags.is_empty());
        let _ = human(&diags, &sources, true);
        let value: Value = serde_json::from_str(&json(&diags, &sources, &files)).unwrap();
        prop_assert_eq!(value["diagnostics"].as_array().unwrap().len(), diags.len());
        assert_valid_sarif(&sarif(&diags, &sources, "0.1.0"));
        let xml = junit(&diags, &sources, &files, false);
        prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{}", xml);
    }
}
