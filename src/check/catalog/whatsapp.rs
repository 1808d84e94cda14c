//! The WhatsApp catalog: Meta Graph API `GET /{waba-id}/message_templates`
//! responses, exactly as exported.
//!
//! Only the `data` array is read; `paging` and any field Meta adds later are
//! ignored. Templates that are not APPROVED are kept with their status, so the
//! checker can say "template X is REJECTED in pt_BR" instead of "unknown
//! template".

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{base_language, normalize_lang, offset_of, scan_placeholders, CatalogError};
use locate::Seg;

/// More errors than this in one file are summarised: past a few dozen they
/// stop helping, and locating each one costs a scan of its item.
const MAX_ERRORS: usize = 50;

/// How a template's placeholders are written (`parameter_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamFormat {
    /// `{{1}}`, `{{2}}`, …: filled by `with (EXPR, …)`.
    Positional,
    /// `{{first_name}}`: filled by `with (first_name: EXPR, …)`.
    Named,
}

/// What is between the braces of a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamKey {
    Positional(u32),
    Named(String),
}

/// Which component a placeholder is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Header,
    Body,
    /// Index into [`WhatsappTemplate::buttons`].
    Button(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub component: Component,
    pub key: ParamKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Text {
        text: String,
        params: Vec<Placeholder>,
    },
    /// IMAGE, VIDEO or DOCUMENT: the send supplies a link (`header: EXPR`).
    Media { format: String },
    /// LOCATION, PRODUCT or a format Meta added later: trig has no syntax to
    /// fill it, so the checker decides what to say.
    Other { format: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// URL, QUICK_REPLY, PHONE_NUMBER, COPY_CODE, OTP, …
    pub kind: String,
    pub text: Option<String>,
    pub url: Option<String>,
}

/// One template in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsappTemplate {
    pub name: String,
    /// Normalized with [`normalize_lang`](super::normalize_lang).
    pub language: String,
    /// In capitals: APPROVED, PENDING, REJECTED, PAUSED, …
    pub status: String,
    /// In capitals (MARKETING, UTILITY, AUTHENTICATION); empty if the export
    /// left it out.
    pub category: String,
    pub id: Option<String>,
    pub parameter_format: ParamFormat,
    pub header: Option<Header>,
    /// Empty when the template has no BODY text.
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
    /// Every placeholder once, in the order a positional `with (…)` fills
    /// them: header, body, then buttons; by number within a component.
    pub placeholders: Vec<Placeholder>,
    /// Component types other than HEADER, BODY, FOOTER and BUTTONS
    /// (CAROUSEL, LIMITED_TIME_OFFER, …): their values cannot be given in
    /// trig, so the checker may refuse such templates.
    pub other_components: Vec<String>,
    /// Index of the file in [`WhatsappCatalog::files`].
    pub source: usize,
    /// Index in that file's `data` array.
    pub item: usize,
    /// Byte range of the template's `name` value in its file.
    pub span: Option<(usize, usize)>,
}

impl WhatsappTemplate {
    pub fn is_approved(&self) -> bool {
        self.status == "APPROVED"
    }

    pub fn is_marketing(&self) -> bool {
        self.category == "MARKETING"
    }

    /// The distinct names a named `with (…)` must give, in order of first
    /// use (a name in both header and body is given once).
    pub fn param_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for p in &self.placeholders {
            if let ParamKey::Named(n) = &p.key {
                if !names.contains(&n.as_str()) {
                    names.push(n);
                }
            }
        }
        names
    }

    /// How many values a positional `with (…)` must give, not counting
    /// `header:`. Each component numbers from `{{1}}`, so this is a count
    /// of placeholders, not the highest number.
    pub fn positional_count(&self) -> usize {
        self.placeholders
            .iter()
            .filter(|p| matches!(p.key, ParamKey::Positional(_)))
            .count()
    }

    /// Whether a positional list may end with `header: EXPR`.
    pub fn has_media_header(&self) -> bool {
        matches!(self.header, Some(Header::Media { .. }))
    }
}

/// All loaded exports, by template name.
#[derive(Debug, Clone, Default)]
pub struct WhatsappCatalog {
    files: Vec<String>,
    /// Each name's templates, sorted by language.
    templates: BTreeMap<String, Vec<WhatsappTemplate>>,
}

