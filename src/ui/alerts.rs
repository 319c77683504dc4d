//! The alerts pane: firing alerts first by severity, then pending, no data,
//! and those resolved in the last hour. Each row: node, GPU, since when,
//! value and rule.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::format::{age, fit};
use super::theme::Theme;
use crate::app::App;
use crate::app::alert_rows::AlertRow;
use crate::domain::rules::Phase;
use crate::domain::rules::parse::format_value;

/// Width from which the summary gets its own column beside the rule.
const WIDE: u16 = 120;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    // A remote API that is down or refusing: say so on top, keep the rest.
    let problems = app.remote.problems();
    let area = if problems.is_empty() {
        area
    } else {
        let n = (problems.len() as u16).min(area.height);
        let text: Vec<ratatui::text::Line> = problems
            .iter()
            .map(|p| {
                ratatui::text::Line::from(fit(
                    &format!(" {}", crate::text::sanitize(p)),
                    area.width as usize,
                ))
            })
            .collect();
        frame.render_widget(
            Paragraph::new(text).style(theme.severity(crate::domain::Severity::Critical)),
            Rect { height: n, ..area },
        );
        Rect {
            y: area.y + n,
            height: area.height - n,
            ..area
        }
    };
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
    let wide = area.width >= WIDE;
    let node_w: u16 = if wide { 18 } else { 14 };
    let fixed = 1 + 4 + 9 + node_w + 3 + 5 + 7 + 8;
    let rest = area.width.saturating_sub(fixed);
    let (rule_w, summary_w) = if wide {
        (24, rest.saturating_sub(25))
    } else {
        (rest, 0)
    };
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(start)
        .take(body)
        .map(|(i, r)| {
            let row = Row::new(cells(
                app,
                r,
                i == selected,
                node_w,
                rule_w,
                summary_w,
                theme,
            ));
            if i == selected {
                row.style(theme.selected())
            } else if matches!(r.phase, Phase::Resolved | Phase::NoData) {
                row.style(theme.dim())
            } else {
                row
            }
        });
    let mut header = vec![" ", "SEV", "STATE", "NODE", "GPU", "SINCE", "VALUE", "RULE"];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(9),
        Constraint::Length(node_w),
        Constraint::Length(3),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(rule_w),
    ];
    if wide {
        header.push("SUMMARY");
        widths.push(Constraint::Min(10));
    }
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.column_header()))
            .column_spacing(1),
        area,
    );
}

fn cells<'a>(
    app: &App,
    r: &AlertRow,
    selected: bool,
    node_w: u16,
    rule_w: u16,
    summary_w: u16,
    theme: &Theme,
) -> Vec<Cell<'a>> {
    let node = crate::text::sanitize(&r.node_name);
    let since = r
        .since
        .map(|s| age(app.now.saturating_duration_since(s).as_secs_f64()))
        .unwrap_or_else(|| "-".into());
    let value = r.value.map(format_value).unwrap_or_else(|| "-".into());
    let mut summary = crate::text::sanitize(&r.summary);
    // A built-in check has no rule name worth the narrow column: show what
    // it found instead.
    let mut rule = if r.rule == "built-in" && summary_w == 0 {
        summary.clone()
    } else {
        r.rule.clone()
    };
    if selected {
        let hint = if r.xid.is_some() {
            "  (Enter: explain)"
        } else {
            "  (Enter: details)"
        };
        if summary_w > 0 {
            summary.push_str(hint);
        } else if rule.chars().count() + hint.chars().count() <= rule_w as usize {
            rule.push_str(hint);
        }
    }
    let mut out = vec![
        Cell::from(if selected { "▶" } else { " " }),
        Cell::from(r.severity.word()).style(theme.severity(r.severity)),
        Cell::from(r.suppressed.unwrap_or(r.phase.word())),
        Cell::from(fit(&node, node_w as usize)),
        Cell::from(r.gpu.map(|g| g.to_string()).unwrap_or_else(|| "-".into())),
        Cell::from(since),
        Cell::from(fit(&value, 7)),
        Cell::from(fit(&rule, rule_w as usize)),
    ];
    if summary_w > 0 {
        out.push(Cell::from(fit(&summary, summary_w as usize)));
    }
    out
}
