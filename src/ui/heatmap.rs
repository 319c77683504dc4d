//! The heatmap pane: every GPU of the fleet at once. Rows are nodes (grouped
//! by a label), columns GPU indexes, each cell coloured and shaped by the
//! chosen metric so it reads without colour too. Wide terminals put several
//! node blocks side by side.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::fit;
use super::theme::Theme;
use crate::app::App;
use crate::app::view::HeatZoom;
use crate::domain::Fleet;
use crate::domain::heat;

/// Cell glyphs by level, so shape alone tells the band (NO_COLOR).
pub const GLYPHS: [&str; 5] = [" ·", "░░", "▒▒", "▓▓", "██"];
const GROUP_W: usize = 4;

fn cell_width(dense: bool) -> usize {
    if dense { 1 } else { 2 }
}

/// Width of the node-name column: the longest name, within reason.
fn name_width(fleet: &Fleet) -> usize {
    fleet
        .nodes
        .iter()
        .map(|n| n.spec.name.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(6, 16)
}

fn block_width(fleet: &Fleet, dense: bool) -> usize {
    GROUP_W + name_width(fleet) + 1 + heat::gpu_columns(fleet) * cell_width(dense) + 2
}

/// Cells (zoomed out) or node blocks that fit a row of `width` columns.
pub fn per_row(app: &App, width: u16) -> usize {
    match app.ui.heat.zoom {
        HeatZoom::Gpu => blocks_per_row(
            width,
            &app.fleet,
            app.ui.heat.is_dense(app.fleet.nodes.len()),
        ),
        _ => (width as usize).saturating_sub(GROUP_W + 1).max(1),
    }
}

/// Node blocks that fit side by side in `width` columns.
pub fn blocks_per_row(width: u16, fleet: &Fleet, dense: bool) -> usize {
    (width as usize / block_width(fleet, dense)).max(1)
}

/// A cell's text: two characters, or the last one in dense mode.
fn cell_text(s: &str, dense: bool) -> String {
    if dense {
        s.chars().last().map(String::from).unwrap_or_default()
    } else {
        s.to_string()
    }
}

/// The legend line: the scale and the fleet's spread, shortened step by
/// step until it fits, so the fleet max is never the part that is cut.
fn legend(
    metric: heat::HeatMetric,
    fleet: &Fleet,
    dense: bool,
    width: usize,
    theme: &Theme,
) -> Line<'static> {
    let edges = metric.band_edges();
    let spread = heat::spread(fleet, metric);
    for compact in [false, true] {
        let mut spans = vec![Span::styled(
            if compact {
                format!(" {} ", metric.word())
            } else {
                format!(" {}  ", metric.title())
            },
            theme.title(),
        )];
        for (i, g) in GLYPHS.iter().enumerate() {
            let label = match i {
                0 => format!("<{}", edges[0]),
                4 => format!(">{}", edges[3]),
                _ if compact => format!("{}", edges[i - 1]),
                _ => format!("{}–{}", edges[i - 1], edges[i]),
            };
            let glyph = if compact {
                cell_text(g, true)
            } else {
                cell_text(g, dense)
            };
            spans.push(Span::styled(glyph, theme.heat(i)));
            spans.push(Span::raw(if compact {
                format!("{label} ")
            } else {
                format!(" {label}  ")
            }));
        }
        if let Some((lo, med, hi)) = spread {
            spans.push(Span::styled(
                if compact {
                    format!(" min {lo:.0} med {med:.0} max {hi:.0}")
                } else {
                    format!("fleet min {lo:.0} median {med:.0} max {hi:.0}")
                },
                theme.dim(),
            ));
        }
        let line = Line::from(spans);
        if line.width() <= width || compact {
            return line;
        }
    }
    Line::from("")
}

