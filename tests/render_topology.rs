//! The topology pane on real captures (tests/fixtures/nvidia_smi), at 80×24
//! and 160×48: 8×H100 NV18 with 6 NICs (the della-k17g3 capture; its link
//! status and `nvlink -e` repeat the real H100 forms, and the exporter's
//! per-link counters come from the derived dcgm page, two refreshes), 8×A100
//! NV12 with two links down on one GPU (derived: two `Link` lines of GPU 2
//! set to `<inactive>`), a 4-GPU PCIe box with NICs (and its pairs view), a
//! 2-GPU box (the demo's derived NV18 matrix) and a one-GPU L40S without
//! NVLink. The capture is 3 hours old on the screen's clock.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::{App, Event, View};
use aami_tui::domain::ScrapeOutcome;
use aami_tui::domain::topology::parse_utc_stamp;
use aami_tui::runtime::topology::parse;
use aami_tui::sources::dcgm;
use aami_tui::sources::topology::{ERRORS_SEPARATOR, SEPARATOR};
use aami_tui::ui::theme::Theme;
use common::{fixture, frame, keys, press};
use crossterm::event::KeyCode;

const T: f64 = 50.0;

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("nvidia_smi/{name}"))).unwrap()
}

fn a100_two_links_down() -> String {
    let status = read("gpud_nvidia-smi-nvlink-status_A100x8.txt");
    let mut gpu = None;
    let lines: Vec<String> = status
        .lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("GPU ") {
                gpu = rest.split(':').next().and_then(|n| n.parse::<u32>().ok());
            }
            let t = l.trim();
            if gpu == Some(2) && (t.starts_with("Link 5:") || t.starts_with("Link 9:")) {
                l.replace("25 GB/s", "<inactive>")
            } else {
                l.to_string()
            }
        })
        .collect();
    format!(
        "{}\n{SEPARATOR}\n{}\n",
        read("ml-engineering_topo-m_A100x8_NV12_space-formatted.txt"),
        lines.join("\n")
    )
}

fn with_topology(text: &str) -> App {
    with_topology_on(0, text)
}

/// The pane of demo node `node` (0: an 8×H100, 3: a one-GPU L4) showing
/// `text` as its capture.
fn with_topology_on(node: usize, text: &str) -> App {
    let mut app = common::demo_app(12, T);
    // The screen's clock, three hours after the capture.
    app.wall_clock = parse_utc_stamp("2026-11-30 17:05:30 UTC");
    let topology = parse(text, "2026-11-30 14:02:00 UTC", "test");
    assert!(topology.problem.is_none(), "{:?}", topology.problem);
    app.on_event(Event::Topology { node, topology });
    keys(&mut app, &format!(":topology gpu-node-{:02}", node + 1));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Topology(node));
    assert!(
        app.requests.is_empty(),
        "a known topology is not read again"
    );
    app
}

fn both(app: &mut App, name: &str) -> (String, String) {
    let small = frame(app, &Theme::mono(), 80, 24);
    let big = frame(app, &Theme::mono(), 160, 48);
    snap!(format!("topology_{name}_80x24"), small.clone());
    snap!(format!("topology_{name}_160x48"), big.clone());
    (small, big)
}

/// Per GPU: 18 links at the real H100 speed, and `nvlink -e` in the real
/// form, all zero.
fn h100_links() -> String {
    let mut s = format!("{SEPARATOR}\n");
    for g in 0..8 {
        s.push_str(&format!("GPU {g}: NVIDIA H100 80GB HBM3 (UUID: GPU-x)\n"));
        for l in 0..18 {
            s.push_str(&format!("\t Link {l}: 26.562 GB/s\n"));
        }
    }
    s.push_str(&format!("{ERRORS_SEPARATOR}\n"));
    for g in 0..8 {
        s.push_str(&format!("GPU {g}: NVIDIA H100 80GB HBM3 (UUID: GPU-x)\n"));
        for l in 0..18 {
            s.push_str(&format!(
                "\t Link {l}: Replay Errors: 0\n\t Link {l}: Recovery Errors: 0\n\t Link {l}: CRC Errors: 0\n\n"
            ));
        }
    }
    s
}

/// Node 0 refreshed twice from the derived per-link dcgm page: GPU 3's
/// link 7 CRC flit 5 → 17 and link 9 replay 0 → 1 in between.
fn refresh_with_per_link_counters(app: &mut App) {
    let first = std::fs::read_to_string(fixture("dcgm/derived_H100x8_nvlink-per-link-L0-L17.prom"))
        .unwrap();
    let second: String = first
        .lines()
        .map(|l| {
            let gpu3 = l.contains("gpu=\"3\"");
            let l = if gpu3 && l.starts_with("DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_L7{") {
                l.replace("} 5", "} 17")
            } else if gpu3 && l.starts_with("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L9{") {
                l.replace("} 0", "} 1")
            } else {
                l.to_string()
            };
            l + "\n"
        })
        .collect();
    for (page, back) in [(&first, 2800), (&second, 800)] {
        app.on_event(Event::Refresh {
            outcomes: vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(dcgm::parse(page)),
                host: None,
            }],
            started: app.now - std::time::Duration::from_millis(back),
            took: std::time::Duration::from_millis(12),
        });
    }
}

