//! The floors of `src/`: each top-level module names only modules on the floors below it, so the
//! capabilities never tie themselves into one import circle again (README "Layout" draws them).
//! Read from the source text: `crate::x` paths and `use crate::{x, y::..}` groups, unit tests left
//! out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Bottom first: a module may name only modules listed before it. A new top-level module takes
/// its place here.
const FLOORS: &[&str] = &[
    "config",
    "telemetry",
    "db",
    "cache",
    "domain",
    "app",
    "session",
    "web",
    "ops",
    "activity",
    "auth",
    "accounts",
    "catalog",
    "controls",
    "seed",
    "timetable",
    "waiting_room",
    "registration",
    "admin",
    "openapi",
    "startup",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a file names through `crate::`, its `#[cfg(test)]` part left out.
fn named_modules(source: &str) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            names.insert(ident(rest).to_string());
            continue;
        };
        // The first segment of each item of the group, nested groups skipped.
        let (mut depth, mut item_starts) = (0, true);
        for (j, ch) in group.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_starts = true,
                c if item_starts && (c.is_alphanumeric() || c == '_') => {
                    names.insert(ident(&group[j..]).to_string());
                    item_starts = false;
                }
                _ => {}
            }
        }
    }
    names
}

/// `(file, its top-level module)` for every file of `src/` but the binaries and the crate roots.
fn modules_of(src: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(src).expect("under src/").to_path_buf();
            let top = rel.components().next()?.as_os_str().to_string_lossy();
            let top = top.trim_end_matches(".rs").to_string();
            (!matches!(top.as_str(), "bin" | "lib" | "main")).then_some((rel, top))
        })
        .collect()
}

#[test]
fn every_module_names_only_modules_on_lower_floors() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let floor = |m: &str| FLOORS.iter().position(|f| *f == m);
    let mut unplaced = BTreeSet::new();
    let mut upward = Vec::new();
    for (rel, top) in modules_of(&src) {
        let Some(own) = floor(&top) else {
            unplaced.insert(top);
            continue;
        };
        let source = std::fs::read_to_string(src.join(&rel)).expect("a source file");
        for name in named_modules(&source) {
            match floor(&name) {
                Some(theirs) if theirs > own => {
                    upward.push(format!("{} names {name}", rel.display()))
                }
                _ => {}
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "top-level modules without a floor: {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "imports from a lower floor up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_reader_sees_paths_and_groups_alike() {
    let names = named_modules(
        "use crate::web::{AppError, Lang};\nuse crate::{app::AppState, db, registration::{rules, api}};\n\
         fn f() { crate::admin::x(); }\n#[cfg(test)]\nmod tests { use crate::startup::Application; }",
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["admin", "app", "db", "registration", "web"]);
}
