//! Background jobs as the app sees them: what was asked, on which nodes,
//! how far it got and how it ended. The runtime runs them and reports back
//! with [`JobEvent`]s; nothing here does I/O.

use std::time::{Duration, Instant};

use crate::domain::NodeId;

pub type JobId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Read a node's kernel log over SSH and scan it for Xids.
    KernelLogScan,
    /// Load a node's recent history from Prometheus (query mode).
    HistoryLoad,
    /// Write onboarded nodes to the config file (after the preview).
    AddNode,
    /// Look at new nodes over SSH for the onboarding preview.
    Onboard,
    /// Read a node's `nvidia-smi topo -m` and `nvlink --status` over SSH.
    TopologyCollect,
    /// Install, upgrade, verify, roll back or remove an exporter over SSH.
    Exporter,
    /// Create an Alertmanager silence.
    Silence,
    /// Expire an Alertmanager silence.
    ExpireSilence,
}

impl JobKind {
    pub fn word(self) -> &'static str {
        match self {
            JobKind::KernelLogScan => "kernel-log scan",
            JobKind::HistoryLoad => "history load",
            JobKind::AddNode => "add nodes",
            JobKind::Onboard => "onboard",
            JobKind::TopologyCollect => "topology",
            JobKind::Exporter => "exporter",
            JobKind::Silence => "silence",
            JobKind::ExpireSilence => "expire silence",
        }
    }

    /// Short, file-name safe.
    pub fn slug(self) -> &'static str {
        match self {
            JobKind::KernelLogScan => "klog",
            JobKind::HistoryLoad => "history",
            JobKind::AddNode => "add-node",
            JobKind::Onboard => "onboard",
            JobKind::TopologyCollect => "topology",
            JobKind::Exporter => "exporter",
            JobKind::Silence => "silence",
            JobKind::ExpireSilence => "expire-silence",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Ok(String),
    Failed(String),
    Cancelled,
}

impl JobState {
    pub fn is_active(&self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }

    pub fn word(&self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Ok(_) => "ok",
            JobState::Failed(_) => "failed",
            JobState::Cancelled => "cancelled",
        }
    }
}

/// What a job needs to run, handed to the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub id: JobId,
    pub kind: JobKind,
    pub targets: Vec<NodeId>,
    /// Extra input (the node to add, …). A secret in it (the sudo
    /// password) is of a type that never prints itself.
    pub input: JobInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobInput {
    None,
    /// The nodes to look at for the onboarding preview.
    Onboard(OnboardRequest),
    /// The nodes the operator confirmed in the preview.
    AddNodes(Vec<NewNode>),
    Exporter(ExporterRequest),
    Silence(SilenceDraft),
    /// The silence id.
    ExpireSilence(String),
}

/// What to do with which exporter, from the install form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterRequest {
    /// `install`, `upgrade`, `verify`, `rollback` or `uninstall`.
    pub action: String,
    /// `node_exporter`, `dcgm-exporter` or `all-smi`.
    pub component: String,
    /// The air-gap bundle (install and upgrade).
    pub bundle: Option<String>,
    pub version: Option<String>,
    /// For a user whose sudo wants one: fed to `sudo -S` on its standard
    /// input, never logged or shown.
    pub sudo_password: Option<Secret>,
    /// dcgm-exporter where DCGM is missing: install the bundle's DCGM
    /// packages.
    pub install_dcgm: bool,
}

/// A secret typed into a masked field (the sudo password): never printed,
/// its `Debug` included.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A silence typed into the silence form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceDraft {
    /// `name=value` matchers (also `!=`, `=~`, `!~`).
    pub matchers: Vec<String>,
    pub duration_s: u64,
    pub comment: String,
    pub author: String,
}

/// What onboarding looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnboardRequest {
    /// From the form: one node, or a pasted hosts list.
    Nodes(Vec<crate::config::NodeConfig>),
    /// `:onboard FILE`: a hosts file (`name [user@]address[:port]` lines).
    File(String),
}

/// A node to write, with the topology onboarding captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNode {
    pub node: crate::config::NodeConfig,
    pub topology: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub targets: Vec<NodeId>,
    /// Target names at submit time, for the log even if the fleet changes.
    pub target_names: Vec<String>,
    pub state: JobState,
    /// (done, total) steps, when the job knows.
    pub progress: Option<(u32, u32)>,
    pub submitted: Instant,
    pub started: Option<Instant>,
    pub finished: Option<Instant>,
    /// Captured output, newest last (the full copy is in the file).
    pub output: Vec<String>,
    /// Where the runtime keeps the full output.
    pub output_file: Option<String>,
    /// What an exporter job left running on its node, once it says.
    pub exporter: Option<ExporterReport>,
}

impl Job {
    /// Run time so far, or in all once finished.
    pub fn duration(&self, now: Instant) -> Option<Duration> {
        let start = self.started?;
        Some(
            self.finished
                .unwrap_or(now)
                .saturating_duration_since(start),
        )
    }
}

/// What an exporter job left on its node, reported before it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterReport {
    /// `node_exporter`, `dcgm-exporter` or `all-smi`.
    pub component: String,
    /// The version now running; `None` once uninstalled.
    pub version: Option<String>,
    /// What was done: `installed`, `upgraded`, `verified`, `rolled back`,
    /// `uninstalled`.
    pub word: String,
}

