//! The layout DESIGN.md asks for, checked on the sources: no import cycle between the
//! top-level modules of `src/`, sources that know nothing of the scanner, reports that know
//! nothing of the command line, commands that nothing imports. Doc comments and test modules
//! do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its code names as `crate::x`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let top = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            if top == "main" || top == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let names = out.entry(top.clone()).or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if name != top && !name.is_empty() {
                        names.insert(name);
                    }
                }
            }
        }
    }
    out
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = graph
        .get(from)
        .map_or(vec![], |s| s.iter().map(String::as_str).collect());
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n) {
            stack.extend(graph.get(n).into_iter().flatten().map(String::as_str));
        }
    }
    false
}

#[test]
fn no_import_cycle_between_modules() {
    let graph = imports();
    for (module, names) in &graph {
        for name in names {
            assert!(
                !reaches(&graph, name, module),
                "{module} imports {name}, which leads back to {module}"
            );
        }
    }
}

#[test]
fn sources_reports_and_commands_keep_their_place() {
    let graph = imports();
    let allowed: BTreeSet<String> = ["blob", "diag"].iter().map(|s| s.to_string()).collect();
    assert!(
        graph["source"].is_subset(&allowed),
        "source/ imports {:?}: sources hand blobs to a Sink and know nothing else",
        graph["source"]
    );
    assert!(!graph["report"].contains("cli"), "report/ imports the CLI");
    for (module, names) in &graph {
        assert!(!names.contains("commands"), "{module} imports commands/");
    }
}

/// The README's table of rules by provider is generated from `rules/*.toml`
/// (`scripts/rules_table.py`): adding a rule without regenerating it fails here.
#[test]
fn readme_rules_table_is_generated_from_the_rule_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/rules_table.py"))
        .arg("--check")
        .output()
        .expect("python3 runs (the tests need it; see README)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
