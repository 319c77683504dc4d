//! Heatmap and health render tests against golden files in snapshots/.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::{Action, SortKey, View};
use aami_tui::domain::heat::HeatMetric;
use aami_tui::ui::theme::Theme;
use common::{draw, frame, keys, press, text};
use crossterm::event::KeyCode;

const T: f64 = 50.0;

#[test]
fn heatmap_160x48_and_80x24() {
    let mut app = common::demo_app(40, T);
    press(&mut app, KeyCode::Char('2'));
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    assert!(
        s.contains("utilisation %") && s.contains("fleet min"),
        "{s}"
    );
    assert!(s.contains("✖✖"), "down node marked");
    assert!(s.contains("X!"), "Xid GPU marked");
    assert!(s.contains("cursor: gpu-node-01 GPU 0"));
    snap!("heatmap_util_160x48", s);
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    let legend = s.lines().nth(2).unwrap_or_default();
    assert!(
        legend.contains("max"),
        "the legend keeps the fleet max at 80 columns: {legend}"
    );
    snap!("heatmap_util_80x24", s);
}

#[test]
fn metric_cycles_and_cursor_moves_and_opens() {
    let mut app = common::demo_app(12, T);
    press(&mut app, KeyCode::Char('2'));
    frame(&mut app, &Theme::mono(), 80, 24);
    keys(&mut app, "mm");
    assert_eq!(app.ui.heat.metric, HeatMetric::Temperature);
    // gpu-node-02 GPU 5 is the hot one: right past node 1's 8 GPUs wraps to node 2.
    keys(&mut app, &"l".repeat(13));
    let s = text(&draw(&app, &Theme::mono(), 80, 24));
    let footer = s.lines().rev().nth(1).unwrap();
    assert!(
        footer.contains("gpu-node-02 GPU 5") && footer.contains("°C"),
        "{footer}"
    );
    snap!("heatmap_temp_cursor_80x24", s);
    // Right past the last GPU wraps to the next node.
    keys(&mut app, "lll");
    assert_eq!(app.ui.heat.gpu, 0);
    assert_eq!(app.ui.heat.node_pos, 2);
    // Two blocks per row at 80 columns: down moves two nodes, up comes back.
    assert_eq!(app.ui.geometry.heat_blocks_per_row, 2);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.ui.heat.node_pos, 4);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.ui.heat.node_pos, 2);
    press(&mut app, KeyCode::Enter);
    let View::Node(id) = app.view() else {
        panic!("Enter opens the node, got {:?}", app.view());
    };
    assert_eq!(app.fleet.nodes[id].spec.name, "gpu-node-03");
    // Esc goes back to the heatmap it came from.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view(), View::Heatmap);
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
    press(&mut app, KeyCode::Char('2'));
    while app.ui.heat.metric != HeatMetric::Health {
        press(&mut app, KeyCode::Char('m'));
    }
    let s = text(&draw(&app, &Theme::mono(), 160, 30));
    assert!(s.contains("health 0–100"));
}

#[test]
fn heatmap_1024_nodes_scrolls_to_the_cursor() {
    let mut app = common::demo_app(1024, T);
    press(&mut app, KeyCode::Char('2'));
    frame(&mut app, &Theme::mono(), 160, 48);
    press(&mut app, KeyCode::End);
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("gpu-node-1024"), "{s}");
    assert!(s.contains("cursor: gpu-node-1024"));
}

#[test]
fn heatmap_colours_dark() {
    let mut app = common::demo_app(8, T);
    press(&mut app, KeyCode::Char('2'));
    let b = draw(&app, &Theme::dark(), 100, 12);
    insta::with_settings!({ snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false }, {
        insta::assert_debug_snapshot!("heatmap_dark_colours_100x12", b);
    });
}

#[test]
fn dense_cells_fit_more_nodes_and_toggle() {
    let mut app = common::demo_app(1024, T);
    press(&mut app, KeyCode::Char('2'));
    assert!(app.ui.heat.is_dense(1024), "dense by default on big fleets");
    let dense = text(&draw(&app, &Theme::mono(), 160, 48));
    let dense_nodes = dense.matches("gpu-node-").count();
    press(&mut app, KeyCode::Char('z'));
    let wide = text(&draw(&app, &Theme::mono(), 160, 48));
    let wide_nodes = wide.matches("gpu-node-").count();
    assert!(
        dense_nodes > wide_nodes,
        "dense {dense_nodes} vs wide {wide_nodes}"
    );
    snap!("heatmap_dense_1024_160x48", dense);
}

#[test]
fn panes_use_the_room_at_250x70() {
    let mut app = common::demo_app(64, T);
    // 66 body rows hold all 64 nodes, one per line.
    let s = frame(&mut app, &Theme::mono(), 250, 70);
    assert_eq!(s.matches("gpu-node-").count(), 64, "{s}");
    assert!(s.contains("gpu-node-64"));
    // The heatmap puts several node blocks on a row and still shows all.
    press(&mut app, KeyCode::Char('2'));
    let s = frame(&mut app, &Theme::mono(), 250, 70);
    assert!(
        app.ui.geometry.heat_blocks_per_row >= 4,
        "{:?}",
        app.ui.geometry
    );
    assert_eq!(
        s.matches("gpu-node-").count(),
        64 + 1,
        "64 blocks + the cursor line: {s}"
    );
    press(&mut app, KeyCode::Char('3'));
    let s = frame(&mut app, &Theme::mono(), 250, 70);
    assert!(s.contains("crit"));
}

