//! The stack pane (`S`, `:stack`): the figures `stack status` computes per
//! server, the "not installed" and "down" states with what to run, and the
//! `Q` switch to query mode against the stack, which asks the runtime for
//! the source and never for a config write. Goldens at 160x48 and 80x24.
//!
//! The readings below are typed in, not captured: their figures (versions,
//! series, ingestion, the errors' wording) are those `stack status` read
//! from the real Prometheus 2.42.0+ds and Alertmanager 0.25.0 of Debian,
//! installed by `stack install` on the simulated fleet while this pane was
//! written; tests/stack_tui.rs reads a real one.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::stack::{LiveSource, SourceChoice, StackReading, StackSetup};
use aami_tui::app::{App, Event, Request, View};
use aami_tui::stack::status::{Rules, ServerStatus, StackStatus, Targets, Tsdb};
use aami_tui::ui::theme::Theme;
use common::{draw, keys, press, text};
use crossterm::event::KeyCode;

const T: f64 = 50.0;
const PROM: &str = "http://127.0.0.1:19390";
const AM: &str = "http://127.0.0.1:19393";

fn setup() -> StackSetup {
    StackSetup {
        place: "this machine".into(),
        local: true,
        layout: "single Prometheus".into(),
        dir: "/opt/aami/stack".into(),
        query_url: Some(PROM.into()),
        problem: None,
    }
}

fn server(name: &str, url: &str) -> ServerStatus {
    ServerStatus {
        name: name.into(),
        url: url.into(),
        up: true,
        error: None,
        version: None,
        targets: None,
        rules: None,
        tsdb: None,
        active_alerts: None,
    }
}

fn up_status() -> StackStatus {
    let mut am = server("alertmanager", AM);
    am.version = Some("0.25.0".into());
    am.active_alerts = Some(1);
    let mut prom = server("prometheus", PROM);
    prom.version = Some("2.42.0+ds".into());
    prom.targets = Some(Targets {
        up: 8,
        known: 9,
        down: vec![
            "node_exporter 127.0.6.2:9100: Get \"http://127.0.6.2:9100/metrics\": dial tcp 127.0.6.2:9100: connect: connection refused".into(),
        ],
    });
    prom.rules = Some(Rules {
        count: 11,
        errors: vec![],
    });
    prom.tsdb = Some(Tsdb {
        head_series: Some(10863),
        bytes: Some(0.0),
        samples_per_second: Some(1167.0),
        rate_over: Some("last 2m"),
    });
    StackStatus {
        servers: vec![am, prom],
        expected_targets: [("dcgm-exporter", 4), ("node_exporter", 5)]
            .into_iter()
            .collect(),
        targets_up: 8,
        targets_expected: 9,
    }
}

fn down_status() -> StackStatus {
    let mut s = up_status();
    for (srv, port) in s.servers.iter_mut().zip([19393, 19390]) {
        *srv = server(&srv.name, &srv.url);
        srv.up = false;
        srv.error = Some(format!(
            "error sending request for url (http://127.0.0.1:{port}/-/ready)"
        ));
    }
    s.targets_up = 0;
    s
}

fn app_with(status: Option<StackStatus>, installed: Option<bool>) -> App {
    let mut app = common::demo_app(4, T);
    app.stack.setup = Some(setup());
    if let Some(status) = status {
        let at = app.now;
        app.on_event(Event::Stack(Box::new(StackReading {
            status,
            installed,
            at,
        })));
    }
    press(&mut app, KeyCode::Char('S'));
    app
}

#[test]
fn s_opens_the_pane_and_asks_for_a_reading_at_once() {
    let mut app = common::demo_app(4, T);
    app.stack.setup = Some(setup());
    press(&mut app, KeyCode::Char('S'));
    assert_eq!(app.view(), View::Stack);
    assert_eq!(app.requests, [Request::ReadStack]);
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("reading the stack's servers…"), "{s}");
    assert!(s.contains("[1 Fleet › stack]"), "{s}");
    app.requests.clear();
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(app.requests, [Request::ReadStack], "r reads again");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view(), View::Fleet);
    // :stack does the same.
    press(&mut app, KeyCode::Char(':'));
    keys(&mut app, "stack");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Stack);
}