impl WhatsappCatalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one exported GET response. Valid templates are added even when
    /// others fail, so that a bad item costs one catalog error rather than an
    /// unknown-template error at every send that uses a good one. A file that
    /// is not a GET response at all adds nothing.
    pub fn add_file(&mut self, file_name: &str, text: &str) -> Result<(), Vec<CatalogError>> {
        let source = self.files.len();
        self.files.push(file_name.to_string());
        let doc = Doc {
            file: file_name,
            text,
        };
        let root = doc.parse()?;
        let items = doc.data_items(&root).map_err(|e| vec![e])?;
        let spans = locate::array_items(text, &[Seg::Key("data")]);
        let mut errors = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let cx = ItemCx::new(&doc, index, spans.get(index).copied());
            let result = cx
                .template(item, source)
                .and_then(|t| self.insert(&doc, t).map_err(|e| vec![e]));
            if let Err(mut errs) = result {
                errors.append(&mut errs);
            }
            if errors.len() > MAX_ERRORS {
                errors.truncate(MAX_ERRORS);
                errors.push(doc.error(
                    None,
                    "too many errors; the rest of this file was not checked".into(),
                ));
                break;
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn insert(&mut self, doc: &Doc, template: WhatsappTemplate) -> Result<(), CatalogError> {
        let entry = self.templates.entry(template.name.clone()).or_default();
        match entry.binary_search_by(|t| t.language.cmp(&template.language)) {
            Ok(at) => Err(duplicate(doc, &self.files, &entry[at], &template)),
            Err(at) => {
                entry.insert(at, template);
                Ok(())
            }
        }
    }

    /// The display names of the loaded files; a template's `source` indexes this.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// All template names, sorted (for "did you mean" and completion).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// Every language of a template, whatever its status, sorted by language.
    pub fn templates(&self, name: &str) -> &[WhatsappTemplate] {
        self.templates.get(name).map_or(&[], Vec::as_slice)
    }

    /// The languages a template exists in, whatever their status.
    pub fn languages(&self, name: &str) -> Vec<&str> {
        self.templates(name)
            .iter()
            .map(|t| t.language.as_str())
            .collect()
    }

    /// The languages a template can be sent in.
    pub fn approved_languages(&self, name: &str) -> Vec<&str> {
        self.templates(name)
            .iter()
            .filter(|t| t.is_approved())
            .map(|t| t.language.as_str())
            .collect()
    }

    /// The template in exactly this language (after normalizing `en-US` to
    /// `en_US`), whatever its status.
    pub fn get(&self, name: &str, lang: &str) -> Option<&WhatsappTemplate> {
        let lang = normalize_lang(lang);
        self.templates(name).iter().find(|t| t.language == lang)
    }

    /// Fire-time choice of language among the approved ones: the requested
    /// language exactly; then its base language (`pt` for `pt_BR`); then
    /// another region of the same language (`pt_PT` for `pt_BR`, `en_US` for
    /// `en`), preferring the default and otherwise the first in sort order so
    /// the choice is stable; then the default language; else `None` (the
    /// step fails).
    pub fn resolve_language(
        &self,
        name: &str,
        requested: &str,
        default: Option<&str>,
    ) -> Option<&WhatsappTemplate> {
        let approved: Vec<&WhatsappTemplate> = self
            .templates(name)
            .iter()
            .filter(|t| t.is_approved())
            .collect();
        let find = |lang: &str| approved.iter().copied().find(|t| t.language == lang);
        let requested = normalize_lang(requested);
        let default = default.map(normalize_lang);
        if let Some(t) = find(&requested) {
            return Some(t);
        }
        let base = base_language(&requested);
        if !base.is_empty() {
            if let Some(t) = find(base) {
                return Some(t);
            }
            let same_base = || {
                approved
                    .iter()
                    .copied()
                    .filter(|t| base_language(&t.language) == base)
            };
            let preferred = same_base().find(|t| Some(&t.language) == default.as_ref());
            if let Some(t) = preferred.or_else(|| same_base().next()) {
                return Some(t);
            }
        }
        default.as_deref().and_then(find)
    }

    /// Number of (name, language) templates.
    pub fn len(&self) -> usize {
        self.templates.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

fn duplicate(
    doc: &Doc,
    files: &[String],
    first: &WhatsappTemplate,
    second: &WhatsappTemplate,
) -> CatalogError {
    let first_file = files.get(first.source).map_or("?", String::as_str);
    let (message, help) = if first.source == second.source {
        (
            format!(
                "template `{}` in {} is twice in `{}` (items {} and {})",
                second.name, second.language, doc.file, first.item, second.item
            ),
            "a GET export lists each name and language once; was the file edited by hand?",
        )
    } else if first_file == doc.file {
        (
            format!(
                "template `{}` in {} is loaded twice: `{}` is in the catalog list twice",
                second.name, second.language, doc.file
            ),
            "list each export once",
        )
    } else {
        (
            format!(
                "template `{}` in {} is in both `{}` and `{}`",
                second.name, second.language, first_file, doc.file
            ),
            "remove it from one of the files; the same name and language in two exports \
             usually means one account was exported twice",
        )
    };
    let err = doc.error(second.span, message).with_help(help);
    err.duplicate_of(first_file, first.span)
}

/// The file being loaded.
struct Doc<'a> {
    file: &'a str,
    text: &'a str,
}

impl Doc<'_> {
    fn error(&self, span: Option<(usize, usize)>, message: String) -> CatalogError {
        CatalogError::invalid(self.file, self.text, span, message)
    }

    fn parse(&self) -> Result<Value, Vec<CatalogError>> {
        // Windows tools save JSON with a byte-order mark, which serde_json refuses.
        let json = self.text.strip_prefix('\u{feff}').unwrap_or(self.text);
        serde_json::from_str(json).map_err(|e| vec![self.json_error(&e)])
    }

    fn json_error(&self, e: &serde_json::Error) -> CatalogError {
        // serde_json counts from after the byte-order mark that `parse` dropped.
        let bom = if e.line() == 1 && self.text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let span = (e.line() > 0).then(|| {
            let at = offset_of(self.text, e.line(), e.column().max(1) + bom);
            let next = self
                .text
                .get(at..)
                .and_then(|r| r.chars().next())
                .map_or(0, char::len_utf8);
            (at, at + next)
        });
        let err = self.error(span, format!("not valid JSON: {e}"));
        if self.text.contains("http_interactions:") {
            err.with_help(
                "this is a VCR cassette (YAML); the catalog is the JSON body of its \
                 GET /message_templates response",
            )
        } else {
            err.with_help(shape::EXPORT_HELP)
        }
    }

    fn data_items<'v>(&self, root: &'v Value) -> Result<&'v [Value], CatalogError> {
        let span = |path: &[Seg]| locate::span(self.text, 0, path);
        match root.get("data") {
            Some(Value::Array(items)) if looks_like_analytics(items) => Err(self
                .error(span(&[Seg::Key("data")]), shape::ANALYTICS.into())
                .with_help(shape::EXPORT_HELP)),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self
                .error(
                    span(&[Seg::Key("data")]),
                    format!("`data` must be an array of templates, not {}", kind(other)),
                )
                .with_help(shape::EXPORT_HELP)),
            None => {
                let (message, help) = shape::explain(root);
                Err(self
                    .error(span(&[]).map(|(s, _)| (s, s + 1)), message)
                    .with_help(help))
            }
        }
    }
}

fn looks_like_analytics(items: &[Value]) -> bool {
    items.iter().any(|item| {
        item.get("name").is_none()
            && (item.get("data_points").is_some() || item.get("granularity").is_some())
    })
}

