//! One colour snapshot per built-in theme, and NO_COLOR's monochrome frame.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::{Action, View};
use aami_tui::ui::theme::{BUILTIN, Theme};
use common::draw;
use ratatui::style::Color;

#[test]
fn a_colour_snapshot_per_theme() {
    let mut app = common::demo_app(6, 50.0);
    app.apply(Action::GoTab(View::Heatmap));
    for (name, _) in BUILTIN {
        let theme = Theme::builtin(name).unwrap();
        let b = draw(&app, &theme, 90, 10);
        let snap_name = format!("theme_{name}_heatmap_90x10");
        insta::with_settings!({ snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false }, {
            insta::assert_debug_snapshot!(snap_name, b);
        });
    }
}

#[test]
fn mono_theme_uses_no_colour_but_keeps_meaning() {
    let app = common::demo_app(12, 50.0);
    let b = draw(&app, &Theme::mono(), 120, 20);
    for cell in &b.content {
        assert_eq!(cell.fg, Color::Reset, "no foreground colour under NO_COLOR");
        assert_eq!(cell.bg, Color::Reset, "no background colour under NO_COLOR");
    }
    let s = common::text(&b);
    assert!(s.contains("down") && s.contains("°C!") && s.contains("crit"));
}
