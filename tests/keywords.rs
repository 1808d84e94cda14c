//! Keeps the logos lexer in agreement with the pest grammar (and with
//! LANGUAGE.md): the same reserved words, and the same token boundaries.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::path::Path;

use pest::iterators::Pair;
use pest::Parser;
use trig::syntax::lexer::{self, TokenKind, KEYWORDS};
use trig::syntax::parser::grammar::{Rule, TrigParser};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn grammar() -> String {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/trig.pest"))
}

fn lexer_keywords() -> BTreeSet<String> {
    let set: BTreeSet<String> = KEYWORDS.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        set.len(),
        KEYWORDS.len(),
        "lexer::KEYWORDS lists a word twice"
    );
    set
}

/// Words in double quotes in `text`.
fn quoted_words(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The alternatives of `KEYWORD = @{ ( "a" | "b" | … ) ~ !name_char }`.
fn keyword_rule(grammar: &str) -> BTreeSet<String> {
    let start = grammar
        .find("\nKEYWORD")
        .expect("grammar has no KEYWORD rule");
    let body = &grammar[start..];
    let end = body
        .find("name_char")
        .expect("KEYWORD rule does not end with !name_char");
    quoted_words(&body[..end]).into_iter().collect()
}

/// The words of the `kw_NAME = @{ "NAME" ~ !name_char }` rules; each rule
/// name must spell its word.
fn kw_rules(grammar: &str) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    for line in grammar
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("kw_"))
    {
        let (name, body) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("odd kw_ rule: {line}"));
        let quoted = quoted_words(body);
        assert_eq!(quoted.len(), 1, "{line}: expected one quoted word");
        assert_eq!(
            name.trim(),
            format!("kw_{}", quoted[0]),
            "rule name and word differ: {line}"
        );
        words.insert(quoted[0].clone());
    }
    words
}

fn differences(what: &str, other: &BTreeSet<String>, lexer: &BTreeSet<String>) -> Option<String> {
    let missing: Vec<_> = lexer.difference(other).collect();
    let extra: Vec<_> = other.difference(lexer).collect();
    (!missing.is_empty() || !extra.is_empty())
        .then(|| format!("{what}: not in it but in lexer::KEYWORDS: {missing:?}; in it but not in lexer::KEYWORDS: {extra:?}"))
}

