//! `aami-tui inspect` on saved captures of every dialect, stdin and a live
//! URL: what it detects, the GPUs it prints, and why it finds none.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fx(rel: &str) -> String {
    common::fixture(rel).to_string_lossy().into_owned()
}

fn inspect(args: &[&str]) -> Output {
    let mut all = vec!["inspect"];
    all.extend_from_slice(args);
    common::run(&all)
}

/// Runs `inspect ... --json`, expecting success, and returns the report.
fn inspect_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = inspect(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("inspect --json prints JSON")
}

/// The table row of GPU `index` on `node`.
fn row<'a>(table: &'a str, node: &str, index: u32) -> &'a str {
    table
        .lines()
        .find(|l| {
            let mut cells = l.split_whitespace();
            cells.next() == Some(node) && cells.next() == Some(&index.to_string())
        })
        .unwrap_or_else(|| panic!("no row for {node} GPU {index} in:\n{table}"))
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-9)
}

const DCGM_L4: &str = "dcgm/cncf-aiconf_kops_L4x1_dcgm-exporter_metrics.prom";
const DCGM_T4: &str = "dcgm/cncf-aiconf_ericsson_TeslaT4x1_dcgm-exporter_metrics_noHELP.prom";
const DCGM_T4_NEW: &str = "dcgm/derived_TeslaT4x1_dcgm-4.7-metric-names.prom";
const NVGPU_H100: &str = "nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.prom";

#[test]
fn dcgm_capture_as_table_and_json() {
    let out = inspect(&[&fx(DCGM_L4)]);
    let s = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{s}{}", common::stderr(&out));
    assert!(s.starts_with("NODE"), "{s}");
    let r = row(&s, "i-030791dc5a37cd257", 0);
    for cell in ["NVIDIA L4", "0%", "0/23033 MiB", "31C", "16.4 W", "210 MHz"] {
        assert!(r.contains(cell), "{cell:?} in {r:?}");
    }
    assert!(s.contains("dcgm-exporter page: 1 node, 1 GPU"), "{s}");

    let v = inspect_json(&[&fx(DCGM_L4)]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["dialect"], "dcgm");
    assert_eq!(v["gpu_count"], 1);
    assert_eq!(v["error"], Value::Null);
    let node = &v["nodes"][0];
    assert_eq!(node["node"], "i-030791dc5a37cd257");
    let g = &node["gpus"][0];
    assert_eq!(g["index"], 0);
    assert_eq!(g["model"], "NVIDIA L4");
    assert_eq!(g["uuid"], "GPU-c2f76b33-7953-256e-8f33-1343419b1a1c");
    assert_eq!(g["pci_bus_id"], "00000000:31:00.0");
    assert_eq!(g["driver"], "580.105.08");
    assert!(close(&g["temp_c"], 31.0));
    assert!(close(&g["power_w"], 16.365));
    assert!(close(&g["mem_total_mib"], 23033.0));
    // Unknown is null, not 0: the L4 page has no power limit or Xid.
    assert_eq!(g["power_limit_w"], Value::Null);
    assert_eq!(g["last_xid"], Value::Null);
    assert_eq!(
        g["mem_temp_c"],
        Value::Null,
        "MEMORY_TEMP 0 means not measured"
    );
}

#[test]
fn classic_and_dcgm_47_metric_names_give_the_same_numbers() {
    let old = inspect(&[&fx(DCGM_T4)]);
    let new = inspect(&[&fx(DCGM_T4_NEW)]);
    assert_eq!(old.status.code(), Some(0));
    assert_eq!(new.status.code(), Some(0));
    let (old_t, new_t) = (common::stdout(&old), common::stdout(&new));
    assert_eq!(old_t, new_t, "same table from both namings");
    let r = row(&old_t, "cp-bm14r7", 0);
    for cell in ["Tesla T4", "91%", "5120/15358 MiB", "74C", "68.2 W"] {
        assert!(r.contains(cell), "{cell:?} in {r:?}");
    }

    let a = inspect_json(&[&fx(DCGM_T4)]);
    let b = inspect_json(&[&fx(DCGM_T4_NEW)]);
    let (ga, gb) = (&a["nodes"][0]["gpus"][0], &b["nodes"][0]["gpus"][0]);
    assert!(close(&ga["util_pct"], 91.0));
    assert!(
        close(&gb["util_pct"], 91.0),
        "GPU_UTIL_RATIO 0.91 is 91 %: {}",
        gb["util_pct"]
    );
    for field in [
        "temp_c",
        "power_w",
        "mem_used_mib",
        "mem_total_mib",
        "sm_clock_mhz",
        "pcie_replays",
    ] {
        assert_eq!(ga[field], gb[field], "{field}");
        assert!(!ga[field].is_null(), "{field} is read");
    }
}

