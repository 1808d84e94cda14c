//! `trig fmt`: idempotent, meaning-preserving, and a stable canonical layout.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use trig::diag::{FileId, Severity};
use trig::fmt::{format_source, masked};
use trig::syntax::lexer::{tokenize, TokenKind};
use trig::syntax::parse_file;

/// Every syntax form of LANGUAGE.md, plus layouts the formatter must undo.
const SOURCES: &[&str] = &[
    // The one-line form and the full form, as LANGUAGE.md writes them.
    concat!(
        "# The one-line form must work exactly as written:\n",
        "when cart.abandoned for 2h and not purchased then send whatsapp template \"cart_reminder\"\n",
        "\n",
        "# The full form:\n",
        full_form!()
    ),
    // Trigger forms.
    r#"rule big_first_order: when first order.completed as o where o.total > 100 then send email template "vip_welcome""#,
    r#"rule viewed_thrice:
  when product.viewed as v where v.price >= 10 3 times within 1h30m
  then send sms "Still thinking about it? Reply STOP to opt out"
  key event.product_id"#,
    r#"rule browse_then_buy: when product.viewed as a followed by order.completed as b where b.product_id == a.product_id within 2d and not cart.cleared then send sms template "thanks""#,
    "rule winback: when inactive for 4w then send email template \"winback\" once",
    r#"when (signup.completed or "Account Created") where event.plan != "free" then send sms "Welcome!""#,
    r#"when "Order Completed" as o and not refund.issued where event.order_id == o.order_id within 7d and not "Support Ticket" within 1d then send sms "thanks""#,
    r#"when session.started for 10m and not checkout.started and not page.viewed where event.path starts with "/cart" then send sms "hi""#,
    // Guards and expressions: every operator.
    r#"rule exprs:
  when a.b as x where (x.n + 1) * 2 / 3 - -4 < 10 or not (x.s contains "z") and x.t not contains "y"
  if customer.tier in ["gold", "platinum"] and customer.country not in ["US"]
  unless customer.email == null or customer.opted_out == true or customer.beta != false
  if now - customer.last_seen >= 3d and x.time <= "2024-01-01" and customer.name ?? "" starts with "A"
  if -x.delta > 2.5 and [1, 2, 3,] contains 2 and x.ts > "2024-05-01T10:00:00Z"
  then send sms "n={x.n * 2} name={customer.first_name ?? "there"} {{literal}} \"q\" \\ \n \t \u{1F600}"
"#,
    // Actions: named and positional parameters, header parameter, fallbacks.
    r#"rule params:
  when a
  then send whatsapp template "order_update" lang "en_US" with (name: customer.first_name ?? "there", order: event.id, key: event.key)
  fallback whatsapp template "order_update_pos" with (customer.first_name, event.id, header: "https://example.com/img.png",)
  fallback viber "Hi {customer.first_name}"
  fallback rcs "Hi"
  fallback sms template "order_sms" with ()
"#,
    // Options.
    r#"rule options:
  when a as x
  then send sms "x"
  limit 2 per 1d
  priority -3
  quiet 22:30-07:00 in customer.tz ?? "Europe/Paris"
  goal order.completed where event.total > 0 within 7d
  holdout 12.5%
  tag promo
  tag winter
  priority 10
"#,
    // Keywords spelled after a dot or as a parameter name are plain names.
    r#"when event.first where event.first == event.key then send whatsapp template "t" with (key: event.once, tag: 1, if: 2)"#,
    // BOM, CRLF, tabs and `when` on the header line.
    "\u{FEFF}rule crlf:\twhen a\r\n\tthen send sms \"x\"\r\n\tonce\r\n",
    // Comments everywhere.
    r#"# file header

# about r1
rule r1: # trailing on header
  # before when
  when a # after a
    # between trigger parts
    for 2h # after wait
    and not b
  # before the guard
  if customer.x # mid guard
    and customer.y
  then send sms "x" # after send
  # limit 1 per 1d
when b then send sms "y" # trailing on a one-liner
# detached at the end

# end of file
"#,
];

fn fmt_ok(src: &str, what: &str) -> String {
    match format_source(src) {
        Ok(out) => out,
        Err(diags) => panic!("{what}: format_source failed: {diags:#?}\n--- input ---\n{src}"),
    }
}

fn masked_ast(src: &str, what: &str) -> String {
    let (file, diags) = parse_file(src, FileId(0));
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: does not parse: {errors:#?}\n--- text ---\n{src}"
    );
    masked(&file)
}

fn parses_cleanly(src: &str) -> bool {
    parse_file(src, FileId(0))
        .1
        .iter()
        .all(|d| d.severity != Severity::Error)
}

fn trig_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            trig_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "trig") {
            out.push(path);
        }
    }
}

