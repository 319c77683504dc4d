//! dcgm-exporter's per-link NVLink fields (`_L0`…`_L17`), in both metric
//! namings, read into the fleet per GPU per link, and the links whose
//! counters moved between two refreshes. The pages are real captures with
//! only per-link lines added (tests/fixtures/dcgm/PROVENANCE.md).
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::{Duration, Instant};

use aami_tui::domain::gpu::{LinkCounter, LinkMove};
use aami_tui::domain::{Fleet, NodeSpec, ScrapeOutcome};
use aami_tui::sources::dcgm;
use common::fixture;

fn page(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("dcgm/{name}"))).unwrap()
}

/// The H100 page's second refresh: GPU 3 link 7 CRC flit 5 → 17, link 9
/// replay 0 → 1 (as the provenance says).
fn second_refresh(first: &str) -> String {
    first
        .lines()
        .map(|l| {
            let gpu3 = l.contains("gpu=\"3\"");
            if gpu3 && l.starts_with("DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_L7{") {
                l.replace("} 5", "} 17")
            } else if gpu3 && l.starts_with("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L9{") {
                l.replace("} 0", "} 1")
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn classic_names_per_gpu_per_link() {
    let gpus = dcgm::parse(&page("derived_H100x8_nvlink-per-link-L0-L17.prom"));
    assert_eq!(gpus.len(), 8);
    for g in &gpus {
        assert_eq!(g.nvlink_links.len(), 18, "GPU {}", g.index);
        assert_eq!(
            g.nvlink_links.iter().map(|l| l.link).collect::<Vec<_>>(),
            (0..18).collect::<Vec<_>>()
        );
        assert!(g.nvlink_links.iter().all(|l| l.bandwidth == Some(0.0)
            && l.replay == Some(0.0)
            && l.recovery == Some(0.0)
            && l.crc_data == Some(0.0)));
    }
    let g3 = &gpus[3];
    assert_eq!(g3.nvlink_links[7].crc_flit, Some(5.0));
    // No per-GPU totals on this page: they come from the links.
    assert_eq!(g3.nvlink_errors, Some(5.0));
    assert_eq!(gpus[0].nvlink_errors, Some(0.0));
    // The real capture's other series still read the same.
    assert_eq!(g3.temp_c, Some(29.0));
    assert_eq!(
        gpus[0].workload.as_ref().unwrap().namespace.as_deref(),
        Some("dynamo-workload")
    );
}

#[test]
fn dcgm_4_7_names_per_link_add_up_to_the_totals() {
    let gpus = dcgm::parse(&page(
        "derived_A100x1_dcgm-4.7-names_nvlink-per-link-L0-L11.prom",
    ));
    assert_eq!(gpus.len(), 1);
    let g = &gpus[0];
    assert_eq!(g.nvlink_links.len(), 12);
    assert_eq!(g.nvlink_links[3].crc_flit, Some(3.0));
    assert_eq!(g.nvlink_links[5].replay, Some(1.0));
    assert_eq!(g.nvlink_links[0].bandwidth, Some(0.0), "THROUGHPUT_L0");
    let per_link: f64 = g.nvlink_links.iter().filter_map(|l| l.errors()).sum();
    // The page's own totals win, and agree with the links.
    assert_eq!(g.nvlink_errors, Some(4.0));
    assert_eq!(per_link, 4.0);
    // MIG series carry no per-link fields; the instance is still read.
    assert_eq!(g.mig.len(), 1);
}

#[test]
fn the_counters_that_moved_in_the_last_refresh_link_by_link() {
    let first = page("derived_H100x8_nvlink-per-link-L0-L17.prom");
    let second = second_refresh(&first);
    let mut f = Fleet::new(
        "c",
        vec![NodeSpec {
            name: "gpu-node-1".into(),
            ..NodeSpec::default()
        }],
        4,
    );
    let t0 = Instant::now();
    let outcome = |text: &str| {
        vec![ScrapeOutcome {
            node: 0,
            gpus: Ok(dcgm::parse(text)),
            host: None,
        }]
    };
    f.apply_refresh(outcome(&first), t0, Duration::ZERO);
    assert!(f.nodes[0].nvlink_link_moves.is_empty());
    f.apply_refresh(
        outcome(&second),
        t0 + Duration::from_secs(2),
        Duration::ZERO,
    );
    assert_eq!(
        f.nodes[0].nvlink_link_moves,
        [
            LinkMove {
                gpu: 3,
                link: 7,
                counter: LinkCounter::CrcFlit,
                by: 12.0
            },
            LinkMove {
                gpu: 3,
                link: 9,
                counter: LinkCounter::Replay,
                by: 1.0
            },
        ]
    );
    assert_eq!(f.nodes[0].nvlink_error_moves, [(3, 13.0)]);
    // Unchanged: nothing moved.
    f.apply_refresh(
        outcome(&second),
        t0 + Duration::from_secs(4),
        Duration::ZERO,
    );
    assert!(f.nodes[0].nvlink_link_moves.is_empty());
}

#[test]
fn both_namings_are_per_link_families_and_totals_are_not() {
    use dcgm::LinkField;
    let link = |c, n| Some((LinkField::Error(c), n));
    // (family, what it fills per link, whether the dcgm dialect reads it)
    for (name, want, read) in [
        (
            "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_L0",
            link(LinkCounter::CrcFlit, 0),
            true,
        ),
        (
            "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_L17",
            link(LinkCounter::Recovery, 17),
            true,
        ),
        (
            "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_L12_TOTAL",
            link(LinkCounter::CrcData, 12),
            true,
        ),
        (
            "DCGM_FI_DEV_NVLINK_BANDWIDTH_L5",
            Some((LinkField::Bandwidth, 5)),
            true,
        ),
        (
            "DCGM_FI_DEV_NVLINK_THROUGHPUT_L5",
            Some((LinkField::Bandwidth, 5)),
            true,
        ),
        // Per-GPU totals are read as totals, not per link.
        ("DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", None, true),
        ("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_TOTAL", None, true),
        ("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", None, true),
        ("DCGM_FI_DEV_NVLINK_THROUGHPUT_TOTAL", None, true),
        // NVSwitch-side and malformed names are not.
        ("DCGM_FI_DEV_NVLINK_TX_THROUGHPUT_L0", None, false),
        ("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L", None, false),
        ("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L-1", None, false),
        ("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L999", None, false),
    ] {
        assert_eq!(dcgm::per_link(name), want, "{name}");
        assert_eq!(dcgm::wanted(name), read, "{name}");
    }
}
