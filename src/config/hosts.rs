//! AAMI's `hosts.txt`: `name ip` per line, `#` comments, blank lines.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use super::error::ConfigError;
use super::model::NodeConfig;

/// Parses hosts text; collects every bad line (with its 1-based number)
/// instead of stopping at the first.
pub fn parse_hosts(text: &str, path: &Path) -> Result<Vec<NodeConfig>, ConfigError> {
    let mut nodes = Vec::new();
    let mut bad = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut ips: HashMap<String, usize> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, ip] = fields[..] else {
            bad.push((
                n,
                format!(
                    "expected `name ip`, found {} field(s): {:?}",
                    fields.len(),
                    crate::text::sanitize(line)
                ),
            ));
            continue;
        };
        if ip.parse::<IpAddr>().is_err() && !is_hostname(ip) {
            bad.push((
                n,
                format!(
                    "{:?} is not an IP address or host name",
                    crate::text::sanitize(ip)
                ),
            ));
            continue;
        }
        if let Some(first) = names.insert(name.to_string(), n) {
            bad.push((
                n,
                format!("duplicate name {name:?} (first on line {first})"),
            ));
            continue;
        }
        if let Some(first) = ips.insert(ip.to_string(), n) {
            bad.push((n, format!("duplicate address {ip} (first on line {first})")));
            continue;
        }
        nodes.push(NodeConfig {
            name: name.into(),
            ip: ip.into(),
            ..Default::default()
        });
    }
    if bad.is_empty() {
        Ok(nodes)
    } else {
        Err(ConfigError::HostsFile {
            path: path.to_path_buf(),
            lines: bad,
        })
    }
}

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.len() <= 63
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !p.starts_with('-')
        })
        && !s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_bad_line_with_its_number() {
        let text = "# hosts\ngpu-01 127.0.0.2\n\ngpu-02\ngpu-03 999.1.1.1\ngpu-01 127.0.0.4\ngpu-05 127.0.0.2\ngpu-06 node6.lab # trailing comment\n";
        let err = parse_hosts(text, Path::new("hosts.txt")).unwrap_err();
        let ConfigError::HostsFile { lines, .. } = err else {
            panic!("wrong error")
        };
        let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![4, 5, 6, 7]);
        assert!(lines[2].1.contains("duplicate name"));
        assert!(lines[3].1.contains("duplicate address"));
    }

    #[test]
    fn good_file() {
        let nodes = parse_hosts("a 127.0.0.2\nb host-b.example\n", Path::new("h")).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].ip, "host-b.example");
    }
}
