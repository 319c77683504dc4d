//! Query-mode authentication: OAuth2 client credentials (token fetched once,
//! reused, sent as bearer) and TLS with a private CA and client
//! certificates against a real Prometheus (`--web.config.file`).

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aami_tui::config::{Config, HttpAuth, NodeConfig, OAuth2, TlsSettings};
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use aami_tui::sources::query::QueryCollector;
use common::servers;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ANSWER: &str = include_str!(
    "fixtures/prometheus_api/nvidia-aicr_api-v1-query_vector_DCGM_FI_DEV_GPU_UTIL_H100x16.json"
);

/// A token endpoint and an API that only answers with the token it issued.
/// (No OAuth2 server ships in Debian; the API answer is a real capture.)
async fn token_guarded_api(token_requests: Arc<AtomicUsize>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let counter = Arc::clone(&token_requests);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let (status, body) = if req.starts_with("POST /token") {
                    counter.fetch_add(1, Ordering::SeqCst);
                    // aami:s3cret in basic auth, client-credentials grant.
                    if req.contains("Basic YWFtaTpzM2NyZXQ=")
                        && req.contains("grant_type=client_credentials")
                    {
                        (
                            "200 OK",
                            r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600}"#
                                .to_string(),
                        )
                    } else {
                        (
                            "401 Unauthorized",
                            r#"{"error":"invalid_client"}"#.to_string(),
                        )
                    }
                } else if [
                    "authorization: bearer tok-1",
                    "authorization: bearer static-tok",
                    "authorization: basic dxnlcjpwdw==",
                ]
                .iter()
                .any(|h| req.to_ascii_lowercase().contains(h))
                {
                    // Only the GPU query gets the capture; `up` and host
                    // queries get an empty (valid) answer.
                    let first_line = req.lines().next().unwrap_or("");
                    if first_line.contains("DCGM_FI_DEV_GPU_UTIL") {
                        ("200 OK", ANSWER.to_string())
                    } else {
                        (
                            "200 OK",
                            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#
                                .to_string(),
                        )
                    }
                } else {
                    (
                        "401 Unauthorized",
                        r#"{"status":"error","errorType":"unauthorized","error":"no token"}"#
                            .to_string(),
                    )
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            });
        }
    });
    port
}

