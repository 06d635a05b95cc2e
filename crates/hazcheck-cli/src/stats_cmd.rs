//! `hazcheck stats`: supervision statistics over reports, follow-up
//! results and batch output, as a terminal table, CSV, JSON or a single
//! HTML page.
//!
//! The counting is done by [`hazcheck::stats`]; this file finds and reads
//! the input files and renders the result. Each file is streamed into a
//! [`StatsBuilder`] one document at a time, so neither a folder of many
//! thousand reports nor one large NDJSON file is ever held in memory.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hazcheck::stats::{OpenHazard, Row, Stats, StatsBuilder, StatsOptions};
use hazcheck::{Date, Lang};

use crate::cli::LangArg;
use crate::report_text::{level_word, t, terminal_safe};

/// Arguments of `hazcheck stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Reports, follow-up results or batch NDJSON: files, or folders
    /// searched for `.json`, `.ndjson` and `.jsonl` files; `-` reads
    /// standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    format: StatsFormat,
    /// Language of texts.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// Count overdue hazards on this date (YYYY-MM-DD); by default the
    /// latest inspection date read.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// The heading of the HTML page.
    #[arg(long)]
    title: Option<String>,
    #[command(flatten)]
    limits: crate::limit_args::ReportLimitArgs,
}

/// Output formats of `hazcheck stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// Tables for a terminal.
    Table,
    /// One CSV table of every group.
    Csv,
    /// The statistics as JSON.
    Json,
    /// A self-contained HTML page with bar charts.
    Html,
}

/// Runs `hazcheck stats`; the result is the exit code.
pub fn run(args: &StatsArgs, out: &mut dyn Write) -> Result<u8> {
    let lang = Lang::from(args.lang);
    let as_of = match &args.as_of {
        Some(s) => Some(Date::parse(s).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?),
        None => None,
    };
    let mut files = Vec::new();
    for p in &args.paths {
        if p == Path::new("-") || p.is_file() {
            files.push(p.clone());
        } else if p.is_dir() {
            let found = files_under(p)?;
            if found.is_empty() {
                bail!("no .json, .ndjson or .jsonl file under {}", p.display());
            }
            files.extend(found);
        } else {
            bail!("no such file or folder: {}", p.display());
        }
    }
    let max = args
        .limits
        .apply(hazcheck::Limits::default())
        .max_report_bytes;
    let mut builder = StatsBuilder::new();
    for f in &files {
        // Streamed: one report is held in memory at a time, however large
        // the file.
        let read = if f == Path::new("-") {
            builder.read(std::io::stdin().lock(), max)
        } else {
            let file = File::open(f).with_context(|| format!("cannot read {}", f.display()))?;
            builder.read(BufReader::with_capacity(1 << 20, file), max)
        };
        read.map_err(|e| {
            let name = if f == Path::new("-") {
                "<stdin>".to_string()
            } else {
                f.display().to_string()
            };
            anyhow::anyhow!("{name}: {e}")
        })?;
    }
    let stats = builder.finish(&StatsOptions { as_of });
    let text = match args.format {
        StatsFormat::Json => stats.to_json(),
        StatsFormat::Csv => csv(&stats, lang),
        StatsFormat::Table => table(&stats, lang),
        StatsFormat::Html => crate::stats_html::page(&stats, lang, args.title.as_deref()),
    };
    out.write_all(text.as_bytes())?;
    Ok(0)
}

/// The input files under a folder, sorted, so that runs are repeatable.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for e in entries {
            let p = e
                .with_context(|| format!("cannot read {}", d.display()))?
                .path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "json" || x == "ndjson" || x == "jsonl")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The groups of the statistics, in display order, with their headings.
pub(crate) fn sections(s: &Stats, lang: Lang) -> Vec<(&'static str, &'static str, &[Row])> {
    vec![
        ("level", t(lang, "按隐患级别", "By level"), &s.by_level[..]),
        ("domain", t(lang, "按领域", "By domain"), &s.by_domain[..]),
        ("city", t(lang, "按市", "By city"), &s.by_city[..]),
        (
            "county",
            t(lang, "按县（区）", "By county"),
            &s.by_county[..],
        ),
        (
            "province",
            t(lang, "按省", "By province"),
            &s.by_province[..],
        ),
        ("rule", t(lang, "按规则", "By rule"), &s.by_rule[..]),
        ("month", t(lang, "按月", "By month"), &s.by_month[..]),
        ("week", t(lang, "按周", "By week"), &s.by_week[..]),
    ]
}

