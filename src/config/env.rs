//! `${VAR}` expansion inside one string value.
//!
//! The loader calls this on each string scalar after YAML has parsed it
//! (see [`super::env_de`]), never on the file's text: a value holding `#`,
//! `: ` or a newline stays one value and cannot change the document's
//! shape. `${VAR:-default}` gives a default; `$${` writes a literal `${`.

use std::borrow::Cow;

/// A variable a value names that the environment lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar {
    pub name: String,
}

/// Expands every `${VAR}` in `value` using `lookup`; borrows when there is
/// nothing to expand.
pub fn expand_value<'v>(
    value: &'v str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Cow<'v, str>, MissingVar> {
    if !value.contains("${") {
        return Ok(Cow::Borrowed(value));
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
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
                    });
                }
            }
            rest = &body[end + 1..];
            continue;
        }
        out.push('$');
        rest = &after[1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn expands_defaults_and_escapes() {
        let x = |v| expand_value(v, &env).unwrap().into_owned();
        assert_eq!(x("${TOKEN}"), "s3cret");
        assert_eq!(x("a-${TOKEN}-b"), "a-s3cret-b");
        assert_eq!(x("${NOPE:-x}"), "x");
        assert_eq!(x("$${TOKEN}"), "${TOKEN}");
        assert_eq!(x("$5 ${unclosed"), "$5 ${unclosed");
        assert!(matches!(expand_value("plain", &env), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn missing_var_is_named() {
        let e = expand_value("x ${MISSING_ONE}", &env).unwrap_err();
        assert_eq!(e.name, "MISSING_ONE");
    }
}
