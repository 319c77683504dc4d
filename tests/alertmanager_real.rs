//! Rendered rules in a real Prometheus, scraping a hot GPU's page (derived
//! from a real 8×H100 capture), fire an alert that reaches a real
//! Alertmanager; a silence created by aami-tui's code shows up in `amtool
//! silence query` and suppresses the alert; expiring it lifts it. An
//! Alertmanager that is down or refuses fails with the reason.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aami_tui::alerts::alertmanager::{AmAlert, ApiClient};
use common::alertmanager::{HOT_NOW, alertmanager, prometheus_with_rules};
use common::pages::PageServer;

fn aami(home: &Path, args: &[&str]) -> Output {
    Command::new(common::bin())
        .args(args)
        .env_remove("AAMI_CONFIG")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home)
        .env("USER", "ops-tester")
        .output()
        .expect("run aami-tui")
}

async fn wait_alert(am: &ApiClient, want: impl Fn(&AmAlert) -> bool, what: &str) -> AmAlert {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        match am.alerts().await {
            Ok(list) => {
                if let Some(a) = list.iter().find(|a| want(a)) {
                    return a.clone();
                }
                last = format!("{list:?}");
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("{what} never happened; last: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rendered_rule_fires_into_alertmanager_and_a_silence_suppresses_it() {
    common::require("amtool", "prometheus-alertmanager");
    let home = tempfile::tempdir().expect("tmp");
    let presets = home.path().join("config/aami/presets");
    std::fs::create_dir_all(&presets).expect("mkdir");
    std::fs::write(presets.join("hot-now.yaml"), HOT_NOW).expect("write");
    let rules = home.path().join("rules.yml");
    let o = aami(
        home.path(),
        &[
            "alerts",
            "render",
            "hot-now",
            "--naming",
            "both",
            "-o",
            rules.to_str().expect("utf8"),
        ],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));

    let page = std::fs::read_to_string(common::fixture("dcgm/derived_H100x8_gpu3-hot-91C.prom"))
        .expect("fixture");
    let exporter = PageServer::start("127.0.0.1", page).await;
    let am_server = alertmanager();
    let _prom = prometheus_with_rules(&[exporter.target()], &rules, &am_server.url);
    let am = ApiClient::new(&am_server.url, None).expect("client");

    // The hot GPU (3) fires; the seven cool ones do not.
    let fired = wait_alert(
        &am,
        |a| a.labels.get("alertname").map(String::as_str) == Some("GpuHotNow"),
        "the alert reaching Alertmanager",
    )
    .await;
    assert_eq!(fired.labels.get("gpu").map(String::as_str), Some("3"));
    assert_eq!(
        fired.labels.get("Hostname").map(String::as_str),
        Some("gpu-node-1")
    );
    assert_eq!(fired.status.state, "active");
    assert!(
        fired.annotations["summary"].contains("at 91 °C"),
        "{:?}",
        fired.annotations
    );
    assert_eq!(
        am.alerts().await.expect("alerts").len(),
        1,
        "only GPU 3 is hot"
    );

    // A silence made by our code, for this alert.
    let instance = fired.labels["instance"].clone();
    let o = aami(
        home.path(),
        &[
            "alerts",
            "silence",
            "--alertmanager",
            &am_server.url,
            "-m",
            "alertname=GpuHotNow",
            "-m",
            &format!("instance={instance}"),
            "-m",
            "gpu=3",
            "--duration",
            "1h",
            "--comment",
            "fan swap on gpu-node-1",
        ],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let id = common::stdout(&o).trim().to_string();
    assert!(!id.is_empty());

    let q = Command::new("amtool")
        .args([
            "silence",
            "query",
            "--alertmanager.url",
            &am_server.url,
            "-o",
            "extended",
        ])
        .output()
        .expect("amtool");
    let listed = common::stdout(&q);
    assert!(
        listed.contains(&id),
        "amtool sees the silence: {listed}{}",
        common::stderr(&q)
    );
    assert!(
        listed.contains("ops-tester") && listed.contains("fan swap on gpu-node-1"),
        "{listed}"
    );
    assert!(listed.contains("alertname=\"GpuHotNow\""), "{listed}");

    let silenced = wait_alert(
        &am,
        |a| a.status.silenced_by.contains(&id),
        "the silence suppressing the alert",
    )
    .await;
    assert_eq!(silenced.status.state, "suppressed");

    let o = aami(
        home.path(),
        &[
            "alerts",
            "silences",
            "--alertmanager",
            &am_server.url,
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v[0]["id"], id.as_str());
    assert_eq!(v[0]["state"], "active");

    let o = aami(
        home.path(),
        &["alerts", "expire", "--alertmanager", &am_server.url, &id],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let q = Command::new("amtool")
        .args(["silence", "query", "--alertmanager.url", &am_server.url])
        .output()
        .expect("amtool");
    assert!(
        !common::stdout(&q).contains(&id),
        "expired: {}",
        common::stdout(&q)
    );
    wait_alert(
        &am,
        |a| a.status.state == "active" && a.labels.get("gpu").map(String::as_str) == Some("3"),
        "the alert active again",
    )
    .await;

    // Alertmanager refusing: an unknown silence id is a 4xx/5xx, said so.
    let o = aami(
        home.path(),
        &[
            "alerts",
            "expire",
            "--alertmanager",
            &am_server.url,
            "00000000-0000-0000-0000-000000000000",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        common::stderr(&o).contains("HTTP "),
        "{}",
        common::stderr(&o)
    );
    exporter.stop().await;
}

#[test]
fn an_alertmanager_that_is_down_is_named_with_the_reason() {
    let home = tempfile::tempdir().expect("tmp");
    let port = common::servers::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let o = aami(home.path(), &["alerts", "silences", "--alertmanager", &url]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(
        err.contains(&format!("cannot reach {url}/api/v2/silences")),
        "{err}"
    );
    let o = aami(
        home.path(),
        &[
            "alerts",
            "silence",
            "--alertmanager",
            &url,
            "-m",
            "alertname=X",
            "--comment",
            "c",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let o = aami(
        home.path(),
        &[
            "alerts",
            "silence",
            "--alertmanager",
            &url,
            "-m",
            "no operator",
            "--comment",
            "c",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "a bad matcher is a usage error");
    // The TUI's poller: the error, for the pane to show.
    let mut config = aami_tui::config::Config::default();
    config.alertmanager.url = Some(url.clone());
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let seen = rt.block_on(aami_tui::runtime::remote::RemoteClients::from_config(&config).read());
    let problems = seen.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("Alertmanager: cannot reach {url}/api/v2/alerts")),
        "{problems:?}"
    );
}
