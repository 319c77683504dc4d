//! Topology captures: parsed into the domain model, cached in the state
//! directory with their capture time, and read back at start.

use std::path::{Path, PathBuf};

use crate::domain::topology::NodeTopology;
use crate::sources::topology::{
    TopologyError, parse_nvlink_errors, parse_nvlink_status, parse_topo_matrix, split_capture,
};

/// What the SSH job runs, a fixed text: the three outputs, split by the
/// separator lines.
pub const COMMAND: &str = "nvidia-smi topo -m 2>&1; echo '==== nvlink'; nvidia-smi nvlink --status 2>&1; echo '==== nvlink errors'; nvidia-smi nvlink -e 2>&1";

/// Parses a capture; what does not parse is said, not hidden.
pub fn parse(text: &str, captured: &str, source: &str) -> NodeTopology {
    let parts = split_capture(text);
    let mut problems = Vec::new();
    let matrix = match parse_topo_matrix(parts.topo) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push(format!("topo -m: {e}"));
            None
        }
    };
    let nvlink = match parts.status.map(parse_nvlink_status) {
        Some(Ok(s)) => Some(s),
        // No NVLink on PCIe-only boxes: not a problem.
        Some(Err(TopologyError::NoNvLink)) | None => None,
        Some(Err(e)) => {
            problems.push(format!("nvlink --status: {e}"));
            None
        }
    };
    let nvlink_errors = match parts.errors.map(parse_nvlink_errors) {
        Some(Ok(s)) => Some(s),
        Some(Err(TopologyError::NoNvLinkErrors)) | None => None,
        Some(Err(e)) => {
            problems.push(format!("nvlink -e: {e}"));
            None
        }
    };
    NodeTopology {
        matrix,
        nvlink,
        nvlink_errors,
        captured: captured.to_string(),
        captured_unix: crate::domain::topology::parse_utc_stamp(captured),
        source: source.to_string(),
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}

/// `<state>/topology/<node>.txt`; node names are checked (letters,
/// digits, `-_.`) so a name cannot point outside the directory.
pub fn cache_path(state_dir: &Path, node: &str) -> Option<PathBuf> {
    let safe = !node.is_empty()
        && !node.starts_with('.')
        && node
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    safe.then(|| state_dir.join("topology").join(format!("{node}.txt")))
}

/// The first line of a cache file says when it was captured.
const STAMP: &str = "# captured ";

pub fn write_cache(path: &Path, captured: &str, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("txt.tmp");
    std::fs::write(&tmp, format!("{STAMP}{captured}\n{text}"))?;
    std::fs::rename(&tmp, path)
}

/// (captured, text) from a cache file.
pub fn read_cache(path: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let (first, rest) = text.split_once('\n')?;
    let captured = first.strip_prefix(STAMP)?.to_string();
    Some((captured, rest.to_string()))
}

/// Now, as UTC `YYYY-MM-DD HH:MM:SS UTC` (for the pane's "captured" line).
pub fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    crate::domain::topology::format_utc_stamp(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_cannot_escape() {
        let d = Path::new("/state");
        assert!(cache_path(d, "gpu-node-01").is_some());
        assert!(cache_path(d, "../etc/passwd").is_none());
        assert!(cache_path(d, "a/b").is_none());
        assert!(cache_path(d, ".hidden").is_none());
    }

    #[test]
    fn cache_round_trips() {
        let dir = std::env::temp_dir().join(format!("aami-topo-{}", std::process::id()));
        let p = cache_path(&dir, "n1").expect("path");
        write_cache(&p, "2026-11-30 21:00:00 UTC", "GPU0 X\n").expect("write");
        assert_eq!(
            read_cache(&p),
            Some(("2026-11-30 21:00:00 UTC".into(), "GPU0 X\n".into()))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_date_is_a_date() {
        let t = now_text();
        assert_eq!(t.len(), 23, "{t}");
        assert!(t.starts_with("20") && t.ends_with(" UTC"), "{t}");
        // And reads back as the time it was written.
        let back = crate::domain::topology::parse_utc_stamp(&t).expect("a stamp");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        assert!((now - back).abs() <= 2, "{t} {back} {now}");
    }
}
