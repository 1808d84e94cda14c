//! Reading event files line by line, with a bound on line length (a
//! runaway line must not take all memory) and positions that a checkpoint
//! can record and a resumed run can seek back to.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use sha2::{Digest, Sha256};

use super::store::InputPos;

/// Bytes of a file's start that identify it: a new file under the same
/// name (tomorrow's export) has another fingerprint and is read from 0.
pub const FINGERPRINT_BYTES: u64 = 4096;

pub struct Lines {
    reader: BufReader<Box<dyn Read>>,
    pub name: String,
    canonical: Option<String>,
    /// The file's first `FINGERPRINT_BYTES` bytes.
    head: Vec<u8>,
    /// Bytes consumed so far and lines read.
    pub offset: u64,
    pub line: u64,
    limit: usize,
}

/// One line read: its bytes without the `\n`, or how long it was when it
/// exceeded the limit (only its start is kept, for the dead letter).
pub enum Line<'a> {
    Text(&'a [u8]),
    TooLong { start: &'a [u8], length: u64 },
}

impl<'a> Line<'a> {
    /// The bytes kept: the whole line, or a too-long line's start.
    pub fn bytes(&self) -> &'a [u8] {
        match self {
            Line::Text(t) => t,
            Line::TooLong { start, .. } => start,
        }
    }
}

impl Lines {
    /// Opens `name` (`-` is stdin), resuming at a recorded position when
    /// it is the same file: the bytes before that position (up to
    /// `FINGERPRINT_BYTES`) hash the same. Appending to a file keeps its
    /// fingerprint; a new file under the old name does not.
    pub fn open(name: &str, limit: usize, resume: &[InputPos]) -> Result<Lines, String> {
        let shown = |e: std::io::Error| format!("{name}: {e}");
        if name == "-" {
            return Ok(Lines::stream(name, Box::new(std::io::stdin()), limit));
        }
        let f = File::open(name).map_err(shown)?;
        if !f.metadata().map_err(shown)?.is_file() {
            // A pipe (`<(zcat …)`, /dev/stdin, a FIFO): read once as a
            // stream, like stdin; it has no bytes to fingerprint or seek.
            return Ok(Lines::stream(name, Box::new(f), limit));
        }
        let mut f = f;
        let mut head = Vec::new();
        f.by_ref()
            .take(FINGERPRINT_BYTES)
            .read_to_end(&mut head)
            .map_err(shown)?;
        let canonical = std::fs::canonicalize(name)
            .map_err(shown)?
            .to_string_lossy()
            .into_owned();
        let at = resume.iter().find(|p| {
            let n = (p.offset.min(FINGERPRINT_BYTES) as usize).min(head.len());
            p.canonical == canonical
                && p.offset.min(FINGERPRINT_BYTES) as usize == n
                && p.fingerprint == fingerprint(&head[..n])
        });
        let (offset, line) = at.map_or((0, 0), |p| (p.offset, p.line));
        f.seek(SeekFrom::Start(offset)).map_err(shown)?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 16, Box::new(f)),
            name: name.to_string(),
            canonical: Some(canonical),
            head,
            offset,
            line,
            limit,
        })
    }

    /// Input read once from its start, never resumed.
    fn stream(name: &str, r: Box<dyn Read>, limit: usize) -> Lines {
        Lines {
            reader: BufReader::with_capacity(1 << 16, r),
            name: name.to_string(),
            canonical: None,
            head: Vec::new(),
            offset: 0,
            line: 0,
            limit,
        }
    }

    /// The file's first line (for a CSV header when resuming mid-file).
    pub fn first_line(&self) -> Result<Option<Vec<u8>>, String> {
        let f = File::open(&self.name).map_err(|e| format!("{}: {e}", self.name))?;
        let mut r = BufReader::new(f.take(self.limit as u64 + 1));
        let mut buf = Vec::new();
        r.read_until(b'\n', &mut buf)
            .map_err(|e| format!("{}: {e}", self.name))?;
        if buf.is_empty() {
            return Ok(None);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        Ok(Some(buf))
    }

    /// Where reading stands, for a checkpoint (`None` for stdin, which
    /// cannot be resumed).
    pub fn position(&self) -> Option<InputPos> {
        let n = (self.offset.min(FINGERPRINT_BYTES) as usize).min(self.head.len());
        Some(InputPos {
            path: self.name.clone(),
            canonical: self.canonical.clone()?,
            offset: self.offset,
            line: self.line,
            fingerprint: fingerprint(&self.head[..n]),
        })
    }

    /// The next line into `buf`, or `None` at the end.
    pub fn next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<Option<Line<'b>>, String> {
        buf.clear();
        let mut length = 0u64;
        let mut ended = false;
        while !ended {
            let chunk = self
                .reader
                .fill_buf()
                .map_err(|e| format!("{}: {e}", self.name))?;
            if chunk.is_empty() {
                break;
            }
            let take = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    ended = true;
                    i + 1
                }
                None => chunk.len(),
            };
            // Keep at most limit + 1 bytes: enough to know the line is too
            // long, never the whole of a runaway line.
            let room = (self.limit + 1).saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..take.min(room)]);
            length += take as u64;
            self.reader.consume(take);
        }
        if length == 0 {
            return Ok(None);
        }
        self.offset += length;
        self.line += 1;
        let content = length - u64::from(ended);
        if content > self.limit as u64 {
            let start = &buf[..buf.len().min(200)];
            return Ok(Some(Line::TooLong {
                start,
                length: content,
            }));
        }
        let text = if ended {
            &buf[..buf.len() - 1]
        } else {
            &buf[..]
        };
        Ok(Some(Line::Text(text)))
    }
}

