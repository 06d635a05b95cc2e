//! Resource limits, in one place.
//!
//! Rulesets are written by experts but arrive from many hands, and
//! inspections come from field apps, spreadsheets and scripts. Every bound
//! the engine enforces is a field of [`Limits`], with a documented default,
//! so that an embedding application or the command line can tighten or
//! relax it. Exceeding a limit is always a located diagnostic or an
//! undetermined rule, never a hang or a crash.
//!
//! Readers, decoders and the script engine recurse once per nesting level,
//! so the depth limits are capped at [`MAX_NESTING`] whatever a caller sets,
//! and the library makes sure it has the stack the limits need: work that
//! could need more than a thread is sure to have (1 MiB, half of what Rust
//! gives a new thread) runs on a thread of the library's own with enough
//! stack. See "Stack" in `docs/security.md` for the measured figures.

use std::cell::Cell;

pub use crate::json::MAX_NESTING;

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
    /// Deepest nesting of YAML lists and mappings. Default 48; at most
    /// [`MAX_NESTING`] (a larger value counts as that).
    pub max_yaml_depth: usize,
    /// Most YAML nodes in one file. Default 250 000.
    pub max_yaml_nodes: usize,
    /// Most alias uses (`*name`) in one file. Default 1 000.
    pub max_yaml_aliases: usize,
    /// Most items in one ruleset (after includes). Default 5 000.
    pub max_items: usize,
    /// Most rules in one ruleset (after includes). Default 5 000.
    pub max_rules: usize,
    /// Deepest nesting of conditions. Default 32; conditions are written
    /// in YAML, so [`max_yaml_depth`](Self::max_yaml_depth) bounds it too.
    pub max_condition_depth: usize,
    /// Deepest chain of includes. Default 8; at most [`MAX_NESTING`].
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
    /// Deepest Rhai function call nesting. Default 16; at most
    /// [`MAX_NESTING`].
    pub max_script_call_levels: usize,
    /// Deepest Rhai expression nesting. Default 32; at most
    /// [`MAX_NESTING`].
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
    /// Largest report, follow-up result or file of batch records read back
    /// (by `hazcheck follow-up` and `hazcheck stats`), in bytes. Default
    /// 256 MiB.
    pub max_report_bytes: usize,
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
            max_report_bytes: 256 << 20,
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

    /// The reader limits for inspections, YAML files and JSON lines alike.
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

/// Stack a calling thread is assumed to have free for the library: half of
/// the 2 MiB Rust gives a new thread.
const INLINE_STACK: usize = 1 << 20;

/// Stack for what does not depend on nesting.
const BASE_STACK: usize = 256 << 10;

/// Stack per nesting level of reading YAML. The reader (`node::reader`)
/// takes about 8 KiB per level in a debug build and under 2 KiB in a
/// release build (measured at 256 levels of mappings).
// TODO(#10): these allowances date from the serde-based reader, which took
// 40 KiB and 5 KiB per level; lowered to fit the measures above, a debug
// build would read YAML at the default depth on the calling thread.
const YAML_LEVEL: usize = if cfg!(debug_assertions) {
    48 << 10
} else {
    8 << 10
};

/// Stack per nesting level of loading a ruleset: reading, then decoding and
/// compiling conditions (about 13 KiB per level in a release build).
const LOAD_LEVEL: usize = if cfg!(debug_assertions) {
    48 << 10
} else {
    16 << 10
};

/// Stack per nesting level of reading a JSON line and evaluating it (about
/// 10 KiB per level in a debug build and 1 KiB in a release build).
const LINE_LEVEL: usize = if cfg!(debug_assertions) {
    12 << 10
} else {
    2 << 10
};

thread_local! {
    /// The stack of the current thread when the library started it.
    static DEEP_STACK: Cell<usize> = const { Cell::new(0) };
}

impl Limits {
    /// The deepest nesting these limits allow anywhere (YAML, JSON,
    /// conditions, scripts, includes), capped at [`MAX_NESTING`].
    fn nesting(&self) -> usize {
        self.max_yaml_depth
            .max(self.max_condition_depth)
            .max(self.max_script_expr_depth)
            .max(self.max_script_call_levels)
            .max(self.max_include_depth)
            .min(MAX_NESTING)
    }

    /// The stack loading a ruleset needs with these limits, in bytes.
    pub(crate) fn load_stack(&self) -> usize {
        BASE_STACK + self.nesting() * LOAD_LEVEL
    }

    /// The stack evaluating a ruleset or a batch line needs, in bytes.
    pub(crate) fn line_stack(&self) -> usize {
        BASE_STACK + self.nesting() * LINE_LEVEL
    }
}

/// The stack reading YAML nested `depth` levels needs, in bytes.
pub(crate) fn yaml_stack(depth: usize) -> usize {
    BASE_STACK + depth.min(MAX_NESTING) * YAML_LEVEL
}

