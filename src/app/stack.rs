//! The stack pane's state: what the config says the monitoring stack is
//! (where it runs, its layout, the URL query mode reads), the last reading
//! of its servers (the figures `aami-tui stack status` prints, from
//! [`crate::stack::status`]), and which source feeds the fleet. The runtime
//! reads the servers and swaps the source; this only holds the answers and
//! asks for them through [`Request`]s.

use std::time::Instant;

use super::{App, Request, View};
use crate::stack::status::StackStatus;

/// The stack as the config lays it out (no I/O: set by the runtime from the
/// config at start and after a node is added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetup {
    /// `this machine`, or the node / host named by `stack.host`.
    pub place: String,
    /// Whether it runs on this machine (then the pane can say whether it
    /// is installed at all).
    pub local: bool,
    /// `single Prometheus`, `federated: 2 shards + global`, ….
    pub layout: String,
    /// The stack's configuration folder on its host.
    pub dir: String,
    /// What query mode reads: the Prometheus, the federated layout's global
    /// server, or VictoriaMetrics. `None` when the layout cannot be had.
    pub query_url: Option<String>,
    /// Why the layout cannot be had (config problem).
    pub problem: Option<String>,
}

/// One reading of the stack's servers.
#[derive(Debug, Clone, PartialEq)]
pub struct StackReading {
    pub status: StackStatus,
    /// Whether the stack's folder holds a `prometheus.yml`; known only for
    /// a stack on this machine.
    pub installed: Option<bool>,
    pub at: Instant,
}

/// Which source the fleet is read from now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LiveSource {
    /// Each exporter scraped directly.
    #[default]
    Direct,
    /// Query mode against this Prometheus / VictoriaMetrics URL.
    Query { url: String },
}

/// What the operator asks the fleet to be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceChoice {
    /// Query mode against the installed stack (its query URL).
    Stack,
    /// Scrape every exporter directly.
    Direct,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackPane {
    /// `None`: no config behind the fleet (the demo).
    pub setup: Option<StackSetup>,
    pub reading: Option<StackReading>,
    /// First line of the problem list shown.
    pub scroll: usize,
}

impl StackPane {
    /// Why the server query mode would read is down, when the last
    /// reading says it is.
    pub fn query_server_down(&self) -> Option<String> {
        let url = self.setup.as_ref()?.query_url.as_deref()?;
        let s = self
            .reading
            .as_ref()?
            .status
            .servers
            .iter()
            .find(|s| s.url == url)?;
        (!s.up).then(|| s.error.clone().unwrap_or_else(|| "down".into()))
    }
}

impl App {
    /// `S` / `:stack`: the stack pane, read at once.
    pub fn open_stack(&mut self) {
        self.mode.push_view(View::Stack);
        self.stack.scroll = 0;
        if self.stack.setup.is_some() {
            self.requests.push(Request::ReadStack);
        }
    }

    /// Whether the fleet is read through the stack now.
    pub fn reading_through_stack(&self) -> bool {
        match (&self.live_source, &self.stack.setup) {
            (LiveSource::Query { url }, Some(s)) => s.query_url.as_deref() == Some(url.as_str()),
            _ => false,
        }
    }

    /// `Q` in the stack pane: query mode against the stack, or back to
    /// scraping directly. The config file is not touched.
    pub fn toggle_stack_query(&mut self) {
        if self.reading_through_stack() {
            self.set_source(SourceChoice::Direct);
        } else {
            self.set_source(SourceChoice::Stack);
        }
    }

    fn set_source(&mut self, choice: SourceChoice) {
        if choice == SourceChoice::Stack {
            let Some(setup) = &self.stack.setup else {
                self.notice = Some(
                    "query mode against the stack needs a config file (the demo has none)".into(),
                );
                return;
            };
            let Some(url) = setup.query_url.clone() else {
                self.notice = Some(format!(
                    "no stack to query: {}",
                    setup
                        .problem
                        .as_deref()
                        .unwrap_or("the config lays out no stack")
                ));
                return;
            };
            if self.stack.query_server_down().is_some() {
                self.notice = Some(format!(
                    "the stack at {url} is down (S shows why): start it with aami-tui stack install --bundle FILE, then Q again"
                ));
                return;
            }
        }
        self.requests.push(Request::SetSource(choice));
    }

    /// `:query stack|direct` (no argument toggles).
    pub(super) fn cmd_query(&mut self, arg: &str) -> Result<(), String> {
        match arg {
            "" => self.toggle_stack_query(),
            "stack" => self.set_source(SourceChoice::Stack),
            "direct" | "scrape" => self.set_source(SourceChoice::Direct),
            other => {
                return Err(format!(
                    ":query {other}: write stack (read the fleet through the installed stack) or direct"
                ));
            }
        }
        Ok(())
    }

    /// The runtime switched the fleet's source (or could not, and says
    /// why).
    pub(super) fn on_source(&mut self, source: LiveSource, problem: Option<String>) {
        if let Some(p) = problem {
            self.notice = Some(p);
            return;
        }
        self.notice = Some(match &source {
            LiveSource::Direct => "source: scraping each exporter directly".to_string(),
            LiveSource::Query { url } => {
                format!("source: query mode through {url}, with history")
            }
        });
        self.history_available = matches!(source, LiveSource::Query { .. });
        self.live_source = source;
    }
}
