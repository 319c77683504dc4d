//! `aami-tui stack install | upgrade | reload | status` with Debian's real
//! Prometheus and Alertmanager packed into a bundle.
//!
//! On this machine (no `--host`: the local runner), for a simulated fleet
//! and a hot GPU's page (derived from a real 8×H100 capture, see
//! tests/fixtures/dcgm/PROVENANCE.md) served on loopback: installed and
//! ready, every target up, a preset rule fires and reaches Alertmanager, a
//! second install changes nothing, `nodes add` rewrites the target files
//! and Prometheus scrapes the new node without a restart. Bad input (a
//! port in use, storage that cannot be written, a Prometheus that never
//! becomes ready, a configuration promtool or Prometheus rejects) fails
//! with what to do, and the stack that ran keeps running. Over SSH to a
//! real sshd on loopback: installed, then unchanged.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use aami_tui::alerts::alertmanager::{AmAlert, ApiClient};
use aami_tui::config::{Config, Exporters, NodeConfig, StackLayout};
use aami_tui::install::stack::{self, StackComponent};
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use common::pages::PageServer;
use common::servers::free_listen_port;
use common::stack::{
    ALERTMANAGER, Fixture, PROMETHEUS, dcgm_node, eventually, fixture, get_json, ready, up_of,
};

