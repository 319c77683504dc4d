//! aami-tui: a terminal cockpit for GPU clusters without Kubernetes.
//!
//! Data flows one way: collector and job tasks (`sources`, `ssh`, run by
//! `runtime`) → channel → one [`app::App`] state → pure `ui::render`
//! functions. The domain (`domain`, `xid`) knows nothing about terminals or
//! networks; `app` does no I/O and knows nothing of `ui`.

pub mod alerts;
pub mod app;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod domain;
pub mod install;
pub mod onboard;
pub mod runtime;
pub mod sim;
pub mod sources;
pub mod ssh;
pub mod stack;
pub mod terminal;
pub mod text;
pub mod ui;
pub mod xid;
