//! The `?` overlay: every key from the binding table, the keys of what is
//! under it first, then every `:` command. It sizes itself to its content,
//! wraps long lines under their text column, and scrolls when the screen is
//! too small; nothing is cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::popup::{centered, clamp_scroll, scroll_hint};
use super::theme::Theme;
use super::wrap::wrap;
use crate::app::{App, Context, bindings, command};

const KEY_W: usize = 16;
const MAX_W: u16 = 96;

/// The help lines for `ctx`, wrapped to `width` columns of text.
pub fn lines(ctx: Context, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let text_w = width.saturating_sub(KEY_W + 2).max(10);
    let pad = " ".repeat(KEY_W + 2);
    let entry = |out: &mut Vec<Line<'static>>, key: String, text: &str| {
        for (i, l) in wrap(text, text_w, "", "").into_iter().enumerate() {
            let k = if i == 0 {
                format!(" {key:<KEY_W$} ")
            } else {
                pad.clone()
            };
            out.push(Line::from(vec![
                Span::styled(k, theme.title()),
                Span::raw(l),
            ]));
        }
    };
    for (title, rows) in bindings::help_sections(ctx) {
        if !out.is_empty() {
            out.push(Line::from(""));
        }
        out.push(Line::from(Span::styled(
            format!(" {title}"),
            theme.column_header(),
        )));
        for b in rows {
            entry(&mut out, b.label.to_string(), b.help);
        }
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        " Commands (type : first; Tab completes)",
        theme.column_header(),
    )));
    for c in command::COMMANDS {
        let mut key = format!(":{}", c.name);
        if !c.usage.is_empty() && key.len() + c.usage.len() < KEY_W {
            key = format!("{key} {}", c.usage);
        }
        let text = if key.contains(' ') || c.usage.is_empty() {
            c.help.to_string()
        } else {
            format!("{} — {}", c.usage, c.help)
        };
        entry(&mut out, key, &text);
    }
    out
}

/// Draws the overlay over `area`; returns the rows of text it shows.
pub fn render(app: &App, scroll: u16, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let ctx = app.mode.context_under_top();
    let width = area.width.min(MAX_W);
    let inner_w = width.saturating_sub(2) as usize;
    let all = lines(ctx, inner_w, theme);
    let height = (all.len() as u16 + 2).min(area.height);
    let shown = height.saturating_sub(2) as usize;
    let first = clamp_scroll(scroll, shown, all.len());
    let r = centered(area, width, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" keys — Esc closes ")
        .title_bottom(Line::from(scroll_hint(first, shown, all.len())).right_aligned());
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(all.into_iter().skip(first).take(shown).collect::<Vec<_>>()).block(block),
        r,
    );
    shown
}