async fn wait_alert(am: &ApiClient, want: impl Fn(&AmAlert) -> bool) -> AmAlert {
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
    panic!("the alert never reached Alertmanager; last: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_runs_here_fires_a_preset_and_follows_nodes_add_without_a_restart() {
    let sim = SimFleet::start(SimOptions {
        nodes: 3,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let page =
        std::fs::read_to_string(common::fixture("dcgm/derived_H100x8_gpu3-hot-91C.prom")).unwrap();
    let hot = PageServer::start("127.0.6.1", page.clone()).await;
    let mut nodes = sim.config().nodes;
    nodes.push(dcgm_node("hot-node", &hot));
    let f = fixture(nodes, &["gpu-production", "hot-now"], &[]);
    let b = f.bundle.to_str().unwrap();

    let out = f.ok(&["stack", "install", "--bundle", b]).await;
    assert!(
        out.contains("alertmanager   installed 0.25.0, ready"),
        "{out}"
    );
    assert!(
        out.contains("prometheus     installed 2.42.0, ready"),
        "{out}"
    );
    assert!(out.contains("promtool accepts prometheus.yml"), "{out}");
    assert_eq!(f.current(StackComponent::Prometheus), "2.42.0");
    assert!(f.stack_dir().join("targets/dcgm-exporter.json").exists());
    let prom = f.prometheus_url();

    // Every target the config names is up: 3 simulated nodes × (dcgm,
    // node_exporter) and the hot page's dcgm.
    eventually("every target up", Duration::from_secs(60), || async {
        let s = f.status().await;
        if s["targets_expected"] == 7 && s["targets_up"] == 7 {
            Ok(())
        } else {
            Err(s.to_string())
        }
    })
    .await;

    // The hot GPU: the preset's five-minute rule is pending, the one
    // without a wait fires and reaches Alertmanager.
    let am = ApiClient::new(
        &format!("http://127.0.0.1:{}", f.config().alertmanager.port),
        None,
    )
    .unwrap();
    let fired = wait_alert(&am, |a| {
        a.labels.get("alertname").map(String::as_str) == Some("GpuHotNow")
            && a.labels.get("Hostname").map(String::as_str) == Some("gpu-node-1")
    })
    .await;
    assert_eq!(fired.labels.get("gpu").map(String::as_str), Some("3"));
    assert_eq!(
        fired.labels.get("node").map(String::as_str),
        Some("hot-node")
    );
    eventually(
        "the preset's rule pending",
        Duration::from_secs(30),
        || async {
            let alerts = get_json(&format!("{prom}/api/v1/alerts")).await;
            let pending = alerts["data"]["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| {
                    a["labels"]["alertname"] == "GpuTemperatureCritical"
                        && a["labels"]["node"] == "hot-node"
                        && a["labels"]["gpu"] == "3"
                        && a["state"] == "pending"
                });
            if pending {
                Ok(())
            } else {
                Err(alerts.to_string())
            }
        },
    )
    .await;

    // The status table: versions, targets, no rule failing, TSDB figures.
    let s = f.status().await;
    let p = &s["servers"][1];
    assert_eq!(p["name"], "prometheus");
    assert_eq!(p["version"], "2.42.0+ds");
    assert_eq!(p["rules"]["errors"].as_array().unwrap().len(), 0, "{s}");
    assert!(p["rules"]["count"].as_u64().unwrap() > 5, "{s}");
    assert!(p["tsdb"]["head_series"].as_u64().unwrap() > 100, "{s}");
    assert!(
        p["tsdb"]["samples_per_second"].as_f64().unwrap() > 0.0,
        "{s}"
    );
    assert_eq!(s["servers"][0]["version"], "0.25.0");
    let table = f.ok(&["stack", "status"]).await;
    assert!(table.contains("targets up: 7 of 7 expected"), "{table}");
    assert!(table.contains("alertmanager  up"), "{table}");

    // A second install changes nothing and restarts nothing.
    let pids = (
        f.pid(StackComponent::Prometheus),
        f.pid(StackComponent::Alertmanager),
    );
    let out = f.ok(&["stack", "install", "--bundle", b]).await;
    assert!(out.contains("configuration  unchanged"), "{out}");
    assert!(out.contains("prometheus     unchanged (2.42.0)"), "{out}");
    assert!(out.contains("unchanged: nothing to do"), "{out}");
    assert_eq!(
        pids,
        (
            f.pid(StackComponent::Prometheus),
            f.pid(StackComponent::Alertmanager)
        )
    );

    // `nodes add`: the target files are rewritten whole (never half a
    // file: written beside, then renamed) and Prometheus scrapes the new
    // node with no restart and no reload.
    let added = PageServer::start_on("127.0.6.2", 9400, page).await;
    let out = f
        .ok(&["nodes", "add", "late-node", "--ip", "127.0.6.2"])
        .await;
    assert!(
        out.contains("targets/dcgm-exporter.json") && out.contains("without a restart"),
        "{out}"
    );
    let targets =
        std::fs::read_to_string(f.stack_dir().join("targets/dcgm-exporter.json")).unwrap();
    assert!(targets.contains("127.0.6.2:9400"), "{targets}");
    assert!(
        !std::fs::read_dir(f.stack_dir().join("targets"))
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".part")),
        "no partial file left"
    );
    eventually(
        "the added node scraped",
        Duration::from_secs(30),
        || async {
            match up_of(&prom, &added.target()).await {
                Some(1.0) => Ok(()),
                other => Err(format!("up = {other:?}")),
            }
        },
    )
    .await;
    assert_eq!(f.pid(StackComponent::Prometheus), pids.0, "not restarted");
    // Its node_exporter (the default port 9100) does not answer: status
    // says which target is down, and exits 1.
    eventually(
        "the down target in status",
        Duration::from_secs(30),
        || async {
            let o = f.run(&["stack", "status"]).await;
            let table = common::stdout(&o);
            if o.status.code() == Some(1)
                && table.contains("targets up: 8 of 9 expected")
                && table.contains("prometheus: target down: node_exporter 127.0.6.2:9100")
            {
                Ok(())
            } else {
                Err(table)
            }
        },
    )
    .await;
    let reloads = get_json(&format!(
        "{prom}/api/v1/query?query=prometheus_config_last_reload_success_timestamp_seconds"
    ))
    .await;
    let loaded_at: f64 = reloads["data"]["result"][0]["value"][1]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let started: f64 = get_json(&format!(
        "{prom}/api/v1/query?query=process_start_time_seconds%7Bjob%3D%22prometheus%22%7D"
    ))
    .await["data"]["result"][0]["value"][1]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        loaded_at - started < 30.0,
        "the configuration was loaded once, at start: no reload for a target change"
    );

    // And removing it takes it out again.
    let out = f.ok(&["nodes", "remove", "late-node"]).await;
    assert!(out.contains("rewritten"), "{out}");
    eventually(
        "the removed node dropped",
        Duration::from_secs(30),
        || async {
            let t = get_json(&format!("{prom}/api/v1/targets")).await;
            let still = t["data"]["activeTargets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["labels"]["instance"] == added.target().as_str());
            if still { Err(t.to_string()) } else { Ok(()) }
        },
    )
    .await;
    drop(sim);
}

