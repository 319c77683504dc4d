//! `aami-tui notify render` writes an alertmanager.yml that the real
//! `amtool check-config` accepts (critical at once and every 4 h, warnings
//! grouped, critical inhibits warning); `notify test` posts to a real HTTP
//! listener on loopback. Secrets come from ${ENV} and are never printed.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const TOKEN: &str = "T0KEN-s3cr3t-9f8e7d";

fn aami(home: &Path, config: &Path, args: &[&str], url: &str) -> Output {
    Command::new(common::bin())
        .arg("-c")
        .arg(config)
        .args(args)
        .env_remove("AAMI_CONFIG")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOOK_URL", url)
        .env("SMTP_PASSWORD", format!("smtp-{TOKEN}"))
        .output()
        .expect("run aami-tui")
}

fn config(dir: &Path, slack_url: &str) -> std::path::PathBuf {
    let p = dir.join("config.yaml");
    std::fs::write(
        &p,
        format!(
            "cluster: {{name: lab}}\nnotifications:\n  slack: {{enabled: true, webhook_url: \"{slack_url}\", channel: \"#gpu\"}}\n  email: {{enabled: true, smtp_host: smtp.example.com, smtp_port: 587, from: gpu@example.com, to: [ops@example.com], username: gpu, password: \"${{SMTP_PASSWORD}}\"}}\n  webhook: {{enabled: true, url: \"${{HOOK_URL}}\"}}\n"
        ),
    )
    .expect("write");
    p
}

/// Accepts one HTTP request on loopback; returns (port, the request text).
fn listener() -> (u16, std::thread::JoinHandle<String>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().expect("accept");
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    break;
                }
            }
        }
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        String::from_utf8_lossy(&buf).to_string()
    });
    (port, h)
}

#[test]
fn render_gives_an_alertmanager_config_amtool_accepts() {
    common::require("amtool", "prometheus-alertmanager");
    let home = tempfile::tempdir().expect("tmp");
    let cfg = config(home.path(), "${HOOK_URL}");
    let out = home.path().join("alertmanager.yml");
    let url = format!("https://hooks.example.com/{TOKEN}");
    let o = aami(
        home.path(),
        &cfg,
        &["notify", "render", "-o", out.to_str().expect("utf8")],
        &url,
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let printed = format!("{}{}", common::stdout(&o), common::stderr(&o));
    assert!(!printed.contains(TOKEN), "no secret printed: {printed}");
    assert_eq!(
        std::fs::metadata(&out).expect("file").permissions().mode() & 0o777,
        0o600
    );
    let check = Command::new("amtool")
        .args(["check-config"])
        .arg(&out)
        .output()
        .expect("amtool");
    assert!(
        check.status.success(),
        "{}{}",
        common::stdout(&check),
        common::stderr(&check)
    );
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.contains(TOKEN),
        "the file itself holds the secret for Alertmanager"
    );
    let v: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
    let routes = v["route"]["routes"].as_sequence().expect("routes");
    assert_eq!(routes[0]["matchers"][0], "severity=\"critical\"");
    assert_eq!(
        (
            routes[0]["group_wait"].as_str(),
            routes[0]["repeat_interval"].as_str()
        ),
        (Some("0s"), Some("4h"))
    );
    assert_eq!(
        routes[1]["group_by"][0], "alertname",
        "warnings grouped by rule"
    );
    let inhibit = &v["inhibit_rules"][0];
    assert_eq!(inhibit["source_matchers"][0], "severity=\"critical\"");
    assert_eq!(inhibit["target_matchers"][0], "severity=\"warning\"");
    assert_eq!(
        inhibit["equal"],
        serde_yaml::from_str::<serde_yaml::Value>("[alertname, instance]").expect("y")
    );
    let r = &v["receivers"][0];
    assert!(
        r["slack_configs"].is_sequence()
            && r["email_configs"].is_sequence()
            && r["webhook_configs"].is_sequence()
    );
}

#[test]
fn a_secret_written_in_clear_is_refused() {
    let home = tempfile::tempdir().expect("tmp");
    let cfg = config(
        home.path(),
        &format!("https://hooks.slack.com/services/{TOKEN}"),
    );
    let out = home.path().join("am.yml");
    let o = aami(
        home.path(),
        &cfg,
        &["notify", "render", "-o", out.to_str().expect("utf8")],
        "http://x",
    );
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(
        err.contains("notifications.slack.webhook_url") && err.contains("${SLACK_WEBHOOK_URL}"),
        "{err}"
    );
    assert!(!err.contains(TOKEN), "{err}");
    assert!(!out.exists());
}

#[test]
fn notify_test_posts_to_a_real_listener_and_never_prints_the_url() {
    let home = tempfile::tempdir().expect("tmp");
    for (channel, slack_url) in [
        ("webhook", "https://unused.example.com/x"),
        ("slack", "${HOOK_URL}"),
    ] {
        let (port, got) = listener();
        let url = format!("http://127.0.0.1:{port}/hook/{TOKEN}");
        // The slack URL must come from ${ENV}; the webhook one may too.
        let cfg = config(
            home.path(),
            if channel == "slack" {
                slack_url
            } else {
                "${HOOK_URL}"
            },
        );
        let o = aami(home.path(), &cfg, &["notify", "test", channel], &url);
        let printed = format!("{}{}", common::stdout(&o), common::stderr(&o));
        assert!(o.status.success(), "{printed}");
        assert!(
            printed.contains(&format!("{channel}: test message sent (HTTP 200)")),
            "{printed}"
        );
        assert!(!printed.contains(TOKEN), "{printed}");
        let req = got.join().expect("listener");
        assert!(
            req.starts_with(&format!("POST /hook/{TOKEN} HTTP/1.1")),
            "{req}"
        );
        let body = req.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
        let v: serde_json::Value = serde_json::from_str(body).expect("json body");
        match channel {
            "webhook" => {
                assert_eq!(v["version"], "4");
                assert_eq!(
                    v["alerts"][0]["labels"]["alertname"],
                    "AamiTestNotification"
                );
                assert_eq!(v["alerts"][0]["labels"]["cluster"], "lab");
            }
            _ => {
                assert!(
                    v["text"].as_str().unwrap_or("").contains("cluster lab"),
                    "{v}"
                );
                assert_eq!(v["channel"], "#gpu");
            }
        }
    }
    // Nobody listening: the reason, without the URL.
    let port = common::servers::free_port();
    let cfg = config(home.path(), "${HOOK_URL}");
    let o = aami(
        home.path(),
        &cfg,
        &["notify", "test", "webhook"],
        &format!("http://127.0.0.1:{port}/{TOKEN}"),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(
        err.contains("webhook: cannot connect") && !err.contains(TOKEN),
        "{err}"
    );
}
