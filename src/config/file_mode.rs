//! Which permissions a rewritten config file (and its `.bak`) gets.
//!
//! Two rules, and the stricter wins: a file that holds a secret is readable
//! by its owner only (0600), and a mode the user chose is never loosened.
//! A user's 0600 file without secrets stays 0600; a user's 0640 file that
//! gains a secret becomes 0600.

/// Owner read/write only: the mode for a file that holds a secret.
pub const SECRET_MODE: u32 = 0o600;

/// The mode to force on the new file, or `None` for a new file without
/// secrets (created 0644 less the umask, like any other file).
///
/// `existing` is the permission bits of the file being replaced, if any.
pub fn for_new_file(existing: Option<u32>, secret: bool) -> Option<u32> {
    let secret_rule = if secret { SECRET_MODE } else { 0o777 };
    match existing {
        Some(user) => Some(user & 0o777 & secret_rule),
        None if secret => Some(SECRET_MODE),
        None => None,
    }
}

/// The mode of the `.bak` that keeps the old contents: no looser than the
/// old file, and no looser than the new one (the old text may hold the same
/// secret the new one does).
pub fn for_backup(old: u32, new: u32) -> u32 {
    old & new & 0o777
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stricter_of_the_user_mode_and_the_secret_rule_wins() {
        assert_eq!(for_new_file(None, false), None);
        assert_eq!(for_new_file(None, true), Some(0o600));
        assert_eq!(for_new_file(Some(0o644), false), Some(0o644));
        assert_eq!(for_new_file(Some(0o644), true), Some(0o600));
        assert_eq!(for_new_file(Some(0o600), false), Some(0o600));
        assert_eq!(for_new_file(Some(0o640), true), Some(0o600));
        assert_eq!(for_new_file(Some(0o400), true), Some(0o400));
        assert_eq!(for_new_file(Some(0o100_644), false), Some(0o644));
        assert_eq!(for_backup(0o644, 0o600), 0o600);
        assert_eq!(for_backup(0o600, 0o644), 0o600);
    }
}
