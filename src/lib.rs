//! aami-tui: a terminal cockpit for GPU clusters without Kubernetes.
//!
//! Data flows one way: collector tasks (`sources`) → channel → one [`app::App`]
//! state → pure `ui::render` functions. The domain (`domain`, `xid`) knows
//! nothing about terminals or networks.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod sim;
pub mod sources;
pub mod ssh;
pub mod terminal;
pub mod text;
pub mod ui;
pub mod xid;
