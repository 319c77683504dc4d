//! Enter on an alert that is not an Xid: its rule, what to do, and its
//! current value.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::format::age;
use super::popup::{centered, clamp_scroll, scroll_hint};
use super::theme::Theme;
use crate::app::App;
use crate::app::alert_rows::AlertRow;
use crate::domain::rules::parse::{fill_template, format_value};
use crate::text::wrap;

pub fn render(
    app: &App,
    row: &AlertRow,
    scroll: u16,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> usize {
    let width = area.width.saturating_sub(4).clamp(20, 100).min(area.width);
    let inner_w = width.saturating_sub(2) as usize;
    let node = crate::text::sanitize(&row.node_name);
    // The live row, when the alert is still listed; else the one opened.
    let live = app
        .alert_rows()
        .into_iter()
        .find(|r| r.node == row.node && r.gpu == row.gpu && r.rule == row.rule);
    let row = live.as_ref().unwrap_or(row);
    let rule = row
        .rule_index
        .and_then(|i| app.fleet.rules.as_ref()?.rule(i));
    let mut lines: Vec<Line> = Vec::new();
    let mut push = |text: &str, style, first: &str, rest: &str| {
        for l in wrap(text, inner_w, first, rest) {
            lines.push(Line::from(Span::styled(l, style)));
        }
    };
    push(
        &crate::text::sanitize(&row.summary),
        theme.title(),
        " ",
        "   ",
    );
    let gpu = row.gpu.map(|g| format!(" · GPU {g}")).unwrap_or_default();
    let since = row
        .since
        .map(|s| {
            format!(
                " for {}",
                age(app.now.saturating_duration_since(s).as_secs_f64())
            )
        })
        .unwrap_or_default();
    push(
        &format!(
            "{node}{gpu} · {} {}{since} · value {}",
            row.severity.long_word(),
            row.phase.word(),
            row.value
                .map(format_value)
                .unwrap_or_else(|| "unknown".into())
        ),
        theme.severity(row.severity),
        " ",
        "   ",
    );
    push("", theme.text(), " ", " ");
    match rule {
        Some(r) => {
            push(
                &format!("Rule {} (preset {})", r.name, r.preset),
                theme.title(),
                " ",
                "   ",
            );
            push(
                &format!("when {}", r.condition_text()),
                theme.text(),
                "   ",
                "   ",
            );
            push("", theme.text(), " ", " ");
            push("What to do", theme.title(), " ", " ");
            let what = fill_template(&r.description, &node, row.gpu, row.value);
            push(&crate::text::sanitize(&what), theme.text(), "   ", "   ");
            if let Some(rb) = &r.runbook {
                push(
                    &format!("Runbook: {}", crate::text::sanitize(rb)),
                    theme.dim(),
                    "   ",
                    "   ",
                );
            }
        }
        None => push(
            "A built-in check (no preset rule is configured for it).",
            theme.dim(),
            " ",
            "   ",
        ),
    }
    let r = centered(area, width, lines.len() as u16 + 2);
    let shown = r.height.saturating_sub(2) as usize;
    let first = clamp_scroll(scroll, shown, lines.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" alert ")
        .title_bottom(Line::from(scroll_hint(first, shown, lines.len())).right_aligned());
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(first).collect::<Vec<_>>()).block(block),
        r,
    );
    shown
}
