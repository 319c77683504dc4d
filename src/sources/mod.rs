//! Data sources: exporter scraping (the embedded default) and, later, the
//! Prometheus / Alertmanager HTTP APIs. Each source turns what it reads into
//! domain values; the collector sends one message per refresh.

pub mod all_smi;
pub mod amd;
pub mod collector;
pub mod custom_json;
pub mod dcgm;
pub mod detect;
pub mod dialect;
pub mod exposition;
pub mod exposition_parse;
pub mod gpu_table;
pub mod http;
pub mod node_exporter;
pub mod nvidia_gpu_exporter;
pub mod plain_http;
pub mod prom_api;
pub mod query;
pub mod topology;

pub use collector::{Collector, FleetSource, RefreshRound, Target};
pub use dialect::{Dialect, ExpositionDialect};
pub use http::{ScrapeError, ScrapeLimits};
