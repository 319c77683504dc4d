//! The alerts pane: every alert the fleet raises, worst first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::format::fit;
use super::theme::Theme;
use crate::app::App;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = app.alert_rows();
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(" no alerts: every node answers and no GPU is in trouble")
                .style(theme.ok()),
            area,
        );
        return;
    }
    let body = area.height.saturating_sub(1) as usize;
    let selected = app.ui.alert_selected.min(rows.len() - 1);
    let start = crate::app::scroll_for(selected, 0, body);
    let summary_w = area.width.saturating_sub(2 + 5 + 20 + 5 + 4) as usize;
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(start)
        .take(body)
        .map(|(i, (id, a))| {
            let node = &app.fleet.nodes[*id].spec.name;
            let mut summary = crate::text::sanitize(&a.summary);
            if a.xid.is_some() && i == selected {
                summary.push_str("  (Enter: explain)");
            }
            let row = Row::new(vec![
                Cell::from(if i == selected { "▶" } else { " " }),
                Cell::from(a.severity.word()).style(theme.severity(a.severity)),
                Cell::from(fit(&crate::text::sanitize(node), 20)),
                Cell::from(a.gpu.map(|g| g.to_string()).unwrap_or_else(|| "-".into())),
                Cell::from(fit(&summary, summary_w)),
            ]);
            if i == selected {
                row.style(theme.selected())
            } else {
                row
            }
        });
    let header = Row::new(vec![" ", "SEV", "NODE", "GPU", "SUMMARY"]).style(theme.column_header());
    let widths = [
        Constraint::Length(1),
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
