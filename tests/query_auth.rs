//! Query-mode authentication against a real Prometheus: basic auth with
//! `basic_auth_users`, TLS with a private CA and client certificates
//! (`--web.config.file`), certificates refused for an untrusted CA, a wrong
//! host name or an expiry, and accepted only with an explicit
//! `insecure_skip_verify`. OAuth2 client credentials (token reuse, expiry and
//! refresh from `expires_in`, a revoked token) go through a token server and
//! a bearer-checking proxy in the test process in front of the real
//! Prometheus: Prometheus's web config has no bearer or OAuth2 check, and no
//! OAuth2 server ships in Debian.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aami_tui::config::{BasicAuth, Config, HttpAuth, OAuth2, TlsSettings};
use aami_tui::domain::ScrapeOutcome;
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use aami_tui::sources::query::{QueryCollector, client_for};
use common::servers::{self, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A simulated fleet of `nodes` and a real Prometheus (with `web`, if given)
/// scraping its dcgm pages.
async fn fleet_and_prometheus(nodes: usize, web: Option<&Path>) -> (SimFleet, Config, Server) {
    let sim = SimFleet::start(SimOptions {
        nodes,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let config = sim.config();
    let jobs = vec![(
        "dcgm",
        config
            .nodes
            .iter()
            .map(|n| format!("{}:{}", n.ip, n.exporters.dcgm.unwrap()))
            .collect::<Vec<_>>(),
    )];
    let prom = match web {
        Some(w) => servers::prometheus_with_web_config(&jobs, w),
        None => servers::prometheus(&jobs),
    };
    (sim, config, prom)
}

fn collector(config: &Config, url: &str, auth: HttpAuth) -> QueryCollector {
    let mut c = config.clone();
    c.prometheus.url = Some(url.to_string());
    c.prometheus.auth = Some(auth);
    QueryCollector::from_config(&c).unwrap().unwrap()
}

/// Refreshes until every node has GPUs (the first scrapes land seconds
/// after Prometheus starts).
async fn wait_for_gpus(q: &QueryCollector) -> Vec<ScrapeOutcome> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let out = q.refresh().await;
        if out
            .iter()
            .all(|o| o.gpus.as_ref().is_ok_and(|g| !g.is_empty()))
        {
            return out;
        }
        assert!(Instant::now() < deadline, "no data: {:?}", out[0].gpus);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn reason(out: &[ScrapeOutcome]) -> String {
    out[0].gpus.as_ref().err().cloned().unwrap_or_default()
}

// ---------------------------------------------------------------- basic auth

fn bcrypt_hash(user: &str, password: &str) -> String {
    common::require("htpasswd", "apache2-utils");
    // Cost 4 (the minimum): Prometheus checks the hash on every request.
    let out = Command::new("htpasswd")
        .args(["-nbB", "-C", "4", user, password])
        .output()
        .expect("htpasswd");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    line.trim()
        .strip_prefix(&format!("{user}:"))
        .expect("user:hash")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_against_prometheus_basic_auth_users() {
    // Mixed case and a colon: only the exact bytes may pass.
    let (user, password) = ("Aami-Ops", "S3cret:Pass-Mixed");
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "basic_auth_users:\n  {user}: '{}'\n",
            bcrypt_hash(user, password)
        ),
    )
    .unwrap();
    let (_sim, config, prom) = fleet_and_prometheus(1, Some(&web)).await;
    let basic = |u: &str, p: &str| HttpAuth {
        basic: Some(BasicAuth {
            username: u.into(),
            password: p.into(),
        }),
        ..HttpAuth::default()
    };
    let out = wait_for_gpus(&collector(&config, &prom.url, basic(user, password))).await;
    assert_eq!(out[0].gpus.as_ref().unwrap().len(), 8);
    for (auth, what) in [
        (
            basic(user, &password.to_lowercase()),
            "password in lower case",
        ),
        (basic(&user.to_lowercase(), password), "user in lower case"),
        (basic(user, "S3cret"), "password cut at the colon"),
        (HttpAuth::default(), "no credentials"),
    ] {
        let why = reason(&collector(&config, &prom.url, auth).refresh().await);
        assert!(why.contains("HTTP 401"), "{what}: {why}");
    }
}

// ------------------------------------------------------------------- OAuth2

/// A client-credentials token endpoint (`POST /token`) and a proxy that
/// passes other requests to Prometheus only with a live token it issued.
struct AuthServer {
    port: u16,
    /// Tokens issued so far.
    issued: AtomicUsize,
    /// `expires_in` of the next token, seconds.
    lifetime_s: AtomicU64,
    /// Live tokens and when each expires.
    live: Mutex<HashMap<String, Instant>>,
    /// The token of each API request that was let through, in order.
    used: Mutex<Vec<String>>,
}

const CLIENT_ID: &str = "aami";
const CLIENT_SECRET: &str = "S3cret-Mixed";

impl AuthServer {
    async fn start(upstream: String) -> Arc<Self> {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let me = Arc::new(Self {
            port: l.local_addr().unwrap().port(),
            issued: AtomicUsize::new(0),
            lifetime_s: AtomicU64::new(3600),
            live: Mutex::new(HashMap::new()),
            used: Mutex::new(Vec::new()),
        });
        let server = Arc::clone(&me);
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while let Ok((s, _)) = l.accept().await {
                let (server, http, upstream) =
                    (Arc::clone(&server), http.clone(), upstream.clone());
                tokio::spawn(async move { server.answer(s, &http, &upstream).await });
            }
        });
        me
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn revoke(&self, token: &str) {
        self.live.lock().unwrap().remove(token);
    }

    async fn answer(&self, mut s: TcpStream, http: &reqwest::Client, upstream: &str) {
        let Some((head, body)) = read_request(&mut s).await else {
            return;
        };
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (status, body) = if head.starts_with("POST /token ") {
            self.token(&head, &body)
        } else {
            let bearer = header(&head, "authorization")
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.to_string());
            let live = bearer.as_ref().is_some_and(|t| {
                self.live
                    .lock()
                    .unwrap()
                    .get(t)
                    .is_some_and(|until| *until > Instant::now())
            });
            if live {
                self.used.lock().unwrap().push(bearer.unwrap_or_default());
                match http.get(format!("{upstream}{target}")).send().await {
                    Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                    Err(e) => (502, e.to_string()),
                }
            } else {
                (401, "invalid_token\n".to_string())
            }
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
        let _ = s.write_all(body.as_bytes()).await;
    }

    fn token(&self, head: &str, body: &str) -> (u16, String) {
        let expected = format!(
            "Basic {}",
            base64_of_credentials(&format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        );
        if header(head, "authorization") != Some(expected.as_str())
            || !body
                .split('&')
                .any(|kv| kv == "grant_type=client_credentials")
        {
            return (401, r#"{"error":"invalid_client"}"#.into());
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("tok-{n}");
        let lifetime = self.lifetime_s.load(Ordering::SeqCst);
        self.live.lock().unwrap().insert(
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        );
        (
            200,
            format!(
                r#"{{"access_token":"{token}","token_type":"bearer","expires_in":{lifetime}}}"#
            ),
        )
    }
}

/// Standard base64 (RFC 4648) for a basic-auth header.
fn base64_of_credentials(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One HTTP/1.1 request: its head (request line and headers) and body.
async fn read_request(s: &mut TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = header(&head, "content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
            return Some((head, body));
        }
    }
}

/// A header's value; names are case-insensitive, values are kept as sent.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_token_is_reused_refreshed_on_expiry_and_a_revoked_one_is_refused() {
    let (_sim, config, prom) = fleet_and_prometheus(1, None).await;
    let auth_server = AuthServer::start(prom.url.clone()).await;
    let oauth2 = |secret: &str| HttpAuth {
        oauth2: Some(OAuth2 {
            client_id: CLIENT_ID.into(),
            client_secret: secret.into(),
            token_url: format!("{}/token", auth_server.url()),
            scopes: vec![],
        }),
        ..HttpAuth::default()
    };
    let url = auth_server.url();
    let issued = || auth_server.issued.load(Ordering::SeqCst);
    let last_used = || auth_server.used.lock().unwrap().last().cloned();

    // A long-lived token: fetched once, reused by every refresh.
    let q = collector(&config, &url, oauth2(CLIENT_SECRET));
    let out = wait_for_gpus(&q).await;
    assert_eq!(out[0].gpus.as_ref().unwrap().len(), 8);
    assert_eq!(issued(), 1, "one token for all refreshes so far");
    assert_eq!(last_used().as_deref(), Some("tok-1"));

    // A token that expires in 33 s (the client renews 30 s early, so after
    // 3 s): reused within that, a new one fetched after it.
    auth_server.lifetime_s.store(33, Ordering::SeqCst);
    let q = collector(&config, &url, oauth2(CLIENT_SECRET));
    assert!(q.refresh().await[0].gpus.is_ok());
    assert!(q.refresh().await[0].gpus.is_ok());
    assert_eq!(issued(), 2, "reused while valid");
    assert_eq!(last_used().as_deref(), Some("tok-2"));
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let out = q.refresh().await;
    assert!(out[0].gpus.is_ok(), "{:?}", out[0].gpus);
    assert_eq!(issued(), 3, "a new token after the old one's expires_in");
    assert_eq!(last_used().as_deref(), Some("tok-3"));

    // The server revokes a live token: the API's 401 is the reason.
    auth_server.lifetime_s.store(3600, Ordering::SeqCst);
    let q = collector(&config, &url, oauth2(CLIENT_SECRET));
    assert!(q.refresh().await[0].gpus.is_ok());
    assert_eq!(last_used().as_deref(), Some("tok-4"));
    auth_server.revoke("tok-4");
    let why = reason(&q.refresh().await);
    assert!(why.contains("HTTP 401"), "{why}");

    // A wrong secret: the reason names the token endpoint's answer.
    let why = reason(
        &collector(&config, &url, oauth2("s3cret-mixed"))
            .refresh()
            .await,
    );
    assert!(why.contains("OAuth2 token: HTTP 401"), "{why}");

    // A static bearer token is sent as is.
    auth_server.live.lock().unwrap().insert(
        "static-Tok".into(),
        Instant::now() + Duration::from_secs(60),
    );
    let bearer = |t: &str| HttpAuth {
        bearer_token: Some(t.into()),
        ..HttpAuth::default()
    };
    assert!(
        collector(&config, &url, bearer("static-Tok"))
            .refresh()
            .await[0]
            .gpus
            .is_ok()
    );
    let why = reason(
        &collector(&config, &url, bearer("static-tok"))
            .refresh()
            .await,
    );
    assert!(why.contains("HTTP 401"), "{why}");
}

// ---------------------------------------------------------------------- TLS

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const EC: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

fn make_ca(dir: &Path, name: &str) {
    let (key, pem, subj) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("/CN=aami-test-{name}"),
    );
    let mut a = vec!["req", "-x509"];
    a.extend(EC);
    a.extend(["-keyout", &key, "-out", &pem, "-days", "1", "-subj", &subj]);
    openssl(&a, dir);
}

/// A key and a certificate `name.pem` signed by our CA with extension
/// `ext`, valid for a day from now, or over a day in 2020 when `expired`.
fn make_cert(dir: &Path, name: &str, cn: &str, ext: &str, expired: bool) {
    let (key, csr, pem, extf, subj) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("{name}.ext"),
        format!("/CN={cn}"),
    );
    let mut a = vec!["req"];
    a.extend(EC);
    a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
    openssl(&a, dir);
    std::fs::write(dir.join(&extf), ext).unwrap();
    if expired {
        // `openssl x509` cannot set a start date (OpenSSL 3.0); `openssl ca` can.
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = test_ca\n[test_ca]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n",
        )
        .unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        openssl(
            &[
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-cert",
                "ca.pem",
                "-keyfile",
                "ca.key",
                "-in",
                &csr,
                "-out",
                &pem,
                "-extfile",
                &extf,
                "-startdate",
                "20200101000000Z",
                "-enddate",
                "20200102000000Z",
            ],
            dir,
        );
    } else {
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "1",
                "-extfile",
                &extf,
            ],
            dir,
        );
    }
}