/// The band (0–4) of a level in 0..=1.
pub fn band(level: f64) -> usize {
    ((level * 5.0).floor() as usize).min(4)
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    if app.ui.heat.zoom != HeatZoom::Gpu {
        return render_zoomed(app, theme, frame, area);
    }
    let fleet = &app.fleet;
    let metric = app.ui.heat.metric;
    let order = app.heat_order();
    let cols = heat::gpu_columns(fleet);
    let dense = app.ui.heat.is_dense(fleet.nodes.len());
    let name_w = name_width(fleet);
    let per_row = blocks_per_row(area.width, fleet, dense);
    let mut lines: Vec<Line> = Vec::new();

    lines.push(legend(metric, fleet, dense, area.width as usize, theme));

    // GPU index header for each block.
    let mut head = String::new();
    for _ in 0..per_row {
        head.push_str(&" ".repeat(GROUP_W + name_w + 1));
        for c in 0..cols {
            if dense {
                head.push_str(&format!("{}", c % 10));
            } else {
                head.push_str(&format!("{:<2}", c % 100));
            }
        }
        head.push_str("  ");
    }
    lines.push(Line::from(Span::styled(head, theme.dim())));

    let body_rows = (area.height as usize).saturating_sub(3).max(1);
    let group = app.ui.heat.group.as_deref();
    let rows = heat::grid(fleet, &order, group, per_row);
    let cursor_row = rows
        .iter()
        .position(|r| r.contains(&app.ui.heat.node_pos))
        .unwrap_or(0);
    let first_row = (cursor_row / body_rows) * body_rows;
    for row in rows.iter().skip(first_row).take(body_rows) {
        let mut spans = Vec::new();
        for k in row.clone() {
            let id = order[k];
            let n = &fleet.nodes[id];
            // The group label starts its row only (rows break at groups).
            let g_label = if k == row.start {
                fit(heat::group_of(n, group), GROUP_W - 2)
            } else {
                String::new()
            };
            let mark = if app.ui.marks.contains(&id) {
                "●"
            } else {
                " "
            };
            spans.push(Span::styled(
                format!("{g_label:<w$}", w = GROUP_W - 1),
                theme.dim(),
            ));
            spans.push(Span::styled(mark, theme.title()));
            let on_cursor_node = k == app.ui.heat.node_pos;
            let name_style = if on_cursor_node {
                theme.selected()
            } else {
                theme.text()
            };
            spans.push(Span::styled(
                format!(
                    "{:<w$} ",
                    fit(&crate::text::sanitize(&n.spec.name), name_w),
                    w = name_w
                ),
                name_style,
            ));
            let down = n.status.is_down();
            for c in 0..cols as u32 {
                let gpu = n.gpus.iter().find(|g| g.index == c);
                let crit = theme.severity(crate::domain::Severity::Critical);
                let (text, style) = match (down, gpu) {
                    (true, _) if (c as usize) < n.gpus_expected.max(1) => ("✖✖".to_string(), crit),
                    // An Xid marks the cell whatever the metric, in the
                    // critical style: an Xid GPU must never look idle.
                    (false, Some(g)) if g.xid().is_some() => ("X!".to_string(), crit),
                    (false, Some(g)) => match metric.value_on(g, n) {
                        Some(v) => {
                            let b = band(metric.level(v));
                            (GLYPHS[b].to_string(), theme.heat(b))
                        }
                        None => (" ?".into(), theme.dim()),
                    },
                    (false, None) if (c as usize) < n.gpus_expected => ("--".into(), crit),
                    _ => ("  ".into(), theme.dim()),
                };
                let style = if on_cursor_node && c == app.ui.heat.gpu {
                    theme.cursor(style)
                } else {
                    style
                };
                spans.push(Span::styled(cell_text(&text, dense), style));
            }
            spans.push(Span::raw("  "));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            height: area.height.saturating_sub(1),
            ..area
        },
    );

    cursor_line(app, theme, frame, area);
}

/// A node's cell when zoomed out: its worst GPU for the metric, `X` for an
/// Xid anywhere on it, `✖` when it does not answer, `-` when a GPU is gone.
fn node_cell(
    n: &crate::domain::NodeState,
    metric: heat::HeatMetric,
    theme: &Theme,
) -> (String, ratatui::style::Style) {
    let crit = theme.severity(crate::domain::Severity::Critical);
    if n.status.is_down() {
        return ("✖".into(), crit);
    }
    if n.gpus.iter().any(|g| g.xid().is_some()) {
        return ("X".into(), crit);
    }
    if n.gpus_expected > n.gpus.len() {
        return ("-".into(), crit);
    }
    let worst = n
        .gpus
        .iter()
        .filter_map(|g| metric.value_on(g, n))
        .map(|v| metric.level(v))
        .fold(None, |acc: Option<f64>, l| {
            Some(acc.map_or(l, |a| a.max(l)))
        });
    match worst {
        Some(l) => {
            let b = band(l);
            (cell_text(GLYPHS[b], true), theme.heat(b))
        }
        None => ("?".into(), theme.dim()),
    }
}

