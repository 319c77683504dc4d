//! Placing a box over the view: sized to its content, never larger than the
//! area, centred.

use ratatui::layout::Rect;

/// A `width`×`height` box (borders included) centred in `area`, shrunk to fit.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// "↑↓ 12-30 of 48" when content is taller than the box, else empty.
pub fn scroll_hint(scroll: usize, shown: usize, total: usize) -> String {
    if total <= shown {
        String::new()
    } else {
        let first = scroll.min(total.saturating_sub(shown));
        format!(
            " ↑↓ {}-{} of {} ",
            first + 1,
            (first + shown).min(total),
            total
        )
    }
}

/// The scroll position clamped so the last page is full.
pub fn clamp_scroll(scroll: u16, shown: usize, total: usize) -> usize {
    (scroll as usize).min(total.saturating_sub(shown))
}

/// Draws `lines` in `block` over `r`, clearing what is under it, from line
/// `first` on.
pub fn draw_scrolled(
    frame: &mut ratatui::Frame,
    r: Rect,
    block: ratatui::widgets::Block<'_>,
    lines: Vec<ratatui::text::Line<'_>>,
    first: usize,
) {
    let shown = r.height.saturating_sub(2) as usize;
    let visible: Vec<ratatui::text::Line<'_>> = lines.into_iter().skip(first).take(shown).collect();
    frame.render_widget(ratatui::widgets::Clear, r);
    frame.render_widget(ratatui::widgets::Paragraph::new(visible).block(block), r);
}
