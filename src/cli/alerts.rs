//! `aami-tui alerts …`: the preset library on the command line.
//!
//! - `list-presets [--json]`: every preset, built-in or the user's, with its rules.
//! - `render PRESET… [--naming classic|dcgm47|both] [--out FILE]`: a Prometheus
//!   rule file (stdout, or written atomically to FILE).
//! - `apply-preset NAME`: adds NAME to `alerts.presets` in the config, under its
//!   lock, atomically.
//! - `test PRESET FILE|URL… [--json]`: evaluates the rules once against
//!   exporter pages and says what would fire and why. Exit 0 nothing fires,
//!   1 something fires, 2 a page has no GPU series.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::inspect::{ReadError, is_url, read_source};
use super::{CliError, output};
use crate::alerts::library::{Library, LibraryError};
use crate::config::locate;
use crate::domain::rules::parse::format_value;
use crate::domain::rules::{Naming, Phase, Preset, Rule, promql};
use crate::domain::{Fleet, NodeSpec, ScrapeOutcome};
use crate::sources::detect;
use crate::xid::Catalogue;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List the alert presets (built in, and the user's presets directory).
    ListPresets {
        #[arg(long)]
        json: bool,
    },
    /// Write a Prometheus rule file for presets.
    Render(RenderArgs),
    /// Add a preset to the config's alerts.presets.
    ApplyPreset {
        /// The preset's name (see list-presets).
        name: String,
    },
    /// Evaluate a preset once against exporter pages: what would fire, and why.
    Test(TestArgs),
    /// Create an Alertmanager silence.
    Silence(SilenceArgs),
    /// List Alertmanager's silences.
    Silences {
        #[command(flatten)]
        am: AmArgs,
        /// Expired ones too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Expire an Alertmanager silence now.
    Expire {
        #[command(flatten)]
        am: AmArgs,
        /// The silence's id (see `alerts silences`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct AmArgs {
    /// Alertmanager's URL (default: alertmanager.url in the config).
    #[arg(long, value_name = "URL")]
    pub alertmanager: Option<String>,
}

#[derive(Debug, Args)]
pub struct SilenceArgs {
    #[command(flatten)]
    pub am: AmArgs,
    /// A matcher: name=value, name!=value, name=~regex, name!~regex (repeat).
    #[arg(long = "matcher", short = 'm', required = true)]
    pub matchers: Vec<String>,
    /// How long, e.g. 2h, 30m, 1d.
    #[arg(long, default_value = "2h")]
    pub duration: String,
    /// Why (Alertmanager requires one).
    #[arg(long)]
    pub comment: String,
    /// Who; default $USER.
    #[arg(long)]
    pub author: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NamingArg {
    /// dcgm-exporter up to 4.8 (DCGM_FI_DEV_GPU_TEMP, …).
    Classic,
    /// DCGM 4.7 / dcgm-exporter 4.9 (DCGM_FI_DEV_GPU_TEMP_CELSIUS, …).
    Dcgm47,
    /// Either naming: each expression is `classic or dcgm47`.
    Both,
}

impl From<NamingArg> for Naming {
    fn from(n: NamingArg) -> Self {
        match n {
            NamingArg::Classic => Naming::Classic,
            NamingArg::Dcgm47 => Naming::Dcgm47,
            NamingArg::Both => Naming::Both,
        }
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Presets to render, one rule group each.
    #[arg(required = true)]
    pub presets: Vec<String>,
    /// Which dcgm-exporter metric names the rules use.
    #[arg(long, value_enum, default_value = "both")]
    pub naming: NamingArg,
    /// Write the file here (atomically) instead of to stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The preset to evaluate.
    pub preset: String,
    /// Exporter pages: saved files, `-` for stdin, or http(s):// URLs.
    #[arg(required = true)]
    pub sources: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(flag: Option<&Path>, cmd: AlertsCommand) -> color_eyre::Result<i32> {
    // Silences need no preset library: a broken preset file must not stop them.
    let lib = || -> color_eyre::Result<Library> {
        let cat = catalogue()?;
        Ok(Library::load(locate::user_dir().as_deref(), &cat).map_err(CliError::usage)?)
    };
    match cmd {
        AlertsCommand::ListPresets { json } => list(&lib()?, json),
        AlertsCommand::Render(args) => render(&lib()?, args),
        AlertsCommand::ApplyPreset { name } => apply_preset(flag, &lib()?, &name),
        AlertsCommand::Test(args) => test(&lib()?, args),
        AlertsCommand::Silence(args) => super::alerts_silence::silence(flag, args),
        AlertsCommand::Silences { am, all, json } => {
            super::alerts_silence::silences(flag, &am, all, json)
        }
        AlertsCommand::Expire { am, id } => super::alerts_silence::expire(flag, &am, &id),
    }
}

fn catalogue() -> color_eyre::Result<Catalogue> {
    match locate::user_dir() {
        Some(dir) => Ok(Catalogue::with_user_overrides(&dir).map_err(CliError::usage)?),
        None => Ok(Catalogue::builtin().clone()),
    }
}

fn select<'a>(lib: &'a Library, names: &[String]) -> color_eyre::Result<Vec<&'a Preset>> {
    Ok(lib
        .select(names)
        .map_err(|e: LibraryError| CliError::usage(e))?)
}

#[derive(Serialize)]
struct PresetInfo<'a> {
    name: &'a str,
    description: &'a str,
    source: &'a str,
    rules: Vec<RuleInfo<'a>>,
}

#[derive(Serialize)]
struct RuleInfo<'a> {
    name: &'a str,
    severity: &'static str,
    condition: String,
    in_process: bool,
}

fn list(lib: &Library, json: bool) -> color_eyre::Result<i32> {
    let infos: Vec<PresetInfo> = lib
        .iter()
        .map(|p| PresetInfo {
            name: &p.name,
            description: &p.description,
            source: &p.source,
            rules: p
                .rules
                .iter()
                .map(|r| RuleInfo {
                    name: &r.name,
                    severity: r.severity.long_word(),
                    condition: r.condition_text(),
                    in_process: r.in_process(),
                })
                .collect(),
        })
        .collect();
    if json {
        output::print(&(serde_json::to_string_pretty(&infos)? + "\n"))?;
        return Ok(0);
    }
    let mut out = String::new();
    for p in &infos {
        let origin = if p.source.starts_with("<built-in>") {
            "built in".to_string()
        } else {
            p.source.to_string()
        };
        out.push_str(&format!("{} ({} rules, {origin})\n", p.name, p.rules.len()));
        out.push_str(&format!("  {}\n", p.description));
        for r in &p.rules {
            let note = if r.in_process {
                ""
            } else {
                "  [Prometheus only]"
            };
            out.push_str(&format!(
                "    {:<26} {:<8} {}{note}\n",
                r.name, r.severity, r.condition
            ));
        }
    }
    output::print(&out)?;
    Ok(0)
}

fn render(lib: &Library, args: RenderArgs) -> color_eyre::Result<i32> {
    let presets = select(lib, &args.presets)?;
    let text = promql::render_yaml(&presets, args.naming.into())?;
    match &args.out {
        None => output::print(&text)?,
        Some(path) => {
            write_atomic(path, &text)?;
            output::note(&format!(
                "wrote {} ({} rule groups)",
                path.display(),
                presets.len()
            ));
        }
    }
    Ok(0)
}

/// Writes a temp file beside `path`, syncs it and renames it over.
pub(crate) fn write_atomic(path: &Path, text: &str) -> color_eyre::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(d) = dir {
            std::fs::File::open(d)?.sync_all()?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::unavailable(format!("cannot write {}: {e}", path.display())).into());
    }
    Ok(())
}

