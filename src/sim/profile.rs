//! GPU kinds the demo fleet is made of, with the label sets of the real
//! captures they come from (see data/PROVENANCE.md).

/// One kind of GPU node in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuKind {
    /// 8×H100 HGX (NVIDIA/aicr capture).
    H100,
    /// L4 (cncf-aiconf kops capture).
    L4,
    /// T4 (cncf-aiconf ericsson capture, no HELP/TYPE lines).
    T4,
    /// A100 with MIG 1g.5gb instances (cloud-native docs sample, old label set).
    A100Mig,
    /// 8×A100 SXM4 HGX, NVLink NV12, no MIG: the H100 capture's label set
    /// with the model and UUIDs of the gpud `nvlink --status` A100 capture.
    A100,
}

#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub kind: GpuKind,
    /// `modelName` label; `None` for old label sets without it.
    pub model_label: Option<&'static str>,
    pub label: &'static str,
    pub default_gpus: u32,
    pub driver: Option<&'static str>,
    /// Capture UUIDs for the first node; later nodes derive from them.
    pub uuids: &'static [&'static str],
    /// PCI bus ids in GPU order; `None` for label sets without pci_bus_id.
    pub bus_ids: Option<&'static [&'static str]>,
    pub fb_total_mib: f64,
    pub fb_reserved_mib: f64,
    pub power_idle_w: f64,
    pub power_limit_w: f64,
    pub sm_clock_max: f64,
    pub sm_clock_idle: f64,
    pub mem_clock: f64,
    pub with_help: bool,
    pub mig_profile: Option<&'static str>,
}

pub const H100: Profile = Profile {
    kind: GpuKind::H100,
    model_label: Some("NVIDIA H100 80GB HBM3"),
    label: "h100",
    default_gpus: 8,
    driver: Some("580.105.08"),
    uuids: &[
        "GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005",
        "GPU-bc5610b9-79c8-fedd-8899-07539c7f868a",
        "GPU-fbc2c554-4d37-8938-0032-f923bad0f716",
        "GPU-a65a773d-52bb-bcc1-a8ee-f78c3faa2e2d",
        "GPU-82e45d1b-1618-559f-144c-eab51545030b",
        "GPU-39e28159-8c62-ee71-64db-b748edd61e15",
        "GPU-e64d69ca-b4b3-59b2-e78c-94f26c4db365",
        "GPU-04d228d3-3b5a-3534-f5cf-969706647d56",
    ],
    bus_ids: Some(&[
        "00000000:53:00.0",
        "00000000:64:00.0",
        "00000000:75:00.0",
        "00000000:86:00.0",
        "00000000:97:00.0",
        "00000000:A8:00.0",
        "00000000:B9:00.0",
        "00000000:CA:00.0",
    ]),
    fb_total_mib: 81559.0,
    fb_reserved_mib: 541.0,
    power_idle_w: 68.0,
    power_limit_w: 700.0,
    sm_clock_max: 1980.0,
    sm_clock_idle: 345.0,
    mem_clock: 2619.0,
    with_help: true,
    mig_profile: None,
};

pub const L4: Profile = Profile {
    kind: GpuKind::L4,
    model_label: Some("NVIDIA L4"),
    label: "l4",
    default_gpus: 1,
    driver: Some("580.105.08"),
    uuids: &["GPU-c2f76b33-7953-256e-8f33-1343419b1a1c"],
    bus_ids: Some(&["00000000:31:00.0"]),
    fb_total_mib: 23033.0,
    fb_reserved_mib: 470.0,
    power_idle_w: 16.0,
    power_limit_w: 72.0,
    sm_clock_max: 2040.0,
    sm_clock_idle: 210.0,
    mem_clock: 6251.0,
    with_help: true,
    mig_profile: None,
};

