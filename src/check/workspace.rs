//! A check run: the project file, catalogs, schema and rule files, checked
//! together (rule names are unique across files, prop types are inferred
//! across files). The caller reads files; everything here works on text.

use std::collections::{BTreeSet, HashMap};

use super::catalog::{CatalogError, CatalogErrorKind, TemplateCatalog, WhatsappCatalog};
use super::channels::{self, Catalogs, ChannelChecker, StepContext};
use super::config::Config;
use super::ir;
use super::rules::{rule_name, Context, RuleChecker};
use super::schema::Schema;
use super::suppress;
use super::types::Typer;
use crate::diag::{Code, Diagnostic, FileId, Severity, SourceFile, SourceMap};
use crate::syntax::ast::{self, ExprKind, Primary};
use crate::syntax::{parse_file, Span};

#[derive(Default)]
pub struct Workspace {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub config: Config,
    pub whatsapp: WhatsappCatalog,
    pub templates: TemplateCatalog,
    pub schema: Option<Schema>,
    files: Vec<(FileId, String, ast::File)>,
}

/// The result of a check: the program (rules that passed) and every problem.
pub struct Checked {
    pub program: ir::Program,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// The project settings the runtime needs (zones, caps, eligibility).
    pub config: Config,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// The diagnostics that stop a run (errors only).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    fn add_source(&mut self, name: &str, text: &str) -> FileId {
        self.sources.add(SourceFile::new(name, text))
    }

    /// Loads `trig.toml`.
    pub fn load_config(&mut self, name: &str, text: &str) {
        let file = self.add_source(name, text);
        match Config::parse(text) {
            Ok(c) => self.config = c,
            Err(errs) => {
                for e in errs {
                    let span = e.span.map_or(Span::default(), |(s, e)| Span::new(s, e));
                    let mut d = Diagnostic::new(Code::InvalidConfig, file, span, e.message);
                    d.help = e.help;
                    self.diagnostics.push(d);
                }
            }
        }
    }

    /// Adds one Meta `GET …/message_templates` export.
    pub fn add_whatsapp_catalog(&mut self, name: &str, text: &str) {
        let file = self.add_source(name, text);
        if let Err(errs) = self.whatsapp.add_file(name, text) {
            self.catalog_errors(file, errs);
        }
    }

    /// Loads the plain template file of the other channels.
    pub fn load_templates(&mut self, name: &str, text: &str) {
        let file = self.add_source(name, text);
        match TemplateCatalog::from_toml(name, text) {
            Ok(t) => self.templates = t,
            Err(errs) => self.catalog_errors(file, errs),
        }
    }

    pub fn load_schema(&mut self, name: &str, text: &str) {
        let file = self.add_source(name, text);
        match Schema::parse(text) {
            Ok(s) => self.schema = Some(s),
            Err((message, span)) => {
                let span = span.map_or(Span::default(), |(s, e)| Span::new(s, e));
                let d = Diagnostic::new(Code::InvalidSchema, file, span, message)
                    .with_help("see docs/config.md for the event schema format");
                self.diagnostics.push(d);
            }
        }
    }

    fn catalog_errors(&mut self, file: FileId, errs: Vec<CatalogError>) {
        for e in errs {
            let code = match e.kind {
                CatalogErrorKind::Invalid => Code::InvalidCatalog,
                CatalogErrorKind::Duplicate => Code::DuplicateTemplate,
            };
            let span = e.span.map_or(Span::default(), |(s, e)| Span::new(s, e));
            let mut d = Diagnostic::new(code, file, span, e.message);
            d.help = Some(e.help.unwrap_or_else(|| {
                "correct the catalog file at this place; docs/catalogs.md describes the formats"
                    .into()
            }));
            if let Some(prev) = &e.previous {
                let first = self
                    .sources
                    .files()
                    .find(|(_, f)| f.name == prev.file)
                    .map(|(id, _)| id);
                if let (Some(id), Some((s, end))) = (first, prev.span) {
                    d = d.with_secondary(id, Span::new(s, end), "first defined here");
                }
            }
            self.diagnostics.push(d);
        }
    }

    /// Parses one `.trig` file; returns its id.
    pub fn add_rules(&mut self, name: &str, text: &str) -> FileId {
        let file = self.add_source(name, text);
        let (ast, diags) = parse_file(text, file);
        self.diagnostics.extend(diags);
        let stem = std::path::Path::new(name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name)
            .to_string();
        self.files.push((file, stem, ast));
        file
    }

    /// A file that is not UTF-8 still gets a diagnostic with a location.
    pub fn add_invalid_utf8(&mut self, name: &str, bytes: &[u8]) {
        let err = std::str::from_utf8(bytes).err();
        let valid = err.map_or(bytes.len(), |e| e.valid_up_to());
        let text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
        let file = self.add_source(name, &text);
        let d = Diagnostic::new(Code::InvalidEncoding, file, Span::new(valid, valid), format!("the file is not valid UTF-8 at byte {valid}"))
            .with_label("not UTF-8 from here on")
            .with_help("save the file as UTF-8 (a BOM is fine); a file saved as Latin-1 or Windows-1252 usually breaks at its first accented letter");
        self.diagnostics.push(d);
    }

    /// Checks every rule file against the project.
    pub fn check(mut self) -> Checked {
        let known_events = self.known_events();
        let ctx = Context {
            schema: self.schema.as_ref(),
            known_events: &known_events,
            has_default_zone: self.config.project.timezone.is_some(),
        };
        let cats = Catalogs {
            whatsapp: &self.whatsapp,
            templates: &self.templates,
            config: &self.config,
        };
        let mut typer = Typer::new(self.schema.as_ref());
        let mut rules = Vec::new();
        // The first definition of each rule name.
        let mut names: HashMap<String, (FileId, Span)> = HashMap::new();
        for (file, stem, ast) in &self.files {
            typer.file = *file;
            let text = &self.sources.get(*file).text;
            for r in &ast.rules {
                let name = rule_name(r, stem);
                name_checks(r, &name, *file, &names, &mut typer.diags);
                names
                    .entry(name.clone())
                    .or_insert((*file, r.name.as_ref().map_or(r.when_span, |n| n.span)));
                if let Some(rule) = check_rule(r, name, *file, text, &ctx, &cats, &mut typer) {
                    rules.push(rule);
                }
            }
        }
        let mut diagnostics = std::mem::take(&mut self.diagnostics);
        diagnostics.append(&mut typer.diags);
        let spans: Vec<(FileId, Vec<Span>)> = self
            .files
            .iter()
            .map(|(f, _, a)| (*f, a.rules.iter().map(|r| r.span).collect()))
            .collect();
        let mut diagnostics = suppress::apply(diagnostics, &self.sources, &spans, &self.config);
        diagnostics.sort_by_key(|d| (d.file, d.span.start, d.code));
        Checked {
            program: ir::Program { rules },
            diagnostics,
            sources: self.sources,
            config: self.config,
        }
    }

    /// Events named as triggers, absences or goals anywhere in the workspace.
    pub fn known_events(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (_, _, f) in &self.files {
            for r in &f.rules {
                let t = &r.trigger;
                let ms: Vec<&ast::Matcher> = match &t.primary {
                    Primary::Match(m)
                    | Primary::First { matcher: m, .. }
                    | Primary::Count { matcher: m, .. } => vec![m],
                    Primary::Sequence { first, then, .. } => vec![first, then],
                    Primary::Inactive { .. } => vec![],
                };
                out.extend(
                    ms.iter()
                        .flat_map(|m| m.events.iter().map(|e| e.name.clone())),
                );
                for o in &r.options {
                    if let ast::RuleOption::Goal { event, .. } = o {
                        out.insert(event.name.clone());
                    }
                }
            }
        }
        out
    }
}

