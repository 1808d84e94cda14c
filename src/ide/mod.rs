//! Editor features: what a language server answers, as pure functions
//! over text and a checked-in workspace. Positions here are byte offsets
//! and spans; the binary's `trig lsp` converts them to the editor's
//! line/character positions and speaks the protocol.
//!
//! Everything works on broken input: a file being typed rarely parses.
//! That is why these features read tokens (the logos layer) and their
//! roles rather than the AST.

mod complete;
mod hover;
mod navigate;
pub mod roles;

pub use complete::{complete, Completion, CompletionKind, Completions};
pub use hover::{hover, Hover};
pub use navigate::definition;
pub use roles::{classify, Classified, Role};

use crate::check::catalog::{TemplateCatalog, TemplateParams, WhatsappCatalog};
use crate::check::config::Config;
use crate::check::schema::Schema;

/// What editor features know of the project besides the file being
/// edited: catalogs, schema and the events other rule files use.
#[derive(Clone, Copy)]
pub struct Project<'a> {
    pub whatsapp: &'a WhatsappCatalog,
    pub templates: &'a TemplateCatalog,
    pub schema: Option<&'a Schema>,
    pub config: &'a Config,
    /// Event names the workspace's rules use (triggers, absences, goals).
    pub events: &'a std::collections::BTreeSet<String>,
}

/// A template's description as Markdown, for hover and completion.
fn template_doc(project: &Project, channel: &str, name: &str) -> Option<String> {
    if channel == "whatsapp" {
        let all = project.whatsapp.templates(name);
        if all.is_empty() {
            return None;
        }
        let mut out = format!("**{name}** (WhatsApp template)\n");
        for t in all {
            out.push_str(&format!(
                "\n---\n`{}` · {} · {}\n\n{}\n",
                t.language, t.status, t.category, t.body
            ));
            let named = t.param_names();
            let params = match t.positional_count() {
                _ if !named.is_empty() => named.join(", "),
                0 => "none".to_string(),
                n => format!("{n} positional"),
            };
            out.push_str(&format!("\nparameters: {params}\n"));
            if let Some(footer) = &t.footer {
                out.push_str(&format!("\n_{footer}_\n"));
            }
        }
        return Some(out);
    }
    let t = project.templates.get(channel, name)?;
    let mut out = format!("**{name}** ({channel} template)\n");
    let langs = if t.languages.is_empty() {
        "any language".to_string()
    } else {
        t.languages.join(", ")
    };
    let status = t.status.as_deref().unwrap_or("no approval needed");
    out.push_str(&format!("\n{langs} · {status}\n"));
    if let Some(subject) = &t.subject {
        out.push_str(&format!("\nsubject: {subject}\n"));
    }
    if let Some(body) = &t.body {
        out.push_str(&format!("\n{body}\n"));
    }
    let params = match &t.params {
        TemplateParams::Positional(0) => "none".to_string(),
        TemplateParams::Positional(n) => format!("{n} positional"),
        TemplateParams::Named(names) => names.join(", "),
    };
    out.push_str(&format!("\nparameters: {params}\n"));
    Some(out)
}

/// A one-line summary of a template, for completion lists.
fn template_detail(project: &Project, channel: &str, name: &str) -> String {
    if channel == "whatsapp" {
        let all = project.whatsapp.templates(name);
        let langs: Vec<String> = all
            .iter()
            .map(|t| format!("{} {}", t.language, t.status.to_lowercase()))
            .collect();
        let category = all.first().map_or("", |t| t.category.as_str());
        return format!("WhatsApp {category} · {}", langs.join(", "));
    }
    match project.templates.get(channel, name) {
        Some(t) if !t.languages.is_empty() => format!("{channel} · {}", t.languages.join(", ")),
        _ => channel.to_string(),
    }
}
