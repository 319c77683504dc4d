//! `aami-tui alerts silence | silences | expire`: Alertmanager silences
//! through its API v2. Exit 0 done; 1 Alertmanager unreachable or refused;
//! 2 bad arguments or no Alertmanager configured.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::alerts::{AmArgs, SilenceArgs};
use super::{CliError, output};
use crate::alerts::alertmanager::{ApiClient, Matcher, Silence, new_silence};
use crate::config::{self, locate};

fn client(flag: Option<&Path>, am: &AmArgs) -> color_eyre::Result<ApiClient> {
    let (url, auth) = match &am.alertmanager {
        Some(u) => (u.clone(), None),
        None => {
            let src = locate(flag);
            let c = config::load_file(&src.path).map_err(CliError::usage)?;
            let url = c.alertmanager.url.clone().ok_or_else(|| {
                CliError::usage(format!(
                    "no Alertmanager: set alertmanager.url in {} or pass --alertmanager URL",
                    src.path.display()
                ))
            })?;
            (url, c.alertmanager.auth.clone())
        }
    };
    Ok(ApiClient::new(&url, auth).map_err(CliError::usage)?)
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The author for a silence: `--author`, else `$USER`, else `aami-tui`.
pub fn author(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "aami-tui".into())
}

pub fn silence(flag: Option<&Path>, args: SilenceArgs) -> color_eyre::Result<i32> {
    let matchers: Vec<Matcher> = args
        .matchers
        .iter()
        .map(|m| Matcher::parse(m))
        .collect::<Result<_, _>>()
        .map_err(CliError::usage)?;
    let duration = config::parse_duration(&args.duration)
        .filter(|d| d.as_secs() >= 60)
        .ok_or_else(|| {
            CliError::usage(format!(
                "--duration {:?}: write it like 30m, 2h or 1d",
                args.duration
            ))
        })?;
    if args.comment.trim().is_empty() {
        return Err(CliError::usage("--comment: say why (Alertmanager requires a comment)").into());
    }
    let am = client(flag, &args.am)?;
    let s = new_silence(
        matchers,
        duration,
        &author(args.author.as_deref()),
        &args.comment,
        now_unix(),
    );
    let rt = super::runtime()?;
    let id = rt
        .block_on(am.create_silence(&s))
        .map_err(CliError::unavailable)?;
    output::print(&format!("{id}\n"))?;
    output::note(&format!(
        "silenced {} until {}",
        s.matchers
            .iter()
            .map(Matcher::text)
            .collect::<Vec<_>>()
            .join(", "),
        s.ends_at
    ));
    Ok(0)
}

#[derive(Serialize)]
struct SilenceRow<'a> {
    id: &'a str,
    state: &'a str,
    matchers: String,
    ends_at: &'a str,
    created_by: &'a str,
    comment: &'a str,
}

pub fn silences(
    flag: Option<&Path>,
    am: &AmArgs,
    all: bool,
    json: bool,
) -> color_eyre::Result<i32> {
    let am = client(flag, am)?;
    let rt = super::runtime()?;
    let mut list: Vec<Silence> = rt.block_on(am.silences()).map_err(CliError::unavailable)?;
    list.retain(|s| all || s.status.state != "expired");
    list.sort_by(|a, b| a.ends_at.cmp(&b.ends_at));
    let rows: Vec<SilenceRow> = list
        .iter()
        .map(|s| SilenceRow {
            id: &s.id,
            state: &s.status.state,
            matchers: s
                .matchers
                .iter()
                .map(Matcher::text)
                .collect::<Vec<_>>()
                .join(","),
            ends_at: &s.ends_at,
            created_by: &s.created_by,
            comment: &s.comment,
        })
        .collect();
    if json {
        output::print(&(serde_json::to_string_pretty(&rows)? + "\n"))?;
        return Ok(0);
    }
    if rows.is_empty() {
        output::print("no silences\n")?;
        return Ok(0);
    }
    let mut out = format!(
        "{:<36}  {:<8}  {:<20}  {:<10}  MATCHERS / COMMENT\n",
        "ID", "STATE", "ENDS", "BY"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<36}  {:<8}  {:<20}  {:<10}  {}  — {}\n",
            r.id,
            r.state,
            r.ends_at.get(..19).unwrap_or(r.ends_at),
            crate::text::sanitize_max(r.created_by, 10),
            crate::text::sanitize(&r.matchers),
            crate::text::sanitize(r.comment)
        ));
    }
    output::print(&out)?;
    Ok(0)
}

pub fn expire(flag: Option<&Path>, am: &AmArgs, id: &str) -> color_eyre::Result<i32> {
    let am = client(flag, am)?;
    let rt = super::runtime()?;
    rt.block_on(am.expire_silence(id))
        .map_err(CliError::unavailable)?;
    output::print(&format!("expired {id}\n"))?;
    Ok(0)
}
