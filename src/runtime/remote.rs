//! Query mode's alert poller: reads Prometheus's `/api/v1/alerts` and
//! Alertmanager's alerts and silences every refresh (at most every few
//! seconds), and at once when woken (a silence was created or expired).
//! A server that is down or refuses is reported as an error in the pane;
//! nothing else stops.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::jobs::TaskMsg;
use crate::alerts::alertmanager::ApiClient;
use crate::app::Event;
use crate::app::remote::{RemoteAlerts, RemoteConfig};
use crate::config::Config;

/// The slowest the poller goes (a slower refresh still polls this often).
const MAX_PERIOD: Duration = Duration::from_secs(30);
/// The fastest it goes.
const MIN_PERIOD: Duration = Duration::from_secs(2);

/// Clients for the configured APIs.
#[derive(Debug, Clone, Default)]
pub struct RemoteClients {
    pub prometheus: Option<Result<ApiClient, String>>,
    pub alertmanager: Option<Result<ApiClient, String>>,
}

impl RemoteClients {
    pub fn from_config(c: &Config) -> Self {
        let make = |url: &Option<String>, auth: &Option<crate::config::HttpAuth>| {
            url.as_ref()
                .map(|u| ApiClient::new(u, auth.clone()).map_err(|e| e.to_string()))
        };
        Self {
            prometheus: make(&c.prometheus.url, &c.prometheus.auth),
            alertmanager: make(&c.alertmanager.url, &c.alertmanager.auth),
        }
    }

    pub fn config(&self, c: &Config) -> RemoteConfig {
        RemoteConfig {
            prometheus_url: c.prometheus.url.clone(),
            alertmanager_url: c.alertmanager.url.clone(),
        }
    }

    pub fn any(&self) -> bool {
        self.prometheus.is_some() || self.alertmanager.is_some()
    }

    /// The Alertmanager client, for silence jobs.
    pub fn alertmanager(&self) -> Option<Result<ApiClient, String>> {
        self.alertmanager.clone()
    }

    /// Reads everything once.
    pub async fn read(&self) -> RemoteAlerts {
        let prometheus = match &self.prometheus {
            None => None,
            Some(Err(e)) => Some(Err(e.clone())),
            Some(Ok(c)) => Some(c.prometheus_alerts().await.map_err(|e| e.to_string())),
        };
        let (alertmanager, silences) = match &self.alertmanager {
            None => (None, None),
            Some(Err(e)) => (Some(Err(e.clone())), Some(Err(e.clone()))),
            Some(Ok(c)) => {
                let alerts = c.alerts().await.map_err(|e| e.to_string());
                // One error is enough: do not wait out a second timeout.
                let silences = match &alerts {
                    Err(e) => Err(e.clone()),
                    Ok(_) => c.silences().await.map_err(|e| e.to_string()),
                };
                (Some(alerts), Some(silences))
            }
        };
        RemoteAlerts {
            prometheus,
            alertmanager,
            silences,
        }
    }
}

/// Polls until aborted.
pub fn spawn(
    clients: RemoteClients,
    refresh: Duration,
    wake: Arc<Notify>,
    tx: mpsc::Sender<TaskMsg>,
) -> tokio::task::JoinHandle<()> {
    let period = refresh.clamp(MIN_PERIOD, MAX_PERIOD);
    tokio::spawn(async move {
        loop {
            let r = clients.read().await;
            if tx
                .send(TaskMsg::App(Event::Remote(Box::new(r))))
                .await
                .is_err()
            {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = wake.notified() => {}
            }
        }
    })
}
