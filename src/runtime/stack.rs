//! The stack pane's reader and the query-mode switch. The reader reads the
//! stack's servers (the same figures as `aami-tui stack status`, from
//! [`crate::stack::status`]) every [`PERIOD`] while the pane is open, and at
//! once when woken (the pane opened, `r`). The switch builds the fleet's
//! source from a copy of the config whose `prometheus.url` is the stack's
//! query URL, or none: the config file itself is never rewritten.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, watch};

use super::jobs::TaskMsg;
use crate::app::Event;
use crate::app::stack::{LiveSource, SourceChoice, StackReading, StackSetup};
use crate::config::Config;
use crate::install::stack::StackHost;
use crate::sources::FleetSource;

/// How often the open pane reads the stack again.
pub const PERIOD: Duration = Duration::from_secs(15);

/// What the config says the stack is (no I/O).
pub fn setup(config: &Config) -> StackSetup {
    let place = StackHost::resolve(config, None);
    let (place_text, local, http_host) = match &place {
        Ok(StackHost::Local) => ("this machine".to_string(), true, "127.0.0.1".to_string()),
        Ok(h @ StackHost::Remote(t)) => (t.to_string(), false, h.http_host()),
        Err(e) => (format!("stack.host: {e}"), false, String::new()),
    };
    let layout = crate::stack::layout(config);
    let layout_text = match &layout {
        Ok(crate::stack::Layout::Single { remote_write: None }) => "single Prometheus".to_string(),
        Ok(crate::stack::Layout::Single {
            remote_write: Some(_),
        }) => "single Prometheus writing into VictoriaMetrics".to_string(),
        Ok(crate::stack::Layout::Federated { shards }) => {
            format!("federated: {shards} shards and a global Prometheus")
        }
        Ok(crate::stack::Layout::RemoteWrite { shards, .. }) => {
            format!("remote write: {shards} shards into VictoriaMetrics")
        }
        Err(_) => "no layout".to_string(),
    };
    let problem = match (&place, &layout) {
        (Err(e), _) => Some(e.to_string()),
        (_, Err(e)) => Some(e.clone()),
        _ => None,
    };
    StackSetup {
        place: place_text,
        local,
        layout: layout_text,
        dir: crate::stack::stack_dir(config),
        query_url: match (&layout, problem.is_none()) {
            (Ok(l), true) => Some(crate::stack::status::query_url(config, l, &http_host)),
            _ => None,
        },
        problem,
    }
}

/// Reads the stack once.
pub async fn read(config: &Config) -> Option<StackReading> {
    let layout = crate::stack::layout(config).ok()?;
    let place = StackHost::resolve(config, None).ok()?;
    let status = crate::stack::status::read(config, &layout, &place.http_host()).await;
    let installed = match place {
        StackHost::Local => {
            let file =
                std::path::Path::new(&crate::stack::stack_dir(config)).join("prometheus.yml");
            Some(tokio::fs::try_exists(&file).await.unwrap_or(false))
        }
        StackHost::Remote(_) => None,
    };
    Some(StackReading {
        status,
        installed,
        at: Instant::now(),
    })
}

/// Reads the stack every [`PERIOD`] while `watching`, and whenever `wake`
/// is notified; the latest config comes through `config`.
pub fn spawn(
    config: watch::Receiver<Arc<Config>>,
    watching: Arc<AtomicBool>,
    wake: Arc<Notify>,
    tx: mpsc::Sender<TaskMsg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut woken = false;
        loop {
            if woken || watching.load(Ordering::Relaxed) {
                let c = config.borrow().clone();
                if let Some(r) = read(&c).await
                    && tx
                        .send(TaskMsg::App(Event::Stack(Box::new(r))))
                        .await
                        .is_err()
                {
                    return;
                }
            }
            woken = tokio::select! {
                _ = wake.notified() => true,
                _ = tokio::time::sleep(PERIOD) => false,
            };
        }
    })
}

/// The fleet's source for `config` and the operator's choice (`None`: as
/// the config says), and what the header calls it.
pub fn source_for(
    config: &Config,
    choice: Option<&SourceChoice>,
) -> Result<(FleetSource, LiveSource), String> {
    let mut c = config.clone();
    match choice {
        None => {}
        Some(SourceChoice::Direct) => {
            c.prometheus.url = None;
            c.prometheus.auth = None;
        }
        Some(SourceChoice::Stack) => {
            let s = setup(config);
            let url = s.query_url.ok_or_else(|| {
                format!(
                    "no stack to query: {}",
                    s.problem.unwrap_or_else(|| "no layout".into())
                )
            })?;
            // The installed stack takes no credentials; those in the
            // config are for the Prometheus it names.
            c.prometheus.url = Some(url);
            c.prometheus.auth = None;
        }
    }
    let source = FleetSource::from_config(&c)
        .map_err(|e| format!("cannot read the fleet from {:?}: {e}", c.prometheus.url))?;
    let live = match (&source, &c.prometheus.url) {
        (FleetSource::Query(_), Some(url)) => LiveSource::Query { url: url.clone() },
        _ => LiveSource::Direct,
    };
    Ok((source, live))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port nothing listens on: bound, then let go.
    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1)
    }

    #[tokio::test]
    async fn a_stack_on_this_machine_reads_as_installed_only_with_its_prometheus_yml() {
        let Ok(dir) = tempfile::tempdir() else {
            panic!("no temp dir");
        };
        let mut c = Config::default();
        c.install.prefix = dir.path().display().to_string();
        c.prometheus.port = closed_port();
        c.alertmanager.port = closed_port();
        let s = setup(&c);
        assert!(s.local && s.problem.is_none(), "{s:?}");
        assert_eq!(
            s.query_url.as_deref(),
            Some(format!("http://127.0.0.1:{}", c.prometheus.port).as_str())
        );
        let r = read(&c).await.expect("a reading");
        assert_eq!(r.installed, Some(false));
        assert!(r.status.servers.iter().all(|s| !s.up));
        let stack = std::path::PathBuf::from(crate::stack::stack_dir(&c));
        std::fs::create_dir_all(&stack).expect("stack dir");
        std::fs::write(stack.join("prometheus.yml"), "global: {}\n").expect("write");
        let r = read(&c).await.expect("a reading");
        assert_eq!(r.installed, Some(true), "installed, though down");
    }

    #[test]
    fn the_switch_reads_the_stack_from_a_copy_and_direct_drops_the_url() {
        let mut c = Config::default();
        c.prometheus.url = Some("http://127.0.0.9:9090".into());
        c.prometheus.port = 19090;
        let (_, live) = source_for(&c, Some(&SourceChoice::Stack)).expect("stack");
        assert_eq!(
            live,
            LiveSource::Query {
                url: "http://127.0.0.1:19090".into()
            }
        );
        let (_, live) = source_for(&c, Some(&SourceChoice::Direct)).expect("direct");
        assert_eq!(live, LiveSource::Direct);
        let (_, live) = source_for(&c, None).expect("as configured");
        assert_eq!(
            live,
            LiveSource::Query {
                url: "http://127.0.0.9:9090".into()
            }
        );
        assert_eq!(
            c.prometheus.url.as_deref(),
            Some("http://127.0.0.9:9090"),
            "the config itself is untouched"
        );
    }
}
