//! A node reached over the test's sshd with one exporter installed under a
//! temp prefix: the CLI run against its config, the `current` link, and its
//! `/metrics` over HTTP. Dropping it stops whatever exporter the test left
//! running (by the pidfile).

use std::path::PathBuf;
use std::process::{Command, Output};

use aami_tui::install::ComponentKind;

pub struct InstalledNode {
    pub kind: ComponentKind,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub bundle: PathBuf,
    pub port: u16,
}

impl Drop for InstalledNode {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.home().join("run.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

impl InstalledNode {
    /// `install.prefix`.
    pub fn prefix(&self) -> PathBuf {
        self.dir.path().join("opt")
    }

    /// The component's folder under the prefix.
    pub fn home(&self) -> PathBuf {
        self.prefix().join(self.kind.name())
    }

    /// aami-tui with this node's config, isolated from the user's.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(super::bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("AAMI_CONFIG")
            .env("NO_COLOR", "1")
            .output()
            .expect("run aami-tui")
    }

    /// [`Self::run`] that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{args:?}: {}{}",
            super::stdout(&o),
            super::stderr(&o)
        );
        super::stdout(&o)
    }

    /// Where `current` points (the version folder), or "" when absent.
    pub fn current(&self) -> String {
        std::fs::read_link(self.home().join("current"))
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    /// The exporter's page.
    pub fn metrics(&self) -> String {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::get(format!("http://127.0.0.1:{}/metrics", self.port))
                .await
                .expect("GET /metrics")
                .text()
                .await
                .expect("body")
        })
    }
}
