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

impl Theme {
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

    /// The theme for this process: `NO_COLOR` set and non-empty wins.
    /// Only the built-in dark theme exists so far; other names fall back to it.
    pub fn from_env(_name: &str) -> Self {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Self::mono();
        }
        Self::dark()
    }

    fn fg(&self, c: Color) -> Style {
        if self.mono { Style::default() } else { Style::default().fg(c) }
    }

    pub fn text(&self) -> Style {
        self.fg(self.text)
    }

    pub fn dim(&self) -> Style {
        if self.mono { Style::default() } else { self.fg(self.dim) }
    }

    pub fn title(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn header_bar(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default().bg(self.header_bg).add_modifier(Modifier::BOLD)
        }
    }

    pub fn column_header(&self) -> Style {
        self.dim().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn selected(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().bg(self.selected_bg).add_modifier(Modifier::BOLD)
        }
    }

    pub fn tab(&self, active: bool) -> Style {
        if active {
            self.fg(self.accent).add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            self.dim()
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused { self.fg(self.accent) } else { self.dim() }
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
        if pct >= 95.0 { self.severity(Severity::Warning) } else { self.text() }
    }
}