/// Zoomed out: a cell per node. `Node` fills rows edge to edge; `Group`
/// starts a row per group with its label.
fn render_zoomed(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let fleet = &app.fleet;
    let metric = app.ui.heat.metric;
    let order = app.heat_order();
    let group = app.ui.heat.group.as_deref();
    let per_row = per_row(app, area.width);
    let breaks = if app.ui.heat.zoom == HeatZoom::Group {
        group
    } else {
        None
    };
    let rows = heat::grid(fleet, &order, breaks, per_row);
    let mut lines: Vec<Line> = vec![legend(metric, fleet, true, area.width as usize, theme)];
    lines.push(Line::from(Span::styled(
        format!(
            " a cell per node (its worst GPU), {} nodes in {} rows   - + zoom",
            order.len(),
            rows.len()
        ),
        theme.dim(),
    )));
    let body_rows = (area.height as usize).saturating_sub(3).max(1);
    let cursor_row = rows
        .iter()
        .position(|r| r.contains(&app.ui.heat.node_pos))
        .unwrap_or(0);
    let first_row = (cursor_row / body_rows) * body_rows;
    let mut prev_group: Option<&str> = None;
    for row in rows.iter().skip(first_row).take(body_rows) {
        let first = &fleet.nodes[order[row.start]];
        let g = heat::group_of(first, group);
        let label = if breaks.is_some() && prev_group != Some(g) {
            fit(g, GROUP_W - 1)
        } else {
            String::new()
        };
        prev_group = Some(g);
        let mut spans = vec![Span::styled(
            format!("{label:<w$} ", w = GROUP_W),
            theme.dim(),
        )];
        for k in row.clone() {
            let n = &fleet.nodes[order[k]];
            let (text, style) = node_cell(n, metric, theme);
            let style = if k == app.ui.heat.node_pos {
                theme.cursor(style)
            } else if app.ui.marks.contains(&order[k]) {
                style.add_modifier(ratatui::style::Modifier::UNDERLINED)
            } else {
                style
            };
            spans.push(Span::styled(text, style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            height: area.height.saturating_sub(1),
            ..area
        },
    );
    cursor_line(app, theme, frame, area);
}

/// The last line: the GPU (or node) under the cursor, in words.
fn cursor_line(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let fleet = &app.fleet;
    let order = app.heat_order();
    let info = match order.get(app.ui.heat.node_pos).map(|&id| &fleet.nodes[id]) {
        Some(n) => {
            let name = crate::text::sanitize(&n.spec.name);
            // Zoomed out, the cell stands for the node's worst GPU.
            let metric = app.ui.heat.metric;
            let gpu = match app.ui.heat.zoom {
                HeatZoom::Gpu => n.gpus.iter().find(|g| g.index == app.ui.heat.gpu),
                _ => n.gpus.iter().find(|g| g.xid().is_some()).or_else(|| {
                    n.gpus.iter().max_by(|a, b| {
                        let l = |g: &crate::domain::GpuSample| {
                            metric
                                .value_on(g, n)
                                .map(|v| metric.level(v))
                                .unwrap_or(-1.0)
                        };
                        l(a).total_cmp(&l(b))
                    })
                }),
            };
            match gpu {
                _ if n.status.is_down() => format!(
                    " cursor: {name}  down: {}",
                    crate::text::sanitize(n.status.reason().unwrap_or(""))
                ),
                Some(g) => {
                    let mut s = format!(" cursor: {name} GPU {}", g.index);
                    if let Some(t) = g.temp_c {
                        s.push_str(&format!("  {t:.0}°C"));
                    }
                    if let Some(u) = g.util_pct {
                        s.push_str(&format!("  util {u:.0}%"));
                    }
                    if let Some(m) = g.mem_pct() {
                        s.push_str(&format!("  mem {m:.0}%"));
                    }
                    if let Some(p) = g.power_w {
                        s.push_str(&format!("  {p:.0}W"));
                    }
                    let h = crate::domain::health::gpu_health(g);
                    s.push_str(&format!("  health {}", h.score));
                    if !h.reasons.is_empty() {
                        s.push_str(&format!(" ({})", h.explain()));
                    }
                    s.push_str("   Enter opens the node");
                    s
                }
                None => format!(" cursor: {name} GPU {}: no data", app.ui.heat.gpu),
            }
        }
        None => " no nodes".into(),
    };
    let r = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(fit(&info, area.width as usize)).style(theme.dim()),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::heat::HeatMetric;

    #[test]
    fn bands_cover_the_scale() {
        assert_eq!(band(0.0), 0);
        assert_eq!(band(0.5), 2);
        assert_eq!(band(0.99), 4);
        assert_eq!(band(1.0), 4);
        assert_eq!(band(HeatMetric::Temperature.level(91.0)), 4);
    }
}
