//! Onboarding: new nodes looked at over SSH before anything is written.
//! Each node is connected to (its host key checked, and shown), then one
//! fixed command finds its system, GPUs and driver, DCGM and the exporters
//! already answering ([`crate::ssh::detect`]). The result is a preview, one
//! row per node; the TUI and `nodes add|import --onboard` write the
//! reachable nodes to the config in one atomic save, and the unreachable
//! ones only when the operator says so.

use futures::{Stream, StreamExt};

use crate::config::NodeConfig;
use crate::ssh::detect::{self, Detection};
use crate::ssh::{RemoteCommand, Session, SshOptions, SshTarget};

const ALREADY: &str = "already in the config";

/// What a reachable node showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `ssh-ed25519 SHA256:…`, the host key the connection checked.
    pub host_key: String,
    pub detection: Detection,
}

/// One node of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub node: NodeConfig,
    /// What was found, or why the node could not be looked at.
    pub result: Result<Found, String>,
}

/// The preview table's columns.
pub const HEADERS: [&str; 7] = [
    "NAME",
    "ADDRESS",
    "SYSTEM",
    "GPUS",
    "DCGM",
    "EXPORTERS",
    "HOST KEY (OR WHY NOT)",
];

impl Probe {
    /// A node that was not looked at (already configured, a bad name).
    pub fn skipped(node: NodeConfig, why: impl Into<String>) -> Self {
        Self {
            node,
            result: Err(why.into()),
        }
    }

    pub fn reachable(&self) -> bool {
        self.result.is_ok()
    }

    /// Skipped because the config has it already: never written again.
    pub fn already_configured(&self) -> bool {
        self.result.as_ref().is_err_and(|e| e.starts_with(ALREADY))
    }

    /// The cells of its row, [`HEADERS`] in order. An unreachable node has
    /// dashes, and its reason where the host key would be.
    pub fn cells(&self) -> Vec<String> {
        let name = crate::text::sanitize(&self.node.name);
        let address = match self.node.ssh_port {
            Some(p) => format!("{}:{p}", crate::text::sanitize(&self.node.ip)),
            None => crate::text::sanitize(&self.node.ip),
        };
        match &self.result {
            Err(why) => {
                let mut v = vec![name, address];
                v.extend(std::iter::repeat_n("-".to_string(), 4));
                v.push(if self.already_configured() {
                    crate::text::sanitize(why)
                } else {
                    format!("unreachable: {}", crate::text::sanitize(why))
                });
                v
            }
            Ok(f) => vec![
                name,
                address,
                system(&f.detection),
                gpus(&f.detection),
                if f.detection.dcgm { "yes" } else { "no" }.into(),
                exporters(&f.detection, &self.node),
                f.host_key
                    .split_whitespace()
                    .last()
                    .unwrap_or("-")
                    .to_string(),
            ],
        }
    }

    /// The topology capture, when there is one to cache.
    pub fn topology(&self) -> Option<&str> {
        self.result
            .as_ref()
            .ok()
            .map(|f| f.detection.topology.as_str())
            .filter(|t| !t.trim().is_empty())
    }
}

/// `Debian GNU/Linux 12, x86_64, systemd` (the release's code name in
/// parentheses left out).
fn system(d: &Detection) -> String {
    let arch = d.kernel_arch.split_whitespace().last().unwrap_or("?");
    let os = match &d.os {
        Some(os) => match os.split_once(" (") {
            Some((name, rest)) if rest.ends_with(')') => name.to_string(),
            _ => os.clone(),
        },
        None => d
            .kernel_arch
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .into(),
    };
    format!("{os}, {arch}, {}", d.init.as_deref().unwrap_or("init ?"))
}

/// `8 × NVIDIA H100 80GB HBM3, driver 590.48.01`, or why none.
fn gpus(d: &Detection) -> String {
    match (d.gpus.first(), &d.gpu_problem) {
        (Some(first), _) => format!(
            "{} × {}, driver {}",
            d.gpus.len(),
            first.name,
            first.driver.as_deref().unwrap_or("?")
        ),
        (None, Some(p)) if p.contains("not found") => "none (no nvidia-smi)".into(),
        (None, Some(p)) => format!("none ({})", crate::text::sanitize_max(p, 40)),
        (None, None) => "none".into(),
    }
}

/// The exporters this node would be scraped on that already answer.
fn exporters(d: &Detection, node: &NodeConfig) -> String {
    let found: Vec<String> = [
        ("node_exporter", node.exporters.node),
        ("dcgm-exporter", node.exporters.dcgm),
        ("all-smi", node.exporters.all_smi),
    ]
    .into_iter()
    .filter_map(|(name, port)| {
        let p = port?;
        d.listening.contains(&p).then(|| format!("{name}:{p}"))
    })
    .collect();
    if found.is_empty() {
        "none".into()
    } else {
        found.join(" ")
    }
}

/// Connects to `node` and looks at it with one command.
pub async fn probe(node: NodeConfig, opts: &SshOptions) -> Probe {
    let result = async {
        crate::ssh::validate_name("node name", &node.name).map_err(|e| e.to_string())?;
        crate::ssh::validate_address(&node.ip).map_err(|e| e.to_string())?;
        let session = Session::connect(&SshTarget::from_node(&node), opts)
            .await
            .map_err(|e| e.to_string())?;
        let out = session
            .exec(&RemoteCommand::operator(detect::COMMAND))
            .await;
        let host_key = session.host_key.clone();
        session.close().await;
        let out = out.map_err(|e| e.to_string())?;
        Ok(Found {
            host_key,
            detection: detect::parse(&out.stdout),
        })
    }
    .await;
    let node = match &result {
        Ok(found) => without_impossible_gpu_scrape(node, &found.detection),
        Err(_) => node,
    };
    Probe { node, result }
}

