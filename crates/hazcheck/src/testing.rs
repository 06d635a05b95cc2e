//! Ruleset test cases and coverage.
//!
//! A test file is a list of filled-in checklists next to a ruleset (by
//! convention `rulesets/<id>/tests/*.yaml`), each with what must come out:
//! the verdict, the findings that must be present or absent, undetermined
//! and excepted rules. A case can be a variation of another (`base:`), so
//! that a boundary table stays short. Running the cases also measures
//! coverage: for every rule, whether some case saw it fire and some case
//! saw it decided as not firing; for every cited clause, whether some case
//! exercised it: a finding of a rule citing it, or a finding escalated or
//! excepted through the escalation or exception that cites it.
//!
//! ```
//! use hazcheck::testing::{parse, run};
//! use hazcheck::{Limits, Verdict};
//!
//! let outcome = hazcheck::builtin::load(Limits::default());
//! let mut sources = outcome.sources;
//! let library = outcome.library.ok_or("the built-in rulesets have errors")?;
//! let cases = r#"
//! ruleset: common-tasks
//! defaults:
//!   date: 2025-03-10
//! cases:
//!   - name: no licence
//!     answers: {ct.licence.held: no}
//!     expect: {verdict: ordinary, includes: [ct.licence-missing]}
//!   - name: licence held
//!     base: no licence
//!     answers: {ct.licence.held: yes}
//!     expect: {verdict: clear}
//! "#;
//! let file = parse(cases, "licence.yaml", &mut sources, &Limits::default())
//!     .map_err(|d| format!("{} problems", d.len()))?;
//! assert_eq!(file.cases.len(), 2);
//!
//! let result = run(&library, &[file], &sources);
//! assert_eq!(result.counts(), (1, 1));
//! let failed = &result.files[0].cases[1];
//! assert_eq!(failed.name, "licence held");
//! assert_eq!(failed.verdict, Some(Verdict::Incomplete));
//! assert_eq!(failed.failures, ["expected verdict clear, got incomplete"]);
//!
//! // The first case saw the rule fire, the second saw it decided as not
//! // firing: the rule is covered both ways.
//! let coverage = result
//!     .coverage
//!     .iter()
//!     .find(|c| c.ruleset == "common-tasks")
//!     .ok_or("no coverage")?;
//! let rule = coverage
//!     .rules
//!     .iter()
//!     .find(|r| r.rule == "ct.licence-missing")
//!     .ok_or("no such rule")?;
//! assert!(rule.fired && rule.not_fired);
//! assert!(coverage.rule_percent() < 100.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::date::Date;
use crate::decode::Decoder;
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::EvalOptions;
use crate::inspection::{Answer, Inspection, PreviousInspection, Site};
use crate::limits::Limits;
use crate::load::Library;
use crate::model::{Level, Sp};
use crate::node::{self, Node, NodeKind};
use crate::report::{Report, Verdict};
use crate::span::{FileId, SourceMap, Span};

/// A parsed test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// The file.
    pub file: FileId,
    /// The ruleset the cases run against.
    pub ruleset: Sp<String>,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// One test case, after `base:` chains are resolved.
#[derive(Clone, Debug)]
pub struct Case {
    /// Its name, unique in the file.
    pub name: Sp<String>,
    /// The inspection it evaluates.
    pub inspection: Inspection,
    /// What must come out.
    pub expect: Expect,
}

/// What a case expects.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// The verdict.
    pub verdict: Option<Verdict>,
    /// Whether every rule must be decided.
    pub complete: Option<bool>,
    /// The exact set of findings (when given).
    pub findings: Option<Vec<ExpectedFinding>>,
    /// Findings that must be among the findings.
    pub includes: Vec<ExpectedFinding>,
    /// Rules that must not fire.
    pub absent: Vec<Sp<String>>,
    /// The exact set of undetermined rules (when given).
    pub undetermined: Option<Vec<Sp<String>>>,
    /// Rules that must be excepted.
    pub excepted: Vec<Sp<String>>,
    /// Codes of input diagnostics that must be reported.
    pub input_diagnostics: Vec<Sp<String>>,
    /// Where `expect:` was written.
    pub span: Span,
}

/// A finding a case expects.
#[derive(Clone, Debug)]
pub struct ExpectedFinding {
    /// The rule.
    pub rule: Sp<String>,
    /// Its level, if checked.
    pub level: Option<Level>,
    /// Whether it was escalated, if checked.
    pub escalated: Option<bool>,
    /// Whether it needs confirmation, if checked.
    pub needs_confirmation: Option<bool>,
    /// Whether every clause it cites is verified, if checked.
    pub verified: Option<bool>,
    /// Its due date, if checked.
    pub due: Option<Date>,
    /// Members an "at least N of" must have counted, if checked.
    pub counted: Option<usize>,
}

