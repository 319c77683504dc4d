//! Putting a bundle file on a host: uploaded beside its place, re-hashed
//! there, and renamed into place only when the host's own sha256 matches
//! the bundle's. Exporter nodes and the stack's host both go through it.

use std::future::Future;

use super::{InstallError, failed};
use crate::bundle::Component;
use crate::ssh::RemoteCommand;

/// Where the upload's commands run: an exporter node's session or the
/// stack host's runner (SSH, or this machine).
pub(crate) trait Shell: Sync {
    fn run(
        &self,
        cmd: RemoteCommand,
        input: Option<&[u8]>,
    ) -> impl Future<Output = Result<String, InstallError>> + Send;
}

/// Writes `bytes` (the bundle's `c`) as `<vdir>/<file>` on `shell`,
/// naming the host as `place` in what it reports.
pub(crate) async fn upload_checked(
    shell: &impl Shell,
    vdir: &str,
    file: &str,
    c: &Component,
    bytes: &[u8],
    place: &str,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), InstallError> {
    let part = format!("{vdir}/{file}.part");
    progress(format!("uploading {} ({} bytes)", c.path, c.size));
    shell
        .run(
            RemoteCommand::template("mkdir -p {} && cat > {}", &[vdir, &part]),
            Some(bytes),
        )
        .await?;
    let sum = shell
        .run(RemoteCommand::template("sha256sum {}", &[&part]), None)
        .await?;
    let sum = sum.split_whitespace().next().unwrap_or("");
    if sum != c.sha256 {
        return Err(failed(format!(
            "the upload arrived damaged: sha256 on {place} {}, the bundle says {}",
            crate::text::sanitize_max(sum, 80),
            c.sha256
        )));
    }
    shell
        .run(
            RemoteCommand::template(
                "chmod 755 {} && mv -f {} {}",
                &[&part, &part, &format!("{vdir}/{file}")],
            ),
            None,
        )
        .await?;
    progress(format!("sha256 checked on {place}: {sum}"));
    Ok(())
}
