//! `tidy`: checks of the tree's own shape, run first by `cargo xtask ci`.
//!
//! The runtime's modules form layers: each uses only modules below it, so a newcomer can read
//! them bottom-up and a new format or kind has one obvious room. This check reads
//! `geno-metrics/src` and fails when modules import each other in a cycle, at either grain:
//!
//! - files: `kinds/histogram.rs` may use `kinds/timer.rs`, but then not the other way round;
//! - top-level modules (a folder counts as one): `export` uses `registry`, so nothing under
//!   `registry` may use anything under `export`.
//!
//! A path is resolved to the file that defines the item, through the `pub use` re-exports of
//! `lib.rs` and of each folder's `mod.rs` (those files are facades: their re-exports are not
//! imports). Comments, doc links, string literals and a file's closing `#[cfg(test)]` module
//! do not count: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module of the crate, named by its path below the crate root (`kinds::histogram`); the
/// root is the empty path.
type Module = Vec<String>;

/// One import: the line that makes it, for the report.
#[derive(Debug, Clone)]
struct Witness {
    file: String,
    line: usize,
    path: String,
}

/// The modules of one crate and what each imports.
#[derive(Debug, Default)]
struct Crate {
    /// Every module, with its file relative to `src/` and its code (comments, strings and the
    /// test module blanked).
    modules: BTreeMap<Module, (String, String)>,
    /// `from -> to -> the first place that imports it`.
    edges: BTreeMap<Module, BTreeMap<Module, Witness>>,
}

/// Checks the runtime crate of the workspace at `root`. `Err` lists every cycle found.
pub(crate) fn check_runtime_layers(root: &Path) -> Result<(), String> {
    let src = root.join("geno-metrics/src");
    let krate = Crate::read(&src)?;
    let mut problems = Vec::new();
    if let Some(cycle) = krate.cycle(|m| m.clone()) {
        problems.push(format!("files import each other in a cycle:\n{cycle}"));
    }
    if let Some(cycle) = krate.cycle(|m| m.iter().take(1).cloned().collect()) {
        problems.push(format!(
            "top-level modules import each other in a cycle:\n{cycle}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n  = help: move the shared item into a module below both, or turn the dependency around (see ARCHITECTURE.md)",
            src.display(),
            problems.join("\n")
        ))
    }
}

impl Crate {
    fn read(src: &Path) -> Result<Crate, String> {
        let mut krate = Crate::default();
        let mut renamed = BTreeMap::new();
        for file in rust_files(src)? {
            let relative = file
                .strip_prefix(src)
                .map_err(|_| format!("{} is outside {}", file.display(), src.display()))?;
            let text = fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let name = relative.to_string_lossy().replace('\\', "/");
            let module = module_of(relative);
            for (path, child) in path_attributes(&text) {
                let declared_in = relative.parent().unwrap_or(Path::new(""));
                let mut named = module.clone();
                named.push(child);
                renamed.insert(module_of(&declared_in.join(path)), named);
            }
            krate.modules.insert(module, (name, code_only(&text)));
        }
        // A module mounted with `#[path]` is known by its declared name, not its file's.
        for (by_file, by_name) in renamed {
            if let Some(entry) = krate.modules.remove(&by_file) {
                krate.modules.insert(by_name, entry);
            }
        }
        let modules: Vec<Module> = krate.modules.keys().cloned().collect();
        for from in modules {
            for (line, path) in krate.imports(&from) {
                let Some(to) = krate.resolve(&path, 0) else {
                    continue;
                };
                if to != from {
                    let file = krate.modules[&from].0.clone();
                    let witness = Witness {
                        file,
                        line,
                        path: format!("crate::{}", path.join("::")),
                    };
                    krate
                        .edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert(witness);
                }
            }
        }
        Ok(krate)
    }

    /// The absolute paths (without `crate::`) that module `from` names in its code, with
    /// their lines; a path may span lines (a `use` tree). A facade's (`lib.rs`, `mod.rs`)
    /// `pub use` statements are not imports.
    fn imports(&self, from: &Module) -> Vec<(usize, Vec<String>)> {
        let (file, code) = &self.modules[from];
        let facade = file == "lib.rs" || file.ends_with("mod.rs");
        let inline = inline_modules(code);
        // The module a position is in: the file's, or the innermost inline module around it
        // (`super::` and `self::` are relative to it). Outer modules come first in `inline`.
        let scope_at = |at: usize| -> Module {
            let mut module = from.clone();
            for (start, end, name) in &inline {
                if *start <= at && at < *end {
                    module.push(name.clone());
                }
            }
            module
        };
        paths_in(code, &scope_at, facade)
            .into_iter()
            .filter(|(start, _)| !(facade && reexport(statement_before(code, *start)).is_some()))
            .map(|(start, path)| (code[..start].matches('\n').count() + 1, path))
            .collect()
    }