/// The outcome of one case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    /// The case name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What did not match, one line each.
    pub failures: Vec<String>,
    /// The ruleset version used.
    pub version: Option<String>,
    /// The verdict it got.
    pub verdict: Option<Verdict>,
    /// The rules that fired.
    pub fired: Vec<String>,
    /// For a failed case, the answers it evaluated (after `defaults` and
    /// `base` layers), by item id: what led to the failure. `None` for a
    /// passed case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<BTreeMap<String, serde_json::Value>>,
    /// Line of the case in its file.
    pub line: u32,
}

/// The outcome of one test file.
#[derive(Clone, Debug, Serialize)]
pub struct FileResult {
    /// The file name.
    pub file: String,
    /// The ruleset id.
    pub ruleset: String,
    /// Case results in file order.
    pub cases: Vec<CaseResult>,
}

/// Coverage of one ruleset version.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// The ruleset id.
    pub ruleset: String,
    /// The version.
    pub version: String,
    /// Per rule: fired somewhere, decided as not firing somewhere.
    pub rules: Vec<RuleCoverage>,
    /// Per cited clause: whether some case exercised it.
    pub clauses: Vec<ClauseCoverage>,
}

/// Coverage of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleCoverage {
    /// The rule id.
    pub rule: String,
    /// Some case saw it fire.
    pub fired: bool,
    /// Some case saw it decided as not firing.
    pub not_fired: bool,
}

/// Coverage of one clause.
#[derive(Clone, Debug, Serialize)]
pub struct ClauseCoverage {
    /// The document id.
    pub document: String,
    /// The clause.
    pub clause: String,
    /// Some case gave a finding of a rule citing it as `basis` or `also`,
    /// escalated a finding through an escalation citing it, or excepted one
    /// through an exception citing it.
    pub exercised: bool,
}

impl Coverage {
    /// Percentage of rules seen both firing and not firing.
    pub fn rule_percent(&self) -> f64 {
        percent(
            self.rules.iter().filter(|r| r.fired && r.not_fired).count(),
            self.rules.len(),
        )
    }

    /// Percentage of cited clauses exercised.
    pub fn clause_percent(&self) -> f64 {
        percent(
            self.clauses.iter().filter(|c| c.exercised).count(),
            self.clauses.len(),
        )
    }
}

fn percent(n: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        (n as f64) * 100.0 / (total as f64)
    }
}

/// A whole test run.
#[derive(Clone, Debug, Serialize)]
pub struct TestRun {
    /// Results per test file.
    pub files: Vec<FileResult>,
    /// Coverage of every version of every ruleset the library holds, in
    /// id and then period order; a version that no case ran against is
    /// listed too, with nothing covered.
    pub coverage: Vec<Coverage>,
}

impl TestRun {
    /// Number of passed and failed cases.
    pub fn counts(&self) -> (usize, usize) {
        let all = self.files.iter().flat_map(|f| &f.cases);
        let passed = all.clone().filter(|c| c.passed).count();
        (passed, all.count() - passed)
    }
}

/// Parses a test file. Problems are returned as diagnostics located in it.
///
/// The file is registered in `sources` under `name`, and `base:` chains are
/// resolved: each case holds the whole inspection it evaluates.
///
/// ```
/// use hazcheck::testing::parse;
/// use hazcheck::{Code, Limits, SourceMap};
///
/// let mut sources = SourceMap::new();
/// let text = "\
/// ruleset: common-tasks
/// cases:
///   - name: overdue drill
///     base: clean site
///     answers: {ct.drill.date: 2023-01-10}
///     expect: {verdict: ordinary}
/// ";
/// let errors = parse(text, "cases.yaml", &mut sources, &Limits::default()).unwrap_err();
/// assert_eq!(errors.len(), 1);
/// assert_eq!(errors[0].message, "no case named `clean site` in this file");
/// assert_eq!((errors[0].span.line, errors[0].span.column), (4, 11));
/// assert_eq!(errors[0].code, Code::InvalidValue);
/// ```
pub fn parse(
    text: &str,
    name: &str,
    sources: &mut SourceMap,
    limits: &Limits,
) -> Result<TestFile, Vec<Diagnostic>> {
    let file = sources.add(name, text);
    let node = node::parse_yaml(text, file, &limits.ruleset_parse()).map_err(|d| vec![d])?;
    let shared = sources.get(file).map(|f| f.text.clone());
    let mut dec = Decoder::with_source(shared.unwrap_or_else(|| text.into()));
    let out = decode_file(&mut dec, &node, file, limits);
    match out {
        Some(t) if dec.diags.iter().all(|d| !d.is_error()) => Ok(t),
        _ => {
            if dec.diags.is_empty() {
                dec.error(Code::InvalidValue, node.span, "invalid test file");
            }
            Err(dec.diags)
        }
    }
}

