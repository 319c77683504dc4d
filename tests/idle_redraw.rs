//! An idle screen: between refreshes that come on time nothing on it
//! changes, so the runtime sleeps until the next refresh (no redraw, no
//! tick). Frames are drawn at different times and compared.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::Duration;

use aami_tui::app::Action;
use aami_tui::ui::{header, theme::Theme};

fn at(app: &mut aami_tui::app::App, t: std::time::Instant) -> String {
    app.apply(Action::Tick(t));
    common::text(&common::draw(app, &Theme::dark(), 160, 48))
}

#[test]
fn on_time_refreshes_leave_the_screen_still_until_one_is_late() {
    let mut app = common::demo_app(16, 600.0);
    app.refresh_interval = Some(Duration::from_secs(2));
    let last = app.fleet.last_refresh.expect("refreshed");
    let first = at(&mut app, last + Duration::from_millis(10));
    assert!(first.contains("live, every 2s"), "{first}");
    // Nothing to wake for before the refresh is late (3 s after it came).
    assert_eq!(
        header::next_change(&app),
        Some(last + Duration::from_secs(3))
    );
    let later = at(&mut app, last + Duration::from_millis(2900));
    assert_eq!(first, later, "the screen did not change while on time");
    // Late: the age shows and counts up, so the runtime ticks again.
    let late = at(&mut app, last + Duration::from_millis(3500));
    assert!(late.contains("refreshed 3.5s ago"), "{late}");
    assert_eq!(
        header::next_change(&app),
        Some(last + Duration::from_millis(4000))
    );
}

#[test]
fn without_a_known_period_the_age_counts_as_before() {
    let mut app = common::demo_app(16, 600.0);
    let last = app.fleet.last_refresh.expect("refreshed");
    let a = at(&mut app, last + Duration::from_millis(400));
    assert!(a.contains("refreshed 0.4s ago"), "{a}");
    assert_eq!(
        header::next_change(&app),
        Some(last + Duration::from_millis(900))
    );
}
