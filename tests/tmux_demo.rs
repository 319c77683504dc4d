//! The real binary in a real terminal: tmux runs `aami-tui demo`, we wait for
//! nodes to appear, press `q`, and check the terminal is restored.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("run tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

fn wait_for(session: &str, what: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let screen = tmux(&["capture-pane", "-p", "-S", "-200", "-t", session]);
        if screen.contains(what) {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "{what:?} never appeared; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `aami-tui demo ARGS` in a detached tmux session of the given
/// size; after the TUI exits the shell prints its exit code and the tty's
/// icanon/echo modes, then waits so the screen can be read.
fn start_demo(name: &str, width: &str, height: &str, env: &str, args: &str) -> Session {
    common::require("tmux", "tmux");
    let session = Session(format!("aami-{name}-{}", std::process::id()));
    let script = format!(
        "{env} {} demo {args}; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; sleep 30",
        common::bin()
    );
    let out = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session.0,
            "-x",
            width,
            "-y",
            height,
            "sh",
            "-c",
            &script,
        ])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    session
}

fn run_demo_in(width: &str, height: &str, name: &str) {
    let session = start_demo(name, width, height, "", "--nodes 12 --refresh 500ms");
    let screen = wait_for(&session.0, "gpu-node-12", Duration::from_secs(20));
    assert!(screen.contains("DEMO"));
    // Wait for the first scrape to land.
    let screen = wait_for(&session.0, "refreshed", Duration::from_secs(20));
    assert!(screen.contains(" up"), "{screen}");
    Command::new("tmux")
        .args(["send-keys", "-t", &session.0, "?"])
        .output()
        .unwrap();
    wait_for(&session.0, "keys", Duration::from_secs(5));
    Command::new("tmux")
        .args(["send-keys", "-t", &session.0, "Escape"])
        .output()
        .unwrap();
    Command::new("tmux")
        .args(["send-keys", "-t", &session.0, "q"])
        .output()
        .unwrap();
    let screen = wait_for(&session.0, "EXIT=", Duration::from_secs(10));
    assert!(screen.contains("EXIT=0"), "{screen}");
    // Raw mode is off again: canonical input and echo are back on.
    let modes = wait_for(&session.0, "icanon", Duration::from_secs(5));
    assert!(
        modes.contains("icanon") && !modes.contains("-icanon"),
        "{modes}"
    );
    assert!(
        modes.contains("echo") && !modes.contains("-echo "),
        "{modes}"
    );
    // The alternate screen is gone: the TUI's table is no longer shown.
    assert!(!modes.contains("NODE "), "{modes}");
}

#[test]
fn demo_in_tmux_160x48_quits_and_restores_the_terminal() {
    run_demo_in("160", "48", "wide");
}

#[test]
fn demo_in_tmux_80x24_quits_and_restores_the_terminal() {
    run_demo_in("80", "24", "narrow");
}

#[test]
fn a_panic_restores_the_terminal_before_the_report() {
    let session = start_demo(
        "panic",
        "120",
        "40",
        "RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 AAMI_TEST_PANIC=1",
        "--nodes 2",
    );
    let screen = wait_for(&session.0, "EXIT=", Duration::from_secs(20));
    assert!(
        screen.contains("The application panicked"),
        "color-eyre report shown: {screen}"
    );
    assert!(screen.contains("AAMI_TEST_PANIC"), "{screen}");
    assert!(!screen.contains("EXIT=0"), "non-zero exit: {screen}");
    let modes = wait_for(&session.0, "icanon", Duration::from_secs(5));
    assert!(
        !modes.contains("-icanon") && !modes.contains("-echo "),
        "raw mode off: {modes}"
    );
}

#[test]
fn a_terminal_error_is_reported_not_hidden() {
    // No terminal at all (stdin/stdout are pipes): a clear error, non-zero exit.
    let out = Command::new(common::bin())
        .args(["demo", "--nodes", "1"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}