    /// The module that defines what `path` names: descend through child modules, then follow
    /// the re-exports of the module reached. `None` for paths outside the crate's modules
    /// (a local item, a macro, a bad path, which the compiler reports anyway).
    fn resolve(&self, path: &[String], depth: usize) -> Option<Module> {
        if depth > 8 {
            return None;
        }
        let mut module: Module = Vec::new();
        for (i, segment) in path.iter().enumerate() {
            let mut child = module.clone();
            child.push(segment.clone());
            if self.modules.contains_key(&child) {
                module = child;
                continue;
            }
            // An item of `module`: defined there, or re-exported from elsewhere.
            let rest = &path[i..];
            return Some(
                self.through_reexport(&module, &rest[0], depth)
                    .unwrap_or(module),
            );
        }
        Some(module)
    }

    /// Where the item `name`, re-exported by `module`'s `pub use` statements, is defined.
    fn through_reexport(&self, module: &Module, name: &str, depth: usize) -> Option<Module> {
        let (_, code) = self.modules.get(module)?;
        for statement in code.split(';') {
            let Some(tree) = reexport(statement) else {
                continue;
            };
            for target in use_tree(tree) {
                let (path, alias) = match target.split_once(" as ") {
                    Some((path, alias)) => (path.trim().to_owned(), alias.trim().to_owned()),
                    None => {
                        let last = target.rsplit("::").next().unwrap_or("").trim().to_owned();
                        (target.clone(), last)
                    }
                };
                if alias != name {
                    continue;
                }
                let segments: Vec<String> = path.split("::").map(|s| s.trim().to_owned()).collect();
                let absolute = absolute(&segments, module, true)?;
                return self.resolve(&absolute, depth + 1);
            }
        }
        None
    }

    /// A cycle among the modules grouped by `group`, shown one import per line; `None` when
    /// the grouped graph has none.
    fn cycle(&self, group: impl Fn(&Module) -> Module) -> Option<String> {
        let mut graph: BTreeMap<Module, BTreeMap<Module, &Witness>> = BTreeMap::new();
        for (from, targets) in &self.edges {
            for (to, witness) in targets {
                let (from, to) = (group(from), group(to));
                if from != to {
                    graph.entry(from).or_default().entry(to).or_insert(witness);
                }
            }
        }
        let mut done = BTreeSet::new();
        for start in graph.keys() {
            let mut stack = Vec::new();
            if let Some(cycle) = find_cycle(&graph, start, &mut stack, &mut done) {
                let lines: Vec<String> = cycle
                    .windows(2)
                    .map(|pair| {
                        let witness = graph[&pair[0]][&pair[1]];
                        format!(
                            "  {} -> {} ({}:{} uses `{}`)",
                            display(&pair[0]),
                            display(&pair[1]),
                            witness.file,
                            witness.line,
                            witness.path
                        )
                    })
                    .collect();
                return Some(lines.join("\n"));
            }
        }
        None
    }
}

/// Depth-first search from `node`; returns the cycle (first node repeated last) when one is
/// reachable through the nodes on `stack`.
fn find_cycle<'a, W>(
    graph: &'a BTreeMap<Module, BTreeMap<Module, W>>,
    node: &'a Module,
    stack: &mut Vec<&'a Module>,
    done: &mut BTreeSet<&'a Module>,
) -> Option<Vec<Module>> {
    if let Some(at) = stack.iter().position(|m| *m == node) {
        let mut cycle: Vec<Module> = stack[at..].iter().map(|m| (*m).clone()).collect();
        cycle.push(node.clone());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    stack.push(node);
    for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
        if let Some(cycle) = find_cycle(graph, next, stack, done) {
            return Some(cycle);
        }
    }
    stack.pop();
    done.insert(node);
    None
}

