//! The alerts pane with the preset rules evaluated in process: firing first
//! by severity, then pending, no data and resolved; Enter on a rule alert
//! shows its rule, what to do and its value. Golden frames at 80×24 and
//! 160×48.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::{Duration, Instant};

use aami_tui::alerts::library::Library;
use aami_tui::app::{App, Origin, Overlay};
use aami_tui::domain::{Fleet, GpuSample, NodeSpec, ScrapeOutcome};
use aami_tui::ui::theme::Theme;
use aami_tui::xid::Catalogue;
use common::{frame, press};
use crossterm::event::KeyCode;

fn gpu(index: u32, temp: f64, mem_used: f64, util: f64) -> GpuSample {
    GpuSample {
        index,
        uuid: format!("GPU-{index}"),
        model: "NVIDIA H100 80GB HBM3".into(),
        temp_c: Some(temp),
        slowdown_temp_c: Some(87.0),
        util_pct: Some(util),
        mem_used_mib: Some(mem_used),
        mem_total_mib: Some(81559.0),
        ecc_dbe: Some(0.0),
        nvlink_errors: Some(0.0),
        last_xid: Some(0),
        ..Default::default()
    }
}

/// Four nodes, twelve minutes of one-minute refreshes: gpu-a1's GPU 3 is
/// at its slowdown temperature the whole time (firing), gpu-a2's GPU 1 got
/// hot two minutes ago (pending), gpu-a3's GPU 0 was warm and cooled
/// (resolved), gpu-a4 stopped answering a minute ago.
fn app() -> App {
    let cat = Catalogue::builtin();
    let lib = Library::builtin(cat).expect("presets");
    let rules = lib
        .select(&["gpu-production".into()])
        .expect("preset")
        .into_iter()
        .flat_map(|p| p.rules.clone())
        .collect();
    let specs = (1..=4)
        .map(|i| NodeSpec {
            name: format!("gpu-a{i}"),
            address: format!("127.0.0.{i}:9400"),
            ..Default::default()
        })
        .collect();
    let mut fleet = Fleet::new("lab", specs, 32);
    fleet.set_rules(rules);
    let t0 = Instant::now();
    for m in 0..=12u64 {
        let mut a1: Vec<GpuSample> = (0..4).map(|i| gpu(i, 60.0, 20000.0, 80.0)).collect();
        a1[3].temp_c = Some(88.0);
        let mut a2: Vec<GpuSample> = (0..4).map(|i| gpu(i, 60.0, 20000.0, 80.0)).collect();
        if m >= 10 {
            a2[1].temp_c = Some(86.5);
        }
        let mut a3: Vec<GpuSample> = (0..4).map(|i| gpu(i, 60.0, 20000.0, 80.0)).collect();
        if (1..=11).contains(&m) {
            a3[0].temp_c = Some(78.0);
        }
        let a4 = if m < 11 {
            Ok((0..4).map(|i| gpu(i, 55.0, 0.0, 0.0)).collect())
        } else {
            Err("timeout after 1.6s".to_string())
        };
        let outcomes = vec![
            ScrapeOutcome {
                node: 0,
                gpus: Ok(a1),
                host: None,
            },
            ScrapeOutcome {
                node: 1,
                gpus: Ok(a2),
                host: None,
            },
            ScrapeOutcome {
                node: 2,
                gpus: Ok(a3),
                host: None,
            },
            ScrapeOutcome {
                node: 3,
                gpus: a4,
                host: None,
            },
        ];
        fleet.apply_refresh(
            outcomes,
            t0 + Duration::from_secs(60 * m),
            Duration::from_millis(10),
        );
    }
    let mut app = App::new(fleet, Origin::Live, t0 + Duration::from_secs(60 * 12 + 5));
    app.apply(aami_tui::app::Action::Move(0));
    press(&mut app, KeyCode::Char('3'));
    app
}

fn both(app: &mut App, name: &str) -> (String, String) {
    let small = frame(app, &Theme::mono(), 80, 24);
    let big = frame(app, &Theme::mono(), 160, 48);
    snap!(format!("{name}_80x24"), small.clone());
    snap!(format!("{name}_160x48"), big.clone());
    (small, big)
}

fn row_of(s: &str, needle: &str) -> usize {
    s.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle}:\n{s}"))
}

#[test]
fn firing_first_by_severity_then_pending_then_resolved() {
    let mut app = app();
    let (small, big) = both(&mut app, "rule_alerts");
    // Critical firing (temperature on gpu-a1 and the built-in node-down on
    // gpu-a4), then warning firing, then pending, then resolved.
    let crit = row_of(&big, "GpuTemperatureCritical");
    let warn_firing = row_of(&big, "GpuTemperatureWarning");
    let pending = row_of(&big, "pending");
    let resolved = row_of(&big, "resolved");
    assert!(
        crit < warn_firing && warn_firing < pending && pending < resolved,
        "{big}"
    );
    let l = big.lines().nth(crit).unwrap_or_default();
    for part in [
        "crit",
        "firing",
        "gpu-a1",
        " 3 ",
        "12m",
        "88",
        "GPU 3 on gpu-a1 at 88 °C",
    ] {
        assert!(l.contains(part), "{part} in {l}");
    }
    // The pending row is the one that got hot on gpu-a2 two minutes ago.
    let l = big.lines().nth(pending).unwrap_or_default();
    assert!(l.contains("gpu-a2") && l.contains("86.5"), "{l}");
    // gpu-a4's NodeDown rule waits out its 2m; the built-in check already
    // says why the node is down.
    assert!(big.contains("node down: timeout after 1.6s"), "{big}");
    // 80 columns keep node, GPU, since, value and the rule's name.
    let l = small
        .lines()
        .nth(row_of(&small, "GpuTemperatureCritical"))
        .unwrap_or_default();
    for part in ["gpu-a1", " 3 ", "12m", "88"] {
        assert!(l.contains(part), "{part} in {l}");
    }
}

#[test]
fn enter_shows_the_rule_what_to_do_and_the_value() {
    let mut app = app();
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    let target = app
        .alert_rows()
        .iter()
        .position(|r| r.rule == "GpuTemperatureCritical")
        .expect("row");
    for _ in 0..target {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.mode.overlay(), Some(Overlay::AlertDetail { .. })),
        "{s}"
    );
    let (small, big) = both(&mut app, "rule_alert_detail");
    for s in [&small, &big] {
        assert!(
            s.contains("Rule GpuTemperatureCritical (preset gpu-production)"),
            "{s}"
        );
        assert!(s.contains("gpu_slowdown_temp_c - 2"), "{s}");
        assert!(s.contains("What to do"), "{s}");
        assert!(
            s.contains("gpu-a1 · GPU 3 · critical firing for 12m · value 88"),
            "{s}"
        );
    }
    press(&mut app, KeyCode::Esc);
    assert!(app.mode.overlay().is_none());
}
