//! Runs the app's background jobs: each in its own task, its output copied
//! to a file in the state directory, and every step reported back as an
//! event. Cancelling aborts the task. Jobs that reach nodes over SSH hold
//! one of `ssh.max_parallel` permits per node (onboarding takes one per
//! node it looks at); the others (history, silences) at most [`PARALLEL`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::AbortHandle;

use super::ssh_context::SshContext;
use crate::app::Event;
use crate::app::jobs::{JobEvent, JobId, JobInput, JobKind, JobSpec, JobState};
use crate::config::Config;
use crate::sources::FleetSource;
use crate::ssh::{
    HostKeyAnswer, HostKeyPrompt, RemoteCommand, Session, SshOptions, UnknownHostKey,
};

/// Queries (history loads, silences) in flight at once; the rest wait
/// queued. SSH work is bounded by the config's `ssh.max_parallel`.
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
    host_keys: Arc<HostKeyDesk>,
}

/// Whether a job's work is SSH to its one target node.
fn is_ssh(kind: JobKind) -> bool {
    matches!(
        kind,
        JobKind::KernelLogScan | JobKind::TopologyCollect | JobKind::Exporter
    )
}

/// Where jobs wait for the operator's word on unknown host keys: a job's
/// question goes to the app as an event, and the app's answer comes back
/// through [`JobRunner::answer_host_key`].
pub struct HostKeyDesk {
    tx: mpsc::Sender<TaskMsg>,
    next: std::sync::atomic::AtomicU64,
    waiting: std::sync::Mutex<HashMap<u64, (JobId, oneshot::Sender<HostKeyAnswer>)>>,
}

impl HostKeyDesk {
    fn new(tx: mpsc::Sender<TaskMsg>) -> Self {
        Self {
            tx,
            next: std::sync::atomic::AtomicU64::new(1),
            waiting: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// What job `job`'s SSH connections ask through.
    fn prompt(self: &Arc<Self>, job: JobId) -> HostKeyPrompt {
        let desk = Arc::clone(self);
        HostKeyPrompt::new(move |question| {
            let desk = Arc::clone(&desk);
            async move { desk.ask(job, question).await }
        })
    }

    async fn ask(&self, job: JobId, q: crate::ssh::HostKeyQuestion) -> HostKeyAnswer {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(id, (job, tx));
        }
        let ask = crate::app::host_key::HostKeyAsk {
            id,
            job,
            question: q,
        };
        if self
            .tx
            .send(TaskMsg::App(Event::HostKey(Box::new(ask))))
            .await
            .is_err()
        {
            self.take(id);
            return HostKeyAnswer::Refuse;
        }
        // No answer (the app went away): refuse.
        rx.await.unwrap_or(HostKeyAnswer::Refuse)
    }

    fn take(&self, id: u64) -> Option<oneshot::Sender<HostKeyAnswer>> {
        self.waiting
            .lock()
            .ok()
            .and_then(|mut w| w.remove(&id))
            .map(|(_, tx)| tx)
    }

    fn forget_job(&self, job: JobId) {
        if let Ok(mut w) = self.waiting.lock() {
            w.retain(|_, (j, _)| *j != job);
        }
    }
}

/// What jobs need to reach the world.
pub struct JobContext {
    pub ssh: SshContext,
    /// The fleet's source now (history loads read it); replaced when the
    /// operator switches query mode.
    pub source: std::sync::RwLock<FleetSource>,
    /// The config file nodes are added to; `None` for the demo fleet.
    pub config_path: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    /// The config behind the fleet (node SSH settings, install prefix);
    /// `None` for the demo. Replaced when a node is added.
    pub config: std::sync::RwLock<Option<Arc<Config>>>,
    /// Node names in fleet order (cache file names).
    pub node_names: Vec<String>,
    /// History span and step for history loads.
    pub history_span: Duration,
    pub history_step: Duration,
    /// Alertmanager, for silence jobs (or why its client could not be made).
    pub alertmanager: Option<Result<crate::alerts::alertmanager::ApiClient, String>>,
    /// Wakes the alert poller after a silence changed.
    pub remote_wake: Arc<tokio::sync::Notify>,
    /// One per node reached over SSH at once (`ssh.max_parallel`; set by
    /// [`JobRunner::new`]).
    pub ssh_permits: Arc<Semaphore>,
    pub max_parallel: usize,
}

impl JobRunner {
    pub fn new(tx: mpsc::Sender<TaskMsg>, mut ctx: JobContext) -> Self {
        let max_parallel = ctx
            .config
            .read()
            .ok()
            .and_then(|c| c.as_ref().map(|c| c.ssh.max_parallel))
            .unwrap_or_else(|| crate::config::SshSettings::default().max_parallel)
            .max(1);
        ctx.ssh_permits = Arc::new(Semaphore::new(max_parallel));
        ctx.max_parallel = max_parallel;
        Self {
            host_keys: Arc::new(HostKeyDesk::new(tx.clone())),
            tx,
            running: HashMap::new(),
            permits: Arc::new(Semaphore::new(PARALLEL)),
            ctx: Arc::new(ctx),
        }
    }

