//! Golden frames of the cockpit's interaction pieces, at 80×24 and 160×48:
//! the help overlay, the command line, the confirm dialog, forms, the action
//! log and a job's output, the filter prompt and the Xid popup.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::Duration;

use aami_tui::app::form::{Check, Field, Form, FormPurpose};
use aami_tui::app::jobs::{JobEvent, JobState};
use aami_tui::app::{App, Event, Overlay, View};
use aami_tui::ui::theme::Theme;
use common::{frame, keys, press};
use crossterm::event::KeyCode;

const T: f64 = 50.0;

fn both(app: &mut App, name: &str) -> (String, String) {
    let small = frame(app, &Theme::mono(), 80, 24);
    let big = frame(app, &Theme::mono(), 160, 48);
    snap!(format!("{name}_80x24"), small.clone());
    snap!(format!("{name}_160x48"), big.clone());
    (small, big)
}

#[test]
fn help_overlay_fits_and_scrolls_instead_of_cutting() {
    let mut app = common::demo_app(12, T);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('?'));
    let (small, big) = both(&mut app, "help_heatmap");
    // The heatmap's own keys come first, and none of its lines is cut: every
    // help line ends inside the box.
    assert!(big.contains("This pane: Heatmap"), "{big}");
    for s in [&small, &big] {
        let rows: Vec<&str> = s.lines().filter(|l| l.matches('│').count() >= 2).collect();
        assert!(rows.len() > 10, "{s}");
        for l in rows {
            // Between the borders: text never runs into the right border.
            let inner = l
                .split_once('│')
                .and_then(|x| x.1.rsplit_once('│'))
                .map(|x| x.0)
                .unwrap_or("");
            assert!(inner.ends_with(' '), "cut at the border: {l:?}");
        }
    }
    // Words the footer never shows prove the overlay is the help, and text
    // from the end of long rows proves nothing is cut at 80 columns.
    assert!(small.contains("dense cells"), "{small}");
    assert!(
        small.contains("health"),
        "the metric list wraps, whole: {small}"
    );
    // 80×24 cannot show it all: it says so and scrolls.
    assert!(small.contains("↑↓ 1-"), "{small}");
    press(&mut app, KeyCode::PageDown);
    let scrolled = frame(&mut app, &Theme::mono(), 80, 24);
    assert_ne!(scrolled, small);
    assert!(
        scrolled.contains("Everywhere") || scrolled.contains("Fleet"),
        "{scrolled}"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.mode.overlay().is_none());
}

#[test]
fn help_lines_wrap_under_their_text_column() {
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('?'));
    let s = frame(&mut app, &Theme::mono(), 60, 40);
    // "sort by the next column (name, state, …)" is longer than 60 columns:
    // its second line starts under the text, not under the key.
    let lines: Vec<&str> = s.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("sort by the next column"))
        .expect("sort row");
    let text_col = lines[i].find("sort by").expect("col");
    let next = lines[i + 1];
    let first_char = next
        .char_indices()
        .skip(1)
        .find(|(_, c)| !c.is_whitespace())
        .map(|(b, _)| b)
        .expect("continuation");
    assert_eq!(first_char, text_col, "{}\n{}", lines[i], next);
}

#[test]
fn command_line_completes_and_suggests() {
    let mut app = common::demo_app(12, T);
    keys(&mut app, ":he");
    press(&mut app, KeyCode::Tab);
    let (small, _) = both(&mut app, "command_candidates");
    assert!(small.contains("heatmap  help"), "{small}");
    press(&mut app, KeyCode::Esc);
    keys(&mut app, ":nod gpu-node-02");
    press(&mut app, KeyCode::Enter);
    let (small, _) = both(&mut app, "command_unknown");
    assert!(
        small.contains("unknown command :nod: did you mean :node?"),
        "{small}"
    );
    assert!(
        small.contains(" :nod gpu-node-02"),
        "the line stays to be fixed: {small}"
    );
    // History: ↑ brings the last line back after the prompt is reopened.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char(':'));
    press(&mut app, KeyCode::Up);
    let s = frame(&mut app, &Theme::mono(), 80, 24);
    assert!(
        s.lines()
            .last()
            .unwrap_or("")
            .starts_with(" :nod gpu-node-02"),
        "{s}"
    );
}

