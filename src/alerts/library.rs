//! The preset library: the presets embedded from `presets/*.yaml`, plus
//! `<config dir>/presets/*.yaml`, where a file adds a preset or replaces the
//! built-in one of the same name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::domain::Severity;
use crate::domain::rules::{Preset, PresetError, parse_preset};
use crate::xid::Catalogue;

/// The built-in preset files, in the order `list-presets` shows them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("gpu-basic", include_str!("../../presets/gpu-basic.yaml")),
    (
        "gpu-production",
        include_str!("../../presets/gpu-production.yaml"),
    ),
    ("xid", include_str!("../../presets/xid.yaml")),
    (
        "hardware-health",
        include_str!("../../presets/hardware-health.yaml"),
    ),
    ("nvlink", include_str!("../../presets/nvlink.yaml")),
    ("node", include_str!("../../presets/node.yaml")),
];

/// The user directory's name inside the config directory.
pub const USER_DIR: &str = "presets";

/// Why the library could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Preset(#[from] PresetError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{file}: the preset is named '{name}' but the file is '{stem}.yaml': name the file after the preset"
    )]
    NameMismatch {
        file: String,
        name: String,
        stem: String,
    },
    #[error("unknown preset '{name}' (known: {known})")]
    Unknown { name: String, known: String },
}

/// Every preset by name, and where each came from.
#[derive(Debug, Clone, Default)]
pub struct Library {
    presets: BTreeMap<String, Preset>,
    order: Vec<String>,
}

/// The Xid codes of one severity, from the catalogue, leaving out codes
/// NVIDIA lists as unused on current GPUs.
pub fn xid_tier(cat: &Catalogue, severity: Severity) -> Vec<u32> {
    cat.iter()
        .filter(|e| e.severity == severity && !e.unused)
        .map(|e| e.code)
        .collect()
}

impl Library {
    /// The built-in presets, with the Xid tiers from `cat`.
    pub fn builtin(cat: &Catalogue) -> Result<Self, LibraryError> {
        let mut lib = Library::default();
        for (name, text) in BUILTIN {
            let file = format!("<built-in>/presets/{name}.yaml");
            lib.insert(
                parse_preset(text, &file, &|s| xid_tier(cat, s))?,
                name,
                &file,
            )?;
        }
        Ok(lib)
    }

    /// The built-in presets plus `<dir>/presets/*.yaml` when it exists.
    pub fn load(config_dir: Option<&Path>, cat: &Catalogue) -> Result<Self, LibraryError> {
        let mut lib = Self::builtin(cat)?;
        if let Some(dir) = config_dir {
            lib.add_dir(&dir.join(USER_DIR), cat)?;
        }
        Ok(lib)
    }

    /// Adds or replaces presets from every `*.yaml` in `dir`.
    pub fn add_dir(&mut self, dir: &Path, cat: &Catalogue) -> Result<(), LibraryError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(LibraryError::Io {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| LibraryError::Io {
                path: path.clone(),
                source,
            })?;
            let file = path.display().to_string();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let preset = parse_preset(&text, &file, &|s| xid_tier(cat, s))?;
            self.insert(preset, &stem, &file)?;
        }
        Ok(())
    }

    fn insert(&mut self, preset: Preset, stem: &str, file: &str) -> Result<(), LibraryError> {
        if preset.name != stem {
            return Err(LibraryError::NameMismatch {
                file: file.to_string(),
                name: preset.name,
                stem: stem.to_string(),
            });
        }
        if !self.order.contains(&preset.name) {
            self.order.push(preset.name.clone());
        }
        self.presets.insert(preset.name.clone(), preset);
        Ok(())
    }

    /// Presets in listing order (built-in first, then the user's).
    pub fn iter(&self) -> impl Iterator<Item = &Preset> {
        self.order.iter().filter_map(|n| self.presets.get(n))
    }

    pub fn get(&self, name: &str) -> Result<&Preset, LibraryError> {
        self.presets.get(name).ok_or_else(|| LibraryError::Unknown {
            name: name.to_string(),
            known: self.order.join(", "),
        })
    }

    /// The named presets, in the order given; each name once.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Preset>, LibraryError> {
        let mut out: Vec<&Preset> = Vec::new();
        for n in names {
            let p = self.get(n)?;
            if !out.iter().any(|q| q.name == p.name) {
                out.push(p);
            }
        }
        Ok(out)
    }
}

/// The rules of the presets a config names (`alerts.presets`), with the
/// user's preset directory and Xid catalogue applied.
pub fn configured_rules(
    config: &crate::config::Config,
    config_dir: Option<&Path>,
    cat: &Catalogue,
) -> Result<Vec<crate::domain::rules::Rule>, LibraryError> {
    if config.alerts.presets.is_empty() {
        return Ok(Vec::new());
    }
    let lib = Library::load(config_dir, cat)?;
    Ok(lib
        .select(&config.alerts.presets)?
        .into_iter()
        .flat_map(|p| p.rules.iter().cloned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_preset_parses() {
        let lib = Library::builtin(Catalogue::builtin()).expect("built-in presets parse");
        let names: Vec<&str> = lib.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "gpu-basic",
                "gpu-production",
                "xid",
                "hardware-health",
                "nvlink",
                "node"
            ]
        );
        let prod = lib.get("gpu-production").expect("there");
        assert_eq!(prod.rules.len(), 8, "AAMI's eight");
    }

    #[test]
    fn xid_tiers_come_from_the_catalogue() {
        let cat = Catalogue::builtin();
        let lib = Library::builtin(cat).expect("parse");
        let xid = lib.get("xid").expect("there");
        let crit = &xid.rules[0].conditions[0].test;
        let want: Vec<f64> = xid_tier(cat, Severity::Critical)
            .into_iter()
            .map(f64::from)
            .collect();
        assert_eq!(
            crit,
            &crate::domain::rules::model::Test::OneOf(want.clone())
        );
        // The public set's critical tier is in ours.
        for code in [48.0, 62.0, 64.0, 74.0, 79.0, 95.0, 119.0, 120.0] {
            assert!(want.contains(&code), "{code}");
        }
        let warn = &xid.rules[1].conditions[0].test;
        let crate::domain::rules::model::Test::OneOf(w) = warn else {
            panic!("tier")
        };
        assert!(w.contains(&94.0));
    }

    #[test]
    fn user_file_overrides_by_name_and_refuses_a_bad_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join(USER_DIR);
        std::fs::create_dir_all(&p).expect("mkdir");
        let mine = BUILTIN[0].1.replace("value: 85", "value: 80");
        std::fs::write(p.join("gpu-basic.yaml"), &mine).expect("write");
        std::fs::write(
            p.join("mine.yaml"),
            mine.replace("name: gpu-basic", "name: mine"),
        )
        .expect("write");
        let lib = Library::load(Some(dir.path()), Catalogue::builtin()).expect("load");
        assert!(
            lib.get("gpu-basic")
                .expect("there")
                .source
                .ends_with("presets/gpu-basic.yaml")
        );
        assert!(
            !lib.get("gpu-basic")
                .expect("there")
                .source
                .starts_with("<built-in>")
        );
        assert!(lib.get("mine").is_ok());
        std::fs::write(
            p.join("bad.yaml"),
            mine.replace("name: gpu-basic", "name: bad")
                .replace("for: 5m", "for: soon"),
        )
        .expect("write");
        let e = Library::load(Some(dir.path()), Catalogue::builtin()).expect_err("refused");
        let text = e.to_string();
        assert!(
            text.contains("bad.yaml")
                && text.contains("rule GpuTooHot")
                && text.contains("field `for`"),
            "{text}"
        );
    }
}
