//! The Rhai sandbox for rule conditions that no declarative form covers.
//!
//! Scripts are single expressions (statements, loops and `eval` are
//! rejected when the ruleset is compiled) run on a raw engine that has only
//! the core, logic, math, string, array and map packages: no file or module
//! access, no clock, no printing. Every limit of [`Limits`] that concerns
//! scripts is set explicitly, so debug and release builds behave alike.
//!
//! A script reads answers through variables named after item ids with dots
//! replaced by underscores (`excavation.depth` is `excavation_depth`). The
//! items a script reads are found when it is compiled; when one of them is
//! unanswered the script is not run and the condition is undetermined.

use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, BasicStringPackage, CorePackage,
    LogicPackage, MoreStringPackage, Package,
};
use rhai::{AST, Dynamic, Engine, OptimizationLevel, Scope};

use crate::limits::Limits;

/// The variable name a script uses for an item id.
pub fn var_name(item_id: &str) -> String {
    item_id.replace(['.', '-'], "_")
}

/// Builds the locked-down engine used both to compile and to run scripts.
pub fn engine(limits: &Limits) -> Engine {
    let mut e = Engine::new_raw();
    e.register_global_module(CorePackage::new().as_shared_module());
    e.register_global_module(LogicPackage::new().as_shared_module());
    e.register_global_module(BasicMathPackage::new().as_shared_module());
    e.register_global_module(BasicStringPackage::new().as_shared_module());
    e.register_global_module(MoreStringPackage::new().as_shared_module());
    e.register_global_module(BasicArrayPackage::new().as_shared_module());
    e.register_global_module(BasicMapPackage::new().as_shared_module());
    e.set_max_operations(limits.max_script_operations.max(1));
    e.set_max_call_levels(limits.max_script_call_levels);
    e.set_max_expr_depths(limits.max_script_expr_depth, limits.max_script_expr_depth);
    e.set_max_string_size(limits.max_script_string.max(1));
    e.set_max_array_size(limits.max_script_array.max(1));
    e.set_max_map_size(limits.max_script_map.max(1));
    e.set_max_variables(4_096);
    e.set_max_functions(0);
    e.set_allow_looping(false);
    e.set_strict_variables(true);
    e.disable_symbol("eval");
    e.disable_symbol("print");
    e.disable_symbol("debug");
    // Constants in the compile scope would be folded into the AST; the
    // placeholders are plain variables, and optimisation stays simple.
    e.set_optimization_level(OptimizationLevel::Simple);
    e
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
pub fn run(engine: &Engine, script: &Script, scope: &mut Scope<'_>) -> Result<bool, String> {
    match engine.eval_ast_with_scope::<Dynamic>(scope, &script.ast) {
        Ok(v) => v
            .as_bool()
            .map_err(|t| format!("script returned {t}, expected a boolean (true or false)")),
        Err(e) => Err(run_error(engine, &e)),
    }
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
                            out.extend(identifiers(inner));
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
                    out.push(s);
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
