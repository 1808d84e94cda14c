//! The tree-sitter grammar (editors/tree-sitter-trig) and the Helix support
//! (editors/helix) stay in step with the language.
//!
//! Always checked: Helix's languages.toml agrees with the grammar's
//! tree-sitter.json and names a language server `trig` has, the Helix
//! queries are copies of the grammar's, and the highlights name every
//! keyword. With the tree-sitter CLI installed (`cargo install --locked
//! tree-sitter-cli`), also: the grammar's own tests, the committed parser
//! against grammar.js, every query against the grammar, and every `.trig`
//! file of the repository, parsed by tree-sitter and by the pest grammar.
//! Without the CLI those tests print `SKIPPED: …` and pass, unless
//! `TRIG_REQUIRE_EDITOR_TESTS=1` (for machines that must run them, such as
//! CI once it installs the CLI) makes them fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pest::iterators::Pair;
use pest::Parser;
use trig::syntax::lexer::KEYWORDS;
use trig::syntax::parser::grammar::{Rule, TrigParser};

#[path = "support/editor_tools.rs"]
mod editor_tools;

use editor_tools::root;

fn grammar_dir() -> PathBuf {
    root().join("editors/tree-sitter-trig")
}

fn helix_dir() -> PathBuf {
    root().join("editors/helix")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The `*.scm` files of a folder, by file name.
fn query_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".scm"))
        .collect()
}

// ------------------------------------------------------------ always

/// The one grammar of tree-sitter.json.
fn tree_sitter_json_grammar() -> serde_json::Value {
    let config = json(&grammar_dir().join("tree-sitter.json"));
    let grammars = config["grammars"]
        .as_array()
        .expect("tree-sitter.json: no grammars array");
    assert_eq!(grammars.len(), 1, "tree-sitter.json: expected one grammar");
    grammars[0].clone()
}

fn helix_languages() -> toml::Table {
    let path = helix_dir().join("languages.toml");
    read(&path)
        .parse()
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// The entry named `name` of the array of tables `key`.
fn named_entry<'a>(table: &'a toml::Table, key: &str, name: &str) -> &'a toml::Table {
    let entries = table
        .get(key)
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("languages.toml has no [[{key}]]"));
    let found: Vec<_> = entries
        .iter()
        .filter_map(toml::Value::as_table)
        .filter(|t| t.get("name").and_then(toml::Value::as_str) == Some(name))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "languages.toml: expected one [[{key}]] named {name}"
    );
    found[0]
}

fn strings(value: Option<&toml::Value>, what: &str) -> Vec<String> {
    value
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("languages.toml: {what} is not an array"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("languages.toml: {what} holds a non-string"))
                .to_string()
        })
        .collect()
}

#[test]
fn helix_language_matches_the_grammar() {
    let languages = helix_languages();
    let language = named_entry(&languages, "language", "trig");
    let grammar = tree_sitter_json_grammar();
    assert_eq!(
        language.get("scope").and_then(toml::Value::as_str),
        grammar["scope"].as_str(),
        "scope differs between languages.toml and tree-sitter.json"
    );
    let file_types = strings(language.get("file-types"), "file-types");
    let grammar_file_types: Vec<String> =
        serde_json::from_value(grammar["file-types"].clone()).expect("file-types");
    assert_eq!(
        file_types, grammar_file_types,
        "file-types differ between languages.toml and tree-sitter.json"
    );
    // LANGUAGE.md: comments run from `#` to the end of the line.
    assert_eq!(
        language.get("comment-token").and_then(toml::Value::as_str),
        Some("#")
    );

    // Helix finds the grammar by the language's name unless told otherwise,
    // and builds it from src/ under the source path (relative to the
    // repository root, where the README says to run `hx --grammar build`).
    assert!(
        language.get("grammar").is_none(),
        "the [[grammar]] is named after the language"
    );
    let source = named_entry(&languages, "grammar", "trig")
        .get("source")
        .and_then(toml::Value::as_table)
        .expect("[[grammar]] trig has no source table");
    let path = source
        .get("path")
        .and_then(toml::Value::as_str)
        .expect("[[grammar]] trig: source.path");
    assert_eq!(
        root().join(path).canonicalize().ok(),
        grammar_dir().canonicalize().ok(),
        "[[grammar]] trig: source.path is not editors/tree-sitter-trig"
    );
    assert!(root().join(path).join("src/parser.c").is_file());
}