/// Runs `f` with at least `need` bytes of stack: on the calling thread
/// when that is sure to be enough, otherwise on a thread of its own. A
/// panic in `f` is passed on as if `f` had run here. Fails only when the
/// thread cannot be started.
pub(crate) fn with_stack<T: Send>(need: usize, f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    if need <= INLINE_STACK.max(DEEP_STACK.with(Cell::get)) {
        return Ok(f());
    }
    let size = need.next_multiple_of(1 << 20);
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("hazcheck-deep".to_string())
            .stack_size(size)
            .spawn_scoped(scope, move || {
                DEEP_STACK.with(|d| d.set(size));
                f()
            })?;
        match handle.join() {
            Ok(v) => Ok(v),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{Batch, Line, Outcome};
    use crate::eval::EvalOptions;
    use crate::inspection::Inspection;
    use crate::load::Loader;
    use crate::span::SourceMap;

    #[test]
    fn small_needs_run_on_the_calling_thread() {
        let here = std::thread::current().id();
        assert_eq!(
            with_stack(64 << 10, || std::thread::current().id()).ok(),
            Some(here)
        );
        let there = with_stack(8 << 20, || std::thread::current().name().map(String::from));
        assert_eq!(there.ok().flatten().as_deref(), Some("hazcheck-deep"));
        // Nested work on a deep thread stays there.
        let nested = with_stack(8 << 20, || {
            let outer = std::thread::current().id();
            with_stack(4 << 20, || std::thread::current().id() == outer)
        });
        assert!(matches!(nested, Ok(Ok(true))));
    }

    #[test]
    fn a_panic_on_a_deep_thread_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| with_stack(8 << 20, || panic!("deep")));
        assert!(caught.is_err());
    }

    fn deepest() -> Limits {
        Limits {
            max_yaml_depth: usize::MAX,
            max_condition_depth: usize::MAX,
            max_include_depth: usize::MAX,
            max_script_call_levels: usize::MAX,
            max_script_expr_depth: usize::MAX,
            ..Limits::default()
        }
    }

    /// A ruleset whose one rule nests `levels` negations, in flow style.
    fn nested_not(levels: usize) -> String {
        let cond = format!(
            "{}{{item: ok, is: false}}{}",
            "{not: ".repeat(levels),
            "}".repeat(levels)
        );
        format!(
            "ruleset: deep\ntitle: {{zh: 深, en: Deep}}\neffective: {{from: 2024-01-01}}\n\
             documents:\n  - {{id: std, title: {{zh: 标准, en: Standard}}, verified: true}}\n\
             items:\n  - {{id: ok, type: yes_no, prompt: {{zh: 是否, en: OK?}}}}\n\
             rules:\n  - id: r\n    level: ordinary\n    basis: {{document: std, clause: \"1\"}}\n\
             \x20   title: {{zh: 规则, en: Rule}}\n    when: {cond}\n"
        )
    }

    /// Runs `f` on a thread with the 2 MiB Rust gives new threads: the
    /// library must not need more, whatever the limits.
    fn on_small_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .expect("spawn")
            .join()
            .expect("no panic")
    }

    #[test]
    fn the_deepest_limits_fit_a_small_thread() {
        on_small_thread(|| {
            let limits = deepest();
            // 252 negations plus the four levels around them: the deepest
            // YAML the limits accept.
            let mut loader = Loader::new(limits.clone());
            loader.add_memory("deep.yaml", &nested_not(MAX_NESTING - 4));
            let outcome = loader.load();
            assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics);
            let library = outcome.library.expect("library");
            let mut sources = SourceMap::new();
            let text = "ruleset: deep\ndate: 2025-01-01\nanswers: {ok: false}\n";
            let inspection = Inspection::parse(text, "i.yaml", &mut sources, &limits).unwrap();
            let report = library
                .evaluate(&inspection, &EvalOptions { explain: true })
                .unwrap();
            assert_eq!(report.findings.len(), 1);
            assert!(report.to_json().len() > 1000);
            // The same through one version directly.
            let direct =
                library.versions("deep")[0].evaluate(&inspection, &EvalOptions { explain: true });
            assert_eq!(direct.to_json(), report.to_json());
            // One level more is a located limit error, not an overflow.
            let mut loader = Loader::new(limits.clone());
            loader.add_memory("deeper.yaml", &nested_not(MAX_NESTING));
            let outcome = loader.load();
            assert_eq!(outcome.diagnostics[0].code, crate::Code::LimitExceeded);
            // An answer nested as deep as allowed, in YAML and in a line.
            let nested = format!(
                "{}1{}",
                "[".repeat(MAX_NESTING - 2),
                "]".repeat(MAX_NESTING - 2)
            );
            // It is an answer of the wrong shape: an input diagnostic of
            // its item once evaluated, in YAML and in a batch line alike.
            let text = format!("ruleset: deep\ndate: 2025-01-01\nanswers: {{ok: {nested}}}\n");
            let inspection = Inspection::parse(&text, "i.yaml", &mut sources, &limits).unwrap();
            let report = library
                .evaluate(&inspection, &EvalOptions::default())
                .unwrap();
            assert_eq!(report.input_diagnostics[0].code, crate::Code::AnswerType);
            let line =
                format!(r#"{{"ruleset":"deep","date":"2025-01-01","answers":{{"ok":{nested}}}}}"#);
            let batch = Batch::new(&library, limits, EvalOptions::default());
            let record = batch.evaluate(1, &Line::Bytes(line.into_bytes()));
            let Outcome::Report(report) = &record.outcome else {
                panic!("{record:?}");
            };
            assert_eq!(report.input_diagnostics[0].code, crate::Code::AnswerType);
        });
    }

    #[test]
    fn depths_beyond_the_cap_count_as_the_cap() {
        let limits = deepest();
        assert_eq!(limits.nesting(), MAX_NESTING);
        assert_eq!(limits.load_stack(), BASE_STACK + MAX_NESTING * LOAD_LEVEL);
        assert_eq!(yaml_stack(usize::MAX), yaml_stack(MAX_NESTING));
        // The defaults read lines and inspections on the calling thread.
        assert!(Limits::default().line_stack() <= INLINE_STACK);
        if !cfg!(debug_assertions) {
            assert!(yaml_stack(Limits::default().max_yaml_depth) <= INLINE_STACK);
        }
    }
}