#[test]
fn derived_nonzero_xid_shows_in_table_and_json() {
    let rel = "dcgm/derived_A100x1_MIG-1g.5gb_xid79.prom";
    let out = inspect(&[&fx(rel)]);
    let s = common::stdout(&out);
    let r = row(&s, "ub20-a100-k8s", 0);
    let cells: Vec<&str> = r.split_whitespace().collect();
    // XID and MIG columns: Xid 79, one MIG instance.
    assert!(cells.windows(2).any(|w| w == ["79", "1"]), "{r}");
    let v = inspect_json(&[&fx(rel)]);
    let g = &v["nodes"][0]["gpus"][0];
    assert_eq!(g["last_xid"], 79);
    assert_eq!(g["mig"][0]["profile"], "1g.5gb");
    assert_eq!(g["mig"][0]["instance_id"], "13");
}

#[test]
fn all_smi_captures() {
    let v = inspect_json(&[&fx("all_smi/allsmi-mock-0.28.1_nvidia_mig.prom")]);
    assert_eq!(v["dialect"], "all_smi");
    assert_eq!(v["gpu_count"], 8);
    assert_eq!(v["nodes"][0]["node"], "node-0001");
    let g = &v["nodes"][0]["gpus"][0];
    assert_eq!(g["model"], "NVIDIA B200 192GB HBM3");
    assert!(close(&g["util_pct"], 81.95));
    assert!(close(&g["mem_total_mib"], 196608.0));
    assert_eq!(g["mig"].as_array().map(Vec::len), Some(5));

    let out = inspect(&[&fx("all_smi/allsmi-mock-0.28.1_amdgpu.prom")]);
    let s = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0));
    let r = row(&s, "node-0001", 7);
    assert!(r.contains("AMD Instinct MI355X 288GB HBM3"), "{r}");
    assert!(s.contains("all-smi page: 1 node, 8 GPUs"), "{s}");
}

