//! Runs the app's background jobs: each in its own task, at most
//! [`PARALLEL`] at once, its output copied to a file in the state directory,
//! and every step reported back as an event. Cancelling aborts the task.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

use super::ssh_context::SshContext;
use crate::app::Event;
use crate::app::jobs::{JobEvent, JobId, JobInput, JobKind, JobSpec, JobState, NodeDraft};
use crate::config::Config;
use crate::sources::FleetSource;

/// SSH sessions and queries in flight at once; the rest wait queued.
pub const PARALLEL: usize = 16;

/// What a job task sends to the event loop.
#[derive(Debug)]
pub enum TaskMsg {
    App(Event),
    /// The config file changed (a node was added): scrape the new set.
    Reconfigure(Box<Config>),
}

pub struct JobRunner {
    tx: mpsc::Sender<TaskMsg>,
    running: HashMap<JobId, AbortHandle>,
    permits: Arc<Semaphore>,
    ctx: Arc<JobContext>,
}

/// What jobs need to reach the world.
pub struct JobContext {
    pub ssh: SshContext,
    pub source: FleetSource,
    /// The config file nodes are added to; `None` for the demo fleet.
    pub config_path: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    /// History span and step for history loads.
    pub history_span: Duration,
    pub history_step: Duration,
    /// Alertmanager, for silence jobs (or why its client could not be made).
    pub alertmanager: Option<Result<crate::alerts::alertmanager::ApiClient, String>>,
    /// Wakes the alert poller after a silence changed.
    pub remote_wake: Arc<tokio::sync::Notify>,
}

impl JobRunner {
    pub fn new(tx: mpsc::Sender<TaskMsg>, ctx: JobContext) -> Self {
        Self {
            tx,
            running: HashMap::new(),
            permits: Arc::new(Semaphore::new(PARALLEL)),
            ctx: Arc::new(ctx),
        }
    }

    pub fn start(&mut self, spec: JobSpec) {
        let (tx, permits, ctx) = (self.tx.clone(), self.permits.clone(), self.ctx.clone());
        let id = spec.id;
        let task = tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            let mut out = Output::open(&ctx, &spec, tx.clone()).await;
            let _ = tx
                .send(TaskMsg::App(Event::Job(JobEvent::Started {
                    id,
                    output_file: out.path_text(),
                })))
                .await;
            let state = run(&ctx, &spec, &mut out, &tx).await;
            out.line(&format!("== {}", state.word())).await;
            let _ = tx
                .send(TaskMsg::App(Event::Job(JobEvent::Finished { id, state })))
                .await;
        });
        self.running.insert(id, task.abort_handle());
    }

    pub fn cancel(&mut self, id: JobId) {
        if let Some(h) = self.running.remove(&id) {
            h.abort();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx
                    .send(TaskMsg::App(Event::Job(JobEvent::Finished {
                        id,
                        state: JobState::Cancelled,
                    })))
                    .await;
            });
        }
    }

    /// Called when a job's end has been seen.
    pub fn forget(&mut self, id: JobId) {
        self.running.remove(&id);
    }

    pub fn abort_all(&mut self) {
        for (_, h) in self.running.drain() {
            h.abort();
        }
    }
}

/// A job's output: sent as events and appended to its file.
struct Output {
    id: JobId,
    tx: mpsc::Sender<TaskMsg>,
    path: Option<PathBuf>,
    file: Option<tokio::fs::File>,
}

impl Output {
    async fn open(ctx: &JobContext, spec: &JobSpec, tx: mpsc::Sender<TaskMsg>) -> Self {
        let path = ctx.state_dir.as_ref().map(|d| {
            d.join("jobs").join(format!(
                "{}-{}-{}.log",
                std::process::id(),
                spec.id,
                spec.kind.slug()
            ))
        });
        let mut file = None;
        if let Some(p) = &path
            && let Some(dir) = p.parent()
            && tokio::fs::create_dir_all(dir).await.is_ok()
        {
            file = tokio::fs::File::create(p).await.ok();
        }
        Self {
            id: spec.id,
            tx,
            path: file.as_ref().and(path),
            file,
        }
    }

    fn path_text(&self) -> Option<String> {
        self.path.as_ref().map(|p| p.display().to_string())
    }

    async fn line(&mut self, line: &str) {
        if let Some(f) = &mut self.file {
            let _ = f.write_all(format!("{line}\n").as_bytes()).await;
        }
        let _ = self
            .tx
            .send(TaskMsg::App(Event::Job(JobEvent::Output {
                id: self.id,
                line: line.to_string(),
            })))
            .await;
    }
}

async fn run(
    ctx: &JobContext,
    spec: &JobSpec,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    match spec.kind {
        JobKind::KernelLogScan => {
            let Some(&node) = spec.targets.first() else {
                return JobState::Failed("no target node".into());
            };
            kernel_log_scan(ctx, node, out, tx).await
        }
        JobKind::HistoryLoad => {
            let Some(&node) = spec.targets.first() else {
                return JobState::Failed("no target node".into());
            };
            match ctx
                .source
                .history(node, ctx.history_span, ctx.history_step)
                .await
            {
                None => JobState::Ok("this source keeps no history".into()),
                Some(Err(e)) => {
                    out.line(&e).await;
                    JobState::Failed(e)
                }
                Some(Ok(series)) => {
                    let n = series.len();
                    let _ = tx.send(TaskMsg::App(Event::History { node, series })).await;
                    JobState::Ok(format!("history of {n} GPU(s) loaded"))
                }
            }
        }
        JobKind::AddNode => match &spec.input {
            JobInput::AddNode(draft) => add_node(ctx, draft, out, tx).await,
            _ => JobState::Failed("no node to add".into()),
        },
        JobKind::Silence | JobKind::ExpireSilence => silence_job(ctx, &spec.input, out).await,
    }
}

