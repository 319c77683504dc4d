//! Notifications: the config's `notifications.slack|email|webhook` as an
//! Alertmanager configuration (receivers, the route, inhibition), and the
//! test message `notify test` sends. Critical alerts go out at once and
//! repeat every 4 hours; warnings are grouped; a critical alert inhibits the
//! warning of the same alert name and instance.

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use crate::config::{Config, Notifications};

/// Why notifications cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notifications.{field}: {message}")]
pub struct NotifyError {
    pub field: String,
    pub message: String,
}

/// The channels a config enables, by name.
pub fn enabled(n: &Notifications) -> Vec<&'static str> {
    let mut out = Vec::new();
    if n.slack.as_ref().is_some_and(|s| s.enabled) {
        out.push("slack");
    }
    if n.email.as_ref().is_some_and(|e| e.enabled) {
        out.push("email");
    }
    if n.webhook.as_ref().is_some_and(|w| w.enabled) {
        out.push("webhook");
    }
    out
}

/// Refuses a secret written into the file instead of `${ENV}`: `raw` is the
/// config as written (unexpanded).
pub fn check_secrets_from_env(raw: &Config) -> Result<(), NotifyError> {
    let from_env = |v: &str| v.trim().starts_with("${");
    if let Some(s) = raw.notifications.slack.as_ref().filter(|s| s.enabled)
        && !from_env(&s.webhook_url)
    {
        return Err(NotifyError {
            field: "slack.webhook_url".into(),
            message:
                "the webhook URL is a secret: write it as ${SLACK_WEBHOOK_URL} and set the variable"
                    .into(),
        });
    }
    if let Some(e) = raw.notifications.email.as_ref().filter(|e| e.enabled)
        && let Some(p) = &e.password
        && !from_env(p)
    {
        return Err(NotifyError {
            field: "email.password".into(),
            message: "write the password as ${SMTP_PASSWORD} and set the variable".into(),
        });
    }
    Ok(())
}

#[derive(Serialize)]
struct Route {
    receiver: String,
    group_by: Vec<String>,
    group_wait: String,
    group_interval: String,
    repeat_interval: String,
    routes: Vec<SubRoute>,
}

#[derive(Serialize)]
struct SubRoute {
    matchers: Vec<String>,
    receiver: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_by: Option<Vec<String>>,
    group_wait: String,
    group_interval: String,
    repeat_interval: String,
}

