//! Integration tests: the module structure (DESIGN.md) — data flows one way.
//!
//! Reads the crate's own sources and builds two import graphs from every `crate::…`
//! path outside `#[cfg(test)]` code: one between the top-level modules, one between
//! the files of each module. Neither may have a cycle, and no stage may import
//! `config`, the composition root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path inside the crate: `["segment", "scores"]` for `src/segment/scores.rs`.
type ModPath = Vec<String>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> ModPath {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: ModPath = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its unit tests, comments and doc comments.
fn library_code(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path a file names with `crate::…` (including `use crate::a::{b, c::d}`)
/// or `super::…`.
fn imports(me: &ModPath, is_mod_file: bool, code: &str) -> Vec<ModPath> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(offset) = code[at..].find("crate::") {
        let start = at + offset + "crate::".len();
        // Skip identifiers that merely end in `crate` (none expected, but be exact).
        let before = code[..at + offset].chars().next_back();
        at = start;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut prefix: ModPath = Vec::new();
        let mut i = start;
        loop {
            let ident_end = code[i..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(code.len(), |n| i + n);
            let ident = &code[i..ident_end];
            if code[ident_end..].starts_with("::{") {
                prefix.push(ident.to_owned());
                let close = code[ident_end..]
                    .find('}')
                    .map_or(code.len(), |n| ident_end + n);
                for item in code[ident_end + 3..close].split(',') {
                    let mut path = prefix.clone();
                    path.extend(
                        item.trim()
                            .split("::")
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty()),
                    );
                    found.push(path);
                }
                break;
            } else if code[ident_end..].starts_with("::") {
                prefix.push(ident.to_owned());
                i = ident_end + 2;
                if i >= bytes.len() {
                    break;
                }
            } else {
                prefix.push(ident.to_owned());
                found.push(prefix);
                break;
            }
        }
    }
    let parent: ModPath = if is_mod_file {
        me.clone()
    } else {
        me[..me.len().saturating_sub(1)].to_vec()
    };
    let mut at = 0;
    while let Some(offset) = code[at..].find("super::") {
        let start = at + offset + "super::".len();
        at = start;
        let end = code[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(code.len(), |n| start + n);
        let mut path = parent[..parent.len().saturating_sub(usize::from(is_mod_file))].to_vec();
        path.push(code[start..end].to_owned());
        found.push(path);
    }
    found
}

/// The longest prefix of `path` that is a module of the crate.
fn resolve(modules: &BTreeSet<ModPath>, path: &ModPath) -> ModPath {
    let mut path = path.clone();
    while !path.is_empty() && !modules.contains(&path) {
        path.pop();
    }
    path
}

/// The strongly connected components with more than one node (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        if let Some(edges) = state.graph.get(node) {
            for next in edges {
                if !state.index.contains_key(next.as_str()) {
                    visit(state, next);
                    let low = state.low[next.as_str()].min(state.low[node]);
                    state.low.insert(node, low);
                } else if state.on_stack.contains(next.as_str()) {
                    let low = state.index[next.as_str()].min(state.low[node]);
                    state.low.insert(node, low);
                }
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

struct Crate {
    /// Top-level module → the top-level modules it imports.
    modules: BTreeMap<String, BTreeSet<String>>,
    /// Top-level module → (file → the files of the same module it imports).
    files: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

fn read_crate() -> Crate {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    let parsed: Vec<(ModPath, bool, String)> = paths
        .iter()
        .map(|path| {
            let is_mod_file = path
                .file_name()
                .is_some_and(|name| name == "mod.rs" || name == "lib.rs");
            let text = std::fs::read_to_string(path).unwrap();
            (module_of(&src, path), is_mod_file, library_code(&text))
        })
        .collect();
    let known: BTreeSet<ModPath> = parsed.iter().map(|(m, _, _)| m.clone()).collect();
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (me, is_mod_file, code) in &parsed {
        let Some(top) = me.first() else {
            continue; // lib.rs: the root re-exports everything
        };
        modules.entry(top.clone()).or_default();
        let my_file = me.get(1).cloned().unwrap_or_else(|| "mod".to_owned());
        for import in imports(me, *is_mod_file, code) {
            let target = resolve(&known, &import);
            let Some(target_top) = target.first() else {
                continue;
            };
            if target_top != top {
                modules
                    .entry(top.clone())
                    .or_default()
                    .insert(target_top.clone());
            } else if me.len() > 1 {
                // A file of a folder module importing a sibling file (not through mod.rs).
                if let Some(target_file) = target.get(1) {
                    if target_file != &my_file {
                        files
                            .entry(top.clone())
                            .or_default()
                            .entry(my_file.clone())
                            .or_default()
                            .insert(target_file.clone());
                    }
                }
            }
        }
    }
    Crate { modules, files }
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let krate = read_crate();
    assert!(
        krate.modules.len() >= 8,
        "the source walk found too few modules: {:?}",
        krate.modules.keys()
    );
    assert_eq!(
        cycles(&krate.modules),
        Vec::<Vec<String>>::new(),
        "{:#?}",
        krate.modules
    );
}

#[test]
fn no_import_cycle_among_the_files_of_one_module() {
    let krate = read_crate();
    assert!(krate.files.contains_key("rules") && krate.files.contains_key("segment"));
    for (module, graph) in &krate.files {
        assert_eq!(
            cycles(graph),
            Vec::<Vec<String>>::new(),
            "files of `{module}`: {graph:#?}"
        );
    }
}

#[test]
fn no_stage_imports_config() {
    let krate = read_crate();
    for (module, imports) in &krate.modules {
        if module != "config" && module != "error" {
            assert!(
                !imports.contains("config"),
                "`{module}` imports `config`, the composition root"
            );
        }
    }
    // The foundations import no stage: rules depends on money only.
    assert_eq!(krate.modules["rules"], BTreeSet::from(["money".to_owned()]));
    assert!(!krate.modules["customer"].contains("facts"));
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
    let imports = imports(
        &vec!["segment".to_owned(), "scores".to_owned()],
        false,
        "use crate::segment::{config::RfmConfig, rfm::X};\nuse crate::facts::FactsTable;",
    );
    assert_eq!(
        imports,
        vec![
            vec!["segment", "config", "RfmConfig"],
            vec!["segment", "rfm", "X"],
            vec!["facts", "FactsTable"]
        ]
    );
}
