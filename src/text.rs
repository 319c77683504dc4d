//! Sanitising text that came from the network before it reaches a terminal.
//!
//! Label values, error bodies and hostnames are attacker-controlled as far as
//! the terminal is concerned: an ESC byte in a label could repaint the screen
//! or change the window title. Everything shown goes through [`sanitize`].

/// Replaces control characters (C0, DEL, C1) with U+FFFD and caps the length.
pub fn sanitize(input: &str) -> String {
    sanitize_max(input, 256)
}

/// Like [`sanitize`] with an explicit cap on characters kept.
pub fn sanitize_max(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars));
    for (n, c) in input.chars().enumerate() {
        if n >= max_chars {
            out.push('…');
            break;
        }
        if c.is_control() || ('\u{80}'..='\u{9f}').contains(&c) {
            out.push('\u{fffd}');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_neutralised() {
        let s = sanitize("gpu\x1b]0;pwned\x07node\u{9b}2J");
        assert!(!s.chars().any(|c| c.is_control()));
        assert_eq!(s, "gpu\u{fffd}]0;pwned\u{fffd}node\u{fffd}2J");
    }

    #[test]
    fn long_values_are_capped() {
        let s = sanitize_max(&"a".repeat(10), 4);
        assert_eq!(s, "aaaa…");
    }
}
