//! The TUI's runtime: the only part of the TUI that does I/O. Terminal
//! events, collector refreshes, job reports, signals and ticks feed one
//! [`App`]; the screen is redrawn from it after each. Nothing here awaits the
//! network: collectors and jobs run in their own tasks.

pub mod bench_log;
pub mod jobs;
pub mod remote;
pub mod ssh_context;
pub mod stack;
pub mod state_dir;
pub mod theme;
pub mod topology;

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

pub use ssh_context::SshContext;

use crate::app::{Action, App, Event, Request, bindings};
use crate::sources::{FleetSource, RefreshRound};
use crate::terminal;
use crate::ui;
use jobs::{JobContext, JobRunner, TaskMsg};

/// What the TUI starts with.
pub struct Setup {
    pub app: App,
    pub source: FleetSource,
    pub refresh: Duration,
    pub theme_name: String,
    pub ssh: SshContext,
    /// The config file behind the fleet; `None` for the demo.
    pub config_path: Option<PathBuf>,
    /// The config behind the fleet, for actions on nodes; `None` for the demo.
    pub config: Option<crate::config::Config>,
    /// Topology captures known at start (the demo's), by node.
    pub topologies: Vec<(crate::domain::NodeId, String)>,
}

/// Runs the TUI until the operator quits or a signal ends it; returns the
/// exit code (0, or 128 + the signal). The terminal is restored on every way
/// out, panics included (see [`terminal::install_panic_hook`]).
pub async fn run(setup: Setup) -> color_eyre::Result<i32> {
    // Exporter connections are kept between refreshes: two per node, past
    // the common soft limit of 1,024 open files at 512 nodes. The hard
    // limit is the ceiling; failing to raise it leaves the soft one.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut term = terminal::init()?;
    let result = event_loop(&mut term, setup).await;
    terminal::restore();
    result
}

