//! The node pane: one block per GPU with gauges, history and whatever is
//! wrong with it; the host's figures on top. Enter on a node opens it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{self, fit};
use super::theme::Theme;
use crate::app::App;
use crate::domain::fleet::GpuHistory;
use crate::domain::{GpuSample, NodeId, NodeState, Severity, alert::HOT_GPU_C, throttle};

/// A text gauge: `width` cells, filled in proportion to `frac`.
pub fn bar(frac: f64, width: usize) -> String {
    let frac = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let full = (frac * width as f64).round() as usize;
    format!("{}{}", "█".repeat(full), "░".repeat(width - full))
}

/// The last `width` values as a sparkline over `0..=max`; gaps are spaces.
pub fn sparkline(values: impl Iterator<Item = f64>, width: usize, max: f64) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let v: Vec<f64> = values.collect();
    let tail = &v[v.len().saturating_sub(width)..];
    let mut s: String = std::iter::repeat_n(' ', width - tail.len()).collect();
    for x in tail {
        if x.is_finite() && max > 0.0 {
            let i = ((x / max).clamp(0.0, 1.0) * 7.0).round() as usize;
            s.push(LEVELS[i]);
        } else {
            s.push(' ');
        }
    }
    s
}

fn gib(bytes: f64) -> String {
    format!("{:.0}", bytes / (1u64 << 30) as f64)
}

/// The node's summary line. Parts carry a priority (0 stays longest) and
/// the least important go first when the terminal is narrow, so no value is
/// ever cut in half.
fn host_line(n: &NodeState, theme: &Theme, width: u16) -> Line<'static> {
    let mut parts: Vec<(u8, String, Style)> = vec![
        (
            0,
            format!(" {}", crate::text::sanitize(&n.spec.name)),
            theme.title(),
        ),
        (4, crate::text::sanitize(&n.spec.address), theme.dim()),
    ];
    if let Some(m) = n.model() {
        parts.push((
            2,
            format!("{} ×{}", crate::text::sanitize_max(m, 32), n.gpus.len()),
            theme.text(),
        ));
    }
    if let Some(d) = n.gpus.first().and_then(|g| g.driver.as_deref()) {
        parts.push((
            7,
            format!("driver {}", crate::text::sanitize_max(d, 20)),
            theme.dim(),
        ));
    }
    let (word, style) = match &n.status {
        crate::domain::NodeStatus::Up => ("up".to_string(), theme.ok()),
        crate::domain::NodeStatus::Pending => ("waiting".to_string(), theme.dim()),
        crate::domain::NodeStatus::Degraded(r) => {
            (format!("degraded: {r}"), theme.severity(Severity::Warning))
        }
        crate::domain::NodeStatus::Down(r) => (
            format!("down: {r} (last values shown)"),
            theme.severity(Severity::Critical),
        ),
    };
    parts.push((0, crate::text::sanitize(&word), style));
    if !matches!(n.status, crate::domain::NodeStatus::Pending) {
        let h = crate::domain::health::node_health(n);
        parts.push((1, format!("health {}", h.score), theme.health(h.band)));
    }
    if let Some(h) = &n.host {
        if let Some(up) = h.uptime_seconds() {
            parts.push((6, format!("uptime {}", format::uptime(up)), theme.text()));
        }
        if let Some(c) = n.cpu_busy_pct {
            parts.push((3, format!("CPU {c:.0}%"), theme.text()));
        }
        if let (Some(used), Some(total)) = (h.mem_used_bytes(), h.mem_total_bytes) {
            parts.push((
                2,
                format!("MEM {}/{} GiB", gib(used), gib(total)),
                theme.text(),
            ));
        }
        if let Some(d) = h.disk_used_pct() {
            parts.push((5, format!("/ {d:.0}%"), theme.text()));
        }
    }
    Line::from(format::fit_parts(parts, width as usize))
}

