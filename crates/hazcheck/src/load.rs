//! Loading rulesets: files, folders, includes and versions.
//!
//! A [`Loader`] reads ruleset and module files (from disk or from memory),
//! merges the modules each ruleset includes, compiles every version and
//! gathers them in a [`Library`]. Every problem of every file is collected;
//! a library is only produced when there is no error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compile::{self, Merged};
use crate::date::Date;
use crate::decode::{self, Decoder};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::inspection::Inspection;
use crate::limits::Limits;
use crate::model::{Basis, Deadlines, Document, RulesetFile, Sp};
use crate::node;
use crate::report::Report;
use crate::span::{FileId, SourceMap, Span};
use crate::{EvalOptions, Ruleset, RulesetInfo};

/// All versions of all loaded rulesets.
///
/// A library is immutable once loaded and `Send + Sync`: share one through
/// an `Arc` with every thread that evaluates. It keeps every version of
/// each ruleset, so that an inspection is evaluated with the version in
/// force on its date. To replace the rulesets while serving, load a new
/// library and swap an `Arc<Library>` held in a `RwLock`; see the hot-swap
/// section of `docs/embedding.md`.
///
/// ```
/// use hazcheck::{Date, Limits};
///
/// let library = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// let versions = library.versions("confined-space");
/// assert!(versions.len() >= 2, "one version per standard in force");
/// let on = |d: &str| d.parse::<Date>().map_err(|e| e.to_string());
/// let in_2023 = library.select("confined-space", on("2023-06-01")?)?;
/// let in_2025 = library.select("confined-space", on("2025-06-01")?)?;
/// assert_ne!(in_2023.info().version, in_2025.info().version);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Library {
    rulesets: BTreeMap<String, Vec<Arc<Ruleset>>>,
}

/// Why no ruleset version could be chosen for an inspection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// No ruleset has this id.
    #[error("no ruleset `{id}` is loaded{}", if known.is_empty() { String::new() } else { format!(" (loaded: {})", known.join(", ")) })]
    UnknownRuleset {
        /// The id asked for.
        id: String,
        /// The ids that are loaded.
        known: Vec<String>,
    },
    /// The date is outside every version's period.
    #[error("no version of ruleset `{id}` is in force on {date}; {periods}{}", note.as_ref().map_or(String::new(), |n| format!(" ({n})")))]
    NoVersionInForce {
        /// The ruleset id.
        id: String,
        /// The inspection date.
        date: Date,
        /// The periods that exist, for the message.
        periods: String,
        /// The ruleset's own explanation (`out_of_force`), in English and
        /// Chinese, if it gives one.
        note: Option<String>,
    },
}

impl SelectError {
    /// The diagnostic code for this error.
    pub fn code(&self) -> Code {
        match self {
            SelectError::UnknownRuleset { .. } => Code::UnknownRuleset,
            SelectError::NoVersionInForce { .. } => Code::NoVersionInForce,
        }
    }
}