    /// The operator answered a job's host-key question.
    pub fn answer_host_key(&mut self, id: u64, answer: HostKeyAnswer) {
        if let Some(tx) = self.host_keys.take(id) {
            let _ = tx.send(answer);
        }
    }

    pub fn start(&mut self, spec: JobSpec) {
        let (tx, permits, ctx) = (self.tx.clone(), self.permits.clone(), self.ctx.clone());
        let id = spec.id;
        let prompt = self.host_keys.prompt(id);
        let task = tokio::spawn(async move {
            // Onboarding takes a permit per node it looks at, not one here.
            let pool = match spec.kind {
                JobKind::Onboard => None,
                k if is_ssh(k) => Some(Arc::clone(&ctx.ssh_permits)),
                _ => Some(permits),
            };
            let _permit = match pool {
                Some(p) => match p.acquire_owned().await {
                    Ok(permit) => Some(permit),
                    Err(_) => return,
                },
                None => None,
            };
            let mut out = Output::open(&ctx, &spec, tx.clone()).await;
            let _ = tx
                .send(TaskMsg::App(Event::Job(JobEvent::Started {
                    id,
                    output_file: out.path_text(),
                })))
                .await;
            let job = Job { ctx: &ctx, prompt };
            let state = run(&job, &spec, &mut out, &tx).await;
            out.line(&format!("== {}", state.word())).await;
            let _ = tx
                .send(TaskMsg::App(Event::Job(JobEvent::Finished { id, state })))
                .await;
        });
        self.running.insert(id, task.abort_handle());
    }

    pub fn cancel(&mut self, id: JobId) {
        self.host_keys.forget_job(id);
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

    /// The fleet is read from `source` from now on (history loads too).
    pub fn set_source(&self, source: FleetSource) {
        if let Ok(mut s) = self.ctx.source.write() {
            *s = source;
        }
    }

    /// Called when a job's end has been seen.
    pub fn forget(&mut self, id: JobId) {
        self.running.remove(&id);
        self.host_keys.forget_job(id);
    }

    pub fn abort_all(&mut self) {
        for (_, h) in self.running.drain() {
            h.abort();
        }
    }
}

/// One running job: what every job reaches the world with, and how its SSH
/// connections ask about unknown host keys.
struct Job<'a> {
    ctx: &'a JobContext,
    prompt: HostKeyPrompt,
}

impl std::ops::Deref for Job<'_> {
    type Target = JobContext;
    fn deref(&self) -> &JobContext {
        self.ctx
    }
}

