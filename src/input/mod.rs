//! Event decoders: one input line at a time to an [`Event`]. Pure: the
//! binary reads the files and hands lines in, without their line break.
//!
//! - [`json`]: generic NDJSON and Segment / RudderStack messages.
//! - [`csv`]: CSV and TSV rows, with or without a header.
//! - [`map`]: `--map`, which fields hold the envelope.
//! - [`time`]: the time rule shared by all formats.
//!
//! docs/runtime.md ("Inputs") describes the formats for users.

mod csv;
mod fast;
mod json;
mod map;
mod time;

use std::fmt;
use std::str::FromStr;

use crate::runtime::event::Event;

pub use csv::MAX_RECORD_LINES;
pub use map::{parse_map, Field, FieldMap};
pub use time::{parse_time_json, parse_time_str};

/// `--input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    /// CSV for a source named `*.csv` or `*.tsv`, else JSON lines with each
    /// line classified as Segment or generic.
    #[default]
    Auto,
    /// Generic JSON lines only.
    Ndjson,
    /// Segment / RudderStack messages only.
    Segment,
    /// CSV (TSV when the source name ends in `.tsv`).
    Csv,
}

impl FromStr for InputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<InputFormat, String> {
        match s {
            "auto" => Ok(InputFormat::Auto),
            "ndjson" => Ok(InputFormat::Ndjson),
            "segment" => Ok(InputFormat::Segment),
            "csv" => Ok(InputFormat::Csv),
            _ => Err(format!(
                "unknown input format `{s}` (expected auto, ndjson, segment or csv)"
            )),
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Auto => "auto",
            InputFormat::Ndjson => "ndjson",
            InputFormat::Segment => "segment",
            InputFormat::Csv => "csv",
        })
    }
}

/// Why a line gives no event: a sentence for a marketer, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub reason: String,
}

impl DecodeError {
    pub fn new(reason: impl Into<String>) -> DecodeError {
        DecodeError {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for DecodeError {}

#[derive(Debug)]
enum Format {
    Json(json::JsonMode, Option<FieldMap>, fast::Interner),
    Csv(csv::CsvDecoder),
}

/// Decodes one source (a file, or stdin) line by line. Make one per
/// source: it remembers the CSV header, whether the first line (which may
/// start with a byte-order mark) has been seen, and a CSV record still
/// open inside a quoted field.
#[derive(Debug)]
pub struct Decoder {
    format: Format,
    first_line: bool,
}

impl Decoder {
    /// `source_name` is the file name (or `-` for stdin). With
    /// [`InputFormat::Auto`], a name ending in `.csv` or `.tsv` (any case)
    /// means CSV, anything else JSON lines, each line classified on its own
    /// as Segment / RudderStack or generic. With [`InputFormat::Csv`] a
    /// `.tsv` name means tab-separated.
    pub fn new(format: InputFormat, map: Option<FieldMap>, source_name: &str) -> Decoder {
        let lower = source_name.to_ascii_lowercase();
        let tab = lower.ends_with(".tsv");
        let csv_name = tab || lower.ends_with(".csv");
        let format = match format {
            InputFormat::Csv => Format::Csv(csv::CsvDecoder::new(map, tab)),
            InputFormat::Auto if csv_name => Format::Csv(csv::CsvDecoder::new(map, tab)),
            InputFormat::Auto => Format::Json(json::JsonMode::Auto, map, Default::default()),
            InputFormat::Ndjson => Format::Json(json::JsonMode::Generic, map, Default::default()),
            InputFormat::Segment => Format::Json(json::JsonMode::Segment, map, Default::default()),
        };
        Decoder {
            format,
            first_line: true,
        }
    }

    /// Decodes one line, given without its `\n` (a trailing `\r` is
    /// removed here, and a UTF-8 byte-order mark at the start of the first
    /// line). `Ok(None)` for lines that carry no event: blank lines, a CSV
    /// header row, and the first lines of a CSV record whose quoted field
    /// goes on over the next line.
    pub fn decode(&mut self, line: &[u8]) -> Result<Option<Event>, DecodeError> {
        let mut offset = 0;
        let mut line = line.strip_suffix(b"\r").unwrap_or(line);
        if std::mem::take(&mut self.first_line) {
            if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
                line = rest;
                offset = 3;
            }
        }
        let text = std::str::from_utf8(line).map_err(|e| {
            DecodeError::new(format!(
                "line is not valid UTF-8 (byte {})",
                offset + e.valid_up_to() + 1
            ))
        })?;
        match &mut self.format {
            Format::Csv(csv) => csv.decode(text),
            Format::Json(..) if text.trim().is_empty() => Ok(None),
            Format::Json(mode, None, names) if *mode != json::JsonMode::Segment => {
                match fast::generic(text, names) {
                    Some(ev) => Ok(Some(ev)),
                    None => json::decode_json(text, *mode, None).map(Some),
                }
            }
            Format::Json(mode, map, _) => json::decode_json(text, *mode, map.as_ref()).map(Some),
        }
    }

    /// Whether the next line is the source's first (the only one that may
    /// start with a byte-order mark): for a decoder that takes a source's
    /// lines in blocks, not from its start.
    pub fn set_first_line(&mut self, first: bool) {
        self.first_line = first;
    }

    /// Call at the end of the source: an error when it ended inside a
    /// quoted CSV field (the record is lost). Always `Ok` for JSON.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        match &mut self.format {
            Format::Csv(csv) => csv.finish(),
            Format::Json(..) => Ok(()),
        }
    }

