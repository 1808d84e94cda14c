//! LSP positions (line, character) ↔ byte offsets, and `file:` URIs ↔
//! paths. Characters count UTF-16 code units unless the client agreed to
//! UTF-8 at initialize (the protocol's default is UTF-16).

use std::path::{Path, PathBuf};

use lsp_types::{Position, Range, Uri};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Line starts of one text, for converting positions.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str, encoding: Encoding) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            text,
            starts,
            encoding,
        }
    }

    /// The byte offset of a position; past the end of a line means its
    /// end, past the last line the end of the text (as the protocol says).
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len();
        };
        let line_end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let line = &self.text[start..line_end];
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= p.character {
                return start + i;
            }
            units += self.width(c);
        }
        line_end
    }

    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let character = self.text[self.starts[line]..offset]
            .chars()
            .map(|c| self.width(c))
            .sum();
        Position::new(line as u32, character)
    }

    /// A cursor for positions of offsets that do not decrease (semantic
    /// tokens): each is counted on from the one before, so a pass over a
    /// text costs O(text), where `position` costs O(line) a call, which is
    /// quadratic on a long line of many tokens.
    pub fn walk(&self) -> Walk<'_, 'a> {
        Walk {
            index: self,
            offset: 0,
            pos: Position::new(0, 0),
        }
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    fn width(&self, c: char) -> u32 {
        match self.encoding {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
        }
    }
}

/// See [`LineIndex::walk`].
pub struct Walk<'i, 'a> {
    index: &'i LineIndex<'a>,
    offset: usize,
    pos: Position,
}

impl Walk<'_, '_> {
    pub fn position(&mut self, offset: usize) -> Position {
        let index = self.index;
        let mut offset = offset.min(index.text.len());
        while !index.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = index.starts.partition_point(|&s| s <= offset) - 1;
        let pos = if offset >= self.offset && line == self.pos.line as usize {
            let more: u32 = index.text[self.offset..offset]
                .chars()
                .map(|c| index.width(c))
                .sum();
            Position::new(self.pos.line, self.pos.character + more)
        } else {
            index.position(offset)
        };
        (self.offset, self.pos) = (offset, pos);
        pos
    }
}

/// The local path of a `file:` URI.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = percent_decode(rest)?;
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_counts_surrogate_pairs_twice() {
        let text = "a😀b\nxé";
        let idx = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(idx.position(text.find('b').unwrap()), Position::new(0, 3));
        assert_eq!(idx.offset(Position::new(0, 3)), text.find('b').unwrap());
        assert_eq!(idx.offset(Position::new(1, 2)), text.len());
        let idx8 = LineIndex::new(text, Encoding::Utf8);
        assert_eq!(idx8.position(text.find('b').unwrap()), Position::new(0, 5));
    }

    /// The walk gives what `position` gives, for every offset in order
    /// (mid-character ones too), in both encodings.
    #[test]
    fn walking_agrees_with_position() {
        let text = "a😀b é\n\nxé😀 z\n";
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let idx = LineIndex::new(text, enc);
            let mut walk = idx.walk();
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    walk.position(offset),
                    idx.position(offset),
                    "{enc:?} {offset}"
                );
            }
            // Going back is allowed, just not cheap.
            assert_eq!(walk.position(1), idx.position(1));
        }
    }

    #[test]
    fn positions_past_the_end_clamp() {
        let text = "ab\ncd";
        let idx = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(idx.offset(Position::new(0, 99)), 2);
        assert_eq!(idx.offset(Position::new(9, 0)), text.len());
        assert_eq!(idx.position(99), Position::new(1, 2));
    }

    #[test]
    fn file_uris_round_trip_with_escapes() {
        let path = Path::new("/tmp/my rules/café.trig");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/my%20rules/caf%C3%A9.trig");
        assert_eq!(uri_to_path(&uri).unwrap(), path);
        let untitled: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(uri_to_path(&untitled), None);
    }
}
