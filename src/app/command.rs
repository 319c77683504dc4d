//! The `:` command line: a table of commands (name, argument, help, what it
//! runs), completion with Tab, history with ↑↓ and a did-you-mean for typos.
//! A capability that adds a command adds one row here.

use super::App;
use super::text_input::TextInput;

/// What a command's argument is, for completion and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    Node,
    /// An Xid code.
    Code,
    Expr,
    SortColumn,
    Theme,
    /// A heatmap metric, optional.
    Metric,
    /// `all` or `none`.
    MarkScope,
    /// `stack` or `direct`.
    Source,
}

pub struct CommandSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub arg: Arg,
    /// How the arguments are written in help: `NAME`, `[METRIC]`.
    pub usage: &'static str,
    pub help: &'static str,
    pub run: fn(&mut App, &str) -> Result<(), String>,
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec { name: "fleet", aliases: &[], arg: Arg::None, usage: "", help: "the fleet table", run: |a, _| { a.go_tab(super::mode::View::Fleet); Ok(()) } },
    CommandSpec { name: "heatmap", aliases: &["heat"], arg: Arg::Metric, usage: "[util|memory|temp|power|errors|health]", help: "every GPU at once, coloured by a metric", run: App::cmd_heatmap },
    CommandSpec { name: "alerts", aliases: &[], arg: Arg::None, usage: "", help: "alerts, worst first", run: |a, _| { a.go_tab(super::mode::View::Alerts); Ok(()) } },
    CommandSpec { name: "log", aliases: &["jobs"], arg: Arg::None, usage: "", help: "the action log: background jobs", run: |a, _| { a.go_tab(super::mode::View::Log); Ok(()) } },
    CommandSpec { name: "node", aliases: &[], arg: Arg::Node, usage: "NAME", help: "open a node by name", run: App::cmd_node },
    CommandSpec { name: "xid", aliases: &[], arg: Arg::Code, usage: "CODE", help: "explain an Xid code", run: App::cmd_xid },
    CommandSpec { name: "filter", aliases: &[], arg: Arg::Expr, usage: "[EXPR]", help: "filter nodes (no argument clears it)", run: App::cmd_filter },
    CommandSpec { name: "sort", aliases: &[], arg: Arg::SortColumn, usage: "COLUMN [asc|desc]", help: "sort the fleet by a column", run: App::cmd_sort },
    CommandSpec { name: "theme", aliases: &[], arg: Arg::Theme, usage: "NAME", help: "switch colour theme", run: App::cmd_theme },
    CommandSpec { name: "mark", aliases: &[], arg: Arg::MarkScope, usage: "all|none", help: "mark every visible node, or clear marks", run: App::cmd_mark },
    CommandSpec { name: "scan", aliases: &[], arg: Arg::None, usage: "", help: "scan kernel logs for Xids over SSH (marked nodes, else the current one)", run: |a, _| { a.scan_targets(); Ok(()) } },
    CommandSpec { name: "topology", aliases: &["topo"], arg: Arg::Node, usage: "[NODE]", help: "a node's GPU/NIC links, NVLinks and NUMA affinity", run: App::cmd_topology },
    CommandSpec { name: "install", aliases: &[], arg: Arg::None, usage: "", help: "install an exporter from a bundle on the marked nodes, else the current one", run: |a, _| { a.open_exporter_form(super::form::ExporterAction::Install); Ok(()) } },
    CommandSpec { name: "upgrade", aliases: &[], arg: Arg::None, usage: "", help: "upgrade an exporter from a bundle", run: |a, _| { a.open_exporter_form(super::form::ExporterAction::Upgrade); Ok(()) } },
    CommandSpec { name: "verify", aliases: &[], arg: Arg::None, usage: "", help: "verify an installed exporter", run: |a, _| { a.open_exporter_form(super::form::ExporterAction::Verify); Ok(()) } },
    CommandSpec { name: "add", aliases: &[], arg: Arg::None, usage: "", help: "add nodes (onboarding form; a hosts list can be pasted into it)", run: |a, _| { a.open_add_node_form(); Ok(()) } },
    CommandSpec { name: "onboard", aliases: &[], arg: Arg::Expr, usage: "[FILE]", help: "onboard the nodes of a hosts file (name [user@]address[:port] a line); no FILE opens the form", run: |a, rest| { if rest.is_empty() { a.open_add_node_form() } else { a.onboard_file(rest) } Ok(()) } },
    CommandSpec { name: "help", aliases: &[], arg: Arg::None, usage: "", help: "every key and command", run: |a, _| { a.open_help(); Ok(()) } },
    CommandSpec { name: "quit", aliases: &["q", "q!", "exit"], arg: Arg::None, usage: "", help: "quit", run: |a, _| { a.should_quit = true; Ok(()) } },
    CommandSpec { name: "stack", aliases: &[], arg: Arg::None, usage: "", help: "the monitoring stack: each server's state, targets, rules, TSDB", run: |a, _| { a.open_stack(); Ok(()) } },
    CommandSpec { name: "query", aliases: &[], arg: Arg::Source, usage: "[stack|direct]", help: "read the fleet through the installed stack (history), or scrape directly; no argument switches", run: App::cmd_query },
    CommandSpec { name: "silences", aliases: &[], arg: Arg::None, usage: "", help: "Alertmanager's silences; x expires one", run: |a, _| { a.open_silences(); Ok(()) } },
];

