//! Query mode's alerts from Prometheus (`/api/v1/alerts`) and Alertmanager
//! (`/api/v2/alerts`, silences), as the runtime last read them, and the
//! silence form and list built on them. No I/O: the runtime polls and runs
//! the silence jobs.

use std::collections::BTreeMap;

use super::form::{Check, Field, Form, FormPurpose};
use super::jobs::{JobInput, JobKind, SilenceDraft};
use super::mode::Overlay;
use super::text_input::TextInput;
use super::{App, Request};
use crate::alerts::alertmanager::{AmAlert, Matcher, PromAlert, Silence};

/// What the runtime last read; `None` where that API is not configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteAlerts {
    pub prometheus: Option<Result<Vec<PromAlert>, String>>,
    pub alertmanager: Option<Result<Vec<AmAlert>, String>>,
    pub silences: Option<Result<Vec<Silence>, String>>,
}

impl RemoteAlerts {
    /// The errors to show above the alerts (the pane stays usable).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(Err(e)) = &self.prometheus {
            out.push(format!("Prometheus alerts: {e}"));
        }
        if let Some(Err(e)) = &self.alertmanager {
            out.push(format!("Alertmanager: {e}"));
        }
        out
    }

    /// Silences still in force (active or pending), soonest end first.
    pub fn live_silences(&self) -> Vec<&Silence> {
        let mut v: Vec<&Silence> = match &self.silences {
            Some(Ok(list)) => list
                .iter()
                .filter(|s| s.status.state != "expired")
                .collect(),
            _ => Vec::new(),
        };
        v.sort_by(|a, b| a.ends_at.cmp(&b.ends_at));
        v
    }
}

/// Where the runtime reads remote alerts, set from the config at start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteConfig {
    pub prometheus_url: Option<String>,
    pub alertmanager_url: Option<String>,
}

impl App {
    /// `s` on an alert: the silence form, matchers from the alert's labels.
    pub fn open_silence_form(&mut self) {
        if self.remote_config.alertmanager_url.is_none() {
            self.notice =
                Some("no Alertmanager configured: set alertmanager.url to create silences".into());
            return;
        }
        let Some(row) = self.alert_rows().get(self.ui.alert_selected).cloned() else {
            return;
        };
        let mut labels: BTreeMap<String, String> = row.labels.clone();
        if labels.is_empty() {
            // An alert of the in-process engine: the labels its rendered
            // rule carries in Prometheus.
            labels.insert("alertname".into(), row.rule.clone());
            if let Some(n) = row.node.and_then(|n| self.fleet.nodes.get(n)) {
                labels.insert("instance".into(), n.spec.address.clone());
            }
            if let Some(g) = row.gpu {
                labels.insert("gpu".into(), g.to_string());
            }
        }
        let matchers = crate::alerts::alertmanager::matchers_for(&labels)
            .iter()
            .map(|m| format!("{}={}", m.name, m.value))
            .collect::<Vec<_>>()
            .join(", ");
        let prefilled = |label: &str, check, hint: &str, value: &str| Field {
            input: TextInput::new(value),
            ..Field::text(label, check, hint)
        };
        self.mode.push_overlay(Overlay::Form(Form::new(
            "Silence an alert",
            FormPurpose::Silence,
            vec![
                prefilled(
                    "Matchers",
                    Check::Matchers,
                    "alertname=…, instance=…",
                    &matchers,
                ),
                prefilled("Duration", Check::Duration, "2h", "2h"),
                Field::text("Comment", Check::Required, "why (required)"),
                prefilled("Author", Check::Required, "your name", &self.user),
            ],
        )));
    }

    /// The silence form was submitted with valid fields.
    pub(super) fn submit_silence(&mut self, form: &Form) {
        let v = |l: &str| form.value(l).unwrap_or_default();
        let matchers: Vec<String> = split_matchers(&v("Matchers"));
        let duration_s = crate::config::parse_duration(&v("Duration"))
            .map(|d| d.as_secs())
            .unwrap_or(7200);
        let draft = SilenceDraft {
            matchers: matchers.clone(),
            duration_s,
            comment: v("Comment"),
            author: v("Author"),
        };
        match self.jobs.submit(
            JobKind::Silence,
            Vec::new(),
            vec![matchers.join(",")],
            JobInput::Silence(draft),
            self.now,
        ) {
            Ok(spec) => {
                self.requests.push(Request::RunJob(spec));
                self.notice = Some("creating the silence…".into());
            }
            Err(job) => self.notice = Some(format!("job {job} is creating a silence already")),
        }
    }

    /// `:silences`: the list of silences in force; `x` expires one.
    pub fn open_silences(&mut self) {
        if self.remote_config.alertmanager_url.is_none() {
            self.notice = Some("no Alertmanager configured: set alertmanager.url".into());
            return;
        }
        self.requests.push(Request::ReloadRemote);
        self.mode.push_overlay(Overlay::Silences { selected: 0 });
    }

    /// `x` in the silences list: expire the selected one.
    pub(super) fn expire_selected_silence(&mut self, selected: usize) {
        let Some(s) = self
            .remote
            .live_silences()
            .get(selected)
            .map(|s| s.id.clone())
        else {
            return;
        };
        match self.jobs.submit(
            JobKind::ExpireSilence,
            Vec::new(),
            vec![s.clone()],
            JobInput::ExpireSilence(s.clone()),
            self.now,
        ) {
            Ok(spec) => {
                self.requests.push(Request::RunJob(spec));
                self.notice = Some(format!("expiring silence {s}…"));
            }
            Err(job) => self.notice = Some(format!("job {job} is expiring a silence already")),
        }
    }
}

/// `a=b, c=~d` → `["a=b", "c=~d"]`.
pub fn split_matchers(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect()
}

/// Checks a comma-separated matcher list.
pub fn check_matchers(s: &str) -> Result<(), String> {
    let list = split_matchers(s);
    if list.is_empty() {
        return Err("at least one matcher, like alertname=GpuTooHot".into());
    }
    for m in list {
        Matcher::parse(&m)?;
    }
    Ok(())
}
