//! Reading aami's known_hosts file strictly.
//!
//! russh's own check treats a file it cannot open as empty, skips lines it
//! cannot split, and stops at the first problem, so a broken file looked
//! like "host unknown" and led to trusting whatever key was offered. Here
//! only a missing file or a host the file does not name is "unknown";
//! a file that cannot be read, or any line that does not parse, is an
//! error naming the file and line.

use std::path::Path;

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;
use sha1::Sha1;

/// What the file says about a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line names the host with this very key.
    Known,
    /// No line names the host with a key of this type (or there is no file):
    /// the only case in which trust on first use is allowed.
    Unknown,
    /// A line names the host with a different key of the same type.
    Changed { line: usize },
    /// A `@revoked` line lists this key.
    Revoked { line: usize },
}

/// Why the file could not be used; the connection must be refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnownHostsError {
    #[error("cannot read known_hosts {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("cannot pin a new host key in known_hosts {path}: {reason}")]
    Unwritable { path: String, reason: String },
    #[error("known_hosts {path} line {line}: {reason}")]
    Malformed {
        path: String,
        line: usize,
        reason: String,
    },
}

/// Checks `key` for `host`:`port` against the file at `path`.
pub fn check(
    path: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<HostKeyStatus, KnownHostsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HostKeyStatus::Unknown),
        Err(e) => {
            return Err(KnownHostsError::Unreadable {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    check_text(&bytes, &path.display().to_string(), host, port, key)
}

/// The check on the file's contents; `path` is only used in messages.
pub fn check_text(
    bytes: &[u8],
    path: &str,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<HostKeyStatus, KnownHostsError> {
    let name = host_pattern(host, port);
    let mut changed = None;
    let mut known = false;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let malformed = |reason: String| KnownHostsError::Malformed {
            path: path.to_string(),
            line,
            reason,
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| malformed("not UTF-8 text".into()))?
            .trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let entry = Entry::parse(text).map_err(malformed)?;
        if !entry.names(&name) {
            continue;
        }
        match entry.marker {
            Marker::Revoked if entry.key == *key => {
                return Ok(HostKeyStatus::Revoked { line });
            }
            // Certificates are not used; a CA line says nothing about keys.
            Marker::Revoked | Marker::CertAuthority => {}
            Marker::None if entry.key == *key => known = true,
            Marker::None if entry.key.algorithm() == key.algorithm() => {
                changed.get_or_insert(line);
            }
            Marker::None => {}
        }
    }
    Ok(match (known, changed) {
        (true, _) => HostKeyStatus::Known,
        (false, Some(line)) => HostKeyStatus::Changed { line },
        (false, None) => HostKeyStatus::Unknown,
    })
}

/// Remembers `key` for `host`:`port` in the file at `path` (ours, never the
/// operator's): the file is rewritten whole to a temp file and renamed over
/// the old one, under a lock file, so a reader never sees half a line and
/// two writers (two jobs, or the TUI and the CLI) never lose each other's
/// lines. A key already there is not added twice. The file is mode 0600.
pub fn learn(path: &Path, host: &str, port: u16, key: &PublicKey) -> Result<(), KnownHostsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let unwritable = |e: std::io::Error| KnownHostsError::Unwritable {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    // One writer at a time in this process (the lock file is per open file
    // description, so threads need their own guard too).
    static IN_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = IN_PROCESS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "known_hosts".into());
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(dir.join(format!(".{name}.lock")))
        .map_err(unwritable)?;
    lock.lock().map_err(unwritable)?;
    let mut text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(unwritable(e)),
    };
    match check_text(&text, &path.display().to_string(), host, port, key)? {
        HostKeyStatus::Known => return Ok(()),
        HostKeyStatus::Unknown => {}
        // Another writer pinned a different key meanwhile: never both.
        HostKeyStatus::Changed { line } | HostKeyStatus::Revoked { line } => {
            return Err(unwritable(std::io::Error::other(format!(
                "line {line} already names {} with another key",
                host_pattern(host, port)
            ))));
        }
    }
    let blob = key
        .to_openssh()
        .map_err(|e| unwritable(std::io::Error::other(e.to_string())))?;
    let mut fields = blob.split_whitespace();
    let (Some(kind), Some(b64)) = (fields.next(), fields.next()) else {
        return Err(unwritable(std::io::Error::other(
            "the key has no OpenSSH form",
        )));
    };
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(format!("{} {kind} {b64}\n", host_pattern(host, port)).as_bytes());
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(unwritable)
}

/// How known_hosts names `host`:`port`: `host` on 22, else `[host]:port`.
pub fn host_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

enum Marker {
    None,
    CertAuthority,
    Revoked,
}

/// One line: `[@marker] patterns keytype base64-key [comment]`.
struct Entry<'a> {
    marker: Marker,
    patterns: &'a str,
    key: PublicKey,
}

impl<'a> Entry<'a> {
    fn parse(text: &'a str) -> Result<Self, String> {
        let mut fields = text.split_whitespace().peekable();
        let marker = match fields.peek() {
            Some(&"@cert-authority") => Marker::CertAuthority,
            Some(&"@revoked") => Marker::Revoked,
            Some(m) if m.starts_with('@') => return Err(format!("unknown marker {m:?}")),
            _ => Marker::None,
        };
        if !matches!(marker, Marker::None) {
            fields.next();
        }
        let (Some(patterns), Some(kind), Some(blob)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err("expected `HOSTS KEY-TYPE BASE64-KEY`".into());
        };
        let key = russh::keys::parse_public_key_base64(blob)
            .map_err(|e| format!("the {kind} key does not parse: {e}"))?;
        if key.algorithm().as_str() != kind {
            return Err(format!(
                "the key is {}, but the line says {kind}",
                key.algorithm().as_str()
            ));
        }
        Ok(Self {
            marker,
            patterns,
            key,
        })
    }