/// A JSON type as an error message names it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reading one element of `data`.
struct ItemCx<'a> {
    doc: &'a Doc<'a>,
    index: usize,
    /// Byte range of the item in the text, when it could be found.
    range: Option<(usize, usize)>,
    /// "item 3" or "item 3 (`welcome`, en_US)" once known.
    label: String,
}

/// Placeholders of one component, with where to point if they are wrong.
struct Part<'v> {
    component: Component,
    text: &'v str,
    path: Vec<Seg<'v>>,
}

/// The components of one template, before placeholders are checked.
#[derive(Default)]
struct Parts<'v> {
    header: Option<Header>,
    body: Option<String>,
    footer: Option<String>,
    buttons: Vec<Button>,
    other: Vec<String>,
    texts: Vec<Part<'v>>,
}

impl<'a> ItemCx<'a> {
    fn new(doc: &'a Doc<'a>, index: usize, range: Option<(usize, usize)>) -> Self {
        ItemCx {
            doc,
            index,
            range,
            label: format!("item {index}"),
        }
    }

    /// Span of a value inside the item, else of the item's opening brace.
    fn span(&self, path: &[Seg]) -> Option<(usize, usize)> {
        let (start, _) = self.range?;
        locate::span(self.doc.text, start, path).or(Some((start, start + 1)))
    }

    fn error(&self, path: &[Seg], message: String) -> CatalogError {
        self.doc
            .error(self.span(path), format!("{}: {message}", self.label))
    }

    fn template(
        mut self,
        item: &Value,
        source: usize,
    ) -> Result<WhatsappTemplate, Vec<CatalogError>> {
        let Value::Object(obj) = item else {
            return Err(vec![self.error(
                &[],
                format!("must be a template object, not {}", kind(item)),
            )]);
        };
        let mut errors = Vec::new();
        let name = ok(&mut errors, self.required_str(obj, "name"));
        let language = ok(&mut errors, self.required_str(obj, "language")).map(normalize_lang);
        self.label = match (name, &language) {
            (Some(name), Some(lang)) => format!("item {} (`{name}`, {lang})", self.index),
            (Some(name), None) => format!("item {} (`{name}`)", self.index),
            (None, _) => self.label,
        };
        let status = ok(&mut errors, self.required_str(obj, "status"));
        let category = ok(&mut errors, self.optional_str(obj, "category"));
        let id = ok(&mut errors, self.id(obj));
        let format = ok(&mut errors, self.parameter_format(obj));
        let parts = self
            .components(obj)
            .map_err(|mut e| errors.append(&mut e))
            .ok();
        let (
            Some(name),
            Some(language),
            Some(status),
            Some(category),
            Some(id),
            Some(format),
            Some(parts),
        ) = (name, language, status, category, id, format, parts)
        else {
            return Err(errors);
        };
        let (parameter_format, placeholders) = self.placeholders(format, &parts.texts)?;
        Ok(WhatsappTemplate {
            span: self.span(&[Seg::Key("name")]),
            name: name.to_string(),
            language,
            status: status.to_ascii_uppercase(),
            category: category.unwrap_or_default().to_ascii_uppercase(),
            id,
            parameter_format,
            header: with_header_params(parts.header, &placeholders),
            body: parts.body.unwrap_or_default(),
            footer: parts.footer,
            buttons: parts.buttons,
            placeholders,
            other_components: parts.other,
            source,
            item: self.index,
        })
    }

