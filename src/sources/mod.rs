//! Data sources: exporter scraping (the embedded default) and, later, the
//! Prometheus / Alertmanager HTTP APIs. Each source turns what it reads into
//! domain values; the collector sends one message per refresh.

pub mod collector;
pub mod dcgm;
pub mod exposition;
pub mod http;
pub mod node_exporter;

pub use collector::{Collector, CollectorEvent, Target};
pub use http::{ScrapeError, ScrapeLimits};
