//! Alerts at the edges: the preset library (embedded files plus the user's
//! directory), and the CLI and network pieces built on the rule model in
//! [`crate::domain::rules`].

pub mod alertmanager;
pub mod email;
pub mod library;
pub mod notify;