    /// Whether the patterns name `host` (`host` or `[host]:port`): plain
    /// names, `*`/`?` wildcards, hashed `|1|salt|hash` entries, and `!`
    /// negations, which win.
    fn names(&self, host: &str) -> bool {
        let mut matched = false;
        for pattern in self.patterns.split(',') {
            let (negated, pattern) = match pattern.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, pattern),
            };
            let hit = if let Some(hashed) = pattern.strip_prefix("|1|") {
                hashed_matches(hashed, host)
            } else {
                glob_matches(pattern.as_bytes(), host.as_bytes())
            };
            if hit && negated {
                return false;
            }
            matched |= hit;
        }
        matched
    }
}

/// `salt|hash`, both base64: HMAC-SHA1 of the host name keyed by the salt.
fn hashed_matches(hashed: &str, host: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (
        BASE64.decode(salt.as_bytes()),
        BASE64.decode(hash.as_bytes()),
    ) else {
        return false;
    };
    Hmac::<Sha1>::new_from_slice(&salt)
        .map(|mac| {
            mac.chain_update(host.as_bytes())
                .verify_slice(&hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// OpenSSH patterns: `*` any run, `?` one character; case-insensitive.
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_matches(&pattern[1..], name)
                || (!name.is_empty() && glob_matches(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => glob_matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p.eq_ignore_ascii_case(n) => glob_matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G1sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).expect("test key")
    }

    fn check(text: &str, host: &str, port: u16) -> Result<HostKeyStatus, KnownHostsError> {
        check_text(text.as_bytes(), "kh", host, port, &key(KEY_A))
    }

    #[test]
    fn known_unknown_and_changed() {
        let a = format!("[10.0.0.1]:2222 ssh-ed25519 {KEY_A}\n");
        let b = format!("# comment\n\n10.0.0.1 ssh-ed25519 {KEY_B} root@x\n");
        assert_eq!(check(&a, "10.0.0.1", 2222), Ok(HostKeyStatus::Known));
        assert_eq!(check(&a, "10.0.0.1", 22), Ok(HostKeyStatus::Unknown));
        assert_eq!(check("", "10.0.0.1", 22), Ok(HostKeyStatus::Unknown));
        // The line number counts comment and blank lines.
        assert_eq!(
            check(&b, "10.0.0.1", 22),
            Ok(HostKeyStatus::Changed { line: 3 })
        );
        let both = format!("{b}10.0.0.1 ssh-ed25519 {KEY_A}\n");
        assert_eq!(check(&both, "10.0.0.1", 22), Ok(HostKeyStatus::Known));
    }

    #[test]
    fn patterns_wildcards_negation_and_revocation() {
        let t = format!("10.0.0.*,!10.0.0.9 ssh-ed25519 {KEY_A}\n");
        assert_eq!(check(&t, "10.0.0.5", 22), Ok(HostKeyStatus::Known));
        assert_eq!(check(&t, "10.0.0.9", 22), Ok(HostKeyStatus::Unknown));
        let r = format!("@revoked * ssh-ed25519 {KEY_A}\n");
        assert_eq!(check(&r, "h", 22), Ok(HostKeyStatus::Revoked { line: 1 }));
    }

    #[test]
    fn learn_appends_once_and_keeps_what_was_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub/known_hosts");
        learn(&p, "10.0.0.1", 2222, &key(KEY_A)).expect("learn");
        learn(&p, "10.0.0.1", 2222, &key(KEY_A)).expect("twice");
        let one = std::fs::read_to_string(&p).expect("read");
        assert_eq!(one, format!("[10.0.0.1]:2222 ssh-ed25519 {KEY_A}\n"));
        // A file without a final newline keeps its last line whole.
        std::fs::write(&p, format!("# mine\nh ssh-ed25519 {KEY_B}")).expect("write");
        learn(&p, "10.0.0.2", 22, &key(KEY_A)).expect("learn");
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(
            text,
            format!("# mine\nh ssh-ed25519 {KEY_B}\n10.0.0.2 ssh-ed25519 {KEY_A}\n")
        );
        assert_eq!(
            super::check(&p, "10.0.0.2", 22, &key(KEY_A)),
            Ok(HostKeyStatus::Known)
        );
        assert!(learn(&p, "h", 22, &key(KEY_A)).is_err(), "h has KEY_B");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn any_broken_line_is_an_error_with_its_number() {
        for (text, line) in [
            ("# ok\nonly-one-field\n".to_string(), 2),
            (
                format!("h ssh-ed25519 {KEY_A}\nother ssh-ed25519 !!notbase64\n"),
                2,
            ),
            (format!("other ssh-rsa {KEY_A}\n"), 1),
            (format!("@weird h ssh-ed25519 {KEY_A}\n"), 1),
        ] {
            match check(&text, "h", 22) {
                Err(KnownHostsError::Malformed { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let bytes = b"\xff\xfe\n";
        assert!(matches!(
            check_text(bytes, "kh", "h", 22, &key(KEY_A)),
            Err(KnownHostsError::Malformed { line: 1, .. })
        ));
    }
}
