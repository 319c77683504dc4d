//! Golden frames, at 80×24 and 160×48, of the two dialogs onboarding puts
//! before the operator: the unknown-host-key question (alone, and with
//! questions waiting behind it and the key that accepts them all) and the
//! onboarding preview (reachable rows and unreachable ones with their
//! reason). Fingerprints and hosts are test values (loopback addresses);
//! the GPU row comes from a real `nvidia-smi --query-gpu` capture.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::app::host_key::{HostKeyAsk, HostKeyQuestion};
use aami_tui::app::onboard::{OnboardPreview, PreviewRow};
use aami_tui::app::{App, Event};
use aami_tui::config::NodeConfig;
use aami_tui::onboard::{Found, Probe};
use aami_tui::ssh::detect::{Detection, parse_gpu_csv};
use aami_tui::ui::theme::Theme;
use common::{frame, press};
use crossterm::event::KeyCode;

const T: f64 = 50.0;

/// SHA256 fingerprints of the shape `ssh-keygen -l` prints (43 base64
/// characters); test values, not any real host's key.
const FINGERPRINTS: [&str; 9] = [
    "SHA256:q3Xk2mZ9hV7cT1bN0pLw4rYs8uEa6dGf5jHi2KoMnPQ",
    "SHA256:Wb7nT2xVd9LmQ4kZr1sY8cPa3eHf6gJu0iOw5tRyBvE",
    "SHA256:3hJk9LmN2bV5cX8zA1sD4fG7hJ0kL3qW6eR9tY2uI5o",
    "SHA256:Pz8Xc1Vb4Nm7Qw0Er3Ty6Ui9Op2As5Df8Gh1Jk4Lz7M",
    "SHA256:Ae5Rt8Yu1Io4Pa7Sd0Fg3Hj6Kl9Zx2Cv5Bn8Mq1Ww4E",
    "SHA256:Lk3Jh6Gf9Ds2Aq5Ww8Ee1Rr4Tt7Yy0Uu3Ii6Oo9Pp2A",
    "SHA256:Zm1Xn4Cb7Vv0Bb3Nn6Mm9Qq2Ww5Ee8Rr1Tt4Yy7Uu0I",
    "SHA256:Gh2Jk5Lq8Ws1Ed4Rf7Tg0Yh3Uj6Ik9Ol2Pz5Xc8Vb1N",
    "SHA256:Ty9Ui2Op5As8Df1Gh4Jk7Lz0Xc3Vb6Nm9Qw2Er5Ty8U",
];

fn both(app: &mut App, name: &str) -> (String, String) {
    let small = frame(app, &Theme::mono(), 80, 24);
    let big = frame(app, &Theme::mono(), 160, 48);
    snap!(format!("{name}_80x24"), small.clone());
    snap!(format!("{name}_160x48"), big.clone());
    (small, big)
}

/// An app onboarding eight nodes, whose job asks about `asks` host keys.
fn asking(asks: usize) -> App {
    let mut app = common::demo_app(4, T);
    app.can_add_nodes = true;
    app.onboard_file("/etc/aami/new-hosts.txt");
    let job = app.log_rows()[0].id;
    for (i, fingerprint) in FINGERPRINTS.iter().enumerate().take(asks) {
        app.on_event(Event::HostKey(Box::new(HostKeyAsk {
            id: i as u64 + 1,
            job,
            question: HostKeyQuestion {
                host: format!("127.0.0.{}", 11 + i),
                port: 2222,
                algorithm: "ssh-ed25519".into(),
                fingerprint: fingerprint.to_string(),
                known_hosts: "/home/ops/.config/aami/known_hosts".into(),
                checked: vec![
                    "/home/ops/.ssh/known_hosts".into(),
                    "/home/ops/.config/aami/known_hosts".into(),
                ],
            },
        })));
    }
    app
}

