//! Where install steps run: on a host over SSH, or on this machine.
//!
//! The monitoring stack can live on the control node itself. Rather than
//! SSH to ourselves (an sshd, a key and a host key on the control node just
//! for this), the same command templates run through `sh -c` here: one set
//! of steps, one versioned layout and one rollback for both places, and
//! what the sshd tests prove holds for the local install too.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::{InstallError, failed};
use crate::ssh::{RemoteCommand, Session};

/// Most output kept from one local command, as for SSH.
const MAX_OUTPUT: usize = 8 << 20;

pub enum Runner {
    /// A logged-in session; commands run as root (directly or `sudo -n`).
    Ssh(Session),
    /// This machine, as the user running aami-tui.
    Local { command_timeout: Duration },
}

impl Runner {
    /// Where the steps run, for messages: the SSH host or `this machine`.
    pub fn place(&self) -> String {
        match self {
            Self::Ssh(s) => s.host.clone(),
            Self::Local { .. } => "this machine".into(),
        }
    }

    /// Runs `cmd` (stdin from `input`); its stdout, or an error carrying
    /// its stderr when it fails.
    pub async fn sh(
        &self,
        cmd: RemoteCommand,
        input: Option<&[u8]>,
    ) -> Result<String, InstallError> {
        let (ok, stdout, stderr) = match self {
            Self::Ssh(s) => {
                let out = s.exec_privileged(&cmd, input).await?;
                (out.success(), out.stdout, out.stderr)
            }
            Self::Local { command_timeout } => {
                tokio::time::timeout(*command_timeout, local(&cmd, input))
                    .await
                    .map_err(|_| {
                        failed(format!(
                            "a command on this machine did not finish within {}s",
                            command_timeout.as_secs()
                        ))
                    })??
            }
        };
        if !ok {
            return Err(failed(format!(
                "on {}: {}",
                self.place(),
                crate::text::sanitize_max(stderr.trim(), 300)
            )));
        }
        Ok(stdout)
    }

    pub async fn close(self) {
        if let Self::Ssh(s) = self {
            s.close().await;
        }
    }
}

async fn local(
    cmd: &RemoteCommand,
    input: Option<&[u8]>,
) -> Result<(bool, String, String), InstallError> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd.as_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(format!("cannot run sh on this machine: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        if let Some(data) = input {
            // A command that exits without reading its input is answered
            // by its exit status, not by this write's broken pipe.
            let _ = stdin.write_all(data).await;
        }
        drop(stdin);
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| failed(format!("sh on this machine: {e}")))?;
    let text = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(MAX_OUTPUT)]).into_owned();
    Ok((out.status.success(), text(&out.stdout), text(&out.stderr)))
}

impl super::upload::Shell for Runner {
    fn run(
        &self,
        cmd: RemoteCommand,
        input: Option<&[u8]>,
    ) -> impl std::future::Future<Output = Result<String, InstallError>> + Send {
        self.sh(cmd, input)
    }
}
