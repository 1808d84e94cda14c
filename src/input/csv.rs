//! CSV (and TSV) rows as events.
//!
//! # Splitting
//!
//! RFC 4180: fields separated by commas (tabs for a `.tsv` source); a field
//! that starts with `"` is quoted, may hold the separator, line breaks and
//! `""` for one quote, and must be followed by a separator or the end of
//! the row. A quote in the middle of an unquoted field is kept as written.
//! A quoted field may run over several lines (at most
//! [`MAX_RECORD_LINES`]); the decoder then returns nothing until the record
//! is complete, and [`CsvDecoder::finish`] reports a record left open at
//! the end of the input.
//!
//! # Header or not
//!
//! The first non-blank row is a header unless `--map` gives `customer`,
//! `event` and `time` (and `id`, if given) all as column numbers. Without
//! `--map`, the header must name the customer, event and time columns,
//! by these names or aliases (compared ignoring case, with spaces and `-`
//! read as `_`; the first alias in the list found wins):
//!
//! | key      | header names accepted                                        |
//! |----------|--------------------------------------------------------------|
//! | customer | `customer`, `customer_id`, `user_id`, `userid`, `user`       |
//! | event    | `event`, `event_name`, `event_type`, `behavior_type`, `type`, `action` |
//! | time     | `time`, `timestamp`, `ts`, `event_time`, `datetime`, `date`  |
//! | id       | `id`, `event_id`, `message_id`, `messageid` (optional)       |
//!
//! A `--map` name must match a header column exactly or, failing that,
//! ignoring case; keys the map leaves out are found by alias as above.
//!
//! # Props
//!
//! Every other column is a prop, named after its header column (`colN`,
//! N the 1-based column number, when there is no header or the header
//! cell is empty; when two columns have the same name the first wins).
//! Values are typed: an integer or decimal number (`12`, `-3.5`, `0.25`)
//! is a number, `true`/`false` (any case) a bool, an empty cell is absent,
//! anything else a string. Text that only looks numeric stays a string: a
//! leading `+` (`+33612345678`), a leading zero (`007`, `01234`), an
//! exponent (`1e5`), or an integer too large for a number to hold exactly
//! (beyond 2^53). The customer id, event name and id are always kept as
//! written (`00001` keeps its zeros).

use std::sync::Arc;

use super::map::{Field, FieldMap, Key};
use super::time::{parse_time_str, quote};
use super::DecodeError;
use crate::runtime::event::{Event, EventKind};
use crate::runtime::value::Value;

/// How many lines one record (a quoted field with line breaks) may span.
pub const MAX_RECORD_LINES: usize = 100;
/// And how many bytes.
const MAX_RECORD_BYTES: usize = 1 << 20;

const ALIASES: [(Key, &[&str]); 4] = [
    (
        Key::Customer,
        &["customer", "customer_id", "user_id", "userid", "user"],
    ),
    (
        Key::Event,
        &[
            "event",
            "event_name",
            "event_type",
            "behavior_type",
            "type",
            "action",
        ],
    ),
    (
        Key::Time,
        &["time", "timestamp", "ts", "event_time", "datetime", "date"],
    ),
    (Key::Id, &["id", "event_id", "message_id", "messageid"]),
];

/// Where the envelope is in a row, and what the other columns are called.
#[derive(Debug)]
struct Layout {
    width: usize,
    /// Whether `width` comes from a header (for messages).
    from_header: bool,
    customer: usize,
    event: usize,
    time: usize,
    id: Option<usize>,
    /// For messages: `` `user_id` (column 1) ``.
    labels: Vec<String>,
    /// The prop name of each column; `None` for envelope columns and
    /// repeated names.
    props: Vec<Option<Arc<str>>>,
}

#[derive(Debug)]
struct Pending {
    text: String,
    lines: usize,
}

/// Decodes CSV rows one line at a time; keeps the header and any record
/// still open inside a quoted field.
#[derive(Debug)]
pub(crate) struct CsvDecoder {
    delimiter: char,
    map: Option<FieldMap>,
    has_header: bool,
    layout: Option<Layout>,
    header_error: bool,
    pending: Option<Pending>,
}