/// Whether every line of the box is whole: each row between its borders
/// ends in a blank before the right border.
fn nothing_cut(s: &str) {
    for l in s.lines().filter(|l| l.matches('│').count() >= 2) {
        let inner = l
            .split_once('│')
            .and_then(|x| x.1.rsplit_once('│'))
            .map(|x| x.0)
            .unwrap_or("");
        assert!(
            inner.ends_with(' ') || inner.ends_with('…'),
            "cut at the border: {l:?}"
        );
    }
}

#[test]
fn one_unknown_host_key() {
    let mut app = asking(1);
    let (small, big) = both(&mut app, "host_key_one");
    for s in [&small, &big] {
        // The fingerprint whole, at both sizes; no "accept all" for one key.
        assert!(s.contains(FINGERPRINTS[0]), "{s}");
        assert!(s.contains("127.0.0.11:2222"), "{s}");
        assert!(!s.contains("accept all"), "{s}");
        nothing_cut(s);
    }
}

#[test]
fn unknown_host_keys_waiting_and_accept_all() {
    let mut app = asking(8);
    let (small, big) = both(&mut app, "host_key_waiting");
    // 160×48 lists every waiting host with its whole fingerprint.
    for (i, fp) in FINGERPRINTS.iter().enumerate().take(8) {
        assert!(big.contains(fp), "{big}");
        assert!(big.contains(&format!("127.0.0.{}:2222", 11 + i)), "{big}");
    }
    assert!(
        big.contains("7 more waiting; A accepts all 8 always"),
        "{big}"
    );
    assert!(big.contains("[ A accept all 8 ]"), "{big}");
    // 80×24: the one asked about whole, the list as far as it fits, and
    // how many it left out.
    assert!(small.contains(FINGERPRINTS[0]), "{small}");
    assert!(small.contains("[ A accept all 8 ]"), "{small}");
    assert!(small.contains("more waiting"), "{small}");
    assert!(small.contains("… and"), "{small}");
    for s in [&small, &big] {
        nothing_cut(s);
    }
    // The footer names the key too (from the one binding table).
    assert!(big.contains("A accept all"), "{big}");

    // A: every question answered, no dialog left.
    press(&mut app, KeyCode::Char('A'));
    assert_eq!(app.showing_host_key(), None);
    let after = frame(&mut app, &Theme::mono(), 160, 48);
    assert!(!after.contains("unknown host key"), "{after}");
    assert!(
        after.contains("8 host keys accepted and remembered"),
        "{after}"
    );
}

fn node(name: &str, ip: &str) -> NodeConfig {
    NodeConfig {
        name: name.into(),
        ip: ip.into(),
        ssh_port: Some(2222),
        ..NodeConfig::default()
    }
}

fn row(probe: Probe) -> PreviewRow {
    PreviewRow {
        node: probe.node.clone(),
        cells: probe.cells(),
        reachable: probe.reachable(),
        already_configured: probe.already_configured(),
        topology: probe.topology().map(str::to_string),
    }
}

