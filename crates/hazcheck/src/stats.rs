//! Supervision statistics over many reports and follow-ups.
//!
//! A provincial office counts, every week and month, what its teams found:
//! sites inspected, hazards by level, domain, rule and region (province,
//! city, county from the site's region path), major hazards, how many were
//! rectified and how many are overdue. This module reads reports and
//! follow-up results (single JSON documents, arrays, or NDJSON as a batch
//! run writes it) and computes those counts; the command line renders them.
//!
//! The unit of counting is the **hazard**: one rule at one site, from the
//! visit that found it until it is rectified. A hazard found at a first
//! visit and still there at a follow-up is counted once, with the state
//! and level of its latest visit, so that hazard counts and rectification
//! rates do not grow with the number of return visits. A hazard is
//! rectified only when a follow-up saw it rectified; it is overdue when it
//! is not rectified and its due date is before the `as_of` date (by default
//! the latest inspection date among the inputs: there is no clock).
//!
//! Records are read one at a time from a stream ([`read_records_from`]) and
//! folded into a [`StatsBuilder`], which keeps one small entry per
//! inspection and per hazard, with site, rule and domain names stored once:
//! memory grows with the number of inspections and hazards, not with the
//! size of the reports or files read.
//!
//! ```
//! use hazcheck::stats::{StatsOptions, compute, read_records};
//! use hazcheck::{EvalOptions, Inspection, Limits, SourceMap};
//!
//! let library = hazcheck::builtin::load(Limits::default())
//!     .library
//!     .ok_or("the built-in rulesets have errors")?;
//! let mut sources = SourceMap::new();
//! let mut report = |site: &str, answers: &str| -> Result<String, Box<dyn std::error::Error>> {
//!     let text = format!(
//!         "ruleset: common-tasks\ndate: 2025-03-10\nsite: {site}\n\
//!          deadlines: {{ordinary: 30}}\nanswers: {answers}\n"
//!     );
//!     let inspection = Inspection::parse(&text, "visit.yaml", &mut sources, &Limits::default())
//!         .map_err(|d| format!("{} problems", d.len()))?;
//!     Ok(library.evaluate(&inspection, &EvalOptions::default())?.to_json())
//! };
//! // Two reports as a stats run reads them: JSON documents one after the other.
//! let (a, b) = ("{id: a, region: 山东省/济南市/历下区}", "{id: b, region: 山东省/青岛市/市南区}");
//! let text = [
//!     report(a, "{ct.licence.held: no, ct.plan.exists: no}")?,
//!     report(b, "{ct.licence.held: no}")?,
//! ]
//! .concat();
//! let records = read_records(&text)?;
//! assert_eq!(records.len(), 2);
//!
//! let stats = compute(&records, &StatsOptions::default());
//! assert_eq!(stats.inputs.reports, 2);
//! let total = &stats.total;
//! assert_eq!((total.inspections, total.sites, total.hazards), (2, 2, 3));
//! assert_eq!((total.major, total.ordinary, total.rectified), (0, 3, 0));
//!
//! let rule = stats.by_rule.iter().find(|r| r.key == "ct.licence-missing").ok_or("no row")?;
//! assert_eq!((rule.sites, rule.hazards), (2, 2));
//! let cities: Vec<&str> = stats.by_city.iter().map(|r| r.key.as_str()).collect();
//! assert_eq!(cities, ["山东省/济南市", "山东省/青岛市"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Read};

use schemars::JsonSchema;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::followup::{FOLLOW_UP_FORMAT, FollowUp, Status};
use crate::inspection::Site;
use crate::model::{Level, Text};
use crate::report::{REPORT_FORMAT, Report};

/// The format version of statistics.
pub const STATS_FORMAT: &str = "hazcheck.stats/1";

/// The key of a region level that the site's region path does not give.
pub const UNKNOWN: &str = "-";

/// One document read for statistics.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// The report of one inspection.
    Report(Box<Report>),
    /// The result of a follow-up inspection.
    FollowUp(Box<FollowUp>),
    /// A batch record of an inspection that could not be evaluated, with
    /// its error message; it is counted, not analysed.
    Failed(String),
}

/// Why a text could not be read as records.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ReadError {
    /// The line (from 1) of the value or syntax error.
    pub line: usize,
    /// The column (from 1).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads every record of a text: one JSON document, several documents one
/// after the other (NDJSON, one per line), or arrays of them. A value may
/// be a report, a follow-up result, or a batch record that holds one under
/// `report` (or `followup`), as `hazcheck batch` writes them; a batch record
/// with `errors` (or `error`) and no report becomes [`Record::Failed`].
pub fn read_records(text: &str) -> Result<Vec<Record>, ReadError> {
    let mut out = Vec::new();
    read_records_from(text.as_bytes(), usize::MAX, &mut |r| out.push(r))?;
    Ok(out)
}

/// Reads the records of a stream as [`read_records`] does, handing each to
/// `each` as soon as it is read: only one document (one report, or one
/// element of an array) is held in memory at a time, whatever the size of
/// the stream. Records before an error have been handed over when it is
/// returned. A document (a top-level value: a report, or an array of them)
/// longer than `max_bytes` is an error, so that no input can make the
/// reader hold more than that.
pub fn read_records_from<R: BufRead>(
    reader: R,
    max_bytes: usize,
    each: &mut dyn FnMut(Record),
) -> Result<(), ReadError> {
    let mut src = Source {
        inner: reader,
        line: 1,
        column: 1,
        started: false,
        left: max_bytes,
        limit: max_bytes,
    };
    loop {
        match src.skip_whitespace() {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                return Err(ReadError {
                    line: src.line,
                    column: src.column,
                    message: e.to_string(),
                });
            }
        }
        let (line, column) = (src.line, src.column);
        src.left = src.limit;
        let mut failure = None;
        // Most inputs are NDJSON: a value that fills the rest of its line
        // is parsed from the buffer at once, without the reader's call per
        // byte. Anything else (a document over several lines,
        // a line longer than the buffer, an error) is read byte by byte
        // below, where errors get their exact place.
        let result = if let Some(value) = src.whole_line() {
            top_value(value, each, &mut failure);
            Ok(())
        } else {
            let mut de = serde_json::Deserializer::from_reader(&mut src);
            Top {
                each: &mut *each,
                failure: &mut failure,
            }
            .deserialize(&mut de)
        };
        if let Some(message) = failure {
            return Err(ReadError {
                line,
                column,
                message,
            });
        }
        if let Err(e) = result {
            // The deserializer counts from where this value starts.
            let (l, c) = (e.line(), e.column());
            let (line, column) = if l <= 1 {
                (line, column + c.saturating_sub(1))
            } else {
                (line + l - 1, c)
            };
            let text = e.to_string();
            let message = match text.rsplit_once(" at line ") {
                Some((m, _)) => m.to_string(),
                None => text,
            };
            return Err(ReadError {
                line,
                column,
                message,
            });
        }
    }
}