impl Job<'_> {
    /// SSH options for this job: the config's (ssh config, agent, the
    /// operator's known_hosts, retries, timeouts), with unknown host keys
    /// put to the operator.
    fn ssh_options(&self) -> SshOptions {
        let config = self.ctx.config.read().ok().and_then(|c| c.clone());
        let mut o = match &config {
            Some(c) => SshOptions::from_config(c, |k| std::env::var(k).ok()),
            None => SshOptions::direct(
                self.ctx.ssh.known_hosts.clone(),
                self.ctx.ssh.connect_timeout,
                self.ctx.ssh.command_timeout,
            ),
        };
        o.known_hosts = self.ctx.ssh.known_hosts.clone();
        o.unknown_host_key = UnknownHostKey::Ask;
        o.prompt = Some(self.prompt.clone());
        o
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
    ctx: &Job<'_>,
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
            let Some(source) = ctx.source.read().ok().map(|s| s.clone()) else {
                return JobState::Failed("the fleet's source is unavailable".into());
            };
            match source
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
        JobKind::TopologyCollect => {
            let Some(&node) = spec.targets.first() else {
                return JobState::Failed("no target node".into());
            };
            topology_collect(ctx, node, out, tx).await
        }
        JobKind::Onboard => match &spec.input {
            JobInput::Onboard(req) => onboard(ctx, spec.id, req, out, tx).await,
            _ => JobState::Failed("no node to look at".into()),
        },
        JobKind::AddNode => match &spec.input {
            JobInput::AddNodes(nodes) => add_nodes(ctx, nodes, out, tx).await,
            _ => JobState::Failed("no node to add".into()),
        },
        JobKind::Exporter => match (&spec.input, spec.targets.first()) {
            (JobInput::Exporter(req), Some(&node)) => {
                exporter(ctx, spec.id, node, req, out, tx).await
            }
            _ => JobState::Failed("no exporter action or node".into()),
        },
        JobKind::Silence | JobKind::ExpireSilence => silence_job(ctx, &spec.input, out).await,
    }
}

/// A node's name: from the config as it is now, else from the start.
fn node_name(ctx: &JobContext, node: usize) -> Option<String> {
    let now = ctx.config.read().ok().and_then(|c| {
        c.as_ref()
            .and_then(|c| c.nodes.get(node).map(|n| n.name.clone()))
    });
    now.or_else(|| ctx.node_names.get(node).cloned())
}