/// The repository's `.trig` files that are meant to parse: fixtures named
/// `*error*`, or that do not parse, exercise diagnostics instead.
fn repo_inputs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    trig_files(&root.join("examples"), &mut paths);
    trig_files(&root.join("tests"), &mut paths);
    paths.sort();
    let mut inputs = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let is_fixture = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("error"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !is_fixture && parses_cleanly(&text) {
            inputs.push((name, text));
        }
    }
    inputs
}

fn all_inputs() -> Vec<(String, String)> {
    let mut inputs = repo_inputs();
    eprintln!(
        "fmt: {} .trig file(s) from examples/ and tests/",
        inputs.len()
    );
    for (i, src) in SOURCES.iter().enumerate() {
        inputs.push((format!("SOURCES[{i}]"), src.to_string()));
    }
    assert!(
        !inputs.is_empty(),
        "found no input to format: the test would pass vacuously"
    );
    inputs
}

#[test]
fn formatting_is_idempotent_and_keeps_the_ast() {
    let inputs = all_inputs();
    for (what, src) in &inputs {
        let once = fmt_ok(src, what);
        let twice = fmt_ok(&once, what);
        assert_eq!(
            twice, once,
            "{what}: not idempotent\n--- first ---\n{once}\n--- second ---\n{twice}"
        );
        assert_eq!(
            masked_ast(&once, what),
            masked_ast(src, what),
            "{what}: AST changed\n--- output ---\n{once}"
        );
        assert_eq!(
            token_texts(&once),
            token_texts(src),
            "{what}: tokens changed\n--- output ---\n{once}"
        );
    }
}

/// The tokens as text (comments without trailing whitespace): formatting
/// may only change what is between them.
fn token_texts(src: &str) -> Vec<String> {
    tokenize(src)
        .into_iter()
        .map(|t| {
            let text = t.text(src);
            if t.kind == TokenKind::Comment {
                text.trim_end()
            } else {
                text
            }
            .to_string()
        })
        .collect()
}

/// `src` with the whitespace between tokens replaced: `pick` chooses among
/// a few separators for each gap. Tokens that touch keep touching, and a
/// comment is always followed by a line end.
fn rewhitespace(src: &str, pick: &[u8]) -> String {
    const SEPARATORS: [&str; 6] = [" ", "  ", "\t", "\n", "\n\n", " \r\n\t "];
    let tokens = tokenize(src);
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            let prev = tokens[i - 1];
            let choice =
                pick.get(i % pick.len().max(1)).copied().unwrap_or(0) as usize % SEPARATORS.len();
            if prev.kind == TokenKind::Comment {
                out.push_str(if choice % 2 == 0 { "\n" } else { "\n\n  " });
            } else if prev.span.end < t.span.start {
                out.push_str(SEPARATORS[choice]);
            }
        }
        out.push_str(t.text(src));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Without comments, the layout depends on the tokens only.
    #[test]
    fn layout_ignores_the_input_whitespace(pick in proptest::collection::vec(any::<u8>(), 1..64)) {
        for src in SOURCES.iter().filter(|s| !s.contains('#')) {
            let shuffled = rewhitespace(src, &pick);
            let want = fmt_ok(src, "original").replace("\r\n", "\n");
            prop_assert_eq!(fmt_ok(&shuffled, &shuffled).replace("\r\n", "\n"), want);
        }
    }

    /// With comments, where they sit may change, but the result is still a
    /// fixed point with the same meaning.
    #[test]
    fn reflowed_comments_are_stable(pick in proptest::collection::vec(any::<u8>(), 1..64)) {
        for src in SOURCES.iter().filter(|s| s.contains('#')) {
            let shuffled = rewhitespace(src, &pick);
            let once = fmt_ok(&shuffled, &shuffled);
            prop_assert_eq!(fmt_ok(&once, "again"), once.clone());
            prop_assert_eq!(masked_ast(&once, "output"), masked_ast(src, "input"));
        }
    }
}

#[test]
fn output_is_tidy() {
    for (what, src) in &all_inputs() {
        let out = fmt_ok(src, what);
        let text = out.replace("\r\n", "\n");
        assert!(!out.starts_with('\u{FEFF}'), "{what}: BOM kept");
        assert!(
            text.is_empty() || (text.ends_with('\n') && !text.ends_with("\n\n")),
            "{what}: bad file end"
        );
        assert!(
            !text.contains("\n\n\n"),
            "{what}: two blank lines in a row\n{out}"
        );
        for line in text.lines() {
            assert_eq!(
                line,
                line.trim_end(),
                "{what}: trailing whitespace in {line:?}"
            );
            assert!(
                !line.contains('\t') || line.contains('"') || line.contains('#'),
                "{what}: tab in {line:?}"
            );
        }
    }
}

#[test]
fn one_liners_are_fixed_points() {
    for src in [
        "when cart.abandoned for 2h and not purchased then send whatsapp template \"cart_reminder\"\n",
        "when a where event.x > -1 and (not customer.vip) then send sms \"hi {customer.name ?? \"there\"}\" once\n",
        "when a then send sms \"x\" # a trailing comment keeps the one-liner\n",
    ] {
        assert_eq!(fmt_ok(src, src), src);
    }
}

