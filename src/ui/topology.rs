//! The topology pane (`t` on a node, `:topology NODE`): the GPU × GPU (and
//! NIC) link matrix, coloured and worded by bandwidth class, CPU and NUMA
//! affinity, each GPU's NVLinks against what it should have, and which GPU
//! pairs cross the CPU socket.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::App;
use crate::domain::topology::{DeviceKind, LinkHealth, LinkKind, NodeTopology, TopoMatrix};
use crate::domain::{NodeId, Severity};
use crate::text::wrap;

fn cell_style(k: LinkKind, theme: &Theme) -> Style {
    match k.class() {
        None => theme.dim(),
        // Fast to slow: the heat scale from cool to alarming.
        Some(c) => theme.heat(c.min(4)),
    }
}

/// Draws the pane; returns the rows it has for lists.
pub fn render(app: &App, id: NodeId, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let name = app.node_name(id);
    let w = area.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let Some(t) = app.topologies.get(&id) else {
        lines.push(Line::from(Span::styled(
            format!(" {name}  topology"),
            theme.title(),
        )));
        let busy = app.jobs.newest_first().any(|j| {
            j.kind == crate::app::jobs::JobKind::TopologyCollect
                && j.targets == [id]
                && j.state.is_active()
        });
        lines.push(Line::from(Span::styled(
            if busy {
                " reading `nvidia-smi topo -m` and `nvlink --status` over SSH…".to_string()
            } else {
                " no topology yet: r reads it over SSH (nvidia-smi topo -m, nvlink --status)"
                    .to_string()
            },
            theme.dim(),
        )));
        frame.render_widget(Paragraph::new(lines), area);
        return 1;
    };
    let mut head = vec![Span::styled(format!(" {name}  topology"), theme.title())];
    head.push(Span::styled(
        format!("  captured {} ({})", t.captured, t.source),
        theme.dim(),
    ));
    lines.push(Line::from(head));
    if let Some(p) = &t.problem {
        lines.push(Line::from(Span::styled(
            format!(" {}", crate::text::sanitize(p)),
            theme.severity(Severity::Warning),
        )));
    }
    if let Some(m) = &t.matrix {
        matrix_lines(m, theme, w, &mut lines);
    }
    link_lines(t, theme, w, &mut lines);
    exporter_lines(app, id, theme, &mut lines);
    if let Some(m) = &t.matrix {
        lines.push(Line::from(""));
        let pairs = m.cross_socket_pairs();
        let text = if m.gpus().count() < 2 {
            "One GPU: no GPU pairs.".to_string()
        } else if pairs.is_empty() {
            "No GPU pair crosses the CPU socket.".to_string()
        } else {
            let list: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}↔{b}")).collect();
            format!(
                "{} GPU pairs cross the CPU socket (SYS): {}",
                pairs.len(),
                list.join(" ")
            )
        };
        for l in wrap(&text, w.saturating_sub(1), " ", "   ") {
            lines.push(Line::from(l));
        }
    }
    // Scrolls when it does not fit; the last row says there is more.
    let rows = area.height as usize;
    let first = app.ui.topo_scroll.min(lines.len().saturating_sub(rows));
    let more = lines.len() > first + rows;
    let mut shown: Vec<Line> = lines.into_iter().skip(first).take(rows).collect();
    if more && let Some(last) = shown.last_mut() {
        *last = Line::from(Span::styled(" ↓ more: ↑↓ scroll", theme.dim()));
    }
    frame.render_widget(Paragraph::new(shown), area);
    rows.saturating_sub(1).max(1)
}

fn matrix_lines(m: &TopoMatrix, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    let n = m.devices.len();
    let name_w = 6;
    // Cells are 5 wide ("NV18 "), 4 when that is what fits.
    let cell_w = if name_w + n * 5 + 16 <= width || name_w + n * 4 > width {
        5
    } else {
        4
    };
    let affinity = name_w + n * cell_w + 22 <= width;
    let mut head = format!(" {:<w$}", "", w = name_w - 1);
    for d in &m.devices {
        head.push_str(&format!("{:<cell_w$}", d.name));
    }
    if affinity {
        head.push_str(&format!("{:<12}{:<6}", "CPU", "NUMA"));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(head, theme.column_header())));
    for (i, d) in m.devices.iter().enumerate() {
        let mut spans = vec![Span::styled(
            format!(" {:<w$}", d.name, w = name_w - 1),
            theme.title(),
        )];
        for k in &m.links[i] {
            spans.push(Span::styled(
                format!("{:<cell_w$}", k.code()),
                cell_style(*k, theme),
            ));
        }
        if affinity && d.kind == DeviceKind::Gpu {
            spans.push(Span::raw(format!(
                "{:<12}{:<6}",
                crate::text::sanitize_max(d.cpu_affinity.as_deref().unwrap_or("-"), 11),
                crate::text::sanitize_max(d.numa_affinity.as_deref().unwrap_or("-"), 5),
            )));
        }
        if let Some(nic) = &d.nic_name {
            spans.push(Span::styled(format!(" {nic}"), theme.dim()));
        }
        lines.push(Line::from(spans));
    }
    // The legend, in words, for the kinds this matrix has.
    let mut kinds: Vec<LinkKind> = m
        .links
        .iter()
        .flatten()
        .copied()
        .filter(|k| *k != LinkKind::SelfLink)
        .collect();
    kinds.sort();
    kinds.dedup_by_key(|k| k.class());
    let mut legend = String::from("legend:");
    for k in kinds {
        let code = match k {
            LinkKind::NvLink(_) => "NV#".to_string(),
            other => other.code(),
        };
        legend.push_str(&format!(" {code} = {};", k.words()));
    }
    for l in wrap(
        legend.trim_end_matches(';'),
        width.saturating_sub(1),
        " ",
        "   ",
    ) {
        lines.push(Line::from(Span::styled(l, theme.dim())));
    }
    if !affinity {
        for (_, d) in m.gpus() {
            lines.push(Line::from(Span::styled(
                format!(
                    " {} CPU {} NUMA {}",
                    d.name,
                    crate::text::sanitize_max(d.cpu_affinity.as_deref().unwrap_or("-"), 20),
                    crate::text::sanitize_max(d.numa_affinity.as_deref().unwrap_or("-"), 8)
                ),
                theme.dim(),
            )));
        }
    }
}