impl Library {
    /// The ids of the loaded rulesets, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rulesets.keys().map(String::as_str)
    }

    /// Every version of a ruleset, oldest first.
    pub fn versions(&self, id: &str) -> &[Arc<Ruleset>] {
        self.rulesets.get(id).map_or(&[], Vec::as_slice)
    }

    /// The version of ruleset `id` in force on `date`.
    pub fn select(&self, id: &str, date: Date) -> Result<&Arc<Ruleset>, SelectError> {
        let Some(versions) = self.rulesets.get(id) else {
            return Err(SelectError::UnknownRuleset {
                id: id.to_string(),
                known: self.rulesets.keys().cloned().collect(),
            });
        };
        versions
            .iter()
            .find(|v| v.info.in_force(date))
            .ok_or_else(|| {
                let periods = versions
                    .iter()
                    .map(|v| {
                        format!(
                            "version {} is in force {}",
                            v.info.version,
                            match v.info.effective_to {
                                Some(to) => format!("from {} to {}", v.info.effective_from, to),
                                None => format!("from {}", v.info.effective_from),
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let note = versions
                    .iter()
                    .find_map(|v| v.model.out_of_force.as_ref())
                    .map(|t| match (&t.en, &t.zh) {
                        (Some(en), Some(zh)) => format!("{en} / {zh}"),
                        _ => t.get(crate::model::Lang::En).to_string(),
                    });
                SelectError::NoVersionInForce {
                    id: id.to_string(),
                    date,
                    periods,
                    note,
                }
            })
    }

    /// Evaluates an inspection with the version of its ruleset in force on
    /// its date.
    ///
    /// Fails only when the inspection names a ruleset that is not loaded
    /// or a date no version covers. Answers that do not fit their items do
    /// not fail: they are listed in the report's `input_diagnostics` and
    /// treated as missing.
    ///
    /// ```
    /// use hazcheck::{Code, EvalOptions, Inspection, Limits, SourceMap, Verdict};
    ///
    /// let library = hazcheck::builtin::load(Limits::default())
    ///     .library
    ///     .ok_or("the built-in rulesets have errors")?;
    /// let mut sources = SourceMap::new();
    /// let parse = |text: &str, sources: &mut SourceMap| {
    ///     Inspection::parse(text, "inspection.yaml", sources, &Limits::default())
    ///         .map_err(|d| format!("{} problems", d.len()))
    /// };
    ///
    /// // Nothing answered: never a pass.
    /// let empty = parse("ruleset: confined-space\ndate: 2025-03-10\n", &mut sources)?;
    /// let report = library.evaluate(&empty, &EvalOptions::default())?;
    /// assert_eq!(report.ruleset.version, "2024");
    /// assert_eq!(report.verdict, Verdict::Incomplete);
    ///
    /// // A date before every version is an error with a stable code.
    /// let early = parse("ruleset: confined-space\ndate: 2001-01-01\n", &mut sources)?;
    /// let error = library.evaluate(&early, &EvalOptions::default()).unwrap_err();
    /// assert_eq!(error.code(), Code::NoVersionInForce);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(
        &self,
        inspection: &Inspection,
        options: &EvalOptions,
    ) -> Result<Report, SelectError> {
        let rs = self.select(&inspection.ruleset.value, inspection.date.value)?;
        Ok(rs.evaluate(inspection, options))
    }

    /// Adds a compiled version. Used by the loader.
    fn insert(&mut self, rs: Ruleset) {
        let list = self.rulesets.entry(rs.info.id.clone()).or_default();
        list.push(Arc::new(rs));
        list.sort_by_key(|r| r.info.effective_from);
    }
}

/// What a load produced: the library (when there was no error), every
/// diagnostic, and the source files for rendering them.
#[derive(Debug)]
pub struct LoadOutcome {
    /// The library, unless an error was found.
    pub library: Option<Library>,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read.
    pub sources: SourceMap,
    /// The names of the files that were checked directly (not only
    /// included), in order.
    pub files: Vec<String>,
}

impl LoadOutcome {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and compiles rulesets.
///
/// Add files (from disk or memory), then [`Loader::load`] checks all of
/// them, reports every problem at once and compiles every version. A
/// library is produced only when there is no error, so a ruleset with a
/// mistake is never half used.
///
/// ```
/// use hazcheck::{Limits, Loader};
///
/// let mut loader = Loader::new(Limits::default());
/// loader.add_memory(
///     "guard.yaml",
///     r#"
/// ruleset: guard
/// title: {zh: 护栏, en: Guardrails}
/// effective: {from: 2024-01-01}
/// documents:
///   - {id: std, title: {zh: 标准, en: Standard}, verified: true}
/// items:
///   - {id: guard.present, type: yes_no, prompt: {zh: 是否设置护栏？, en: Guardrail installed?}}
/// rules:
///   - id: no-guard
///     level: ordinary
///     basis: {document: std, clause: "4.1"}
///     title: {zh: 未设置护栏, en: No guardrail}
///     when: {item: guard.present, is: false}
/// "#,
/// );
/// let outcome = loader.load();
/// assert!(outcome.diagnostics.is_empty());
/// let library = outcome.library.ok_or("errors")?;
/// assert_eq!(library.ids().collect::<Vec<_>>(), ["guard"]);
/// assert_eq!(library.versions("guard")[0].rule_count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Loader {
    limits: Limits,
    sources: SourceMap,
    memory: HashMap<String, String>,
    roots: Vec<(String, Area)>,
    /// The files added from disk, resolved, so that each is read once.
    seen_files: HashSet<PathBuf>,
    diags: Vec<Diagnostic>,
}

/// Where the includes of a file given to the loader may lead.
///
/// A ruleset must not be able to read what its author could not see: an
/// include of `/etc/passwd` would otherwise quote the file in a diagnostic.
/// So an include path is relative, names a `.yaml` or `.yml` file, and
/// leads to a file in memory for a file given from memory, or, for a file
/// from disk, to a file under the parent of the folder given to the loader
/// (the folder that holds the file, for a file given by itself). That
/// parent is what lets `rulesets/construction/2024.yaml` include
/// `../shared/common-tasks.yaml` when only `rulesets/construction/` is
/// loaded. Symbolic links are followed before the check, so a link cannot
/// lead out either.
#[derive(Clone, Debug)]
enum Area {
    /// Only files held in memory.
    Memory,
    /// Files under `root` (canonical), shown as `shown`.
    Disk {
        root: Option<PathBuf>,
        shown: String,
    },
}

struct Parsed {
    file: FileId,
    model: Option<RulesetFile>,
}

impl Loader {
    /// A loader with the given limits.
    pub fn new(limits: Limits) -> Loader {
        Loader {
            limits,
            sources: SourceMap::new(),
            memory: HashMap::new(),
            roots: Vec::new(),
            seen_files: HashSet::new(),
            diags: Vec::new(),
        }
    }

    /// Adds a file held in memory. `name` is a path such as
    /// `builtin:rulesets/construction/2024.yaml`; includes are resolved
    /// against it and looked up in memory first.
    pub fn add_memory(&mut self, name: &str, text: &str) {
        self.memory.insert(normalize(name), text.to_string());
        self.roots.push((normalize(name), Area::Memory));
    }

    /// Makes a file available for includes without checking it on its own.
    pub fn provide_memory(&mut self, name: &str, text: &str) {
        self.memory.insert(normalize(name), text.to_string());
    }

    /// Adds a file or a folder. Folders are walked recursively for `.yaml`
    /// and `.yml` files, skipping folders named `tests` and `examples`
    /// (ruleset test cases and sample inspections live there).
    ///
    /// A file reached twice (named twice, or through a link) is read once.
    /// Includes of these files may only lead to `.yaml` and `.yml` files
    /// under the parent of the folder (of the file's folder, for a file);
    /// an include elsewhere is [`Code::InvalidInclude`].
    pub fn add_path(&mut self, path: &Path) {
        let folder = if path.is_dir() {
            path.to_path_buf()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let folder = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        };
        let root = std::fs::canonicalize(&folder)
            .ok()
            .map(|c| c.parent().map_or_else(|| c.clone(), Path::to_path_buf));
        let shown = normalize(&format!("{}/..", folder.to_string_lossy()));
        let area = Area::Disk {
            root,
            shown: if shown.is_empty() {
                ".".to_string()
            } else {
                shown
            },
        };
        if path.is_dir() {
            let mut files = Vec::new();
            let mut seen_dirs = HashSet::new();
            walk(path, &mut files, &mut seen_dirs, 0);
            files.sort();
            if files.is_empty() {
                let file = self.sources.add(path.display().to_string(), "");
                self.diags.push(Diagnostic::new(
                    Code::Io,
                    Span::file_only(file),
                    format!("folder `{}` holds no .yaml file", path.display()),
                ));
            }
            for f in files {
                self.add_root(&f, area.clone());
            }
        } else {
            self.add_root(path, area);
        }
    }

    fn add_root(&mut self, path: &Path, area: Area) {
        // A file that cannot be resolved is kept, so that reading it
        // reports why.
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.seen_files.insert(key) {
            self.roots.push((normalize(&path.to_string_lossy()), area));
        }
    }

    /// Reads a file. A file that is not UTF-8 comes back with its text
    /// decoded lossily and the offset of the first bad byte, so that the
    /// diagnostic can point at it.
    fn read(&mut self, name: &str) -> Result<String, (String, Option<(String, usize)>)> {
        if let Some(t) = self.memory.get(name) {
            return Ok(t.clone());
        }
        if name.starts_with("builtin:") {
            return Err(("no such built-in file".to_string(), None));
        }
        let max = self.limits.max_ruleset_bytes;
        // A device, a FIFO or a folder is refused before it is opened:
        // `/dev/zero` never ends and opening a FIFO waits for a writer.
        let meta = std::fs::metadata(name).map_err(|e| (io_message(&e), None))?;
        if !meta.is_file() {
            return Err((
                "not a regular file (rulesets and modules are read from files)".to_string(),
                None,
            ));
        }
        if meta.len() > max as u64 {
            return Err((
                format!(
                    "file is {} bytes, more than the limit of {max} bytes",
                    meta.len()
                ),
                None,
            ));
        }
        // The file may grow between the look and the read: never hold more
        // than one byte beyond the limit.
        let file = std::fs::File::open(name).map_err(|e| (io_message(&e), None))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, max as u64 + 1), &mut bytes)
            .map_err(|e| (io_message(&e), None))?;
        if bytes.len() > max {
            return Err((
                format!("file grew beyond the limit of {max} bytes while it was read"),
                None,
            ));
        }
        String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            (
                format!("file is not valid UTF-8 (invalid byte at offset {at})"),
                Some((String::from_utf8_lossy(e.as_bytes()).into_owned(), at)),
            )
        })
    }

    fn parse(
        &mut self,
        name: &str,
        cache: &mut HashMap<String, Parsed>,
        at: Span,
    ) -> Option<(FileId, Option<RulesetFile>)> {
        if let Some(p) = cache.get(name) {
            return Some((p.file, p.model.clone()));
        }
        let text = match self.read(name) {
            Ok(t) => t,
            Err((msg, bad_text)) => {
                let (text, bad_byte) =
                    bad_text.map_or((String::new(), None), |(t, o)| (t, Some(o)));
                let file = self.sources.add(name, text);
                let span = match bad_byte {
                    // The valid prefix reads the same in the lossy text.
                    Some(offset) => {
                        let (line, column) = self.sources.line_col(file, offset);
                        Span {
                            file,
                            start: offset,
                            end: offset,
                            line,
                            column,
                        }
                    }
                    None if at == Span::default() => Span::file_only(file),
                    None => at,
                };
                let code = if msg.contains("limit") {
                    Code::LimitExceeded
                } else if at == Span::default() {
                    Code::Io
                } else {
                    Code::InvalidInclude
                };
                self.diags.push(Diagnostic::new(
                    code,
                    span,
                    format!("cannot read `{name}`: {msg}"),
                ));
                return None;
            }
        };
        let file = self.sources.add(name, text.as_str());
        let model = match node::parse_yaml(&text, file, &self.limits.ruleset_parse()) {
            Ok(n) => {
                // The text the source map holds, shared rather than copied.
                let shared = self.sources.get(file).map(|f| f.text.clone());
                let mut dec = Decoder::with_source(shared.unwrap_or_else(|| text.as_str().into()));
                let m = decode::ruleset_file(&mut dec, &n);
                self.diags.extend(dec.diags);
                m
            }
            Err(d) => {
                self.diags.push(d);
                None
            }
        };
        cache.insert(
            name.to_string(),
            Parsed {
                file,
                model: model.clone(),
            },
        );
        Some((file, model))
    }

    /// Reads, checks and compiles everything added.
    pub fn load(self) -> LoadOutcome {
        // Reading, decoding and compiling recurse once per nesting level;
        // with deep limits the work gets a thread with enough stack.
        crate::limits::with_stack(self.limits.load_stack(), || self.load_here()).unwrap_or_else(
            |e| {
                let mut sources = SourceMap::new();
                let file = sources.add("<loader>", "");
                LoadOutcome {
                    library: None,
                    diagnostics: vec![Diagnostic::new(
                        Code::Io,
                        Span::file_only(file),
                        format!("cannot start a thread to load deeply nested rulesets: {e}"),
                    )],
                    sources,
                    files: Vec::new(),
                }
            },
        )
    }

    fn load_here(mut self) -> LoadOutcome {
        let mut cache: HashMap<String, Parsed> = HashMap::new();
        let roots = std::mem::take(&mut self.roots);
        let mut library = Library::default();
        let mut versions: BTreeMap<String, Vec<compile::VersionPeriod>> = BTreeMap::new();
        let mut checked = Vec::new();
        for (name, area) in &roots {
            let Some((file, model)) = self.parse(name, &mut cache, Span::default()) else {
                checked.push(name.clone());
                continue;
            };
            checked.push(self.sources.name(file).to_string());
            let Some(model) = model else { continue };
            if model.ruleset.is_none() {
                // A module is compiled on its own too, so that its problems
                // show even when no ruleset includes it yet. Its items are
                // meant for others' rules, so unused ones are no warning.
                let mut stack = vec![name.clone()];
                if let Some(merged) = self.merge(model, file, name, area, &mut cache, &mut stack) {
                    let mut diags = Vec::new();
                    let _ =
                        compile::compile(&merged, &self.limits, &self.sources, true, &mut diags);
                    self.diags.extend(diags);
                }
                continue;
            }
            let mut stack = vec![name.clone()];
            let Some(merged) = self.merge(model, file, name, area, &mut cache, &mut stack) else {
                continue;
            };
            let mut diags = Vec::new();
            let file_has_errors = self
                .diags
                .iter()
                .any(|d| d.is_error() && d.span.file == file);
            let compiled = compile::compile(
                &merged,
                &self.limits,
                &self.sources,
                file_has_errors,
                &mut diags,
            );
            self.diags.extend(diags);
            let Some(compiled) = compiled else { continue };
            let m = merged.model;
            let id = m
                .ruleset
                .as_ref()
                .map(|r| r.value.clone())
                .unwrap_or_default();
            let version = m
                .version
                .as_ref()
                .map_or_else(|| "1".to_string(), |v| v.value.clone());
            let Some(period) = &m.effective else { continue };
            versions.entry(id.clone()).or_default().push((
                version.clone(),
                period.from.value,
                period.to.as_ref().map(|t| t.value),
                period.from.span,
            ));
            let info = RulesetInfo {
                id,
                version,
                domain: m.domain.clone(),
                title: m.title.clone(),
                description: m.description.clone(),
                effective_from: period.from.value,
                effective_to: period.to.as_ref().map(|t| t.value),
                file: self.sources.name(file).to_string(),
            };
            library.insert(Ruleset::new(info, m, compiled, self.limits.clone()));
        }
        for (id, v) in &versions {
            compile::check_versions(id, v, &mut self.diags);
        }
        diagnostic::sort(&mut self.diags);
        self.diags.dedup();
        let has_errors = self.diags.iter().any(Diagnostic::is_error);
        LoadOutcome {
            library: if has_errors { None } else { Some(library) },
            diagnostics: self.diags,
            sources: self.sources,
            files: checked,
        }
    }

    /// Merges the modules a ruleset includes into it.
    fn merge(
        &mut self,
        mut model: RulesetFile,
        file: FileId,
        name: &str,
        area: &Area,
        cache: &mut HashMap<String, Parsed>,
        stack: &mut Vec<String>,
    ) -> Option<Merged> {
        let includes = std::mem::take(&mut model.include);
        let mut items = Vec::new();
        let mut sections = Vec::new();
        let mut parameters = Vec::new();
        let mut documents: Vec<Document> = Vec::new();
        let mut rules = Vec::new();
        for inc in &includes {
            let target = match self.allowed(name, &inc.path.value, area) {
                Ok(t) => t,
                Err((message, help)) => {
                    self.diags.push(
                        Diagnostic::new(Code::InvalidInclude, inc.path.span, message)
                            .with_help(help),
                    );
                    continue;
                }
            };
            if stack.contains(&target) {
                self.diags.push(Diagnostic::new(
                    Code::InvalidInclude,
                    inc.path.span,
                    format!(
                        "`{}` includes itself through {}",
                        inc.path.value,
                        stack.join(" → ")
                    ),
                ));
                continue;
            }
            let max_depth = self
                .limits
                .max_include_depth
                .min(crate::limits::MAX_NESTING);
            if stack.len() > max_depth {
                self.diags.push(
                    Diagnostic::new(
                        Code::LimitExceeded,
                        inc.path.span,
                        format!("includes nested deeper than {max_depth}"),
                    )
                    .with_help("include fewer levels or raise the limit (--max-include-depth)"),
                );
                continue;
            }
            let Some((ifile, imodel)) = self.parse(&target, cache, inc.path.span) else {
                continue;
            };
            let Some(imodel) = imodel else { continue };
            stack.push(target.clone());
            let sub = self.merge(imodel, ifile, &target, area, cache, stack);
            stack.pop();
            let Some(sub) = sub else { continue };
            let mut sub = sub.model;
            for wanted in &inc.items {
                if !sub.items.iter().any(|x| x.id.value == wanted.id.value) {
                    self.diags.push(Diagnostic::new(
                        Code::UnknownItem,
                        wanted.id.span,
                        format!("`{}` has no item `{}`", inc.path.value, wanted.id.value),
                    ));
                }
            }
            for x in &mut sub.items {
                let extra = inc.applies_if.iter().chain(
                    inc.items
                        .iter()
                        .filter(|w| w.id.value == x.id.value)
                        .map(|w| &w.applies_if),
                );
                for c in extra {
                    x.applies_if = Some(and(x.applies_if.take(), c));
                }
            }
            items.extend(sub.items);
            sections.extend(sub.sections);
            parameters.extend(sub.parameters);
            for d in sub.documents {
                if !documents.iter().any(|x| x.id.value == d.id.value) {
                    documents.push(d);
                }
            }
            let mut taken: Vec<&Sp<String>> = Vec::new();
            for wanted in &inc.rules {
                if let Some(first) = taken.iter().find(|t| t.value == wanted.id.value) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            wanted.id.span,
                            format!("module rule `{}` is taken over twice", wanted.id.value),
                        )
                        .with_secondary(first.span, "first taken over here")
                        .with_help("a module rule is taken over once per ruleset; write a rule of your own for a second reading"),
                    );
                    continue;
                }
                taken.push(&wanted.id);
                match sub.rules.iter().find(|r| r.id.value == wanted.id.value) {
                    Some(r) => {
                        let mut r = r.clone();
                        r.basis = Basis {
                            verified: wanted.verified.or(wanted.basis.verified),
                            ..wanted.basis.clone()
                        };
                        r.also.clear();
                        r.escalate.extend(wanted.escalate.iter().cloned());
                        if let Some(extra) = &wanted.applies_if {
                            r.applies_if = Some(and(r.applies_if.take(), extra));
                        }
                        if let Some(l) = wanted.level {
                            r.level = Sp::new(l, wanted.id.span);
                            // Escalations to the new level or below no
                            // longer raise anything.
                            r.escalate.retain(|e| e.to.value > l);
                        }
                        rules.push(r);
                    }
                    None => self.diags.push(Diagnostic::new(
                        Code::UnknownRule,
                        wanted.id.span,
                        format!("`{}` has no rule `{}`", inc.path.value, wanted.id.value),
                    )),
                }
            }
        }
        // The ruleset's own documents win over those of its modules: a
        // module's citations are replaced by the including ruleset's.
        documents.retain(|d| !model.documents.iter().any(|x| x.id.value == d.id.value));
        let own_docs = std::mem::take(&mut model.documents);
        model.documents = own_docs.into_iter().chain(documents).collect();
        items.append(&mut model.items);
        model.items = items;
        // The ruleset's own sections come first in the checklist; the
        // modules' sections follow.
        model.sections.append(&mut sections);
        parameters.append(&mut model.parameters);
        model.parameters = parameters;
        rules.append(&mut model.rules);
        model.rules = rules;
        model.include = includes;
        Some(Merged { model, file })
    }
}