/// The exporters line: each known exporter's version, and when one of the
/// TUI's jobs put it there. Always one line: the job times go first when
/// it is too long, then the end is cut. `None` when nothing is known.
fn exporters_line(app: &App, id: NodeId, theme: &Theme, width: u16) -> Option<Line<'static>> {
    let versions = app.exporter_versions(id);
    if versions.is_empty() {
        return None;
    }
    let text = |with_jobs: bool| {
        versions
            .iter()
            .map(|v| {
                let mut s = format!(
                    "{} {}",
                    crate::text::sanitize_max(&v.component, 20),
                    crate::text::sanitize_max(&v.version, 24)
                );
                if with_jobs && let Some(j) = &v.job {
                    s.push_str(&format!(" ({}", crate::text::sanitize_max(&j.word, 16)));
                    if let Some(at) = j.at_unix {
                        s.push(' ');
                        s.push_str(&format::clock_utc(at, app.wall_clock));
                    }
                    s.push(')');
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    const LABEL: &str = " exporters  ";
    let room = (width as usize).saturating_sub(LABEL.len());
    let mut body = text(true);
    if body.chars().count() > room {
        body = text(false);
    }
    Some(Line::from(vec![
        Span::styled(LABEL, theme.dim()),
        Span::styled(fit(&body, room), theme.text()),
    ]))
}

/// Widths of the gauge columns for a terminal `width` wide.
struct Widths {
    bar: usize,
    clock: bool,
    spark: usize,
    workload: usize,
}

fn widths(width: u16) -> Widths {
    let w = width as usize;
    if w >= 150 {
        Widths {
            bar: 12,
            clock: true,
            spark: 16,
            workload: w.saturating_sub(124).min(40),
        }
    } else if w >= 110 {
        Widths {
            bar: 8,
            clock: true,
            spark: 12,
            workload: w.saturating_sub(100).min(30),
        }
    } else {
        Widths {
            bar: 6,
            clock: false,
            spark: w.saturating_sub(66).clamp(0, 12),
            workload: 0,
        }
    }
}

fn gpu_lines<'a>(
    g: &'a GpuSample,
    hist: Option<&GpuHistory>,
    w: &Widths,
    theme: &Theme,
    stale: bool,
    cursor: bool,
) -> Vec<Line<'a>> {
    let dim = theme.dim();
    let value_style = |s: Style| if stale { dim } else { s };
    let marker = if cursor { "▶" } else { " " };
    let mut spans = vec![Span::styled(
        format!("{marker}{:<4}", g.index),
        theme.title(),
    )];
    // Utilisation.
    match g.util_pct {
        Some(u) => {
            spans.push(Span::styled(
                bar(u / 100.0, w.bar),
                value_style(theme.util(u)),
            ));
            spans.push(Span::raw(format!(" {:>3.0}%  ", u)));
        }
        None => spans.push(Span::styled(
            format!("{:<w$}", " util -", w = w.bar + 7),
            dim,
        )),
    }
    // Memory.
    match (g.mem_used_mib, g.mem_total_mib) {
        (Some(u), Some(t)) if t > 0.0 => {
            spans.push(Span::styled(
                bar(u / t, w.bar),
                value_style(theme.mem(u / t * 100.0)),
            ));
            spans.push(Span::raw(format!(
                " {:>3.0}/{:<3.0}G ",
                u / 1024.0,
                t / 1024.0
            )));
        }
        _ => spans.push(Span::styled(
            format!("{:<w$}", " mem -", w = w.bar + 10),
            dim,
        )),
    }
    // Temperature against the slowdown limit.
    let limit = g.slowdown_temp_c.unwrap_or(HOT_GPU_C);
    match g.temp_c {
        Some(t) => {
            let mark = if t >= limit { "!" } else { " " };
            spans.push(Span::styled(
                format!("{t:>3.0}°C{mark}"),
                value_style(theme.temp(t, limit)),
            ));
            spans.push(Span::styled(format!("/{limit:<3.0} "), dim));
        }
        None => spans.push(Span::styled("  -°C      ", dim)),
    }
    // Power against its limit.
    match (g.power_w, g.power_limit_w) {
        (Some(p), Some(l)) if l > 0.0 => {
            spans.push(Span::raw(format!("{:>4.0}/{:<4.0}W ", p, l)));
        }
        (Some(p), _) => spans.push(Span::raw(format!("{p:>4.0}W      "))),
        _ => spans.push(Span::styled("   -W      ", dim)),
    }
    if w.clock {
        let c = g
            .sm_clock_mhz
            .map(|c| format!("{c:>4.0} MHz "))
            .unwrap_or_else(|| "   - MHz ".into());
        spans.push(Span::styled(c, dim));
    }
    if w.spark > 0 {
        let s = hist
            .map(|h| sparkline(h.util.iter(), w.spark, 100.0))
            .unwrap_or_else(|| " ".repeat(w.spark));
        spans.push(Span::styled(s, theme.util(60.0)));
        spans.push(Span::raw(" "));
    }
    if w.workload > 0
        && let Some(wl) = &g.workload
    {
        spans.push(Span::styled(
            fit(&crate::text::sanitize(&wl.label()), w.workload),
            dim,
        ));
    }
    let mut lines = vec![Line::from(spans)];
    // Only what is wrong, in the warning colour.
    let mut trouble: Vec<(String, Severity)> = Vec::new();
    if let Some(mask) = g
        .throttle_reasons
        .filter(|m| m & throttle::PROBLEM_MASK != 0)
    {
        let words: Vec<&str> = throttle::decode(mask & throttle::PROBLEM_MASK);
        trouble.push((
            format!("throttled: {}", words.join(", ")),
            Severity::Warning,
        ));
    }
    if let Some(x) = g.xid() {
        trouble.push((format!("Xid {x}"), Severity::Critical));
    }
    if let Some(a) = g.recovery_needed() {
        trouble.push((
            format!("driver: {}", crate::domain::gpu::recovery_action_word(a)),
            Severity::Critical,
        ));
    }
    if let Some(d) = g.ecc_dbe.filter(|v| *v > 0.0) {
        trouble.push((format!("ECC DBE {d:.0}"), Severity::Critical));
    }
    if let Some(s) = g.ecc_sbe.filter(|v| *v > 0.0) {
        trouble.push((format!("ECC SBE {s:.0}"), Severity::Warning));
    }
    if let Some(r) = g.remapped_rows_uncorrectable.filter(|v| *v > 0.0) {
        trouble.push((format!("remapped rows {r:.0}"), Severity::Warning));
    }
    if g.row_remap_failed == Some(true) {
        trouble.push(("row remap FAILED".into(), Severity::Critical));
    }
    if let Some(r) = g.retired_pages.filter(|v| *v > 0.0) {
        trouble.push((format!("retired pages {r:.0}"), Severity::Warning));
    }
    if let Some(p) = g.pcie_replays.filter(|v| *v > 0.0) {
        trouble.push((format!("PCIe replays {p:.0}"), Severity::Warning));
    }
    if let Some(e) = g.nvlink_errors.filter(|v| *v > 0.0) {
        trouble.push((format!("NVLink errors {e:.0}"), Severity::Warning));
    }
    if !trouble.is_empty() {
        let h = crate::domain::health::gpu_health(g);
        let mut spans = vec![
            Span::raw("     "),
            Span::styled(format!("health {} ", h.score), theme.health(h.band)),
        ];
        for (i, (t, s)) in trouble.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", dim));
            }
            spans.push(Span::styled(t, theme.severity(s)));
        }
        lines.push(Line::from(spans));
    }
    for m in &g.mig {
        let util = m
            .util_pct
            .map(|u| format!("util {u:.0}%"))
            .unwrap_or_else(|| "util -".into());
        let mem = match (m.mem_used_mib, m.mem_total_mib) {
            (Some(u), Some(t)) => format!("  mem {:.1}/{:.1}G", u / 1024.0, t / 1024.0),
            _ => String::new(),
        };
        lines.push(Line::from(Span::styled(
            format!(
                "     └ MIG {} {}  {util}{mem}",
                crate::text::sanitize_max(&m.instance_id, 8),
                crate::text::sanitize_max(&m.profile, 16)
            ),
            dim,
        )));
    }
    lines
}

