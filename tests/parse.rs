//! Parse tests: every syntax form of LANGUAGE.md, asserting the shape of the
//! tree (not just "it parses"), and parse errors in user words, at the
//! right place, with recovery.

#[macro_use]
mod common;

use trig::diag::{Code, Diagnostic, FileId, SourceFile};
use trig::syntax::ast::*;
use trig::syntax::{parse_file, parse_rules};

// ------------------------------------------------------------------ helpers

fn parse_ok(src: &str) -> File {
    match parse_rules(src) {
        Ok(f) => f,
        Err(d) => panic!("expected no diagnostics for:\n{src}\ngot: {:#?}", d),
    }
}

fn one(src: &str) -> Rule {
    let f = parse_ok(src);
    assert_eq!(f.rules.len(), 1, "expected one rule in:\n{src}");
    f.rules.into_iter().next().unwrap()
}

/// A rule around a trigger: `when TRIGGER then send sms "x"`.
fn trig(trigger: &str) -> Trigger {
    one(&format!("when {trigger} then send sms \"x\"")).trigger
}

/// The filter of `when a where FILTER then …`.
fn filter(f: &str) -> Expr {
    match trig(&format!("a where {f}")).primary {
        Primary::Match(m) => m.filter.expect("no filter"),
        p => panic!("not a plain match: {p:?}"),
    }
}

/// The expression of `when a if EXPR then …`.
fn guard_expr(e: &str) -> Expr {
    let r = one(&format!("when a if {e} then send sms \"x\""));
    assert_eq!(r.guards.len(), 1);
    r.guards.into_iter().next().unwrap().expr
}

/// An expression as an s-expression: `(or a (and b (not c)))`.
fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Number(n) => format!("{n}"),
        ExprKind::Bool(b) => format!("{b}"),
        ExprKind::Null => "null".into(),
        ExprKind::Duration(ms) => format!("{ms}ms"),
        ExprKind::List(xs) => format!("[{}]", xs.iter().map(sx).collect::<Vec<_>>().join(" ")),
        ExprKind::Path(segs) => segs
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Unary(UnaryOp::Not, x) => format!("(not {})", sx(x)),
        ExprKind::Unary(UnaryOp::Neg, x) => format!("(neg {})", sx(x)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), sx(a), sx(b)),
    }
}

fn g(e: &str) -> String {
    sx(&guard_expr(e))
}

fn names(events: &[EventName]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
}

fn text_of(step: &Step) -> &Text {
    match &step.body {
        StepBody::Text(t) => t,
        b => panic!("not a text step: {b:?}"),
    }
}

/// Literal parts as-is, interpolations as `{sexpr}`.
fn render_text(t: &Text) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            TextPart::Literal { text, .. } => text.clone(),
            TextPart::Interp(e) => format!("{{{}}}", sx(e)),
        })
        .collect()
}

fn sms_text(text: &str) -> Text {
    let r = one(&format!("when a then send sms \"{text}\""));
    text_of(&r.action).clone()
}

const H: u64 = 3_600_000;
const M: u64 = 60_000;
const D: u64 = 24 * H;

