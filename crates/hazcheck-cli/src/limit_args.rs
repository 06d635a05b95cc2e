//! The `--max-*` flags shared by every command that reads rulesets or
//! inspections, one per field of [`Limits`].
//!
//! Each flag is optional: what is not given keeps the library's default,
//! so the defaults are written in one place (`limits.rs`) and the help
//! texts only say what each limit bounds. Depth flags have an upper bound
//! because readers recurse once per level (see `docs/security.md`).
//!
//! [`LimitArgs`] is for commands that read rulesets and inspections;
//! [`ReportLimitArgs`] for those that read reports back (`follow-up`,
//! `stats`).

use clap::Args;
use hazcheck::Limits;
use hazcheck::json::MAX_NESTING;

/// Resource limits; every flag overrides one default of the library.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Limits (defaults in docs/security.md)")]
pub struct LimitArgs {
    /// Largest ruleset or module file, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_ruleset_bytes: Option<usize>,
    /// Deepest nesting of YAML (and JSON) lists and mappings.
    #[arg(long, value_name = "N", value_parser = depth)]
    max_yaml_depth: Option<usize>,
    /// Most YAML nodes in one file, counting every use of an alias.
    #[arg(long, value_name = "N")]
    max_yaml_nodes: Option<usize>,
    /// Most alias uses (`*name`) in one file.
    #[arg(long, value_name = "N")]
    max_yaml_aliases: Option<usize>,
    /// Most items in one ruleset, after includes.
    #[arg(long, value_name = "N")]
    max_items: Option<usize>,
    /// Most rules in one ruleset, after includes.
    #[arg(long, value_name = "N")]
    max_rules: Option<usize>,
    /// Deepest nesting of conditions.
    #[arg(long, value_name = "N", value_parser = depth)]
    max_condition_depth: Option<usize>,
    /// Deepest chain of includes.
    #[arg(long, value_name = "N", value_parser = depth)]
    max_include_depth: Option<usize>,
    /// Longest regular expression, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_regex_len: Option<usize>,
    /// Largest compiled regular expression, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_regex_size: Option<usize>,
    /// Longest script, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_script_len: Option<usize>,
    /// Most operations one script evaluation may take.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_script_operations: Option<u64>,
    /// Deepest function call nesting in a script.
    #[arg(long, value_name = "N", value_parser = depth)]
    max_script_call_levels: Option<usize>,
    /// Deepest expression nesting in a script.
    #[arg(long, value_name = "N", value_parser = depth)]
    max_script_expr_depth: Option<usize>,
    /// Longest string a script may build, in bytes.
    #[arg(long, value_name = "BYTES", value_parser = positive)]
    max_script_string: Option<usize>,
    /// Largest array a script may build.
    #[arg(long, value_name = "N", value_parser = positive)]
    max_script_array: Option<usize>,
    /// Largest map a script may build.
    #[arg(long, value_name = "N", value_parser = positive)]
    max_script_map: Option<usize>,
    /// Largest inspection file (or batch line), in bytes.
    #[arg(long, value_name = "BYTES")]
    max_inspection_bytes: Option<usize>,
    /// Most answers in one inspection.
    #[arg(long, value_name = "N")]
    max_answers: Option<usize>,
    /// Longest text answer, in characters.
    #[arg(long, value_name = "N")]
    max_answer_len: Option<usize>,
}

/// The limit on reports read back; its flag overrides one default of the
/// library.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Limits (defaults in docs/security.md)")]
pub struct ReportLimitArgs {
    /// Largest report, follow-up result or batch output file read, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_report_bytes: Option<usize>,
}

impl ReportLimitArgs {
    /// `limits` with the flag applied, if given.
    pub fn apply(&self, limits: Limits) -> Limits {
        Limits {
            max_report_bytes: self.max_report_bytes.unwrap_or(limits.max_report_bytes),
            ..limits
        }
    }
}

