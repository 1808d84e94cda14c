//! Channel rules (LANGUAGE.md, "Channel and template validation"):
//! WhatsApp templates, languages and parameters; free text only as a reply;
//! SMS encoding and segments; email templates; Viber and RCS lengths; the
//! opt-out and consent lints. Problems are reported at the `send`.

use super::catalog::{
    normalize_lang, Header, ParamFormat, TemplateCatalog, TemplateParams, WhatsappCatalog,
    WhatsappTemplate,
};
use super::config::Config;
use super::ir::{self, Const, Lang, Params, TExpr, TExprKind};
use super::sms;
use super::suggest::did_you_mean;
use super::types::{Scope, Typer};
use crate::diag::{Code, Diagnostic, FileId, Severity};
use crate::syntax::ast::{self, StepBody, TextPart};
use crate::syntax::lexer::CHANNELS;
use crate::syntax::Span;

pub struct Catalogs<'a> {
    pub whatsapp: &'a WhatsappCatalog,
    pub templates: &'a TemplateCatalog,
    pub config: &'a Config,
}

/// What the channel check needs to know about the rule around a step.
pub struct StepContext<'a> {
    pub scope: &'a Scope,
    /// The rule's start event names (for the WhatsApp reply window).
    pub start_events: &'a [String],
    /// The longest the rule waits after its start event, in ms.
    pub total_wait_ms: u64,
}

pub struct ChannelChecker<'a, 't> {
    pub typer: &'a mut Typer<'t>,
    pub cat: &'a Catalogs<'a>,
    pub file: FileId,
}

const MAX_PARAM_SPACES: usize = 4;
const VIBER_MAX: usize = 1_000;
const RCS_MAX: usize = 3_072;
const DAY_MS: u64 = 86_400_000;

