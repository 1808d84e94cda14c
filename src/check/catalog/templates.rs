//! The plain catalog: templates of channels other than WhatsApp, in one TOML
//! file written by hand (or generated from an ESP's template list).
//!
//! ```toml
//! [[template]]
//! channel = "email"
//! name = "winback_offer"
//! languages = ["en", "es"]
//! params = ["first_name", "url"]
//! subject = "We miss you"
//! body = "Hi {{first_name}} …"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{did_you_mean, is_identifier, normalize_lang, CatalogError, STATUSES};

/// Channels whose templates live in the plain file. WhatsApp is not one: its
/// templates come from Meta's export, where approval is Meta's to give.
pub const PLAIN_CHANNELS: &[&str] = &["sms", "email", "viber", "rcs"];

/// What a template expects in `with (…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateParams {
    /// `with (EXPR, …)` with exactly this many values; 0 is "no `with`".
    Positional(u32),
    /// `with (name: EXPR, …)` with exactly these names.
    Named(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub channel: String,
    pub name: String,
    /// Normalized; empty means the template is not tied to a language.
    pub languages: Vec<String>,
    pub params: TemplateParams,
    pub needs_approval: bool,
    /// In capitals; one of [`STATUSES`](super::STATUSES).
    pub status: Option<String>,
    /// Email only, where it is required.
    pub subject: Option<String>,
    /// A preview for people and editors; trig does not render it.
    pub body: Option<String>,
    /// Byte range of the `name` value in the file.
    pub span: (usize, usize),
}

impl Template {
    pub fn is_approved(&self) -> bool {
        self.status.as_deref() == Some("APPROVED")
    }

    /// Whether the checker may let a rule send it.
    pub fn is_sendable(&self) -> bool {
        !self.needs_approval || self.is_approved()
    }

    /// Whether it may be sent in `lang` (any language when none are listed).
    pub fn has_language(&self, lang: &str) -> bool {
        self.languages.is_empty() || self.languages.contains(&normalize_lang(lang))
    }
}

/// The plain catalog file, by channel and name.
#[derive(Debug, Clone, Default)]
pub struct TemplateCatalog {
    file: String,
    templates: BTreeMap<(String, String), Template>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    template: Vec<RawTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    channel: Spanned<String>,
    name: Spanned<String>,
    languages: Option<Spanned<Vec<String>>>,
    params: Option<Spanned<Vec<Spanned<String>>>>,
    positional: Option<Spanned<i64>>,
    needs_approval: Option<bool>,
    status: Option<Spanned<String>>,
    subject: Option<Spanned<String>>,
    body: Option<String>,
}

fn span<T>(s: &Spanned<T>) -> Option<(usize, usize)> {
    let r = s.span();
    Some((r.start, r.end))
}

impl TemplateCatalog {
    /// An empty catalog, for projects without a plain file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the whole file; any error rejects it, since a half-read catalog
    /// would turn one typo into "unknown template" at every send.
    pub fn from_toml(file_name: &str, text: &str) -> Result<Self, Vec<CatalogError>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().map(|r| (r.start, r.end));
            vec![
                CatalogError::invalid(file_name, text, span, e.message().trim().to_string())
                    .with_help(
                        "each template is a [[template]] table with `channel` and `name`; \
                     see docs/catalogs.md",
                    ),
            ]
        })?;
        let mut catalog = TemplateCatalog {
            file: file_name.to_string(),
            templates: BTreeMap::new(),
        };
        let mut errors = Vec::new();
        for raw in raw.template {
            let cx = Cx {
                file: file_name,
                text,
            };
            match cx.template(raw) {
                Ok(t) => {
                    if let Err(e) = catalog.insert(&cx, t) {
                        errors.push(e);
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(errors)
        }
    }

    fn insert(&mut self, cx: &Cx, t: Template) -> Result<(), CatalogError> {
        let key = (t.channel.clone(), t.name.clone());
        if let Some(first) = self.templates.get(&key) {
            let err = cx
                .error(
                    Some(t.span),
                    format!("{} template `{}` is defined twice", t.channel, t.name),
                )
                .with_help("one entry can list several `languages`");
            return Err(err.duplicate_of(&self.file, Some(first.span)));
        }
        self.templates.insert(key, t);
        Ok(())
    }

    /// The display name the file was loaded with.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn get(&self, channel: &str, name: &str) -> Option<&Template> {
        self.templates.get(&(channel.to_string(), name.to_string()))
    }

    /// The template names of one channel, sorted.
    pub fn names<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.templates
            .keys()
            .filter(move |(c, _)| c == channel)
            .map(|(_, n)| n.as_str())
    }

    /// Every template, sorted by channel then name.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.values()
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