/// The raw, unresolved form of a case.
struct RawCase<'n> {
    name: Sp<String>,
    base: Option<Sp<String>>,
    node: &'n Node,
    expect: Option<Expect>,
}

const DEFAULT_KEYS: &[&str] = &[
    "date",
    "site",
    "inspector",
    "answers",
    "remove",
    "previous",
    "events",
];

const CASE_KEYS: &[&str] = &[
    "events",
    "name",
    "base",
    "date",
    "site",
    "inspector",
    "answers",
    "remove",
    "previous",
    "expect",
];

fn decode_file(dec: &mut Decoder, node: &Node, file: FileId, limits: &Limits) -> Option<TestFile> {
    let mut m = dec.map(node, "a test file")?;
    let ruleset = dec.req(&mut m, "ruleset", |d, n| d.ident(n));
    let defaults = m.take("defaults");
    if let Some(d) = defaults {
        // Defaults are checked like a case, so a misspelled key is reported
        // instead of silently leaving its answers out of every case.
        if let Some(mut dm) = dec.map(d, "the defaults of a test file") {
            for k in DEFAULT_KEYS {
                dm.take(k);
            }
            dm.finish(dec, DEFAULT_KEYS);
        }
    }
    let cases_node = m.take("cases");
    m.finish(dec, &["ruleset", "defaults", "cases"]);
    let Some(cases_node) = cases_node else {
        dec.error(
            Code::MissingKey,
            node.span,
            "missing key `cases` in a test file",
        );
        return None;
    };
    let NodeKind::Seq(list) = &cases_node.kind else {
        dec.error(Code::InvalidValue, cases_node.span, "`cases` is a list");
        return None;
    };
    let mut raw: Vec<RawCase<'_>> = Vec::new();
    for n in list {
        let Some(mut cm) = dec.map(n, "a test case") else {
            continue;
        };
        let name = dec.req(&mut cm, "name", |d, n| d.string(n));
        let base = dec.opt(&mut cm, "base", |d, n| d.string(n));
        let expect = dec.req(&mut cm, "expect", expect);
        for k in CASE_KEYS {
            cm.take(k);
        }
        cm.finish(dec, CASE_KEYS);
        let Some(name) = name else { continue };
        if let Some(first) = raw.iter().find(|r| r.name.value == name.value) {
            dec.diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    name.span,
                    format!("duplicate case name `{}`", name.value),
                )
                .with_secondary(first.name.span, "first defined here"),
            );
            continue;
        }
        raw.push(RawCase {
            name,
            base,
            node: n,
            expect,
        });
    }
    let mut cases = Vec::new();
    for r in &raw {
        // Resolve the base chain, innermost first.
        let mut chain: Vec<&RawCase<'_>> = vec![r];
        let mut cur = r;
        let mut ok = true;
        while let Some(b) = &cur.base {
            match raw.iter().find(|x| x.name.value == b.value) {
                Some(x) if chain.iter().any(|c| c.name.value == x.name.value) => {
                    dec.error(
                        Code::InvalidValue,
                        b.span,
                        format!("case `{}` is its own base through a cycle", r.name.value),
                    );
                    ok = false;
                    break;
                }
                Some(x) => {
                    chain.push(x);
                    cur = x;
                }
                None => {
                    dec.error(
                        Code::InvalidValue,
                        b.span,
                        format!("no case named `{}` in this file", b.value),
                    );
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        let mut layers: Vec<&Node> = Vec::new();
        if let Some(d) = defaults {
            layers.push(d);
        }
        layers.extend(chain.iter().rev().map(|c| c.node));
        let Some(inspection) = build_inspection(dec, &ruleset, &layers, limits, file) else {
            continue;
        };
        let Some(expect) = r.expect.clone() else {
            continue;
        };
        cases.push(Case {
            name: r.name.clone(),
            inspection,
            expect,
        });
    }
    Some(TestFile {
        file,
        ruleset: ruleset?,
        cases,
    })
}

/// Builds an inspection from layers (defaults, then each base, then the
/// case), later layers overriding earlier ones answer by answer.
fn build_inspection(
    dec: &mut Decoder,
    ruleset: &Option<Sp<String>>,
    layers: &[&Node],
    limits: &Limits,
    file: FileId,
) -> Option<Inspection> {
    let ruleset = ruleset.clone()?;
    let mut date: Option<Sp<Date>> = None;
    let mut site = Site::default();
    let mut inspector = None;
    let mut answers: BTreeMap<String, Sp<Answer>> = BTreeMap::new();
    let mut previous: Option<PreviousInspection> = None;
    let mut events = None;
    for layer in layers {
        if let Some(n) = layer.get("date") {
            date = dec.date(n).or(date);
        }
        if let Some(n) = layer.get("site")
            && let Some(i) = decode_part(dec, &ruleset.value, "site", n, limits)
        {
            site = i.site;
        }
        if let Some(n) = layer.get("inspector") {
            inspector = dec.string(n).map(|s| s.value);
        }
        if let Some(n) = layer.get("answers") {
            if let Some(i) = decode_part(dec, &ruleset.value, "answers", n, limits) {
                answers.extend(i.answers);
            }
            // A null answer in a variation removes the base's answer.
            if let NodeKind::Map(entries) = &n.kind {
                for (k, v) in entries {
                    if v.kind == NodeKind::Null
                        && let Some(k) = k.as_str()
                    {
                        answers.remove(k);
                    }
                }
            }
        }
        if let Some(n) = layer.get("remove")
            && let Some(list) = dec.list(n, |d, n| d.ident(n))
        {
            for id in list {
                answers.remove(&id.value);
            }
        }
        if let Some(n) = layer.get("previous")
            && let Some(i) = decode_part(dec, &ruleset.value, "previous", n, limits)
        {
            previous = i.previous;
        }
        if layer
            .get("events")
            .is_some_and(|n| n.kind == NodeKind::Null)
        {
            // `events: null` in a variation removes the inherited history.
            events = None;
        } else if let Some(n) = layer.get("events")
            && let Some(i) = decode_part(dec, &ruleset.value, "events", n, limits)
        {
            events = i.events;
        }
    }
    let Some(date) = date else {
        let span = layers.last().map_or(Span::file_only(file), |n| n.span);
        dec.error(
            Code::MissingKey,
            span,
            "the case has no `date` (give it in the case, a base or `defaults`)",
        );
        return None;
    };
    // Each layer's previous inspection against the case's date, which only
    // the last layer settles.
    // FIXME(#4): a layer whose `previous` a later layer replaces is checked
    // too (a base's late previous fails a variation that gives its own),
    // and a base's error is reported once per case built on it; checking
    // only the last layer that sets `previous`, and each base once, would
    // finish it.
    for layer in layers {
        crate::inspection::not_after(dec, layer, date.value);
    }
    Some(Inspection {
        ruleset,
        id: None,
        date,
        site,
        inspector,
        answers,
        previous,
        deadlines: None,
        events,
    })
}

/// Decodes one part of a case (`key: n`) as the inspection format does, by
/// wrapping it in an inspection of its own; problems go to `dec`.
fn decode_part(
    dec: &mut Decoder,
    ruleset: &str,
    key: &str,
    n: &Node,
    limits: &Limits,
) -> Option<Inspection> {
    let wrapped = Node {
        kind: NodeKind::Map(vec![
            (str_node("ruleset", n.span), str_node(ruleset, n.span)),
            (str_node("date", n.span), str_node(PLACEHOLDER_DATE, n.span)),
            (str_node(key, n.span), n.clone()),
        ]),
        span: n.span,
    };
    match Inspection::from_node(&wrapped, limits) {
        Ok(i) => Some(i),
        Err(d) => {
            dec.diags.extend(d);
            None
        }
    }
}

/// The date the pieces of a case are decoded with before the case's own
/// date is known: the last day, so that no previous inspection or event
/// counts as later than it (the real date is checked once it is known).
const PLACEHOLDER_DATE: &str = "9999-12-31";

fn str_node(s: &str, span: Span) -> Node {
    Node {
        kind: NodeKind::Str(s.to_string()),
        span,
    }
}

fn verdict(dec: &mut Decoder, n: &Node) -> Option<Verdict> {
    match n.as_str() {
        Some("clear") => Some(Verdict::Clear),
        Some("incomplete") => Some(Verdict::Incomplete),
        Some("ordinary") => Some(Verdict::Ordinary),
        Some("major") => Some(Verdict::Major),
        _ => {
            dec.error(
                Code::InvalidValue,
                n.span,
                "expected a verdict: clear, incomplete, ordinary or major",
            );
            None
        }
    }
}

fn expected_finding(dec: &mut Decoder, n: &Node) -> Option<ExpectedFinding> {
    if let Some(rule) = n.as_str() {
        let rule = dec.ident(n).unwrap_or(Sp::new(rule.to_string(), n.span));
        return Some(ExpectedFinding {
            rule,
            level: None,
            escalated: None,
            needs_confirmation: None,
            verified: None,
            due: None,
            counted: None,
        });
    }
    let mut m = dec.map(n, "an expected finding (a rule id, or `rule` with `level`, `escalated`, `needs_confirmation`, `verified`, `due`, `counted`)")?;
    let rule = dec.req(&mut m, "rule", |d, n| d.ident(n));
    let level = dec.opt(&mut m, "level", |d, n| match n.as_str() {
        Some("ordinary") => Some(Level::Ordinary),
        Some("major") => Some(Level::Major),
        _ => {
            d.error(Code::InvalidValue, n.span, "expected `ordinary` or `major`");
            None
        }
    });
    let escalated = dec
        .opt(&mut m, "escalated", |d, n| d.boolean(n))
        .map(|b| b.value);
    let needs_confirmation = dec
        .opt(&mut m, "needs_confirmation", |d, n| d.boolean(n))
        .map(|b| b.value);
    let verified = dec
        .opt(&mut m, "verified", |d, n| d.boolean(n))
        .map(|b| b.value);
    let due = dec.opt(&mut m, "due", |d, n| d.date(n)).map(|d| d.value);
    let counted = dec
        .opt(&mut m, "counted", |d, n| d.uint(n))
        .map(|c| c.value as usize);
    m.finish(
        dec,
        &[
            "rule",
            "level",
            "escalated",
            "needs_confirmation",
            "verified",
            "due",
            "counted",
        ],
    );
    Some(ExpectedFinding {
        rule: rule?,
        level,
        escalated,
        needs_confirmation,
        verified,
        due,
        counted,
    })
}

fn expect(dec: &mut Decoder, n: &Node) -> Option<Expect> {
    let errors_before = dec.diags.iter().filter(|d| d.is_error()).count();
    let mut m = dec.map(n, "an expectation")?;
    let verdict = dec.opt(&mut m, "verdict", verdict);
    let complete = dec
        .opt(&mut m, "complete", |d, n| d.boolean(n))
        .map(|b| b.value);
    let findings = dec.opt(&mut m, "findings", |d, n| d.list(n, expected_finding));
    let includes = dec
        .opt(&mut m, "includes", |d, n| d.list(n, expected_finding))
        .unwrap_or_default();
    let absent = dec
        .opt(&mut m, "absent", |d, n| d.list(n, |d, n| d.ident(n)))
        .unwrap_or_default();
    let undetermined = dec.opt(&mut m, "undetermined", |d, n| d.list(n, |d, n| d.ident(n)));
    let excepted = dec
        .opt(&mut m, "excepted", |d, n| d.list(n, |d, n| d.ident(n)))
        .unwrap_or_default();
    let input_diagnostics = dec
        .opt(&mut m, "input_diagnostics", |d, n| {
            d.list(n, |d, n| d.string(n))
        })
        .unwrap_or_default();
    let span = m.span();
    m.finish(
        dec,
        &[
            "verdict",
            "complete",
            "findings",
            "includes",
            "absent",
            "undetermined",
            "excepted",
            "input_diagnostics",
        ],
    );
    let e = Expect {
        verdict,
        complete,
        findings,
        includes,
        absent,
        undetermined,
        excepted,
        input_diagnostics,
        span,
    };
    // A case that checks nothing passes whatever the ruleset does; unless
    // a key was already reported as invalid, say so where it was written.
    if e.checks_nothing() && dec.diags.iter().filter(|d| d.is_error()).count() == errors_before {
        dec.diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                span,
                "`expect` checks nothing, so the case could never fail",
            )
            .with_label("no expectation here")
            .with_help(
                "give at least one of `verdict`, `complete`, `findings`, `undetermined`, \
                 or a non-empty `includes`, `absent`, `excepted` or `input_diagnostics`",
            ),
        );
        return None;
    }
    Some(e)
}

