//! One Xid explanation as a document: a title, a badge and sections of
//! items. The TUI popup and `aami-tui explain` both lay it out with
//! [`XidDocument::layout`], so they read the same. Wrapped lines keep their
//! indent; a shell command always gets a line of its own and is only ever
//! broken when it is wider than the box, with a ` \` continuation mark (so a
//! copied command still runs).

use super::catalogue::{Catalogue, XidEntry};
use crate::domain::Severity;

/// How an item starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    /// A paragraph, indented.
    Text,
    Bullet,
    Number(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub lead: Lead,
    pub text: String,
    /// A shell command the text ends with, shown on its own line.
    pub command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `None` for the lines before the first heading.
    pub heading: Option<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XidDocument {
    pub code: u32,
    /// `Xid 79 — GPU has fallen off the bus`.
    pub title: String,
    /// `critical · usually hardware`.
    pub badge: String,
    pub severity: Severity,
    /// A warning shown before everything else (unused codes).
    pub notice: Option<String>,
    pub sections: Vec<Section>,
}

/// What a laid-out line is, so each front end can style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Text,
    Heading,
    Notice,
    Command,
    Dim,
    Blank,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    pub kind: LineKind,
    pub text: String,
}

/// Commands an item may end with, after `description: `.
const COMMANDS: [&str; 9] = [
    "nvidia-smi",
    "scontrol",
    "dmesg",
    "dcgmi",
    "lspci",
    "systemctl",
    "journalctl",
    "nvidia-bug-report.sh",
    "ipmitool",
];

/// Splits `Check the ECC counters: nvidia-smi -q -d ECC` into the
/// description (with its colon) and the command.
pub fn split_command(text: &str) -> (String, Option<String>) {
    for (i, _) in text.match_indices(": ") {
        let cmd = &text[i + 2..];
        if COMMANDS.iter().any(|c| cmd.starts_with(c)) {
            return (text[..=i].to_string(), Some(cmd.to_string()));
        }
    }
    (text.to_string(), None)
}

fn item(lead: Lead, text: &str) -> Item {
    let (text, command) = split_command(text);
    Item {
        lead,
        text,
        command,
    }
}

impl XidDocument {
    /// The document for `e`; `seen_on` is where it was seen (node, GPU, bus),
    /// when it came from an alert or a GPU.
    pub fn new(e: &XidEntry, cat: &Catalogue, seen_on: Option<String>) -> Self {
        let mut sections = Vec::new();
        let mut top = vec![
            Item {
                lead: Lead::Text,
                text: format!("NVIDIA name: {}", e.mnemonic),
                command: None,
            },
            Item {
                lead: Lead::Text,
                text: format!("Applies to: {}", e.generations),
                command: None,
            },
        ];
        if let Some(s) = seen_on {
            top.insert(
                0,
                Item {
                    lead: Lead::Text,
                    text: format!("Seen on {s}"),
                    command: None,
                },
            );
        }
        sections.push(Section {
            heading: None,
            items: top,
        });
        let list = |heading: &str, items: Vec<Item>| Section {
            heading: Some(heading.to_string()),
            items,
        };
        sections.push(list("What it means", vec![item(Lead::Text, &e.meaning)]));
        sections.push(list(
            "Likely causes",
            e.causes.iter().map(|c| item(Lead::Bullet, c)).collect(),
        ));
        sections.push(list(
            "Do now",
            e.do_now
                .iter()
                .enumerate()
                .map(|(i, s)| item(Lead::Number(i + 1), s))
                .collect(),
        ));
        sections.push(list(
            "Investigate",
            e.investigate
                .iter()
                .enumerate()
                .map(|(i, s)| item(Lead::Number(i + 1), s))
                .collect(),
        ));
        if !e.related.is_empty() {
            sections.push(list(
                "Related",
                e.related
                    .iter()
                    .map(|r| {
                        let name = cat
                            .get(r.code)
                            .map(|x| x.name.as_str())
                            .unwrap_or("not in the catalogue");
                        item(Lead::Bullet, &format!("Xid {} ({name}): {}", r.code, r.why))
                    })
                    .collect(),
            ));
        }
        sections.push(list("Reference", vec![item(Lead::Text, &e.reference)]));
        sections.retain(|s| !s.items.is_empty());
        let second = if e.unused {
            "unused on current GPUs"
        } else {
            e.hardware_text()
        };
        Self {
            code: e.code,
            title: e.title(),
            badge: format!("{} · {second}", e.severity.long_word()),
            severity: e.severity,
            notice: e.unused.then(|| {
                format!(
                    "UNUSED ON CURRENT GPUS: NVIDIA lists Xid {} as unused on current data-center GPUs (A100, H100, B100, GB200). Seeing it there is unexpected: report it.",
                    e.code
                )
            }),
            sections,
        }
    }

