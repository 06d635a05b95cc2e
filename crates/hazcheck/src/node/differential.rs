//! The reader against the oracle (serde-saphyr's serde path, as the tree
//! was read before): every YAML file of the repository, cut and altered,
//! and generated texts, must give the same tree or the same diagnostic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::{Node, ParseLimits, oracle, parse_with, read};
use crate::diagnostic::Diagnostic;
use crate::span::FileId;

fn both(text: &str, limits: &ParseLimits) -> (Result<Node, Diagnostic>, Result<Node, Diagnostic>) {
    let new = parse_with(text, FileId(3), limits, read);
    // The serde path takes about 40 KiB of stack per level in a debug
    // build and 5 KiB in a release build, far more than the reader the
    // library's allowance is sized for: it reads on a thread of its own
    // (inside it, the library's own stack check runs inline).
    let level = if cfg!(debug_assertions) {
        48 << 10
    } else {
        8 << 10
    };
    let depth = limits.max_depth.min(crate::json::MAX_NESTING);
    let old = crate::limits::with_stack((256 << 10) + depth * level, || {
        parse_with(text, FileId(3), limits, oracle::read)
    })
    .expect("a thread for the oracle");
    (new, old)
}

/// Fails with both answers when they differ.
fn same(text: &str, limits: &ParseLimits) -> Result<(), String> {
    let (new, old) = both(text, limits);
    if new == old {
        Ok(())
    } else {
        Err(format!(
            "the readers differ on {text:?} (depth {}, nodes {}, aliases {}, bytes {})\n\
             new: {new:#?}\nold: {old:#?}",
            limits.max_depth, limits.max_nodes, limits.max_aliases, limits.max_bytes
        ))
    }
}

