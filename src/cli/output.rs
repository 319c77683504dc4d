//! Standard output for every command.
//!
//! `aami-tui status | head -1` closes the pipe while we are still writing.
//! Rust ignores SIGPIPE, so the write fails with `BrokenPipe`, and
//! the standard print macros turn that into a panic. Everything a command prints goes
//! through [`Stdout`] instead: once the reader is gone, output stops quietly
//! and the command still ends with its own exit code.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write found the reader gone; later output is dropped.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// The process's standard output, safe on a closed pipe.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if READER_GONE.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match io::stdout().lock().write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                READER_GONE.store(true, Ordering::Relaxed);
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if READER_GONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        match io::stdout().lock().flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                READER_GONE.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }
}

/// Prints `text` as is.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = Stdout;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Prints `text` and a newline.
pub fn println(text: &str) -> io::Result<()> {
    let mut out = Stdout;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Prints a line on standard error (warnings, notes). A closed standard
/// error is ignored: it must not end the command.
pub fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}
