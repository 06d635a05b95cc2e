//! The Rhai sandbox for rule conditions that no declarative form covers.
//!
//! Scripts are single expressions (statements, loops and `eval` are
//! rejected when the ruleset is compiled) run on a raw engine that has only
//! the arithmetic, logic, math, string, array, map, range and function-pointer
//! packages: no file or module access, no clock, no sleeping, no printing.
//! Rhai's language-core package is left out on purpose: it holds `sleep`
//! (which blocks the thread, and panics on `sleep(1e300)`), `exit`, `take`
//! and tag functions, none of which a condition needs. The only function of
//! the remaining packages whose work grows faster than its inputs,
//! `replace`, is replaced by a version that checks the size of its result
//! before building it. Every limit of [`Limits`] that concerns scripts is
//! set explicitly, so debug and release builds behave alike; see the sandbox
//! section of `docs/security.md` for what is allowed and forbidden.
//!
//! A script reads answers through variables named after item ids with `.`
//! and `-` replaced by `_` (`excavation.depth` is `excavation_depth`). The
//! items a script reads are found when it is compiled; when one of them is
//! unanswered the script is not run and the condition is undetermined.
//!
//! ```
//! use hazcheck::{Limits, script};
//!
//! let engine = script::engine(&Limits::default());
//! let items = ["sep.required", "sep.actual", "pit.depth"].map(String::from);
//! let text = "sep_required - sep_actual > 0.25 * sep_required";
//! let compiled = script::compile(&engine, text, &items).map_err(|e| e.message)?;
//! let reads: Vec<&str> = compiled.reads.iter().map(|(_, v)| v.as_str()).collect();
//! assert_eq!(reads, ["sep_required", "sep_actual"]);
//!
//! // Numbers are binary floats in a script: at exactly 75 % of 8.8 m the
//! // shortfall comes out a little more than a quarter, and the script
//! // holds where the exact comparison of a declarative condition does not.
//! let mut scope = rhai::Scope::new();
//! scope.push("sep_required", 8.8_f64);
//! scope.push("sep_actual", 6.6_f64);
//! assert_eq!(script::run(&engine, &compiled, &mut scope), Ok(true));
//!
//! // What the sandbox forbids is refused when the script is compiled.
//! let refused = |text: &str| script::compile(&engine, text, &items).err().map(|e| e.message);
//! assert_eq!(
//!     refused("loop { break true }"),
//!     Some("`loop`: loops are not allowed, a script is one expression".to_string())
//! );
//! assert!(refused("timestamp() > 0").is_some_and(|m| m.contains("cannot read the clock")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicFnPackage, BasicIteratorPackage, BasicMapPackage,
    BasicMathPackage, BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{
    AST, Dynamic, Engine, EvalAltResult, ImmutableString, OptimizationLevel, Position, Scope,
};

use crate::limits::{Limits, MAX_NESTING};

/// Functions a Rhai user may know that the sandbox does not have, with the
/// reason given when a script calls one. They are not registered, so a call
/// could only fail at run time; naming them when the ruleset is compiled
/// tells the author at once.
const FORBIDDEN_CALLS: &[(&str, &str)] = &[
    ("sleep", "scripts cannot pause"),
    ("exit", "a script ends with its value"),
    (
        "timestamp",
        "scripts cannot read the clock; use `inspection_date`",
    ),
    ("print", "scripts cannot print"),
    ("debug", "scripts cannot print"),
    ("eval", "scripts cannot evaluate text as code"),
    // Values held by a curried function pointer escape Rhai's size checks:
    // `list.pad(1024, Fn("abs").curry(list))` holds a million elements
    // where the limit is 1 024.
    (
        "curry",
        "a curried function pointer holds values the size limits do not count",
    ),
];

/// The start of the error message of a script that panicked inside the
/// script engine. The fuzz targets look for it: such a message means a bug
/// to fix, even though the rule only ends undetermined.
pub const INTERNAL_ERROR: &str = "internal error of the script engine";

/// The variable name a script uses for an item id: `.` and `-` become `_`.
///
/// ```
/// use hazcheck::script::var_name;
///
/// assert_eq!(var_name("excavation.depth"), "excavation_depth");
/// assert_eq!(var_name("exit-1.width"), "exit_1_width");
/// ```
pub fn var_name(item_id: &str) -> String {
    item_id.replace(['.', '-'], "_")
}