enum Split {
    Fields(Vec<String>),
    /// The text ends inside a quoted field.
    Open,
    Bad(String),
}

impl CsvDecoder {
    pub(crate) fn new(map: Option<FieldMap>, tab: bool) -> CsvDecoder {
        let has_header = match &map {
            None => true,
            Some(m) => !m.all_columns() || matches!(m.id(), Some(Field::Name(_))),
        };
        CsvDecoder {
            delimiter: if tab { '\t' } else { ',' },
            map,
            has_header,
            layout: None,
            header_error: false,
            pending: None,
        }
    }

    /// One line, without its line break.
    pub(crate) fn decode(&mut self, line: &str) -> Result<Option<Event>, DecodeError> {
        let text = match self.pending.take() {
            Some(mut p) => {
                p.text.push('\n');
                p.text.push_str(line);
                p.lines += 1;
                p
            }
            None if line.trim().is_empty() => return Ok(None),
            None => Pending {
                text: line.to_string(),
                lines: 1,
            },
        };
        let fields = match split_record(&text.text, self.delimiter) {
            Split::Fields(fields) => fields,
            Split::Bad(why) => return Err(DecodeError::new(why)),
            Split::Open => {
                if text.lines >= MAX_RECORD_LINES || text.text.len() >= MAX_RECORD_BYTES {
                    return Err(DecodeError::new(format!(
                        "a quoted field opened {} lines earlier is still not closed; \
                         those lines were skipped (a missing closing `\"`?)",
                        text.lines - 1
                    )));
                }
                self.pending = Some(text);
                return Ok(None);
            }
        };
        if self.header_error {
            return Err(DecodeError::new(
                "row skipped: the CSV header (the first row) could not be used",
            ));
        }
        match &self.layout {
            Some(layout) => row_event(layout, fields).map(Some),
            None if self.has_header => {
                match header_layout(fields, self.map.as_ref()) {
                    Ok(layout) => self.layout = Some(layout),
                    Err(why) => {
                        self.header_error = true;
                        return Err(DecodeError::new(format!(
                            "the CSV header could not be used: {why}"
                        )));
                    }
                }
                Ok(None)
            }
            None => {
                let layout = column_layout(fields.len(), self.map.as_ref())?;
                let event = row_event(&layout, fields);
                self.layout = Some(layout);
                event.map(Some)
            }
        }
    }

    /// The end of the input: an error when a quoted field was left open.
    /// The text of a record still open inside a quoted field.
    pub(crate) fn open_record(&self) -> Option<&str> {
        self.pending.as_ref().map(|p| p.text.as_str())
    }

    pub(crate) fn finish(&mut self) -> Result<(), DecodeError> {
        match self.pending.take() {
            None => Ok(()),
            Some(p) => Err(DecodeError::new(format!(
                "the input ends inside a quoted field opened {} line(s) before the end \
                 (a missing closing `\"`?)",
                p.lines
            ))),
        }
    }
}

/// Splits one record (RFC 4180, see the module documentation).
fn split_record(text: &str, delimiter: char) -> Split {
    #[derive(PartialEq)]
    enum State {
        Start,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut state = State::Start;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Start if c == '"' => state = State::Quoted,
            State::Start | State::Unquoted | State::AfterQuote if c == delimiter => {
                fields.push(std::mem::take(&mut field));
                state = State::Start;
            }
            State::Start | State::Unquoted => {
                field.push(c);
                state = State::Unquoted;
            }
            State::Quoted if c == '"' => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    state = State::AfterQuote;
                }
            }
            State::Quoted => field.push(c),
            State::AfterQuote => {
                return Split::Bad(format!(
                    "column {}: text after the closing quote of a quoted field \
                     (inside quotes, write a quote as \"\")",
                    fields.len() + 1
                ))
            }
        }
    }
    if state == State::Quoted {
        return Split::Open;
    }
    fields.push(field);
    Split::Fields(fields)
}