/// Runs a fixed command on node `node` over SSH, logging what it runs;
/// the output, or the job's failure.
async fn ssh_output(
    ctx: &Job<'_>,
    node: usize,
    command: &str,
    out: &mut Output,
) -> Result<String, JobState> {
    // The config as it is now (a node added from the TUI is in it), else
    // the targets the TUI started with.
    let from_config = ctx.config.read().ok().and_then(|c| {
        c.as_ref()
            .and_then(|c| c.nodes.get(node).map(crate::ssh::SshTarget::from_node))
    });
    let Some(target) = from_config.or_else(|| ctx.ssh.targets.get(node).cloned()) else {
        return Err(JobState::Failed("no SSH settings for this node".into()));
    };
    out.line(&format!("ssh {target}  {command}")).await;
    let opts = ctx.ssh_options();
    let ran = async {
        let session = Session::connect(&target, &opts).await?;
        let out = session.exec(&RemoteCommand::operator(command)).await;
        session.close().await;
        out
    };
    match ran.await {
        Ok(o) => Ok(o.stdout),
        Err(e) => {
            let why = e.to_string();
            out.line(&why).await;
            Err(JobState::Failed(why))
        }
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
    ctx: &Job<'_>,
    node: usize,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    let text = match ssh_output(ctx, node, crate::ssh::KERNEL_LOG_COMMAND, out).await {
        Ok(t) => t,
        Err(state) => return state,
    };
    let r = crate::xid::scan(&text);
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

async fn topology_collect(
    ctx: &Job<'_>,
    node: usize,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    let text = match ssh_output(ctx, node, super::topology::COMMAND, out).await {
        Ok(t) => t,
        Err(state) => return state,
    };
    for l in text.lines().take(200) {
        out.line(l).await;
    }
    let captured = super::topology::now_text();
    let name = node_name(ctx, node).unwrap_or_default();
    let topology = super::topology::parse(&text, &captured, "ssh");
    let problem = topology.problem.clone();
    let _ = tx
        .send(TaskMsg::App(Event::Topology { node, topology }))
        .await;
    if let (Some(dir), Some(node_name)) = (&ctx.state_dir, node_name(ctx, node))
        && let Some(p) = super::topology::cache_path(dir, &node_name)
        && let Err(e) = super::topology::write_cache(&p, &captured, &text)
    {
        out.line(&format!("cache {}: {e}", p.display())).await;
    }
    match problem {
        Some(p) => JobState::Failed(p),
        None => JobState::Ok(format!("topology of {name} read")),
    }
}

/// Installs, upgrades or verifies an exporter on one node (src/install).
async fn exporter(
    ctx: &Job<'_>,
    id: JobId,
    node: usize,
    req: &crate::app::jobs::ExporterRequest,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    use crate::install::{Action, ComponentKind};
    let config = match ctx.config.read() {
        Ok(c) => c.clone(),
        Err(_) => None,
    };
    let Some(config) = config else {
        return JobState::Failed(
            "the demo fleet has no config: exporters are installed on configured nodes".into(),
        );
    };
    let Some(node_cfg) = config.nodes.get(node) else {
        return JobState::Failed("this node is not in the config".into());
    };
    let Some(kind) = ComponentKind::parse(&req.component) else {
        return JobState::Failed(format!("unknown exporter {:?}", req.component));
    };
    let action = match req.action.as_str() {
        "install" => Action::Install,
        "upgrade" => Action::Upgrade,
        "verify" => Action::Verify,
        "rollback" => Action::Rollback,
        "uninstall" => Action::Uninstall,
        other => return JobState::Failed(format!("unknown action {other:?}")),
    };
    // The bundle is checked whole before anything is copied.
    let bundle = match &req.bundle {
        Some(path) => {
            out.line(&format!("checking bundle {path}")).await;
            let p = PathBuf::from(path);
            match tokio::task::spawn_blocking(move || crate::bundle::open_verified(&p)).await {
                Ok(Ok(b)) => Some(b),
                Ok(Err(e)) => return JobState::Failed(e.to_string()),
                Err(e) => return JobState::Failed(format!("bundle reader stopped: {e}")),
            }
        }
        None => None,
    };
    let component = match (&bundle, action) {
        (Some(b), Action::Install | Action::Upgrade) => {
            match b.manifest.find(kind.name(), req.version.as_deref()) {
                Some(c) => Some(c),
                None => return JobState::Failed(format!("the bundle has no {}", kind.name())),
            }
        }
        (None, Action::Install | Action::Upgrade) => {
            return JobState::Failed(format!("{} needs a bundle", req.action));
        }
        _ => None,
    };
    let mut ssh = ctx.ssh_options();
    ssh.sudo_password = req
        .sudo_password
        .as_ref()
        .map(|s| crate::ssh::SudoPassword(s.0.clone()));
    let job = crate::install::Job {
        action,
        kind,
        node: node_cfg,
        prefix: &config.install.prefix,
        component,
        bundle: bundle.as_ref(),
        ssh: &ssh,
        verify_timeout: Duration::from_secs(20),
        install_dcgm: req.install_dcgm,
    };
    // Progress lines go to the job's output as they come.
    let (ptx, mut prx) = mpsc::unbounded_channel::<String>();
    let mut progress = move |line: String| {
        let _ = ptx.send(line);
    };
    let run = crate::install::run(&job, &mut progress);
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            r = &mut run => break r,
            Some(line) = prx.recv() => out.line(&line).await,
        }
    };
    while let Ok(line) = prx.try_recv() {
        out.line(&line).await;
    }
    match result {
        Ok(outcome) => {
            // What runs now, for the fleet and node panes.
            let report = crate::app::jobs::ExporterReport {
                component: kind.name().to_string(),
                version: outcome.running_version().map(str::to_string),
                word: outcome.word().to_string(),
            };
            let _ = tx
                .send(TaskMsg::App(Event::Job(JobEvent::Exporter { id, report })))
                .await;
            JobState::Ok(format!("{} {outcome}", kind.name()))
        }
        Err(e) => {
            let why = e.to_string();
            out.line(&why).await;
            JobState::Failed(why)
        }
    }
}