#[test]
fn commands_do_what_they_say() {
    let mut app = common::demo_app(12, T);
    for (line, check) in [
        (":heatmap temp", "heat"),
        (":node gpu-node-02", "node"),
        (":xid 79", "xid"),
        (":sort temp desc", "sort"),
        (":filter rack=r1 temp>85", "filter"),
        (":alerts", "alerts"),
        (":log", "log"),
        (":fleet", "fleet"),
    ] {
        keys(&mut app, line);
        press(&mut app, KeyCode::Enter);
        match check {
            "heat" => {
                assert_eq!(app.view(), View::Heatmap);
                assert_eq!(app.ui.heat.metric.word(), "temp");
            }
            "node" => assert_eq!(app.view(), View::Node(1)),
            "xid" => {
                assert!(
                    matches!(app.mode.overlay(), Some(Overlay::Xid(p)) if p.code() == Some(79))
                );
                press(&mut app, KeyCode::Esc);
            }
            "sort" => assert!(app.ui.sort_desc && app.ui.sort.word() == "temp"),
            "filter" => {
                let names: Vec<String> = app
                    .visible_nodes()
                    .iter()
                    .map(|&i| app.fleet.nodes[i].spec.name.clone())
                    .collect();
                assert_eq!(names, ["gpu-node-02"]);
            }
            "alerts" => assert_eq!(app.view(), View::Alerts),
            "log" => assert_eq!(app.view(), View::Log),
            _ => assert_eq!(app.view(), View::Fleet),
        }
    }
    keys(&mut app, ":q");
    press(&mut app, KeyCode::Enter);
    assert!(app.should_quit);
}

#[test]
fn marked_nodes_are_confirmed_before_a_scan() {
    let mut app = common::demo_app(12, T);
    keys(&mut app, "  ");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('l'));
    assert!(app.requests.is_empty(), "nothing runs before the answer");
    let (small, big) = both(&mut app, "confirm_scan");
    for name in ["gpu-node-01", "gpu-node-02", "gpu-node-04"] {
        assert!(small.contains(&format!("• {name}")), "{small}");
    }
    assert!(big.contains("3 marked"), "{big}");
    // Enter alone answers "no": the safe default.
    press(&mut app, KeyCode::Enter);
    assert!(app.requests.is_empty() && app.mode.overlay().is_none());
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.requests.len(), 3, "one job per marked node");
    // Pressing l again while they run starts nothing new.
    app.requests.clear();
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.requests.is_empty(), "{:?}", app.requests);
    assert!(
        app.notice
            .as_deref()
            .unwrap_or("")
            .contains("already scanning")
    );
    // `*` marks every visible node, `U` clears.
    press(&mut app, KeyCode::Char('*'));
    assert_eq!(app.ui.marks.len(), 12);
    press(&mut app, KeyCode::Char('U'));
    assert!(app.ui.marks.is_empty());
}

#[test]
fn heatmap_space_marks_the_node_under_the_cursor() {
    let mut app = common::demo_app(12, T);
    press(&mut app, KeyCode::Char('2'));
    frame(&mut app, &Theme::mono(), 160, 48);
    press(&mut app, KeyCode::Down);
    let id = app.cursor_node().expect("a node");
    press(&mut app, KeyCode::Char(' '));
    assert!(app.ui.marks.contains(&id));
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    let name = &app.fleet.nodes[id].spec.name;
    assert!(s.contains(&format!("●{name}")), "{s}");
}

fn add_node_app() -> App {
    let mut app = common::demo_app(12, T);
    app.can_add_nodes = true;
    app
}