    /// The raw text of a CSV record still open inside a quoted field (what
    /// [`Decoder::finish`] reports as lost), for the dead letter.
    pub fn open_record(&self) -> Option<&str> {
        match &self.format {
            Format::Csv(csv) => csv.open_record(),
            Format::Json(..) => None,
        }
    }

    /// Whether this decoder reads CSV (after auto-detection).
    pub fn is_csv(&self) -> bool {
        matches!(self.format, Format::Csv(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_print() {
        for f in ["auto", "ndjson", "segment", "csv"] {
            assert_eq!(f.parse::<InputFormat>().unwrap().to_string(), f);
        }
        assert!("json"
            .parse::<InputFormat>()
            .unwrap_err()
            .contains("expected auto, ndjson, segment or csv"));
    }

    #[test]
    fn auto_detects_by_name() {
        assert!(Decoder::new(InputFormat::Auto, None, "a.CSV").is_csv());
        assert!(Decoder::new(InputFormat::Auto, None, "dir/a.tsv").is_csv());
        assert!(!Decoder::new(InputFormat::Auto, None, "a.ndjson").is_csv());
        assert!(!Decoder::new(InputFormat::Auto, None, "-").is_csv());
        assert!(Decoder::new(InputFormat::Csv, None, "-").is_csv());
    }

    #[test]
    fn line_preparation() {
        let mut d = Decoder::new(InputFormat::Auto, None, "-");
        let e = d
            .decode(b"\xEF\xBB\xBF{\"customer\":\"c\",\"event\":\"x\",\"time\":0}\r")
            .unwrap()
            .unwrap();
        assert_eq!(&*e.customer, "c");
        // Only the first line may start with a BOM.
        assert!(d
            .decode(b"\xEF\xBB\xBF{\"customer\":\"c\",\"event\":\"x\",\"time\":0}")
            .is_err());
        assert_eq!(d.decode(b""), Ok(None));
        assert_eq!(d.decode(b"  \t\r"), Ok(None));
        assert_eq!(
            d.decode(b"{\"customer\":\"\xff\"}").unwrap_err().reason,
            "line is not valid UTF-8 (byte 14)"
        );
        assert_eq!(d.finish(), Ok(()));
    }
}