/// Options of a statistics run.
///
/// ```
/// use hazcheck::stats::{Record, StatsOptions, compute};
/// use hazcheck::{Date, EvalOptions, Inspection, Limits, SourceMap};
///
/// let library = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// let text = "ruleset: common-tasks\ndate: 2025-03-10\nsite: {id: a}\n\
///             deadlines: {ordinary: 30}\nanswers: {ct.plan.exists: no}\n";
/// let mut sources = SourceMap::new();
/// let inspection = Inspection::parse(text, "visit.yaml", &mut sources, &Limits::default())
///     .map_err(|d| format!("{} problems", d.len()))?;
/// let report = library.evaluate(&inspection, &EvalOptions::default())?;
/// assert_eq!(report.findings[0].due, Some(Date::parse("2025-04-09")?));
///
/// let records = [Record::Report(Box::new(report))];
/// let stats_on = |day: Option<&str>| -> Result<usize, Box<dyn std::error::Error>> {
///     let as_of = day.map(Date::parse).transpose()?;
///     Ok(compute(&records, &StatsOptions { as_of }).total.overdue)
/// };
/// // By default the latest inspection date, when nothing is overdue yet.
/// assert_eq!(stats_on(None)?, 0);
/// assert_eq!(stats_on(Some("2025-04-09"))?, 0);
/// assert_eq!(stats_on(Some("2025-04-10"))?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct StatsOptions {
    /// The date overdue hazards are counted on; by default the latest
    /// inspection date among the inputs.
    pub as_of: Option<Date>,
}

/// Supervision statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stats {
    /// Always [`STATS_FORMAT`].
    pub format: String,
    /// The date overdue hazards are counted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// The earliest inspection date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Date>,
    /// The latest inspection date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Date>,
    /// What was read.
    pub inputs: Inputs,
    /// Everything.
    pub total: Row,
    /// By level (major first); a hazard counts at its latest level.
    pub by_level: Vec<Row>,
    /// By supervision domain (the ruleset's `domain`, or its id).
    pub by_domain: Vec<Row>,
    /// By rule; `ruleset` names the ruleset.
    pub by_rule: Vec<Row>,
    /// By province: the first segment of the site's region path.
    pub by_province: Vec<Row>,
    /// By city: the first two segments, such as `山东省/济南市`.
    pub by_city: Vec<Row>,
    /// By county: the first three segments.
    pub by_county: Vec<Row>,
    /// By month (`YYYY-MM`): inspections made and hazards found in it.
    pub by_month: Vec<Row>,
    /// By ISO week (`YYYY-Www`): inspections made and hazards found in it.
    pub by_week: Vec<Row>,
    /// Major hazards not (yet) seen rectified.
    pub major_open: Vec<OpenHazard>,
    /// Hazards not seen rectified whose due date is before `as_of`.
    pub overdue: Vec<OpenHazard>,
}

/// What a statistics run read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Inputs {
    /// Reports of single inspections.
    pub reports: usize,
    /// Follow-up results.
    pub follow_ups: usize,
    /// Batch records of inspections that could not be evaluated.
    pub failed: usize,
    /// Inspections read more than once (same site, date, ruleset and
    /// inspection id), counted once. A report and the follow-up result of
    /// the same visit are one inspection read twice.
    pub duplicates: usize,
}

/// The counts of one group (a level, domain, rule, region or period).
///
/// For domain, region and period rows, `inspections` and `sites` count the
/// inspections of the group; for level and rule rows, the inspections and
/// sites where a hazard of the row was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Row {
    /// The group: `major`, a domain, a rule id, a region path, a period, or
    /// `total`.
    pub key: String,
    /// For a rule row: its ruleset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<String>,
    /// For a rule row: what it finds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// Inspections.
    pub inspections: usize,
    /// Distinct sites.
    pub sites: usize,
    /// Hazards.
    pub hazards: usize,
    /// Of which major.
    pub major: usize,
    /// Of which ordinary.
    pub ordinary: usize,
    /// Seen rectified at a follow-up.
    pub rectified: usize,
    /// Not seen rectified.
    pub open: usize,
    /// Not seen rectified and past their due date.
    pub overdue: usize,
    /// Not seen rectified and without a due date: nothing set a deadline,
    /// so they can never be overdue.
    #[serde(default)]
    pub no_due: usize,
    /// Not seen rectified and flagged for government-supervised
    /// rectification at their latest follow-up.
    pub escalated: usize,
    /// `rectified / hazards` as a percentage with one decimal; absent when
    /// there is no hazard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectified_percent: Option<f64>,
}

/// A hazard not seen rectified.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OpenHazard {
    /// The site.
    pub site: Site,
    /// The supervision domain.
    pub domain: String,
    /// The ruleset.
    pub ruleset: String,
    /// The rule.
    pub rule: String,
    /// Its latest level.
    pub level: Level,
    /// What is wrong.
    pub title: Text,
    /// The date of the visit that found it.
    pub found: Date,
    /// The date of its latest visit.
    pub last_seen: Date,
    /// `open` (still there at its latest visit) or `unverified`.
    pub status: Status,
    /// Its due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// Whether it is past its due date on `as_of`.
    pub overdue: bool,
    /// Whether its latest follow-up flagged it for escalation.
    pub escalated: bool,
}