/// The command line being typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandLine {
    pub input: TextInput,
    /// Index into the history while browsing it with ↑↓.
    pub history_pos: Option<usize>,
    /// What Tab offered when it could not choose one.
    pub candidates: Vec<String>,
    /// The last problem (unknown command, bad argument), shown under it.
    pub error: Option<String>,
}

/// Looks a command up by name or alias.
pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// "did you mean `heatmap`?" for a mistyped word among `options`.
pub fn did_you_mean<'a>(word: &str, options: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    options
        .into_iter()
        .map(|o| (strsim::jaro_winkler(word, o), o))
        .filter(|(s, _)| *s > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, o)| o)
}

/// Splits `name rest…`.
pub fn split(line: &str) -> (&str, &str) {
    let line = line.trim().trim_start_matches(':').trim_start();
    match line.split_once(char::is_whitespace) {
        Some((n, rest)) => (n, rest.trim()),
        None => (line, ""),
    }
}

/// Parses and runs one line on `app`.
pub fn execute(app: &mut App, line: &str) -> Result<(), String> {
    let (name, rest) = split(line);
    if name.is_empty() {
        return Ok(());
    }
    match find(name) {
        Some(c) => (c.run)(app, rest),
        None => {
            let names = COMMANDS
                .iter()
                .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()));
            Err(match did_you_mean(name, names) {
                Some(m) => format!("unknown command :{name}: did you mean :{m}?"),
                None => format!("unknown command :{name}: Tab lists them, :help explains them"),
            })
        }
    }
}

/// Completions for the text typed so far, given the argument choices the
/// app knows (node names, theme names…).
pub fn complete(line: &str, arg_options: impl Fn(Arg) -> Vec<String>) -> Vec<String> {
    let line = line.trim_start_matches(':');
    match line.split_once(' ') {
        None => {
            let mut v: Vec<String> = COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(line))
                .map(|c| c.name.to_string())
                .collect();
            v.dedup();
            v
        }
        Some((name, partial)) => {
            let Some(c) = find(name) else {
                return Vec::new();
            };
            let partial = partial.trim_start();
            arg_options(c.arg)
                .into_iter()
                .filter(|o| o.starts_with(partial))
                .map(|o| format!("{} {o}", c.name))
                .collect()
        }
    }
}

/// The longest common prefix of the candidates.
pub fn common_prefix(v: &[String]) -> String {
    let Some(first) = v.first() else {
        return String::new();
    };
    let mut end = first.len();
    for s in &v[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(s.chars())
                .find(|((_, a), b)| a != b)
                .map(|((i, _), _)| i)
                .unwrap_or(first.len().min(s.len())),
        );
    }
    first[..end].to_string()
}

/// What the commands do, on the app.
impl App {
    fn cmd_heatmap(&mut self, arg: &str) -> Result<(), String> {
        if !arg.is_empty() {
            let m = crate::domain::heat::HeatMetric::parse(arg).ok_or_else(|| {
                let words = crate::domain::heat::HeatMetric::ALL.map(|m| m.word());
                match did_you_mean(arg, words) {
                    Some(w) => format!("no heatmap metric {arg:?}: did you mean {w}?"),
                    None => format!("no heatmap metric {arg:?}: {}", words.join(", ")),
                }
            })?;
            self.ui.heat.metric = m;
        }
        self.go_tab(super::mode::View::Heatmap);
        Ok(())
    }

