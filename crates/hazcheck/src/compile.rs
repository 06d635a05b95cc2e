//! Checking a ruleset and compiling it for evaluation.
//!
//! Compilation resolves every reference (items, options, parameters,
//! documents, rules) to an index, checks that each comparison fits the
//! item's answer type, compiles regular expressions and scripts once, orders
//! rules so that a rule is evaluated after the rules it reads, and reports
//! every problem it finds, each with its own code and location.

use std::collections::{BTreeMap, HashMap};

use regex::{Regex, RegexBuilder};

use crate::date::{Season as SeasonWindow, TimeOfDay, TimeWindow};
use crate::decimal::Decimal;
use crate::diagnostic::{Code, Diagnostic};
use crate::limits::Limits;
use crate::model::*;
use crate::script::{self, Script};
use crate::span::{FileId, SourceMap, Span};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
            CmpOp::Lt => "<",
            CmpOp::Lte => "≤",
            CmpOp::Gt => ">",
            CmpOp::Gte => "≥",
        }
    }

    pub(crate) fn test(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Lte => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Gte => ord != Less,
        }
    }
}

/// A numeric operand, resolved.
#[derive(Clone, Debug)]
pub(crate) enum Num {
    Lit(Decimal),
    Param {
        param: usize,
        factor: Option<Decimal>,
    },
    Item {
        item: usize,
        factor: Option<Decimal>,
    },
}

/// A date operand, resolved.
#[derive(Clone, Debug)]
pub(crate) enum DateRhs {
    Lit(crate::date::Date),
    Item(usize),
}

/// What a leaf tests.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    Is(bool),
    Num(CmpOp, Num),
    Between {
        min: Option<Num>,
        max: Option<Num>,
        min_excl: bool,
        max_excl: bool,
    },
    Choice {
        eq: bool,
        option: usize,
    },
    In(Vec<usize>),
    HasAll(Vec<usize>),
    Text {
        eq: bool,
        value: String,
    },
    Matches(Regex),
    Date(CmpOp, DateRhs),
    Time(CmpOp, TimeOfDay),
    OlderThan(Duration),
    DueWithin(Duration),
    BeforeInspection(bool),
    Season(SeasonWindow),
    DateRange {
        from: Option<crate::date::Date>,
        to: Option<crate::date::Date>,
    },
    TimeBetween(TimeWindow),
    Answered(bool),
    NotApplicable(bool),
}

/// A compiled condition.
#[derive(Clone, Debug)]
pub(crate) enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    AtLeast {
        n: CountRef,
        of: Vec<Cond>,
    },
    /// A test on an item; `item` is `None` only for a season on the
    /// inspection date.
    Leaf {
        item: Option<usize>,
        test: Test,
        label: String,
    },
    Rule(usize),
    Previous {
        rule: String,
        overdue: bool,
    },
    Script(usize),
    Events(EventTest),
}

/// A compiled event query.
#[derive(Clone, Debug)]
pub(crate) struct EventTest {
    pub(crate) kinds: Vec<String>,
    pub(crate) min_value: Option<Decimal>,
    pub(crate) not_handled_within: Option<Duration>,
    pub(crate) since: Option<Duration>,
    pub(crate) at_least: u32,
    pub(crate) label: String,
}

/// The N of an "at least N of".
#[derive(Clone, Debug)]
pub(crate) enum CountRef {
    Fixed(u32),
    Param(usize),
}

/// A compiled item.
#[derive(Clone, Debug)]
pub(crate) struct CItem {
    pub(crate) id: String,
    pub(crate) kind: ItemType,
    pub(crate) prompt: Text,
    pub(crate) unit: Option<String>,
    pub(crate) min: Option<Decimal>,
    pub(crate) max: Option<Decimal>,
    pub(crate) options: Vec<String>,
    pub(crate) na_allowed: bool,
    pub(crate) applies_if: Option<Cond>,
}

/// A compiled parameter.
#[derive(Clone, Debug)]
pub(crate) enum CParam {
    Const(Decimal),
    /// One value per option of item `by` (`None`: the default applies).
    Table {
        by: usize,
        rows: Vec<Option<Decimal>>,
        default: Option<Decimal>,
    },
}

/// A resolved citation.
#[derive(Clone, Debug)]
pub(crate) struct CBasis {
    pub(crate) document: usize,
    pub(crate) clause: String,
    pub(crate) verified: bool,
}

/// A compiled escalation.
#[derive(Clone, Debug)]
pub(crate) struct CEscalation {
    pub(crate) to: Level,
    pub(crate) when: Cond,
    pub(crate) reason: Text,
    pub(crate) needs_confirmation: bool,
    pub(crate) basis: Option<CBasis>,
}

/// A compiled exception.
#[derive(Clone, Debug)]
pub(crate) struct CException {
    pub(crate) when: Cond,
    pub(crate) reason: Text,
    pub(crate) basis: Option<CBasis>,
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub(crate) struct CRule {
    pub(crate) id: String,
    pub(crate) level: Level,
    pub(crate) basis: CBasis,
    pub(crate) also: Vec<CBasis>,
    pub(crate) title: Text,
    pub(crate) guidance: Option<Text>,
    pub(crate) deadline: Option<u32>,
    pub(crate) needs_confirmation: bool,
    pub(crate) applies_if: Option<Cond>,
    pub(crate) when: Cond,
    pub(crate) unless: Option<CException>,
    pub(crate) escalate: Vec<CEscalation>,
}

/// A ruleset after includes are merged, before compilation: the model plus
/// the file it came from.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The merged model.
    pub model: RulesetFile,
    /// The file of the ruleset itself.
    pub file: FileId,
}

/// Compiles a merged ruleset. Problems go to `diags`; `None` when any error
/// was found.
pub(crate) fn compile(
    merged: &Merged,
    limits: &Limits,
    sources: &SourceMap,
    quiet_unused: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Compiled> {
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let m = &merged.model;
    let mut cx = Cx::new(m, limits, sources, diags);
    cx.check_counts(merged.file);
    cx.index();
    cx.check_texts();
    let items = cx.compile_items();
    let params = cx.compile_params();
    let rules = cx.compile_rules();
    // Unused-item, -parameter and -document warnings are noise while the
    // file has errors: a rule that failed to decode reads nothing.
    if !quiet_unused && cx.diags.iter().filter(|d| d.is_error()).count() == errors_before {
        cx.check_unused();
    }
    let rule_order = cx.order_rules();
    let item_order = cx.order_items();
    let Cx {
        scripts, engine, ..
    } = cx;
    let errors_after = diags.iter().filter(|d| d.is_error()).count();
    if errors_after > errors_before {
        return None;
    }
    Some(Compiled {
        items,
        params,
        rules,
        rule_order: rule_order?,
        item_order: item_order?,
        scripts,
        engine,
    })
}

/// What compilation produces; wrapped by [`crate::Ruleset`].
pub(crate) struct Compiled {
    pub(crate) items: Vec<CItem>,
    pub(crate) params: Vec<CParam>,
    pub(crate) rules: Vec<CRule>,
    pub(crate) rule_order: Vec<usize>,
    pub(crate) item_order: Vec<usize>,
    pub(crate) scripts: Vec<Script>,
    pub(crate) engine: Option<rhai::Engine>,
}

struct Cx<'a> {
    m: &'a RulesetFile,
    sources: &'a SourceMap,
    limits: &'a Limits,
    diags: &'a mut Vec<Diagnostic>,
    items: HashMap<&'a str, usize>,
    params: HashMap<&'a str, usize>,
    rules: HashMap<&'a str, usize>,
    documents: HashMap<&'a str, usize>,
    sections: HashMap<&'a str, usize>,
    item_reads: Vec<bool>,
    param_used: Vec<bool>,
    document_used: Vec<bool>,
    item_ids: Vec<String>,
    scripts: Vec<Script>,
    engine: Option<rhai::Engine>,
    /// Rules each rule reads through `rule:` conditions.
    rule_deps: Vec<Vec<(usize, Span)>>,
    /// Items each item's applicability reads.
    item_deps: Vec<Vec<usize>>,
}