/// One line of a block (`Lines::next_block`): its bytes in the block's
/// text, and for a line longer than the limit its real length (only its
/// first 200 bytes are kept).
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub too_long: Option<u64>,
}

impl Lines {
    /// Appends whole lines to `text` (and their spans to `spans`) until
    /// `text` holds at least `target` bytes or the input ends. The same
    /// lines as `next`, many at a time and with one copy: for readers that
    /// hand out blocks of lines (`--threads`).
    pub fn next_block(
        &mut self,
        text: &mut Vec<u8>,
        spans: &mut Vec<Span>,
        target: usize,
    ) -> Result<(), String> {
        let mut line = Vec::new();
        while text.len() < target {
            let chunk = self
                .reader
                .fill_buf()
                .map_err(|e| format!("{}: {e}", self.name))?;
            let Some(first) = memchr::memchr(b'\n', chunk) else {
                // No line ends in the buffer: the slow path gathers it.
                match self.next(&mut line)? {
                    Some(l) => push_line(text, spans, l),
                    None => break,
                }
                continue;
            };
            // Every line that ends in the buffer, copied once.
            let mut at = 0;
            let mut end = Some(first);
            while let Some(e) = end {
                let l = &chunk[at..e];
                let length = l.len() as u64;
                let l = if l.len() > self.limit {
                    Line::TooLong {
                        start: &l[..200.min(l.len())],
                        length,
                    }
                } else {
                    Line::Text(l)
                };
                push_line(text, spans, l);
                self.offset += length + 1;
                self.line += 1;
                at = e + 1;
                if text.len() >= target {
                    break;
                }
                end = memchr::memchr(b'\n', &chunk[at..]).map(|i| at + i);
            }
            self.reader.consume(at);
        }
        Ok(())
    }
}

fn push_line(text: &mut Vec<u8>, spans: &mut Vec<Span>, line: Line) {
    let (bytes, too_long) = match line {
        Line::Text(t) => (t, None),
        Line::TooLong { start, length } => (start, Some(length)),
    };
    let start = text.len();
    text.extend_from_slice(bytes);
    spans.push(Span {
        start,
        end: text.len(),
        too_long,
    });
}

/// SHA-256 (hex) of the bytes before the position, up to
/// `FINGERPRINT_BYTES`.
fn fingerprint(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
