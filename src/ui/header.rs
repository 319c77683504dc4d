//! The header line (cluster, totals, refresh age) and the tab row.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format;
use super::theme::Theme;
use crate::app::{App, Origin, View, mode::TABS};
use crate::domain::Severity;

/// When a refresh that landed at `last` counts as late: half a period
/// after the next one was due.
fn late_at(last: Instant, every: Duration) -> Instant {
    last + every.mul_f64(1.5)
}

/// `2s`, `500ms`, `1m`.
fn every_text(every: Duration) -> String {
    let ms = every.as_millis();
    if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// When the screen next changes with nothing happening but time passing,
/// so the runtime can sleep until then instead of redrawing on a tick.
/// `None`: not until an event comes.
///
/// - Running jobs and the action log show ages and durations: every 500 ms.
/// - With the refresh period known, the header shows no age while
///   refreshes come on time: the next change is the moment the latest one
///   becomes late (a refresh on time comes first and moves it). Once late,
///   the age counts up: every 500 ms.
/// - Without it (tests, older callers) the header age counts: every 500 ms.
pub fn next_change(app: &App) -> Option<Instant> {
    let tick = app.now + Duration::from_millis(500);
    if app.jobs.active() > 0 || app.view() == View::Log {
        return Some(tick);
    }
    let header = match (app.fleet.last_refresh, app.refresh_interval) {
        (None, _) => None,
        (Some(t), Some(every)) => {
            let late = late_at(t, every);
            Some(if app.now < late { late } else { tick })
        }
        (Some(_), None) => Some(tick),
    };
    // The topology pane says how old its capture is, in minutes.
    let topology =
        matches!(app.view(), View::Topology(_)).then(|| app.now + Duration::from_secs(30));
    match (header, topology) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub fn render_header(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let f = &app.fleet;
    let (crit, warn) = f.alert_counts();
    let age = match (f.last_refresh, app.refresh_interval) {
        (Some(t), Some(every)) if app.now < late_at(t, every) => {
            format!("live, every {}", every_text(every))
        }
        (Some(t), _) => format!(
            "refreshed {} ago",
            format::age(app.now.saturating_duration_since(t).as_secs_f64())
        ),
        (None, _) => "waiting for first scrape…".to_string(),
    };
    // (priority, text, style): lower priority numbers survive narrow
    // terminals; the order here is the order on screen.
    let mut parts: Vec<(u8, String, Style)> = vec![
        (0, " aami-tui ".into(), theme.title()),
        (
            1,
            crate::text::sanitize_max(&f.cluster_name, 32),
            theme.text(),
        ),
    ];
    if app.origin == Origin::Demo {
        parts.push((
            0,
            "DEMO".into(),
            theme
                .severity(Severity::Warning)
                .add_modifier(Modifier::REVERSED),
        ));
    }
    // Which source is live, when it is not each exporter scraped directly.
    if let crate::app::stack::LiveSource::Query { url } = &app.live_source {
        parts.push((
            1,
            format!(
                "query {}",
                crate::text::sanitize_max(
                    url.trim_start_matches("http://")
                        .trim_start_matches("https://"),
                    40
                )
            ),
            theme.title(),
        ));
    }
    parts.push((
        0,
        format!("nodes {}/{} up", f.up_count(), f.nodes.len()),
        theme.text(),
    ));
    parts.push((4, format!("GPUs {}", f.gpu_count()), theme.text()));
    parts.push((
        3,
        format!("util {}", format::pct(f.avg_util())),
        theme.text(),
    ));
    parts.push((
        5,
        format!(
            "power {}",
            f.power_w().map_or_else(|| "-".to_string(), format::watts)
        ),
        theme.text(),
    ));
    if let Some(h) = crate::domain::health::cluster_score(&f.nodes) {
        let band = crate::domain::health::Band::of(h);
        parts.push((6, format!("health {h}"), theme.health(band)));
    }
    if !app.ui.marks.is_empty() {
        parts.push((
            0,
            format!("{} marked", app.ui.marks.len()),
            theme.title().add_modifier(Modifier::REVERSED),
        ));
    }
    let active = app.jobs.active();
    if active > 0 {
        parts.push((
            2,
            format!("⟳ {active} job{}", if active == 1 { "" } else { "s" }),
            theme.title(),
        ));
    }
    if crit > 0 {
        parts.push((
            1,
            format!("▲{crit} crit"),
            theme.severity(Severity::Critical),
        ));
    }
    if warn > 0 {
        parts.push((
            2,
            format!("▲{warn} warn"),
            theme.severity(Severity::Warning),
        ));
    }
    let age_width = age.chars().count() + 1;
    let width = area.width as usize;
    // Drop the least important parts until the line and the age fit.
    let spans = format::fit_parts(parts, width.saturating_sub(age_width));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.header_bar()),
        area,
    );
    if width >= age_width + 30 {
        let r = Rect {
            x: area.x + area.width - age_width as u16,
            width: age_width as u16,
            ..area
        };
        frame.render_widget(
            Paragraph::new(format!("{age} ")).style(theme.header_bar()),
            r,
        );
    }
}

/// `visible`: the fleet table's rows when the fleet is on screen, for the
/// cursor's position.
pub fn render_tabs(
    app: &App,
    visible: Option<&[crate::domain::NodeId]>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let mut spans = vec![Span::raw(" ")];
    let current = app.mode.tab();
    for (i, tab) in TABS.iter().enumerate() {
        let mut label = format!("[{} {}", i + 1, tab.kind().title());
        match tab {
            View::Alerts => {
                let n = app
                    .fleet
                    .nodes
                    .iter()
                    .map(|n| n.alerts.len())
                    .sum::<usize>();
                if n > 0 {
                    label.push_str(&format!(" ▲{n}"));
                }
            }
            View::Log if app.jobs.active() > 0 => {
                label.push_str(&format!(" ⟳{}", app.jobs.active()));
            }
            _ => {}
        }
        if *tab == current {
            match app.view() {
                View::Node(id) => label.push_str(&format!(" › {}", app.node_name(id))),
                View::Topology(id) => {
                    label.push_str(&format!(" › {} › topology", app.node_name(id)));
                }
                View::Stack => label.push_str(" › stack"),
                _ => {}
            }
        }
        label.push(']');
        spans.push(Span::styled(label, theme.tab(*tab == current)));
        spans.push(Span::raw(" "));
    }
    let filter = if !app.ui.filter.is_empty() {
        format!("filter: {}", app.ui.filter)
    } else {
        String::new()
    };
    let sort = format!(
        "sort: {}{}",
        app.ui.sort.word(),
        if app.ui.sort_desc { " ↓" } else { " ↑" }
    );
    let left_w = spans.iter().map(|s| s.width()).sum::<usize>() as u16;
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let mut right = if filter.is_empty() {
        sort
    } else {
        format!("{filter}   {sort}")
    };
    // Where the cursor is when the table is longer than the screen.
    if let Some(visible) = visible
        && visible.len() > app.ui.geometry.list_rows
        && let Some(pos) = app
            .ui
            .selected
            .and_then(|s| visible.iter().position(|v| *v == s))
    {
        right = format!("{}/{}   {right}", pos + 1, visible.len());
    }
    let w = right.chars().count() as u16 + 1;
    // Only where it does not cover a tab.
    if area.width > w + left_w {
        let r = Rect {
            x: area.x + area.width - w,
            width: w,
            ..area
        };
        frame.render_widget(Paragraph::new(right).style(theme.dim()), r);
    }
}