fn check(text: &str, limits: &ParseLimits) {
    if let Err(e) = same(text, limits) {
        panic!("{e}");
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file the project reads as YAML or JSON, the fuzz corpora included.
fn inputs() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, fuzz: bool, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    let fuzz = fuzz || name == "corpus" || name == "regressions";
                    walk(&path, fuzz, out);
                }
            } else if fuzz
                || ["yaml", "yml", "json", "ndjson"]
                    .iter()
                    .any(|x| path.extension().is_some_and(|e| e == *x))
            {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root(), false, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some((p, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect()
}

fn limits(depth: usize, nodes: usize, aliases: usize, bytes: usize) -> ParseLimits {
    ParseLimits {
        max_bytes: bytes,
        max_depth: depth,
        max_nodes: nodes,
        max_aliases: aliases,
        bytes_flag: "--max-ruleset-bytes",
    }
}

/// Char boundaries spread over `text`.
fn cuts(text: &str, n: usize) -> Vec<usize> {
    let mut out: Vec<usize> = (1..n)
        .map(|i| {
            let mut at = text.len() * i / n;
            while !text.is_char_boundary(at) {
                at += 1;
            }
            at
        })
        .collect();
    out.dedup();
    out
}

#[test]
fn every_yaml_file_of_the_repository_reads_the_same() {
    let files = inputs();
    assert!(files.len() > 200, "only {} files found", files.len());
    let mut checked = 0;
    for (path, text) in &files {
        let big = text.len().max(1) * 4;
        // As shipped, then with limits that the file breaks (which stops
        // the reading early).
        let variants = [
            limits(256, 250_000, 1_000, big),
            limits(3, 250_000, 1_000, big),
            limits(48, 40, 1_000, big),
            limits(48, 250_000, 1, big),
            limits(48, 250_000, 1_000, text.len() / 4 + 1),
        ];
        for l in &variants {
            if let Err(e) = same(text, l) {
                panic!("{}: {e}", path.display());
            }
            checked += 1;
        }
        // Cut short anywhere, the text breaks in all sorts of places.
        let n = if text.len() > 20_000 { 16 } else { 8 };
        for at in cuts(text, n) {
            if let Err(e) = same(&text[..at], &variants[0]) {
                panic!("{} cut at {at}: {e}", path.display());
            }
            checked += 1;
        }
        // A line removed or doubled shifts indentation and structure.
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for i in (0..lines.len()).step_by((lines.len() / 3).max(1)) {
            let removed: String = lines
                .iter()
                .enumerate()
                .filter_map(|(j, l)| (j != i).then_some(*l))
                .collect();
            let doubled: String = lines
                .iter()
                .enumerate()
                .flat_map(|(j, l)| std::iter::repeat_n(*l, if j == i { 2 } else { 1 }))
                .collect();
            for t in [removed, doubled] {
                if let Err(e) = same(&t, &variants[0]) {
                    panic!("{} line {i} changed: {e}", path.display());
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 3_000, "{checked}");
}

/// Texts that reach the corners: tags, anchors, merge keys, numbers at
/// every edge, budget limits.
#[test]
fn corner_cases_read_the_same() {
    let texts = [
        "a: 1\n",
        "...\n",
        "---\n",
        "--- a\n--- b\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "a: 1\n--- [\n",
        "%YAML 1.2\n---\na: 1\n",
        "%YAML 1.2\n",
        "a: &x 1\nb: *x\n",
        "a: &x [1, 2]\nb: *x\nc: *x\n",
        "a: &x {k: 1e999, n: 99999999999999999999, f: 1.5}\nb: *x\n",
        "a: &x 99999999999999999999\nb: *x\n",
        "a: &x .nan\nb: [*x, *x]\n",
        "a: &x -.inf\nb: {c: *x}\n",
        "a: *y\n",
        "a: &x [*x]\n",
        "a: &x {b: *x}\n",
        "&x [a, *x]\n",
        "? &x [a, *x]\n: 1\n",
        "{&k [a]: 1, *k : 2}\n",
        "{&k a: 1, *k : 2}\n",
        "a: 1\na: 2\n",
        "{1: a, 0x1: b}\n",
        "{0X1F: a, 31: b}\n",
        "{01: a, 1: b}\n",
        "{true: a, \"true\": b}\n",
        "{1: a, \"1\": b}\n",
        "{null: a, ~: b}\n",
        "{null: a, null: b}\n",
        "{: a, : b}\n",
        "{[a, b]: 1, [a, b]: 2}\n",
        "{{a: 1, b: 2}: x, {b: 2, a: 1}: y}\n",
        "{!foo a: 1, !bar a: 2}\n",
        "{!foo a: 1, !foo a: 2}\n",
        "{!!str a: 1, a: 2}\n",
        "{!!int 1: a, 1: b}\n",
        "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
        "base: &b {x: 1}\nd: {<<: [*b, {x: 2, z: 3}], w: 0}\n",
        "d: {<<: {a: 1, a: 2}}\n",
        "d: {<<: 5}\n",
        "d: {<<: ~}\n",
        "d: {<<: [~, {a: 1}]}\n",
        "d: {<<: [5]}\n",
        "d: {<<: [[{a: 1}]]}\n",
        "d: {<<: {<<: {a: 1}, b: 2}, c: 3}\n",
        "d: {<<: {<<: 5}}\n",
        "d: {'<<': 1}\n",
        "d: {!!merge <<: {a: 1}}\n",
        "d: {<<: &m {a: {x: 1, x: 2}}, e: *m}\n",
        "d: {<<: &m {a: !!int x}, e: *m}\n",
        "d: {<<: {a: !!int x}}\n",
        "d: {<<: {a: 1}, a: 2}\n",
        "d: {a: 2, <<: {a: 1, b: 1}, <<: {b: 2, c: 2}}\n",
        "&a {<<: *a}\n",
        "&a {x: {<<: *a}}\n",
        "&a {x: {<<: [*a]}}\n",
        "a: !!str 5\nb: !!int 5\nc: !!int -5\nd: !!float 5\ne: !!bool true\nf: !!null x\n",
        "a: !!int x\n",
        "a: !!int -x\n",
        "a: !!int 18446744073709551615\n",
        "a: !!int 18446744073709551616\n",
        "a: !!float x\n",
        "a: !!float -.nan\n",
        "a: !!bool yes\n",
        "a: !!seq x\n",
        "a: !!map [1]\n",
        "a: !!str [1]\n",
        "a: !include [1]\n",
        "a: !include x\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!binary ####\n",
        "a: !!binary //8=\n",
        "a: !!timestamp 2020-01-01\n",
        "a: !!time 5\n",
        "a: !foo 5\n",
        "a: !int 5\n",
        "a: ! 5\n",
        "a: !<tag:yaml.org,2002:str> 5\n",
        "%TAG !e! tag:example.com,2000:\n---\na: !e!x 5\n",
        "%TAG !m! tag:yaml.org,2002:i\n---\na: !m!nt 5\n",
        "a: !!merge 5\n",
        "a: !!value 5\n",
        "[null, Null, NULL, ~, '', true, True, TRUE, false, yes, no, on, y, n]\n",
        "[0, -0, +5, 007, -007, 0x1F, 0X1F, 0o17, 0O17, 0b101, 0B1, 1_000, 1__0, _1, 1_]\n",
        "[9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809]\n",
        "[18446744073709551615, 18446744073709551616, 340282366920938463463374607431768211456]\n",
        "[0xFFFFFFFFFFFFFFFF, 0x1FFFFFFFFFFFFFFFF, -0x8000000000000000, 0x8000000000000000]\n",
        "[1.5, -2.5e3, .5, 5., 1e999, -1e999, 1e5, 0.1, 1E-3, +1.0, 00.5, 01e2]\n",
        "[.inf, -.Inf, +.INF, .nan, .NaN, +.nan, -.nan, inf, nan, Infinity, -inf]\n",
        "['quoted', \"dq\", \"esc\\n\\t\\u00e9\", 'it''s', \"a\\\"b\", \"\\x01\"]\n",
        "a: |\n  line\n  two\nb: >\n  folded\n  text\nc: |-\n  x\n",
        "a: \"\\u2028\"\n\"\\u0007\": 1\n\"\\u0007\": 2\n",
        "a:\n\t- 1\n",
        "a:\n  b: 1\n\tc: 2\n",
        "a: 1\n\tb: 2\n",
        "\u{feff}a: 1\n",
        "\u{feff}a: [\n",
        "a: \"\u{feff}\"\n",
        "a: b: c\n",
        "- a\nb: 1\n",
        "[a, b\n",
        "{a: 1\n",
        "a: 'x\n",
        "a: \"x\n",
        "a:\n  - b\n  c\n",
        "? a\n? b\n",
        "? [a, b]\n: c\n",
        "? {a: 1}\n: c\n? {a: 1}\n: d\n",
        "[[[[[[1]]]]]]\n",
        "a: {b: {c: {d: {e: 1}}}}\n",
        "中文: 值\n键: [一, 二]\n",
        "a: 1 # comment\n# b\nc: 2\n",
        "a: @x\n",
        "a: `x\n",
        "a: %x\n",
        "&a a: 1\n",
        "a: &a\nb: *a\n",
        "a: &a ~\nb: {<<: *a}\n",
        "a: &a\n  - 1\nb: *a\n",
        "- &a\n- *a\n",
        "a: *a\n",
        "&a [&b 1, *b]\n",
        "a: &a &b 1\n",
        "a: !!str &a 1\nb: *a\n",
        "a: &a !!int 1\nb: *a\n",
        "a: &a !!str {b: 1}\n",
        "x: &a !!binary aGk=\ny: *a\n",
        "x: &a !!float 5\ny: *a\n",
        "x: &a 1e999\ny: *a\n",
        "a: &a {p: 1}\nb: &b [*a, {q: 2}]\nc: {<<: [{<<: *b, r: 3}, {<<: [*a]}], s: 4}\n",
        "a: &a [{p: 1}, {p: 2, q: 3}]\nc: {<<: *a}\n",
        "a: &a {p: [1, {<<: {z: 9}}]}\nc: {<<: *a, p: 0}\nd: {<<: {k: {<<: *a}}}\n",
        "c: {<<: {<<: [{a: 1}, {a: 2, b: 2}], b: 3}}\n",
        "c: {<<: {<<: [{a: 1}, 5]}}\n",
        "c: {<<: [{a: 1}, [{b: 2}, {a: 3}]]}\n",
        "c: {<<: {x: 1}, <<: {x: 2}, <<: {y: 3}}\n",
        "c: {<<: {x: 1, x: 2}, x: 3}\n",
        "c: {<<: {[k]: 1}, [k]: 2}\n",
        "c: {<<: {{a: 1}: 1}, {a: 1}: 2}\n",
        "? {<<: {a: 1}, b: 2}\n: v\n? {a: 1, b: 2}\n: w\n",
        "c: {<<: {a: !!int x}, a: 1}\n",
        "c: {<<: {a: {b: 1, b: 2}}, a: 1}\n",
        "&r c: {<<: {a: *r}}\n",
        "c: &r {<<: {a: [*r]}}\n",
        "c: &r {<<: [{a: 1}, *r]}\n",
        "c: &r {x: {<<: {a: {b: *r}}}}\n",
        "a: &a {<<: {p: 1}, q: 2}\nb: {<<: *a}\n",
        "- &m {a: 1}\n- <<: *m\n  b: 2\n- <<: [*m, {c: 3}]\n",
        "a: &s [1]\nb: {<<: *s}\n",
        "a: &s x\nb: {<<: [*s]}\n",
        "b: {<<: [!!null x, {a: 1}]}\n",
        "b: {<<: !!map {a: 1}}\n",
        "b: {<<: !foo {a: 1}}\n",
        "b: {!!str <<: 1}\n",
        "b: {!!merge <<: [{a: 1}]}\n",
    ];
    let variants = [
        ParseLimits::default(),
        limits(2, 250_000, 1_000, 4 << 20),
        limits(48, 6, 1_000, 4 << 20),
        limits(48, 250_000, 1, 4 << 20),
        limits(48, 250_000, 1_000, 40),
    ];
    for text in texts {
        for l in &variants {
            check(text, l);
        }
    }
}

/// Aliases against the budget: many uses of few anchors (serde-saphyr's
/// ratio check at the end), alias bombs, replays counted as nodes and
/// bytes.
#[test]
fn alias_budgets_read_the_same() {
    let many = |n: usize| {
        let mut t = String::from("a: &x [1, 2]\nb:\n");
        for _ in 0..n {
            t.push_str("  - *x\n");
        }
        t
    };
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    let long = format!("a: &s {}\nb: [*s, *s, *s]\n", "x".repeat(100));
    // Deeper, and with the node limit raised, the event count and the
    // copies kept for anchors break first.
    let deeper = format!(
        "{bomb}f: &f [*d, *d, *d, *d, *d, *d, *d, *d, *d]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n\
         h: [*g, *g]\n"
    );
    for l in [
        limits(48, 50_000_000, 1_000, 4 << 20),
        limits(48, 600_000, 1_000, 4 << 20),
    ] {
        check(&deeper, &l);
    }
    // An event inside nested anchors is kept once for each of them.
    let nested = |levels: usize, inner: &str| {
        let open: String = (0..levels).map(|i| format!("&n{i} [")).collect();
        format!("a: {open}{inner}{}\n", "]".repeat(levels))
    };
    let scalars = vec!["x"; 60_000].join(", ");
    let owned = format!("\"{}\\n\"", "y".repeat(1 << 20));
    for text in [nested(20, &scalars), nested(70, &owned), nested(60, &owned)] {
        check(&text, &limits(100, 250_000, 1_000, 4 << 20));
    }
    for text in [
        many(99),
        many(100),
        many(101),
        many(200),
        bomb.to_string(),
        long,
    ] {
        for l in [
            ParseLimits::default(),
            limits(48, 250_000, 150, 4 << 20),
            limits(48, 2_000, 1_000, 4 << 20),
            limits(48, 250_000, 1_000, 200),
            limits(3, 250_000, 1_000, 4 << 20),
        ] {
            check(&text, &l);
        }
    }
}

#[test]
fn deep_nesting_reads_the_same() {
    for levels in [47, 48, 49, 255, 256, 257, 300] {
        let flow = format!("a: {}{}\n", "[".repeat(levels), "]".repeat(levels));
        let block: String = (0..levels)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect();
        let seqs: String = (0..levels)
            .map(|i| format!("{}-\n", "  ".repeat(i)))
            .collect();
        for depth in [48, 256] {
            let l = limits(depth, 250_000, 1_000, 4 << 20);
            check(&flow, &l);
            check(&block, &l);
            check(&seqs, &l);
        }
    }
}

/// A generated document, rendered in block or flow style.
#[derive(Clone, Debug)]
enum Gen {
    Scalar(&'static str),
    Alias(u8),
    Seq(Vec<Gen>, bool),
    Map(Vec<(Gen, Gen)>, bool),
    Anchor(u8, Box<Gen>),
    Tag(&'static str, Box<Gen>),
}

const SCALARS: &[&str] = &[
    "a",
    "b",
    "key",
    "<<",
    "~",
    "null",
    "Null",
    "",
    "true",
    "True",
    "FALSE",
    "yes",
    "no",
    "on",
    "y",
    "n",
    "0",
    "-0",
    "+5",
    "007",
    "-007",
    "0x1F",
    "0X1F",
    "0o17",
    "0b101",
    "1_000",
    "1__0",
    "_1",
    "12345678901234567890",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "1.5",
    "-2.5e3",
    ".5",
    "5.",
    "1e999",
    ".inf",
    "-.Inf",
    ".nan",
    "+.nan",
    "inf",
    "nan",
    "'q'",
    "\"dq\"",
    "\"e\\n\\u00e9\"",
    "'it''s'",
    "中文",
    "é x",
    "a b",
    "\"<<\"",
    "'1'",
    "\"true\"",
    "\"\"",
    "''",
    "\"\\t\"",
];

const TAGS: &[&str] = &[
    "!!str",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!seq",
    "!!map",
    "!foo",
    "!",
    "!!binary",
    "!!merge",
    "!!timestamp",
];

/// A mapping key: often a merge key.
fn key(inner: impl Strategy<Value = Gen> + Clone) -> impl Strategy<Value = Gen> {
    prop_oneof![5 => inner, 1 => Just(Gen::Scalar("<<"))]
}

fn gen_tree() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        6 => proptest::sample::select(SCALARS).prop_map(Gen::Scalar),
        1 => (0u8..4).prop_map(Gen::Alias),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            3 => (proptest::collection::vec(inner.clone(), 0..5), any::<bool>())
                .prop_map(|(v, f)| Gen::Seq(v, f)),
            4 => (proptest::collection::vec((key(inner.clone()), inner.clone()), 0..5), any::<bool>())
                .prop_map(|(v, f)| Gen::Map(v, f)),
            1 => (0u8..4, inner.clone()).prop_map(|(a, g)| Gen::Anchor(a, Box::new(g))),
            1 => (proptest::sample::select(TAGS), inner).prop_map(|(t, g)| Gen::Tag(t, Box::new(g))),
        ]
    })
}

fn flow(g: &Gen, out: &mut String) {
    match g {
        Gen::Scalar(s) => out.push_str(s),
        Gen::Alias(a) => {
            out.push_str(&format!("*a{a}"));
        }
        Gen::Anchor(a, g) => {
            out.push_str(&format!("&a{a} "));
            flow(g, out);
        }
        Gen::Tag(t, g) => {
            out.push_str(t);
            out.push(' ');
            flow(g, out);
        }
        Gen::Seq(items, _) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(item, out);
            }
            out.push(']');
        }
        Gen::Map(entries, _) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(k, out);
                out.push_str(": ");
                flow(v, out);
            }
            out.push('}');
        }
    }
}

