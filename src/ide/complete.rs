//! Completion: what may be typed at the cursor, from the position's role
//! in its rule. The role comes from classifying the text before the cursor
//! with a stand-in word typed at the cursor, so completion agrees with
//! highlighting on what a position is, even mid-edit.

use std::collections::BTreeSet;

use super::roles::{aliases, classify, rule_ranges, Classified, Role};
use super::{template_detail, template_doc, Project};
use crate::check::schema::Field;
use crate::syntax::lexer::{self, StrKind, Token, TokenKind, CHANNELS, KEYWORDS};
use crate::syntax::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Event,
    Channel,
    Template,
    /// A customer attribute or an event property.
    Field,
    /// `customer`, `event`, `now`, or an alias of the rule.
    Variable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// The text that replaces [`Completions::replace`].
    pub insert: String,
}

/// The candidates at a position and the span they replace (the partial
/// word or name already typed).
#[derive(Debug, Clone, PartialEq)]
pub struct Completions {
    pub replace: Span,
    pub items: Vec<Completion>,
}

/// Candidates for the cursor at byte `offset` of `src`.
pub fn complete(src: &str, offset: usize, project: &Project) -> Completions {
    let offset = floor_char_boundary(src, offset);
    let tokens = lexer::tokenize(src);
    let mut suffix = String::new();
    if let Some(i) = string_at(&tokens, offset) {
        let open = open_interpolations(&src[tokens[i].span.start + 1..offset]);
        if open == 0 {
            return in_string(src, &tokens, i, offset, project);
        }
        // Close the interpolations and the text so the stand-in word is
        // classified as the expression it is.
        suffix = format!("{}\"", "}".repeat(open));
    }
    if in_comment(&tokens, offset) {
        return Completions {
            replace: Span::new(offset, offset),
            items: Vec::new(),
        };
    }
    let word_start = name_start(src, offset);
    let probe = format!("{}x{suffix}", &src[..word_start]);
    let replace = Span::new(word_start, offset);
    let Some(piece) = classify(&probe)
        .into_iter()
        .find(|c| c.span.start == word_start)
    else {
        return general(src, replace, &tokens);
    };
    match piece.role {
        Role::EventName => events(src, dotted_start(src, word_start), offset, true, project),
        Role::Channel => Completions {
            replace,
            items: CHANNELS.iter().map(|c| channel_item(c, project)).collect(),
        },
        Role::Member => members(src, word_start, offset, project),
        Role::RuleName | Role::AliasDef | Role::Tag | Role::Comment | Role::Str => Completions {
            replace,
            items: Vec::new(),
        },
        _ if after_template_keyword(&probe) => template_names(src, replace, &probe, true, project),
        _ => general(src, replace, &tokens),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Where the run of name characters that ends at byte `end` starts. Names
/// are ASCII, so the byte after the last non-name byte (the last byte of
/// `é`, say) is always a character boundary.
fn name_start(src: &str, end: usize) -> usize {
    src.as_bytes()[..end]
        .iter()
        .rposition(|&b| !is_name_char(char::from(b)))
        .map_or(0, |i| i + 1)
}

/// Whether the cursor is in a comment (after its `#`, up to its end).
fn in_comment(tokens: &[Token], offset: usize) -> bool {
    tokens
        .iter()
        .any(|t| t.kind == TokenKind::Comment && t.span.start < offset && offset <= t.span.end)
}

fn floor_char_boundary(src: &str, mut offset: usize) -> usize {
    offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The string token the cursor is inside (after its opening quote and,
/// for a closed string, before its closing one).
fn string_at(tokens: &[Token], offset: usize) -> Option<usize> {
    tokens.iter().position(|t| {
        let TokenKind::Str(kind) = t.kind else {
            return false;
        };
        let closed = kind != StrKind::Unterminated && t.span.len() > 1;
        t.span.start < offset && (offset < t.span.end || (!closed && offset == t.span.end))
    })
}

fn in_string(
    src: &str,
    tokens: &[Token],
    i: usize,
    offset: usize,
    project: &Project,
) -> Completions {
    let t = tokens[i];
    let contents_end = if t.kind == TokenKind::Str(StrKind::Unterminated) || t.span.len() < 2 {
        t.span.end
    } else {
        t.span.end - 1
    };
    let replace = Span::new(t.span.start + 1, contents_end.max(offset));
    let empty = Completions {
        replace,
        items: Vec::new(),
    };
    let prev = tokens[..i]
        .iter()
        .rev()
        .find(|t| t.kind != TokenKind::Comment);
    if prev.is_some_and(|p| p.is_keyword(src, "template")) {
        let before = &src[..t.span.start];
        return template_names(src, replace, before, false, project);
    }
    let probe = format!("{}\"x\"", &src[..t.span.start]);
    match classify(&probe).last() {
        Some(Classified {
            role: Role::EventName,
            ..
        }) => events(src, replace.start, replace.end, false, project),
        _ => empty,
    }
}

/// How many `{…}` interpolations of a message text are open at the end
/// of `before` (the text from its opening quote to the cursor). A raw scan,
/// because the text being typed is usually not closed yet.
fn open_interpolations(before: &str) -> usize {
    let b = before.as_bytes();
    let (mut depth, mut in_inner, mut i) = (0usize, false, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' if depth > 0 => in_inner = !in_inner,
            _ if in_inner => {}
            b'{' | b'}' if depth == 0 && b.get(i + 1) == Some(&b[i]) => i += 1,
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    depth
}

/// Whether the last significant token of `text` is the `template` keyword.
fn after_template_keyword(text: &str) -> bool {
    let tokens = lexer::tokenize(text);
    let mut sig = tokens.iter().rev().filter(|t| t.kind != TokenKind::Comment);
    sig.next(); // the stand-in word
    sig.next().is_some_and(|t| t.is_keyword(text, "template"))
}

/// Template names for the channel of the `send CHANNEL template` before
/// the cursor; `quote` when the cursor is not yet inside the quotes.
fn template_names(
    _src: &str,
    replace: Span,
    before: &str,
    quote: bool,
    project: &Project,
) -> Completions {
    let tokens = lexer::tokenize(before);
    let channel = tokens
        .iter()
        .rev()
        .filter(|t| t.kind != TokenKind::Comment)
        .find(|t| t.kind == TokenKind::Word(lexer::WordKind::Channel))
        .map(|t| t.text(before).to_string());
    let Some(channel) = channel else {
        return Completions {
            replace,
            items: Vec::new(),
        };
    };
    let names: Vec<String> = if channel == "whatsapp" {
        project.whatsapp.names().map(str::to_string).collect()
    } else {
        project
            .templates
            .names(&channel)
            .map(str::to_string)
            .collect()
    };
    let items = names
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|name| Completion {
            detail: Some(template_detail(project, &channel, &name)),
            documentation: template_doc(project, &channel, &name),
            insert: if quote {
                format!("\"{name}\"")
            } else {
                name.clone()
            },
            label: name,
            kind: CompletionKind::Template,
        })
        .collect();
    Completions { replace, items }
}

/// Where the dotted name that ends at `word_start` begins.
fn dotted_start(src: &str, word_start: usize) -> usize {
    let mut start = word_start;
    while start > 0 && src.as_bytes()[start - 1] == b'.' {
        start = name_start(src, start - 1);
    }
    start
}

/// Event names from the schema, the workspace and this file.
fn events(src: &str, start: usize, end: usize, bare: bool, project: &Project) -> Completions {
    let mut names: BTreeSet<String> = project.events.iter().cloned().collect();
    if let Some(schema) = project.schema {
        names.extend(schema.events.keys().cloned());
    }
    names.extend(events_in(src));
    let typed = &src[start..end];
    names.remove(typed);
    let items = names
        .into_iter()
        .map(|name| {
            let needs_quotes = !name
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(is_name_char) && !lexer::is_keyword(p));
            let insert = if bare && needs_quotes {
                format!("\"{name}\"")
            } else {
                name.clone()
            };
            let in_schema = project.schema.is_some_and(|s| s.has_event(&name));
            Completion {
                detail: Some(if in_schema { "event (schema)" } else { "event" }.to_string()),
                documentation: project
                    .schema
                    .and_then(|s| s.events.get(&name).map(|props| fields_doc(&name, props))),
                insert,
                label: name,
                kind: CompletionKind::Event,
            }
        })
        .collect();
    Completions {
        replace: Span::new(start, end),
        items,
    }
}

/// The event names written in `src` (dotted pieces joined, quotes removed).
pub(super) fn events_in(src: &str) -> BTreeSet<String> {
    event_names(src).into_iter().map(|(n, _)| n).collect()
}

/// Each event name written in `src` with its span.
pub(super) fn event_names(src: &str) -> Vec<(String, Span)> {
    let mut out: Vec<(String, Span)> = Vec::new();
    let mut last_end = None;
    for c in classify(src)
        .into_iter()
        .filter(|c| c.role == Role::EventName)
    {
        let text = &src[c.span.start..c.span.end];
        match out.last_mut() {
            Some((name, span)) if last_end == Some(c.span.start) && !text.starts_with('"') => {
                name.push_str(text);
                span.end = c.span.end;
            }
            _ => out.push((text.trim_matches('"').to_string(), c.span)),
        }
        last_end = Some(c.span.end);
    }
    out
}

/// The path before the cursor, `customer.address.` → ["customer", "address"].
fn path_before(src: &str, word_start: usize) -> Vec<&str> {
    let start = dotted_start(src, word_start);
    src.get(start..word_start.saturating_sub(1))
        .unwrap_or_default()
        .split('.')
        .collect()
}

fn members(src: &str, word_start: usize, offset: usize, project: &Project) -> Completions {
    let replace = Span::new(word_start, offset);
    let path = path_before(src, word_start);
    let Some((&root, rest)) = path.split_first() else {
        return Completions {
            replace,
            items: Vec::new(),
        };
    };
    let mut items: Vec<Completion> = Vec::new();
    if root == "customer" {
        let schema_attrs = project.schema.and_then(|s| s.customer.as_ref());
        if let Some(level) = schema_attrs.and_then(|a| nested(a, rest)) {
            items.extend(field_items(level, "customer attribute"));
        }
        if rest.is_empty() {
            let mut extra: BTreeSet<String> = used_members(src, "customer");
            for ch in CHANNELS {
                extra.extend(project.config.consent_attribute(ch).map(str::to_string));
                extra.extend(project.config.contact_attribute(ch).map(str::to_string));
            }
            items.extend(name_items(extra, "customer attribute"));
        }
    } else {
        let event = if root == "event" {
            event_before(src, word_start)
        } else {
            alias_event(src, root, word_start)
        };
        if let (Some(event), Some(schema)) = (event, project.schema) {
            if let Some(level) = schema.events.get(&event).and_then(|p| nested(p, rest)) {
                items.extend(field_items(level, &format!("{event} property")));
            }
        }
        if rest.is_empty() {
            items.extend(name_items(used_members(src, root), "property"));
        }
    }
    dedupe(&mut items);
    Completions { replace, items }
}

fn nested<'f>(
    mut level: &'f std::collections::BTreeMap<String, Field>,
    path: &[&str],
) -> Option<&'f std::collections::BTreeMap<String, Field>> {
    for seg in path {
        match level.get(*seg)? {
            Field::Object(inner) => level = inner,
            Field::Scalar(_) => return None,
        }
    }
    Some(level)
}

fn field_items(level: &std::collections::BTreeMap<String, Field>, what: &str) -> Vec<Completion> {
    level
        .iter()
        .map(|(name, field)| Completion {
            label: name.clone(),
            kind: CompletionKind::Field,
            detail: Some(format!("{} · {what}", field_type(field))),
            documentation: None,
            insert: name.clone(),
        })
        .collect()
}

fn name_items(names: BTreeSet<String>, what: &str) -> Vec<Completion> {
    names
        .into_iter()
        .map(|name| Completion {
            insert: name.clone(),
            label: name,
            kind: CompletionKind::Field,
            detail: Some(what.to_string()),
            documentation: None,
        })
        .collect()
}

/// Keeps the first of items with the same label (schema entries come
/// first and carry types).
fn dedupe(items: &mut Vec<Completion>) {
    let mut seen = BTreeSet::new();
    items.retain(|c| seen.insert(c.label.clone()));
}

pub(super) fn field_type(field: &Field) -> &'static str {
    match field {
        Field::Scalar(t) => t.name(),
        Field::Object(_) => "object",
    }
}

