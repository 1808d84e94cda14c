//! The diagnostic renderers, on text with non-ASCII characters so that byte
//! offsets, Unicode scalar values and UTF-16 units all differ.

use std::path::PathBuf;

use serde_json::Value;
use trig::diag::render::{render, Format};
use trig::diag::{Code, Diagnostic, FileId, SourceFile, SourceMap};
use trig::syntax::Span;

const PROMO: &str = "# promo rules\nrule café: when x then send sms \"héllo 😀 {oops\"\n";
const BASE: &str = "rule café:\n  when y then send email template \"welcome\"\n";

/// The byte span of the first `needle` in `text`.
fn span_of(text: &str, needle: &str) -> Span {
    let start = text.find(needle).expect("needle in text");
    Span::new(start, start + needle.len())
}

struct Fixture {
    sources: SourceMap,
    diags: Vec<Diagnostic>,
}

/// Reported out of order on purpose: the renderers sort.
fn fixture() -> Fixture {
    let mut sources = SourceMap::new();
    let promo = sources.add(SourceFile::new("rules/promo.trig", PROMO));
    let base = sources.add(SourceFile::new("rules/base rules.trig", BASE));
    let eof = Span::new(PROMO.len(), PROMO.len());
    let diags = vec![
        Diagnostic::new(
            Code::SmsUnicode,
            promo,
            span_of(PROMO, "😀"),
            "`😀` forces this SMS into UCS-2",
        )
        .with_label("not in the GSM-7 alphabet"),
        Diagnostic::new(
            Code::LoneBrace,
            promo,
            span_of(PROMO, "{"),
            "lone opening brace `{` in a message text",
        )
        .with_label("not part of an interpolation")
        .with_help("to show a brace, double it: `{{`"),
        Diagnostic::new(
            Code::SyntaxError,
            promo,
            eof,
            "expected `\"`, found the end of the file",
        ),
        Diagnostic::new(
            Code::DuplicateRule,
            promo,
            span_of(PROMO, "café"),
            "the rule `café` is defined twice",
        )
        .with_label("second definition")
        .with_secondary(base, span_of(BASE, "café"), "first defined here")
        .with_help("rename one of the rules; renaming a live rule resets its state"),
        Diagnostic::new(
            Code::MissingOptOut,
            promo,
            span_of(PROMO, "\"héllo 😀 {oops\""),
            "this marketing SMS has no opt-out wording",
        ),
    ];
    Fixture { sources, diags }
}

fn rendered(format: Format) -> String {
    let f = fixture();
    render(format, &f.diags, &f.sources, false)
}

fn json_items() -> Vec<Value> {
    let out = rendered(Format::Json);
    match serde_json::from_str(&out).expect("json output parses") {
        Value::Array(items) => items,
        other => panic!("not an array: {other}"),
    }
}

fn item<'a>(items: &'a [Value], code: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["code"] == code)
        .expect("code in output")
}

#[test]
fn human_snapshot() {
    let out = rendered(Format::Human);
    assert!(
        !out.contains('\u{1b}'),
        "no colour codes when colour is off"
    );
    insta::assert_snapshot!("human", out);
}

#[test]
fn human_header_has_code_and_name() {
    let out = rendered(Format::Human);
    assert!(
        out.starts_with("error[T0103]: the rule `café` is defined twice\n"),
        "{out}"
    );
    assert!(out.contains("T0103 duplicate-rule; see `trig explain T0103`"));
    assert!(out.contains("Help: to show a brace, double it"));
    assert!(
        out.contains("rules/base rules.trig"),
        "secondary label's file is shown"
    );
}

#[test]
fn human_colour_only_when_asked() {
    let f = fixture();
    let out = render(Format::Human, &f.diags, &f.sources, true);
    assert!(out.contains('\u{1b}'));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", rendered(Format::Json));
}

#[test]
fn json_columns_count_scalar_values() {
    let items = json_items();
    // `# promo rules` is line 1. On line 2, `rule café: when x then send sms "`
    // is 33 scalar values, `héllo ` 6 more: the emoji is column 40, and the
    // brace after it column 42 (43 in UTF-16 units, 47 in bytes).
    let emoji = item(&items, "T0308");
    assert_eq!(
        (emoji["line"].as_u64(), emoji["column"].as_u64()),
        (Some(2), Some(40))
    );
    assert_eq!(
        (emoji["end_line"].as_u64(), emoji["end_column"].as_u64()),
        (Some(2), Some(41))
    );
    let brace = item(&items, "T0004");
    assert_eq!(
        (brace["line"].as_u64(), brace["column"].as_u64()),
        (Some(2), Some(42))
    );
    assert_eq!(brace["end_column"].as_u64(), Some(43));
    assert_eq!(brace["name"], "lone-brace");
    assert_eq!(brace["help"], "to show a brace, double it: `{{`");
    let cafe = item(&items, "T0103");
    assert_eq!(
        (cafe["column"].as_u64(), cafe["end_column"].as_u64()),
        (Some(6), Some(10))
    );
    let opt_out = item(&items, "T0310");
    assert_eq!(opt_out["severity"], "warning");
    assert!(opt_out["help"].is_null());
}

#[test]
fn json_empty_span_at_end_of_file() {
    let items = json_items();
    let eof = item(&items, "T0001");
    let place = ["line", "column", "end_line", "end_column"].map(|k| eof[k].as_u64());
    assert_eq!(place, [Some(3), Some(1), Some(3), Some(1)]);
}

