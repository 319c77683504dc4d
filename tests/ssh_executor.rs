//! The SSH executor against real OpenSSH sshds on 127.0.0.1: key files
//! (OpenSSH and PEM, with a passphrase), a real ssh-agent, an ssh-config
//! alias through one and two ProxyJump hops, host keys (unknown refused
//! with its fingerprint, accept-new remembered, the operator's hashed
//! known_hosts trusted, a changed key named), a command timeout, retries
//! for connection errors only, and an upload re-hashed on the node.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aami_tui::ssh::{
    Passphrase, RemoteCommand, RetryPolicy, Session, SshError, SshOptions, SshTarget,
    UnknownHostKey,
};
use common::sshd;

const T: Duration = Duration::from_secs(10);

fn opts(dir: &Path) -> SshOptions {
    SshOptions {
        unknown_host_key: UnknownHostKey::AcceptNew,
        ..SshOptions::direct(dir.join("aami_known_hosts"), T, T)
    }
}

async fn echo(target: &SshTarget, opts: &SshOptions) -> Result<String, SshError> {
    let s = Session::connect(target, opts).await?;
    let out = s
        .exec(&RemoteCommand::template("printf %s {}", &["hello"]))
        .await;
    s.close().await;
    Ok(out?.stdout)
}

fn keygen(args: &[&str], path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q"])
        .args(args)
        .arg("-f")
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_files_openssh_pem_passphrase_and_a_wrong_key() {
    let sshd = sshd::start();
    let d = sshd.dir.path();
    let o = opts(d);
    assert_eq!(
        echo(&sshd.target("user_ed25519"), &o).await.unwrap(),
        "hello"
    );
    // A key the node does not know is named.
    match echo(&sshd.target("other_ed25519"), &o).await {
        Err(SshError::AuthRejected { key, .. }) => assert!(key.ends_with("other_ed25519")),
        other => panic!("{other:?}"),
    }
    // PEM (RSA, "BEGIN RSA PRIVATE KEY").
    keygen(
        &["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""],
        &d.join("pem_rsa"),
    );
    assert!(
        std::fs::read_to_string(d.join("pem_rsa"))
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY")
    );
    sshd.authorize(&d.join("pem_rsa.pub"));
    assert_eq!(echo(&sshd.target("pem_rsa"), &o).await.unwrap(), "hello");
    // A passphrase-protected key: refused without it, usable with it.
    keygen(
        &["-t", "ed25519", "-N", "s3cret pass"],
        &d.join("enc_ed25519"),
    );
    sshd.authorize(&d.join("enc_ed25519.pub"));
    match echo(&sshd.target("enc_ed25519"), &o).await {
        Err(e @ SshError::Key { .. }) => {
            assert!(e.to_string().contains("encrypted"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let wrong = SshOptions {
        passphrase: Some(Passphrase("nope".into())),
        ..o.clone()
    };
    assert!(matches!(
        echo(&sshd.target("enc_ed25519"), &wrong).await,
        Err(SshError::Key { .. })
    ));
    let right = SshOptions {
        passphrase: Some(Passphrase("s3cret pass".into())),
        ..o.clone()
    };
    assert_eq!(
        echo(&sshd.target("enc_ed25519"), &right).await.unwrap(),
        "hello"
    );
}

struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_agent(dir: &Path, key: &Path) -> Agent {
    common::require("/usr/bin/ssh-agent", "openssh-client");
    let sock = dir.join("agent.sock");
    let child = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .spawn()
        .expect("ssh-agent");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "ssh-agent did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = Command::new("ssh-add")
        .arg(key)
        .env("SSH_AUTH_SOCK", &sock)
        .stderr(Stdio::null())
        .status()
        .expect("ssh-add");
    assert!(st.success());
    Agent { child, sock }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_keys_through_ssh_auth_sock() {
    let sshd = sshd::start();
    let d = sshd.dir.path();
    let agent = start_agent(d, &d.join("user_ed25519"));
    // No key file anywhere: only the agent holds the authorized key.
    let target = SshTarget {
        key: Some(d.join("other_ed25519")),
        ..sshd.target("user_ed25519")
    };
    let with_agent = SshOptions {
        agent_socket: Some(agent.sock.clone()),
        ..opts(d)
    };
    assert_eq!(echo(&target, &with_agent).await.unwrap(), "hello");
    match echo(&target, &opts(d)).await {
        Err(SshError::AuthRejected { .. }) => {}
        other => panic!("without the agent: {other:?}"),
    }
    // IdentitiesOnly in the ssh config keeps the agent's keys out.
    let config = d.join("ssh_config");
    std::fs::write(&config, "Host *\n  IdentitiesOnly yes\n").unwrap();
    let only = SshOptions {
        ssh_config: Some(config),
        ..with_agent
    };
    assert!(matches!(
        echo(&target, &only).await,
        Err(SshError::AuthRejected { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_config_alias_through_proxyjump_hops() {
    let jump = sshd::start_with("LogLevel DEBUG1");
    let node = sshd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "Host jumpbox\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n\n\
             Host gpu-alias\n  HostName 127.0.0.1\n  Port {}\n  User {user}\n  IdentityFile {}\n  ProxyJump jumpbox\n\n\
             Host gpu-twice\n  HostName 127.0.0.1\n  Port {2}\n  User {user}\n  IdentityFile {3}\n  ProxyJump jumpbox,jumpbox\n",
            jump.port,
            jump.dir.path().join("user_ed25519").display(),
            node.port,
            node.dir.path().join("user_ed25519").display(),
            user = sshd::user(),
        ),
    )
    .unwrap();
    let o = SshOptions {
        ssh_config: Some(config),
        ..opts(dir.path())
    };
    let alias = SshTarget {
        host: "gpu-alias".into(),
        ..SshTarget::default()
    };
    let s = Session::connect(&alias, &o).await.unwrap();
    // The node itself answered (its sshd's own log dir is in its config).
    let out = s
        .exec(&RemoteCommand::template(
            "cat {}",
            &[&node.dir.path().join("sshd_config").display().to_string()],
        ))
        .await
        .unwrap();
    assert!(out.stdout.contains(&format!("Port {}", node.port)));
    s.close().await;
    let forwards = |log: &str| log.matches("server_request_direct_tcpip").count();
    assert_eq!(forwards(&jump.log()), 1, "one hop through the jump host");
    let twice = SshTarget {
        host: "gpu-twice".into(),
        ..SshTarget::default()
    };
    assert_eq!(echo(&twice, &o).await.unwrap(), "hello");
    // jump -> jump, then jump -> node.
    assert_eq!(forwards(&jump.log()), 3, "two hops through the jump host");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_keys_unknown_accept_new_remembered_hashed_and_changed() {
    let sshd = sshd::start();
    let d = sshd.dir.path();
    let ours = d.join("aami_known_hosts");
    let strict = SshOptions {
        unknown_host_key: UnknownHostKey::Refuse,
        ..opts(d)
    };
    let t = sshd.target("user_ed25519");
    // Unknown: refused with the fingerprint ssh-keygen shows, nothing written.
    match echo(&t, &strict).await {
        Err(e @ SshError::HostKeyUnknown { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(&sshd.host_fingerprint()), "{msg}");
            assert!(msg.contains("--accept-new"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!ours.exists());
    // Accepted once with accept-new, then remembered under the strict policy.
    assert!(echo(&t, &opts(d)).await.is_ok());
    assert!(echo(&t, &strict).await.is_ok());
    std::fs::remove_file(&ours).unwrap();

    // The operator's own known_hosts, hashed by ssh-keygen -H: trusted, and
    // ours is left alone.
    let user_kh = d.join("user_known_hosts");
    std::fs::write(
        &user_kh,
        format!(
            "[127.0.0.1]:{} ssh-ed25519 {}\n",
            sshd.port,
            sshd.public_key_blob("host_ed25519.pub")
        ),
    )
    .unwrap();
    let st = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&user_kh)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    assert!(
        std::fs::read_to_string(&user_kh)
            .unwrap()
            .starts_with("|1|")
    );
    let with_user = SshOptions {
        user_known_hosts: Some(user_kh.clone()),
        ..strict.clone()
    };
    assert!(echo(&t, &with_user).await.is_ok());
    assert!(!ours.exists());

    // A changed key in the operator's file: refused naming file and line.
    std::fs::write(
        &user_kh,
        format!(
            "# a comment\n[127.0.0.1]:{} ssh-ed25519 {}\n",
            sshd.port,
            sshd.public_key_blob("other_ed25519.pub")
        ),
    )
    .unwrap();
    match echo(&t, &with_user).await {
        Err(e @ SshError::HostKeyChanged { line: 2, .. }) => {
            assert!(e.to_string().contains(&user_kh.display().to_string()))
        }
        other => panic!("{other:?}"),
    }
    // Even accept-new never overwrites a changed key.
    let accept = SshOptions {
        unknown_host_key: UnknownHostKey::AcceptNew,
        ..with_user
    };
    assert!(matches!(
        echo(&t, &accept).await,
        Err(SshError::HostKeyChanged { .. })
    ));
    assert!(!ours.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_timeout_and_retries_for_connection_errors_only() {
    let sshd = sshd::start();
    let d = sshd.dir.path();
    let quick = SshOptions {
        command_timeout: Duration::from_millis(500),
        ..opts(d)
    };
    let s = Session::connect(&sshd.target("user_ed25519"), &quick)
        .await
        .unwrap();
    let started = Instant::now();
    assert!(matches!(
        s.exec(&RemoteCommand::template("sleep {}", &["5"])).await,
        Err(SshError::Timeout(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(3));
    s.close().await;

    let retrying = SshOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_millis(300),
            backoff_max: Duration::from_secs(5),
        },
        ..opts(d)
    };
    // A closed port: three tries, waiting 0.3 s then 0.6 s.
    let closed = SshTarget {
        port: Some(common::servers::free_port()),
        ..sshd.target("user_ed25519")
    };
    let started = Instant::now();
    assert!(matches!(
        echo(&closed, &retrying).await,
        Err(SshError::Connect { .. })
    ));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "retried with backoff"
    );
    // A refused key is an answer, not a connection error: no retry.
    let slow_retry = SshOptions {
        retry: RetryPolicy {
            backoff_base: Duration::from_secs(5),
            ..retrying.retry
        },
        ..retrying
    };
    let started = Instant::now();
    assert!(matches!(
        echo(&sshd.target("other_ed25519"), &slow_retry).await,
        Err(SshError::AuthRejected { .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(4), "not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_arrives_whole() {
    let sshd = sshd::start();
    let d = sshd.dir.path();
    let s = Session::connect(&sshd.target("user_ed25519"), &opts(d))
        .await
        .unwrap();
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let dest = d.join("uploaded.bin").display().to_string();
    let out = s
        .exec_with_input(&RemoteCommand::template("cat > {}", &[&dest]), Some(&data))
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    s.close().await;
}
