//! ARCHITECTURE.md is kept true by this test: every path it writes in
//! backticks must exist, and the library must stay pure (no file system,
//! environment, network, processes or wall clock outside the command line).

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The inline code spans of a Markdown text, fenced blocks left out.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Whether a code span names a path in the repository: it has a `/` or a
/// file extension of ours, and no spaces (which would make it a command).
/// URLs and paths outside the repository (`../…`) are not ours to check.
fn looks_like_repo_path(span: &str) -> bool {
    let has_shape = span.contains('/')
        || [".rs", ".pest", ".md", ".toml"]
            .iter()
            .any(|ext| span.ends_with(ext));
    has_shape
        && !span.is_empty()
        && !span.contains(char::is_whitespace)
        && !span.contains("://")
        && !span.starts_with("..")
        && !span.starts_with('/')
}

/// `src/syntax/{lexer,parser}.rs` → both paths.
fn expand_braces(path: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (path.find('{'), path.find('}')) else {
        return vec![path.to_string()];
    };
    if close < open {
        return vec![path.to_string()];
    }
    let (head, tail) = (&path[..open], &path[close + 1..]);
    path[open + 1..close]
        .split(',')
        .flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}")))
        .collect()
}

/// A path, or a `dir/*` / `dir/*.ext` pattern that must match something.
fn exists(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    match path.rsplit_once("/*") {
        Some((dir, ext)) => std::fs::read_dir(root().join(dir)).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(ext))
        }),
        None => root().join(path).exists(),
    }
}

#[test]
fn every_path_in_architecture_md_exists() {
    let text = read(&root().join("ARCHITECTURE.md"));
    let paths: Vec<String> = code_spans(&text)
        .iter()
        .filter(|s| looks_like_repo_path(s))
        .flat_map(|s| expand_braces(s))
        .collect();
    assert!(
        paths.len() >= 20,
        "found only {} paths in ARCHITECTURE.md; is the backtick scan broken? {paths:?}",
        paths.len()
    );
    let missing: Vec<&String> = paths.iter().filter(|p| !exists(p)).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist (update the page or the code): {missing:?}"
    );
}

#[test]
fn path_scan_understands_the_forms_it_claims() {
    assert_eq!(
        code_spans("a `x/y.rs` b\n```\n`not/this.rs`\n```\n`README.md`"),
        vec!["x/y.rs", "README.md"]
    );
    assert!(looks_like_repo_path("src/check/"));
    assert!(looks_like_repo_path("Cargo.toml"));
    assert!(!looks_like_repo_path("trig check --config x/trig.toml"));
    assert!(!looks_like_repo_path("https://example.com/a.md"));
    assert!(!looks_like_repo_path("ir::Program"));
    assert_eq!(
        expand_braces("src/{a,b}/{c,d}.rs"),
        vec!["src/a/c.rs", "src/a/d.rs", "src/b/c.rs", "src/b/d.rs"]
    );
    assert!(exists("src/check/*.rs"));
    assert!(!exists("src/check/*.nope"));
}

/// Rust files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_library_is_pure() {
    const FORBIDDEN: &[&str] = &[
        "std::fs",
        "std::env",
        "std::net",
        "std::process",
        "std::io::stdin",
        "std::io::stdout",
        "std::io::stderr",
        "SystemTime",
        "Instant::now",
        "Utc::now",
        "Local::now",
        "println!",
        "eprintln!",
    ];
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let io_allowed = |p: &Path| {
        let rel = p.strip_prefix(root()).unwrap_or(p);
        rel == Path::new("src/main.rs") || rel.starts_with("src/cli")
    };
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !io_allowed(f)) {
        for (n, line) in read(file).lines().enumerate() {
            let code = line.trim_start();
            // Unit tests may read fixtures and print; they sit at the end.
            if code.starts_with("#[cfg(test)]") {
                break;
            }
            if code.starts_with("//") {
                continue;
            }
            for word in FORBIDDEN.iter().filter(|w| code.contains(*w)) {
                found.push(format!("{}:{}: {word}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the library must not do I/O or read the clock (ARCHITECTURE.md, Invariants); \
         move this into src/cli/ and pass text or times in:\n{}",
        found.join("\n")
    );
}
