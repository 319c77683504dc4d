//! Host-key checks against a real sshd: only a host the known_hosts file
//! does not name is trusted on first use. A file that cannot be read, or a
//! line that does not parse, refuses the connection and names the file and
//! line; a changed key is still refused.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::time::Duration;

use aami_tui::ssh::known_hosts::KnownHostsError;
use aami_tui::ssh::{self, SshError};

const T: Duration = Duration::from_secs(10);

async fn connect(sshd: &common::sshd::Sshd, known: &Path) -> Result<(), SshError> {
    ssh::run(&sshd.target("user_ed25519"), "true", known, T, T)
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_line_refuses_and_names_file_and_line() {
    let sshd = common::sshd::start();
    let known = sshd.dir.path().join("kh_malformed");
    let good = sshd.public_key_blob("other_ed25519.pub");
    // Lines: a comment, a good entry for another host, a broken one (also
    // for another host: a file that does not parse is not trusted at all).
    let text = format!(
        "# aami known hosts\nother.example ssh-ed25519 {good}\nbroken.example ssh-ed25519 not*base64\n"
    );
    std::fs::write(&known, &text).expect("write");
    let err = connect(&sshd, &known).await.expect_err("must refuse");
    match &err {
        SshError::KnownHosts(KnownHostsError::Malformed { path, line, .. }) => {
            assert_eq!(*line, 3, "{err}");
            assert_eq!(Path::new(path), known);
        }
        other => panic!("{other:?}"),
    }
    let shown = err.to_string();
    assert!(
        shown.contains("kh_malformed") && shown.contains("line 3"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(&known).expect("read"),
        text,
        "nothing pinned"
    );

    // A line with too few fields.
    std::fs::write(&known, "127.0.0.1\n").expect("write");
    match connect(&sshd, &known).await {
        Err(SshError::KnownHosts(KnownHostsError::Malformed { line: 1, .. })) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_known_hosts_refuses() {
    let sshd = common::sshd::start();
    // A directory where the file should be: opening it works, reading it
    // does not (this holds for root too, unlike a 000 mode).
    let known = sshd.dir.path().join("kh_dir");
    std::fs::create_dir(&known).expect("mkdir");
    match connect(&sshd, &known).await {
        Err(e @ SshError::KnownHosts(KnownHostsError::Unreadable { .. })) => {
            assert!(e.to_string().contains("kh_dir"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Mode 000, where the test user is not root (root reads it anyway).
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let known = sshd.dir.path().join("kh_000");
        std::fs::write(&known, "").expect("write");
        std::fs::set_permissions(&known, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        assert!(matches!(
            connect(&sshd, &known).await,
            Err(SshError::KnownHosts(KnownHostsError::Unreadable { .. }))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_key_is_refused_also_when_hashed_and_after_comments() {
    let sshd = common::sshd::start();
    let known = sshd.dir.path().join("kh_changed");
    let other = sshd.public_key_blob("other_ed25519.pub");
    std::fs::write(
        &known,
        format!(
            "# pinned by hand\n\n[127.0.0.1]:{} ssh-ed25519 {other}\n",
            sshd.port
        ),
    )
    .expect("write");
    match connect(&sshd, &known).await {
        Err(SshError::HostKeyChanged { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    // The same entry hashed (`ssh-keygen -H`), as many fleets keep them.
    std::fs::write(
        &known,
        format!("[127.0.0.1]:{} ssh-ed25519 {other}\n", sshd.port),
    )
    .expect("write");
    let st = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("ssh-keygen -H");
    assert!(st.success());
    assert!(
        std::fs::read_to_string(&known)
            .expect("read")
            .starts_with("|1|")
    );
    match connect(&sshd, &known).await {
        Err(SshError::HostKeyChanged { line, .. }) => assert_eq!(line, 1),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_host_is_trusted_once_and_pinned() {
    let sshd = common::sshd::start();
    let known = sshd.dir.path().join("kh_new");
    let other = sshd.public_key_blob("other_ed25519.pub");
    std::fs::write(
        &known,
        format!("# mine\nelsewhere.example ssh-ed25519 {other}\n"),
    )
    .expect("write");
    connect(&sshd, &known).await.expect("first use");
    let pinned = std::fs::read_to_string(&known).expect("read");
    let host = sshd.public_key_blob("host_ed25519.pub");
    assert!(
        pinned.contains(&format!("[127.0.0.1]:{} ssh-ed25519 {host}", sshd.port)),
        "{pinned}"
    );
    connect(&sshd, &known).await.expect("pinned key accepted");
    assert_eq!(
        std::fs::read_to_string(&known).expect("read"),
        pinned,
        "pinned once"
    );
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