/// Draws the node view; returns the rows its GPU list has.
pub fn render(app: &App, id: NodeId, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let Some(n) = app.fleet.nodes.get(id) else {
        return 1;
    };
    let w = widths(area.width);
    let mut lines = vec![host_line(n, theme, area.width)];
    lines.extend(exporters_line(app, id, theme, area.width));
    let mut head = format!(
        " {:<4}{:<w1$}{:<w2$}{:<11}{:<11}",
        "GPU",
        "UTIL",
        "MEM",
        "TEMP/LIMIT",
        "POWER",
        w1 = w.bar + 7,
        w2 = w.bar + 10
    );
    if w.clock {
        head.push_str("SM CLOCK ");
    }
    if w.spark > 0 {
        head.push_str(&format!("{:<w$}", "UTIL HISTORY", w = w.spark + 1));
    }
    if w.workload > 0 {
        head.push_str("WORKLOAD");
    }
    lines.push(Line::from(Span::styled(head, theme.column_header())));
    let above_gpus = lines.len() as u16;
    if n.gpus.is_empty() {
        lines.push(Line::from(Span::styled(
            match n.status.reason() {
                Some(r) => format!(" no GPU data: {}", crate::text::sanitize(r)),
                None => " no GPU data yet".to_string(),
            },
            theme.dim(),
        )));
    }
    let stale = n.status.is_down();
    let shown: Vec<u32> = n.gpus.iter().map(|g| g.index).collect();
    for (k, g) in n.gpus.iter().enumerate().skip(app.ui.gpu_scroll) {
        let cursor = k == app.ui.gpu_scroll;
        lines.extend(gpu_lines(
            g,
            n.history.get(&g.index),
            &w,
            theme,
            stale,
            cursor,
        ));
        if cursor && g.xid().is_some() {
            lines.push(Line::from(Span::styled(
                "      Enter: explain this Xid",
                theme.dim(),
            )));
        }
    }
    // GPUs seen before that the exporter no longer lists.
    if n.gpus_expected > n.gpus.len() {
        for idx in (0..n.gpus_expected as u32).filter(|i| !shown.contains(i)) {
            lines.push(Line::from(Span::styled(
                format!(" {idx:<4}─ no data: GPU missing from the exporter"),
                theme.severity(Severity::Critical),
            )));
        }
    }
    for a in &n.alerts {
        lines.push(Line::from(Span::styled(
            format!(" ▲ {}", crate::text::sanitize(&a.summary)),
            theme.severity(a.severity),
        )));
    }
    // Link trouble from the last topology read (t opens the pane).
    if let Some(t) = app.topologies.get(&id) {
        for r in t.link_problems().values() {
            let sev = match r.health {
                crate::domain::topology::LinkHealth::Critical => Severity::Critical,
                _ => Severity::Warning,
            };
            lines.push(Line::from(Span::styled(
                format!(
                    " ▲ GPU {} NVLink {}/{} active: {}  (t: topology)",
                    r.gpu,
                    r.active,
                    r.expected,
                    r.reasons.join(", ")
                ),
                theme.severity(sev),
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
    area.height.saturating_sub(above_gpus).max(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_and_sparklines() {
        assert_eq!(bar(0.5, 4), "██░░");
        assert_eq!(bar(f64::NAN, 2), "░░");
        assert_eq!(
            sparkline([0.0, 50.0, 100.0, f64::NAN].into_iter(), 6, 100.0),
            "  ▁▅█ "
        );
    }
}
