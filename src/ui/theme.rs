//! Colours by meaning. Widgets ask the theme what a value means
//! (`util(pct)`, `severity(crit)`), never for a raw colour. With `NO_COLOR`
//! every style is plain and state is carried by words and symbols.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::Severity;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub mono: bool,
    pub accent: Color,
    pub text: Color,
    pub dim: Color,
    pub ok: Color,
    pub warn: Color,
    pub crit: Color,
    pub selected_bg: Color,
    pub header_bg: Color,
    pub heat_scale: [Color; 5],
}

impl Default for Theme {
    fn default() -> Self {
        Self::dark()
    }
}

/// RGB of an xterm 256-colour index.
fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (128, 0, 0),
        (0, 128, 0),
        (128, 128, 0),
        (0, 0, 128),
        (128, 0, 128),
        (0, 128, 128),
        (192, 192, 192),
        (128, 128, 128),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (0, 0, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    match i {
        0..=15 => BASE[i as usize],
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            (g, g, g)
        }
    }
}

/// The nearest of the 16 ANSI colours to an RGB value.
fn nearest_ansi(rgb: (u8, u8, u8)) -> Color {
    const ANSI: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    let dist = |a: (u8, u8, u8)| {
        let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2);
        d(a.0, rgb.0) + d(a.1, rgb.1) + d(a.2, rgb.2)
    };
    (0..16u8)
        .min_by_key(|&i| dist(indexed_rgb(i)))
        .map(|i| ANSI[i as usize])
        .unwrap_or(Color::Reset)
}

fn nearest_indexed(rgb: (u8, u8, u8)) -> Color {
    let dist = |a: (u8, u8, u8)| {
        let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2);
        d(a.0, rgb.0) + d(a.1, rgb.1) + d(a.2, rgb.2)
    };
    (16..=255u8)
        .min_by_key(|&i| dist(indexed_rgb(i)))
        .map(Color::Indexed)
        .unwrap_or(Color::Reset)
}

/// Fits one colour to the terminal's depth.
pub fn downgrade(c: Color, depth: ColorDepth) -> Color {
    match (c, depth) {
        (_, ColorDepth::TrueColor) => c,
        (Color::Rgb(r, g, b), ColorDepth::Indexed256) => nearest_indexed((r, g, b)),
        (Color::Rgb(r, g, b), ColorDepth::Ansi16) => nearest_ansi((r, g, b)),
        (Color::Indexed(i), ColorDepth::Ansi16) => nearest_ansi(indexed_rgb(i)),
        _ => c,
    }
}

/// Built-in themes, embedded so the binary needs no files beside it.
pub use crate::config::themes::BUILTIN;

/// A theme file: every key optional, so a user file can override a few.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    accent: Option<String>,
    text: Option<String>,
    dim: Option<String>,
    ok: Option<String>,
    warn: Option<String>,
    crit: Option<String>,
    selected_bg: Option<String>,
    header_bg: Option<String>,
    heat: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThemeError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("unknown theme {0:?}: built-in themes are dark, light, high-contrast, colorblind")]
    Unknown(String),
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Indexed256,
    Ansi16,
}

impl ColorDepth {
    /// From `COLORTERM` and `TERM`, the way terminals advertise it.
    pub fn detect(colorterm: Option<&str>, term: Option<&str>) -> Self {
        if colorterm.is_some_and(|c| c.contains("truecolor") || c.contains("24bit")) {
            ColorDepth::TrueColor
        } else if term
            .is_some_and(|t| t.contains("256") || t.starts_with("tmux") || t.starts_with("screen"))
        {
            ColorDepth::Indexed256
        } else {
            ColorDepth::Ansi16
        }
    }
}

fn parse_color(file: &str, key: &str, v: &str) -> Result<Color, ThemeError> {
    v.trim().parse::<Color>().map_err(|_| ThemeError::Invalid {
        file: file.to_string(),
        message: format!("{key}: {v:?} is not a colour (a name like red, \"#rrggbb\", or 0-255)"),
    })
}