/// How far a job got, reported by the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEvent {
    Started {
        id: JobId,
        output_file: Option<String>,
    },
    Progress {
        id: JobId,
        done: u32,
        total: u32,
    },
    Output {
        id: JobId,
        line: String,
    },
    /// An exporter job's result on its node; it counts only if the job
    /// then finishes OK.
    Exporter {
        id: JobId,
        report: ExporterReport,
    },
    Finished {
        id: JobId,
        state: JobState,
    },
}

impl JobEvent {
    pub fn id(&self) -> JobId {
        match self {
            JobEvent::Started { id, .. }
            | JobEvent::Progress { id, .. }
            | JobEvent::Output { id, .. }
            | JobEvent::Exporter { id, .. }
            | JobEvent::Finished { id, .. } => *id,
        }
    }
}

/// Lines of output kept in memory per job.
pub const OUTPUT_LINES: usize = 2000;
/// Finished jobs kept in the log.
pub const KEPT_JOBS: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobBoard {
    jobs: Vec<Job>,
    next_id: JobId,
}

impl JobBoard {
    /// Queues a job unless one of the same kind is already active on any of
    /// its targets (pressing `l` ten times starts one scan, not ten).
    /// Returns the spec the runtime should run.
    pub fn submit(
        &mut self,
        kind: JobKind,
        targets: Vec<NodeId>,
        target_names: Vec<String>,
        input: JobInput,
        now: Instant,
    ) -> Result<JobSpec, JobId> {
        if let Some(busy) = self.jobs.iter().find(|j| {
            j.kind == kind && j.state.is_active() && j.targets.iter().any(|t| targets.contains(t))
        }) {
            return Err(busy.id);
        }
        self.next_id += 1;
        let id = self.next_id;
        self.jobs.push(Job {
            id,
            kind,
            targets: targets.clone(),
            target_names,
            state: JobState::Queued,
            progress: None,
            submitted: now,
            started: None,
            finished: None,
            output: Vec::new(),
            output_file: None,
            exporter: None,
        });
        if self.jobs.len() > KEPT_JOBS
            && let Some(old) = self.jobs.iter().position(|j| !j.state.is_active())
        {
            self.jobs.remove(old);
        }
        Ok(JobSpec {
            id,
            kind,
            targets,
            input,
        })
    }

    pub fn get(&self, id: JobId) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// Newest first: the action log's order.
    pub fn newest_first(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().rev()
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    pub fn active(&self) -> usize {
        self.jobs.iter().filter(|j| j.state.is_active()).count()
    }

    /// Applies a runtime report; returns the job when it just finished.
    pub fn apply(&mut self, ev: JobEvent, now: Instant) -> Option<&Job> {
        let job = self.jobs.iter_mut().find(|j| j.id == ev.id())?;
        match ev {
            JobEvent::Started { output_file, .. } => {
                if job.state == JobState::Queued {
                    job.state = JobState::Running;
                }
                job.started = Some(now);
                job.output_file = output_file;
            }
            JobEvent::Progress { done, total, .. } => job.progress = Some((done, total)),
            JobEvent::Output { line, .. } => {
                if job.output.len() >= OUTPUT_LINES {
                    job.output.remove(0);
                }
                job.output.push(crate::text::sanitize(&line));
            }
            JobEvent::Exporter { report, .. } => job.exporter = Some(report),
            JobEvent::Finished { state, .. } => {
                if !job.state.is_active() {
                    return None;
                }
                job.state = state;
                job.finished = Some(now);
                job.started.get_or_insert(now);
                return Some(job);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_active_job_of_a_kind_per_node() {
        let mut b = JobBoard::default();
        let now = Instant::now();
        let names = || vec!["n".to_string()];
        let first = b
            .submit(
                JobKind::KernelLogScan,
                vec![1],
                names(),
                JobInput::None,
                now,
            )
            .expect("first");
        for _ in 0..9 {
            assert_eq!(
                b.submit(
                    JobKind::KernelLogScan,
                    vec![1],
                    names(),
                    JobInput::None,
                    now
                ),
                Err(first.id)
            );
        }
        assert!(
            b.submit(JobKind::HistoryLoad, vec![1], names(), JobInput::None, now)
                .is_ok()
        );
        assert!(
            b.submit(
                JobKind::KernelLogScan,
                vec![2],
                names(),
                JobInput::None,
                now
            )
            .is_ok()
        );
        b.apply(
            JobEvent::Finished {
                id: first.id,
                state: JobState::Failed("refused".into()),
            },
            now,
        );
        assert!(
            b.submit(
                JobKind::KernelLogScan,
                vec![1],
                names(),
                JobInput::None,
                now
            )
            .is_ok(),
            "a finished job frees the node"
        );
        assert_eq!(b.len(), 4);
    }

    #[test]
    fn durations_and_output() {
        let mut b = JobBoard::default();
        let t0 = Instant::now();
        let s = b
            .submit(JobKind::KernelLogScan, vec![0], vec![], JobInput::None, t0)
            .expect("queued");
        b.apply(
            JobEvent::Started {
                id: s.id,
                output_file: None,
            },
            t0,
        );
        b.apply(
            JobEvent::Output {
                id: s.id,
                line: "NVRM: Xid \u{1b}[31m79".into(),
            },
            t0,
        );
        let t1 = t0 + Duration::from_secs(3);
        let done = b
            .apply(
                JobEvent::Finished {
                    id: s.id,
                    state: JobState::Ok("1 Xid".into()),
                },
                t1,
            )
            .expect("finished");
        assert_eq!(
            done.duration(t1 + Duration::from_secs(9)),
            Some(Duration::from_secs(3))
        );
        assert!(!done.output[0].contains('\u{1b}'), "output is sanitised");
    }
}