#[test]
fn all_smi_unrendered_placeholders_are_reported_not_shown() {
    let out = inspect(&[&fx(
        "all_smi/allsmi-mock-0.28.1_amd-cpu_unrendered-placeholders.prom",
    )]);
    assert_eq!(out.status.code(), Some(2));
    let e = common::stderr(&out);
    assert!(e.contains("8 GPU(s) listed but no readings"), "{e}");
    assert!(e.contains("48 sample value(s) are not numbers"), "{e}");
    assert!(e.contains("`{{UTIL_0}}`"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn nvidia_gpu_exporter_captures() {
    let v = inspect_json(&[&fx(NVGPU_H100)]);
    assert_eq!(v["dialect"], "nvidia_gpu_exporter");
    assert_eq!(
        v["nodes"][0]["node"],
        Value::Null,
        "the exporter names no host"
    );
    let g = &v["nodes"][0]["gpus"][0];
    assert_eq!(g["model"], "NVIDIA H100 80GB HBM3");
    assert!(close(&g["util_pct"], 100.0));
    assert!(close(&g["mem_used_mib"], 19818.0));
    assert!(close(&g["temp_c"], 59.0));
    assert!(close(&g["power_limit_w"], 700.0));
    assert!(close(&g["sm_clock_mhz"], 1980.0));

    let out = inspect(&[&fx(
        "nvidia_gpu_exporter/nvgpuexp_metrics_windows-x86_64__nvidia-geforce-rtx-2080-super__610.62__load.prom",
    )]);
    let s = common::stdout(&out);
    let r = row(&s, "-", 0);
    for cell in ["NVIDIA GeForce RTX 2080 SUPER", "7%", "44C", "98/250 W"] {
        assert!(r.contains(cell), "{cell:?} in {r:?}");
    }
}

#[test]
fn custom_json_answer() {
    let v = inspect_json(&[&fx("custom_json/bie_v1_collect_demo-app.json")]);
    assert_eq!(v["dialect"], "custom_json");
    assert_eq!(v["nodes"][0]["node"], "docker-desktop");
    let gpus = v["nodes"][0]["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 2);
    assert!(close(&gpus[0]["util_pct"], 10.0));
    assert!(
        close(&gpus[1]["mem_total_mib"], 1001.0 / 1048576.0),
        "bytes to MiB"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("collect.json");
    std::fs::write(&bad, "{\"docker-desktop\": {\"devices\": [").unwrap();
    let out = inspect(&[bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("malformed JSON"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn prometheus_api_answer() {
    let rel = "prometheus_api/nvidia-aicr_api-v1-query_vector_DCGM_FI_DEV_GPU_TEMP_H100x16.json";
    let v = inspect_json(&[&fx(rel)]);
    assert_eq!(v["dialect"], "prometheus_api");
    assert_eq!(v["gpu_count"], 16);
    let nodes: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["gpu-node-1", "gpu-node-2"]);
    assert!(close(&v["nodes"][0]["gpus"][2]["temp_c"], 26.0));
    assert!(close(&v["nodes"][1]["gpus"][6]["temp_c"], 30.0));
    assert_eq!(
        v["nodes"][0]["gpus"][1]["util_pct"],
        Value::Null,
        "a temperature query says nothing of util"
    );

    let out = inspect(&[&fx(rel)]);
    let s = common::stdout(&out);
    assert!(row(&s, "gpu-node-2", 7).contains("27C"), "{s}");

    let out = inspect(&[&fx("prometheus_api/promdocs_api-v1-query_vector_up.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("none a GPU metric this tool reads (up)"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn stdin_source() {
    let page = std::fs::read(common::fixture(NVGPU_H100)).unwrap();
    let mut child = Command::new(common::bin())
        .args(["inspect", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&page).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"], "-");
    assert_eq!(v["dialect"], "nvidia_gpu_exporter");
    assert!(close(&v["nodes"][0]["gpus"][0]["power_w"], 631.95));
}

#[test]
fn node_exporter_page_has_no_gpus_and_says_why() {
    let rel = "node_exporter/node_exporter_e2e-output_linux.txt";
    let out = inspect(&[&fx(rel)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        common::stderr(&out).trim(),
        "no GPUs: node_exporter page: host metrics only, no GPU series"
    );
    assert!(common::stdout(&out).is_empty());

    let out = inspect(&[&fx(rel), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dialect"], "node_exporter");
    assert_eq!(v["gpu_count"], 0);
    assert_eq!(v["nodes"], serde_json::json!([]));
    assert_eq!(
        v["error"],
        "node_exporter page: host metrics only, no GPU series"
    );
}

#[test]
fn html_and_empty_files_are_not_metrics_pages() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("login.html");
    std::fs::write(
        &html,
        "<!DOCTYPE html>\n<html><body>Grafana login</body></html>\n",
    )
    .unwrap();
    let out = inspect(&[html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("HTML, not a metrics page"),
        "{}",
        common::stderr(&out)
    );

    let empty = dir.path().join("empty.prom");
    std::fs::write(&empty, "\n").unwrap();
    let out = inspect(&[empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("empty page"),
        "{}",
        common::stderr(&out)
    );

    let out = inspect(&[dir.path().join("missing.prom").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "an unreadable source is exit 1");
    assert!(
        common::stderr(&out).contains("cannot read"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn pinned_dialect() {
    let out = inspect(&[&fx(DCGM_T4), "--dialect", "all_smi"]);
    assert_eq!(out.status.code(), Some(2));
    let e = common::stderr(&out);
    assert!(
        e.contains("all-smi page") && e.contains("looks like a dcgm-exporter page"),
        "{e}"
    );
    let v = inspect_json(&[&fx(DCGM_T4), "--dialect", "dcgm"]);
    assert_eq!(v["dialect"], "dcgm");
}

/// Serves fixed pages on 127.0.0.1:0: `/metrics` (dcgm), `/nvgpu`
/// (nvidia_gpu_exporter, no host label), `/login` (HTML); anything else 404.
fn serve(rt: &tokio::runtime::Runtime) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dcgm = std::fs::read_to_string(common::fixture(DCGM_T4)).unwrap();
    let nvgpu = std::fs::read_to_string(common::fixture(NVGPU_H100)).unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let (dcgm, nvgpu) = (dcgm.clone(), nvgpu.clone());
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&req);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, ctype, body) = match path.as_str() {
                    "/metrics" => ("200 OK", "text/plain; version=0.0.4", dcgm),
                    "/nvgpu" => ("200 OK", "text/plain; version=0.0.4", nvgpu),
                    "/login" => ("200 OK", "text/html", "<html><body>sign in</body></html>".to_string()),
                    _ => ("404 Not Found", "text/plain", "not found".to_string()),
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    port
}

#[test]
fn live_url() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let port = serve(&rt);
    let base = format!("http://127.0.0.1:{port}");

    let out = inspect(&[&format!("{base}/metrics")]);
    let s = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{s}{}", common::stderr(&out));
    assert!(row(&s, "cp-bm14r7", 0).contains("91%"), "{s}");

    // A page that names no host is listed under the URL's host:port.
    let v = inspect_json(&[&format!("{base}/nvgpu")]);
    assert_eq!(v["nodes"][0]["node"], format!("127.0.0.1:{port}"));
    assert_eq!(v["source"], format!("{base}/nvgpu"));

    let out = inspect(&[&format!("{base}/login")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("HTML, not a metrics page"),
        "{}",
        common::stderr(&out)
    );

    let out = inspect(&[&format!("{base}/nope")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("HTTP 404"),
        "{}",
        common::stderr(&out)
    );
    drop(rt);
}
