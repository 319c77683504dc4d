//! The fleet domain: nodes, GPUs, host figures, alerts, history.
//! Plain Rust: no terminal, no network, no clock reads (callers pass `now`).

pub mod alert;
pub mod fleet;
pub mod gpu;
pub mod health;
pub mod heat;
pub mod history;
pub mod host;
pub mod host_key;
pub mod pci;
pub mod rules;
pub mod severity;
pub mod throttle;
pub mod topology;

pub use alert::LocalAlert;
pub use fleet::{Fleet, NodeId, NodeSpec, NodeState, NodeStatus, ScrapeOutcome};
pub use gpu::{GpuSample, MigInstance, Workload};
pub use history::PercentRing;
pub use host::HostSample;
pub use severity::Severity;
