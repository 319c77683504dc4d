//! The crate's module graph, read from the source: no cycles between
//! top-level modules, and the rules of the house hold — `app` does no I/O
//! and knows nothing of `ui` or `runtime`; `config` knows nothing of `ui`;
//! the domain depends on nothing.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module → the top-level modules its code names (`crate::x`),
/// comments left out.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let entry = g.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + 7..];
                if let Some(inner) = rest.strip_prefix('{') {
                    // `use crate::{a::x, b}`: every name up to the brace.
                    let list = inner.split('}').next().unwrap_or("");
                    for item in list.split(',') {
                        let name: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() && name != module {
                            entry.insert(name);
                        }
                    }
                    continue;
                }
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    entry.insert(name);
                }
            }
        }
    }
    g
}

fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    assert!(g.len() >= 10, "read the modules: {g:?}");
    assert_eq!(find_cycle(&g), None, "graph: {g:#?}");
}

#[test]
fn house_rules_hold() {
    let g = graph();
    let forbidden: &[(&str, &[&str])] = &[
        (
            "app",
            &["ui", "runtime", "cli", "sources", "ssh", "terminal", "sim"],
        ),
        ("config", &["ui", "app", "runtime"]),
        (
            "domain",
            &[
                "xid", "app", "ui", "sources", "config", "ssh", "runtime", "cli",
            ],
        ),
        ("xid", &["app", "ui", "sources", "ssh", "runtime"]),
        ("ui", &["runtime", "sources", "ssh", "cli"]),
        ("sources", &["app", "ui", "runtime"]),
    ];
    for (from, nots) in forbidden {
        let deps = g.get(*from).cloned().unwrap_or_default();
        for n in *nots {
            assert!(!deps.contains(*n), "{from} must not use {n}: {deps:?}");
        }
    }
}

#[test]
fn the_reader_sees_use_lists_and_skips_comments() {
    // A check of the checker: the edges it must find are there.
    let g = graph();
    assert!(g["runtime"].contains("ui"), "{:?}", g["runtime"]);
    assert!(g["ui"].contains("app"));
    assert!(
        !g["config"].contains("sources"),
        "a doc comment is not a use"
    );
}
