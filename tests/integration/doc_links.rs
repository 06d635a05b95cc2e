//! Every relative link in the project's Markdown (README, docs/, the
//! rulesets' READMEs) points at a file that exists, and every `#anchor`
//! at a heading of the file it names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{files_under, root};

/// The Markdown files a reader of the repository follows links in.
fn markdown_files() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "rulesets"] {
        files.extend(files_under(&root.join(dir), &["md"]));
    }
    files
}

/// The targets of the inline links `[text](target)` outside code.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans are not links.
        let mut plain = String::new();
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            out.push((n + 1, target.to_string()));
            rest = &rest[end..];
        }
    }
    out
}

/// The anchors of a file's headings, as GitHub makes them: lower case,
/// spaces to hyphens, punctuation other than `-` and `_` dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim().replace('`', "");
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                '-' | '_' => Some(c),
                c if c.is_alphanumeric() => Some(c),
                _ => None,
            })
            .collect();
        out.insert(slug);
    }
    out
}

fn is_external(target: &str) -> bool {
    target.is_empty()
        || target.starts_with("http://")
        || target.starts_with("https://")
        || target.starts_with("mailto:")
}

fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut broken = Vec::new();
    for (line, target) in links(text) {
        if is_external(&target) {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        // A bare `#anchor` is a heading of this very text.
        let linked_text = if path.is_empty() {
            Some(text.to_string())
        } else {
            let linked = dir.join(path);
            if !linked.exists() {
                broken.push(format!("{}:{line}: {target}: no such file", file.display()));
                continue;
            }
            linked
                .extension()
                .is_some_and(|e| e == "md")
                .then(|| std::fs::read_to_string(&linked).unwrap_or_default())
        };
        if let (Some(a), Some(linked_text)) = (anchor, linked_text)
            && !anchors(&linked_text).contains(a)
        {
            broken.push(format!(
                "{}:{line}: {target}: no such heading",
                file.display()
            ));
        }
    }
    broken
}

#[test]
fn every_relative_link_in_the_markdown_resolves() {
    let files = markdown_files();
    assert!(
        files.len() > 10,
        "only {} Markdown files found",
        files.len()
    );
    let mut checked = 0;
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable Markdown");
        checked += links(&text).len();
        broken.extend(broken_links(file, &text));
    }
    assert!(checked > 50, "only {checked} links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn a_missing_file_or_heading_is_reported() {
    let file = root().join("docs/example.md");
    let text = "# Top\n\nSee [a](#top), [b](#nowhere), [c](missing.md), \
                [d](performance.md#targets), [e](https://example.com), `[f](x.md)`.\n\
                ```\n[g](also-missing.md)\n```\n";
    let broken = broken_links(&file, text);
    assert_eq!(broken.len(), 2, "{broken:#?}");
    assert!(broken[0].ends_with("#nowhere: no such heading"));
    assert!(broken[1].ends_with("missing.md: no such file"));
}