/// Builds the locked-down engine used both to compile and to run scripts.
pub fn engine(limits: &Limits) -> Engine {
    let mut e = Engine::new_raw();
    // Rhai's `CorePackage` without its `LanguageCorePackage` (see the
    // module docs).
    e.register_global_module(ArithmeticPackage::new().as_shared_module());
    e.register_global_module(BasicIteratorPackage::new().as_shared_module());
    e.register_global_module(BasicFnPackage::new().as_shared_module());
    e.register_global_module(LogicPackage::new().as_shared_module());
    e.register_global_module(BasicMathPackage::new().as_shared_module());
    e.register_global_module(BasicStringPackage::new().as_shared_module());
    e.register_global_module(MoreStringPackage::new().as_shared_module());
    e.register_global_module(BasicArrayPackage::new().as_shared_module());
    e.register_global_module(BasicMapPackage::new().as_shared_module());
    register_checked_replace(&mut e, limits.max_script_string.max(1));
    e.set_max_operations(limits.max_script_operations.max(1));
    // Rhai recurses once per call level and expression level; the cap keeps
    // the stack it needs within what `Limits::stack_size` promises.
    e.set_max_call_levels(limits.max_script_call_levels.min(MAX_NESTING));
    let depth = limits.max_script_expr_depth.min(MAX_NESTING);
    e.set_max_expr_depths(depth, depth);
    e.set_max_string_size(limits.max_script_string.max(1));
    e.set_max_array_size(limits.max_script_array.max(1));
    e.set_max_map_size(limits.max_script_map.max(1));
    e.set_max_variables(4_096);
    e.set_max_functions(0);
    e.set_allow_looping(false);
    e.set_strict_variables(true);
    for keyword in ["eval", "print", "debug"] {
        e.disable_symbol(keyword);
    }
    // Constants in the compile scope would be folded into the AST; the
    // placeholders are plain variables, and optimisation stays simple.
    e.set_optimization_level(OptimizationLevel::Simple);
    e
}

/// Registers `replace` in the engine's own namespace, which Rhai searches
/// before its packages. Rhai's version builds the new string first and is
/// only checked afterwards: replacing each character of a 64 KiB string by
/// a 64 KiB string would take 4 GiB. This one counts first and refuses a
/// result longer than `max` bytes, with the error the size limit gives.
fn register_checked_replace(e: &mut Engine, max: usize) {
    fn checked(
        s: &mut ImmutableString,
        find: &str,
        sub: &str,
        max: usize,
    ) -> Result<(), Box<EvalAltResult>> {
        if s.is_empty() {
            return Ok(());
        }
        // An empty pattern matches before every character and at the end.
        let count = if find.is_empty() {
            s.chars().count() + 1
        } else {
            s.matches(find).count()
        };
        let len = (s.len() - count * find.len()).saturating_add(count.saturating_mul(sub.len()));
        if len > max {
            return Err(EvalAltResult::ErrorDataTooLarge(
                "Length of string".to_string(),
                Position::NONE,
            )
            .into());
        }
        *s = s.replace(find, sub).into();
        Ok(())
    }
    e.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: &str, sub: &str| checked(s, find, sub, max),
    );
    e.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: &str, sub: char| {
            checked(s, find, sub.encode_utf8(&mut [0; 4]), max)
        },
    );
    e.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: char, sub: &str| {
            checked(s, find.encode_utf8(&mut [0; 4]), sub, max)
        },
    );
    e.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: char, sub: char| {
            checked(
                s,
                find.encode_utf8(&mut [0; 4]),
                sub.encode_utf8(&mut [0; 4]),
                max,
            )
        },
    );
}

/// A compiled script and the items it reads.
#[derive(Clone, Debug)]
pub struct Script {
    /// The compiled expression.
    pub ast: AST,
    /// Indices of the items the script reads, with their variable names.
    pub reads: Vec<(usize, String)>,
    /// Whether it reads the `inspection_date` variable.
    pub reads_date: bool,
}

/// A compile error with its position inside the script text (one-based;
/// zero when unknown).
#[derive(Clone, Debug)]
pub struct ScriptError {
    /// The message.
    pub message: String,
    /// Line within the script.
    pub line: usize,
    /// Column within the line.
    pub column: usize,
}

