//! Query mode's alerts pane: Prometheus's pending alerts and Alertmanager's
//! alerts with their silenced / inhibited state; `s` opens the silence form
//! (matchers from the alert's labels, author $USER) and submitting it asks
//! for a silence job; `:silences` lists silences and `x` expires one; an
//! Alertmanager that is down is shown as an error line and the pane stays
//! usable. Golden frames at 80×24 and 160×48.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use aami_tui::alerts::alertmanager::{
    AmAlert, AmAlertStatus, Matcher, PromAlert, Silence, SilenceStatus,
};
use aami_tui::app::jobs::JobInput;
use aami_tui::app::remote::{RemoteAlerts, RemoteConfig};
use aami_tui::app::{App, Event, Origin, Overlay, Request};
use aami_tui::domain::{Fleet, NodeSpec};
use aami_tui::ui::theme::Theme;
use common::{frame, keys, press};
use crossterm::event::KeyCode;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn am_alert(name: &str, gpu: &str, sev: &str, silenced: bool, inhibited: bool) -> AmAlert {
    AmAlert {
        labels: labels(&[
            ("alertname", name),
            ("instance", "127.0.10.1:9400"),
            ("gpu", gpu),
            ("Hostname", "gpu-a1"),
            ("severity", sev),
        ]),
        annotations: labels(&[("summary", &format!("{name} on GPU {gpu}"))]),
        starts_at: "2026-11-30T21:00:00Z".into(),
        fingerprint: format!("f{gpu}"),
        status: AmAlertStatus {
            state: if silenced || inhibited {
                "suppressed"
            } else {
                "active"
            }
            .into(),
            silenced_by: if silenced {
                vec!["5c1e4c3a-0000-4000-8000-000000000001".into()]
            } else {
                vec![]
            },
            inhibited_by: if inhibited { vec!["f9".into()] } else { vec![] },
        },
    }
}

fn silence(id: &str, comment: &str) -> Silence {
    Silence {
        id: id.into(),
        matchers: vec![
            Matcher::parse("alertname=GpuTooHot").expect("m"),
            Matcher::parse("gpu=3").expect("m"),
        ],
        starts_at: "2026-11-30T21:00:00Z".into(),
        ends_at: "2026-11-30T23:00:00Z".into(),
        created_by: "ops".into(),
        comment: comment.into(),
        status: SilenceStatus {
            state: "active".into(),
        },
    }
}

fn app(remote: RemoteAlerts) -> App {
    let specs = vec![NodeSpec {
        name: "gpu-a1".into(),
        address: "127.0.10.1".into(),
        ..Default::default()
    }];
    let mut app = App::new(Fleet::new("lab", specs, 8), Origin::Live, Instant::now());
    app.remote_config = RemoteConfig {
        prometheus_url: Some("http://127.0.0.1:9090".into()),
        alertmanager_url: Some("http://127.0.0.1:9093".into()),
    };
    app.user = "ops-tester".into();
    app.on_event(Event::Remote(Box::new(remote)));
    press(&mut app, KeyCode::Char('3'));
    app
}

fn remote() -> RemoteAlerts {
    RemoteAlerts {
        prometheus: Some(Ok(vec![
            PromAlert {
                labels: labels(&[
                    ("alertname", "GpuTemperatureWarning"),
                    ("instance", "127.0.10.1:9400"),
                    ("gpu", "5"),
                    ("severity", "warning"),
                ]),
                annotations: labels(&[("summary", "GPU 5 at 78 °C")]),
                state: "pending".into(),
                active_at: Some("2026-11-30T21:50:00Z".into()),
                value: "78".into(),
            },
            // Firing in Prometheus: Alertmanager's copy stands for it.
            PromAlert {
                labels: labels(&[
                    ("alertname", "GpuTooHot"),
                    ("instance", "127.0.10.1:9400"),
                    ("gpu", "3"),
                    ("severity", "critical"),
                ]),
                annotations: BTreeMap::new(),
                state: "firing".into(),
                active_at: None,
                value: "91".into(),
            },
        ])),
        alertmanager: Some(Ok(vec![
            am_alert("GpuTooHot", "3", "critical", true, false),
            am_alert("GpuEccDoubleBit", "1", "critical", false, false),
            am_alert("GpuTemperatureWarning", "3", "warning", false, true),
        ])),
        silences: Some(Ok(vec![
            silence("5c1e4c3a-0000-4000-8000-000000000001", "fan swap"),
            silence("77", "old"),
        ])),
    }
}

