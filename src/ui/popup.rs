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