fn display(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The module a file below `src/` defines: `lib.rs` the root, `a/mod.rs` and `a.rs` the
/// module `a`, `a/b.rs` the module `a::b`.
fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The text of the statement that `at` falls in, from its start up to `at`: after the last
/// `;` or `}` before it.
fn statement_before(code: &str, at: usize) -> &str {
    let start = code[..at].rfind([';', '}']).map_or(0, |i| i + 1);
    &code[start..at]
}

/// The `use` tree of a `pub use` or `pub(crate) use` statement (attributes before it
/// skipped); `None` for any other statement.
fn reexport(statement: &str) -> Option<&str> {
    let mut rest = statement.trim_start();
    while let Some(attribute) = rest.strip_prefix("#[") {
        let mut depth = 1usize;
        let end = attribute.char_indices().find_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        })?;
        rest = attribute[end + 1..].trim_start();
    }
    rest.strip_prefix("pub use ")
        .or_else(|| rest.strip_prefix("pub(crate) use "))
        .map(str::trim)
}

/// The inline modules (`mod name { ... }`) of `code`: where each body starts and ends, and
/// its name.
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        let boundary = !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &code[at + 4..];
        let name_end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let rest = &after[name_end..];
        if !boundary || name_end == 0 || !rest.trim_start().starts_with('{') {
            continue;
        }
        let open = at + 4 + name_end + rest.find('{').unwrap_or(0);
        let mut depth = 0usize;
        let mut close = code.len();
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push((open, close, after[..name_end].to_owned()));
    }
    found
}

/// The `#[path = "file.rs"] mod name;` declarations of a file: each file and module name.
fn path_attributes(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("#[path = \"") {
        let rest = &text[at + 10..];
        let Some(end) = rest.find('"') else {
            continue;
        };
        let file = rest[..end].to_owned();
        let after = &rest[end..];
        let Some(mod_at) = after.find("mod ") else {
            continue;
        };
        let name: String = after[mod_at + 4..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.push((file, name));
        }
    }
    found
}

/// The paths code names from the crate's root (`crate::a::b`), from the module itself
/// (`self::a`, or a `mod.rs`'s bare `a::b` for its own child `a`), or from its parent
/// (`super::a`), made absolute, each leaf of a `use` tree apart, with where each starts.
fn paths_in(
    code: &str,
    scope_at: &dyn Fn(usize) -> Module,
    facade: bool,
) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut starts: Vec<usize> = ["crate::", "super::", "self::"]
        .iter()
        .flat_map(|anchor| code.match_indices(anchor).map(|(i, _)| i))
        .collect();
    starts.sort_unstable();
    let mut covered = 0;
    for start in starts {
        // Inside a path already read (`super::super::x`, or a `use` tree's leaf).
        if start < covered {
            continue;
        }
        if start > 0
            && (bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':')
        {
            continue;
        }
        let rest = &code[start..];
        let end = path_end(rest);
        covered = start + end;
        for target in use_tree(&rest[..end]) {
            let segments: Vec<String> = target
                .split(" as ")
                .next()
                .unwrap_or("")
                .split("::")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if let Some(path) = absolute(&segments, &scope_at(start), facade) {
                found.push((start, path));
            }
        }
    }
    found
}

/// Where the path (or `use` tree, braces included) that starts `text` ends.
fn path_end(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            c if depth > 0
                || c.is_alphanumeric()
                || c == '_'
                || c == ':'
                || c == ' ' && text[i..].starts_with(" as ") => {}
            _ => return i,
        }
    }
    text.len()
}

/// The leaves of a `use` tree: `a::{b, c::{d, e as f}}` gives `a::b`, `a::c::d`, `a::c::e as f`.
fn use_tree(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let prefix = &tree[..open];
    let inner = tree[open + 1..].trim_end().trim_end_matches('}');
    let mut leaves = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                leaves.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    leaves.push(&inner[start..]);
    leaves
        .into_iter()
        .map(str::trim)
        .filter(|leaf| !leaf.is_empty())
        .flat_map(|leaf| {
            if leaf == "self" {
                vec![prefix.trim_end_matches("::").to_owned()]
            } else {
                use_tree(&format!("{prefix}{leaf}"))
            }
        })
        .collect()
}

