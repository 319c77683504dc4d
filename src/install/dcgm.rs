//! DCGM, which dcgm-exporter needs on the node: found (nv-hostengine or
//! libdcgm, as onboarding's detection looks), or said exactly missing; and
//! when the bundle carries DCGM packages (entries named `dcgm`, each a
//! `.deb` or `.rpm`) and the operator said so, installed from those files
//! with the node's package manager, never from the internet (`dpkg -i` /
//! `rpm -U` on the uploaded files, no apt or dnf repository involved).

use crate::bundle::{Bundle, Component};
use crate::ssh::RemoteCommand;

/// The bundle entries that are DCGM packages.
pub const BUNDLE_NAME: &str = "dcgm";

/// What the node has of DCGM, and which package tools.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DcgmState {
    pub hostengine: bool,
    pub library: bool,
    pub dpkg: bool,
    pub rpm: bool,
}

/// The fixed check: one word a line for what is there.
pub fn check_command() -> RemoteCommand {
    RemoteCommand::template(
        "command -v nv-hostengine >/dev/null 2>&1 && echo hostengine; \
         ls /usr/lib/*/libdcgm.so* /usr/lib64/libdcgm.so* 2>/dev/null | grep -q . && echo library; \
         command -v dpkg >/dev/null 2>&1 && echo dpkg; \
         command -v rpm >/dev/null 2>&1 && echo rpm; true",
        &[],
    )
}

impl DcgmState {
    pub fn parse(out: &str) -> Self {
        let has = |w: &str| out.lines().any(|l| l.trim() == w);
        Self {
            hostengine: has("hostengine"),
            library: has("library"),
            dpkg: has("dpkg"),
            rpm: has("rpm"),
        }
    }

    /// DCGM is there as onboarding counts it: either piece.
    pub fn present(&self) -> bool {
        self.hostengine || self.library
    }

    /// Exactly what is missing, for the message.
    pub fn missing(&self) -> String {
        "no nv-hostengine on PATH and no libdcgm.so in /usr/lib/*/ or /usr/lib64/".into()
    }
}

/// A package file's kind, from its first bytes (the bundle names every
/// file after its entry, so the extension is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageKind {
    Deb,
    Rpm,
}

impl PackageKind {
    pub fn of(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"!<arch>\ndebian-binary") {
            Some(Self::Deb)
        } else if bytes.starts_with(&[0xed, 0xab, 0xee, 0xdb]) {
            Some(Self::Rpm)
        } else {
            None
        }
    }

    pub fn tool(self) -> &'static str {
        match self {
            Self::Deb => "dpkg",
            Self::Rpm => "rpm",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Rpm => "rpm",
        }
    }

    /// Installs every package uploaded into `dir` (a directory aami made
    /// for them, holding nothing else), in one transaction, from the files
    /// alone.
    pub fn install_command(self, dir: &str) -> RemoteCommand {
        match self {
            Self::Deb => {
                RemoteCommand::template("DEBIAN_FRONTEND=noninteractive dpkg -i {}/*.deb", &[dir])
            }
            Self::Rpm => RemoteCommand::template("rpm -U --replacepkgs {}/*.rpm", &[dir]),
        }
    }
}

/// The bundle's DCGM packages the node can install: those of its package
/// tool (dpkg before rpm), with their bytes.
pub fn packages_for<'b>(
    bundle: &'b Bundle,
    node: &DcgmState,
) -> Vec<(&'b Component, PackageKind, &'b [u8])> {
    let mut found: Vec<(&Component, PackageKind, &[u8])> = bundle
        .manifest
        .components
        .iter()
        .filter(|c| c.name == BUNDLE_NAME)
        .filter_map(|c| {
            let bytes = bundle.bytes(c)?;
            Some((c, PackageKind::of(bytes)?, bytes))
        })
        .collect();
    let want = if node.dpkg {
        Some(PackageKind::Deb)
    } else if node.rpm {
        Some(PackageKind::Rpm)
    } else {
        None
    };
    found.retain(|(_, k, _)| Some(*k) == want);
    found
}

/// Every DCGM package the bundle carries, as the message lists them.
pub fn listed(bundle: &Bundle) -> Vec<String> {
    bundle
        .manifest
        .components
        .iter()
        .filter(|c| c.name == BUNDLE_NAME)
        .map(|c| format!("{} {}", c.name, c.version))
        .collect()
}