/// Compiles a script against the items of a ruleset. `items` lists every
/// item id, in index order.
pub fn compile(engine: &Engine, text: &str, items: &[String]) -> Result<Script, ScriptError> {
    let mut scope = Scope::new();
    for id in items {
        scope.push(var_name(id), Dynamic::UNIT);
    }
    scope.push("inspection_date", Dynamic::UNIT);
    if let Some(err) = forbidden_call(text) {
        return Err(err);
    }
    let ast = engine
        .compile_expression_with_scope(&scope, text)
        .map_err(|e| {
            let pos = e.position();
            ScriptError {
                message: compile_message(engine, e.err_type()),
                line: pos.line().unwrap_or(0),
                column: pos.position().unwrap_or(0),
            }
        })?;
    let idents = identifiers(text);
    let reads = items
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let v = var_name(id);
            idents.contains(&v.as_str()).then_some((i, v))
        })
        .collect();
    let reads_date = idents.contains(&"inspection_date");
    Ok(Script {
        ast,
        reads,
        reads_date,
    })
}

/// The message of a compile error. The sandbox's own rules (no loops, no
/// functions) and its limits are named as such; Rhai's generic wording
/// ("Unexpected 'loop'") would leave an author guessing.
fn compile_message(engine: &Engine, err: &rhai::ParseErrorType) -> String {
    use rhai::ParseErrorType as P;
    match err {
        P::BadInput(rhai::LexError::UnexpectedInput(word))
            if matches!(word.as_str(), "loop" | "while" | "do" | "for" | "until") =>
        {
            format!("`{word}`: loops are not allowed, a script is one expression")
        }
        P::BadInput(rhai::LexError::UnexpectedInput(word)) if word == "fn" => {
            "`fn`: functions cannot be defined, a script is one expression".to_string()
        }
        // Closures are functions too, and no function may be defined.
        P::TooManyFunctions => {
            "closures (`|x| ...`) cannot be defined, a script is one expression; pass a function by name instead, as in `list.map(Fn(\"to_upper\"))`".to_string()
        }
        P::LiteralTooLarge(what, max) if what.starts_with("Length of string") => {
            format!("a string literal is longer than {max} bytes (limit: --max-script-string)")
        }
        P::ExprTooDeep => format!(
            "the expression is nested deeper than {} levels (limit: --max-script-expr-depth)",
            engine.max_expr_depth()
        ),
        other => other.to_string(),
    }
}

/// Runs a compiled script with the variables it reads already in `scope`.
///
/// A script that hits one of the engine's limits is stopped and the error
/// names the limit, its value and the command-line flag that raises it, so
/// that the undetermined rule it leaves explains itself.
///
/// A panic inside the script engine (a bug of Rhai's or of ours, never of
/// the ruleset) is caught and becomes an error that starts with
/// [`INTERNAL_ERROR`]: the rule is undetermined, the rest of the
/// evaluation goes on.
pub fn run(engine: &Engine, script: &Script, scope: &mut Scope<'_>) -> Result<bool, String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        engine.eval_ast_with_scope::<Dynamic>(scope, &script.ast)
    }));
    match result {
        Ok(Ok(v)) => v
            .as_bool()
            .map_err(|t| format!("script returned {t}, expected a boolean (true or false)")),
        Ok(Err(e)) => Err(run_error(engine, &e)),
        Err(panic) => Err(format!("{INTERNAL_ERROR} ({})", panic_message(&*panic))),
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_string(),
        (_, Some(s)) => s.clone(),
        _ => "no message".to_string(),
    }
}

/// The first call of a function the sandbox does not have, as a compile
/// error at its position. A name counts as a call when `(` follows it, so
/// an item named `exit` can still be read.
fn forbidden_call(text: &str) -> Option<ScriptError> {
    for (offset, name) in identifier_offsets(text) {
        let Some((_, why)) = FORBIDDEN_CALLS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let after = text.get(offset + name.len()..).unwrap_or("");
        if !after.trim_start().starts_with('(') {
            continue;
        }
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        return Some(ScriptError {
            message: format!("`{name}` is not available in scripts: {why}"),
            line,
            column,
        });
    }
    None
}

