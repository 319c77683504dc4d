//! Number formatting shared by panes: short, fixed-width, unit-bearing.

/// `87%`, or `-` when unknown.
pub fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v))
        .unwrap_or_else(|| "-".into())
}

/// `612W`, `5.1kW`, `212kW`, `1.2MW`.
pub fn watts(w: f64) -> String {
    // A sum over no GPUs is -0.0, which would print as "-0W".
    let w = if w == 0.0 { 0.0 } else { w };
    if w >= 999_500.0 {
        format!("{:.1}MW", w / 1e6)
    } else if w >= 99_950.0 {
        format!("{:.0}kW", w / 1e3)
    } else if w >= 1000.0 {
        format!("{:.1}kW", w / 1e3)
    } else {
        format!("{:.0}W", w)
    }
}

/// `0.8s`, `12s`, `3m`, `2h`.
pub fn age(secs: f64) -> String {
    if secs < 10.0 {
        format!("{:.1}s", secs)
    } else if secs < 120.0 {
        format!("{:.0}s", secs)
    } else if secs < 7200.0 {
        format!("{:.0}m", secs / 60.0)
    } else {
        format!("{:.0}h", secs / 3600.0)
    }
}

/// `41d`, `5h`, `12m`.
pub fn uptime(secs: f64) -> String {
    if secs >= 86_400.0 {
        format!("{:.0}d", (secs / 86_400.0).floor())
    } else if secs >= 3600.0 {
        format!("{:.0}h", (secs / 3600.0).floor())
    } else {
        format!("{:.0}m", (secs / 60.0).floor())
    }
}

/// A moment as `03:50 UTC`, with the date in front when it is not the
/// day of `now` (both seconds since the Unix epoch).
pub fn clock_utc(at: i64, now: Option<i64>) -> String {
    let day = at.div_euclid(86_400);
    let secs = at.rem_euclid(86_400);
    let hm = format!("{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60);
    match now {
        Some(n) if n.div_euclid(86_400) == day => hm,
        _ => {
            let (y, m, d) = crate::domain::topology::civil_date(day);
            format!("{y:04}-{m:02}-{d:02} {hm}")
        }
    }
}

/// Cuts `s` to `width` characters, ending in `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// A line of parts, each with a priority (0 is never dropped): the least
/// important go first, the latest among equals, until the parts and their
/// two-space gaps fit `room` columns; then the parts as spans.
pub fn fit_parts(
    mut parts: Vec<(u8, String, ratatui::style::Style)>,
    room: usize,
) -> Vec<ratatui::text::Span<'static>> {
    let width = |ps: &[(u8, String, ratatui::style::Style)]| {
        ps.iter().map(|p| p.1.chars().count() + 2).sum::<usize>()
    };
    while width(&parts) > room {
        let Some(worst) = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.0 > 0)
            .max_by_key(|(i, p)| (p.0, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(worst);
    }
    let mut spans = Vec::new();
    for (_, text, style) in parts {
        spans.push(ratatui::text::Span::styled(text, style));
        spans.push(ratatui::text::Span::raw("  "));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_power_is_zero_watts_not_minus_zero() {
        let none: f64 = std::iter::empty::<f64>().sum();
        assert_eq!(watts(none), "0W");
        assert_eq!(watts(1234.0), "1.2kW");
    }

    #[test]
    fn units() {
        assert_eq!(watts(612.0), "612W");
        assert_eq!(watts(5100.0), "5.1kW");
        assert_eq!(watts(212_000.0), "212kW");
        assert_eq!(age(0.84), "0.8s");
        assert_eq!(fit("gpu-node-0001", 8), "gpu-nod…");
    }
}