/// Onboarding: each node looked at over SSH (host key, system, GPUs,
/// DCGM, exporters), up to `ssh.max_parallel` at once, a line each in the
/// job's output; then the preview goes to the app. Nothing is written here.
async fn onboard(
    ctx: &Job<'_>,
    id: JobId,
    req: &crate::app::jobs::OnboardRequest,
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    use crate::app::jobs::OnboardRequest;
    let nodes = match req {
        OnboardRequest::Nodes(n) => n.clone(),
        OnboardRequest::File(path) => {
            out.line(&format!("reading hosts from {path}")).await;
            let p = PathBuf::from(path);
            let read = tokio::task::spawn_blocking(move || {
                std::fs::read_to_string(&p)
                    .map_err(|e| format!("{}: {e}", p.display()))
                    .and_then(|t| {
                        crate::config::hosts::parse_hosts(&t, &p).map_err(|e| e.to_string())
                    })
            })
            .await;
            match read {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    out.line(&e).await;
                    return JobState::Failed(e);
                }
                Err(e) => return JobState::Failed(format!("hosts reader stopped: {e}")),
            }
        }
    };
    let config = ctx
        .config
        .read()
        .ok()
        .and_then(|c| c.clone())
        .unwrap_or_default();
    let (fresh, mut probes) = crate::onboard::split_known(nodes, &config);
    for p in &probes {
        if let Err(why) = &p.result {
            out.line(&format!("{}: {why}", p.node.name)).await;
        }
    }
    let total = (fresh.len() + probes.len()) as u32;
    let opts = ctx.ssh_options();
    let parallel = ctx.max_parallel;
    out.line(&format!(
        "looking at {} node(s) over SSH, up to {parallel} at once",
        fresh.len()
    ))
    .await;
    // A permit per node, shared with every other SSH job.
    let permits = &ctx.ssh_permits;
    let opts = &opts;
    let mut stream = std::pin::pin!(
        futures::stream::iter(fresh.into_iter().map(|n| async move {
            let _permit = permits.acquire().await;
            crate::onboard::probe(n, opts).await
        }))
        .buffered(parallel)
    );
    while let Some(p) = stream.next().await {
        match &p.result {
            Ok(found) => {
                out.line(&format!("{}: host key {}", p.node.name, found.host_key))
                    .await;
                let ports = [
                    ("node_exporter", p.node.exporters.node),
                    ("dcgm-exporter", p.node.exporters.dcgm),
                    ("all-smi", p.node.exporters.all_smi),
                ];
                for line in found.detection.summary(&ports) {
                    out.line(&format!("{}: {line}", p.node.name)).await;
                }
            }
            Err(why) => {
                out.line(&format!("{}: unreachable: {why}", p.node.name))
                    .await
            }
        }
        probes.push(p);
        let _ = tx
            .send(TaskMsg::App(Event::Job(JobEvent::Progress {
                id,
                done: probes.len() as u32,
                total,
            })))
            .await;
    }
    // The preview lists the nodes in the order they were given.
    let order: Vec<String> = match req {
        OnboardRequest::Nodes(n) => n.iter().map(|n| n.name.clone()).collect(),
        OnboardRequest::File(_) => Vec::new(),
    };
    probes.sort_by_key(|p| order.iter().position(|n| *n == p.node.name));
    let reachable = probes.iter().filter(|p| p.reachable()).count();
    let summary = format!(
        "{} node(s) looked at: {reachable} reachable, {} not; confirm in the preview",
        probes.len(),
        probes.len() - reachable
    );
    let rows = probes
        .iter()
        .map(|p| crate::app::onboard::PreviewRow {
            node: p.node.clone(),
            cells: p.cells(),
            reachable: p.reachable(),
            already_configured: p.already_configured(),
            topology: p.topology().map(str::to_string),
        })
        .collect();
    let preview = crate::app::onboard::OnboardPreview {
        job: id,
        rows,
        include_unreachable: false,
        scroll: 0,
    };
    let _ = tx
        .send(TaskMsg::App(Event::OnboardPreview(Box::new(preview))))
        .await;
    JobState::Ok(summary)
}

