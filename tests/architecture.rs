//! The crate's layers: no module imports a module that imports it back. Read from the
//! sources themselves: every `crate::NAME` a top-level module's code names (comments and
//! test modules aside) is an edge; the graph of the library's top-level modules must have
//! no cycle. `cargo test architecture -- --nocapture` prints the layers, bottom first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module a source file belongs to (`src/check/request.rs` → `check`).
fn module_of(file: &Path, src: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs").to_string();
    // The binary's own files are not the library's.
    (!matches!(name.as_str(), "main" | "lib" | "cli" | "console" | "memory")).then_some(name)
}

/// The `crate::NAME`s that `code` uses, outside comments and `#[cfg(test)]` modules.
fn uses(code: &str) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
        // `use crate::{a, b::c}`: the names inside the braces.
        if let Some(group) = line.trim_start().strip_prefix("use crate::{") {
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let src = crate::support::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(file, &src) else {
            continue;
        };
        let code = std::fs::read_to_string(file).unwrap();
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(uses(&code).into_iter().filter(|d| *d != module));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    // Peel off the modules that use none of the rest, layer by layer; what cannot be
    // peeled is a cycle.
    let mut left = graph.clone();
    let mut layers: Vec<Vec<String>> = Vec::new();
    while !left.is_empty() {
        let layer: Vec<String> = left
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| !left.contains_key(d)))
            .map(|(m, _)| m.clone())
            .collect();
        assert!(
            !layer.is_empty(),
            "modules that import each other: {:#?}",
            left.iter()
                .map(|(m, d)| (
                    m,
                    d.iter()
                        .filter(|d| left.contains_key(*d))
                        .collect::<Vec<_>>()
                ))
                .collect::<Vec<_>>()
        );
        for m in &layer {
            left.remove(m);
        }
        layers.push(layer);
    }
    for (i, layer) in layers.iter().enumerate() {
        println!("layer {i}: {}", layer.join(", "));
    }
    // The ends of the pipeline sit where DESIGN.md puts them.
    let layer_of = |m: &str| {
        layers
            .iter()
            .position(|l| l.iter().any(|x| x == m))
            .unwrap()
    };
    assert!(layer_of("store") < layer_of("run"));
    assert!(layer_of("fetch") < layer_of("check"));
    assert!(layer_of("page") < layer_of("archive"));
    assert!(layer_of("pipeline") > layer_of("archive"));
}

/// The test above must see edges: a module that names another is an edge, one in a
/// comment or a test module is not.
#[test]
fn uses_reads_code_not_comments_or_tests() {
    let code = "use crate::store::Store;\nuse crate::{clock, fetch::guard};\n\
                // crate::pipeline in a comment\nlet x = crate::link::host_of(u); // crate::serve\n\
                #[cfg(test)]\nmod tests { use crate::scan; }\n";
    let got: Vec<String> = uses(code).into_iter().collect();
    assert_eq!(got, ["clock", "fetch", "link", "store"]);
}

/// Issue 29: knowledge written once. The web archives' hosts are listed in one table
/// (`link::WEB_ARCHIVES`, `link::ARCHIVE_TODAY`), "a host or a subdomain of it" is one
/// function (`link::within`), no module slices an RFC 3339 time for its date, and no
/// phase appends its findings to a check's detail for another to search.
#[test]
fn each_piece_of_knowledge_is_written_once() {
    let src = crate::support::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in &files {
        let code = std::fs::read_to_string(file).unwrap();
        // Tests may name what they test.
        let code = code.split("#[cfg(test)]").next().unwrap_or("");
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        if name != "link.rs" {
            for host in [
                "\"archive.md\"",
                "\"archive.is\"",
                "\"web.archive.org\"",
                "\"arquivo.pt\"",
            ] {
                assert!(
                    !code.contains(host),
                    "{name} lists {host}: use link::WEB_ARCHIVES"
                );
            }
        }
        assert!(
            !code.contains("ends_with(&format!(\".{"),
            "{name} tests a subdomain by hand: use link::within"
        );
        assert!(
            !code.contains("format(") || !code.contains(".chars().take(10)"),
            "{name} cuts a time down to its date: use clock::date"
        );
        // The command line's own types stay in the command line module.
        if module_of(file, &src).is_some() {
            assert!(
                !code.contains("clap::"),
                "{name} derives for clap: cli.rs does"
            );
        }
        // Phases hand each other facts, not sentences to append to and search.
        assert!(
            !code.contains("detail = detail ||"),
            "{name} appends to a check's words: record the fact where it belongs"
        );
    }
}