/// Computes statistics over records, in any order.
pub fn compute(records: &[Record], options: &StatsOptions) -> Stats {
    let mut b = StatsBuilder::new();
    for r in records {
        b.add(r);
    }
    b.finish(options)
}

/// Accumulates records one at a time, so that large runs need not hold
/// every report in memory.
///
/// A hazard seen again at a follow-up is still one hazard, with the state
/// of its latest visit:
///
/// ```
/// use hazcheck::followup::{FollowUpOptions, Previous, follow_up};
/// use hazcheck::stats::{StatsBuilder, StatsOptions};
/// use hazcheck::{EvalOptions, Inspection, Limits, SourceMap};
///
/// let library = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// let mut sources = SourceMap::new();
/// let mut visit = |date: &str, plan: &str| {
///     let text = format!(
///         "ruleset: common-tasks\ndate: {date}\nsite: {{id: a}}\n\
///          answers: {{ct.plan.exists: {plan}}}\n"
///     );
///     Inspection::parse(&text, "visit.yaml", &mut sources, &Limits::default())
///         .map_err(|d| format!("{} problems", d.len()))
/// };
/// let first = library.evaluate(&visit("2025-03-10", "no")?, &EvalOptions::default())?;
/// let previous = Previous::Report(Box::new(first.clone()));
/// let again = visit("2025-04-01", "yes")?;
/// let again = follow_up(&library, &previous, &again, &FollowUpOptions::default())?;
///
/// let mut builder = StatsBuilder::new();
/// builder.add_report(&first);
/// builder.add_follow_up(&again);
/// let stats = builder.finish(&StatsOptions::default());
/// let total = &stats.total;
/// assert_eq!((total.inspections, total.sites, total.hazards), (2, 1, 1));
/// assert_eq!((total.rectified, total.open), (1, 0));
/// assert_eq!(total.rectified_percent, Some(100.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct StatsBuilder {
    inputs: Inputs,
    /// Rulesets, rules, domains and site keys, each stored once.
    names: Names,
    /// Every distinct site as written, stored once.
    sites: Vec<Site>,
    site_index: HashMap<SiteFields, u32>,
    inspections: BTreeMap<InspectionKey, InspectionInfo>,
    hazards: BTreeMap<HazardKey, Sighting>,
    /// The title of each rule (by ruleset and rule), from its latest
    /// sighting.
    titles: BTreeMap<(u32, u32), (Date, Text)>,
    /// The visits (site, date, ruleset) read as follow-up results: their
    /// plain reports, if also read, are counted through the follow-up.
    follow_up_visits: BTreeSet<(u32, Date, u32)>,
    anonymous: usize,
}

impl StatsBuilder {
    /// An empty builder.
    pub fn new() -> StatsBuilder {
        StatsBuilder::default()
    }

    /// Adds one record.
    pub fn add(&mut self, record: &Record) {
        match record {
            Record::Report(r) => self.add_report(r),
            Record::FollowUp(f) => self.add_follow_up(f),
            Record::Failed(_) => self.inputs.failed += 1,
        }
    }

    /// Reads every record of a stream into the builder, one at a time (see
    /// [`read_records_from`]), each document at most `max_bytes` long.
    pub fn read<R: BufRead>(&mut self, reader: R, max_bytes: usize) -> Result<(), ReadError> {
        read_records_from(reader, max_bytes, &mut |r| self.add(&r))
    }

    /// Adds the report of one inspection: each finding is a hazard found on
    /// the inspection date.
    pub fn add_report(&mut self, r: &Report) {
        self.inputs.reports += 1;
        let visit = self.inspection(r, false);
        for f in &r.findings {
            self.sight(
                &visit,
                &f.rule,
                r.inspection.date,
                &f.title,
                Sighting::new(&visit, f.level, Status::New, f.due, false, 0),
            );
        }
    }

    /// Adds a follow-up result: its inspection, and the state of every
    /// hazard it checked or found.
    pub fn add_follow_up(&mut self, f: &FollowUp) {
        self.inputs.follow_ups += 1;
        let visit = self.inspection(&f.report, true);
        for m in &f.matches {
            let escalated = f.escalate.iter().any(|e| e.rule == m.rule);
            self.sight(
                &visit,
                &m.rule,
                m.found,
                &m.title,
                Sighting::new(&visit, m.level, m.status, m.due, escalated, 1),
            );
        }
    }

