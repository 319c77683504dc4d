//! A real Alertmanager (Debian's prometheus-alertmanager) and a Prometheus
//! that evaluates rule files and sends to it, on loopback with temp dirs and
//! free ports; stopped on drop.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::servers::{Server, free_port};

/// A hot-GPU rule without its wait (fires on the first evaluation), for
/// tests that need an alert at once; installed as a user preset.
pub const HOT_NOW: &str = "name: hot-now\ndescription: the hot GPU rule without its wait, for a quick test\nrules:\n  - name: GpuHotNow\n    severity: critical\n    when:\n      - metric: gpu_temp_c\n        op: \">\"\n        value_from: { metric: gpu_slowdown_temp_c, offset: -2 }\n        value: 85\n    summary: \"GPU {{gpu}} on {{node}} at {{value}} °C\"\n    description: \"Check the fans.\"\n";

pub const AM_BIN: &str = "/usr/bin/prometheus-alertmanager";

/// Alertmanager with one receiver that sends nowhere, grouping quickly.
pub fn alertmanager() -> Server {
    super::require(AM_BIN, "prometheus-alertmanager");
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("alertmanager.yml");
    std::fs::write(
        &cfg,
        "route:\n  receiver: nowhere\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: nowhere\n",
    )
    .expect("write");
    let port = free_port();
    let child = Command::new(AM_BIN)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "alertmanager did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// Prometheus scraping `targets` every second, evaluating `rules` every
/// second and sending alerts to `alertmanager`.
pub fn prometheus_with_rules(targets: &[String], rules: &Path, alertmanager: &str) -> Server {
    let am = alertmanager.trim_start_matches("http://");
    let list = targets
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    super::servers::prometheus_with_config(
        &format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nrule_files: ['{}']\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\nscrape_configs:\n  - job_name: dcgm\n    static_configs:\n      - targets: [{list}]\n",
            rules.display()
        ),
        None,
    )
}