    fn required_str<'v>(
        &self,
        obj: &'v Map<String, Value>,
        field: &str,
    ) -> Result<&'v str, CatalogError> {
        match obj.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
            Some(Value::String(_)) => {
                Err(self.error(&[Seg::Key(field)], format!("`{field}` is empty")))
            }
            Some(other) => Err(self.error(
                &[Seg::Key(field)],
                format!("`{field}` must be a string, not {}", kind(other)),
            )),
            None => Err(self.missing(obj, field)),
        }
    }

    fn missing(&self, obj: &Map<String, Value>, field: &str) -> CatalogError {
        // Point at the name when there is one: the item itself may span
        // dozens of lines.
        let err = self.error(&[Seg::Key("name")], format!("missing `{field}`"));
        let is_create_request = field == "status" && !obj.contains_key("id");
        if is_create_request {
            err.with_help(
                "a GET /message_templates export has `status` and `id` for every template; \
                 without them this looks like a template create request (POST body)",
            )
        } else {
            err.with_help(format!(
                "every template in a GET /message_templates export has `{field}`; \
                 was `fields=` used without it?"
            ))
        }
    }

    fn optional_str<'v>(
        &self,
        obj: &'v Map<String, Value>,
        field: &str,
    ) -> Result<Option<&'v str>, CatalogError> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(
                &[Seg::Key(field)],
                format!("`{field}` must be a string, not {}", kind(other)),
            )),
        }
    }

    /// Meta sends ids as strings; a number is accepted because hand-made
    /// fixtures and some SDKs write them that way.
    fn id(&self, obj: &Map<String, Value>) -> Result<Option<String>, CatalogError> {
        match obj.get("id") {
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            _ => self.optional_str(obj, "id").map(|s| s.map(str::to_string)),
        }
    }

    fn parameter_format(
        &self,
        obj: &Map<String, Value>,
    ) -> Result<Option<ParamFormat>, CatalogError> {
        let Some(format) = self.optional_str(obj, "parameter_format")? else {
            return Ok(None);
        };
        // The create API takes lower case (`named`), the GET API answers in
        // capitals; accept both.
        match format.to_ascii_uppercase().as_str() {
            "POSITIONAL" => Ok(Some(ParamFormat::Positional)),
            "NAMED" => Ok(Some(ParamFormat::Named)),
            _ => Err(self.error(
                &[Seg::Key("parameter_format")],
                format!("unknown `parameter_format` \"{format}\" (expected POSITIONAL or NAMED)"),
            )),
        }
    }

    fn components<'v>(&self, obj: &'v Map<String, Value>) -> Result<Parts<'v>, Vec<CatalogError>> {
        let list = match obj.get("components") {
            Some(Value::Array(list)) => list,
            Some(other) => {
                return Err(vec![self.error(
                    &[Seg::Key("components")],
                    format!("`components` must be an array, not {}", kind(other)),
                )])
            }
            None => return Err(vec![self.missing(obj, "components")]),
        };
        let mut parts = Parts::default();
        let mut errors = Vec::new();
        for (ci, component) in list.iter().enumerate() {
            if let Err(e) = self.component(&mut parts, ci, component) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(parts)
        } else {
            Err(errors)
        }
    }

    fn component<'v>(
        &self,
        parts: &mut Parts<'v>,
        ci: usize,
        value: &'v Value,
    ) -> Result<(), CatalogError> {
        let at =
            |field: &'static str| vec![Seg::Key("components"), Seg::Index(ci), Seg::Key(field)];
        let Value::Object(c) = value else {
            return Err(self.error(
                &[Seg::Key("components"), Seg::Index(ci)],
                format!("component {ci} must be an object, not {}", kind(value)),
            ));
        };
        let Some(Value::String(ty)) = c.get("type") else {
            return Err(self.error(&at("type"), format!("component {ci} has no `type` string")));
        };
        let text = match c.get("text") {
            Some(Value::String(s)) => Some(s.as_str()),
            None | Some(Value::Null) => None,
            Some(other) => {
                return Err(self.error(
                    &at("text"),
                    format!(
                        "component {ci}: `text` must be a string, not {}",
                        kind(other)
                    ),
                ))
            }
        };
        let ty = ty.to_ascii_uppercase();
        let once = |present: bool| {
            if present {
                Err(self.error(&at("type"), format!("a second {ty} component")))
            } else {
                Ok(())
            }
        };
        match ty.as_str() {
            "HEADER" => {
                once(parts.header.is_some())?;
                parts.header = Some(self.header(c, ci, text)?);
                if let (Some(Header::Text { .. }), Some(text)) = (&parts.header, text) {
                    parts.texts.push(Part {
                        component: Component::Header,
                        text,
                        path: at("text"),
                    });
                }
            }
            "BODY" => {
                once(parts.body.is_some())?;
                parts.body = Some(text.unwrap_or_default().to_string());
                if let Some(text) = text {
                    parts.texts.push(Part {
                        component: Component::Body,
                        text,
                        path: at("text"),
                    });
                }
            }
            "FOOTER" => parts.footer = text.map(str::to_string),
            "BUTTONS" => self.buttons(parts, c, ci)?,
            _ => parts.other.push(ty.clone()),
        }
        Ok(())
    }

    fn header(
        &self,
        c: &Map<String, Value>,
        ci: usize,
        text: Option<&str>,
    ) -> Result<Header, CatalogError> {
        let at = |field: &'static str| [Seg::Key("components"), Seg::Index(ci), Seg::Key(field)];
        let format = match (c.get("format"), text) {
            (Some(Value::String(f)), _) => f.to_ascii_uppercase(),
            (None, Some(_)) => "TEXT".to_string(),
            (None, None) => return Err(self.error(&at("type"), "HEADER has no `format`".into())),
            (Some(other), _) => {
                return Err(self.error(
                    &at("format"),
                    format!("HEADER `format` must be a string, not {}", kind(other)),
                ))
            }
        };
        Ok(match format.as_str() {
            "TEXT" => {
                let Some(text) = text else {
                    return Err(self.error(&at("format"), "TEXT header has no `text`".into()));
                };
                Header::Text {
                    text: text.to_string(),
                    params: Vec::new(),
                }
            }
            "IMAGE" | "VIDEO" | "DOCUMENT" => Header::Media { format },
            _ => Header::Other { format },
        })
    }

    fn buttons<'v>(
        &self,
        parts: &mut Parts<'v>,
        c: &'v Map<String, Value>,
        ci: usize,
    ) -> Result<(), CatalogError> {
        let path = |bi: Option<usize>, field: Option<&'static str>| {
            let mut p = vec![Seg::Key("components"), Seg::Index(ci), Seg::Key("buttons")];
            p.extend(bi.map(Seg::Index));
            p.extend(field.map(Seg::Key));
            p
        };
        let Some(Value::Array(list)) = c.get("buttons") else {
            return Err(self.error(
                &path(None, None),
                "BUTTONS component has no `buttons` array".into(),
            ));
        };
        for (bi, b) in list.iter().enumerate() {
            let Value::Object(b) = b else {
                return Err(self.error(
                    &path(Some(bi), None),
                    format!("button {bi} must be an object"),
                ));
            };
            let index = parts.buttons.len();
            let string = |field: &'static str| match b.get(field) {
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                None | Some(Value::Null) => Ok(None),
                Some(other) => Err(self.error(
                    &path(Some(bi), Some(field)),
                    format!(
                        "button {bi}: `{field}` must be a string, not {}",
                        kind(other)
                    ),
                )),
            };
            let Some(button_type) = string("type")? else {
                return Err(self.error(&path(Some(bi), None), format!("button {bi} has no `type`")));
            };
            let url = string("url")?;
            if let Some(url) = url {
                parts.texts.push(Part {
                    component: Component::Button(index),
                    text: url,
                    path: path(Some(bi), Some("url")),
                });
            }
            parts.buttons.push(Button {
                kind: button_type.to_ascii_uppercase(),
                text: string("text")?.map(str::to_string),
                url: url.map(str::to_string),
            });
        }
        Ok(())
    }

    /// Orders placeholders header, body, buttons and checks them against
    /// `parameter_format`. Without `parameter_format` (older exports, or a
    /// GET without that field) the format is inferred from the texts.
    fn placeholders(
        &self,
        declared: Option<ParamFormat>,
        texts: &[Part],
    ) -> Result<(ParamFormat, Vec<Placeholder>), Vec<CatalogError>> {
        let rank = |c: Component| match c {
            Component::Header => 0,
            Component::Body => 1,
            Component::Button(i) => 2 + i,
        };
        let mut texts: Vec<&Part> = texts.iter().collect();
        texts.sort_by_key(|p| rank(p.component));
        let uses_names = texts.iter().any(|p| {
            !matches!(p.component, Component::Button(_))
                && scan_placeholders(p.text)
                    .iter()
                    .any(|f| matches!(f.key, ParamKey::Named(_)))
        });
        let format = declared.unwrap_or(if uses_names {
            ParamFormat::Named
        } else {
            ParamFormat::Positional
        });
        let mut all = Vec::new();
        let mut errors = Vec::new();
        for part in texts {
            match self.part_keys(format, part) {
                Ok(keys) => all.extend(keys.into_iter().map(|key| Placeholder {
                    component: part.component,
                    key,
                })),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok((format, all))
        } else {
            Err(errors)
        }
    }

    /// The distinct keys of one component, checked: positional ones must be
    /// `{{1}}`…`{{n}}` without gaps (Meta refuses anything else), named
    /// ones only where the format is NAMED. Button URLs are always
    /// positional: the send API fills them by button index, never by name.
    fn part_keys(&self, format: ParamFormat, part: &Part) -> Result<Vec<ParamKey>, CatalogError> {
        let mut keys: Vec<ParamKey> = Vec::new();
        for found in scan_placeholders(part.text) {
            if !keys.contains(&found.key) {
                keys.push(found.key);
            }
        }
        let named_allowed =
            format == ParamFormat::Named && !matches!(part.component, Component::Button(_));
        let where_ = match part.component {
            Component::Header => "the header".to_string(),
            Component::Body => "the body".to_string(),
            Component::Button(i) => format!("the URL of button {i}"),
        };
        let wrong = keys
            .iter()
            .find(|k| matches!(k, ParamKey::Named(_)) != named_allowed);
        if let Some(key) = wrong {
            let (shown, expected) = match key {
                ParamKey::Named(n) => (
                    format!("{{{{{n}}}}}"),
                    "numbered placeholders ({{1}}, {{2}}, …)",
                ),
                ParamKey::Positional(n) => (
                    format!("{{{{{n}}}}}"),
                    "named placeholders ({{first_name}}, …)",
                ),
            };
            return Err(self.error(
                &part.path,
                format!("{where_} uses {shown}, but this template takes {expected}"),
            ));
        }
        if !named_allowed {
            keys.sort();
            let gap = keys
                .iter()
                .enumerate()
                .find(|(i, k)| **k != ParamKey::Positional(*i as u32 + 1));
            if let Some((i, _)) = gap {
                return Err(self.error(
                    &part.path,
                    format!(
                        "{where_} has no {{{{{}}}}}: placeholders must be numbered \
                         from {{{{1}}}} without gaps",
                        i + 1
                    ),
                ));
            }
        }
        Ok(keys)
    }
}