/// A header or `--map` name in the form aliases are compared in.
fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn aliases(key: Key) -> &'static [&'static str] {
    ALIASES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(&[], |(_, names)| *names)
}

/// The layout a header row gives.
fn header_layout(header: Vec<String>, map: Option<&FieldMap>) -> Result<Layout, String> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let width = names.len();
    let listing = || {
        let shown: Vec<String> = names.iter().take(12).map(|n| quote(n)).collect();
        let more = if width > 12 { ", …" } else { "" };
        format!("{}{more}", shown.join(", "))
    };
    let looks_like_data = names.iter().any(|n| is_number(n));
    let find = |key: Key| -> Result<Option<usize>, String> {
        match map.and_then(|m| m.get(key)) {
            Some(Field::Column(n)) if *n > width => Err(format!(
                "--map {}={n}, but the header has only {width} columns",
                key.name()
            )),
            Some(Field::Column(n)) => Ok(n.checked_sub(1)),
            Some(Field::Name(want)) => names
                .iter()
                .position(|n| n == want)
                .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(want)))
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "it has no column {} (from --map {}={want}); its columns are {}",
                        quote(want),
                        key.name(),
                        listing()
                    )
                }),
            None => {
                let normalized: Vec<String> = names.iter().map(|n| normalize(n)).collect();
                let found = aliases(key)
                    .iter()
                    .find_map(|alias| normalized.iter().position(|n| n == alias));
                if found.is_none() && key != Key::Id {
                    let hint = if looks_like_data {
                        "; the first row looks like data: if the file has no header row, \
                         map the columns by number, for example --map customer=1,event=2,time=3"
                    } else {
                        ""
                    };
                    return Err(format!(
                        "it has no {} column (looked for {}; found {}); name it with --map {}=COLUMN{hint}",
                        key.name(),
                        aliases(key).join(", "),
                        listing(),
                        key.name()
                    ));
                }
                Ok(found)
            }
        }
    };
    let customer = find(Key::Customer)?.unwrap_or(0);
    let event = find(Key::Event)?.unwrap_or(0);
    let time = find(Key::Time)?.unwrap_or(0);
    let id = find(Key::Id)?;
    let envelope = [Some(customer), Some(event), Some(time), id];
    let mut props: Vec<Option<Arc<str>>> = Vec::with_capacity(width);
    for (i, name) in names.iter().enumerate() {
        let name = if name.is_empty() {
            format!("col{}", i + 1)
        } else {
            name.clone()
        };
        let taken = props.iter().flatten().any(|p| **p == *name);
        if envelope.contains(&Some(i)) || taken {
            props.push(None);
        } else {
            props.push(Some(Arc::from(name.as_str())));
        }
    }
    let labels = names
        .iter()
        .enumerate()
        .map(|(i, n)| match n.as_str() {
            "" => format!("column {}", i + 1),
            n => format!("`{n}` (column {})", i + 1),
        })
        .collect();
    Ok(Layout {
        width,
        from_header: true,
        customer,
        event,
        time,
        id,
        labels,
        props,
    })
}

/// The layout of a file without a header, from its first row's width.
/// Every key given in the map is a column number here.
fn column_layout(width: usize, map: Option<&FieldMap>) -> Result<Layout, DecodeError> {
    let column = |key: Key| match map.and_then(|m| m.get(key)) {
        Some(Field::Column(n)) => Some(*n),
        _ => None,
    };
    let mut envelope = [None; 4];
    for (slot, key) in envelope.iter_mut().zip(Key::ALL) {
        if let Some(n) = column(key) {
            if n > width {
                return Err(DecodeError::new(format!(
                    "--map {}={n}, but the row has only {width} columns",
                    key.name()
                )));
            }
            *slot = n.checked_sub(1);
        }
    }
    let [Some(customer), Some(event), Some(time), id] = envelope else {
        // Unreachable by construction (no header only when all three are
        // column numbers); still an error, not a panic.
        return Err(DecodeError::new(
            "--map must give customer, event and time as column numbers for a CSV file without a header",
        ));
    };
    let labels = (0..width)
        .map(|i| {
            let key = Key::ALL
                .iter()
                .zip(envelope)
                .find(|(_, col)| *col == Some(i))
                .map_or("column", |(k, _)| k.name());
            format!("`{key}` (column {})", i + 1)
        })
        .collect();
    let props = (0..width)
        .map(|i| (!envelope.contains(&Some(i))).then(|| Arc::from(format!("col{}", i + 1))))
        .collect();
    Ok(Layout {
        width,
        from_header: false,
        customer,
        event,
        time,
        id,
        labels,
        props,
    })
}

