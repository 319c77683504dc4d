//! The Xid popup: lookup (`x`, type a code) or explain (Enter on an Xid),
//! with the GPU it was seen on when there is one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::view::XidPopup;
use crate::xid::Catalogue;

fn section<'a>(
    lines: &mut Vec<Line<'a>>,
    theme: &Theme,
    title: &'a str,
    items: &'a [String],
    numbered: bool,
) {
    if items.is_empty() {
        return;
    }
    lines.push(Line::from(Span::styled(title, theme.title())));
    for (i, item) in items.iter().enumerate() {
        let lead = if numbered {
            format!("  {}. ", i + 1)
        } else {
            "  • ".to_string()
        };
        lines.push(Line::from(format!("{lead}{item}")));
    }
}

pub fn render(p: &XidPopup, cat: &Catalogue, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let height = area.height.saturating_sub(2).max(5);
    let r = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width: width.min(area.width),
        height: height.min(area.height),
    };
    let mut lines: Vec<Line> = Vec::new();
    let (title, badge) = match p.code().map(|c| (c, cat.get(c))) {
        None => {
            lines.push(Line::from(format!(" Xid: {}▏", p.input)));
            lines.push(Line::from(Span::styled(
                format!(" type an Xid code ({} are known)", cat.ranges_text()),
                theme.dim(),
            )));
            (" Xid lookup ".to_string(), String::new())
        }
        Some((c, None)) => {
            lines.push(Line::from(format!(" Xid: {}▏", p.input)));
            lines.push(Line::from(Span::styled(
                format!(
                    " Xid {c} is not in the catalogue (known: {})",
                    cat.ranges_text()
                ),
                theme.severity(crate::domain::Severity::Warning),
            )));
            (" Xid lookup ".to_string(), String::new())
        }
        Some((_, Some(e))) => {
            if let Some(ctx) = &p.context {
                let mut s = format!(" {} GPU {}", crate::text::sanitize(&ctx.node), ctx.gpu);
                if let Some(bus) = &ctx.pci_bus_id {
                    s.push_str(&format!(" (PCI {})", crate::text::sanitize(bus)));
                }
                if !ctx.model.is_empty() {
                    s.push_str(&format!("  {}", crate::text::sanitize(&ctx.model)));
                }
                if !ctx.uuid.is_empty() {
                    s.push_str(&format!("  {}", crate::text::sanitize(&ctx.uuid)));
                }
                lines.push(Line::from(Span::styled(s, theme.title())));
            } else {
                lines.push(Line::from(Span::styled(
                    format!(" Xid: {}▏", p.input),
                    theme.dim(),
                )));
            }
            if e.unused {
                lines.push(Line::from(Span::styled(
                    "NVIDIA lists this code as unused on current GPUs: seeing it is unexpected.",
                    theme.severity(crate::domain::Severity::Warning),
                )));
            }
            lines.push(Line::from(Span::styled(
                format!("{} ({})", e.mnemonic, e.generations),
                theme.dim(),
            )));
            lines.push(Line::from(Span::styled("What it means", theme.title())));
            lines.push(Line::from(format!("  {}", e.meaning)));
            section(&mut lines, theme, "Likely causes", &e.causes, false);
            section(&mut lines, theme, "Do now", &e.do_now, true);
            section(&mut lines, theme, "Investigate", &e.investigate, true);
            if !e.related.is_empty() {
                lines.push(Line::from(Span::styled("Related", theme.title())));
                for rel in &e.related {
                    lines.push(Line::from(format!("  Xid {}: {}", rel.code, rel.why)));
                }
            }
            lines.push(Line::from(Span::styled(
                format!("Reference: {}", e.reference),
                theme.dim(),
            )));
            let badge = format!(
                " {} · {} ",
                e.severity.long_word(),
                if e.unused {
                    "unused on current GPUs"
                } else {
                    e.hardware_text()
                }
            );
            (format!(" {} ", e.title()), badge)
        }
    };
    let severity_style = p
        .code()
        .and_then(|c| cat.get(c))
        .map(|e| theme.severity(e.severity))
        .unwrap_or(theme.dim());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title()))
        .title_top(Line::from(Span::styled(badge, severity_style)).right_aligned())
        .title_bottom(
            Line::from(Span::styled(
                " ↑↓ scroll  digits look up  Esc close ",
                theme.dim(),
            ))
            .right_aligned(),
        );
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((p.scroll, 0)),
        r,
    );
    r.height.saturating_sub(2) as usize
}