fn apply_preset(flag: Option<&Path>, lib: &Library, name: &str) -> color_eyre::Result<i32> {
    lib.get(name).map_err(CliError::usage)?;
    let src = locate::locate(flag);
    let mut already = false;
    crate::config::write::edit_locked(&src.path, |text, current| {
        if current.alerts.presets.iter().any(|p| p == name) {
            already = true;
            return Ok(text.to_string());
        }
        super::alerts_config::text_with_preset(text, name, current, &src.path)
    })
    .map_err(CliError::usage)?;
    if already {
        output::print(&format!(
            "{name} is already in alerts.presets of {}\n",
            src.path.display()
        ))?;
    } else {
        output::print(&format!(
            "added {name} to alerts.presets in {}\n",
            src.path.display()
        ))?;
    }
    Ok(0)
}

/// One rule whose conditions hold on one GPU or node.
#[derive(Debug, Serialize)]
struct Hit {
    rule: String,
    preset: String,
    severity: &'static str,
    node: String,
    gpu: Option<u32>,
    value: Option<f64>,
    condition: String,
    /// Seconds the conditions must keep holding before it fires (0: fires now).
    fires_after_s: u64,
    summary: String,
    /// What to do, from the rule's description.
    description: String,
}

#[derive(Debug, Serialize)]
struct TestReport {
    schema_version: u32,
    preset: String,
    sources: Vec<String>,
    gpu_count: usize,
    would_fire: Vec<Hit>,
    /// Rules that look back over a window and cannot be judged from one page.
    needs_history: Vec<String>,
    /// Rules only Prometheus can evaluate (metrics not in an exporter page).
    prometheus_only: Vec<String>,
    error: Option<String>,
}

