//! Render cost per frame (fleet, node, heatmap panes at 1,024 nodes × 8 GPUs,
//! 160×48) and bytes written to the terminal per refresh at steady state for
//! 64 nodes. Run: `cargo bench --bench render`.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use aami_tui::app::{Action, App, Origin, View};
use aami_tui::cli::tui::fleet_from_config;
use aami_tui::sim::{SimOptions, SimSpec};
use aami_tui::ui::{self, theme::Theme};
use criterion::Criterion;
use ratatui::{Terminal, backend::CrosstermBackend, backend::TestBackend};

fn app(nodes: usize, gpus: Option<u32>, t: f64) -> (App, SimSpec) {
    let spec = SimSpec::new(&SimOptions {
        nodes,
        gpus,
        ..SimOptions::default()
    });
    let mut fleet = fleet_from_config(&spec.config());
    let base = Instant::now();
    fleet.apply_refresh(spec.outcomes_at(t), base, Duration::ZERO);
    let mut app = App::new(fleet, Origin::Demo, base + Duration::from_millis(800));
    app.apply(Action::Move(0));
    (app, spec)
}

/// Counts bytes a real crossterm backend would write.
#[derive(Default, Clone)]
struct Counter(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Counter {
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .fetch_add(buf.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bytes_per_refresh(pane: View) -> (usize, usize) {
    let (mut app, spec) = app(64, None, 10.0);
    app.apply(Action::GoTab(pane));
    let theme = Theme::dark();
    let counter = Counter::default();
    let mut term = Terminal::with_options(
        CrosstermBackend::new(counter.clone()),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 160, 48)),
        },
    )
    .unwrap();
    term.draw(|f| {
        ui::render(&app, &theme, f);
    })
    .unwrap();
    let first = counter.get();
    let mut steady = Vec::new();
    for k in 1..=10 {
        let before = counter.get();
        let t = 10.0 + 2.0 * k as f64;
        let now = app.now + Duration::from_secs(2);
        app.fleet
            .apply_refresh(spec.outcomes_at(t), now, Duration::ZERO);
        app.apply(Action::Tick(now + Duration::from_millis(800)));
        term.draw(|f| {
            ui::render(&app, &theme, f);
        })
        .unwrap();
        steady.push(counter.get() - before);
    }
    steady.sort();
    (first, steady[steady.len() / 2])
}

fn main() {
    for pane in [View::Fleet, View::Heatmap] {
        let (first, steady) = bytes_per_refresh(pane);
        println!(
            "bytes to terminal, 64 nodes, {pane:?} pane, 160x48: first frame {first} B, steady-state refresh median {steady} B ({:.1}% of a full frame)",
            steady as f64 / first as f64 * 100.0
        );
    }
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    let theme = Theme::dark();
    let (fleet_app, _) = app(1024, Some(8), 50.0);
    let mut node_app = fleet_app.clone();
    node_app.apply(Action::Open);
    let mut heat_app = fleet_app.clone();
    heat_app.apply(Action::GoTab(View::Heatmap));
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut g = c.benchmark_group("render_1024x8_160x48");
    for (name, a) in [
        ("fleet", &fleet_app),
        ("node", &node_app),
        ("heatmap", &heat_app),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                term.draw(|f| {
                    ui::render(black_box(a), &theme, f);
                })
                .unwrap();
            })
        });
    }
    g.finish();
    c.final_summary();
}
