//! Atomic, locked edits of the config file.
//!
//! Every edit is read–modify–write under an exclusive lock on
//! `config.yaml.lock`, so two writers never lose each other's edit. The new
//! text goes to a temp file in the same directory, is fsynced, and renamed
//! over the old one; the old version is kept as `config.yaml.bak` (a hard
//! link to the old inode, so it is never torn either). A writer killed at any
//! point leaves the old file or the new one.
//!
//! Edits are made on the text, not on a re-serialised value, so comments and
//! unexpanded `${VAR}`s survive. Each edit is checked by parsing the result.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, Located};
use super::file_mode;
use super::load;
use super::model::{Config, NodeConfig};

/// Test hook: milliseconds to pause after each step of a save (see
/// [`SaveStep`]), so a test can kill the writer mid-save. Unset in normal use.
pub const PAUSE_ENV: &str = "AAMI_TEST_SAVE_PAUSE_MS";

/// Test hook: a file each step of a save is appended to as it completes, so
/// a test can tell where a kill landed. Unset in normal use.
pub const STEPS_ENV: &str = "AAMI_TEST_SAVE_STEPS";

/// The points of a save the test hooks report, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveStep {
    /// Half of the new text is in the temp file.
    TempHalf,
    /// The whole temp file is written and fsynced; the rename comes next.
    TempSynced,
    /// The temp file was renamed over the config.
    Renamed,
}

impl SaveStep {
    pub fn name(self) -> &'static str {
        match self {
            SaveStep::TempHalf => "temp-half",
            SaveStep::TempSynced => "temp-synced",
            SaveStep::Renamed => "renamed",
        }
    }
}