/// Our CA, another CA nobody trusts, and certificates signed by ours: the
/// server for 127.0.0.1, one for another host, an expired one, a client.
fn make_pki(dir: &Path) {
    common::require("openssl", "openssl");
    make_ca(dir, "ca");
    make_ca(dir, "other-ca");
    make_cert(
        dir,
        "server",
        "127.0.0.1",
        "subjectAltName=IP:127.0.0.1",
        false,
    );
    make_cert(
        dir,
        "wrong-name",
        "gpu-api.example",
        "subjectAltName=DNS:gpu-api.example,IP:127.0.0.2",
        false,
    );
    make_cert(
        dir,
        "expired",
        "127.0.0.1",
        "subjectAltName=IP:127.0.0.1",
        true,
    );
    make_cert(
        dir,
        "client",
        "aami-tui",
        "extendedKeyUsage=clientAuth",
        false,
    );
}

/// A Prometheus serving HTTPS with certificate `cert`, requiring our client
/// certificate when `client_auth`; its `https://` URL once it listens.
fn tls_prometheus(pki: &Path, cert: &str, client_auth: bool) -> (Server, String) {
    let web = pki.join(format!("web-{cert}-{client_auth}.yml"));
    let mut text = format!(
        "tls_server_config:\n  cert_file: {0}/{cert}.pem\n  key_file: {0}/{cert}.key\n",
        pki.display()
    );
    if client_auth {
        text.push_str(&format!(
            "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}/ca.pem\n",
            pki.display()
        ));
    }
    std::fs::write(&web, text).unwrap();
    let prom = servers::prometheus_with_web_config(&[], &web);
    let addr = prom.url.trim_start_matches("http://").to_string();
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "prometheus did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let https = prom.url.replace("http://", "https://");
    (prom, https)
}