impl super::Node<'_> {
    /// Before dcgm-exporter goes on: DCGM is there, or is installed from
    /// the bundle when `install` (the operator's word), or the install
    /// stops saying exactly what is missing and what would fix it.
    pub(super) async fn ensure_dcgm(
        &self,
        bundle: &Bundle,
        install: bool,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), super::InstallError> {
        let state = DcgmState::parse(&self.sh(check_command(), None).await?);
        if state.present() {
            return Ok(());
        }
        let missing = format!(
            "DCGM is missing on {}: {} (dcgm-exporter needs it)",
            self.name,
            state.missing()
        );
        let packages = packages_for(bundle, &state);
        if packages.is_empty() {
            let carried = listed(bundle);
            return Err(super::failed(if carried.is_empty() {
                format!(
                    "{missing}; the bundle carries no DCGM packages (add them with `aami-tui bundle create … --component dcgm=FILE.deb@VERSION`)"
                )
            } else {
                format!(
                    "{missing}; the bundle's DCGM packages ({}) do not suit the node (it has {})",
                    carried.join(", "),
                    match (state.dpkg, state.rpm) {
                        (true, _) => "dpkg",
                        (_, true) => "rpm",
                        _ => "neither dpkg nor rpm",
                    }
                )
            }));
        }
        let kind = packages[0].1;
        let names: Vec<String> = packages
            .iter()
            .map(|(c, _, _)| format!("{} {}", c.name, c.version))
            .collect();
        if !install {
            return Err(super::failed(format!(
                "{missing}; the bundle carries {} for {}: run again with --install-dcgm (in the TUI's form, DCGM if missing: install from the bundle) to install it",
                names.join(", "),
                kind.tool()
            )));
        }
        let dir = format!("{}/dcgm-packages", self.prefix);
        self.sh(
            RemoteCommand::template("rm -rf {} && mkdir -p {}", &[&dir, &dir]),
            None,
        )
        .await?;
        for (i, (c, kind, bytes)) in packages.iter().enumerate() {
            let file = format!("{dir}/{i}.{}", kind.extension());
            progress(format!(
                "uploading {} {} ({} bytes)",
                c.name, c.version, c.size
            ));
            self.sh(RemoteCommand::template("cat > {}", &[&file]), Some(bytes))
                .await?;
            let sum = self
                .sh(RemoteCommand::template("sha256sum {}", &[&file]), None)
                .await?;
            if sum.split_whitespace().next() != Some(c.sha256.as_str()) {
                return Err(super::failed(format!(
                    "the upload of {} {} arrived damaged",
                    c.name, c.version
                )));
            }
        }
        progress(format!(
            "installing {} with {}",
            names.join(", "),
            kind.tool()
        ));
        let installed = self.sh(kind.install_command(&dir), None).await;
        let _ = self
            .sh(RemoteCommand::template("rm -rf {}", &[&dir]), None)
            .await;
        installed.map_err(|e| {
            super::failed(format!(
                "{missing}; installing {} with {} failed: {e}",
                names.join(", "),
                kind.tool()
            ))
        })?;
        let after = DcgmState::parse(&self.sh(check_command(), None).await?);
        if !after.present() {
            return Err(super::failed(format!(
                "{} installed {} but DCGM is still missing: {}",
                kind.tool(),
                names.join(", "),
                after.missing()
            )));
        }
        progress(format!(
            "DCGM installed from the bundle ({})",
            names.join(", ")
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_package_kinds() {
        let s = DcgmState::parse("library\ndpkg\n");
        assert!(s.present() && s.library && !s.hostengine && s.dpkg && !s.rpm);
        assert!(!DcgmState::parse("dpkg\n").present());
        assert_eq!(
            PackageKind::of(b"!<arch>\ndebian-binary   1"),
            Some(PackageKind::Deb)
        );
        assert_eq!(
            PackageKind::of(&[0xed, 0xab, 0xee, 0xdb, 3]),
            Some(PackageKind::Rpm)
        );
        assert_eq!(PackageKind::of(b"\x7fELF"), None);
        let cmd = PackageKind::Deb.install_command("/opt/my aami/dcgm-packages");
        assert_eq!(
            cmd.as_str(),
            "DEBIAN_FRONTEND=noninteractive dpkg -i '/opt/my aami/dcgm-packages'/*.deb"
        );
    }
}