impl Expect {
    /// Whether nothing is checked: no key given, or only empty subset
    /// lists (`includes: []` and the like hold for every report).
    fn checks_nothing(&self) -> bool {
        self.verdict.is_none()
            && self.complete.is_none()
            && self.findings.is_none()
            && self.undetermined.is_none()
            && self.includes.is_empty()
            && self.absent.is_empty()
            && self.excepted.is_empty()
            && self.input_diagnostics.is_empty()
    }
}

/// Runs the cases of several test files against a library and measures
/// coverage. Cases whose ruleset or version cannot be chosen fail with the
/// reason.
pub fn run(library: &Library, files: &[TestFile], sources: &SourceMap) -> TestRun {
    let mut results = Vec::new();
    // Per (ruleset, version): rule id -> (fired, decided as not firing),
    // and the (document, clause) pairs some finding or exception cited.
    type Seen = (HashMap<String, (bool, bool)>, BTreeSet<(String, String)>);
    let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for tf in files {
        let mut cases = Vec::new();
        for case in &tf.cases {
            // Only a failed case shows its answers.
            let answers = || -> BTreeMap<String, serde_json::Value> {
                case.inspection
                    .answers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.to_json()))
                    .collect()
            };
            let line = case.name.span.line;
            let outcome = library
                .select(&case.inspection.ruleset.value, case.inspection.date.value)
                .map(|rs| {
                    (
                        rs,
                        rs.evaluate(&case.inspection, &EvalOptions { explain: true }),
                    )
                });
            match outcome {
                Ok((rs, report)) => {
                    let key = (report.ruleset.id.clone(), report.ruleset.version.clone());
                    let (rules_seen, cited) = seen.entry(key).or_default();
                    for e in report.explanations.iter().flatten() {
                        let slot = rules_seen.entry(e.rule.clone()).or_default();
                        match e.outcome.as_str() {
                            "fired" => slot.0 = true,
                            "passed" | "excepted" | "not_applicable" => slot.1 = true,
                            _ => {}
                        }
                    }
                    for f in &report.findings {
                        cited.insert((f.basis.document.clone(), f.basis.clause.clone()));
                        for b in &f.also {
                            cited.insert((b.document.clone(), b.clause.clone()));
                        }
                        // An escalated finding cites the escalation's clause;
                        // the rule's own clause was exercised as well.
                        if let Some(r) = rs.compiled.rules.iter().find(|r| r.id == f.rule) {
                            cited.insert((doc_id(rs, r.basis.document), r.basis.clause.clone()));
                        }
                    }
                    for x in &report.excepted {
                        if let Some(b) = &x.exception_basis {
                            cited.insert((b.document.clone(), b.clause.clone()));
                        }
                    }
                    let mut failures = unknown_rules(&case.expect, rs);
                    failures.extend(compare(&case.expect, &report));
                    cases.push(CaseResult {
                        name: case.name.value.clone(),
                        passed: failures.is_empty(),
                        answers: (!failures.is_empty()).then(answers),
                        failures,
                        version: Some(report.ruleset.version.clone()),
                        verdict: Some(report.verdict),
                        fired: report.findings.iter().map(|f| f.rule.clone()).collect(),
                        line,
                    });
                }
                Err(e) => cases.push(CaseResult {
                    name: case.name.value.clone(),
                    passed: false,
                    failures: vec![e.to_string()],
                    version: None,
                    verdict: None,
                    fired: Vec::new(),
                    answers: Some(answers()),
                    line,
                }),
            }
        }
        results.push(FileResult {
            file: sources.name(tf.file).to_string(),
            ruleset: tf.ruleset.value.clone(),
            cases,
        });
    }
    // Every version of every ruleset the library holds is measured: a
    // version no case reaches has no coverage at all, and must show it.
    let mut coverage = Vec::new();
    for id in library.ids() {
        for rs in library.versions(id) {
            let key = (id.to_string(), rs.info().version.clone());
            let empty = Seen::default();
            let (rules_seen, cited) = seen.get(&key).unwrap_or(&empty);
            let mut rules = Vec::new();
            let mut clauses: BTreeMap<(String, String), bool> = BTreeMap::new();
            for r in &rs.compiled.rules {
                let (fired, not_fired) = rules_seen.get(&r.id).copied().unwrap_or_default();
                rules.push(RuleCoverage {
                    rule: r.id.clone(),
                    fired,
                    not_fired,
                });
                let bases = std::iter::once(&r.basis)
                    .chain(&r.also)
                    .chain(r.escalate.iter().filter_map(|e| e.basis.as_ref()))
                    .chain(r.unless.as_ref().and_then(|u| u.basis.as_ref()));
                for b in bases {
                    let k = (doc_id(rs, b.document), b.clause.clone());
                    let exercised = cited.contains(&k);
                    *clauses.entry(k).or_default() |= exercised;
                }
            }
            coverage.push(Coverage {
                ruleset: key.0,
                version: key.1,
                rules,
                clauses: clauses
                    .into_iter()
                    .map(|((document, clause), exercised)| ClauseCoverage {
                        document,
                        clause,
                        exercised,
                    })
                    .collect(),
            });
        }
    }
    TestRun {
        files: results,
        coverage,
    }
}

