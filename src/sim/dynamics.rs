//! How simulated values move: pure functions of (seed, node, gpu, time), so
//! a test can ask for the page at any instant and get the same answer.

use super::profile::Profile;

/// Deterministic noise in [0, 1) from a few integers (splitmix64).
pub fn noise(seed: u64, a: u64, b: u64, c: u64) -> f64 {
    let mut z = seed
        .wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(c.wrapping_mul(0x94D0_49BB_1331_11EB));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Everything that changes on one simulated GPU at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpuState {
    pub util: f64,
    pub mem_used: f64,
    pub temp: f64,
    pub mem_temp: f64,
    pub power: f64,
    pub sm_clock: f64,
    pub throttle: u64,
    pub xid: u32,
    pub ecc_dbe: f64,
    pub pcie_replays: f64,
    pub energy_mj: f64,
}

/// Special roles some demo nodes play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub hot: Option<(usize, u32)>,
    pub xid: Option<(usize, u32)>,
    pub flapping: Option<usize>,
}

impl Roles {
    pub fn for_fleet(nodes: usize) -> Self {
        Self {
            hot: (nodes > 1).then_some((1, 5)),
            xid: (nodes > 5).then_some((5, 2)),
            flapping: (nodes > 6).then_some(6),
        }
    }
}

/// Seconds of each 120 s cycle the flapping node is down.
pub const DOWN_WINDOW: (u64, u64) = (40, 75);

/// Whether the flapping node is down at `t` seconds.
pub fn is_down(roles: &Roles, node: usize, t: f64) -> bool {
    roles.flapping == Some(node) && {
        let s = (t as u64) % 120;
        (DOWN_WINDOW.0..DOWN_WINDOW.1).contains(&s)
    }
}

/// The Xid the Xid node's GPU shows: none for the first 20 s, then 79 (the
/// exporter's gauge keeps the last Xid), and 48 in every fourth minute.
fn xid_at(t: f64) -> u32 {
    if t < 20.0 {
        0
    } else if (t as u64 / 60) % 4 == 3 {
        48
    } else {
        79
    }
}

pub fn gpu_state(
    p: &Profile,
    seed: u64,
    node: usize,
    gpu: u32,
    gpus: u32,
    roles: &Roles,
    t: f64,
) -> GpuState {
    let n = node as u64;
    let g = gpu as u64;
    let sec = t.max(0.0) as u64;
    // Each node runs a "job" whose load changes every few minutes.
    let job = noise(seed, n, 0, sec / 240);
    let base = if job < 0.15 { 3.0 } else { 35.0 + 60.0 * job };
    let phase = noise(seed, n, g, 7) * std::f64::consts::TAU;
    let wave = 12.0 * (t / 37.0 + phase).sin();
    let jitter = (noise(seed, n, g, sec) - 0.5) * 8.0;
    let mut util = (base + wave + jitter).clamp(0.0, 100.0);
    let hot = roles.hot == Some((node, gpu));
    if hot {
        util = util.max(70.0);
    }
    let load = util / 100.0;
    let mut temp = 30.0 + 45.0 * load + (noise(seed, n, g, sec / 5) - 0.5) * 3.0;
    let mut throttle = if util < 5.0 { 0x1 } else { 0 };
    if hot {
        temp = 88.0 + 4.0 * noise(seed, n, g, sec / 3);
        throttle |= 0x40 | 0x20;
    }
    let power = p.power_idle_w + (p.power_limit_w - p.power_idle_w) * load * 0.92;
    if power > p.power_limit_w * 0.9 {
        throttle |= 0x4;
    }
    let mem_frac = if job < 0.15 {
        0.01
    } else {
        0.3 + 0.65 * noise(seed, n, g, sec / 240)
    };
    let usable = p.fb_total_mib - p.fb_reserved_mib;
    let is_xid = roles.xid == Some((node, gpu));
    let xid = if is_xid { xid_at(t) } else { 0 };
    let _ = gpus;
    GpuState {
        util: util.round(),
        mem_used: (usable * mem_frac).round(),
        temp: temp.round(),
        mem_temp: if p.with_help {
            (temp + 6.0).round()
        } else {
            0.0
        },
        power: (power * 1000.0).round() / 1000.0,
        sm_clock: if util < 5.0 {
            p.sm_clock_idle
        } else if hot {
            p.sm_clock_max * 0.7
        } else {
            p.sm_clock_max
        },
        throttle,
        xid,
        ecc_dbe: if xid == 48 { 1.0 } else { 0.0 },
        pcie_replays: if is_xid { (t / 30.0).floor() } else { 0.0 },
        energy_mj: (p.power_idle_w * 1000.0 * (3_600_000.0 + t)).round(),
    }
}
