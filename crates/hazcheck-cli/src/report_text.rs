//! Reports as text for people: a terminal rendering and Markdown.

use std::fmt::Write;

use hazcheck::report::{Evidence, Finding, Report, TraceNode};
use hazcheck::{Lang, Level};

fn level_name(level: Level, lang: Lang) -> &'static str {
    match (level, lang) {
        (Level::Major, Lang::Zh) => "重大事故隐患",
        (Level::Ordinary, Lang::Zh) => "一般事故隐患",
        (Level::Major, Lang::En) => "major hazard",
        (Level::Ordinary, Lang::En) => "ordinary hazard",
    }
}

/// A level in one word, for tables and lists (`重大`, `major`).
pub(crate) fn level_word(level: Level, lang: Lang) -> &'static str {
    match level {
        Level::Major => t(lang, "重大", "major"),
        Level::Ordinary => t(lang, "一般", "ordinary"),
    }
}

/// The text in the language asked for.
pub(crate) fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// An answer as one line of text. Answers come from field apps and
/// spreadsheets; a line break inside one would let it pose as a line of
/// the report, so line breaks are shown escaped.
fn answer_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".to_string(),
        serde_json::Value::Bool(true) => "yes".to_string(),
        serde_json::Value::Bool(false) => "no".to_string(),
        serde_json::Value::String(s) => one_line(s),
        other => one_line(&other.to_string()),
    }
}

/// Text with line breaks shown as `\n` and `\r`.
fn one_line(s: &str) -> String {
    s.replace('\r', "\\r").replace('\n', "\\n")
}

/// The text with every control character other than the line break shown
/// as an escape, so that no input can drive the terminal (colours, cursor
/// moves, a cleared screen) when the report is printed.
pub(crate) fn terminal_safe(s: String) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for inline Markdown: characters that would start markup (emphasis,
/// links, code, HTML, table cells) are escaped, line breaks become spaces,
/// and control characters are dropped, so that a title or an answer always
/// reads as the text it is.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn evidence_line(e: &Evidence, lang: Lang) -> String {
    format!(
        "{} = {}  ({}; {})",
        e.item,
        answer_text(&e.answer),
        e.prompt.get(lang),
        e.condition
    )
}

fn finding_header(f: &Finding, lang: Lang) -> String {
    let mut s = format!(
        "[{}] {} — {}",
        level_name(f.level, lang),
        f.rule,
        f.title.get(lang)
    );
    if let Some(from) = f.escalated_from {
        let _ = write!(
            s,
            " ({} {})",
            t(lang, "升级自", "escalated from"),
            level_name(from, lang)
        );
    }
    s
}

fn basis_line(f: &Finding, lang: Lang) -> String {
    basis_ref_line(&f.basis, lang)
}

fn basis_ref_line(b: &hazcheck::report::BasisRef, lang: Lang) -> String {
    let mut s = format!("{} {}", b.title.get(lang), b.clause);
    if let Some(n) = &b.number {
        let _ = write!(s, "（{n}）");
    }
    if !b.verified {
        let _ = write!(s, " [{}]", t(lang, "条款未核实", "clause not verified"));
    }
    s
}

