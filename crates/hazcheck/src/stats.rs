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

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
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
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    loop {
        let end = stream.byte_offset();
        let rest = text.get(end..).unwrap_or_default();
        let start = end + (rest.len() - rest.trim_start().len());
        let Some(next) = stream.next() else { break };
        let value = next.map_err(|e| ReadError {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let at = |message: String| {
            let before = text.get(..start).unwrap_or_default();
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            ReadError {
                line: before.matches('\n').count() + 1,
                column: before
                    .get(line_start..)
                    .map_or(1, |s| s.chars().count() + 1),
                message,
            }
        };
        match value {
            serde_json::Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    out.push(record_of(item).map_err(|m| at(format!("element {i}: {m}")))?);
                }
            }
            other => out.push(record_of(other).map_err(at)?),
        }
    }
    Ok(out)
}

/// Options of a statistics run.
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
    /// inspection id), counted once.
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
#[derive(Debug, Default)]
pub struct StatsBuilder {
    inputs: Inputs,
    inspections: BTreeMap<InspectionKey, InspectionInfo>,
    hazards: BTreeMap<HazardKey, Sighting>,
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

    /// Adds the report of one inspection: each finding is a hazard found on
    /// the inspection date.
    pub fn add_report(&mut self, r: &Report) {
        self.inputs.reports += 1;
        let site = self.inspection(r);
        for f in &r.findings {
            self.sight(
                &site,
                r,
                &f.rule,
                r.inspection.date,
                Sighting::new(r, f.level, &f.title, Status::New, f.due, false, 0),
            );
        }
    }

    /// Adds a follow-up result: its inspection, and the state of every
    /// hazard it checked or found.
    pub fn add_follow_up(&mut self, f: &FollowUp) {
        self.inputs.follow_ups += 1;
        let r = &f.report;
        let site = self.inspection(r);
        for m in &f.matches {
            let escalated = f.escalate.iter().any(|e| e.rule == m.rule);
            self.sight(
                &site,
                r,
                &m.rule,
                m.found,
                Sighting::new(r, m.level, &m.title, m.status, m.due, escalated, 1),
            );
        }
    }

    /// The statistics of everything added.
    pub fn finish(self, options: &StatsOptions) -> Stats {
        let first = self.inspections.keys().map(|k| k.date).min();
        let last = self.inspections.keys().map(|k| k.date).max();
        let as_of = options.as_of.or(last);
        let mut g = Groups::default();
        for (k, info) in &self.inspections {
            let [province, city, county] = region_levels(info.site.region.as_deref());
            for (dim, key) in [
                (Dim::Total, "total".to_string()),
                (Dim::Domain, info.domain.clone()),
                (Dim::Province, province),
                (Dim::City, city),
                (Dim::County, county),
                (Dim::Month, month_of(k.date)),
                (Dim::Week, week_of(k.date)),
            ] {
                g.acc(dim, key, None).inspection(&k.site);
            }
            let levels: BTreeSet<Level> = info.present.iter().map(|p| p.1).collect();
            for level in levels {
                g.acc(Dim::Level, level.as_str().to_string(), None)
                    .inspection(&k.site);
            }
            let rules: BTreeSet<&String> = info.present.iter().map(|p| &p.0).collect();
            for rule in rules {
                g.acc(Dim::Rule, rule.clone(), Some(&k.ruleset))
                    .inspection(&k.site);
            }
        }
        let mut major_open = Vec::new();
        let mut overdue_list = Vec::new();
        for (k, s) in &self.hazards {
            let rectified = s.status == Status::Rectified;
            let overdue = !rectified && as_of.is_some_and(|a| s.due.is_some_and(|d| d < a));
            let escalated = !rectified && s.escalated;
            let [province, city, county] = region_levels(s.site.region.as_deref());
            for (dim, key) in [
                (Dim::Total, "total".to_string()),
                (Dim::Level, s.level.as_str().to_string()),
                (Dim::Domain, s.domain.clone()),
                (Dim::Rule, k.rule.clone()),
                (Dim::Province, province),
                (Dim::City, city),
                (Dim::County, county),
                (Dim::Month, month_of(k.found)),
                (Dim::Week, week_of(k.found)),
            ] {
                let ruleset = (dim == Dim::Rule).then_some(k.ruleset.as_str());
                let a = g.acc(dim, key, ruleset);
                a.sites.insert(k.site.clone());
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
                a.escalated += usize::from(escalated);
                if dim == Dim::Rule && a.title.is_none() {
                    a.title = Some(s.title.clone());
                }
            }
            if !rectified {
                let open = OpenHazard {
                    site: s.site.clone(),
                    domain: s.domain.clone(),
                    ruleset: k.ruleset.clone(),
                    rule: k.rule.clone(),
                    level: s.level,
                    title: s.title.clone(),
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

    /// Registers the inspection of a report and returns its site key.
    fn inspection(&mut self, r: &Report) -> String {
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
        let ikey = InspectionKey {
            site: key.clone(),
            date: r.inspection.date,
            ruleset: r.ruleset.id.clone(),
            id: r.inspection.id.clone(),
        };
        if self.inspections.contains_key(&ikey) {
            self.inputs.duplicates += 1;
        }
        let info = self
            .inspections
            .entry(ikey)
            .or_insert_with(|| InspectionInfo {
                site: site.clone(),
                domain: domain_of(r),
                present: BTreeSet::new(),
            });
        for f in &r.findings {
            info.present.insert((f.rule.clone(), f.level));
        }
        key
    }

    fn sight(&mut self, site: &str, r: &Report, rule: &str, found: Date, s: Sighting) {
        let key = HazardKey {
            site: site.to_string(),
            ruleset: r.ruleset.id.clone(),
            rule: rule.to_string(),
            found,
        };
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

fn domain_of(r: &Report) -> String {
    r.ruleset
        .domain
        .clone()
        .unwrap_or_else(|| r.ruleset.id.clone())
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InspectionKey {
    site: String,
    date: Date,
    ruleset: String,
    id: Option<String>,
}

#[derive(Clone, Debug)]
struct InspectionInfo {
    site: Site,
    domain: String,
    /// The rules and levels of the findings recorded.
    present: BTreeSet<(String, Level)>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct HazardKey {
    site: String,
    ruleset: String,
    rule: String,
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
    title: Text,
    due: Option<Date>,
    escalated: bool,
    site: Site,
    domain: String,
}

impl Sighting {
    fn new(
        r: &Report,
        level: Level,
        title: &Text,
        status: Status,
        due: Option<Date>,
        escalated: bool,
        source: u8,
    ) -> Sighting {
        Sighting {
            date: r.inspection.date,
            source,
            status,
            level,
            title: title.clone(),
            due,
            escalated,
            site: r.inspection.site.clone(),
            domain: domain_of(r),
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
    sites: BTreeSet<String>,
    hazards: usize,
    major: usize,
    ordinary: usize,
    rectified: usize,
    open: usize,
    overdue: usize,
    escalated: usize,
    title: Option<Text>,
}

impl Acc {
    fn inspection(&mut self, site: &str) {
        self.inspections += 1;
        self.sites.insert(site.to_string());
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