/// `{:?}` of a tree with every span masked, to compare trees that differ
/// only in layout.
fn masked<T: std::fmt::Debug>(x: &T) -> String {
    let s = format!("{x:?}");
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'@' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
            out.push('@');
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn slice(src: &str, span: trig::syntax::Span) -> &str {
    &src[span.start..span.end]
}

// ------------------------------------------------------------------ rule forms

#[test]
fn one_line_form_exactly_as_written() {
    let src = r#"when cart.abandoned for 2h and not purchased then send whatsapp template "cart_reminder""#;
    let r = one(src);
    assert_eq!(r.name, None);
    assert_eq!(r.position, 1);
    assert_eq!(slice(src, r.when_span), "when");
    assert_eq!(r.span, trig::syntax::Span::new(0, src.len()));
    let Primary::Match(m) = &r.trigger.primary else {
        panic!("{:?}", r.trigger.primary)
    };
    assert_eq!(names(&m.events), ["cart.abandoned"]);
    assert!(!m.events[0].quoted);
    assert!(m.alias.is_none() && m.filter.is_none());
    let wait = r.trigger.wait.expect("for 2h");
    assert_eq!(wait.millis, 2 * H);
    assert_eq!(slice(src, wait.span), "2h");
    assert_eq!(r.trigger.absences.len(), 1);
    let a = &r.trigger.absences[0];
    assert_eq!(a.event.name, "purchased");
    assert!(a.alias.is_none() && a.filter.is_none() && a.within.is_none());
    assert!(r.guards.is_empty());
    assert_eq!(r.action.channel.name, "whatsapp");
    match &r.action.body {
        StepBody::Template { name, lang, params } => {
            assert_eq!(name.value, "cart_reminder");
            assert_eq!(slice(src, name.span), "\"cart_reminder\"");
            assert!(lang.is_none() && params.is_none());
        }
        b => panic!("{b:?}"),
    }
    assert!(r.fallbacks.is_empty() && r.options.is_empty());
}

const FULL_FORM: &str = full_form!();

#[test]
fn full_form_from_language_md() {
    let src = FULL_FORM;
    let r = one(src);
    assert_eq!(r.name.as_ref().unwrap().name, "cart_reminder");
    assert_eq!(slice(src, r.name.as_ref().unwrap().span), "cart_reminder");
    assert_eq!(slice(src, r.when_span), "when");
    assert!(slice(src, r.span).starts_with("rule cart_reminder:"));
    assert!(
        slice(src, r.span).ends_with("quiet 21:00-09:00"),
        "rule span ends at its last token"
    );

    let Primary::Match(m) = &r.trigger.primary else {
        panic!()
    };
    assert_eq!(names(&m.events), ["cart.abandoned"]);
    assert_eq!(m.alias.as_ref().unwrap().name, "cart");
    assert_eq!(sx(m.filter.as_ref().unwrap()), "(>= cart.value 20)");
    assert_eq!(r.trigger.wait.unwrap().millis, 2 * H);
    assert_eq!(r.trigger.absences.len(), 1);
    let a = &r.trigger.absences[0];
    assert_eq!(a.event.name, "order.completed");
    assert_eq!(
        sx(a.filter.as_ref().unwrap()),
        "(== event.cart_id cart.cart_id)"
    );
    assert!(a.within.is_none());

    assert_eq!(r.guards.len(), 1);
    assert_eq!(r.guards[0].kind, GuardKind::Unless);
    assert_eq!(sx(&r.guards[0].expr), "customer.unsubscribed");

    assert_eq!(r.action.channel.name, "whatsapp");
    let StepBody::Template { name, lang, params } = &r.action.body else {
        panic!()
    };
    assert_eq!(name.value, "cart_reminder");
    assert_eq!(sx(lang.as_ref().unwrap()), "customer.locale");
    let params = params.as_ref().unwrap();
    let ps: Vec<_> = params
        .items
        .iter()
        .map(|p| (p.name.as_ref().map(|n| n.name.clone()), sx(&p.value)))
        .collect();
    assert_eq!(
        ps,
        [
            (None, "(?? customer.first_name \"there\")".to_string()),
            (None, "cart.url".to_string())
        ]
    );

    assert_eq!(r.fallbacks.len(), 1);
    assert_eq!(r.fallbacks[0].channel.name, "sms");
    assert_eq!(
        render_text(text_of(&r.fallbacks[0])),
        "Your cart is waiting: {cart.url} Reply STOP to opt out"
    );

    assert_eq!(r.options.len(), 3);
    match &r.options[0] {
        RuleOption::Key { expr, .. } => assert_eq!(sx(expr), "cart.cart_id"),
        o => panic!("{o:?}"),
    }
    match &r.options[1] {
        RuleOption::Limit { count, per, .. } => {
            assert_eq!(count.value, 1);
            assert_eq!(per.millis, 24 * H);
        }
        o => panic!("{o:?}"),
    }
    match &r.options[2] {
        RuleOption::Quiet {
            start,
            end,
            zone,
            span,
        } => {
            assert_eq!(start.minutes, 21 * 60);
            assert_eq!(end.minutes, 9 * 60);
            assert!(zone.is_none());
            assert_eq!(slice(src, *span), "quiet 21:00-09:00");
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn header_on_the_same_line_as_when() {
    let same = one(r#"rule welcome: when signup.completed then send sms "hi""#);
    let split =
        one("rule welcome:\n  # a comment between\n  when signup.completed then send sms \"hi\"");
    assert_eq!(same.name.as_ref().unwrap().name, "welcome");
    assert_eq!(masked(&same.trigger), masked(&split.trigger));
    assert_eq!(split.name.as_ref().unwrap().name, "welcome");
}

#[test]
fn several_rules_and_their_positions() {
    let f = parse_ok(
        "when a then send sms \"1\"\nrule two: when b then send sms \"2\"\n\nwhen c then send sms \"3\"\nrule four:\nwhen d then send sms \"4\"",
    );
    let got: Vec<_> = f
        .rules
        .iter()
        .map(|r| (r.position, r.name.as_ref().map(|n| n.name.as_str())))
        .collect();
    assert_eq!(
        got,
        [(1, None), (2, Some("two")), (3, None), (4, Some("four"))]
    );
}

#[test]
fn empty_and_comment_only_files_have_no_rules() {
    assert!(parse_ok("").rules.is_empty());
    assert!(parse_ok("# nothing\n   \n# here\n").rules.is_empty());
}

// ------------------------------------------------------------------ triggers

#[test]
fn either_event_in_parentheses_filtered_after_them() {
    let t =
        trig("(cart.abandoned or checkout.abandoned or \"Order Failed\") as c where c.value > 10");
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(
        names(&m.events),
        ["cart.abandoned", "checkout.abandoned", "Order Failed"]
    );
    assert_eq!([m.events[0].quoted, m.events[2].quoted], [false, true]);
    assert_eq!(m.alias.unwrap().name, "c");
    assert_eq!(sx(&m.filter.unwrap()), "(> c.value 10)");
}

#[test]
fn first() {
    let src =
        r#"when first order.completed as o where o.total > 100 then send email template "vip""#;
    let r = one(src);
    let Primary::First { keyword, matcher } = &r.trigger.primary else {
        panic!()
    };
    assert_eq!(slice(src, *keyword), "first");
    assert_eq!(names(&matcher.events), ["order.completed"]);
    assert_eq!(matcher.alias.as_ref().unwrap().name, "o");
    assert_eq!(sx(matcher.filter.as_ref().unwrap()), "(> o.total 100)");
    let t = trig("first (a or b)");
    let Primary::First { matcher, .. } = t.primary else {
        panic!()
    };
    assert_eq!(names(&matcher.events), ["a", "b"]);
}

#[test]
fn n_times_within() {
    let t = trig("product.viewed as v where v.price >= 10 3 times within 1h30m");
    let Primary::Count {
        matcher,
        times,
        within,
    } = t.primary
    else {
        panic!()
    };
    assert_eq!(names(&matcher.events), ["product.viewed"]);
    assert_eq!(matcher.alias.unwrap().name, "v");
    assert_eq!(sx(&matcher.filter.unwrap()), "(>= v.price 10)");
    assert_eq!(times.value, 3);
    assert_eq!(within.millis, H + 30 * M);

    let t = trig("page.viewed 5 times within 1d");
    let Primary::Count {
        matcher,
        times,
        within,
    } = t.primary
    else {
        panic!()
    };
    assert!(matcher.filter.is_none());
    assert_eq!((times.value, within.millis), (5, D));
}

#[test]
fn followed_by_within_with_aliases_and_filters() {
    let t = trig("cart.created as a where a.value > 5 followed by order.completed as b where b.cart_id == a.cart_id within 2d");
    let Primary::Sequence {
        first,
        then,
        within,
    } = t.primary
    else {
        panic!()
    };
    assert_eq!(names(&first.events), ["cart.created"]);
    assert_eq!(first.alias.unwrap().name, "a");
    assert_eq!(sx(&first.filter.unwrap()), "(> a.value 5)");
    assert_eq!(names(&then.events), ["order.completed"]);
    assert_eq!(then.alias.unwrap().name, "b");
    assert_eq!(sx(&then.filter.unwrap()), "(== b.cart_id a.cart_id)");
    assert_eq!(within.millis, 2 * D);

    let t = trig("a followed by (b or c) within 10m and not d");
    let Primary::Sequence {
        first,
        then,
        within,
    } = t.primary
    else {
        panic!()
    };
    assert_eq!(
        (names(&first.events), names(&then.events), within.millis),
        (vec!["a"], vec!["b", "c"], 10 * M)
    );
    assert_eq!(t.absences[0].event.name, "d");
}

#[test]
fn inactive_for() {
    let t = trig("inactive for 30d");
    let Primary::Inactive { after, extra } = t.primary else {
        panic!()
    };
    assert_eq!(after.millis, 30 * D);
    assert!(extra.is_none() && t.wait.is_none() && t.absences.is_empty());
    // Modifiers after it parse, so that the checker can explain.
    let src = "when inactive for 2h where event.x > 1 then send sms \"x\"";
    let r = one(src);
    let Primary::Inactive { after, extra } = r.trigger.primary else {
        panic!()
    };
    assert_eq!(after.millis, 2 * H);
    assert_eq!(slice(src, extra.unwrap()), "where event.x > 1");
}

#[test]
fn for_d() {
    let t = trig("signup.completed for 1d");
    assert!(matches!(t.primary, Primary::Match(_)));
    assert_eq!(t.wait.unwrap().millis, D);
    assert!(t.absences.is_empty());
    let t = trig("a where event.x == 1 for 45m");
    let Primary::Match(m) = &t.primary else {
        panic!()
    };
    assert_eq!(sx(m.filter.as_ref().unwrap()), "(== event.x 1)");
    assert_eq!(t.wait.unwrap().millis, 45 * M);
}

#[test]
fn several_absences_with_alias_filter_within() {
    let t = trig(
        "a as x and not b and not c as y where y.id == x.id within 7d and not \"Order Completed\" within 2h and not d.e where event.k != null",
    );
    assert!(t.wait.is_none());
    let got: Vec<_> = t
        .absences
        .iter()
        .map(|a| {
            (
                a.event.name.as_str(),
                a.event.quoted,
                a.alias.as_ref().map(|x| x.name.as_str()),
                a.filter.as_ref().map(sx),
                a.within.map(|w| w.millis),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("b", false, None, None, None),
            (
                "c",
                false,
                Some("y"),
                Some("(== y.id x.id)".to_string()),
                Some(7 * D)
            ),
            ("Order Completed", true, None, None, Some(2 * H)),
            (
                "d.e",
                false,
                None,
                Some("(!= event.k null)".to_string()),
                None
            ),
        ]
    );
}

#[test]
fn quoted_event_names() {
    let t = trig(r#""Order Completed" as o where o.total > 1"#);
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(m.events[0].name, "Order Completed");
    assert!(m.events[0].quoted);
    // Escapes apply in event names too.
    let t = trig(r#""Say \"hi\"""#);
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(m.events[0].name, "Say \"hi\"");
    // Keywords are fine inside quotes.
    let t = trig(r#""when""#);
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(m.events[0].name, "when");
}

#[test]
fn keyword_needs_a_word_boundary_in_event_names() {
    let t = trig("form.submitted for 1h");
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(m.events[0].name, "form.submitted");
    let t = trig("notify and not inactive_user");
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(m.events[0].name, "notify");
    assert_eq!(t.absences[0].event.name, "inactive_user");
    // After a dot any name is plain, even `when` and `rule`.
    let t = trig("order.when and not order.rule");
    let Primary::Match(m) = t.primary else {
        panic!()
    };
    assert_eq!(m.events[0].name, "order.when");
    assert_eq!(t.absences[0].event.name, "order.rule");
}

// ------------------------------------------------------------------ guards

#[test]
fn if_and_unless_any_number_in_order() {
    let r = one(
        "when a if customer.vip unless customer.unsubscribed if event.total > 10 unless customer.country in [\"DE\", \"AT\"] then send sms \"x\"",
    );
    let got: Vec<_> = r.guards.iter().map(|g| (g.kind, sx(&g.expr))).collect();
    assert_eq!(
        got,
        [
            (GuardKind::If, "customer.vip".to_string()),
            (GuardKind::Unless, "customer.unsubscribed".to_string()),
            (GuardKind::If, "(> event.total 10)".to_string()),
            (
                GuardKind::Unless,
                "(in customer.country [\"DE\" \"AT\"])".to_string()
            ),
        ]
    );
}

// ------------------------------------------------------------------ expressions

#[test]
fn precedence_or_and_not_comparison_arithmetic() {
    assert_eq!(
        g("a or b and not c == 1 + 2 * 3"),
        "(or a (and b (not (== c (+ 1 (* 2 3))))))"
    );
    assert_eq!(g("a and b or c and d"), "(or (and a b) (and c d))");
    assert_eq!(g("not a or b"), "(or (not a) b)");
    assert_eq!(g("not not a"), "(not (not a))");
    assert_eq!(g("(a or b) and c"), "(and (or a b) c)");
    assert_eq!(g("1 * 2 + 3 / 4 - 5"), "(- (+ (* 1 2) (/ 3 4)) 5)");
    assert_eq!(g("a - b - c"), "(- (- a b) c)");
    assert_eq!(g("a / b / c"), "(/ (/ a b) c)");
    assert_eq!(g("a or b or c"), "(or (or a b) c)");
}

#[test]
fn coalesce_binds_tighter_than_comparison_and_looser_than_plus() {
    assert_eq!(g("x.a ?? 1 > 2"), "(> (?? x.a 1) 2)");
    assert_eq!(g("x.a + 1 ?? x.b * 2"), "(?? (+ x.a 1) (* x.b 2))");
    assert_eq!(g("x.a ?? x.b ?? \"z\""), "(?? (?? x.a x.b) \"z\")");
    assert_eq!(g("not x.a ?? false"), "(not (?? x.a false))");
}

#[test]
fn unary_minus() {
    assert_eq!(g("-x.a * 2 < 0"), "(< (* (neg x.a) 2) 0)");
    assert_eq!(g("x.a - -1 > 0"), "(> (- x.a (neg 1)) 0)");
    assert_eq!(g("- - x.a == 1"), "(== (neg (neg x.a)) 1)");
    assert_eq!(
        g("x.n * -2 / 3 + 1 - 4 < 1"),
        "(< (- (+ (/ (* x.n (neg 2)) 3) 1) 4) 1)"
    );
}

#[test]
fn word_comparisons_and_lists() {
    assert_eq!(g("x.s not in [\"a\", \"b\"]"), "(not in x.s [\"a\" \"b\"])");
    assert_eq!(g("x.s in [1, 2, 3,]"), "(in x.s [1 2 3])");
    assert_eq!(g("x.s in []"), "(in x.s [])");
    assert_eq!(g("x.s contains \"z\""), "(contains x.s \"z\")");
    assert_eq!(g("x.s not contains \"z\""), "(not contains x.s \"z\")");
    assert_eq!(
        g("x.url starts with \"https://\""),
        "(starts with x.url \"https://\")"
    );
    assert_eq!(g("not x.s in [1]"), "(not (in x.s [1]))");
    assert_eq!(g("not x.s not in [1]"), "(not (not in x.s [1]))");
    assert_eq!(
        g("x.tags contains \"a\" and not (x.s contains \"z\")"),
        "(and (contains x.tags \"a\") (not (contains x.s \"z\")))"
    );
    assert_eq!(g("x.l == [[1], [2, 3]]"), "(== x.l [[1] [2 3]])");
}

#[test]
fn all_comparison_operators() {
    for (op, sym) in [
        ("==", "=="),
        ("!=", "!="),
        ("<", "<"),
        ("<=", "<="),
        (">", ">"),
        (">=", ">="),
    ] {
        assert_eq!(g(&format!("x.a {op} 1")), format!("({sym} x.a 1)"));
    }
}

#[test]
fn literals() {
    assert_eq!(g("x.a == 12.5"), "(== x.a 12.5)");
    assert_eq!(
        g("x.a == true or x.b == false or x.c == null"),
        "(or (or (== x.a true) (== x.b false)) (== x.c null))"
    );
    assert_eq!(
        g("now - event.time > 1h30m"),
        format!("(> (- now event.time) {}ms)", H + 30 * M)
    );
    assert_eq!(g("x.when == \"2024-01-31\""), "(== x.when \"2024-01-31\")");
    let e = guard_expr("event.context.page.url");
    let ExprKind::Path(segs) = &e.kind else {
        panic!()
    };
    assert_eq!(
        segs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["event", "context", "page", "url"]
    );
}

#[test]
fn expression_spans() {
    let src = "when a if x.a + 1 > 2 then send sms \"x\"";
    let r = one(src);
    let e = &r.guards[0].expr;
    assert_eq!(slice(src, e.span), "x.a + 1 > 2");
    let ExprKind::Binary(_, lhs, rhs) = &e.kind else {
        panic!()
    };
    assert_eq!(slice(src, lhs.span), "x.a + 1");
    assert_eq!(slice(src, rhs.span), "2");
    assert_eq!(slice(src, r.guards[0].span), "if x.a + 1 > 2");
}

// ------------------------------------------------------------------ where boundaries

#[test]
fn where_ends_before_a_top_level_and_not() {
    let t = trig("a where x.v > 1 and not b");
    let Primary::Match(m) = &t.primary else {
        panic!()
    };
    assert_eq!(sx(m.filter.as_ref().unwrap()), "(> x.v 1)");
    assert_eq!(t.absences.len(), 1);
    assert_eq!(t.absences[0].event.name, "b");

    let t = trig("a where x.v > 1 and x.w < 2 or x.z and not b.c");
    let Primary::Match(m) = &t.primary else {
        panic!()
    };
    assert_eq!(
        sx(m.filter.as_ref().unwrap()),
        "(or (and (> x.v 1) (< x.w 2)) x.z)"
    );
    assert_eq!(t.absences[0].event.name, "b.c");

    // ... also in an absence's own filter and in a sequence
    let t = trig("a and not b where event.x > 1 and not c within 1h");
    assert_eq!(sx(t.absences[0].filter.as_ref().unwrap()), "(> event.x 1)");
    assert!(t.absences[0].within.is_none());
    assert_eq!(t.absences[1].event.name, "c");
    assert_eq!(t.absences[1].within.unwrap().millis, H);
}

#[test]
fn parenthesised_not_stays_inside_the_filter() {
    let t = trig("a where x.v > 1 and (not customer.vip)");
    let Primary::Match(m) = &t.primary else {
        panic!()
    };
    assert_eq!(
        sx(m.filter.as_ref().unwrap()),
        "(and (> x.v 1) (not customer.vip))"
    );
    assert!(t.absences.is_empty());
    let t = trig("a where (x.v > 1 and not customer.vip) and not b");
    let Primary::Match(m) = &t.primary else {
        panic!()
    };
    assert_eq!(
        sx(m.filter.as_ref().unwrap()),
        "(and (> x.v 1) (not customer.vip))"
    );
    assert_eq!(t.absences[0].event.name, "b");
    // A leading `not` is a negation, not an absence.
    let t = trig("a where not x.v and x.w");
    let Primary::Match(m) = &t.primary else {
        panic!()
    };
    assert_eq!(sx(m.filter.as_ref().unwrap()), "(and (not x.v) x.w)");
}

#[test]
fn guards_keep_and_not_as_an_operator() {
    assert_eq!(g("a and not b"), "(and a (not b))");
}

#[test]
fn where_ends_before_int_times() {
    let t = trig("a where x > 1 3 times within 1h");
    let Primary::Count {
        matcher,
        times,
        within,
    } = t.primary
    else {
        panic!()
    };
    assert_eq!(sx(&matcher.filter.unwrap()), "(> x 1)");
    assert_eq!((times.value, within.millis), (3, H));
    let t = trig("a where x.n == 2 2 times within 1h");
    let Primary::Count { matcher, times, .. } = t.primary else {
        panic!()
    };
    assert_eq!(sx(&matcher.filter.unwrap()), "(== x.n 2)");
    assert_eq!(times.value, 2);
}

#[test]
fn keywords_after_a_dot_and_as_parameter_names() {
    assert_eq!(g("event.first == event.key"), "(== event.first event.key)");
    assert_eq!(
        g("event.for and customer.in and x.not"),
        "(and (and event.for customer.in) x.not)"
    );
    assert_eq!(g("event.when == event.rule"), "(== event.when event.rule)");
    assert_eq!(sx(&filter("event.then > 1")), "(> event.then 1)");
    let r = one(
        r#"when a then send whatsapp template "t" with (key: 1, for: customer.first_name, when: 2, rule: 3)"#,
    );
    let StepBody::Template { params, .. } = &r.action.body else {
        panic!()
    };
    let ps: Vec<_> = params
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|p| (p.name.as_ref().unwrap().name.clone(), sx(&p.value)))
        .collect();
    assert_eq!(
        ps,
        [
            ("key".to_string(), "1".to_string()),
            ("for".to_string(), "customer.first_name".to_string()),
            ("when".to_string(), "2".to_string()),
            ("rule".to_string(), "3".to_string()),
        ]
    );
}

// ------------------------------------------------------------------ actions

/// `(name, value)` of each template parameter, values as s-expressions.
type ParamList = Vec<(Option<String>, String)>;

/// Name, `lang` and parameters of a template step.
fn template(src: &str) -> (String, Option<String>, Option<ParamList>) {
    let r = one(src);
    let StepBody::Template { name, lang, params } = r.action.body else {
        panic!()
    };
    (
        name.value,
        lang.as_ref().map(sx),
        params.map(|p| {
            p.items
                .iter()
                .map(|i| (i.name.as_ref().map(|n| n.name.clone()), sx(&i.value)))
                .collect()
        }),
    )
}

#[test]
fn send_template_with_lang_and_positional_params() {
    let (name, lang, params) = template(
        r#"when a then send whatsapp template "order_shipped" lang "en_US" with (event.order_id, customer.first_name ?? "there")"#,
    );
    assert_eq!(name, "order_shipped");
    assert_eq!(lang.as_deref(), Some("\"en_US\""));
    assert_eq!(
        params.unwrap(),
        [
            (None, "event.order_id".to_string()),
            (None, "(?? customer.first_name \"there\")".to_string())
        ]
    );
    let (_, lang, params) = template(r#"when a then send email template "welcome""#);
    assert!(lang.is_none() && params.is_none());
    let (_, _, params) = template(r#"when a then send whatsapp template "t" with ()"#);
    assert_eq!(params.unwrap(), []);
}

#[test]
fn positional_params_may_end_with_header() {
    let (_, _, params) = template(
        r#"when a then send whatsapp template "promo" with (customer.first_name, event.code, header: event.image_url,)"#,
    );
    assert_eq!(
        params.unwrap(),
        [
            (None, "customer.first_name".to_string()),
            (None, "event.code".to_string()),
            (Some("header".to_string()), "event.image_url".to_string()),
        ]
    );
}

#[test]
fn named_params() {
    let (_, lang, params) = template(
        r#"when a then send whatsapp template "t" lang customer.locale with (name: customer.first_name, total: event.total * 1.19)"#,
    );
    assert_eq!(lang.as_deref(), Some("customer.locale"));
    assert_eq!(
        params.unwrap(),
        [
            (Some("name".to_string()), "customer.first_name".to_string()),
            (
                Some("total".to_string()),
                "(* event.total 1.19)".to_string()
            )
        ]
    );
}

#[test]
fn text_with_interpolation() {
    let t = sms_text("Hi {customer.first_name}, your cart of {event.total * 2} awaits");
    assert_eq!(
        render_text(&t),
        "Hi {customer.first_name}, your cart of {(* event.total 2)} awaits"
    );
    assert_eq!(t.parts.len(), 5);
    assert!(matches!(&t.parts[0], TextPart::Literal { text, .. } if text == "Hi "));
    assert!(matches!(&t.parts[1], TextPart::Interp(_)));
    // Only interpolation.
    let t = sms_text("{x.a}{x.b}");
    assert_eq!(t.parts.len(), 2);
    // Spans of parts point into the file.
    let src = "when a then send sms \"Hi {customer.name}!\"";
    let r = one(src);
    let t = text_of(&r.action);
    assert_eq!(slice(src, t.span), "\"Hi {customer.name}!\"");
    let TextPart::Interp(e) = &t.parts[1] else {
        panic!()
    };
    assert_eq!(slice(src, e.span), "customer.name");
}

#[test]
fn doubled_braces_are_literal() {
    let t = sms_text("{{literal}} and {x.a} }}{{");
    assert_eq!(render_text(&t), "{literal} and {x.a} }{");
    let TextPart::Literal { text, .. } = &t.parts[0] else {
        panic!()
    };
    assert_eq!(text, "{literal} and ");
    // `{{` in a plain string (a template name) is just two braces.
    let (name, _, _) = template(r#"when a then send sms template "a{{b}}""#);
    assert_eq!(name, "a{{b}}");
}

#[test]
fn plain_string_inside_interpolation() {
    let t = sms_text(r#"Hi {customer.name ?? "there"}!"#);
    assert_eq!(render_text(&t), "Hi {(?? customer.name \"there\")}!");
    // braces and escapes in that inner string are plain
    let t = sms_text(r#"{x.a ?? "{not interp} \"q\""}"#);
    assert_eq!(render_text(&t), r#"{(?? x.a "{not interp} \"q\"")}"#);
}

#[test]
fn string_escapes() {
    let t = sms_text(r#"q\" b\\ n\n t\t u\u{1F600} e\u{e9}"#);
    assert_eq!(render_text(&t), "q\" b\\ n\n t\t u\u{1F600} e\u{e9}");
    assert_eq!(
        g(r#"x.a == "\"\\\n\t\u{1F600}""#),
        format!("(== x.a {:?})", "\"\\\n\t\u{1F600}")
    );
    // Non-ASCII passes through unchanged.
    let t = sms_text("Grüße, 你好 🙂");
    assert_eq!(render_text(&t), "Grüße, 你好 🙂");
}

#[test]
fn fallback_steps() {
    let r = one(
        r#"when a then send whatsapp template "t" fallback rcs template "r" lang "de" with (x.a) fallback sms "Hi {x.b} STOP" fallback viber "v""#,
    );
    let chans: Vec<_> = r
        .fallbacks
        .iter()
        .map(|s| s.channel.name.as_str())
        .collect();
    assert_eq!(chans, ["rcs", "sms", "viber"]);
    let StepBody::Template { name, lang, params } = &r.fallbacks[0].body else {
        panic!()
    };
    assert_eq!(name.value, "r");
    assert_eq!(sx(lang.as_ref().unwrap()), "\"de\"");
    assert_eq!(params.as_ref().unwrap().items.len(), 1);
    assert_eq!(render_text(text_of(&r.fallbacks[1])), "Hi {x.b} STOP");
    assert_eq!(render_text(text_of(&r.fallbacks[2])), "v");
    // Channel names are not reserved and are not checked by the parser.
    let r = one(r#"when a then send pigeon "coo""#);
    assert_eq!(r.action.channel.name, "pigeon");
}

// ------------------------------------------------------------------ options

#[test]
fn every_option() {
    let src = r#"when a for 1h then send sms "x"
  key event.product_id
  limit 2 per 1d
  once
  priority -3
  quiet 22:30-07:00 in customer.tz
  goal order.completed where event.total > 0 within 7d
  holdout 12.5%
  tag promo
  tag transactional
  priority 10
  quiet 00:00-23:59
  goal "Signed Up" within 1h"#;
    let r = one(src);
    let kws: Vec<_> = r.options.iter().map(|o| o.keyword()).collect();
    assert_eq!(
        kws,
        [
            "key", "limit", "once", "priority", "quiet", "goal", "holdout", "tag", "tag",
            "priority", "quiet", "goal"
        ]
    );
    let o = &r.options;
    assert!(matches!(&o[0], RuleOption::Key { expr, .. } if sx(expr) == "event.product_id"));
    assert!(
        matches!(&o[1], RuleOption::Limit { count, per, .. } if count.value == 2 && per.millis == D)
    );
    assert!(matches!(&o[2], RuleOption::Once { span } if slice(src, *span) == "once"));
    assert!(matches!(&o[3], RuleOption::Priority { value, .. } if value.value == -3));
    match &o[4] {
        RuleOption::Quiet {
            start, end, zone, ..
        } => {
            assert_eq!((start.minutes, end.minutes), (22 * 60 + 30, 7 * 60));
            assert_eq!(sx(zone.as_ref().unwrap()), "customer.tz");
        }
        x => panic!("{x:?}"),
    }
    match &o[5] {
        RuleOption::Goal {
            event,
            filter,
            within,
            ..
        } => {
            assert_eq!(event.name, "order.completed");
            assert_eq!(sx(filter.as_ref().unwrap()), "(> event.total 0)");
            assert_eq!(within.millis, 7 * D);
        }
        x => panic!("{x:?}"),
    }
    assert!(
        matches!(&o[6], RuleOption::Holdout { percent, .. } if percent.value == 12.5 && slice(src, percent.span) == "12.5%")
    );
    assert!(matches!(&o[7], RuleOption::Tag { name, .. } if name.name == "promo"));
    assert!(matches!(&o[8], RuleOption::Tag { name, .. } if name.name == "transactional"));
    assert!(matches!(&o[9], RuleOption::Priority { value, .. } if value.value == 10));
    assert!(
        matches!(&o[10], RuleOption::Quiet { start, end, zone: None, .. } if start.minutes == 0 && end.minutes == 23 * 60 + 59)
    );
    match &o[11] {
        RuleOption::Goal {
            event,
            filter,
            within,
            ..
        } => {
            assert_eq!((event.name.as_str(), event.quoted), ("Signed Up", true));
            assert!(filter.is_none());
            assert_eq!(within.millis, H);
        }
        x => panic!("{x:?}"),
    }
    assert_eq!(slice(src, o[1].span()), "limit 2 per 1d");
    assert_eq!(slice(src, o[4].span()), "quiet 22:30-07:00 in customer.tz");
    assert_eq!(slice(src, o[6].span()), "holdout 12.5%");
}

// ------------------------------------------------------------------ lexical

#[test]
fn compound_durations() {
    let cases = [
        ("1ms", 1),
        ("30s", 30_000),
        ("15m", 15 * M),
        ("2h", 2 * H),
        ("7d", 7 * D),
        ("2w", 14 * D),
        ("1h30m", H + 30 * M),
        ("1w2d3h4m5s6ms", 9 * D + 3 * H + 4 * M + 5_000 + 6),
        ("366d", 366 * D),
        ("52w2d", 366 * D),
        ("90m", 90 * M),
    ];
    for (d, ms) in cases {
        assert_eq!(trig(&format!("a for {d}")).wait.unwrap().millis, ms, "{d}");
    }
}

#[test]
fn clock_times() {
    for (q, a, b) in [
        ("00:00-23:59", 0, 1439),
        ("21:00-09:00", 1260, 540),
        ("09:05-09:06", 545, 546),
    ] {
        let r = one(&format!("when a then send sms \"x\" quiet {q}"));
        let RuleOption::Quiet { start, end, .. } = &r.options[0] else {
            panic!()
        };
        assert_eq!((start.minutes, end.minutes), (a, b), "{q}");
    }
}

#[test]
fn comments_anywhere() {
    let src = "# head\nrule r: # after the header\n  when a # trigger\n  # own line\n  if x.a # guard\n  then send sms \"# not a comment\" # action\n  once # option\n# tail";
    let r = one(src);
    assert_eq!(render_text(text_of(&r.action)), "# not a comment");
    assert_eq!(r.guards.len(), 1);
    assert_eq!(r.options.len(), 1);
    assert!(
        slice(src, r.span).ends_with("once"),
        "the rule span does not take the trailing comment"
    );
    let plain = one("rule r: when a if x.a then send sms \"# not a comment\" once");
    assert_eq!(masked(&r.trigger), masked(&plain.trigger));
    assert_eq!(masked(&r.guards), masked(&plain.guards));
}

#[test]
fn crlf_bom_and_tabs() {
    let lf = FULL_FORM;
    let crlf = lf.replace('\n', "\r\n");
    let bom = format!("\u{FEFF}{lf}");
    let tabs = lf.replace("  ", "\t");
    let base = masked(&one(lf));
    for (what, src) in [("crlf", &crlf), ("bom", &bom), ("tabs", &tabs)] {
        let r = one(src);
        assert_eq!(masked(&r), base, "{what}");
        assert_eq!(
            slice(src, r.name.as_ref().unwrap().span),
            "cart_reminder",
            "{what}"
        );
        assert_eq!(slice(src, r.when_span), "when", "{what}");
    }
    // CRLF inside a message text is not allowed, but at line ends after it is.
    let r = one("when a\r\nthen send sms \"x\"\r\n# c\r\n");
    assert_eq!(render_text(text_of(&r.action)), "x");
    // A BOM and a one-liner.
    let src = "\u{FEFF}when a then send sms \"x\"";
    let r = one(src);
    assert_eq!(r.when_span.start, 3);
}

// ------------------------------------------------------------------ errors

/// Diagnostics for a file, with 1-based line:col of each primary span.
fn errors(src: &str) -> (File, Vec<(Diagnostic, usize, usize)>) {
    let (f, d) = parse_file(src, FileId(0));
    let sf = SourceFile::new("t.trig", src);
    let d = d
        .into_iter()
        .map(|d| {
            let lc = sf.line_col(d.span.start);
            (d, lc.line, lc.column)
        })
        .collect();
    (f, d)
}

/// The only diagnostic of `src`, checked for user words; no rule survives.
fn the_error(src: &str) -> (Diagnostic, usize, usize) {
    let (f, mut d) = errors(src);
    assert_eq!(
        d.len(),
        1,
        "expected one diagnostic for:\n{src}\ngot {:#?}",
        d
    );
    assert!(f.rules.is_empty(), "a broken rule is left out");
    let e = d.pop().unwrap();
    assert_user_words(&e.0);
    e
}

/// Names of grammar rules that are not also plain English: those with an
/// underscore or in capitals, and a few abbreviations.
fn grammar_words() -> Vec<String> {
    let grammar =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/trig.pest")).unwrap();
    let mut words: Vec<String> = grammar
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim().to_string()))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .filter(|n| n.contains('_') || n.chars().all(|c| c.is_ascii_uppercase()))
        .collect();
    assert!(
        words.iter().any(|w| w == "filter_and"),
        "grammar rule names not found"
    );
    words.extend(["expr", "atom", "ident", "interp", "matcher", "EOI", "SOI"].map(String::from));
    words
}

fn assert_user_words(d: &Diagnostic) {
    let all = format!(
        "{} | {} | {}",
        d.message,
        d.label.as_deref().unwrap_or(""),
        d.help.as_deref().unwrap_or("")
    );
    let grammar = grammar_words();
    for word in all.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        assert!(
            !word.starts_with("kw_"),
            "diagnostic names a grammar rule `{word}`: {all}"
        );
        assert!(
            !grammar.iter().any(|g| g == word),
            "diagnostic names a grammar rule `{word}`: {all}"
        );
    }
    assert!(
        !all.contains("Rule::") && !all.contains("positives"),
        "{all}"
    );
    assert!(!d.message.is_empty());
}

#[test]
fn missing_duration_after_for() {
    let (d, line, col) = the_error("when cart.abandoned for then send sms \"x\"");
    assert_eq!(d.code, Code::SyntaxError);
    assert!(
        d.message
            .contains("expected a duration such as `2h` after `for`"),
        "{}",
        d.message
    );
    assert!(d.message.contains("found `then`"), "{}", d.message);
    assert_eq!((line, col), (1, 25));
    let (d, line, col) = the_error("when a\n  for soon\nthen send sms \"x\"");
    assert!(
        d.message
            .contains("expected a duration such as `2h` after `for`, found `soon`"),
        "{}",
        d.message
    );
    assert_eq!((line, col), (2, 7));
    assert!(d.help.unwrap().contains("1h30m"));
}

#[test]
fn else_is_not_supported() {
    let (d, line, col) = the_error("when a then send sms \"x\"\n  else send email template \"y\"");
    assert_eq!(d.code, Code::ElseNotSupported);
    assert_eq!((line, col), (2, 3));
    let help = d.help.unwrap();
    assert!(
        help.contains("fallback") && help.contains("unless"),
        "{help}"
    );
}

#[test]
fn unterminated_string() {
    let (d, line, col) = the_error("when a\nthen send sms \"Hi there\n");
    assert_eq!(d.code, Code::UnterminatedString);
    assert_eq!((line, col), (2, 15));
    // also in a template name, a guard and at the very end of the file
    for (src, lc) in [
        ("when a then send whatsapp template \"t", (1, 36)),
        ("when a if x.a == \"b\nthen send sms \"x\"", (1, 18)),
        ("when \"Order", (1, 6)),
    ] {
        let (d, line, col) = the_error(src);
        assert_eq!(d.code, Code::UnterminatedString, "{src}: {}", d.message);
        assert_eq!((line, col), lc, "{src}");
    }
}

#[test]
fn unknown_escape_at_the_escape() {
    let (d, line, col) = the_error("when a then send sms \"ab\\qc\"");
    assert_eq!(d.code, Code::InvalidEscape);
    assert_eq!((line, col), (1, 25));
    assert_eq!(d.span.len(), 2);
    assert!(d.message.contains("\\q"));
    let (d, _, col) = the_error("when a if x.a == \"\\x41\" then send sms \"x\"");
    assert_eq!(d.code, Code::InvalidEscape);
    assert_eq!(col, 19);
    let (d, ..) = the_error("when a then send sms \"\\u{110000}\"");
    assert_eq!(d.code, Code::InvalidEscape);
}

#[test]
fn lone_brace_in_text() {
    for (src, col) in [
        ("when a then send sms \"50% off {today\"", 31),
        ("when a then send sms \"a } b\"", 25),
    ] {
        let (d, line, c) = the_error(src);
        assert_eq!(d.code, Code::LoneBrace, "{src}: {}", d.message);
        assert_eq!((line, c), (1, col), "{src}");
        assert!(
            d.help.as_deref().unwrap().contains("double it"),
            "{:?}",
            d.help
        );
    }
}

#[test]
fn invalid_durations() {
    for (d_, col) in [
        ("30m1h", 12),
        ("0s", 12),
        ("400d", 12),
        ("1h1h", 12),
        ("53w", 12),
    ] {
        let (d, line, c) = the_error(&format!("when a for {d_} then send sms \"x\""));
        assert_eq!(d.code, Code::InvalidDuration, "{d_}: {}", d.message);
        assert_eq!((line, c), (1, col), "{d_}");
        assert_eq!(d.span.len(), d_.len());
    }
    let (d, ..) = the_error("when a then send sms \"x\" limit 1 per 0ms");
    assert_eq!(d.code, Code::InvalidDuration);
}

#[test]
fn invalid_clock_time() {
    let (d, line, col) = the_error("when a then send sms \"x\"\n  quiet 24:00-09:00");
    assert_eq!(d.code, Code::InvalidClockTime);
    assert_eq!((line, col), (2, 9));
    let (d, _, col) = the_error("when a then send sms \"x\" quiet 21:00-09:60");
    assert_eq!(d.code, Code::InvalidClockTime);
    assert_eq!(col, 38);
}

#[test]
fn chained_comparison() {
    let (d, line, col) = the_error("when a if x.a < x.b < x.c then send sms \"x\"");
    assert_eq!(d.code, Code::ChainedComparison);
    assert_eq!((line, col), (1, 21));
    assert!(d.help.unwrap().contains("and"));
    // As written in LANGUAGE.md, in a filter, and with word operators.
    let src = "when e where a < b < c then send sms \"x\"";
    let (d, line, col) = the_error(src);
    assert_eq!(d.code, Code::ChainedComparison);
    assert_eq!((line, col), (1, 20));
    assert_eq!(d.secondary.len(), 1, "the first comparison is shown too");
    assert_eq!(slice(src, d.secondary[0].span), "<");
    let (d, ..) = the_error("when e if x.a == x.b in [1] then send sms \"x\"");
    assert_eq!(d.code, Code::ChainedComparison);
}

#[test]
fn keyword_as_event_name() {
    let (d, line, col) = the_error("when for then send sms \"x\"");
    assert_eq!(d.code, Code::SyntaxError);
    assert_eq!((line, col), (1, 6));
    assert!(d.message.contains("found `for`"), "{}", d.message);
    assert!(
        d.message.contains("event") || d.message.contains("trigger"),
        "{}",
        d.message
    );
    let (d, _, col) = the_error("when a and not then then send sms \"x\"");
    assert_eq!(col, 16);
    assert!(d.message.contains("event name"), "{}", d.message);
}

#[test]
fn other_syntax_errors_are_in_user_words() {
    for src in [
        "when",
        "when a",
        "when a then",
        "when a then send",
        "when a then send sms",
        "when a then send whatsapp template",
        "when a then send whatsapp template \"t\" with (",
        "when a then send whatsapp template \"t\" with (x.a,,)",
        "when a if then send sms \"x\"",
        "when a if x.a == then send sms \"x\"",
        "when a 3 times then send sms \"x\"",
        "when a followed by b then send sms \"x\"",
        "when (a) then send sms \"x\"",
        "when a then send sms \"x\" limit 1",
        "when a then send sms \"x\" holdout 10",
        "when a then send sms \"x\" bogus",
        "rule : when a then send sms \"x\"",
        "when a where then send sms \"x\"",
        "when a then send sms \"{}\"",
        "when a then send sms \"{x.a +}\"",
    ] {
        let (_, d) = errors(src);
        assert!(!d.is_empty(), "no error for {src}");
        for (x, ..) in &d {
            assert_user_words(x);
            assert!(x.span.end <= src.len());
        }
    }
}

#[test]
fn a_broken_rule_between_two_good_ones() {
    let src = "rule one: when a then send sms \"1\"\n\nrule two:\n  when b for then send sms \"2\"\n\nrule three: when c then send sms \"3\"\n";
    let (f, d) = errors(src);
    let names: Vec<_> = f
        .rules
        .iter()
        .map(|r| r.name.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["one", "three"]);
    assert_eq!(f.rules[1].position, 3, "positions count the broken rule");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].1, d[0].2), (4, 14));
    assert_user_words(&d[0].0);

    // Each broken rule is reported on its own.
    let src = "when a for x then send sms \"1\"\nwhen b then send sms \"2\"\nwhen c then send sms \"3\" else\nwhen d then send sms \"4 {\"\n";
    let (f, d) = errors(src);
    assert_eq!(f.rules.len(), 1);
    let got: Vec<_> = d.iter().map(|(x, l, c)| (x.code, *l, *c)).collect();
    assert_eq!(
        got,
        [
            (Code::SyntaxError, 1, 12),
            (Code::ElseNotSupported, 3, 26),
            (Code::LoneBrace, 4, 25)
        ]
    );

    // An unterminated string spoils only its own rule.
    let (f, d) = errors("when a then send sms \"x\nwhen b then send sms \"y\"");
    assert_eq!(f.rules.len(), 1);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0.code, Code::UnterminatedString);
}

#[test]
fn text_before_the_first_rule() {
    let (f, d) = errors("oops\nwhen a then send sms \"x\"");
    assert_eq!(f.rules.len(), 1);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].1, d[0].2), (1, 1));
    assert!(d[0].0.message.contains("`oops`"), "{}", d[0].0.message);
    assert_user_words(&d[0].0);
}
