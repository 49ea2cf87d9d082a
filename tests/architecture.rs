//! The shape of src/: the top-level modules (src/<x>.rs or src/<x>/) depend on each other
//! without a cycle, so do the files inside each folder, no file grows past 800 lines and main.rs
//! stays argument parsing and dispatch. An edge a -> b is any `crate::b` path in a's files (use
//! lines, `use crate::{b, …}` groups and inline paths); comments do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;
const MAX_MAIN_LINES: usize = 200;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read src/")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn strip_comments(text: &str) -> String {
    let mut rest = text;
    let mut code = String::with_capacity(text.len());
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = match rest[start..].find("*/") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    code.push_str(rest);
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The module paths a file names after `crate::`: `b` or `b::c` (lower-case names only; a
/// capitalised name is an item of the crate root, not a module).
fn crate_paths(text: &str) -> Vec<(String, Option<String>)> {
    let code = strip_comments(text);
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = code[at..].find("crate::") {
        let start = at + found;
        at = start + "crate::".len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}};`: the names at depth 0 of the group.
            let mut depth = 0;
            let mut part_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => part_start = true,
                    c if part_start && (c.is_ascii_lowercase() || c == '_') => {
                        part_start = false;
                        let name = ident(&group[i..]);
                        let after = group[i + name.len()..].strip_prefix("::");
                        let sub = after.map(|a| ident(a.trim_start_matches('{'))).filter(|s| {
                            !s.is_empty() && s.starts_with(|c: char| c.is_ascii_lowercase())
                        });
                        out.push((name.to_string(), sub.map(str::to_string)));
                    }
                    c if !c.is_whitespace() => part_start = false,
                    _ => {}
                }
            }
            continue;
        }
        let name = ident(rest);
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            continue;
        }
        let sub = rest[name.len()..]
            .strip_prefix("::")
            .map(ident)
            .filter(|s| !s.is_empty() && s.starts_with(|c: char| c.is_ascii_lowercase()));
        out.push((name.to_string(), sub.map(str::to_string)));
    }
    out
}

/// A cycle of `graph` as a path `a -> b -> … -> a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit<'g>(
        node: &'g str,
        graph: &'g Graph,
        done: &mut BTreeSet<&'g str>,
        path: &mut Vec<&'g str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[i..].iter().map(|n| n.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut done, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

struct Source {
    path: PathBuf,
    top: String,
    /// The file's name inside its folder (`mod` for src/x.rs beside src/x/).
    second: Option<String>,
    text: String,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&src).expect("under src/").to_path_buf();
            let parts: Vec<String> = rel
                .components()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .collect();
            let top = parts[0].clone();
            let second = match parts.get(1) {
                Some(name) => Some(name.clone()),
                None if src.join(&top).is_dir() => Some("mod".to_string()),
                None => None,
            };
            let text = std::fs::read_to_string(&path).expect("read source");
            Source {
                path: rel,
                top,
                second,
                text,
            }
        })
        .collect()
}

#[test]
fn top_level_modules_form_a_dag() {
    let sources = sources();
    let tops: BTreeSet<&str> = sources.iter().map(|s| s.top.as_str()).collect();
    let mut graph = Graph::new();
    for s in &sources {
        for (module, _) in crate_paths(&s.text) {
            if module != s.top && tops.contains(module.as_str()) {
                graph.entry(s.top.clone()).or_default().insert(module);
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "top-level modules import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn files_inside_each_folder_form_a_dag() {
    let sources = sources();
    let mut folders: BTreeMap<&str, Graph> = BTreeMap::new();
    for s in &sources {
        let Some(second) = &s.second else { continue };
        for (module, sub) in crate_paths(&s.text) {
            match sub {
                Some(sub) if module == s.top && &sub != second => {
                    folders
                        .entry(s.top.as_str())
                        .or_default()
                        .entry(second.clone())
                        .or_default()
                        .insert(sub);
                }
                _ => {}
            }
        }
    }
    for (folder, graph) in &folders {
        if let Some(cycle) = find_cycle(graph) {
            panic!(
                "files of src/{folder}/ import each other in a cycle: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn source_files_stay_small() {
    let mut over = Vec::new();
    for s in sources() {
        let lines = s.text.lines().count();
        let limit = if s.path == Path::new("main.rs") {
            MAX_MAIN_LINES
        } else {
            MAX_LINES
        };
        if lines > limit {
            over.push(format!(
                "src/{} has {lines} lines (at most {limit})",
                s.path.display()
            ));
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

#[test]
fn the_graph_reader_sees_every_form_of_path() {
    let text = "use crate::a::b;\nuse crate::{c, d::{e, f}, G};\n// crate::h\n/* crate::i */\nfn x() { crate::j::k(); }\n";
    let found = crate_paths(text);
    let names: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|(m, s)| (m.as_str(), s.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("a", Some("b")),
            ("c", None),
            ("d", Some("e")),
            ("j", Some("k")),
        ]
    );
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}
