//! Remote commands. Every command sent to a node is a fixed template whose
//! `{}` holes are filled with single-quoted values, so nothing a config,
//! bundle or node supplies can become shell syntax. Names that end up in
//! paths, unit names or messages are validated before they get that far.

/// A command line ready to send. Built only by [`RemoteCommand::template`]
/// (a `&'static str` template: code, not data) or, for a command the
/// operator typed themselves, [`RemoteCommand::operator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCommand(String);

impl RemoteCommand {
    /// Fills each `{}` in `template`, in order, with the shell-quoted value
    /// from `args`. A hole without a value is filled with `''`.
    pub fn template(template: &'static str, args: &[&str]) -> Self {
        debug_assert_eq!(
            template.matches("{}").count(),
            args.len(),
            "template {template:?}"
        );
        let mut out = String::with_capacity(template.len() + 16 * args.len());
        let mut values = args.iter();
        let mut rest = template;
        while let Some(at) = rest.find("{}") {
            out.push_str(&rest[..at]);
            out.push_str(&quote(values.next().copied().unwrap_or("")));
            rest = &rest[at + 2..];
        }
        out.push_str(rest);
        Self(out)
    }

    /// A command the operator wrote (e.g. `xid scan --command`): theirs to
    /// run, as `ssh node CMD` would.
    pub fn operator(command: impl Into<String>) -> Self {
        Self(command.into())
    }

    /// The same command through `sudo -n` (never prompts: a sudo that wants
    /// a password fails at once, and says so on stderr).
    pub fn with_sudo(&self) -> Self {
        Self(format!("sudo -n sh -c {}", quote(&self.0)))
    }

    /// The same command through `sudo -S -k`: sudo reads the password from
    /// the first line of standard input (`-k`: always, so a cached ticket
    /// never leaves that line to the command), prints no prompt (`-p ''`),
    /// and the rest of the input goes to the command.
    pub fn with_sudo_password(&self) -> Self {
        Self(format!("sudo -S -k -p '' sh -c {}", quote(&self.0)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// POSIX single quoting: `'…'`, each `'` written as `'\''`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is not allowed: {reason}")]
pub struct NameError {
    pub kind: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// A node, component or version name: letters, digits, `.`, `_`, `-`, `+`
/// (1–64, not starting with `-` or `.`). Shell metacharacters, spaces and
/// slashes are refused, so a name is safe in a path and a unit name.
pub fn validate_name(kind: &'static str, value: &str) -> Result<(), NameError> {
    let err = |reason| {
        Err(NameError {
            kind,
            value: crate::text::sanitize_max(value, 80),
            reason,
        })
    };
    if value.is_empty() || value.len() > 64 {
        return err("it must be 1 to 64 characters");
    }
    if value.starts_with('-') || value.starts_with('.') {
        return err("it must not start with '-' or '.'");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
    {
        return err("only letters, digits, '.', '_', '-' and '+' are allowed");
    }
    Ok(())
}

/// A node address: a host name, ssh-config alias, IPv4 or IPv6 address.
pub fn validate_address(value: &str) -> Result<(), NameError> {
    let err = |reason| {
        Err(NameError {
            kind: "address",
            value: crate::text::sanitize_max(value, 80),
            reason,
        })
    };
    if value.is_empty() || value.len() > 253 {
        return err("it must be 1 to 253 characters");
    }
    if value.starts_with('-') {
        return err("it must not start with '-'");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'%'))
    {
        return err("only letters, digits, '.', '_', '-', ':' and '%' are allowed");
    }
    Ok(())
}

/// An absolute remote path from the config (the install prefix): no
/// quoting tricks needed, but refuse what would surprise an operator.
pub fn validate_remote_dir(value: &str) -> Result<(), NameError> {
    let err = |reason| {
        Err(NameError {
            kind: "remote directory",
            value: crate::text::sanitize_max(value, 80),
            reason,
        })
    };
    if !value.starts_with('/') || value == "/" {
        return err("it must be an absolute path other than /");
    }
    if value.split('/').any(|part| part == "..") {
        return err("it must not contain '..'");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
    {
        return err("only letters, digits, '.', '_', '-' and '/' are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_quoted_values() {
        let c = RemoteCommand::template("ls -l {} && echo {}", &["/opt/a b", "it's"]);
        assert_eq!(c.as_str(), "ls -l '/opt/a b' && echo 'it'\\''s'");
        let s = RemoteCommand::template("echo {}", &["$(id)"]).with_sudo();
        assert_eq!(s.as_str(), "sudo -n sh -c 'echo '\\''$(id)'\\'''");
        // The password is never part of the command line.
        let p = RemoteCommand::template("cat > {}", &["/opt/a"]).with_sudo_password();
        assert_eq!(
            p.as_str(),
            r#"sudo -S -k -p '' sh -c 'cat > '\''/opt/a'\'''"#
        );
    }

    #[test]
    fn quoted_values_reach_the_shell_unchanged() {
        for v in [
            "plain",
            "a b",
            "it's",
            "$(touch /tmp/x)",
            "`id`",
            "a\nb",
            "\\'\"",
        ] {
            let c = RemoteCommand::template("printf %s {}", &[v]);
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(c.as_str())
                .output()
                .expect("sh");
            assert_eq!(String::from_utf8_lossy(&out.stdout), v, "{v:?}");
        }
    }

    #[test]
    fn names_with_shell_metacharacters_are_refused() {
        for bad in [
            "gpu;reboot",
            "a b",
            "$(id)",
            "n`x`",
            "x|y",
            "a/b",
            "-rf",
            "",
            ".hidden",
        ] {
            assert!(validate_name("node name", bad).is_err(), "{bad:?}");
        }
        for good in ["gpu-01", "node_exporter", "1.5.0", "1.5.0+ds"] {
            assert!(validate_name("node name", good).is_ok(), "{good:?}");
        }
        assert!(validate_address("10.0.0.1").is_ok());
        assert!(validate_address("fe80::1%eth0").is_ok());
        assert!(validate_address("h;id").is_err());
        assert!(validate_remote_dir("/opt/aami").is_ok());
        assert!(validate_remote_dir("/opt/../etc").is_err());
        assert!(validate_remote_dir("opt").is_err());
    }
}