/// The exporter's live NVLink figures, when it reports them: bandwidth
/// and the error counters (CRC, replay, recovery), which must stay at 0.
fn exporter_lines(app: &App, id: NodeId, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let Some(n) = app.fleet.nodes.get(id) else {
        return;
    };
    let rows: Vec<&crate::domain::GpuSample> = n
        .gpus
        .iter()
        .filter(|g| g.nvlink_bandwidth.is_some() || g.nvlink_errors.is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " NVLink from the exporter (live)",
        theme.column_header(),
    )));
    for g in rows {
        // The exporter's counter, scaled but unit-free: dcgm-exporter
        // versions disagree on its unit.
        let bw = g
            .nvlink_bandwidth
            .map(|b| match b {
                b if b >= 1e9 => format!("{:.1}G", b / 1e9),
                b if b >= 1e6 => format!("{:.0}M", b / 1e6),
                b if b >= 1e3 => format!("{:.0}k", b / 1e3),
                b => format!("{b:.0}"),
            })
            .unwrap_or_else(|| "-".into());
        let mut spans = vec![Span::raw(format!(" GPU{:<3} bandwidth {bw:<10} ", g.index))];
        let moved = n
            .nvlink_error_moves
            .iter()
            .find(|(i, _)| *i == g.index)
            .map(|(_, d)| format!(", +{d:.0} in the last refresh"))
            .unwrap_or_default();
        match g.nvlink_errors {
            Some(e) if e > 0.0 => spans.push(Span::styled(
                format!("errors {e:.0} (CRC, replay, recovery){moved}"),
                theme.severity(Severity::Warning),
            )),
            Some(_) => spans.push(Span::styled("errors 0", theme.ok())),
            None => spans.push(Span::styled("errors -", theme.dim())),
        }
        lines.push(Line::from(spans));
    }
}

fn link_lines(t: &NodeTopology, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    let Some(s) = &t.nvlink else {
        return;
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " NVLink per GPU",
        theme.column_header(),
    )));
    let speeds = |g: &crate::domain::topology::GpuLinks| {
        let mut v: Vec<f64> = g.links.iter().filter_map(|l| l.gbps).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        match v.as_slice() {
            [] => "-".to_string(),
            [one] => format!("{one} GB/s each"),
            more => format!(
                "{}–{} GB/s",
                more.iter().fold(f64::MAX, |a, b| a.min(*b)),
                more.iter().fold(0.0_f64, |a, b| a.max(*b))
            ),
        }
    };
    // Healthy GPUs with the same links share one line; each GPU with a
    // problem gets its own, with the reasons.
    let mut healthy: Vec<(String, Vec<u32>)> = Vec::new();
    let mut troubled = Vec::new();
    for (g, r) in s.gpus.iter().zip(s.reports()) {
        if r.health == LinkHealth::Ok {
            let key = format!("{:>2}/{:<2} active  {}", r.active, r.expected, speeds(g));
            match healthy.iter_mut().find(|(k, _)| *k == key) {
                Some((_, gs)) => gs.push(g.gpu),
                None => healthy.push((key, vec![g.gpu])),
            }
        } else {
            troubled.push((g, r));
        }
    }
    for (key, gs) in healthy {
        let who = if gs.len() == 1 {
            format!("GPU{}", gs[0])
        } else {
            format!(
                "GPU {}",
                gs.iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {who:<22} {key}  ")),
            Span::styled("ok", theme.ok()),
        ]));
    }
    for (g, r) in troubled {
        let (word, style) = match r.health {
            LinkHealth::Critical => ("critical", theme.severity(Severity::Critical)),
            _ => ("degraded", theme.severity(Severity::Warning)),
        };
        let prefix = format!(
            " {:<22} {:>2}/{:<2} active  {}  ",
            format!("GPU{}", g.gpu),
            r.active,
            r.expected,
            speeds(g)
        );
        let text = format!("{word}: {}", r.reasons.join(", "));
        let pad = " ".repeat(prefix.chars().count());
        let room = width.saturating_sub(prefix.chars().count()).max(20);
        for (i, l) in wrap(&text, room, "", "").into_iter().enumerate() {
            let lead = if i == 0 { prefix.clone() } else { pad.clone() };
            lines.push(Line::from(vec![Span::raw(lead), Span::styled(l, style)]));
        }
    }
}
