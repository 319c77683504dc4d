//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod alertmanager;
pub mod fleets;
pub mod installed;
pub mod netns;
pub mod pages;
pub mod proptest_runner;
pub mod raw_http;
pub mod servers;
pub mod sshd;
pub mod stack;
pub mod tmux;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aami_tui::app::{App, Origin, bindings};
use aami_tui::cli::tui::fleet_from_config;
use aami_tui::sim::{SimOptions, SimSpec};
use aami_tui::ui::{self, theme::Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend, buffer::Buffer};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_aami-tui")
}

/// Runs the binary with `args`, isolated from the user's config.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("AAMI_CONFIG")
        .env("NO_COLOR", "1")
        .output()
        .expect("run aami-tui")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(rel)
}

/// An app on a demo fleet of `nodes` at sim time `t`, refreshed 0.8 s
/// before `now`. Deterministic: no network, no clock.
pub fn demo_app(nodes: usize, t: f64) -> App {
    let spec = SimSpec::new(&SimOptions {
        nodes,
        ..SimOptions::default()
    });
    let config = spec.config();
    let mut fleet = fleet_from_config(&config);
    let base = Instant::now();
    // Two refreshes so CPU busy (a rate) is known.
    fleet.apply_refresh(spec.outcomes_at(t - 2.0), base, Duration::from_millis(12));
    fleet.apply_refresh(
        spec.outcomes_at(t),
        base + Duration::from_secs(2),
        Duration::from_millis(12),
    );
    let mut app = App::new(fleet, Origin::Demo, base + Duration::from_millis(2800));
    app.apply(aami_tui::app::Action::Move(0));
    app
}

/// One key, through the binding table, as the runtime sends it.
pub fn press(app: &mut App, code: KeyCode) {
    press_with(app, code, KeyModifiers::NONE);
}

pub fn press_with(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    if let Some(a) = bindings::action_for(KeyEvent::new(code, mods), app.context()) {
        app.apply(a);
    }
}

/// Types each character as a key press.
pub fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Draws a frame and feeds its layout back to the app, as the runtime does.
pub fn frame(app: &mut App, theme: &Theme, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut g = app.ui.geometry;
    t.draw(|f| g = ui::render(app, theme, f)).unwrap();
    app.apply(aami_tui::app::Action::Geometry(g));
    text(t.backend().buffer())
}

/// Whether a program is on PATH; a test that needs it fails loudly with the
/// install command instead of skipping.
pub fn require(program: &str, package: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{program} is not installed: run `apt-get install -y {package}` (scripts/test does this)"
    );
}

pub fn draw(app: &aami_tui::app::App, theme: &Theme, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        ui::render(app, theme, f);
    })
    .unwrap();
    t.backend().buffer().clone()
}

pub fn text(b: &Buffer) -> String {
    let w = b.area.width as usize;
    b.content
        .chunks(w)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}
