//! The fleet pane: one row per node, columns dropping out from the right by
//! priority when the terminal is narrow.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::format::{self, fit};
use super::theme::Theme;
use crate::app::{App, scroll_for};
use crate::domain::health::{self, Band};
use crate::domain::{NodeState, NodeStatus, Severity, alert::HOT_GPU_C};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Node,
    Address,
    Labels,
    Gpus,
    State,
    Util,
    Mem,
    Hot,
    Power,
    Health,
    Alerts,
    Xid,
    /// Shown only where every other column has its room (see [`layout`]).
    Exporters,
}

/// The exporters column's narrowest and widest.
const EXPORTERS_MIN: u16 = 16;
const EXPORTERS_MAX: u16 = 40;
/// Most the labels column grows past its own width when there is room.
const LABELS_EXTRA: u16 = 24;

impl Col {
    /// Display order.
    const ORDER: [Col; 12] = [
        Col::Node,
        Col::Address,
        Col::Labels,
        Col::Gpus,
        Col::State,
        Col::Util,
        Col::Mem,
        Col::Hot,
        Col::Power,
        Col::Health,
        Col::Alerts,
        Col::Xid,
    ];
    /// Most important first: kept when space runs out.
    const PRIORITY: [Col; 12] = [
        Col::Node,
        Col::State,
        Col::Health,
        Col::Util,
        Col::Hot,
        Col::Gpus,
        Col::Alerts,
        Col::Power,
        Col::Mem,
        Col::Xid,
        Col::Address,
        Col::Labels,
    ];

    fn title(self) -> &'static str {
        match self {
            Col::Node => "NODE",
            Col::Address => "ADDRESS",
            Col::Labels => "LABELS",
            Col::Gpus => "GPUS",
            Col::State => "STATE",
            Col::Util => "UTIL",
            Col::Mem => "MEM",
            Col::Hot => "HOT",
            Col::Power => "POWER",
            Col::Health => "HEALTH",
            Col::Alerts => "ALERTS",
            Col::Xid => "XID",
            Col::Exporters => "EXPORTERS",
        }
    }

    fn width(self, name_w: u16) -> u16 {
        match self {
            Col::Node => name_w,
            Col::Address => 15,
            Col::Labels => 22,
            Col::Gpus => 5,
            Col::State => 26,
            Col::Util => 5,
            Col::Mem => 5,
            Col::Hot => 9,
            Col::Power => 7,
            Col::Health => 6,
            Col::Alerts => 7,
            Col::Xid => 4,
            Col::Exporters => EXPORTERS_MIN,
        }
    }
}

/// The columns that fit `width`, in display order, with their widths.
/// `labels_need`: the longest labels text. With `versions` (some node's
/// exporter versions are known) an exporters column comes last, but only
/// when every other column is there and the labels keep all the room their
/// text needs: at 160 columns the labels take 46 cells for some 22 of text,
/// so the versions fit there; at 80 nothing changes.
fn layout(width: u16, name_w: u16, labels_need: u16, versions: bool) -> Vec<(Col, u16)> {
    let mut chosen = Vec::new();
    let mut used = 1u16; // selection marker
    for c in Col::PRIORITY {
        let mut w = c.width(name_w);
        if c == Col::State && width < 100 {
            w = 18;
        }
        if used + w < width {
            used += w + 1;
            chosen.push((c, w));
        }
    }
    // Labels take whatever room is left.
    let spare = width.saturating_sub(used);
    let mut out: Vec<(Col, u16)> = Col::ORDER
        .iter()
        .filter_map(|c| chosen.iter().find(|(x, _)| x == c).copied())
        .collect();
    let mut labels_extra = spare.min(LABELS_EXTRA);
    if versions && out.len() == Col::ORDER.len() {
        let labels_want = labels_need
            .saturating_sub(Col::Labels.width(name_w))
            .min(labels_extra);
        let rest = spare - labels_want;
        if rest > EXPORTERS_MIN {
            let w = (rest - 1).min(EXPORTERS_MAX);
            out.push((Col::Exporters, w));
            labels_extra = (spare - w - 1).min(LABELS_EXTRA);
        }
    }
    if let Some(l) = out.iter_mut().find(|(c, _)| *c == Col::Labels) {
        l.1 += labels_extra;
    }
    out
}

