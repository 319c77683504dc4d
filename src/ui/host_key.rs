//! The unknown-host-key dialog: which job and node, the host, the key type
//! and its SHA256 fingerprint, the files that were read, and the three
//! answers; when more questions wait, their hosts and fingerprints (as
//! many as fit) and the key that accepts them all.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::format::fit;
use super::popup::centered;
use super::theme::Theme;
use crate::app::App;
use crate::app::host_key::HostKeyAsk;
use crate::domain::Severity;
use crate::text::{sanitize, wrap};

pub fn render(app: &App, ask: &HostKeyAsk, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let q = &ask.question;
    let width = area.width.min(86);
    let inner_w = width.saturating_sub(2) as usize;
    let who = app
        .jobs
        .get(ask.job)
        .map(|j| format!("{} on {}", j.kind.word(), j.target_names.join(", ")))
        .unwrap_or_else(|| format!("job {}", ask.job));
    let intro = format!(
        "{} connects to {}:{}, whose host key no known_hosts file names:",
        sanitize(&who),
        sanitize(&q.host),
        q.port
    );
    let mut lines: Vec<Line> = wrap(&intro, inner_w, " ", " ")
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.title())))
        .collect();
    lines.push(Line::from(""));
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("   {name:<13}"), theme.dim()),
            Span::styled(value, theme.text().add_modifier(Modifier::BOLD)),
        ])
    };
    lines.push(field("host", format!("{}:{}", sanitize(&q.host), q.port)));
    lines.push(field("key type", sanitize(&q.algorithm)));
    lines.push(field("fingerprint", sanitize(&q.fingerprint)));
    lines.push(Line::from(""));
    let checked = q
        .checked
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    for text in [
        format!("Read: {}", sanitize(&checked)),
        "Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` run on the node itself."
            .to_string(),
        format!(
            "Always remembers it in {}.",
            sanitize(&q.known_hosts.display().to_string())
        ),
    ] {
        lines.extend(
            wrap(&text, inner_w, " ", "   ")
                .into_iter()
                .map(|l| Line::from(Span::styled(l, theme.dim()))),
        );
    }
    lines.push(Line::from(""));
    let waiting = app.host_key_queue.len();
    // Rows left for the waiting list (after its heading and the blank line
    // below it): the box, buttons and borders included, fits the area.
    let avail = (area.height as usize).saturating_sub(lines.len() + 3);
    if waiting > 0 && avail >= 2 {
        let room = avail - 2;
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    " {waiting} more waiting; A accepts all {} always:",
                    waiting + 1
                ),
                inner_w,
            ),
            theme.title(),
        )));
        let shown = if waiting <= room {
            waiting
        } else {
            room.saturating_sub(1)
        };
        let host_w = app
            .host_key_queue
            .iter()
            .map(|a| a.question.host.chars().count() + 1 + a.question.port.to_string().len())
            .max()
            .unwrap_or(0);
        for a in app.host_key_queue.iter().take(shown) {
            let w = &a.question;
            let host = format!("{}:{}", sanitize(&w.host), w.port);
            lines.push(Line::from(Span::styled(
                fit(
                    &format!("   {host:<host_w$}  {}", sanitize(&w.fingerprint)),
                    inner_w,
                ),
                theme.text(),
            )));
        }
        if shown < waiting {
            lines.push(Line::from(Span::styled(
                format!("   … and {} more", waiting - shown),
                theme.dim(),
            )));
        }
        lines.push(Line::from(""));
    }
    let button = |label: &str, style| Span::styled(format!("[ {label} ]"), style);
    let mut buttons = vec![
        button("o accept once", theme.text()),
        Span::raw("  "),
        button("a accept always", theme.severity(Severity::Warning)),
        Span::raw("  "),
    ];
    if waiting > 0 {
        buttons.push(button(
            &format!("A accept all {}", waiting + 1),
            theme.severity(Severity::Warning),
        ));
        buttons.push(Span::raw("  "));
    }
    buttons.push(button(
        "r refuse",
        theme.selected().add_modifier(Modifier::BOLD),
    ));
    lines.push(Line::from(buttons).centered());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" unknown host key ")
        .title_bottom(
            Line::from(if waiting > 0 {
                format!(" {waiting} more waiting ")
            } else {
                String::new()
            })
            .right_aligned(),
        );
    let r = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
    0
}