fn test(lib: &Library, args: TestArgs) -> color_eyre::Result<i32> {
    let preset = lib.get(&args.preset).map_err(CliError::usage)?;
    let mut specs = Vec::new();
    let mut outcomes = Vec::new();
    for source in &args.sources {
        let text = match read_source(source) {
            Ok(t) => t,
            Err(ReadError::Unavailable(why)) => return Err(CliError::unavailable(why).into()),
            Err(ReadError::NotMetrics(e)) => return no_gpus(&args, preset, source, &e.to_string()),
        };
        let parsed = match detect::parse_any(&text, None) {
            Ok(p) => p,
            Err(e) => return no_gpus(&args, preset, source, &e.to_string()),
        };
        for n in parsed.nodes {
            let name = n
                .node
                .clone()
                .or_else(|| is_url(source).then(|| source.clone()))
                .unwrap_or_else(|| source.clone());
            outcomes.push(ScrapeOutcome {
                node: specs.len(),
                gpus: Ok(n.gpus),
                host: None,
            });
            specs.push(NodeSpec {
                name,
                address: source.clone(),
                ..Default::default()
            });
        }
    }
    let gpu_count = outcomes
        .iter()
        .map(|o| o.gpus.as_ref().map(|g| g.len()).unwrap_or(0))
        .sum();
    let (one_shot, needs_history): (Vec<&Rule>, Vec<&Rule>) = preset
        .rules
        .iter()
        .filter(|r| r.in_process())
        .partition(|r| r.longest_window_s() == 0);
    let mut fleet = Fleet::new("test", specs, 2);
    fleet.set_rules(one_shot.iter().map(|r| (*r).clone()).collect());
    fleet.apply_refresh(outcomes, Instant::now(), Duration::ZERO);
    let mut hits = Vec::new();
    if let Some(engine) = &fleet.rules {
        for a in engine.alerts() {
            if !matches!(a.phase, Phase::Firing | Phase::Pending) {
                continue;
            }
            let Some(rule) = engine.rule(a.rule) else {
                continue;
            };
            let node = &fleet.nodes[a.node].spec.name;
            hits.push(Hit {
                rule: rule.name.clone(),
                preset: rule.preset.clone(),
                severity: rule.severity.long_word(),
                node: node.clone(),
                gpu: a.gpu,
                value: a.value,
                condition: rule.condition_text(),
                fires_after_s: rule.for_s,
                summary: engine.summary(a, node),
                description: engine.description(a, node),
            });
        }
    }
    let report = TestReport {
        schema_version: 1,
        preset: preset.name.clone(),
        sources: args
            .sources
            .iter()
            .map(|s| crate::text::sanitize(s))
            .collect(),
        gpu_count,
        needs_history: needs_history.iter().map(|r| r.name.clone()).collect(),
        prometheus_only: preset
            .rules
            .iter()
            .filter(|r| !r.in_process())
            .map(|r| r.name.clone())
            .collect(),
        would_fire: hits,
        error: None,
    };
    if args.json {
        output::print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        output::print(&test_text(&report))?;
    }
    Ok(if report.would_fire.is_empty() { 0 } else { 1 })
}

fn test_text(r: &TestReport) -> String {
    let mut out = String::new();
    if r.would_fire.is_empty() {
        out.push_str(&format!(
            "{}: nothing would fire on {} GPUs\n",
            r.preset, r.gpu_count
        ));
    }
    for h in &r.would_fire {
        let when = if h.fires_after_s == 0 {
            "fires now".to_string()
        } else {
            format!(
                "fires if it holds for {}",
                crate::domain::rules::model::format_duration(h.fires_after_s)
            )
        };
        let gpu = h.gpu.map(|g| format!(" GPU {g}")).unwrap_or_default();
        out.push_str(&format!(
            "{} {} on {}{gpu}: {}\n    because {} (value {}); {when}\n    what to do: {}\n",
            h.severity,
            h.rule,
            crate::text::sanitize(&h.node),
            crate::text::sanitize(&h.summary),
            h.condition,
            h.value.map(format_value).unwrap_or_else(|| "?".into()),
            // A description is a paragraph; templates may bring page text.
            crate::text::sanitize_max(&h.description, 2000),
        ));
    }
    if !r.needs_history.is_empty() {
        out.push_str(&format!(
            "not judged from one page (they look back over time): {}\n",
            r.needs_history.join(", ")
        ));
    }
    if !r.prometheus_only.is_empty() {
        out.push_str(&format!(
            "evaluated by Prometheus only: {}\n",
            r.prometheus_only.join(", ")
        ));
    }
    out
}

fn no_gpus(args: &TestArgs, preset: &Preset, source: &str, why: &str) -> color_eyre::Result<i32> {
    let message = format!(
        "{}: no GPU series on this page ({why})",
        crate::text::sanitize(source)
    );
    if args.json {
        let r = TestReport {
            schema_version: 1,
            preset: preset.name.clone(),
            sources: args
                .sources
                .iter()
                .map(|s| crate::text::sanitize(s))
                .collect(),
            gpu_count: 0,
            would_fire: Vec::new(),
            needs_history: Vec::new(),
            prometheus_only: Vec::new(),
            error: Some(message.clone()),
        };
        output::print(&(serde_json::to_string_pretty(&r)? + "\n"))?;
    }
    Err(CliError::with_code(2, message).into())
}