/// Keeps going after a failed read so that one pass reports every problem.
fn ok<T>(errors: &mut Vec<CatalogError>, result: Result<T, CatalogError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn with_header_params(header: Option<Header>, placeholders: &[Placeholder]) -> Option<Header> {
    match header {
        Some(Header::Text { text, .. }) => Some(Header::Text {
            text,
            params: placeholders
                .iter()
                .filter(|p| p.component == Component::Header)
                .cloned()
                .collect(),
        }),
        other => other,
    }
}

/// Recognising what a JSON file is when it is not a GET response, so the
/// error can say what to do instead of only "no `data` array".
mod shape {
    use serde_json::{Map, Value};

    pub const EXPORT_HELP: &str = "export the catalog with GET /{waba-id}/message_templates \
        and save the JSON body as is (one file per page)";
    pub const ANALYTICS: &str =
        "this looks like a template_analytics response (`data[].data_points`), \
        not a GET /message_templates response";
    const NOT_GET: &str = "not a GET /message_templates response";

    /// Message and help for a root without `data`.
    pub fn explain(root: &Value) -> (String, String) {
        match root {
            Value::Object(map) => object(map),
            Value::Array(items) if !items.is_empty() && items.iter().all(is_template) => (
                format!("this is a bare array of templates, {NOT_GET}: it has no `data` array"),
                "wrap it as {\"data\": [ … ]}".to_string(),
            ),
            Value::Array(_) => (
                format!("this is a JSON array, {NOT_GET} (an object with a `data` array)"),
                EXPORT_HELP.to_string(),
            ),
            _ => (
                format!("this is a single JSON value, {NOT_GET} (an object with a `data` array)"),
                EXPORT_HELP.to_string(),
            ),
        }
    }

    fn is_template(v: &Value) -> bool {
        v.as_object().is_some_and(is_template_map)
    }

    fn is_template_map(map: &Map<String, Value>) -> bool {
        map.contains_key("name") && map.contains_key("components")
    }

    fn object(map: &Map<String, Value>) -> (String, String) {
        let help = EXPORT_HELP.to_string();
        if let Some(error) = map.get("error") {
            return (
                graph_error(error),
                "the export failed; fetch the templates again".into(),
            );
        }
        if let Some(Value::Array(interactions)) = map.get("interactions") {
            return (
                format!(
                    "this looks like recorded HTTP interactions (`interactions[].request` \
                     and `.response`, as in a VCR cassette), {NOT_GET}"
                ),
                vcr_help(interactions),
            );
        }
        let mut fields = Vec::new();
        if find_webhooks(map, 0, &mut fields) {
            return webhook(map, &fields);
        }
        if is_template_map(map) {
            return single_template(map);
        }
        let templates: Vec<&str> = map
            .iter()
            .filter(|(_, v)| is_template(v))
            .map(|(k, _)| k.as_str())
            .collect();
        if !templates.is_empty() && templates.len() == map.len() {
            return create_requests(map, &templates);
        }
        if map.contains_key("id") && map.contains_key("status") {
            return (
                format!(
                    "this looks like a template create response \
                     (`id`, `status` of one new template), {NOT_GET}"
                ),
                help,
            );
        }
        if map.contains_key("success") {
            return (
                format!("this looks like a delete or update response (`success`), {NOT_GET}"),
                help,
            );
        }
        if map.contains_key("message_template_namespace") {
            return (
                format!("this is a template namespace response, {NOT_GET}"),
                help,
            );
        }
        let mut keys: Vec<String> = map.keys().take(5).map(|k| format!("`{k}`")).collect();
        if map.len() > 5 {
            keys.push("…".into());
        }
        let has = if keys.is_empty() {
            "it is empty".to_string()
        } else {
            format!("it has {}", keys.join(", "))
        };
        (format!("no `data` array: {NOT_GET} ({has})"), help)
    }

    fn graph_error(error: &Value) -> String {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        match error.get("code").and_then(Value::as_i64) {
            Some(code) => {
                format!("this is a Graph API error response (code {code}: {message}), {NOT_GET}")
            }
            None => format!("this is a Graph API error response ({message}), {NOT_GET}"),
        }
    }

    fn vcr_help(interactions: &[Value]) -> String {
        let gets: Vec<String> = interactions
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                let uri = i
                    .pointer("/request/uri")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let is_get = i.pointer("/request/method").and_then(Value::as_str) == Some("GET");
                is_get
                    && uri.contains("/message_templates")
                    && i.pointer("/response/body/data")
                        .is_some_and(Value::is_array)
            })
            .map(|(n, i)| match i.get("cassette").and_then(Value::as_str) {
                Some(c) => format!("{n} (`{}`)", c.rsplit('/').next().unwrap_or(c)),
                None => n.to_string(),
            })
            .collect();
        match gets.as_slice() {
            [] => format!(
                "none of its {} interactions is a GET /message_templates response; {EXPORT_HELP}",
                interactions.len()
            ),
            [one] => format!(
                "interaction {one} holds a GET /message_templates response in \
                 `response.body`; save that body as its own file"
            ),
            [many @ .., last] => format!(
                "interactions {} and {last} hold GET /message_templates responses in \
                 `response.body`; save such a body as its own file",
                many.join(", ")
            ),
        }
    }

    /// Looks for `entry[].changes[]` at the root or a few levels down, since
    /// fixture files often key several payloads by name; collects `field`s.
    fn find_webhooks(map: &Map<String, Value>, depth: usize, fields: &mut Vec<String>) -> bool {
        let mut found = false;
        if let Some(Value::Array(entries)) = map.get("entry") {
            for change in entries
                .iter()
                .filter_map(|e| e.get("changes")?.as_array())
                .flatten()
            {
                found = true;
                if let Some(field) = change.get("field").and_then(Value::as_str) {
                    if !fields.iter().any(|f| f == field) {
                        fields.push(field.to_string());
                    }
                }
            }
        }
        if depth < 3 {
            for child in map.values().filter_map(Value::as_object) {
                found |= find_webhooks(child, depth + 1, fields);
            }
        }
        found
    }

    fn webhook(map: &Map<String, Value>, fields: &[String]) -> (String, String) {
        let fields = fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let what = if map.contains_key("entry") {
            "a webhook payload"
        } else {
            "webhook payloads"
        };
        let field_note = if fields.is_empty() {
            String::new()
        } else {
            format!(", field {fields}")
        };
        (
            format!("this looks like {what} (`entry[].changes[]`{field_note}), {NOT_GET}"),
            format!("webhooks report changes to single templates; {EXPORT_HELP}"),
        )
    }

    fn single_template(map: &Map<String, Value>) -> (String, String) {
        let name = map.get("name").and_then(Value::as_str).unwrap_or("?");
        if map.contains_key("status") || map.contains_key("id") {
            (
                format!(
                    "this looks like a single template (`{name}`, as from \
                     GET /{{template-id}}), {NOT_GET}: it has no `data` array"
                ),
                "wrap it as {\"data\": [ … ]}, or export the whole catalog with \
                 GET /{waba-id}/message_templates"
                    .into(),
            )
        } else {
            (
                format!(
                    "this looks like a template create request (`{name}`), {NOT_GET}: \
                     it has no `data` array, and no `id` or `status`"
                ),
                format!(
                    "a create request says what was submitted, not what Meta approved; \
                     {EXPORT_HELP}"
                ),
            )
        }
    }

    fn create_requests(map: &Map<String, Value>, names: &[&str]) -> (String, String) {
        let with_status = map.values().any(|v| v.get("status").is_some());
        let mut shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
        if names.len() > 3 {
            shown.push("…".into());
        }
        let what = if with_status {
            "templates keyed by name"
        } else {
            "template create requests keyed by template name"
        };
        let lacking = if with_status {
            ""
        } else {
            ", and the templates have no `id` or `status`"
        };
        (
            format!(
                "this looks like {what} ({}), {NOT_GET}: it has no `data` array{lacking}",
                shown.join(", ")
            ),
            format!(
                "a create request says what was submitted, not what Meta approved; {EXPORT_HELP}"
            ),
        )
    }
}