fn one_node_config(url: String, auth: HttpAuth) -> Config {
    let mut c = Config {
        nodes: vec![NodeConfig {
            name: "gpu-node-1".into(),
            ip: "127.0.0.1".into(),
            ..NodeConfig::default()
        }],
        ..Config::default()
    };
    c.prometheus.url = Some(url);
    c.prometheus.auth = Some(auth);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_token_is_fetched_once_and_used() {
    let requests = Arc::new(AtomicUsize::new(0));
    let port = token_guarded_api(Arc::clone(&requests)).await;
    let auth = |secret: &str| HttpAuth {
        oauth2: Some(OAuth2 {
            client_id: "aami".into(),
            client_secret: secret.into(),
            token_url: format!("http://127.0.0.1:{port}/token"),
            scopes: vec![],
        }),
        ..HttpAuth::default()
    };
    let c = one_node_config(format!("http://127.0.0.1:{port}"), auth("s3cret"));
    let q = QueryCollector::from_config(&c).unwrap().unwrap();
    for _ in 0..2 {
        let out = q.refresh().await;
        let gpus = out[0].gpus.as_ref().expect("GPUs through the token");
        assert_eq!(gpus.len(), 8, "gpu-node-1's 8 GPUs from the capture");
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "token cached between refreshes"
    );
    // A wrong secret: the reason names the token endpoint's answer.
    let c = one_node_config(format!("http://127.0.0.1:{port}"), auth("wrong"));
    let out = QueryCollector::from_config(&c)
        .unwrap()
        .unwrap()
        .refresh()
        .await;
    let why = out[0].gpus.as_ref().unwrap_err();
    assert!(why.contains("OAuth2 token: HTTP 401"), "{why}");
}

fn openssl(args: &[&str], dir: &std::path::Path) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "openssl {args:?}");
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate.
fn make_pki(dir: &std::path::Path) {
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
        "1",
        "-subj",
        "/CN=aami-test-ca",
    ]);
    openssl(&a, dir);
    for (name, cn, ext) in [
        ("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1"),
        ("client", "aami-tui", "extendedKeyUsage=clientAuth"),
    ] {
        let mut a = vec!["req"];
        a.extend(ec);
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let subj = format!("/CN={cn}");
        a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(&a, dir);
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        let pem = format!("{name}.pem");
        let extf = format!("{name}.ext");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_private_ca_and_client_certificate_against_real_prometheus() {
    let sim = SimFleet::start(SimOptions {
        nodes: 2,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let mut config = sim.config();
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let web = pki.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {0}/server.pem\n  key_file: {0}/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {0}/ca.pem\n",
            pki.path().display()
        ),
    )
    .unwrap();
    let jobs = vec![(
        "dcgm",
        config
            .nodes
            .iter()
            .map(|n| format!("{}:{}", n.ip, n.exporters.dcgm.unwrap()))
            .collect::<Vec<_>>(),
    )];
    let prom = servers::prometheus_with_web_config(&jobs, &web);
    let https = prom.url.replace("http://", "https://");
    let p = |f: &str| Some(pki.path().join(f).display().to_string());
    config.prometheus.url = Some(https.clone());
    config.prometheus.auth = Some(HttpAuth {
        tls: Some(TlsSettings {
            ca_file: p("ca.pem"),
            cert_file: p("client.pem"),
            key_file: p("client.key"),
            insecure_skip_verify: false,
        }),
        ..HttpAuth::default()
    });
    let q = QueryCollector::from_config(&config).unwrap().unwrap();
    // Wait for the first scrapes to land, asking through TLS.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let out = q.refresh().await;
        if out
            .iter()
            .all(|o| o.gpus.as_ref().is_ok_and(|g| !g.is_empty()))
        {
            assert_eq!(out[0].gpus.as_ref().unwrap().len(), 8);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no data through TLS: {:?}",
            out[0].gpus
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Without the client certificate the server refuses the handshake.
    config.prometheus.auth = Some(HttpAuth {
        tls: Some(TlsSettings {
            ca_file: p("ca.pem"),
            ..TlsSettings::default()
        }),
        ..HttpAuth::default()
    });
    let out = QueryCollector::from_config(&config)
        .unwrap()
        .unwrap()
        .refresh()
        .await;
    assert!(
        out[0].gpus.as_ref().unwrap_err().contains("cannot reach"),
        "{:?}",
        out[0].gpus
    );
    // Without our CA the server's certificate is not trusted.
    config.prometheus.auth = Some(HttpAuth::default());
    let out = QueryCollector::from_config(&config)
        .unwrap()
        .unwrap()
        .refresh()
        .await;
    assert!(out[0].gpus.is_err());
    // A CA file that does not exist is a clear setup error.
    config.prometheus.auth = Some(HttpAuth {
        tls: Some(TlsSettings {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..TlsSettings::default()
        }),
        ..HttpAuth::default()
    });
    let e = QueryCollector::from_config(&config).unwrap().err().unwrap();
    assert!(
        e.to_string().starts_with("TLS setup: /nonexistent/ca.pem"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_and_basic_auth_are_sent() {
    let port = token_guarded_api(Arc::new(AtomicUsize::new(0))).await;
    let url = format!("http://127.0.0.1:{port}");
    for auth in [
        HttpAuth {
            bearer_token: Some("static-tok".into()),
            ..HttpAuth::default()
        },
        HttpAuth {
            basic: Some(aami_tui::config::BasicAuth {
                username: "user".into(),
                password: "pw".into(),
            }),
            ..HttpAuth::default()
        },
    ] {
        let out = QueryCollector::from_config(&one_node_config(url.clone(), auth))
            .unwrap()
            .unwrap()
            .refresh()
            .await;
        assert_eq!(out[0].gpus.as_ref().map(Vec::len), Ok(8));
    }
    // No credentials: the API's 401 is the reason.
    let out = QueryCollector::from_config(&one_node_config(url, HttpAuth::default()))
        .unwrap()
        .unwrap()
        .refresh()
        .await;
    let why = out[0].gpus.as_ref().unwrap_err();
    assert!(
        why.contains("HTTP 401") && why.contains("no token"),
        "{why}"
    );
}
