//! The Xid catalogue: one entry per NVIDIA Xid code, from the embedded
//! `xid-db/xids.yaml`, optionally overridden by `<config dir>/xids.yaml`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::domain::Severity;

/// The embedded knowledge base (the binary needs no file beside it).
pub const BUILTIN_YAML: &str = include_str!("../../xid-db/xids.yaml");

/// File name of the user override file inside the config directory.
pub const USER_FILE: &str = "xids.yaml";

/// One Xid code explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XidEntry {
    pub code: u32,
    /// NVIDIA's short name, e.g. `ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS`.
    pub mnemonic: String,
    /// One-line human name.
    pub name: String,
    pub meaning: String,
    pub causes: Vec<String>,
    /// Ordered steps for the operator, most urgent first.
    pub do_now: Vec<String>,
    /// Ordered follow-up checks.
    pub investigate: Vec<String>,
    pub severity: Severity,
    pub hardware_likely: bool,
    pub generations: Generations,
    /// NVIDIA lists the code as unused on current data-center GPUs (A100–GB200).
    pub unused: bool,
    pub related: Vec<Related>,
    pub reference: String,
}

impl XidEntry {
    /// `Xid 79 — GPU has fallen off the bus`.
    pub fn title(&self) -> String {
        format!("Xid {} — {}", self.code, self.name)
    }

    /// The one-line explanation used next to scanned events.
    pub fn one_liner(&self) -> String {
        if self.unused {
            format!(
                "{} ({}, unused on current GPUs)",
                self.name,
                self.severity.long_word()
            )
        } else {
            format!("{} ({})", self.name, self.severity.long_word())
        }
    }

    /// `usually hardware` / `usually not hardware`.
    pub fn hardware_text(&self) -> &'static str {
        if self.hardware_likely {
            "usually hardware"
        } else {
            "usually not hardware"
        }
    }
}

/// Which GPUs a code applies to: a list of models, or a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Generations {
    List(Vec<String>),
    Text(String),
}

impl Default for Generations {
    fn default() -> Self {
        Generations::List(Vec::new())
    }
}

impl fmt::Display for Generations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generations::List(v) if v.is_empty() => f.write_str("not stated"),
            Generations::List(v) => f.write_str(&v.join(", ")),
            Generations::Text(t) => f.write_str(t),
        }
    }
}

/// A pointer to another code and why it matters here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Related {
    pub code: u32,
    pub why: String,
}

/// Why a code could not be explained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("'{0}' is not an Xid code: give a whole number such as 79")]
    Malformed(String),
    #[error("Xid {0} is not in the catalogue")]
    Unknown(u32),
}

/// Parses a code as typed by a user (`79`, ` 79 `); anything else is malformed.
pub fn parse_code(s: &str) -> Result<u32, LookupError> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LookupError::Malformed(crate::text::sanitize_max(s, 40)));
    }
    t.parse::<u32>()
        .map_err(|_| LookupError::Malformed(crate::text::sanitize_max(s, 40)))
}

/// A catalogue file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}{}: {message}", path.display(), place(*line, *column))]
    Yaml {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("{}{}: Xid {code}: {message}", path.display(), place(*line, None))]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        code: u32,
        message: String,
    },
}

impl CatalogueError {
    /// The 1-based line the error points at, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            CatalogueError::Io { .. } => None,
            CatalogueError::Yaml { line, .. } | CatalogueError::Invalid { line, .. } => *line,
        }
    }
}

fn place(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// An entry as written in YAML. Every field but `code` is optional so a user
/// file can override just one field of a built-in entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    code: u32,
    mnemonic: Option<String>,
    name: Option<String>,
    meaning: Option<String>,
    causes: Option<Vec<String>>,
    do_now: Option<Vec<String>>,
    investigate: Option<Vec<String>>,
    severity: Option<String>,
    hardware_likely: Option<bool>,
    generations: Option<Generations>,
    unused: Option<bool>,
    related: Option<Vec<Related>>,
    reference: Option<String>,
}

/// All known codes, by code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    entries: BTreeMap<u32, XidEntry>,
}

static BUILTIN: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::parse_builtin().unwrap_or_else(|e| {
        panic!("the embedded xid-db/xids.yaml is invalid (the unit tests check it): {e}")
    })
});