    /// The document as lines at most `width` columns wide.
    pub fn layout(&self, width: usize) -> Vec<DocLine> {
        let width = width.max(20);
        let mut out = Vec::new();
        let push = |out: &mut Vec<DocLine>, kind, text: String| out.push(DocLine { kind, text });
        if let Some(n) = &self.notice {
            for l in wrap(n, width, "", "") {
                push(&mut out, LineKind::Notice, l);
            }
        }
        for s in &self.sections {
            if let Some(h) = &s.heading {
                if !out.is_empty() {
                    push(&mut out, LineKind::Blank, String::new());
                }
                push(&mut out, LineKind::Heading, h.clone());
            }
            for it in &s.items {
                let lead = match it.lead {
                    Lead::Text => "  ".to_string(),
                    Lead::Bullet => "  • ".to_string(),
                    Lead::Number(n) => format!("  {n}. "),
                };
                let hang = " ".repeat(lead.chars().count());
                let kind = if s.heading.as_deref() == Some("Reference") {
                    LineKind::Dim
                } else {
                    LineKind::Text
                };
                for l in wrap(&it.text, width, &lead, &hang) {
                    push(&mut out, kind, l);
                }
                if let Some(cmd) = &it.command {
                    let pad = format!("{hang}  ");
                    for l in wrap_command(cmd, width, &pad) {
                        push(&mut out, LineKind::Command, l);
                    }
                }
            }
        }
        out
    }
}

/// Word wrap with a first-line lead and a hanging indent; words longer than
/// a line are split.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = first.to_string();
    let mut lead = first.chars().count();
    let mut len = lead;
    for word in text.split_whitespace() {
        let mut w: Vec<char> = word.chars().collect();
        let sep = usize::from(len > lead);
        if len + sep + w.len() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.extend(w.iter());
            len += sep + w.len();
            continue;
        }
        if len > lead {
            out.push(std::mem::take(&mut line));
            line = rest.to_string();
            lead = rest.chars().count();
        }
        let room = width.saturating_sub(lead).max(1);
        while w.len() > room {
            let tail = w.split_off(room);
            line.extend(w.iter());
            out.push(std::mem::take(&mut line));
            line = rest.to_string();
            lead = rest.chars().count();
            w = tail;
        }
        line.extend(w.iter());
        len = lead + w.len();
    }
    if len > lead || out.is_empty() {
        out.push(line);
    }
    out
}