async fn event_loop(term: &mut terminal::Tui, setup: Setup) -> color_eyre::Result<i32> {
    let Setup {
        mut app,
        source,
        refresh,
        theme_name,
        ssh,
        config_path,
        config,
        topologies,
    } = setup;
    let (mut theme, problem) = theme::load(&theme_name);
    app.theme_name = theme_name;
    if let Some(p) = problem {
        app.notice = Some(p);
    }
    app.history_available = matches!(source, FleetSource::Query(_));
    if let (FleetSource::Query(_), Some(url)) = (
        &source,
        config.as_ref().and_then(|c| c.prometheus.url.clone()),
    ) {
        app.live_source = crate::app::stack::LiveSource::Query { url };
    }
    app.stack.setup = config.as_ref().map(stack::setup);
    app.refresh_interval = Some(refresh);
    app.can_add_nodes = config_path.is_some();
    app.user = std::env::var("USER").unwrap_or_default();
    // Prometheus's and Alertmanager's alerts, when the config names them.
    let clients = config
        .as_ref()
        .map(remote::RemoteClients::from_config)
        .unwrap_or_default();
    if let Some(c) = &config {
        app.remote_config = clients.config(c);
    }
    let remote_wake = std::sync::Arc::new(tokio::sync::Notify::new());
    // The stack pane's reader: the latest config, whether the pane is open,
    // and a wake for reading at once.
    let (stack_config, stack_config_rx) =
        tokio::sync::watch::channel(std::sync::Arc::new(config.clone().unwrap_or_default()));
    let stack_watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stack_wake = std::sync::Arc::new(tokio::sync::Notify::new());
    // The operator's source choice (`Q`): `None` reads as the config says.
    let mut source_choice: Option<crate::app::stack::SourceChoice> = None;

    let (collector_tx, mut collector_rx) = mpsc::channel::<RefreshRound>(4);
    let (task_tx, mut task_rx) = mpsc::channel::<TaskMsg>(256);
    let task_tx_for_remote = task_tx.clone();
    let span = Duration::from_secs_f64(refresh.as_secs_f64() * app.fleet.history_capacity as f64);
    let mut runner = JobRunner::new(
        task_tx,
        JobContext {
            ssh,
            source: std::sync::RwLock::new(source.clone()),
            config_path,
            state_dir: state_dir::state_dir(),
            config: std::sync::RwLock::new(config.map(std::sync::Arc::new)),
            node_names: app
                .fleet
                .nodes
                .iter()
                .map(|n| n.spec.name.clone())
                .collect(),
            history_span: span,
            history_step: refresh,
            alertmanager: clients.alertmanager(),
            remote_wake: remote_wake.clone(),
            ssh_permits: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            max_parallel: 1,
        },
    );
    let remote_task = clients.any().then(|| {
        remote::spawn(
            clients.clone(),
            refresh,
            remote_wake.clone(),
            task_tx_for_remote.clone(),
        )
    });
    let stack_task = app.stack.setup.is_some().then(|| {
        stack::spawn(
            stack_config_rx,
            stack_watching.clone(),
            stack_wake.clone(),
            task_tx_for_remote.clone(),
        )
    });
    let mut collector_task = source.spawn(refresh, collector_tx.clone());
    // Topology: the demo's captures, else what the cache holds, parsed off
    // the event loop so the first frame does not wait for them.
    let names: Vec<String> = app
        .fleet
        .nodes
        .iter()
        .map(|n| n.spec.name.clone())
        .collect();
    let topo_tx = task_tx_for_remote.clone();
    tokio::task::spawn_blocking(move || {
        let captured = topology::now_text();
        let demo: std::collections::BTreeSet<usize> = topologies.iter().map(|(n, _)| *n).collect();
        let mut found: Vec<(usize, crate::domain::topology::NodeTopology)> = topologies
            .into_iter()
            .map(|(node, text)| (node, topology::parse(&text, &captured, "demo")))
            .collect();
        if let Some(dir) = state_dir::state_dir() {
            for (node, name) in names.iter().enumerate().filter(|(n, _)| !demo.contains(n)) {
                if let Some((when, text)) =
                    topology::cache_path(&dir, name).and_then(|p| topology::read_cache(&p))
                {
                    found.push((node, topology::parse(&text, &when, "cache")));
                }
            }
        }
        for (node, topology) in found {
            if topo_tx
                .blocking_send(TaskMsg::App(Event::Topology { node, topology }))
                .is_err()
            {
                return;
            }
        }
    });

    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // Test hooks: panic after the first frame (on this thread, or in a
    // background task), so tests can see the terminal restored first.
    let test_panic = std::env::var("AAMI_TEST_PANIC").ok();
    let mut first_frame = true;
    let mut bench = bench_log::BenchLog::from_env();
    // The screen is drawn only when something on it may have changed: an
    // event came, or the time a timed part shows moved on (see
    // ui::header::next_change). An idle screen wakes for nothing but the
    // collector's refreshes.
    let mut dirty = true;
    let outcome = loop {
        app.apply(Action::Tick(std::time::Instant::now()));
        app.wall_clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs() as i64);
        if dirty {
            let mut geometry = app.ui.geometry;
            if let Err(e) = term.draw(|f| geometry = ui::render(&app, &theme, f)) {
                break Err(e.into());
            }
            bench.draw();
            if geometry != app.ui.geometry {
                app.apply(Action::Geometry(geometry));
            }
        }
        if first_frame {
            first_frame = false;
            bench.first_frame();
            match test_panic.as_deref() {
                Some("task") => {
                    tokio::spawn(async {
                        panic!("AAMI_TEST_PANIC=task: a background task panics")
                    });
                }
                Some(_) => panic!("AAMI_TEST_PANIC is set: panicking after the first frame"),
                None => {}
            }
        }
        let wake = ui::header::next_change(&app);
        let sleep_until = tokio::time::Instant::from_std(
            wake.unwrap_or_else(|| std::time::Instant::now() + Duration::from_secs(3600)),
        );
        dirty = true;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(TermEvent::Key(key))) => {
                    if let Some(a) = bindings::action_for(key, app.context()) {
                        app.apply(a);
                    }
                }
                Some(Ok(TermEvent::Paste(text))) => app.apply(Action::Paste(text)),
                Some(Ok(TermEvent::Resize(..))) => {}
                // Focus and mouse reports change nothing on screen.
                Some(Ok(_)) => dirty = false,
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(0),
            },
            Some(RefreshRound { outcomes, started, took }) = collector_rx.recv() => {
                bench.refresh(took, outcomes.len());
                app.on_event(Event::Refresh { outcomes, started, took });
            }
            Some(msg) = task_rx.recv() => match msg {
                TaskMsg::App(ev) => {
                    if let Event::Job(crate::app::jobs::JobEvent::Finished { id, .. }) = &ev {
                        runner.forget(*id);
                    }
                    app.on_event(ev);
                }
                TaskMsg::Reconfigure(config) => {
                    // The new node list: read it from the next refresh on,
                    // from the source the operator chose.
                    app.stack.setup = Some(stack::setup(&config));
                    let _ = stack_config.send(std::sync::Arc::new((*config).clone()));
                    match stack::source_for(&config, source_choice.as_ref()) {
                        Ok((s, _)) => {
                            runner.set_source(s.clone());
                            collector_task.abort();
                            collector_task = s.spawn(refresh, collector_tx.clone());
                        }
                        Err(e) => app.notice = Some(format!("config reloaded, but: {e}")),
                    }
                }
            },
            _ = tokio::time::sleep_until(sleep_until), if wake.is_some() => {}
            _ = sigterm.recv() => break Ok(128 + 15),
            _ = sighup.recv() => break Ok(128 + 1),
            _ = sigint.recv() => break Ok(128 + 2),
        }
        for req in std::mem::take(&mut app.requests) {
            match req {
                Request::RunJob(spec) => runner.start(spec),
                Request::ReloadRemote => remote_wake.notify_one(),
                Request::CancelJob(id) => runner.cancel(id),
                Request::AnswerHostKey { id, answer } => runner.answer_host_key(id, answer),
                Request::ReadStack => stack_wake.notify_one(),
                Request::SetSource(choice) => {
                    let current = stack_config.borrow().clone();
                    match stack::source_for(&current, Some(&choice)) {
                        Ok((s, live)) => {
                            runner.set_source(s.clone());
                            collector_task.abort();
                            collector_task = s.spawn(refresh, collector_tx.clone());
                            source_choice = Some(choice);
                            app.on_event(Event::Source {
                                source: live,
                                problem: None,
                            });
                        }
                        Err(e) => app.on_event(Event::Source {
                            source: app.live_source.clone(),
                            problem: Some(e),
                        }),
                    }
                }
                Request::SetTheme(name) => {
                    let (t, problem) = theme::load(&name);
                    if problem.is_none() {
                        theme = t;
                    }
                    app.on_event(Event::Theme { name, problem });
                }
            }
        }
        stack_watching.store(
            app.view() == crate::app::View::Stack,
            std::sync::atomic::Ordering::Relaxed,
        );
        if app.should_quit {
            break Ok(0);
        }
    };
    runner.abort_all();
    collector_task.abort();
    if let Some(t) = remote_task {
        t.abort();
    }
    if let Some(t) = stack_task {
        t.abort();
    }
    outcome
}
