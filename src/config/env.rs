//! `${VAR}` expansion at load time.
//!
//! Expansion works line by line on the text so that line numbers in later
//! errors still point into the file the operator wrote. `${VAR:-default}`
//! gives a default; `$${` writes a literal `${`. Comment lines are left alone.

/// A variable the file names that the environment lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar {
    pub name: String,
    pub line: usize,
    pub column: usize,
}

/// Expands every `${VAR}` using `lookup`.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, MissingVar> {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        let mut col = 1;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
                col += pos + 3;
                continue;
            }
            if let Some(body) = after.strip_prefix("${")
                && let Some(end) = body.find('}')
            {
                let inner = &body[..end];
                let (name, default) = match inner.split_once(":-") {
                    Some((n, d)) => (n, Some(d)),
                    None => (inner, None),
                };
                match lookup(name).or_else(|| default.map(str::to_string)) {
                    Some(v) => out.push_str(&v),
                    None => {
                        return Err(MissingVar {
                            name: name.to_string(),
                            line: n + 1,
                            column: col + pos,
                        });
                    }
                }
                rest = &body[end + 1..];
                col += pos + 2 + end + 1;
                continue;
            }
            out.push('$');
            rest = &after[1..];
            col += pos + 1;
        }
        out.push_str(rest);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn expands_defaults_and_escapes() {
        let t = "a: ${TOKEN}\nb: ${NOPE:-x}\nc: $${TOKEN}\n# d: ${NOPE}\ne: $5\n";
        assert_eq!(
            expand(t, env).unwrap(),
            "a: s3cret\nb: x\nc: ${TOKEN}\n# d: ${NOPE}\ne: $5\n"
        );
    }

    #[test]
    fn missing_var_is_named_with_line() {
        let e = expand("a: 1\nb: ${MISSING_ONE}\n", env).unwrap_err();
        assert_eq!(
            e,
            MissingVar {
                name: "MISSING_ONE".into(),
                line: 2,
                column: 4
            }
        );
    }
}