/// The label of a row: levels are translated, rules get their title.
pub(crate) fn row_label(dimension: &str, r: &Row, lang: Lang) -> String {
    match (dimension, r.key.as_str()) {
        ("level", "major") => t(lang, "重大事故隐患", "major").to_string(),
        ("level", "ordinary") => t(lang, "一般事故隐患", "ordinary").to_string(),
        ("total", _) => t(lang, "合计", "total").to_string(),
        ("rule", _) => match &r.title {
            Some(title) => format!("{} {}", r.key, title.get(lang)),
            None => r.key.clone(),
        },
        _ => r.key.clone(),
    }
}

pub(crate) fn percent(r: &Row) -> String {
    r.rectified_percent
        .map_or_else(|| "-".to_string(), |p| format!("{p:.1}%"))
}

pub(crate) fn site_label(h: &OpenHazard) -> String {
    match (&h.site.name, &h.site.id) {
        (Some(n), Some(id)) => format!("{n} ({id})"),
        (Some(n), None) => n.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => "-".to_string(),
    }
}

/// The column headings of a group table.
pub(crate) fn headings(lang: Lang) -> [&'static str; COLUMNS] {
    [
        t(lang, "分组", "group"),
        t(lang, "检查次数", "inspections"),
        t(lang, "场所", "sites"),
        t(lang, "隐患", "hazards"),
        t(lang, "重大", "major"),
        t(lang, "一般", "ordinary"),
        t(lang, "已整改", "rectified"),
        t(lang, "整改率", "rate"),
        t(lang, "逾期", "overdue"),
        t(lang, "无期限", "no due"),
        t(lang, "挂牌督办", "escalated"),
    ]
}

/// The number of columns of a group table.
pub(crate) const COLUMNS: usize = 11;

pub(crate) fn cells(dimension: &str, r: &Row, lang: Lang) -> [String; COLUMNS] {
    [
        row_label(dimension, r, lang),
        r.inspections.to_string(),
        r.sites.to_string(),
        r.hazards.to_string(),
        r.major.to_string(),
        r.ordinary.to_string(),
        r.rectified.to_string(),
        percent(r),
        r.overdue.to_string(),
        r.no_due.to_string(),
        r.escalated.to_string(),
    ]
}

/// How many rows of each open-hazard list the terminal shows.
const TERMINAL_LIST: usize = 20;

fn table(s: &Stats, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} .. {}  {}: {}",
        t(lang, "检查期间", "period"),
        date_or_dash(s.first),
        date_or_dash(s.last),
        t(lang, "统计截止", "as of"),
        date_or_dash(s.as_of)
    );
    let i = &s.inputs;
    let _ = writeln!(
        out,
        "{}: {} {}, {} {}, {} {}, {} {}",
        t(lang, "输入", "read"),
        i.reports,
        t(lang, "份报告", "reports"),
        i.follow_ups,
        t(lang, "份回头看", "follow-ups"),
        i.failed,
        t(lang, "条失败记录", "failed records"),
        i.duplicates,
        t(lang, "份重复", "duplicates"),
    );
    out.push('\n');
    grid(
        &mut out,
        &headings(lang),
        &[cells("total", &s.total, lang)],
        t(lang, "总计", "Total"),
    );
    if s.total.no_due > 0 {
        let _ = writeln!(out, "{}\n", no_due_note(s.total.no_due, lang));
    }
    for (dim, heading, rows) in sections(s, lang) {
        let body: Vec<[String; COLUMNS]> = rows.iter().map(|r| cells(dim, r, lang)).collect();
        grid(&mut out, &headings(lang), &body, heading);
    }
    for (heading, list) in [
        (
            t(lang, "未整改的重大事故隐患", "Major hazards not rectified"),
            &s.major_open,
        ),
        (t(lang, "逾期未整改的隐患", "Overdue hazards"), &s.overdue),
    ] {
        let _ = writeln!(out, "{heading} ({})", list.len());
        for h in list.iter().take(TERMINAL_LIST) {
            let _ = writeln!(
                out,
                "  {}  {}  {} {}  [{}]  {} {}  {} {}{}",
                h.site.region.as_deref().unwrap_or("-"),
                site_label(h),
                h.rule,
                h.title.get(lang),
                level_word(h.level, lang),
                t(lang, "发现", "found"),
                h.found,
                t(lang, "期限", "due"),
                h.due
                    .map_or_else(|| t(lang, "未设定", "none").to_string(), |d| d.to_string()),
                if h.escalated {
                    t(lang, "  挂牌督办", "  escalated")
                } else {
                    ""
                }
            );
        }
        if list.len() > TERMINAL_LIST {
            let _ = writeln!(
                out,
                "  … {} {}",
                list.len() - TERMINAL_LIST,
                t(
                    lang,
                    "条未列出（完整清单见 --format json 或 html）",
                    "more (see --format json or html for the full list)"
                )
            );
        }
        out.push('\n');
    }
    // Regions, sites and titles come from the reports read.
    terminal_safe(out)
}

