//! Which config file is used: `--config`, `$AAMI_CONFIG`,
//! `/etc/aami/config.yaml`, then the user's config directory.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    System,
    User,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Flag => "--config",
            Origin::Env => "$AAMI_CONFIG",
            Origin::System => "system file",
            Origin::User => "user config directory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub origin: Origin,
    pub exists: bool,
}

pub const SYSTEM_PATH: &str = "/etc/aami/config.yaml";

/// The user's config directory for aami (e.g. `~/.config/aami`).
pub fn user_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "aami").map(|d| d.config_dir().to_path_buf())
}

/// Resolves the config file from the process's flag and environment.
pub fn locate(flag: Option<&Path>) -> ConfigSource {
    locate_with(
        flag,
        std::env::var_os("AAMI_CONFIG").map(PathBuf::from),
        Path::new(SYSTEM_PATH),
        user_dir().map(|d| d.join("config.yaml")),
    )
}

/// The lookup itself, with every input explicit for tests.
///
/// An explicit choice (flag or variable) wins even when the file does not
/// exist yet, so `nodes add` creates it there. Otherwise the first existing
/// file of system and user wins, and a missing one means the user file.
pub fn locate_with(
    flag: Option<&Path>,
    env: Option<PathBuf>,
    system: &Path,
    user: Option<PathBuf>,
) -> ConfigSource {
    let make = |path: PathBuf, origin| ConfigSource {
        exists: path.exists(),
        path,
        origin,
    };
    if let Some(p) = flag {
        return make(p.to_path_buf(), Origin::Flag);
    }
    if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        return make(p, Origin::Env);
    }
    if system.exists() {
        return make(system.to_path_buf(), Origin::System);
    }
    let user = user.unwrap_or_else(|| PathBuf::from("config.yaml"));
    make(user, Origin::User)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order() {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("sys.yaml");
        let user = dir.path().join("user.yaml");
        let flag = dir.path().join("flag.yaml");
        let env = dir.path().join("env.yaml");
        assert_eq!(
            locate_with(Some(&flag), Some(env.clone()), &sys, Some(user.clone())).origin,
            Origin::Flag
        );
        assert_eq!(
            locate_with(None, Some(env.clone()), &sys, Some(user.clone())).origin,
            Origin::Env
        );
        assert_eq!(
            locate_with(None, None, &sys, Some(user.clone())).origin,
            Origin::User
        );
        std::fs::write(&sys, "").unwrap();
        assert_eq!(locate_with(None, None, &sys, Some(user.clone())).path, sys);
    }
}
