//! The Xid popup: lookup by typing, and explain from an alert or a GPU with
//! that GPU's details filled in.

mod common;

use aami_tui::app::{Action, Pane};
use aami_tui::ui::theme::Theme;
use common::{draw, text};

const T: f64 = 50.0;

#[test]
fn lookup_popup_by_typing_a_code() {
    let mut app = common::demo_app(4, T);
    app.apply(Action::XidLookup);
    let s = text(&draw(&app, &Theme::mono(), 100, 30));
    assert!(s.contains("Xid lookup") && s.contains("1–173, 185"), "{s}");
    for c in "79".chars() {
        app.apply(Action::XidDigit(c));
    }
    let s = text(&draw(&app, &Theme::mono(), 100, 30));
    assert!(s.contains("Xid 79 —") && s.contains("critical"), "{s}");
    assert!(s.contains("Do now") && s.contains("What it means"));
    snap!("xid_lookup_79_100x30", s);
    app.apply(Action::XidBackspace);
    app.apply(Action::XidBackspace);
    for c in "999".chars() {
        app.apply(Action::XidDigit(c));
    }
    let s = text(&draw(&app, &Theme::mono(), 100, 30));
    assert!(s.contains("Xid 999 is not in the catalogue"), "{s}");
    app.apply(Action::Back);
    assert!(app.ui.xid_popup.is_none());
}

#[test]
fn enter_on_an_xid_alert_explains_it_for_that_gpu() {
    let mut app = common::demo_app(12, T);
    app.apply(Action::GoPane(Pane::Alerts));
    let rows = app.alert_rows();
    let pos = rows
        .iter()
        .position(|(_, a)| a.xid.is_some())
        .expect("an Xid alert");
    app.apply(Action::Move(pos as isize));
    let s = text(&draw(&app, &Theme::mono(), 120, 24));
    assert!(s.contains("(Enter: explain)"), "{s}");
    app.apply(Action::Open);
    let popup = app.ui.xid_popup.clone().expect("popup open");
    let ctx = popup.context.expect("GPU context");
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
    app.apply(Action::Move(3));
    assert_eq!(app.ui.xid_popup.as_ref().unwrap().scroll, 3);
    app.apply(Action::Back);
    assert!(app.ui.xid_popup.is_none());
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
    app.apply(Action::Open);
    app.apply(Action::Move(2));
    let s = text(&draw(&app, &Theme::mono(), 120, 30));
    assert!(s.contains("Enter: explain this Xid"), "{s}");
    app.apply(Action::Open);
    assert_eq!(app.ui.xid_popup.as_ref().and_then(|p| p.code()), Some(79));
    // On a GPU without an Xid, Enter does nothing.
    app.apply(Action::Back);
    app.apply(Action::Move(-1));
    app.apply(Action::Open);
    assert!(app.ui.xid_popup.is_none());
}
