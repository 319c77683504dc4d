//! The air-gap bundle: one tar file carrying exporter binaries and a
//! manifest (name, version, os/arch, size, sha256 of each). Everything a
//! node gets comes from a bundle whose every file matched its manifest, so
//! nothing is fetched from the internet and a damaged copy is refused,
//! naming the file that fails.
//!
//! Layout: `manifest.json` first, then `components/NAME/VERSION/NAME`.

mod elf;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "manifest.json";
const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: String,
    pub version: String,
    /// `linux`, or `any` for a script.
    pub os: String,
    /// `x86_64`, `aarch64`, …, or `any` for a script.
    pub arch: String,
    /// The file's path inside the bundle.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    /// The newest entry named `name`, or the one with `version`.
    pub fn find(&self, name: &str, version: Option<&str>) -> Option<&Component> {
        self.components
            .iter()
            .filter(|c| c.name == name && version.is_none_or(|v| c.version == v))
            .max_by(|a, b| version_order(&a.version, &b.version))
    }
}

/// Compares dotted versions numerically where both parts are numbers.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<String> { s.split(['.', '-', '+']).map(str::to_string).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if o.is_ne() {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0}")]
    Spec(String),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    /// The bundle does not match its manifest, or is cut short.
    #[error("bundle {bundle}: {file}: {reason}")]
    Corrupt {
        bundle: String,
        file: String,
        reason: String,
    },
}

/// One `--component NAME=PATH[@VERSION]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSpec {
    pub name: String,
    pub path: PathBuf,
    pub version: Option<String>,
}

impl std::str::FromStr for ComponentSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, rest) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not NAME=PATH[@VERSION]"))?;
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) => (p, Some(v.to_string())),
            None => (rest, None),
        };
        crate::ssh::validate_name("component name", name).map_err(|e| e.to_string())?;
        if let Some(v) = &version {
            crate::ssh::validate_name("version", v).map_err(|e| e.to_string())?;
        }
        if path.is_empty() {
            return Err(format!("{s:?} has no PATH"));
        }
        Ok(Self {
            name: name.to_string(),
            path: PathBuf::from(path),
            version,
        })
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

/// Packs `specs` into `output` (written to a temp file, then renamed).
pub fn create(output: &Path, specs: &[ComponentSpec]) -> Result<Manifest, BundleError> {
    let mut components = Vec::new();
    let mut files = Vec::new();
    for spec in specs {
        let bytes = std::fs::read(&spec.path).map_err(|e| BundleError::Read {
            path: spec.path.display().to_string(),
            reason: e.to_string(),
        })?;
        let version = match &spec.version {
            Some(v) => v.clone(),
            None => probe_version(&spec.path).ok_or_else(|| {
                BundleError::Spec(format!(
                    "cannot tell the version of {}: give it as {}={}@VERSION",
                    spec.path.display(),
                    spec.name,
                    spec.path.display()
                ))
            })?,
        };
        crate::ssh::validate_name("version", &version)
            .map_err(|e| BundleError::Spec(e.to_string()))?;
        if components
            .iter()
            .any(|c: &Component| c.name == spec.name && c.version == version)
        {
            return Err(BundleError::Spec(format!(
                "{} {version} is given twice",
                spec.name
            )));
        }
        let (os, arch) = elf::platform(&bytes);
        components.push(Component {
            path: format!("components/{}/{version}/{}", spec.name, spec.name),
            name: spec.name.clone(),
            version,
            os,
            arch,
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        });
        files.push(bytes);
    }
    let manifest = Manifest {
        format: FORMAT,
        components,
    };
    let write_err = |e: std::io::Error| BundleError::Write {
        path: output.display().to_string(),
        reason: e.to_string(),
    };
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir).map_err(write_err)?;
    {
        let mut tar = tar::Builder::new(&mut tmp.1);
        let json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| BundleError::Spec(e.to_string()))?;
        append(&mut tar, MANIFEST, &json, 0o644).map_err(write_err)?;
        for (c, bytes) in manifest.components.iter().zip(&files) {
            append(&mut tar, &c.path, bytes, 0o755).map_err(write_err)?;
        }
        tar.finish().map_err(write_err)?;
    }
    tmp.1.flush().map_err(write_err)?;
    tmp.1.sync_all().map_err(write_err)?;
    std::fs::rename(&tmp.0, output).map_err(write_err)?;
    Ok(manifest)
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    for i in 0..100u32 {
        let p = dir.join(format!(".aami-bundle.{}.{i}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temp file name"))
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    bytes: &[u8],
    mode: u32,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, path, bytes)
}

/// `PATH --version`'s first dotted number (node_exporter prints
/// `node_exporter, version 1.5.0 (…)`). Runs a local file the operator
/// named, never anything from a node.
fn probe_version(path: &Path) -> Option<String> {
    let out = std::process::Command::new(path)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() >= 2 && parts.iter().all(|p| !p.is_empty())
        })
        .map(str::to_string)
}

/// A bundle whose every file matched its manifest, held in memory.
pub struct Bundle {
    pub manifest: Manifest,
    files: Vec<(String, Vec<u8>)>,
}