impl Catalogue {
    /// The embedded catalogue, parsed once.
    pub fn builtin() -> &'static Catalogue {
        &BUILTIN
    }

    /// Parses the embedded file, strictly: every field must be present.
    pub fn parse_builtin() -> Result<Catalogue, CatalogueError> {
        Self::parse_strict(BUILTIN_YAML, Path::new("<built-in>/xid-db/xids.yaml"))
    }

    /// Parses a complete catalogue; every entry must have every field.
    pub fn parse_strict(text: &str, path: &Path) -> Result<Catalogue, CatalogueError> {
        let raws = parse_raw(text, path)?;
        let mut cat = Catalogue::default();
        for raw in raws {
            let code = raw.code;
            if cat.entries.contains_key(&code) {
                return Err(invalid(text, path, code, "listed twice"));
            }
            let entry = require_all(&raw)
                .and_then(|()| complete(raw, None))
                .map_err(|m| invalid(text, path, code, &m))?;
            cat.entries.insert(code, entry);
        }
        cat.check_related(text, path)?;
        Ok(cat)
    }

    /// The built-in catalogue with `<dir>/xids.yaml` applied when that file exists.
    pub fn with_user_overrides(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let mut cat = Self::builtin().clone();
        let path = dir.join(USER_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                cat.apply_overrides(&text, &path)?;
                Ok(cat)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(cat),
            Err(source) => Err(CatalogueError::Io { path, source }),
        }
    }

    /// Adds or overrides entries by code. A known code takes only the fields
    /// given; a new code needs at least `name`, `meaning` and `severity`.
    /// Nothing changes when the text has an error.
    pub fn apply_overrides(&mut self, text: &str, path: &Path) -> Result<(), CatalogueError> {
        let raws = parse_raw(text, path)?;
        let mut next = self.clone();
        for raw in raws {
            let code = raw.code;
            let base = next.entries.get(&code).cloned();
            let entry = complete(raw, base).map_err(|m| invalid(text, path, code, &m))?;
            next.entries.insert(code, entry);
        }
        next.check_related(text, path)?;
        *self = next;
        Ok(())
    }

    fn check_related(&self, text: &str, path: &Path) -> Result<(), CatalogueError> {
        for e in self.entries.values() {
            for r in &e.related {
                if !self.entries.contains_key(&r.code) {
                    return Err(invalid(
                        text,
                        path,
                        e.code,
                        &format!("related code {} is not in the catalogue", r.code),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn get(&self, code: u32) -> Option<&XidEntry> {
        self.entries.get(&code)
    }

    /// Like [`get`](Self::get) but says why nothing was found.
    pub fn lookup(&self, code: u32) -> Result<&XidEntry, LookupError> {
        self.get(code).ok_or(LookupError::Unknown(code))
    }

    /// Parses user text (`"79"`) and looks it up: malformed vs unknown.
    pub fn lookup_str(&self, s: &str) -> Result<&XidEntry, LookupError> {
        self.lookup(parse_code(s)?)
    }

    /// The one-line explanation of `code`, if known.
    pub fn one_liner(&self, code: u32) -> Option<String> {
        self.get(code).map(XidEntry::one_liner)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in code order.
    pub fn iter(&self) -> impl Iterator<Item = &XidEntry> {
        self.entries.values()
    }

    /// Known codes as compact ranges: `1–173, 185`.
    pub fn ranges_text(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut it = self.entries.keys().copied().peekable();
        while let Some(start) = it.next() {
            let mut end = start;
            while it.peek() == Some(&(end + 1)) {
                end += 1;
                it.next();
            }
            out.push(if end == start {
                start.to_string()
            } else {
                format!("{start}–{end}")
            });
        }
        out.join(", ")
    }
}

fn parse_raw(text: &str, path: &Path) -> Result<Vec<RawEntry>, CatalogueError> {
    // A file of only comments (or nothing) overrides nothing.
    let has_content = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_content {
        return Ok(Vec::new());
    }
    serde_yaml::from_str::<Vec<RawEntry>>(text).map_err(|e| {
        let loc = e.location();
        let mut message = e.to_string();
        // serde_yaml appends " at line N column M"; the place is printed up front.
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        CatalogueError::Yaml {
            path: path.to_path_buf(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message,
        }
    })
}

/// The line of `code: N` for `code`, so semantic errors can name a line too.
fn line_of_code(text: &str, code: u32) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("code:")
                .map(|rest| rest.trim().trim_matches(|c| c == '\'' || c == '"') == code.to_string())
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

fn invalid(text: &str, path: &Path, code: u32, message: &str) -> CatalogueError {
    CatalogueError::Invalid {
        path: path.to_path_buf(),
        line: line_of_code(text, code),
        code,
        message: message.to_string(),
    }
}

/// A complete catalogue names every field of every entry.
fn require_all(raw: &RawEntry) -> Result<(), String> {
    let missing: Vec<&str> = [
        ("mnemonic", raw.mnemonic.is_none()),
        ("name", raw.name.is_none()),
        ("meaning", raw.meaning.is_none()),
        ("causes", raw.causes.is_none()),
        ("do_now", raw.do_now.is_none()),
        ("investigate", raw.investigate.is_none()),
        ("severity", raw.severity.is_none()),
        ("hardware_likely", raw.hardware_likely.is_none()),
        ("generations", raw.generations.is_none()),
        ("unused", raw.unused.is_none()),
        ("related", raw.related.is_none()),
        ("reference", raw.reference.is_none()),
    ]
    .into_iter()
    .filter_map(|(f, gone)| gone.then_some(f))
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing field(s): {}", missing.join(", ")))
    }
}

/// Builds an entry from `raw`, filling missing fields from `base` when given.
fn complete(raw: RawEntry, base: Option<XidEntry>) -> Result<XidEntry, String> {
    let severity = match &raw.severity {
        Some(s) => Some(
            crate::domain::Severity::parse(s)
                .ok_or_else(|| format!("severity '{s}' must be critical, warning or info"))?,
        ),
        None => None,
    };
    let entry = match base {
        Some(b) => XidEntry {
            code: raw.code,
            mnemonic: raw.mnemonic.unwrap_or(b.mnemonic),
            name: raw.name.unwrap_or(b.name),
            meaning: raw.meaning.unwrap_or(b.meaning),
            causes: raw.causes.unwrap_or(b.causes),
            do_now: raw.do_now.unwrap_or(b.do_now),
            investigate: raw.investigate.unwrap_or(b.investigate),
            severity: severity.unwrap_or(b.severity),
            hardware_likely: raw.hardware_likely.unwrap_or(b.hardware_likely),
            generations: raw.generations.unwrap_or(b.generations),
            unused: raw.unused.unwrap_or(b.unused),
            related: raw.related.unwrap_or(b.related),
            reference: raw.reference.unwrap_or(b.reference),
        },
        None => {
            let need = |v: Option<String>, field: &str| {
                v.ok_or_else(|| format!("new entry needs a `{field}` field"))
            };
            XidEntry {
                code: raw.code,
                name: need(raw.name, "name")?,
                meaning: need(raw.meaning, "meaning")?,
                severity: severity
                    .ok_or("new entry needs a `severity` field (critical, warning or info)")?,
                mnemonic: raw.mnemonic.unwrap_or_default(),
                causes: raw.causes.unwrap_or_default(),
                do_now: raw.do_now.unwrap_or_default(),
                investigate: raw.investigate.unwrap_or_default(),
                hardware_likely: raw.hardware_likely.unwrap_or(false),
                generations: raw.generations.unwrap_or_default(),
                unused: raw.unused.unwrap_or(false),
                related: raw.related.unwrap_or_default(),
                reference: raw.reference.unwrap_or_default(),
            }
        }
    };
    if entry.name.trim().is_empty() {
        return Err("`name` is empty".into());
    }
    if entry.meaning.trim().is_empty() {
        return Err("`meaning` is empty".into());
    }
    if entry.related.iter().any(|r| r.code == entry.code) {
        return Err("`related` lists the code itself".into());
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Catalogue {
        Catalogue::parse_builtin().expect("embedded catalogue parses")
    }

    /// Every code of shared/reference/xid_facts.tsv: 1–173 and 185.
    fn expected_codes() -> Vec<u32> {
        (1..=173).chain(std::iter::once(185)).collect()
    }

    #[test]
    fn every_code_is_present_and_nothing_else() {
        let cat = builtin();
        let codes: Vec<u32> = cat.iter().map(|e| e.code).collect();
        assert_eq!(codes, expected_codes());
        assert_eq!(cat.ranges_text(), "1–173, 185");
    }

    #[test]
    fn every_entry_is_well_formed() {
        let cat = builtin();
        for e in cat.iter() {
            let c = e.code;
            assert!(!e.mnemonic.trim().is_empty(), "{c}: mnemonic");
            assert!(!e.name.trim().is_empty(), "{c}: name");
            assert!(!e.name.contains('\n'), "{c}: name is one line");
            assert!(e.meaning.trim().len() > 20, "{c}: meaning");
            assert!(!e.causes.is_empty(), "{c}: causes");
            assert!(!e.investigate.is_empty(), "{c}: investigate");
            assert!(!e.do_now.is_empty(), "{c}: do_now");
            assert!(
                e.do_now.iter().all(|s| !s.trim().is_empty()),
                "{c}: empty step"
            );
            assert!(!e.reference.trim().is_empty(), "{c}: reference");
            assert!(
                !e.generations.to_string().trim().is_empty(),
                "{c}: generations"
            );
            for r in &e.related {
                assert!(cat.get(r.code).is_some(), "{c}: related {} missing", r.code);
                assert_ne!(r.code, c, "{c}: related to itself");
                assert!(!r.why.trim().is_empty(), "{c}: related why");
            }
            if e.unused {
                assert!(
                    e.meaning.to_lowercase().contains("unused")
                        || e.meaning.to_lowercase().contains("not part of data-center"),
                    "{c}: unused entry says so"
                );
            }
        }
    }

    #[test]
    fn severities_and_flags_match_the_reference_table() {
        let cat = builtin();
        let sev = |c| cat.get(c).map(|e| e.severity);
        // DCGM's fatal set and a few well-known ones.
        for c in [48, 64, 74, 79, 95, 119, 120, 140] {
            assert_eq!(sev(c), Some(Severity::Critical), "Xid {c}");
        }
        for c in [13, 31, 94] {
            assert_eq!(sev(c), Some(Severity::Warning), "Xid {c}");
        }
        for c in [43, 45, 63, 154] {
            assert_eq!(sev(c), Some(Severity::Info), "Xid {c}");
        }
        let e79 = cat.get(79).expect("79");
        assert_eq!(e79.mnemonic, "ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS");
        assert!(e79.hardware_likely);
        assert!(!e79.unused);
        assert!(
            e79.do_now
                .iter()
                .any(|s| s.contains("scontrol update nodename="))
        );
        let e48 = cat.get(48).expect("48");
        assert!(
            e48.do_now
                .iter()
                .any(|s| s.contains("nvidia-smi -q -i <gpu index> -d ECC"))
        );
        assert!(e48.do_now.iter().any(|s| s.contains("ROW_REMAPPER")));
        // 48 points at 63/64; 45 at the Xids that cause it; 79 at 154.
        let rel = |c: u32| -> Vec<u32> {
            cat.get(c)
                .map(|e| e.related.iter().map(|r| r.code).collect())
                .unwrap_or_default()
        };
        assert!(rel(48).contains(&63) && rel(48).contains(&64));
        assert!(rel(45).contains(&48) && rel(45).contains(&95));
        assert!(rel(79).contains(&154));
        assert!(rel(154).contains(&79));
        // 61 codes are "Unused/deprecated" in the table, plus 108 (marked unused)
        // and the DLA codes 152/153 that no data-center GPU has.
        let unused: Vec<u32> = cat.iter().filter(|e| e.unused).map(|e| e.code).collect();
        assert_eq!(unused.len(), 64);
        for c in [1, 5, 33, 47, 90, 91, 111, 125, 138, 108, 152, 153] {
            assert!(unused.contains(&c), "Xid {c} unused");
        }
        for c in [8, 13, 79, 154, 173, 185] {
            assert!(!unused.contains(&c), "Xid {c} used");
        }
    }

    #[test]
    fn builtin_is_shared_and_equal_to_a_fresh_parse() {
        assert_eq!(Catalogue::builtin(), &builtin());
        assert!(std::ptr::eq(Catalogue::builtin(), Catalogue::builtin()));
    }

    #[test]
    fn lookup_tells_malformed_from_unknown() {
        let cat = Catalogue::builtin();
        assert_eq!(cat.lookup_str("79").map(|e| e.code), Ok(79));
        assert_eq!(cat.lookup_str(" 185 ").map(|e| e.code), Ok(185));
        assert_eq!(cat.lookup_str("999"), Err(LookupError::Unknown(999)));
        assert_eq!(cat.lookup_str("0"), Err(LookupError::Unknown(0)));
        for bad in ["abc", "-1", "", "7.9", "+79", "99999999999"] {
            assert!(
                matches!(cat.lookup_str(bad), Err(LookupError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn overrides_change_fields_and_add_codes() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(USER_FILE),
            "# site notes\n\
             - code: 79\n  severity: warning\n  do_now: ['Call the on-call DC tech']\n\
             - code: 999\n  name: Site test code\n  meaning: Emitted by our burn-in script.\n  severity: info\n  related: [{code: 79, why: test}]\n",
        )
        .expect("write");
        let cat = Catalogue::with_user_overrides(dir.path()).expect("overrides load");
        let e79 = cat.get(79).expect("79");
        assert_eq!(e79.severity, Severity::Warning);
        assert_eq!(e79.do_now, vec!["Call the on-call DC tech".to_string()]);
        // Fields not given keep the built-in text.
        assert_eq!(e79.name, Catalogue::builtin().get(79).expect("79").name);
        let e999 = cat.get(999).expect("999 added");
        assert_eq!(e999.name, "Site test code");
        assert_eq!(e999.severity, Severity::Info);
        assert_eq!(cat.len(), Catalogue::builtin().len() + 1);
        // The shared built-in is untouched.
        assert_eq!(
            Catalogue::builtin().get(79).expect("79").severity,
            Severity::Critical
        );
    }

    #[test]
    fn missing_override_file_is_the_builtin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cat = Catalogue::with_user_overrides(dir.path()).expect("no file is fine");
        assert_eq!(&cat, Catalogue::builtin());
        std::fs::write(dir.path().join(USER_FILE), "# nothing yet\n\n").expect("write");
        let cat = Catalogue::with_user_overrides(dir.path()).expect("comment-only file is fine");
        assert_eq!(&cat, Catalogue::builtin());
    }

    #[test]
    fn yaml_error_names_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(USER_FILE);
        std::fs::write(
            &path,
            "- code: 79\n  severity: warning\n- code: 80\n  name: [unclosed\n",
        )
        .expect("write");
        let err = Catalogue::with_user_overrides(dir.path()).expect_err("bad yaml");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(
            matches!(err, CatalogueError::Yaml { line: Some(l), .. } if l >= 4),
            "{err:?}"
        );
        assert!(msg.contains(":4:") || msg.contains(":5:"), "{msg}");
    }

    #[test]
    fn semantic_errors_name_the_code_and_line() {
        let mut cat = Catalogue::builtin().clone();
        let path = Path::new("/etc/site/xids.yaml");
        let text = "- code: 13\n  severity: fatal\n";
        let err = cat.apply_overrides(text, path).expect_err("bad severity");
        let msg = err.to_string();
        assert!(
            msg.starts_with("/etc/site/xids.yaml:1: Xid 13: severity 'fatal'"),
            "{msg}"
        );

        let err = cat
            .apply_overrides("- code: 500\n  name: x\n", path)
            .expect_err("new code without meaning");
        assert!(err.to_string().contains("needs a `meaning`"), "{err}");

        let err = cat
            .apply_overrides("- code: 13\n  colour: red\n", path)
            .expect_err("unknown field");
        assert!(err.to_string().contains("colour"), "{err}");

        let err = cat
            .apply_overrides("- code: 13\n  related: [{code: 4242, why: x}]\n", path)
            .expect_err("dangling related");
        assert!(err.to_string().contains("4242"), "{err}");
        // Failed overrides leave the catalogue as it was.
        assert_eq!(&cat, Catalogue::builtin());
    }

    #[test]
    fn strict_parse_rejects_duplicates_and_gaps() {
        let path = Path::new("x.yaml");
        let one = "- {code: 1, mnemonic: A, name: n, meaning: m, causes: [c], do_now: [d], investigate: [i], severity: info, hardware_likely: false, generations: [A100], unused: false, related: [], reference: r}\n";
        assert_eq!(
            Catalogue::parse_strict(one, path).map(|c| c.len()).ok(),
            Some(1)
        );
        let twice = format!("{one}{one}");
        let err = Catalogue::parse_strict(&twice, path).expect_err("duplicate");
        assert!(err.to_string().contains("listed twice"), "{err}");
        let gap = one.replace(", reference: r", "");
        let err = Catalogue::parse_strict(&gap, path).expect_err("missing field");
        assert!(
            err.to_string().contains("missing field(s): reference"),
            "{err}"
        );
    }
}
