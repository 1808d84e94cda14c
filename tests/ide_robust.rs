//! The editor functions behind `trig lsp` answer for any text and any
//! cursor: half-typed rules, non-ASCII text, BOMs, lone quotes and braces.
//! A panic there kills the language server while someone types, so every
//! byte offset of generated texts is tried (a new user found such a crash
//! after `ñ` in a comment).

use std::collections::BTreeSet;

use proptest::prelude::*;
use trig::check::catalog::{TemplateCatalog, WhatsappCatalog};
use trig::check::config::Config;
use trig::ide::{classify, complete, definition, hover, Project};

/// Pieces of trig and of what people type around it.
const PIECES: &[&str] = &[
    "rule ",
    "r:",
    "\n",
    "  ",
    "when ",
    "cart.abandoned",
    " as c",
    " for 2h",
    " and not ",
    "purchased",
    " then ",
    "send ",
    "sms ",
    "whatsapp ",
    "template ",
    "\"",
    "{",
    "}",
    "{{",
    "customer.",
    "c.",
    "é",
    "ñ",
    "😀",
    "\u{FEFF}",
    "# ",
    "\\",
    "\\u{1F600}",
    "(",
    ")",
    "[",
    ",",
    ":",
    " with ",
    "lang ",
    "key ",
    "3 times within 1d",
    "quiet 21:00-08:00",
    "??",
    "==",
    "12.5%",
    "\r\n",
    ".",
    "x",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_cursor_of_any_text_gets_an_answer(src in text()) {
        let whatsapp = WhatsappCatalog::new();
        let templates = TemplateCatalog::new();
        let config = Config::default();
        let events = BTreeSet::new();
        let project = Project {
            whatsapp: &whatsapp,
            templates: &templates,
            schema: None,
            config: &config,
            events: &events,
        };
        let pieces = classify(&src);
        for p in &pieces {
            prop_assert!(src.is_char_boundary(p.span.start) && src.is_char_boundary(p.span.end));
        }
        // Every byte offset, mid-character ones too: clients send UTF-16
        // positions that a converter may map anywhere.
        for offset in 0..=src.len() + 1 {
            let c = complete(&src, offset, &project);
            prop_assert!(c.replace.start <= c.replace.end && c.replace.end <= src.len());
            prop_assert!(src.is_char_boundary(c.replace.start));
            let _ = hover(&src, offset, &project);
            if let Some(span) = definition(&src, offset) {
                prop_assert!(src.get(span.start..span.end).is_some());
            }
        }
    }
}