/// The report as plain text for a terminal.
pub fn human(r: &Report, lang: Lang, explain: bool) -> String {
    let mut s = String::new();
    let site = one_line(
        r.inspection
            .site
            .name
            .as_deref()
            .or(r.inspection.site.id.as_deref())
            .unwrap_or("-"),
    );
    let _ = writeln!(
        s,
        "{} {} ({} {})",
        r.ruleset.title.get(lang),
        r.ruleset.id,
        t(lang, "版本", "version"),
        r.ruleset.version
    );
    let _ = writeln!(
        s,
        "{}: {}  {}: {}",
        t(lang, "检查日期", "date"),
        r.inspection.date,
        t(lang, "场所", "site"),
        site
    );
    let _ = writeln!(
        s,
        "{}: {}",
        t(lang, "结论", "verdict"),
        r.verdict.describe(lang)
    );
    if !r.complete && !r.findings.is_empty() {
        let scripts_failed = r.undetermined.iter().any(|u| u.error.is_some());
        let _ = writeln!(
            s,
            "  {}",
            if scripts_failed {
                t(
                    lang,
                    "注意：部分规则因缺少回答或脚本出错无法判定",
                    "note: some rules could not be decided for missing answers or script errors",
                )
            } else {
                t(
                    lang,
                    "注意：部分规则因缺少回答无法判定",
                    "note: some rules could not be decided for missing answers",
                )
            }
        );
    }
    for f in &r.findings {
        let _ = writeln!(s, "\n{}", finding_header(f, lang));
        let _ = writeln!(s, "  {}: {}", t(lang, "依据", "basis"), basis_line(f, lang));
        for b in &f.also {
            let _ = writeln!(
                s,
                "  {}: {}",
                t(lang, "另见", "see also"),
                basis_ref_line(b, lang)
            );
        }
        if f.needs_confirmation {
            let _ = writeln!(
                s,
                "  {}",
                t(lang, "须经人工确认", "needs confirmation by a person")
            );
        }
        for e in &f.undetermined_escalations {
            let _ = writeln!(
                s,
                "  {} {} ({}: {}): {}",
                t(lang, "可能升级为", "may escalate to"),
                level_name(e.to, lang),
                t(lang, "缺少", "missing"),
                e.missing.join(", "),
                e.reason.get(lang)
            );
        }
        if let Some(x) = &f.undetermined_exception {
            let _ = writeln!(
                s,
                "  {} ({}: {}): {}",
                t(lang, "可能适用例外", "an exception may apply"),
                t(lang, "缺少", "missing"),
                x.missing.join(", "),
                x.reason.get(lang)
            );
        }
        if let Some(reason) = &f.escalation_reason {
            let _ = writeln!(
                s,
                "  {}: {}",
                t(lang, "升级原因", "escalated because"),
                reason.get(lang)
            );
        }
        for e in &f.evidence {
            let _ = writeln!(
                s,
                "  {}: {}",
                t(lang, "证据", "evidence"),
                evidence_line(e, lang)
            );
        }
        if !f.counted.is_empty() {
            let _ = writeln!(
                s,
                "  {}: {}",
                t(lang, "计入要素", "counted"),
                f.counted.join("; ")
            );
        }
        if let Some(g) = &f.guidance {
            let _ = writeln!(
                s,
                "  {}: {}",
                t(lang, "整改要求", "what to do"),
                g.get(lang)
            );
        }
        for e in &f.rectification {
            let _ = writeln!(s, "  - {}", e.get(lang));
        }
        if let Some(due) = f.due {
            let _ = writeln!(s, "  {}: {}", t(lang, "整改期限", "due"), due);
        }
    }
    for e in &r.excepted {
        let _ = writeln!(
            s,
            "\n[{}] {} — {}",
            t(lang, "已排除", "excepted"),
            e.rule,
            e.title.get(lang)
        );
        let _ = writeln!(
            s,
            "  {}: {}",
            t(lang, "排除理由", "reason"),
            e.reason.get(lang)
        );
        for ev in &e.exception_evidence {
            let _ = writeln!(
                s,
                "  {}: {}",
                t(lang, "证据", "evidence"),
                evidence_line(ev, lang)
            );
        }
    }
    if !r.undetermined.is_empty() {
        let _ = writeln!(s, "\n{}:", t(lang, "无法判定的规则", "undetermined rules"));
        for u in &r.undetermined {
            let _ = write!(s, "  {} — {}", u.rule, u.title.get(lang));
            if !u.missing.is_empty() {
                let _ = write!(
                    s,
                    " ({}: {})",
                    t(lang, "缺少", "missing"),
                    u.missing.join(", ")
                );
            }
            if let Some(e) = &u.error {
                let _ = write!(s, " ({e})");
            }
            s.push('\n');
        }
    }
    if !r.input_diagnostics.is_empty() {
        let _ = writeln!(s, "\n{}:", t(lang, "回答问题", "answer problems"));
        for d in &r.input_diagnostics {
            let _ = writeln!(s, "  {} {}", d.code, d.message);
        }
    }
    if explain && let Some(ex) = &r.explanations {
        let _ = writeln!(s, "\n{}:", t(lang, "判定过程", "explanation"));
        for e in ex {
            let _ = writeln!(s, "  {} → {}", e.rule, e.outcome);
            if let Some(a) = &e.applies_if {
                let _ = writeln!(s, "    applies if:");
                tree(&mut s, a, 3);
            }
            tree(&mut s, &e.when, 2);
            if let Some(u) = &e.unless {
                let _ = writeln!(s, "    unless:");
                tree(&mut s, u, 3);
            }
            for x in &e.escalations {
                let _ = writeln!(
                    s,
                    "    {} {}: {}",
                    t(lang, "升级为", "escalates to"),
                    level_name(x.to, lang),
                    x.reason.get(lang)
                );
                tree(&mut s, &x.when, 3);
            }
        }
    }
    let c = &r.counts;
    let _ = writeln!(
        s,
        "\n{}: {} {}, {} {}, {} {}, {} {}",
        t(lang, "统计", "counts"),
        c.major,
        t(lang, "重大", "major"),
        c.ordinary,
        t(lang, "一般", "ordinary"),
        c.undetermined,
        t(lang, "无法判定", "undetermined"),
        c.excepted,
        t(lang, "已排除", "excepted")
    );
    if let Some(note) = no_due_note(r, lang) {
        let _ = writeln!(s, "{note}");
    }
    terminal_safe(s)
}

