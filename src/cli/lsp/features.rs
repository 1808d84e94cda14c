//! The requests: each turns protocol positions into byte offsets, asks
//! the library (`trig::ide`, `trig::fmt`), and turns the answer back.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse,
    DocumentFormattingParams, Documentation, GotoDefinitionParams, GotoDefinitionResponse, Hover,
    HoverContents, HoverParams, Location, MarkupContent, MarkupKind, SemanticToken,
    SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
    SemanticTokensParams, TextEdit,
};
use trig::ide::{self, CompletionKind, Role};

use super::documents::Document;
use super::position::LineIndex;
use super::workspace;
use super::Server;

/// Runs `f` with the editor features' view of the project of `doc`.
fn with_project<R>(server: &Server, doc: &Document, f: impl FnOnce(&ide::Project) -> R) -> R {
    let loaded = workspace::load(doc, &server.docs);
    let events = loaded.ws.known_events();
    let project = ide::Project {
        whatsapp: &loaded.ws.whatsapp,
        templates: &loaded.ws.templates,
        schema: loaded.ws.schema.as_ref(),
        config: &loaded.ws.config,
        events: &events,
    };
    f(&project)
}

pub fn completion(server: &Server, p: CompletionParams) -> Option<CompletionResponse> {
    let at = p.text_document_position;
    let doc = server.docs.get(&at.text_document.uri)?;
    let index = LineIndex::new(&doc.text, server.encoding);
    let offset = index.offset(at.position);
    let found = with_project(server, doc, |project| {
        ide::complete(&doc.text, offset, project)
    });
    let range = index.range(found.replace.start, found.replace.end);
    let items = found
        .items
        .into_iter()
        .map(|c| CompletionItem {
            kind: Some(item_kind(c.kind)),
            detail: c.detail,
            documentation: c
                .documentation
                .map(|d| Documentation::MarkupContent(markdown(d))),
            text_edit: Some(lsp_types::CompletionTextEdit::Edit(TextEdit::new(
                range, c.insert,
            ))),
            label: c.label,
            ..CompletionItem::default()
        })
        .collect();
    Some(CompletionResponse::Array(items))
}

fn item_kind(kind: CompletionKind) -> CompletionItemKind {
    match kind {
        CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        CompletionKind::Event => CompletionItemKind::EVENT,
        CompletionKind::Channel => CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Template => CompletionItemKind::TEXT,
        CompletionKind::Field => CompletionItemKind::FIELD,
        CompletionKind::Variable => CompletionItemKind::VARIABLE,
    }
}

fn markdown(value: String) -> MarkupContent {
    MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }
}

pub fn hover(server: &Server, p: HoverParams) -> Option<Hover> {
    let at = p.text_document_position_params;
    let doc = server.docs.get(&at.text_document.uri)?;
    let index = LineIndex::new(&doc.text, server.encoding);
    let offset = index.offset(at.position);
    let found = with_project(server, doc, |project| {
        ide::hover(&doc.text, offset, project)
    })?;
    Some(Hover {
        contents: HoverContents::Markup(markdown(found.markdown)),
        range: Some(index.range(found.span.start, found.span.end)),
    })
}

pub fn definition(server: &Server, p: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let at = p.text_document_position_params;
    let doc = server.docs.get(&at.text_document.uri)?;
    let index = LineIndex::new(&doc.text, server.encoding);
    let span = ide::definition(&doc.text, index.offset(at.position))?;
    Some(GotoDefinitionResponse::Scalar(Location::new(
        doc.uri.clone(),
        index.range(span.start, span.end),
    )))
}

/// One edit replacing the whole text, or none when the text is already
/// formatted or does not parse (the diagnostics say why).
pub fn formatting(server: &Server, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let doc = server.docs.get(&p.text_document.uri)?;
    let formatted = trig::fmt::format_source(&doc.text).ok()?;
    if formatted == doc.text {
        return Some(Vec::new());
    }
    let index = LineIndex::new(&doc.text, server.encoding);
    Some(vec![TextEdit::new(
        index.range(0, doc.text.len()),
        formatted,
    )])
}

/// Token types in legend order; `token_type` indexes into it.
const TYPES: [SemanticTokenType; 13] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::COMMENT,
    SemanticTokenType::EVENT,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::REGEXP,
    SemanticTokenType::DECORATOR,
];

const MODIFIERS: [SemanticTokenModifier; 2] = [
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::DEFAULT_LIBRARY,
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// (index into TYPES, modifier bits) of a role; `None` leaves the text
/// to the editor's grammar (punctuation, errors).
fn token_type(role: Role) -> Option<(u32, u32)> {
    let t = |ty: SemanticTokenType| TYPES.iter().position(|x| *x == ty).map(|i| i as u32);
    let (ty, mods) = match role {
        Role::Keyword => (SemanticTokenType::KEYWORD, 0),
        Role::Comment => (SemanticTokenType::COMMENT, 0),
        Role::EventName => (SemanticTokenType::EVENT, 0),
        Role::Channel => (SemanticTokenType::ENUM_MEMBER, 0),
        Role::RuleName => (SemanticTokenType::FUNCTION, 1),
        Role::AliasDef => (SemanticTokenType::VARIABLE, 1),
        Role::AliasRef | Role::Name => (SemanticTokenType::VARIABLE, 0),
        Role::Builtin => (SemanticTokenType::VARIABLE, 2),
        Role::Member => (SemanticTokenType::PROPERTY, 0),
        Role::Param => (SemanticTokenType::PARAMETER, 0),
        Role::Tag => (SemanticTokenType::DECORATOR, 0),
        Role::TemplateName | Role::Str => (SemanticTokenType::STRING, 0),
        Role::Escape => (SemanticTokenType::REGEXP, 0),
        Role::Duration | Role::Clock | Role::Number | Role::Percent => {
            (SemanticTokenType::NUMBER, 0)
        }
        Role::Operator | Role::Interpolation => (SemanticTokenType::OPERATOR, 0),
        Role::Punctuation | Role::Error => return None,
    };
    Some((t(ty)?, mods))
}

pub fn semantic_tokens(server: &Server, p: SemanticTokensParams) -> Option<SemanticTokens> {
    let doc = server.docs.get(&p.text_document.uri)?;
    let index = LineIndex::new(&doc.text, server.encoding);
    let mut walk = index.walk();
    let mut data = Vec::new();
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for piece in ide::classify(&doc.text) {
        let Some((token_type, token_modifiers_bitset)) = token_type(piece.role) else {
            continue;
        };
        // Tokens never span lines (strings and comments end at a line
        // end), but a client without multiline support must not get one.
        let text = &doc.text[piece.span.start..piece.span.end];
        let len = text.find('\n').unwrap_or(text.len());
        let start = walk.position(piece.span.start);
        let end = walk.position(piece.span.start + len);
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.character - last_start
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type,
            token_modifiers_bitset,
        });
        (last_line, last_start) = (start.line, start.character);
    }
    Some(SemanticTokens {
        result_id: None,
        data,
    })
}