impl<'a> ChannelChecker<'a, '_> {
    fn push(&mut self, d: Diagnostic) {
        self.typer.diags.push(d);
    }

    fn diag(&self, code: Code, span: Span, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.file, span, msg)
    }

    /// Checks one cascade step and lowers it.
    pub fn step(&mut self, s: &ast::Step, cx: &StepContext) -> Option<ir::Step> {
        let channel = s.channel.name.as_str();
        let at = send_span(s);
        if !CHANNELS.contains(&channel) {
            let help = match did_you_mean(channel, CHANNELS.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("the channels are {}", CHANNELS.join(", ")),
            };
            self.push(
                self.diag(
                    Code::UnknownChannel,
                    s.channel.span,
                    format!("`{channel}` is not a channel"),
                )
                .with_help(help),
            );
            return None;
        }
        let body = match &s.body {
            StepBody::Text(t) => self.text_step(channel, t, at, cx)?,
            StepBody::Template { name, lang, params } => match channel {
                "whatsapp" => {
                    self.whatsapp_template(name, lang.as_ref(), params.as_ref(), cx.scope)?
                }
                _ => {
                    self.plain_template(channel, name, lang.as_ref(), params.as_ref(), cx.scope)?
                }
            },
        };
        Some(ir::Step {
            channel: channel.to_string(),
            body,
            span: s.span,
        })
    }

    fn text_step(
        &mut self,
        channel: &str,
        t: &ast::Text,
        at: Span,
        cx: &StepContext,
    ) -> Option<ir::StepBody> {
        let parts = self.text_parts(t, cx.scope)?;
        match channel {
            "email" => {
                self.push(self.diag(Code::TemplateRequired, at, "email is sent from a catalog template, not free text").with_help("the subject lives in the template: `send email template \"winback_offer\"`"));
                return None;
            }
            "whatsapp" => self.whatsapp_free_text(at, cx)?,
            "sms" => self.sms_text(t),
            "viber" => self.max_length(t, "Viber", VIBER_MAX)?,
            "rcs" => self.max_length(t, "RCS", RCS_MAX)?,
            _ => {}
        }
        Some(ir::StepBody::Text(parts))
    }

    fn text_parts(&mut self, t: &ast::Text, scope: &Scope) -> Option<Vec<ir::TextPart>> {
        let mut out = Vec::new();
        for p in &t.parts {
            out.push(match p {
                TextPart::Literal { text, .. } => ir::TextPart::Literal(text.clone()),
                TextPart::Interp(e) => ir::TextPart::Interp(self.typer.rendered(e, scope)?),
            });
        }
        Some(out)
    }

    /// Free text is allowed only as a reply to the inbound-message event,
    /// inside Meta's 24-hour customer service window.
    fn whatsapp_free_text(&mut self, at: Span, cx: &StepContext) -> Option<()> {
        let inbound = self.cat.config.inbound_event();
        let is_reply = !cx.start_events.is_empty() && cx.start_events.iter().all(|e| e == inbound);
        if is_reply && cx.total_wait_ms < DAY_MS {
            return Some(());
        }
        let msg = if is_reply {
            "this WhatsApp free text would go out 24 hours or more after the customer's message"
        } else {
            "WhatsApp free text can only answer a customer's message"
        };
        self.push(self.diag(Code::WhatsappFreeText, at, msg).with_help(format!(
            "business-initiated WhatsApp messages must use an approved template: `send whatsapp template \"NAME\"`; free text is allowed in a rule started by `{inbound}` that waits less than 24 hours"
        )));
        None
    }

    fn literal_text(t: &ast::Text) -> Vec<(&str, Span)> {
        t.parts
            .iter()
            .filter_map(|p| match p {
                TextPart::Literal { text, span } => Some((text.as_str(), *span)),
                TextPart::Interp(_) => None,
            })
            .collect()
    }

    fn sms_text(&mut self, t: &ast::Text) {
        let lits = Self::literal_text(t);
        let joined: String = lits.iter().map(|(s, _)| *s).collect();
        let a = sms::analyze(&joined);
        if let Some((c, offset)) = a.forced_by {
            let span = source_span_of(&lits, offset, c);
            let d = self
                .diag(Code::SmsUnicode, span, format!("`{c}` (U+{:04X}) makes this SMS UCS-2: 70 characters per segment instead of 160", c as u32))
                .with_label("not in the GSM-7 alphabet")
                .with_help(format!("{}; in UCS-2 the fixed text takes {} segment{}", replacement_hint(c), a.segments, if a.segments == 1 { "" } else { "s" }));
            self.push(d);
        }
        let max = self.cat.config.sms_max_segments();
        if a.segments > max {
            let enc = a.encoding.name();
            let d = self
                .diag(Code::SmsSegments, t.span, format!("this SMS is {} segments ({enc}, {} units) before interpolation; the limit is {max}", a.segments, a.units))
                .with_help("shorten the text, or raise `[channels.sms] max_segments` in trig.toml; each segment is billed");
            self.push(d);
        }
    }

    fn max_length(&mut self, t: &ast::Text, name: &str, max: usize) -> Option<()> {
        let lits = Self::literal_text(t);
        let n: usize = lits.iter().map(|(s, _)| s.chars().count()).sum();
        if n > max {
            let joined: String = lits.iter().map(|(s, _)| *s).collect();
            let (offset, c) = joined.char_indices().nth(max).unwrap_or((0, ' '));
            let span = source_span_of(&lits, offset, c);
            let d = self
                .diag(
                    Code::TextTooLong,
                    span,
                    format!("this {name} text is {n} characters; {name} allows {max}"),
                )
                .with_label(format!("character {} is past the limit", max + 1))
                .with_help(format!("shorten the text to at most {max} characters"));
            self.push(d);
            return None;
        }
        Some(())
    }

    fn plain_template(
        &mut self,
        channel: &str,
        name: &ast::StringLit,
        lang: Option<&ast::Expr>,
        params: Option<&ast::Params>,
        scope: &Scope,
    ) -> Option<ir::StepBody> {
        let Some(t) = self.cat.templates.get(channel, &name.value) else {
            let help = match did_you_mean(&name.value, self.cat.templates.names(channel)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("add `{}` for {channel} to the templates file named in trig.toml (`[catalogs] templates`)", name.value),
            };
            self.push(
                self.diag(
                    Code::UnknownTemplate,
                    name.span,
                    format!("there is no {channel} template `{}`", name.value),
                )
                .with_help(help),
            );
            return None;
        };
        if !t.is_sendable() {
            let status = t.status.as_deref().unwrap_or("not approved");
            self.push(self.diag(Code::TemplateNotApproved, name.span, format!("{channel} template `{}` is {status}", name.value)).with_help("the catalog marks this template as needing approval; send it once it is APPROVED"));
            return None;
        }
        let lang = match lang {
            Some(e) => Some(self.plain_lang(t, e, scope)?),
            None => None,
        };
        let params = match (&t.params, params) {
            (TemplateParams::Named(names), p) => {
                self.named_params(&name.value, names, false, p, scope)?
            }
            (TemplateParams::Positional(n), p) => {
                self.positional_params(&name.value, *n as usize, false, p, name.span, scope)?
            }
        };
        Some(ir::StepBody::Template {
            name: name.value.clone(),
            lang,
            params,
        })
    }

    fn plain_lang(
        &mut self,
        t: &super::catalog::Template,
        e: &ast::Expr,
        scope: &Scope,
    ) -> Option<Lang> {
        let mut te = self.typer.expr(e, scope)?;
        self.typer.require(
            &mut te,
            ir::Type::Str,
            "a language is a code such as \"en_US\"",
        )?;
        if let TExprKind::Const(Const::Str(s)) = &te.kind {
            if !t.has_language(s) {
                self.push(
                    self.diag(
                        Code::TemplateLanguage,
                        e.span,
                        format!("template `{}` has no language `{s}`", t.name),
                    )
                    .with_help(format!("its languages are {}", t.languages.join(", "))),
                );
                return None;
            }
            return Some(Lang::Fixed(normalize_lang(s)));
        }
        Some(Lang::Dynamic {
            expr: te,
            approved: t.languages.clone(),
            default: self.cat.config.project.language.clone(),
        })
    }

    fn whatsapp_template(
        &mut self,
        name: &ast::StringLit,
        lang: Option<&ast::Expr>,
        params: Option<&ast::Params>,
        scope: &Scope,
    ) -> Option<ir::StepBody> {
        let wa = self.cat.whatsapp;
        if wa.templates(&name.value).is_empty() {
            let help = match did_you_mean(&name.value, wa.names()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "add the template's Meta export to `[catalogs] whatsapp` in trig.toml, or check the name".into(),
            };
            self.push(
                self.diag(
                    Code::UnknownTemplate,
                    name.span,
                    format!(
                        "there is no WhatsApp template `{}` in the catalog",
                        name.value
                    ),
                )
                .with_help(help),
            );
            return None;
        }
        let (lang, versions) = self.whatsapp_lang(name, lang, scope)?;
        let mut lowered = None;
        for t in versions {
            lowered = Some(self.whatsapp_params(t, params, name.span, scope)?);
        }
        Some(ir::StepBody::Template {
            name: name.value.clone(),
            lang: Some(lang),
            params: lowered.unwrap_or(Params::None),
        })
    }

    /// Decides the language(s) a WhatsApp send may use, and returns the
    /// template versions whose parameters must match.
    fn whatsapp_lang(
        &mut self,
        name: &ast::StringLit,
        lang: Option<&ast::Expr>,
        scope: &Scope,
    ) -> Option<(Lang, Vec<&'a WhatsappTemplate>)> {
        let wa: &'a WhatsappCatalog = self.cat.whatsapp;
        let approved = wa.approved_languages(&name.value);
        let default = self.cat.config.project.language.clone();
        match lang {
            Some(e) => {
                let mut te = self.typer.expr(e, scope)?;
                self.typer.require(
                    &mut te,
                    ir::Type::Str,
                    "a language is a code such as \"en_US\"",
                )?;
                if let TExprKind::Const(Const::Str(s)) = &te.kind {
                    let t = self.fixed_lang(name, s, e.span)?;
                    return Some((Lang::Fixed(t.language.clone()), vec![t]));
                }
                if approved.is_empty() {
                    self.not_approved_anywhere(name);
                    return None;
                }
                let versions = wa
                    .templates(&name.value)
                    .iter()
                    .filter(|t| t.is_approved())
                    .collect();
                let approved = approved.iter().map(|s| s.to_string()).collect();
                Some((
                    Lang::Dynamic {
                        expr: te,
                        approved,
                        default,
                    },
                    versions,
                ))
            }
            None => {
                let chosen = match (&default, approved.as_slice()) {
                    (Some(d), _) => d.clone(),
                    (None, [only]) => only.to_string(),
                    (None, []) => {
                        self.not_approved_anywhere(name);
                        return None;
                    }
                    (None, many) => {
                        self.push(self.diag(Code::TemplateLanguage, name.span, format!("template `{}` is approved in {} languages; say which", name.value, many.len())).with_help(format!("add `lang \"{}\"` (or `lang customer.locale`), or set `[project] language` in trig.toml; approved: {}", many[0], many.join(", "))));
                        return None;
                    }
                };
                let t = self.fixed_lang(name, &chosen, name.span)?;
                Some((Lang::Fixed(t.language.clone()), vec![t]))
            }
        }
    }

    fn fixed_lang(
        &mut self,
        name: &ast::StringLit,
        lang: &str,
        span: Span,
    ) -> Option<&'a WhatsappTemplate> {
        let wa: &'a WhatsappCatalog = self.cat.whatsapp;
        match wa.get(&name.value, lang) {
            Some(t) if t.is_approved() => Some(t),
            Some(t) => {
                let d = self
                    .diag(
                        Code::TemplateNotApproved,
                        span,
                        format!(
                            "WhatsApp template `{}` is {} in `{}`",
                            name.value, t.status, t.language
                        ),
                    )
                    .with_help(approved_help(wa, &name.value));
                self.push(d);
                None
            }
            None => {
                let d = self
                    .diag(
                        Code::TemplateLanguage,
                        span,
                        format!(
                            "WhatsApp template `{}` has no language `{}`",
                            name.value,
                            normalize_lang(lang)
                        ),
                    )
                    .with_help(format!(
                        "{} (`en` and `en_US` are different languages in Meta's catalog)",
                        approved_help(wa, &name.value)
                    ));
                self.push(d);
                None
            }
        }
    }

    fn not_approved_anywhere(&mut self, name: &ast::StringLit) {
        let statuses: Vec<String> = self
            .cat
            .whatsapp
            .templates(&name.value)
            .iter()
            .map(|t| format!("{} in {}", t.status, t.language))
            .collect();
        let d = self.diag(Code::TemplateNotApproved, name.span, format!("WhatsApp template `{}` is not approved in any language ({})", name.value, statuses.join(", "))).with_help("Meta rejects business-initiated messages that are not an APPROVED template; wait for approval or use another template");
        self.push(d);
    }

    fn whatsapp_params(
        &mut self,
        t: &WhatsappTemplate,
        params: Option<&ast::Params>,
        at: Span,
        scope: &Scope,
    ) -> Option<Params> {
        if let Some(Header::Other { format }) = &t.header {
            self.push(
                self.diag(
                    Code::ParamCount,
                    at,
                    format!(
                        "template `{}` has a {format} header, which trig cannot fill",
                        t.name
                    ),
                )
                .with_help("use a template with a TEXT, IMAGE, VIDEO or DOCUMENT header"),
            );
            return None;
        }
        let unfillable = t.other_components.first().cloned().or_else(|| {
            t.buttons
                .iter()
                .find(|b| b.kind == "COPY_CODE")
                .map(|_| "COPY_CODE button".to_string())
        });
        if let Some(what) = unfillable {
            self.push(self.diag(Code::ParamCount, at, format!("template `{}` has a {what}, whose values trig cannot fill", t.name)).with_help("trig fills header, body and URL-button placeholders; use a template without carousel cards, offers or copy-code buttons"));
            return None;
        }
        let lowered = match t.parameter_format {
            ParamFormat::Named => {
                let names: Vec<String> = t.param_names().into_iter().map(String::from).collect();
                self.named_params(&t.name, &names, t.has_media_header(), params, scope)?
            }
            ParamFormat::Positional => self.positional_params(
                &t.name,
                t.placeholders.len(),
                t.has_media_header(),
                params,
                at,
                scope,
            )?,
        };
        self.literal_values(&lowered);
        Some(lowered)
    }

    fn positional_params(
        &mut self,
        name: &str,
        want: usize,
        media: bool,
        params: Option<&ast::Params>,
        at: Span,
        scope: &Scope,
    ) -> Option<Params> {
        let span = params.map_or(at, |p| p.span);
        let (values, header) = self.media_header(name, media, params, span, scope)?;
        if let Some(named) = values.iter().find(|p| p.name.is_some()) {
            self.push(self.diag(Code::ParamNames, named.span, format!("template `{name}` takes positional parameters")).with_help("write the values in order without names: `with (customer.first_name, cart.url)`"));
            return None;
        }
        if values.len() != want {
            let given = match values.len() {
                0 => "none is given".to_string(),
                1 => "1 is given".to_string(),
                n => format!("{n} are given"),
            };
            let values_word = if want == 1 { "value" } else { "values" };
            self.push(self.diag(Code::ParamCount, span, format!("template `{name}` has {want} {} but {given}", if want == 1 { "parameter" } else { "parameters" })).with_help(format!("give exactly {want} {values_word}, in the order of the placeholders {{{{1}}}}, {{{{2}}}}, …: header, body, then buttons")));
            return None;
        }
        let values = values
            .iter()
            .map(|p| self.typer.rendered(&p.value, scope))
            .collect::<Option<Vec<_>>>()?;
        Some(if values.is_empty() && header.is_none() {
            Params::None
        } else {
            Params::Positional { values, header }
        })
    }

    /// Splits off the `header: EXPR` that gives a media header's link: it
    /// must end the list, appear once, and only for a template with a
    /// media header (which needs one).
    fn media_header<'p>(
        &mut self,
        name: &str,
        media: bool,
        params: Option<&'p ast::Params>,
        span: Span,
        scope: &Scope,
    ) -> Option<(Vec<&'p ast::Param>, Option<TExpr>)> {
        let items: &[ast::Param] = params.map_or(&[], |p| &p.items);
        let is_header = |p: &ast::Param| p.name.as_ref().is_some_and(|n| n.name == "header");
        let (header, values): (Vec<&ast::Param>, Vec<&ast::Param>) =
            items.iter().partition(|p| is_header(p));
        if let Some(second) = header.get(1) {
            self.push(
                self.diag(Code::ParamCount, second.span, "`header:` is given twice")
                    .with_help("give the media header's link once, at the end of `with (…)`"),
            );
            return None;
        }
        if let (Some(h), Some(last)) = (header.first(), items.last()) {
            if !is_header(last) {
                self.push(
                    self.diag(
                        Code::ParamCount,
                        h.span,
                        "`header:` must end the parameter list",
                    )
                    .with_help("move `header: …` after the other values"),
                );
                return None;
            }
        }
        if media && header.is_empty() {
            self.push(
                self.diag(
                    Code::ParamCount,
                    span,
                    format!("template `{name}` has a media header that needs a link"),
                )
                .with_help(
                    "end the list with `header: \"https://…\"` (or an expression giving the link)",
                ),
            );
            return None;
        }
        if let (false, Some(h)) = (media, header.first()) {
            self.push(
                self.diag(
                    Code::ParamCount,
                    h.span,
                    format!("template `{name}` has no media header"),
                )
                .with_help("remove `header: …`"),
            );
            return None;
        }
        let header = match header.first() {
            Some(h) => Some(self.typer.rendered(&h.value, scope)?),
            None => None,
        };
        Some((values, header))
    }

    fn named_params(
        &mut self,
        name: &str,
        want: &[String],
        media: bool,
        params: Option<&ast::Params>,
        scope: &Scope,
    ) -> Option<Params> {
        let span = params.map_or(Span::default(), |p| p.span);
        // A template parameter called `header` wins over the media link.
        let media = media && !want.iter().any(|w| w == "header");
        let (items, header) = if media {
            self.media_header(name, true, params, span, scope)?
        } else {
            (
                params.map_or(Vec::new(), |p| p.items.iter().collect()),
                None,
            )
        };
        let mut out = Vec::new();
        let mut ok = true;
        // Names offered as "did you mean" for a misspelled one: reporting
        // them as missing as well would say the same thing twice.
        let mut suggested: Vec<&str> = Vec::new();
        for &p in &items {
            let Some(n) = &p.name else {
                self.push(
                    self.diag(
                        Code::ParamNames,
                        p.span,
                        format!("template `{name}` takes named parameters"),
                    )
                    .with_help(format!(
                        "name each value: `with ({}: …)`",
                        want.first().map_or("name", String::as_str)
                    )),
                );
                return None;
            };
            if !want.contains(&n.name) {
                let help = match did_you_mean(&n.name, want.iter().map(String::as_str)) {
                    Some(s) => {
                        suggested.push(s);
                        format!("did you mean `{s}`?")
                    }
                    None => format!("the template's parameters are {}", want.join(", ")),
                };
                self.push(
                    self.diag(
                        Code::ParamNames,
                        n.span,
                        format!("template `{name}` has no parameter `{}`", n.name),
                    )
                    .with_help(help),
                );
                ok = false;
                continue;
            }
            out.push((n.name.clone(), self.typer.rendered(&p.value, scope)?));
        }
        let missing: Vec<&str> = want
            .iter()
            .filter(|w| {
                !items
                    .iter()
                    .any(|p| p.name.as_ref().is_some_and(|n| &n.name == *w))
            })
            .map(String::as_str)
            .filter(|w| !suggested.contains(w))
            .collect();
        if !missing.is_empty() {
            self.push(
                self.diag(
                    Code::ParamNames,
                    span,
                    format!(
                        "template `{name}` needs {}",
                        missing
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help(format!("add `{}: …` to `with (…)`", missing[0])),
            );
            return None;
        }
        ok.then_some(if out.is_empty() && header.is_none() {
            Params::None
        } else {
            Params::Named {
                values: out,
                header,
            }
        })
    }

    /// Meta refuses empty values, line breaks, tabs and more than four
    /// spaces in a row; literals are checked now, the rest at fire time.
    fn literal_values(&mut self, p: &Params) {
        let values: Vec<&TExpr> = match p {
            Params::None => Vec::new(),
            Params::Positional { values, header } => values.iter().chain(header.iter()).collect(),
            Params::Named { values, header } => {
                values.iter().map(|(_, e)| e).chain(header.iter()).collect()
            }
        };
        for v in values {
            if let Some(problem) = literal_param_problem(v) {
                self.push(self.diag(Code::InvalidParamValue, v.span, format!("WhatsApp rejects this parameter: {problem}")).with_help("parameters may not be empty or null, and may not contain line breaks, tabs or more than four spaces in a row"));
            }
        }
    }
}

/// Why a constant parameter value is invalid for Meta, if it is.
pub fn literal_param_problem(v: &TExpr) -> Option<&'static str> {
    match &v.kind {
        TExprKind::Const(Const::Null) => Some("it is null"),
        TExprKind::Const(Const::Str(s)) => param_text_problem(s),
        _ => None,
    }
}