#[test]
fn add_node_form_validates_inline_and_takes_paste() {
    let mut app = add_node_app();
    press(&mut app, KeyCode::Char('a'));
    keys(&mut app, "gpu-node-02");
    press(&mut app, KeyCode::Tab);
    keys(&mut app, "127.0.0.bad host");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    keys(&mut app, "99999");
    press(&mut app, KeyCode::Enter);
    let (small, _) = both(&mut app, "form_add_node_errors");
    assert!(
        small.contains("✖ not an IP address or host name"),
        "{small}"
    );
    assert!(small.contains("✖ a port is 1–65535"), "{small}");
    // Submitting put the focus on the first bad field, the address. Fix it
    // with a paste (into the focused field), then the port.
    assert!(matches!(app.mode.overlay(), Some(Overlay::Form(f)) if f.focus == 1));
    press_ctrl(&mut app, 'u');
    app.apply(aami_tui::app::Action::Paste("127.0.0.17\n".into()));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    press_ctrl(&mut app, 'u');
    keys(&mut app, "2222");
    press(&mut app, KeyCode::Enter);
    // The name is taken: the form stays, and says so.
    let s = frame(&mut app, &Theme::mono(), 80, 24);
    assert!(s.contains("gpu-node-02 is already in the fleet"), "{s}");
    assert!(matches!(app.mode.overlay(), Some(Overlay::Form(f)) if f.focus == 0));
    press_ctrl(&mut app, 'u');
    keys(&mut app, "gpu-node-17");
    press(&mut app, KeyCode::Enter);
    assert!(app.mode.overlay().is_none(), "{:?}", app.mode.overlay());
    let [aami_tui::app::Request::RunJob(spec)] = app.requests.as_slice() else {
        panic!("{:?}", app.requests);
    };
    let aami_tui::app::jobs::JobInput::Onboard(aami_tui::app::jobs::OnboardRequest::Nodes(v)) =
        &spec.input
    else {
        panic!("{spec:?}");
    };
    let [d] = v.as_slice() else {
        panic!("{v:?}");
    };
    assert_eq!(
        (d.name.as_str(), d.ip.as_str(), d.ssh_port),
        ("gpu-node-17", "127.0.0.17", Some(2222))
    );
}

fn press_ctrl(app: &mut App, c: char) {
    common::press_with(
        app,
        KeyCode::Char(c),
        crossterm::event::KeyModifiers::CONTROL,
    );
}

#[test]
fn a_form_masks_secrets() {
    let mut app = common::demo_app(4, T);
    app.mode.push_overlay(Overlay::Form(Form::new(
        "Unlock SSH key",
        FormPurpose::AddNode,
        vec![
            Field::text("Key file", Check::Required, "~/.ssh/id_ed25519")
                .with_value("~/.ssh/fleet"),
            Field::secret("Passphrase", "asked once, never stored"),
            Field::choice("Remember", &["this session", "no"]),
        ],
    )));
    press(&mut app, KeyCode::Tab);
    keys(&mut app, "s3cr3t pass");
    let (small, big) = both(&mut app, "form_secret");
    for s in [&small, &big] {
        assert!(!s.contains("s3cr3t"), "{s}");
        assert!(s.contains("•••••••••••"), "{s}");
    }
}

