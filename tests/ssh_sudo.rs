//! sudo for a non-root SSH user, with the real sudo and a real sshd: the
//! test (root) makes two users, one with NOPASSWD sudo and one whose sudo
//! wants a password, and removes them after. The password user without a
//! password gets the clear error; with the password (fed to `sudo -S` on
//! standard input, never on a command line) privileged steps run and an
//! upload arrives byte for byte, the password line not in it; a wrong one
//! is refused; and Debian's node_exporter installs through it.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use aami_tui::ssh::{
    RemoteCommand, Session, SshError, SshOptions, SshTarget, SudoPassword, UnknownHostKey,
};

const T: Duration = Duration::from_secs(20);
const PASSWORD: &str = "c0rrect horse 'battery'";

/// Two throwaway users and their sudoers file; removed on drop.
struct Users {
    nopasswd: String,
    password: String,
    sudoers: PathBuf,
}

impl Drop for Users {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sudoers);
        for u in [&self.nopasswd, &self.password] {
            let _ = Command::new("userdel").arg(u).status();
        }
    }
}

fn sh(cmd: &mut Command) {
    let o = cmd.output().expect("run");
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Two users and a sudoers file named for this process and `tag`: the
/// tests of this file run at once, and each needs its own.
fn users(tag: &str) -> Users {
    common::require("sudo", "sudo");
    common::require("useradd", "passwd");
    let uid = Command::new("id").arg("-u").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "this test makes two users and a sudoers file: run it as root"
    );
    let id = std::process::id();
    let u = Users {
        nopasswd: format!("aami-np{tag}-{id}"),
        password: format!("aami-pw{tag}-{id}"),
        sudoers: PathBuf::from(format!("/etc/sudoers.d/aami-test{tag}-{id}")),
    };
    for name in [&u.nopasswd, &u.password] {
        sh(Command::new("useradd")
            .args(["-M", "-N", "-d", "/", "-s", "/bin/sh"])
            .arg(name));
    }
    // Key login needs an unlocked account; the password user gets a real one.
    sh(Command::new("usermod").args(["-p", "*"]).arg(&u.nopasswd));
    let mut chpasswd = Command::new("chpasswd")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    chpasswd
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}:{PASSWORD}\n", u.password).as_bytes())
        .unwrap();
    assert!(chpasswd.wait().unwrap().success());
    std::fs::create_dir_all("/etc/sudoers.d").unwrap();
    std::fs::write(
        &u.sudoers,
        format!(
            "Defaults lecture=never\n{} ALL=(ALL) NOPASSWD: ALL\n{} ALL=(ALL) ALL\n",
            u.nopasswd, u.password
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&u.sudoers, std::fs::Permissions::from_mode(0o440)).unwrap();
    sh(Command::new("visudo").arg("-cf").arg(&u.sudoers));
    u
}