/// The fire-time check of a rendered parameter value.
pub fn param_text_problem(s: &str) -> Option<&'static str> {
    if s.trim().is_empty() {
        Some("it is empty")
    } else if s.contains(['\n', '\r']) {
        Some("it contains a line break")
    } else if s.contains('\t') {
        Some("it contains a tab")
    } else if s.contains(&" ".repeat(MAX_PARAM_SPACES + 1)) {
        Some("it contains more than four spaces in a row")
    } else {
        None
    }
}

fn approved_help(wa: &WhatsappCatalog, name: &str) -> String {
    let approved = wa.approved_languages(name);
    if approved.is_empty() {
        "it is approved in no language yet".into()
    } else {
        format!("it is approved in: {}", approved.join(", "))
    }
}

/// `send CHANNEL` / `fallback CHANNEL`: where channel problems are reported.
pub fn send_span(s: &ast::Step) -> Span {
    Span::new(s.span.start, s.channel.span.end)
}

/// Maps an offset in the joined literal text back to the source.
/// A literal part whose source holds escapes or `{{` (so its text and its
/// span differ in length) is pointed at whole, rather than at a guess.
fn source_span_of(lits: &[(&str, Span)], mut offset: usize, c: char) -> Span {
    for (text, span) in lits {
        if offset >= text.len() {
            offset -= text.len();
            continue;
        }
        if span.len() != text.len() {
            return *span;
        }
        let start = span.start + offset;
        return Span::new(start, start + c.len_utf8());
    }
    lits.first().map_or(Span::default(), |l| l.1)
}