impl LimitArgs {
    /// The library's defaults with the flags given applied.
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_ruleset_bytes: self.max_ruleset_bytes.unwrap_or(d.max_ruleset_bytes),
            max_yaml_depth: self.max_yaml_depth.unwrap_or(d.max_yaml_depth),
            max_yaml_nodes: self.max_yaml_nodes.unwrap_or(d.max_yaml_nodes),
            max_yaml_aliases: self.max_yaml_aliases.unwrap_or(d.max_yaml_aliases),
            max_items: self.max_items.unwrap_or(d.max_items),
            max_rules: self.max_rules.unwrap_or(d.max_rules),
            max_condition_depth: self.max_condition_depth.unwrap_or(d.max_condition_depth),
            max_include_depth: self.max_include_depth.unwrap_or(d.max_include_depth),
            max_regex_len: self.max_regex_len.unwrap_or(d.max_regex_len),
            max_regex_size: self.max_regex_size.unwrap_or(d.max_regex_size),
            max_script_len: self.max_script_len.unwrap_or(d.max_script_len),
            max_script_operations: self
                .max_script_operations
                .unwrap_or(d.max_script_operations),
            max_script_call_levels: self
                .max_script_call_levels
                .unwrap_or(d.max_script_call_levels),
            max_script_expr_depth: self
                .max_script_expr_depth
                .unwrap_or(d.max_script_expr_depth),
            max_script_string: self.max_script_string.unwrap_or(d.max_script_string),
            max_script_array: self.max_script_array.unwrap_or(d.max_script_array),
            max_script_map: self.max_script_map.unwrap_or(d.max_script_map),
            max_inspection_bytes: self.max_inspection_bytes.unwrap_or(d.max_inspection_bytes),
            max_answers: self.max_answers.unwrap_or(d.max_answers),
            max_answer_len: self.max_answer_len.unwrap_or(d.max_answer_len),
            ..d
        }
    }
}

/// A nesting depth: at least 1 and at most what readers can follow.
fn depth(s: &str) -> Result<usize, String> {
    let n = positive(s)?;
    if n > MAX_NESTING {
        return Err(format!("at most {MAX_NESTING}"));
    }
    Ok(n)
}

/// A size of at least 1 (a zero would forbid every script value).
fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        reports: ReportLimitArgs,
    }

    impl Cli {
        fn all(&self) -> Limits {
            self.reports.apply(self.limits.limits())
        }
    }

    #[test]
    fn flags_override_only_what_they_name() {
        let cli = Cli::try_parse_from([
            "x",
            "--max-yaml-aliases",
            "3",
            "--max-script-operations",
            "9",
        ])
        .expect("parse");
        let l = cli.all();
        assert_eq!(l.max_yaml_aliases, 3);
        assert_eq!(l.max_script_operations, 9);
        assert_eq!(
            Limits {
                max_yaml_aliases: Limits::default().max_yaml_aliases,
                max_script_operations: Limits::default().max_script_operations,
                ..l
            },
            Limits::default()
        );
    }

    #[test]
    fn every_limit_has_a_flag() {
        // A field added to `Limits` without a flag would keep its default
        // here; giving every flag a value different from the default shows
        // that each one reaches its field.
        let mut args = vec!["x".to_string()];
        for flag in FLAGS {
            args.push(format!("--{flag}"));
            args.push("7".to_string());
        }
        let l = Cli::try_parse_from(&args).expect("parse").all();
        let debug = format!("{l:?}");
        assert_eq!(debug.matches(": 7").count(), FLAGS.len(), "{debug}");
        assert_eq!(debug.matches(": ").count(), FLAGS.len(), "{debug}");
    }

    #[test]
    fn depths_are_bounded() {
        let too_deep = (MAX_NESTING + 1).to_string();
        let deepest = MAX_NESTING.to_string();
        for flag in [
            "--max-yaml-depth",
            "--max-condition-depth",
            "--max-include-depth",
            "--max-script-call-levels",
            "--max-script-expr-depth",
        ] {
            assert!(Cli::try_parse_from(["x", flag, "0"]).is_err(), "{flag} 0");
            assert!(
                Cli::try_parse_from(["x", flag, too_deep.as_str()]).is_err(),
                "{flag}"
            );
            assert!(
                Cli::try_parse_from(["x", flag, deepest.as_str()]).is_ok(),
                "{flag}"
            );
        }
        assert!(Cli::try_parse_from(["x", "--max-script-operations", "0"]).is_err());
    }

    const FLAGS: &[&str] = &[
        "max-ruleset-bytes",
        "max-yaml-depth",
        "max-yaml-nodes",
        "max-yaml-aliases",
        "max-items",
        "max-rules",
        "max-condition-depth",
        "max-include-depth",
        "max-regex-len",
        "max-regex-size",
        "max-script-len",
        "max-script-operations",
        "max-script-call-levels",
        "max-script-expr-depth",
        "max-script-string",
        "max-script-array",
        "max-script-map",
        "max-inspection-bytes",
        "max-answers",
        "max-answer-len",
        "max-report-bytes",
    ];
}
