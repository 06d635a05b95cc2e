//! The shipped rulesets, one version at a time.
//!
//! Each version file is loaded on its own (with the shared modules it may
//! include) so that a version being edited, and failing to load, does not
//! take the others down with it. Used by the build script through
//! `#[path]`, so it needs nothing but hazcheck and std.

use hazcheck::{Library, Limits, Loader};

/// One shipped version file.
pub struct Shipped {
    /// Its name, such as `builtin:rulesets/construction/2024.yaml`.
    pub name: String,
    /// Its text.
    pub text: &'static str,
}

/// Every shipped ruleset version file (not modules, tests or examples),
/// sorted by name.
pub fn files() -> Vec<Shipped> {
    let mut out: Vec<Shipped> = hazcheck::builtin::files()
        .filter(|(name, _)| {
            let parts: Vec<&str> = name.split('/').collect();
            parts.len() == 3 && parts[1] != "shared" && name.ends_with(".yaml")
        })
        .map(|(name, text)| Shipped { name, text })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Loads and compiles one version file. The shared modules are provided
/// from memory, as the built-in loader does.
pub fn load(file: &Shipped) -> Result<Library, String> {
    let mut loader = Loader::new(Limits::default());
    for (name, text) in hazcheck::builtin::files() {
        if name.starts_with("builtin:rulesets/shared/") {
            loader.provide_memory(&name, text);
        }
    }
    loader.add_memory(&file.name, file.text);
    let out = loader.load();
    let errors = out.diagnostics.iter().filter(|d| d.is_error()).count();
    out.library
        .ok_or_else(|| format!("{}: {errors} error(s)", file.name))
}