#[test]
fn h100_nv18_with_nics() {
    let text = format!(
        "{}\n{}",
        read("princeton-gpu-intro_topo-m_H100x8_NV18_6NIC_tabs.txt"),
        h100_links()
    );
    let mut app = with_topology(&text);
    refresh_with_per_link_counters(&mut app);
    let (small, big) = both(&mut app, "h100_nv18_nics");
    assert!(big.contains("NV18") && big.contains("mlx5_5"), "{big}");
    assert!(
        big.contains("captured 14:02 UTC, 3 h ago (test)"),
        "the capture's age: {big}"
    );
    assert!(big.contains("No GPU pair crosses the CPU socket."), "{big}");
    assert!(
        big.contains("every error counter 0 on the 144 links counted"),
        "{big}"
    );
    let moved = big
        .lines()
        .find(|l| l.contains("moved in the last refresh"))
        .unwrap_or_default();
    assert!(
        moved.contains("link 7 CRC flit +12; link 9 replay +1"),
        "{big}"
    );
    assert!(big.contains("per link: 18 links"), "{big}");
    assert!(small.contains("NIC5"), "all 14 columns at 80: {small}");
    assert!(small.contains("captured 14:02 UTC, 3 h ago"), "{small}");
}

#[test]
fn a100_nv12_two_links_down() {
    let mut app = with_topology(&a100_two_links_down());
    let (_, big) = both(&mut app, "a100_nv12_links_down");
    let gpu2 = big
        .lines()
        .find(|l| l.trim_start().starts_with("GPU2 ") && l.contains("active"))
        .unwrap();
    assert!(
        gpu2.contains("10/12")
            && gpu2.contains("degraded")
            && gpu2.contains("2 of 12 NVLinks inactive"),
        "{gpu2}"
    );
}

#[test]
fn pcie_box_with_nics() {
    let mut app = with_topology_on(
        3,
        &read("stelline_topo-m_RTX6000Ada-x4_PCIe_ASUS-ESC8000A-E12.txt"),
    );
    let (small, big) = both(&mut app, "pcie_nics");
    assert!(big.contains("mlx5_0"), "{big}");
    assert!(
        big.contains("4 GPU pairs cross the CPU socket (SYS): 0↔2 0↔3 1↔2 1↔3"),
        "{big}"
    );
    assert!(
        small.contains("SYS") && small.contains("legend:"),
        "{small}"
    );
    // p: the pairs in words, then back to the matrix.
    press(&mut app, KeyCode::Char('p'));
    let (small, big) = both(&mut app, "pcie_nics_pairs");
    assert!(
        big.contains("SYS   across the CPU socket interconnect (slowest): 0↔2 0↔3 1↔2 1↔3"),
        "{big}"
    );
    assert!(
        big.contains("GPU0   NODE  NIC0 mlx5_0, NIC1 mlx5_1"),
        "{big}"
    );
    assert!(small.contains("0↔2 0↔3 1↔2 1↔3"), "{small}");
    press(&mut app, KeyCode::Char('p'));
    let back = frame(&mut app, &Theme::mono(), 160, 48);
    assert!(back.contains("legend:"), "{back}");
}

#[test]
fn l40s_without_nvlink() {
    let text = format!(
        "{}\n{SEPARATOR}\n{}\n{ERRORS_SEPARATOR}\n{}",
        read("nvgpuexp_topo-m_L40Sx1_595.80_PCIe-only.txt"),
        read("nvgpuexp_nvlink-s_L40Sx1_595.80_no-nvlink.txt"),
        read("nvgpuexp_nvlink-s_L40Sx1_595.80_no-nvlink.txt"),
    );
    let mut app = with_topology_on(3, &text);
    let (_, big) = both(&mut app, "l40s_no_nvlink");
    assert!(
        !big.contains("NVLink from the exporter"),
        "a PCIe card's zero NVLink bandwidth is not shown: {big}"
    );
    assert!(
        big.contains("GPU0                   no NVLink: Device does not have or support Nvlink"),
        "{big}"
    );
    assert!(big.contains("One GPU: no GPU pairs."), "{big}");
    assert!(
        !big.contains("degraded") && !big.contains("critical"),
        "{big}"
    );
}

#[test]
fn two_gpu_box() {
    let spec = aami_tui::sim::SimSpec::new(&aami_tui::sim::SimOptions {
        nodes: 1,
        gpus: Some(2),
        ..Default::default()
    });
    let mut app = with_topology(&aami_tui::sim::topology::capture(&spec, 0));
    let (_, big) = both(&mut app, "two_gpu");
    let header = big
        .lines()
        .find(|l| l.trim_start().starts_with("GPU0"))
        .unwrap();
    assert!(header.contains("GPU1") && !header.contains("GPU2"), "{big}");
}

#[test]
fn an_unknown_topology_is_read_over_ssh_as_a_job() {
    let mut app = common::demo_app(12, T);
    app.ui.selected = Some(3);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(app.view(), View::Topology(3));
    assert!(
        matches!(app.requests.as_slice(), [aami_tui::app::Request::RunJob(s)] if s.kind == aami_tui::app::jobs::JobKind::TopologyCollect),
        "{:?}",
        app.requests
    );
    let s = frame(&mut app, &Theme::mono(), 80, 24);
    assert!(s.contains("reading `nvidia-smi topo -m`"), "{s}");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view(), View::Node(3));
}

#[test]
fn a_broken_capture_is_said_not_hidden() {
    let t = parse(
        "\tGPU0\tGPU1\nGPU0\t X \tNV4\nGPU1\tNV4\t WAT\n",
        "now",
        "test",
    );
    assert!(t.matrix.is_none());
    assert_eq!(
        t.problem.as_deref(),
        Some("topo -m: line 3: GPU1: \"WAT\" is not a link type")
    );
}