/// Whether `g` is written on lines of its own in block style.
fn is_block(g: &Gen) -> bool {
    match g {
        Gen::Seq(items, f) => !f && !items.is_empty(),
        Gen::Map(entries, f) => !f && !entries.is_empty(),
        Gen::Anchor(_, g) | Gen::Tag(_, g) => is_block(g),
        _ => false,
    }
}

/// Writes `g` at `indent`; the caller has written what comes before it on
/// the line (a key and `:`, or `-`).
fn block(g: &Gen, indent: usize, out: &mut String) {
    match g {
        Gen::Anchor(a, g) if is_block(g) => {
            out.push_str(&format!(" &a{a}"));
            block(g, indent, out);
        }
        Gen::Tag(t, g) if is_block(g) => {
            out.push(' ');
            out.push_str(t);
            block(g, indent, out);
        }
        Gen::Seq(items, false) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent));
                out.push('-');
                block(item, indent + 2, out);
            }
        }
        Gen::Map(entries, false) if !entries.is_empty() => {
            out.push('\n');
            for (k, v) in entries {
                out.push_str(&" ".repeat(indent));
                if is_block(k) {
                    out.push('?');
                    block(k, indent + 2, out);
                    out.push_str(&" ".repeat(indent));
                    out.push(':');
                } else {
                    flow(k, out);
                    out.push(':');
                }
                block(v, indent + 2, out);
            }
        }
        other => {
            out.push(' ');
            flow(other, out);
            out.push('\n');
        }
    }
}

