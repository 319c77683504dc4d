//! Exporter versions in the node and fleet panes: node_exporter's from its
//! own page (`node_exporter_build_info`), the others from the TUI's exporter
//! jobs, recorded only when the job ends OK.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::jobs::{ExporterReport, JobEvent, JobInput, JobKind, JobState};
use aami_tui::app::{App, Event, View};
use aami_tui::ui::theme::Theme;
use common::{frame, press};
use crossterm::event::KeyCode;

const T: f64 = 50.0;
/// 2026-12-01 03:50 UTC: when the jobs below end.
const AT: i64 = 1_796_097_000;

fn node(app: &App, name: &str) -> usize {
    app.fleet
        .nodes
        .iter()
        .position(|n| n.spec.name == name)
        .unwrap()
}

/// Runs an exporter job on `name` through the app's events, as the runtime
/// reports one: the job's report, then its end.
fn exporter_job(app: &mut App, name: &str, component: &str, version: &str, state: JobState) {
    let id = node(app, name);
    let spec = app
        .jobs
        .submit(
            JobKind::Exporter,
            vec![id],
            vec![name.into()],
            JobInput::None,
            app.now,
        )
        .unwrap();
    app.on_event(Event::Job(JobEvent::Started {
        id: spec.id,
        output_file: None,
    }));
    app.on_event(Event::Job(JobEvent::Exporter {
        id: spec.id,
        report: ExporterReport {
            component: component.into(),
            version: Some(version.into()),
            word: "installed".into(),
        },
    }));
    app.on_event(Event::Job(JobEvent::Finished { id: spec.id, state }));
}

/// The demo fleet with versions: node_exporter 1.5.0 on the first three
/// nodes' pages (the demo's capture has none), dcgm-exporter installed by a
/// job on gpu-node-02.
fn versions_app() -> App {
    let mut app = common::demo_app(12, T);
    app.wall_clock = Some(AT);
    for n in app.fleet.nodes.iter_mut().take(3) {
        if let Some(h) = n.host.as_mut() {
            h.exporter_version = Some("1.5.0".into());
        }
    }
    exporter_job(
        &mut app,
        "gpu-node-02",
        "dcgm-exporter",
        "3.3.5-3.4.1",
        JobState::Ok("dcgm-exporter installed 3.3.5-3.4.1".into()),
    );
    app
}

#[test]
fn an_ok_exporter_job_records_its_version_and_a_failed_one_does_not() {
    let mut app = common::demo_app(4, T);
    app.wall_clock = Some(AT);
    let n2 = node(&app, "gpu-node-02");
    let n3 = node(&app, "gpu-node-03");
    exporter_job(
        &mut app,
        "gpu-node-02",
        "dcgm-exporter",
        "3.3.5",
        JobState::Ok("dcgm-exporter installed 3.3.5".into()),
    );
    // A job that reported and then failed (its verify rolled back).
    exporter_job(
        &mut app,
        "gpu-node-03",
        "dcgm-exporter",
        "3.3.5",
        JobState::Failed("dcgm-exporter 3.3.5 is not running; rolled back".into()),
    );
    let on2 = app.exporter_versions(n2);
    assert_eq!(on2.len(), 1, "{on2:?}");
    assert_eq!(on2[0].component, "dcgm-exporter");
    assert_eq!(on2[0].version, "3.3.5");
    let job = on2[0].job.as_ref().unwrap();
    assert_eq!((job.word.as_str(), job.at_unix), ("installed", Some(AT)));
    assert!(
        app.exporter_versions(n3).is_empty(),
        "a failed job records nothing"
    );
    // An uninstall forgets it.
    let spec = app
        .jobs
        .submit(
            JobKind::Exporter,
            vec![n2],
            vec!["gpu-node-02".into()],
            JobInput::None,
            app.now,
        )
        .unwrap();
    app.on_event(Event::Job(JobEvent::Exporter {
        id: spec.id,
        report: ExporterReport {
            component: "dcgm-exporter".into(),
            version: None,
            word: "uninstalled".into(),
        },
    }));
    app.on_event(Event::Job(JobEvent::Finished {
        id: spec.id,
        state: JobState::Ok("dcgm-exporter uninstalled 3.3.5".into()),
    }));
    assert!(app.exporter_versions(n2).is_empty());
}