/// Byte ranges of values in JSON text. serde_json gives no positions for
/// values, so this scanner finds them, only ever on text serde_json has
/// already accepted; on anything unexpected it gives up with `None`.
mod locate {
    #[derive(Debug, Clone, Copy)]
    pub enum Seg<'a> {
        Key(&'a str),
        Index(usize),
    }

    const BOM: &[u8] = "\u{feff}".as_bytes();

    /// The value at `path`, starting from the value at byte `start`.
    pub fn span(text: &str, start: usize, path: &[Seg]) -> Option<(usize, usize)> {
        let b = text.as_bytes();
        let start = if start == 0 && b.starts_with(BOM) {
            BOM.len()
        } else {
            start
        };
        let mut pos = skip_ws(b, start);
        for seg in path {
            pos = match *seg {
                Seg::Key(k) => member(b, pos, k)?,
                Seg::Index(i) => element(b, pos, i)?,
            };
        }
        Some((pos, value_end(b, pos)?))
    }

    /// Every element of the array at `path`, in one pass.
    pub fn array_items(text: &str, path: &[Seg]) -> Vec<(usize, usize)> {
        let b = text.as_bytes();
        let Some((start, _)) = span(text, 0, path) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        let mut pos = start;
        while let Some(next) = each_element(b, pos, items.is_empty()) {
            let Some(end) = value_end(b, next) else { break };
            items.push((next, end));
            pos = end;
        }
        items
    }

