//! The VS Code extension (editors/vscode). VS Code itself cannot be
//! launched here, so:
//!
//! - always: its manifest is valid and every file it names exists and
//!   parses, and the server it starts is a `trig` command that exists;
//! - with Node.js and the extension's dev dependencies installed
//!   (`npm ci --prefix editors/vscode`): the TextMate grammar, tokenized by
//!   the engine VS Code uses (vscode-textmate + vscode-oniguruma), gives
//!   every kind of token its scope, on every example file and on broken
//!   input (`editors/vscode/test/`, run with `node --test`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[path = "support/editor_tools.rs"]
mod editor_tools;

use editor_tools::root;

fn extension_dir() -> PathBuf {
    root().join("editors/vscode")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn manifest() -> Value {
    json(&extension_dir().join("package.json"))
}

/// A file the manifest names, relative to the extension folder.
fn named_file(what: &str, rel: &Value) -> PathBuf {
    let rel = rel
        .as_str()
        .unwrap_or_else(|| panic!("package.json: {what} is not a path"));
    let path = extension_dir().join(rel);
    assert!(
        path.is_file(),
        "package.json: {what} names {rel}, which does not exist"
    );
    path
}

/// The one entry of `contributes.KEY` for the language `trig`.
fn contribution(manifest: &Value, key: &str) -> Value {
    let entries = manifest["contributes"][key]
        .as_array()
        .unwrap_or_else(|| panic!("package.json: contributes.{key} is not an array"));
    let ours: Vec<&Value> = entries
        .iter()
        .filter(|e| e["id"] == "trig" || e["language"] == "trig")
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "package.json: one contributes.{key} for trig"
    );
    ours[0].clone()
}

#[test]
fn manifest_names_the_language_and_its_files() {
    let manifest = manifest();
    for field in ["name", "version", "publisher", "displayName"] {
        assert!(
            manifest[field].as_str().is_some_and(|s| !s.is_empty()),
            "package.json: {field} missing"
        );
    }
    assert!(
        manifest["engines"]["vscode"].is_string(),
        "package.json: engines.vscode missing"
    );
    named_file("main", &manifest["main"]);

    let language = contribution(&manifest, "languages");
    let extensions = language["extensions"].as_array().expect("extensions");
    assert!(extensions.contains(&Value::from(".trig")));
    let config = json(&named_file("configuration", &language["configuration"]));
    assert_eq!(
        config["comments"]["lineComment"], "#",
        "LANGUAGE.md: comments run from # to the end of the line"
    );

    let grammar = contribution(&manifest, "grammars");
    let tm = json(&named_file("grammars.path", &grammar["path"]));
    assert_eq!(grammar["scopeName"], "source.trig");
    assert_eq!(
        tm["scopeName"], grammar["scopeName"],
        "the TextMate grammar's scopeName differs from package.json"
    );
}

#[test]
fn snippets_have_prefixes_and_bodies() {
    let manifest = manifest();
    let entry = contribution(&manifest, "snippets");
    let snippets = json(&named_file("snippets.path", &entry["path"]));
    let snippets = snippets.as_object().expect("snippets file is an object");
    // The four seed triggers of LANGUAGE.md and a cascade.
    let bodies: Vec<String> = snippets
        .iter()
        .map(|(name, s)| {
            assert!(s["prefix"].is_string(), "snippet {name}: no prefix");
            match &s["body"] {
                Value::String(b) => b.clone(),
                Value::Array(lines) => lines
                    .iter()
                    .map(|l| l.as_str().expect("body lines are strings"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => panic!("snippet {name}: body is neither a string nor lines"),
            }
        })
        .collect();
    for needle in [
        " for ",
        "first ",
        " times within ",
        "inactive for ",
        "fallback ",
    ] {
        assert!(
            bodies.iter().any(|b| b.contains(needle)),
            "no snippet contains `{needle}`"
        );
    }
}

/// The client starts `trig.server.path` (default `trig`) with `lsp`, and
/// that command exists.
#[test]
fn client_starts_trig_lsp() {
    let manifest = manifest();
    let settings = &manifest["contributes"]["configuration"]["properties"];
    assert_eq!(settings["trig.server.path"]["default"], "trig");
    let main = std::fs::read_to_string(named_file("main", &manifest["main"])).expect("main");
    assert!(
        main.contains("'lsp'") || main.contains("\"lsp\""),
        "the client does not pass `lsp` to the server"
    );
    assert!(
        manifest["dependencies"]["vscode-languageclient"].is_string(),
        "package.json: the client needs vscode-languageclient"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(["lsp", "--help"])
        .output()
        .expect("run trig");
    editor_tools::assert_success("trig lsp --help", &out);
}

#[test]
fn textmate_grammar_tests_pass() {
    let install = "npm ci --prefix editors/vscode";
    let Some(node) = editor_tools::find("Node.js", "apt-get install nodejs", &["node".into()])
    else {
        return;
    };
    if !extension_dir()
        .join("node_modules/vscode-textmate/package.json")
        .is_file()
    {
        editor_tools::missing("vscode-textmate", install);
        return;
    }
    let out = Command::new(node)
        .args(["--test", "editors/vscode/test/"])
        .current_dir(root())
        // test/server.test.js starts the server as the extension does.
        .env("TRIG_SERVER", env!("CARGO_BIN_EXE_trig"))
        .output()
        .expect("run node");
    let stdout = editor_tools::assert_success("node --test editors/vscode/test/", &out);
    // node's summary (`# tests N`, `# pass N`, …) in cargo's output.
    let lines: Vec<&str> = stdout.lines().collect();
    eprintln!("{}", lines[lines.len().saturating_sub(8)..].join("\n"));
}
