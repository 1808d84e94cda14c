//! The documents the editor has open: their text as the editor has it,
//! which wins over the file on disk.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use super::position::{uri_to_path, Encoding, LineIndex};

pub struct Document {
    pub uri: Uri,
    /// `None` for documents not saved as local files (`untitled:`).
    pub path: Option<PathBuf>,
    pub text: String,
}

#[derive(Default)]
pub struct Documents {
    by_uri: BTreeMap<String, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, text: String) {
        let path = uri_to_path(&uri);
        self.by_uri
            .insert(uri.as_str().to_string(), Document { uri, path, text });
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.by_uri.remove(uri.as_str())
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.by_uri.get(uri.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.by_uri.values()
    }

    /// The open document at `path`, if any.
    pub fn by_path(&self, path: &std::path::Path) -> Option<&Document> {
        self.by_uri
            .values()
            .find(|d| d.path.as_deref() == Some(path))
    }

    /// Applies changes in order; a change without a range replaces the
    /// whole text. Unknown documents are ignored (the editor will reopen).
    pub fn change(
        &mut self,
        uri: &Uri,
        changes: Vec<TextDocumentContentChangeEvent>,
        enc: Encoding,
    ) {
        let Some(doc) = self.by_uri.get_mut(uri.as_str()) else {
            return;
        };
        for change in changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    let index = LineIndex::new(&doc.text, enc);
                    let start = index.offset(range.start);
                    let end = index.offset(range.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    #[test]
    fn incremental_changes_apply_in_order() {
        let uri: Uri = "file:///tmp/a.trig".parse().unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), "when a then\nsend sms \"é\"".into());
        let edit = |l1, c1, l2, c2, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        };
        docs.change(
            &uri,
            vec![edit(1, 10, 1, 11, "ü!"), edit(0, 5, 0, 6, "cart.x")],
            Encoding::Utf16,
        );
        assert_eq!(
            docs.get(&uri).unwrap().text,
            "when cart.x then\nsend sms \"ü!\""
        );
        assert_eq!(
            docs.get(&uri).unwrap().path,
            Some(PathBuf::from("/tmp/a.trig"))
        );
    }
}