/// A node with no NVIDIA GPU (no nvidia-smi, or it lists none), no DCGM
/// and nothing on the dcgm-exporter port is written without the default
/// dcgm-exporter scrape: dcgm-exporter cannot run there, and a scrape that
/// is always refused would show the node down for good. node_exporter
/// (and any port the operator set) stays. A GPU node keeps it, DCGM or
/// not: its exporter is to be installed.
fn without_impossible_gpu_scrape(mut node: NodeConfig, d: &Detection) -> NodeConfig {
    let default_port = crate::config::Exporters::default().dcgm;
    if node.exporters.dcgm.is_some()
        && node.exporters.dcgm == default_port
        && d.gpus.is_empty()
        && !d.dcgm
        && !node
            .exporters
            .dcgm
            .is_some_and(|p| d.listening.contains(&p))
    {
        node.exporters.dcgm = None;
    }
    node
}

/// Probes `nodes`, up to `parallel` at once; the results come in the order
/// of `nodes`.
pub fn probe_all<'a>(
    nodes: Vec<NodeConfig>,
    opts: &'a SshOptions,
    parallel: usize,
) -> impl Stream<Item = Probe> + 'a {
    futures::stream::iter(nodes.into_iter().map(move |n| probe(n, opts))).buffered(parallel.max(1))
}

/// Splits `nodes` into those to look at and those already in `config`
/// (same name or address), which are skipped with the reason.
pub fn split_known(
    nodes: Vec<NodeConfig>,
    config: &crate::config::Config,
) -> (Vec<NodeConfig>, Vec<Probe>) {
    let mut fresh = Vec::new();
    let mut known = Vec::new();
    for n in nodes {
        match config
            .nodes
            .iter()
            .find(|c| c.name == n.name || (c.ip == n.ip && c.ssh_port == n.ssh_port))
        {
            Some(c) => {
                let why = format!("{ALREADY} as {} ({})", c.name, c.ip);
                known.push(Probe::skipped(n, why));
            }
            None => fresh.push(n),
        }
    }
    (fresh, known)
}

/// The nodes to write: the reachable ones, and the others when
/// `include_unreachable` (skipped ones never).
pub fn to_write(probes: &[Probe], include_unreachable: bool) -> Vec<NodeConfig> {
    probes
        .iter()
        .filter(|p| p.reachable() || (include_unreachable && !p.already_configured()))
        .map(|p| p.node.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> NodeConfig {
        NodeConfig {
            name: name.into(),
            ip: "127.0.0.9".into(),
            ..NodeConfig::default()
        }
    }

    #[test]
    fn rows_of_a_reachable_and_an_unreachable_node() {
        let d = detect::parse(
            "== os\nLinux x86_64\nDebian GNU/Linux 12 (bookworm)\n== init\nsystemd\n== gpus\nname, driver_version\nNVIDIA H100 80GB HBM3, 590.48.01\nNVIDIA H100 80GB HBM3, 590.48.01\n== dcgm\n/usr/bin/nv-hostengine\n== listen\n0.0.0.0:9100\n== topo\n",
        );
        let ok = Probe {
            node: node("a"),
            result: Ok(Found {
                host_key: "ssh-ed25519 SHA256:abc".into(),
                detection: d,
            }),
        };
        assert_eq!(
            ok.cells(),
            [
                "a",
                "127.0.0.9",
                "Debian GNU/Linux 12, x86_64, systemd",
                "2 × NVIDIA H100 80GB HBM3, driver 590.48.01",
                "yes",
                "node_exporter:9100",
                "SHA256:abc",
            ]
        );
        let mut n = node("b");
        n.ssh_port = Some(2222);
        let bad = Probe::skipped(n, "cannot connect to 127.0.0.9:2222: refused");
        let cells = bad.cells();
        assert_eq!(cells[1], "127.0.0.9:2222");
        assert_eq!(
            cells[6],
            "unreachable: cannot connect to 127.0.0.9:2222: refused"
        );
        let known = Probe::skipped(node("c"), "already in the config as c (127.0.0.9)");
        let all = [ok, bad, known];
        let names = |v: Vec<NodeConfig>| v.into_iter().map(|n| n.name).collect::<Vec<_>>();
        assert_eq!(names(to_write(&all, false)), ["a"]);
        assert_eq!(names(to_write(&all, true)), ["a", "b"]);
    }

    #[test]
    fn a_node_without_gpus_is_not_scraped_for_dcgm_exporter() {
        let plain = detect::parse(
            "== os\nLinux x86_64\n== gpus\nnvidia-smi: not found\n== listen\n0.0.0.0:9100\n",
        );
        let written = without_impossible_gpu_scrape(node("a"), &plain);
        assert_eq!(written.exporters.dcgm, None);
        assert_eq!(written.exporters.node, Some(9100));
        // A GPU node keeps it, and so does one answering on the port.
        let gpu = detect::parse("== gpus\nname, driver_version\nNVIDIA L4, 580.105.08\n");
        assert_eq!(
            without_impossible_gpu_scrape(node("b"), &gpu)
                .exporters
                .dcgm,
            Some(9400)
        );
        let answering = detect::parse("== listen\n0.0.0.0:9400\n");
        assert_eq!(
            without_impossible_gpu_scrape(node("c"), &answering)
                .exporters
                .dcgm,
            Some(9400)
        );
        // A port the operator chose stays as chosen.
        let mut own = node("d");
        own.exporters.dcgm = Some(9500);
        assert_eq!(
            without_impossible_gpu_scrape(own, &plain).exporters.dcgm,
            Some(9500)
        );
    }
}