/// `visible`: the filtered, sorted rows.
pub fn render(
    app: &App,
    visible: &[crate::domain::NodeId],
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    if app.fleet.nodes.is_empty() {
        let msg = "No nodes configured. Add one with `aami-tui nodes add NAME --ip IP`, \
                   import a hosts.txt with `aami-tui nodes import FILE`, or try `aami-tui demo`.";
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme.dim())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    if visible.is_empty() {
        frame.render_widget(
            Paragraph::new(format!(" no node matches filter {:?}", app.ui.filter))
                .style(theme.dim()),
            area,
        );
        return;
    }
    let name_w = visible
        .iter()
        .map(|&i| app.fleet.nodes[i].spec.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 20) as u16;
    let labels_need = visible
        .iter()
        .map(|&i| labels_len(&app.fleet.nodes[i].spec.labels))
        .max()
        .unwrap_or(0)
        .min(u16::MAX as usize) as u16;
    let body_rows = area.height.saturating_sub(1) as usize;
    let sel_pos = app
        .ui
        .selected
        .and_then(|s| visible.iter().position(|v| *v == s));
    let start = sel_pos
        .map(|p| {
            scroll_for(
                p,
                app.ui.scroll.min(visible.len().saturating_sub(1)),
                body_rows,
            )
        })
        .unwrap_or(0);
    // The rows on screen, with their exporter versions.
    let on_screen: Vec<(usize, crate::domain::NodeId, String)> = visible
        .iter()
        .enumerate()
        .skip(start)
        .take(body_rows)
        .map(|(pos, &id)| (pos, id, versions_text(app, id)))
        .collect();
    let versions = on_screen.iter().any(|(_, _, v)| !v.is_empty());
    // Two columns go to the cursor and mark column.
    let cols = layout(area.width.saturating_sub(1), name_w, labels_need, versions);
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(cols.iter().map(|(c, _)| Cell::from(c.title()))),
    )
    .style(theme.column_header());
    let rows = on_screen.into_iter().map(|(pos, id, versions)| {
        let n = &app.fleet.nodes[id];
        let selected = Some(pos) == sel_pos;
        let marker = match (selected, app.ui.marks.contains(&id)) {
            (true, true) => "▶●",
            (true, false) => "▶ ",
            (false, true) => " ●",
            (false, false) => "  ",
        };
        let cells = std::iter::once(Cell::from(marker)).chain(cols.iter().map(|(c, w)| {
            if *c == Col::Exporters {
                exporters_cell(&versions, *w, theme)
            } else {
                cell(*c, *w, n, theme)
            }
        }));
        let row = Row::new(cells);
        if selected {
            row.style(theme.selected())
        } else {
            row
        }
    });
    let widths: Vec<Constraint> = std::iter::once(Constraint::Length(2))
        .chain(cols.iter().map(|(_, w)| Constraint::Length(*w)))
        .collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

/// The width of a node's labels as the labels column writes them
/// (`k=v,k=v`), counted without building the text.
fn labels_len(labels: &std::collections::BTreeMap<String, String>) -> usize {
    labels
        .iter()
        .map(|(k, v)| k.chars().count() + v.chars().count() + 1)
        .sum::<usize>()
        + labels.len().saturating_sub(1)
}

