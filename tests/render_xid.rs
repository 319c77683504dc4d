//! The Xid popup: lookup by typing, and explain from an alert or a GPU with
//! that GPU's details filled in.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::view::XidPopup;
use aami_tui::app::{App, Overlay, View};
use aami_tui::ui::theme::Theme;
use common::{draw, keys, press, text};
use crossterm::event::KeyCode;

fn popup(app: &App) -> Option<&XidPopup> {
    match app.mode.overlay() {
        Some(Overlay::Xid(p)) => Some(p),
        _ => None,
    }
}

const T: f64 = 50.0;

#[test]
fn lookup_popup_by_typing_a_code() {
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('x'));
    let s = text(&draw(&app, &Theme::mono(), 100, 30));
    assert!(s.contains("Xid lookup") && s.contains("1–173, 185"), "{s}");
    keys(&mut app, "79");
    let s = text(&draw(&app, &Theme::mono(), 100, 30));
    assert!(s.contains("Xid 79 —") && s.contains("critical"), "{s}");
    assert!(s.contains("Do now") && s.contains("What it means"));
    snap!("xid_lookup_79_100x30", s);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    keys(&mut app, "999");
    let s = text(&draw(&app, &Theme::mono(), 100, 30));
    assert!(s.contains("Xid 999 is not in the catalogue"), "{s}");
    press(&mut app, KeyCode::Esc);
    assert!(popup(&app).is_none());
}

#[test]
fn enter_on_an_xid_alert_explains_it_for_that_gpu() {
    let mut app = common::demo_app(12, T);
    press(&mut app, KeyCode::Char('3'));
    let rows = app.alert_rows();
    let pos = rows
        .iter()
        .position(|a| a.xid.is_some())
        .expect("an Xid alert");
    for _ in 0..pos {
        press(&mut app, KeyCode::Down);
    }
    let s = text(&draw(&app, &Theme::mono(), 120, 24));
    assert!(s.contains("(Enter: explain)"), "{s}");
    press(&mut app, KeyCode::Enter);
    let ctx = popup(&app)
        .and_then(|p| p.context.clone())
        .expect("popup with GPU context");
    assert_eq!((ctx.node.as_str(), ctx.gpu), ("gpu-node-06", 2));
    assert_eq!(ctx.pci_bus_id.as_deref(), Some("00000000:75:00.0"));
    let s = text(&draw(&app, &Theme::mono(), 120, 40));
    assert!(
        s.contains("gpu-node-06 GPU 2 (PCI 00000000:75:00.0)"),
        "{s}"
    );
    assert!(s.contains("Xid 79"));
    snap!("xid_explain_from_alert_120x40", s);
    // Scrolling moves the text, Esc closes.
    keys(&mut app, "jjj");
    assert_eq!(popup(&app).map(|p| p.scroll), Some(3));
    press(&mut app, KeyCode::Esc);
    assert!(popup(&app).is_none());
    assert_eq!(app.view(), View::Alerts, "Esc closed only the popup");
}

#[test]
fn enter_on_a_gpu_with_an_xid_in_the_node_pane() {
    let mut app = common::demo_app(12, T);
    let id = app
        .fleet
        .nodes
        .iter()
        .position(|n| n.spec.name == "gpu-node-06")
        .unwrap();
    app.ui.selected = Some(id);
    press(&mut app, KeyCode::Enter);
    keys(&mut app, "jj");
    let s = text(&draw(&app, &Theme::mono(), 120, 30));
    assert!(s.contains("Enter: explain this Xid"), "{s}");
    press(&mut app, KeyCode::Enter);
    assert_eq!(popup(&app).and_then(|p| p.code()), Some(79));
    // On a GPU without an Xid, Enter does nothing.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    assert!(popup(&app).is_none());
    assert_eq!(app.view(), View::Node(id));
}
