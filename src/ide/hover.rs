//! Hover: what a template says, how long a duration is, what an event or
//! alias carries.

use super::complete::{alias_event, event_names, fields_doc};
use super::roles::{classify, piece_at, Role};
use super::{template_doc, Project};
use crate::report::thousands;
use crate::syntax::lexer::{self, TokenKind, WordKind};
use crate::syntax::parser::parse_duration;
use crate::syntax::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    pub span: Span,
    /// Markdown.
    pub markdown: String,
}

/// What to show for the token under byte `offset`, if anything.
pub fn hover(src: &str, offset: usize, project: &Project) -> Option<Hover> {
    let piece = piece_at(&classify(src), offset)?;
    let text = &src[piece.span.start..piece.span.end];
    let at = |markdown: String| {
        Some(Hover {
            span: piece.span,
            markdown,
        })
    };
    match piece.role {
        Role::TemplateName => {
            let channel = channel_before(&src[..piece.span.start])?;
            let name = text.trim_matches('"');
            match template_doc(project, &channel, name) {
                Some(doc) => at(doc),
                None => at(format!(
                    "**{name}**: no {channel} template of this name in the catalogs"
                )),
            }
        }
        Role::Duration => at(duration_doc(text)?),
        Role::EventName => {
            let (name, span) = event_names(src)
                .into_iter()
                .find(|(_, s)| s.start <= offset && offset < s.end)?;
            Some(Hover {
                span,
                markdown: event_doc(&name, project),
            })
        }
        Role::AliasDef | Role::AliasRef => {
            let event = alias_event(src, text, offset)?;
            at(format!(
                "`{text}`: the `{event}` event this rule matched\n\n---\n{}",
                event_doc(&event, project)
            ))
        }
        Role::Channel => {
            let consent = project.config.consent_attribute(text);
            let contact = project.config.contact_attribute(text);
            let mut doc = format!("**{text}** (channel)\n");
            if let Some(attr) = consent {
                doc.push_str(&format!("\nsent only when `customer.{attr}` is true\n"));
            }
            if let Some(attr) = contact {
                doc.push_str(&format!("\nneeds `customer.{attr}`\n"));
            }
            at(doc)
        }
        _ => None,
    }
}

/// The channel of the last `send CHANNEL` or `fallback CHANNEL` in `before`.
fn channel_before(before: &str) -> Option<String> {
    lexer::tokenize(before)
        .into_iter()
        .rev()
        .find(|t| t.kind == TokenKind::Word(WordKind::Channel))
        .map(|t| t.text(before).to_string())
}

fn event_doc(name: &str, project: &Project) -> String {
    match project.schema.map(|s| s.events.get(name)) {
        Some(Some(props)) => fields_doc(name, props),
        Some(None) => format!("**{name}** (event)\n\nnot in the project's schema"),
        None => format!("**{name}** (event)"),
    }
}

/// `1d12h` → "**1d12h** = 1 day 12 hours (129,600,000 ms)".
fn duration_doc(text: &str) -> Option<String> {
    let ms = parse_duration(text).ok()?;
    let mut parts = Vec::new();
    let mut rest = ms;
    for (unit, size) in [
        ("week", 604_800_000u64),
        ("day", 86_400_000),
        ("hour", 3_600_000),
        ("minute", 60_000),
        ("second", 1_000),
        ("millisecond", 1),
    ] {
        let n = rest / size;
        if n > 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
            rest %= size;
        }
    }
    Some(format!(
        "**{text}** = {} ({} ms)",
        parts.join(" "),
        thousands(ms)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::catalog::{TemplateCatalog, WhatsappCatalog};
    use crate::check::config::Config;
    use crate::check::schema::Schema;
    use std::collections::BTreeSet;

    fn with_project<R>(f: impl FnOnce(&Project) -> R) -> R {
        let mut whatsapp = WhatsappCatalog::new();
        whatsapp
            .add_file(
                "wa.json",
                r#"{"data":[{"name":"cart_reminder","language":"es","status":"APPROVED","category":"MARKETING",
                "components":[{"type":"BODY","text":"Hola {{1}}, tu carrito te espera"}]}]}"#,
            )
            .expect("catalog");
        let templates = TemplateCatalog::new();
        let schema =
            Schema::parse("[events.\"cart.abandoned\"]\nurl = \"string\"\n").expect("schema");
        let config = Config::parse("[channels.sms]\nconsent = \"sms_ok\"\ncontact = \"phone\"\n")
            .expect("config");
        let events = BTreeSet::new();
        f(&Project {
            whatsapp: &whatsapp,
            templates: &templates,
            schema: Some(&schema),
            config: &config,
            events: &events,
        })
    }

    fn hover_at(src: &str, needle: &str) -> Option<Hover> {
        let offset = src.find(needle).expect("needle") + 1;
        with_project(|p| hover(src, offset, p))
    }

    #[test]
    fn templates_show_body_language_status_and_parameters() {
        let src = "when cart.abandoned then send whatsapp template \"cart_reminder\"";
        let h = hover_at(src, "\"cart_reminder\"").expect("hover");
        assert_eq!(&src[h.span.start..h.span.end], "\"cart_reminder\"");
        for want in [
            "tu carrito te espera",
            "`es`",
            "APPROVED",
            "parameters: 1 positional",
        ] {
            assert!(h.markdown.contains(want), "{want} not in {}", h.markdown);
        }
        let src = "when a then send whatsapp template \"nope\"";
        let h = hover_at(src, "\"nope\"").expect("hover");
        assert!(
            h.markdown.contains("no whatsapp template"),
            "{}",
            h.markdown
        );
    }

    #[test]
    fn durations_show_their_length() {
        let h = hover_at("when a for 1d12h then send sms \"x\"", "1d12h").expect("hover");
        assert_eq!(h.markdown, "**1d12h** = 1 day 12 hours (129,600,000 ms)");
        let h = hover_at("when a for 500ms then send sms \"x\"", "500ms").expect("hover");
        assert_eq!(h.markdown, "**500ms** = 500 milliseconds (500 ms)");
    }

    #[test]
    fn events_and_aliases_show_schema_properties() {
        let src = "when cart.abandoned as c then send sms \"{c.url}\"";
        let h = hover_at(src, "abandoned").expect("hover");
        assert_eq!(&src[h.span.start..h.span.end], "cart.abandoned");
        assert!(h.markdown.contains("- `url`: string"), "{}", h.markdown);
        let alias_use = src.find("c.url").expect("alias use");
        let h = with_project(|p| hover(src, alias_use, p)).expect("alias hover");
        assert!(
            h.markdown.contains("`cart.abandoned` event"),
            "{}",
            h.markdown
        );
    }

    #[test]
    fn channels_show_consent_and_contact() {
        let h = hover_at("when a then send sms \"x\"", "sms").expect("hover");
        assert!(h.markdown.contains("customer.sms_ok") && h.markdown.contains("customer.phone"));
    }

    #[test]
    fn keywords_and_punctuation_have_no_hover() {
        assert_eq!(hover_at("when a then send sms \"x\"", "then"), None);
    }
}
