//! Timings for benchmarks: with `AAMI_BENCH_LOG=PATH` set, the runtime
//! appends one line per event of interest (first frame, each refresh) so
//! `scripts/bench-fleet` can check start-up time and that refreshes keep
//! their period. Nothing is written when the variable is unset.

use std::fs::File;
use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Call first thing in `main`: first-frame times are measured from here.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

pub struct BenchLog {
    file: Option<File>,
}

impl BenchLog {
    pub fn from_env() -> Self {
        let file = std::env::var_os("AAMI_BENCH_LOG").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        Self { file }
    }

    fn line(&mut self, text: std::fmt::Arguments) {
        if let Some(f) = &mut self.file {
            // A benchmark aid: a failed write only loses a timing line.
            let _ = writeln!(f, "{text}");
        }
    }

    pub fn first_frame(&mut self) {
        if self.file.is_some() {
            let since = PROCESS_START.get().map(|s| s.elapsed()).unwrap_or_default();
            self.line(format_args!("first_frame_ms {:.1}", ms(since)));
        }
    }

    pub fn refresh(&mut self, took: Duration, nodes: usize) {
        if self.file.is_some() {
            let since = PROCESS_START.get().map(|s| s.elapsed()).unwrap_or_default();
            self.line(format_args!(
                "refresh at_ms {:.0} took_ms {:.1} nodes {nodes}",
                ms(since),
                ms(took)
            ));
        }
    }

    pub fn draw(&mut self) {
        if self.file.is_some() {
            let since = PROCESS_START.get().map(|s| s.elapsed()).unwrap_or_default();
            self.line(format_args!("draw at_ms {:.0}", ms(since)));
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