#[test]
fn stable_order_by_file_line_column_code() {
    let codes: Vec<String> = json_items()
        .iter()
        .map(|i| i["code"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(codes, ["T0103", "T0310", "T0308", "T0004", "T0001"]);
}

#[test]
fn sarif_snapshot() {
    let out = rendered(Format::Sarif);
    let mut log: Value = serde_json::from_str(&out).expect("sarif parses");
    // The rule metadata is long and checked below; keep the snapshot on results.
    log["runs"][0]["tool"]["driver"]["rules"] =
        Value::String("<every code, see sarif_rules_cover_every_code>".into());
    insta::assert_snapshot!("sarif", format!("{log:#}"));
}

#[test]
fn sarif_rules_cover_every_code() {
    let log: Value = serde_json::from_str(&rendered(Format::Sarif)).expect("sarif parses");
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), Code::ALL.len());
    for (i, code) in Code::ALL.iter().enumerate() {
        assert_eq!(
            rules[i]["id"],
            code.id().as_str(),
            "ruleIndex {i} is Code::ALL[{i}]"
        );
        assert_eq!(rules[i]["name"], code.name());
        // SARIF message strings double their braces (§3.11.5).
        let summary = code.summary().replace('{', "{{").replace('}', "}}");
        assert_eq!(rules[i]["shortDescription"]["text"], summary);
    }
    for result in run["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn sarif_validates_against_the_schema() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    if !path
        .parent()
        .and_then(|p| p.parent())
        .is_some_and(|p| p.exists())
    {
        eprintln!("SKIPPED: ../shared not found; SARIF schema validation not run");
        return;
    }
    let schema_text = std::fs::read_to_string(&path).expect("read the SARIF schema");
    let schema: Value = serde_json::from_str(&schema_text).expect("schema parses");
    let compiled = jsonschema::JSONSchema::compile(&schema).expect("schema compiles");
    let log: Value = serde_json::from_str(&rendered(Format::Sarif)).expect("sarif parses");
    let errors: Vec<String> = match compiled.validate(&log) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect(),
    };
    assert!(
        errors.is_empty(),
        "SARIF output does not match the schema:\n{}",
        errors.join("\n")
    );
    // The validator must be able to fail, or the check above proves nothing.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(!compiled.is_valid(&broken));
}

#[test]
fn github_snapshot() {
    insta::assert_snapshot!("github", rendered(Format::Github));
}

#[test]
fn github_escapes_data_and_properties() {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new(
        "rules/a,b.trig",
        "when x then send sms \"50%\"\n",
    ));
    let diag = Diagnostic::new(
        Code::SyntaxError,
        file,
        Span::new(5, 6),
        "50% off, today: now\nor never",
    )
    .with_help("write 100%");
    let out = render(Format::Github, &[diag], &sources, false);
    assert_eq!(
        out,
        "::error file=rules/a%2Cb.trig,line=1,col=6,endLine=1,endColumn=7,title=T0001 syntax-error\
         ::50%25 off, today: now%0Aor never%0Ahelp: write 100%25\n"
    );
}

#[test]
fn github_levels_and_multiline_spans() {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("a.trig", "ab\ncd\n"));
    let diags = [
        Diagnostic::new(Code::UnnamedRule, file, Span::new(0, 4), "w"),
        Diagnostic::new(Code::SmsUnicode, file, Span::new(4, 5), "n"),
    ];
    let out = render(Format::Github, &diags, &sources, false);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "::warning file=a.trig,line=1,endLine=2,title=T0107 unnamed-rule::w"
    );
    assert_eq!(
        lines[1],
        "::notice file=a.trig,line=2,col=2,endLine=2,endColumn=3,title=T0308 sms-unicode::n"
    );
}

#[test]
fn bad_spans_and_files_do_not_panic() {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("é.trig", "é😀"));
    let empty = sources.add(SourceFile::new("empty.trig", ""));
    let diags = [
        Diagnostic::new(Code::SyntaxError, file, Span::new(100, 200), "past the end"),
        Diagnostic::new(
            Code::SyntaxError,
            file,
            Span::new(1, 3),
            "inside characters",
        ),
        Diagnostic::new(Code::SyntaxError, file, Span::new(5, 2), "reversed"),
        Diagnostic::new(Code::InvalidConfig, empty, Span::new(0, 0), "empty file")
            .with_help("still shown"),
        Diagnostic::new(
            Code::SyntaxError,
            FileId(9),
            Span::new(0, 1),
            "unknown file",
        ),
    ];
    for &format in Format::ALL {
        for color in [false, true] {
            let out = render(format, &diags, &sources, color);
            assert!(!out.is_empty(), "{format}");
        }
    }
    let human = render(Format::Human, &diags, &sources, false);
    assert!(human.contains("Help: still shown"), "{human}");
    let items: Vec<Value> =
        serde_json::from_str(&render(Format::Json, &diags, &sources, false)).expect("json");
    let past = items
        .iter()
        .find(|i| i["message"] == "past the end")
        .expect("item");
    assert_eq!(
        (past["column"].as_u64(), past["end_column"].as_u64()),
        (Some(3), Some(3))
    );
}

#[test]
fn no_diagnostics() {
    let sources = SourceMap::new();
    assert_eq!(render(Format::Human, &[], &sources, false), "");
    assert_eq!(render(Format::Github, &[], &sources, false), "");
    assert_eq!(render(Format::Json, &[], &sources, false), "[]\n");
    let log: Value =
        serde_json::from_str(&render(Format::Sarif, &[], &sources, false)).expect("sarif");
    assert_eq!(log["runs"][0]["results"], Value::Array(Vec::new()));
}
