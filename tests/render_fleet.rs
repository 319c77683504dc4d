//! Render tests of the fleet shell against golden files in snapshots/.

mod common;

use aami_tui::app::{Action, SortKey, View};
use aami_tui::ui::theme::Theme;
use crossterm::event::KeyCode;

use common::{draw, frame, keys, press, text};

/// Sim time 50 s: the flapping node (gpu-node-07) is down, gpu-node-02 GPU 5
/// runs hot, gpu-node-06 GPU 2 reports Xid 79.
const T: f64 = 50.0;

#[test]
fn fleet_pane_160x48() {
    let app = common::demo_app(12, T);
    let b = draw(&app, &Theme::mono(), 160, 48);
    let s = text(&b);
    assert!(s.contains("DEMO"));
    assert!(s.contains("gpu-node-07") && s.contains("down timeout after 1.6s"));
    assert!(s.contains("°C!"), "hot GPU marked: {s}");
    snap!("fleet_160x48", s);
}

#[test]
fn fleet_pane_80x24_drops_columns_not_nodes() {
    let app = common::demo_app(12, T);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(!s.contains("LABELS"), "labels column dropped at 80 cols");
    assert!(s.contains("NODE") && s.contains("STATE") && s.contains("UTIL"));
    let row7 = s
        .lines()
        .find(|l| l.contains("gpu-node-07"))
        .unwrap_or_default();
    assert!(
        row7.contains("down"),
        "the state survives at 80 columns: {row7}"
    );
    snap!("fleet_80x24", s);
}

#[test]
fn fleet_pane_colours() {
    let app = common::demo_app(8, T);
    let b = draw(&app, &Theme::dark(), 100, 14);
    insta::with_settings!({ snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false }, {
        insta::assert_debug_snapshot!("fleet_dark_colours_100x14", b);
    });
}

#[test]
fn sorted_by_temperature_and_filtered() {
    let mut app = common::demo_app(12, T);
    while app.ui.sort != SortKey::Temp {
        app.apply(Action::CycleSort);
    }
    let s = text(&draw(&app, &Theme::mono(), 120, 20));
    let first_row = s.lines().nth(3).unwrap_or_default();
    assert!(
        first_row.contains("gpu-node-02"),
        "hottest node first: {first_row}"
    );
    // 40 nodes make racks r1..r3: the rack term must take nodes away.
    let mut app = common::demo_app(40, T);
    keys(&mut app, "/rack=r2 util>50");
    press(&mut app, KeyCode::Enter);
    let visible = app.visible_nodes();
    assert!(!visible.is_empty());
    for &id in &visible {
        let n = &app.fleet.nodes[id];
        assert!(n.avg_util().unwrap() > 50.0);
        assert_eq!(n.spec.labels.get("rack").map(String::as_str), Some("r2"));
    }
    let busy_elsewhere = app
        .fleet
        .nodes
        .iter()
        .filter(|n| n.avg_util().is_some_and(|u| u > 50.0))
        .count();
    assert!(visible.len() < busy_elsewhere, "rack=r2 filtered some out");
    // Esc in the prompt drops the filter again.
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.visible_nodes().len(), 40);
}

#[test]
fn scrolling_keeps_selection_on_screen_with_1000_nodes() {
    let mut app = common::demo_app(1000, T);
    frame(&mut app, &Theme::mono(), 80, 24);
    app.apply(Action::Bottom);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    let cursor_row = |s: &str| {
        s.lines()
            .find(|l| l.starts_with('▶'))
            .unwrap_or_default()
            .to_string()
    };
    assert!(cursor_row(&s).contains("gpu-node-1000"), "{s}");
    assert!(s.contains("1000/1000"));
    press(&mut app, KeyCode::PageUp);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    // A page is the table's 20 rows at 24 lines: 1000 - 20.
    assert!(cursor_row(&s).contains("gpu-node-0980"), "{s}");
    assert!(s.contains("980/1000"), "{s}");
}

#[test]
fn alerts_pane_lists_worst_first() {
    let mut app = common::demo_app(12, T);
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.view(), View::Alerts);
    let s = text(&draw(&app, &Theme::mono(), 120, 20));
    let lines: Vec<&str> = s
        .lines()
        .skip(3)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(
        lines[0]
            .trim_start_matches('▶')
            .trim_start()
            .starts_with("crit"),
        "{s}"
    );
    assert!(s.contains("node down: timeout after 1.6s"));
    assert!(s.contains("reported Xid 79"));
    assert!(s.contains("warn"));
}

fn open(app: &mut aami_tui::app::App, name: &str) {
    let id = app
        .fleet
        .nodes
        .iter()
        .position(|n| n.spec.name == name)
        .unwrap();
    app.ui.selected = Some(id);
    press(app, KeyCode::Enter);
    assert_eq!(app.view(), View::Node(id));
}

#[test]
fn node_pane_hot_gpu_160x48() {
    let mut app = common::demo_app(12, T);
    open(&mut app, "gpu-node-02");
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("throttled: HW thermal, SW thermal"), "{s}");
    assert!(s.contains("NVIDIA H100 80GB HBM3 ×8"));
    snap!("node_hot_160x48", s);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view(), View::Fleet);
}

#[test]
fn node_pane_xid_and_mig_80x24() {
    let mut app = common::demo_app(12, T);
    open(&mut app, "gpu-node-06");
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(s.contains("Xid 79"), "{s}");
    snap!("node_xid_80x24", s);
    press(&mut app, KeyCode::Esc);
    open(&mut app, "gpu-node-03");
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(s.contains("└ MIG 13 1g.5gb"), "{s}");
    snap!("node_mig_80x24", s);
}

#[test]
fn node_pane_down_node_says_why() {
    let mut app = common::demo_app(12, T);
    open(&mut app, "gpu-node-07");
    let s = text(&draw(&app, &Theme::mono(), 120, 30));
    assert!(s.contains("down: timeout after 1.6s"), "{s}");
}
