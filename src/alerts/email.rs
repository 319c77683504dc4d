//! `notify test email`: one test message through the SMTP server of the
//! config's `notifications.email`, over TLS the way Alertmanager will send
//! (port 465: TLS throughout; otherwise STARTTLS unless `starttls: false`),
//! logging in when a username and password are set. The password comes from
//! `${ENV}` and appears in no message this module returns.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Email;

/// How long connecting, and each step of the conversation, may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What was sent, where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sent {
    /// `host:port`.
    pub server: String,
    /// `starttls`, `tls` (port 465) or `none`.
    pub tls: &'static str,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The server's answer to the message (`250 …`).
    pub response: String,
}

/// Why the test message was not sent: a bad setting (the config must
/// change) or the server (unreachable, refused, TLS failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("notifications.email.{field}: {message}")]
    Config {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Server(String),
}

/// The subject and body of the test message.
pub fn test_message(cluster: &str) -> (String, String) {
    (
        format!("[aami-tui] test notification from cluster {cluster}"),
        format!(
            "aami-tui test notification from cluster {cluster}: this channel works.\n\nAlerts from this cluster's Alertmanager will come from this address.\n"
        ),
    )
}

fn config_error(field: &'static str, message: impl Into<String>) -> EmailError {
    EmailError::Config {
        field,
        message: message.into(),
    }
}

/// Which TLS, as a word for the user.
pub fn tls_mode(e: &Email) -> &'static str {
    if e.implicit_tls() {
        "tls"
    } else if e.require_tls() {
        "starttls"
    } else {
        "none"
    }
}

fn message(e: &Email, cluster: &str) -> Result<(Message, String), EmailError> {
    let from: Mailbox = e
        .from
        .parse()
        .map_err(|err| config_error("from", format!("{:?} is not an address: {err}", e.from)))?;
    if e.to.is_empty() {
        return Err(config_error("to", "no recipient"));
    }
    let (subject, body) = test_message(cluster);
    let mut b = Message::builder()
        .from(from)
        .subject(subject.clone())
        .header(ContentType::TEXT_PLAIN);
    for t in &e.to {
        let to: Mailbox = t
            .parse()
            .map_err(|err| config_error("to", format!("{t:?} is not an address: {err}")))?;
        b = b.to(to);
    }
    let m = b
        .body(body)
        .map_err(|err| config_error("to", err.to_string()))?;
    Ok((m, subject))
}

fn tls(e: &Email) -> Result<Tls, EmailError> {
    if !e.require_tls() {
        return Ok(Tls::None);
    }
    let mut b = TlsParameters::builder(e.smtp_host.clone());
    if let Some(path) = &e.ca_file {
        let pem =
            std::fs::read(path).map_err(|err| config_error("ca_file", format!("{path}: {err}")))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|err| config_error("ca_file", format!("{path}: {err}")))?;
        b = b.add_root_certificate(cert);
    }
    let params = b
        .build_rustls()
        .map_err(|err| config_error("smtp_host", err.to_string()))?;
    Ok(if e.implicit_tls() {
        Tls::Wrapper(params)
    } else {
        Tls::Required(params)
    })
}

/// An error and its causes on one line, with `secret` (the password) cut
/// out wherever a server or library might have echoed it.
fn describe(err: &dyn std::error::Error, secret: Option<&str>) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    // lettre nests its connection errors ("Connection error: Connection
    // error: …"): say each part once.
    let mut parts: Vec<&str> = Vec::new();
    for p in text.split(": ") {
        if parts.last() != Some(&p) {
            parts.push(p);
        }
    }
    let text = parts.join(": ");
    match secret.filter(|s| !s.is_empty()) {
        Some(s) => text.replace(s, "***"),
        None => text,
    }
}

/// A TLS failure: lettre's own kind, or a certificate or handshake refused
/// under a connection error.
fn tls_failure(err: &lettre::transport::smtp::Error, text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    err.is_tls() || t.contains("certificate") || t.contains("handshake")
}

/// Whether the server could not be reached at all (nothing listening,
/// no route, name not found).
fn refused_connection(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            return matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::HostUnreachable
                    | K::NetworkUnreachable
                    | K::AddrNotAvailable
                    | K::NotFound
            );
        }
        source = s.source();
    }
    false
}

/// Sends the test message.
pub async fn send_test(e: &Email, cluster: &str) -> Result<Sent, EmailError> {
    if e.smtp_host.trim().is_empty() {
        return Err(config_error("smtp_host", "empty"));
    }
    let (msg, subject) = message(e, cluster)?;
    let server = format!("{}:{}", e.smtp_host, e.port());
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&e.smtp_host)
        .port(e.port())
        .tls(tls(e)?)
        .timeout(Some(TIMEOUT));
    match (&e.username, &e.password) {
        (Some(u), Some(p)) => {
            transport = transport.credentials(Credentials::new(u.clone(), p.clone()));
        }
        (None, Some(_)) => return Err(config_error("username", "a password needs a username")),
        (Some(_), None) => {
            return Err(config_error(
                "password",
                "a username needs a password (as ${SMTP_PASSWORD})",
            ));
        }
        (None, None) => {}
    }
    let transport = transport.build();
    // The whole exchange is bounded too, not only each step.
    let sent = tokio::time::timeout(TIMEOUT * 3, transport.send(msg)).await;
    let secret = e.password.as_deref();
    match sent {
        Ok(Ok(response)) => Ok(Sent {
            server,
            tls: tls_mode(e),
            from: e.from.clone(),
            to: e.to.clone(),
            subject,
            response: format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )
            .replace(secret.unwrap_or("\u{0}"), "***"),
        }),
        Ok(Err(err)) => {
            let why = describe(&err, secret);
            let what = if err.is_timeout() {
                "timed out with"
            } else if refused_connection(&err) {
                "cannot connect to"
            } else if tls_failure(&err, &why) {
                "TLS failed with"
            } else if err.status().is_some() {
                "refused by"
            } else {
                "cannot send through"
            };
            Err(EmailError::Server(format!(
                "email: {what} SMTP server {server}: {why}"
            )))
        }
        Err(_) => Err(EmailError::Server(format!(
            "email: timed out with SMTP server {server} after {}s",
            (TIMEOUT * 3).as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            enabled: true,
            smtp_host: "127.0.0.1".into(),
            from: "gpu@example.com".into(),
            to: vec!["ops@example.com".into()],
            ..Email::default()
        }
    }

    #[test]
    fn tls_follows_port_and_starttls() {
        let mut e = email();
        assert_eq!(tls_mode(&e), "starttls", "on by default");
        e.starttls = Some(false);
        assert_eq!(tls_mode(&e), "none");
        e.smtp_port = Some(465);
        assert_eq!(tls_mode(&e), "tls", "465 is TLS whatever starttls says");
    }

    #[test]
    fn bad_addresses_name_the_field() {
        let mut e = email();
        e.from = "not an address".into();
        let err = message(&e, "lab").expect_err("bad from");
        assert!(
            err.to_string().starts_with("notifications.email.from:"),
            "{err}"
        );
        let mut e = email();
        e.to = vec![];
        assert_eq!(
            message(&e, "lab").expect_err("no to").to_string(),
            "notifications.email.to: no recipient"
        );
    }

    #[test]
    fn the_password_is_cut_from_errors() {
        #[derive(Debug)]
        struct E(String);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::error::Error for E {}
        let text = describe(
            &E("535 bad credentials for hunter2".into()),
            Some("hunter2"),
        );
        assert_eq!(text, "535 bad credentials for ***");
    }
}