fn doc_id(rs: &crate::Ruleset, ix: usize) -> String {
    rs.documents
        .get(ix)
        .map_or(String::new(), |d| d.id.value.clone())
}

/// Expectations naming rules the ruleset version does not have can never
/// be checked meaningfully (an `absent:` typo would always pass).
fn unknown_rules(e: &Expect, rs: &crate::Ruleset) -> Vec<String> {
    let names = e
        .findings
        .iter()
        .flatten()
        .chain(&e.includes)
        .map(|f| &f.rule)
        .chain(&e.absent)
        .chain(e.undetermined.iter().flatten())
        .chain(&e.excepted);
    let mut out = Vec::new();
    for n in names {
        if !rs.compiled.rules.iter().any(|r| r.id == n.value) {
            let msg = format!(
                "the expectation names rule `{}`, which version {} of `{}` does not have",
                n.value, rs.info.version, rs.info.id
            );
            if !out.contains(&msg) {
                out.push(msg);
            }
        }
    }
    out
}

fn describe_finding(e: &ExpectedFinding) -> String {
    let mut parts = Vec::new();
    if let Some(l) = e.level {
        parts.push(l.as_str().to_string());
    }
    if let Some(b) = e.escalated {
        parts.push(if b {
            "escalated".into()
        } else {
            "not escalated".into()
        });
    }
    if let Some(b) = e.needs_confirmation {
        parts.push(if b {
            "needs confirmation".into()
        } else {
            "no confirmation".into()
        });
    }
    if let Some(b) = e.verified {
        parts.push(if b {
            "verified".into()
        } else {
            "unverified".into()
        });
    }
    if let Some(d) = e.due {
        parts.push(format!("due {d}"));
    }
    if let Some(c) = e.counted {
        parts.push(format!("{c} counted"));
    }
    if parts.is_empty() {
        e.rule.value.clone()
    } else {
        format!("{} ({})", e.rule.value, parts.join(", "))
    }
}