/// A Markdown list of an event's properties.
pub(super) fn fields_doc(event: &str, props: &std::collections::BTreeMap<String, Field>) -> String {
    let mut out = format!("**{event}** (event)\n");
    if !props.is_empty() {
        out.push_str("\nproperties:\n");
        for (name, field) in props {
            out.push_str(&format!("- `{name}`: {}\n", field_type(field)));
        }
    }
    out
}

/// The first members used after `root.` anywhere in `src`.
fn used_members(src: &str, root: &str) -> BTreeSet<String> {
    let pieces = classify(src);
    pieces
        .windows(3)
        .filter(|w| {
            let text = |c: &Classified| &src[c.span.start..c.span.end];
            text(&w[0]) == root
                && matches!(w[0].role, Role::Builtin | Role::AliasRef)
                && text(&w[1]) == "."
                && w[2].role == Role::Member
        })
        .map(|w| src[w[2].span.start..w[2].span.end].to_string())
        .collect()
}

/// The nearest event named before `offset` in its rule: what `event.`
/// refers to in a `where` after it.
fn event_before(src: &str, offset: usize) -> Option<String> {
    let range = rule_span(src, offset);
    event_names(src)
        .into_iter()
        .rfind(|(_, s)| s.end <= offset && s.start >= range.start)
        .map(|(n, _)| n)
}