fn row_event(layout: &Layout, fields: Vec<String>) -> Result<Event, DecodeError> {
    if fields.len() != layout.width {
        return Err(DecodeError::new(format!(
            "row has {} columns, but the {} has {}",
            fields.len(),
            if layout.from_header {
                "header"
            } else {
                "first row"
            },
            layout.width
        )));
    }
    let label = |i: usize| layout.labels.get(i).map_or("a column", String::as_str);
    let required = |i: usize| -> Result<&str, DecodeError> {
        match fields.get(i) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(DecodeError::new(format!("{} is empty", label(i)))),
        }
    };
    let customer = Arc::from(required(layout.customer)?);
    let name = Arc::from(required(layout.event)?);
    let time = parse_time_str(required(layout.time)?)
        .map_err(|e| DecodeError::new(format!("{}: {e}", label(layout.time))))?;
    let id = layout
        .id
        .and_then(|i| fields.get(i))
        .filter(|v| !v.is_empty())
        .map(|v| Arc::from(v.as_str()));
    let props: Vec<(Arc<str>, Value)> = fields
        .iter()
        .zip(&layout.props)
        .filter(|(v, _)| !v.is_empty())
        .filter_map(|(v, name)| Some((name.clone()?, typed(v))))
        .collect();
    Ok(Event {
        customer,
        name,
        time,
        id,
        props: props.into(),
        kind: EventKind::Track,
    })
}

