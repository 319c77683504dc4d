//! How a command ends when it fails: [`CliError`] carries the message for
//! standard error and the process exit code, so commands return an error
//! instead of printing and returning a bare number. [`super::dispatch`]
//! prints it and turns it into the exit code.
//!
//! Exit codes: 1 means "ran, but something it looked at is unavailable or
//! down"; 2 means "cannot run as asked" (bad config, bad argument, unreadable
//! input).

use std::fmt;

/// A command's failure: what to tell the user and which code to exit with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct CliError {
    code: i32,
    /// Printed on standard error as is, one or more lines.
    text: String,
}

impl CliError {
    /// Exit 2: bad config, bad argument, input that cannot be read.
    pub fn usage(message: impl fmt::Display) -> Self {
        Self::with_code(2, message)
    }

    /// Exit 1: a source the command needs could not be reached.
    pub fn unavailable(message: impl fmt::Display) -> Self {
        Self::with_code(1, message)
    }

    /// `error: MESSAGE`, exiting with `code`.
    pub fn with_code(code: i32, message: impl fmt::Display) -> Self {
        Self {
            code,
            text: format!("error: {message}"),
        }
    }

    /// A line printed exactly as given (no `error:` prefix).
    pub fn plain(code: i32, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }

    /// Adds a line below the message, e.g. how to fix it.
    pub fn note(mut self, line: impl fmt::Display) -> Self {
        self.text.push('\n');
        self.text.push_str(&line.to_string());
        self
    }

    pub fn code(&self) -> i32 {
        self.code
    }
}

/// Ends a command's result: a [`CliError`] is printed on standard error and
/// becomes its exit code; any other error goes on to color-eyre's report.
pub fn finish(result: color_eyre::Result<i32>) -> color_eyre::Result<i32> {
    match result {
        Ok(code) => Ok(code),
        Err(report) => match report.downcast::<CliError>() {
            Ok(e) => {
                use std::io::Write;
                // Standard error may be closed too; the exit code still tells.
                let _ = writeln!(std::io::stderr().lock(), "{}", e.text);
                Ok(e.code)
            }
            Err(other) => Err(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_errors_become_their_exit_code_and_others_pass_through() {
        let e: color_eyre::Report = CliError::usage("bad").into();
        assert_eq!(finish(Err(e)).ok(), Some(2));
        let e: color_eyre::Report = CliError::unavailable("gone").into();
        assert_eq!(finish(Err(e)).ok(), Some(1));
        assert_eq!(finish(Ok(0)).ok(), Some(0));
        let other = color_eyre::eyre::eyre!("boom");
        assert!(finish(Err(other)).is_err());
    }

    #[test]
    fn messages_are_prefixed_and_notes_follow() {
        let e = CliError::usage("no such node").note("(try `aami-tui nodes list`)");
        assert_eq!(
            e.to_string(),
            "error: no such node\n(try `aami-tui nodes list`)"
        );
        assert_eq!(CliError::plain(2, "no GPUs: x").to_string(), "no GPUs: x");
    }
}
