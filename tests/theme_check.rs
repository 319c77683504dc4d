//! `config check` names a broken user theme file, its line and key: the
//! TUI would otherwise fall back to the dark theme without a word.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::process::Command;

/// `config check` with the user config directory under `home`.
fn check(home: &Path, theme: &str) -> std::process::Output {
    let cfg = home.join("config.yaml");
    std::fs::write(
        &cfg,
        format!("cluster:\n  name: c\ntui:\n  theme: {theme}\n"),
    )
    .expect("write");
    Command::new(common::bin())
        .args(["--config", cfg.to_str().expect("utf-8"), "config", "check"])
        .env("XDG_CONFIG_HOME", home.join("xdg"))
        .env("HOME", home)
        .env_remove("AAMI_CONFIG")
        .output()
        .expect("run aami-tui")
}

fn write_theme(home: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let dir = home.join("xdg/aami/themes");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(&p, text).expect("write theme");
    p
}

#[test]
fn a_broken_user_theme_is_named_with_line_and_key() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    // A user theme of its own name, and an override of a built-in one.
    for name in ["mine", "dark"] {
        let path = write_theme(h, name, "# my colours\naccent: cyan\ncrit: notacolour\n");
        let out = check(h, name);
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(&format!(
                "{}:3:7: crit: \"notacolour\" is not a colour",
                path.display()
            )),
            "{name}: {err}"
        );

        write_theme(h, name, "accent: cyan\nheat: [1, 2, 3]\n");
        let err = common::stderr(&check(h, name));
        assert!(
            err.contains(&format!("{name}.yaml:2:7: heat: needs 5 colours")),
            "{err}"
        );

        write_theme(h, name, "accent: cyan\ncritical: red\n");
        let err = common::stderr(&check(h, name));
        assert!(
            err.contains(&format!("{name}.yaml:2:1: critical: unknown field")),
            "{err}"
        );

        write_theme(h, name, "accent: cyan\ncrit: magenta\n");
        let out = check(h, name);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    }
}