fn check_finding(e: &ExpectedFinding, report: &Report, out: &mut Vec<String>) {
    let Some(f) = report.findings.iter().find(|f| f.rule == e.rule.value) else {
        let state = if report.undetermined.iter().any(|u| u.rule == e.rule.value) {
            "it is undetermined"
        } else if report.excepted.iter().any(|x| x.rule == e.rule.value) {
            "it was excepted"
        } else {
            "it did not fire"
        };
        out.push(format!(
            "expected finding {}, but {state}",
            describe_finding(e)
        ));
        return;
    };
    if let Some(l) = e.level
        && f.level != l
    {
        out.push(format!(
            "finding {}: expected level {}, got {}",
            e.rule.value,
            l.as_str(),
            f.level.as_str()
        ));
    }
    if let Some(b) = e.escalated
        && f.escalated_from.is_some() != b
    {
        out.push(format!(
            "finding {}: expected {}escalated, got {}escalated",
            e.rule.value,
            if b { "" } else { "not " },
            if f.escalated_from.is_some() {
                ""
            } else {
                "not "
            }
        ));
    }
    if let Some(b) = e.needs_confirmation
        && f.needs_confirmation != b
    {
        out.push(format!(
            "finding {}: expected needs_confirmation {b}, got {}",
            e.rule.value, f.needs_confirmation
        ));
    }
    if let Some(b) = e.verified
        && f.verified != b
    {
        out.push(format!(
            "finding {}: expected {}verified, got {}verified",
            e.rule.value,
            if b { "" } else { "un" },
            if f.verified { "" } else { "un" }
        ));
    }
    if let Some(d) = e.due
        && f.due != Some(d)
    {
        out.push(format!(
            "finding {}: expected due {d}, got {}",
            e.rule.value,
            f.due.map_or("none".to_string(), |d| d.to_string())
        ));
    }
    if let Some(c) = e.counted
        && f.counted.len() != c
    {
        out.push(format!(
            "finding {}: expected {c} counted members, got {} ({})",
            e.rule.value,
            f.counted.len(),
            f.counted.join("; ")
        ));
    }
}

