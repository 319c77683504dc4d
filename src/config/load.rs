//! Reading and validating the config file.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::env::MissingVar;
use super::env_de::{Expanding, Expansion};
use super::error::{ConfigError, Located};
use super::model::{Config, parse_duration};

/// Reads, expands and validates a config file.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ConfigError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    parse_str(&text, path)
}

/// Parses config text, expanding `${VAR}` from the environment; `path` is
/// only used in messages.
pub fn parse_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let lookup = |name: &str| std::env::var(name).ok();
    parse_with(text, path, &Expansion::new(&lookup))
}

/// Parses config text with `${VAR}` references left as written, for
/// re-serialising a config without writing a secret into the file. A
/// reference in a number or boolean field is an error here.
pub fn parse_unexpanded(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_with(text, path, &Expansion::keep())
}

/// Parses `text` as written, expanding each string value as YAML yields it
/// (see [`env_de`]), so error places point into the file the user wrote.
pub fn parse_with(
    text: &str,
    path: &Path,
    expansion: &Expansion<'_>,
) -> Result<Config, ConfigError> {
    // An empty file is a valid, empty config.
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    let de = serde_yaml::Deserializer::from_str(text);
    let config = Config::deserialize(Expanding { de, ctx: expansion }).map_err(|e| {
        let mut place = yaml_error(&e, path, text);
        if let Some(missing) = expansion.missing() {
            place = missing_var(place, &missing, text);
        }
        ConfigError::located(place)
    })?;
    validate(&config, text, path)?;
    Ok(config)
}

/// Points a missing-variable error at the `${NAME` itself (the parser knows
/// only where its value starts) and says how to set it.
fn missing_var(mut place: Located, missing: &MissingVar, text: &str) -> Located {
    let needle = format!("${{{}", missing.name);
    let from = place.line.unwrap_or(1).saturating_sub(1);
    if let Some((n, col)) = text
        .lines()
        .enumerate()
        .skip(from)
        .find_map(|(n, l)| l.find(&needle).map(|b| (n, l[..b].chars().count())))
    {
        place.line = Some(n + 1);
        place.column = Some(col + 1);
    }
    place.hint = Some(format!(
        "export {0}=… before starting, or write ${{{0}:-default}}",
        missing.name
    ));
    place
}

fn yaml_error(e: &serde_yaml::Error, path: &Path, text: &str) -> Located {
    let super::error::YamlFault {
        line,
        column,
        key: field,
        message,
    } = super::error::yaml_fault(e);
    let hint = did_you_mean(&message).or_else(|| type_hint(&message));
    Located {
        path: path.to_path_buf(),
        line: line.or_else(|| unlocated_line(&message, text)),
        column,
        field,
        message,
        hint,
    }
}

/// serde_yaml gives no place for a second document; it starts at the first
/// `---` or `...` line after some content.
fn unlocated_line(message: &str, text: &str) -> Option<usize> {
    if !message.contains("more than one document") {
        return None;
    }
    let mut seen_content = false;
    text.lines().enumerate().find_map(|(i, l)| {
        if seen_content && (l.starts_with("---") || l.starts_with("...")) {
            return Some(i + 1);
        }
        seen_content |= !l.trim().is_empty() && !l.trim_start().starts_with('#');
        None
    })
}

/// For "unknown field `ipp`, expected one of `name`, `ip`, …" suggests the
/// closest expected key.
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let best = expected
        .iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    if best.0 >= 0.75 {
        Some(format!("did you mean `{}`?", best.1))
    } else {
        Some(format!("known keys here: {}", expected.join(", ")))
    }
}

fn type_hint(message: &str) -> Option<String> {
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        Some("check the value's type against the configuration reference in README.md".into())
    } else if message.contains("did not find expected")
        || message.contains("mapping values are not allowed")
    {
        Some("a YAML syntax error: check the indentation of this line and the one above it".into())
    } else if message.contains("more than one document") {
        Some("keep one YAML document in the file: remove the `---` line and what follows, or merge them".into())
    } else if message.starts_with("missing field") {
        Some("add the field; see `aami-tui config init` for a commented example".into())
    } else {
        None
    }
}