#[test]
fn helix_language_server_is_trig_lsp() {
    let languages = helix_languages();
    let servers = strings(
        named_entry(&languages, "language", "trig").get("language-servers"),
        "language-servers",
    );
    assert_eq!(servers, ["trig-lsp"]);
    let server = languages
        .get("language-server")
        .and_then(|s| s.get("trig-lsp"))
        .and_then(toml::Value::as_table)
        .expect("languages.toml has no [language-server.trig-lsp]");
    assert_eq!(
        server.get("command").and_then(toml::Value::as_str),
        Some("trig")
    );
    let args = strings(server.get("args"), "language-server.trig-lsp.args");
    assert_eq!(args, ["lsp"]);

    // The command Helix will start exists: `trig lsp --help` succeeds.
    let out = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(&args)
        .arg("--help")
        .output()
        .expect("run trig");
    assert!(
        out.status.success(),
        "`trig {} --help` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Helix reads queries from runtime/queries/trig/, the grammar keeps them in
/// queries/: the Helix ones are copies, so that installing either works.
#[test]
fn helix_queries_are_copies_of_the_grammar_queries() {
    let ours = grammar_dir().join("queries");
    let helix = helix_dir().join("queries/trig");
    let names = query_files(&ours);
    assert!(
        names.contains("highlights.scm"),
        "{} has no highlights.scm",
        ours.display()
    );
    assert_eq!(
        names,
        query_files(&helix),
        "{} and {} hold different query files",
        ours.display(),
        helix.display()
    );
    for name in &names {
        assert!(
            read(&ours.join(name)) == read(&helix.join(name)),
            "{name} differs between {} and {}: copy the grammar's over the Helix one",
            ours.display(),
            helix.display()
        );
    }
}

/// The query files tree-sitter.json names exist.
#[test]
fn tree_sitter_json_names_existing_queries() {
    let grammar = tree_sitter_json_grammar();
    let mut named = 0;
    for key in ["highlights", "locals", "injections", "tags"] {
        let paths = match &grammar[key] {
            serde_json::Value::Null => continue,
            serde_json::Value::String(p) => vec![p.clone()],
            other => serde_json::from_value(other.clone())
                .unwrap_or_else(|_| panic!("tree-sitter.json: {key} is not a path or paths")),
        };
        for p in paths {
            assert!(
                grammar_dir().join(&p).is_file(),
                "tree-sitter.json: {key} names {p}, which does not exist"
            );
            named += 1;
        }
    }
    assert!(named > 0, "tree-sitter.json names no query at all");
}

/// Every reserved word gets a highlight: as a token (`"when"`) or, for the
/// words the grammar turns into nodes of their own, as that node.
#[test]
fn highlights_name_every_keyword() {
    const AS_NODES: &[(&str, &str)] = &[
        ("once", "(once_option)"),
        ("true", "(true)"),
        ("false", "(false)"),
        ("null", "(null)"),
    ];
    let highlights = read(&grammar_dir().join("queries/highlights.scm"));
    let missing: Vec<&str> = KEYWORDS
        .iter()
        .copied()
        .filter(|k| {
            let pattern = AS_NODES
                .iter()
                .find(|(word, _)| word == k)
                .map_or_else(|| format!("\"{k}\""), |(_, node)| node.to_string());
            !highlights.contains(&pattern)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "queries/highlights.scm does not highlight the keywords {missing:?}"
    );
}

// ------------------------------------------------------------ with the CLI

/// The tree-sitter CLI, run with its cache (the compiled parser) and
/// configuration under target/, so that the tests neither need nor touch
/// the user's.
struct TreeSitter {
    exe: PathBuf,
    home: PathBuf,
}

impl TreeSitter {
    fn find() -> Option<TreeSitter> {
        let in_cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .map(|c| c.join("bin/tree-sitter"));
        let candidates: Vec<PathBuf> = std::iter::once(PathBuf::from("tree-sitter"))
            .chain(in_cargo_home)
            .collect();
        let exe = editor_tools::find(
            "the tree-sitter CLI",
            "cargo install --locked tree-sitter-cli --version 0.27.1",
            &candidates,
        )?;
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tree-sitter");
        Some(TreeSitter { exe, home })
    }

    /// Runs `tree-sitter ARGS` in `dir` (where it looks for tree-sitter.json).
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(&self.exe)
            .args(args)
            .current_dir(dir)
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.exe.display()))
    }

    /// Like [`TreeSitter::run`], and fails the test unless it succeeds.
    fn run_ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.run(dir, args);
        editor_tools::assert_success(&format!("tree-sitter {}", args.join(" ")), &out)
    }
}

