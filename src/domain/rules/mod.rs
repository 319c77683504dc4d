//! Alert rules: one structured rule set (the presets) that the in-process
//! engine evaluates on every refresh and that renders to Prometheus rule
//! files. Plain Rust: no I/O, no clock reads.

pub mod engine;
pub mod metric;
pub mod model;
pub mod parse;
pub mod promql;

pub use engine::{Phase, RuleAlert, RuleEngine};
pub use metric::{Naming, Scope};
pub use model::{Condition, Preset, Rule};
pub use parse::{PresetError, parse_preset};
