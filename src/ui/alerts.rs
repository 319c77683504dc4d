//! The alerts pane: every alert the fleet raises, worst first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::format::fit;
use super::theme::Theme;
use crate::app::App;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut rows: Vec<(&str, &crate::domain::LocalAlert)> = app
        .fleet
        .nodes
        .iter()
        .flat_map(|n| n.alerts.iter().map(move |a| (n.spec.name.as_str(), a)))
        .collect();
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(" no alerts: every node answers and no GPU is in trouble")
                .style(theme.ok()),
            area,
        );
        return;
    }
    rows.sort_by(|a, b| {
        b.1.severity
            .cmp(&a.1.severity)
            .then_with(|| crate::app::view::natural_cmp(a.0, b.0))
    });
    let summary_w = area.width.saturating_sub(5 + 20 + 5 + 4) as usize;
    let table_rows = rows
        .iter()
        .take(area.height.saturating_sub(1) as usize)
        .map(|(node, a)| {
            Row::new(vec![
                Cell::from(a.severity.word()).style(theme.severity(a.severity)),
                Cell::from(fit(&crate::text::sanitize(node), 20)),
                Cell::from(a.gpu.map(|g| g.to_string()).unwrap_or_else(|| "-".into())),
                Cell::from(fit(&crate::text::sanitize(&a.summary), summary_w)),
            ])
        });
    let header = Row::new(vec!["SEV", "NODE", "GPU", "SUMMARY"]).style(theme.column_header());
    let widths = [
        Constraint::Length(5),
        Constraint::Length(20),
        Constraint::Length(4),
        Constraint::Min(10),
    ];
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .column_spacing(1),
        area,
    );
}
