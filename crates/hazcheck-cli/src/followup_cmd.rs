//! `hazcheck follow-up`: evaluate a return visit (回头看) against the
//! previous visit of the same site and say what was rectified, what is
//! still open or overdue, and what must be escalated (挂牌督办).
//!
//! The work is done by [`hazcheck::followup`]; this file reads the inputs
//! and renders the result.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use hazcheck::followup::{FollowUp, FollowUpOptions, Previous, Status, follow_up};
use hazcheck::{EvalOptions, Inspection, Lang, SourceMap};

use crate::cli::{LangArg, ReportFormat, library_or_errors, load_ruleset_with, read_input};
use crate::render;
use crate::report_text::{self, level_word, t};

/// Arguments of `hazcheck follow-up`.
#[derive(Debug, clap::Args)]
pub struct FollowUpArgs {
    /// The previous visit: a JSON report (`hazcheck eval --format json`) or
    /// follow-up result (`hazcheck follow-up --format json`).
    #[arg(long, value_name = "REPORT")]
    previous: PathBuf,
    /// The follow-up inspection (YAML or JSON); `-` reads standard input.
    inspection: PathBuf,
    /// A built-in ruleset id, or a ruleset file or folder; by default the
    /// built-in rulesets.
    #[arg(long)]
    ruleset: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Language of texts.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// Flag an ordinary hazard still open at this many follow-ups in a row;
    /// overrides the ruleset's `follow_up.repeated_open` (default 2).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    repeated_open: Option<u32>,
    /// Exit with 1 when a hazard is flagged for escalation.
    #[arg(long)]
    fail_on_escalation: bool,
    #[command(flatten)]
    limits: crate::limit_args::LimitArgs,
    #[command(flatten)]
    report_limits: crate::limit_args::ReportLimitArgs,
}

/// Runs `hazcheck follow-up`; the result is the exit code.
pub fn run(args: &FollowUpArgs, out: &mut dyn Write) -> Result<u8> {
    let lang = Lang::from(args.lang);
    let limits = args.report_limits.apply(args.limits.limits());
    let (prev_name, prev_text) = read_input(
        &args.previous,
        limits.max_report_bytes,
        "--max-report-bytes",
    )?;
    let previous =
        Previous::from_json(&prev_text).map_err(|e| anyhow::anyhow!("{prev_name}: {e}"))?;
    // FIXME(#11): an oversized inspection gets a plain error here where
    // `eval` gives a located E0003 (`read_input_limited`); the bad-input
    // catalogue pins this text, so aligning them means updating it.
    let (name, text) = read_input(
        &args.inspection,
        limits.max_inspection_bytes,
        "--max-inspection-bytes",
    )?;
    let mut sources = SourceMap::new();
    let inspection = match Inspection::parse(&text, &name, &mut sources, &limits) {
        Ok(i) => i,
        Err(diags) => {
            let rendered = render::human(&diags, &sources, false);
            bail!("{name} is not a valid inspection:\n{rendered}");
        }
    };
    let library = match &args.ruleset {
        Some(spec) => load_ruleset_with(spec, &limits)?,
        None => library_or_errors(hazcheck::builtin::load(limits))?,
    };
    let options = FollowUpOptions {
        eval: EvalOptions::default(),
        repeated_open: args.repeated_open,
        overdue_major: None,
    };
    let result = follow_up(&library, &previous, &inspection, &options)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let text = match args.format {
        ReportFormat::Json => result.to_json(),
        ReportFormat::Human => human(&result, lang),
        ReportFormat::Markdown => markdown(&result, lang),
    };
    out.write_all(text.as_bytes())?;
    Ok(u8::from(
        args.fail_on_escalation && !result.escalate.is_empty(),
    ))
}

fn counts_line(f: &FollowUp, lang: Lang) -> String {
    let c = &f.counts;
    format!(
        "{} {}, {} {}, {} {}, {} {}, {} {}; {} {}",
        c.rectified,
        Status::Rectified.describe(lang),
        c.open,
        Status::Open.describe(lang),
        c.overdue,
        Status::Overdue.describe(lang),
        c.unverified,
        Status::Unverified.describe(lang),
        c.new,
        Status::New.describe(lang),
        c.escalate,
        t(lang, "提请挂牌督办", "to escalate"),
    )
}

