//! Command-line arguments and the commands they run.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use hazcheck::diagnostic::Diagnostic;
use hazcheck::schema::{SchemaKind, schema_text};
use hazcheck::{
    EvalOptions, Inspection, Lang, Library, Limits, LoadOutcome, Loader, SourceMap, Verdict,
};

use crate::limit_args::LimitArgs;
use crate::{render, report_text};

/// Executable work-safety hazard checklists.
#[derive(Debug, Parser)]
#[command(name = "hazcheck", version, about, max_term_width = 100)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate rulesets (files or folders) and report every problem.
    Check {
        /// Ruleset files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Evaluate inspections and print their reports.
    Eval {
        /// A built-in ruleset id, or a ruleset file or folder.
        #[arg(long)]
        ruleset: String,
        /// Inspection files (YAML or JSON); `-` reads standard input.
        #[arg(required = true)]
        inspections: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
        /// Language of texts.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
        /// Show why each rule fired or did not.
        #[arg(long)]
        explain: bool,
        /// Exit with 1 when a verdict reaches this level.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Reject inspections with invalid answers instead of treating those
        /// answers as missing.
        #[arg(long)]
        strict: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Evaluate NDJSON inspections, one per line, into one NDJSON record
    /// per line (a report or located errors), in input order, on all cores.
    Batch {
        /// A built-in ruleset id, or a ruleset file or folder.
        #[arg(long)]
        ruleset: String,
        /// The NDJSON file; `-` or nothing reads standard input.
        input: Option<PathBuf>,
        /// Include the evaluated condition tree of every rule.
        #[arg(long)]
        explain: bool,
        /// Worker threads (default: one per core).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print the JSON Schema (draft-07) of a document kind.
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        kind: SchemaArg,
    },
    /// List the built-in rulesets.
    List,
    /// Evaluate a return visit (回头看) against the previous visit of the
    /// same site: what was rectified, is still open or overdue, is new, and
    /// what must be escalated.
    FollowUp(crate::followup_cmd::FollowUpArgs),
    /// Supervision statistics over reports, follow-ups and batch output: by
    /// level, domain, rule, region and period, with rectification and
    /// overdue counts.
    Stats(crate::stats_cmd::StatsArgs),
    /// Create a ruleset folder with one item, one rule, a test file and a
    /// sample inspection, ready to check, test and edit.
    New {
        /// The folder to create (it may exist, but none of the files).
        dir: PathBuf,
        /// The ruleset id (default: the folder's name).
        #[arg(long)]
        id: Option<String>,
    },
    /// Compare rulesets version by version: level changes first, then
    /// rules, items, parameters and documents with their old and new
    /// values; with --corpus, behaviour too.
    Diff {
        /// The old side: a ruleset file, a folder (every ruleset in it) or a
        /// built-in id.
        old: String,
        /// The new side: a ruleset file, a folder or a built-in id.
        new: String,
        /// Folders (or files) of inspections to evaluate on both sides, each
        /// with the version in force on its date.
        #[arg(long, value_name = "DIR", num_args = 1..)]
        corpus: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run ruleset test cases (files, or folders holding `tests/` folders).
    Test {
        /// Test files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TestFormat::Human)]
        format: TestFormat,
        /// Print the coverage table.
        #[arg(long)]
        coverage: bool,
        /// Fail when rule or clause coverage of a tested ruleset version is
        /// below this percentage.
        #[arg(long, value_name = "PCT")]
        min_coverage: Option<f64>,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum TestFormat {
    Human,
    Json,
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FailOn {
    Major,
    Ordinary,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchemaArg {
    Ruleset,
    Inspection,
    Report,
}

/// Runs a command; the result is the exit code.
pub fn run(args: Args, out: &mut dyn Write) -> Result<u8> {
    match args.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            limits,
        } => check(&paths, format, deny_warnings, &limits.limits(), out),
        Command::Eval {
            ruleset,
            inspections,
            format,
            lang,
            explain,
            fail_on,
            strict,
            limits,
        } => eval(
            &ruleset,
            &inspections,
            format,
            lang.into(),
            explain,
            fail_on,
            strict,
            &limits.limits(),
            out,
        ),
        Command::Batch {
            ruleset,
            input,
            explain,
            jobs,
            limits,
        } => crate::batch_cmd::run(
            crate::batch_cmd::BatchArgs {
                ruleset: &ruleset,
                input: input.as_deref(),
                explain,
                jobs,
                limits: limits.limits(),
            },
            out,
        ),
        Command::Schema { kind } => {
            let kind = match kind {
                SchemaArg::Ruleset => SchemaKind::Ruleset,
                SchemaArg::Inspection => SchemaKind::Inspection,
                SchemaArg::Report => SchemaKind::Report,
            };
            out.write_all(schema_text(kind).as_bytes())?;
            Ok(0)
        }
        Command::List => list(out),
        Command::FollowUp(a) => crate::followup_cmd::run(&a, out),
        Command::Stats(a) => crate::stats_cmd::run(&a, out),
        Command::New { dir, id } => crate::new_cmd::run(&dir, id.as_deref(), out),
        Command::Diff {
            old,
            new,
            corpus,
            format,
            limits,
        } => crate::diff_cmd::run(
            &crate::diff_cmd::DiffArgs {
                old: &old,
                new: &new,
                corpus: &corpus,
                format,
                limits: &limits.limits(),
            },
            out,
        ),
        Command::Test {
            paths,
            format,
            coverage,
            min_coverage,
            limits,
        } => crate::test_cmd::run(
            &paths,
            format == TestFormat::Human,
            format == TestFormat::Junit,
            coverage,
            min_coverage,
            &limits.limits(),
            out,
        ),
    }
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn check(
    paths: &[PathBuf],
    format: CheckFormat,
    deny_warnings: bool,
    limits: &Limits,
    out: &mut dyn Write,
) -> Result<u8> {
    for p in paths {
        if !p.exists() {
            bail!("no such file or folder: {}", p.display());
        }
    }
    let mut loader = Loader::new(limits.clone());
    for p in paths {
        loader.add_path(p);
    }
    let outcome = loader.load();
    let errors = outcome.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = outcome.diagnostics.len() - errors;
    let text = match format {
        CheckFormat::Human => {
            let mut s = render::human(&outcome.diagnostics, &outcome.sources, color());
            s.push_str(&render::summary(errors, warnings, outcome.files.len()));
            s.push('\n');
            s
        }
        CheckFormat::Json => render::json(&outcome.diagnostics, &outcome.sources, &outcome.files),
        CheckFormat::Sarif => render::sarif(
            &outcome.diagnostics,
            &outcome.sources,
            env!("CARGO_PKG_VERSION"),
        ),
        CheckFormat::Junit => render::junit(
            &outcome.diagnostics,
            &outcome.sources,
            &outcome.files,
            deny_warnings,
        ),
    };
    out.write_all(text.as_bytes())?;
    let fails = errors > 0 || (deny_warnings && warnings > 0);
    if fails && !matches!(format, CheckFormat::Human) {
        // Standard output is a document that CI stores; the step's log
        // still says why it failed.
        let why = if errors == 0 {
            " (warnings fail with --deny-warnings)"
        } else {
            ""
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: {}{why}",
            render::summary(errors, warnings, outcome.files.len())
        );
    }
    Ok(u8::from(fails))
}

/// Loads a ruleset named by a built-in id or a path, with given limits.
pub fn load_ruleset_with(spec: &str, limits: &Limits) -> Result<Library> {
    let path = Path::new(spec);
    let outcome = if path.exists() {
        let mut loader = Loader::new(limits.clone());
        loader.add_path(path);
        // Includes of shipped rulesets resolve from disk next to the file.
        loader.load()
    } else {
        let outcome = hazcheck::builtin::load(limits.clone());
        if outcome
            .library
            .as_ref()
            .is_some_and(|l| l.versions(spec).is_empty())
        {
            let known: Vec<String> = outcome
                .library
                .as_ref()
                .map(|l| l.ids().map(String::from).collect())
                .unwrap_or_default();
            bail!(
                "`{spec}` is neither a file nor a built-in ruleset (built-in: {})",
                known.join(", ")
            );
        }
        outcome
    };
    library_or_errors(outcome)
}

pub(crate) fn library_or_errors(outcome: LoadOutcome) -> Result<Library> {
    if let Some(lib) = outcome.library {
        return Ok(lib);
    }
    let errors: Vec<Diagnostic> = outcome
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    let text = render::human(&errors, &outcome.sources, false);
    bail!("the ruleset has errors:\n{text}")
}

/// Reads an inspection, refusing to hold more than `max` bytes of it: a
/// larger input is an error before it is read whole.
pub(crate) fn read_input_limited(path: &Path, max: usize) -> Result<(String, String)> {
    let too_large = |name: &str| {
        let mut sources = SourceMap::new();
        let file = sources.add(name.to_string(), "");
        let d = Diagnostic::new(
            hazcheck::Code::LimitExceeded,
            hazcheck::Span::file_only(file),
            format!("file is larger than the limit of {max} bytes"),
        )
        .with_help("raise the limit (--max-inspection-bytes)");
        anyhow::anyhow!(
            "{name} is not a valid inspection:\n{}",
            render::human(&[d], &sources, false)
        )
    };
    let (name, bytes) = read_bounded(path, max)?;
    if bytes.len() > max {
        return Err(too_large(&name));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        // Point at the bad byte in the text as it reads with it replaced;
        // the valid prefix is the same in both.
        let at = e.utf8_error().valid_up_to();
        let mut sources = SourceMap::new();
        let file = sources.add(
            name.clone(),
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
        );
        let (line, column) = sources.line_col(file, at);
        let d = Diagnostic::new(
            hazcheck::Code::Io,
            hazcheck::Span {
                file,
                start: at,
                end: at,
                line,
                column,
            },
            format!("cannot read `{name}`: file is not valid UTF-8 (invalid byte at offset {at})"),
        );
        anyhow::anyhow!(
            "{name} is not a valid inspection:\n{}",
            render::human(&[d], &sources, false)
        )
    })?;
    Ok((name, text))
}

/// Reads a file (or standard input for `-`), holding at most one byte more
/// than `max`: a longer input (`/dev/zero`, say) is cut there, and the
/// caller reports it as too large.
fn read_bounded(path: &Path, max: usize) -> Result<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), max as u64 + 1),
            &mut bytes,
        )
        .context("cannot read standard input")?;
        return Ok(("<stdin>".to_string(), bytes));
    }
    let name = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {name}"))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, max as u64 + 1), &mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    Ok((name, bytes))
}