/// A condition and a further one, as one condition.
fn and(
    own: Option<crate::model::Condition>,
    extra: &crate::model::Condition,
) -> crate::model::Condition {
    match own {
        Some(own) => crate::model::Condition {
            all: Some(vec![own, extra.clone()]),
            at: extra.at,
            ..Default::default()
        },
        None => extra.clone(),
    }
}

impl Loader {
    /// The file an include leads to, if the include may be followed (see
    /// [`Area`]); otherwise the message and help of the error.
    fn allowed(&self, from: &str, path: &str, area: &Area) -> Result<String, (String, String)> {
        let refuse = |message: String| {
            Err((
                message,
                "an include is a relative path to a .yaml or .yml file within the parent of \
                 the folder given to hazcheck (see docs/security.md)"
                    .to_string(),
            ))
        };
        let bytes = path.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        if path.starts_with(['/', '\\']) || drive {
            return refuse(format!(
                "include path `{path}` is absolute; includes are relative to the including file"
            ));
        }
        let lower = path.to_ascii_lowercase();
        if !(lower.ends_with(".yaml") || lower.ends_with(".yml")) {
            return refuse(format!(
                "include path `{path}` does not name a .yaml or .yml file"
            ));
        }
        let target = resolve(from, path);
        if self.memory.contains_key(&target) {
            return Ok(target);
        }
        match area {
            Area::Memory => refuse(format!(
                "`{path}` is not among the files given to the loader; a ruleset given from \
                 memory includes only files given from memory"
            )),
            Area::Disk { root, shown } => {
                // The path is compared as written first, so that the answer
                // for a file outside does not tell whether it exists; then
                // as the file system resolves it, links included.
                let inside = within(&target, shown)
                    && match (root, std::fs::canonicalize(&target)) {
                        (Some(root), Ok(real)) => real.starts_with(root),
                        (None, Ok(_)) => false,
                        // A file that does not exist is reported when read.
                        (_, Err(_)) => true,
                    };
                if inside {
                    Ok(target)
                } else {
                    refuse(format!(
                        "include path `{path}` leads outside `{shown}`, the folder includes \
                         must stay in"
                    ))
                }
            }
        }
    }
}

