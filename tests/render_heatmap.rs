//! Heatmap and health render tests against golden files in snapshots/.

mod common;

use aami_tui::app::{Action, Pane, SortKey};
use aami_tui::domain::heat::HeatMetric;
use aami_tui::ui::theme::Theme;
use common::{draw, text};

const T: f64 = 50.0;

#[test]
fn heatmap_160x48_and_80x24() {
    let mut app = common::demo_app(40, T);
    app.apply(Action::GoPane(Pane::Heatmap));
    app.apply(Action::Resize(160, 48));
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(
        s.contains("utilisation %") && s.contains("fleet min"),
        "{s}"
    );
    assert!(s.contains("✖✖"), "down node marked");
    assert!(s.contains("X!"), "Xid GPU marked");
    assert!(s.contains("cursor: gpu-node-01 GPU 0"));
    snap!("heatmap_util_160x48", s);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    assert!(s.lines().all(|l| l.chars().count() <= 80));
    snap!("heatmap_util_80x24", s);
}

#[test]
fn metric_cycles_and_cursor_moves_and_opens() {
    let mut app = common::demo_app(12, T);
    app.apply(Action::GoPane(Pane::Heatmap));
    app.apply(Action::Resize(80, 24));
    app.apply(Action::CycleMetric);
    app.apply(Action::CycleMetric);
    assert_eq!(app.ui.heat.metric, HeatMetric::Temperature);
    // gpu-node-02 GPU 5 is the hot one: right past node 1's 8 GPUs wraps to node 2.
    for _ in 0..13 {
        app.apply(Action::MoveCol(1));
    }
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    let footer = s.lines().rev().nth(1).unwrap();
    assert!(
        footer.contains("gpu-node-02 GPU 5") && footer.contains("°C"),
        "{footer}"
    );
    snap!("heatmap_temp_cursor_80x24", s);
    // Right past the last GPU wraps to the next node.
    for _ in 0..3 {
        app.apply(Action::MoveCol(1));
    }
    assert_eq!(app.ui.heat.gpu, 0);
    // Two blocks per row at 80 columns: down moves two nodes.
    app.apply(Action::Move(1));
    app.apply(Action::Move(-1));
    assert_eq!(app.ui.heat.node_pos, 2);
    app.apply(Action::Open);
    assert_eq!(app.ui.pane, Pane::Fleet);
    assert_eq!(
        app.ui
            .open_node
            .map(|id| app.fleet.nodes[id].spec.name.clone())
            .as_deref(),
        Some("gpu-node-03")
    );
}

#[test]
fn health_metric_and_sort() {
    let mut app = common::demo_app(12, T);
    while app.ui.sort != SortKey::Health {
        app.apply(Action::CycleSort);
    }
    let order: Vec<String> = app
        .visible_nodes()
        .iter()
        .map(|&i| app.fleet.nodes[i].spec.name.clone())
        .collect();
    // Down node (0), then the Xid node, then the hot node.
    assert_eq!(&order[..3], ["gpu-node-07", "gpu-node-06", "gpu-node-02"]);
    let s = text(&draw(&app, &Theme::mono(), 160, 20));
    assert!(s.contains("HEALTH") && s.contains("0 ✖"), "{s}");
    app.apply(Action::GoPane(Pane::Heatmap));
    while app.ui.heat.metric != HeatMetric::Health {
        app.apply(Action::CycleMetric);
    }
    let s = text(&draw(&app, &Theme::mono(), 160, 30));
    assert!(s.contains("health 0–100"));
}

#[test]
fn heatmap_1024_nodes_scrolls_to_the_cursor() {
    let mut app = common::demo_app(1024, T);
    app.apply(Action::GoPane(Pane::Heatmap));
    app.apply(Action::Resize(160, 48));
    app.apply(Action::Move(100_000));
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("gpu-node-1024"), "{s}");
    assert!(s.contains("cursor: gpu-node-1024"));
}

#[test]
fn heatmap_colours_dark() {
    let mut app = common::demo_app(8, T);
    app.apply(Action::GoPane(Pane::Heatmap));
    let b = draw(&app, &Theme::dark(), 100, 12);
    insta::with_settings!({ snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false }, {
        insta::assert_debug_snapshot!("heatmap_dark_colours_100x12", b);
    });
}

#[test]
fn dense_cells_fit_more_nodes_and_toggle() {
    let mut app = common::demo_app(1024, T);
    app.apply(Action::GoPane(Pane::Heatmap));
    app.apply(Action::Resize(160, 48));
    assert!(app.ui.heat.is_dense(1024), "dense by default on big fleets");
    let dense = text(&draw(&app, &Theme::mono(), 160, 48));
    let dense_nodes = dense.matches("gpu-node-").count();
    app.apply(Action::ToggleDense);
    let wide = text(&draw(&app, &Theme::mono(), 160, 48));
    let wide_nodes = wide.matches("gpu-node-").count();
    assert!(
        dense_nodes > wide_nodes,
        "dense {dense_nodes} vs wide {wide_nodes}"
    );
    snap!("heatmap_dense_1024_160x48", dense);
}

#[test]
fn panes_fill_250x70() {
    let mut app = common::demo_app(64, T);
    for pane in [Pane::Fleet, Pane::Heatmap, Pane::Alerts] {
        app.apply(Action::GoPane(pane));
        app.apply(Action::Resize(250, 70));
        let s = text(&draw(&app, &Theme::mono(), 250, 70));
        assert!(
            s.lines().count() == 70 && s.contains("gpu-node-"),
            "{pane:?}"
        );
    }
    let s = text(&draw(&app, &Theme::mono(), 250, 70));
    assert!(s.contains("crit"));
}

#[test]
fn alerts_pane_snapshots() {
    let mut app = common::demo_app(12, T);
    app.apply(Action::GoPane(Pane::Alerts));
    snap!("alerts_80x24", text(&draw(&app, &Theme::mono(), 80, 24)));
    snap!("alerts_160x48", text(&draw(&app, &Theme::mono(), 160, 48)));
}
