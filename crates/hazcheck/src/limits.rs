//! Resource limits, in one place.
//!
//! Rulesets are written by experts but arrive from many hands, and
//! inspections come from field apps, spreadsheets and scripts. Every bound
//! the engine enforces is a field of [`Limits`], with a documented default,
//! so that an embedding application or the command line can tighten or
//! relax it. Exceeding a limit is always a located diagnostic or an
//! undetermined rule, never a hang or a crash.

/// Every resource limit hazcheck enforces.
///
/// Start from the defaults and change what your input needs:
///
/// ```
/// use hazcheck::{Code, Inspection, Limits, SourceMap};
///
/// let strict = Limits {
///     max_inspection_bytes: 1024,
///     ..Limits::default()
/// };
/// let text = format!("ruleset: x\ndate: 2025-01-01\nsite: {{name: {}}}\n", "很".repeat(400));
/// let errors = Inspection::parse(&text, "big.yaml", &mut SourceMap::new(), &strict).unwrap_err();
/// assert_eq!(errors[0].code, Code::LimitExceeded);
/// assert!(Inspection::parse(&text, "big.yaml", &mut SourceMap::new(), &Limits::default()).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest ruleset or module file, in bytes. Default 4 MiB.
    pub max_ruleset_bytes: usize,
    /// Deepest nesting of YAML lists and mappings. Default 48.
    pub max_yaml_depth: usize,
    /// Most YAML nodes in one file. Default 250 000.
    pub max_yaml_nodes: usize,
    /// Most alias uses (`*name`) in one file. Default 1 000.
    pub max_yaml_aliases: usize,
    /// Most items in one ruleset (after includes). Default 5 000.
    pub max_items: usize,
    /// Most rules in one ruleset (after includes). Default 5 000.
    pub max_rules: usize,
    /// Deepest nesting of conditions. Default 32.
    pub max_condition_depth: usize,
    /// Deepest chain of includes. Default 8.
    pub max_include_depth: usize,
    /// Longest regular expression, in bytes. Default 1 000.
    pub max_regex_len: usize,
    /// Largest compiled regular expression, in bytes (the regex crate's
    /// size limit). Default 1 MiB.
    pub max_regex_size: usize,
    /// Longest script, in bytes. Default 4 000.
    pub max_script_len: usize,
    /// Most Rhai operations one script evaluation may take. Default 20 000.
    pub max_script_operations: u64,
    /// Deepest Rhai function call nesting. Default 16.
    pub max_script_call_levels: usize,
    /// Deepest Rhai expression nesting. Default 32.
    pub max_script_expr_depth: usize,
    /// Longest string a script may build, in bytes. Default 64 KiB.
    pub max_script_string: usize,
    /// Largest array a script may build. Default 1 024.
    pub max_script_array: usize,
    /// Largest map a script may build. Default 1 024.
    pub max_script_map: usize,
    /// Largest inspection file, in bytes. Default 1 MiB.
    pub max_inspection_bytes: usize,
    /// Most answers in one inspection. Default 10 000.
    pub max_answers: usize,
    /// Longest text answer, in characters. Default 10 000.
    pub max_answer_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_ruleset_bytes: 4 << 20,
            max_yaml_depth: 48,
            max_yaml_nodes: 250_000,
            max_yaml_aliases: 1_000,
            max_items: 5_000,
            max_rules: 5_000,
            max_condition_depth: 32,
            max_include_depth: 8,
            max_regex_len: 1_000,
            max_regex_size: 1 << 20,
            max_script_len: 4_000,
            max_script_operations: 20_000,
            max_script_call_levels: 16,
            max_script_expr_depth: 32,
            max_script_string: 64 << 10,
            max_script_array: 1_024,
            max_script_map: 1_024,
            max_inspection_bytes: 1 << 20,
            max_answers: 10_000,
            max_answer_len: 10_000,
        }
    }
}

impl Limits {
    /// The YAML reader limits for ruleset files.
    pub fn ruleset_parse(&self) -> crate::node::ParseLimits {
        crate::node::ParseLimits {
            max_bytes: self.max_ruleset_bytes,
            max_depth: self.max_yaml_depth,
            max_nodes: self.max_yaml_nodes,
            max_aliases: self.max_yaml_aliases,
            bytes_flag: "--max-ruleset-bytes",
        }
    }

    /// The YAML reader limits for inspection files.
    pub fn inspection_parse(&self) -> crate::node::ParseLimits {
        crate::node::ParseLimits {
            max_bytes: self.max_inspection_bytes,
            max_depth: self.max_yaml_depth,
            max_nodes: self.max_yaml_nodes,
            max_aliases: self.max_yaml_aliases,
            bytes_flag: "--max-inspection-bytes",
        }
    }
}
