//! One line of editable text with a cursor: the filter, the command line,
//! the Xid lookup and every form field use it.
//!
//! Written here rather than taken from tui-input / tui-textarea: those tie
//! their state to a ratatui version and a widget, while this is ~100 lines of
//! plain state that the app can own, test and clone without the terminal.

/// The longest text a field holds; pasting a whole file stops here.
pub const MAX_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextInput {
    value: String,
    /// Cursor position in characters, 0..=len.
    cursor: usize,
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        let mut t = Self::default();
        t.insert_str(value);
        t
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    fn len(&self) -> usize {
        self.value.chars().count()
    }

    fn byte_at(&self, char_pos: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_pos)
            .map(|(b, _)| b)
            .unwrap_or(self.value.len())
    }

    /// Types one character at the cursor; control characters are dropped.
    pub fn insert(&mut self, c: char) {
        if c.is_control() || self.len() >= MAX_CHARS {
            return;
        }
        let at = self.byte_at(self.cursor);
        self.value.insert(at, c);
        self.cursor += 1;
    }

    /// Pastes text: line breaks and tabs become spaces (one line), other
    /// control characters are dropped, and the field stops at [`MAX_CHARS`].
    pub fn insert_str(&mut self, s: &str) {
        let s = s.strip_suffix('\n').unwrap_or(s);
        let s = s.strip_suffix('\r').unwrap_or(s);
        for c in s.chars() {
            match c {
                '\n' | '\r' | '\t' => self.insert(' '),
                c => self.insert(c),
            }
        }
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        let from = self.byte_at(self.cursor - 1);
        let to = self.byte_at(self.cursor);
        self.value.replace_range(from..to, "");
        self.cursor -= 1;
    }

    pub fn delete(&mut self) {
        if self.cursor >= self.len() {
            return;
        }
        let from = self.byte_at(self.cursor);
        let to = self.byte_at(self.cursor + 1);
        self.value.replace_range(from..to, "");
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.len());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.len();
    }

    /// Ctrl-U: clears the line.
    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }

    /// Ctrl-W: deletes the word before the cursor.
    pub fn delete_word(&mut self) {
        while self.cursor > 0 && self.char_before() == Some(' ') {
            self.backspace();
        }
        while self.cursor > 0 && self.char_before().is_some_and(|c| c != ' ') {
            self.backspace();
        }
    }

    fn char_before(&self) -> Option<char> {
        self.cursor
            .checked_sub(1)
            .and_then(|p| self.value.chars().nth(p))
    }

    /// Replaces the whole text, cursor at the end.
    pub fn set(&mut self, s: &str) {
        self.clear();
        self.insert_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_at_the_cursor_in_characters() {
        let mut t = TextInput::new("gpü-1");
        t.left();
        t.left();
        t.insert('X');
        assert_eq!(t.value(), "gpüX-1");
        t.backspace();
        t.backspace();
        assert_eq!(t.value(), "gp-1");
        t.home();
        t.delete();
        assert_eq!(t.value(), "p-1");
    }

    #[test]
    fn paste_is_one_line_and_bounded() {
        let mut t = TextInput::default();
        t.insert_str("a\nb\tc\u{1b}[31md\n");
        assert_eq!(t.value(), "a b c[31md");
        t.insert_str(&"x".repeat(MAX_CHARS * 2));
        assert_eq!(t.value().chars().count(), MAX_CHARS);
    }

    #[test]
    fn ctrl_w_deletes_one_word() {
        let mut t = TextInput::new("node gpu-node-02  ");
        t.delete_word();
        assert_eq!(t.value(), "node ");
    }
}