    fn skip_ws(b: &[u8], mut pos: usize) -> usize {
        while matches!(b.get(pos), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            pos += 1;
        }
        pos
    }

    /// After the opening quote at `pos`, the byte after the closing quote.
    fn string_end(b: &[u8], pos: usize) -> Option<usize> {
        let mut i = pos + 1;
        loop {
            match b.get(i)? {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
    }

    fn value_end(b: &[u8], pos: usize) -> Option<usize> {
        match b.get(pos)? {
            b'"' => string_end(b, pos),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut i = pos;
                loop {
                    match b.get(i)? {
                        b'"' => {
                            i = string_end(b, i)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => {
                let mut i = pos;
                while !matches!(
                    b.get(i),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                ) {
                    i += 1;
                }
                Some(i)
            }
        }
    }

    fn member(b: &[u8], pos: usize, key: &str) -> Option<usize> {
        if *b.get(pos)? != b'{' {
            return None;
        }
        let mut i = skip_ws(b, pos + 1);
        loop {
            if *b.get(i)? != b'"' {
                return None;
            }
            let key_end = string_end(b, i)?;
            let found = b.get(i + 1..key_end - 1)?;
            let colon = skip_ws(b, key_end);
            if *b.get(colon)? != b':' {
                return None;
            }
            let value = skip_ws(b, colon + 1);
            if found == key.as_bytes() {
                return Some(value);
            }
            i = skip_ws(b, value_end(b, value)?);
            if *b.get(i)? != b',' {
                return None;
            }
            i = skip_ws(b, i + 1);
        }
    }

    fn element(b: &[u8], pos: usize, index: usize) -> Option<usize> {
        let mut at = pos;
        for n in 0..=index {
            at = each_element(b, at, n == 0)?;
            if n < index {
                at = value_end(b, at)?;
            }
        }
        Some(at)
    }

    /// The start of the next element: the first when `first` (at `pos` is
    /// the `[`), else the one after the value ending at `pos`.
    fn each_element(b: &[u8], pos: usize, first: bool) -> Option<usize> {
        let i = if first {
            if *b.get(pos)? != b'[' {
                return None;
            }
            skip_ws(b, pos + 1)
        } else {
            let comma = skip_ws(b, pos);
            if *b.get(comma)? != b',' {
                return None;
            }
            skip_ws(b, comma + 1)
        };
        (*b.get(i)? != b']').then_some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::catalog::CatalogErrorKind;

    const GET: &str = r#"{"data": [
      {"name": "promo", "language": "en_US", "status": "APPROVED", "category": "MARKETING", "id": "1",
       "components": [
         {"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}"},
         {"type": "BODY", "text": "Use {{2}} or {{1}}, {{1}}"},
         {"type": "BUTTONS", "buttons": [
           {"type": "QUICK_REPLY", "text": "Stop"},
           {"type": "URL", "text": "Shop", "url": "https://x.test/{{1}}"}]}]},
      {"name": "promo", "language": "pt_BR", "status": "REJECTED", "category": "UTILITY",
       "components": [{"type": "BODY", "text": "Oi"}]}
    ], "paging": {"cursors": {}}}"#;

    fn load(text: &str) -> Result<WhatsappCatalog, Vec<CatalogError>> {
        let mut c = WhatsappCatalog::new();
        c.add_file("t.json", text).map(|()| c)
    }

    fn messages(text: &str) -> Vec<String> {
        load(text)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn placeholders_in_component_order() {
        let c = load(GET).unwrap();
        let t = c.get("promo", "en-us").unwrap();
        let order: Vec<_> = t
            .placeholders
            .iter()
            .map(|p| (p.component, p.key.clone()))
            .collect();
        assert_eq!(
            order,
            vec![
                (Component::Header, ParamKey::Positional(1)),
                (Component::Body, ParamKey::Positional(1)),
                (Component::Body, ParamKey::Positional(2)),
                (Component::Button(1), ParamKey::Positional(1)),
            ]
        );
        assert!(matches!(&t.header, Some(Header::Text { params, .. }) if params.len() == 1));
        assert_eq!(c.get("promo", "pt_BR").unwrap().status, "REJECTED");
        assert_eq!(c.approved_languages("promo"), vec!["en_US"]);
    }

    #[test]
    fn spans_point_into_the_text() {
        let c = load(GET).unwrap();
        let (s, e) = c.get("promo", "pt_BR").unwrap().span.unwrap();
        assert_eq!(&GET[s..e], "\"promo\"");
        assert!(s > GET.find("pt_BR").unwrap() - 80);
    }

    #[test]
    fn missing_and_mistyped_fields_name_the_item() {
        let text = r#"{"data": [{"name": "a", "language": "en", "status": "APPROVED", "components": []},
            {"name": "b", "language": "en", "components": []},
            {"name": 5, "language": "en", "status": "APPROVED"}]}"#;
        let errs = load(text).unwrap_err();
        let msgs: Vec<_> = errs.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "item 1 (`b`, en): missing `status`",
                "item 2: `name` must be a string, not a number",
                "item 2: missing `components`",
            ]
        );
        let (s, _) = errs[0].span.unwrap();
        assert!(text[s..].starts_with("\"b\""));
        assert_eq!(errs[0].line_col.unwrap().0, 2);
    }

    #[test]
    fn placeholder_format_mismatches() {
        let named_in_positional = r#"{"data": [{"name": "a", "language": "en", "status": "APPROVED",
            "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "Hi {{name}}"}]}]}"#;
        assert_eq!(
            messages(named_in_positional),
            vec!["item 0 (`a`, en): the body uses {{name}}, but this template takes numbered placeholders ({{1}}, {{2}}, …)"]
        );
        let gap = r#"{"data": [{"name": "a", "language": "en", "status": "APPROVED",
            "components": [{"type": "BODY", "text": "{{1}} {{3}}"}]}]}"#;
        assert_eq!(
            messages(gap),
            vec!["item 0 (`a`, en): the body has no {{2}}: placeholders must be numbered from {{1}} without gaps"]
        );
        let inferred = r#"{"data": [{"name": "a", "language": "en", "status": "APPROVED",
            "components": [{"type": "BODY", "text": "Hi {{name}}"}]}]}"#;
        let c = load(inferred).unwrap();
        assert_eq!(
            c.get("a", "en").unwrap().parameter_format,
            ParamFormat::Named
        );
    }

    #[test]
    fn same_file_duplicate() {
        let text = r#"{"data": [
            {"name": "a", "language": "en", "status": "APPROVED", "components": []},
            {"name": "a", "language": "en", "status": "APPROVED", "components": []}]}"#;
        let errs = load(text).unwrap_err();
        assert_eq!(errs[0].kind, CatalogErrorKind::Duplicate);
        assert_eq!(
            errs[0].message,
            "template `a` in en is twice in `t.json` (items 0 and 1)"
        );
    }

    #[test]
    fn errors_are_capped() {
        let item = r#"{"name": "a", "language": "en", "components": []}"#;
        let text = format!(r#"{{"data": [{}]}}"#, vec![item; 200].join(","));
        let errs = load(&text).unwrap_err();
        assert_eq!(errs.len(), MAX_ERRORS + 1);
        assert!(errs[MAX_ERRORS].message.starts_with("too many errors"));
    }

    #[test]
    fn same_file_loaded_twice() {
        let mut c = WhatsappCatalog::new();
        assert!(c.add_file("t.json", GET).is_ok());
        let errs = c.add_file("t.json", GET).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0]
            .message
            .ends_with("`t.json` is in the catalog list twice"));
    }

    #[test]
    fn resolution_order() {
        let item = |lang: &str, status: &str| {
            format!(
                r#"{{"name": "t", "language": "{lang}", "status": "{status}", "components": []}}"#
            )
        };
        let text = format!(
            r#"{{"data": [{}, {}, {}, {}, {}]}}"#,
            item("pt", "APPROVED"),
            item("en_GB", "APPROVED"),
            item("en_US", "APPROVED"),
            item("es", "APPROVED"),
            item("fr", "REJECTED")
        );
        let c = load(&text).unwrap();
        let lang = |req: &str, default: Option<&str>| {
            c.resolve_language("t", req, default)
                .map(|t| t.language.as_str())
        };
        assert_eq!(lang("en_GB", None), Some("en_GB"), "exact");
        assert_eq!(lang("pt-BR", None), Some("pt"), "base language");
        assert_eq!(
            lang("en", Some("en_US")),
            Some("en_US"),
            "same base, default preferred"
        );
        assert_eq!(
            lang("en_AU", None),
            Some("en_GB"),
            "same base, first in order"
        );
        assert_eq!(lang("de", Some("es")), Some("es"), "default");
        assert_eq!(
            lang("fr", Some("es")),
            Some("es"),
            "not approved is skipped"
        );
        assert_eq!(lang("fr", None), None);
        assert_eq!(lang("", Some("de")), None, "default not approved");
        assert_eq!(c.resolve_language("nope", "en", None), None);
    }

    #[test]
    fn json_errors_point_at_the_bad_character() {
        for text in ["\u{feff}{\"data\": [é]}", "{\"data\":\n  [\"ü\", é]}"] {
            let errs = load(text).unwrap_err();
            let (s, e) = errs[0].span.unwrap();
            assert_eq!(&text[s..e], "é", "{}", errs[0].message);
        }
    }

    #[test]
    fn loads_with_a_byte_order_mark() {
        let c = load("\u{feff}{\"data\": [{\"name\": \"a\", \"language\": \"en\", \"status\": \"APPROVED\", \"components\": []}]}").unwrap();
        assert!(c.get("a", "en").unwrap().span.is_some());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let inputs = [
            "", "null", "[]", "{}", "{\"data\": 5}", "{\"data\": [1, null, []]}",
            "{\"data\": [{\"components\": [5, {\"type\": 1}, {\"type\": \"BUTTONS\", \"buttons\": [3]}]}]}",
            "{\"data\": [{\"name\": \"x\", \"language\": \"en\", \"status\": \"A\", \"components\": [{\"type\": \"HEADER\"}]}]}",
            "{\"data\": [", "\u{feff}{}", "{\"a\": {\"entry\": [{\"changes\": 5}]}}",
        ];
        for input in inputs {
            let _ = load(input);
        }
        let deep = "[".repeat(10_000);
        assert!(load(&deep).is_err());
    }

    #[test]
    fn locate_finds_nested_values() {
        let text = r#" { "a" : [ 1 , { "b\"" : "x" , "c" : [true, null] } ] } "#;
        let span = |path: &[Seg]| locate::span(text, 0, path).map(|(s, e)| &text[s..e]);
        assert_eq!(
            span(&[Seg::Key("a"), Seg::Index(1), Seg::Key("c")]),
            Some("[true, null]")
        );
        assert_eq!(
            span(&[Seg::Key("a"), Seg::Index(1), Seg::Key("c"), Seg::Index(1)]),
            Some("null")
        );
        assert_eq!(span(&[Seg::Key("a"), Seg::Index(2)]), None);
        assert_eq!(span(&[Seg::Key("z")]), None);
        assert_eq!(locate::array_items(text, &[Seg::Key("a")]).len(), 2);
    }
}
