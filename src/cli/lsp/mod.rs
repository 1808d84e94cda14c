//! `trig lsp`: the language server, over stdio, synchronous. Diagnostics
//! are the ones `trig check` prints (same codes, help and explanations);
//! completion, hover, definitions and semantic tokens come from
//! `trig::ide`, formatting from `trig fmt`.

mod documents;
mod features;
mod position;
mod workspace;

use std::collections::BTreeSet;
use std::error::Error;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, Formatting, GotoDefinition, HoverRequest, Request as _, SemanticTokensFullRequest,
};
use lsp_types::{
    CompletionOptions, DiagnosticRelatedInformation, DiagnosticSeverity, HoverProviderCapability,
    InitializeParams, Location, NumberOrString, OneOf, PositionEncodingKind,
    PublishDiagnosticsParams, SemanticTokensFullOptions, SemanticTokensOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use trig::diag::{Diagnostic, Severity};

use super::{EXIT_OK, EXIT_PROBLEMS};
use documents::Documents;
use position::{Encoding, LineIndex};

#[derive(clap::Args)]
pub struct Args {
    /// Speak over stdin/stdout (the only transport; accepted because
    /// editor clients pass it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(_: Args) -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("trig lsp: {e}");
            EXIT_PROBLEMS
        }
    };
    drop(connection);
    let _ = io_threads.join();
    code
}

pub struct Server {
    docs: Documents,
    encoding: Encoding,
    /// URIs whose last published diagnostics were not empty.
    published: BTreeSet<String>,
    /// Documents changed since diagnostics were last published.
    dirty: bool,
}

fn serve(connection: &Connection) -> Result<(), Box<dyn Error + Send + Sync>> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let encoding = negotiate(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": { "name": "trig", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result)?;
    let mut server = Server {
        docs: Documents::default(),
        encoding,
        published: BTreeSet::new(),
        dirty: false,
    };
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                connection.sender.send(server.request(req).into())?;
            }
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => {}
        }
        // Keystrokes arrive faster than a project checks: check once the
        // queue is drained, not once per change.
        if server.dirty && connection.receiver.is_empty() {
            for n in server.diagnostics() {
                connection.sender.send(n.into())?;
            }
        }
    }
    Ok(())
}

/// UTF-8 positions when the client offers them (no transcoding), else
/// the protocol's default, UTF-16.
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|e| e.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some([".", "\"", " ", "{"].map(String::from).to_vec()),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(
            SemanticTokensOptions {
                legend: features::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..SemanticTokensOptions::default()
            }
            .into(),
        ),
        ..ServerCapabilities::default()
    }
}

impl Server {
    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            Completion::METHOD => handle(req, |p| features::completion(self, p)),
            HoverRequest::METHOD => handle(req, |p| features::hover(self, p)),
            GotoDefinition::METHOD => handle(req, |p| features::definition(self, p)),
            Formatting::METHOD => handle(req, |p| features::formatting(self, p)),
            SemanticTokensFullRequest::METHOD => {
                handle(req, |p| features::semantic_tokens(self, p))
            }
            other => Err((
                ErrorCode::MethodNotFound,
                format!("trig lsp does not handle {other}"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    self.docs.open(p.text_document.uri, p.text_document.text);
                    self.dirty = true;
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) {
                    self.docs
                        .change(&p.text_document.uri, p.content_changes, self.encoding);
                    self.dirty = true;
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    self.docs.close(&p.text_document.uri);
                    self.dirty = true;
                }
            }
            // Catalogs and other rule files may have changed on disk.
            DidSaveTextDocument::METHOD => self.dirty = true,
            _ => {}
        }
    }

    /// Checks the projects of the open documents and returns the
    /// notifications that publish what changed, clearing what was fixed.
    fn diagnostics(&mut self) -> Vec<Notification> {
        self.dirty = false;
        let mut by_uri: std::collections::BTreeMap<String, (Uri, Vec<lsp_types::Diagnostic>)> =
            Default::default();
        let mut done = BTreeSet::new();
        for doc in self.docs.iter() {
            let key = workspace::config_of(doc)
                .map_or_else(|| doc.uri.as_str().to_string(), |c| c.display().to_string());
            if !done.insert(key) {
                continue;
            }
            let mut loaded = workspace::load(doc, &self.docs);
            if let Some(problem) = &loaded.problem {
                let d = plain(problem.clone());
                by_uri
                    .entry(doc.uri.as_str().to_string())
                    .or_insert_with(|| (doc.uri.clone(), Vec::new()))
                    .1
                    .push(d);
            }
            let checked = std::mem::replace(&mut loaded.ws, trig::check::Workspace::new()).check();
            let uri_of = |name: &str| loaded.uri_of(name);
            for d in &checked.diagnostics {
                let Some(uri) = uri_of(&checked.sources.get(d.file).name) else {
                    continue;
                };
                let converted = convert(d, &checked.sources, self.encoding, &uri_of);
                by_uri
                    .entry(uri.as_str().to_string())
                    .or_insert_with(|| (uri, Vec::new()))
                    .1
                    .push(converted);
            }
        }
        let mut out = Vec::new();
        let now: BTreeSet<String> = by_uri.keys().cloned().collect();
        for stale in self.published.difference(&now) {
            if let Ok(uri) = stale.parse::<Uri>() {
                out.push(publish(uri, Vec::new()));
            }
        }
        for (uri, diags) in by_uri.into_values() {
            out.push(publish(uri, diags));
        }
        self.published = now;
        out
    }
}

type Failure = (ErrorCode, String);

/// Decodes a request's params, runs `f`, encodes its answer (`null` for
/// `None`).
fn handle<P, R>(req: Request, f: impl FnOnce(P) -> Option<R>) -> Result<serde_json::Value, Failure>
where
    P: serde::de::DeserializeOwned,
    R: serde::Serialize,
{
    let params: P = serde_json::from_value(req.params)
        .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", req.method)))?;
    serde_json::to_value(f(params)).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn publish(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Notification {
    Notification::new(
        PublishDiagnostics::METHOD.to_string(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        },
    )
}

/// A problem with no place in the document (the project did not load).
fn plain(message: String) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("trig".to_string()),
        message,
        ..lsp_types::Diagnostic::default()
    }
}

/// A trig diagnostic as the protocol's: code `T0xxx`, the message with
/// its help, and secondary labels as related information.
fn convert(
    d: &Diagnostic,
    sources: &trig::diag::SourceMap,
    encoding: Encoding,
    uri_of: &dyn Fn(&str) -> Option<Uri>,
) -> lsp_types::Diagnostic {
    let file = sources.get(d.file);
    let range = LineIndex::new(&file.text, encoding).range(d.span.start, d.span.end);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    message.push_str(&format!("\n(trig explain {})", d.code.id()));
    let related = d
        .secondary
        .iter()
        .filter_map(|l| {
            let f = sources.get(l.file);
            let uri = uri_of(&f.name)?;
            let range = LineIndex::new(&f.text, encoding).range(l.span.start, l.span.end);
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri, range),
                message: l.message.clone(),
            })
        })
        .collect::<Vec<_>>();
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.id())),
        source: Some("trig".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}