impl Theme {
    /// Applies the keys a theme file names onto `self`.
    fn overlay(mut self, file: &str, text: &str) -> Result<Self, ThemeError> {
        let f: ThemeFile = serde_yaml::from_str(text).map_err(|e| ThemeError::Invalid {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let set = |slot: &mut Color, key: &str, v: &Option<String>| -> Result<(), ThemeError> {
            if let Some(v) = v {
                *slot = parse_color(file, key, v)?;
            }
            Ok(())
        };
        set(&mut self.accent, "accent", &f.accent)?;
        set(&mut self.text, "text", &f.text)?;
        set(&mut self.dim, "dim", &f.dim)?;
        set(&mut self.ok, "ok", &f.ok)?;
        set(&mut self.warn, "warn", &f.warn)?;
        set(&mut self.crit, "crit", &f.crit)?;
        set(&mut self.selected_bg, "selected_bg", &f.selected_bg)?;
        set(&mut self.header_bg, "header_bg", &f.header_bg)?;
        if let Some(h) = &f.heat {
            if h.len() != 5 {
                return Err(ThemeError::Invalid {
                    file: file.to_string(),
                    message: format!("heat: needs 5 colours, cool to alarming; found {}", h.len()),
                });
            }
            for (i, v) in h.iter().enumerate() {
                self.heat_scale[i] = parse_color(file, "heat", v)?;
            }
        }
        Ok(self)
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Result<Self, ThemeError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        let mut t = Self::dark().overlay(&format!("themes/{name}.yaml"), text)?;
        t.name = name.to_string();
        Ok(t)
    }

    /// The theme `name`: the built-in one (dark when there is none of that
    /// name) with `user_file`'s keys on top.
    pub fn load(name: &str, user_file: Option<(&str, &str)>) -> Result<Self, ThemeError> {
        let base = match Self::builtin(name) {
            Ok(t) => t,
            Err(ThemeError::Unknown(_)) if user_file.is_some() => Self::dark(),
            Err(e) => return Err(e),
        };
        let mut t = match user_file {
            Some((path, text)) => base.overlay(path, text)?,
            None => base,
        };
        t.name = name.to_string();
        Ok(t)
    }

    /// Maps colours the terminal cannot show to the nearest it can.
    pub fn for_depth(mut self, depth: ColorDepth) -> Self {
        let map = |c: Color| downgrade(c, depth);
        self.accent = map(self.accent);
        self.text = map(self.text);
        self.dim = map(self.dim);
        self.ok = map(self.ok);
        self.warn = map(self.warn);
        self.crit = map(self.crit);
        self.selected_bg = map(self.selected_bg);
        self.header_bg = map(self.header_bg);
        self.heat_scale = self.heat_scale.map(map);
        self
    }

    /// The theme to draw with: `NO_COLOR` wins; otherwise the named theme
    /// with the user's override file (path, text) on top, fitted to the
    /// terminal. A broken file falls back to dark and says why, so the
    /// status line can show it. Reading the file is the caller's job.
    pub fn resolve(
        name: &str,
        user_file: Option<(&str, &str)>,
        no_color: bool,
        depth: ColorDepth,
    ) -> (Self, Option<String>) {
        if no_color {
            return (Self::mono(), None);
        }
        match Self::load(name, user_file) {
            Ok(t) => (t.for_depth(depth), None),
            Err(e) => (
                Self::dark().for_depth(depth),
                Some(format!("theme {name:?} not used ({e}); showing dark")),
            ),
        }
    }

    pub fn dark() -> Self {
        Self {
            name: "dark".into(),
            mono: false,
            accent: Color::Cyan,
            text: Color::Reset,
            dim: Color::DarkGray,
            ok: Color::Green,
            warn: Color::Yellow,
            crit: Color::Red,
            selected_bg: Color::Indexed(236),
            header_bg: Color::Indexed(235),
            heat_scale: [
                Color::Indexed(54),
                Color::Indexed(25),
                Color::Indexed(30),
                Color::Indexed(71),
                Color::Indexed(220),
            ],
        }
    }

    /// Plain styles only: bold and reverse survive, colours do not.
    pub fn mono() -> Self {
        Self {
            name: "mono".into(),
            mono: true,
            ..Self::dark()
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    pub fn text(&self) -> Style {
        self.fg(self.text)
    }

    pub fn dim(&self) -> Style {
        if self.mono {
            Style::default()
        } else {
            self.fg(self.dim)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn header_bar(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
                .bg(self.header_bg)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn column_header(&self) -> Style {
        self.dim()
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn selected(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.selected_bg)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn tab(&self, active: bool) -> Style {
        if active {
            self.fg(self.accent)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            self.dim()
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(self.accent)
        } else {
            self.dim()
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Critical => self.fg(self.crit).add_modifier(Modifier::BOLD),
            Severity::Warning => self.fg(self.warn),
            Severity::Info => self.fg(self.accent),
        }
    }

    pub fn ok(&self) -> Style {
        self.fg(self.ok)
    }

    /// Utilisation: idle is dim, busy is the accent, nothing is alarming.
    pub fn util(&self, pct: f64) -> Style {
        if pct < 10.0 {
            self.dim()
        } else if pct < 60.0 {
            self.text()
        } else {
            self.fg(self.ok)
        }
    }

    /// Temperature against the GPU's slowdown limit.
    pub fn temp(&self, c: f64, limit: f64) -> Style {
        if c >= limit {
            self.severity(Severity::Critical)
        } else if c >= limit - 7.0 {
            self.severity(Severity::Warning)
        } else {
            self.text()
        }
    }

    /// A heatmap cell of band 0 (cool) to 4 (alarming). The scale is
    /// viridis-like (purple, blue, teal, green, yellow): it stays ordered for
    /// the common colour-vision deficiencies and in grey.
    pub fn heat(&self, band: usize) -> Style {
        if self.mono {
            return Style::default();
        }
        let c = self.heat_scale[band.min(4)];
        Style::default().fg(c)
    }

    /// The heatmap cursor on top of a cell's style.
    pub fn cursor(&self, cell: Style) -> Style {
        cell.add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// A health band.
    pub fn health(&self, b: crate::domain::health::Band) -> Style {
        use crate::domain::health::Band;
        match b {
            Band::Healthy => self.ok(),
            Band::Degraded => self.severity(Severity::Warning),
            Band::Critical => self.severity(Severity::Critical),
        }
    }

    /// Memory use: nearly full is a warning.
    pub fn mem(&self, pct: f64) -> Style {
        if pct >= 95.0 {
            self.severity(Severity::Warning)
        } else {
            self.text()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_loads() {
        for (name, _) in BUILTIN {
            let t = Theme::builtin(name).unwrap();
            assert_eq!(t.name, *name);
        }
        assert_eq!(Theme::builtin("light").unwrap().crit, Color::Indexed(160));
        assert!(matches!(
            Theme::builtin("neon"),
            Err(ThemeError::Unknown(_))
        ));
    }

    #[test]
    fn user_file_overrides_only_what_it_names() {
        let t = Theme::load("dark", Some(("my.yaml", "crit: magenta\n"))).unwrap();
        assert_eq!(t.crit, Color::Magenta);
        assert_eq!(t.ok, Theme::dark().ok);
        let e = Theme::load("dark", Some(("my.yaml", "crit: notacolour\n"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("my.yaml: crit: \"notacolour\" is not a colour"),
            "{e}"
        );
        let e = Theme::load("dark", Some(("my.yaml", "critical: red\n"))).unwrap_err();
        assert!(e.to_string().contains("unknown field `critical`"), "{e}");
    }

    #[test]
    fn colours_fall_back_to_what_the_terminal_shows() {
        assert_eq!(
            ColorDepth::detect(Some("truecolor"), Some("xterm")),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(None, Some("xterm-256color")),
            ColorDepth::Indexed256
        );
        assert_eq!(ColorDepth::detect(None, Some("linux")), ColorDepth::Ansi16);
        assert_eq!(
            downgrade(Color::Rgb(255, 0, 0), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            downgrade(Color::Indexed(220), ColorDepth::Ansi16),
            Color::LightYellow
        );
        assert_eq!(
            downgrade(Color::Rgb(0, 0, 0), ColorDepth::Indexed256),
            Color::Indexed(16)
        );
        let t = Theme::builtin("colorblind")
            .unwrap()
            .for_depth(ColorDepth::Ansi16);
        assert!(
            t.heat_scale
                .iter()
                .all(|c| !matches!(c, Color::Rgb(..) | Color::Indexed(_)))
        );
    }

    #[test]
    fn a_broken_user_theme_falls_back_visibly() {
        let (t, problem) = Theme::resolve(
            "neon",
            Some((
                "/home/op/.config/aami/themes/neon.yaml",
                "accent: [not, a, colour]\n",
            )),
            false,
            ColorDepth::TrueColor,
        );
        assert_eq!(t.accent, Theme::dark().accent, "dark is used instead");
        let p = problem.expect("the status line says why");
        assert!(p.contains("neon.yaml") && p.contains("showing dark"), "{p}");
        let (_, fine) = Theme::resolve("light", None, false, ColorDepth::TrueColor);
        assert_eq!(fine, None);
        let (mono, none) = Theme::resolve("neon", None, true, ColorDepth::TrueColor);
        assert!(mono.mono && none.is_none(), "NO_COLOR wins");
    }
}
