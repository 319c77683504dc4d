//! The configuration file: AAMI's `config.yaml` shape, extended.
//!
//! Loading expands `${VAR}` from the environment inside each parsed string
//! value (see [`env_de`]); writing never does (see [`write`]), so secrets
//! stay out of the file.

pub mod env;
pub mod env_de;
pub mod error;
pub mod file_mode;
pub mod hosts;
pub mod load;
pub mod locate;
pub mod model;
pub mod starter;
pub mod theme_file;
pub mod themes;
pub mod write;

pub use error::ConfigError;
pub use load::{load_file, parse_str};
pub use locate::{ConfigSource, locate};
pub use model::*;