#[test]
fn tree_sitter_tests_pass() {
    let Some(ts) = TreeSitter::find() else { return };
    // Corpus (parse trees, error recovery included) and highlight
    // assertions under test/.
    let out = ts.run_ok(&grammar_dir(), &["test"]);
    assert!(
        out.contains("rules.trig"),
        "`tree-sitter test` did not run test/highlight/rules.trig:\n{out}"
    );
}

/// The tree-sitter CLI release that generated the committed parser; another
/// release may write a different (equally good) parser.c.
const GENERATED_WITH: &str = "0.27.1";

/// The committed src/ is what grammar.js generates: nobody edited one and
/// forgot the other. Generation runs in a copy, with the CLI's built-in
/// JavaScript runtime, so Node.js is not needed.
#[test]
fn committed_parser_is_generated_from_grammar_js() {
    let Some(ts) = TreeSitter::find() else { return };
    let copy = ts.home.join(format!("generate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).expect("create a temporary folder");
    for file in ["grammar.js", "tree-sitter.json"] {
        std::fs::copy(grammar_dir().join(file), copy.join(file))
            .unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
    ts.run_ok(&copy, &["generate", "--js-runtime", "native"]);
    let stale: Vec<&str> = [
        "parser.c",
        "grammar.json",
        "node-types.json",
        "tree_sitter/parser.h",
        "tree_sitter/alloc.h",
        "tree_sitter/array.h",
    ]
    .into_iter()
    .filter(|f| {
        std::fs::read(copy.join("src").join(f)).ok()
            != std::fs::read(grammar_dir().join("src").join(f)).ok()
    })
    .collect();
    let _ = std::fs::remove_dir_all(&copy);
    let version = ts.run_ok(root(), &["--version"]);
    let version = version.split_whitespace().nth(1).unwrap_or("?");
    assert!(
        stale.is_empty(),
        "editors/tree-sitter-trig/src is not what grammar.js generates ({stale:?} differ): \
         run `tree-sitter generate` there and commit the result{}",
        if version == GENERATED_WITH {
            String::new()
        } else {
            format!(
                ". Or install tree-sitter-cli {GENERATED_WITH}, which generated the committed \
                 parser (this is {version}), or regenerate with {version} and update \
                 GENERATED_WITH"
            )
        }
    );
}

/// Each query compiles against the grammar: a node or field that does not
/// exist is an error for tree-sitter, and Helix drops the whole file.
#[test]
fn queries_are_valid_for_the_grammar() {
    let Some(ts) = TreeSitter::find() else { return };
    let sample = root().join("editors/testdata/constructs.trig");
    let sample = sample.to_str().expect("UTF-8 path");
    for name in query_files(&grammar_dir().join("queries")) {
        let query = format!("queries/{name}");
        let out = ts.run_ok(&grammar_dir(), &["query", &query, sample]);
        assert!(
            out.contains("capture:"),
            "{query} captures nothing in {sample}"
        );
    }
}

/// The `.trig` files under `dir`, build output and hidden folders aside.
fn trig_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                trig_files(&path, out);
            }
        } else if name.ends_with(".trig") {
            out.push(path);
        }
    }
}

/// What the pest grammar makes of a file.
#[derive(Debug, PartialEq)]
enum Pest {
    Accepts,
    /// It parses, but with a lone brace in a message text: pest accepts one
    /// so that the AST builder can say how to double it; tree-sitter has no
    /// such rule and marks the brace as an error itself.
    AcceptsLoneBrace,
    Rejects,
}

fn has_lone_brace(pair: Pair<'_, Rule>) -> bool {
    pair.as_rule() == Rule::lone_brace || pair.into_inner().any(has_lone_brace)
}

