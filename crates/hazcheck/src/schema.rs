//! JSON Schemas (draft-07) of the three documents hazcheck reads and
//! writes: rulesets, inspections and reports.
//!
//! The schemas are derived from the same Rust types the decoder fills and
//! the serializer writes, so they cannot drift from the code. Draft-07 is
//! what the YAML language server in common editors understands, which gives
//! rule authors completion and checking as they type.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::inspection::Inspection;
use crate::model::RulesetFile;
use crate::report::Report;

/// Which schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// A ruleset or module file.
    Ruleset,
    /// An inspection.
    Inspection,
    /// A report.
    Report,
}

/// The draft-07 schema of a document kind, as JSON.
///
/// ```
/// use hazcheck::schema::{SchemaKind, schema};
///
/// let report = schema(SchemaKind::Report);
/// assert_eq!(report["$schema"], "http://json-schema.org/draft-07/schema#");
/// let required = report["required"].as_array().ok_or("no required list")?;
/// assert!(required.iter().any(|k| k == "verdict"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn schema(kind: SchemaKind) -> serde_json::Value {
    fn of<T: JsonSchema>(title: &str, id: &str) -> serde_json::Value {
        let generator = SchemaSettings::draft07().into_generator();
        let schema = generator.into_root_schema_for::<T>();
        let mut v = serde_json::to_value(&schema).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("title".into(), title.into());
            obj.insert("$id".into(), id.into());
        }
        v
    }
    match kind {
        SchemaKind::Ruleset => of::<RulesetFile>(
            "hazcheck ruleset",
            "https://example.invalid/hazcheck/schema/ruleset.schema.json",
        ),
        SchemaKind::Inspection => of::<Inspection>(
            "hazcheck inspection",
            "https://example.invalid/hazcheck/schema/inspection.schema.json",
        ),
        SchemaKind::Report => of::<Report>(
            "hazcheck report",
            "https://example.invalid/hazcheck/schema/report.schema.json",
        ),
    }
}

/// The schema as pretty JSON text with a trailing newline, as checked in
/// under `docs/schema/`.
pub fn schema_text(kind: SchemaKind) -> String {
    let mut s = serde_json::to_string_pretty(&schema(kind)).unwrap_or_default();
    s.push('\n');
    s
}
