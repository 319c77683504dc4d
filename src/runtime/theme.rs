//! Reads the theme the config or `:theme` names: the user's override file
//! and the terminal's colour depth. A broken file is reported, not hidden.

use crate::ui::theme::{ColorDepth, Theme};

/// The theme `name`, and a line for the status bar when it could not be
/// used as asked (the theme is then dark).
pub fn load(name: &str) -> (Theme, Option<String>) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let path = crate::config::themes::user_theme_path(name);
    let text = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    let user = match (&path, &text) {
        (Some(p), Some(t)) => Some((p.to_str().unwrap_or("theme file"), t.as_str())),
        _ => None,
    };
    let depth = ColorDepth::detect(
        std::env::var("COLORTERM").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    );
    Theme::resolve(name, user, no_color, depth)
}
