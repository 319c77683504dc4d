//! AAMI's `hosts.txt`: `name ip` per line, `#` comments, blank lines. The
//! address may carry the SSH user and port as `ssh` writes them:
//! `user@10.0.0.7:2222`, `[fe80::1]:2222`.

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
        let [name, spec] = fields[..] else {
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
        let Some((user, ip, port)) = split_address(spec) else {
            bad.push((
                n,
                format!(
                    "{:?} is not [user@]address[:port]",
                    crate::text::sanitize(spec)
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
            ssh_user: user.map(str::to_string),
            ssh_port: port,
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

/// `[user@]address[:port]`, with `[v6]:port` for IPv6 (a bare IPv6
/// address has no port).
fn split_address(spec: &str) -> Option<(Option<&str>, &str, Option<u16>)> {
    let (user, rest) = match spec.rsplit_once('@') {
        Some((u, r)) => {
            let ok = !u.is_empty()
                && u.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok {
                return None;
            }
            (Some(u), r)
        }
        None => (None, spec),
    };
    let (addr, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (a, tail) = v6.split_once(']')?;
        match tail.strip_prefix(':') {
            Some(p) => (a, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?)),
            None if tail.is_empty() => (a, None),
            None => return None,
        }
    } else if rest.matches(':').count() == 1 {
        let (a, p) = rest.split_once(':')?;
        (a, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?))
    } else {
        (rest, None)
    };
    (!addr.is_empty()).then_some((user, addr, port))
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
    fn user_and_port_in_the_address() {
        let nodes = parse_hosts(
            "a ops@10.0.0.1:2222\nb [fe80::1]:22\nc fe80::2\nd h.lab:2200\n",
            Path::new("h"),
        )
        .unwrap();
        let got: Vec<(&str, Option<&str>, Option<u16>)> = nodes
            .iter()
            .map(|n| (n.ip.as_str(), n.ssh_user.as_deref(), n.ssh_port))
            .collect();
        assert_eq!(
            got,
            [
                ("10.0.0.1", Some("ops"), Some(2222)),
                ("fe80::1", None, Some(22)),
                ("fe80::2", None, None),
                ("h.lab", None, Some(2200)),
            ]
        );
        for bad in ["x a;b@h", "x h:0", "x h:99999", "x @h", "x [::1", "x h:p"] {
            assert!(parse_hosts(bad, Path::new("h")).is_err(), "{bad}");
        }
    }

    #[test]
    fn good_file() {
        let nodes = parse_hosts("a 127.0.0.2\nb host-b.example\n", Path::new("h")).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].ip, "host-b.example");
    }
}
