//! Bad input never panics, never overflows the stack, and every
//! diagnostic points inside the source, on character boundaries.

use std::process::Command;

use proptest::prelude::*;
use trig::diag::{Code, Diagnostic, FileId};
use trig::syntax::{ast::File, parse_file};

/// Parses on a thread with the default 2 MB test stack, so that deep
/// input that recurses once per level shows up as a crash here.
fn parse_on_small_stack(src: String) -> (File, Vec<Diagnostic>, String) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let (f, d) = parse_file(&src, FileId(0));
            assert_spans_ok(&src, &d);
            (f, d, src)
        })
        .unwrap()
        .join()
        .expect("the parser panicked or overflowed")
}

fn assert_spans_ok(src: &str, diags: &[Diagnostic]) {
    for d in diags {
        let spans = std::iter::once(d.span).chain(d.secondary.iter().map(|l| l.span));
        for s in spans {
            assert!(
                s.start <= s.end && s.end <= src.len(),
                "span {s:?} outside the source ({} bytes): {}",
                src.len(),
                d.message
            );
            assert!(
                src.is_char_boundary(s.start) && src.is_char_boundary(s.end),
                "span {s:?} not on char boundaries: {}",
                d.message
            );
        }
        assert!(!d.message.is_empty());
    }
}

fn codes(d: &[Diagnostic]) -> Vec<Code> {
    d.iter().map(|d| d.code).collect()
}

/// The only diagnostic, which must have this code.
fn only(d: &[Diagnostic], code: Code) -> &Diagnostic {
    assert_eq!(
        codes(d),
        [code],
        "{:#?}",
        d.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    &d[0]
}

#[test]
fn empty_and_comment_only() {
    for src in [
        "",
        " ",
        "\n\n",
        "\u{FEFF}",
        "# just a comment",
        "# a\n# b\r\n\t# c\n",
        "#",
    ] {
        let (f, d, _) = parse_on_small_stack(src.to_string());
        assert!(f.rules.is_empty() && d.is_empty(), "{src:?}: {d:?}");
    }
}

#[test]
fn a_rule_of_only_when() {
    for src in [
        "when",
        "when\n",
        "rule r:",
        "rule",
        "rule r: when",
        "when when when",
    ] {
        let (f, d, _) = parse_on_small_stack(src.to_string());
        assert!(f.rules.is_empty(), "{src:?}");
        assert!(!d.is_empty(), "{src:?}");
        assert!(
            d.iter().all(|d| d.code == Code::SyntaxError),
            "{src:?}: {d:?}"
        );
    }
}

#[test]
fn unterminated_string_at_eof() {
    for src in [
        "when a then send sms \"abc",
        "when a then send sms \"",
        "when \"",
        "when a if x.a == \"",
    ] {
        let (_, d, _) = parse_on_small_stack(src.to_string());
        let e = only(&d, Code::UnterminatedString);
        assert!(e.message.contains("closing quote"), "{}", e.message);
    }
}

/// A small deterministic generator: no new dependencies.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut r = XorShift(seed);
    (0..len).map(|_| r.next() as u8).collect()
}

#[test]
fn binary_garbage_made_valid_utf8() {
    for seed in 1..=40u64 {
        let bytes = garbage(
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            64 + (seed as usize * 97) % 4000,
        );
        let src = String::from_utf8_lossy(&bytes).into_owned();
        parse_on_small_stack(src);
    }
    // Garbage after a good rule, and a good rule after garbage.
    let junk = String::from_utf8_lossy(&garbage(7, 2000)).into_owned();
    let (f, _, _) = parse_on_small_stack(format!("when a then send sms \"x\"\n{junk}"));
    assert!(f.rules.len() <= 1);
    let (f, _, _) = parse_on_small_stack(format!(
        "{}\nwhen a then send sms \"x\"\n",
        junk.replace(['"', '\n'], "")
    ));
    assert!(f.rules.len() <= 1);
}

#[test]
fn control_characters_and_nul() {
    let src = "when a\0 then send sms \"x\u{7}\" \u{1b}[31m\u{0}".to_string();
    let (_, d, _) = parse_on_small_stack(src);
    assert!(!d.is_empty());
}

const MB: usize = 1 << 20;

