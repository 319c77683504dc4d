//! Alertmanager's API v2 (alerts, silences) and Prometheus's
//! `/api/v1/alerts`, for the alerts pane in query mode and the `alerts
//! silence|silences|expire` commands.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::HttpAuth;

/// How long one API call may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call failed, in words for the status line and stderr.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("HTTP {status} from {url}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url}: unexpected answer: {reason}")]
    Answer { url: String, reason: String },
    #[error("TLS setup: {0}")]
    Tls(String),
}

/// One `name=value` (or `=~`, `!=`, `!~`) matcher of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// Parses `name=value`, `name!=value`, `name=~re`, `name!~re`.
    pub fn parse(s: &str) -> Result<Self, String> {
        for (op, is_regex, is_equal) in [
            ("!~", true, false),
            ("=~", true, true),
            ("!=", false, false),
            ("=", false, true),
        ] {
            if let Some((name, value)) = s.split_once(op) {
                let name = name.trim();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("'{s}': '{name}' is not a label name"));
                }
                return Ok(Matcher {
                    name: name.to_string(),
                    value: value.trim().trim_matches('"').to_string(),
                    is_regex,
                    is_equal,
                });
            }
        }
        Err(format!(
            "'{s}' is not a matcher (write name=value, name!=value, name=~regex)"
        ))
    }

    pub fn text(&self) -> String {
        let op = match (self.is_regex, self.is_equal) {
            (false, true) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (true, false) => "!~",
        };
        format!("{}{op}\"{}\"", self.name, self.value)
    }
}

/// A silence to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSilence {
    pub matchers: Vec<Matcher>,
    /// RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
}

/// A silence as Alertmanager lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
    pub status: SilenceStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceStatus {
    /// active, pending or expired.
    pub state: String,
}

/// An alert as Alertmanager holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub fingerprint: String,
    pub status: AmAlertStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmAlertStatus {
    /// active, suppressed or unprocessed.
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

/// An alert as Prometheus's `/api/v1/alerts` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// pending or firing.
    pub state: String,
    #[serde(default)]
    pub active_at: Option<String>,
    #[serde(default)]
    pub value: String,
}

/// A client for one Alertmanager (or Prometheus) base URL.
#[derive(Debug, Clone)]
pub struct ApiClient {
    client: reqwest::Client,
    base: String,
    auth: Option<HttpAuth>,
}

impl ApiClient {
    pub fn new(base: &str, auth: Option<HttpAuth>) -> Result<Self, ApiError> {
        let client = crate::sources::query::client_for(auth.as_ref())
            .map_err(|e| ApiError::Tls(e.to_string()))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_string(),
            auth,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: reqwest::Method, path: &str) -> (String, reqwest::RequestBuilder) {
        let url = format!("{}{path}", self.base);
        let mut req = self.client.request(method, &url).timeout(TIMEOUT);
        if let Some(a) = &self.auth {
            if let Some(b) = &a.basic {
                req = req.basic_auth(&b.username, Some(&b.password));
            }
            if let Some(t) = &a.bearer_token {
                req = req.bearer_auth(t);
            }
        }
        (url, req)
    }

    async fn send(&self, url: &str, req: reqwest::RequestBuilder) -> Result<String, ApiError> {
        let resp = req.send().await.map_err(|e| ApiError::Unreachable {
            url: url.to_string(),
            reason: crate::text::sanitize_max(&e.to_string(), 120),
        })?;
        let status = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| ApiError::Answer {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        if !(200..300).contains(&status) {
            return Err(ApiError::Status {
                url: url.to_string(),
                status,
                body: crate::text::sanitize_max(body.trim(), 160),
            });
        }
        Ok(body)
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, ApiError> {
        let (url, req) = self.request(reqwest::Method::GET, path);
        let body = self.send(&url, req).await?;
        serde_json::from_str(&body).map_err(|e| ApiError::Answer {
            url,
            reason: e.to_string(),
        })
    }

    /// Alertmanager: every alert, with its silenced / inhibited state.
    pub async fn alerts(&self) -> Result<Vec<AmAlert>, ApiError> {
        self.get_json("/api/v2/alerts").await
    }

    /// Alertmanager: every silence (active, pending and expired).
    pub async fn silences(&self) -> Result<Vec<Silence>, ApiError> {
        self.get_json("/api/v2/silences").await
    }

    /// Alertmanager: creates a silence; returns its id.
    pub async fn create_silence(&self, s: &NewSilence) -> Result<String, ApiError> {
        let (url, req) = self.request(reqwest::Method::POST, "/api/v2/silences");
        let body = self.send(&url, req.json(s)).await?;
        /// Alertmanager writes `silenceID` (not camel case).
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "silenceID")]
            silence_id: String,
        }
        serde_json::from_str::<Created>(&body)
            .map(|c| c.silence_id)
            .map_err(|e| ApiError::Answer {
                url,
                reason: e.to_string(),
            })
    }

    /// Alertmanager: expires a silence now.
    pub async fn expire_silence(&self, id: &str) -> Result<(), ApiError> {
        let (url, req) = self.request(reqwest::Method::DELETE, &format!("/api/v2/silence/{id}"));
        self.send(&url, req).await.map(|_| ())
    }

    /// Prometheus: its pending and firing alerts.
    pub async fn prometheus_alerts(&self) -> Result<Vec<PromAlert>, ApiError> {
        #[derive(Deserialize)]
        struct Data {
            alerts: Vec<PromAlert>,
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Data,
        }
        let a: Answer = self.get_json("/api/v1/alerts").await?;
        Ok(a.data.alerts)
    }
}

/// Matchers that pick out one alert: its name and where it is.
pub fn matchers_for(labels: &BTreeMap<String, String>) -> Vec<Matcher> {
    ["alertname", "instance", "gpu", "Hostname"]
        .iter()
        .filter_map(|k| {
            labels.get(*k).map(|v| Matcher {
                name: k.to_string(),
                value: v.clone(),
                is_regex: false,
                is_equal: true,
            })
        })
        .collect()
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2026-11-30T22:00:00Z`).
pub fn rfc3339(unix_secs: u64) -> String {
    let days = unix_secs / 86400;
    let rem = unix_secs % 86400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A silence from now for `duration`.
pub fn new_silence(
    matchers: Vec<Matcher>,
    duration: Duration,
    author: &str,
    comment: &str,
    now_unix: u64,
) -> NewSilence {
    NewSilence {
        matchers,
        starts_at: rfc3339(now_unix),
        ends_at: rfc3339(now_unix + duration.as_secs().max(60)),
        created_by: author.to_string(),
        comment: comment.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_parse_every_operator() {
        let m = Matcher::parse("alertname=GpuTooHot").expect("ok");
        assert!(m.is_equal && !m.is_regex && m.value == "GpuTooHot");
        assert!(Matcher::parse("instance=~\"n1:.*\"").expect("ok").is_regex);
        let ne = Matcher::parse("gpu!=3").expect("ok");
        assert!(!ne.is_equal && ne.text() == "gpu!=\"3\"");
        assert!(Matcher::parse("no operator").is_err());
        assert!(Matcher::parse("bad name=1").is_err());
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_083_200), "2026-12-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }
}
