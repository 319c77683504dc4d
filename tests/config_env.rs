//! `${VAR}` expands inside parsed string values: whatever a variable holds
//! stays one value, error places point into the file as written, and the
//! expanded value never reaches the file.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;

use aami_tui::config::env_de::Expansion;
use aami_tui::config::{Config, ConfigError, load};

/// Values that broke, or could break, a textual expansion.
const AWKWARD: &[&str] = &[
    "abc #def",
    "#starts-with-hash",
    "it's \"quoted\"",
    "'single'",
    "!important",
    "!!int",
    "&anchor",
    "*alias",
    "a: b",
    "key: value, other: [1, 2]",
    "line one\nline two",
    " leading space",
    "trailing space ",
    "grüße aus Köln — 東京 ✓",
    "{not: a map}",
    "- not a list",
    "|",
    "",
];

fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let lookup = |name: &str| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    };
    load::parse_with(text, Path::new("config.yaml"), &Expansion::new(&lookup))
}

const TEMPLATE: &str = "\
cluster:
  name: ${VAL}
nodes:
  - name: a
    ip: 127.0.0.2
    labels:
      note: \"prefix ${VAL} suffix\"
notifications:
  email:
    smtp_host: smtp.example
    password: ${VAL}
";

#[test]
fn awkward_values_arrive_exactly_as_the_environment_holds_them() {
    for value in AWKWARD {
        let c = parse(TEMPLATE, &[("VAL", value)])
            .unwrap_or_else(|e| panic!("value {value:?} broke the config: {e}"));
        assert_eq!(c.cluster.name, *value);
        assert_eq!(
            c.notifications
                .email
                .as_ref()
                .and_then(|e| e.password.as_deref()),
            Some(*value)
        );
        assert_eq!(c.nodes.len(), 1, "{value:?}");
        assert_eq!(c.nodes[0].labels["note"], format!("prefix {value} suffix"));
    }
}

#[test]
fn a_newline_in_a_value_cannot_inject_keys() {
    for value in [
        "x\ngrafana:\n  admin_password: injected",
        "x\n  - name: evil\n    ip: 127.6.6.6",
        "x\"\nnodes: []\n#",
    ] {
        let c = parse(TEMPLATE, &[("VAL", value)]).expect("parses");
        assert_eq!(c.grafana.admin_password, None, "{value:?}");
        assert_eq!(c.nodes.len(), 1, "{value:?}");
        assert_eq!(c.nodes[0].name, "a");
        assert_eq!(c.cluster.name, value);
    }
}

#[test]
fn numbers_and_booleans_may_come_from_the_environment() {
    let text = "nodes:\n  - name: a\n    ip: 127.0.0.2\n    ssh_port: ${PORT}\ngrafana:\n  enabled: ${ON:-false}\n  port: ${GPORT:-3000}\n";
    let c = parse(text, &[("PORT", "2222"), ("ON", "true")]).expect("parses");
    assert_eq!(c.nodes[0].ssh_port, Some(2222));
    assert!(c.grafana.enabled);
    assert_eq!(c.grafana.port, 3000);
    let e = parse(text, &[("PORT", "twenty-two")]).expect_err("not a port");
    let place = e.location().expect("located");
    assert_eq!(
        (place.line, place.field.as_deref()),
        (Some(4), Some("nodes[0].ssh_port"))
    );
    assert!(
        !e.to_string().contains("twenty-two"),
        "the value is not echoed: {e}"
    );
    let e = parse(text, &[("PORT", "70000")]).expect_err("out of range");
    assert_eq!(e.location().and_then(|l| l.line), Some(4), "{e}");
}

#[test]
fn errors_point_at_the_file_as_written_not_the_expansion() {
    // A three-line value on line 2 would push a textual expansion's later
    // lines down by two.
    let text = "cluster:\n  name: ${VAL}\nnodes:\n  - name: a\n    ip: 127.0.0.2\n    ssh_port: twenty-two\n";
    let e = parse(text, &[("VAL", "one\ntwo\nthree")]).expect_err("bad port");
    let place = e.location().expect("located");
    assert_eq!(place.line, Some(6), "{e}");
    assert_eq!(place.column, Some(15), "{e}");
    assert_eq!(place.field.as_deref(), Some("nodes[0].ssh_port"));

    let text = "cluster:\n  name: x\nprometheus:\n  url: http://p:9090\n  auth:\n    bearer_token: \"Bearer ${TOKEN}\"\n";
    let e = parse(text, &[]).expect_err("unset");
    let place = e.location().expect("located");
    assert_eq!((place.line, place.column), (Some(6), Some(27)), "{e}");
    assert!(place.message.contains("TOKEN is not set"), "{e}");
    assert!(
        place
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("export TOKEN="),
        "{e}"
    );
}

#[test]
fn references_in_comments_and_keys_are_left_alone() {
    let text = "# ${UNSET_IN_A_COMMENT}\ncluster:\n  name: c # ${ALSO_UNSET}\nnodes:\n  - name: a\n    ip: 127.0.0.2\n    labels:\n      ${KEY}: v\n      escaped: $${NOT_A_VAR}\n";
    let c = parse(text, &[("KEY", "expanded")]).expect("parses");
    assert_eq!(c.cluster.name, "c");
    assert_eq!(c.nodes[0].labels["${KEY}"], "v");
    assert_eq!(c.nodes[0].labels["escaped"], "${NOT_A_VAR}");
}

fn cli(cfg: &Path, vars: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(common::bin());
    cmd.arg("--config")
        .arg(cfg)
        .args(args)
        .env_remove("AAMI_CONFIG");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run aami-tui")
}

#[test]
fn config_check_accepts_a_password_with_a_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        "cluster:\n  name: c\nnotifications:\n  email:\n    smtp_host: smtp.example\n    password: ${PW}\n",
    )
    .expect("write");
    for value in AWKWARD {
        let out = cli(&cfg, &[("PW", value)], &["config", "check"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "PW={value:?}: {}",
            common::stderr(&out)
        );
    }
}

#[test]
fn edits_never_write_an_expanded_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.yaml");
    // Flow style: `nodes remove` cannot cut the entry out of the text and
    // falls back to re-serialising the config.
    let text = "nodes: [{name: a, ip: 127.0.0.2}, {name: b, ip: 127.0.0.3, ssh_key: \"${HOME_DIR}/id\"}]\ngrafana: {admin_password: \"${PW}\"}\n";
    std::fs::write(&cfg, text).expect("write");
    let vars = [("PW", "hunter2-secret"), ("HOME_DIR", "/home/me")];
    let out = cli(&cfg, &vars, &["nodes", "remove", "a"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let out = cli(&cfg, &vars, &["nodes", "add", "c", "--ip", "127.0.0.4"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let written = std::fs::read_to_string(&cfg).expect("read");
    assert!(
        !written.contains("hunter2"),
        "secret written back:\n{written}"
    );
    assert!(
        !written.contains("/home/me"),
        "expansion written back:\n{written}"
    );
    assert!(
        written.contains("${PW}") && written.contains("${HOME_DIR}/id"),
        "{written}"
    );
    let names: Vec<String> = parse(&written, &vars)
        .expect("still parses")
        .nodes
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["b", "c"]);
}

#[test]
fn a_second_document_is_named_at_its_separator() {
    let e = parse("cluster:\n  name: a\n---\ncluster:\n  name: b\n", &[]).expect_err("two docs");
    let place = e.location().expect("located");
    assert_eq!(place.line, Some(3), "{e}");
    assert!(
        place
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("one YAML document"),
        "{e}"
    );
}
