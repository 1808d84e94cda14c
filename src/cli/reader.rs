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
    fingerprint: String,
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

impl Lines {
    /// Opens `name` (`-` is stdin), resuming at a recorded position when
    /// it is the same file.
    pub fn open(name: &str, limit: usize, resume: &[InputPos]) -> Result<Lines, String> {
        let shown = |e: std::io::Error| format!("{name}: {e}");
        if name == "-" {
            return Ok(Lines {
                reader: BufReader::with_capacity(1 << 16, Box::new(std::io::stdin())),
                name: name.to_string(),
                canonical: None,
                fingerprint: String::new(),
                offset: 0,
                line: 0,
                limit,
            });
        }
        let mut f = File::open(name).map_err(shown)?;
        let fingerprint = fingerprint(&mut f).map_err(shown)?;
        let canonical = std::fs::canonicalize(name)
            .map_err(shown)?
            .to_string_lossy()
            .into_owned();
        let at = resume
            .iter()
            .find(|p| p.canonical == canonical && p.fingerprint == fingerprint);
        let (offset, line) = at.map_or((0, 0), |p| (p.offset, p.line));
        f.seek(SeekFrom::Start(offset)).map_err(shown)?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 16, Box::new(f)),
            name: name.to_string(),
            canonical: Some(canonical),
            fingerprint,
            offset,
            line,
            limit,
        })
    }

    /// Where reading stands, for a checkpoint (`None` for stdin, which
    /// cannot be resumed).
    pub fn position(&self) -> Option<InputPos> {
        Some(InputPos {
            path: self.name.clone(),
            canonical: self.canonical.clone()?,
            offset: self.offset,
            line: self.line,
            fingerprint: self.fingerprint.clone(),
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

fn fingerprint(f: &mut File) -> std::io::Result<String> {
    let mut head = Vec::new();
    f.by_ref().take(FINGERPRINT_BYTES).read_to_end(&mut head)?;
    f.seek(SeekFrom::Start(0))?;
    let digest = Sha256::digest(&head);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}