#[test]
fn stack_up_shows_each_servers_figures_and_what_is_wrong() {
    let app = app_with(Some(up_status()), Some(true));
    for (w, h) in [(160, 48), (80, 24)] {
        let s = text(&draw(&app, &Theme::mono(), w, h));
        assert!(s.contains("targets up 8 of 9 expected"), "{s}");
        assert!(s.contains("prometheus"), "{s}");
        assert!(s.contains("2.42.0+ds"), "{s}");
        assert!(s.contains("8/9"), "{s}");
        assert!(s.contains("0/11"), "{s}");
        assert!(s.contains("1167/s"), "{s}");
        assert!(
            s.contains("prometheus: target down: node_exporter 127.0.6.2:9100"),
            "{s}"
        );
        assert!(s.contains("alertmanager: 1 active alert(s)"), "{s}");
        assert!(s.contains("Q query mode"), "the footer names Q: {s}");
        snap!(format!("stack_up_{w}x{h}"), s);
    }
    let wide = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(wide.contains("10863") && wide.contains(PROM), "{wide}");
    assert!(wide.contains("1167/s (last 2m)"), "{wide}");
}

#[test]
fn a_stack_not_installed_says_how_to_install_it() {
    let app = app_with(Some(down_status()), Some(false));
    for (w, h) in [(160, 48), (80, 24)] {
        let s = text(&draw(&app, &Theme::mono(), w, h));
        assert!(s.contains("No stack is installed on this machine"), "{s}");
        assert!(
            s.contains("aami-tui stack install --bundle stack.tar"),
            "{s}"
        );
        snap!(format!("stack_not_installed_{w}x{h}"), s);
    }
}

#[test]
fn a_stack_that_is_down_says_how_to_start_it_and_why() {
    let app = app_with(Some(down_status()), Some(true));
    for (w, h) in [(160, 48), (80, 24)] {
        let s = text(&draw(&app, &Theme::mono(), w, h));
        assert!(s.contains("The stack is down"), "{s}");
        assert!(s.contains("aami-tui stack install --bundle FILE"), "{s}");
        assert!(
            s.contains("prometheus is down: error sending request"),
            "{s}"
        );
        snap!(format!("stack_down_{w}x{h}"), s);
    }
}

#[test]
fn the_demo_has_no_stack_and_says_where_one_comes_from() {
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('S'));
    assert!(app.requests.is_empty(), "nothing to read");
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("No config file behind this fleet"), "{s}");
    app.requests.clear();
    press(&mut app, KeyCode::Char('Q'));
    assert!(app.requests.is_empty());
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(s.contains("needs a config file"), "{s}");
}

#[test]
fn q_switches_to_query_mode_through_the_stack_and_back() {
    let mut app = app_with(Some(up_status()), Some(true));
    app.requests.clear();
    press(&mut app, KeyCode::Char('Q'));
    assert_eq!(app.requests, [Request::SetSource(SourceChoice::Stack)]);
    // The runtime switched: the header and the pane say so, and opening a
    // node loads its history.
    app.requests.clear();
    app.on_event(Event::Source {
        source: LiveSource::Query { url: PROM.into() },
        problem: None,
    });
    assert!(app.history_available);
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(
        s.lines().next().unwrap().contains("query 127.0.0.1:19390"),
        "{s}"
    );
    assert!(
        s.contains("Fleet source: query mode through http://127.0.0.1:19390"),
        "{s}"
    );
    assert!(
        s.contains("Q: back to scraping each exporter directly"),
        "{s}"
    );
    press(&mut app, KeyCode::Char('Q'));
    assert_eq!(app.requests, [Request::SetSource(SourceChoice::Direct)]);
    app.requests.clear();
    app.on_event(Event::Source {
        source: LiveSource::Direct,
        problem: None,
    });
    assert!(!app.history_available);
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(!s.lines().next().unwrap().contains("query"), "{s}");
    // :query stack from any pane.
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char(':'));
    keys(&mut app, "query stack");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.requests, [Request::SetSource(SourceChoice::Stack)]);
}

#[test]
fn q_against_a_stack_that_is_down_says_so_and_switches_nothing() {
    let mut app = app_with(Some(down_status()), Some(true));
    app.requests.clear();
    press(&mut app, KeyCode::Char('Q'));
    assert!(app.requests.is_empty(), "{:?}", app.requests);
    let s = text(&draw(&app, &Theme::mono(), 160, 48));
    assert!(
        s.contains("the stack at http://127.0.0.1:19390 is down"),
        "{s}"
    );
}
