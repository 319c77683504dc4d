//! The topology pane on real captures (tests/fixtures/nvidia_smi), at 80×24
//! and 160×48: 8×H100 NV18, 8×A100 NV12 with two links down on one GPU
//! (derived: two `Link` lines of GPU 2 set to `<inactive>`), a 4-GPU PCIe
//! box with NICs, and a 2-GPU box (the demo's derived NV18 matrix).
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::{App, Event, View};
use aami_tui::runtime::topology::parse;
use aami_tui::sources::topology::SEPARATOR;
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
    let mut app = common::demo_app(12, T);
    let topology = parse(text, "2026-11-30 21:00:00 UTC", "test");
    assert!(topology.problem.is_none(), "{:?}", topology.problem);
    app.on_event(Event::Topology { node: 0, topology });
    keys(&mut app, ":topology gpu-node-01");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Topology(0));
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

#[test]
fn h100_nv18() {
    let text = format!(
        "{}\n{SEPARATOR}\n{}",
        read("ml-engineering_topo-m_H100x8_NV18_space-formatted.txt"),
        (0..8)
            .map(|g| format!(
                "GPU {g}: NVIDIA H100 80GB HBM3 (UUID: GPU-x)\n{}",
                (0..18)
                    .map(|l| format!("\t Link {l}: 26.562 GB/s\n"))
                    .collect::<String>()
            ))
            .collect::<String>()
    );
    let mut app = with_topology(&text);
    let (small, big) = both(&mut app, "h100_nv18");
    assert!(big.contains("NV18") && big.contains("52-103"), "{big}");
    assert!(big.contains("No GPU pair crosses the CPU socket."), "{big}");
    assert!(small.contains("GPU7"), "all 8 columns at 80: {small}");
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
    let mut app = with_topology(&read(
        "stelline_topo-m_RTX6000Ada-x4_PCIe_ASUS-ESC8000A-E12.txt",
    ));
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
