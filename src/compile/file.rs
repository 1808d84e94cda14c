//! The `.trigc` file: a compiled program on disk.
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 6 | magic `TRIGC\0` |
//! | 2 | format version (`u16`, [`FORMAT_VERSION`]) |
//! | 2 + n | compiler version: length (`u16`) and UTF-8 text (`0.1.0`) |
//! | 32 | SHA-256 of the sources ([`source_hash`]) |
//! | 8 | payload length (`u64`) |
//! | payload | the [`Program`], encoded with postcard |
//! | 32 | SHA-256 of every byte before it |
//!
//! Version policy: the format version says how to read the file; a file of
//! another format version is refused with a message asking to recompile.
//! The compiler version is informational: a file written by another trig
//! release with the same format version is accepted (any change to
//! `Program` or to the instruction set that changes the encoding bumps
//! the format version).
//!
//! [`decode`] never panics and never trusts the file: it checks the magic,
//! the version, every length against the bytes actually there (before
//! allocating anything), the checksum, that the payload decodes exactly,
//! that the embedded sources match their hash, and finally runs the
//! verifier (`compile::verify`), so a program it returns is safe to run.

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::program::{Program, SourceText};
use super::verify::{verify, VerifyError};

/// The first bytes of every `.trigc` file.
pub const MAGIC: [u8; 6] = *b"TRIGC\0";
/// The layout and encoding this trig writes and reads.
/// 2: settings gained `dedupe_horizon_ms`.
pub const FORMAT_VERSION: u16 = 2;
/// The release of trig that writes files.
pub const COMPILER_VERSION: &str = env!("CARGO_PKG_VERSION");

const HASH: usize = 32;

/// Why a `.trigc` file cannot be loaded. The messages are for users: the
/// CLI prints them as `error: FILE: message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error("the file is empty: not a compiled trig file")]
    Empty,
    #[error("not a compiled trig file (a .trigc file starts with `TRIGC`)")]
    NotTrigc,
    #[error("compiled by format version {found}; this trig reads version {FORMAT_VERSION}: recompile with `trig compile`")]
    Version { found: u16 },
    #[error(
        "truncated: {what} needs {}{expected} bytes, the file has {found}",
        if *.at_least { "at least " } else { "" }
    )]
    Truncated {
        /// What was being read (`the header`, `the payload`).
        what: &'static str,
        expected: u64,
        found: u64,
        /// Whether more bytes would be needed beyond `expected` (the header
        /// is cut before the payload length).
        at_least: bool,
    },
    #[error("corrupted: {extra} unexpected byte(s) after the checksum")]
    TrailingBytes { extra: u64 },
    #[error("corrupted: checksum mismatch")]
    Checksum,
    #[error("corrupted: the compiler version is not UTF-8")]
    CompilerVersion,
    #[error("corrupted: the program does not decode ({0})")]
    Decode(String),
    #[error("corrupted: the embedded sources do not match their hash")]
    SourceHash,
    #[error("invalid program: {0}")]
    Invalid(#[from] VerifyError),
}

/// What the header says; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format_version: u16,
    pub compiler_version: String,
    pub source_hash: [u8; 32],
    pub payload_len: u64,
}

/// SHA-256 over the sources: their count, then each name and text, each
/// prefixed by its length in bytes (`u64` LE), so no two different source
/// lists hash the same bytes.
pub fn source_hash(sources: &[SourceText]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((sources.len() as u64).to_le_bytes());
    for s in sources {
        for part in [&s.name, &s.text] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
    }
    h.finalize().into()
}

/// Writes a program in the `.trigc` format.
pub fn encode(p: &Program) -> Vec<u8> {
    // Encoding into a Vec fails only for types postcard cannot express;
    // `Program` has none, so an empty payload here would be a bug that
    // `decode` reports rather than a panic.
    let payload = postcard::to_stdvec(p).unwrap_or_default();
    let version = COMPILER_VERSION.as_bytes();
    let version = &version[..version.len().min(usize::from(u16::MAX))];
    let mut out = Vec::with_capacity(6 + 2 + 2 + version.len() + HASH + 8 + payload.len() + HASH);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(version.len() as u16).to_le_bytes());
    out.extend_from_slice(version);
    out.extend_from_slice(&source_hash(&p.sources));
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    out
}

