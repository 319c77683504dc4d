//! The event loop: terminal events, collector messages and ticks feed one
//! [`App`]; the screen is redrawn from it after each. Nothing here awaits the
//! network: collectors run in their own tasks.

use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{Action, App, keymap};
use crate::sources::{CollectorEvent, FleetSource};
use crate::terminal;
use crate::ui::{self, theme::Theme};

/// How often the header's "refreshed … ago" is brought up to date.
const TICK: Duration = Duration::from_millis(500);

/// How the event loop reaches nodes over SSH (kernel-log scans).
#[derive(Debug, Clone)]
pub struct SshContext {
    /// One per node, in fleet order.
    pub targets: Vec<crate::ssh::SshTarget>,
    pub known_hosts: std::path::PathBuf,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
}

impl SshContext {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Self {
            targets: c
                .nodes
                .iter()
                .map(crate::ssh::SshTarget::from_node)
                .collect(),
            known_hosts: crate::ssh::default_known_hosts(),
            connect_timeout: Duration::from_secs(c.ssh.connect_timeout),
            command_timeout: Duration::from_secs(c.ssh.command_timeout),
        }
    }
}

/// Runs the TUI until the operator quits. The terminal is restored on every
/// way out, panics included (see [`terminal::install_panic_hook`]).
pub async fn run(
    mut app: App,
    collector: FleetSource,
    refresh: Duration,
    theme: Theme,
    ssh: SshContext,
) -> color_eyre::Result<()> {
    let mut term = terminal::init()?;
    let result = event_loop(
        &mut term,
        &mut app,
        collector,
        refresh,
        &theme,
        std::sync::Arc::new(ssh),
    )
    .await;
    terminal::restore();
    result
}

async fn event_loop(
    term: &mut terminal::Tui,
    app: &mut App,
    collector: FleetSource,
    refresh: Duration,
    theme: &Theme,
    ssh: std::sync::Arc<SshContext>,
) -> color_eyre::Result<()> {
    let (tx, mut rx) = mpsc::channel::<CollectorEvent>(4);
    let source = collector.clone();
    let history_tx = tx.clone();
    let collector_task = collector.spawn(refresh, tx);
    let span = Duration::from_secs_f64(refresh.as_secs_f64() * app.fleet.history_capacity as f64);
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = term.size() {
        app.apply(Action::Resize(size.width, size.height));
    }
    // Test hook: panic after the first frame, so tests can see the terminal
    // restored before the panic report.
    let test_panic = std::env::var_os("AAMI_TEST_PANIC").is_some();
    let outcome = loop {
        if let Err(e) = term.draw(|f| ui::render(app, theme, f)) {
            break Err(e.into());
        }
        if test_panic {
            panic!("AAMI_TEST_PANIC is set: panicking after the first frame");
        }
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => {
                    if let Some(a) = keymap::action_for(key, &app.ui) {
                        app.apply(a);
                    }
                }
                Some(Ok(Event::Resize(w, h))) => app.apply(Action::Resize(w, h)),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(msg) = rx.recv() => app.on_collector(msg),
            _ = ticker.tick() => app.apply(Action::Tick(tokio::time::Instant::now().into_std())),
        }
        for req in app.requests.drain(..) {
            match req {
                super::Request::KernelLogScan(node) => {
                    let (ssh, tx) = (ssh.clone(), history_tx.clone());
                    tokio::spawn(async move {
                        let report = match ssh.targets.get(node) {
                            Some(t) => crate::ssh::scan_kernel_log(
                                t,
                                crate::ssh::KERNEL_LOG_COMMAND,
                                &ssh.known_hosts,
                                ssh.connect_timeout,
                                ssh.command_timeout,
                            )
                            .await
                            .map_err(|e| e.to_string()),
                            None => Err("no SSH settings for this node".into()),
                        };
                        let _ = tx.send(CollectorEvent::KernelLog { node, report }).await;
                    });
                }
                super::Request::NodeHistory(node) => {
                    let (source, tx) = (source.clone(), history_tx.clone());
                    tokio::spawn(async move {
                        if let Some(series) = source.history(node, span, refresh).await {
                            let _ = tx.send(CollectorEvent::History { node, series }).await;
                        }
                    });
                }
            }
        }
        if app.should_quit {
            break Ok(());
        }
    };
    collector_task.abort();
    outcome
}