/// Whether the normalized path `target` lies under the normalized folder
/// `folder` (`.` for the current folder), judged on the text alone. Two
/// relative paths of which one climbs above the current folder (`..`) are
/// compared from the current folder, whose own name the text lacks.
fn within(target: &str, folder: &str) -> bool {
    let climbs = |p: &str| p == ".." || p.starts_with("../");
    if !target.starts_with('/')
        && !folder.starts_with('/')
        && (climbs(target) || climbs(folder))
        && let Ok(here) = std::env::current_dir()
    {
        let here = here.to_string_lossy().replace('\\', "/");
        if here.starts_with('/') {
            let from_here = |p: &str| normalize(&format!("{here}/{p}"));
            return within_text(&from_here(target), &from_here(folder));
        }
    }
    within_text(target, folder)
}

/// [`within`] on paths that both start at the same place.
fn within_text(target: &str, folder: &str) -> bool {
    let parts = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(String::from)
            .collect()
    };
    if target.starts_with('/') != folder.starts_with('/') {
        return false;
    }
    let (t, f) = (parts(target), parts(folder));
    t.len() > f.len()
        && t.starts_with(&f)
        && t.get(f.len()..)
            .is_some_and(|rest| !rest.iter().any(|c| c == ".."))
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, seen: &mut HashSet<PathBuf>, depth: usize) {
    // A folder reached again through a link is not walked twice, so link
    // loops end at once.
    let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if depth > 16 || !seen.insert(key) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if name != "tests" && name != "examples" {
                walk(&p, out, seen, depth + 1);
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(p);
        }
    }
}