/// Reads and checks a `.trigc` file; the program it returns has passed the
/// verifier.
pub fn decode(bytes: &[u8]) -> Result<Program, LoadError> {
    let (header, payload) = split(bytes)?;
    let program = match postcard::take_from_bytes::<Program>(payload) {
        Ok((p, [])) => p,
        Ok((_, rest)) => {
            return Err(LoadError::Decode(format!(
                "{} unused byte(s) after the program",
                rest.len()
            )))
        }
        Err(e) => return Err(LoadError::Decode(e.to_string())),
    };
    if source_hash(&program.sources) != header.source_hash {
        return Err(LoadError::SourceHash);
    }
    verify(&program)?;
    Ok(program)
}

/// Reads the header of a `.trigc` file and checks its lengths and checksum
/// (but not the program).
pub fn read_header(bytes: &[u8]) -> Result<Header, LoadError> {
    split(bytes).map(|(h, _)| h)
}

/// The smallest possible file: a header with an empty compiler version,
/// an empty payload and the checksum.
const MIN_FILE: u64 = 6 + 2 + 2 + HASH as u64 + 8 + HASH as u64;

/// A cursor that never reads past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The smallest file the header read so far allows.
    min_total: u64,
}

impl<'a> Reader<'a> {
    /// The next `n` bytes of the header, or a truncation error.
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        let end = self.pos.saturating_add(n);
        match self.bytes.get(self.pos..end) {
            Some(s) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(LoadError::Truncated {
                what: "the header",
                expected: self.min_total.max(end as u64),
                found: self.bytes.len() as u64,
                at_least: true,
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }
}

/// The header and the payload, after the length and checksum checks.
fn split(bytes: &[u8]) -> Result<(Header, &[u8]), LoadError> {
    if bytes.is_empty() {
        return Err(LoadError::Empty);
    }
    let n = bytes.len().min(MAGIC.len());
    if bytes.get(..n) != MAGIC.get(..n) {
        return Err(LoadError::NotTrigc);
    }
    let mut r = Reader {
        bytes,
        pos: 0,
        min_total: MIN_FILE,
    };
    r.take(MAGIC.len())?;
    let format_version = u16::from_le_bytes(r.array()?);
    if format_version != FORMAT_VERSION {
        return Err(LoadError::Version {
            found: format_version,
        });
    }
    let version_len = u16::from_le_bytes(r.array()?);
    r.min_total = MIN_FILE + u64::from(version_len);
    let version = r.take(usize::from(version_len))?;
    let source_hash: [u8; 32] = r.array()?;
    let payload_len = u64::from_le_bytes(r.array()?);
    let header_end = r.pos as u64;
    let total = header_end
        .saturating_add(payload_len)
        .saturating_add(HASH as u64);
    let found = bytes.len() as u64;
    if found < total {
        return Err(LoadError::Truncated {
            what: "the program",
            expected: total,
            found,
            at_least: false,
        });
    }
    if found > total {
        return Err(LoadError::TrailingBytes {
            extra: found - total,
        });
    }
    // `total == bytes.len()` from here on, so these fit in `usize`.
    let sum_at = bytes.len() - HASH;
    let (body, sum) = bytes.split_at(sum_at);
    let actual: [u8; 32] = Sha256::digest(body).into();
    if actual.as_slice() != sum {
        return Err(LoadError::Checksum);
    }
    let compiler_version = std::str::from_utf8(version)
        .map_err(|_| LoadError::CompilerVersion)?
        .to_string();
    let payload = body.get(r.pos..).unwrap_or(&[]);
    Ok((
        Header {
            format_version,
            compiler_version,
            source_hash,
            payload_len,
        },
        payload,
    ))
}