fn finished_jobs_app() -> App {
    let mut app = common::demo_app(12, T);
    keys(&mut app, "  l");
    press(&mut app, KeyCode::Char('y'));
    let ids: Vec<u64> = app
        .requests
        .iter()
        .filter_map(|r| match r {
            aami_tui::app::Request::RunJob(s) => Some(s.id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    let t0 = app.now;
    app.on_event(Event::Job(JobEvent::Started {
        id: ids[0],
        output_file: Some("/var/lib/aami/jobs/7-1-klog.log".into()),
    }));
    app.on_event(Event::Job(JobEvent::Output {
        id: ids[0],
        line: "ssh root@127.0.1.1:22 journalctl -k".into(),
    }));
    app.on_event(Event::Job(JobEvent::Output {
        id: ids[0],
        line: "line 812: Xid 79 on PCI 0000:75:00: GPU has fallen off the bus.".into(),
    }));
    app.now = t0 + Duration::from_millis(1400);
    app.on_event(Event::Job(JobEvent::Finished {
        id: ids[0],
        state: JobState::Ok("kernel log has 1 Xid event(s) in 2048 lines".into()),
    }));
    app.on_event(Event::Job(JobEvent::Started {
        id: ids[1],
        output_file: None,
    }));
    app.now = t0 + Duration::from_secs(3);
    app.on_event(Event::Job(JobEvent::Finished {
        id: ids[1],
        state: JobState::Failed("host key for 127.0.1.2 changed: see known_hosts line 3".into()),
    }));
    app
}

#[test]
fn action_log_lists_jobs_newest_first_and_shows_output() {
    let mut app = finished_jobs_app();
    press(&mut app, KeyCode::Char('L'));
    let (small, big) = both(&mut app, "action_log");
    let rows: Vec<&str> = big
        .lines()
        .filter(|l| l.contains("kernel-log scan"))
        .collect();
    assert_eq!(rows.len(), 2, "{big}");
    assert!(
        rows[0].contains("failed") && rows[0].contains("gpu-node-02"),
        "newest first: {big}"
    );
    assert!(rows[1].contains("ok") && rows[1].contains("1.4s"), "{big}");
    assert!(small.contains("host key"), "{small}");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let (small, _) = both(&mut app, "job_output");
    assert!(small.contains("Xid 79 on PCI 0000:75:00"), "{small}");
    assert!(small.contains("/var/lib/aami/jobs/7-1-klog.log"), "{small}");
    // Cancelling a finished job says so instead of pretending.
    press(&mut app, KeyCode::Char('c'));
    assert!(
        app.requests
            .iter()
            .all(|r| !matches!(r, aami_tui::app::Request::CancelJob(_)))
    );
}

#[test]
fn cancelling_a_running_job_asks_the_runtime() {
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('l'));
    app.requests.clear();
    press(&mut app, KeyCode::Char('L'));
    press(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(
            app.requests.as_slice(),
            [aami_tui::app::Request::CancelJob(1)]
        ),
        "{:?}",
        app.requests
    );
}

#[test]
fn filter_prompt_and_paste() {
    let mut app = common::demo_app(12, T);
    app.apply(aami_tui::app::Action::Paste("temp>85".into()));
    let (small, _) = both(&mut app, "filter_prompt");
    assert!(small.contains(" / temp>85▏"), "{small}");
    assert_eq!(app.visible_nodes().len(), 1);
}

#[test]
fn xid_popup_80x24_and_160x48() {
    let mut app = common::demo_app(12, T);
    keys(&mut app, ":xid 79");
    press(&mut app, KeyCode::Enter);
    let (small, big) = both(&mut app, "xid_popup_79");
    // Commands sit whole on their own lines at 160 columns.
    assert!(
        big.lines()
            .any(|l| l.trim_matches(|c| c == '│' || c == ' ') == "nvidia-smi and lspci -d 10de:")
            || big.contains("lspci -d 10de:"),
        "{big}"
    );
    assert!(small.contains("↑↓ 1-"), "80×24 scrolls: {small}");
}

#[test]
fn the_popup_uses_the_users_xid_overrides() {
    let mut app = common::demo_app(4, T);
    let mut cat = aami_tui::xid::Catalogue::builtin().clone();
    cat.apply_overrides(
        "- code: 79\n  do_now:\n    - \"Page the on-call hardware engineer: ipmitool sel list\"\n",
        std::path::Path::new("xids.yaml"),
    )
    .expect("override applies");
    app.xids = std::sync::Arc::new(cat);
    keys(&mut app, "x79");
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    assert!(s.contains("Page the on-call hardware engineer:"), "{s}");
}

/// The three keys the old flag soup sent to the wrong place: after opening a
/// node and switching to the heatmap, `l`, `Enter` and the footer belong to
/// the heatmap, not to the node hidden under it.
#[test]
fn keys_go_to_the_view_on_screen_not_a_hidden_one() {
    let mut app = common::demo_app(12, T);
    let n06 = app
        .fleet
        .nodes
        .iter()
        .position(|n| n.spec.name == "gpu-node-06")
        .expect("node 06");
    app.ui.selected = Some(n06);
    press(&mut app, KeyCode::Enter);
    // GPU 2 of gpu-node-06 has Xid 79: in the node view Enter there would
    // explain it.
    keys(&mut app, "jj");
    press(&mut app, KeyCode::Char('2'));
    let s = frame(&mut app, &Theme::mono(), 160, 48);
    assert_eq!(app.view(), View::Heatmap);
    // 1. `l` moves right in the heatmap; it starts no SSH scan.
    let gpu = app.ui.heat.gpu;
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.ui.heat.gpu, gpu + 1);
    assert!(app.requests.is_empty(), "{:?}", app.requests);
    // 2. The footer shows the heatmap's keys, not the node's.
    let footer = s.lines().last().unwrap_or_default();
    assert!(footer.contains("m metric"), "{footer}");
    assert!(
        !footer.contains("xid scan") && !footer.contains("explain"),
        "{footer}"
    );
    // 3. Enter opens the node under the heatmap cursor, not the Xid of the
    // hidden node's GPU.
    let under_cursor = app.cursor_node().expect("cursor node");
    press(&mut app, KeyCode::Enter);
    assert!(app.mode.overlay().is_none(), "{:?}", app.mode.overlay());
    assert_eq!(app.view(), View::Node(under_cursor));
}

#[test]
fn quitting_with_jobs_running_asks_first() {
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.jobs.active(), 1);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit);
    let s = frame(&mut app, &Theme::mono(), 80, 24);
    assert!(
        s.contains("1 job is still running. Quit and stop it?"),
        "{s}"
    );
    assert!(s.contains("job 1: kernel-log scan on gpu-node-01"), "{s}");
    press(&mut app, KeyCode::Char('n'));
    assert!(!app.should_quit && app.mode.overlay().is_none());
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.should_quit);
    // With nothing running, q quits at once.
    let mut idle = common::demo_app(4, T);
    press(&mut idle, KeyCode::Char('q'));
    assert!(idle.should_quit);
}

