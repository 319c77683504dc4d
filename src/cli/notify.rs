//! `aami-tui notify render -o FILE` (the Alertmanager configuration for the
//! config's notifications) and `aami-tui notify test CHANNEL` (one test
//! message). Secrets come from `${ENV}` only and are never printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Subcommand, ValueEnum};

use super::{CliError, output};
use crate::alerts::notify;
use crate::config::{self, Config, locate};

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Write alertmanager.yml (receivers, route, inhibition) from the config.
    Render {
        /// Where to write it (mode 0600: it holds secrets). Never printed.
        #[arg(long, short = 'o', value_name = "FILE")]
        out: PathBuf,
    },
    /// Send a test message through one channel.
    Test {
        #[arg(value_enum)]
        channel: Channel,
        /// The outcome as JSON on standard output (secrets left out).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Channel {
    Slack,
    Email,
    Webhook,
}

/// The config, expanded, after checking the file wrote no secret in clear.
fn load(flag: Option<&Path>) -> color_eyre::Result<Config> {
    let src = locate(flag);
    let text = std::fs::read_to_string(&src.path)
        .map_err(|e| CliError::usage(format!("{}: {e}", src.path.display())))?;
    let raw = config::load::parse_unexpanded(&text, &src.path).map_err(CliError::usage)?;
    notify::check_secrets_from_env(&raw)
        .map_err(|e| CliError::usage(format!("{}: {e}", src.path.display())))?;
    Ok(config::load_file(&src.path).map_err(CliError::usage)?)
}

pub fn run(flag: Option<&Path>, cmd: NotifyCommand) -> color_eyre::Result<i32> {
    let config = load(flag)?;
    match cmd {
        NotifyCommand::Render { out } => {
            let text = notify::alertmanager_yaml(&config).map_err(CliError::usage)?;
            write_private(&out, &text)?;
            output::print(&format!(
                "wrote {} for {} (mode 0600: it holds secrets)\n",
                out.display(),
                notify::enabled(&config.notifications).join(", ")
            ))?;
            Ok(0)
        }
        NotifyCommand::Test { channel, json } => test(&config, channel, json),
    }
}

fn write_private(path: &Path, text: &str) -> color_eyre::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let r = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::unavailable(format!("cannot write {}: {e}", path.display())).into());
    }
    Ok(())
}

/// The outcome of `notify test --json`: never a URL or a password.
#[derive(Debug, serde::Serialize)]
struct TestReport {
    channel: &'static str,
    sent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<crate::alerts::email::Sent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl TestReport {
    fn new(channel: &'static str) -> Self {
        Self {
            channel,
            sent: false,
            http_status: None,
            email: None,
            error: None,
        }
    }
}

/// Prints the report (with `--json`) or `text`, or fails with the error.
fn finish_test(report: TestReport, json: bool, text: &str) -> color_eyre::Result<i32> {
    if json {
        output::print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    }
    match report.error {
        Some(e) => Err(CliError::unavailable(e).into()),
        None => {
            if !json {
                output::print(text)?;
            }
            Ok(0)
        }
    }
}

fn test_email(config: &Config, json: bool) -> color_eyre::Result<i32> {
    use crate::alerts::email::{self, EmailError};
    let Some(e) = config.notifications.email.as_ref().filter(|e| e.enabled) else {
        return Err(CliError::usage("notifications.email is not enabled in the config").into());
    };
    let rt = super::runtime()?;
    let mut report = TestReport::new("email");
    let text = match rt.block_on(email::send_test(e, &config.cluster.name)) {
        Ok(sent) => {
            let text = format!(
                "email: test message sent through {} ({}) to {}: {}\n",
                sent.server,
                sent.tls,
                sent.to.join(", "),
                sent.response
            );
            report.sent = true;
            report.email = Some(sent);
            text
        }
        Err(err @ EmailError::Config { .. }) => return Err(CliError::usage(err).into()),
        Err(EmailError::Server(why)) => {
            report.error = Some(why);
            String::new()
        }
    };
    finish_test(report, json, &text)
}

fn test(config: &Config, channel: Channel, json: bool) -> color_eyre::Result<i32> {
    let n = &config.notifications;
    let (name, url) = match channel {
        Channel::Slack => (
            "slack",
            n.slack
                .as_ref()
                .filter(|s| s.enabled)
                .map(|s| s.webhook_url.clone()),
        ),
        Channel::Webhook => (
            "webhook",
            n.webhook
                .as_ref()
                .filter(|w| w.enabled)
                .map(|w| w.url.clone()),
        ),
        Channel::Email => return test_email(config, json),
    };
    let Some(url) = url else {
        return Err(
            CliError::usage(format!("notifications.{name} is not enabled in the config")).into(),
        );
    };
    let body = notify::test_body(name, config, &config.cluster.name);
    let rt = super::runtime()?;
    let result = rt.block_on(async {
        reqwest::Client::new()
            .post(&url)
            .timeout(Duration::from_secs(10))
            .json(&body)
            .send()
            .await
    });
    // The URL is a secret: errors name the channel, never the URL.
    let mut report = TestReport::new(name);
    match result {
        Ok(r) => {
            let status = r.status().as_u16();
            report.http_status = Some(status);
            if r.status().is_success() {
                report.sent = true;
            } else {
                report.error = Some(format!("{name}: the endpoint answered HTTP {status}"));
            }
        }
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "cannot connect"
            } else {
                "request failed"
            };
            report.error = Some(format!("{name}: {why}"));
        }
    }
    let text = format!(
        "{name}: test message sent (HTTP {})\n",
        report.http_status.unwrap_or_default()
    );
    finish_test(report, json, &text)
}