/// The result as plain text for a terminal: the visit's report, then the
/// follow-up.
fn human(f: &FollowUp, lang: Lang) -> String {
    let mut s = report_text::human(&f.report, lang, false);
    let visits = f.history.len();
    let before = visits
        .checked_sub(2)
        .and_then(|i| f.history.get(i))
        .map(|v| v.date.to_string())
        .unwrap_or_else(|| "-".into());
    let _ = match lang {
        Lang::Zh => writeln!(s, "\n回头看：第 {visits} 次检查，上次检查 {before}"),
        Lang::En => writeln!(s, "\nfollow-up: visit {visits}, previous visit {before}"),
    };
    for m in &f.matches {
        let _ = write!(
            s,
            "  [{}] {} — {} ({} {}, {}",
            m.status.describe(lang),
            m.rule,
            m.title.get(lang),
            t(lang, "发现于", "found"),
            m.found,
            due_text(m.due, lang),
        );
        match m.previous_level {
            Some(p) if p != m.level => {
                let _ = write!(
                    s,
                    "; {} {} → {}",
                    t(lang, "级别", "level"),
                    level_word(p, lang),
                    level_word(m.level, lang)
                );
            }
            _ => {
                let _ = write!(s, "; {}", level_word(m.level, lang));
            }
        }
        s.push_str(")\n");
    }
    if !f.escalate.is_empty() {
        let _ = writeln!(
            s,
            "\n{}:",
            t(
                lang,
                "提请挂牌督办",
                "to escalate (government-supervised rectification)"
            )
        );
        for e in &f.escalate {
            let _ = writeln!(
                s,
                "  {} — {}: {}",
                e.rule,
                e.title.get(lang),
                e.reason.describe(lang)
            );
        }
    }
    let _ = writeln!(s, "\n{}:", t(lang, "检查记录", "history"));
    for (i, v) in f.history.iter().enumerate() {
        let mut tally: Vec<String> = Vec::new();
        for status in [
            Status::Rectified,
            Status::Open,
            Status::Overdue,
            Status::Unverified,
            Status::New,
        ] {
            let n = v.items.iter().filter(|x| x.status == status).count();
            if n > 0 {
                tally.push(format!("{n} {}", status.describe(lang)));
            }
        }
        let _ = writeln!(
            s,
            "  {}. {}  {}  {}  {}",
            i + 1,
            v.date,
            v.inspection.as_deref().unwrap_or("-"),
            v.verdict.describe(lang),
            if tally.is_empty() {
                "-".to_string()
            } else {
                tally.join(", ")
            }
        );
    }
    let _ = writeln!(s, "\n{}", policy_line(f, lang));
    if f.matches.iter().any(|m| m.due.is_none()) {
        let _ = writeln!(
            s,
            "{}",
            t(
                lang,
                "未设定整改期限的隐患不会逾期：检查记录、规则和规则集均未规定期限（检查记录可用 deadlines 规定）",
                "a hazard with no due date is never overdue: neither the inspection, the rule nor the ruleset sets a deadline (the inspection can, under `deadlines`)"
            )
        );
    }
    let _ = writeln!(
        s,
        "\n{}: {}",
        t(lang, "回头看统计", "follow-up counts"),
        counts_line(f, lang)
    );
    // The history and the matches carry ids and titles from the inputs.
    report_text::terminal_safe(s)
}

/// The due date of a match, or that it has none.
fn due_text(due: Option<hazcheck::Date>, lang: Lang) -> String {
    match due {
        Some(d) => format!("{} {d}", t(lang, "整改期限", "due")),
        None => t(lang, "未设定整改期限", "no due date").to_string(),
    }
}

/// The escalation settings the follow-up used.
fn policy_line(f: &FollowUp, lang: Lang) -> String {
    let p = &f.policy;
    match (lang, p.overdue_major) {
        (Lang::Zh, true) => format!(
            "提请挂牌督办：重大事故隐患逾期未整改；一般事故隐患连续 {} 次回头看仍未整改",
            p.repeated_open
        ),
        (Lang::Zh, false) => format!(
            "提请挂牌督办：一般事故隐患连续 {} 次回头看仍未整改（重大事故隐患逾期不在此提请）",
            p.repeated_open
        ),
        (Lang::En, overdue_major) => format!(
            "escalation: {}ordinary hazards still there at {} follow-up{} in a row{}",
            if overdue_major {
                "overdue major hazards; "
            } else {
                ""
            },
            p.repeated_open,
            if p.repeated_open == 1 { "" } else { "s" },
            if overdue_major {
                ""
            } else {
                " (overdue major hazards are not flagged)"
            }
        ),
    }
}

/// The result as Markdown: the follow-up first, for a ticket, then the
/// visit's report.
fn markdown(f: &FollowUp, lang: Lang) -> String {
    // FIXME(#11): only `|` is escaped, and the history's inspection ids
    // not at all, where the report's own Markdown (`report_text::md`)
    // escapes all markup; sharing that escaper, with the snapshots updated,
    // would finish it.
    let cell = |x: &str| x.replace('|', "\\|");
    let mut s = format!(
        "## {} {}\n\n",
        t(lang, "回头看", "Follow-up"),
        f.report.inspection.date
    );
    let _ = writeln!(s, "{}\n", counts_line(f, lang));
    if !f.matches.is_empty() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            t(lang, "状态", "Status"),
            t(lang, "规则", "Rule"),
            t(lang, "问题", "Finding"),
            t(lang, "级别", "Level"),
            t(lang, "发现于", "Found"),
            t(lang, "期限", "Due")
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for m in &f.matches {
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} | {} |",
                m.status.describe(lang),
                m.rule,
                cell(m.title.get(lang)),
                level_word(m.level, lang),
                m.found,
                m.due
                    .map_or_else(|| t(lang, "未设定", "none").to_string(), |d| d.to_string())
            );
        }
        s.push('\n');
    }
    if !f.escalate.is_empty() {
        let _ = writeln!(s, "### {}\n", t(lang, "提请挂牌督办", "To escalate"));
        for e in &f.escalate {
            let _ = writeln!(
                s,
                "- `{}` {}: {}",
                e.rule,
                e.title.get(lang),
                e.reason.describe(lang)
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "### {}\n", t(lang, "检查记录", "History"));
    for v in &f.history {
        let items: Vec<String> = v
            .items
            .iter()
            .map(|x| format!("`{}` {}", x.rule, x.status.describe(lang)))
            .collect();
        let _ = writeln!(
            s,
            "- {} {}: {}{}",
            v.date,
            v.inspection.as_deref().unwrap_or(""),
            v.verdict.describe(lang),
            if items.is_empty() {
                String::new()
            } else {
                format!(" — {}", items.join(", "))
            }
        );
    }
    s.push('\n');
    s.push_str(&report_text::markdown(&f.report, lang, false));
    s
}