#[test]
fn onboarding_preview_reachable_and_unreachable() {
    let gpus = parse_gpu_csv(
        &std::fs::read_to_string(common::fixture(
            "nvidia_smi/nvgpuexp_query-gpu_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle.csv",
        ))
        .unwrap(),
    )
    .unwrap();
    let gpu_node = Detection {
        kernel_arch: "Linux x86_64".into(),
        os: Some("Ubuntu 22.04.4 LTS".into()),
        init: Some("systemd".into()),
        gpus,
        gpu_problem: None,
        dcgm: true,
        listening: vec![22, 9100],
        topology: String::new(),
    };
    let plain = Detection {
        kernel_arch: "Linux x86_64".into(),
        os: Some("Debian GNU/Linux 12 (bookworm)".into()),
        init: Some("systemd".into()),
        gpus: Vec::new(),
        gpu_problem: Some("nvidia-smi: not found".into()),
        dcgm: false,
        listening: vec![22],
        topology: String::new(),
    };
    let mut probes = Vec::new();
    for (i, fingerprint) in FINGERPRINTS.iter().enumerate().take(4) {
        probes.push(Probe {
            node: node(&format!("gpu-{:02}", i + 1), &format!("127.0.0.{}", 11 + i)),
            result: Ok(Found {
                host_key: format!("ssh-ed25519 {fingerprint}"),
                detection: if i == 3 {
                    plain.clone()
                } else {
                    gpu_node.clone()
                },
            }),
        });
    }
    probes.push(Probe {
        node: node("gpu-05", "127.0.0.15"),
        result: Err("connect to 127.0.0.15:2222: Connection refused (os error 111)".into()),
    });
    probes.push(Probe {
        node: node("gpu-06", "127.0.0.16"),
        result: Err(format!(
            "host key refused by the operator (ssh-ed25519 {})",
            FINGERPRINTS[5]
        )),
    });
    let mut app = common::demo_app(4, T);
    app.can_add_nodes = true;
    app.on_event(Event::OnboardPreview(Box::new(OnboardPreview {
        job: 1,
        rows: probes.into_iter().map(row).collect(),
        include_unreachable: false,
        scroll: 0,
    })));
    let (small, big) = both(&mut app, "onboard_preview");
    for (i, fp) in FINGERPRINTS.iter().enumerate().take(4) {
        assert!(big.contains(fp), "the fingerprint whole at 160: {big}");
        assert!(small.contains(&format!("gpu-{:02}", i + 1)), "{small}");
    }
    for s in [&small, &big] {
        assert!(s.contains("unreachable"), "{s}");
        assert!(s.contains("Enter writes 4 nodes"), "{s}");
        nothing_cut(s);
    }
    assert!(big.contains("Connection refused"), "{big}");
    assert!(big.contains("H100"), "{big}");

    // u: the unreachable are written too, and the frame says so.
    press(&mut app, KeyCode::Char('u'));
    let (small, big) = both(&mut app, "onboard_preview_unreachable_too");
    assert!(small.contains("Enter writes 6 nodes"), "{small}");
    assert!(big.contains("gpu-05, gpu-06"), "{big}");
    for s in [&small, &big] {
        nothing_cut(s);
    }
}

/// The install form's DCGM choice: off by default; chosen, the confirm
/// says DCGM goes on from the bundle where missing, and the job's request
/// carries it. Frames at both sizes: the long choice is whole.
#[test]
fn install_form_offers_dcgm_from_the_bundle() {
    use aami_tui::app::Request;
    use aami_tui::app::jobs::JobInput;
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('i'));
    // Exporter: node_exporter → dcgm-exporter.
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    common::keys(&mut app, "/srv/aami/bundle.tar");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    let (small, big) = both(&mut app, "install_form_dcgm_default");
    for s in [&small, &big] {
        assert!(s.contains("DCGM if missing"), "{s}");
        assert!(s.contains("stop  install from the bundle"), "{s}");
        nothing_cut(s);
    }
    press(&mut app, KeyCode::Right);
    let (small, _) = both(&mut app, "install_form_dcgm_chosen");
    nothing_cut(&small);
    press(&mut app, KeyCode::Enter);
    let (small, big) = both(&mut app, "install_confirm_dcgm");
    for s in [&small, &big] {
        // Wrapped at the box's width: the words, each line whole.
        assert!(s.contains("and DCGM from the"), "{s}");
        assert!(s.contains("bundle where it is missing, on 1 node"), "{s}");
        nothing_cut(s);
    }
    press(&mut app, KeyCode::Char('y'));
    let reqs: Vec<bool> = app
        .requests
        .iter()
        .filter_map(|r| match r {
            Request::RunJob(spec) => match &spec.input {
                JobInput::Exporter(req) => {
                    Some(req.install_dcgm && req.component == "dcgm-exporter")
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(reqs, [true], "{:?}", app.requests);
}