fn both(app: &mut App, name: &str) -> (String, String) {
    let small = frame(app, &Theme::mono(), 80, 24);
    let big = frame(app, &Theme::mono(), 160, 48);
    snap!(format!("{name}_80x24"), small.clone());
    snap!(format!("{name}_160x48"), big.clone());
    (small, big)
}

#[test]
fn alertmanager_alerts_show_their_silenced_and_inhibited_state() {
    let mut app = app(remote());
    let (_, big) = both(&mut app, "remote_alerts");
    let rows = app.alert_rows();
    let states: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.rule.as_str(), r.suppressed.unwrap_or(r.phase.word())))
        .collect();
    assert_eq!(
        states,
        [
            ("GpuEccDoubleBit", "firing"),
            ("GpuTooHot", "silenced"),
            ("GpuTemperatureWarning", "inhibited"),
            ("GpuTemperatureWarning", "pending"),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.node == Some(0) && r.node_name == "gpu-a1"),
        "matched to the fleet node"
    );
    assert!(
        big.contains("silenced") && big.contains("inhibited"),
        "{big}"
    );
}

#[test]
fn s_opens_a_prefilled_silence_form_and_submits_a_job() {
    let mut app = app(remote());
    // The ECC alert, first row.
    press(&mut app, KeyCode::Char('s'));
    let (_, big) = both(&mut app, "silence_form");
    let Some(Overlay::Form(f)) = app.mode.overlay() else {
        panic!("the form: {big}")
    };
    assert_eq!(
        f.value("Matchers").as_deref(),
        Some("alertname=GpuEccDoubleBit, instance=127.0.10.1:9400, gpu=1, Hostname=gpu-a1")
    );
    assert!(big.contains("gpu=1, Hostname=gpu-a1"), "{big}");
    assert!(big.contains("ops-tester"), "{big}");
    // Comment is required: Enter without it stays on the form.
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.mode.overlay(), Some(Overlay::Form(f)) if f.focus == 2),
        "the form stays, on the missing comment"
    );
    assert!(app.requests.is_empty());
    keys(&mut app, "reseating GPU 1");
    press(&mut app, KeyCode::Enter);
    let job = app.requests.iter().find_map(|r| match r {
        Request::RunJob(spec) => Some(spec.clone()),
        _ => None,
    });
    let Some(spec) = job else {
        panic!("a silence job: {:?}", app.requests)
    };
    let JobInput::Silence(d) = spec.input else {
        panic!("silence input")
    };
    assert_eq!(
        d.matchers,
        [
            "alertname=GpuEccDoubleBit",
            "instance=127.0.10.1:9400",
            "gpu=1",
            "Hostname=gpu-a1"
        ]
    );
    assert_eq!(
        (d.duration_s, d.comment.as_str(), d.author.as_str()),
        (7200, "reseating GPU 1", "ops-tester")
    );
}

#[test]
fn silences_list_expires_with_one_key() {
    let mut app = app(remote());
    keys(&mut app, ":silences");
    press(&mut app, KeyCode::Enter);
    assert!(app.requests.contains(&Request::ReloadRemote));
    let (_, big) = both(&mut app, "silences_list");
    assert!(
        big.contains("fan swap") && big.contains("alertname=\"GpuTooHot\""),
        "{big}"
    );
    app.requests.clear();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('x'));
    let expired = app.requests.iter().find_map(|r| match r {
        Request::RunJob(spec) => match &spec.input {
            JobInput::ExpireSilence(id) => Some(id.clone()),
            _ => None,
        },
        _ => None,
    });
    // Both end at the same time; the second listed is "77".
    assert_eq!(expired.as_deref(), Some("77"));
}

#[test]
fn an_alertmanager_that_is_down_leaves_the_pane_usable() {
    let mut r = remote();
    r.alertmanager = Some(Err(
        "cannot reach http://127.0.0.1:9093/api/v2/alerts: connection refused".into(),
    ));
    r.silences = Some(Err(
        "cannot reach http://127.0.0.1:9093/api/v2/alerts: connection refused".into(),
    ));
    let mut app = app(r);
    let (small, _) = both(&mut app, "remote_alerts_am_down");
    assert!(
        small.contains("Alertmanager: cannot reach http://127.0.0.1:9093"),
        "{small}"
    );
    // Prometheus's alerts are still listed (firing too, with Alertmanager gone).
    let rules: Vec<String> = app.alert_rows().iter().map(|r| r.rule.clone()).collect();
    assert_eq!(rules, ["GpuTooHot", "GpuTemperatureWarning"]);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.ui.alert_selected, 1, "the pane still moves");
}