/// The message of a run-time error, with the limit it breached if any and
/// the position in the script (one-based line and column).
fn run_error(engine: &Engine, err: &rhai::EvalAltResult) -> String {
    use rhai::EvalAltResult as E;
    // Errors raised inside a function call are wrapped; the limit that
    // stopped the script is the innermost error.
    let inner = err.unwrap_inner();
    let limit = match inner {
        E::ErrorTooManyOperations(_) => Some(format!(
            "script stopped after {} operations (limit: --max-script-operations)",
            engine.max_operations()
        )),
        E::ErrorStackOverflow(_) => Some(format!(
            "script nested function calls deeper than {} (limit: --max-script-call-levels)",
            engine.max_call_levels()
        )),
        E::ErrorDataTooLarge(what, _) => Some(if what.starts_with("Length of string") {
            format!(
                "script built a string longer than {} bytes (limit: --max-script-string)",
                engine.max_string_size()
            )
        } else if what.starts_with("Size of array") {
            format!(
                "script built an array of more than {} elements (limit: --max-script-array)",
                engine.max_array_size()
            )
        } else if what.starts_with("Size of object map") {
            format!(
                "script built a map of more than {} entries (limit: --max-script-map)",
                engine.max_map_size()
            )
        } else {
            format!(
                "script built a value that is too large ({})",
                what.to_lowercase()
            )
        }),
        _ => None,
    };
    let pos = if inner.position().is_none() {
        err.position()
    } else {
        inner.position()
    };
    let at = match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c} of the script"),
        (Some(l), None) => format!(" at line {l} of the script"),
        _ => String::new(),
    };
    match limit {
        Some(m) => format!("{m}{at}"),
        None => {
            // Rhai appends its own position in parentheses; it is replaced
            // by ours so that every message reads the same.
            let text = err.to_string();
            let text = match text.rfind(" (line ") {
                Some(i) if text.ends_with(')') => text.get(..i).unwrap_or(&text).to_string(),
                _ => text,
            };
            let mut chars = text.chars();
            let text: String = match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => "script failed".to_string(),
            };
            format!("{}{at}", text.trim_end_matches('.'))
        }
    }
}