#[test]
fn alerts_pane_snapshots() {
    let mut app = common::demo_app(12, T);
    press(&mut app, KeyCode::Char('3'));
    snap!("alerts_80x24", text(&draw(&app, &Theme::mono(), 80, 24)));
    snap!("alerts_160x48", text(&draw(&app, &Theme::mono(), 160, 48)));
}

#[test]
fn an_xid_cell_is_drawn_critical_whatever_the_metric() {
    let mut app = common::demo_app(8, T);
    press(&mut app, KeyCode::Char('2'));
    let theme = Theme::dark();
    let b = draw(&app, &theme, 100, 12);
    let cells: Vec<&ratatui::buffer::Cell> = b.content.iter().collect();
    let pos = cells
        .windows(2)
        .position(|w| w[0].symbol() == "X" && w[1].symbol() == "!")
        .expect("an X! cell");
    // gpu-node-06 GPU 2 idles at low utilisation: its metric colour would
    // be the coolest band. An Xid must read as critical instead.
    assert_eq!(cells[pos].fg, theme.crit, "{:?}", cells[pos]);
    assert_ne!(cells[pos].fg, theme.heat_scale[0]);
}

#[test]
fn dense_rows_never_carry_a_group_label_mid_row() {
    let mut app = common::demo_app(1024, T);
    press(&mut app, KeyCode::Char('2'));
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    let mut starts = 0;
    for l in s.lines().skip(4) {
        // Rack labels (r1, r2 …) sit in the first columns only.
        let mid = l
            .char_indices()
            .skip(4)
            .filter(|(i, c)| {
                *c == 'r'
                    && l[*i..].chars().nth(1).is_some_and(|d| d.is_ascii_digit())
                    && l[..*i].ends_with("  ")
            })
            .count();
        assert_eq!(mid, 0, "a group label mid-row: {l}");
        if l.starts_with('r') {
            starts += 1;
        }
    }
    assert!(starts > 10, "{s}");
}

/// Zoom levels: GPU cells, a cell per node, a row per group; the cursor,
/// the footer and Enter work at each.
#[test]
fn zoom_levels_show_the_whole_fleet() {
    let mut app = common::demo_app(1024, T);
    press(&mut app, KeyCode::Char('2'));
    let gpu_level = frame(&mut app, &Theme::mono(), 160, 48);
    press(&mut app, KeyCode::Char('-'));
    let nodes = frame(&mut app, &Theme::mono(), 160, 48);
    snap!("heatmap_zoom_nodes_1024_160x48", nodes.clone());
    // All 1,024 nodes on one 160×48 screen: 155 cells a row, 7 rows.
    assert!(nodes.contains("1024 nodes in 7 rows"), "{nodes}");
    let body = nodes
        .lines()
        .filter(|l| l.starts_with("     ") && l.trim().chars().count() > 100)
        .count();
    assert!(body >= 6, "{nodes}");
    assert!(
        nodes.contains('✖') && nodes.contains('X'),
        "down and Xid nodes show: {nodes}"
    );
    assert_ne!(gpu_level, nodes);
    // Right moves by nodes, down by a row of cells.
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.ui.heat.node_pos, 1);
    press(&mut app, KeyCode::Down);
    assert_eq!(
        app.ui.heat.node_pos,
        1 + app.ui.geometry.heat_blocks_per_row
    );
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    let cursor = s.lines().rev().nth(1).unwrap_or_default();
    let name = &app.fleet.nodes[app.cursor_node().unwrap()].spec.name;
    assert!(cursor.contains(&format!("cursor: {name}")), "{cursor}");
    // Groups: a row per rack, labelled.
    press(&mut app, KeyCode::Char('-'));
    let groups = frame(&mut app, &Theme::mono(), 160, 48);
    snap!("heatmap_zoom_groups_1024_160x48", groups.clone());
    assert!(groups.lines().any(|l| l.starts_with("r1 ")), "{groups}");
    assert!(groups.lines().any(|l| l.starts_with("r2 ")), "{groups}");
    // Enter opens the node under the cursor at any level.
    let id = app.cursor_node().unwrap();
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Node(id));
    press(&mut app, KeyCode::Esc);
    // + goes back to GPU cells.
    press(&mut app, KeyCode::Char('+'));
    press(&mut app, KeyCode::Char('+'));
    assert!(!frame(&mut app, &Theme::mono(), 160, 48).contains("a cell per node"));
}

#[test]
fn zoom_levels_at_80x24() {
    let mut app = common::demo_app(64, T);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('-'));
    let nodes = frame(&mut app, &Theme::mono(), 80, 24);
    snap!("heatmap_zoom_nodes_80x24", nodes.clone());
    assert!(nodes.contains("64 nodes in 1 rows"), "{nodes}");
    press(&mut app, KeyCode::Char('-'));
    let groups = frame(&mut app, &Theme::mono(), 80, 24);
    snap!("heatmap_zoom_groups_80x24", groups.clone());
    assert!(groups.contains("64 nodes in 4 rows"), "{groups}");
}