/// The preview confirmed: the nodes written to the config in one atomic
/// save, their topology captures cached and shown, and the fleet scraping
/// them.
async fn add_nodes(
    ctx: &Job<'_>,
    nodes: &[crate::app::jobs::NewNode],
    out: &mut Output,
    tx: &mpsc::Sender<TaskMsg>,
) -> JobState {
    let Some(path) = ctx.config_path.clone() else {
        return JobState::Failed("the demo fleet has no config file to add to".into());
    };
    let new: Vec<crate::config::NodeConfig> = nodes.iter().map(|n| n.node.clone()).collect();
    let names: Vec<String> = new.iter().map(|n| n.name.clone()).collect();
    out.line(&format!(
        "adding {} to {}",
        names.join(", "),
        path.display()
    ))
    .await;
    let written =
        tokio::task::spawn_blocking(move || crate::config::write::add_nodes(&path, &new)).await;
    let config = match written {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            let why = e.to_string();
            out.line(&why).await;
            return JobState::Failed(why);
        }
        Err(e) => return JobState::Failed(format!("config writer stopped: {e}")),
    };
    for n in nodes {
        let Some(index) = config.nodes.iter().position(|c| c.name == n.node.name) else {
            continue;
        };
        let c = &config.nodes[index];
        let spec = crate::domain::NodeSpec {
            name: c.name.clone(),
            address: c.ip.clone(),
            labels: c.labels.clone(),
        };
        let _ = tx.send(TaskMsg::App(Event::NodeAdded(spec))).await;
        if let Some(text) = &n.topology {
            let captured = super::topology::now_text();
            let topology = super::topology::parse(text, &captured, "onboarding");
            if topology.matrix.is_some() {
                if let Some(dir) = &ctx.state_dir
                    && let Some(p) = super::topology::cache_path(dir, &c.name)
                    && let Err(e) = super::topology::write_cache(&p, &captured, text)
                {
                    out.line(&format!("cache {}: {e}", p.display())).await;
                }
                let _ = tx
                    .send(TaskMsg::App(Event::Topology {
                        node: index,
                        topology,
                    }))
                    .await;
            }
        }
    }
    if let Ok(mut c) = ctx.config.write() {
        *c = Some(Arc::new(config.clone()));
    }
    // The installed stack scrapes them too: its target files, as the CLI's
    // `nodes add` rewrites them.
    let stack = crate::install::stack::sync_targets(&config, &ctx.ssh_options()).await;
    if let Some(line) = &stack {
        out.line(line).await;
    }
    let _ = tx.send(TaskMsg::Reconfigure(Box::new(config))).await;
    // The notice puts the job's target names before this: not twice.
    JobState::Ok(format!(
        "added to the config; scraping {} now{}",
        if names.len() == 1 { "it" } else { "them" },
        stack.map(|l| format!("; {l}")).unwrap_or_default()
    ))
}