/// The install form's sudo password: masked on screen, carried to the job
/// in a type whose Debug never shows it.
#[test]
fn the_sudo_password_is_masked_and_never_printed() {
    let mut app = common::demo_app(4, T);
    press(&mut app, KeyCode::Char('i'));
    // Exporter, Bundle, Version, DCGM if missing, Sudo password.
    press(&mut app, KeyCode::Tab);
    keys(&mut app, "/srv/aami/bundle.tar");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    keys(&mut app, "pw s3cret");
    let s = frame(&mut app, &Theme::mono(), 120, 40);
    assert!(s.contains("Sudo password"), "{s}");
    assert!(s.contains("•••••••••"), "{s}");
    assert!(!s.contains("s3cret"), "{s}");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    let Some(aami_tui::app::Request::RunJob(spec)) = app.requests.first() else {
        panic!("{:?}", app.requests);
    };
    let aami_tui::app::jobs::JobInput::Exporter(req) = &spec.input else {
        panic!("{spec:?}");
    };
    assert_eq!(
        req.sudo_password,
        Some(aami_tui::app::jobs::Secret("pw s3cret".into()))
    );
    assert!(!format!("{:?}", app.requests).contains("s3cret"));
    let s = frame(&mut app, &Theme::mono(), 120, 40);
    assert!(!s.contains("s3cret"), "{s}");
}

#[test]
fn a_notice_longer_than_the_footer_ends_in_an_ellipsis() {
    let mut app = common::demo_app(4, T);
    let long = "late-node: added to the config; scraping it now; stack: targets/node_exporter.json, targets/dcgm-exporter.json rewritten in /opt/aami/stack; Prometheus reads them without a restart";
    app.notice = Some(long.to_string());
    for w in [80u16, 160] {
        let screen = common::text(&common::draw(&app, &Theme::mono(), w, 24));
        let footer = screen.lines().last().unwrap_or("");
        assert!(footer.ends_with('…'), "{w} columns: {footer:?}");
        assert!(footer.starts_with(" late-node: added"), "{footer:?}");
    }
}