    /// The statistics of everything added.
    pub fn finish(self, options: &StatsOptions) -> Stats {
        let first = self.inspections.keys().map(|k| k.date).min();
        let last = self.inspections.keys().map(|k| k.date).max();
        let as_of = options.as_of.or(last);
        let names = &self.names;
        let regions: Vec<[String; 3]> = self
            .sites
            .iter()
            .map(|s| region_levels(s.region.as_deref()))
            .collect();
        let region = |site: u32| -> [String; 3] {
            regions
                .get(site as usize)
                .cloned()
                .unwrap_or_else(|| [UNKNOWN, UNKNOWN, UNKNOWN].map(String::from))
        };
        let mut g = Groups::default();
        for (k, info) in &self.inspections {
            let [province, city, county] = region(info.site);
            for (dim, key) in [
                (Dim::Total, "total".to_string()),
                (Dim::Domain, names.get(info.domain).to_string()),
                (Dim::Province, province),
                (Dim::City, city),
                (Dim::County, county),
                (Dim::Month, month_of(k.date)),
                (Dim::Week, week_of(k.date)),
            ] {
                g.acc(dim, key, None).inspection(k.site);
            }
            let levels: BTreeSet<Level> = info.present.iter().map(|p| p.1).collect();
            for level in levels {
                g.acc(Dim::Level, level.as_str().to_string(), None)
                    .inspection(k.site);
            }
            let rules: BTreeSet<u32> = info.present.iter().map(|p| p.0).collect();
            for rule in rules {
                g.acc(
                    Dim::Rule,
                    names.get(rule).to_string(),
                    Some(names.get(k.ruleset)),
                )
                .inspection(k.site);
            }
        }
        let no_title = Text::default();
        let title_of = |k: &HazardKey| {
            self.titles
                .get(&(k.ruleset, k.rule))
                .map_or(&no_title, |t| &t.1)
        };
        let mut major_open = Vec::new();
        let mut overdue_list = Vec::new();
        for (k, s) in &self.hazards {
            // A plain report of a visit whose follow-up result was also
            // read: the follow-up already accounts for what it found, and a
            // hazard it still saw open keeps the date it was first found.
            if s.source == 0
                && s.date == k.found
                && self
                    .follow_up_visits
                    .contains(&(k.site, k.found, k.ruleset))
            {
                continue;
            }
            let rectified = s.status == Status::Rectified;
            let overdue = !rectified && as_of.is_some_and(|a| s.due.is_some_and(|d| d < a));
            let no_due = !rectified && s.due.is_none();
            let escalated = !rectified && s.escalated;
            let [province, city, county] = region(s.site);
            let domain = names.get(s.domain);
            let ruleset = names.get(k.ruleset);
            let rule = names.get(k.rule);
            for (dim, key) in [
                (Dim::Total, "total".to_string()),
                (Dim::Level, s.level.as_str().to_string()),
                (Dim::Domain, domain.to_string()),
                (Dim::Rule, rule.to_string()),
                (Dim::Province, province),
                (Dim::City, city),
                (Dim::County, county),
                (Dim::Month, month_of(k.found)),
                (Dim::Week, week_of(k.found)),
            ] {
                let a = g.acc(dim, key, (dim == Dim::Rule).then_some(ruleset));
                a.sites.insert(k.site);
                a.hazards += 1;
                match s.level {
                    Level::Major => a.major += 1,
                    Level::Ordinary => a.ordinary += 1,
                }
                if rectified {
                    a.rectified += 1;
                } else {
                    a.open += 1;
                }
                a.overdue += usize::from(overdue);
                a.no_due += usize::from(no_due);
                a.escalated += usize::from(escalated);
                if dim == Dim::Rule && a.title.is_none() {
                    a.title = Some(title_of(k).clone());
                }
            }
            if !rectified {
                let open = OpenHazard {
                    site: self.sites.get(s.site as usize).cloned().unwrap_or_default(),
                    domain: domain.to_string(),
                    ruleset: ruleset.to_string(),
                    rule: rule.to_string(),
                    level: s.level,
                    title: title_of(k).clone(),
                    found: k.found,
                    last_seen: s.date,
                    status: if s.status == Status::Unverified {
                        Status::Unverified
                    } else {
                        Status::Open
                    },
                    due: s.due,
                    overdue,
                    escalated,
                };
                if s.level == Level::Major {
                    major_open.push(open.clone());
                }
                if overdue {
                    overdue_list.push(open);
                }
            }
        }
        let order = |a: &OpenHazard, b: &OpenHazard| {
            let key = |h: &OpenHazard| {
                (
                    h.site.region.clone(),
                    h.site.id.clone(),
                    h.site.name.clone(),
                    h.ruleset.clone(),
                    h.rule.clone(),
                    h.found,
                )
            };
            key(a).cmp(&key(b))
        };
        major_open.sort_by(order);
        overdue_list.sort_by(order);
        let inputs = self.inputs;
        let total = g
            .take(Dim::Total)
            .pop()
            .unwrap_or_else(|| Acc::default().row("total".into(), None));
        let mut by_level = g.take(Dim::Level);
        for level in [Level::Major, Level::Ordinary] {
            if !by_level.iter().any(|r| r.key == level.as_str()) {
                by_level.push(Acc::default().row(level.as_str().into(), None));
            }
        }
        by_level.sort_by_key(|r| r.key != Level::Major.as_str());
        let by_hazards = |mut rows: Vec<Row>| {
            rows.sort_by(|a, b| {
                b.hazards
                    .cmp(&a.hazards)
                    .then_with(|| a.key.cmp(&b.key))
                    .then_with(|| a.ruleset.cmp(&b.ruleset))
            });
            rows
        };
        Stats {
            format: STATS_FORMAT.to_string(),
            as_of,
            first,
            last,
            inputs,
            total,
            by_level,
            by_domain: by_hazards(g.take(Dim::Domain)),
            by_rule: by_hazards(g.take(Dim::Rule)),
            by_province: by_hazards(g.take(Dim::Province)),
            by_city: by_hazards(g.take(Dim::City)),
            by_county: by_hazards(g.take(Dim::County)),
            by_month: g.take(Dim::Month),
            by_week: g.take(Dim::Week),
            major_open,
            overdue: overdue_list,
        }
    }

    /// Registers the inspection of a report and returns what its hazards
    /// are keyed by.
    fn inspection(&mut self, r: &Report, follow_up: bool) -> VisitRef {
        let site = &r.inspection.site;
        let key = if let Some(id) = &site.id {
            format!("id:{id}")
        } else if let Some(name) = &site.name {
            format!("name:{name}|{}", site.region.as_deref().unwrap_or_default())
        } else {
            // A site without id or name cannot be recognised again; each
            // such report is a site of its own.
            self.anonymous += 1;
            format!("anonymous:{}", self.anonymous)
        };
        let visit = VisitRef {
            key: self.names.intern(&key),
            site: self.site_ref(site),
            ruleset: self.names.intern(&r.ruleset.id),
            domain: self.names.intern(domain_of(r)),
            date: r.inspection.date,
        };
        let ikey = InspectionKey {
            site: visit.key,
            date: visit.date,
            ruleset: visit.ruleset,
            id: r.inspection.id.clone(),
        };
        if self.inspections.contains_key(&ikey) {
            self.inputs.duplicates += 1;
        }
        let present: Vec<(u32, Level)> = r
            .findings
            .iter()
            .map(|f| (self.names.intern(&f.rule), f.level))
            .collect();
        let info = self
            .inspections
            .entry(ikey)
            .or_insert_with(|| InspectionInfo {
                site: visit.site,
                domain: visit.domain,
                present: Vec::new(),
                follow_up: false,
            });
        // The findings of a follow-up's evaluation (which saw the earlier
        // findings) replace those of a plain report of the same visit.
        if follow_up && !info.follow_up {
            info.present.clear();
            info.follow_up = true;
        }
        if follow_up || !info.follow_up {
            info.present.extend(present);
            info.present.sort();
            info.present.dedup();
        }
        if follow_up {
            self.follow_up_visits
                .insert((visit.key, visit.date, visit.ruleset));
        }
        visit
    }