/// Says how many findings have no due date and why, when some have none.
fn no_due_note(r: &Report, lang: Lang) -> Option<String> {
    let n = r.findings.iter().filter(|f| f.due.is_none()).count();
    let all = r.findings.len();
    (n > 0).then(|| match lang {
        Lang::Zh => format!(
            "未设定整改期限：{all} 项隐患中有 {n} 项（检查记录、规则和规则集均未规定期限；可在检查记录的 deadlines 中规定）"
        ),
        Lang::En => format!(
            "no due date: {n} of {all} finding{} (neither the inspection, the rule nor the ruleset sets a rectification deadline; the inspection can, under `deadlines`)",
            if all == 1 { "" } else { "s" }
        ),
    })
}

fn tree(s: &mut String, n: &TraceNode, depth: usize) {
    let pad = "  ".repeat(depth);
    let _ = write!(s, "{pad}{} = {}", n.condition, n.value);
    if !n.answers.is_empty() {
        let a: Vec<String> = n
            .answers
            .iter()
            .map(|a| format!("{}: {}", a.item, answer_text(&a.answer)))
            .collect();
        let _ = write!(s, "  [{}]", a.join(", "));
    }
    if !n.parameters.is_empty() {
        let p: Vec<String> = n
            .parameters
            .iter()
            .map(|p| format!("{} = {}", p.id, answer_text(&p.value)))
            .collect();
        let _ = write!(s, "  {{{}}}", p.join(", "));
    }
    if let Some(e) = &n.error {
        let _ = write!(s, "  error: {e}");
    }
    s.push('\n');
    for c in &n.children {
        tree(s, c, depth + 1);
    }
}

