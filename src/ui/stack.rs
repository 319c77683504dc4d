//! The stack pane: where the monitoring stack runs and how it is laid out,
//! which source feeds the fleet (and `Q` to switch), then per server the
//! figures `aami-tui stack status` prints (state, version, targets up
//! against expected, rule errors, head series, TSDB size, ingestion, URL),
//! then what is wrong, worst first. A stack that is not installed or down
//! says so and what to run.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{self, fit};
use super::theme::Theme;
use crate::app::App;
use crate::app::stack::{LiveSource, StackSetup};
use crate::domain::Severity;
use crate::stack::status::{Problem, ServerStatus, StackStatus};

const INSTALL_HINT: &str = "aami-tui stack install --bundle FILE";

/// `text` wrapped to `width`, a line each, in `style`; later lines hang
/// under the first's text.
fn prose<'a>(text: &str, width: usize, lead: &str, style: Style) -> Vec<Line<'a>> {
    let hang = " ".repeat(lead.chars().count() + 2);
    crate::text::wrap(text, width, lead, &hang)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let Some(setup) = &app.stack.setup else {
        lines.extend(prose(
            "No config file behind this fleet (the demo): the monitoring stack is set up from one.",
            width,
            " ",
            theme.text(),
        ));
        lines.extend(prose(
            "With a config: `aami-tui stack render --output DIR` shows what it would run, `aami-tui stack install --bundle FILE` runs it.",
            width,
            " ",
            theme.dim(),
        ));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    title_lines(app, setup, theme, width, &mut lines);
    source_lines(app, setup, theme, width, &mut lines);
    if let Some(p) = &setup.problem {
        lines.extend(prose(
            &format!("The config lays out no stack: {p}"),
            width,
            " ",
            theme.severity(Severity::Critical),
        ));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let Some(reading) = &app.stack.reading else {
        lines.push(Line::default());
        lines.push(Line::styled(" reading the stack's servers…", theme.dim()));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    let st = &reading.status;
    let all_down = st.servers.iter().all(|s| !s.up);
    lines.push(Line::default());
    if all_down && reading.installed == Some(false) {
        not_installed(setup, theme, width, &mut lines);
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    if all_down {
        lines.extend(prose(
            &format!(
                "The stack is down: none of its servers answers on {}.",
                setup.place
            ),
            width,
            " ",
            theme.severity(Severity::Critical),
        ));
        lines.extend(prose(
            &format!(
                "Start it again with `{INSTALL_HINT}` (it restarts the servers that are not ready; nothing else changes), or with systemd `systemctl start aami-prometheus aami-alertmanager`. Until then query mode has nothing to read."
            ),
            width,
            " ",
            theme.text(),
        ));
        lines.push(Line::default());
    } else {
        lines.extend(summary_lines(st, theme, width));
        lines.push(Line::default());
    }
    table(st, theme, width, &mut lines);
    lines.push(Line::default());
    let problems = problems(st);
    if problems.is_empty() {
        lines.push(Line::styled(
            " nothing wrong: every server up, every expected target up, no rule failing",
            theme.ok(),
        ));
    } else {
        lines.push(Line::styled(
            format!(" What is wrong ({}):", problems.len()),
            theme.column_header(),
        ));
        let wrapped: Vec<Line> = problems
            .iter()
            .flat_map(|(severity, text)| prose(text, width, "  ", theme.severity(*severity)))
            .collect();
        let room = (area.height as usize).saturating_sub(lines.len()).max(1);
        let scroll = app.stack.scroll.min(wrapped.len().saturating_sub(room));
        lines.extend(wrapped.into_iter().skip(scroll).take(room));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn title_lines(app: &App, setup: &StackSetup, theme: &Theme, width: usize, lines: &mut Vec<Line>) {
    let read = app
        .stack
        .reading
        .as_ref()
        .map(|r| {
            format!(
                " · read {} ago, every 15 s",
                format::age(app.now.saturating_duration_since(r.at).as_secs_f64())
            )
        })
        .unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled(" Monitoring stack ", theme.title()),
        Span::styled(
            fit(
                &format!("{} on {}", setup.layout, setup.place),
                width.saturating_sub(18),
            ),
            theme.text(),
        ),
    ]));
    lines.push(Line::styled(
        fit(&format!(" configuration in {}{read}", setup.dir), width),
        theme.dim(),
    ));
}

fn source_lines(app: &App, setup: &StackSetup, theme: &Theme, width: usize, lines: &mut Vec<Line>) {
    let url = setup.query_url.as_deref().unwrap_or("-");
    let (now, style, then) = match &app.live_source {
        LiveSource::Query { url: live } if app.reading_through_stack() => (
            format!("query mode through {live}, with history"),
            theme.ok(),
            "Q: back to scraping each exporter directly".to_string(),
        ),
        LiveSource::Query { url: live } => (
            format!("query mode through {live} (prometheus.url)"),
            theme.text(),
            format!("Q: read it through this stack ({url})"),
        ),
        LiveSource::Direct => (
            "scraping each exporter directly".to_string(),
            theme.text(),
            format!("Q: read it through this stack ({url}), with history"),
        ),
    };
    lines.push(Line::styled(
        fit(&format!(" Fleet source: {now}"), width),
        style,
    ));
    lines.push(Line::styled(fit(&format!(" {then}"), width), theme.dim()));
}

fn summary_lines<'a>(st: &StackStatus, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let up = st.servers.iter().filter(|s| s.up).count();
    let failing: usize = st
        .servers
        .iter()
        .filter_map(|s| s.rules.as_ref())
        .map(|r| r.errors.len())
        .sum();
    let text = format!(
        "targets up {} of {} expected from the config · {up} of {} servers up · {}",
        st.targets_up,
        st.targets_expected,
        st.servers.len(),
        if failing == 0 {
            "no rule failing".to_string()
        } else {
            format!("{failing} rule(s) failing")
        }
    );
    let style = if st.healthy() {
        theme.ok()
    } else {
        theme.severity(Severity::Warning)
    };
    prose(&text, width, " ", style)
}

fn not_installed(setup: &StackSetup, theme: &Theme, width: usize, lines: &mut Vec<Line>) {
    let text = [
        (
            format!(
                " No stack is installed on {}: {}/prometheus.yml does not exist and no server answers.",
                setup.place, setup.dir
            ),
            theme.severity(Severity::Warning),
        ),
        (
            " Install Prometheus and Alertmanager, configured from this config, in two commands:".to_string(),
            theme.text(),
        ),
        (
            "   aami-tui bundle create --output stack.tar \\".to_string(),
            theme.title(),
        ),
        (
            "     --component prometheus=/usr/bin/prometheus \\".to_string(),
            theme.title(),
        ),
        (
            "     --component alertmanager=/usr/bin/prometheus-alertmanager".to_string(),
            theme.title(),
        ),
        ("   aami-tui stack install --bundle stack.tar".to_string(), theme.title()),
        (
            " Then this pane shows each server's figures, and Q reads the fleet through it, with history.".to_string(),
            theme.text(),
        ),
    ];
    for (t, s) in text {
        if t.starts_with("   ") {
            // Commands stay whole lines, to copy.
            lines.push(Line::styled(t, s));
        } else {
            lines.extend(prose(t.trim_start(), width, " ", s));
        }
    }
}

/// The table of servers; narrow terminals drop head series and shorten
/// URLs to `host:port`.
fn table(st: &StackStatus, theme: &Theme, width: usize, lines: &mut Vec<Line>) {
    let wide = width >= 120;
    let cols: &[(&str, usize)] = if wide {
        &[
            ("SERVER", 13),
            ("STATE", 6),
            ("VERSION", 11),
            ("TARGETS", 8),
            ("RULE ERRORS", 12),
            ("SERIES", 8),
            ("TSDB", 10),
            ("INGESTION", 19),
        ]
    } else {
        &[
            ("SERVER", 12),
            ("STATE", 5),
            ("VERSION", 10),
            ("TARGETS", 7),
            ("RULES", 6),
            ("TSDB", 9),
            ("INGEST", 7),
        ]
    };
    let fixed: usize = 1 + cols.iter().map(|(_, w)| w + 1).sum::<usize>();
    let url_w = width.saturating_sub(fixed);
    let mut head = String::from(" ");
    for (h, w) in cols {
        head.push_str(&format!("{:<w$} ", h, w = w));
    }
    head.push_str("URL");
    lines.push(Line::styled(fit(&head, width), theme.column_header()));
    for s in &st.servers {
        let cells = cells(s, wide);
        let mut spans = vec![Span::raw(" ")];
        for ((_, w), (text, kind)) in cols.iter().zip(cells) {
            let style = match kind {
                Cell::Plain => theme.text(),
                Cell::Good => theme.ok(),
                Cell::Bad => theme.severity(Severity::Critical),
                Cell::Warn => theme.severity(Severity::Warning),
                Cell::Dim => theme.dim(),
            };
            spans.push(Span::styled(
                format!("{:<w$} ", fit(&text, *w), w = w),
                style,
            ));
        }
        let url = if wide {
            s.url.clone()
        } else {
            s.url.trim_start_matches("http://").to_string()
        };
        spans.push(Span::styled(fit(&url, url_w), theme.dim()));
        lines.push(Line::from(spans));
    }
}

enum Cell {
    Plain,
    Good,
    Bad,
    Warn,
    Dim,
}

fn cells(s: &ServerStatus, wide: bool) -> Vec<(String, Cell)> {
    let dash = || ("-".to_string(), Cell::Dim);
    let mut v = vec![
        (s.name.clone(), Cell::Plain),
        if s.up {
            ("up".into(), Cell::Good)
        } else {
            ("down".into(), Cell::Bad)
        },
        s.version
            .clone()
            .map(|v| (v, Cell::Plain))
            .unwrap_or_else(dash),
        s.targets
            .as_ref()
            .map(|t| {
                (
                    format!("{}/{}", t.up, t.known),
                    if t.up == t.known {
                        Cell::Good
                    } else {
                        Cell::Warn
                    },
                )
            })
            .unwrap_or_else(dash),
        s.rules
            .as_ref()
            .map(|r| {
                (
                    format!("{}/{}", r.errors.len(), r.count),
                    if r.errors.is_empty() {
                        Cell::Good
                    } else {
                        Cell::Bad
                    },
                )
            })
            .unwrap_or_else(dash),
    ];
    let tsdb = s.tsdb.as_ref();
    if wide {
        v.push(
            tsdb.and_then(|t| t.head_series)
                .map(|n| (n.to_string(), Cell::Plain))
                .unwrap_or_else(dash),
        );
    }
    v.push(
        tsdb.and_then(|t| t.bytes)
            .map(|b| (format!("{:.1} MiB", b / (1024.0 * 1024.0)), Cell::Plain))
            .unwrap_or_else(dash),
    );
    v.push(
        tsdb.and_then(|t| t.samples_per_second.map(|r| (r, t.rate_over)))
            .map(|(r, over)| {
                let text = if wide {
                    format!("{r:.0}/s ({})", over.unwrap_or("?"))
                } else {
                    format!("{r:.0}/s")
                };
                (text, Cell::Plain)
            })
            .unwrap_or_else(dash),
    );
    v
}

/// What is wrong, as `stack status` lists it, coloured by how bad.
fn problems(st: &StackStatus) -> Vec<(Severity, String)> {
    st.problems()
        .into_iter()
        .map(|(kind, text)| {
            let severity = match kind {
                Problem::Down | Problem::RuleFailing => Severity::Critical,
                Problem::TargetDown | Problem::TargetsMissing | Problem::ActiveAlerts => {
                    Severity::Warning
                }
            };
            (severity, text)
        })
        .collect()
}