    fn site_ref(&mut self, site: &Site) -> u32 {
        let fields = (
            site.id.clone(),
            site.name.clone(),
            site.region.clone(),
            site.category.clone(),
        );
        if let Some(&i) = self.site_index.get(&fields) {
            return i;
        }
        let i = u32::try_from(self.sites.len()).unwrap_or(u32::MAX);
        self.sites.push(site.clone());
        self.site_index.insert(fields, i);
        i
    }

    fn sight(&mut self, visit: &VisitRef, rule: &str, found: Date, title: &Text, s: Sighting) {
        let rule = self.names.intern(rule);
        let key = HazardKey {
            site: visit.key,
            ruleset: visit.ruleset,
            rule,
            found,
        };
        // The latest title wins; on the same date the larger text, so that
        // the input order never changes the result.
        let t = self
            .titles
            .entry((visit.ruleset, rule))
            .or_insert_with(|| (visit.date, title.clone()));
        if (visit.date, &title.zh, &title.en) > (t.0, &t.1.zh, &t.1.en) {
            *t = (visit.date, title.clone());
        }
        match self.hazards.get_mut(&key) {
            Some(old) if old.rank() >= s.rank() => {}
            Some(old) => *old = s,
            None => {
                self.hazards.insert(key, s);
            }
        }
    }
}

/// The province, city and county paths of a region path such as
/// `山东省/济南市/历下区`; a level the path does not give is [`UNKNOWN`].
///
/// ```
/// use hazcheck::stats::region_levels;
///
/// assert_eq!(
///     region_levels(Some("山东省/济南市/历下区")),
///     ["山东省", "山东省/济南市", "山东省/济南市/历下区"]
/// );
/// // Spaces around the parts are dropped; a county is not given here.
/// let levels = region_levels(Some(" 山东省 / 济南市 "));
/// assert_eq!(levels, ["山东省", "山东省/济南市", "-"]);
/// assert_eq!(region_levels(None), ["-", "-", "-"]);
/// ```
pub fn region_levels(region: Option<&str>) -> [String; 3] {
    let parts: Vec<&str> = region
        .unwrap_or_default()
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let upto = |n: usize| match parts.get(..n) {
        Some(p) => p.join("/"),
        None => UNKNOWN.to_string(),
    };
    [upto(1), upto(2), upto(3)]
}

/// The month of a date, `YYYY-MM`.
pub fn month_of(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The ISO 8601 week of a date, `YYYY-Www`: weeks start on Monday and
/// belong to the year of their Thursday.
///
/// ```
/// use hazcheck::Date;
/// use hazcheck::stats::{month_of, week_of};
///
/// // Monday 2024-12-30 starts the first week of 2025.
/// assert_eq!(week_of(Date::parse("2024-12-30")?), "2025-W01");
/// assert_eq!(month_of(Date::parse("2024-12-30")?), "2024-12");
/// // Friday 2021-01-01 is in the last week of 2020.
/// assert_eq!(week_of(Date::parse("2021-01-01")?), "2020-W53");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn week_of(d: Date) -> String {
    let days = d.to_days();
    // 1970-01-01 was a Thursday: Monday-based weekday 3.
    let weekday = (days + 3).rem_euclid(7);
    let thursday = days - weekday + 3;
    let Some(t) = Date::from_days(thursday) else {
        return month_of(d);
    };
    let Some(jan1) = Date::new(t.year(), 1, 1) else {
        return month_of(d);
    };
    let week = (thursday - jan1.to_days()) / 7 + 1;
    format!("{:04}-W{:02}", t.year(), week)
}

impl Stats {
    /// The statistics as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A byte stream that knows the line and column of its next byte, so that
/// errors can be located while only one document is held in memory.
struct Source<R> {
    inner: R,
    line: usize,
    column: usize,
    started: bool,
    /// Bytes the current document may still take, and its limit.
    left: usize,
    limit: usize,
}

impl<R: BufRead> Source<R> {
    /// Skips whitespace (and a byte-order mark at the start); false at the
    /// end of the stream.
    fn skip_whitespace(&mut self) -> std::io::Result<bool> {
        if !self.started {
            self.started = true;
            // Byte by byte, since a buffer may hold fewer than three bytes;
            // a stream that starts with part of the mark only is not JSON
            // and fails below anyway.
            for b in [0xEF, 0xBB, 0xBF] {
                if self.inner.fill_buf()?.first() != Some(&b) {
                    break;
                }
                self.inner.consume(1);
            }
        }
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let n = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            let found = n < buf.len();
            advance(
                &mut self.line,
                &mut self.column,
                buf.get(..n).unwrap_or_default(),
            );
            self.inner.consume(n);
            if found {
                return Ok(true);
            }
        }
    }
}

impl<R: BufRead> Source<R> {
    /// The value from here to the end of the line, if the buffer holds the
    /// whole line and it is one valid JSON value; the line is then
    /// consumed.
    fn whole_line(&mut self) -> Option<serde_json::Value> {
        let buf = self.inner.fill_buf().ok()?;
        let end = buf.iter().position(|&b| b == b'\n')?;
        if end > self.left {
            return None;
        }
        let value = serde_json::from_slice(buf.get(..end)?).ok()?;
        self.inner.consume(end + 1);
        self.line += 1;
        self.column = 1;
        Some(value)
    }
}

/// Hands over the records of a top-level value already read: a document,
/// or each element of an array.
fn top_value(value: serde_json::Value, each: &mut dyn FnMut(Record), failure: &mut Option<String>) {
    match value {
        serde_json::Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                match record_of(item) {
                    Ok(r) => each(r),
                    Err(m) => {
                        *failure = Some(format!("element {i}: {m}"));
                        return;
                    }
                }
            }
        }
        other => match record_of(other) {
            Ok(r) => each(r),
            Err(m) => *failure = Some(m),
        },
    }
}