impl<'a> Cx<'a> {
    fn new(
        m: &'a RulesetFile,
        limits: &'a Limits,
        sources: &'a SourceMap,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Cx<'a> {
        Cx {
            m,
            sources,
            limits,
            diags,
            items: HashMap::new(),
            params: HashMap::new(),
            rules: HashMap::new(),
            documents: HashMap::new(),
            sections: HashMap::new(),
            item_reads: vec![false; m.items.len()],
            param_used: vec![false; m.parameters.len()],
            document_used: vec![false; m.documents.len()],
            item_ids: m.items.iter().map(|i| i.id.value.clone()).collect(),
            scripts: Vec::new(),
            engine: None,
            rule_deps: vec![Vec::new(); m.rules.len()],
            item_deps: vec![Vec::new(); m.items.len()],
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn check_counts(&mut self, file: FileId) {
        let m = self.m;
        // Located at the first item or rule beyond the limit.
        if m.items.len() > self.limits.max_items {
            let at = m
                .items
                .get(self.limits.max_items)
                .map_or(Span::file_only(file), |it| it.id.span);
            self.push(
                Diagnostic::new(
                    Code::LimitExceeded,
                    at,
                    format!(
                        "{} items, more than the limit of {}",
                        m.items.len(),
                        self.limits.max_items
                    ),
                )
                .with_label("the first item beyond the limit")
                .with_help("split the ruleset or raise the limit (--max-items)"),
            );
        }
        if m.rules.len() > self.limits.max_rules {
            let at = m
                .rules
                .get(self.limits.max_rules)
                .map_or(Span::file_only(file), |r| r.id.span);
            self.push(
                Diagnostic::new(
                    Code::LimitExceeded,
                    at,
                    format!(
                        "{} rules, more than the limit of {}",
                        m.rules.len(),
                        self.limits.max_rules
                    ),
                )
                .with_label("the first rule beyond the limit")
                .with_help("split the ruleset or raise the limit (--max-rules)"),
            );
        }
    }

    /// Builds the id indexes, reporting duplicates.
    fn index(&mut self) {
        let m = self.m;
        fn add<'s>(
            map: &mut HashMap<&'s str, usize>,
            diags: &mut Vec<Diagnostic>,
            kind: &str,
            id: &'s Sp<String>,
            first: impl Fn(usize) -> Span,
            i: usize,
        ) {
            if let Some(&prev) = map.get(id.value.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        id.span,
                        format!("duplicate {kind} id `{}`", id.value),
                    )
                    .with_label("defined again here")
                    .with_secondary(first(prev), "first defined here"),
                );
            } else {
                map.insert(id.value.as_str(), i);
            }
        }
        for (i, x) in m.items.iter().enumerate() {
            add(
                &mut self.items,
                self.diags,
                "item",
                &x.id,
                |p| m.items[p].id.span,
                i,
            );
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for o in &x.options {
                if let Some(first) = seen.get(o.id.value.as_str()) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            o.id.span,
                            format!(
                                "duplicate option id `{}` in item `{}`",
                                o.id.value, x.id.value
                            ),
                        )
                        .with_secondary(*first, "first defined here"),
                    );
                } else {
                    seen.insert(o.id.value.as_str(), o.id.span);
                }
            }
        }
        for (i, x) in m.parameters.iter().enumerate() {
            add(
                &mut self.params,
                self.diags,
                "parameter",
                &x.id,
                |p| m.parameters[p].id.span,
                i,
            );
        }
        for (i, x) in m.rules.iter().enumerate() {
            add(
                &mut self.rules,
                self.diags,
                "rule",
                &x.id,
                |p| m.rules[p].id.span,
                i,
            );
        }
        for (i, x) in m.documents.iter().enumerate() {
            add(
                &mut self.documents,
                self.diags,
                "document",
                &x.id,
                |p| m.documents[p].id.span,
                i,
            );
        }
        for (i, x) in m.sections.iter().enumerate() {
            add(
                &mut self.sections,
                self.diags,
                "section",
                &x.id,
                |p| m.sections[p].id.span,
                i,
            );
        }
    }

    fn check_texts(&mut self) {
        let m = self.m;
        let mut missing = Vec::new();
        let mut check = |t: &Text, what: String, span: Span| {
            let lang = match (&t.zh, &t.en) {
                (Some(_), Some(_)) => return,
                (None, Some(_)) => "Chinese (zh)",
                (Some(_), None) => "English (en)",
                (None, None) => "Chinese (zh) and English (en)",
            };
            missing.push(
                Diagnostic::new(
                    Code::MissingTranslation,
                    span,
                    format!("{what} has no {lang} text"),
                )
                .with_help("every text is written in both zh and en"),
            );
        };
        for x in &m.documents {
            check(
                &x.title,
                format!("title of document `{}`", x.id.value),
                x.id.span,
            );
        }
        for x in &m.sections {
            check(
                &x.title,
                format!("title of section `{}`", x.id.value),
                x.id.span,
            );
        }
        for x in &m.items {
            check(
                &x.prompt,
                format!("prompt of item `{}`", x.id.value),
                x.id.span,
            );
            if let Some(h) = &x.help {
                check(h, format!("help of item `{}`", x.id.value), x.id.span);
            }
            for o in &x.options {
                check(
                    &o.label,
                    format!("label of option `{}`", o.id.value),
                    o.id.span,
                );
            }
        }
        if let Some(id) = m.ruleset.as_ref().or(m.module.as_ref()) {
            if m.ruleset.is_some() {
                check(
                    &m.title,
                    format!("title of ruleset `{}`", id.value),
                    id.span,
                );
            }
            if let Some(t) = &m.description {
                check(t, format!("description of `{}`", id.value), id.span);
            }
            if let Some(t) = &m.out_of_force {
                check(t, format!("out_of_force note of `{}`", id.value), id.span);
            }
        }
        for x in &m.parameters {
            if let Some(t) = &x.description {
                check(
                    t,
                    format!("description of parameter `{}`", x.id.value),
                    x.id.span,
                );
            }
        }
        for x in &m.event_kinds {
            check(
                &x.label,
                format!("label of event kind `{}`", x.id.value),
                x.id.span,
            );
        }
        for x in &m.rules {
            if let Some(u) = &x.unless {
                check(
                    &u.reason,
                    format!("exception reason of rule `{}`", x.id.value),
                    x.id.span,
                );
            }
            for e in &x.escalate {
                check(
                    &e.reason,
                    format!("escalation reason of rule `{}`", x.id.value),
                    x.id.span,
                );
            }
            check(
                &x.title,
                format!("title of rule `{}`", x.id.value),
                x.id.span,
            );
            if let Some(g) = &x.guidance {
                check(g, format!("guidance of rule `{}`", x.id.value), x.id.span);
            }
        }
        self.diags.extend(missing);
    }

    fn item_ref(&mut self, id: &Sp<String>) -> Option<usize> {
        match self.items.get(id.value.as_str()) {
            Some(&i) => {
                if let Some(r) = self.item_reads.get_mut(i) {
                    *r = true;
                }
                Some(i)
            }
            None => {
                let known: Vec<&str> = self.items.keys().copied().collect();
                let mut d = Diagnostic::new(
                    Code::UnknownItem,
                    id.span,
                    format!("unknown item `{}`", id.value),
                )
                .with_label("no item has this id");
                if let Some(c) = crate::decode::closest(&id.value, &known) {
                    d = d.with_help(format!("did you mean `{c}`?"));
                }
                self.push(d);
                None
            }
        }
    }

    fn param_ref(&mut self, id: &Sp<String>) -> Option<usize> {
        match self.params.get(id.value.as_str()) {
            Some(&i) => {
                if let Some(u) = self.param_used.get_mut(i) {
                    *u = true;
                }
                // A table's key item is read whenever the table is.
                let by = self
                    .m
                    .parameters
                    .get(i)
                    .and_then(|p| p.table.as_ref())
                    .map(|t| t.by.value.as_str());
                if let Some(&item) = by.and_then(|b| self.items.get(b))
                    && let Some(r) = self.item_reads.get_mut(item)
                {
                    *r = true;
                }
                Some(i)
            }
            None => {
                let known: Vec<&str> = self.params.keys().copied().collect();
                let mut d = Diagnostic::new(
                    Code::UnknownParameter,
                    id.span,
                    format!("unknown parameter `{}`", id.value),
                );
                if let Some(c) = crate::decode::closest(&id.value, &known) {
                    d = d.with_help(format!("did you mean `{c}`?"));
                }
                self.push(d);
                None
            }
        }
    }

    fn basis(&mut self, b: &Basis) -> Option<CBasis> {
        match self.documents.get(b.document.value.as_str()) {
            Some(&i) => {
                if let Some(u) = self.document_used.get_mut(i) {
                    *u = true;
                }
                let doc_verified = self.m.documents.get(i).is_some_and(|d| d.verified);
                Some(CBasis {
                    document: i,
                    clause: b.clause.clone(),
                    verified: b.verified.unwrap_or(doc_verified),
                })
            }
            None => {
                let known: Vec<&str> = self.documents.keys().copied().collect();
                let mut d = Diagnostic::new(
                    Code::UnknownDocument,
                    b.document.span,
                    format!("unknown document `{}`", b.document.value),
                )
                .with_help("list the document under `documents:` first");
                if let Some(c) = crate::decode::closest(&b.document.value, &known) {
                    d = d.with_help(format!("did you mean `{c}`?"));
                }
                self.push(d);
                None
            }
        }
    }

    fn compile_items(&mut self) -> Vec<CItem> {
        let m = self.m;
        let mut out = Vec::with_capacity(m.items.len());
        for (i, x) in m.items.iter().enumerate() {
            if let Some(s) = &x.section
                && !self.sections.contains_key(s.value.as_str())
            {
                self.push(Diagnostic::new(
                    Code::UnknownSection,
                    s.span,
                    format!("unknown section `{}`", s.value),
                ));
            }
            let kind = x.kind.value;
            let is_choice = matches!(kind, ItemType::Choice | ItemType::MultiChoice);
            if is_choice && x.options.is_empty() {
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        x.kind.span,
                        format!("choice item `{}` has no options", x.id.value),
                    )
                    .with_help("add `options:` with an `id` and a `label` each"),
                );
            }
            if !is_choice && !x.options.is_empty() {
                self.push(Diagnostic::new(
                    Code::InvalidValue,
                    x.kind.span,
                    format!(
                        "item `{}` of type {} cannot have options",
                        x.id.value,
                        kind.as_str()
                    ),
                ));
            }
            if !kind.is_numeric() {
                for b in [&x.min, &x.max].into_iter().flatten() {
                    self.push(Diagnostic::new(
                        Code::InvalidValue,
                        b.span,
                        format!(
                            "bounds only apply to number and count items, not {}",
                            kind.as_str()
                        ),
                    ));
                }
            }
            if let (Some(lo), Some(hi)) = (&x.min, &x.max)
                && lo.value > hi.value
            {
                self.push(Diagnostic::new(
                    Code::InvalidValue,
                    hi.span,
                    format!("`max` {} is below `min` {}", hi.value, lo.value),
                ));
            }
            // Applicability counts as reading an item: an item that only
            // decides whether others apply is not unused.
            let applies_if = x.applies_if.as_ref().and_then(|c| {
                let mut deps = Vec::new();
                let compiled = self.cond(c, 0, &mut Ctx::Item(&mut deps));
                if let Some(slot) = self.item_deps.get_mut(i) {
                    *slot = deps;
                }
                compiled
            });
            out.push(CItem {
                id: x.id.value.clone(),
                kind,
                prompt: x.prompt.clone(),
                unit: x.unit.clone(),
                min: x.min.as_ref().map(|v| v.value),
                max: x.max.as_ref().map(|v| v.value),
                options: x.options.iter().map(|o| o.id.value.clone()).collect(),
                na_allowed: x.not_applicable,
                applies_if,
            });
        }
        out
    }

    fn compile_params(&mut self) -> Vec<CParam> {
        let m = self.m;
        let mut out = Vec::with_capacity(m.parameters.len());
        for p in &m.parameters {
            let _ = self.basis(&p.source);
            if let Some(v) = &p.value {
                out.push(CParam::Const(v.value));
                continue;
            }
            let Some(t) = &p.table else {
                out.push(CParam::Const(Decimal::ZERO));
                continue;
            };
            let Some(&by) = self.items.get(t.by.value.as_str()) else {
                self.item_ref(&t.by);
                out.push(CParam::Const(Decimal::ZERO));
                continue;
            };
            let item = &m.items[by];
            if item.kind.value != ItemType::Choice {
                self.push(Diagnostic::new(
                    Code::TypeMismatch,
                    t.by.span,
                    format!(
                        "a table is keyed by a choice item; `{}` is {}",
                        t.by.value,
                        item.kind.value.as_str()
                    ),
                ));
            }
            let mut rows = vec![None; item.options.len()];
            for r in &t.values {
                match item
                    .options
                    .iter()
                    .position(|o| o.id.value == r.option.value)
                {
                    Some(i) => {
                        if let Some(slot) = rows.get_mut(i) {
                            if slot.is_some() {
                                self.diags.push(Diagnostic::new(
                                    Code::DuplicateId,
                                    r.option.span,
                                    format!(
                                        "option `{}` appears twice in the table",
                                        r.option.value
                                    ),
                                ));
                            }
                            *slot = Some(r.value.value);
                        }
                    }
                    None => self.push(Diagnostic::new(
                        Code::UnknownOption,
                        r.option.span,
                        format!("item `{}` has no option `{}`", t.by.value, r.option.value),
                    )),
                }
            }
            if t.default.is_none() {
                let missing: Vec<&str> = item
                    .options
                    .iter()
                    .zip(&rows)
                    .filter(|(_, r)| r.is_none())
                    .map(|(o, _)| o.id.value.as_str())
                    .collect();
                if !missing.is_empty() {
                    self.push(
                        Diagnostic::new(
                            Code::IncompleteTable,
                            p.id.span,
                            format!(
                                "table `{}` has no value for option {}",
                                p.id.value,
                                missing
                                    .iter()
                                    .map(|m| format!("`{m}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                        .with_help("add the rows, or a `default:` for the options not listed"),
                    );
                }
            }
            out.push(CParam::Table {
                by,
                rows,
                default: t.default.as_ref().map(|d| d.value),
            });
        }
        out
    }

    fn compile_rules(&mut self) -> Vec<CRule> {
        let m = self.m;
        let mut out = Vec::with_capacity(m.rules.len());
        for (i, r) in m.rules.iter().enumerate() {
            let basis = self.basis(&r.basis);
            let also: Vec<CBasis> = r.also.iter().filter_map(|b| self.basis(b)).collect();
            let mut deps = Vec::new();
            let applies_if = r
                .applies_if
                .as_ref()
                .and_then(|c| self.cond(c, 0, &mut Ctx::Rule(&mut deps)));
            let when = self.cond(&r.when, 0, &mut Ctx::Rule(&mut deps));
            let unless = r.unless.as_ref().and_then(|u| {
                let when = self.cond(&u.when, 0, &mut Ctx::Rule(&mut deps))?;
                let basis = u.basis.as_ref().and_then(|b| self.basis(b));
                Some(CException {
                    when,
                    reason: u.reason.clone(),
                    basis,
                })
            });
            let mut escalate = Vec::new();
            for e in &r.escalate {
                if e.to.value <= r.level.value {
                    self.push(Diagnostic::new(
                        Code::InvalidValue,
                        e.to.span,
                        format!(
                            "rule `{}` is already {}; an escalation must raise the level",
                            r.id.value,
                            r.level.value.as_str()
                        ),
                    ));
                }
                let when = self.cond(&e.when, 0, &mut Ctx::Rule(&mut deps));
                let basis = e.basis.as_ref().and_then(|b| self.basis(b));
                if let Some(when) = when {
                    escalate.push(CEscalation {
                        to: e.to.value,
                        when,
                        reason: e.reason.clone(),
                        needs_confirmation: e.needs_confirmation,
                        basis,
                    });
                }
            }
            if let Some(slot) = self.rule_deps.get_mut(i) {
                *slot = deps;
            }
            let (Some(basis), Some(when)) = (basis, when) else {
                continue;
            };
            out.push(CRule {
                id: r.id.value.clone(),
                level: r.level.value,
                basis,
                also,
                title: r.title.clone(),
                guidance: r.guidance.clone(),
                deadline: r.deadline,
                needs_confirmation: r.needs_confirmation,
                applies_if,
                when,
                unless,
                escalate,
            });
        }
        out
    }

    fn check_unused(&mut self) {
        let m = self.m;
        // An item is used when a rule, an exception, an escalation, a
        // parameter table or another item's applicability reads it.
        for (x, read) in m.items.iter().zip(self.item_reads.clone()) {
            if !read {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnusedItem,
                        x.id.span,
                        format!("no rule reads item `{}`", x.id.value),
                    )
                    .with_help("remove the item, or write the rule that uses its answer"),
                );
            }
        }
        for (x, used) in m.parameters.iter().zip(self.param_used.clone()) {
            if !used {
                self.diags.push(Diagnostic::new(
                    Code::UnusedParameter,
                    x.id.span,
                    format!("no rule uses parameter `{}`", x.id.value),
                ));
            }
        }
        for (x, used) in m.documents.iter().zip(self.document_used.clone()) {
            if !used {
                self.diags.push(Diagnostic::new(
                    Code::UnusedDocument,
                    x.id.span,
                    format!("nothing cites document `{}`", x.id.value),
                ));
            }
        }
    }

    /// Orders rules so that each comes after the rules it reads; reports
    /// cycles.
    fn order_rules(&mut self) -> Option<Vec<usize>> {
        let n = self.m.rules.len();
        let deps: Vec<Vec<usize>> = self
            .rule_deps
            .iter()
            .map(|d| d.iter().map(|(i, _)| *i).collect())
            .collect();
        match topo_order(n, &deps) {
            Ok(order) => Some(order),
            Err(cycles) => {
                for cycle in cycles {
                    self.rule_cycle(&cycle);
                }
                None
            }
        }
    }

    /// Reports one cycle between rules, with every reference inside it.
    fn rule_cycle(&mut self, cycle: &[usize]) {
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|i| self.m.rules.get(*i))
            .map(|r| format!("`{}`", r.id.value))
            .collect();
        let first = cycle.first().copied().unwrap_or(0);
        let span = self
            .m
            .rules
            .get(first)
            .map(|r| r.id.span)
            .unwrap_or_default();
        let mut d = Diagnostic::new(
            Code::RuleCycle,
            span,
            format!(
                "rules refer to each other in a cycle: {}",
                names.join(" → ")
            ),
        );
        let mut members = cycle.to_vec();
        members.sort_unstable();
        members.dedup();
        for i in &members {
            if let Some(refs) = self.rule_deps.get(*i) {
                for (target, sp) in refs {
                    if cycle.contains(target) {
                        d = d.with_secondary(*sp, "refers to a rule in the cycle");
                    }
                }
            }
        }
        self.push(d);
    }

    fn order_items(&mut self) -> Option<Vec<usize>> {
        let n = self.m.items.len();
        match topo_order(n, &self.item_deps) {
            Ok(order) => Some(order),
            Err(cycles) => {
                for cycle in cycles {
                    let names: Vec<String> = cycle
                        .iter()
                        .filter_map(|i| self.m.items.get(*i))
                        .map(|r| format!("`{}`", r.id.value))
                        .collect();
                    let span = cycle
                        .first()
                        .and_then(|i| self.m.items.get(*i))
                        .map(|x| x.id.span)
                        .unwrap_or_default();
                    self.push(Diagnostic::new(
                        Code::RuleCycle,
                        span,
                        format!(
                            "item applicability conditions form a cycle: {}",
                            names.join(" → ")
                        ),
                    ));
                }
                None
            }
        }
    }

    fn num_operand(&mut self, op: &Operand, left: usize) -> Option<Num> {
        match op {
            Operand::Literal(l) => match &l.value {
                Literal::Number(d) => Some(Num::Lit(*d)),
                other => {
                    let kind = self.m.items[left].kind.value;
                    // A number typed with a Chinese input method reads as a
                    // string; say so rather than leave the author puzzled.
                    let hint = match other {
                        Literal::Str(t) => match Decimal::parse(t) {
                            Err(e)
                                if e.kind()
                                    == crate::decimal::DecimalErrorKind::FullWidthDigits =>
                            {
                                format!(" (`{t}`: {})", e.kind())
                            }
                            _ => String::new(),
                        },
                        _ => String::new(),
                    };
                    self.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            l.span,
                            format!(
                                "item `{}` is {}; it compares with numbers, not {}{hint}",
                                self.m.items[left].id.value,
                                kind.as_str(),
                                literal_kind(other)
                            ),
                        )
                        .with_label("not a number"),
                    );
                    None
                }
            },
            Operand::Ref(r) => {
                if let Some(p) = &r.param {
                    let i = self.numeric_param(p)?;
                    let factor = self.factor(&r.factor)?;
                    Some(Num::Param { param: i, factor })
                } else if let Some(it) = &r.item {
                    let i = self.item_ref(it)?;
                    let kind = self.m.items[i].kind.value;
                    if !kind.is_numeric() {
                        self.push(Diagnostic::new(
                            Code::TypeMismatch,
                            it.span,
                            format!(
                                "item `{}` is {}; a numeric comparison needs a number or count item",
                                it.value,
                                kind.as_str()
                            ),
                        ));
                        return None;
                    }
                    let factor = self.factor(&r.factor)?;
                    Some(Num::Item { item: i, factor })
                } else {
                    None
                }
            }
        }
    }

    fn option_of(&mut self, item: usize, id: &Sp<String>) -> Option<usize> {
        let x = &self.m.items[item];
        match x.options.iter().position(|o| o.id.value == id.value) {
            Some(i) => Some(i),
            None => {
                let known: Vec<&str> = x.options.iter().map(|o| o.id.value.as_str()).collect();
                let mut d = Diagnostic::new(
                    Code::UnknownOption,
                    id.span,
                    format!("item `{}` has no option `{}`", x.id.value, id.value),
                );
                d = match crate::decode::closest(&id.value, &known) {
                    Some(c) => d.with_help(format!("did you mean `{c}`?")),
                    None => d.with_help(format!("its options are: {}", known.join(", "))),
                };
                self.push(d);
                None
            }
        }
    }

    fn mismatch(&mut self, span: Span, item: usize, op: &str, wants: &str) {
        let x = &self.m.items[item];
        self.push(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!(
                    "`{op}` does not fit item `{}`, which is {}",
                    x.id.value,
                    x.kind.value.as_str()
                ),
            )
            .with_help(format!("`{op}` applies to {wants} items")),
        );
    }

    /// Compiles a condition. `depth` guards against hostile nesting.
    fn cond(&mut self, c: &Condition, depth: usize, ctx: &mut Ctx<'_>) -> Option<Cond> {
        if depth > self.limits.max_condition_depth {
            self.push(Diagnostic::new(
                Code::LimitExceeded,
                c.at.0,
                format!(
                    "conditions nested deeper than {}",
                    self.limits.max_condition_depth
                ),
            ));
            return None;
        }
        for (list, op) in [(&c.all, "all"), (&c.any, "any")] {
            if list.as_ref().is_some_and(|l| l.is_empty()) {
                self.push(
                    Diagnostic::new(Code::InvalidCondition, c.at.0, format!("`{op}` has no members"))
                        .with_help("an empty list would hold always (`all`) or never (`any`); list the conditions"),
                );
                return None;
            }
        }
        if let Some(list) = &c.all {
            return Some(Cond::All(self.conds(list, depth, ctx)?));
        }
        if let Some(list) = &c.any {
            return Some(Cond::Any(self.conds(list, depth, ctx)?));
        }
        if let Some(inner) = &c.not {
            return Some(Cond::Not(Box::new(self.cond(inner, depth + 1, ctx)?)));
        }
        if let Some(a) = &c.at_least {
            // A member written twice would be counted twice; the standards
            // count each element once however often it is seen.
            for (k, m) in a.of.iter().enumerate() {
                if let Some(first) = a.of.get(..k).and_then(|prev| prev.iter().find(|p| *p == m)) {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidCondition,
                            m.at.0,
                            "this member of `at_least` repeats an earlier one, so it would be counted twice",
                        )
                        .with_secondary(first.at.0, "first written here")
                        .with_help("remove the repeated member"),
                    );
                }
            }
            let of = self.conds(&a.of, depth, ctx)?;
            let len = of.len();
            let (n, max_n, span) = match &a.n {
                Count::Fixed(n) => (CountRef::Fixed(n.value), Some(n.value as usize), n.span),
                Count::Param(p) => {
                    let i = self.numeric_param(&p.param)?;
                    let values: Vec<&Decimal> = match self.m.parameters.get(i) {
                        Some(Parameter { value: Some(v), .. }) => vec![&v.value],
                        Some(Parameter { table: Some(t), .. }) => t
                            .values
                            .iter()
                            .map(|r| &r.value.value)
                            .chain(t.default.as_ref().map(|d| &d.value))
                            .collect(),
                        _ => Vec::new(),
                    };
                    if let Some(bad) = values.iter().find(|v| !v.is_integer() || v.is_negative()) {
                        self.push(Diagnostic::new(
                            Code::TypeMismatch,
                            p.param.span,
                            format!(
                                "parameter `{}` holds {bad}; the N of \"at least N of\" is a whole number",
                                p.param.value
                            ),
                        ));
                        return None;
                    }
                    let max = values
                        .iter()
                        .filter_map(|v| v.to_i64())
                        .max()
                        .map(|v| v.max(0) as usize);
                    (CountRef::Param(i), max, p.param.span)
                }
            };
            if let Some(max_n) = max_n
                && (max_n > len || max_n == 0)
            {
                self.push(
                        Diagnostic::new(
                            Code::UnreachableCount,
                            span,
                            if max_n == 0 {
                                "\"at least 0 of\" always holds".to_string()
                            } else {
                                format!("\"at least {max_n} of\" can never hold: there are only {len} members")
                            },
                        )
                        .with_help("N must be between 1 and the number of members"),
                    );
                return None;
            }
            return Some(Cond::AtLeast { n, of });
        }
        if let Some(r) = &c.rule {
            let i = match self.rules.get(r.value.as_str()) {
                Some(&i) => i,
                None => {
                    let known: Vec<&str> = self.rules.keys().copied().collect();
                    let mut d = Diagnostic::new(
                        Code::UnknownRule,
                        r.span,
                        format!("unknown rule `{}`", r.value),
                    );
                    if let Some(c) = crate::decode::closest(&r.value, &known) {
                        d = d.with_help(format!("did you mean `{c}`?"));
                    }
                    self.push(d);
                    return None;
                }
            };
            match ctx {
                Ctx::Rule(deps) => deps.push((i, r.span)),
                Ctx::Item(_) => {
                    self.push(Diagnostic::new(
                        Code::InvalidCondition,
                        r.span,
                        "an item's applicability cannot depend on a rule",
                    ));
                    return None;
                }
            }
            return Some(Cond::Rule(i));
        }
        if let Some(p) = &c.previous {
            // A previous finding may name a rule of an older version, so an
            // unknown id is allowed only if it is at least well formed.
            return Some(Cond::Previous {
                rule: p.rule.value.clone(),
                overdue: p.overdue,
            });
        }
        if let Some(s) = &c.script {
            return self.script(s, ctx);
        }
        if let Some(r) = &c.inspection_date {
            let from = r.from.as_ref().map(|d| d.value);
            let to = r.to.as_ref().map(|d| d.value);
            let label = format!(
                "inspection date in {}..{}",
                from.map_or(String::new(), |d| d.to_string()),
                to.map_or(String::new(), |d| d.to_string())
            );
            return Some(Cond::Leaf {
                item: None,
                test: Test::DateRange { from, to },
                label,
            });
        }
        if let Some(q) = &c.events {
            let mut ok = true;
            for k in &q.kinds {
                if !self.m.event_kinds.iter().any(|e| e.id.value == k.value) {
                    let known: Vec<&str> = self
                        .m
                        .event_kinds
                        .iter()
                        .map(|e| e.id.value.as_str())
                        .collect();
                    self.push(
                        Diagnostic::new(
                            Code::UnknownEventKind,
                            k.span,
                            format!("unknown event kind `{}`", k.value),
                        )
                        .with_help(if known.is_empty() {
                            "declare it under `event_kinds:`".to_string()
                        } else {
                            format!("declared kinds: {}", known.join(", "))
                        }),
                    );
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            let not_handled_within = match &q.not_handled_within {
                Some(d) => Some(self.duration(d)?),
                None => None,
            };
            let since = match &q.since {
                Some(d) => Some(self.duration(d)?),
                None => None,
            };
            let at_least = q.at_least.as_ref().map_or(1, |n| n.value);
            if at_least == 0 {
                self.push(Diagnostic::new(
                    Code::UnreachableCount,
                    q.at_least.as_ref().map_or(c.at.0, |n| n.span),
                    "\"at least 0\" events always holds",
                ));
                return None;
            }
            let kinds: Vec<String> = q.kinds.iter().map(|k| k.value.clone()).collect();
            let mut label = format!("at least {at_least} {} event(s)", kinds.join("/"));
            let min_value = self.factor(&q.min_value)?;
            if let Some(v) = &min_value {
                label.push_str(&format!(" with value ≥ {v}"));
            }
            match &not_handled_within {
                Some(d) => label.push_str(&format!(" not dealt with within {}", duration_label(d))),
                None => label.push_str(" not dealt with"),
            }
            if let Some(d) = &since {
                label.push_str(&format!(" in the last {}", duration_label(d)));
            }
            return Some(Cond::Events(EventTest {
                kinds,
                min_value,
                not_handled_within,
                since,
                at_least,
                label,
            }));
        }
        if let Some(season) = &c.season
            && c.item.is_none()
        {
            let (window, name) = self.season(season)?;
            return Some(Cond::Leaf {
                item: None,
                test: Test::Season(window),
                label: format!("inspection date in {name}"),
            });
        }
        let item_id = c.item.as_ref()?;
        let item = self.item_ref(item_id)?;
        if let Ctx::Item(deps) = ctx {
            deps.push(item);
        }
        let kind = self.m.items[item].kind.value;
        let id = item_id.value.as_str();
        let (test, label) = self.leaf(c, item, kind, id)?;
        Some(Cond::Leaf {
            item: Some(item),
            test,
            label,
        })
    }

    fn conds(&mut self, list: &[Condition], depth: usize, ctx: &mut Ctx<'_>) -> Option<Vec<Cond>> {
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for c in list {
            match self.cond(c, depth + 1, ctx) {
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn leaf(
        &mut self,
        c: &Condition,
        item: usize,
        kind: ItemType,
        id: &str,
    ) -> Option<(Test, String)> {
        let span = c.item.as_ref().map(|s| s.span).unwrap_or_default();
        if let Some(b) = &c.is {
            if kind != ItemType::YesNo {
                self.mismatch(b.span, item, "is", "yes_no");
                return None;
            }
            return Some((
                Test::Is(b.value),
                format!("{id} is {}", if b.value { "yes" } else { "no" }),
            ));
        }
        if let Some(a) = &c.answered {
            let label = if a.value {
                format!("{id} is answered")
            } else {
                format!("{id} is unanswered")
            };
            return Some((Test::Answered(a.value), label));
        }
        if let Some(a) = &c.not_applicable {
            let label = if a.value {
                format!("{id} is not applicable")
            } else {
                format!("{id} applies")
            };
            return Some((Test::NotApplicable(a.value), label));
        }
        let cmps: [(&Option<Operand>, CmpOp); 6] = [
            (&c.eq, CmpOp::Eq),
            (&c.ne, CmpOp::Ne),
            (&c.lt, CmpOp::Lt),
            (&c.lte, CmpOp::Lte),
            (&c.gt, CmpOp::Gt),
            (&c.gte, CmpOp::Gte),
        ];
        for (operand, op) in cmps {
            let Some(operand) = operand else { continue };
            return self.comparison(operand, op, item, kind, id, span);
        }
        if let Some(r) = &c.between {
            if !kind.is_numeric() {
                self.mismatch(span, item, "between", "number and count");
                return None;
            }
            let min = match &r.min {
                Some(o) => Some(self.num_operand(o, item)?),
                None => None,
            };
            let max = match &r.max {
                Some(o) => Some(self.num_operand(o, item)?),
                None => None,
            };
            // Constant ends (literals or constant parameters) that leave no
            // number between them make a test that can never hold.
            let constant = |n: &Option<Num>| match n {
                Some(Num::Lit(d)) => Some(*d),
                Some(Num::Param { param, factor }) => match self.m.parameters.get(*param) {
                    Some(Parameter { value: Some(v), .. }) => match factor {
                        Some(f) => v.value.checked_mul(*f),
                        None => Some(v.value),
                    },
                    _ => None,
                },
                _ => None,
            };
            if let (Some(lo), Some(hi)) = (constant(&min), constant(&max))
                && (lo > hi || (lo == hi && (r.min_exclusive || r.max_exclusive)))
            {
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        span,
                        format!(
                            "no number lies in this range (from {lo} to {hi}): the test never holds"
                        ),
                    )
                    .with_help("check the order of `min` and `max`, and which end is exclusive"),
                );
                return None;
            }
            let label = format!(
                "{id} in {}{}, {}{}",
                if r.min_exclusive { "(" } else { "[" },
                min.as_ref().map_or("-∞".to_string(), |n| self.num_label(n)),
                max.as_ref().map_or("+∞".to_string(), |n| self.num_label(n)),
                if r.max_exclusive { ")" } else { "]" },
            );
            return Some((
                Test::Between {
                    min,
                    max,
                    min_excl: r.min_exclusive,
                    max_excl: r.max_exclusive,
                },
                label,
            ));
        }
        if let Some(list) = &c.in_ {
            if !matches!(kind, ItemType::Choice | ItemType::MultiChoice) {
                self.mismatch(span, item, "in", "choice and multi_choice");
                return None;
            }
            let opts: Option<Vec<usize>> = list.iter().map(|o| self.option_of(item, o)).collect();
            let label = format!(
                "{id} in {{{}}}",
                list.iter()
                    .map(|o| o.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Some((Test::In(opts?), label));
        }
        if let Some(list) = &c.has_all {
            if kind != ItemType::MultiChoice {
                self.mismatch(span, item, "has_all", "multi_choice");
                return None;
            }
            let opts: Option<Vec<usize>> = list.iter().map(|o| self.option_of(item, o)).collect();
            let label = format!(
                "{id} has all of {{{}}}",
                list.iter()
                    .map(|o| o.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Some((Test::HasAll(opts?), label));
        }
        if let Some(re) = &c.matches {
            if kind != ItemType::Text {
                self.mismatch(re.span, item, "matches", "text");
                return None;
            }
            if re.value.len() > self.limits.max_regex_len {
                self.push(Diagnostic::new(
                    Code::InvalidRegex,
                    re.span,
                    format!(
                        "regular expression is {} bytes long, more than the limit of {}",
                        re.value.len(),
                        self.limits.max_regex_len
                    ),
                ));
                return None;
            }
            let compiled = RegexBuilder::new(&re.value)
                .size_limit(self.limits.max_regex_size)
                .dfa_size_limit(self.limits.max_regex_size)
                .build();
            return match compiled {
                Ok(r) => Some((Test::Matches(r), format!("{id} matches /{}/", re.value))),
                Err(e) => {
                    let msg = match &e {
                        regex::Error::CompiledTooBig(limit) => format!(
                            "regular expression is too large to compile (limit {limit} bytes)"
                        ),
                        other => format!(
                            "invalid regular expression: {}",
                            other
                                .to_string()
                                .lines()
                                .last()
                                .unwrap_or("syntax error")
                                .trim()
                                .trim_start_matches("error: ")
                        ),
                    };
                    self.push(Diagnostic::new(Code::InvalidRegex, re.span, msg));
                    None
                }
            };
        }
        if let Some(d) = &c.older_than {
            if kind != ItemType::Date {
                self.mismatch(span, item, "older_than", "date");
                return None;
            }
            let d = &self.duration(d)?;
            return Some((
                Test::OlderThan(d.clone()),
                format!("{id} more than {} before the inspection", duration_label(d)),
            ));
        }
        if let Some(d) = &c.due_within {
            if kind != ItemType::Date {
                self.mismatch(span, item, "due_within", "date");
                return None;
            }
            let d = &self.duration(d)?;
            return Some((
                Test::DueWithin(d.clone()),
                format!(
                    "{id} within {} of the inspection or past",
                    duration_label(d)
                ),
            ));
        }
        if let Some(b) = &c.before_inspection {
            if kind != ItemType::Date {
                self.mismatch(b.span, item, "before_inspection", "date");
                return None;
            }
            let label = if b.value {
                format!("{id} before the inspection date")
            } else {
                format!("{id} on or after the inspection date")
            };
            return Some((Test::BeforeInspection(b.value), label));
        }
        if let Some(s) = &c.season {
            if kind != ItemType::Date {
                self.mismatch(span, item, "season", "date");
                return None;
            }
            let (window, name) = self.season(s)?;
            return Some((Test::Season(window), format!("{id} in {name}")));
        }
        if let Some(t) = &c.time_between {
            if kind != ItemType::Time {
                self.mismatch(span, item, "time_between", "time");
                return None;
            }
            let (window, name) = self.time_window(t)?;
            return Some((Test::TimeBetween(window), format!("{id} in {name}")));
        }
        None
    }

    /// Resolves a season written out or named by a parameter, with the
    /// label the explanation shows (the parameter id and its window).
    fn season(&mut self, w: &Window<Season>) -> Option<(SeasonWindow, String)> {
        let (s, name) = match w {
            Window::Literal(s) => (s, String::new()),
            Window::Param(p) => {
                let i = self.param_ref(&p.param)?;
                let Some(s) = self.m.parameters.get(i).and_then(|x| x.season.as_ref()) else {
                    self.not_of_kind(&p.param, "a season (`season: {from, to}`)");
                    return None;
                };
                (s, format!("{} = ", p.param.value))
            }
        };
        let window = SeasonWindow {
            from: s.from.value,
            to: s.to.value,
        };
        Some((window, format!("{name}{}..{}", s.from.value, s.to.value)))
    }

    /// Resolves a daily time window written out or named by a parameter.
    fn time_window(&mut self, w: &Window<TimeRange>) -> Option<(TimeWindow, String)> {
        let (t, name) = match w {
            Window::Literal(t) => (t, String::new()),
            Window::Param(p) => {
                let i = self.param_ref(&p.param)?;
                let Some(t) = self
                    .m
                    .parameters
                    .get(i)
                    .and_then(|x| x.time_window.as_ref())
                else {
                    self.not_of_kind(&p.param, "a daily window (`time_window: {from, to}`)");
                    return None;
                };
                (t, format!("{} = ", p.param.value))
            }
        };
        let window = TimeWindow {
            from: t.from.value,
            to: t.to.value,
        };
        Some((window, format!("{name}{}..{}", t.from.value, t.to.value)))
    }

    /// Reports a parameter used where another kind of parameter is needed.
    fn not_of_kind(&mut self, p: &Sp<String>, needed: &str) {
        let kind = match self
            .params
            .get(p.value.as_str())
            .and_then(|&i| self.m.parameters.get(i))
        {
            Some(x) if x.value.is_some() => "a constant",
            Some(x) if x.table.is_some() => "a table",
            Some(x) if x.season.is_some() => "a season",
            Some(x) if x.time_window.is_some() => "a daily window",
            _ => "something else",
        };
        self.push(
            Diagnostic::new(
                Code::TypeMismatch,
                p.span,
                format!("parameter `{}` is {kind}; this needs {needed}", p.value),
            )
            .with_label(kind),
        );
    }

    /// Resolves a parameter that must hold a number (a constant or a table).
    fn numeric_param(&mut self, p: &Sp<String>) -> Option<usize> {
        let i = self.param_ref(p)?;
        let x = self.m.parameters.get(i)?;
        if x.value.is_none() && x.table.is_none() {
            self.not_of_kind(p, "a number (`value` or `table`)");
            return None;
        }
        Some(i)
    }

    fn comparison(
        &mut self,
        operand: &Operand,
        op: CmpOp,
        item: usize,
        kind: ItemType,
        id: &str,
        span: Span,
    ) -> Option<(Test, String)> {
        let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        match kind {
            ItemType::Number | ItemType::Count => {
                let n = self.num_operand(operand, item)?;
                let label = format!("{id} {} {}", op.symbol(), self.num_label(&n));
                Some((Test::Num(op, n), label))
            }
            ItemType::Choice => {
                if ordered {
                    self.mismatch(span, item, op_key(op), "number, count, date and time");
                    return None;
                }
                let Operand::Literal(Sp {
                    value: Literal::Str(s),
                    span: lspan,
                }) = operand
                else {
                    self.push(Diagnostic::new(
                        Code::TypeMismatch,
                        operand_span(operand, span),
                        format!("item `{id}` is a choice; compare it with one of its option ids"),
                    ));
                    return None;
                };
                let o = self.option_of(item, &Sp::new(s.clone(), *lspan))?;
                Some((
                    Test::Choice {
                        eq: op == CmpOp::Eq,
                        option: o,
                    },
                    format!("{id} {} {s}", op.symbol()),
                ))
            }
            ItemType::YesNo => {
                let Operand::Literal(Sp {
                    value: Literal::Bool(b),
                    ..
                }) = operand
                else {
                    self.push(Diagnostic::new(
                        Code::TypeMismatch,
                        operand_span(operand, span),
                        format!("item `{id}` is yes/no; compare it with yes or no (or use `is`)"),
                    ));
                    return None;
                };
                if ordered {
                    self.mismatch(span, item, op_key(op), "number, count, date and time");
                    return None;
                }
                let expect = if op == CmpOp::Eq { *b } else { !*b };
                Some((
                    Test::Is(expect),
                    format!("{id} is {}", if expect { "yes" } else { "no" }),
                ))
            }
            ItemType::Text => {
                let Operand::Literal(Sp {
                    value: Literal::Str(s),
                    ..
                }) = operand
                else {
                    self.push(Diagnostic::new(
                        Code::TypeMismatch,
                        operand_span(operand, span),
                        format!("item `{id}` is text; compare it with a string or use `matches`"),
                    ));
                    return None;
                };
                if ordered {
                    self.mismatch(span, item, op_key(op), "number, count, date and time");
                    return None;
                }
                Some((
                    Test::Text {
                        eq: op == CmpOp::Eq,
                        value: s.clone(),
                    },
                    format!("{id} {} \"{s}\"", op.symbol()),
                ))
            }
            ItemType::Date => {
                let rhs = match operand {
                    Operand::Literal(Sp {
                        value: Literal::Str(s),
                        span: lspan,
                    }) => match crate::date::Date::parse(s) {
                        Ok(d) => DateRhs::Lit(d),
                        Err(e) => {
                            self.push(Diagnostic::new(Code::InvalidDate, *lspan, e.to_string()));
                            return None;
                        }
                    },
                    Operand::Ref(OperandRef {
                        item: Some(other),
                        factor: None,
                        ..
                    }) => {
                        let j = self.item_ref(other)?;
                        if self.m.items[j].kind.value != ItemType::Date {
                            self.push(Diagnostic::new(
                                Code::TypeMismatch,
                                other.span,
                                format!("item `{}` is not a date", other.value),
                            ));
                            return None;
                        }
                        DateRhs::Item(j)
                    }
                    _ => {
                        self.push(Diagnostic::new(Code::TypeMismatch, operand_span(operand, span), format!("item `{id}` is a date; compare it with a date (YYYY-MM-DD) or another date item")));
                        return None;
                    }
                };
                let label = match &rhs {
                    DateRhs::Lit(d) => format!("{id} {} {d}", op.symbol()),
                    DateRhs::Item(j) => {
                        format!("{id} {} {}", op.symbol(), self.m.items[*j].id.value)
                    }
                };
                Some((Test::Date(op, rhs), label))
            }
            ItemType::Time => {
                let Operand::Literal(Sp {
                    value: Literal::Str(s),
                    span: lspan,
                }) = operand
                else {
                    self.push(Diagnostic::new(
                        Code::TypeMismatch,
                        operand_span(operand, span),
                        format!("item `{id}` is a time; compare it with a time (HH:MM)"),
                    ));
                    return None;
                };
                match TimeOfDay::parse(s) {
                    Ok(t) => Some((Test::Time(op, t), format!("{id} {} {t}", op.symbol()))),
                    Err(e) => {
                        self.push(Diagnostic::new(Code::InvalidValue, *lspan, e.to_string()));
                        None
                    }
                }
            }
            ItemType::MultiChoice => {
                self.mismatch(
                    span,
                    item,
                    op_key(op),
                    "number, count, choice, yes_no, text, date and time",
                );
                None
            }
        }
    }

    /// Resolves a factor to a number; `Some(None)` when there is none.
    fn factor(&mut self, f: &Option<Factor>) -> Option<Option<Decimal>> {
        match f {
            None => Some(None),
            Some(Factor::Number(d)) => Some(Some(d.value)),
            Some(Factor::Param(p)) => {
                let i = self.param_ref(&p.param)?;
                match self.m.parameters.get(i).and_then(|x| x.value.as_ref()) {
                    Some(v) => Some(Some(v.value)),
                    None => {
                        self.push(Diagnostic::new(
                            Code::TypeMismatch,
                            p.param.span,
                            format!(
                                "parameter `{}` is a table; a factor must be a constant",
                                p.param.value
                            ),
                        ));
                        None
                    }
                }
            }
        }
    }

    /// Resolves a duration written with `param` into years, months or days.
    fn duration(&mut self, d: &Duration) -> Option<Duration> {
        let Some(p) = &d.param else {
            return Some(d.clone());
        };
        let i = self.param_ref(p)?;
        let param = self.m.parameters.get(i)?;
        let value = param
            .value
            .as_ref()
            .and_then(|v| v.value.to_i64())
            .and_then(|v| u32::try_from(v).ok());
        let Some(value) = value.filter(|v| *v > 0) else {
            self.push(Diagnostic::new(
                Code::TypeMismatch,
                p.span,
                format!(
                    "parameter `{}` is not a whole positive constant, so it cannot be a duration",
                    p.value
                ),
            ));
            return None;
        };
        let mut out = Duration::default();
        match param.unit.as_deref() {
            Some("years" | "year" | "年") => out.years = value,
            Some("months" | "month" | "月" | "个月") => out.months = value,
            Some("days" | "day" | "日" | "天") => out.days = value,
            other => {
                self.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        p.span,
                        format!(
                            "parameter `{}` has unit `{}`; a duration needs `years`, `months` or `days`",
                            p.value,
                            other.unwrap_or("none")
                        ),
                    )
                    .with_help("set `unit: years` (or months, days) on the parameter"),
                );
                return None;
            }
        }
        Some(out)
    }

    fn num_label(&self, n: &Num) -> String {
        let factor = |f: &Option<Decimal>| f.map_or(String::new(), |f| format!(" × {f}"));
        match n {
            Num::Lit(d) => d.to_string(),
            Num::Param { param, factor: f } => {
                let id = self
                    .m
                    .parameters
                    .get(*param)
                    .map_or("?", |p| p.id.value.as_str());
                format!("{id}{}", factor(f))
            }
            Num::Item { item, factor: f } => {
                let id = self.m.items.get(*item).map_or("?", |p| p.id.value.as_str());
                format!("{id}{}", factor(f))
            }
        }
    }

    fn script(&mut self, s: &Sp<String>, ctx: &mut Ctx<'_>) -> Option<Cond> {
        if s.value.len() > self.limits.max_script_len {
            self.push(Diagnostic::new(
                Code::LimitExceeded,
                s.span,
                format!(
                    "script is {} bytes long, more than the limit of {}",
                    s.value.len(),
                    self.limits.max_script_len
                ),
            ));
            return None;
        }
        if self.engine.is_none() {
            self.engine = Some(script::engine(self.limits));
        }
        let engine = self.engine.as_ref()?;
        match script::compile(engine, &s.value, &self.item_ids) {
            Ok(compiled) => {
                // `a.b`, `a-b` and `a_b` all become the variable `a_b`: a
                // script reading it would be ambiguous.
                for (i, var) in &compiled.reads {
                    let others: Vec<&str> = compiled
                        .reads
                        .iter()
                        .filter(|(j, v)| v == var && j != i)
                        .map(|(j, _)| self.item_ids[*j].as_str())
                        .collect();
                    if let Some(other) = others.first() {
                        self.push(
                            Diagnostic::new(
                                Code::ScriptError,
                                s.span,
                                format!(
                                    "items `{}` and `{other}` are both the script variable `{var}`",
                                    self.item_ids[*i]
                                ),
                            )
                            .with_help("rename one of the items, or compare them without a script"),
                        );
                        return None;
                    }
                }
                for (i, _) in &compiled.reads {
                    if let Some(r) = self.item_reads.get_mut(*i) {
                        *r = true;
                    }
                    if let Ctx::Item(deps) = ctx {
                        deps.push(*i);
                    }
                }
                self.scripts.push(compiled);
                Some(Cond::Script(self.scripts.len() - 1))
            }
            Err(e) => {
                self.push(
                    Diagnostic::new(Code::ScriptError, script_span(self.sources, s, e.line, e.column), format!("script does not compile: {}", e.message))
                        .with_help("a script is one Rhai expression over answers, named after item ids with `.` and `-` written as `_`"),
                );
                None
            }
        }
    }
}

/// Where a compile problem is recorded: rules collect the rules they read,
/// item applicability collects the items it reads.
enum Ctx<'d> {
    Rule(&'d mut Vec<(usize, Span)>),
    Item(&'d mut Vec<usize>),
}

fn op_key(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "eq",
        CmpOp::Ne => "ne",
        CmpOp::Lt => "lt",
        CmpOp::Lte => "lte",
        CmpOp::Gt => "gt",
        CmpOp::Gte => "gte",
    }
}

fn literal_kind(l: &Literal) -> &'static str {
    match l {
        Literal::Bool(_) => "yes/no",
        Literal::Number(_) => "a number",
        Literal::Str(_) => "a string",
    }
}

fn operand_span(o: &Operand, fallback: Span) -> Span {
    match o {
        Operand::Literal(l) => l.span,
        Operand::Ref(r) => r
            .param
            .as_ref()
            .or(r.item.as_ref())
            .map_or(fallback, |s| s.span),
    }
}

fn duration_label(d: &Duration) -> String {
    let mut parts = Vec::new();
    if d.years > 0 {
        parts.push(format!(
            "{} year{}",
            d.years,
            if d.years == 1 { "" } else { "s" }
        ));
    }
    if d.months > 0 {
        parts.push(format!(
            "{} month{}",
            d.months,
            if d.months == 1 { "" } else { "s" }
        ));
    }
    if d.days > 0 {
        parts.push(format!(
            "{} day{}",
            d.days,
            if d.days == 1 { "" } else { "s" }
        ));
    }
    parts.join(" ")
}

/// The place in the file of a position in a script whose lines were
/// joined when the YAML was read: the same number of non-blank characters
/// into the scalar's content.
fn folded_span(sources: &SourceMap, s: &Sp<String>, line: usize, column: usize) -> Option<Span> {
    let text: &str = &sources.get(s.span.file)?.text;
    let offset: usize = s
        .value
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let in_line = s.value.get(offset..)?;
    let at = offset
        + in_line
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(in_line.len(), |(b, _)| b);
    let wanted = s
        .value
        .get(..at)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    let mut content = s.span.start.min(text.len());
    // A block scalar's content starts on the line after its indicator; a
    // quoted one after its quote.
    // FIXME(#2): in a quoted scalar an escape (`\t`, `\u0041`, `''`) is
    // more characters in the file than in the script, so a position after
    // one lands that many characters early; counting should decode escapes,
    // or give up (the scalar's start) when the scalar holds one.
    match text.get(content..)?.chars().next()? {
        '>' | '|' => content += text.get(content..)?.find('\n')? + 1,
        '"' | '\'' => content += 1,
        _ => {}
    }
    let mut seen = 0;
    for (b, c) in text.get(content..)?.char_indices() {
        if c.is_whitespace() {
            continue;
        }
        if seen == wanted {
            let start = content + b;
            let (l, c) = sources.line_col(s.span.file, start);
            return Some(Span {
                file: s.span.file,
                start,
                end: start,
                line: l,
                column: c,
            });
        }
        seen += 1;
    }
    None
}

/// Maps a position inside a script (one-based line and character column)
/// to the file. The script's line is looked up in the file text from where
/// the scalar starts, which works for plain, quoted and block scalars alike.
/// When the line cannot be found (a folded scalar joins its lines, a quoted
/// one may hold escapes), `folded_span` counts non-blank characters
/// instead; when that fails too, the scalar's own start is used.
fn script_span(sources: &SourceMap, s: &Sp<String>, line: usize, column: usize) -> Span {
    let mut span = s.span;
    span.end = span.start;
    let Some(file) = sources.get(span.file) else {
        return span;
    };
    let text: &str = &file.text;
    let Some(script_line) = s.value.lines().nth(line.saturating_sub(1)) else {
        return span;
    };
    let needle = script_line.trim_start();
    let lead = script_line.len() - needle.len();
    if needle.is_empty() || line == 0 {
        return span;
    }
    let Some(rest) = text.get(span.start.min(text.len())..) else {
        return span;
    };
    let Some(found) = rest.find(needle) else {
        // A folded (`>`) or multi-line flow scalar joins its lines, so no
        // line of the script stands in the file as it is. Its characters
        // other than white space still do, in order: count them.
        return folded_span(sources, s, line, column).unwrap_or(span);
    };
    // Column counts characters of the script line, including its leading
    // spaces, which are already skipped in `needle`.
    let chars_in = column.saturating_sub(1);
    let byte_in = script_line
        .char_indices()
        .nth(chars_in)
        .map_or(script_line.len(), |(b, _)| b)
        .saturating_sub(lead);
    let start = span.start + found + byte_in;
    let (l, c) = sources.line_col(span.file, start);
    Span {
        file: span.file,
        start,
        end: start,
        line: l,
        column: c,
    }
}

/// Orders `n` nodes so that each comes after its dependencies, or returns
/// the cycles: every cycle the search meets that shares no node with one
/// found before, so that independent cycles are all reported at once.
fn topo_order(n: usize, deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<Vec<usize>>> {
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    let mut in_cycle = vec![false; n];
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if state.get(start) != Some(&0) {
            continue;
        }
        // Iterative depth-first search, so that hostile inputs with long
        // chains cannot overflow the stack.
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(s) = state.get_mut(start) {
            *s = 1;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let edges = deps.get(node).map_or(&[][..], |v| v.as_slice());
            if let Some(&dep) = edges.get(*next) {
                *next += 1;
                match state.get(dep) {
                    Some(0) => {
                        if let Some(s) = state.get_mut(dep) {
                            *s = 1;
                        }
                        stack.push((dep, 0));
                    }
                    Some(1) => {
                        let pos = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack
                            .get(pos..)
                            .unwrap_or(&[])
                            .iter()
                            .map(|(n, _)| *n)
                            .collect();
                        if cycle.iter().all(|m| in_cycle.get(*m) == Some(&false)) {
                            for m in &cycle {
                                if let Some(f) = in_cycle.get_mut(*m) {
                                    *f = true;
                                }
                            }
                            cycle.push(dep);
                            cycles.push(cycle);
                        }
                    }
                    _ => {}
                }
            } else {
                if let Some(s) = state.get_mut(node) {
                    *s = 2;
                }
                order.push(node);
                stack.pop();
            }
        }
    }
    if cycles.is_empty() {
        Ok(order)
    } else {
        Err(cycles)
    }
}

/// A version's label, first and last day in force, and where its period
/// was written.
pub(crate) type VersionPeriod = (String, crate::date::Date, Option<crate::date::Date>, Span);

/// Checks that versions of one ruleset do not overlap in time.
pub(crate) fn check_versions(id: &str, versions: &[VersionPeriod], diags: &mut Vec<Diagnostic>) {
    let mut sorted: Vec<_> = versions.iter().collect();
    sorted.sort_by_key(|v| v.1);
    let mut labels: BTreeMap<&str, Span> = BTreeMap::new();
    for v in versions {
        if let Some(first) = labels.get(v.0.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    v.3,
                    format!("ruleset `{id}` has two versions labelled `{}`", v.0),
                )
                .with_secondary(*first, "first defined here"),
            );
        } else {
            labels.insert(v.0.as_str(), v.3);
        }
    }
    for pair in sorted.windows(2) {
        let [a, b] = pair else { continue };
        let overlaps = match a.2 {
            Some(end) => end >= b.1,
            None => true,
        };
        if overlaps {
            diags.push(
                Diagnostic::new(
                    Code::OverlappingVersions,
                    b.3,
                    format!(
                        "version `{}` of `{id}` starts on {} while version `{}` is still in force",
                        b.0, b.1, a.0
                    ),
                )
                .with_secondary(a.3, "this version's period")
                .with_help("end the earlier version the day before the later one starts (`effective: {to: ...}`)"),
            );
        }
    }
}