/// The event an alias of the rule around `offset` stands for.
pub(super) fn alias_event(src: &str, alias: &str, offset: usize) -> Option<String> {
    let range = rule_span(src, offset);
    let tokens = lexer::tokenize(src);
    let def = aliases(src, &tokens)
        .into_iter()
        .find(|(n, s)| *n == alias && s.start >= range.start && s.end <= range.end)?;
    event_before(src, def.1.start)
}

/// The byte range of the rule around `offset`.
fn rule_span(src: &str, offset: usize) -> Span {
    let tokens = lexer::tokenize(src);
    let mut found = Span::new(0, src.len());
    for r in rule_ranges(src, &tokens) {
        let (Some(first), Some(last)) = (tokens.get(r.start), tokens.get(r.end.wrapping_sub(1)))
        else {
            continue;
        };
        let next_start = tokens.get(r.end).map_or(src.len(), |t| t.span.start);
        if first.span.start <= offset && offset <= next_start.max(last.span.end) {
            found = Span::new(first.span.start, next_start);
        }
    }
    found
}

fn channel_item(channel: &str, project: &Project) -> Completion {
    let consent = project.config.consent_attribute(channel);
    Completion {
        label: channel.to_string(),
        kind: CompletionKind::Channel,
        detail: Some(match consent {
            Some(attr) => format!("channel · consent: customer.{attr}"),
            None => "channel".to_string(),
        }),
        documentation: None,
        insert: channel.to_string(),
    }
}