/// Normalizes a path: forward slashes, no `.` parts, `..` folded.
pub fn normalize(path: &str) -> String {
    let (prefix, rest) = match path.strip_prefix("builtin:") {
        Some(r) => ("builtin:", r),
        None => ("", path),
    };
    let rest = rest.replace('\\', "/");
    let absolute = rest.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in rest.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    format!(
        "{prefix}{}{}",
        if absolute { "/" } else { "" },
        parts.join("/")
    )
}

/// Resolves an include path against the file that includes it.
fn resolve(from: &str, path: &str) -> String {
    if path.starts_with('/') {
        return normalize(path);
    }
    let dir = match from.rfind('/') {
        Some(i) => &from[..i],
        None => match from.strip_prefix("builtin:") {
            Some(_) => "builtin:",
            None => "",
        },
    };
    if dir.is_empty() {
        normalize(path)
    } else if dir == "builtin:" {
        normalize(&format!("builtin:{path}"))
    } else {
        normalize(&format!("{dir}/{path}"))
    }
}

impl RulesetInfo {
    /// Whether this version is in force on `date`.
    pub fn in_force(&self, date: Date) -> bool {
        date >= self.effective_from && self.effective_to.is_none_or(|to| date <= to)
    }
}

/// Default deadlines when a ruleset gives none.
pub(crate) fn deadlines_of(m: &RulesetFile) -> Deadlines {
    m.deadlines.clone().unwrap_or(Deadlines {
        ordinary: None,
        major: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "module: m\ndocuments: [{id: d, title: {zh: 文, en: D}, verified: true}]\n\
        items:\n  - {id: a, type: yes_no, prompt: {zh: 甲, en: A}}\n  - {id: b, type: yes_no, prompt: {zh: 乙, en: B}}\n";

    fn with_module(include: &str) -> LoadOutcome {
        let ruleset = format!(
            "ruleset: r\ntitle: {{zh: 甲, en: A}}\neffective: {{from: 2024-01-01}}\n\
             documents: [{{id: d, title: {{zh: 文, en: D}}, verified: true}}]\n\
             include:\n  - {include}\n\
             items:\n  - id: kind\n    type: choice\n    prompt: {{zh: 类, en: Kind}}\n    options: [{{id: op, label: {{zh: 企, en: Operator}}}}, {{id: gov, label: {{zh: 政, en: Government}}}}]\n\
             \x20 - {{id: c, type: yes_no, prompt: {{zh: 丙, en: C}}}}\n\
             rules:\n  - {{id: ra, level: ordinary, basis: {{document: d, clause: \"1\"}}, title: {{zh: 甲, en: A}}, when: {{item: a, is: false}}}}\n\
             \x20 - {{id: rb, level: ordinary, basis: {{document: d, clause: \"1\"}}, title: {{zh: 乙, en: B}}, when: {{item: b, is: false}}}}\n"
        );
        let mut loader = Loader::new(Limits::default());
        loader.provide_memory("m.yaml", MODULE);
        loader.add_memory("r.yaml", &ruleset);
        loader.load()
    }

    #[test]
    fn an_include_can_limit_when_module_items_apply() {
        let out = with_module(
            "{path: m.yaml, applies_if: {item: kind, eq: op}, items: [{id: b, applies_if: {item: c, is: true}}]}",
        );
        assert!(!out.has_errors(), "{:#?}", out.diagnostics);
        let library = out.library.unwrap();
        let outcome = |answers: &str| {
            let text = format!("ruleset: r\ndate: 2025-01-01\nanswers: {answers}\n");
            let mut sources = SourceMap::new();
            let i = Inspection::parse(&text, "i.yaml", &mut sources, &Limits::default()).unwrap();
            let r = library
                .evaluate(&i, &crate::EvalOptions::default())
                .unwrap();
            let fired: Vec<String> = r.findings.iter().map(|f| f.rule.clone()).collect();
            let not_applicable: Vec<String> = r
                .input_diagnostics
                .iter()
                .filter(|d| d.code == Code::AnswerNotApplicableItem)
                .map(|d| d.item.clone())
                .collect();
            (fired, not_applicable)
        };
        // A government: no module question applies, so their answers are
        // not used.
        assert_eq!(
            outcome("{kind: gov, c: yes, a: no, b: no}"),
            (vec![], vec!["a".into(), "b".into()])
        );
        // An operator: `a` applies; `b` only with `c`.
        assert_eq!(
            outcome("{kind: op, c: no, a: no, b: no}"),
            (vec!["ra".into()], vec!["b".into()])
        );
        assert_eq!(
            outcome("{kind: op, c: yes, a: no, b: no}"),
            (vec!["ra".into(), "rb".into()], vec![])
        );
    }

    #[test]
    fn an_include_naming_an_item_the_module_lacks_is_an_error() {
        let out = with_module("{path: m.yaml, items: [{id: bb, applies_if: {item: c, is: true}}]}");
        let codes: Vec<Code> = out.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::UnknownItem], "{:#?}", out.diagnostics);
    }

    #[test]
    fn a_file_reached_twice_is_read_once() {
        let dir = std::env::temp_dir().join(format!("hazcheck-load-twice-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let file = dir.join("r.yaml");
        std::fs::write(
            &file,
            "ruleset: twice\ntitle: {zh: 甲, en: A}\neffective: {from: 2024-01-01}\n\
             documents: [{id: d, title: {zh: 文, en: D}, verified: true}]\n\
             items: [{id: a, type: yes_no, prompt: {zh: 甲, en: A}}]\n\
             rules: [{id: r, level: ordinary, basis: {document: d, clause: \"1\"}, \
             title: {zh: 甲, en: A}, when: {item: a, is: false}}]\n",
        )
        .unwrap();
        // A link back to the folder itself: walking must end, and the file
        // it leads to again must not count twice.
        #[cfg(unix)]
        std::os::unix::fs::symlink(&dir, dir.join("sub/loop")).unwrap();
        let mut loader = Loader::new(Limits::default());
        loader.add_path(&file);
        loader.add_path(&dir);
        loader.add_path(&dir.join("./r.yaml"));
        let out = loader.load();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
        let library = out.library.unwrap();
        assert_eq!(library.versions("twice").len(), 1);
    }

    #[test]
    fn resolves_includes() {
        assert_eq!(
            resolve("rulesets/a/x.yaml", "../shared/m.yaml"),
            "rulesets/shared/m.yaml"
        );
        assert_eq!(
            resolve("builtin:rulesets/a/x.yaml", "../shared/m.yaml"),
            "builtin:rulesets/shared/m.yaml"
        );
        assert_eq!(resolve("x.yaml", "m.yaml"), "m.yaml");
        assert_eq!(normalize("./a//b/../c"), "a/c");
        assert_eq!(normalize("../a"), "../a");
    }

    #[test]
    fn paths_are_judged_within_a_folder() {
        assert!(within("rulesets/shared/m.yaml", "rulesets"));
        assert!(within("rulesets/m.yaml", "."));
        assert!(within("../x/m.yaml", ".."));
        assert!(within("/srv/r/m.yaml", "/srv"));
        assert!(!within("../m.yaml", "."));
        assert!(!within("../../m.yaml", ".."));
        assert!(!within("other/m.yaml", "rulesets"));
        assert!(!within("rulesets", "rulesets"));
        assert!(!within("/srv/m.yaml", "srv"));
        // A folder above the current one holds what is in the current one;
        // going up and down again lands inside only under the right name.
        assert!(within("m.yaml", ".."));
        assert!(within("a/m.yaml", "../.."));
        let here = std::env::current_dir().expect("current folder");
        let name = here.file_name().expect("a named folder").to_string_lossy();
        assert!(within(&format!("../{name}/m.yaml"), "."));
        assert!(within(
            "../m.yaml",
            &format!(
                "../../{}",
                here.parent()
                    .and_then(|p| p.file_name())
                    .expect("parent")
                    .to_string_lossy()
            )
        ));
        assert!(!within("../m.yaml", &format!("../{name}")));
        assert!(!within(&format!("../{name}-not/m.yaml"), "."));
    }

    const HEAD: &str =
        "ruleset: inc\ntitle: {zh: 包含, en: Include}\neffective: {from: 2024-01-01}\n";

    fn include_errors(loader: Loader) -> Vec<String> {
        loader
            .load()
            .diagnostics
            .into_iter()
            .filter(|d| d.code == Code::InvalidInclude)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn includes_from_memory_stay_in_memory() {
        let mut loader = Loader::new(Limits::default());
        loader.add_memory(
            "mem/r.yaml",
            &format!(
                "{HEAD}include:\n  - {{path: /etc/passwd}}\n  - {{path: ../../../../etc/hostname}}\n  - {{path: 'C:/x.yaml'}}\n  - {{path: ../Cargo.yaml}}\n"
            ),
        );
        assert_eq!(
            include_errors(loader),
            [
                "include path `/etc/passwd` is absolute; includes are relative to the including file",
                "include path `../../../../etc/hostname` does not name a .yaml or .yml file",
                "include path `C:/x.yaml` is absolute; includes are relative to the including file",
                "`../Cargo.yaml` is not among the files given to the loader; a ruleset given from memory includes only files given from memory",
            ]
        );
    }

    #[test]
    fn includes_from_disk_stay_under_the_parent_folder() {
        let dir = std::env::temp_dir().join(format!("hazcheck-inc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("top/set/v")).unwrap();
        std::fs::create_dir_all(dir.join("top/shared")).unwrap();
        let module =
            "module: m\nitems:\n  - {id: m.ok, type: yes_no, prompt: {zh: 是否, en: OK?}}\n";
        std::fs::write(dir.join("top/shared/m.yaml"), module).unwrap();
        std::fs::write(dir.join("outside.yaml"), module).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("outside.yaml"), dir.join("top/set/link.yaml"))
            .unwrap();
        std::fs::write(
            dir.join("top/set/v/r.yaml"),
            format!(
                "{HEAD}include:\n  - {{path: ../../shared/m.yaml}}\n  - {{path: ../../../outside.yaml}}\n  - {{path: ../../../nowhere.yaml}}\n  - {{path: ../link.yaml}}\n"
            ),
        )
        .unwrap();
        // Given as a folder, `top/set`: includes stay under `top`.
        let mut loader = Loader::new(Limits::default());
        loader.add_path(&dir.join("top/set"));
        let errors = include_errors(loader);
        let shown = normalize(&dir.join("top").to_string_lossy());
        let mut expected = vec![
            format!(
                "include path `../../../outside.yaml` leads outside `{shown}`, the folder includes must stay in"
            ),
            format!(
                "include path `../../../nowhere.yaml` leads outside `{shown}`, the folder includes must stay in"
            ),
        ];
        if cfg!(unix) {
            expected.push(format!(
                "include path `../link.yaml` leads outside `{shown}`, the folder includes must stay in"
            ));
        }
        assert_eq!(errors, expected);
        // Given as a file, the parent of its folder is `top/set`: the
        // shared module is out of reach too.
        let mut loader = Loader::new(Limits::default());
        loader.add_path(&dir.join("top/set/v/r.yaml"));
        let errors = include_errors(loader);
        assert!(
            errors[0].starts_with("include path `../../shared/m.yaml` leads outside"),
            "{errors:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn devices_and_folders_are_not_read() {
        let mut loader = Loader::new(Limits::default());
        loader.add_path(Path::new("/dev/zero"));
        loader.add_path(Path::new("/dev/null"));
        let outcome = loader.load();
        assert_eq!(outcome.diagnostics.len(), 2);
        for d in &outcome.diagnostics {
            assert_eq!(d.code, Code::Io);
            assert!(
                d.message
                    .ends_with("not a regular file (rulesets and modules are read from files)"),
                "{}",
                d.message
            );
        }
    }
}