/// A sharded layout installed on this machine: two shard Prometheus
/// servers (ports, storage and launchers of their own, the bundle's
/// binary), Alertmanager, and for `federated` the global server (for
/// `remote_write` the shards write into `vm`, a VictoriaMetrics started
/// here: aami does not install it). A shard's port in use stops it before
/// anything changes; then every server is installed and ready, the fleet
/// read through query mode from the layout's query URL equals the fleet
/// scraped directly, and a second install changes nothing.
async fn sharded_install(layout: StackLayout, vm: Option<&str>) {
    let sim = SimFleet::start(SimOptions {
        nodes: 3,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let f = fixture(sim.config().nodes, &["gpu-production"], &[]);
    let mut c = f.config();
    c.stack.shard_above = 2;
    c.stack.shards = Some(2);
    c.stack.layout = layout;
    c.stack.victoria_metrics = vm.map(str::to_string);
    c.prometheus.port = common::servers::free_ports_in_a_row(3);
    f.write_config(&c);
    let b = f.bundle.to_str().unwrap();

    // Shard 1's port taken: refused before anything is installed.
    let shard1 = c.prometheus.port + 2;
    let taken = std::net::TcpListener::bind(("0.0.0.0", shard1)).unwrap();
    let said = f.fails(1, &["stack", "install", "--bundle", b]).await;
    assert!(
        said.contains(&format!("port {shard1}")) && said.contains("prometheus-shard-1"),
        "{said}"
    );
    assert!(said.contains("nothing was changed"), "{said}");
    assert!(!f.prefix().join("alertmanager").exists(), "nothing done");
    drop(taken);

    let federated = layout == StackLayout::Federated;
    let out = f.ok(&["stack", "install", "--bundle", b]).await;
    for file in ["shards/0/prometheus.yml", "shards/1/prometheus.yml"]
        .into_iter()
        .chain(federated.then_some("prometheus.yml"))
    {
        assert!(out.contains(&format!("promtool accepts {file}")), "{out}");
    }
    let global = "prometheus   ";
    for server in ["prometheus-shard-0", "prometheus-shard-1", global] {
        let installed = out
            .lines()
            .any(|l| l.starts_with(server) && l.contains("installed 2.42.0, ready"));
        assert_eq!(installed, server != global || federated, "{server}: {out}");
    }
    assert_eq!(f.current(StackComponent::Shard(1)), "2.42.0");
    let status = f.status().await;
    let names: Vec<&str> = status["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut want = vec!["alertmanager", "shard 0", "shard 1"];
    if federated {
        want.insert(1, "prometheus");
    } else {
        // The store is read too: up, and its data on disk.
        want.push("victoria-metrics");
        let store = &status["servers"][3];
        assert_eq!(store["up"], true, "{status}");
        assert!(store["tsdb"]["bytes"].is_number(), "{status}");
    }
    assert_eq!(names, want);

    // Query mode against the layout's query URL: the fleet scraped
    // directly.
    let direct = common::fleets::read(&c).await;
    let url = match vm {
        Some(vm) => vm.to_string(),
        None => f.prometheus_url(),
    };
    let hint = match vm {
        Some(vm) => vm.to_string(),
        None => url.replace("127.0.0.1", "localhost"),
    };
    assert!(out.contains(&format!("prometheus.url: {hint} ")), "{out}");
    common::servers::wait_for_value(
        &url,
        "count(DCGM_FI_DEV_GPU_UTIL)",
        direct.gpu_count() as f64,
        Duration::from_secs(60),
    )
    .await;
    common::servers::wait_for_value(
        &url,
        "count(up{job=~\"node_exporter|dcgm-exporter\"} == 1)",
        2.0 * c.nodes.len() as f64,
        Duration::from_secs(60),
    )
    .await;
    let mut q = c.clone();
    q.prometheus.url = Some(url);
    common::fleets::assert_same_fleet(&direct, &common::fleets::read(&q).await);

    let again = f.ok(&["stack", "install", "--bundle", b]).await;
    assert!(again.contains("unchanged: nothing to do"), "{again}");
    drop(sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_federated_layout_installs_shards_and_a_global_server_here() {
    sharded_install(StackLayout::Federated, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_write_layout_installs_shards_writing_into_victoria_metrics() {
    let vm = common::servers::victoria_metrics_store();
    sharded_install(StackLayout::RemoteWrite, Some(&vm.url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_fails_with_what_to_do_and_the_running_stack_keeps_running() {
    let page =
        std::fs::read_to_string(common::fixture("dcgm/derived_H100x8_gpu3-hot-91C.prom")).unwrap();
    let hot = PageServer::start("127.0.6.11", page).await;
    let dir = tempfile::tempdir().unwrap();
    let hang = dir.path().join("hang");
    std::fs::write(
        &hang,
        "#!/bin/sh\n# listens nowhere, never ready\nexec sleep 600\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hang, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut f = fixture(
        vec![dcgm_node("hot-node", &hot)],
        &["gpu-production"],
        &[format!("prometheus={}@9.9", hang.display())],
    );
    let b = f.bundle.to_str().unwrap().to_string();
    f.ok(&[
        "stack",
        "install",
        "--bundle",
        &b,
        "--prometheus-version",
        "2.42.0",
    ])
    .await;
    let prom = f.prometheus_url();
    let pid = f.pid(StackComponent::Prometheus);
    let good = f.config();
    let still_running = |f: &Fixture, prom: String, pid: String| {
        let now = f.pid(StackComponent::Prometheus);
        let current = f.current(StackComponent::Prometheus);
        async move {
            assert!(ready(&prom).await, "the previous Prometheus answers");
            assert_eq!(now, pid, "and is the same process");
            assert_eq!(current, "2.42.0");
        }
    };

    // A port already in use: refused before anything changes.
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let mut c = good.clone();
    c.prometheus.port = taken.local_addr().unwrap().port();
    f.write_config(&c);
    let said = f
        .fails(
            1,
            &[
                "stack",
                "upgrade",
                "--bundle",
                &b,
                "--prometheus-version",
                "2.42.0",
            ],
        )
        .await;
    assert!(
        said.contains(&format!(
            "port {} on this machine is already in use",
            c.prometheus.port
        )) && said.contains("set prometheus.port to a free port")
            && said.contains("nothing was changed"),
        "{said}"
    );
    still_running(&f, prom.clone(), pid.clone()).await;

    // A storage folder that cannot be written (its parent is a file).
    let mut c = good.clone();
    c.prometheus.storage_path = f.config.join("data").display().to_string();
    f.write_config(&c);
    let said = f
        .fails(
            1,
            &[
                "stack",
                "upgrade",
                "--bundle",
                &b,
                "--prometheus-version",
                "2.42.0",
            ],
        )
        .await;
    assert!(
        said.contains("cannot write its storage folder")
            && said.contains("Not a directory")
            && said.contains("set prometheus.storage_path"),
        "{said}"
    );
    still_running(&f, prom.clone(), pid.clone()).await;
    f.write_config(&good);

    // A Prometheus that never becomes ready: rolled back to the one that ran.
    let said = f
        .fails(
            1,
            &[
                "stack",
                "upgrade",
                "--bundle",
                &b,
                "--prometheus-version",
                "9.9",
                "--verify-timeout",
                "3",
            ],
        )
        .await;
    assert!(
        said.contains("prometheus 9.9 did not become ready within 3s")
            && said.contains("rolled back")
            && said.contains("prometheus 2.42.0 is running and ready")
            && said.contains("the previous stack is running"),
        "{said}"
    );
    let pid = f.pid(StackComponent::Prometheus);
    still_running(&f, prom.clone(), pid.clone()).await;
    assert!(
        !f.prefix().join("prometheus/previous").exists(),
        "no previous version before, none after"
    );

    // A configuration promtool rejects: nothing reaches the stack.
    let edited = f.dir.path().join("edited");
    f.ok(&["stack", "render", "--output", edited.to_str().unwrap()])
        .await;
    let yml = edited.join("prometheus.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace("scrape_interval: 1s", "scrape_interval: banana"),
    )
    .unwrap();
    let said = f
        .fails(2, &["stack", "reload", "--from", edited.to_str().unwrap()])
        .await;
    assert!(
        said.contains("promtool rejects prometheus.yml")
            && said.contains("not a valid duration string")
            && said.contains("nothing was uploaded and the running stack is unchanged"),
        "{said}"
    );
    let live = std::fs::read_to_string(f.stack_dir().join("prometheus.yml")).unwrap();
    assert!(live.contains("scrape_interval: 1s"));

    // Without promtool here, Prometheus itself refuses it on reload: the
    // old files come back and it keeps the configuration it had.
    f.path_env = Some(path_without(&["promtool", "amtool"], f.dir.path()));
    let said = f
        .fails(1, &["stack", "reload", "--from", edited.to_str().unwrap()])
        .await;
    assert!(
        said.contains("promtool is not installed here")
            && said.contains("prometheus refused the new configuration")
            && said.contains("not a valid duration string")
            && said.contains("the previous configuration files are back, prometheus reloaded them"),
        "{said}"
    );
    let live = std::fs::read_to_string(f.stack_dir().join("prometheus.yml")).unwrap();
    assert!(live.contains("scrape_interval: 1s"), "restored on disk");
    let loaded = get_json(&format!("{prom}/api/v1/status/config")).await;
    assert!(
        loaded["data"]["yaml"]
            .as_str()
            .unwrap()
            .contains("scrape_interval: 1s"),
        "{loaded}"
    );
    still_running(&f, prom.clone(), pid.clone()).await;
    f.path_env = None;

    // A reload that changes a rule reloads Prometheus only.
    let mut c = good.clone();
    c.alerts.presets.push("hot-now".into());
    f.write_config(&c);
    let out = f.ok(&["stack", "reload"]).await;
    assert!(
        out.contains("rules/aami.yml written")
            && out.contains("prometheus     reloaded (2.42.0)")
            && out.contains("alertmanager   unchanged"),
        "{out}"
    );
    still_running(&f, prom.clone(), pid.clone()).await;

    // A rule that fails when evaluated (promtool checks only its syntax):
    // status names it and exits 1.
    let broken = f.dir.path().join("broken");
    f.ok(&["stack", "render", "--output", broken.to_str().unwrap()])
        .await;
    std::fs::write(
        broken.join("rules/broken.yml"),
        "groups:\n  - name: broken\n    rules:\n      - record: both_up\n        expr: up * on() up\n",
    )
    .unwrap();
    let out = f
        .ok(&["stack", "reload", "--from", broken.to_str().unwrap()])
        .await;
    assert!(out.contains("rules/broken.yml written"), "{out}");
    eventually(
        "the failing rule in status",
        Duration::from_secs(30),
        || async {
            let o = f.run(&["stack", "status"]).await;
            let table = common::stdout(&o);
            if o.status.code() == Some(1)
                && table.contains("prometheus: rule failing: broken/both_up:")
                && table.contains("duplicate series")
            {
                Ok(())
            } else {
                Err(table)
            }
        },
    )
    .await;

    // The next reload from the config takes the stray rule file away.
    let out = f.ok(&["stack", "reload"]).await;
    assert!(out.contains("rules/broken.yml removed"), "{out}");
    assert!(!f.stack_dir().join("rules/broken.yml").exists());

    // A port change is a restart, not a reload: said so.
    let mut c2 = c.clone();
    c2.prometheus.port = free_listen_port();
    f.write_config(&c2);
    let said = f.fails(1, &["stack", "reload"]).await;
    assert!(
        said.contains("needs a restart, not a reload") && said.contains("stack upgrade"),
        "{said}"
    );
    drop(taken);
}

/// A PATH of links to every program but `without`.
fn path_without(without: &[&str], dir: &Path) -> String {
    let bin = dir.join("bin-without");
    std::fs::create_dir_all(&bin).unwrap();
    for d in ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let name = e.file_name();
            if without.iter().any(|w| name == *w) || bin.join(&name).exists() {
                continue;
            }
            let _ = std::os::unix::fs::symlink(e.path(), bin.join(&name));
        }
    }
    bin.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_ssh_the_stack_installs_then_a_second_install_changes_nothing() {
    let sshd = common::sshd::start();
    // The stack's host: a node reached over SSH that runs no exporter.
    let host = NodeConfig {
        name: "monitor".into(),
        ip: "127.0.0.1".into(),
        ssh_user: Some(common::sshd::user()),
        ssh_port: Some(sshd.port),
        ssh_key: Some(sshd.dir.path().join("user_ed25519").display().to_string()),
        exporters: Exporters {
            dcgm: None,
            node: None,
            ..Default::default()
        },
        ..Default::default()
    };
    let f = fixture(vec![host], &["gpu-production"], &[]);
    let b = f.bundle.to_str().unwrap();
    let install = ["stack", "install", "--host", "monitor", "--bundle", b];
    // The host key is not known yet: refused with how to accept it.
    let said = f.fails(1, &install).await;
    assert!(said.contains("--accept-new"), "{said}");
    assert!(!f.prefix().join("prometheus").exists(), "nothing done");

    let mut accepted = install.to_vec();
    accepted.push("--accept-new");
    let out = f.ok(&accepted).await;
    assert!(
        out.contains("alertmanager   installed 0.25.0, ready"),
        "{out}"
    );
    assert!(
        out.contains("prometheus     installed 2.42.0, ready"),
        "{out}"
    );
    assert!(out.contains("set stack.host: monitor"), "{out}");
    assert!(ready(&f.prometheus_url()).await);
    let pid = f.pid(StackComponent::Prometheus);

    let out = f.ok(&install).await;
    assert!(out.contains("configuration  unchanged"), "{out}");
    assert!(out.contains("alertmanager   unchanged (0.25.0)"), "{out}");
    assert!(out.contains("prometheus     unchanged (2.42.0)"), "{out}");
    assert_eq!(f.pid(StackComponent::Prometheus), pid, "not restarted");

    let s = f
        .run(&["stack", "status", "--host", "monitor", "--json"])
        .await;
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["servers"][1]["up"], true, "{v}");
    assert_eq!(s.status.code(), Some(0), "{v}");
}

#[test]
fn the_stack_units_match_their_golden_files_and_systemd_accepts_them() {
    let mut c = Config::default();
    c.prometheus.retention = "30d".into();
    for comp in StackComponent::ALL {
        let text = stack::unit(comp, &c, "/opt/aami", "/opt/aami/stack");
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(stack::unit_name(comp));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        assert_eq!(text, std::fs::read_to_string(&golden).expect("golden unit"));
    }
    common::require("systemd-analyze", "systemd");
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("opt");
    for (comp, bin) in [
        (StackComponent::Prometheus, PROMETHEUS),
        (StackComponent::Alertmanager, ALERTMANAGER),
    ] {
        let vdir = prefix.join(comp.name()).join("1.0");
        std::fs::create_dir_all(&vdir).unwrap();
        std::os::unix::fs::symlink(bin, vdir.join(comp.name())).unwrap();
        std::os::unix::fs::symlink("1.0", prefix.join(comp.name()).join("current")).unwrap();
        let file = dir.path().join(stack::unit_name(comp));
        std::fs::write(
            &file,
            stack::unit(comp, &c, prefix.to_str().unwrap(), "/opt/aami/stack"),
        )
        .unwrap();
        let o = std::process::Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&file)
            .output()
            .unwrap();
        let err = common::stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            !err.contains("Unknown key") && !err.contains("Failed to parse"),
            "{err}"
        );
    }
}
