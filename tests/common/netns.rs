//! Several sshd nodes on one machine, each in a network namespace the test
//! makes (10.232.I.2, reached over a veth pair) and its own mount
//! namespace, where the install prefix is a bind mount of the node's own
//! directory: every node's exporter can listen on :9100, as on real
//! machines. The same layout as scripts/netns-nodes.sh (the benchmarks'),
//! after /work/shared/reference/real-components.md. Needs root; everything
//! is stopped by PID and removed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NetnsNode {
    pub name: String,
    pub address: String,
    /// What the node sees at the lab's prefix.
    pub opt: PathBuf,
    sshd: Child,
}

pub struct NetnsLab {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<NetnsNode>,
    /// The install prefix every node sees (its own `opt` mounted there).
    pub prefix: PathBuf,
    /// The user key every node accepts (root logs in with it).
    pub key: PathBuf,
    tag: String,
}

fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("ip");
    assert!(
        o.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

impl Drop for NetnsLab {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            // An exporter the test left running: by its pidfile.
            for f in [
                "node_exporter/run.pid",
                "dcgm-exporter/run.pid",
                "all-smi/run.pid",
            ] {
                if let Ok(pid) = std::fs::read_to_string(n.opt.join(f)) {
                    let _ = Command::new("kill").arg(pid.trim()).status();
                }
            }
            let _ = n.sshd.kill();
            let _ = n.sshd.wait();
        }
        for i in 1..=self.nodes.len() {
            let _ = Command::new("ip")
                .args(["link", "del", &format!("{}h{i}", self.tag)])
                .output();
            let _ = Command::new("ip")
                .args(["netns", "del", &format!("{}n{i}", self.tag)])
                .output();
        }
    }
}

/// `count` nodes, `n1`…, with sshd answering on port 22 of each.
pub fn start(count: usize) -> NetnsLab {
    assert!(
        nix_is_root(),
        "network-namespace nodes need root (CI runs the tests as root)"
    );
    super::require("ip", "iproute2");
    super::require("/usr/sbin/sshd", "openssh-server");
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let prefix = d.join("prefix");
    std::fs::create_dir_all(&prefix).expect("prefix");
    let key = d.join("user_ed25519");
    super::sshd::keygen(&key);
    std::fs::copy(d.join("user_ed25519.pub"), d.join("authorized_keys")).expect("copy");
    // Short and unique: interface names have 15 characters at most.
    let tag = format!("an{}", std::process::id() % 100_000);
    let mut lab = NetnsLab {
        dir,
        nodes: Vec::new(),
        prefix,
        key,
        tag,
    };
    for i in 1..=count {
        let (ns, host, peer) = (
            format!("{}n{i}", lab.tag),
            format!("{}h{i}", lab.tag),
            format!("{}p{i}", lab.tag),
        );
        let address = format!("10.232.{i}.2");
        ip(&["netns", "add", &ns]);
        ip(&["link", "add", &host, "type", "veth", "peer", "name", &peer]);
        ip(&["link", "set", &peer, "netns", &ns]);
        ip(&["addr", "add", &format!("10.232.{i}.1/24"), "dev", &host]);
        ip(&["link", "set", &host, "up"]);
        ip(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{address}/24"),
            "dev",
            &peer,
        ]);
        ip(&["-n", &ns, "link", "set", &peer, "up"]);
        ip(&["-n", &ns, "link", "set", "lo", "up"]);
        let node_dir = lab.dir.path().join(format!("n{i}"));
        let opt = node_dir.join("opt");
        std::fs::create_dir_all(&opt).expect("node dir");
        super::sshd::keygen(&node_dir.join("host_ed25519"));
        std::fs::write(
            node_dir.join("sshd_config"),
            format!(
                "Port 22\nListenAddress {address}\nHostKey {nd}/host_ed25519\nAuthorizedKeysFile {d}/authorized_keys\nPidFile {nd}/sshd.pid\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
                nd = node_dir.display(),
                d = lab.dir.path().display(),
            ),
        )
        .expect("sshd_config");
        // `ip netns exec` gives the node a mount namespace of its own too:
        // the prefix there is the node's own directory.
        let sshd = Command::new("ip")
            .args(["netns", "exec", &ns, "sh", "-c"])
            .arg(format!(
                "mount --bind '{}' '{}' && exec /usr/sbin/sshd -D -e -f '{}/sshd_config'",
                opt.display(),
                lab.prefix.display(),
                node_dir.display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd in its namespace");
        lab.nodes.push(NetnsNode {
            name: format!("n{i}"),
            address,
            opt,
            sshd,
        });
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for n in &lab.nodes {
        while std::net::TcpStream::connect((n.address.as_str(), 22)).is_err() {
            assert!(Instant::now() < deadline, "{}'s sshd did not start", n.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    lab
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