/// A node's exporter versions, short: `node 1.5.0 dcgm 3.3.5`; empty
/// when none is known.
fn versions_text(app: &App, id: crate::domain::NodeId) -> String {
    app.exporter_versions(id)
        .iter()
        .map(|v| {
            let short = match v.component.as_str() {
                "node_exporter" => "node",
                "dcgm-exporter" => "dcgm",
                other => other,
            };
            format!(
                "{} {}",
                crate::text::sanitize_max(short, 16),
                crate::text::sanitize_max(&v.version, 24)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn exporters_cell(versions: &str, w: u16, theme: &Theme) -> Cell<'static> {
    if versions.is_empty() {
        Cell::from("-").style(theme.dim())
    } else {
        Cell::from(fit(versions, w as usize)).style(theme.dim())
    }
}

fn cell<'a>(c: Col, w: u16, n: &'a NodeState, theme: &Theme) -> Cell<'a> {
    let down = n.status.is_down();
    // Stale values of a down node are not shown as if current.
    let stale = |s: String| if down { "-".to_string() } else { s };
    let w = w as usize;
    match c {
        Col::Node => Cell::from(fit(&crate::text::sanitize(&n.spec.name), w)),
        Col::Address => Cell::from(fit(&n.spec.address, w)).style(theme.dim()),
        Col::Labels => {
            let l = n
                .spec
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            Cell::from(fit(&crate::text::sanitize(&l), w)).style(theme.dim())
        }
        Col::Gpus => {
            let s = if down || matches!(n.status, NodeStatus::Pending) {
                "-".to_string()
            } else if n.gpus.len() < n.gpus_expected {
                format!("{}/{}!", n.gpus.len(), n.gpus_expected)
            } else {
                format!("{}", n.gpus.len())
            };
            Cell::from(s)
        }
        Col::State => {
            let (word, style) = match &n.status {
                NodeStatus::Up => ("up".to_string(), theme.ok()),
                NodeStatus::Pending => ("…".to_string(), theme.dim()),
                NodeStatus::Degraded(r) => {
                    (format!("degraded {r}"), theme.severity(Severity::Warning))
                }
                NodeStatus::Down(r) => (format!("down {r}"), theme.severity(Severity::Critical)),
            };
            Cell::from(fit(&crate::text::sanitize(&word), w)).style(style)
        }
        Col::Util => {
            let u = n.avg_util().filter(|_| !down);
            Cell::from(format::pct(u)).style(u.map(|u| theme.util(u)).unwrap_or(theme.dim()))
        }
        Col::Mem => {
            let m = n.avg_mem_pct().filter(|_| !down);
            Cell::from(format::pct(m)).style(m.map(|m| theme.mem(m)).unwrap_or(theme.dim()))
        }
        Col::Hot => match n.hottest().filter(|_| !down) {
            Some((gpu, t)) => {
                let limit = n
                    .gpus
                    .iter()
                    .find(|g| g.index == gpu)
                    .and_then(|g| g.slowdown_temp_c)
                    .unwrap_or(HOT_GPU_C);
                let mark = if t >= limit { "!" } else { "" };
                Cell::from(Line::from(vec![
                    Span::styled(format!("{t:.0}°C{mark}"), theme.temp(t, limit)),
                    Span::styled(format!(" g{gpu}"), theme.dim()),
                ]))
            }
            None => Cell::from("-").style(theme.dim()),
        },
        Col::Power => Cell::from(stale(
            n.power_w().map(format::watts).unwrap_or_else(|| "-".into()),
        )),
        Col::Health => {
            if matches!(n.status, NodeStatus::Pending) {
                return Cell::from("-").style(theme.dim());
            }
            let h = health::node_health(n);
            let mark = match h.band {
                Band::Healthy => "",
                Band::Degraded => " ▼",
                Band::Critical => " ✖",
            };
            Cell::from(format!("{}{mark}", h.score)).style(theme.health(h.band))
        }
        Col::Alerts => {
            let crit = n
                .alerts
                .iter()
                .filter(|a| a.severity == Severity::Critical)
                .count();
            let warn = n
                .alerts
                .iter()
                .filter(|a| a.severity == Severity::Warning)
                .count();
            if crit > 0 {
                Cell::from(format!("{crit} crit")).style(theme.severity(Severity::Critical))
            } else if warn > 0 {
                Cell::from(format!("{warn} warn")).style(theme.severity(Severity::Warning))
            } else {
                Cell::from("-").style(theme.dim())
            }
        }
        Col::Xid => match n.last_xid().filter(|_| !down) {
            Some((_, x)) => Cell::from(format!("{x}")).style(theme.severity(Severity::Critical)),
            None => Cell::from("-").style(Style::default().patch(theme.dim())),
        },
        // Written by the caller, which knows the versions.
        Col::Exporters => Cell::from(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_keep_the_important_columns() {
        let cols: Vec<Col> = layout(80, 12, 21, true)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert!(
            cols.contains(&Col::Node) && cols.contains(&Col::State) && cols.contains(&Col::Util)
        );
        assert!(!cols.contains(&Col::Labels));
        assert!(!cols.contains(&Col::Exporters), "no room at 80");
        let total: u16 = layout(80, 12, 21, true)
            .iter()
            .map(|(_, w)| w + 1)
            .sum::<u16>()
            + 1;
        assert!(total <= 80);
        let wide: Vec<Col> = layout(200, 12, 21, false)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(wide.len(), Col::ORDER.len());
    }

    #[test]
    fn exporters_column_only_where_nothing_is_squeezed() {
        let width_of =
            |cols: &[(Col, u16)], col: Col| cols.iter().find(|(c, _)| *c == col).map(|(_, w)| *w);
        // 160 columns (159 past the marker), names of 11, labels of 21.
        let plain = layout(159, 11, 21, false);
        let with = layout(159, 11, 21, true);
        assert!(width_of(&with, Col::Exporters).is_some_and(|w| w >= EXPORTERS_MIN));
        for (c, w) in &plain {
            let now = width_of(&with, *c).expect("every column kept");
            assert!(
                now == *w || (*c == Col::Labels && now >= 22),
                "{c:?}: {w} → {now}"
            );
        }
        let total: u16 = with.iter().map(|(_, w)| w + 1).sum::<u16>() + 1;
        assert!(total <= 159, "{total}");
        // Labels that need their whole extra room keep it.
        let long_labels = layout(159, 11, 46, true);
        assert_eq!(width_of(&long_labels, Col::Exporters), None);
        assert_eq!(width_of(&long_labels, Col::Labels), Some(46));
    }
}
