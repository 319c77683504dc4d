//! Onboarding in the TUI: the form (one node, or a pasted hosts list), the
//! job that looks at each node over SSH, and the preview it ends with: one
//! row per node. Enter writes the reachable nodes to the config in one
//! atomic save (a second job); `u` adds the unreachable ones; Esc writes
//! nothing.

use super::form::{Check, Field, Form, FormPurpose};
use super::jobs::{JobId, JobInput, JobKind, NewNode, OnboardRequest};
use super::mode::{Overlay, OverlayKind};
use super::{App, Request};
use crate::config::NodeConfig;

/// One node of the preview, as the runtime found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub node: NodeConfig,
    /// The table's cells: name, address, system, GPUs, DCGM, exporters,
    /// host key (or why it could not be reached).
    pub cells: Vec<String>,
    pub reachable: bool,
    /// Skipped: the config has it already (never written again).
    pub already_configured: bool,
    /// The topology capture, for the pane and its cache.
    pub topology: Option<String>,
}

/// What the onboarding job found, waiting for the operator's word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardPreview {
    pub job: JobId,
    pub rows: Vec<PreviewRow>,
    /// `u`: write the unreachable nodes too.
    pub include_unreachable: bool,
    pub scroll: u16,
}

impl OnboardPreview {
    pub fn reachable(&self) -> usize {
        self.rows.iter().filter(|p| p.reachable).count()
    }

    /// The rows Enter would write now: the reachable, and the unreachable
    /// after `u` (never one the config has already).
    pub fn to_write(&self) -> Vec<&PreviewRow> {
        self.rows
            .iter()
            .filter(|r| r.reachable || (self.include_unreachable && !r.already_configured))
            .collect()
    }
}

/// The hosts-list field: `name address` entries, one a line when pasted,
/// `;` between them when typed.
pub const HOSTS_FIELD: &str = "Hosts";