/// Creates or expires a silence through Alertmanager's API v2.
async fn silence_job(ctx: &JobContext, input: &JobInput, out: &mut Output) -> JobState {
    let am = match &ctx.alertmanager {
        None => return JobState::Failed("no Alertmanager configured (alertmanager.url)".into()),
        Some(Err(e)) => return JobState::Failed(e.clone()),
        Some(Ok(am)) => am,
    };
    let state = match input {
        JobInput::Silence(d) => {
            let matchers: Result<Vec<_>, _> = d
                .matchers
                .iter()
                .map(|m| crate::alerts::alertmanager::Matcher::parse(m))
                .collect();
            let matchers = match matchers {
                Ok(m) => m,
                Err(e) => return JobState::Failed(e),
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let s = crate::alerts::alertmanager::new_silence(
                matchers,
                Duration::from_secs(d.duration_s),
                &d.author,
                &d.comment,
                now,
            );
            out.line(&format!(
                "POST {}/api/v2/silences  {}  until {}",
                am.base(),
                d.matchers.join(","),
                s.ends_at
            ))
            .await;
            match am.create_silence(&s).await {
                Ok(id) => JobState::Ok(format!("silence {id} created, until {}", s.ends_at)),
                Err(e) => JobState::Failed(e.to_string()),
            }
        }
        JobInput::ExpireSilence(id) => {
            out.line(&format!("DELETE {}/api/v2/silence/{id}", am.base()))
                .await;
            match am.expire_silence(id).await {
                Ok(()) => JobState::Ok(format!("silence {id} expired")),
                Err(e) => JobState::Failed(e.to_string()),
            }
        }
        _ => JobState::Failed("no silence given".into()),
    };
    if let JobState::Failed(why) = &state {
        out.line(why).await;
    }
    ctx.remote_wake.notify_one();
    state
}

async fn kernel_log_scan(
    ctx: &JobContext,
    node: usize,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    let Some(target) = ctx.ssh.targets.get(node) else {
        return JobState::Failed("no SSH settings for this node".into());
    };
    out.line(&format!(
        "ssh {}@{}:{}  {}",
        target.user,
        target.host,
        target.port,
        crate::ssh::KERNEL_LOG_COMMAND
    ))
    .await;
    let report = crate::ssh::scan_kernel_log(
        target,
        crate::ssh::KERNEL_LOG_COMMAND,
        &ctx.ssh.known_hosts,
        ctx.ssh.connect_timeout,
        ctx.ssh.command_timeout,
    )
    .await;
    match report {
        Err(e) => {
            let why = e.to_string();
            out.line(&why).await;
            JobState::Failed(why)
        }
        Ok(r) => {
            out.line(&format!("{} lines read", r.lines_read)).await;
            for e in &r.events {
                out.line(&format!(
                    "line {}: Xid {} on PCI {}: {}",
                    e.line, e.code, e.pci_bus, e.message
                ))
                .await;
            }
            let events = r
                .events
                .iter()
                .map(|e| (e.pci_bus.clone(), e.code))
                .collect();
            let _ = tx
                .send(TaskMsg::App(Event::KernelXids { node, events }))
                .await;
            JobState::Ok(format!(
                "kernel log has {} Xid event(s) in {} lines",
                r.events.len(),
                r.lines_read
            ))
        }
    }
}

async fn add_node(
    ctx: &JobContext,
    draft: &NodeDraft,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    let Some(path) = ctx.config_path.clone() else {
        return JobState::Failed("the demo fleet has no config file to add to".into());
    };
    let node = crate::config::NodeConfig {
        name: draft.name.clone(),
        ip: draft.address.clone(),
        ssh_user: Some(draft.user.clone()).filter(|s| !s.is_empty()),
        ssh_key: Some(draft.key.clone()).filter(|s| !s.is_empty()),
        ssh_port: draft.port,
        labels: draft.labels.iter().cloned().collect(),
        exporters: Default::default(),
    };
    out.line(&format!(
        "adding {} ({}) to {}",
        node.name,
        node.ip,
        path.display()
    ))
    .await;
    let written =
        tokio::task::spawn_blocking(move || crate::config::write::add_nodes(&path, &[node])).await;
    match written {
        Ok(Ok(config)) => {
            if let Some(n) = config.nodes.iter().find(|n| n.name == draft.name) {
                let spec = crate::domain::NodeSpec {
                    name: n.name.clone(),
                    address: n.ip.clone(),
                    labels: n.labels.clone(),
                };
                let _ = tx.send(TaskMsg::App(Event::NodeAdded(spec))).await;
            }
            let _ = tx.send(TaskMsg::Reconfigure(Box::new(config))).await;
            JobState::Ok(format!(
                "{} added to the config; scraping it now",
                draft.name
            ))
        }
        Ok(Err(e)) => {
            let why = e.to_string();
            out.line(&why).await;
            JobState::Failed(why)
        }
        Err(e) => JobState::Failed(format!("config writer stopped: {e}")),
    }
}
