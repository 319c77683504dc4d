//! Render tests of the fleet shell against golden files in snapshots/.

mod common;

use aami_tui::app::{Action, Pane, SortKey};
use aami_tui::ui::theme::Theme;

use common::{draw, text};

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
    assert!(s.lines().all(|l| l.chars().count() <= 80));
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
    for c in "rack=r1 util>50".chars() {
        app.apply(Action::StartFilter);
        app.apply(Action::FilterChar(c));
        app.apply(Action::FilterApply);
    }
    let visible = app.visible_nodes();
    assert!(!visible.is_empty());
    for id in visible {
        assert!(app.fleet.nodes[id].avg_util().unwrap() > 50.0);
    }
}

#[test]
fn scrolling_keeps_selection_on_screen_with_1000_nodes() {
    let mut app = common::demo_app(1000, T);
    app.apply(Action::Resize(80, 24));
    app.apply(Action::Bottom);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(
        s.contains("▶gpu-node-1000") || s.contains("▶ gpu-node-1000"),
        "{s}"
    );
    assert!(s.contains("1000/1000"));
    app.apply(Action::PageUp);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(s.contains("▶"));
}

#[test]
fn alerts_pane_lists_worst_first() {
    let mut app = common::demo_app(12, T);
    app.apply(Action::GoPane(Pane::Alerts));
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

#[test]
fn help_overlay_lists_keys() {
    let mut app = common::demo_app(4, T);
    app.apply(Action::ToggleHelp);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(s.contains("quit") && s.contains("filter"));
    app.apply(Action::Back);
    assert!(!app.ui.show_help);
}

fn open(app: &mut aami_tui::app::App, name: &str) {
    let id = app
        .fleet
        .nodes
        .iter()
        .position(|n| n.spec.name == name)
        .unwrap();
    app.ui.selected = Some(id);
    app.apply(Action::Open);
    assert_eq!(app.ui.open_node, Some(id));
}

#[test]
fn node_pane_hot_gpu_160x48() {
    let mut app = common::demo_app(12, T);
    open(&mut app, "gpu-node-02");
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("throttled: HW thermal, SW thermal"), "{s}");
    assert!(s.contains("NVIDIA H100 80GB HBM3 ×8"));
    snap!("node_hot_160x48", s);
    app.apply(Action::Back);
    assert_eq!(app.ui.open_node, None);
}

#[test]
fn node_pane_xid_and_mig_80x24() {
    let mut app = common::demo_app(12, T);
    open(&mut app, "gpu-node-06");
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(s.contains("Xid 79"), "{s}");
    assert!(s.lines().all(|l| l.chars().count() <= 80));
    snap!("node_xid_80x24", s);
    app.apply(Action::Back);
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