#[test]
fn node_pane_shows_exporter_versions_80x24_and_160x48() {
    let mut app = versions_app();
    app.ui.selected = Some(node(&app, "gpu-node-02"));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.view(), View::Node(_)));
    let small = frame(&mut app, &Theme::mono(), 80, 24);
    let big = frame(&mut app, &Theme::mono(), 160, 48);
    assert!(
        big.contains(
            "exporters  node_exporter 1.5.0 · dcgm-exporter 3.3.5-3.4.1 (installed 03:50 UTC)"
        ),
        "{big}"
    );
    // At 80 columns the job's time goes first; the line stays one line.
    let line = small
        .lines()
        .find(|l| l.contains("exporters"))
        .unwrap_or_default();
    assert!(
        line.contains("node_exporter 1.5.0 · dcgm-exporter 3.3.5-3.4.1"),
        "{small}"
    );
    snap!("node_versions_80x24", small);
    snap!("node_versions_160x48", big);
    // A version is text from the network: its control bytes are shown as
    // U+FFFD in either pane (ratatui alone would silently drop them and
    // run the rest together), never written to the terminal.
    let n3 = node(&app, "gpu-node-03");
    app.fleet.nodes[n3].host.as_mut().unwrap().exporter_version =
        Some("1.5.0\u{1b}]52;c;aGk=\u{7}\u{1b}[2J".into());
    press(&mut app, KeyCode::Esc);
    let fleet = frame(&mut app, &Theme::mono(), 160, 48);
    app.ui.selected = Some(n3);
    press(&mut app, KeyCode::Enter);
    let pane = frame(&mut app, &Theme::mono(), 160, 48);
    for s in [&fleet, &pane] {
        assert!(!s.contains(['\u{1b}', '\u{7}']), "{s}");
        assert!(s.contains("1.5.0\u{fffd}]52;c;aGk=\u{fffd}"), "{s}");
    }
    // A node with no version known has no exporters line.
    press(&mut app, KeyCode::Esc);
    app.ui.selected = Some(node(&app, "gpu-node-05"));
    press(&mut app, KeyCode::Enter);
    let none = frame(&mut app, &Theme::mono(), 160, 48);
    assert!(!none.contains("exporters"), "{none}");
}

#[test]
fn wide_fleet_pane_has_an_exporters_column_and_80_columns_do_not() {
    let mut app = versions_app();
    let big = frame(&mut app, &Theme::mono(), 160, 48);
    let header = big.lines().find(|l| l.contains("NODE")).unwrap();
    assert!(header.contains("EXPORTERS"), "{big}");
    for col in ["LABELS", "GPUS", "STATE", "HEALTH", "ALERTS", "XID"] {
        assert!(header.contains(col), "{col} kept: {header}");
    }
    let row2 = big.lines().find(|l| l.contains("gpu-node-02")).unwrap();
    // 23 cells at 160 columns: a long version is cut, whole in the node pane.
    assert!(
        row2.trim_end().ends_with("node 1.5.0 dcgm 3.3.5-…"),
        "{row2}"
    );
    let row1 = big.lines().find(|l| l.contains("gpu-node-01")).unwrap();
    assert!(row1.trim_end().ends_with("node 1.5.0"), "{row1}");
    let row5 = big.lines().find(|l| l.contains("gpu-node-05")).unwrap();
    assert!(row5.trim_end().ends_with(" -"), "unknown: {row5}");
    assert!(
        row2.contains("gpu_type=h100,rack=r1"),
        "labels whole: {row2}"
    );
    snap!("fleet_versions_160x48", big);
    let small = frame(&mut app, &Theme::mono(), 80, 24);
    let plain = frame(&mut common::demo_app(12, T), &Theme::mono(), 80, 24);
    assert!(!small.contains("EXPORTERS"));
    // The table, not the status line (which tells of the finished job).
    let table = |s: &str| {
        s.lines()
            .skip_while(|l| !l.contains("NODE"))
            .take(13)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        table(&small),
        table(&plain),
        "at 80 columns nothing changes"
    );
}