impl Bundle {
    /// The bytes of `component`.
    pub fn bytes(&self, component: &Component) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(p, _)| *p == component.path)
            .map(|(_, b)| b.as_slice())
    }
}

/// Reads only the manifest (`bundle inspect`).
pub fn inspect(path: &Path) -> Result<Manifest, BundleError> {
    let corrupt = corrupt_at(path);
    let file = open(path)?;
    let mut archive = tar::Archive::new(file);
    let mut entries = archive
        .entries()
        .map_err(|e| corrupt(MANIFEST, e.to_string()))?;
    let mut first = entries
        .next()
        .ok_or_else(|| corrupt(MANIFEST, "the bundle is empty".into()))?
        .map_err(|e| corrupt(MANIFEST, e.to_string()))?;
    read_manifest(&mut first, &corrupt)
}

/// Checks every file against the manifest; the verified bundle.
pub fn open_verified(path: &Path) -> Result<Bundle, BundleError> {
    let corrupt = corrupt_at(path);
    let file = open(path)?;
    let mut archive = tar::Archive::new(file);
    let mut entries = archive
        .entries()
        .map_err(|e| corrupt(MANIFEST, e.to_string()))?;
    let mut first = entries
        .next()
        .ok_or_else(|| corrupt(MANIFEST, "the bundle is empty".into()))?
        .map_err(|e| corrupt(MANIFEST, e.to_string()))?;
    let manifest = read_manifest(&mut first, &corrupt)?;
    drop(first);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    // The entry being read when the archive ends early is the one named.
    let mut expected = manifest.components.iter().map(|c| c.path.clone());
    for entry in entries {
        let next = expected
            .next()
            .unwrap_or_else(|| "(past the last file)".into());
        let mut entry = entry.map_err(|e| corrupt(&next, format!("cut short or damaged: {e}")))?;
        let name = entry
            .path()
            .map(|p| p.display().to_string())
            .map_err(|e| corrupt(&next, e.to_string()))?;
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(&name, format!("cut short: {e}")))?;
        let Some(c) = manifest.components.iter().find(|c| c.path == name) else {
            return Err(corrupt(&name, "not in the manifest".into()));
        };
        if bytes.len() as u64 != c.size {
            let how = if (bytes.len() as u64) < c.size {
                "cut short: "
            } else {
                ""
            };
            return Err(corrupt(
                &name,
                format!("{how}{} bytes, the manifest says {}", bytes.len(), c.size),
            ));
        }
        let sum = sha256_hex(&bytes);
        if sum != c.sha256 {
            return Err(corrupt(
                &name,
                format!("sha256 {sum}, the manifest says {}", c.sha256),
            ));
        }
        files.push((name, bytes));
    }
    for c in &manifest.components {
        if !files.iter().any(|(p, _)| *p == c.path) {
            return Err(corrupt(
                &c.path,
                "missing (the bundle is cut short?)".into(),
            ));
        }
    }
    Ok(Bundle { manifest, files })
}

fn open(path: &Path) -> Result<std::fs::File, BundleError> {
    std::fs::File::open(path).map_err(|e| BundleError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn corrupt_at(path: &Path) -> impl Fn(&str, String) -> BundleError {
    let bundle = path.display().to_string();
    move |file: &str, reason: String| BundleError::Corrupt {
        bundle: bundle.clone(),
        file: crate::text::sanitize_max(file, 200),
        reason,
    }
}

fn read_manifest<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    corrupt: &impl Fn(&str, String) -> BundleError,
) -> Result<Manifest, BundleError> {
    let name = entry
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if name != MANIFEST {
        return Err(corrupt(
            MANIFEST,
            format!("the first file is {name:?}, not the manifest"),
        ));
    }
    let mut text = Vec::new();
    entry
        .read_to_end(&mut text)
        .map_err(|e| corrupt(MANIFEST, format!("cut short: {e}")))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| corrupt(MANIFEST, e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(corrupt(
            MANIFEST,
            format!("format {} is not {FORMAT}", manifest.format),
        ));
    }
    for c in &manifest.components {
        for (kind, v) in [("component name", &c.name), ("version", &c.version)] {
            crate::ssh::validate_name(kind, v).map_err(|e| corrupt(MANIFEST, e.to_string()))?;
        }
        if c.path != format!("components/{}/{}/{}", c.name, c.version, c.name) {
            return Err(corrupt(MANIFEST, format!("unexpected path {:?}", c.path)));
        }
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_versions() {
        let s: ComponentSpec = "node_exporter=/usr/bin/x@1.5.0".parse().expect("spec");
        assert_eq!(s.version.as_deref(), Some("1.5.0"));
        assert!("n;rm=/x".parse::<ComponentSpec>().is_err());
        assert!("n=/x@1;2".parse::<ComponentSpec>().is_err());
        assert!("n".parse::<ComponentSpec>().is_err());
        assert!(version_order("1.10.0", "1.9.2").is_gt());
        assert!(version_order("2", "2.0").is_lt());
    }
}
