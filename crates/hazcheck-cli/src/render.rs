//! Rendering of diagnostics.
