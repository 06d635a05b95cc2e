//! The rulesets shipped with hazcheck, embedded at build time.
//!
//! Every file under the workspace's `rulesets/` folder is compiled into the
//! library, named `builtin:rulesets/...`, so `hazcheck eval --ruleset
//! construction` works from any folder and apps can use the shipped
//! rulesets without files on disk.

use crate::limits::Limits;
use crate::load::{LoadOutcome, Loader};

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// Whether a shipped file is a ruleset or module (and not a test case or a
/// sample inspection).
fn is_ruleset_file(path: &str) -> bool {
    !path.split('/').any(|p| p == "tests" || p == "examples")
}

/// The shipped files as (name, text), names prefixed with `builtin:`.
pub fn files() -> impl Iterator<Item = (String, &'static str)> {
    FILES.iter().map(|(p, t)| (format!("builtin:{p}"), *t))
}

/// A shipped file by its path relative to the workspace, such as
/// `rulesets/construction/examples/clean.yaml`.
pub fn file(path: &str) -> Option<&'static str> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// Loads every shipped ruleset.
///
/// The shipped rulesets are checked by CI, so the outcome holds a library;
/// an app still checks for it rather than unwrapping.
///
/// ```
/// use hazcheck::Limits;
///
/// let library = hazcheck::builtin::load(Limits::default())
///     .library
///     .ok_or("the built-in rulesets have errors")?;
/// for id in library.ids() {
///     for version in library.versions(id) {
///         let info = version.info();
///         println!("{id} {} from {}", info.version, info.effective_from);
///     }
/// }
/// assert!(library.ids().any(|id| id == "forest-fire"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(limits: Limits) -> LoadOutcome {
    let mut loader = Loader::new(limits);
    for (name, text) in files() {
        if is_ruleset_file(&name) {
            loader.add_memory(&name, text);
        }
    }
    loader.load()
}
