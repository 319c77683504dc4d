//! The action log: every background job, newest first, with its state,
//! progress, targets and how long it ran. Enter shows one job's output.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::format::{self, fit};
use super::theme::Theme;
use crate::app::jobs::{Job, JobState};
use crate::app::{App, scroll_for};
use crate::domain::Severity;

fn state_style(s: &JobState, theme: &Theme) -> Style {
    match s {
        JobState::Queued => theme.dim(),
        JobState::Running => theme.title(),
        JobState::Ok(_) => theme.ok(),
        JobState::Failed(_) => theme.severity(Severity::Critical),
        JobState::Cancelled => theme.severity(Severity::Warning),
    }
}

/// The result column: the summary, the failure, or the progress.
fn detail(j: &Job) -> String {
    match &j.state {
        JobState::Ok(s) | JobState::Failed(s) => crate::text::sanitize(s),
        JobState::Running => match j.progress {
            Some((done, total)) => format!("{done}/{total}"),
            None => j.output.last().cloned().unwrap_or_default(),
        },
        JobState::Queued => "waiting for a free slot".into(),
        JobState::Cancelled => String::new(),
    }
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = app.log_rows();
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(
                " no jobs yet: l scans a node's kernel log over SSH, a adds a node; \
                 their progress and output show here",
            )
            .style(theme.dim()),
            area,
        );
        return;
    }
    let body = area.height.saturating_sub(1) as usize;
    let selected = app.ui.log_selected.min(rows.len() - 1);
    let start = scroll_for(selected, 0, body);
    // Narrow terminals drop STARTED (TOOK stays) so the result has room.
    let wide = area.width >= 100;
    let targets_w: u16 = if area.width >= 120 { 28 } else { 12 };
    let started_w: u16 = if wide { 9 } else { 0 };
    let fixed = 1 + 4 + 15 + targets_w + 9 + started_w + 6 + if wide { 7 } else { 6 };
    let detail_w = area.width.saturating_sub(fixed) as usize;
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(start)
        .take(body)
        .map(|(i, j)| {
            let started = j
                .started
                .map(|t| {
                    format!(
                        "{} ago",
                        format::age(app.now.saturating_duration_since(t).as_secs_f64())
                    )
                })
                .unwrap_or_else(|| "-".into());
            let took = j
                .duration(app.now)
                .map(|d| format::age(d.as_secs_f64()))
                .unwrap_or_else(|| "-".into());
            let row = Row::new(vec![
                Cell::from(if i == selected { "▶" } else { " " }),
                Cell::from(j.id.to_string()),
                Cell::from(j.kind.word()),
                Cell::from(fit(&j.target_names.join(","), targets_w as usize)),
                Cell::from(j.state.word()).style(state_style(&j.state, theme)),
                Cell::from(if wide { started } else { String::new() }),
                Cell::from(took),
                Cell::from(fit(&detail(j), detail_w)),
            ]);
            if i == selected {
                row.style(theme.selected())
            } else {
                row
            }
        });
    let header = Row::new(vec![
        " ",
        "ID",
        "KIND",
        "TARGETS",
        "STATE",
        if wide { "STARTED" } else { "" },
        "TOOK",
        "RESULT",
    ])
    .style(theme.column_header());
    let widths = [
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(15),
        Constraint::Length(targets_w),
        Constraint::Length(9),
        Constraint::Length(started_w),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .column_spacing(1),
        area,
    );
}
