//! `aami-tui notify test email` against a real SMTP server on loopback
//! (Debian's python3-aiosmtpd, which prints every message it receives):
//! in clear, over STARTTLS with the config's CA, and logging in with a
//! password from ${ENV} that is never printed (standard output, standard
//! error, --json). A server that is not there, a certificate not trusted
//! and a server that wants STARTTLS give errors naming host:port.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PYTHON: &str = "/usr/bin/python3";
const SECRET: &str = "smtp-pa55-9f8e7d-s3cr3t";

/// aiosmtpd on loopback, its standard output collected; killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    out: Arc<Mutex<String>>,
}

impl Smtp {
    /// `python3 -m aiosmtpd -n -l 127.0.0.1:PORT [ARGS]`.
    fn cli(args: &[&str]) -> Self {
        let port = common::servers::free_port();
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-u", "-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(args);
        Self::start(cmd, port)
    }

    /// aiosmtpd's own server and handler (the one the CLI prints with),
    /// requiring STARTTLS and a login as `user` / `password`; it prints
    /// each login attempt's user and outcome.
    fn with_login(cert: &Path, key: &Path, user: &str, password: &str) -> Self {
        const SCRIPT: &str = r#"
import sys, ssl, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Debugging
from aiosmtpd.smtp import AuthResult
port, cert, key, user, password = sys.argv[1:6]
def check(server, session, envelope, mechanism, data):
    ok = data.login.decode() == user and data.password.decode() == password
    print(f"LOGIN {mechanism} user={data.login.decode()} ok={ok}")
    # Not handled here: the server answers 235 or 535 itself.
    return AuthResult(success=ok, handled=False)
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
c = Controller(Debugging(sys.stdout), hostname="127.0.0.1", port=int(port),
               tls_context=ctx, require_starttls=True, authenticator=check,
               auth_required=True)
c.start()
while True:
    time.sleep(3600)
"#;
        let port = common::servers::free_port();
        let mut cmd = Command::new(PYTHON);
        cmd.args(["-u", "-c", SCRIPT])
            .arg(port.to_string())
            .arg(cert)
            .arg(key)
            .args([user, password]);
        Self::start(cmd, port)
    }

    fn start(mut cmd: Command, port: u16) -> Self {
        assert!(
            Command::new(PYTHON)
                .args(["-c", "import aiosmtpd"])
                .status()
                .is_ok_and(|s| s.success()),
            "aiosmtpd is not installed: run `apt-get install -y python3-aiosmtpd` (scripts/test does this)"
        );
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let out = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().expect("stdout");
        let sink = Arc::clone(&out);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, out }
    }

    /// What the server printed once it holds `what` (or panics with it).
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.out.lock().unwrap().clone();
            if text.contains(what) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP server never printed {what:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn printed(&self) -> String {
        self.out.lock().unwrap().clone()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The config's email section (other channels off) with `extra` fields.
fn config(dir: &Path, port: u16, extra: &str) -> PathBuf {
    let p = dir.join("config.yaml");
    std::fs::write(
        &p,
        format!(
            "cluster: {{name: lab}}\nnotifications:\n  email:\n    enabled: true\n    smtp_host: 127.0.0.1\n    smtp_port: {port}\n    from: gpu-alerts@example.com\n    to: [ops@example.com, oncall@example.com]\n{extra}"
        ),
    )
    .expect("write config");
    p
}

fn aami(home: &Path, config: &Path, args: &[&str], password: &str) -> Output {
    Command::new(common::bin())
        .arg("-c")
        .arg(config)
        .args(args)
        .env_remove("AAMI_CONFIG")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("SMTP_PASSWORD", password)
        .output()
        .expect("run aami-tui")
}

fn printed(o: &Output) -> String {
    format!("{}{}", common::stdout(o), common::stderr(o))
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        common::stderr(&o)
    );
}

/// A CA and a certificate for 127.0.0.1 signed by it: (ca.pem, cert, key).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    common::require("openssl", "openssl");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut a = vec!["req", "-x509"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=aami test CA",
    ]);
    openssl(dir, &a);
    let mut a = vec!["req"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "smtp.key",
        "-out",
        "smtp.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &a);
    std::fs::write(
        dir.join("smtp.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "smtp.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "smtp.pem",
            "-days",
            "1",
            "-extfile",
            "smtp.ext",
        ],
    );
    (
        dir.join("ca.pem"),
        dir.join("smtp.pem"),
        dir.join("smtp.key"),
    )
}

