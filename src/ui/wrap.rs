//! Word wrapping that keeps indents: the first line gets one lead, the lines
//! after it another (a hanging indent), so wrapped list items stay aligned.

/// Wraps `text` to `width` columns. Words longer than a line are split.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = first.to_string();
    let mut lead_len = first.chars().count();
    let mut len = lead_len;
    let room = |lead: usize| width.saturating_sub(lead).max(1);
    for word in text.split_whitespace() {
        let mut w: Vec<char> = word.chars().collect();
        let sep = usize::from(len > lead_len);
        if len + sep + w.len() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.extend(w.iter());
            len += sep + w.len();
            continue;
        }
        if len > lead_len {
            out.push(std::mem::take(&mut line));
            line = rest.to_string();
            lead_len = rest.chars().count();
        }
        // A word longer than a whole line is split across lines.
        while w.len() > room(lead_len) {
            let tail = w.split_off(room(lead_len));
            line.extend(w.iter());
            out.push(std::mem::take(&mut line));
            line = rest.to_string();
            lead_len = rest.chars().count();
            w = tail;
        }
        line.extend(w.iter());
        len = lead_len + w.len();
    }
    if len > lead_len || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hanging_indent_and_no_line_too_long() {
        let lines = wrap(
            "drain the node and reset the GPU with nvidia-smi -r when idle",
            24,
            "  1. ",
            "     ",
        );
        assert_eq!(lines[0], "  1. drain the node and");
        assert!(
            lines[1..].iter().all(|l| l.starts_with("     ")),
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 24), "{lines:?}");
    }

    #[test]
    fn long_words_split() {
        let lines = wrap(&"x".repeat(25), 10, "", "");
        assert_eq!(lines, ["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]);
    }
}