/// Checks what serde cannot: unique names and addresses, durations.
fn validate(config: &Config, text: &str, path: &Path) -> Result<(), ConfigError> {
    let err = |field: String, needle: Option<(&str, usize)>, message: String, hint: &str| {
        let line = needle.and_then(|(n, occurrence)| find_line(text, n, occurrence));
        ConfigError::located(Located {
            path: path.to_path_buf(),
            line,
            column: None,
            field: Some(field),
            message,
            hint: Some(hint.to_string()),
        })
    };
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut ips: HashMap<&str, usize> = HashMap::new();
    for (i, n) in config.nodes.iter().enumerate() {
        if n.name.trim().is_empty() {
            return Err(err(
                format!("nodes[{i}].name"),
                None,
                "empty node name".into(),
                "give every node a unique name",
            ));
        }
        if n.ip.trim().is_empty() {
            return Err(err(
                format!("nodes[{i}].ip"),
                Some((&n.name, 1)),
                "empty address".into(),
                "set ip to the node's address",
            ));
        }
        if let Some(first) = names.insert(&n.name, i) {
            return Err(err(
                format!("nodes[{i}].name"),
                Some((&n.name, 2)),
                format!("duplicate node name {:?} (also nodes[{first}])", n.name),
                "node names must be unique; rename or remove one",
            ));
        }
        if let Some(first) = ips.insert(&n.ip, i) {
            return Err(err(
                format!("nodes[{i}].ip"),
                Some((&n.ip, 2)),
                format!(
                    "duplicate address {:?} (also nodes[{first}] {:?})",
                    n.ip, config.nodes[first].name
                ),
                "each node needs its own address",
            ));
        }
    }
    match parse_duration(&config.tui.refresh) {
        Some(d) if d.as_millis() >= 100 => {}
        _ => {
            return Err(err(
                "tui.refresh".into(),
                Some(("refresh:", 1)),
                format!(
                    "{:?} is not a refresh interval of at least 100ms",
                    config.tui.refresh
                ),
                "write it like 2s, 500ms or 1m",
            ));
        }
    }
    let theme = config.tui.theme.as_str();
    let builtin = super::themes::is_builtin(theme);
    let user_file = super::locate::user_dir()
        .is_some_and(|d| d.join("themes").join(format!("{theme}.yaml")).exists());
    if !builtin && !user_file {
        let names = super::themes::builtin_names();
        let close = names
            .iter()
            .map(|n| (strsim::jaro_winkler(theme, n), *n))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(s, _)| *s > 0.75)
            .map(|(_, n)| format!("did you mean `{n}`? "))
            .unwrap_or_default();
        return Err(err(
            "tui.theme".into(),
            Some(("theme:", 1)),
            format!("unknown theme {theme:?}"),
            &format!(
                "{close}built-in themes: {}; or put NAME.yaml in the config directory's themes/",
                names.join(", ")
            ),
        ));
    }
    if parse_duration(&config.tui.history).is_none() {
        return Err(err(
            "tui.history".into(),
            Some(("history:", 1)),
            format!("{:?} is not a duration", config.tui.history),
            "write it like 15m or 1h",
        ));
    }
    if let Some(h) = &config.tui.host_refresh
        && parse_duration(h).is_none()
    {
        return Err(err(
            "tui.host_refresh".into(),
            Some(("host_refresh:", 1)),
            format!("{h:?} is not a duration"),
            "write it like 10s or 1m",
        ));
    }
    if parse_duration(&config.prometheus.scrape_interval).is_none_or(|d| d.as_secs() < 1) {
        return Err(err(
            "prometheus.scrape_interval".into(),
            Some(("scrape_interval:", 1)),
            format!(
                "{:?} is not a scrape interval of at least 1s",
                config.prometheus.scrape_interval
            ),
            "write it like 15s or 1m",
        ));
    }
    for (field, key, value) in [
        (
            "prometheus.storage_path",
            "storage_path:",
            Some(&config.prometheus.storage_path),
        ),
        (
            "alertmanager.storage_path",
            "storage_path:",
            Some(&config.alertmanager.storage_path),
        ),
        ("stack.dir", "dir:", config.stack.dir.as_ref()),
    ] {
        let Some(value) = value else { continue };
        if !is_plain_absolute_dir(value) {
            return Err(err(
                field.into(),
                Some((key, 1)),
                format!("{value:?} is not an absolute folder"),
                "give an absolute path of letters, digits, '.', '_', '-' and '/', e.g. /var/lib/aami/prometheus",
            ));
        }
    }
    if config.stack.shard_above == 0 {
        return Err(err(
            "stack.shard_above".into(),
            Some(("shard_above:", 1)),
            "must be at least 1".into(),
            "the default is 500 nodes",
        ));
    }
    if config.tui.max_concurrent_scrapes == 0 {
        return Err(err(
            "tui.max_concurrent_scrapes".into(),
            Some(("max_concurrent_scrapes:", 1)),
            "must be at least 1".into(),
            "the default is 64",
        ));
    }
    Ok(())
}

/// An absolute folder other than `/`, without `..`, of letters, digits,
/// `.`, `_`, `-` and `/`: safe as a flag value and in a remote command
/// (the installer checks the same before it uses one).
fn is_plain_absolute_dir(value: &str) -> bool {
    value.starts_with('/')
        && value != "/"
        && !value.split('/').any(|part| part == "..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
}

/// 1-based line of the `occurrence`-th line containing `needle`.
fn find_line(text: &str, needle: &str, occurrence: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle) && !l.trim_start().starts_with('#'))
        .nth(occurrence.saturating_sub(1))
        .map(|(i, _)| i + 1)
}

/// Where `config check` reports what it found.
pub fn summary(config: &Config, path: &Path) -> String {
    format!(
        "{}: ok — cluster {:?}, {} node(s), refresh {}, theme {}",
        path.display(),
        config.cluster.name,
        config.nodes.len(),
        config.tui.refresh,
        config.tui.theme
    )
}