/// `segments` from the crate root. `crate::` is absolute, `super::` starts at the parent of
/// `from`'s module and `self::` at the module; in a facade a bare first segment is a child.
fn absolute(segments: &[String], from: &Module, facade: bool) -> Option<Vec<String>> {
    let (first, rest) = segments.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => from.clone(),
        "super" => {
            let mut parent = from.clone();
            parent.pop()?;
            parent
        }
        _ if facade => {
            let mut base = from.clone();
            base.push(first.clone());
            base
        }
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while rest.peek().is_some_and(|s| *s == "super") {
        base.pop()?;
        rest.next();
    }
    base.extend(rest.cloned());
    Some(base)
}

/// `text` with comments, string and char literals blanked (newlines kept, so line numbers
/// hold) and the closing test module cut off.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(r) = raw_string_r(&chars, i) {
            // A raw string: r"..." or r#"..."#, with as many #s at the end (or br"...").
            let mut j = r + 1;
            while chars.get(j) == Some(&'#') {
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - r - 1;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut k = j + 1;
            while k < chars.len() && !chars[k..].starts_with(&closing) {
                k += 1;
            }
            let end = (k + closing.len()).min(chars.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || (next == Some('\\'))) {
            // A char literal ('x' or an escape); a lifetime ('a) has no closing quote.
            let mut j = i + 1;
            if next == Some('\\') {
                j += 1;
            }
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            out.extend(std::iter::repeat_n(' ', (j + 1 - i).min(chars.len() - i)));
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    blank_test_modules(out)
}

/// `code` with every test module (`#[cfg(test)]` or `#[cfg(all(test, ...))]` before a
/// `mod name { ... }`) blanked to its closing brace, newlines kept: tests may reach anywhere.
fn blank_test_modules(mut code: String) -> String {
    let mut from = 0;
    while let Some(found) = ["#[cfg(test)]", "#[cfg(all(test"]
        .iter()
        .filter_map(|marker| code[from..].find(marker).map(|i| from + i))
        .min()
    {
        let after = &code[found..];
        let Some(open) = after.find('{') else {
            break;
        };
        // Only a module: between the attribute's end and the brace stands `mod name`.
        let head = &after[..open];
        let is_module = head
            .find(']')
            .is_some_and(|end| head[end + 1..].trim_start().starts_with("mod "));
        if !is_module {
            from = found + 1;
            continue;
        }
        let mut depth = 0usize;
        let mut end = code.len();
        for (i, c) in after.char_indices().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = found + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let blanked: String = code[found..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        code.replace_range(found..end, &blanked);
        from = end;
    }
    code
}

/// Where the `r` of a raw string (`r"`, `r#"`, `br"`) starting at `i` is, if one starts there.
fn raw_string_r(chars: &[char], i: usize) -> Option<usize> {
    let ident_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let r = match chars.get(i)? {
        'r' => i,
        'b' if chars.get(i + 1) == Some(&'r') => i + 1,
        _ => return None,
    };
    let opens = matches!(chars.get(r + 1), Some('"' | '#'));
    (opens && !ident_before).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch crate of `files` (path below `src/`, contents).
    fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
        let root = std::env::temp_dir().join(format!("xtask-tidy-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join("geno-metrics/src").join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        root
    }

    #[test]
    fn the_runtime_has_no_import_cycle() {
        check_runtime_layers(&crate::workspace_root()).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_cycle_between_files_is_named_with_both_imports() {
        let root = scratch(
            "files",
            &[
                ("lib.rs", "mod a;\nmod b;\npub use a::A;\n"),
                ("a.rs", "use crate::b::B;\npub struct A;\n"),
                (
                    "b.rs",
                    "pub struct B;\nfn f() -> crate::A { crate::a::A }\n",
                ),
            ],
        );
        let error = check_runtime_layers(&root).unwrap_err();
        assert!(
            error.contains("files import each other in a cycle"),
            "{error}"
        );
        assert!(
            error.contains("a -> b (a.rs:1 uses `crate::b::B`)"),
            "{error}"
        );
        assert!(error.contains("b -> a (b.rs:2 uses `crate::A`)"), "{error}");
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_cycle_between_folders_is_found_through_re_exports() {
        let root = scratch(
            "folders",
            &[
                ("lib.rs", "mod low;\nmod high;\npub use high::High;\n"),
                (
                    "low/mod.rs",
                    "mod one;\nmod two;\npub(crate) use one::One;\npub use two::{Two, self as _};\n",
                ),
                ("low/one.rs", "pub struct One;\n"),
                ("low/two.rs", "use crate::High;\npub struct Two(High);\n"),
                ("high/mod.rs", "mod h;\npub use h::High;\n"),
                (
                    "high/h.rs",
                    "use crate::low::{One, Two};\npub struct High;\n",
                ),
            ],
        );
        let error = check_runtime_layers(&root).unwrap_err();
        assert!(
            error.contains("top-level modules import each other"),
            "{error}"
        );
        assert!(
            error.contains("low -> high (low/two.rs:1 uses `crate::High`)"),
            "{error}"
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn comments_strings_doc_links_and_tests_are_not_imports() {
        let root = scratch(
            "quiet",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "use crate::b::B;\npub struct A;\n"),
                (
                    "b.rs",
                    "//! See [`A`](crate::a::A).\n/* crate::a::A */\npub struct B;\nconst S: &str = \"crate::a::A\";\nconst R: &str = r#\"crate::a::A\"#;\nconst C: char = '\"';\nfn f<'a>(x: &'a str) -> &'a str { x }\n\n#[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n",
                ),
            ],
        );
        check_runtime_layers(&root).unwrap_or_else(|e| panic!("{e}"));
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn imports_and_re_exports_over_several_lines_count() {
        let root = scratch(
            "multiline",
            &[
                (
                    "lib.rs",
                    "mod a;\nmod b;\npub use a::{\n    A,\n};\npub use b::{\n    B,\n    C,\n};\n",
                ),
                ("a.rs", "use crate::{\n    C,\n};\npub struct A;\n"),
                (
                    "b.rs",
                    "use crate::a::{\n    A,\n};\npub struct B;\npub struct C;\n",
                ),
            ],
        );
        let error = check_runtime_layers(&root).unwrap_err();
        assert!(error.contains("a -> b (a.rs:1 uses `crate::C`)"), "{error}");
        assert!(
            error.contains("b -> a (b.rs:1 uses `crate::a::A`)"),
            "{error}"
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_module_mounted_with_a_path_attribute_is_known_by_its_name() {
        let root = scratch(
            "path_attribute",
            &[
                (
                    "lib.rs",
                    "mod a;\n#[doc(hidden)]\n#[path = \"private.rs\"]\npub mod __private;\n",
                ),
                ("private.rs", "pub use crate::a::A;\npub struct P;\n"),
                ("a.rs", "pub struct A(crate::__private::P);\n"),
            ],
        );
        let error = check_runtime_layers(&root).unwrap_err();
        assert!(error.contains("__private -> a"), "{error}");
        assert!(error.contains("a -> __private"), "{error}");
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn code_after_a_test_module_and_inside_an_inline_module_counts() {
        let root = scratch(
            "after_tests",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                ("a.rs", "use crate::b::B;\npub struct A;\n"),
                (
                    "b.rs",
                    "pub struct B;\n#[cfg(test)]\nmod tests {\n    fn f() {}\n}\nconst X: &[u8] = br\"a\\\";\nfn g() -> crate::a::A { crate::a::A }\n",
                ),
            ],
        );
        let error = check_runtime_layers(&root).unwrap_err();
        assert!(
            error.contains("b -> a (b.rs:7 uses `crate::a::A`)"),
            "{error}"
        );
        fs::remove_dir_all(root).unwrap();

        // `super::` inside an inline module is relative to that module.
        let root = scratch(
            "inline",
            &[
                ("lib.rs", "mod a;\nmod b;\n"),
                (
                    "a.rs",
                    "pub struct A;\nmod inner {\n    use super::super::b::B;\n}\n",
                ),
                ("b.rs", "pub struct B(crate::a::A);\n"),
            ],
        );
        let error = check_runtime_layers(&root).unwrap_err();
        assert!(
            error.contains("a -> b (a.rs:3 uses `crate::b::B`)"),
            "{error}"
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn use_trees_split_into_leaves() {
        assert_eq!(
            use_tree("crate::a::{b, c::{d, e as f}, self}"),
            [
                "crate::a::b",
                "crate::a::c::d",
                "crate::a::c::e as f",
                "crate::a"
            ]
        );
        let from: Module = vec!["kinds".into(), "gauge".into()];
        assert_eq!(
            paths_in("use super::atomic_f64;", &|_| from.clone(), false),
            [(4, vec!["kinds".to_owned(), "atomic_f64".to_owned()])]
        );
    }
}