#[test]
fn a_test_email_reaches_a_real_smtp_server_in_clear() {
    let home = tempfile::tempdir().expect("tmp");
    let smtp = Smtp::cli(&[]);
    let cfg = config(home.path(), smtp.port, "    starttls: false\n");
    let o = aami(home.path(), &cfg, &["notify", "test", "email"], SECRET);
    assert!(o.status.success(), "{}", printed(&o));
    let said = common::stdout(&o);
    assert!(
        said.starts_with(&format!(
            "email: test message sent through 127.0.0.1:{} (none) to ops@example.com, oncall@example.com: 250"
        , smtp.port)),
        "{said}"
    );
    let got = smtp.wait_for("---------- END MESSAGE ----------");
    assert!(
        got.contains("Subject: [aami-tui] test notification from cluster lab"),
        "{got}"
    );
    assert!(
        got.contains("aami-tui test notification from cluster lab: this channel works."),
        "{got}"
    );
    assert!(got.contains("From: gpu-alerts@example.com"), "{got}");
    assert!(
        got.contains("To: ops@example.com, oncall@example.com"),
        "{got}"
    );
}

#[test]
fn starttls_with_the_configured_ca_and_a_password_from_env_never_printed() {
    let home = tempfile::tempdir().expect("tmp");
    let (ca, cert, key) = certificates(home.path());
    let smtp = Smtp::with_login(&cert, &key, "gpu-alerts", SECRET);
    let ca_line = format!("    ca_file: {}\n", ca.display());
    let login = "    username: gpu-alerts\n    password: ${SMTP_PASSWORD}\n";
    let cfg = config(home.path(), smtp.port, &format!("{ca_line}{login}"));

    // The right password: logged in over STARTTLS, the message delivered.
    let o = aami(
        home.path(),
        &cfg,
        &["notify", "test", "email", "--json"],
        SECRET,
    );
    assert!(o.status.success(), "{}", printed(&o));
    assert!(!printed(&o).contains(SECRET), "{}", printed(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["sent"], true, "{v}");
    assert_eq!(v["email"]["tls"], "starttls");
    assert_eq!(v["email"]["server"], format!("127.0.0.1:{}", smtp.port));
    let got = smtp.wait_for("---------- END MESSAGE ----------");
    assert!(got.contains("user=gpu-alerts ok=True"), "{got}");
    assert!(
        got.contains("Subject: [aami-tui] test notification from cluster lab"),
        "{got}"
    );

    // A wrong password: the server's refusal, naming host:port, and
    // neither password printed.
    let wrong = "wrong-0f-the-env-pa55";
    for args in [
        &["notify", "test", "email"][..],
        &["notify", "test", "email", "--json"][..],
    ] {
        let o = aami(home.path(), &cfg, args, wrong);
        assert_eq!(o.status.code(), Some(1), "{}", printed(&o));
        let all = printed(&o);
        assert!(
            all.contains(&format!(
                "email: refused by SMTP server 127.0.0.1:{}",
                smtp.port
            )) && all.contains("535"),
            "{all}"
        );
        assert!(!all.contains(wrong) && !all.contains(SECRET), "{all}");
    }
    assert!(smtp.printed().contains("ok=False"));

    // The same server without the CA in the config: a TLS failure naming
    // host:port; in clear it wants STARTTLS first.
    let cfg = config(home.path(), smtp.port, login);
    let o = aami(home.path(), &cfg, &["notify", "test", "email"], SECRET);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(
        err.contains(&format!(
            "email: TLS failed with SMTP server 127.0.0.1:{}",
            smtp.port
        )),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    let cfg = config(
        home.path(),
        smtp.port,
        &format!("    starttls: false\n{login}"),
    );
    let o = aami(home.path(), &cfg, &["notify", "test", "email"], SECRET);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(
        err.contains(&format!("127.0.0.1:{}", smtp.port)) && !err.contains(SECRET),
        "{err}"
    );
}

#[test]
fn an_unreachable_smtp_server_is_named_with_the_reason() {
    let home = tempfile::tempdir().expect("tmp");
    let port = common::servers::free_port();
    let cfg = config(
        home.path(),
        port,
        "    starttls: false\n    username: u\n    password: ${SMTP_PASSWORD}\n",
    );
    for args in [
        &["notify", "test", "email"][..],
        &["notify", "test", "email", "--json"][..],
    ] {
        let o = aami(home.path(), &cfg, args, SECRET);
        assert_eq!(o.status.code(), Some(1), "{}", printed(&o));
        let err = common::stderr(&o);
        assert!(
            err.starts_with(&format!(
                "error: email: cannot connect to SMTP server 127.0.0.1:{port}: "
            )) && err.to_lowercase().contains("refused"),
            "{err}"
        );
        assert!(!printed(&o).contains(SECRET), "{}", printed(&o));
        if args.contains(&"--json") {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
            assert_eq!(v["sent"], false);
            assert!(
                v["error"]
                    .as_str()
                    .unwrap_or("")
                    .contains(&format!("127.0.0.1:{port}"))
            );
        }
    }
    // A password written in clear is refused before anything is sent.
    let cfg = config(
        home.path(),
        port,
        &format!("    username: u\n    password: {SECRET}\n"),
    );
    let o = aami(home.path(), &cfg, &["notify", "test", "email"], SECRET);
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(
        err.contains("notifications.email.password") && !err.contains(SECRET),
        "{err}"
    );
}

#[test]
fn the_email_settings_render_into_an_alertmanager_config_amtool_accepts() {
    common::require("amtool", "prometheus-alertmanager");
    let home = tempfile::tempdir().expect("tmp");
    let ca = home.path().join("ca.pem");
    for (extra, require_tls) in [
        ("".to_string(), true),
        (
            format!("    starttls: false\n    ca_file: {}\n", ca.display()),
            false,
        ),
        ("    starttls: false\n".to_string(), false),
    ] {
        let cfg = config(
            home.path(),
            2525,
            &format!("{extra}    username: gpu\n    password: ${{SMTP_PASSWORD}}\n"),
        );
        let out = home.path().join("alertmanager.yml");
        let o = aami(
            home.path(),
            &cfg,
            &["notify", "render", "-o", out.to_str().expect("utf8")],
            SECRET,
        );
        assert!(o.status.success(), "{}", printed(&o));
        assert!(!printed(&o).contains(SECRET));
        let check = Command::new("amtool")
            .arg("check-config")
            .arg(&out)
            .output()
            .expect("amtool");
        assert!(check.status.success(), "{}", printed(&check));
        let v: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&out).expect("read")).expect("yaml");
        assert_eq!(v["global"]["smtp_smarthost"], "127.0.0.1:2525");
        assert_eq!(v["global"]["smtp_require_tls"], require_tls, "{extra}");
        assert_eq!(v["global"]["smtp_auth_password"], SECRET);
        let email = &v["receivers"][0]["email_configs"][0];
        assert_eq!(email["to"], "ops@example.com, oncall@example.com");
        if extra.contains("ca_file") {
            assert_eq!(email["tls_config"]["ca_file"], ca.display().to_string());
        }
    }
}