#[test]
fn grammar_keywords_match_the_lexer() {
    let g = grammar();
    let lexer = lexer_keywords();
    let problems: Vec<String> = [
        differences("grammar KEYWORD rule", &keyword_rule(&g), &lexer),
        differences("grammar kw_* rules", &kw_rules(&g), &lexer),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn repo_file(rel: &str) -> String {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
}

/// `const KEYWORDS = [ 'rule', 'when', … ];` of the tree-sitter grammar.
fn tree_sitter_keywords() -> BTreeSet<String> {
    let js = repo_file("editors/tree-sitter-trig/grammar.js");
    let start = js
        .find("const KEYWORDS = [")
        .expect("grammar.js has no `const KEYWORDS = [`");
    let list = &js[start..];
    let list = &list[..list.find(']').expect("KEYWORDS array not closed")];
    list.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The keywords of the TextMate grammar: the words of the `match`
/// alternations, `\\b(rule|when|…)\\b`, of its `repository.keywords`
/// patterns (one pattern a role: control, conditional, operator word, …).
fn textmate_keywords() -> BTreeSet<String> {
    let text = repo_file("editors/vscode/syntaxes/trig.tmLanguage.json");
    let grammar: serde_json::Value = serde_json::from_str(&text).expect("TextMate grammar is JSON");
    let patterns = grammar["repository"]["keywords"]["patterns"]
        .as_array()
        .expect("repository.keywords.patterns in the TextMate grammar");
    patterns
        .iter()
        .flat_map(|p| {
            let pattern = p["match"]
                .as_str()
                .expect("every repository.keywords pattern has a match");
            let inner = pattern
                .strip_prefix("\\b(")
                .and_then(|p| p.strip_suffix(")\\b"))
                .unwrap_or_else(|| panic!("keywords pattern is not \\b(…)\\b: {pattern}"));
            inner.split('|').map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

/// The words of the `syn keyword trigKeyword …` lines of the Vim syntax.
fn vim_keywords() -> BTreeSet<String> {
    repo_file("editors/vim/syntax/trig.vim")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("syn keyword trigKeyword "))
        .flat_map(str::split_whitespace)
        .filter(|w| !w.contains('='))
        .map(str::to_string)
        .collect()
}

#[test]
fn editor_grammars_keep_the_lexer_keywords() {
    let lexer = lexer_keywords();
    let problems: Vec<String> = [
        differences(
            "tree-sitter grammar.js KEYWORDS",
            &tree_sitter_keywords(),
            &lexer,
        ),
        differences("TextMate repository.keywords", &textmate_keywords(), &lexer),
        differences("Vim `syn keyword trigKeyword`", &vim_keywords(), &lexer),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn language_md() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/LANGUAGE.md");
    if path.exists() {
        Some(read(&path))
    } else {
        eprintln!(
            "SKIPPED: ../shared not found; LANGUAGE.md keyword list and examples not checked"
        );
        None
    }
}

/// The longest code span of the "Keywords are reserved" paragraph: the list.
fn language_md_keywords(doc: &str) -> BTreeSet<String> {
    let start = doc
        .find("Keywords are reserved")
        .expect("LANGUAGE.md has no \"Keywords are reserved\" paragraph");
    let para = &doc[start..];
    let para = &para[..para.find("\n- ").unwrap_or(para.len())];
    let list = para
        .split('`')
        .skip(1)
        .step_by(2)
        .max_by_key(|s| s.len())
        .expect("no code span in the paragraph");
    list.split_whitespace().map(str::to_string).collect()
}

#[test]
fn language_md_keywords_match_the_lexer() {
    let Some(doc) = language_md() else { return };
    if let Some(d) = differences(
        "LANGUAGE.md keyword list",
        &language_md_keywords(&doc),
        &lexer_keywords(),
    ) {
        panic!("{d}");
    }
}

/// Samples from LANGUAGE.md, plus forms whose tokens are easy to get wrong.
const SAMPLES: &[&str] = &[
    "when cart.abandoned for 2h and not purchased then send whatsapp template \"cart_reminder\"",
    full_form!(),
    r#"when first order.completed as o where o.total > 100 then send email template "vip""#,
    r#"when product.viewed where event.price >= 10.5 3 times within 1h30m then send sms "x" key event.product_id"#,
    r#"when a as x followed by b as y where y.id == x.id within 2d then send sms "x""#,
    r#"when inactive for 4w then send email template "winback" once"#,
    r#"when (form.submitted or "Order Completed") where event.first == event.key then send sms "x""#,
    r#"when a and not b where event.x > 1 within 7d then send sms "{customer.name ?? "there"} {{x}}""#,
    r#"when a where x.n * -2 / 3 + 1 - 4 < 1 or not (x.s contains "z") and x.t not in ["a", "b",] then send sms "x""#,
    r#"when a if customer.name starts with "A" unless customer.b != null then send sms "\"\\\n\t\u{1F600}""#,
    r#"when a then send whatsapp template "t" lang "en_US" with (key: 1, name: customer.first_name, header: "u")"#,
    r#"when a then send sms "x" fallback viber "y" limit 2 per 1d priority -3 quiet 22:30-07:00 in customer.tz"#,
    r#"when a then send sms "x" goal order.completed where event.total > 0 within 7d holdout 12.5% tag promo"#,
    "# comment\nwhen a # and another\n then send sms \"x\" # last",
];

/// Grammar rules that produce one token in the lexer (or, for names joined
/// by dots, a run of tokens): where they start and end, a token must too.
fn is_atom(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::ident
            | Rule::member
            | Rule::dotted_name
            | Rule::duration
            | Rule::number
            | Rule::int
            | Rule::string
            | Rule::text
            | Rule::clock
            | Rule::percent
    )
}

fn is_literal_token(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Word(_)
            | TokenKind::Number
            | TokenKind::Duration
            | TokenKind::Clock
            | TokenKind::Percent
            | TokenKind::Str(_)
    )
}

struct Atoms {
    /// (rule, start, end) of each atom outside message texts.
    spans: Vec<(Rule, usize, usize)>,
    /// Starts of keyword pairs (`kw_*`).
    keyword_starts: BTreeSet<usize>,
}

fn collect_atoms(pair: Pair<'_, Rule>, inside_text: bool, out: &mut Atoms) {
    let (rule, span) = (pair.as_rule(), pair.as_span());
    if !inside_text && is_atom(rule) {
        out.spans.push((rule, span.start(), span.end()));
    }
    if format!("{rule:?}").starts_with("kw_") {
        out.keyword_starts.insert(span.start());
    }
    // Inside a text the lexer sees one string token, so nested atoms have no
    // token of their own.
    let inside_text = inside_text || rule == Rule::text;
    for inner in pair.into_inner() {
        collect_atoms(inner, inside_text, out);
    }
}

fn token_agreement(src: &str) -> Vec<String> {
    let pairs = TrigParser::parse(Rule::file, src)
        .unwrap_or_else(|e| panic!("sample does not parse:\n{src}\n{e}"));
    let mut atoms = Atoms {
        spans: Vec::new(),
        keyword_starts: BTreeSet::new(),
    };
    for pair in pairs {
        collect_atoms(pair, false, &mut atoms);
    }
    assert!(!atoms.spans.is_empty(), "no grammar atom found in:\n{src}");
    let tokens = lexer::tokenize(src);
    let starts: BTreeSet<usize> = tokens.iter().map(|t| t.span.start).collect();
    let ends: BTreeSet<usize> = tokens.iter().map(|t| t.span.end).collect();
    let mut problems = Vec::new();
    for &(rule, s, e) in &atoms.spans {
        if !starts.contains(&s) || !ends.contains(&e) {
            problems.push(format!(
                "grammar {rule:?} `{}` at {s}..{e} is not whole lexer tokens",
                &src[s..e]
            ));
        }
    }
    for t in tokens.iter().filter(|t| is_literal_token(t.kind)) {
        let (s, e) = (t.span.start, t.span.end);
        let covered = atoms.keyword_starts.contains(&s)
            || atoms.spans.iter().any(|&(_, a, b)| a <= s && e <= b);
        if !covered {
            problems.push(format!(
                "lexer {:?} `{}` at {s}..{e} is no grammar atom or keyword",
                t.kind,
                &src[s..e]
            ));
        }
    }
    problems
}

/// The ```trig blocks of LANGUAGE.md.
fn language_md_examples(doc: &str) -> Vec<String> {
    doc.split("```trig\n")
        .skip(1)
        .filter_map(|b| b.split_once("```").map(|(code, _)| code.to_string()))
        .collect()
}

#[test]
fn lexer_tokens_match_grammar_atoms() {
    let mut samples: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    if let Some(doc) = language_md() {
        let examples = language_md_examples(&doc);
        assert!(!examples.is_empty(), "LANGUAGE.md has no ```trig example");
        samples.extend(examples);
    }
    let mut problems = Vec::new();
    for src in &samples {
        for p in token_agreement(src) {
            problems.push(format!("{p}\n  in: {}", src.lines().next().unwrap_or("")));
        }
    }
    assert!(
        problems.is_empty(),
        "lexer and grammar disagree:\n{}",
        problems.join("\n")
    );
}