/// A prop cell as a value (module documentation, "Props").
fn typed(cell: &str) -> Value {
    if cell.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if cell.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if is_number(cell) {
        if let Ok(n) = cell.parse::<f64>() {
            return Value::Num(n);
        }
    }
    Value::Str(Arc::from(cell))
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, and an integer only up to 2^53.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || (int.len() > 1 && int.starts_with('0')) {
        return false;
    }
    match frac {
        Some(f) => all_digits(f),
        None => int.len() < 16 || int.parse::<u64>().is_ok_and(|n| n <= 1 << 53),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::map::parse_map;

    fn split(s: &str) -> Vec<String> {
        match split_record(s, ',') {
            Split::Fields(f) => f,
            Split::Open => panic!("{s:?}: open"),
            Split::Bad(e) => panic!("{s:?}: {e}"),
        }
    }

    #[test]
    fn rfc4180_splitting() {
        assert_eq!(split("a,b,c"), ["a", "b", "c"]);
        assert_eq!(split("a,,c,"), ["a", "", "c", ""]);
        assert_eq!(split(""), [""]);
        assert_eq!(
            split(r#""a,b","say ""hi""",c"#),
            ["a,b", r#"say "hi""#, "c"]
        );
        assert_eq!(split(r#""""#), [""]);
        assert_eq!(split(r#"5" screen,x"#), [r#"5" screen"#, "x"]);
        assert_eq!(split("\"two\nlines\",x"), ["two\nlines", "x"]);
        assert_eq!(split("é,ü"), ["é", "ü"]);
        assert!(matches!(split_record("\"open,x", ','), Split::Open));
        match split_record(r#"a,"b"c"#, ',') {
            Split::Bad(e) => assert!(
                e.starts_with("column 2: text after the closing quote"),
                "{e}"
            ),
            _ => panic!("not bad"),
        }
        match split_record("a\t\"b\tc\"\td", '\t') {
            Split::Fields(f) => assert_eq!(f, ["a", "b\tc", "d"]),
            _ => panic!(),
        }
    }

    #[test]
    fn typing() {
        assert_eq!(typed("12"), Value::Num(12.0));
        assert_eq!(typed("-3.5"), Value::Num(-3.5));
        assert_eq!(typed("0"), Value::Num(0.0));
        assert_eq!(typed("0.25"), Value::Num(0.25));
        assert_eq!(typed("9007199254740992"), Value::Num(9007199254740992.0));
        assert_eq!(typed("9007199254740993"), Value::str("9007199254740993"));
        assert_eq!(typed("TRUE"), Value::Bool(true));
        assert_eq!(typed("false"), Value::Bool(false));
        for text in [
            "+33612345678",
            "007",
            "01.5",
            "1e5",
            "1.",
            ".5",
            "-",
            "1,5",
            " 1",
            "NaN",
            "inf",
        ] {
            assert_eq!(typed(text), Value::str(text), "{text}");
        }
    }

    fn decoder(map: Option<&str>) -> CsvDecoder {
        CsvDecoder::new(map.map(|m| parse_map(m).unwrap()), false)
    }

    #[test]
    fn header_aliases() {
        let mut d = decoder(None);
        assert_eq!(
            d.decode("User ID,Event_Type,ts,price,note,,price,id"),
            Ok(None)
        );
        let e = d
            .decode("00001,cart,2024-05-01,19.99,hello,x,5,e9")
            .unwrap()
            .unwrap();
        assert_eq!(&*e.customer, "00001");
        assert_eq!(&*e.name, "cart");
        assert_eq!(e.time, 1_714_521_600_000);
        assert_eq!(e.id.as_deref(), Some("e9"));
        assert_eq!(e.prop("price"), &Value::Num(19.99));
        assert_eq!(e.prop("note"), &Value::str("hello"));
        assert_eq!(e.prop("col6"), &Value::str("x"));
        assert_eq!(e.props.len(), 3);
    }

    #[test]
    fn header_problems() {
        let mut d = decoder(None);
        let e = d.decode("1,2,3").unwrap_err();
        assert!(e.reason.contains("no customer column"), "{e}");
        assert!(e.reason.contains("looks like data"), "{e}");
        assert!(d
            .decode("4,5,6")
            .unwrap_err()
            .reason
            .contains("row skipped"));
        let mut d = decoder(Some("customer=uid"));
        let e = d.decode("user,event,time").unwrap_err();
        assert!(
            e.reason
                .contains("no column \"uid\" (from --map customer=uid)"),
            "{e}"
        );
        let mut d = decoder(Some("customer=9"));
        let e = d.decode("a,event,time").unwrap_err();
        assert!(
            e.reason
                .contains("--map customer=9, but the header has only 3 columns"),
            "{e}"
        );
    }

    #[test]
    fn multi_line_records() {
        let mut d = decoder(None);
        assert_eq!(d.decode("customer,event,time,note"), Ok(None));
        assert_eq!(d.decode("c,e,0,\"line one"), Ok(None));
        assert_eq!(d.decode(""), Ok(None));
        let e = d.decode("line three\"").unwrap().unwrap();
        assert_eq!(e.prop("note"), &Value::str("line one\n\nline three"));
        assert_eq!(d.finish(), Ok(()));
        assert_eq!(d.decode("c,e,0,\"never closed"), Ok(None));
        let e = d.finish().unwrap_err();
        assert!(e.reason.contains("ends inside a quoted field"), "{e}");
        assert_eq!(d.decode("c,e,0,\"x"), Ok(None));
        for _ in 2..MAX_RECORD_LINES {
            assert_eq!(d.decode("x"), Ok(None));
        }
        let e = d.decode("more").unwrap_err();
        assert!(e.reason.contains("still not closed"), "{e}");
        // The decoder recovers.
        assert!(d.decode("c,e,0,ok").unwrap().is_some());
    }
}