/// Splits a command at spaces outside quotes, so a quoted argument stays
/// one piece where it can.
fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match (quote, c) {
            (None, ' ') => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A command on its own line(s): whole when it fits. Otherwise it breaks
/// between words (outside quotes where it can) and every line but the last
/// ends with ` \`, the shell's own continuation, so a copied command still
/// runs; a single word wider than the box is cut with a bare `\`.
pub fn wrap_command(cmd: &str, width: usize, pad: &str) -> Vec<String> {
    let pad_w = pad.chars().count();
    if pad_w + cmd.chars().count() <= width {
        return vec![format!("{pad}{cmd}")];
    }
    // Room for the text of a broken line, leaving space for " \".
    let room = width.saturating_sub(pad_w + 2).max(8);
    // (text, ends inside a word)
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut line = String::new();
    for word in shell_words(cmd) {
        let mut w: Vec<char> = word.chars().collect();
        let sep = usize::from(!line.is_empty());
        if line.chars().count() + sep + w.len() <= room {
            if sep == 1 {
                line.push(' ');
            }
            line.extend(w.iter());
            continue;
        }
        if !line.is_empty() {
            out.push((std::mem::take(&mut line), false));
        }
        while w.len() > room {
            let tail = w.split_off(room);
            out.push((w.iter().collect(), true));
            w = tail;
        }
        line.extend(w.iter());
    }
    if !line.is_empty() {
        out.push((line, false));
    }
    let last = out.len().saturating_sub(1);
    out.into_iter()
        .enumerate()
        .map(|(i, (l, mid_word))| match (i < last, mid_word) {
            (true, false) => format!("{pad}{l} \\"),
            (true, true) => format!("{pad}{l}\\"),
            (false, _) => format!("{pad}{l}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(code: u32) -> XidDocument {
        let cat = Catalogue::builtin();
        XidDocument::new(cat.get(code).expect("known code"), cat, None)
    }

    #[test]
    fn commands_get_their_own_line_and_are_never_split_when_they_fit() {
        let d = doc(79);
        for width in [60, 76, 96, 140] {
            let lines = d.layout(width);
            assert!(
                lines.iter().all(|l| l.text.chars().count() <= width),
                "{width}"
            );
            let cmds: Vec<&DocLine> = lines
                .iter()
                .filter(|l| l.kind == LineKind::Command)
                .collect();
            assert!(!cmds.is_empty());
            for c in &cmds {
                assert!(
                    COMMANDS.iter().any(|k| c.text.trim_start().starts_with(k))
                        || c.text.ends_with('\\')
                        || c.text.starts_with("       "),
                    "{c:?}"
                );
            }
            // Every command of the entry appears whole on one line when it fits.
            let e = Catalogue::builtin().get(79).expect("79");
            for step in e.do_now.iter().chain(&e.investigate) {
                if let (_, Some(cmd)) = split_command(step)
                    && cmd.chars().count() + 7 <= width
                {
                    assert!(
                        cmds.iter().any(|l| l.text.trim_start() == cmd),
                        "{cmd:?} not whole at {width}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrapped_items_keep_their_indent() {
        let lines = doc(79).layout(50);
        let mut in_numbered = false;
        for l in &lines {
            if l.kind == LineKind::Heading {
                in_numbered = l.text == "Do now" || l.text == "Investigate";
                continue;
            }
            if in_numbered && l.kind == LineKind::Text {
                let t = &l.text;
                let numbered = t
                    .trim_start()
                    .split('.')
                    .next()
                    .is_some_and(|n| n.parse::<u32>().is_ok());
                assert!(numbered || t.starts_with("     "), "lost indent: {t:?}");
            }
        }
    }

    #[test]
    fn a_long_command_wraps_with_a_continuation_mark() {
        let lines = wrap_command(
            "dmesg -T | grep -i -E \"aer|pcie|thermal|nvrm|xid|fallen off the bus\"",
            30,
            "    ",
        );
        assert!(lines.len() > 1);
        for l in &lines[..lines.len() - 1] {
            assert!(l.ends_with('\\'), "every broken line is marked: {l:?}");
        }
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        // Undo the breaks as the shell would: " \\" ends a word, a bare "\\"
        // continues it.
        let mut joined = String::new();
        for l in &lines {
            let t = l.trim_start();
            match (t.strip_suffix(" \\"), t.strip_suffix('\\')) {
                (Some(w), _) => {
                    joined.push_str(w);
                    joined.push(' ');
                }
                (None, Some(w)) => joined.push_str(w),
                (None, None) => joined.push_str(t),
            }
        }
        assert_eq!(
            joined,
            "dmesg -T | grep -i -E \"aer|pcie|thermal|nvrm|xid|fallen off the bus\""
        );
        // A quoted argument that fits a line is not broken inside.
        let lines = wrap_command("nvidia-smi -q -d \"ECC PAGE_RETIREMENT\" -i 0", 30, "  ");
        assert!(
            lines.iter().any(|l| l.contains("\"ECC PAGE_RETIREMENT\"")),
            "{lines:?}"
        );
    }
}
