//! The project a document belongs to, loaded the way `trig check` loads
//! it (nearest `trig.toml`, its catalogs and schema, every rule file under
//! its folder), with the editor's unsaved text in place of the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_types::Uri;
use trig::check::Workspace;

use super::documents::{Document, Documents};
use super::position::path_to_uri;
use crate::cli::project;

pub struct Loaded {
    pub ws: Workspace,
    /// Workspace source names of the rule files → their URIs.
    pub uris: BTreeMap<String, Uri>,
    /// Why the project could not be loaded (an unreadable catalog, say).
    pub problem: Option<String>,
}

impl Loaded {
    /// The URI of a workspace source name (rule file, trig.toml, catalog).
    pub fn uri_of(&self, name: &str) -> Option<Uri> {
        self.uris.get(name).cloned().or_else(|| {
            let p = Path::new(name);
            p.is_absolute().then(|| path_to_uri(p)).flatten()
        })
    }
}

/// The project file that governs `doc`, if any.
pub fn config_of(doc: &Document) -> Option<PathBuf> {
    doc.path.as_deref()?.parent().and_then(project::find_config)
}

/// Loads the project of `doc`: every rule file of the project, or the
/// document alone when no `trig.toml` governs it.
pub fn load(doc: &Document, docs: &Documents) -> Loaded {
    let config = config_of(doc);
    let (ws, problem) = match config.as_deref().map(|c| project::load(Some(c), &[])) {
        None => (Workspace::new(), None),
        Some(Ok(ws)) => (ws, None),
        Some(Err(project::IoError(msg))) => (Workspace::new(), Some(msg)),
    };
    let mut loaded = Loaded {
        ws,
        uris: BTreeMap::new(),
        problem,
    };
    let mut files = match config.as_deref().and_then(Path::parent) {
        Some(dir) => project::rule_files(&[dir.to_path_buf()]).unwrap_or_default(),
        None => Vec::new(),
    };
    // Open documents of the project that are not saved yet, and the
    // document itself when no project file governs it.
    let open: Vec<&Document> = match &config {
        Some(_) => docs
            .iter()
            .filter(|o| o.path.is_some() && config_of(o) == config)
            .collect(),
        None => vec![doc],
    };
    for o in open {
        match &o.path {
            Some(p) if !files.contains(p) => files.push(p.clone()),
            Some(_) => {}
            None => add(&mut loaded, o.uri.as_str(), Some(&o.text), &o.uri, None),
        }
    }
    for path in files {
        let name = project::display(&path);
        let Some(uri) = path_to_uri(&path) else {
            continue;
        };
        let text = docs.by_path(&path).map(|d| d.text.as_str());
        add(&mut loaded, &name, text, &uri, Some(&path));
    }
    loaded
}

fn add(loaded: &mut Loaded, name: &str, text: Option<&str>, uri: &Uri, path: Option<&Path>) {
    match (text, path) {
        (Some(text), _) => {
            loaded.ws.add_rules(name, text);
        }
        (None, Some(path)) => match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                loaded.ws.add_rules(name, &text);
            }
            Ok(Err(e)) => loaded.ws.add_invalid_utf8(name, e.as_bytes()),
            // Deleted since the folder was listed: nothing to check.
            Err(_) => return,
        },
        (None, None) => return,
    }
    loaded.uris.insert(name.to_string(), uri.clone());
}