/// Keywords, the built-in roots and the aliases of the rule.
fn general(src: &str, replace: Span, tokens: &[Token]) -> Completions {
    let mut items: Vec<Completion> = KEYWORDS
        .iter()
        .map(|k| Completion {
            label: k.to_string(),
            kind: CompletionKind::Keyword,
            detail: Some("keyword".to_string()),
            documentation: None,
            insert: k.to_string(),
        })
        .collect();
    let range = rule_span(src, replace.start);
    let own: BTreeSet<&str> = aliases(src, tokens)
        .into_iter()
        .filter(|(_, s)| s.start >= range.start && s.end <= range.end)
        .map(|(n, _)| n)
        .collect();
    let roots = [
        ("customer", "the customer's attributes"),
        ("event", "the triggering event"),
        ("now", "the current event time"),
    ];
    for (name, detail) in roots {
        items.push(variable(name, detail));
    }
    for alias in own {
        items.push(variable(alias, "alias"));
    }
    Completions { replace, items }
}

fn variable(name: &str, detail: &str) -> Completion {
    Completion {
        label: name.to_string(),
        kind: CompletionKind::Variable,
        detail: Some(detail.to_string()),
        documentation: None,
        insert: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::catalog::{TemplateCatalog, WhatsappCatalog};
    use crate::check::config::Config;
    use crate::check::schema::Schema;

    struct Fixture {
        whatsapp: WhatsappCatalog,
        templates: TemplateCatalog,
        schema: Schema,
        config: Config,
        events: BTreeSet<String>,
    }

    fn fixture() -> Fixture {
        let mut whatsapp = WhatsappCatalog::new();
        whatsapp
            .add_file(
                "wa.json",
                r#"{"data":[{"name":"cart_reminder","language":"en_US","status":"APPROVED","category":"MARKETING",
                "components":[{"type":"BODY","text":"Hi {{1}}, your cart misses you"}]}]}"#,
            )
            .expect("catalog");
        let templates = TemplateCatalog::from_toml(
            "t.toml",
            "[[template]]\nchannel = \"email\"\nname = \"welcome\"\nsubject = \"Welcome\"\nbody = \"Hello\"\n",
        )
        .expect("templates");
        let schema = Schema::parse(
            "[customer]\nfirst_name = \"string\"\naddress = { city = \"string\" }\n[events.\"cart.abandoned\"]\nurl = \"string\"\ntotal = \"number\"\n[events.\"Order Completed\"]\nrevenue = \"number\"\n",
        )
        .expect("schema");
        let config = Config::parse("[channels.sms]\nconsent = \"sms_ok\"\n").expect("config");
        let events = ["page.viewed".to_string()].into_iter().collect();
        Fixture {
            whatsapp,
            templates,
            schema,
            config,
            events,
        }
    }

    fn project(f: &Fixture) -> Project<'_> {
        Project {
            whatsapp: &f.whatsapp,
            templates: &f.templates,
            schema: Some(&f.schema),
            config: &f.config,
            events: &f.events,
        }
    }

    /// Completes at the `|` in `src`.
    fn at(src: &str) -> (Completions, String) {
        let offset = src.find('|').expect("cursor");
        let text = src.replacen('|', "", 1);
        let f = fixture();
        (complete(&text, offset, &project(&f)), text)
    }

    fn labels(c: &Completions) -> Vec<&str> {
        c.items.iter().map(|i| i.label.as_str()).collect()
    }

    #[test]
    fn template_names_inside_the_quotes_for_the_channel() {
        let (c, text) = at("when a then send whatsapp template \"|");
        assert_eq!(labels(&c), ["cart_reminder"]);
        assert_eq!(c.items[0].insert, "cart_reminder");
        assert_eq!(c.replace, Span::new(text.len(), text.len()));
        let doc = c.items[0].documentation.as_deref().expect("doc");
        assert!(doc.contains("your cart misses you"), "{doc}");
        let (c, _) = at("when a then send email template \"we|\"");
        assert_eq!(labels(&c), ["welcome"]);
        assert_eq!(c.replace.len(), 2);
    }

    #[test]
    fn template_names_after_the_keyword_come_quoted() {
        let (c, _) = at("when a then send whatsapp template |");
        assert_eq!(c.items[0].insert, "\"cart_reminder\"");
    }

    #[test]
    fn event_names_from_schema_workspace_and_file() {
        let (c, text) = at("when x.y then send sms \"a\"\nwhen ca|");
        let l = labels(&c);
        assert!(
            l.contains(&"cart.abandoned") && l.contains(&"page.viewed") && l.contains(&"x.y"),
            "{l:?}"
        );
        let quoted = c
            .items
            .iter()
            .find(|i| i.label == "Order Completed")
            .expect("schema event");
        assert_eq!(quoted.insert, "\"Order Completed\"");
        assert_eq!(&text[c.replace.start..c.replace.end], "ca");
        let (c, text) = at("when cart.ab|");
        assert_eq!(&text[c.replace.start..c.replace.end], "cart.ab");
    }

    #[test]
    fn channels_after_send_and_fallback() {
        let (c, _) = at("when a then send |");
        assert_eq!(labels(&c), CHANNELS);
        let sms = c.items.iter().find(|i| i.label == "sms").expect("sms");
        assert_eq!(
            sms.detail.as_deref(),
            Some("channel · consent: customer.sms_ok")
        );
        let (c, _) = at("when a then send sms \"x\" fallback e|");
        assert_eq!(labels(&c), CHANNELS);
    }

    #[test]
    fn customer_attributes_from_schema_config_and_use() {
        let (c, _) = at("when a if customer.vip then send sms \"{customer.|}\"");
        let l = labels(&c);
        for want in ["first_name", "address", "sms_ok", "vip"] {
            assert!(l.contains(&want), "{want} missing from {l:?}");
        }
        let (c, _) = at("when a then send sms \"Hi {customer.fi|");
        assert!(labels(&c).contains(&"first_name"), "{:?}", labels(&c));
        let (c, _) = at("when a then send sms \"{{customer.|");
        assert!(
            c.items.is_empty(),
            "an escaped brace opens no interpolation"
        );
        let (c, _) = at("when a if customer.address.| then send sms \"x\"");
        assert_eq!(labels(&c), ["city"]);
    }

    #[test]
    fn alias_and_event_properties_come_from_the_schema() {
        let (c, _) = at("when cart.abandoned as c then send sms \"{c.|}\"");
        assert_eq!(labels(&c), ["total", "url"]);
        let (c, _) = at("when cart.abandoned where event.| then send sms \"x\"");
        assert_eq!(labels(&c), ["total", "url"]);
    }

    #[test]
    fn elsewhere_keywords_roots_and_aliases() {
        let (c, _) = at("when cart.abandoned as c |");
        let l = labels(&c);
        assert!(
            l.contains(&"then") && l.contains(&"customer") && l.contains(&"c"),
            "{l:?}"
        );
        let (c, _) = at("rule |");
        assert!(c.items.is_empty());
    }

    /// Names are ASCII, text around them need not be: a cursor right after
    /// a multi-byte character (or a BOM) must neither panic nor reach into
    /// the character.
    #[test]
    fn cursor_after_non_ascii_text() {
        for src in [
            "when cart.abandoné|",
            "when cart.éab|",
            "when a if é.|",
            "when a if é.a.|",
            "\u{FEFF}|",
            "\u{FEFF}when ca|",
            "when a then send sms \"niñ|\"",
            "when a then send sms \"{ñ.|}\"",
        ] {
            let (c, text) = at(src);
            assert!(text.is_char_boundary(c.replace.start), "{src}");
            assert!(c.replace.start <= c.replace.end, "{src}");
        }
        let (c, text) = at("when cart.éab|");
        assert_eq!(&text[c.replace.start..c.replace.end], "ab");
    }

    #[test]
    fn nothing_inside_comments() {
        for src in ["# niñ|", "# café.|", "when a then send sms \"x\" # rule|"] {
            let (c, _) = at(src);
            assert!(c.items.is_empty(), "{src}: {:?}", labels(&c));
        }
        let (c, _) = at("# a comment\nwhen a |");
        assert!(labels(&c).contains(&"then"));
    }
}
