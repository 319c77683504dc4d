//! Checking a user theme file (`<config dir>/themes/NAME.yaml`) the way the
//! TUI reads it, for `config check`: a broken file names its path, line and
//! key instead of the TUI silently falling back to the dark theme.
//!
//! The format is the one `ui::theme` reads: every key optional, each a
//! colour (a name like `red`, `"#rrggbb"`, or an index 0–255), and `heat`
//! a list of exactly five colours, cool to alarming.

use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::Color;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// A theme file that the TUI would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ThemeFileError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key at fault, e.g. `crit` or `heat[2]`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ThemeFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Where the TUI looks for the user's file for theme `name`.
pub fn user_theme_path(config_dir: &Path, name: &str) -> PathBuf {
    config_dir.join("themes").join(format!("{name}.yaml"))
}

/// Reads and checks the theme file at `path`.
pub fn check_file(path: &Path) -> Result<(), ThemeFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ThemeFileError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    check_text(&text, path)
}

/// Checks theme file text; `path` is only used in messages.
pub fn check_text(text: &str, path: &Path) -> Result<(), ThemeFileError> {
    let has_content = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_content {
        return Err(ThemeFileError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            key: None,
            message: "the file sets no keys; set at least one colour or delete the file".into(),
        });
    }
    serde_yaml::from_str::<ThemeKeys>(text)
        .map(|_| ())
        .map_err(|e| from_yaml(&e, path))
}

fn from_yaml(e: &serde_yaml::Error, path: &Path) -> ThemeFileError {
    let super::error::YamlFault {
        line,
        column,
        mut key,
        message,
    } = super::error::yaml_fault(e);
    // An unknown key is reported at the mapping; name it from the message.
    if key.is_none()
        && let Some(rest) = message.strip_prefix("unknown field `")
    {
        key = rest.split('`').next().map(str::to_string);
    }
    ThemeFileError {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message,
    }
}

/// The keys a theme file may set (the same set `ui::theme` reads).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Parsed to be checked, not used.
struct ThemeKeys {
    accent: Option<Colour>,
    text: Option<Colour>,
    dim: Option<Colour>,
    ok: Option<Colour>,
    warn: Option<Colour>,
    crit: Option<Colour>,
    selected_bg: Option<Colour>,
    header_bg: Option<Colour>,
    heat: Option<HeatScale>,
}

/// A colour, checked inside the parser so the error carries its place.
struct Colour;

impl<'de> serde::Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Colour;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a colour (a name like red, \"#rrggbb\", or 0-255)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Colour, E> {
                v.trim().parse::<Color>().map(|_| Colour).map_err(|_| {
                    E::custom(format!(
                        "{v:?} is not a colour (a name like red, \"#rrggbb\", or 0-255)"
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}

const HEAT_LEN: usize = 5;

/// `heat`: exactly five colours.
struct HeatScale;

impl<'de> serde::Deserialize<'de> for HeatScale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeatScale;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a list of {HEAT_LEN} colours, cool to alarming")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HeatScale, A::Error> {
                let mut n = 0;
                while seq.next_element::<Colour>()?.is_some() {
                    n += 1;
                }
                if n == HEAT_LEN {
                    Ok(HeatScale)
                } else {
                    Err(de::Error::custom(format!(
                        "needs {HEAT_LEN} colours, cool to alarming; found {n}"
                    )))
                }
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), ThemeFileError> {
        check_text(text, Path::new("my.yaml"))
    }

    #[test]
    fn the_built_in_themes_pass() {
        for (name, text) in crate::config::themes::BUILTIN {
            assert_eq!(check(text), Ok(()), "{name}");
        }
        assert_eq!(check("crit: magenta\n"), Ok(()));
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = check("# mine\naccent: cyan\ncrit: notacolour\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("crit")), "{e}");
        assert!(
            e.to_string()
                .starts_with("my.yaml:3:7: crit: \"notacolour\""),
            "{e}"
        );
        let e = check("accent: cyan\ncritical: red\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(2), Some("critical")),
            "{e}"
        );
        let e = check("heat: [1, 2, 3]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("heat")), "{e}");
        let e = check("heat: [1, 2, nope, 4, 5]\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("heat[2]"), "{e}");
        let e = check("ok: green\nwarn: [yellow\n").unwrap_err();
        assert!(e.line.is_some(), "a syntax error has a place: {e}");
        assert!(check("# only a comment\n").is_err());
    }
}
