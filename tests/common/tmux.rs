//! A private tmux server (`tmux -L NAME`) for driving the real binary in a
//! real terminal: send keys, read the screen, wait for text.

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server with one session; killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("NO_COLOR")
            .output()
            .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-S", "-200"]).stdout)
            .into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", k]);
            // A real typist: Esc followed at once by a key reads as Alt-key.
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Pastes `text` as a terminal paste (bracketed, when the program
    /// asked for it), newlines and all.
    pub fn paste(&self, text: &str) {
        let buffer = format!("aami-{}", std::process::id());
        self.run(&["set-buffer", "-b", &buffer, text]);
        self.run(&["paste-buffer", "-p", "-d", "-b", &buffer]);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Waits until `pred` holds for the screen; returns that screen.
    pub fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
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

    pub fn wait_for(&self, what: &str, timeout: Duration) -> String {
        self.wait(&format!("{what:?}"), timeout, |s| s.contains(what))
    }

    /// The pid of the process the pane's shell runs (the TUI).
    pub fn tui_pid(&self) -> u32 {
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