/// The identifiers in a script, outside string literals and comments. This
/// over-approximates the variables read (a property name counts too), which
/// only ever makes a condition undetermined a little more often.
fn identifiers(text: &str) -> Vec<&str> {
    identifier_offsets(text)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// The identifiers of [`identifiers`] with their byte offsets.
fn identifier_offsets(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' | b'`' | b'\'' => {
                let quote = b;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += 1;
                    if c == b'\\' {
                        i += 1;
                    } else if c == quote {
                        break;
                    } else if quote == b'`' && c == b'$' && bytes.get(i) == Some(&b'{') {
                        // `${...}` inside a back-quoted string is an
                        // expression: its variables are read too.
                        let start = i + 1;
                        let mut depth = 1;
                        i = start;
                        while let Some(&c) = bytes.get(i) {
                            match c {
                                b'{' => depth += 1,
                                b'}' => depth -= 1,
                                _ => {}
                            }
                            if depth == 0 {
                                break;
                            }
                            i += 1;
                        }
                        if let Some(inner) = text.get(start..i) {
                            out.extend(
                                identifier_offsets(inner)
                                    .into_iter()
                                    .map(|(at, name)| (start + at, name)),
                            );
                        }
                        i += 1;
                    }
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len()
                    && !(bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                i += 2;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                if let Some(s) = text.get(start..i) {
                    out.push((start, s));
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<String> {
        vec!["a.depth".to_string(), "b.ok".to_string()]
    }

    #[test]
    fn compiles_and_runs_an_expression() {
        let e = engine(&Limits::default());
        let s = compile(&e, "a_depth > 3 && !b_ok", &items()).unwrap();
        assert_eq!(s.reads.iter().map(|r| r.0).collect::<Vec<_>>(), vec![0, 1]);
        let mut scope = Scope::new();
        scope.push("a_depth", 3.5_f64);
        scope.push("b_ok", false);
        assert_eq!(run(&e, &s, &mut scope), Ok(true));
    }

    #[test]
    fn rejects_unknown_variables_with_a_position() {
        let e = engine(&Limits::default());
        let err = compile(&e, "a_depth > 3 &&\n  missing_item", &items()).unwrap_err();
        assert!(err.message.contains("missing_item"), "{}", err.message);
        assert_eq!((err.line, err.column), (2, 3));
    }

    #[test]
    fn rejects_statements_loops_and_eval() {
        let e = engine(&Limits::default());
        for text in ["let x = 1", "loop { }", "eval(\"1\")", "fn f() { 1 }"] {
            assert!(compile(&e, text, &items()).is_err(), "{text} compiled");
        }
    }

    #[test]
    fn operation_limit_stops_runaway_scripts() {
        let limits = Limits {
            max_script_operations: 50,
            ..Limits::default()
        };
        let e = engine(&limits);
        let s = compile(
            &e,
            "[1,2,3,4,5,6,7,8,9].map(|x| x * 2).map(|x| x + 1).len() > 0 && \"ab\".pad(10000, 'x').len() > 0",
            &[],
        );
        // Either the string limit or the operation limit stops it; it must
        // not run to completion.
        if let Ok(s) = s {
            let mut scope = Scope::new();
            assert!(run(&e, &s, &mut scope).is_err());
        }
    }

    fn run_text(limits: &Limits, text: &str) -> Result<bool, String> {
        let e = engine(limits);
        let s = compile(&e, text, &[]).map_err(|e| e.message)?;
        run(&e, &s, &mut Scope::new())
    }

    #[test]
    fn limit_errors_name_the_limit_and_the_position() {
        let limits = Limits::default();
        let err = run_text(&limits, "\"ab\".pad(100000, 'x').len() > 0").unwrap_err();
        assert_eq!(
            err,
            "script built a string longer than 65536 bytes (limit: --max-script-string) at line 1, column 6 of the script"
        );
        let err = run_text(
            &Limits {
                max_script_operations: 10,
                ..Limits::default()
            },
            &format!("{} > 0", ["\"ab\".len()"; 12].join(" + ")),
        )
        .unwrap_err();
        assert!(
            err.starts_with("script stopped after 10 operations (limit: --max-script-operations)"),
            "{err}"
        );
        let err = run_text(&limits, "1 / 0 == 1").unwrap_err();
        assert!(err.starts_with("division by zero"), "{err}");
        assert!(err.ends_with("of the script"), "{err}");
    }

    fn run_with(limits: &Limits, text: &str, vars: &[(&str, Dynamic)]) -> Result<bool, String> {
        let e = engine(limits);
        let items: Vec<String> = vars.iter().map(|(n, _)| n.to_string()).collect();
        let s = compile(&e, text, &items).map_err(|e| e.message)?;
        let mut scope = Scope::new();
        for (n, v) in vars {
            scope.push(*n, v.clone());
        }
        run(&e, &s, &mut scope)
    }

    #[test]
    fn sleeping_and_exiting_are_not_available() {
        // `sleep` blocked the thread (a rule could hang an evaluation) and
        // `sleep(1e300)` panicked; `exit` ended a script with any value.
        let e = engine(&Limits::default());
        for (text, name) in [
            ("sleep(100000000) == () && b_ok", "sleep"),
            ("sleep(1e300) == ()", "sleep"),
            ("a_depth > 1 &&\n  sleep (1) == ()", "sleep"),
            ("exit(true)", "exit"),
            ("timestamp() == ()", "timestamp"),
        ] {
            let err = compile(&e, text, &items()).unwrap_err();
            assert!(
                err.message
                    .starts_with(&format!("`{name}` is not available in scripts")),
                "{text}: {}",
                err.message
            );
        }
        let err = compile(&e, "a_depth > 1 &&\n  sleep (1) == ()", &items()).unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        // Reached by name, they are not there either: the call fails at
        // once instead of sleeping.
        for text in [
            "Fn(\"sleep\").call(1) == ()",
            "Fn(\"sleep\").call(1e300) == ()",
            "Fn(\"exit\").call(true)",
            "Fn(\"take\").call(1) == 1",
            "Fn(\"parse_json\").call(\"1\") == 1",
        ] {
            let err = run_text(&Limits::default(), text).unwrap_err();
            assert!(err.starts_with("function not found: "), "{text}: {err}");
        }
    }

    #[test]
    fn an_item_may_still_be_named_like_a_forbidden_function() {
        let limits = Limits::default();
        let vars = [
            ("exit", Dynamic::from(true)),
            ("sleep", Dynamic::from(2_i64)),
        ];
        assert_eq!(run_with(&limits, "exit && sleep > 1", &vars), Ok(true));
    }

    #[test]
    fn the_packages_a_condition_needs_are_there() {
        // One call from each registered package; a package dropped by
        // mistake would turn these into "function not found".
        for text in [
            "abs(-3) == 3 && 7 % 4 == 3 && 2 ** 3 == 8",
            "max(1, 2) == 2 && !false",
            "sqrt(16.0) == 4.0 && floor(2.5) == 2.0 && parse_int(\"12\") == 12",
            "\"ab\".to_upper() == \"AB\" && \"a,b\".split(\",\").len() == 2",
            "[3, 1, 2].len() == 3 && [1, 2].contains(2) && [1, 2].map(Fn(\"abs\")) == [1, 2]",
            "#{a: 1}.keys().len() == 1",
            "(1..5).contains(3) && 4 in 1..=4",
            "Fn(\"abs\").call(-1) == 1 && 12.to_string() == \"12\"",
        ] {
            assert_eq!(run_text(&Limits::default(), text), Ok(true), "{text}");
        }
    }

    #[test]
    fn replace_cannot_build_a_string_beyond_the_limit() {
        let limits = Limits::default();
        let note = || [("note", Dynamic::from("abc".to_string()))];
        // Replacing each of 60 000 characters by the 60 000 of the same
        // string would build 3.6 GB before Rhai's own check.
        for text in [
            "note.pad(60000, \"a\") == () && note.replace(\"a\", note) == ()",
            "note.pad(60000, \"a\") == () && note.replace('a', note) == ()",
            "note.pad(60000, \"a\") == () && note.replace(\"\", \"xy\") == ()",
        ] {
            let err = run_with(&limits, text, &note()).unwrap_err();
            assert!(
                err.starts_with("script built a string longer than 65536 bytes"),
                "{text}: {err}"
            );
        }
        for text in [
            "note.replace(\"b\", \"xx\") == () && note == \"axxc\"",
            "note.replace('b', \"xx\") == () && note == \"axxc\"",
            "note.replace(\"b\", 'x') == () && note == \"axc\"",
            "note.replace('b', '中') == () && note == \"a中c\"",
            "note.replace(\"\", \"-\") == () && note == \"-a-b-c-\"",
        ] {
            assert_eq!(run_with(&limits, text, &note()), Ok(true), "{text}");
        }
    }

    #[test]
    fn calls_through_function_pointers_stay_within_the_sizes() {
        let list = || [("a", Dynamic::from_array(vec![Dynamic::from(-1_i64); 1000]))];
        // A call that a native function makes through a pointer does not
        // count as an operation: the work is bounded by the array instead.
        let few = Limits {
            max_script_operations: 200,
            ..Limits::default()
        };
        assert_eq!(
            run_with(&few, "a.map(Fn(\"abs\")).len() == 1000", &list()),
            Ok(true)
        );
        // Curried values are not counted by the size limits, so `curry` is
        // refused however it is reached.
        for text in [
            "a.pad(1024, Fn(\"abs\").curry(a)) == () && a.len() == 1024",
            "a.pad(1024, Fn(\"curry\").call(Fn(\"abs\"), a)) == ()",
            "a.pad(1024, call(Fn(\"curry\"), Fn(\"abs\"), a)) == ()",
        ] {
            assert!(
                run_with(&Limits::default(), text, &list()).is_err(),
                "{text}"
            );
        }
        let err = run_with(
            &Limits::default(),
            "Fn(\"abs\").curry(a).call() > 0",
            &list(),
        );
        assert_eq!(
            err,
            Err("`curry` is not available in scripts: a curried function pointer holds values the size limits do not count".to_string())
        );
    }

    #[test]
    fn closures_get_a_clear_message() {
        let e = engine(&Limits::default());
        let err = compile(&e, "[1, 2].map(|x| x * 2).len() == 2", &[]).unwrap_err();
        assert!(
            err.message
                .starts_with("closures (`|x| ...`) cannot be defined"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_panic_in_the_engine_leaves_an_error() {
        let mut e = engine(&Limits::default());
        e.register_fn("boom", || -> bool { panic!("boom") });
        let s = compile(&e, "boom()", &[]).unwrap();
        let err = run(&e, &s, &mut Scope::new()).unwrap_err();
        assert_eq!(err, format!("{INTERNAL_ERROR} (boom)"));
    }

    #[test]
    fn depth_limits_are_capped() {
        let e = engine(&Limits {
            max_script_expr_depth: usize::MAX,
            max_script_call_levels: usize::MAX,
            ..Limits::default()
        });
        assert_eq!(e.max_expr_depth(), MAX_NESTING);
        assert_eq!(e.max_call_levels(), MAX_NESTING);
    }

    #[test]
    fn identifiers_inside_interpolations_are_read() {
        assert_eq!(
            identifiers("`depth ${a_depth + 1} and ${ `${b_ok}` } m` == x"),
            ["a_depth", "b_ok", "x"]
        );
        // An unclosed interpolation reads what it has and stops.
        assert_eq!(identifiers("`${a_depth"), ["a_depth"]);
    }

    #[test]
    fn identifiers_skip_strings_and_comments() {
        assert_eq!(
            identifiers("a_x == \"b_y\" // c_z\n && d"),
            vec!["a_x", "d"]
        );
    }
}