/// Entries of the hosts field as hosts-file lines.
fn hosts_text(v: &str) -> String {
    v.split([';', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses the hosts field (`name [user@]address[:port]` entries).
pub fn parse_hosts_field(v: &str) -> Result<Vec<NodeConfig>, String> {
    crate::config::hosts::parse_hosts(&hosts_text(v), std::path::Path::new("hosts")).map_err(|e| {
        match e {
            crate::config::ConfigError::HostsFile { lines, .. } => lines
                .iter()
                .map(|(n, m)| format!("entry {n}: {m}"))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    })
}

impl App {
    pub fn open_add_node_form(&mut self) {
        if !self.can_add_nodes {
            self.notice =
                Some("no config file backs this fleet: nodes are added with a config".into());
            return;
        }
        self.mode.push_overlay(Overlay::Form(Form::new(
            "Add nodes",
            FormPurpose::AddNode,
            vec![
                Field::text("Name", Check::Name, "gpu-node-17").unless_filled(HOSTS_FIELD),
                Field::text("Address", Check::Host, "10.0.0.17 or a host name")
                    .unless_filled(HOSTS_FIELD),
                Field::text("SSH user", Check::Optional, "root"),
                Field::text("SSH port", Check::Port, "22"),
                Field::text("SSH key", Check::Optional, "~/.ssh/id_ed25519"),
                Field::text("Labels", Check::Labels, "rack=r1,gpu_type=h100"),
                Field::text(
                    HOSTS_FIELD,
                    Check::Hosts,
                    "or paste a hosts list: name address, a line each",
                ),
            ],
        )));
    }

    /// The add form, submitted: its nodes (the one typed, the pasted
    /// list, or both) go to the onboarding job; a name already in the
    /// fleet sends the form back with the reason.
    pub(super) fn submit_add_node_form(&mut self, form: Form) {
        let v = |l: &str| form.value(l).unwrap_or_default();
        let user = Some(v("SSH user")).filter(|s| !s.is_empty());
        let port = v("SSH port").parse().ok();
        let key = Some(v("SSH key")).filter(|s| !s.is_empty());
        let labels: std::collections::BTreeMap<String, String> = v("Labels")
            .split(',')
            .filter_map(|p| p.split_once('='))
            .map(|(k, val)| (k.trim().to_string(), val.trim().to_string()))
            .collect();
        let mut nodes = Vec::new();
        if !v("Name").is_empty() {
            nodes.push(NodeConfig {
                name: v("Name"),
                ip: v("Address"),
                ..NodeConfig::default()
            });
        }
        // Checked by the field already.
        nodes.extend(parse_hosts_field(&v(HOSTS_FIELD)).unwrap_or_default());
        for n in &mut nodes {
            n.ssh_user = n.ssh_user.take().or(user.clone());
            n.ssh_port = n.ssh_port.or(port);
            n.ssh_key = key.clone();
            n.labels = labels.clone();
        }
        let taken: Vec<String> = nodes
            .iter()
            .filter(|n| self.fleet.nodes.iter().any(|f| f.spec.name == n.name))
            .map(|n| n.name.clone())
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let twice: Vec<String> = nodes
            .iter()
            .filter(|n| !seen.insert(n.name.clone()))
            .map(|n| n.name.clone())
            .collect();
        if !taken.is_empty() || !twice.is_empty() {
            let single = taken.len() == 1 && taken[0] == v("Name");
            let mut form = form;
            let label = if single { "Name" } else { HOSTS_FIELD };
            let why = if !taken.is_empty() {
                format!("{} already in the fleet", taken.join(", "))
            } else {
                format!("{} named twice", twice.join(", "))
            };
            if let Some(i) = form.fields.iter().position(|f| f.label == label) {
                form.fields[i].error = Some(if single {
                    format!("{} is already in the fleet", taken[0])
                } else {
                    why
                });
                form.focus = i;
            }
            self.mode.push_overlay(Overlay::Form(form));
            return;
        }
        self.start_onboarding(OnboardRequest::Nodes(nodes));
    }

    /// `:onboard FILE`: a hosts file, read by the job.
    pub fn onboard_file(&mut self, path: &str) {
        if !self.can_add_nodes {
            self.notice =
                Some("no config file backs this fleet: nodes are added with a config".into());
            return;
        }
        self.start_onboarding(OnboardRequest::File(path.to_string()));
    }

    fn start_onboarding(&mut self, req: OnboardRequest) {
        let names = match &req {
            OnboardRequest::Nodes(n) => n.iter().map(|n| n.name.clone()).collect(),
            OnboardRequest::File(f) => vec![f.clone()],
        };
        let what = match &req {
            OnboardRequest::Nodes(n) if n.len() == 1 => n[0].name.clone(),
            OnboardRequest::Nodes(n) => format!("{} nodes", n.len()),
            OnboardRequest::File(f) => f.clone(),
        };
        match self.jobs.submit(
            JobKind::Onboard,
            Vec::new(),
            names,
            JobInput::Onboard(req),
            self.now,
        ) {
            Ok(spec) => {
                self.requests.push(Request::RunJob(spec));
                self.notice = Some(format!(
                    "looking at {what} over SSH; the preview opens when done  (L: action log)"
                ));
            }
            Err(job) => self.notice = Some(format!("job {job} is onboarding already")),
        }
    }

    /// The onboarding job is done: its preview opens.
    pub(super) fn show_onboard_preview(&mut self, preview: OnboardPreview) {
        self.mode.push_overlay(Overlay::Onboard(Box::new(preview)));
    }

    /// Enter on the preview: the nodes to write go to the write job.
    pub(super) fn confirm_onboard(&mut self) {
        let Some(Overlay::Onboard(p)) = self.mode.remove_overlay(OverlayKind::Onboard) else {
            return;
        };
        let nodes: Vec<NewNode> = p
            .to_write()
            .into_iter()
            .map(|r| NewNode {
                node: r.node.clone(),
                topology: r.topology.clone(),
            })
            .collect();
        if nodes.is_empty() {
            self.notice = Some("no node to write: none was reachable (u includes them)".into());
            return;
        }
        let names: Vec<String> = nodes.iter().map(|n| n.node.name.clone()).collect();
        match self.jobs.submit(
            JobKind::AddNode,
            Vec::new(),
            names.clone(),
            JobInput::AddNodes(nodes),
            self.now,
        ) {
            Ok(spec) => {
                self.requests.push(Request::RunJob(spec));
                self.notice = Some(format!("adding {} to the config…", names.join(", ")));
            }
            Err(job) => self.notice = Some(format!("job {job} is adding nodes already")),
        }
    }

    /// Esc on the preview: nothing is written.
    pub(super) fn cancel_onboard(&mut self) {
        if let Some(Overlay::Onboard(p)) = self.mode.remove_overlay(OverlayKind::Onboard) {
            self.notice = Some(format!(
                "onboarding cancelled: none of the {} node(s) was written",
                p.rows.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_field_entries() {
        let nodes = parse_hosts_field("a 10.0.0.1; b ops@10.0.0.2:2222\nc h.lab").expect("ok");
        let got: Vec<(&str, &str)> = nodes
            .iter()
            .map(|n| (n.name.as_str(), n.ip.as_str()))
            .collect();
        assert_eq!(got, [("a", "10.0.0.1"), ("b", "10.0.0.2"), ("c", "h.lab")]);
        assert_eq!(nodes[1].ssh_port, Some(2222));
        let e = parse_hosts_field("a 10.0.0.1; b").unwrap_err();
        assert!(e.starts_with("entry 2:"), "{e}");
    }
}

#[cfg(test)]
mod preview_tests {
    use super::*;
    use crate::app::jobs::JobSpec;
    use crate::app::{Action, Origin};
    use crate::domain::Fleet;
    use std::time::Instant;

    fn probe(name: &str, ok: bool) -> PreviewRow {
        PreviewRow {
            node: NodeConfig {
                name: name.into(),
                ip: "127.0.0.1".into(),
                ..NodeConfig::default()
            },
            cells: vec![name.into()],
            reachable: ok,
            already_configured: false,
            topology: ok.then(|| "\tGPU0\n".to_string()),
        }
    }

    fn app_with_preview() -> App {
        let mut app = App::new(Fleet::new("c", Vec::new(), 4), Origin::Live, Instant::now());
        app.can_add_nodes = true;
        app.show_onboard_preview(OnboardPreview {
            job: 1,
            rows: vec![probe("a", true), probe("b", false)],
            include_unreachable: false,
            scroll: 0,
        });
        app
    }

    fn written(app: &App) -> Vec<(String, bool)> {
        let [
            Request::RunJob(JobSpec {
                input: JobInput::AddNodes(nodes),
                ..
            }),
        ] = app.requests.as_slice()
        else {
            panic!("{:?}", app.requests);
        };
        nodes
            .iter()
            .map(|n| (n.node.name.clone(), n.topology.is_some()))
            .collect()
    }

    #[test]
    fn enter_writes_the_reachable_u_adds_the_rest_esc_nothing() {
        let mut app = app_with_preview();
        app.apply(Action::Confirm);
        assert_eq!(written(&app), [("a".to_string(), true)]);
        assert!(app.mode.overlay().is_none());

        let mut app = app_with_preview();
        app.apply(Action::IncludeUnreachable);
        app.apply(Action::Submit);
        assert_eq!(
            written(&app),
            [("a".to_string(), true), ("b".to_string(), false)]
        );

        let mut app = app_with_preview();
        app.apply(Action::Back);
        assert!(app.requests.is_empty());
        assert!(app.mode.overlay().is_none());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("none of the 2")),
            "{:?}",
            app.notice
        );
    }
}