#[test]
fn one_megabyte_string() {
    let src = format!(
        "when a where event.x == \"{}\" then send sms \"x\"",
        "a".repeat(MB)
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(f.rules.len(), 1);
    // The same line without its closing quote.
    let src = format!("when a where event.x == \"{}", "a".repeat(MB));
    let (_, d, _) = parse_on_small_stack(src);
    only(&d, Code::UnterminatedString);
    // and a megabyte of message text with interpolations
    let src = format!(
        "when a then send sms \"{}\"",
        "hi {x.a} {{ }} ".repeat(MB / 16)
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(f.rules.len(), 1);
}

#[test]
fn one_megabyte_of_additions() {
    let src = format!(
        "when a where event.x == 1{} then send sms \"x\"",
        "+1".repeat(MB / 2)
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(f.rules.is_empty());
    let e = only(&d, Code::NestingTooDeep);
    assert!(e.message.contains("levels deep"), "{}", e.message);
    // A bare line of them is one stray token report, not a crash.
    let (f, d, _) = parse_on_small_stack("1+".repeat(MB / 2) + "1");
    assert!(f.rules.is_empty() && !d.is_empty());
}

#[test]
fn one_megabyte_of_open_parentheses() {
    let (f, d, _) = parse_on_small_stack(format!("when a if {}", "(".repeat(MB)));
    assert!(f.rules.is_empty());
    only(&d, Code::NestingTooDeep);
    let (f, d, _) = parse_on_small_stack("(".repeat(MB));
    assert!(f.rules.is_empty() && !d.is_empty());
}

#[test]
fn ten_thousand_nested_parentheses() {
    let n = 10_000;
    let src = format!(
        "when a if {}x.a{} then send sms \"x\"",
        "(".repeat(n),
        ")".repeat(n)
    );
    let (f, d, src) = parse_on_small_stack(src);
    assert!(f.rules.is_empty());
    let e = only(&d, Code::NestingTooDeep);
    assert!(e.message.contains("nested more than"), "{}", e.message);
    assert_eq!(&src[e.span.start..e.span.end], "(");
    assert!(e.help.is_some());

    // Lists, and parentheses inside a message interpolation (one lexer token).
    let (_, d, _) = parse_on_small_stack(format!(
        "when a if x.a in {}1{} then send sms \"x\"",
        "[".repeat(n),
        "]".repeat(n)
    ));
    only(&d, Code::NestingTooDeep);
    let (_, d, src) = parse_on_small_stack(format!(
        "when a then send sms \"{{{}x.a{}}}\"",
        "(".repeat(n),
        ")".repeat(n)
    ));
    let e = only(&d, Code::NestingTooDeep);
    assert_eq!(&src[e.span.start..e.span.end], "(");
    // ... and in an unterminated text, which pest still tries to parse.
    let (_, d, _) = parse_on_small_stack(format!("when a then send sms \"{{{}", "(".repeat(n)));
    assert!(!d.is_empty());
}

#[test]
fn nesting_just_below_the_limit_parses() {
    let n = trig::syntax::parser::MAX_NESTING;
    let src = format!(
        "when a if {}x.a{} then send sms \"{{{}x.b{}}}\"",
        "(".repeat(n),
        ")".repeat(n),
        "(".repeat(n),
        ")".repeat(n)
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(f.rules.len(), 1);
    // Parentheses in the literal part of a text are just text.
    let src = format!("when a then send sms \"{} {{x.a}}\"", "(".repeat(100));
    let (f, d, _) = parse_on_small_stack(src);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(f.rules.len(), 1);
}

#[test]
fn a_hundred_thousand_nots() {
    let src = format!(
        "when a if {}customer.vip then send sms \"x\"",
        "not ".repeat(100_000)
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(f.rules.is_empty());
    let e = only(&d, Code::NestingTooDeep);
    assert!(e.message.contains("levels deep"), "{}", e.message);
    // Also inside a filter, where `and not` is special.
    let src = format!(
        "when a where {}event.x and not b then send sms \"x\"",
        "not ".repeat(100_000)
    );
    let (_, d, _) = parse_on_small_stack(src);
    only(&d, Code::NestingTooDeep);
}

#[test]
fn a_hundred_thousand_minuses() {
    let src = format!(
        "when a if {}x.a > 1 then send sms \"x\"",
        "- ".repeat(100_000)
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(f.rules.is_empty());
    only(&d, Code::NestingTooDeep);
    let src = format!(
        "when a if x.a > 1 then send sms \"{{{}x.a}}\"",
        "-".repeat(100_000)
    );
    let (_, d, _) = parse_on_small_stack(src);
    only(&d, Code::NestingTooDeep);
}

#[test]
fn long_chains_of_every_operator() {
    for op in ["or", "and", "??", "+", "-", "*", "/"] {
        let src = format!(
            "when a if x.a{} then send sms \"x\"",
            format!(" {op} x.a").repeat(5_000)
        );
        let (_, d, _) = parse_on_small_stack(src);
        only(&d, Code::NestingTooDeep);
    }
    let src = format!(
        "when a if x.a{} then send sms \"x\"",
        " < x.a".repeat(5_000)
    );
    let (_, d, _) = parse_on_small_stack(src);
    only(&d, Code::ChainedComparison);
    // Depth is counted across parentheses too: 30 levels of 20 operators.
    let inner = (0..30).fold("x.a".to_string(), |acc, _| {
        format!("({acc}{})", " + 1".repeat(20))
    });
    let (_, d, _) = parse_on_small_stack(format!("when a if {inner} > 1 then send sms \"x\""));
    only(&d, Code::NestingTooDeep);
    // A long but shallow expression is fine.
    let src = format!(
        "when a if x.a in [{}] then send sms \"x\"",
        vec!["1"; 100_000].join(", ")
    );
    let (f, d, _) = parse_on_small_stack(src);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(f.rules.len(), 1);
}

#[test]
fn many_rules() {
    let src = "when a then send sms \"x\"\n".repeat(20_000);
    let (f, d, _) = parse_on_small_stack(src);
    assert!(d.is_empty());
    assert_eq!(f.rules.len(), 20_000);
    let src = "when\n".repeat(20_000);
    let (f, d, _) = parse_on_small_stack(src);
    assert!(f.rules.is_empty());
    assert_eq!(d.len(), 20_000);
}

// ------------------------------------------------------------------ the binary

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("trig-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn trig_check(dir: &std::path::Path, file: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(["check", file, "--format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or_else(|| {
        panic!(
            "trig was killed by a signal: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn invalid_utf8_through_the_cli() {
    let dir = temp_dir("utf8");
    let mut bytes = b"when a then send sms \"caf".to_vec();
    bytes.extend([0xE9, b'"', b'\n', 0xFF, 0xFE, 0x80]);
    bytes.extend(garbage(99, 3000));
    std::fs::write(dir.join("bad.trig"), &bytes).unwrap();
    let (code, out, err) = trig_check(&dir, "bad.trig");
    assert_eq!(code, 1, "{out}\n{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let codes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"T0010"), "{codes:?}");
    assert_eq!(json[0]["file"], "bad.trig");
    // The human renderer copes as well.
    let out = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(["check", "bad.trig"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("T0010"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deep_and_huge_files_through_the_cli() {
    let dir = temp_dir("deep");
    let files = [
        (
            "parens.trig",
            format!(
                "when a if {}x.a{} then send sms \"x\"",
                "(".repeat(10_000),
                ")".repeat(10_000)
            ),
        ),
        (
            "nots.trig",
            format!(
                "when a if {}customer.vip then send sms \"x\"",
                "not ".repeat(100_000)
            ),
        ),
        (
            "plus.trig",
            format!(
                "when a where event.x == 1{} then send sms \"x\"",
                "+1".repeat(50_000)
            ),
        ),
        ("open.trig", "(".repeat(MB)),
        (
            "string.trig",
            format!(
                "rule r: when a where event.x == \"{}\" if customer.ok then send sms \"x STOP\"",
                "a".repeat(100_000)
            ),
        ),
        (
            "garbage.trig",
            String::from_utf8_lossy(&garbage(5, 5000)).into_owned(),
        ),
        ("when.trig", "when".to_string()),
        ("empty.trig", String::new()),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
        let (code, out, err) = trig_check(&dir, name);
        let expected = if matches!(*name, "string.trig" | "empty.trig") {
            0
        } else {
            1
        };
        assert_eq!(
            code,
            expected,
            "{name}: {}\n{}",
            &out[..out.len().min(2000)],
            &err[..err.len().min(2000)]
        );
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        // fmt on broken input reports and leaves the file alone; never crashes.
        let out = Command::new(env!("CARGO_BIN_EXE_trig"))
            .args(["fmt", "--check", name])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some(),
            "{name}: fmt was killed: {:?}",
            out.status
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------ property tests

const ALPHABET: &[&str] = &[
    // keywords
    "rule",
    "when",
    "then",
    "fallback",
    "if",
    "unless",
    "and",
    "or",
    "not",
    "for",
    "within",
    "times",
    "first",
    "inactive",
    "followed",
    "by",
    "as",
    "where",
    "send",
    "template",
    "lang",
    "with",
    "key",
    "limit",
    "per",
    "once",
    "priority",
    "quiet",
    "goal",
    "holdout",
    "tag",
    "in",
    "contains",
    "starts",
    "true",
    "false",
    "null",
    "else",
    // names and channels
    "a",
    "x",
    "_",
    "cart.abandoned",
    "event.x",
    "customer.first_name",
    "event.first",
    "now",
    "whatsapp",
    "sms",
    "email",
    "viber",
    "rcs",
    "r1",
    "ü",
    "名前",
    // punctuation and operators
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "{{",
    "}}",
    ",",
    ":",
    ".",
    "??",
    "?",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "=",
    "\\",
    "\"",
    "'",
    "@",
    // strings and texts
    "\"hi\"",
    "\"{x.a}\"",
    "\"{customer.name ?? \"there\"}\"",
    "\"\\u{1F600}\"",
    "\"\\q\"",
    "\"a { b\"",
    "\"{{}}\"",
    "\"unterminated",
    "\"é🙂\"",
    // numbers, durations, clocks, percentages
    "0",
    "1",
    "3",
    "12.5",
    "99999999999999999999",
    "10%",
    "12.5%",
    "2h",
    "1h30m",
    "0s",
    "30m1h",
    "400d",
    "1ms",
    "21:00",
    "24:00",
    "09:60",
    // layout
    "\n",
    "\r\n",
    "\t",
    "\u{FEFF}",
    "# comment\n",
    "#",
];

fn from_alphabet() -> impl Strategy<Value = String> {
    let piece = (
        prop::sample::select(ALPHABET),
        prop::sample::select(&["", " ", " ", " ", "\n"][..]),
    );
    prop::collection::vec(piece, 0..80)
        .prop_map(|v| v.into_iter().map(|(t, sep)| format!("{t}{sep}")).collect())
}

/// Valid-looking rules with one token replaced, removed or duplicated.
fn mutated_rule() -> impl Strategy<Value = String> {
    const RULES: &[&str] = &[
        "rule r: when cart.abandoned as c where c.value >= 20 for 2h and not order.completed where event.id == c.id unless customer.unsubscribed then send whatsapp template \"t\" lang customer.locale with (customer.first_name ?? \"there\", c.url) fallback sms \"Hi {c.url} STOP\" key c.id limit 1 per 24h quiet 21:00-09:00",
        "when a where x.v > 1 3 times within 1h then send sms \"x\" once priority -2 holdout 10% tag t goal b within 1d",
        "when first (a or b) as x followed by c as y where y.k == x.k within 2d then send email template \"e\"",
        "when inactive for 30d if customer.vip and not (customer.x in [1, 2]) then send sms \"{{hi}} {customer.n}\"",
    ];
    (
        prop::sample::select(RULES),
        any::<prop::sample::Index>(),
        prop::sample::select(ALPHABET),
        0..3usize,
    )
        .prop_map(|(rule, at, tok, how)| {
            let words: Vec<&str> = rule.split(' ').collect();
            let i = at.index(words.len());
            let mut out: Vec<&str> = words.clone();
            match how {
                0 => out[i] = tok,
                1 => {
                    out.remove(i);
                }
                _ => out.insert(i, tok),
            }
            out.join(" ")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(src in from_alphabet()) {
        let (_, d) = parse_file(&src, FileId(0));
        assert_spans_ok(&src, &d);
    }

    #[test]
    fn mutated_rules_never_panic(src in mutated_rule()) {
        let (_, d) = parse_file(&src, FileId(0));
        assert_spans_ok(&src, &d);
    }

    #[test]
    fn any_text_never_panics(src in "\\PC{0,200}") {
        let (_, d) = parse_file(&src, FileId(0));
        assert_spans_ok(&src, &d);
    }

    #[test]
    fn no_rule_is_dropped_silently(src in from_alphabet()) {
        use trig::syntax::lexer::{tokenize, TokenKind};
        let (f, d) = parse_file(&src, FileId(0));
        let code: Vec<_> = tokenize(&src).into_iter().filter(|t| t.kind != TokenKind::Comment).collect();
        let has_error = d.iter().any(|d| d.severity == trig::diag::Severity::Error);
        // Something that is not a comment is either a rule or an error.
        prop_assert!(code.is_empty() || has_error || !f.rules.is_empty());
        if !has_error {
            // In a file without errors each rule has one `when`; any other
            // `when` is a plain name (after a dot, or a parameter name).
            let whens = code.iter().enumerate().filter(|(i, t)| {
                t.is_keyword(&src, "when")
                    && !(*i > 0 && code[i - 1].kind == TokenKind::Dot)
                    && code.get(i + 1).map(|n| n.kind) != Some(TokenKind::Colon)
            }).count();
            prop_assert_eq!(f.rules.len(), whens);
        }
    }
}