#[test]
fn a_file_that_does_not_parse_is_an_error() {
    for src in [
        "when a then",
        "rule x: when a then send sms \"x\"\nwhen b then send sms \"{\"",
        "limit 1 per 1d",
    ] {
        match format_source(src) {
            Ok(out) => panic!("{src:?} formatted to {out:?}"),
            Err(diags) => {
                assert!(
                    diags.iter().any(|d| d.severity == Severity::Error),
                    "{src:?}: no error in {diags:#?}"
                )
            }
        }
    }
}

/// The grammar accepts a line break (or a comment) inside the `{…}` of a
/// message text, but the lexer ends the string at the line end: re-laying
/// out such a file could change it, so the formatter refuses.
#[test]
fn a_text_the_lexer_misreads_is_left_untouched() {
    for src in [
        "when a then send sms \"Hi {customer.name\n}\"",
        "when a then send sms \"Hi {customer.name # c\n}\"",
    ] {
        let diags = format_source(src).expect_err(src);
        assert!(
            diags.iter().any(|d| d.severity == Severity::Error),
            "{src:?}: {diags:#?}"
        );
    }
}

#[test]
fn crlf_is_kept_only_when_used_throughout() {
    let crlf = "rule a: when a then send sms \"x\"\r\nwhen b then send sms \"y\"\r\n";
    assert_eq!(
        fmt_ok(crlf, "crlf"),
        "rule a:\r\n  when a\r\n  then send sms \"x\"\r\n\r\nwhen b then send sms \"y\"\r\n"
    );
    let mixed = "when a then send sms \"x\"\r\nwhen b then send sms \"y\"\n";
    assert_eq!(
        fmt_ok(mixed, "mixed"),
        "when a then send sms \"x\"\n\nwhen b then send sms \"y\"\n"
    );
}

#[test]
fn snapshot_bad_indentation() {
    let src = "rule   cart_reminder :when cart.abandoned as cart\n\twhere cart.value>=20 for 2h\n        and not order.completed where event.cart_id==cart.cart_id\n unless customer.unsubscribed then\nsend whatsapp template \"cart_reminder\" lang customer.locale with(customer.first_name??\"there\",cart.url)\n      fallback sms \"Your cart is waiting: {cart.url} Reply STOP to opt out\"   key cart.cart_id limit 1 per 24h quiet 21:00 - 09:00\n\n\n\nrule winback :\n\n   when inactive for 30d\n   then send email template \"winback\"\n   once\n";
    insta::assert_snapshot!(fmt_ok(src, "bad indentation"));
}

#[test]
fn snapshot_comments_everywhere() {
    let src = "# Carts\n# owner: growth team\n\n\n\n# the reminder\nrule cart_reminder: # v2\n  # trigger\n  when cart.abandoned   # any cart\n      for 2h      # give them time\n  # guards\n  unless customer.unsubscribed # consent\n  then send sms \"Your cart: {cart.url} STOP to opt out\" # short\n  fallback email template \"cart\" with ( # params\n    customer.first_name, # name\n    # the link\n    cart.url\n  )\n  # limit 1 per 1d\n  #   once\n# about the next rule\nwhen a then send sms \"x\"   # trailing\n\n\n# trailer one\n\n# trailer two\n";
    insta::assert_snapshot!(fmt_ok(src, "comments"));
}

#[test]
fn snapshot_one_liners() {
    let src = "when a then send sms \"a\"\nwhen b   where event.n>1 then   send sms \"b\"\n   when cart.abandoned for 2h and not purchased then send whatsapp template \"cart_reminder\"\nwhen c then send sms \"c\" once when d then send sms \"d\"\nwhen product.viewed as v where v.price >= 10 and v.category in [\"shoes\", \"bags\"] 3 times within 1h then send sms \"Still looking? STOP to opt out\"\n";
    insta::assert_snapshot!(fmt_ok(src, "one-liners"));
}

#[test]
fn snapshot_long_rules() {
    let src = r#"rule long_everything: when product.viewed as a where a.category == "shoes" and a.price >= 100 followed by cart.added as b where b.product_id == a.product_id within 2d and not order.completed where event.cart_id == b.cart_id within 1d
if customer.country in ["FR", "DE", "ES", "IT", "NL", "BE"] and customer.marketing_consent == true and customer.age >= 18 or customer.vip == true
then send whatsapp template "shoe_reminder_with_a_long_name" lang customer.locale ?? "en_US" with (name: customer.first_name ?? "there", product: a.product_name, price: a.price, link: b.url)
fallback sms "Hi {customer.first_name ?? "there"}, the {a.product_name} you liked is still in your cart: {b.url} Reply STOP to opt out"
goal order.completed where event.product_id == a.product_id within 7d holdout 10%
when session.started for 10m and not checkout.started where event.session_id == "some-very-long-session-identifier" then send sms "hi"
"#;
    insta::assert_snapshot!(fmt_ok(src, "long rules"));
}
