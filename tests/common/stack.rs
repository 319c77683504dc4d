//! `aami-tui stack install` on this machine for tests: a config for
//! some nodes with the stack on free ports under a temp prefix, a bundle
//! of Debian's Prometheus and Alertmanager, the CLI run on it, and every
//! server it started stopped by PID when dropped.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use aami_tui::config::{Config, Exporters, NodeConfig};
use aami_tui::install::stack::StackComponent;

use super::pages::PageServer;
use super::servers::free_listen_port;

pub const PROMETHEUS: &str = "/usr/bin/prometheus";
pub const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// gpu-production's GpuTemperatureCritical without its five-minute wait,
/// so the test sees it fire.
pub const HOT_NOW: &str = "name: hot-now\ndescription: the hot GPU rule without its wait, for a quick test\nrules:\n  - name: GpuHotNow\n    severity: critical\n    when:\n      - metric: gpu_temp_c\n        op: \">\"\n        value_from: { metric: gpu_slowdown_temp_c, offset: -2 }\n        value: 85\n    summary: \"GPU {{gpu}} on {{node}} at {{value}} °C\"\n    description: \"Check the fans.\"\n";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub bundle: PathBuf,
    /// Where commands run: `PATH` override, if any.
    pub path_env: Option<String>,
}

impl Drop for Fixture {
    /// Stops whatever servers the test left running.
    fn drop(&mut self) {
        // Every server's folder: Alertmanager, Prometheus and any shards.
        for e in std::fs::read_dir(self.prefix())
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Ok(pid) = std::fs::read_to_string(e.path().join("run.pid")) {
                let _ = std::process::Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

impl Fixture {
    pub fn prefix(&self) -> PathBuf {
        self.dir.path().join("opt")
    }

    pub fn stack_dir(&self) -> PathBuf {
        self.prefix().join("stack")
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new(super::bin());
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("AAMI_CONFIG")
            .env("NO_COLOR", "1");
        if let Some(p) = &self.path_env {
            cmd.env("PATH", p);
        }
        cmd.output().await.expect("run aami-tui")
    }

    pub async fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args).await;
        assert!(
            o.status.success(),
            "{args:?}: {}{}",
            super::stdout(&o),
            super::stderr(&o)
        );
        super::stdout(&o)
    }

    /// Runs `args`, which must fail with `code`; stdout and stderr.
    pub async fn fails(&self, code: i32, args: &[&str]) -> String {
        let o = self.run(args).await;
        let said = format!("{}{}", super::stdout(&o), super::stderr(&o));
        assert_eq!(o.status.code(), Some(code), "{args:?}: {said}");
        said
    }

    pub fn config(&self) -> Config {
        aami_tui::config::load_file(&self.config).unwrap()
    }

    pub fn write_config(&self, c: &Config) {
        std::fs::write(&self.config, serde_yaml::to_string(c).unwrap()).unwrap();
    }

    pub fn pid(&self, c: StackComponent) -> String {
        std::fs::read_to_string(self.prefix().join(c.name()).join("run.pid"))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    pub fn current(&self, c: StackComponent) -> String {
        std::fs::read_link(self.prefix().join(c.name()).join("current"))
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    pub fn prometheus_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.config().prometheus.port)
    }

    pub async fn status(&self) -> serde_json::Value {
        let o = self.run(&["stack", "status", "--json"]).await;
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", super::stdout(&o), super::stderr(&o)))
    }
}

/// A config for `nodes` with the stack on free ports under a temp prefix,
/// the presets named, scraping every second; a bundle of both servers
/// (and `extra` components).
pub fn fixture(nodes: Vec<NodeConfig>, presets: &[&str], extra: &[String]) -> Fixture {
    super::require(PROMETHEUS, "prometheus");
    super::require(ALERTMANAGER, "prometheus-alertmanager");
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config {
        nodes,
        ..Config::default()
    };
    c.install.prefix = dir.path().join("opt").display().to_string();
    c.prometheus.port = free_listen_port();
    c.prometheus.storage_path = dir.path().join("prom-data").display().to_string();
    c.prometheus.scrape_interval = "1s".into();
    c.alertmanager.port = free_listen_port();
    c.alertmanager.storage_path = dir.path().join("am-data").display().to_string();
    c.alerts.presets = presets.iter().map(|s| s.to_string()).collect();
    c.ssh.retry.max_attempts = 1;
    let presets_dir = dir.path().join("xdg/aami/presets");
    std::fs::create_dir_all(&presets_dir).unwrap();
    std::fs::write(presets_dir.join("hot-now.yaml"), HOT_NOW).unwrap();
    let config = dir.path().join("config.yaml");
    let bundle = dir.path().join("bundle.tar");
    let mut args: Vec<String> = vec![
        "bundle".into(),
        "create".into(),
        "--output".into(),
        bundle.display().to_string(),
        "--component".into(),
        format!("prometheus={PROMETHEUS}"),
        "--component".into(),
        format!("alertmanager={ALERTMANAGER}"),
    ];
    for e in extra {
        args.push("--component".into());
        args.push(e.clone());
    }
    let o = super::run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", super::stderr(&o));
    let f = Fixture {
        dir,
        config,
        bundle,
        path_env: None,
    };
    f.write_config(&c);
    f
}

/// A node whose dcgm-exporter page is `server`.
pub fn dcgm_node(name: &str, server: &PageServer) -> NodeConfig {
    NodeConfig {
        name: name.into(),
        ip: server.ip.to_string(),
        exporters: Exporters {
            dcgm: Some(server.port),
            node: None,
            ..Default::default()
        },
        ..Default::default()
    }
}

pub async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .json()
        .await
        .unwrap()
}

pub async fn ready(url: &str) -> bool {
    reqwest::get(format!("{url}/-/ready"))
        .await
        .is_ok_and(|r| r.status().is_success())
}

pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        match check().await {
            Ok(()) => return,
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("{what} never happened; last: {last}");
}

/// `up` of one instance as Prometheus has it now.
pub async fn up_of(prom: &str, instance: &str) -> Option<f64> {
    let v = get_json(&format!(
        "{prom}/api/v1/query?query=up%7Binstance%3D%22{instance}%22%7D"
    ))
    .await;
    v["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
}