impl<R: BufRead> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other(format!(
                "a document is larger than the limit of {} bytes (raise it with --max-report-bytes)",
                self.limit
            )));
        }
        let room = out.len().min(self.left);
        let n = self.inner.read(out.get_mut(..room).unwrap_or_default())?;
        self.left -= n;
        advance(
            &mut self.line,
            &mut self.column,
            out.get(..n).unwrap_or_default(),
        );
        Ok(n)
    }
}

/// Moves a line and column (in characters) over some bytes.
fn advance(line: &mut usize, column: &mut usize, bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            *line += 1;
            *column = 1;
        } else if b & 0xC0 != 0x80 {
            *column += 1;
        }
    }
}

/// Reads one top-level JSON value: a document, or an array whose elements
/// are handed over one at a time.
struct Top<'a> {
    each: &'a mut dyn FnMut(Record),
    /// Why a value that is valid JSON is not a record; the value's start
    /// locates it.
    failure: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a report, a follow-up result, a batch record, or a list of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            match record_of(value) {
                Ok(r) => (self.each)(r),
                Err(m) => {
                    *self.failure = Some(format!("element {i}: {m}"));
                    return Err(A::Error::custom("not a record"));
                }
            }
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value =
            serde_json::Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        match record_of(value) {
            Ok(r) => {
                (self.each)(r);
                Ok(())
            }
            Err(m) => {
                *self.failure = Some(m);
                Err(A::Error::custom("not a record"))
            }
        }
    }
}