fn pest(src: &str) -> Pest {
    match TrigParser::parse(Rule::file, src) {
        Ok(pairs) if pairs.clone().any(has_lone_brace) => Pest::AcceptsLoneBrace,
        Ok(_) => Pest::Accepts,
        Err(_) => Pest::Rejects,
    }
}

/// Writes `src` with CRLF line ends and with a byte order mark, which the
/// repository's files do not have, so that both get parsed.
fn encoding_variants(src: &Path, dir: &Path) -> Vec<PathBuf> {
    let text = read(src);
    let crlf = dir.join("crlf.trig");
    let bom = dir.join("bom.trig");
    std::fs::write(&crlf, text.replace('\n', "\r\n")).expect("write crlf.trig");
    std::fs::write(&bom, format!("\u{FEFF}{text}")).expect("write bom.trig");
    vec![crlf, bom]
}

/// Every file the pest grammar parses, tree-sitter parses without an ERROR
/// or MISSING node, and every file pest rejects, tree-sitter rejects too:
/// over the examples, the editor test data, the diagnostics fixtures and
/// the fuzz seeds, that is a differential test of the two grammars.
#[test]
fn tree_sitter_and_pest_agree_on_every_trig_file() {
    let Some(ts) = TreeSitter::find() else { return };
    let mut files = Vec::new();
    trig_files(root(), &mut files);
    // Files are UTF-8 (LANGUAGE.md); a fixture that is not tests the
    // decoder, which comes before either grammar.
    files.retain(|f| std::fs::read_to_string(f).is_ok());
    files.sort();
    for must_exist in [
        "examples/cart_abandonment.trig",
        "editors/testdata/constructs.trig",
    ] {
        assert!(
            files.contains(&root().join(must_exist)),
            "{must_exist} not found"
        );
    }
    let variants = ts.home.join(format!("variants-{}", std::process::id()));
    std::fs::create_dir_all(&variants).expect("create a temporary folder");
    files.extend(encoding_variants(
        &root().join("editors/testdata/constructs.trig"),
        &variants,
    ));

    let list = variants.join("paths.txt");
    let listed: Vec<&str> = files
        .iter()
        .map(|p| p.to_str().expect("UTF-8 path"))
        .collect();
    std::fs::write(&list, listed.join("\n")).expect("write the path list");
    let list = list.to_str().expect("UTF-8 path");
    // The exit status is not 0 when some file has errors; the summary says
    // which.
    let out = ts.run(
        &grammar_dir(),
        &["parse", "--quiet", "--json-summary", "--paths", list],
    );
    // Files with errors get a line each before the JSON summary.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json_start = stdout.find("\n{\n").map_or(0, |i| i + 1);
    let summary: serde_json::Value =
        serde_json::from_str(&stdout[json_start..]).unwrap_or_else(|e| {
            panic!(
                "`tree-sitter parse --json-summary` printed no JSON ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let results = summary["parse_summaries"]
        .as_array()
        .expect("parse_summaries");
    assert_eq!(
        results.len(),
        files.len(),
        "tree-sitter parsed another number of files than given"
    );

    let mut problems = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (path, result) in files.iter().zip(results) {
        let name = path.strip_prefix(root()).unwrap_or(path).display();
        let tree_sitter_ok = result["successful"].as_bool().expect("successful");
        let pest = pest(&read(path));
        accepted += usize::from(pest == Pest::Accepts);
        rejected += usize::from(pest != Pest::Accepts);
        let problem = match (pest, tree_sitter_ok) {
            (Pest::Accepts, false) => "pest parses it, tree-sitter finds an error",
            (Pest::Rejects, true) => "pest rejects it, tree-sitter parses it without an error",
            (Pest::AcceptsLoneBrace, true) => {
                "it has a lone brace in a message text, which tree-sitter does not mark as an error"
            }
            _ => continue,
        };
        problems.push(format!("{name}: {problem}"));
    }
    let _ = std::fs::remove_dir_all(&variants);
    eprintln!("{accepted} file(s) pest accepts, {rejected} it rejects");
    // The examples alone are more than this; fewer means the walk broke.
    assert!(
        accepted >= 8,
        "only {accepted} file(s) that pest accepts were found"
    );
    assert!(
        problems.is_empty(),
        "tree-sitter and pest disagree (`tree-sitter parse FILE` in editors/tree-sitter-trig \
         shows the tree):\n{}",
        problems.join("\n")
    );
}