/// Compares a report with an expectation; each mismatch is one line.
fn compare(e: &Expect, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = e.verdict
        && r.verdict != v
    {
        out.push(format!(
            "expected verdict {}, got {}",
            v.as_str(),
            r.verdict.as_str()
        ));
    }
    if let Some(c) = e.complete
        && r.complete != c
    {
        out.push(format!("expected complete: {c}, got {}", r.complete));
    }
    if let Some(list) = &e.findings {
        for f in list {
            check_finding(f, r, &mut out);
        }
        let expected: BTreeSet<&str> = list.iter().map(|f| f.rule.value.as_str()).collect();
        for f in &r.findings {
            if !expected.contains(f.rule.as_str()) {
                out.push(format!(
                    "unexpected finding {} ({})",
                    f.rule,
                    f.level.as_str()
                ));
            }
        }
    }
    for f in &e.includes {
        check_finding(f, r, &mut out);
    }
    for a in &e.absent {
        if r.findings.iter().any(|f| f.rule == a.value) {
            out.push(format!("expected {} not to fire, but it did", a.value));
        }
    }
    if let Some(list) = &e.undetermined {
        let expected: BTreeSet<&str> = list.iter().map(|s| s.value.as_str()).collect();
        let got: BTreeSet<&str> = r.undetermined.iter().map(|u| u.rule.as_str()).collect();
        for m in expected.difference(&got) {
            out.push(format!(
                "expected {m} to be undetermined, but it was decided"
            ));
        }
        for m in got.difference(&expected) {
            let missing = r
                .undetermined
                .iter()
                .find(|u| u.rule == *m)
                .map(|u| u.missing.join(", "))
                .unwrap_or_default();
            out.push(format!(
                "unexpected undetermined rule {m} (missing: {missing})"
            ));
        }
    }
    for x in &e.excepted {
        if !r.excepted.iter().any(|f| f.rule == x.value) {
            out.push(format!(
                "expected {} to be excepted, but it was not",
                x.value
            ));
        }
    }
    for code in &e.input_diagnostics {
        if !r
            .input_diagnostics
            .iter()
            .any(|d| d.code.as_str() == code.value || d.code.slug() == code.value)
        {
            out.push(format!(
                "expected input diagnostic {}, got {}",
                code.value,
                if r.input_diagnostics.is_empty() {
                    "none".to_string()
                } else {
                    r.input_diagnostics
                        .iter()
                        .map(|d| d.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_inspection_later_than_the_case_is_an_error() {
        let text = "ruleset: t\n\
                    cases:\n\
                    \x20 - name: base\n\
                    \x20   date: 2025-06-01\n\
                    \x20   previous: {date: 2025-05-01, findings: []}\n\
                    \x20   expect: {verdict: clear}\n\
                    \x20 - name: earlier\n\
                    \x20   base: base\n\
                    \x20   date: 2025-04-01\n\
                    \x20   expect: {verdict: clear}\n";
        let mut sources = SourceMap::new();
        let errors = parse(text, "t.yaml", &mut sources, &Limits::default()).unwrap_err();
        // The base alone is fine; its variation moves the date before the
        // previous inspection, which is reported where that date is.
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].code, Code::InvalidDate);
        assert_eq!((errors[0].span.line, errors[0].span.column), (5, 22));
    }

    fn problems(text: &str) -> Vec<(Code, u32, String)> {
        let mut sources = SourceMap::new();
        match parse(text, "t.yaml", &mut sources, &Limits::default()) {
            Ok(_) => Vec::new(),
            Err(d) => d
                .into_iter()
                .map(|d| (d.code, d.span.line, d.message))
                .collect(),
        }
    }

    #[test]
    fn an_expectation_that_checks_nothing_is_an_error_where_it_is_written() {
        let text = "ruleset: demo\ndefaults: {date: 2025-01-01}\ncases:\n  - name: a\n    expect: {}\n  - name: b\n    expect: {includes: [], excepted: []}\n  - name: c\n    expect: {findings: []}\n";
        let got = problems(text);
        assert_eq!(
            got.iter().map(|(c, l, _)| (*c, *l)).collect::<Vec<_>>(),
            vec![(Code::InvalidValue, 5), (Code::InvalidValue, 7)],
            "{got:?}"
        );
        assert!(got[0].2.contains("checks nothing"), "{got:?}");
    }

    #[test]
    fn an_invalid_expectation_is_reported_once() {
        let got = problems(
            "ruleset: demo\ncases:\n  - {name: a, date: 2025-01-01, expect: {verdict: fine}}\n",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].2.contains("expected a verdict"), "{got:?}");
    }
}
