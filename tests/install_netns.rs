//! Onboarding and node_exporter on three sshd nodes in network namespaces
//! (tests/common/netns.rs), each exporter on :9100 of its own node, as on
//! real machines: `nodes import --onboard --accept-new` writes the three,
//! `install node_exporter --all` from a bundle of Debian's node_exporter
//! puts it on each (each node's prefix is its own), /metrics answers on
//! every node's address, `uninstall --all` stops them. Needs root.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::process::Command;

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

#[test]
fn onboard_and_install_node_exporter_on_three_namespace_nodes() {
    common::require(NODE_EXPORTER, "prometheus-node-exporter");
    let lab = common::netns::start(3);
    let home = lab.dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(
        home.join(".ssh/config"),
        format!(
            "Host 10.232.*\n  User root\n  IdentityFile {}\n  IdentitiesOnly yes\n",
            lab.key.display()
        ),
    )
    .unwrap();
    let hosts = lab.dir.path().join("hosts.txt");
    let lines: String = lab
        .nodes
        .iter()
        .map(|n| format!("{} {}\n", n.name, n.address))
        .collect();
    std::fs::write(&hosts, lines).unwrap();
    let cfg = lab.dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "nodes: []\ninstall:\n  prefix: {}\nssh:\n  connect_timeout: 5\n",
            lab.prefix.display()
        ),
    )
    .unwrap();
    let bundle = lab.dir.path().join("bundle.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        bundle.to_str().unwrap(),
        "--component",
        &format!("node_exporter={NODE_EXPORTER}@1.5.0"),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let run = |args: &[&str]| {
        let o = Command::new(common::bin())
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("xdg"))
            .env("AAMI_STATE_DIR", home.join("state"))
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("AAMI_CONFIG")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let out = common::stdout(&o);
        assert!(o.status.success(), "{args:?}: {out}{}", common::stderr(&o));
        out
    };

    run(&[
        "nodes",
        "import",
        hosts.to_str().unwrap(),
        "--onboard",
        "--accept-new",
    ]);
    let written: Vec<String> = aami_tui::config::load_file(&cfg)
        .unwrap()
        .nodes
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(written, ["n1", "n2", "n3"]);

    let out = run(&[
        "install",
        "node_exporter",
        "--all",
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    for n in &lab.nodes {
        assert!(
            out.contains(&format!("{}  node_exporter  installed 1.5.0", n.name)),
            "{out}"
        );
        // Each node's own prefix holds its install.
        assert_eq!(
            std::fs::read_link(n.opt.join("node_exporter/current"))
                .unwrap()
                .display()
                .to_string(),
            "1.5.0"
        );
        let page = rt.block_on(async {
            reqwest::get(format!("http://{}:9100/metrics", n.address))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        assert!(page.contains("node_cpu_seconds_total"), "{}", n.name);
    }
    // Nothing landed in the host's view of the prefix.
    assert!(!lab.prefix.join("node_exporter").exists());

    let out = run(&["uninstall", "node_exporter", "--all"]);
    for n in &lab.nodes {
        assert!(
            out.contains(&format!("{}  node_exporter  uninstalled 1.5.0", n.name)),
            "{out}"
        );
        assert!(std::net::TcpStream::connect((n.address.as_str(), 9100)).is_err());
    }
}