/// The Alertmanager configuration for `config` (secrets expanded: write it
/// to a file only, never print it).
pub fn alertmanager_yaml(config: &Config) -> Result<String, NotifyError> {
    let n = &config.notifications;
    let channels = enabled(n);
    if channels.is_empty() {
        return Err(NotifyError {
            field: "*".into(),
            message: "no channel is enabled (slack, email or webhook with enabled: true)".into(),
        });
    }
    let mut receiver = Mapping::new();
    receiver.insert("name".into(), "aami".into());
    let mut global = Mapping::new();
    global.insert("resolve_timeout".into(), "5m".into());
    if let Some(s) = n.slack.as_ref().filter(|s| s.enabled) {
        let mut c = Mapping::new();
        c.insert("api_url".into(), s.webhook_url.clone().into());
        if let Some(ch) = &s.channel {
            c.insert("channel".into(), ch.clone().into());
        }
        c.insert("send_resolved".into(), true.into());
        c.insert(
            "title".into(),
            "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .Alerts | len }})".into(),
        );
        c.insert(
            "text".into(),
            "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n{{ end }}".into(),
        );
        receiver.insert(
            "slack_configs".into(),
            Value::Sequence(vec![Value::Mapping(c)]),
        );
    }
    if let Some(e) = n.email.as_ref().filter(|e| e.enabled) {
        global.insert(
            "smtp_smarthost".into(),
            format!("{}:{}", e.smtp_host, e.port()).into(),
        );
        global.insert("smtp_from".into(), e.from.clone().into());
        global.insert("smtp_require_tls".into(), e.require_tls().into());
        if let Some(u) = &e.username {
            global.insert("smtp_auth_username".into(), u.clone().into());
        }
        if let Some(p) = &e.password {
            global.insert("smtp_auth_password".into(), p.clone().into());
        }
        let mut c = Mapping::new();
        c.insert("to".into(), e.to.join(", ").into());
        c.insert("send_resolved".into(), true.into());
        if let Some(ca) = &e.ca_file {
            let mut tls = Mapping::new();
            tls.insert("ca_file".into(), ca.clone().into());
            c.insert("tls_config".into(), Value::Mapping(tls));
        }
        receiver.insert(
            "email_configs".into(),
            Value::Sequence(vec![Value::Mapping(c)]),
        );
    }
    if let Some(w) = n.webhook.as_ref().filter(|w| w.enabled) {
        let mut c = Mapping::new();
        c.insert("url".into(), w.url.clone().into());
        c.insert("send_resolved".into(), true.into());
        receiver.insert(
            "webhook_configs".into(),
            Value::Sequence(vec![Value::Mapping(c)]),
        );
    }
    let by = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let route = Route {
        receiver: "aami".into(),
        group_by: by(&["alertname", "instance"]),
        group_wait: "30s".into(),
        group_interval: "5m".into(),
        repeat_interval: "12h".into(),
        routes: vec![
            // Critical: at once, and again every 4 hours while it fires.
            SubRoute {
                matchers: vec!["severity=\"critical\"".into()],
                receiver: "aami".into(),
                group_by: None,
                group_wait: "0s".into(),
                group_interval: "1m".into(),
                repeat_interval: "4h".into(),
            },
            // Warnings: grouped by rule, in one message a few minutes apart.
            SubRoute {
                matchers: vec!["severity=\"warning\"".into()],
                receiver: "aami".into(),
                group_by: Some(by(&["alertname"])),
                group_wait: "2m".into(),
                group_interval: "10m".into(),
                repeat_interval: "12h".into(),
            },
        ],
    };
    let mut inhibit = Mapping::new();
    inhibit.insert(
        "source_matchers".into(),
        Value::Sequence(vec!["severity=\"critical\"".into()]),
    );
    inhibit.insert(
        "target_matchers".into(),
        Value::Sequence(vec!["severity=\"warning\"".into()]),
    );
    inhibit.insert(
        "equal".into(),
        Value::Sequence(vec!["alertname".into(), "instance".into()]),
    );
    let mut doc = Mapping::new();
    doc.insert("global".into(), Value::Mapping(global));
    doc.insert(
        "route".into(),
        serde_yaml::to_value(&route).map_err(|e| NotifyError {
            field: "*".into(),
            message: e.to_string(),
        })?,
    );
    doc.insert(
        "inhibit_rules".into(),
        Value::Sequence(vec![Value::Mapping(inhibit)]),
    );
    doc.insert(
        "receivers".into(),
        Value::Sequence(vec![Value::Mapping(receiver)]),
    );
    let text = serde_yaml::to_string(&Value::Mapping(doc)).map_err(|e| NotifyError {
        field: "*".into(),
        message: e.to_string(),
    })?;
    Ok(format!(
        "# Written by `aami-tui notify render` from the config's notifications ({}).\n# Holds secrets from the environment: keep it private.\n{text}",
        channels.join(", ")
    ))
}

/// The body `notify test` posts: Alertmanager's webhook format (version 4)
/// for a webhook, Slack's `text` for Slack.
pub fn test_body(channel: &str, config: &Config, cluster: &str) -> Value {
    let text = format!("aami-tui test notification from cluster {cluster}: this channel works.");
    match channel {
        "slack" => {
            let mut m = Mapping::new();
            m.insert("text".into(), text.into());
            if let Some(ch) = config.notifications.slack.as_ref().and_then(|s| s.channel.clone()) {
                m.insert("channel".into(), ch.into());
            }
            Value::Mapping(m)
        }
        _ => serde_json::from_value(serde_json::json!({
            "version": "4",
            "status": "firing",
            "receiver": "aami",
            "groupKey": "aami-test",
            "commonLabels": {"alertname": "AamiTestNotification", "severity": "info"},
            "commonAnnotations": {"summary": text},
            "alerts": [{
                "status": "firing",
                "labels": {"alertname": "AamiTestNotification", "severity": "info", "cluster": cluster},
                "annotations": {"summary": text},
            }],
        }))
        .unwrap_or(Value::Null),
    }
}