fn replacement_hint(c: char) -> String {
    match c {
        '\u{2018}' | '\u{2019}' => "use a straight apostrophe `'` instead".into(),
        '\u{201C}' | '\u{201D}' => "use straight quotes `\\\"` instead".into(),
        '\u{2013}' | '\u{2014}' => "use a hyphen `-` instead".into(),
        '\u{2026}' => "use three dots `...` instead".into(),
        _ => "if the character is not needed, replace it with a GSM-7 one".into(),
    }
}

/// Whether a rule's sends are marketing: not tagged transactional/utility,
/// or a WhatsApp template that is MARKETING in any language it may use.
pub fn is_marketing(tags: &[String], steps: &[ir::Step], wa: &WhatsappCatalog) -> bool {
    let tagged_service = tags.iter().any(|t| t == "transactional" || t == "utility");
    let marketing_template = steps.iter().any(|s| match (&s.channel[..], &s.body) {
        ("whatsapp", ir::StepBody::Template { name, lang, .. }) => {
            wa.templates(name).iter().any(|t| {
                t.is_marketing()
                    && match lang {
                        Some(Lang::Fixed(l)) => &t.language == l,
                        _ => t.is_approved(),
                    }
            })
        }
        _ => false,
    });
    !tagged_service || marketing_template
}