/// The report as Markdown, for a ticket or a pull-request comment.
pub fn markdown(r: &Report, lang: Lang, explain: bool) -> String {
    let mut s = String::new();
    let site = md(r
        .inspection
        .site
        .name
        .as_deref()
        .or(r.inspection.site.id.as_deref())
        .unwrap_or("-"));
    let _ = writeln!(
        s,
        "## {} ({} {})\n",
        md(r.ruleset.title.get(lang)),
        md(&r.ruleset.id),
        md(&r.ruleset.version)
    );
    let _ = writeln!(
        s,
        "- {}: {}",
        t(lang, "检查日期", "Date"),
        r.inspection.date
    );
    let _ = writeln!(s, "- {}: {}", t(lang, "场所", "Site"), site);
    let _ = writeln!(
        s,
        "- {}: **{}**\n",
        t(lang, "结论", "Verdict"),
        r.verdict.describe(lang)
    );
    if !r.findings.is_empty() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            t(lang, "级别", "Level"),
            t(lang, "规则", "Rule"),
            t(lang, "问题", "Finding"),
            t(lang, "依据", "Basis"),
            t(lang, "期限", "Due")
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for f in &r.findings {
            let mut level = level_name(f.level, lang).to_string();
            if f.needs_confirmation {
                level.push_str(t(lang, "（待确认）", " (to confirm)"));
            }
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} |",
                level,
                f.rule,
                md(f.title.get(lang)),
                md(&basis_line(f, lang)),
                f.due.map_or("-".to_string(), |d| d.to_string())
            );
        }
        s.push('\n');
        if let Some(note) = no_due_note(r, lang) {
            let _ = writeln!(s, "{note}\n");
        }
        for f in &r.findings {
            let _ = writeln!(s, "### `{}` {}\n", f.rule, md(f.title.get(lang)));
            for e in &f.evidence {
                let _ = writeln!(s, "- {}", md(&evidence_line(e, lang)));
            }
            for e in &f.undetermined_escalations {
                let _ = writeln!(
                    s,
                    "- **{} {}** ({}: {}): {}",
                    t(lang, "可能升级为", "May escalate to"),
                    level_name(e.to, lang),
                    t(lang, "缺少", "missing"),
                    md(&e.missing.join(", ")),
                    md(e.reason.get(lang))
                );
            }
            if let Some(x) = &f.undetermined_exception {
                let _ = writeln!(
                    s,
                    "- **{}** ({}: {}): {}",
                    t(lang, "可能适用例外", "An exception may apply"),
                    t(lang, "缺少", "missing"),
                    md(&x.missing.join(", ")),
                    md(x.reason.get(lang))
                );
            }
            if let Some(g) = &f.guidance {
                let _ = writeln!(
                    s,
                    "\n{}: {}",
                    t(lang, "整改要求", "What to do"),
                    md(g.get(lang))
                );
            }
            for e in &f.rectification {
                let _ = writeln!(s, "- [ ] {}", md(e.get(lang)));
            }
            s.push('\n');
        }
    }
    if !r.undetermined.is_empty() {
        let _ = writeln!(
            s,
            "### {}\n",
            t(lang, "无法判定的规则", "Undetermined rules")
        );
        for u in &r.undetermined {
            let _ = writeln!(
                s,
                "- `{}` {} ({}: {})",
                u.rule,
                md(u.title.get(lang)),
                t(lang, "缺少", "missing"),
                md(&u.missing.join(", "))
            );
        }
        s.push('\n');
    }
    if explain {
        let text = human(r, lang, true);
        let fence = fence_for(&text);
        let _ = writeln!(s, "{fence}text\n{text}{fence}");
    }
    s
}

/// A code fence longer than any run of back-quotes in `text`, so that
/// nothing inside can close it.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_outlast_the_text() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ``` b ```` c"), "`````");
    }

    #[test]
    fn markdown_text_cannot_make_markup() {
        assert_eq!(
            md("a|b\n# h <script>*x*_y_ [l](u) `c` &amp;"),
            "a\\|b \\# h \\<script\\>\\*x\\*\\_y\\_ \\[l\\](u) \\`c\\` &amp;amp;"
        );
        assert_eq!(md("bell\u{7}"), "bell");
    }

    #[test]
    fn terminal_text_cannot_drive_the_terminal() {
        assert_eq!(
            terminal_safe("x\u{1b}[31mRED\u{1b}[0m\rback\nnext".to_string()),
            "x\\u{1b}[31mRED\\u{1b}[0m\\u{d}back\nnext"
        );
        // Answers keep to one line.
        assert_eq!(answer_text(&serde_json::json!("a\nb\rc")), "a\\nb\\rc");
    }
}