/// Reports `step` to the test hooks; does nothing when they are unset.
fn test_hook(step: SaveStep) {
    if let Some(log) = std::env::var_os(STEPS_ENV)
        && let Ok(mut f) = OpenOptions::new().create(true).append(true).open(log)
    {
        let _ = writeln!(f, "{}", step.name());
    }
    if let Some(ms) = std::env::var(PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Holds the lock for the life of the value.
pub struct ConfigLock {
    _file: File,
}

pub fn lock_path(path: &Path) -> PathBuf {
    sibling(path, ".lock")
}

pub fn backup_path(path: &Path) -> PathBuf {
    sibling(path, ".bak")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Takes the exclusive lock (blocking).
pub fn lock(path: &Path) -> Result<ConfigLock, ConfigError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let lp = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lp)
        .map_err(|source| ConfigError::Write {
            path: lp.clone(),
            source,
        })?;
    file.lock()
        .map_err(|source| ConfigError::Write { path: lp, source })?;
    remove_stale_temp_files(path);
    Ok(ConfigLock { _file: file })
}

/// Temp files left by a writer that was killed mid-save. Only called with
/// the lock held, so no live writer owns one.
fn remove_stale_temp_files(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp.", name.to_string_lossy());
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Applies `edit` to the file's text under the lock and saves atomically.
/// `edit` gets the current text (empty when the file does not exist) and the
/// parsed config, and returns the new text.
pub fn edit_locked(
    path: &Path,
    edit: impl FnOnce(&str, &Config) -> Result<String, ConfigError>,
) -> Result<Config, ConfigError> {
    let _guard = lock(path)?;
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let current = load::parse_str(&text, path)?;
    let new_text = edit(&text, &current)?;
    let new_config = load::parse_str(&new_text, path)?;
    save_atomic(path, &new_text, new_config.holds_secret())?;
    Ok(new_config)
}

/// Writes `text` to `path` atomically; keeps the previous file as `.bak`.
pub fn save_atomic(path: &Path, text: &str, secret: bool) -> Result<(), ConfigError> {
    let werr = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ConfigError::Write { path: p, source }
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(werr(dir))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp.{}", std::process::id()));
    let existing_mode = existing_mode(path);
    let forced_mode = file_mode::for_new_file(existing_mode, secret);
    {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Owner-only while it is written whenever the final mode is forced.
            opts.mode(if forced_mode.is_some() {
                file_mode::SECRET_MODE
            } else {
                0o644
            });
        }
        let mut f = opts.open(&tmp).map_err(werr(&tmp))?;
        #[cfg(unix)]
        if forced_mode.is_some() {
            // An existing temp file keeps its old mode; tighten it before
            // any byte is written.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(file_mode::SECRET_MODE))
                .map_err(werr(&tmp))?;
        }
        let bytes = text.as_bytes();
        let half = bytes.len() / 2;
        f.write_all(&bytes[..half]).map_err(werr(&tmp))?;
        test_hook(SaveStep::TempHalf);
        f.write_all(&bytes[half..]).map_err(werr(&tmp))?;
        #[cfg(unix)]
        if let Some(mode) = forced_mode {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(werr(&tmp))?;
        }
        f.sync_all().map_err(werr(&tmp))?;
    }
    test_hook(SaveStep::TempSynced);
    if path.exists() {
        let bak = backup_path(path);
        let _ = fs::remove_file(&bak);
        if fs::hard_link(path, &bak).is_err() {
            fs::copy(path, &bak).map_err(werr(&bak))?;
        }
        // The .bak is the old inode (or a copy with its mode); it must not
        // stay readable by others when the new file is not.
        #[cfg(unix)]
        if let (Some(old), Some(new)) = (existing_mode, forced_mode) {
            use std::os::unix::fs::PermissionsExt;
            let mode = file_mode::for_backup(old, new);
            if mode != old & 0o777 {
                fs::set_permissions(&bak, fs::Permissions::from_mode(mode)).map_err(werr(&bak))?;
            }
        }
    }
    fs::rename(&tmp, path).map_err(werr(path))?;
    test_hook(SaveStep::Renamed);
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The permission bits of the file at `path`, if there is one.
fn existing_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Adds nodes; refuses duplicate names or addresses.
pub fn add_nodes(path: &Path, new: &[NodeConfig]) -> Result<Config, ConfigError> {
    edit_locked(path, |text, current| {
        check_duplicates(path, current, new)?;
        Ok(text_with_nodes_added(text, new))
    })
}

/// Removes a node by name; an unknown name is an error.
pub fn remove_node(path: &Path, name: &str) -> Result<Config, ConfigError> {
    edit_locked(path, |text, current| {
        if !current.nodes.iter().any(|n| n.name == name) {
            let hint = current
                .nodes
                .iter()
                .map(|n| (strsim::jaro_winkler(name, &n.name), n.name.as_str()))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(s, _)| *s > 0.8)
                .map(|(_, n)| format!("did you mean {n:?}?"));
            return Err(invalid(path, format!("no node named {name:?}"), hint));
        }
        let edited = text_with_node_removed(text, name);
        // Fall back to a full re-serialisation if the text edit did not do
        // exactly what was asked (unusual formatting such as flow style).
        match edited {
            Some(t)
                if load::parse_str(&t, path)
                    .is_ok_and(|c| c.nodes.len() + 1 == current.nodes.len()) =>
            {
                Ok(t)
            }
            _ => {
                // From the text as written: `current` holds expanded
                // secrets, which must never reach the file.
                let mut c = load::parse_unexpanded(text, path)?;
                c.nodes.retain(|n| n.name != name);
                reserialise(path, &c)
            }
        }
    })
}

fn invalid(path: &Path, message: String, hint: Option<String>) -> ConfigError {
    ConfigError::located(Located {
        path: path.to_path_buf(),
        line: None,
        column: None,
        field: Some("nodes".into()),
        message,
        hint,
    })
}

fn reserialise(path: &Path, c: &Config) -> Result<String, ConfigError> {
    serde_yaml::to_string(c).map_err(|e| invalid(path, e.to_string(), None))
}

fn check_duplicates(path: &Path, current: &Config, new: &[NodeConfig]) -> Result<(), ConfigError> {
    let mut seen_names: Vec<&str> = current.nodes.iter().map(|n| n.name.as_str()).collect();
    let mut seen_ips: Vec<&str> = current.nodes.iter().map(|n| n.ip.as_str()).collect();
    for n in new {
        if seen_names.contains(&n.name.as_str()) {
            return Err(invalid(
                path,
                format!("a node named {:?} already exists", n.name),
                Some("pick another name or remove the old node first".into()),
            ));
        }
        if seen_ips.contains(&n.ip.as_str()) {
            return Err(invalid(
                path,
                format!("address {} is already used by another node", n.ip),
                Some("each node needs its own address".into()),
            ));
        }
        seen_names.push(&n.name);
        seen_ips.push(&n.ip);
    }
    Ok(())
}

/// Renders nodes as a block sequence at `indent` spaces.
fn render_nodes(nodes: &[NodeConfig], indent: usize) -> String {
    let mut out = String::new();
    let pad = " ".repeat(indent);
    for n in nodes {
        let yaml = serde_yaml::to_string(n).unwrap_or_default();
        for (i, line) in yaml.lines().enumerate() {
            out.push_str(&pad);
            out.push_str(if i == 0 { "- " } else { "  " });
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn is_top_level_key(line: &str) -> bool {
    !line.starts_with([' ', '\t', '#', '-']) && !line.trim().is_empty()
}

/// Appends nodes to the `nodes:` block, creating it if needed.
pub fn text_with_nodes_added(text: &str, new: &[NodeConfig]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("nodes:")) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("nodes:\n");
        out.push_str(&render_nodes(new, 2));
        return out;
    };
    let head = lines[start].trim_end();
    let inline_rest = head["nodes:".len()..]
        .split('#')
        .next()
        .unwrap_or("")
        .trim();
    let mut out = String::new();
    for l in &lines[..start] {
        out.push_str(l);
        out.push('\n');
    }
    if !inline_rest.is_empty() && inline_rest != "[]" {
        // Flow-style list: rewrite the whole section from the parsed value.
        return reserialised_with(text, new).unwrap_or_else(|| text.to_string());
    }
    out.push_str("nodes:\n");
    // The block runs until the next top-level key.
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_top_level_key(l))
        .map(|p| start + 1 + p)
        .unwrap_or(lines.len());
    // Keep trailing blank/comment lines of the block after the new entries.
    let mut last_content = start;
    for (i, l) in lines.iter().enumerate().take(end).skip(start + 1) {
        let t = l.trim();
        if !t.is_empty() && !t.starts_with('#') {
            last_content = i;
        }
    }
    let indent = lines[start + 1..end]
        .iter()
        .find(|l| l.trim_start().starts_with("- "))
        .map(|l| l.len() - l.trim_start().len())
        .unwrap_or(2);
    for l in &lines[start + 1..=last_content.max(start)] {
        if std::ptr::eq(*l, lines[start]) {
            continue;
        }
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&render_nodes(new, indent));
    for l in &lines[last_content.max(start) + 1..] {
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn reserialised_with(text: &str, new: &[NodeConfig]) -> Option<String> {
    let mut c: Config = serde_yaml::from_str(text).ok()?;
    c.nodes.extend_from_slice(new);
    serde_yaml::to_string(&c).ok()
}

/// Removes the entry whose `name:` is `name` from the `nodes:` block.
pub fn text_with_node_removed(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("nodes:"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_top_level_key(l))
        .map(|p| start + 1 + p)
        .unwrap_or(lines.len());
    let entry_starts: Vec<usize> = (start + 1..end)
        .filter(|&i| lines[i].trim_start().starts_with("- "))
        .collect();
    let indent =
        lines[*entry_starts.first()?].len() - lines[*entry_starts.first()?].trim_start().len();
    let entry_starts: Vec<usize> = entry_starts
        .into_iter()
        .filter(|&i| lines[i].len() - lines[i].trim_start().len() == indent)
        .collect();
    for (k, &s) in entry_starts.iter().enumerate() {
        let e = entry_starts.get(k + 1).copied().unwrap_or(end);
        let names_it = lines[s..e].iter().any(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim();
            t.strip_prefix("name:")
                .map(|v| {
                    v.split('#')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches(['"', '\''])
                        == name
                })
                .unwrap_or(false)
        });
        if names_it {
            // Do not swallow comment/blank lines that belong to what follows.
            let mut stop = e;
            while stop > s + 1 && {
                let t = lines[stop - 1].trim();
                t.is_empty() || t.starts_with('#')
            } {
                stop -= 1;
            }
            let mut out = String::new();
            for (i, l) in lines.iter().enumerate() {
                if i < s || i >= stop {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, ip: &str) -> NodeConfig {
        NodeConfig {
            name: name.into(),
            ip: ip.into(),
            ..Default::default()
        }
    }

    #[test]
    fn add_keeps_comments_and_env_refs() {
        let text = "# my cluster\ncluster:\n  name: prod\nnodes:\n  # rack 1\n  - name: a\n    ip: 127.0.0.2\n    ssh_key: ${HOME}/.ssh/id\n\n# alerting\nalerts:\n  presets: [gpu-basic]\n";
        let out = text_with_nodes_added(text, &[node("b", "127.0.0.3")]);
        assert!(
            out.contains("# my cluster") && out.contains("# rack 1") && out.contains("# alerting")
        );
        assert!(out.contains("${HOME}/.ssh/id"));
        let c: Config = serde_yaml::from_str(&out).unwrap();
        assert_eq!(
            c.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(c.alerts.presets, ["gpu-basic"]);
    }

    #[test]
    fn add_to_empty_and_flow_lists() {
        for text in [
            "",
            "cluster:\n  name: x\n",
            "nodes: []\n",
            "nodes: [{name: a, ip: 127.0.0.2}]\n",
        ] {
            let out = text_with_nodes_added(text, &[node("z", "127.0.0.9")]);
            let c: Config = serde_yaml::from_str(&out).unwrap();
            assert_eq!(c.nodes.last().unwrap().name, "z", "from {text:?}: {out}");
        }
    }

    #[test]
    fn remove_takes_only_that_entry() {
        let text = "nodes:\n  - name: a\n    ip: 127.0.0.2\n  # keep me\n  - name: b\n    ip: 127.0.0.3\n    labels:\n      rack: r1\ntui:\n  refresh: 2s\n";
        let out = text_with_node_removed(text, "b").unwrap();
        let c: Config = serde_yaml::from_str(&out).unwrap();
        assert_eq!(c.nodes.len(), 1);
        assert_eq!(c.tui.refresh, "2s");
        assert!(out.contains("# keep me"));
        assert!(text_with_node_removed(text, "nope").is_none());
    }
}