fn render(g: &Gen) -> String {
    let mut out = String::new();
    if is_block(g) {
        out.push_str("---");
        block(g, 0, &mut out);
    } else {
        flow(g, &mut out);
        out.push('\n');
    }
    out
}

/// Edits that break a text in YAML's own ways.
fn mutate(text: &str, edits: &[(usize, u8, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(at, op, c) in edits {
        if chars.is_empty() {
            break;
        }
        let at = at % chars.len();
        match op % 5 {
            0 => chars.insert(at, c),
            1 => {
                chars.remove(at);
            }
            2 => chars[at] = c,
            3 => {
                // A comment or a tab at a line start.
                let line = chars[..at]
                    .iter()
                    .rposition(|&x| x == '\n')
                    .map_or(0, |p| p + 1);
                chars.insert(line, if c == '#' { '#' } else { '\t' });
            }
            _ => chars.insert(at, '\n'),
        }
    }
    chars.into_iter().collect()
}

fn gen_limits() -> impl Strategy<Value = ParseLimits> {
    prop_oneof![
        4 => Just(ParseLimits::default()),
        1 => (1usize..6).prop_map(|d| limits(d, 250_000, 1_000, 4 << 20)),
        1 => (1usize..40).prop_map(|n| limits(48, n, 1_000, 4 << 20)),
        1 => (0usize..4).prop_map(|a| limits(48, 250_000, a, 4 << 20)),
    ]
}

const EDIT_CHARS: &[char] = &[
    ':', '-', '?', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '\'', '"', '#', '%', '@', ' ',
    '\t', '\n', 'a', '1', '.', '<',
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_texts_read_the_same(
        g in gen_tree(),
        l in gen_limits(),
        edits in proptest::collection::vec(
            (any::<usize>(), any::<u8>(), proptest::sample::select(EDIT_CHARS)),
            0..4,
        ),
        bytes in proptest::option::of(2usize..200),
    ) {
        let text = render(&g);
        let mut l = l;
        if let Some(b) = bytes {
            // Scalar bytes are limited to twice the file size.
            l.max_bytes = text.len().max(b);
        }
        if let Err(e) = same(&text, &l) {
            return Err(TestCaseError::fail(e));
        }
        let changed = mutate(&text, &edits);
        l.max_bytes = l.max_bytes.max(changed.len());
        if let Err(e) = same(&changed, &l) {
            return Err(TestCaseError::fail(e));
        }
    }
}

#[test]
fn numbers_through_an_alias_keep_their_written_text() {
    use super::NodeKind;
    let l = limits(48, 1_000, 10, 10_000);
    for (text, written) in [
        (
            "a: &x 99999999999999999999\nb: *x\n",
            "99999999999999999999",
        ),
        ("a: &x .nan\nb: *x\n", ".nan"),
        ("a: &x -.inf\nb: *x\n", "-.inf"),
    ] {
        for (name, reader) in [("reader", read as super::Read), ("oracle", oracle::read)] {
            let node = parse_with(text, FileId(3), &l, reader).expect("reads");
            for key in ["a", "b"] {
                let kind = &node.get(key).expect("key").kind;
                assert_eq!(
                    kind,
                    &NodeKind::BadNumber(written.to_string()),
                    "{name}, `{key}` of {text:?}"
                );
            }
        }
    }
}
