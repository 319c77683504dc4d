//! Onboarding's preview: a row per node (name, address, system, GPUs and
//! driver, DCGM, exporters found, host key fingerprint), an unreachable
//! node with its reason instead, and what Enter will write.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::format::fit;
use super::popup::{centered, clamp_scroll, scroll_hint};
use super::theme::Theme;
use crate::app::onboard::OnboardPreview;
use crate::domain::Severity;
use crate::onboard::HEADERS;

/// Column widths for `inner` columns: natural widths, the wide free-text
/// columns (system, GPUs, exporters) shrunk first when they do not fit.
fn widths(rows: &[Vec<String>], inner: usize) -> Vec<usize> {
    let mut w: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        // An unreachable row's reason spans the columns after the address.
        if r.get(2).is_some_and(|c| c == "-") {
            for (i, c) in r.iter().enumerate().take(2) {
                w[i] = w[i].max(c.chars().count());
            }
            continue;
        }
        for (i, c) in r.iter().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(c.chars().count());
            }
        }
    }
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * (w.len() - 1) + 1;
    // Shrinking goes in stages, each until the table fits: the widest of
    // system, GPUs and exporters a column at a time (so they shrink evenly)
    // down to 10; then the host key down to 20 (`SHA256:` and 12 characters
    // to compare, the dialog showed it whole); then the free columns down
    // to 6. The name and address stay whole.
    for (cols, min) in [(&[2, 3, 5][..], 10), (&[6][..], 20), (&[2, 3, 5][..], 6)] {
        while total(&w) + 1 > inner {
            let Some(&col) = cols.iter().filter(|&&c| w[c] > min).max_by_key(|&&c| w[c]) else {
                break;
            };
            w[col] -= 1;
        }
    }
    w
}

pub fn render(p: &OnboardPreview, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let width = area.width;
    let inner = width.saturating_sub(2) as usize;
    let rows: Vec<Vec<String>> = p.rows.iter().map(|r| r.cells.clone()).collect();
    let w = widths(&rows, inner);
    let line_of = |cells: &[String]| -> String {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let cw = w.get(i).copied().unwrap_or(0);
            if i + 1 == cells.len() {
                s.push_str(&fit(c, cw));
            } else {
                s.push_str(&format!("{:<cw$}  ", fit(c, cw)));
            }
        }
        s
    };
    let mut body: Vec<Line> = Vec::new();
    for (pr, cells) in p.rows.iter().zip(&rows) {
        if pr.reachable {
            body.push(Line::from(Span::styled(line_of(cells), theme.text())));
        } else {
            let lead = line_of(&cells[..2]);
            let room = inner.saturating_sub(lead.chars().count() + 2);
            let written = p.include_unreachable && !pr.already_configured;
            body.push(Line::from(vec![
                Span::styled(format!("{lead}  "), theme.text()),
                Span::styled(
                    fit(&cells[6], room),
                    if written {
                        theme.severity(Severity::Warning)
                    } else {
                        theme.severity(Severity::Critical)
                    },
                ),
            ]));
        }
    }
    let header = Line::from(Span::styled(
        line_of(&HEADERS.iter().map(|h| h.to_string()).collect::<Vec<_>>()),
        theme.title().add_modifier(Modifier::BOLD),
    ));
    let writes = p.to_write();
    let unreachable = p.rows.len() - p.reachable();
    let mut foot = vec![
        Line::from(""),
        Line::from(Span::styled(
            match writes.len() {
                0 => " Enter writes nothing: no node is reachable (u includes the unreachable)"
                    .to_string(),
                // The names as far as they fit, ending in `…`.
                n => fit(
                    &format!(
                        " Enter writes {n} node{} to the config: {}",
                        if n == 1 { "" } else { "s" },
                        writes
                            .iter()
                            .map(|r| r.node.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    inner.saturating_sub(1),
                ),
            },
            theme.title(),
        )),
    ];
    if unreachable > 0 {
        foot.push(Line::from(Span::styled(
            if p.include_unreachable {
                format!(
                    " u: the {unreachable} unreachable are written too (u again leaves them out)"
                )
            } else {
                format!(" u: write the {unreachable} unreachable too (now left out)")
            },
            theme.dim(),
        )));
    }
    foot.push(Line::from(Span::styled(
        " Esc: cancel, nothing is written",
        theme.dim(),
    )));
    let fixed = 1 + foot.len() + 2;
    let height = (fixed + body.len()).min(area.height as usize) as u16;
    let r = centered(area, width, height);
    let shown = (r.height as usize).saturating_sub(fixed).max(1);
    let first = clamp_scroll(p.scroll, shown, body.len());
    let total = body.len();
    let mut lines = vec![header];
    lines.extend(body.into_iter().skip(first).take(shown));
    lines.extend(foot);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(
            " onboarding preview: {} node{}, {} reachable ",
            p.rows.len(),
            if p.rows.len() == 1 { "" } else { "s" },
            p.reachable()
        ))
        .title_bottom(Line::from(scroll_hint(first, shown, total)).right_aligned());
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
    shown
}