    fn cmd_node(&mut self, arg: &str) -> Result<(), String> {
        if arg.is_empty() {
            return Err(":node NAME: which node? Tab completes names".into());
        }
        let found = self
            .fleet
            .nodes
            .iter()
            .position(|n| n.spec.name == arg || n.spec.address == arg);
        match found {
            Some(id) => {
                self.ui.selected = Some(id);
                self.open_node(id);
                Ok(())
            }
            None => {
                let names = self.fleet.nodes.iter().map(|n| n.spec.name.as_str());
                Err(match did_you_mean(arg, names) {
                    Some(m) => format!("no node {arg:?}: did you mean {m}?"),
                    None => format!("no node {arg:?} in the fleet"),
                })
            }
        }
    }

    fn cmd_topology(&mut self, arg: &str) -> Result<(), String> {
        let id = if arg.is_empty() {
            self.cursor_node()
                .ok_or(":topology NODE: which node? Tab completes names")?
        } else {
            self.fleet
                .nodes
                .iter()
                .position(|n| n.spec.name == arg || n.spec.address == arg)
                .ok_or_else(|| {
                    let names = self.fleet.nodes.iter().map(|n| n.spec.name.as_str());
                    match did_you_mean(arg, names) {
                        Some(m) => format!("no node {arg:?}: did you mean {m}?"),
                        None => format!("no node {arg:?} in the fleet"),
                    }
                })?
        };
        self.ui.selected = Some(id);
        self.open_topology(id);
        Ok(())
    }

    fn cmd_xid(&mut self, arg: &str) -> Result<(), String> {
        let code = crate::xid::parse_code(arg).map_err(|e| format!(":xid {arg}: {e}"))?;
        self.mode
            .push_overlay(super::Overlay::Xid(super::view::XidPopup {
                input: code.to_string(),
                context: None,
                scroll: 0,
            }));
        Ok(())
    }

    fn cmd_filter(&mut self, arg: &str) -> Result<(), String> {
        self.ui.filter = arg.to_string();
        self.keep_selection_valid();
        Ok(())
    }

    fn cmd_sort(&mut self, arg: &str) -> Result<(), String> {
        let mut words = arg.split_whitespace();
        let col = words.next().unwrap_or("");
        let key = super::view::SortKey::parse(col).ok_or_else(|| {
            let cols = super::view::SortKey::ALL.map(|k| k.word());
            match did_you_mean(col, cols) {
                Some(c) if !col.is_empty() => format!("no column {col:?}: did you mean {c}?"),
                _ => format!(":sort COLUMN: one of {}", cols.join(", ")),
            }
        })?;
        self.ui.sort = key;
        self.ui.sort_desc = match words.next() {
            Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(format!(":sort {col} {other}: write asc or desc")),
            None => key.default_desc(),
        };
        Ok(())
    }

    fn cmd_theme(&mut self, arg: &str) -> Result<(), String> {
        if arg.is_empty() {
            return Err(format!(
                ":theme NAME: one of {}",
                crate::config::themes::builtin_names().join(", ")
            ));
        }
        self.requests
            .push(super::Request::SetTheme(arg.to_string()));
        Ok(())
    }

    fn cmd_mark(&mut self, arg: &str) -> Result<(), String> {
        match arg {
            "all" | "" => self.ui.marks.extend(self.visible_nodes()),
            "none" | "clear" => self.ui.marks.clear(),
            other => return Err(format!(":mark {other}: write all or none")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_args_complete() {
        let opts = |a: Arg| match a {
            Arg::Node => vec!["gpu-node-01".into(), "gpu-node-02".into()],
            _ => vec![],
        };
        assert_eq!(complete("he", opts), vec!["heatmap", "help"]);
        assert_eq!(complete("heat", opts), vec!["heatmap"]);
        assert_eq!(
            complete("node gpu-node-0", opts),
            vec!["node gpu-node-01", "node gpu-node-02"]
        );
        assert_eq!(
            common_prefix(&complete("node gpu", opts)),
            "node gpu-node-0"
        );
    }

    #[test]
    fn typos_get_a_suggestion() {
        let names = COMMANDS.iter().map(|c| c.name);
        assert_eq!(did_you_mean("heatmpa", names.clone()), Some("heatmap"));
        assert_eq!(did_you_mean("zzzz", names), None);
    }

    #[test]
    fn split_ignores_the_colon_and_spaces() {
        assert_eq!(split(": node  gpu-node-02 "), ("node", "gpu-node-02"));
        assert_eq!(split("q"), ("q", ""));
    }
}