/// sshd letting both users in; its directory readable by them (sshd reads
/// authorized_keys as the user).
fn sshd(u: &Users) -> common::sshd::Sshd {
    let s = common::sshd::start_with(&format!("AllowUsers {} {}", u.nopasswd, u.password));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(s.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        s.dir.path().join("authorized_keys"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    s
}

fn target(s: &common::sshd::Sshd, user: &str) -> SshTarget {
    SshTarget {
        user: Some(user.into()),
        ..s.target("user_ed25519")
    }
}

fn opts(dir: &Path, password: Option<&str>) -> SshOptions {
    SshOptions {
        unknown_host_key: UnknownHostKey::AcceptNew,
        sudo_password: password.map(|p| SudoPassword(p.into())),
        ..SshOptions::direct(dir.join("known_hosts"), T, T)
    }
}

/// `id -u` as root, and an upload through `cat > FILE` as root.
async fn privileged_steps(session: &Session, file: &Path) -> Result<(), SshError> {
    let id = session
        .exec_privileged(&RemoteCommand::template("id -u", &[]), None)
        .await?;
    assert_eq!(id.stdout.trim(), "0", "{id:?}");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let up = session
        .exec_privileged(
            &RemoteCommand::template("cat > {}", &[file.to_str().unwrap()]),
            Some(&data),
        )
        .await?;
    assert!(up.success(), "{up:?}");
    let got = std::fs::read(file).unwrap();
    assert!(
        got == data,
        "the upload arrived changed ({} bytes)",
        got.len()
    );
    Ok(())
}

#[test]
fn sudo_without_a_password_with_one_and_with_a_wrong_one() {
    let u = users("a");
    let s = sshd(&u);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("uploaded");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // NOPASSWD: sudo -n; a password given anyway is never sent (it
        // would end up in the upload).
        for pw in [None, Some(PASSWORD)] {
            let session = Session::connect(&target(&s, &u.nopasswd), &opts(dir.path(), pw))
                .await
                .unwrap();
            privileged_steps(&session, &file).await.unwrap();
            session.close().await;
        }

        // A password is needed and none was given: the clear error.
        let session = Session::connect(&target(&s, &u.password), &opts(dir.path(), None))
            .await
            .unwrap();
        let e = privileged_steps(&session, &file).await.unwrap_err();
        assert!(matches!(e, SshError::SudoNeedsPassword { .. }), "{e:?}");
        assert!(e.to_string().contains("needs a password"), "{e}");
        session.close().await;

        // With it: root, and the upload byte for byte.
        let session = Session::connect(&target(&s, &u.password), &opts(dir.path(), Some(PASSWORD)))
            .await
            .unwrap();
        privileged_steps(&session, &file).await.unwrap();
        session.close().await;

        // A wrong one: refused before any step, and the error does not
        // carry it.
        let session = Session::connect(&target(&s, &u.password), &opts(dir.path(), Some("nope")))
            .await
            .unwrap();
        let e = privileged_steps(&session, &file).await.unwrap_err();
        assert!(matches!(e, SshError::SudoPasswordRejected { .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("nope"), "{e:?}");
        session.close().await;
    });
    // sshd logs the commands it runs at DEBUG only; at its default level
    // the password appears nowhere in its log either.
    assert!(!s.log().contains(PASSWORD));
}

#[test]
fn node_exporter_installs_through_sudo_with_a_password() {
    const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";
    common::require(NODE_EXPORTER, "prometheus-node-exporter");
    let u = users("b");
    let s = sshd(&u);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        bundle.to_str().unwrap(),
        "--component",
        &format!("node_exporter={NODE_EXPORTER}@1.5.0"),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let bundle = aami_tui::bundle::open_verified(&bundle).unwrap();
    let port = common::servers::free_port();
    let node = aami_tui::config::NodeConfig {
        name: "n1".into(),
        ip: "127.0.0.1".into(),
        ssh_user: Some(u.password.clone()),
        ssh_port: Some(s.port),
        ssh_key: Some(s.dir.path().join("user_ed25519").display().to_string()),
        exporters: aami_tui::config::Exporters {
            node: Some(port),
            dcgm: None,
            ..Default::default()
        },
        ..Default::default()
    };
    let prefix = dir.path().join("opt");
    let ssh = opts(dir.path(), Some(PASSWORD));
    let job = aami_tui::install::Job {
        action: aami_tui::install::Action::Install,
        kind: aami_tui::install::ComponentKind::NodeExporter,
        node: &node,
        prefix: prefix.to_str().unwrap(),
        component: bundle.manifest.find("node_exporter", None),
        bundle: Some(&bundle),
        ssh: &ssh,
        verify_timeout: T,
        install_dcgm: false,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let mut quiet = |_: String| {};
        aami_tui::install::run(&job, &mut quiet).await
    });
    let pid = std::fs::read_to_string(prefix.join("node_exporter/run.pid")).unwrap_or_default();
    let page = rt.block_on(async {
        reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .ok()?
            .text()
            .await
            .ok()
    });
    if !pid.trim().is_empty() {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    assert_eq!(result.unwrap().to_string(), "installed 1.5.0");
    assert!(page.unwrap_or_default().contains("node_cpu_seconds_total"));
    // Installed as root through sudo: the files are root's.
    let meta = std::fs::metadata(prefix.join("node_exporter/1.5.0/node_exporter")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(meta.uid(), 0);
}
