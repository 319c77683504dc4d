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
}

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
        }
    }
}

/// The columns that fit `width`, in display order, with their widths.
fn layout(width: u16, name_w: u16) -> Vec<(Col, u16)> {
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
    if let Some(l) = out.iter_mut().find(|(c, _)| *c == Col::Labels) {
        l.1 += spare.min(24);
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
    // Two columns go to the cursor and mark column.
    let cols = layout(area.width.saturating_sub(1), name_w);
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
    let header = Row::new(
        std::iter::once(Cell::from(" ")).chain(cols.iter().map(|(c, _)| Cell::from(c.title()))),
    )
    .style(theme.column_header());
    let rows = visible
        .iter()
        .enumerate()
        .skip(start)
        .take(body_rows)
        .map(|(pos, &id)| {
            let n = &app.fleet.nodes[id];
            let selected = Some(pos) == sel_pos;
            let marker = match (selected, app.ui.marks.contains(&id)) {
                (true, true) => "▶●",
                (true, false) => "▶ ",
                (false, true) => " ●",
                (false, false) => "  ",
            };
            let cells = std::iter::once(Cell::from(marker))
                .chain(cols.iter().map(|(c, w)| cell(*c, *w, n, theme)));
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_keep_the_important_columns() {
        let cols: Vec<Col> = layout(80, 12).into_iter().map(|(c, _)| c).collect();
        assert!(
            cols.contains(&Col::Node) && cols.contains(&Col::State) && cols.contains(&Col::Util)
        );
        assert!(!cols.contains(&Col::Labels));
        let total: u16 = layout(80, 12).iter().map(|(_, w)| w + 1).sum::<u16>() + 1;
        assert!(total <= 80);
        let wide: Vec<Col> = layout(200, 12).into_iter().map(|(c, _)| c).collect();
        assert_eq!(wide.len(), Col::ORDER.len());
    }
}