pub const T4: Profile = Profile {
    kind: GpuKind::T4,
    model_label: Some("Tesla T4"),
    label: "t4",
    default_gpus: 1,
    driver: Some("590.48.01"),
    uuids: &["GPU-6d5c0ac5-74d7-3130-46f1-e93ed57f469a"],
    bus_ids: Some(&["00000000:37:00.0"]),
    fb_total_mib: 15360.0,
    fb_reserved_mib: 0.0,
    power_idle_w: 10.0,
    power_limit_w: 70.0,
    sm_clock_max: 1590.0,
    sm_clock_idle: 300.0,
    mem_clock: 5000.0,
    with_help: false,
    mig_profile: None,
};

pub const A100_MIG: Profile = Profile {
    kind: GpuKind::A100Mig,
    model_label: None,
    label: "a100",
    default_gpus: 1,
    driver: None,
    uuids: &["GPU-34319582-d595-d1c7-d1d2-179bcfa61660"],
    bus_ids: None,
    fb_total_mib: 40960.0,
    fb_reserved_mib: 425.0,
    power_idle_w: 55.0,
    power_limit_w: 400.0,
    sm_clock_max: 1410.0,
    sm_clock_idle: 210.0,
    mem_clock: 1215.0,
    with_help: false,
    mig_profile: Some("1g.5gb"),
};

/// 8×A100-SXM4-80GB (DERIVED): the label names of the H100 capture; model
/// name and UUIDs from the gpud A100 `nvlink --status` capture
/// (tests/fixtures/nvidia_smi); driver and bus ids unknown (left out);
/// memory, power and clocks from the A100 SXM4 80GB specification.
pub const A100: Profile = Profile {
    kind: GpuKind::A100,
    model_label: Some("NVIDIA A100-SXM4-80GB"),
    label: "a100",
    default_gpus: 8,
    driver: None,
    uuids: &[
        "GPU-5269b708-678a-b1a8-60f0-c90406537486",
        "GPU-a7605225-d684-1f65-4ad4-ee2ab39338b4",
        "GPU-483e6bb6-bb11-8916-e22f-d1d69abbafaa",
        "GPU-6e4fbadc-10d9-a63a-8988-9a0d320ff1a0",
        "GPU-82ef2c67-965f-a411-1413-f5e1d756bcdb",
        "GPU-375df896-019b-a009-42e5-ce9ed21bd8cc",
        "GPU-68d0f80e-e2f6-7717-ce0c-ea5f17b6a180",
        "GPU-754035b4-4708-efcd-b261-623aea38bcad",
    ],
    bus_ids: None,
    fb_total_mib: 81920.0,
    fb_reserved_mib: 567.0,
    power_idle_w: 60.0,
    power_limit_w: 400.0,
    sm_clock_max: 1410.0,
    sm_clock_idle: 210.0,
    mem_clock: 1593.0,
    with_help: true,
    mig_profile: None,
};

/// The kind of demo node `i`: mostly H100 HGX, with one of each other kind
/// early so a small demo shows them all (the 8×A100 first at 13, so the
/// default 16-node demo has it).
pub fn kind_of(i: usize) -> &'static Profile {
    match i {
        2 => &A100_MIG,
        3 => &L4,
        4 => &T4,
        _ if i % 16 == 7 => &L4,
        _ if i % 16 == 11 => &T4,
        _ if i % 16 == 13 => &A100,
        _ => &H100,
    }
}

/// A UUID for GPU `gpu` of node `node`: the capture's for node 0, derived
/// for others by replacing the last 8 hex digits.
pub fn uuid(p: &Profile, node: usize, gpu: u32) -> String {
    let base = p.uuids[gpu as usize % p.uuids.len()];
    if node == 0 && (gpu as usize) < p.uuids.len() {
        return base.to_string();
    }
    let head = &base[..base.len() - 8];
    format!("{head}{:04x}{:04x}", node & 0xffff, gpu & 0xffff)
}

/// PCI bus id of GPU `gpu`: the capture's, extended past its count.
pub fn bus_id(p: &Profile, gpu: u32) -> Option<String> {
    let ids = p.bus_ids?;
    Some(match ids.get(gpu as usize) {
        Some(id) => id.to_string(),
        None => format!("00000000:{:02X}:00.0", 0xD0 + gpu),
    })
}