/// Says that open hazards without a due date cannot be overdue.
pub(crate) fn no_due_note(n: usize, lang: Lang) -> String {
    match lang {
        Lang::Zh => {
            format!("{n} 项未整改隐患未设定整改期限（检查记录、规则和规则集均未规定），不计入逾期")
        }
        Lang::En => format!(
            "{n} open hazard{} no due date (neither the inspection, the rule nor the ruleset set a deadline) and cannot be counted overdue",
            if n == 1 { " has" } else { "s have" }
        ),
    }
}

fn date_or_dash(d: Option<Date>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// Writes an aligned table; the first column is left-aligned, numbers are
/// right-aligned. Chinese characters take two columns in a terminal.
fn grid(out: &mut String, head: &[&str; COLUMNS], body: &[[String; COLUMNS]], title: &str) {
    let mut widths = head.map(width);
    for row in body {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let _ = writeln!(out, "{title}");
    let line = |out: &mut String, cells: &[&str]| {
        let mut s = String::from(" ");
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            let pad = " ".repeat(w.saturating_sub(width(c)));
            if i == 0 {
                let _ = write!(s, " {c}{pad}");
            } else {
                let _ = write!(s, "  {pad}{c}");
            }
        }
        let _ = writeln!(out, "{}", s.trim_end());
    };
    line(out, head);
    for row in body {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &cells);
    }
    out.push('\n');
}

/// The display width of a text in a terminal.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let c = u32::from(c);
            let wide = matches!(c,
                0x1100..=0x115F
                | 0x2E80..=0x303E
                | 0x3041..=0x33FF
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF
                | 0xAC00..=0xD7A3
                | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F
                | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6
                | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// Every group as one CSV table (RFC 4180, with a header line).
fn csv(s: &Stats, lang: Lang) -> String {
    let mut out = String::from(
        "dimension,key,ruleset,title,inspections,sites,hazards,major,ordinary,rectified,open,overdue,no_due,escalated,rectified_percent\n",
    );
    let mut rows: Vec<(&str, &Row)> = vec![("total", &s.total)];
    for (dim, _, list) in sections(s, lang) {
        rows.extend(list.iter().map(|r| (dim, r)));
    }
    for (dim, r) in rows {
        let fields = [
            dim.to_string(),
            r.key.clone(),
            r.ruleset.clone().unwrap_or_default(),
            r.title
                .as_ref()
                .map(|x| x.get(lang).to_string())
                .unwrap_or_default(),
            r.inspections.to_string(),
            r.sites.to_string(),
            r.hazards.to_string(),
            r.major.to_string(),
            r.ordinary.to_string(),
            r.rectified.to_string(),
            r.open.to_string(),
            r.overdue.to_string(),
            r.no_due.to_string(),
            r.escalated.to_string(),
            r.rectified_percent
                .map(|p| format!("{p:.1}"))
                .unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_is_two_columns_wide() {
        assert_eq!(width("济南市"), 6);
        assert_eq!(width("a-1"), 3);
        assert_eq!(width("（区）"), 6);
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
