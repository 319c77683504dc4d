//! The real binary in a real terminal: tmux runs `aami-tui demo`, we drive it
//! with keys and read the screen. Each test has its own tmux server
//! (`tmux -L NAME`), so tests never share state or race on one server.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server with one session; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("NO_COLOR")
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-S", "-200"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", k]);
            // A real typist: Esc followed at once by a key reads as Alt-key.
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Waits until `pred` holds for the screen; returns that screen.
    fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                let size = self.run(&["display-message", "-p", "#{window_width}x#{window_height}"]);
                panic!(
                    "{what} never appeared; window {}; screen:\n{screen}",
                    String::from_utf8_lossy(&size.stdout).trim()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, what: &str, timeout: Duration) -> String {
        self.wait(&format!("{what:?}"), timeout, |s| s.contains(what))
    }

    /// The pid of the process the pane's shell runs (the TUI).
    fn tui_pid(&self) -> u32 {
        let out = self.run(&["display-message", "-p", "#{pane_pid}"]);
        let shell: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pane pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    continue;
                };
                // Fields after the command name in parentheses: state, ppid.
                let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
                let ppid = after
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.parse::<u32>().ok());
                if ppid == Some(shell) && stat.contains("aami-tui") {
                    return pid;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no aami-tui under the pane's shell"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// Starts `aami-tui demo ARGS` in a detached session on a private server;
/// after the TUI exits the shell prints its exit code and the tty's
/// icanon/echo modes, then waits so the screen can be read.
fn start_demo(name: &str, width: &str, height: &str, env: &str, args: &str) -> Tmux {
    common::require("tmux", "tmux");
    let tmux = Tmux {
        socket: format!("aami-{name}-{}", std::process::id()),
    };
    let state = std::env::temp_dir().join(format!("aami-state-{name}-{}", std::process::id()));
    let script = format!(
        "AAMI_STATE_DIR={} {env} {} demo {args}; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; sleep 30",
        state.display(),
        common::bin()
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-x",
        width,
        "-y",
        height,
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        out.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tmux
}

/// Waits until a node row reads `up` (the header says "up" before any data).
fn wait_for_data(t: &Tmux) -> String {
    t.wait("a node row that reads up", Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains("gpu-node-01") && l.split_whitespace().any(|w| w == "up"))
    })
}

fn assert_restored(t: &Tmux, exit: &str) {
    let screen = t.wait_for("EXIT=", Duration::from_secs(10));
    assert!(screen.contains(&format!("EXIT={exit}")), "{screen}");
    // Raw mode is off again: canonical input and echo are back on.
    let modes = t.wait_for("icanon", Duration::from_secs(5));
    let last = modes
        .lines()
        .rev()
        .find(|l| l.contains("icanon"))
        .unwrap_or("");
    assert!(
        last.split_whitespace().any(|w| w == "icanon")
            && last.split_whitespace().any(|w| w == "echo"),
        "{modes}"
    );
    // The alternate screen is gone: the TUI's table is no longer shown.
    assert!(!modes.contains("NODE "), "{modes}");
}

fn run_demo_in(width: &str, height: &str, name: &str) {
    let t = start_demo(name, width, height, "", "--nodes 12 --refresh 500ms");
    let screen = wait_for_data(&t);
    assert!(screen.contains("DEMO"));
    t.keys(&["?"]);
    t.wait_for("This pane: Fleet", Duration::from_secs(5));
    t.keys(&["Escape", "q"]);
    assert_restored(&t, "0");
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
fn sigterm_sighup_and_sigint_restore_the_terminal() {
    for (sig, code) in [("TERM", "143"), ("HUP", "129"), ("INT", "130")] {
        let t = start_demo(&format!("sig{sig}"), "100", "30", "", "--nodes 2");
        wait_for_data(&t);
        let pid = t.tui_pid();
        let killed = Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        assert_restored(&t, code);
    }
}

#[test]
fn a_panic_restores_the_terminal_before_the_report() {
    for (name, which) in [("panic", "1"), ("taskpanic", "task")] {
        let t = start_demo(
            name,
            "120",
            "40",
            &format!("RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 AAMI_TEST_PANIC={which}"),
            "--nodes 2",
        );
        let screen = t.wait_for("EXIT=", Duration::from_secs(20));
        assert!(
            screen.contains("The application panicked"),
            "color-eyre report shown: {screen}"
        );
        assert!(screen.contains("AAMI_TEST_PANIC"), "{screen}");
        assert!(screen.contains("EXIT=101"), "the process ends: {screen}");
        let modes = t.wait_for("icanon", Duration::from_secs(5));
        assert!(
            !modes.contains("-icanon") && !modes.contains("-echo "),
            "raw mode off: {modes}"
        );
    }
}

#[test]
fn commands_marks_and_confirm_as_an_operator_types_them() {
    let t = start_demo("cockpit", "160", "48", "", "--nodes 12 --refresh 500ms");
    wait_for_data(&t);
    // :heatmap power — completion on the way.
    t.keys(&[":"]);
    t.type_text("heatm");
    t.keys(&["Tab"]);
    // capture-pane trims the space completion leaves after the name.
    t.wait_for(" :heatmap", Duration::from_secs(5));
    t.type_text("power");
    t.keys(&["Enter"]);
    t.wait_for("power % of limit", Duration::from_secs(5));
    // :xid 79 explains the code over the heatmap; Esc closes it.
    t.keys(&[":"]);
    t.type_text("xid 79");
    t.keys(&["Enter"]);
    t.wait_for(
        "Xid 79 — GPU has fallen off the bus",
        Duration::from_secs(5),
    );
    t.keys(&["Escape"]);
    // :node opens a node by name.
    t.keys(&[":"]);
    t.type_text("node gpu-node-02");
    t.keys(&["Enter"]);
    t.wait_for("throttled: HW thermal", Duration::from_secs(5));
    // A typo gets a did-you-mean.
    t.keys(&[":"]);
    t.type_text("haetmap");
    t.keys(&["Enter"]);
    t.wait_for("did you mean :heatmap?", Duration::from_secs(5));
    t.keys(&["Escape", "1"]);
    // Mark two nodes (the cursor stayed on gpu-node-02, where :node put it);
    // the header counts them; l asks first and lists them.
    t.keys(&["Space", "Space"]);
    t.wait_for("2 marked", Duration::from_secs(5));
    t.keys(&["l"]);
    let dialog = t.wait_for("confirm: 2 targets", Duration::from_secs(5));
    assert!(
        dialog.contains("• gpu-node-02") && dialog.contains("• gpu-node-03"),
        "{dialog}"
    );
    // Yes starts one job per node; the action log lists them.
    t.keys(&["y", "L"]);
    let log = t.wait_for("kernel-log scan", Duration::from_secs(5));
    assert!(
        log.contains("gpu-node-02") && log.contains("gpu-node-03"),
        "{log}"
    );
    t.keys(&["q"]);
    assert_restored(&t, "0");
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
