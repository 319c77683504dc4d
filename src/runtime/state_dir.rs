//! Where the TUI keeps what it produces at run time: job output.

use std::path::PathBuf;

/// `$AAMI_STATE_DIR`, else the platform's state (or local data) directory
/// for aami.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("AAMI_STATE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "aami").map(|d| {
        d.state_dir()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| d.data_local_dir().to_path_buf())
    })
}
