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
        NotifyCommand::Test { channel } => test(&config, channel),
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

fn test(config: &Config, channel: Channel) -> color_eyre::Result<i32> {
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
        Channel::Email => {
            return Err(CliError::usage(
                "notify test email is not supported yet: render the config and use `amtool` or Alertmanager's own test",
            )
            .into());
        }
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
    match result {
        Ok(r) if r.status().is_success() => {
            output::print(&format!(
                "{name}: test message sent (HTTP {})\n",
                r.status().as_u16()
            ))?;
            Ok(0)
        }
        Ok(r) => Err(CliError::unavailable(format!(
            "{name}: the endpoint answered HTTP {}",
            r.status().as_u16()
        ))
        .into()),
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else {
                "request failed".to_string()
            };
            Err(CliError::unavailable(format!("{name}: {why}")).into())
        }
    }
}
