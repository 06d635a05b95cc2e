//! Comparing two versions of a ruleset: what a reviewer must see first.
//!
//! The comparison works on the merged models (includes resolved) and puts
//! level changes first, since a rule moving between major and ordinary
//! changes what a site must do. Behaviour over a corpus of inspections is
//! compared with [`corpus`].

use serde::Serialize;

use crate::Ruleset;
use crate::eval::EvalOptions;
use crate::inspection::Inspection;
use crate::model::{Level, RulesetFile};

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `level`, `rule`, `item`, `parameter`, `document` or `meta`.
    pub kind: &'static str,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// The id of what changed.
    pub id: String,
    /// What changed, in a few words.
    pub detail: String,
}

/// Compares two rulesets (or two versions of one).
pub fn compare(old: &RulesetFile, new: &RulesetFile) -> Vec<Change> {
    let mut out = Vec::new();
    let json = |v: &dyn erased::Ser| v.to_json();
    // Level changes stand out first.
    for r in &new.rules {
        if let Some(o) = old.rules.iter().find(|o| o.id.value == r.id.value)
            && o.level.value != r.level.value
        {
            let arrow = match (o.level.value, r.level.value) {
                (Level::Ordinary, Level::Major) => "ordinary → major",
                _ => "major → ordinary",
            };
            out.push(Change {
                kind: "level",
                change: "changed",
                id: r.id.value.clone(),
                detail: arrow.to_string(),
            });
        }
    }
    macro_rules! by_id {
        ($list:ident, $kind:literal, $fields:expr) => {
            for n in &new.$list {
                match old.$list.iter().find(|o| o.id.value == n.id.value) {
                    None => out.push(Change {
                        kind: $kind,
                        change: "added",
                        id: n.id.value.clone(),
                        detail: String::new(),
                    }),
                    Some(o) => {
                        let fields: Vec<&str> = $fields(o, n);
                        if !fields.is_empty() {
                            out.push(Change {
                                kind: $kind,
                                change: "changed",
                                id: n.id.value.clone(),
                                detail: fields.join(", "),
                            });
                        }
                    }
                }
            }
            for o in &old.$list {
                if !new.$list.iter().any(|n| n.id.value == o.id.value) {
                    out.push(Change {
                        kind: $kind,
                        change: "removed",
                        id: o.id.value.clone(),
                        detail: String::new(),
                    });
                }
            }
        };
    }
    by_id!(
        rules,
        "rule",
        |o: &crate::model::Rule, n: &crate::model::Rule| {
            let mut f = Vec::new();
            if json(&o.when) != json(&n.when) || json(&o.applies_if) != json(&n.applies_if) {
                f.push("condition");
            }
            if json(&o.unless) != json(&n.unless) {
                f.push("exception");
            }
            if json(&o.escalate) != json(&n.escalate) {
                f.push("escalation");
            }
            if json(&o.basis) != json(&n.basis) || json(&o.also) != json(&n.also) {
                f.push("basis");
            }
            if o.deadline != n.deadline {
                f.push("deadline");
            }
            if o.needs_confirmation != n.needs_confirmation {
                f.push("needs_confirmation");
            }
            if o.title != n.title || o.guidance != n.guidance {
                f.push("texts");
            }
            f
        }
    );
    by_id!(
        items,
        "item",
        |o: &crate::model::Item, n: &crate::model::Item| {
            let mut f = Vec::new();
            if o.kind.value != n.kind.value {
                f.push("type");
            }
            if json(&o.min) != json(&n.min) || json(&o.max) != json(&n.max) || o.unit != n.unit {
                f.push("bounds or unit");
            }
            if json(&o.options) != json(&n.options) {
                f.push("options");
            }
            if json(&o.applies_if) != json(&n.applies_if) || o.not_applicable != n.not_applicable {
                f.push("applicability");
            }
            if o.prompt != n.prompt || o.help != n.help {
                f.push("texts");
            }
            f
        }
    );
    by_id!(
        parameters,
        "parameter",
        |o: &crate::model::Parameter, n: &crate::model::Parameter| {
            let mut f = Vec::new();
            if json(&o.value) != json(&n.value)
                || json(&o.table) != json(&n.table)
                || o.unit != n.unit
            {
                f.push("value");
            }
            if json(&o.source) != json(&n.source) {
                f.push("source");
            }
            f
        }
    );
    by_id!(
        documents,
        "document",
        |o: &crate::model::Document, n: &crate::model::Document| {
            let mut f = Vec::new();
            if o.verified != n.verified {
                f.push("verified");
            }
            if o.number != n.number || o.date != n.date || o.title != n.title {
                f.push("identity");
            }
            f
        }
    );
    if json(&old.effective) != json(&new.effective) {
        out.push(Change {
            kind: "meta",
            change: "changed",
            id: "effective".into(),
            detail: "period in force".into(),
        });
    }
    if json(&old.deadlines) != json(&new.deadlines) {
        out.push(Change {
            kind: "meta",
            change: "changed",
            id: "deadlines".into(),
            detail: "default deadlines".into(),
        });
    }
    if json(&old.follow_up) != json(&new.follow_up) {
        out.push(Change {
            kind: "meta",
            change: "changed",
            id: "follow_up".into(),
            detail: "follow-up escalation settings".into(),
        });
    }
    out
}

/// How one inspection came out under two versions.
#[derive(Clone, Debug, Serialize)]
pub struct CorpusChange {
    /// The inspection's name.
    pub inspection: String,
    /// Verdict with the old version.
    pub old_verdict: String,
    /// Verdict with the new version.
    pub new_verdict: String,
    /// Findings only the old version gives (rule:level).
    pub removed: Vec<String>,
    /// Findings only the new version gives (rule:level).
    pub added: Vec<String>,
}

/// Evaluates every inspection with both versions and lists those whose
/// verdict or findings differ.
pub fn corpus(
    old: &Ruleset,
    new: &Ruleset,
    inspections: &[(String, Inspection)],
) -> Vec<CorpusChange> {
    let opts = EvalOptions::default();
    let mut out = Vec::new();
    for (name, i) in inspections {
        let a = old.evaluate(i, &opts);
        let b = new.evaluate(i, &opts);
        let fa: Vec<String> = a
            .findings
            .iter()
            .map(|f| format!("{}:{}", f.rule, f.level.as_str()))
            .collect();
        let fb: Vec<String> = b
            .findings
            .iter()
            .map(|f| format!("{}:{}", f.rule, f.level.as_str()))
            .collect();
        if a.verdict != b.verdict || fa != fb {
            out.push(CorpusChange {
                inspection: name.clone(),
                old_verdict: a.verdict.as_str().into(),
                new_verdict: b.verdict.as_str().into(),
                removed: fa.iter().filter(|f| !fb.contains(f)).cloned().collect(),
                added: fb.iter().filter(|f| !fa.contains(f)).cloned().collect(),
            });
        }
    }
    out
}

mod erased {
    /// Serializes any model part to JSON for comparison; spans are not
    /// serialized, so the same text in another place compares equal.
    pub trait Ser {
        fn to_json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FollowUpPolicy;

    #[test]
    fn changed_follow_up_settings_are_listed() {
        let old = RulesetFile::default();
        let new = RulesetFile {
            follow_up: Some(FollowUpPolicy {
                repeated_open: Some(3),
                ..FollowUpPolicy::default()
            }),
            ..RulesetFile::default()
        };
        let ids: Vec<String> = compare(&old, &new).into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["follow_up"]);
        assert!(compare(&new, &new).is_empty());
    }
}