/// Reads a whole input of at most `max` bytes; `flag` is the option that
/// raises the limit, named in the error.
pub(crate) fn read_input(path: &Path, max: usize, flag: &str) -> Result<(String, String)> {
    let (name, bytes) = read_bounded(path, max)?;
    if bytes.len() > max {
        bail!("{name} is larger than the limit of {max} bytes (raise it with {flag})");
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        if path == Path::new("-") {
            anyhow::anyhow!("standard input is not valid UTF-8")
        } else {
            anyhow::anyhow!(
                "{name} is not valid UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )
        }
    })?;
    Ok((name, text))
}

#[allow(clippy::too_many_arguments)]
fn eval(
    ruleset: &str,
    inspections: &[PathBuf],
    format: ReportFormat,
    lang: Lang,
    explain: bool,
    fail_on: Option<FailOn>,
    strict: bool,
    limits: &Limits,
    out: &mut dyn Write,
) -> Result<u8> {
    let library = load_ruleset_with(ruleset, limits)?;
    let options = EvalOptions { explain };
    let mut code = 0u8;
    let mut reports = Vec::new();
    for path in inspections {
        let (name, text) = read_input_limited(path, limits.max_inspection_bytes)?;
        let mut sources = SourceMap::new();
        let inspection = match Inspection::parse(&text, &name, &mut sources, limits) {
            Ok(i) => i,
            Err(diags) => {
                let rendered = render::human(&diags, &sources, false);
                bail!("{name} is not a valid inspection:\n{rendered}");
            }
        };
        let report = match library.evaluate(&inspection, &options) {
            Ok(r) => r,
            Err(e) => {
                // Point at the value that chose no ruleset version.
                let span = match e {
                    hazcheck::SelectError::UnknownRuleset { .. } => inspection.ruleset.span,
                    _ => inspection.date.span,
                };
                let d = Diagnostic::new(e.code(), span, e.to_string());
                bail!(
                    "{name} cannot be evaluated:\n{}",
                    render::human(&[d], &sources, false)
                );
            }
        };
        if strict && !report.input_diagnostics.is_empty() {
            let list: Vec<String> = report
                .input_diagnostics
                .iter()
                .map(|d| format!("  {}: {} ({})", d.code, d.message, d.item))
                .collect();
            bail!(
                "{name} has invalid answers (--strict):\n{}",
                list.join("\n")
            );
        }
        let fails = match fail_on {
            Some(FailOn::Major) => report.verdict == Verdict::Major,
            Some(FailOn::Ordinary) => report.verdict >= Verdict::Ordinary,
            None => false,
        };
        if fails {
            code = 1;
        }
        reports.push(report);
    }
    let text = match format {
        ReportFormat::Json => {
            if reports.len() == 1 {
                reports[0].to_json()
            } else {
                let mut s = serde_json::to_string_pretty(&reports)?;
                s.push('\n');
                s
            }
        }
        ReportFormat::Human => reports
            .iter()
            .map(|r| report_text::human(r, lang, explain))
            .collect::<Vec<_>>()
            .join("\n"),
        ReportFormat::Markdown => reports
            .iter()
            .map(|r| report_text::markdown(r, lang, explain))
            .collect::<Vec<_>>()
            .join("\n---\n\n"),
    };
    out.write_all(text.as_bytes())?;
    Ok(code)
}

fn list(out: &mut dyn Write) -> Result<u8> {
    let outcome = hazcheck::builtin::load(Limits::default());
    let library = library_or_errors(outcome)?;
    let mut s = String::new();
    s.push_str(&format!(
        "{:<16} {:<8} {:<25} {:<14} {:>5} {:>6} {:>6}  {}\n",
        "ruleset", "version", "in force", "domain", "items", "rules", "major", "title"
    ));
    for id in library.ids() {
        for v in library.versions(id) {
            let info = v.info();
            let period = match info.effective_to {
                Some(to) => format!("{}..{}", info.effective_from, to),
                None => format!("{}..", info.effective_from),
            };
            let major = v
                .model()
                .rules
                .iter()
                .filter(|r| r.level.value == hazcheck::Level::Major)
                .count();
            s.push_str(&format!(
                "{:<16} {:<8} {:<25} {:<14} {:>5} {:>6} {:>6}  {}\n",
                info.id,
                info.version,
                period,
                info.domain.as_deref().unwrap_or("-"),
                v.item_count(),
                v.rule_count(),
                major,
                info.title.get(Lang::Zh)
            ));
        }
    }
    out.write_all(s.as_bytes())?;
    Ok(0)
}
