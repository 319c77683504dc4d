//! The topology pane (`t` on a node, `:topology NODE`): the GPU × GPU (and
//! NIC) link matrix, coloured and worded by bandwidth class, CPU and NUMA
//! affinity, each GPU's NVLinks against what it should have (with the error
//! counters of `nvidia-smi nvlink -e`), the exporter's live NVLink counters
//! with the links whose counters moved in the last refresh, and which GPU
//! pairs cross the CPU socket. `p` swaps the matrix for the pairs in words.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::App;
use crate::domain::gpu::LinkMove;
use crate::domain::topology::{
    DeviceKind, GpuLinks, LinkHealth, LinkKind, NodeTopology, TopoMatrix, civil_date,
};
use crate::domain::{NodeId, Severity};
use crate::text::wrap;

/// A cell's colour says its bandwidth class; its shape says it again for
/// terminals without colour (or readers who cannot tell the colours apart):
/// NVLink is bold, a path across the CPU sockets (SYS) is underlined.
fn cell_style(k: LinkKind, theme: &Theme) -> Style {
    let style = match k.class() {
        None => return theme.dim(),
        // Fast to slow: the heat scale from cool to alarming.
        Some(c) => theme.heat(c.min(4)),
    };
    match k {
        LinkKind::NvLink(_) => style.add_modifier(Modifier::BOLD),
        LinkKind::Sys => style.add_modifier(Modifier::UNDERLINED),
        _ => style,
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
        let text = if busy {
            "reading `nvidia-smi topo -m`, `nvlink --status` and `nvlink -e` over SSH…"
        } else {
            "no topology yet: r reads it over SSH (nvidia-smi topo -m, nvlink --status, nvlink -e)"
        };
        for l in wrap(text, w.saturating_sub(1), " ", "   ") {
            lines.push(Line::from(Span::styled(l, theme.dim())));
        }
        frame.render_widget(Paragraph::new(lines), area);
        return 1;
    };
    lines.push(Line::from(vec![
        Span::styled(format!(" {name}  topology"), theme.title()),
        Span::styled(
            format!(
                "  {} ({})",
                captured_words(t, app.wall_clock),
                crate::text::sanitize_max(&t.source, 24)
            ),
            theme.dim(),
        ),
    ]));
    if let Some(p) = &t.problem {
        for l in wrap(&crate::text::sanitize(p), w.saturating_sub(1), " ", "   ") {
            lines.push(Line::from(Span::styled(
                l,
                theme.severity(Severity::Warning),
            )));
        }
    }
    if let Some(m) = &t.matrix {
        if app.ui.topo_pairs {
            pairs_lines(m, theme, w, &mut lines);
        } else {
            matrix_lines(m, theme, w, &mut lines);
        }
    }
    link_lines(t, theme, w, &mut lines);
    exporter_lines(app, id, theme, w, &mut lines);
    if let Some(m) = &t.matrix
        && !app.ui.topo_pairs
    {
        lines.push(Line::from(""));
        let pairs = m.cross_socket_pairs();
        let text = if m.gpus().count() < 2 {
            "One GPU: no GPU pairs.".to_string()
        } else if pairs.is_empty() {
            "No GPU pair crosses the CPU socket. (p: the pairs in words)".to_string()
        } else {
            format!(
                "{} GPU pairs cross the CPU socket (SYS): {} (p: the pairs in words)",
                pairs.len(),
                pair_list(&pairs)
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

/// `captured 14:02 UTC, 3 h ago`: when the capture was taken (with its
/// date when that is not today's) and how long ago, against the screen's
/// wall clock (state, not a clock read). A note that is not a time is
/// shown as it is.
pub fn captured_words(t: &NodeTopology, now: Option<i64>) -> String {
    let Some(at) = t.captured_unix else {
        return format!("captured {}", crate::text::sanitize_max(&t.captured, 40));
    };
    let day = at.div_euclid(86_400);
    let secs = at.rem_euclid(86_400);
    let hm = format!("{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60);
    let when = match now {
        Some(n) if n.div_euclid(86_400) == day => hm,
        _ => {
            let (y, m, d) = civil_date(day);
            format!("{y:04}-{m:02}-{d:02} {hm}")
        }
    };
    match now.map(|n| n - at) {
        Some(age) if age >= 0 => format!("captured {when}, {}", ago(age)),
        _ => format!("captured {when}"),
    }
}

/// `just now`, `12 min ago`, `3 h ago`, `5 d ago`.
fn ago(secs: i64) -> String {
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 48 * 3600 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

fn pair_list(pairs: &[(u32, u32)]) -> String {
    pairs
        .iter()
        .map(|(a, b)| format!("{a}↔{b}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cell in 4 columns (narrow screens): `NV18` → `N18`, `NODE` → `NOD`.
fn short_code(k: LinkKind) -> String {
    match k {
        LinkKind::NvLink(n) if n >= 10 => format!("N{n}"),
        LinkKind::Node => "NOD".into(),
        other => other.code(),
    }
}

fn matrix_lines(m: &TopoMatrix, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    let n = m.devices.len();
    let name_w = 6;
    // Cells are 5 wide ("NV18 "), 4 with shortened codes when that is what
    // fits.
    let cell_w = if name_w + n * 5 <= width || name_w + n * 4 > width {
        5
    } else {
        4
    };
    let code = |k: LinkKind| {
        if cell_w == 5 { k.code() } else { short_code(k) }
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
                format!("{:<cell_w$}", code(*k)),
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
        if affinity
            && let Some(nic) = &d.nic_name
            && *nic != d.name
        {
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
    let any_link = !kinds.is_empty();
    for k in kinds {
        let c = match k {
            LinkKind::NvLink(_) if cell_w == 4 => "N# (NV#)".to_string(),
            LinkKind::NvLink(_) => "NV#".to_string(),
            LinkKind::Node if cell_w == 4 => "NOD (NODE)".to_string(),
            other => other.code(),
        };
        // The shape, for terminals without colour (see `cell_style`).
        let shape = match k {
            LinkKind::NvLink(_) => " (bold)",
            LinkKind::Sys => " (underlined)",
            _ => "",
        };
        legend.push_str(&format!(" {c}{shape} = {};", k.words()));
    }
    if any_link {
        for l in wrap(
            legend.trim_end_matches(';'),
            width.saturating_sub(1),
            " ",
            "   ",
        ) {
            lines.push(Line::from(Span::styled(l, theme.dim())));
        }
    }
    if !affinity {
        affinity_lines(m, theme, width, lines);
        let nics: Vec<String> = m
            .devices
            .iter()
            .filter_map(|d| {
                d.nic_name
                    .as_ref()
                    .filter(|n| **n != d.name)
                    .map(|n| format!("{} {n}", d.name))
            })
            .collect();
        if !nics.is_empty() {
            for l in wrap(
                &format!("NICs: {}", nics.join(", ")),
                width.saturating_sub(1),
                " ",
                "   ",
            ) {
                lines.push(Line::from(Span::styled(l, theme.dim())));
            }
        }
    }
}

/// CPU and NUMA affinity, GPUs that share it on one line:
/// `GPU 0 1 2 3: CPU 0-51, NUMA 0`.
fn affinity_lines(m: &TopoMatrix, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    let mut groups: Vec<((String, String), Vec<u32>)> = Vec::new();
    for (_, d) in m.gpus() {
        let key = (
            crate::text::sanitize_max(d.cpu_affinity.as_deref().unwrap_or("-"), 24),
            crate::text::sanitize_max(d.numa_affinity.as_deref().unwrap_or("-"), 8),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(d.index),
            None => groups.push((key, vec![d.index])),
        }
    }
    let text: Vec<String> = groups
        .iter()
        .map(|((cpu, numa), gs)| format!("{}: CPU {cpu}, NUMA {numa}", gpu_words(gs)))
        .collect();
    for l in wrap(
        &format!("affinity: {}", text.join("; ")),
        width.saturating_sub(1),
        " ",
        "   ",
    ) {
        lines.push(Line::from(Span::styled(l, theme.dim())));
    }
}

/// `GPU3`, or `GPU 0 1 2` for several.
fn gpu_words(gs: &[u32]) -> String {
    if gs.len() == 1 {
        format!("GPU{}", gs[0])
    } else {
        format!(
            "GPU {}",
            gs.iter()
                .map(|g| g.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

/// The pairs view: which GPU pairs connect how, fastest first, in words;
/// each GPU's nearest NICs; the affinity.
fn pairs_lines(m: &TopoMatrix, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " GPU pairs, fastest link first (p: the matrix)",
        theme.column_header(),
    )));
    let gpus = m.gpus().count();
    if gpus < 2 {
        lines.push(Line::from(" One GPU: no GPU pairs."));
    }
    let all = gpus * gpus.saturating_sub(1) / 2;
    for (k, pairs) in m.pairs_by_kind() {
        let what = match k {
            LinkKind::NvLink(n) => format!("NVLink, {n} bonded links"),
            other => other.words().to_string(),
        };
        let who = if pairs.len() == all && all > 1 {
            format!("all {all} pairs")
        } else {
            pair_list(&pairs)
        };
        let mut text = format!("{what}: {who}");
        if k == LinkKind::Sys {
            text.push_str(" (their traffic crosses the CPU socket interconnect)");
        }
        let style = cell_style(k, theme);
        let lead = format!(" {:<5} ", k.code());
        for l in wrap(&text, width.saturating_sub(1), &lead, "       ") {
            lines.push(Line::from(Span::styled(l, style)));
        }
    }
    let nics = m.nearest_nics();
    if !nics.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            " Nearest NIC per GPU",
            theme.column_header(),
        )));
        for (gpu, k, names) in nics {
            let lead = format!(" GPU{gpu:<3} {:<5} ", k.code());
            for l in wrap(
                &names.join(", "),
                width.saturating_sub(1),
                &lead,
                "            ",
            ) {
                lines.push(Line::from(Span::styled(l, cell_style(k, theme))));
            }
        }
    }
    lines.push(Line::from(""));
    affinity_lines(m, theme, width, lines);
}

/// The exporter's live NVLink figures, when it reports them: bandwidth
/// and the error counters (CRC, replay, recovery), which must stay at 0,
/// with the links whose counters moved in the last refresh and by how
/// much (dcgm-exporter's per-link fields).
fn exporter_lines(
    app: &App,
    id: NodeId,
    theme: &Theme,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let Some(n) = app.fleet.nodes.get(id) else {
        return;
    };
    let rows: Vec<&crate::domain::GpuSample> = n
        .gpus
        .iter()
        // A PCIe card's exporter may still print a zero NVLink bandwidth:
        // nothing to show for it.
        .filter(|g| {
            g.nvlink_bandwidth.is_some_and(|b| b > 0.0)
                || g.nvlink_errors.is_some()
                || !g.nvlink_links.is_empty()
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let per_link = rows.iter().map(|g| g.nvlink_links.len()).max().unwrap_or(0);
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        if per_link > 0 {
            format!(" NVLink from the exporter (live, per link: {per_link} links)")
        } else {
            " NVLink from the exporter (live)".to_string()
        },
        theme.column_header(),
    )));
    // The exporter's counter, scaled but unit-free: dcgm-exporter versions
    // disagree on its unit.
    let scaled = |b: f64| match b {
        b if b >= 1e9 => format!("{:.1}G", b / 1e9),
        b if b >= 1e6 => format!("{:.0}M", b / 1e6),
        b if b >= 1e3 => format!("{:.0}k", b / 1e3),
        b => format!("{b:.0}"),
    };
    for g in rows {
        let bw = g.nvlink_bandwidth.map(scaled).unwrap_or_else(|| "-".into());
        let mut spans = vec![Span::raw(format!(" GPU{:<3} bandwidth {bw:<10} ", g.index))];
        let moved = n
            .nvlink_error_moves
            .iter()
            .find(|(i, _)| *i == g.index)
            .map(|(_, d)| format!(", +{d:.0} in the last refresh"))
            .unwrap_or_default();
        // Which counters these are, where there is room to say.
        let kinds = if width >= 100 {
            " (CRC, replay, recovery)"
        } else {
            ""
        };
        match g.nvlink_errors {
            Some(e) if e > 0.0 => spans.push(Span::styled(
                format!("errors {e:.0}{kinds}{moved}"),
                theme.severity(Severity::Warning),
            )),
            Some(_) => spans.push(Span::styled("errors 0", theme.ok())),
            None => spans.push(Span::styled("errors -", theme.dim())),
        }
        lines.push(Line::from(spans));
        let moves: Vec<&LinkMove> = n
            .nvlink_link_moves
            .iter()
            .filter(|m| m.gpu == g.index)
            .collect();
        if !moves.is_empty() {
            let text = format!("moved in the last refresh: {}", move_words(&moves));
            for l in wrap(&text, width.saturating_sub(9).max(20), "", "") {
                lines.push(Line::from(vec![
                    Span::raw("        "),
                    Span::styled(l, theme.severity(Severity::Warning)),
                ]));
            }
        }
    }
}

/// `link 7 CRC flit +12, replay +1; link 9 recovery +1`.
fn move_words(moves: &[&LinkMove]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < moves.len() {
        let link = moves[i].link;
        let mut parts = Vec::new();
        while i < moves.len() && moves[i].link == link {
            parts.push(format!("{} +{:.0}", moves[i].counter.words(), moves[i].by));
            i += 1;
        }
        out.push(format!("link {link} {}", parts.join(", ")));
    }
    out.join("; ")
}

fn speeds(g: Option<&GpuLinks>) -> String {
    let mut v: Vec<f64> = g
        .map(|g| g.links.iter().filter_map(|l| l.gbps).collect())
        .unwrap_or_default();
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
}

fn link_lines(t: &NodeTopology, theme: &Theme, width: usize, lines: &mut Vec<Line<'static>>) {
    if t.nvlink.is_none() && t.nvlink_errors.is_none() {
        return;
    }
    let gpu_links = |gpu: u32| {
        t.nvlink
            .as_ref()
            .and_then(|s| s.gpus.iter().find(|g| g.gpu == gpu))
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " NVLink per GPU",
        theme.column_header(),
    )));
    // GPUs the driver says have no NVLink (PCIe cards, MIG mode), by its
    // words.
    let mut none: Vec<(String, Vec<u32>)> = Vec::new();
    for g in t.nvlink.iter().flat_map(|s| s.gpus.iter()) {
        if let Some(why) = &g.unsupported
            && g.links.is_empty()
        {
            let why = crate::text::sanitize_max(why, 80);
            match none.iter_mut().find(|(w, _)| *w == why) {
                Some((_, gs)) => gs.push(g.gpu),
                None => none.push((why, vec![g.gpu])),
            }
        }
    }
    for (why, gs) in &none {
        let lead = format!(" {:<22} ", gpu_words(gs));
        let text = format!("no NVLink: {why}");
        for l in wrap(
            &text,
            width.saturating_sub(1),
            &lead,
            "                        ",
        ) {
            lines.push(Line::from(Span::styled(l, theme.dim())));
        }
    }
    // Healthy GPUs with the same links share one line; each GPU with a
    // problem gets its own, with the reasons.
    let mut healthy: Vec<(String, Vec<u32>)> = Vec::new();
    let mut troubled = Vec::new();
    for r in t.reports() {
        if none.iter().any(|(_, gs)| gs.contains(&r.gpu)) {
            continue;
        }
        let g = gpu_links(r.gpu);
        if r.health == LinkHealth::Ok {
            let key = format!("{:>2}/{:<2} active  {}", r.active, r.expected, speeds(g));
            match healthy.iter_mut().find(|(k, _)| *k == key) {
                Some((_, gs)) => gs.push(r.gpu),
                None => healthy.push((key, vec![r.gpu])),
            }
        } else {
            troubled.push((g, r));
        }
    }
    for (key, gs) in healthy {
        lines.push(Line::from(vec![
            Span::raw(format!(" {:<22} {key}  ", gpu_words(&gs))),
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
            format!("GPU{}", r.gpu),
            r.active,
            r.expected,
            speeds(g)
        );
        let text = format!("{word}: {}", r.reasons.join(", "));
        let room = width.saturating_sub(prefix.chars().count());
        if room >= 40 {
            // Beside the counts, wrapped under themselves.
            let pad = " ".repeat(prefix.chars().count());
            for (i, l) in wrap(&text, room, "", "").into_iter().enumerate() {
                let lead = if i == 0 { prefix.clone() } else { pad.clone() };
                lines.push(Line::from(vec![Span::raw(lead), Span::styled(l, style)]));
            }
        } else {
            // Narrow: the reasons go under the counts, across the width.
            lines.push(Line::from(prefix.trim_end().to_string()));
            for l in wrap(&text, width.saturating_sub(1), "   ", "   ") {
                lines.push(Line::from(Span::styled(l, style)));
            }
        }
    }
    // `nvlink -e` with nothing to report still says it looked.
    if let Some(e) = &t.nvlink_errors {
        let counted: usize = e.gpus.iter().map(|g| g.links.len()).sum();
        if counted > 0 && e.troubled().is_empty() {
            lines.push(Line::from(Span::styled(
                format!(" nvlink -e: every error counter 0 on the {counted} links counted"),
                theme.ok(),
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shaped_by_class_as_well_as_coloured() {
        let theme = Theme::dark();
        let nv = cell_style(LinkKind::NvLink(18), &theme);
        let pix = cell_style(LinkKind::Pix, &theme);
        let sys = cell_style(LinkKind::Sys, &theme);
        assert!(nv.add_modifier.contains(Modifier::BOLD));
        assert!(sys.add_modifier.contains(Modifier::UNDERLINED));
        assert!(
            !pix.add_modifier
                .contains(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert!(!sys.add_modifier.contains(Modifier::BOLD));
        assert_ne!(nv.fg, sys.fg, "and coloured apart");
    }
}