fn name_checks(
    r: &ast::Rule,
    name: &str,
    file: FileId,
    seen: &HashMap<String, (FileId, Span)>,
    out: &mut Vec<Diagnostic>,
) {
    match &r.name {
        Some(n) => {
            if let Some((f, s)) = seen.get(name) {
                out.push(
                    Diagnostic::new(Code::DuplicateRule, file, n.span, format!("a rule named `{name}` already exists"))
                        .with_secondary(*f, *s, "first defined here")
                        .with_help("rule names are unique across all files of a run; rename one of them"),
                );
            }
        }
        None => out.push(
            Diagnostic::new(Code::UnnamedRule, file, r.when_span, format!("this rule has no name; it is called `{name}`"))
                .with_label("unnamed rule")
                .with_help(format!("give it a name with `rule NAME:` before `when`; as `{name}` its state (waits, limits) resets if it moves in the file")),
        ),
    }
}

fn check_rule(
    r: &ast::Rule,
    name: String,
    file: FileId,
    text: &str,
    ctx: &Context,
    cats: &Catalogs,
    typer: &mut Typer,
) -> Option<ir::Rule> {
    // Diagnostics are only appended: this rule's are the ones after these.
    let diags_before = typer.diags.len();
    let mut rc = RuleChecker { typer, ctx, file };
    let (trigger, scopes) = rc.trigger(&r.trigger, text)?;
    let scope = scopes.after_match();
    let guards = rc.guards(&r.guards, &scope);
    let mut rule = ir::Rule {
        name,
        file,
        span: r.span,
        name_span: r.name.as_ref().map_or(r.when_span, |n| n.span),
        trigger,
        guards: guards.unwrap_or_default(),
        steps: Vec::new(),
        key: None,
        limit: None,
        once: false,
        priority: 0,
        quiet: None,
        goal: None,
        holdout: None,
        tags: Vec::new(),
        marketing: true,
    };
    let waits = r.trigger.wait.is_some() || matches!(r.trigger.primary, Primary::Sequence { .. });
    let _ = rc.options(&r.options, &r.trigger.primary, waits, &scope, &mut rule);
    let cx = StepContext {
        scope: &scope,
        start_events: &start_events(&r.trigger.primary),
        total_wait_ms: total_wait(&r.trigger),
    };
    let mut cc = ChannelChecker {
        typer: rc.typer,
        cat: cats,
        file,
    };
    for s in std::iter::once(&r.action).chain(&r.fallbacks) {
        if let Some(step) = cc.step(s, &cx) {
            rule.steps.push(step);
        }
    }
    rule.marketing = channels::is_marketing(&rule.tags, &rule.steps, cats.whatsapp);
    if rule.marketing {
        let reads_customer = r.guards.iter().any(|g| reads_customer(&g.expr));
        channels::marketing_lints(r, reads_customer, cats.config, file, &mut cc.typer.diags);
    }
    let has_errors = cc
        .typer
        .diags
        .iter()
        .skip(diags_before)
        .any(|d| d.severity == Severity::Error);
    (!has_errors).then_some(rule)
}

fn start_events(p: &Primary) -> Vec<String> {
    match p {
        Primary::Match(m)
        | Primary::First { matcher: m, .. }
        | Primary::Count { matcher: m, .. }
        | Primary::Sequence { first: m, .. } => m.events.iter().map(|e| e.name.clone()).collect(),
        Primary::Inactive { .. } => Vec::new(),
    }
}

fn total_wait(t: &ast::Trigger) -> u64 {
    let seq = match &t.primary {
        Primary::Sequence { within, .. } => within.millis,
        _ => 0,
    };
    seq + t.wait.map_or(0, |w| w.millis)
}

fn reads_customer(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Path(segs) => segs.len() > 1 && segs[0].name == "customer",
        ExprKind::Unary(_, x) => reads_customer(x),
        ExprKind::Binary(_, a, b) => reads_customer(a) || reads_customer(b),
        ExprKind::List(xs) => xs.iter().any(reads_customer),
        _ => false,
    }
}