/// Checks one `[[template]]` table.
struct Cx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Cx<'_> {
    fn error(&self, span: Option<(usize, usize)>, message: String) -> CatalogError {
        CatalogError::invalid(self.file, self.text, span, message)
    }

    fn template(&self, raw: RawTemplate) -> Result<Template, Vec<CatalogError>> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<(), CatalogError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        keep(self.channel(&raw.channel));
        keep(self.name(&raw.name));
        keep(self.subject(&raw));
        let languages = self.languages(&raw).map_err(|e| errors.push(e)).ok();
        let params = self.params(&raw).map_err(|e| errors.push(e)).ok();
        let status = self.status(&raw).map_err(|e| errors.push(e)).ok();
        let (Some(languages), Some(params), Some(status)) = (languages, params, status) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // Writing a status says the template goes through approval; an
        // explicit `needs_approval` still wins.
        let needs_approval = raw.needs_approval.unwrap_or(status.is_some());
        if needs_approval && status.is_none() {
            return Err(vec![self
                .error(
                    span(&raw.name),
                    format!(
                        "template `{}` needs approval but has no `status`",
                        raw.name.get_ref()
                    ),
                )
                .with_help(
                    "add `status = \"APPROVED\"` once the provider has approved it",
                )]);
        }
        Ok(Template {
            span: span(&raw.name).unwrap_or_default(),
            channel: raw.channel.into_inner(),
            name: raw.name.into_inner(),
            languages,
            params,
            needs_approval,
            status,
            subject: raw.subject.map(Spanned::into_inner),
            body: raw.body,
        })
    }

    fn channel(&self, channel: &Spanned<String>) -> Result<(), CatalogError> {
        let value = channel.get_ref().as_str();
        if PLAIN_CHANNELS.contains(&value) {
            return Ok(());
        }
        let err = self.error(span(channel), format!("unknown channel \"{value}\""));
        Err(if value.eq_ignore_ascii_case("whatsapp") {
            err.with_help(
                "WhatsApp templates come from Meta's GET /message_templates export \
                 (the WhatsApp catalog), not from this file",
            )
        } else if let Some(guess) = did_you_mean(value, PLAIN_CHANNELS) {
            err.with_help(format!("did you mean \"{guess}\"?"))
        } else {
            err.with_help(format!(
                "this file holds {} templates",
                PLAIN_CHANNELS.join(", ")
            ))
        })
    }

    fn name(&self, name: &Spanned<String>) -> Result<(), CatalogError> {
        let value = name.get_ref();
        if value.is_empty() || value.trim() != value {
            return Err(self.error(
                span(name),
                format!("template name \"{value}\" is empty or has spaces around it"),
            ));
        }
        Ok(())
    }

    /// Email needs a subject and only email has one.
    fn subject(&self, raw: &RawTemplate) -> Result<(), CatalogError> {
        let is_email = raw.channel.get_ref() == "email";
        match &raw.subject {
            None if is_email => Err(self
                .error(
                    span(&raw.name),
                    format!("email template `{}` has no `subject`", raw.name.get_ref()),
                )
                .with_help("email subjects live in the catalog: add `subject = \"…\"`")),
            Some(s) if is_email && s.get_ref().trim().is_empty() => {
                Err(self.error(span(s), "the subject is empty".into()))
            }
            Some(s) if !is_email => Err(self.error(
                span(s),
                format!(
                    "`subject` is for email templates, not {}",
                    raw.channel.get_ref()
                ),
            )),
            _ => Ok(()),
        }
    }

    fn languages(&self, raw: &RawTemplate) -> Result<Vec<String>, CatalogError> {
        let Some(list) = &raw.languages else {
            return Ok(Vec::new());
        };
        if list.get_ref().is_empty() {
            return Err(self
                .error(span(list), "`languages` is empty".into())
                .with_help("leave `languages` out for a template that is not tied to a language"));
        }
        let mut out: Vec<String> = Vec::new();
        for lang in list.get_ref() {
            let lang = normalize_lang(lang);
            if lang.is_empty() || out.contains(&lang) {
                return Err(self.error(
                    span(list),
                    format!("`languages` has an empty or repeated entry \"{lang}\""),
                ));
            }
            out.push(lang);
        }
        Ok(out)
    }

    fn params(&self, raw: &RawTemplate) -> Result<TemplateParams, CatalogError> {
        match (&raw.params, &raw.positional) {
            (Some(_), Some(n)) => Err(self.error(
                span(n),
                "a template has either `params` or `positional`, not both".into(),
            )),
            (None, None) => Ok(TemplateParams::Positional(0)),
            (None, Some(n)) => u32::try_from(*n.get_ref())
                .map(TemplateParams::Positional)
                .map_err(|_| self.error(span(n), "`positional` must be 0 or more".into())),
            (Some(names), None) => self.named(names.get_ref()).map(TemplateParams::Named),
        }
    }

    fn named(&self, names: &[Spanned<String>]) -> Result<Vec<String>, CatalogError> {
        let mut out: Vec<String> = Vec::new();
        for name in names {
            let value = name.get_ref();
            if !is_identifier(value) {
                return Err(self
                    .error(
                        span(name),
                        format!("parameter name \"{value}\" is not a plain name"),
                    )
                    .with_help("use letters, digits and `_`, as in `with (first_name: …)`"));
            }
            if out.contains(value) {
                return Err(self.error(span(name), format!("parameter `{value}` is listed twice")));
            }
            out.push(value.clone());
        }
        Ok(out)
    }

    fn status(&self, raw: &RawTemplate) -> Result<Option<String>, CatalogError> {
        let Some(status) = &raw.status else {
            return Ok(None);
        };
        let upper = status.get_ref().trim().to_ascii_uppercase();
        if STATUSES.contains(&upper.as_str()) {
            return Ok(Some(upper));
        }
        let err = self.error(
            span(status),
            format!("unknown status \"{}\"", status.get_ref()),
        );
        Err(match did_you_mean(&upper, STATUSES) {
            Some(guess) => err.with_help(format!("did you mean \"{guess}\"?")),
            None => err.with_help(format!("the statuses are {}", STATUSES.join(", "))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<TemplateCatalog, Vec<CatalogError>> {
        TemplateCatalog::from_toml("templates.toml", text)
    }

    fn first_error(text: &str) -> CatalogError {
        match load(text) {
            Ok(_) => panic!("expected an error"),
            Err(mut errs) => errs.remove(0),
        }
    }

    #[test]
    fn reads_a_template() {
        let c = load(
            r#"
[[template]]
channel = "sms"
name = "otp"
positional = 1
status = "approved"
"#,
        )
        .unwrap();
        let t = c.get("sms", "otp").unwrap();
        assert_eq!(t.params, TemplateParams::Positional(1));
        assert!(t.needs_approval, "a status implies approval");
        assert!(t.is_sendable());
        assert!(t.has_language("pt-BR"), "no languages: any language");
        assert_eq!(c.names("sms").collect::<Vec<_>>(), vec!["otp"]);
        assert_eq!(c.names("email").count(), 0);
    }

    #[test]
    fn empty_file_is_an_empty_catalog() {
        assert!(load("").unwrap().is_empty());
    }

    #[test]
    fn status_typo_suggests() {
        let e =
            first_error("[[template]]\nchannel = \"rcs\"\nname = \"a\"\nstatus = \"APROVED\"\n");
        assert_eq!(e.message, "unknown status \"APROVED\"");
        assert_eq!(e.help.as_deref(), Some("did you mean \"APPROVED\"?"));
        assert_eq!(e.line_col, Some((4, 10)));
    }

    #[test]
    fn approval_without_status() {
        let e =
            first_error("[[template]]\nchannel = \"viber\"\nname = \"a\"\nneeds_approval = true\n");
        assert_eq!(e.message, "template `a` needs approval but has no `status`");
    }

    #[test]
    fn params_checks() {
        let both =
            "[[template]]\nchannel = \"sms\"\nname = \"a\"\nparams = [\"x\"]\npositional = 1\n";
        assert!(first_error(both).message.contains("not both"));
        let bad = "[[template]]\nchannel = \"sms\"\nname = \"a\"\nparams = [\"first name\"]\n";
        assert_eq!(
            first_error(bad).message,
            "parameter name \"first name\" is not a plain name"
        );
        let twice = "[[template]]\nchannel = \"sms\"\nname = \"a\"\nparams = [\"x\", \"x\"]\n";
        assert_eq!(first_error(twice).message, "parameter `x` is listed twice");
        let negative = "[[template]]\nchannel = \"sms\"\nname = \"a\"\npositional = -1\n";
        assert_eq!(
            first_error(negative).message,
            "`positional` must be 0 or more"
        );
    }

    #[test]
    fn subject_rules() {
        let missing = "[[template]]\nchannel = \"email\"\nname = \"a\"\n";
        assert_eq!(
            first_error(missing).message,
            "email template `a` has no `subject`"
        );
        let misplaced = "[[template]]\nchannel = \"sms\"\nname = \"a\"\nsubject = \"Hi\"\n";
        assert_eq!(
            first_error(misplaced).message,
            "`subject` is for email templates, not sms"
        );
    }

    #[test]
    fn whatsapp_is_refused_with_a_pointer() {
        let e = first_error("[[template]]\nchannel = \"whatsapp\"\nname = \"a\"\n");
        assert!(e.help.unwrap().contains("GET /message_templates"));
    }
}
