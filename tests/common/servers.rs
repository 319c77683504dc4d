//! Real Prometheus, VictoriaMetrics and node_exporter (Debian packages) as
//! plain processes on loopback with temp dirs and free ports; stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Prometheus-format scrape config for `jobs` of (name, targets).
fn scrape_config(jobs: &[(&str, Vec<String>)]) -> String {
    let mut s =
        String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n");
    for (name, targets) in jobs {
        s.push_str(&format!(
            "  - job_name: {name}\n    static_configs:\n      - targets: [{}]\n",
            targets
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s
}

pub fn prometheus(jobs: &[(&str, Vec<String>)]) -> Server {
    start_prometheus(jobs, None)
}

/// Prometheus with a `--web.config.file` (TLS, client certificates).
pub fn prometheus_with_web_config(jobs: &[(&str, Vec<String>)], web: &std::path::Path) -> Server {
    start_prometheus(jobs, Some(web))
}

fn start_prometheus(jobs: &[(&str, Vec<String>)], web: Option<&std::path::Path>) -> Server {
    prometheus_with_config(&scrape_config(jobs), web)
}

/// Prometheus running `config` (a prometheus.yml's text; file paths in it
/// must be absolute) on a free port with its own data folder.
pub fn prometheus_with_config(config: &str, web: Option<&std::path::Path>) -> Server {
    super::require("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(&cfg, config).unwrap();
    let port = free_port();
    let mut cmd = Command::new("prometheus");
    if let Some(w) = web {
        cmd.arg(format!("--web.config.file={}", w.display()));
    }
    let child = cmd
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// node_exporter on `ip` (any loopback address), answering once its port is
/// open.
pub fn node_exporter(ip: &str) -> Server {
    node_exporter_with(ip, &[])
}

/// node_exporter with extra flags (e.g. `--no-collector.uname`).
pub fn node_exporter_with(ip: &str, flags: &[&str]) -> Server {
    let bin = "/usr/bin/prometheus-node-exporter";
    super::require(bin, "prometheus-node-exporter");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg(format!("--web.listen-address={ip}:{port}"))
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node_exporter");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect((ip, port)).is_err() {
        assert!(Instant::now() < deadline, "node_exporter did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server {
        child,
        url: format!("http://{ip}:{port}"),
        _dir: dir,
    }
}

pub fn victoria_metrics(jobs: &[(&str, Vec<String>)]) -> Server {
    super::require("victoria-metrics", "victoria-metrics");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("scrape.yml");
    std::fs::write(&cfg, scrape_config(jobs)).unwrap();
    let port = free_port();
    let child = Command::new("victoria-metrics")
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!(
            "-storageDataPath={}",
            dir.path().join("data").display()
        ))
        .arg("-retentionPeriod=1d")
        .arg("-search.latencyOffset=0s")
        .arg(format!("-promscrape.config={}", cfg.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start victoria-metrics");
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// Polls `promql` until its single value equals `want` (scrapes land a few
/// seconds after start).
pub async fn wait_for_value(url: &str, promql: &str, want: f64, timeout: Duration) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(r) = client
            .get(format!("{url}/api/v1/query"))
            .query(&[("query", promql)])
            .send()
            .await
            && let Ok(v) = r.json::<serde_json::Value>().await
        {
            let got = v["data"]["result"][0]["value"][1]
                .as_str()
                .and_then(|s| s.parse::<f64>().ok());
            if got == Some(want) {
                return;
            }
            last = v.to_string();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{promql} never reached {want} at {url}; last answer {last}");
}

/// Prometheus started from a rendered `.args` file (`stack render`'s
/// `prometheus.args` or `shards/N/prometheus.args`), in the rendered folder
/// `dir` so the relative config path resolves; its log in `dir/NAME.log`.
pub fn prometheus_from_args(dir: &std::path::Path, args_file: &str) -> Server {
    super::require("prometheus", "prometheus");
    let args = std::fs::read_to_string(dir.join(args_file)).unwrap();
    let port: u16 = args
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--web.listen-address=:"))
        .and_then(|p| p.parse().ok())
        .expect("listen port in the args");
    let log =
        std::fs::File::create(dir.join(format!("{}.log", args_file.replace('/', "_")))).unwrap();
    let child = Command::new("prometheus")
        .args(args.split_whitespace())
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: tempfile::tempdir().unwrap(),
    }
}

/// VictoriaMetrics as a store only (remote write in, queries out).
pub fn victoria_metrics_store() -> Server {
    super::require("victoria-metrics", "victoria-metrics");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("victoria-metrics")
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!(
            "-storageDataPath={}",
            dir.path().join("data").display()
        ))
        .arg("-retentionPeriod=1d")
        .arg("-search.latencyOffset=0s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start victoria-metrics");
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// `n` free ports in a row (a rendered stack puts shard `i` on base+1+i),
/// below the kernel's ephemeral range: a port a server will be told to
/// listen on seconds later must not be one the kernel may hand to another
/// test's `bind(0)` or outgoing connection meanwhile.
pub fn free_ports_in_a_row(n: u16) -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|p| p.parse::<u16>().ok())
        })
        .unwrap_or(32768);
    let (from, to) = if low > 12_000 {
        (10_000, low - n)
    } else {
        (61_000, 65_000 - n)
    };
    for _ in 0..500 {
        let base = fastrand::u16(from..to);
        if (0..n).all(|i| std::net::TcpListener::bind(("0.0.0.0", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no {n} free ports in a row");
}

/// One free port outside the ephemeral range (see [`free_ports_in_a_row`]).
pub fn free_listen_port() -> u16 {
    free_ports_in_a_row(1)
}
