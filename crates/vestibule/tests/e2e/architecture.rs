//! Architecture rules the compiler does not enforce, checked over the
//! sources of every workspace crate (`crates/*/src/**/*.rs`):
//!
//! * no import cycle between files: a file that uses another, directly or
//!   through a ring, must not be used back. A `mod.rs` (or `lib.rs`) that
//!   defines items its children import while it also uses its children is
//!   such a cycle; shared items belong in a sibling file, and `mod.rs` only
//!   declares, re-exports and dispatches;
//! * no file over [`MAX_LINES`] lines, except the few uniform lists in
//!   [`LONG_FILES`].
//!
//! The import graph is read from the text, not from the compiler: paths
//! starting with `crate::`, `super::` or `self::`, a file's own child
//! modules named bare, and `use` groups (`use crate::{a, b::{c, d}}`).
//! Each path points at the deepest module file it names. Comments and
//! test-only code (`#[cfg(test)]` items and the files they declare) are
//! left out: tests may reach anywhere. Items of the crate root itself
//! (`crate::Item` defined in `lib.rs`) are no edge: the root is the
//! crate's front door, which every module may lean on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a source file may grow before it is split by concern.
const MAX_LINES: usize = 800;

/// Files allowed past [`MAX_LINES`]: uniform lists that splitting would
/// only scatter. Workspace-relative path and the reason, one line each.
const LONG_FILES: &[(&str, &str)] = &[];

#[test]
fn no_import_cycles_between_files() {
    let mut report = Vec::new();
    for krate in crates() {
        let graph = import_graph(&krate);
        for component in cycles(&graph) {
            report.push(describe(&graph, &component));
        }
    }
    assert!(
        report.is_empty(),
        "import cycles between files (one per line, the files that use each \
         other below it):\n{}",
        report.join("\n")
    );
}

