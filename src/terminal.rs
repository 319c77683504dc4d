//! Entering and leaving the full-screen terminal, and putting it back on
//! panic before anything else is printed.

use std::io::{Stdout, stdout};
use std::sync::Once;

use crossterm::{
    cursor,
    event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste},
    execute,
    terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
};
use ratatui::{Terminal, backend::CrosstermBackend};

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

static HOOK: Once = Once::new();

/// Installs a panic hook that restores the terminal, runs the hook that was
/// there (color-eyre's report) and ends the process with 101. Ending it is
/// the point: a panic in a background task would otherwise leave the TUI
/// drawing on a terminal that is no longer in raw mode. Call after
/// `color_eyre::install`.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
            std::process::exit(101);
        }));
    });
}

/// Raw mode, alternate screen, hidden cursor.
pub fn init() -> std::io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    if let Err(e) = execute!(
        stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    ) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(stdout())).inspect_err(|_| restore())
}

/// Leaves the alternate screen and raw mode. Safe to call more than once.
pub fn restore() {
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}
