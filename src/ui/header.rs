//! The header line (cluster, totals, refresh age) and the tab row.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format;
use super::theme::Theme;
use crate::app::{App, Mode, Pane};
use crate::domain::Severity;

pub fn render_header(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let f = &app.fleet;
    let mut spans = vec![
        Span::styled(" aami-tui ", theme.title()),
        Span::raw(" "),
        Span::styled(crate::text::sanitize_max(&f.cluster_name, 32), theme.text()),
        Span::raw("  "),
    ];
    if app.mode == Mode::Demo {
        spans.push(Span::styled("DEMO", theme.severity(Severity::Warning).add_modifier(ratatui::style::Modifier::REVERSED)));
        spans.push(Span::raw("  "));
    }
    spans.push(Span::raw(format!("nodes {}/{} up  ", f.up_count(), f.nodes.len())));
    spans.push(Span::raw(format!("GPUs {}  ", f.gpu_count())));
    spans.push(Span::raw(format!("util {}  ", format::pct(f.avg_util()))));
    spans.push(Span::raw(format!("power {}  ", format::watts(f.power_w()))));
    let (crit, warn) = f.alert_counts();
    if crit > 0 {
        spans.push(Span::styled(format!("▲{crit} crit "), theme.severity(Severity::Critical)));
    }
    if warn > 0 {
        spans.push(Span::styled(format!("▲{warn} warn "), theme.severity(Severity::Warning)));
    }
    let age = match f.last_refresh {
        Some(t) => format!("refreshed {} ago ", format::age(app.now.saturating_duration_since(t).as_secs_f64())),
        None => "waiting for first scrape… ".to_string(),
    };
    let left = Line::from(spans);
    let right_width = age.chars().count() as u16;
    frame.render_widget(Paragraph::new(left).style(theme.header_bar()), area);
    if area.width > right_width + 40 {
        let r = Rect {
            x: area.x + area.width - right_width,
            width: right_width,
            ..area
        };
        frame.render_widget(Paragraph::new(age).style(theme.header_bar()), r);
    }
}

pub fn render_tabs(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::raw(" ")];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let mut label = format!("[{} {}", i + 1, p.title());
        if *p == Pane::Alerts {
            let n = app.fleet.nodes.iter().map(|n| n.alerts.len()).sum::<usize>();
            if n > 0 {
                label.push_str(&format!(" ▲{n}"));
            }
        }
        label.push(']');
        spans.push(Span::styled(label, theme.tab(app.ui.pane == *p)));
        spans.push(Span::raw(" "));
    }
    let filter = if app.ui.filter_editing {
        format!("filter: {}▏", app.ui.filter_draft)
    } else if !app.ui.filter.is_empty() {
        format!("filter: {}", app.ui.filter)
    } else {
        String::new()
    };
    let sort = format!("sort: {}{}", app.ui.sort.word(), if app.ui.sort_desc { " ↓" } else { " ↑" });
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let right = if filter.is_empty() { sort } else { format!("{filter}   {sort}") };
    let w = right.chars().count() as u16 + 1;
    if area.width > w + 24 {
        let r = Rect { x: area.x + area.width - w, width: w, ..area };
        frame.render_widget(Paragraph::new(right).style(theme.dim()), r);
    }
}