#[test]
fn no_source_file_is_too_long() {
    let mut long = Vec::new();
    for krate in crates() {
        for file in rust_files(&krate.join("src")) {
            let path = relative(&file);
            let lines = read(&file).lines().count();
            let allowed = LONG_FILES.iter().any(|(listed, _)| *listed == path);
            if lines > MAX_LINES && !allowed {
                long.push(format!("{path}: {lines} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them by concern, or list a uniform \
         list in LONG_FILES with its reason):\n{}",
        long.join("\n")
    );
}

/// The check must be able to fail: a `mod.rs` whose child imports what it
/// defines is reported; comments and test code are not read; the same
/// layout with the shared item in a sibling file passes.
#[test]
fn the_cycle_check_sees_a_ring() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let file = dir.path().join("src").join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    let files_of = |graph: &Graph| -> Vec<Vec<String>> {
        cycles(graph)
            .into_iter()
            .map(|c| c.iter().map(|f| graph.names[*f].clone()).collect())
            .collect()
    };
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write(
        "a/mod.rs",
        "mod child;\npub use child::Thing;\npub struct Shared;\n\
         // Not a use: crate::b::Other.\n\
         pub const NOTE: &str = \"crate::b::Other\";\n\
         #[cfg(test)]\nmod tests {\n    use crate::b::Other;\n}\n",
    );
    write(
        "a/child.rs",
        "use super::{Shared, self as parent};\npub struct Thing(Shared);\n",
    );
    write(
        "b.rs",
        "use crate::{a::{self, Thing}};\npub struct Other(Thing);\n",
    );
    let found = files_of(&import_graph(dir.path()));
    assert_eq!(found.len(), 1, "{found:?}");
    let ring: Vec<&str> = found[0]
        .iter()
        .map(|f| f.rsplit("/src/").next().unwrap())
        .collect();
    assert_eq!(ring, ["a/child.rs", "a/mod.rs"], "{found:?}");

    write("a/shared.rs", "pub struct Shared;\n");
    write(
        "a/mod.rs",
        "mod child;\nmod shared;\npub use child::Thing;\n",
    );
    write(
        "a/child.rs",
        "use super::shared::Shared;\npub struct Thing(Shared);\n",
    );
    let found = files_of(&import_graph(dir.path()));
    assert!(found.is_empty(), "{found:?}");
}

/// The workspace root: two levels above this crate.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every crate directory under `crates/`.
fn crates() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("src").is_dir())
        .collect();
    found.sort();
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap()
}

/// A path relative to the workspace root, with `/` separators.
fn relative(file: &Path) -> String {
    let root = workspace().canonicalize().unwrap();
    let file = file.canonicalize().unwrap();
    file.strip_prefix(&root)
        .unwrap_or(&file)
        .to_string_lossy()
        .replace('\\', "/")
}

/// One crate's files and which of them each one uses.
struct Graph {
    /// Workspace-relative file paths, indexed like `edges`.
    names: Vec<String>,
    edges: Vec<BTreeSet<usize>>,
}

/// The file-level import graph of the crate in `krate` (its `src/`). A
/// binary's `main.rs` beside a `lib.rs` is a crate root of its own.
fn import_graph(krate: &Path) -> Graph {
    let src = krate.join("src");
    let files = rust_files(&src);
    // Module path (`a::b`, empty for a crate root) per root, then per file.
    let mut modules: BTreeMap<(usize, Vec<String>), usize> = BTreeMap::new();
    let roots: Vec<&str> = ["lib.rs", "main.rs"]
        .into_iter()
        .filter(|root| src.join(root).is_file())
        .collect();
    let mut texts = Vec::new();
    let mut test_only = BTreeSet::new();
    for (index, file) in files.iter().enumerate() {
        let code = Code::new(&read(file));
        test_only.extend(code.test_only_children(file));
        texts.push(code);
        let rel: Vec<String> = file
            .strip_prefix(&src)
            .unwrap()
            .with_extension("")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        let is_root = rel.len() == 1 && roots.contains(&format!("{}.rs", rel[0]).as_str());
        // The modules belong to `lib.rs` when there is one.
        let root = usize::from(is_root && rel[0] == "main" && roots.contains(&"lib.rs"));
        let mut path = rel;
        if is_root || path.last().is_some_and(|last| last == "mod") {
            path.pop();
        }
        modules.insert((root, path), index);
    }
    let skip = |index: usize| {
        test_only
            .iter()
            .any(|t: &PathBuf| files[index].starts_with(t))
    };
    let mut edges = vec![BTreeSet::new(); files.len()];
    for ((root, module), &index) in &modules {
        if skip(index) {
            continue;
        }
        let resolve = |path: Vec<String>| {
            (1..=path.len())
                .rev()
                .find_map(|len| modules.get(&(*root, path[..len].to_vec())).copied())
        };
        for path in texts[index].paths(module, |name| {
            let mut child = module.clone();
            child.push(name.to_owned());
            modules.contains_key(&(*root, child))
        }) {
            if let Some(target) = resolve(path)
                && target != index
                && !skip(target)
            {
                edges[index].insert(target);
            }
        }
    }
    Graph {
        names: files.iter().map(|f| relative(f)).collect(),
        edges,
    }
}

/// One file's code: comments removed, string and character literals
/// blanked, `#[cfg(test)]` items cut out.
struct Code {
    text: Vec<char>,
    /// Names (or `#[path]`s) of the `#[cfg(test)] mod x;` it declares.
    test_modules: Vec<String>,
}

impl Code {
    fn new(source: &str) -> Code {
        let text = strip_comments_and_literals(source);
        let (text, test_modules) = cut_test_items(&text);
        Code { text, test_modules }
    }

    /// The files (or directories) of the test-only modules this file
    /// declares, which the graph leaves out.
    fn test_only_children(&self, file: &Path) -> Vec<PathBuf> {
        let dir = file.parent().unwrap();
        let stem = file.file_stem().unwrap().to_string_lossy();
        let own_dir = match stem.as_ref() {
            "mod" | "lib" | "main" => dir.to_path_buf(),
            other => dir.join(other),
        };
        let mut found = Vec::new();
        for name in &self.test_modules {
            if let Some(path) = name.strip_prefix("path:") {
                found.push(dir.join(path));
            } else {
                found.push(own_dir.join(format!("{name}.rs")));
                found.push(own_dir.join(name));
            }
        }
        found
    }

    /// Every module path this file names, made absolute from the crate
    /// root: `crate::…`, `super::…`, `self::…`, and bare paths through
    /// the file's own child modules (`is_child`).
    fn paths(&self, module: &[String], is_child: impl Fn(&str) -> bool) -> Vec<Vec<String>> {
        let mut found = Vec::new();
        let text = &self.text;
        let mut at = 0;
        while at < text.len() {
            let starts_word = at == 0 || !is_ident(text[at - 1]) && text[at - 1] != ':';
            if !starts_word || !is_ident(text[at]) {
                at += 1;
                continue;
            }
            let word = ident_at(text, at);
            let after = at + word.chars().count();
            if !(text.get(after) == Some(&':') && text.get(after + 1) == Some(&':')) {
                at = after;
                continue;
            }
            let base: Option<Vec<String>> = match word.as_str() {
                "crate" => Some(Vec::new()),
                "self" => Some(module.to_vec()),
                "super" => Some(module[..module.len().saturating_sub(1)].to_vec()),
                name if is_child(name) => {
                    let mut child = module.to_vec();
                    child.push(name.to_owned());
                    Some(child)
                }
                _ => None,
            };
            match base {
                Some(base) => {
                    let (tails, end) = use_tree(text, after + 2);
                    for tail in tails {
                        let mut path = base.clone();
                        for segment in tail {
                            match segment.as_str() {
                                "super" => {
                                    path.pop();
                                }
                                "self" => {}
                                _ => path.push(segment),
                            }
                        }
                        found.push(path);
                    }
                    at = end;
                }
                None => at = after,
            }
        }
        found
    }
}

/// The paths of a use tree starting at `at` (just after a `::`): `a::b`,
/// `{a, b::{c, self}}`, `*`; and where it ends.
fn use_tree(text: &[char], at: usize) -> (Vec<Vec<String>>, usize) {
    let at = skip_space(text, at);
    match text.get(at) {
        Some('{') => {
            let mut paths = Vec::new();
            let mut at = at + 1;
            loop {
                at = skip_space(text, at);
                match text.get(at) {
                    None => return (paths, at),
                    Some('}') => return (paths, at + 1),
                    Some(',') => at += 1,
                    Some(_) => {
                        let (inner, end) = use_tree(text, at);
                        paths.extend(inner);
                        // Skip `as name` and anything else up to the next item.
                        at = end;
                        while let Some(c) = text.get(at)
                            && !matches!(c, ',' | '}')
                        {
                            at += 1;
                        }
                    }
                }
            }
        }
        Some(c) if is_ident(*c) => {
            let word = ident_at(text, at);
            let after = at + word.chars().count();
            let next = skip_space(text, after);
            if text.get(next) == Some(&':') && text.get(next + 1) == Some(&':') {
                let (tails, end) = use_tree(text, next + 2);
                let paths = tails
                    .into_iter()
                    .map(|mut tail| {
                        tail.insert(0, word.clone());
                        tail
                    })
                    .collect();
                (paths, end)
            } else {
                (vec![vec![word]], after)
            }
        }
        // `*`, or a path followed by `<` or the like: what was read so far.
        _ => (vec![Vec::new()], at),
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_at(text: &[char], at: usize) -> String {
    text[at..].iter().take_while(|c| is_ident(**c)).collect()
}

fn skip_space(text: &[char], mut at: usize) -> usize {
    while text.get(at).is_some_and(|c| c.is_whitespace()) {
        at += 1;
    }
    at
}

/// The source with comments removed and the contents of string and
/// character literals replaced by spaces, so neither is read as code.
fn strip_comments_and_literals(source: &str) -> Vec<char> {
    let text: Vec<char> = source.chars().collect();
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let c = text[at];
        let next = text.get(at + 1).copied();
        if c == '/' && next == Some('/') {
            while at < text.len() && text[at] != '\n' {
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while at < text.len() {
                if text[at] == '/' && text.get(at + 1) == Some(&'*') {
                    depth += 1;
                    at += 2;
                } else if text[at] == '*' && text.get(at + 1) == Some(&'/') {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    at += 1;
                }
            }
            out.push(' ');
        } else if let Some(end) = raw_string_end(&text, at) {
            out.push('"');
            out.push('"');
            at = end;
        } else if c == '"' {
            // `#[path = "…"]` keeps its value: it names a file.
            let tail: String = out[out.len().saturating_sub(16)..].iter().collect();
            let keep = tail.replace(' ', "").ends_with("path=");
            let start = at;
            at += 1;
            while at < text.len() && text[at] != '"' {
                at += if text[at] == '\\' { 2 } else { 1 };
            }
            at += 1;
            match keep {
                true => out.extend(&text[start..at.min(text.len())]),
                false => out.extend(['"', '"']),
            }
        } else if c == '\'' {
            // A character literal ('x', '\'', '\u{1F600}'), or a lifetime.
            let end = if next == Some('\\') {
                text.get(at + 3..)
                    .and_then(|rest| rest.iter().position(|c| *c == '\''))
                    .map(|p| at + 3 + p + 1)
            } else if text.get(at + 2) == Some(&'\'') {
                Some(at + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(['\'', '\'']);
                    at = end;
                }
                None => {
                    out.push(c);
                    at += 1;
                }
            }
        } else {
            out.push(c);
            at += 1;
        }
    }
    out
}

/// Where the raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `at`
/// ends, if one does.
fn raw_string_end(text: &[char], at: usize) -> Option<usize> {
    if at > 0 && is_ident(text[at - 1]) {
        return None;
    }
    let mut i = at;
    if text.get(i) == Some(&'b') {
        i += 1;
    }
    if text.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let hashes = text[i..].iter().take_while(|c| **c == '#').count();
    i += hashes;
    if text.get(i) != Some(&'"') {
        return None;
    }
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    (i + 1..text.len())
        .find(|start| text[*start..].starts_with(&closing))
        .map(|start| start + closing.len())
}

/// The code without its `#[cfg(test)]` items, and the test modules
/// declared without a body (`#[cfg(test)] mod tests;`), by name or, with a
/// `#[path = "…"]`, as `path:…`.
fn cut_test_items(text: &[char]) -> (Vec<char>, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let mark: Vec<char> = MARK.chars().collect();
    let mut out = Vec::with_capacity(text.len());
    let mut modules = Vec::new();
    let mut at = 0;
    while at < text.len() {
        if !text[at..].starts_with(&mark) {
            out.push(text[at]);
            at += 1;
            continue;
        }
        // Further attributes, then the item up to its `;` or its body.
        let mut i = skip_space(text, at + mark.len());
        let mut path = None;
        while text.get(i) == Some(&'#') {
            let end = i + text[i..].iter().position(|c| *c == ']').unwrap_or(0) + 1;
            let attribute: String = text[i..end].iter().collect();
            if let Some((_, value)) = attribute.split_once("path") {
                path = Some(value.trim_matches([' ', '=', '"', ']']).to_owned());
            }
            i = skip_space(text, end);
        }
        let start = i;
        let mut depth = 0usize;
        while i < text.len() {
            match text[i] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ';' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        let item: String = text[start..i.min(text.len())].iter().collect();
        let words: Vec<&str> = item.split_whitespace().collect();
        if let Some(position) = words.iter().position(|w| *w == "mod")
            && text.get(i) == Some(&';')
        {
            let name = words.get(position + 1).unwrap_or(&"").to_string();
            modules.push(match path {
                Some(path) => format!("path:{path}"),
                None => name,
            });
        }
        at = i + 1;
    }
    (out, modules)
}

/// The strongly connected components of more than one file (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a [BTreeSet<usize>],
        next: usize,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        found: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in s.edges[v].iter() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(index) if s.on_stack[w] => s.low[v] = s.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let n = graph.edges.len();
    let mut state = State {
        edges: &graph.edges,
        next: 0,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        found: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    state.found.sort();
    state.found
}

/// One line naming the files of a cycle, then each file's uses inside it.
fn describe(graph: &Graph, component: &[usize]) -> String {
    let names: Vec<&str> = component.iter().map(|f| graph.names[*f].as_str()).collect();
    let mut text = format!("{} files: {}", names.len(), names.join(", "));
    for &file in component {
        let uses: Vec<&str> = graph.edges[file]
            .iter()
            .filter(|target| component.contains(target))
            .map(|target| graph.names[*target].as_str())
            .collect();
        text.push_str(&format!(
            "\n    {} uses {}",
            graph.names[file],
            uses.join(", ")
        ));
    }
    text
}
