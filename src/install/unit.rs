//! The systemd unit for an installed exporter, hardened as the
//! prometheus-community Ansible roles do: a system user with no login
//! shell, no new privileges, a read-only system, no home, the kernel
//! protections, restart with a delay. GPU exporters keep `/dev/nvidia*`
//! and the process list: no `PrivateDevices`, no `ProtectProc`.

use super::component::ComponentKind;

/// The kernel and privilege protections every unit aami-tui writes carries,
/// as the prometheus-community Ansible roles set them: one block, so the
/// exporter and stack units stay in step.
pub const KERNEL_HARDENING: &str = "ProtectKernelTunables=yes\n\
     ProtectKernelModules=yes\n\
     ProtectKernelLogs=yes\n\
     ProtectControlGroups=yes\n\
     ProtectClock=yes\n\
     ProtectHostname=yes\n\
     RestrictNamespaces=yes\n\
     RestrictRealtime=yes\n\
     RestrictSUIDSGID=yes\n\
     LockPersonality=yes\n\
     SystemCallArchitectures=native\n\
     CapabilityBoundingSet=\n";

/// The unit's file name: `aami-<component>.service`.
pub fn unit_name(kind: ComponentKind) -> String {
    format!("aami-{}.service", kind.name())
}

/// The system user the exporter runs as.
pub const SERVICE_USER: &str = "aami-exporter";

/// The unit text for `kind` under `prefix`, listening on `port`.
pub fn render(kind: ComponentKind, prefix: &str, port: u16) -> String {
    let name = kind.name();
    let exec = std::iter::once(format!("{prefix}/{name}/current/{name}"))
        .chain(kind.listen_args(port))
        .collect::<Vec<_>>()
        .join(" ");
    let mut unit = format!(
        "# Written by aami-tui; reinstalling replaces it.\n\
         [Unit]\n\
         Description=aami {name}\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         User={SERVICE_USER}\n\
         Group={SERVICE_USER}\n\
         ExecStart={exec}\n\
         Restart=always\n\
         RestartSec=5s\n\
         NoNewPrivileges=yes\n\
         ProtectSystem=strict\n\
         ProtectHome=yes\n\
         PrivateTmp=yes\n\
         {KERNEL_HARDENING}"
    );
    if !kind.needs_gpu_devices() {
        unit.push_str("PrivateDevices=yes\nProtectProc=invisible\n");
    }
    unit.push_str("\n[Install]\nWantedBy=multi-user.target\n");
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_exporters_keep_devices_and_processes() {
        let dcgm = render(ComponentKind::DcgmExporter, "/opt/aami", 9400);
        assert!(!dcgm.contains("PrivateDevices"));
        assert!(!dcgm.contains("ProtectProc"));
        assert!(dcgm.contains("ExecStart=/opt/aami/dcgm-exporter/current/dcgm-exporter -a :9400"));
        let node = render(ComponentKind::NodeExporter, "/opt/aami", 9100);
        assert!(node.contains("PrivateDevices=yes"));
    }
}
