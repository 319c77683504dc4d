//! A real OpenSSH sshd on 127.0.0.1 with its own host key, a user key it
//! accepts and one it does not, in a temp dir; stopped when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aami_tui::ssh::SshTarget;

pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
}

pub fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

/// Starts sshd; keys `host_ed25519`, `user_ed25519` (authorized) and
/// `other_ed25519` (not) are in `dir`.
pub fn start() -> Sshd {
    start_with("")
}

/// Like [`start`], with `extra` appended to sshd_config (`LogLevel DEBUG1`,
/// or `SetEnv PATH=…` so sessions find fake tools first). sshd logs to
/// `dir/sshd.log`.
pub fn start_with(extra: &str) -> Sshd {
    super::require("/usr/sbin/sshd", "openssh-server");
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    keygen(&d.join("host_ed25519"));
    keygen(&d.join("user_ed25519"));
    keygen(&d.join("other_ed25519"));
    std::fs::copy(d.join("user_ed25519.pub"), d.join("authorized_keys")).expect("copy");
    let port = super::servers::free_port();
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {0}/host_ed25519\nAuthorizedKeysFile {0}/authorized_keys\nPidFile {0}/sshd.pid\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowUsers {1}\n{extra}\n",
            d.display(),
            user()
        ),
    )
    .expect("sshd_config");
    let child = spawn(d, port);
    Sshd { child, port, dir }
}

/// Runs sshd on the config in `dir` and waits until `port` answers.
fn spawn(dir: &Path, port: u16) -> Child {
    let child = Command::new("/usr/sbin/sshd")
        .arg("-D")
        .arg("-E")
        .arg(dir.join("sshd.log"))
        .arg("-f")
        .arg(dir.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

impl Sshd {
    /// Kills (SIGKILL) the sshd processes serving connections, the
    /// listener's children, as a dropped network or a crashed node would
    /// end them; the listener stays. Returns how many were killed.
    pub fn kill_sessions(&self) -> usize {
        kill(&self.session_pids())
    }

    /// The session processes (children of the listener) as they are now:
    /// listed first and killed after, so that a session the client opens
    /// again while they die is not killed too.
    fn session_pids(&self) -> Vec<u32> {
        let listener = self.child.id();
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
            let ppid = after
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(listener) {
                pids.push(pid);
            }
        }
        pids
    }

    /// The node goes away: the listener is killed first, so that the
    /// client cannot connect again in between, then its sessions; nothing
    /// answers on the port until [`Sshd::restart`].
    pub fn stop(&mut self) {
        let sessions = self.session_pids();
        let _ = self.child.kill();
        let _ = self.child.wait();
        kill(&sessions);
    }

    /// The node is back: sshd again on the same port, keys and config.
    pub fn restart(&mut self) {
        self.child = spawn(self.dir.path(), self.port);
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The host key's `SHA256:…` fingerprint, as `ssh-keygen -l` prints it.
    pub fn host_fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.dir.path().join("host_ed25519.pub"))
            .output()
            .expect("ssh-keygen -l");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .expect("fingerprint")
            .to_string()
    }

    /// Adds the public key file `pub_file` (in the temp dir) to authorized_keys.
    pub fn authorize(&self, pub_file: &Path) {
        use std::io::Write;
        let key = std::fs::read_to_string(pub_file).expect("public key");
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("authorized_keys"))
            .and_then(|mut f| f.write_all(key.as_bytes()))
            .expect("authorized_keys");
    }

    /// Connecting as the test user with the key file `key` in the temp dir.
    pub fn target(&self, key: &str) -> SshTarget {
        SshTarget {
            host: "127.0.0.1".into(),
            port: Some(self.port),
            user: Some(user()),
            key: Some(self.dir.path().join(key)),
        }
    }

    /// The base64 blob of a public key file in the temp dir.
    pub fn public_key_blob(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(name)).expect("public key");
        text.split_whitespace()
            .nth(1)
            .expect("key blob")
            .to_string()
    }
}

/// SIGKILLs `pids`; how many were killed.
fn kill(pids: &[u32]) -> usize {
    pids.iter()
        .filter(|pid| {
            Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .is_ok_and(|s| s.success())
        })
        .count()
}