/// GET `/api/v1/query?query=vector(1)` with the client query mode builds for
/// `tls`: the status, or the whole error chain (reqwest's own message does
/// not say why a handshake failed).
async fn query_with(tls: TlsSettings, base: &str) -> Result<u16, String> {
    let auth = HttpAuth {
        tls: Some(tls),
        ..HttpAuth::default()
    };
    let client = client_for(Some(&auth)).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match client
            .get(format!("{base}/api/v1/query"))
            .query(&[("query", "vector(1)")])
            .send()
            .await
        {
            // Prometheus answers 503 until its storage is open.
            Ok(r) if r.status() == 503 && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(r) => return Ok(r.status().as_u16()),
            Err(e) => {
                let mut chain = Vec::new();
                let mut src: Option<&dyn std::error::Error> = Some(&e);
                while let Some(s) = src {
                    chain.push(s.to_string());
                    src = s.source();
                }
                return Err(chain.join(": "));
            }
        }
    }
}

fn ca(pki: &Path, name: &str) -> TlsSettings {
    TlsSettings {
        ca_file: Some(pki.join(name).display().to_string()),
        ..TlsSettings::default()
    }
}

fn insecure() -> TlsSettings {
    TlsSettings {
        insecure_skip_verify: true,
        ..TlsSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_refuses_untrusted_ca_wrong_host_and_expired_certificates() {
    let pki = tempfile::tempdir().unwrap();
    let p = pki.path();
    make_pki(p);
    let (_good, good) = tls_prometheus(p, "server", false);
    let (_wrong, wrong) = tls_prometheus(p, "wrong-name", false);
    let (_old, expired) = tls_prometheus(p, "expired", false);

    // Our CA and the right certificate: answered (the refusals below are
    // about the certificate, not the server).
    assert_eq!(query_with(ca(p, "ca.pem"), &good).await, Ok(200));

    let refused = |r: Result<u16, String>, what: &str, want: &str| {
        let e = r.expect_err(what);
        assert!(e.contains(want), "{what}: {e}");
    };
    refused(
        query_with(ca(p, "other-ca.pem"), &good).await,
        "a CA that did not sign the server's certificate",
        "UnknownIssuer",
    );
    refused(
        query_with(TlsSettings::default(), &good).await,
        "the system roots only",
        "UnknownIssuer",
    );
    refused(
        query_with(ca(p, "ca.pem"), &wrong).await,
        "a certificate for another host",
        "not valid for name",
    );
    refused(
        query_with(ca(p, "ca.pem"), &expired).await,
        "an expired certificate",
        "expired",
    );

    // Spelled out, insecure_skip_verify accepts each of them.
    for base in [&good, &wrong, &expired] {
        assert_eq!(query_with(insecure(), base).await, Ok(200), "{base}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_private_ca_and_client_certificate_against_real_prometheus() {
    let pki = tempfile::tempdir().unwrap();
    let p = pki.path();
    make_pki(p);
    let web = p.join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {0}/server.pem\n  key_file: {0}/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {0}/ca.pem\n",
            p.display()
        ),
    )
    .unwrap();
    let (_sim, config, prom) = fleet_and_prometheus(2, Some(&web)).await;
    let https = prom.url.replace("http://", "https://");
    let file = |f: &str| Some(p.join(f).display().to_string());
    let mutual = TlsSettings {
        ca_file: file("ca.pem"),
        cert_file: file("client.pem"),
        key_file: file("client.key"),
        insecure_skip_verify: false,
    };
    let tls = |t: TlsSettings| HttpAuth {
        tls: Some(t),
        ..HttpAuth::default()
    };
    let out = wait_for_gpus(&collector(&config, &https, tls(mutual.clone()))).await;
    assert_eq!(out[0].gpus.as_ref().unwrap().len(), 8);

    // Without the client certificate the server ends the handshake. Go
    // answers with a bad_certificate alert; under TLS 1.3 the client has
    // finished its side of the handshake by then, so the alert can race the
    // request and hyper reports only that the connection closed before it
    // was ready. Either is the server refusing us; a 200 or a certificate
    // complaint about the server would not be.
    let e = query_with(ca(p, "ca.pem"), &https).await.unwrap_err();
    assert!(
        (e.contains("received fatal alert: BadCertificate")
            || e.contains("connection was not ready")
            || e.contains("connection closed"))
            && !e.contains("UnknownIssuer"),
        "{e}"
    );
    let why = reason(
        &collector(&config, &https, tls(ca(p, "ca.pem")))
            .refresh()
            .await,
    );
    assert!(why.contains("cannot reach"), "{why}");

    // With the client certificate but without our CA, the server's
    // certificate is refused first: the CA is the reason, not the client
    // certificate.
    let no_ca = TlsSettings {
        ca_file: None,
        ..mutual.clone()
    };
    let e = query_with(no_ca.clone(), &https).await.unwrap_err();
    assert!(
        e.contains("UnknownIssuer") && !e.contains("BadCertificate"),
        "{e}"
    );
    let why = reason(&collector(&config, &https, tls(no_ca)).refresh().await);
    assert!(why.contains("cannot reach"), "{why}");

    // A CA file that does not exist is a clear setup error.
    let mut c = config.clone();
    c.prometheus.url = Some(https.clone());
    c.prometheus.auth = Some(tls(TlsSettings {
        ca_file: Some("/nonexistent/ca.pem".into()),
        ..TlsSettings::default()
    }));
    let e = QueryCollector::from_config(&c).unwrap().err().unwrap();
    assert!(
        e.to_string().starts_with("TLS setup: /nonexistent/ca.pem"),
        "{e}"
    );
}
