//! The Xid popup: lookup (`x` or `:xid N`, type a code) or explain (Enter on
//! an Xid), with the GPU it was seen on when there is one. The text is the
//! same [`XidDocument`] that `aami-tui explain` prints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::popup::{centered, clamp_scroll, scroll_hint};
use super::theme::Theme;
use crate::app::view::{XidContext, XidPopup};
use crate::xid::Catalogue;
use crate::xid::document::{LineKind, XidDocument};

const MAX_W: u16 = 100;

/// "gpu-node-06 GPU 2 (PCI 00000000:75:00.0)  NVIDIA H100  GPU-…".
fn seen_on(ctx: &XidContext) -> String {
    let mut s = format!("{} GPU {}", crate::text::sanitize(&ctx.node), ctx.gpu);
    if let Some(bus) = &ctx.pci_bus_id {
        s.push_str(&format!(" (PCI {})", crate::text::sanitize(bus)));
    }
    if !ctx.model.is_empty() {
        s.push_str(&format!("  {}", crate::text::sanitize(&ctx.model)));
    }
    if !ctx.uuid.is_empty() {
        s.push_str(&format!("  {}", crate::text::sanitize(&ctx.uuid)));
    }
    s
}

/// Draws the popup; returns the rows of text it shows at once.
pub fn render(
    p: &XidPopup,
    cat: &Catalogue,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> usize {
    let width = area
        .width
        .saturating_sub(4)
        .clamp(20, MAX_W)
        .min(area.width);
    let inner_w = width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let input_line = |theme: &Theme| {
        Line::from(vec![
            Span::styled(" Xid: ", theme.title()),
            Span::raw(p.input.clone()),
            Span::styled("▏", theme.title()),
        ])
    };
    let entry = p.code().and_then(|c| cat.get(c));
    let (title, badge, badge_style) = match (p.code(), entry) {
        (None, _) => {
            lines.push(input_line(theme));
            lines.push(Line::from(Span::styled(
                format!(" type an Xid code ({} are known)", cat.ranges_text()),
                theme.dim(),
            )));
            (" Xid lookup ".to_string(), String::new(), theme.dim())
        }
        (Some(c), None) => {
            lines.push(input_line(theme));
            lines.push(Line::from(Span::styled(
                format!(
                    " Xid {c} is not in the catalogue (known: {})",
                    cat.ranges_text()
                ),
                theme.severity(crate::domain::Severity::Warning),
            )));
            (" Xid lookup ".to_string(), String::new(), theme.dim())
        }
        (Some(_), Some(e)) => {
            let doc = XidDocument::new(e, cat, p.context.as_ref().map(seen_on));
            if p.context.is_none() {
                lines.push(input_line(theme));
            }
            // One column of margin each side of the text.
            for l in doc.layout(inner_w.saturating_sub(2)) {
                let style = match l.kind {
                    LineKind::Heading => theme.title(),
                    LineKind::Notice => theme.severity(crate::domain::Severity::Warning),
                    LineKind::Command => theme.text().add_modifier(Modifier::BOLD),
                    LineKind::Dim => theme.dim(),
                    LineKind::Text | LineKind::Blank => theme.text(),
                };
                lines.push(Line::from(Span::styled(format!(" {}", l.text), style)));
            }
            (
                format!(" {} ", doc.title),
                format!(" {} ", doc.badge),
                theme.severity(doc.severity),
            )
        }
    };
    let r = centered(area, width, lines.len() as u16 + 2);
    let shown = r.height.saturating_sub(2) as usize;
    let first = clamp_scroll(p.scroll, shown, lines.len());
    let hint = scroll_hint(first, shown, lines.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title()))
        .title_top(Line::from(Span::styled(badge, badge_style)).right_aligned())
        .title_bottom(Line::from(Span::styled(hint, theme.dim())).left_aligned())
        .title_bottom(
            Line::from(Span::styled(" digits look up  Esc close ", theme.dim())).right_aligned(),
        );
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(
            lines
                .into_iter()
                .skip(first)
                .take(shown)
                .collect::<Vec<_>>(),
        )
        .block(block),
        r,
    );
    shown
}
