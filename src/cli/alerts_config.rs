//! Adding a preset to `alerts.presets` by editing the config's text, so
//! comments and `${VAR}`s survive (as node edits do in config::write).

use std::path::Path;

use crate::config::error::Located;
use crate::config::{Config, ConfigError, load};

/// The text with `name` appended to `alerts.presets`. The result is parsed
/// and checked: the presets must be the old ones plus `name`, and nothing
/// else may change; otherwise the edit is refused with a hint.
pub fn text_with_preset(
    text: &str,
    name: &str,
    current: &Config,
    path: &Path,
) -> Result<String, ConfigError> {
    let new = edit(text, name);
    let _ = current;
    // Compare unexpanded with unexpanded, so ${VAR}s need not be set here.
    let expected = load::parse_unexpanded(text, path).ok().map(|mut old| {
        old.alerts.presets.push(name.to_string());
        old
    });
    match (load::parse_unexpanded(&new, path), expected) {
        (Ok(got), Some(want)) if got == want => Ok(new),
        _ => Err(ConfigError::located(Located {
            path: path.to_path_buf(),
            line: None,
            column: None,
            field: Some("alerts.presets".into()),
            message: "cannot add the preset by editing the file's alerts section".into(),
            hint: Some(format!("add `{name}` under alerts: presets: by hand")),
        })),
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn edit(text: &str, name: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let top =
        |l: &str| indent_of(l) == 0 && !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let Some(a) = lines.iter().position(|l| l.trim_end() == "alerts:") else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("alerts:\n  presets: [{name}]\n"));
        return out;
    };
    let end = lines[a + 1..]
        .iter()
        .position(|l| top(l))
        .map_or(lines.len(), |p| a + 1 + p);
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let child_indent = lines[a + 1..end]
        .iter()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map_or(2, |l| indent_of(l));
    let presets = (a + 1..end).find(|&i| {
        indent_of(lines[i]) == child_indent && lines[i].trim_start().starts_with("presets:")
    });
    match presets {
        None => out.insert(
            a + 1,
            format!("{}presets: [{name}]", " ".repeat(child_indent)),
        ),
        Some(i) => {
            let rest = lines[i].trim_start()["presets:".len()..].trim();
            if rest.starts_with('[') {
                let close = out[i].rfind(']').unwrap_or(out[i].len());
                let inside = rest.trim_start_matches('[').trim_end_matches(']').trim();
                let insert = if inside.is_empty() {
                    name.to_string()
                } else {
                    format!(", {name}")
                };
                out[i].insert_str(close, &insert);
            } else if rest.is_empty() || rest.starts_with('#') {
                // A block list: add after its last item.
                let mut last = i;
                let mut item_indent = child_indent + 2;
                for (j, l) in lines.iter().enumerate().take(end).skip(i + 1) {
                    if l.trim_start().starts_with("- ") && indent_of(l) >= child_indent {
                        last = j;
                        item_indent = indent_of(l);
                    } else if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                        break;
                    }
                }
                out.insert(last + 1, format!("{}- {name}", " ".repeat(item_indent)));
            }
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(text: &str) -> String {
        let path = Path::new("c.yaml");
        let current = load::parse_unexpanded(text, path).expect("parses");
        text_with_preset(text, "node", &current, path).expect("edited")
    }

    #[test]
    fn adds_to_every_form_and_keeps_comments() {
        assert!(add("cluster:\n  name: x\n").ends_with("alerts:\n  presets: [node]\n"));
        assert_eq!(
            add("alerts:\n  presets: [gpu-basic]  # mine\ntui:\n  theme: dark\n"),
            "alerts:\n  presets: [gpu-basic, node]  # mine\ntui:\n  theme: dark\n"
        );
        assert_eq!(
            add("alerts:\n  presets:\n    - gpu-basic\n    # keep\ntui:\n  theme: dark\n"),
            "alerts:\n  presets:\n    - gpu-basic\n    - node\n    # keep\ntui:\n  theme: dark\n"
        );
        assert_eq!(
            add("alerts:\n  custom: []\n"),
            "alerts:\n  presets: [node]\n  custom: []\n"
        );
    }
}