/// The marketing lints: SMS opt-out wording and customer consent.
pub fn marketing_lints(
    rule: &ast::Rule,
    guards_read_customer: bool,
    config: &Config,
    file: FileId,
    out: &mut Vec<Diagnostic>,
) {
    let keywords = config.opt_out_keywords();
    for s in std::iter::once(&rule.action).chain(&rule.fallbacks) {
        let channel = s.channel.name.as_str();
        if let (true, StepBody::Text(t)) = (channel == "sms", &s.body) {
            let text: String = ChannelChecker::literal_text(t)
                .iter()
                .map(|(s, _)| *s)
                .collect();
            let upper = text.to_uppercase();
            if !keywords.iter().any(|k| upper.contains(&k.to_uppercase())) {
                out.push(Diagnostic::new(Code::MissingOptOut, file, t.span, "this marketing SMS has no opt-out wording").with_help(format!("add opt-out wording such as `Reply {} to opt out`, or tag the rule `transactional` if it is not marketing", keywords.first().map_or("STOP", String::as_str))));
            }
        }
        if !guards_read_customer
            && config.consent_attribute(channel).is_none()
            && CHANNELS.contains(&channel)
        {
            out.push(
                Diagnostic::new(Code::MissingConsent, file, send_span(s), format!("this marketing {channel} send checks no customer consent"))
                    .with_help(format!("add a guard such as `if customer.{channel}_opt_in`, or name the consent attribute in trig.toml: `[channels.{channel}] consent = \"{channel}_opt_in\"`"))
                    .with_severity(Severity::Warning),
            );
        }
    }
}
