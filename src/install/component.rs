//! What aami knows about each exporter it installs.

use crate::config::NodeConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    NodeExporter,
    DcgmExporter,
    AllSmi,
}

impl ComponentKind {
    pub const ALL: [Self; 3] = [Self::NodeExporter, Self::DcgmExporter, Self::AllSmi];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The name in bundles, paths and unit names.
    pub fn name(self) -> &'static str {
        match self {
            Self::NodeExporter => "node_exporter",
            Self::DcgmExporter => "dcgm-exporter",
            Self::AllSmi => "all-smi",
        }
    }

    /// The node's configured port for this exporter (`exporters.*`).
    pub fn port(self, node: &NodeConfig) -> Option<u16> {
        match self {
            Self::NodeExporter => node.exporters.node,
            Self::DcgmExporter => node.exporters.dcgm,
            Self::AllSmi => node.exporters.all_smi,
        }
    }

    /// Arguments that make it listen on `port` (every address of the node,
    /// where the cockpit scrapes it).
    pub fn listen_args(self, port: u16) -> Vec<String> {
        match self {
            Self::NodeExporter => vec![format!("--web.listen-address=:{port}")],
            Self::DcgmExporter => vec!["-a".into(), format!(":{port}")],
            Self::AllSmi => vec!["api".into(), "--port".into(), port.to_string()],
        }
    }

    /// A family the page must carry for the install to count.
    pub fn expected_families(self) -> &'static [&'static str] {
        match self {
            Self::NodeExporter => &["node_cpu_seconds_total"],
            // dcgm-exporter 3.x and 4.x name the temperature differently.
            Self::DcgmExporter => &["DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_GPU_TEMPERATURE"],
            Self::AllSmi => &["all_smi_gpu_utilization"],
        }
    }

    /// The `*_build_info` family whose `version` label is the running version.
    pub fn build_info(self) -> Option<&'static str> {
        match self {
            Self::NodeExporter => Some("node_exporter_build_info"),
            Self::DcgmExporter | Self::AllSmi => None,
        }
    }

    /// GPU exporters must see `/dev/nvidia*` and every process: the unit
    /// may not set `PrivateDevices` or `ProtectProc`.
    pub fn needs_gpu_devices(self) -> bool {
        !matches!(self, Self::NodeExporter)
    }
}

/// The version a page reports in its build-info family, if any.
pub fn reported_version(page: &str, build_info: &str) -> Option<String> {
    page.lines()
        .filter(|l| l.starts_with(build_info))
        .find_map(|l| {
            // The `version` label itself, not `goversion`.
            let at = ["{version=\"", ",version=\""]
                .iter()
                .find_map(|k| l.find(k).map(|i| i + k.len()))?;
            let end = l[at..].find('"')?;
            Some(l[at..at + end].to_string())
        })
}

/// Whether a bundle version matches what the exporter reports: equal, or
/// equal before a `+build` suffix (the same binary packed under a second
/// manifest version, e.g. `1.5.0+r2`).
pub fn version_matches(bundle: &str, reported: &str) -> bool {
    bundle == reported || bundle.split_once('+').is_some_and(|(v, _)| v == reported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_build_info() {
        let page = "# HELP x\nnode_exporter_build_info{branch=\"debian/sid\",goversion=\"go1.19.8\",revision=\"1.5.0-1+b6\",version=\"1.5.0\"} 1\n";
        assert_eq!(
            reported_version(page, "node_exporter_build_info").as_deref(),
            Some("1.5.0")
        );
        assert!(version_matches("1.5.0+r2", "1.5.0"));
        assert!(!version_matches("1.6.0", "1.5.0"));
    }
}
