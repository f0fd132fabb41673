//! Typed specs: one module per kind holds the shape of its spec as a serde struct. The planner
//! still compares specs as JSON (so saved plans and the generic diff stay as they are), but a
//! spec is built from its struct by the lowering and by the AWS reader, and read through it by
//! the AWS writer and by import: a missing or mistyped setting is an error, never a silent
//! default.
//!
//! Kinds on typed specs so far: [`trail`], [`bucket`]. The others still build their JSON by
//! hand (issue "One home per resource kind").

pub mod bucket;
pub mod trail;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::resource::Kind;

/// A kind's typed spec.
pub trait Spec: Serialize + DeserializeOwned {
    /// The kind whose spec this is.
    const KIND: Kind;

    /// The spec as the planner compares it and a saved plan holds it.
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The typed spec of a JSON spec (a saved plan's, or one the planner resolved).
    ///
    /// # Errors
    /// A [`SpecError`] naming the kind and what does not fit.
    fn from_value(spec: &Value) -> Result<Self, SpecError> {
        Self::deserialize(spec).map_err(|e| SpecError { kind: Self::KIND, message: e.to_string() })
    }
}

/// A JSON spec that does not have its kind's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} spec does not have the shape groundwork writes: {message}")]
pub struct SpecError {
    /// The kind.
    pub kind: Kind,
    /// What serde says.
    pub message: String,
}
