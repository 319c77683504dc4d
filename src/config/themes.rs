//! Theme names and where theme files live. Colours are the UI's business;
//! which themes exist and which file overrides one is configuration, so the
//! config checker and the `:theme` command can name them without the UI.

use std::path::PathBuf;

/// The built-in themes: name and YAML text.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.yaml")),
    ("light", include_str!("../../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.yaml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.yaml")),
];

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

pub fn is_builtin(name: &str) -> bool {
    BUILTIN.iter().any(|(n, _)| *n == name)
}

/// The user's file for theme `name`: `<config dir>/themes/NAME.yaml`.
pub fn user_theme_path(name: &str) -> Option<PathBuf> {
    super::locate::user_dir().map(|d| d.join("themes").join(format!("{name}.yaml")))
}

/// Every theme name available: built-ins, then user files.
pub fn available_names() -> Vec<String> {
    let mut names: Vec<String> = builtin_names().into_iter().map(String::from).collect();
    if let Some(dir) = super::locate::user_dir().map(|d| d.join("themes"))
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "yaml")
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_string());
            }
        }
    }
    names
}
