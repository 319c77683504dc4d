//! Configuration errors. Each names the file and, where it can, the line,
//! column and field, and says how to fix it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Box<Located>),
    #[error("{}: {} bad line(s):\n{}", path.display(), lines.len(), format_lines(lines))]
    HostsFile {
        path: PathBuf,
        lines: Vec<(usize, String)>,
    },
    #[error("{}: no config file here. Create one with `aami-tui config init` or `aami-tui nodes add`.", path.display())]
    Missing { path: PathBuf },
}

fn format_lines(lines: &[(usize, String)]) -> String {
    lines
        .iter()
        .map(|(n, m)| format!("  line {n}: {m}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An error at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted path to the field, e.g. `nodes[2].ssh_port`.
    pub field: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    pub fn located(loc: Located) -> Self {
        ConfigError::Invalid(Box::new(loc))
    }

    /// The located detail, for tests and the TUI's status line.
    pub fn location(&self) -> Option<&Located> {
        match self {
            ConfigError::Invalid(l) => Some(l),
            _ => None,
        }
    }
}

/// A serde_yaml error split into its parts: the place, the key path its
/// message starts with (`nodes[0].ip`, `heat[2]`), and the message without
/// serde's own " at line N column M" (callers print the place themselves).
pub struct YamlFault {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

pub fn yaml_fault(e: &serde_yaml::Error) -> YamlFault {
    let (line, column) = e
        .location()
        .map(|l| (Some(l.line()), Some(l.column())))
        .unwrap_or((None, None));
    let mut message = e.to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    let mut key = None;
    if let Some((head, tail)) = message.split_once(": ")
        && !head.is_empty()
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]-".contains(c))
    {
        key = Some(head.to_string());
        message = tail.to_string();
    }
    YamlFault {
        line,
        column,
        key,
        message,
    }
}
