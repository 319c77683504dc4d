//! One GPU as seen in one scrape.

use serde::Serialize;

/// A GPU's figures from one scrape. Every reading is optional: exporters
/// differ in what they publish, and a missing value must read as "unknown",
/// never as zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GpuSample {
    pub index: u32,
    pub uuid: String,
    pub model: String,
    pub pci_bus_id: Option<String>,
    pub driver: Option<String>,
    /// 0–100.
    pub util_pct: Option<f64>,
    pub mem_used_mib: Option<f64>,
    pub mem_total_mib: Option<f64>,
    pub temp_c: Option<f64>,
    pub mem_temp_c: Option<f64>,
    /// Temperature at which the GPU slows itself down, where known.
    pub slowdown_temp_c: Option<f64>,
    pub power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub sm_clock_mhz: Option<f64>,
    pub mem_clock_mhz: Option<f64>,
    /// Clock event (throttle) reason bit mask; see [`crate::domain::throttle`].
    pub throttle_reasons: Option<u64>,
    pub ecc_sbe: Option<f64>,
    pub ecc_dbe: Option<f64>,
    pub retired_pages: Option<f64>,
    pub remapped_rows_uncorrectable: Option<f64>,
    pub row_remap_failed: Option<bool>,
    /// A row remap waits for the next GPU reset.
    pub row_remap_pending: Option<bool>,
    /// Pages waiting to be retired at the next GPU reset.
    pub retired_pages_pending: Option<f64>,
    pub pcie_replays: Option<f64>,
    pub nvlink_bandwidth: Option<f64>,
    /// CRC, replay and recovery errors of all links together.
    pub nvlink_errors: Option<f64>,
    /// Per-link counters (dcgm-exporter's `_L0`…`_L17` fields), by link;
    /// empty when the exporter is not configured for them.
    pub nvlink_links: Vec<NvLinkCounters>,
    /// The last Xid the exporter saw (dcgm's XID gauge); 0 or absent = none.
    pub last_xid: Option<u32>,
    /// The recovery action the driver asks for (NVML's
    /// nvmlDeviceGpuRecoveryAction_t: 0 none, 1 GPU reset, 2 node reboot,
    /// 3 drain peer-to-peer, 4 drain and reset); absent on drivers and
    /// exporters that do not report it. See [`recovery_action_word`].
    pub recovery_action: Option<u32>,
    pub workload: Option<Workload>,
    pub mig: Vec<MigInstance>,
}

impl GpuSample {
    /// Memory used as a percentage of total, when both are known.
    pub fn mem_pct(&self) -> Option<f64> {
        match (self.mem_used_mib, self.mem_total_mib) {
            (Some(u), Some(t)) if t > 0.0 => Some(u / t * 100.0),
            _ => None,
        }
    }

    /// The Xid to show, if the exporter reports a non-zero one.
    pub fn xid(&self) -> Option<u32> {
        self.last_xid.filter(|x| *x != 0)
    }

    /// The recovery action the driver asks for, when it asks for one.
    pub fn recovery_needed(&self) -> Option<u32> {
        self.recovery_action.filter(|a| *a != 0)
    }
}

/// What a recovery action code asks for, in a few words (the driver's own
/// names, as Xid 154 prints them).
pub fn recovery_action_word(code: u32) -> String {
    match code {
        0 => "none".into(),
        1 => "GPU reset required".into(),
        2 => "node reboot required".into(),
        3 => "drain P2P".into(),
        4 => "drain and reset".into(),
        n => format!("recovery action {n}"),
    }
}

/// One NVLink's counters as dcgm-exporter reports them per link. Each is
/// optional: an exporter may be configured for some fields only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NvLinkCounters {
    pub link: u32,
    pub crc_flit: Option<f64>,
    pub crc_data: Option<f64>,
    pub replay: Option<f64>,
    pub recovery: Option<f64>,
    /// The exporter's per-link bandwidth counter (its unit varies between
    /// versions; shown scaled, without a unit).
    pub bandwidth: Option<f64>,
}

/// Which NVLink error counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkCounter {
    CrcFlit,
    CrcData,
    Replay,
    Recovery,
}

impl LinkCounter {
    pub const ALL: [LinkCounter; 4] = [
        LinkCounter::CrcFlit,
        LinkCounter::CrcData,
        LinkCounter::Replay,
        LinkCounter::Recovery,
    ];

    /// For the pane: `CRC flit`, `replay`.
    pub fn words(self) -> &'static str {
        match self {
            LinkCounter::CrcFlit => "CRC flit",
            LinkCounter::CrcData => "CRC data",
            LinkCounter::Replay => "replay",
            LinkCounter::Recovery => "recovery",
        }
    }
}

impl NvLinkCounters {
    pub fn get(&self, c: LinkCounter) -> Option<f64> {
        match c {
            LinkCounter::CrcFlit => self.crc_flit,
            LinkCounter::CrcData => self.crc_data,
            LinkCounter::Replay => self.replay,
            LinkCounter::Recovery => self.recovery,
        }
    }

    pub fn slot(&mut self, c: LinkCounter) -> &mut Option<f64> {
        match c {
            LinkCounter::CrcFlit => &mut self.crc_flit,
            LinkCounter::CrcData => &mut self.crc_data,
            LinkCounter::Replay => &mut self.replay,
            LinkCounter::Recovery => &mut self.recovery,
        }
    }

    /// The error counters this link reports, added up.
    pub fn errors(&self) -> Option<f64> {
        LinkCounter::ALL
            .iter()
            .filter_map(|c| self.get(*c))
            .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
    }
}

/// One per-link error counter that grew between two refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinkMove {
    pub gpu: u32,
    pub link: u32,
    pub counter: LinkCounter,
    pub by: f64,
}

/// The per-link counters that grew from `before` to `now` (same GPU),
/// link by link, in link then counter order. A counter that went down
/// (a reset, an exporter restart) is not a move.
pub fn link_moves(gpu: u32, before: &[NvLinkCounters], now: &[NvLinkCounters]) -> Vec<LinkMove> {
    let mut out = Vec::new();
    for l in now {
        let Some(b) = before.iter().find(|b| b.link == l.link) else {
            continue;
        };
        for c in LinkCounter::ALL {
            if let (Some(was), Some(is)) = (b.get(c), l.get(c))
                && is > was
            {
                out.push(LinkMove {
                    gpu,
                    link: l.link,
                    counter: c,
                    by: is - was,
                });
            }
        }
    }
    out
}

/// What runs on a GPU, from pod or job labels on the exporter's series.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Workload {
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    pub job: Option<String>,
}

impl Workload {
    pub fn label(&self) -> String {
        match (&self.namespace, &self.pod, &self.job) {
            (Some(ns), Some(pod), _) => format!("{ns}/{pod}"),
            (None, Some(pod), _) => pod.clone(),
            (_, _, Some(job)) => format!("job {job}"),
            _ => String::new(),
        }
    }
}

/// A MIG instance nested under its GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MigInstance {
    pub instance_id: String,
    pub profile: String,
    pub util_pct: Option<f64>,
    pub mem_used_mib: Option<f64>,
    pub mem_total_mib: Option<f64>,
}