fn record_of(value: serde_json::Value) -> Result<Record, String> {
    let format = value.get("format").and_then(serde_json::Value::as_str);
    match format {
        Some(REPORT_FORMAT) => serde_json::from_value(value)
            .map(|r| Record::Report(Box::new(r)))
            .map_err(|e| format!("not a valid report: {e}")),
        Some(FOLLOW_UP_FORMAT) => serde_json::from_value(value)
            .map(|f| Record::FollowUp(Box::new(f)))
            .map_err(|e| format!("not a valid follow-up: {e}")),
        Some(other) => Err(format!(
            "format `{other}` is neither `{REPORT_FORMAT}` nor `{FOLLOW_UP_FORMAT}`"
        )),
        None => {
            let inner = ["report", "followup", "follow_up"]
                .iter()
                .find_map(|k| value.get(*k).filter(|v| v.is_object()));
            if let Some(inner) = inner {
                return record_of(inner.clone());
            }
            // `hazcheck batch` writes `{"line": N, "errors": [{..., "message"}]}`
            // for a line it could not evaluate.
            match value.get("errors").or_else(|| value.get("error")) {
                Some(serde_json::Value::String(e)) => Ok(Record::Failed(e.clone())),
                Some(serde_json::Value::Array(list)) => Ok(Record::Failed(
                    list.iter()
                        .map(
                            |e| match e.get("message").and_then(serde_json::Value::as_str) {
                                Some(m) => m.to_string(),
                                None => e.to_string(),
                            },
                        )
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
                Some(e) => Ok(Record::Failed(e.to_string())),
                None => Err("not a hazcheck report, follow-up or batch record".into()),
            }
        }
    }
}

fn domain_of(r: &Report) -> &str {
    r.ruleset.domain.as_deref().unwrap_or(&r.ruleset.id)
}

/// Strings stored once, by number.
#[derive(Debug, Default)]
struct Names {
    index: HashMap<String, u32>,
    list: Vec<String>,
}

impl Names {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    fn get(&self, i: u32) -> &str {
        self.list.get(i as usize).map_or("", String::as_str)
    }
}

/// A site's id, name, region and category.
type SiteFields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The inspection a record is of, as its hazards refer to it.
struct VisitRef {
    /// The site key (id, or name and region).
    key: u32,
    /// The site as written.
    site: u32,
    ruleset: u32,
    domain: u32,
    date: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InspectionKey {
    site: u32,
    date: Date,
    ruleset: u32,
    id: Option<String>,
}

#[derive(Clone, Debug)]
struct InspectionInfo {
    site: u32,
    domain: u32,
    /// The rules and levels of the findings recorded.
    present: Vec<(u32, Level)>,
    /// Whether a follow-up result of this inspection was read.
    follow_up: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct HazardKey {
    site: u32,
    ruleset: u32,
    rule: u32,
    found: Date,
}

/// The latest known state of a hazard.
#[derive(Clone, Debug)]
struct Sighting {
    date: Date,
    /// 0 for a plain report, 1 for a follow-up: on the same date, a
    /// follow-up knows more.
    source: u8,
    status: Status,
    level: Level,
    due: Option<Date>,
    escalated: bool,
    site: u32,
    domain: u32,
}

impl Sighting {
    fn new(
        visit: &VisitRef,
        level: Level,
        status: Status,
        due: Option<Date>,
        escalated: bool,
        source: u8,
    ) -> Sighting {
        Sighting {
            date: visit.date,
            source,
            status,
            level,
            due,
            escalated,
            site: visit.site,
            domain: visit.domain,
        }
    }

    /// Later sightings win; on the same date a follow-up wins over a
    /// report, then the status order decides, so that the input order never
    /// changes the result.
    fn rank(&self) -> (Date, u8, Status, Level) {
        (self.date, self.source, self.status, self.level)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Dim {
    Total,
    Level,
    Domain,
    Rule,
    Province,
    City,
    County,
    Month,
    Week,
}

#[derive(Debug, Default)]
struct Acc {
    inspections: usize,
    sites: BTreeSet<u32>,
    hazards: usize,
    major: usize,
    ordinary: usize,
    rectified: usize,
    open: usize,
    overdue: usize,
    no_due: usize,
    escalated: usize,
    title: Option<Text>,
}

impl Acc {
    fn inspection(&mut self, site: u32) {
        self.inspections += 1;
        self.sites.insert(site);
    }

    fn row(self, key: String, ruleset: Option<String>) -> Row {
        let percent = (self.hazards > 0).then(|| {
            // Rounded half up in tenths of a percent, in integers, so that
            // the same counts always print the same number.
            let tenths = (self.rectified * 1000 * 2 + self.hazards) / (self.hazards * 2);
            tenths as f64 / 10.0
        });
        Row {
            key,
            ruleset,
            title: self.title,
            inspections: self.inspections,
            sites: self.sites.len(),
            hazards: self.hazards,
            major: self.major,
            ordinary: self.ordinary,
            rectified: self.rectified,
            open: self.open,
            overdue: self.overdue,
            no_due: self.no_due,
            escalated: self.escalated,
            rectified_percent: percent,
        }
    }
}

#[derive(Debug, Default)]
struct Groups {
    map: BTreeMap<(Dim, String, Option<String>), Acc>,
}

impl Groups {
    fn acc(&mut self, dim: Dim, key: String, ruleset: Option<&str>) -> &mut Acc {
        self.map
            .entry((dim, key, ruleset.map(str::to_string)))
            .or_default()
    }

    fn take(&mut self, dim: Dim) -> Vec<Row> {
        let keys: Vec<_> = self.map.keys().filter(|k| k.0 == dim).cloned().collect();
        keys.into_iter()
            .filter_map(|k| {
                let acc = self.map.remove(&k)?;
                Some(acc.row(k.1, k.2))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    #[test]
    fn region_paths_split_into_three_levels() {
        assert_eq!(
            region_levels(Some("山东省/济南市/历下区/某街道")),
            ["山东省", "山东省/济南市", "山东省/济南市/历下区"].map(String::from)
        );
        assert_eq!(
            region_levels(Some(" 山东省 / 青岛市 ")),
            ["山东省", "山东省/青岛市", UNKNOWN].map(String::from)
        );
        assert_eq!(
            region_levels(None),
            [UNKNOWN, UNKNOWN, UNKNOWN].map(String::from)
        );
    }

    #[test]
    fn iso_weeks_belong_to_the_year_of_their_thursday() {
        assert_eq!(week_of(date("2025-01-01")), "2025-W01");
        assert_eq!(week_of(date("2024-12-30")), "2025-W01");
        assert_eq!(week_of(date("2021-01-03")), "2020-W53");
        assert_eq!(week_of(date("2025-05-18")), "2025-W20");
        assert_eq!(week_of(date("2025-05-19")), "2025-W21");
        assert_eq!(month_of(date("2025-05-19")), "2025-05");
    }

    #[test]
    fn records_are_read_from_documents_arrays_and_lines() {
        let report = r#"{"format": "hazcheck.report/1"}"#;
        // A report missing its fields is an error with its position.
        let e = read_records(&format!("\n\n  {report}")).expect_err("invalid");
        assert_eq!((e.line, e.column), (3, 3));
        assert!(e.message.contains("not a valid report"), "{}", e.message);
        let failed = read_records(concat!(
            r#"{"line": 1, "errors": [{"code": "E0002", "message": "not JSON"}, {"message": "x"}]}"#,
            "\n[]\n",
            r#"{"file": "a.yaml", "error": "bad"}"#
        ))
        .expect("batch error records");
        assert_eq!(
            failed,
            vec![
                Record::Failed("not JSON; x".into()),
                Record::Failed("bad".into())
            ]
        );
        let e = read_records("{\"x\": 1}").expect_err("unknown");
        assert!(e.message.contains("not a hazcheck report"));
        let e = read_records("{\"format\": \"hazcheck.report/9\"}").expect_err("format");
        assert!(e.message.contains("hazcheck.report/9"));
        let e = read_records("{\"format\": ").expect_err("syntax");
        assert_eq!(e.line, 1);
    }

    fn chain() -> Vec<Record> {
        use crate::followup::{FollowUpOptions, Previous, follow_up};
        use crate::{EvalOptions, Inspection, Limits, Loader, SourceMap};
        let ruleset = r#"
ruleset: st
version: "1"
domain: construction
title: {zh: 统计, en: Stats}
effective: {from: 2024-01-01}
deadlines: {ordinary: 7, major: 30}
documents:
  - {id: std, title: {zh: 标准, en: Standard}, verified: true}
items:
  - {id: a, type: yes_no, prompt: {zh: 甲, en: A}}
  - {id: m, type: yes_no, prompt: {zh: 丙, en: M}}
rules:
  - {id: r.a, level: ordinary, basis: {document: std, clause: "1"}, title: {zh: 甲, en: A}, when: {item: a, is: false}}
  - {id: r.m, level: major, basis: {document: std, clause: "2"}, title: {zh: 丙, en: M}, when: {item: m, is: false}}
"#;
        let mut loader = Loader::new(Limits::default());
        loader.add_memory("st.yaml", ruleset);
        let lib = loader.load().library.expect("library");
        let parse = |text: &str| {
            Inspection::parse(text, "i.yaml", &mut SourceMap::new(), &Limits::default())
                .expect("inspection")
        };
        let site = "site: {id: S1, region: 山东省/济南市/历下区}";
        let v1 = parse(&format!(
            "ruleset: st\ndate: 2025-03-03\n{site}\nanswers: {{a: no, m: no}}\n"
        ));
        let r1 = lib.evaluate(&v1, &EvalOptions::default()).expect("v1");
        let v2 = parse(&format!(
            "ruleset: st\ndate: 2025-03-17\n{site}\nanswers: {{a: yes, m: no}}\n"
        ));
        let prev = Previous::Report(Box::new(r1.clone()));
        let f2 = follow_up(&lib, &prev, &v2, &FollowUpOptions::default()).expect("v2");
        let other = parse(
            "ruleset: st\ndate: 2025-03-20\nsite: {id: S2, region: 山东省/青岛市}\nanswers: {a: no, m: yes}\n",
        );
        let r3 = lib
            .evaluate(&other, &EvalOptions::default())
            .expect("other");
        vec![
            Record::Report(Box::new(r1)),
            Record::FollowUp(Box::new(f2)),
            Record::Report(Box::new(r3)),
        ]
    }

    #[test]
    fn a_hazard_seen_at_several_visits_counts_once_at_its_latest_state() {
        let records = chain();
        let stats = compute(&records, &StatsOptions::default());
        assert_eq!(stats.as_of, Some(date("2025-03-20")));
        let t = &stats.total;
        assert_eq!(
            (t.inspections, t.sites, t.hazards, t.major, t.ordinary),
            (3, 2, 3, 1, 2)
        );
        // S1's r.a was rectified at the follow-up; S2's r.a (due 03-27) and
        // S1's r.m (due 04-02) are open, not overdue on 03-20.
        assert_eq!((t.rectified, t.open, t.overdue), (1, 2, 0));
        assert_eq!(t.rectified_percent, Some(33.3));
        let keys: Vec<&str> = stats.by_city.iter().map(|r| &*r.key).collect();
        assert_eq!(keys, ["山东省/济南市", "山东省/青岛市"]);
        let county: Vec<(&str, usize)> = stats
            .by_county
            .iter()
            .map(|r| (&*r.key, r.hazards))
            .collect();
        assert_eq!(county, [("山东省/济南市/历下区", 2), (UNKNOWN, 1)]);
        assert_eq!(stats.major_open.len(), 1);
        assert_eq!(stats.by_domain[0].key, "construction");
        // Later as-of date: both open hazards are overdue.
        let later = compute(
            &records,
            &StatsOptions {
                as_of: Some(date("2025-04-03")),
            },
        );
        assert_eq!(later.total.overdue, 2);
        assert_eq!(later.overdue.len(), 2);
        // The order of the inputs does not matter; duplicates count once.
        let mut shuffled: Vec<Record> = records.iter().rev().cloned().collect();
        shuffled.push(records[0].clone());
        let again = compute(&shuffled, &StatsOptions::default());
        assert_eq!(again.inputs.duplicates, 1);
        assert_eq!(again.total, stats.total);
        assert_eq!(again.by_rule, stats.by_rule);
        assert_eq!(again.major_open, stats.major_open);
    }

    #[test]
    fn streams_give_the_same_records_whatever_the_buffer_size() {
        let records = chain();
        let json = |r: &Record| match r {
            Record::Report(r) => serde_json::to_string(r).expect("json"),
            Record::FollowUp(f) => serde_json::to_string(f).expect("json"),
            Record::Failed(_) => unreachable!(),
        };
        let [a, b, c] = [&records[0], &records[1], &records[2]].map(json);
        let pretty = match &records[1] {
            Record::FollowUp(f) => f.to_json(),
            _ => unreachable!(),
        };
        // A byte-order mark, an NDJSON line, a document over many lines, a
        // line with an array of two, a CRLF line and a batch error record
        // without a final newline.
        let text = format!(
            "\u{feff}{a}\n{pretty}\n[{c}, {b}]\r\n{a}\r\n{{\"line\": 9, \"errors\": [{{\"message\": \"bad\"}}]}}"
        );
        let want = vec![
            records[0].clone(),
            records[1].clone(),
            records[2].clone(),
            records[1].clone(),
            records[0].clone(),
            Record::Failed("bad".into()),
        ];
        for capacity in [1, 7, 300, 1 << 20] {
            let mut got = Vec::new();
            let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
            read_records_from(reader, usize::MAX, &mut |r| got.push(r)).expect("records");
            assert_eq!(got, want, "buffer of {capacity} bytes");
        }
    }

    #[test]
    fn stream_errors_are_located_in_the_whole_stream() {
        let report = match &chain()[0] {
            Record::Report(r) => serde_json::to_string(r).expect("json"),
            _ => unreachable!(),
        };
        // A syntax error inside a document over several lines.
        let text = format!("{report}\n{{\n  \"format\": nope\n}}\n");
        for capacity in [5, 1 << 20] {
            let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
            let mut n = 0;
            let e = read_records_from(reader, usize::MAX, &mut |_| n += 1).expect_err("syntax");
            assert_eq!((n, e.line, e.column), (1, 3, 14), "{e}");
            assert_eq!(e.message, "expected ident");
        }
        // A valid value that is not a record, after a line of another, on
        // the same line: located at its start.
        let text = format!("{report}\n{report}  {{\"x\": 1}}\n");
        for capacity in [5, 1 << 20] {
            let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
            let e = read_records_from(reader, usize::MAX, &mut |_| {}).expect_err("not a record");
            let column = report.chars().count() + 3;
            assert_eq!((e.line, e.column), (2, column), "{e}");
            assert!(e.message.starts_with("not a hazcheck report"), "{e}");
        }
        // Garbage after the last value.
        let e = read_records(&format!("{report}\n  ]")).expect_err("garbage");
        assert_eq!((e.line, e.column), (2, 3), "{e}");
    }

    #[test]
    fn a_report_and_the_follow_up_of_the_same_visit_count_once() {
        let records = chain();
        let Record::FollowUp(f) = &records[1] else {
            unreachable!()
        };
        // The plain report of visit 2, as a team's own batch run would give
        // it: its r.m (still open since visit 1) is not a new hazard.
        let mut with_plain = records.clone();
        with_plain.push(Record::Report(Box::new(f.report.clone())));
        let stats = compute(&records, &StatsOptions::default());
        for input in [with_plain.clone(), with_plain.into_iter().rev().collect()] {
            let again = compute(&input, &StatsOptions::default());
            assert_eq!(again.total, stats.total);
            assert_eq!(again.by_level, stats.by_level);
            assert_eq!(again.by_rule, stats.by_rule);
            assert_eq!(again.inputs.duplicates, 1);
        }
    }

    #[test]
    fn percentages_round_half_up_in_tenths() {
        let acc = Acc {
            hazards: 3,
            rectified: 2,
            ..Acc::default()
        };
        assert_eq!(acc.row("k".into(), None).rectified_percent, Some(66.7));
        let acc = Acc {
            hazards: 8,
            rectified: 1,
            ..Acc::default()
        };
        assert_eq!(acc.row("k".into(), None).rectified_percent, Some(12.5));
        assert_eq!(Acc::default().row("k".into(), None).rectified_percent, None);
    }
}
