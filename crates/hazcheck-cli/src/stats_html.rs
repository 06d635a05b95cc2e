//! The statistics as one self-contained HTML page that a supervision office
//! can send around: summary figures, bar charts as inline SVG, the tables
//! of every group, and the lists of open major and overdue hazards.
//!
//! The page loads nothing: no script, no font, no image, no link, so it
//! shows the same offline, in a mail client or printed. Every text that
//! comes from the inputs (site names, regions, rule titles) is escaped.

use std::fmt::Write as _;

use hazcheck::Lang;
use hazcheck::stats::{OpenHazard, Row, Stats};

use crate::report_text::{level_word, t};
use crate::stats_cmd::{cells, headings, no_due_note, percent, row_label, sections, site_label};

/// How many rows a chart shows; the table below it has every row.
const CHART_ROWS: usize = 15;
/// Periods are charted in order, up to this many.
const CHART_PERIODS: usize = 60;

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}
h2{font-size:1.2em;margin:32px 0 8px;border-bottom:2px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:1.6em}
.card.major b{color:#cf222e}
.card.overdue b{color:#bc4c00}
svg.chart{width:100%;max-width:820px;height:auto;display:block;margin:8px 0}
svg.chart text{font-size:12px;fill:#1f2328}
table{border-collapse:collapse;margin:8px 0;font-size:0.9em}
th,td{border:1px solid #d0d7de;padding:3px 8px}
th{background:#f6f8fa;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.major td:first-child{border-left:4px solid #cf222e}
.note{color:#57606a;font-size:0.9em}
footer{color:#57606a;font-size:0.8em;margin-top:40px}
@media print{h2{break-after:avoid}svg.chart,table{break-inside:avoid}}
";

const MAJOR_COLOR: &str = "#cf222e";
const ORDINARY_COLOR: &str = "#e69a28";
const RATE_COLOR: &str = "#2da44e";

/// The page.
pub fn page(s: &Stats, lang: Lang, title: Option<&str>) -> String {
    let title = title.unwrap_or(t(
        lang,
        "安全生产督导隐患统计",
        "Work-safety supervision statistics",
    ));
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"hazcheck {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        t(lang, "zh-CN", "en"),
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(title));
    let date = |d: Option<hazcheck::Date>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    let i = &s.inputs;
    let _ = writeln!(
        h,
        "<p class=\"meta\">{}: {} – {} · {}: {} · {}: {} {}, {} {}{}</p>",
        t(lang, "检查期间", "Inspections from"),
        date(s.first),
        date(s.last),
        t(lang, "统计截止", "as of"),
        date(s.as_of),
        t(lang, "依据", "from"),
        i.reports,
        t(lang, "份检查报告", "reports"),
        i.follow_ups,
        t(lang, "份回头看", "follow-ups"),
        if i.failed > 0 {
            format!(
                ", {} {}",
                i.failed,
                t(
                    lang,
                    "条未能评估的检查",
                    "inspections that could not be evaluated"
                )
            )
        } else {
            String::new()
        }
    );
    cards(&mut h, &s.total, lang);
    if s.total.no_due > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{}</p>",
            esc(&no_due_note(s.total.no_due, lang))
        );
    }

    for (dim, heading, rows) in sections(s, lang) {
        let _ = writeln!(h, "<section id=\"by-{dim}\">\n<h2>{}</h2>", esc(heading));
        if rows.is_empty() {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", t(lang, "无数据", "no data"));
            h.push_str("</section>\n");
            continue;
        }
        let periodic = dim == "month" || dim == "week";
        let limit = if periodic { CHART_PERIODS } else { CHART_ROWS };
        let shown: Vec<&Row> = if periodic && rows.len() > limit {
            rows.iter().skip(rows.len() - limit).collect()
        } else {
            rows.iter().take(limit).collect()
        };
        let bars: Vec<(String, usize, usize)> = shown
            .iter()
            .map(|r| (row_label(dim, r, lang), r.major, r.ordinary))
            .collect();
        h.push_str(&stacked_chart(&bars, heading, lang));
        if rows.len() > shown.len() {
            let _ = writeln!(
                h,
                "<p class=\"note\">{}</p>",
                esc(&match (lang, periodic) {
                    (Lang::Zh, true) => format!("图中为最近 {} 期，表中为全部。", shown.len()),
                    (Lang::Zh, false) =>
                        format!("图中为隐患最多的 {} 项，表中为全部。", shown.len()),
                    (Lang::En, true) => {
                        format!(
                            "The chart shows the latest {}; the table has all.",
                            shown.len()
                        )
                    }
                    (Lang::En, false) => format!(
                        "The chart shows the {} with most hazards; the table has all.",
                        shown.len()
                    ),
                })
            );
        }
        if dim == "city" || dim == "domain" {
            let rates: Vec<(String, f64)> = shown
                .iter()
                .filter_map(|r| Some((row_label(dim, r, lang), r.rectified_percent?)))
                .collect();
            if !rates.is_empty() {
                h.push_str(&rate_chart(
                    &rates,
                    &format!("{} · {}", heading, t(lang, "整改率", "rectification rate")),
                ));
            }
        }
        group_table(&mut h, dim, rows, lang);
        h.push_str("</section>\n");
    }

    for (id, heading, list) in [
        (
            "major-open",
            t(lang, "未整改的重大事故隐患", "Major hazards not rectified"),
            &s.major_open,
        ),
        (
            "overdue",
            t(lang, "逾期未整改的隐患", "Overdue hazards"),
            &s.overdue,
        ),
    ] {
        let _ = writeln!(
            h,
            "<section id=\"{id}\">\n<h2>{} ({})</h2>",
            esc(heading),
            list.len()
        );
        hazard_table(&mut h, list, lang);
        h.push_str("</section>\n");
    }
    let _ = writeln!(
        h,
        "<footer>hazcheck {} · {} · {}</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        esc(&s.format),
        t(
            lang,
            "隐患按场所和规则计数：一处隐患从发现到整改只计一次；经回头看确认整改的才计为已整改。",
            "A hazard is one rule at one site, counted once from the visit that found it until it is rectified; only a follow-up can confirm a rectification."
        )
    );
    h
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn cards(h: &mut String, total: &Row, lang: Lang) {
    h.push_str("<section class=\"cards\">\n");
    let card = |h: &mut String, class: &str, value: String, label: &str| {
        let _ = writeln!(
            h,
            "<div class=\"card {class}\"><b>{}</b>{}</div>",
            esc(&value),
            esc(label)
        );
    };
    card(
        h,
        "",
        total.inspections.to_string(),
        t(lang, "检查次数", "inspections"),
    );
    card(h, "", total.sites.to_string(), t(lang, "检查场所", "sites"));
    card(
        h,
        "",
        total.hazards.to_string(),
        t(lang, "发现隐患", "hazards"),
    );
    card(
        h,
        "major",
        total.major.to_string(),
        t(lang, "重大事故隐患", "major hazards"),
    );
    card(
        h,
        "",
        total.rectified.to_string(),
        t(lang, "已整改", "rectified"),
    );
    card(
        h,
        "",
        percent(total),
        t(lang, "整改率", "rectification rate"),
    );
    card(
        h,
        "overdue",
        total.overdue.to_string(),
        t(lang, "逾期未整改", "overdue"),
    );
    card(
        h,
        "major",
        total.escalated.to_string(),
        t(lang, "提请挂牌督办", "to escalate"),
    );
    h.push_str("</section>\n");
}

/// Shortens a chart label; the full text is in the table and the tooltip.
fn short(label: &str) -> String {
    const MAX: usize = 22;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

const LABEL_W: usize = 230;
const BAR_W: usize = 500;
const ROW_H: usize = 22;
const TOP: usize = 28;

/// Horizontal bars, major and ordinary stacked.
fn stacked_chart(rows: &[(String, usize, usize)], caption: &str, lang: Lang) -> String {
    let max = rows.iter().map(|r| r.1 + r.2).max().unwrap_or(0).max(1);
    let height = TOP + rows.len() * ROW_H + 8;
    let width = LABEL_W + BAR_W + 70;
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n",
        esc(caption)
    );
    let _ = writeln!(
        s,
        "<rect x=\"{LABEL_W}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{MAJOR_COLOR}\"/><text x=\"{}\" y=\"16\">{}</text>\
         <rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{ORDINARY_COLOR}\"/><text x=\"{}\" y=\"16\">{}</text>",
        LABEL_W + 16,
        esc(level_word(hazcheck::Level::Major, lang)),
        LABEL_W + 80,
        LABEL_W + 96,
        esc(level_word(hazcheck::Level::Ordinary, lang)),
    );
    for (i, (label, major, ordinary)) in rows.iter().enumerate() {
        let y = TOP + i * ROW_H;
        let wm = major * BAR_W / max;
        let wo = ordinary * BAR_W / max;
        let _ = writeln!(
            s,
            "<g><title>{}: {} {}, {} {}</title>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar major\" x=\"{LABEL_W}\" y=\"{}\" width=\"{wm}\" height=\"{}\" fill=\"{MAJOR_COLOR}\"/>\
             <rect class=\"bar ordinary\" x=\"{}\" y=\"{}\" width=\"{wo}\" height=\"{}\" fill=\"{ORDINARY_COLOR}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text></g>",
            esc(label),
            major,
            esc(level_word(hazcheck::Level::Major, lang)),
            ordinary,
            esc(level_word(hazcheck::Level::Ordinary, lang)),
            LABEL_W - 8,
            y + 15,
            esc(&short(label)),
            y + 3,
            ROW_H - 6,
            LABEL_W + wm,
            y + 3,
            ROW_H - 6,
            LABEL_W + wm + wo + 6,
            y + 15,
            major + ordinary
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Horizontal bars of a percentage.
fn rate_chart(rows: &[(String, f64)], caption: &str) -> String {
    let height = TOP + rows.len() * ROW_H + 8;
    let width = LABEL_W + BAR_W + 70;
    let mut s = format!(
        "<svg class=\"chart rate\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n<text x=\"{LABEL_W}\" y=\"16\">{}</text>\n",
        esc(caption),
        esc(caption)
    );
    for (i, (label, pct)) in rows.iter().enumerate() {
        let y = TOP + i * ROW_H;
        // Percentages are at most 100 with one decimal: tenths fit exactly.
        let tenths = (pct * 10.0).round().clamp(0.0, 1000.0) as usize;
        let w = tenths * BAR_W / 1000;
        let _ = writeln!(
            s,
            "<g><title>{}: {pct:.1}%</title>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar rate\" x=\"{LABEL_W}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{RATE_COLOR}\"/>\
             <text x=\"{}\" y=\"{}\">{pct:.1}%</text></g>",
            esc(label),
            LABEL_W - 8,
            y + 15,
            esc(&short(label)),
            y + 3,
            ROW_H - 6,
            LABEL_W + w + 6,
            y + 15,
        );
    }
    s.push_str("</svg>\n");
    s
}

fn group_table(h: &mut String, dim: &str, rows: &[Row], lang: Lang) {
    h.push_str("<table>\n<thead><tr>");
    for head in headings(lang) {
        let _ = write!(h, "<th>{}</th>", esc(head));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        h.push_str("<tr>");
        for (i, c) in cells(dim, r, lang).iter().enumerate() {
            if i == 0 {
                let _ = write!(h, "<td>{}</td>", esc(c));
            } else {
                let _ = write!(h, "<td class=\"n\">{}</td>", esc(c));
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

fn hazard_table(h: &mut String, list: &[OpenHazard], lang: Lang) {
    if list.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", t(lang, "无", "none"));
        return;
    }
    let _ = writeln!(
        h,
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        t(lang, "地区", "region"),
        t(lang, "场所", "site"),
        t(lang, "规则", "rule"),
        t(lang, "隐患", "hazard"),
        t(lang, "级别", "level"),
        t(lang, "发现日期", "found"),
        t(lang, "整改期限", "due"),
        t(lang, "状态", "status"),
    );
    for x in list {
        let mut status = x.status.describe(lang).to_string();
        if x.overdue {
            status = t(lang, "逾期", "overdue").to_string();
        }
        if x.escalated {
            status.push_str(t(lang, "，提请挂牌督办", ", to escalate"));
        }
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            x.level.as_str(),
            esc(x.site.region.as_deref().unwrap_or("-")),
            esc(&site_label(x)),
            esc(&x.rule),
            esc(x.title.get(lang)),
            esc(level_word(x.level, lang)),
            x.found,
            x.due
                .map_or_else(|| t(lang, "未设定", "none").to_string(), |d| d.to_string()),
            esc(&status)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_texts_is_escaped() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn long_labels_are_shortened_for_charts() {
        let long = "临时用电不规范".repeat(5);
        let s = short(&long);
        assert_eq!(s.chars().count(), 22);
        assert!(s.ends_with('…'));
        assert_eq!(short("济南市"), "济南市");
    }

    #[test]
    fn bars_scale_to_the_largest_row() {
        let svg = stacked_chart(&[("a".into(), 2, 2), ("b".into(), 0, 1)], "c", Lang::En);
        assert!(svg.contains(&format!("width=\"{}\"", BAR_W / 2)), "{svg}");
        assert!(svg.contains(&format!("width=\"{}\"", BAR_W / 4)), "{svg}");
    }
}
