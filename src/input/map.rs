//! `--map`: which input fields hold the customer, the event name, the time
//! and the event id.
//!
//! The form is `KEY=FIELD` pairs separated by commas, KEY one of
//! `customer`, `event`, `time`, `id`, FIELD a field name (a top-level JSON
//! field or a CSV header column) or a 1-based CSV column number:
//! `customer=user_id,event=4,time=ts,id=event_id`. Keys left out keep
//! their default: the field of the same name in JSON, the header column
//! found by name or alias in CSV (see `csv.rs`). A FIELD made only of
//! digits is always a column number.

use std::fmt;

/// A field named in `--map`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A JSON field or a CSV header column.
    Name(String),
    /// A CSV column, counted from 1.
    Column(usize),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Name(name) => write!(f, "{name}"),
            Field::Column(n) => write!(f, "{n}"),
        }
    }
}

/// The parsed `--map`; each key is `None` when the map leaves it out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldMap {
    customer: Option<Field>,
    event: Option<Field>,
    time: Option<Field>,
    id: Option<Field>,
}

/// The four envelope keys a map can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Customer,
    Event,
    Time,
    Id,
}

impl Key {
    pub(crate) const ALL: [Key; 4] = [Key::Customer, Key::Event, Key::Time, Key::Id];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Customer => "customer",
            Key::Event => "event",
            Key::Time => "time",
            Key::Id => "id",
        }
    }
}

impl FieldMap {
    /// The field mapped to `customer`, if the map names one.
    pub fn customer(&self) -> Option<&Field> {
        self.customer.as_ref()
    }

    pub fn event(&self) -> Option<&Field> {
        self.event.as_ref()
    }

    pub fn time(&self) -> Option<&Field> {
        self.time.as_ref()
    }

    pub fn id(&self) -> Option<&Field> {
        self.id.as_ref()
    }

    /// Whether any key is a column number (meaningful for CSV only).
    pub fn uses_columns(&self) -> bool {
        Key::ALL
            .iter()
            .any(|&k| matches!(self.get(k), Some(Field::Column(_))))
    }

    /// Whether customer, event and time are all column numbers: then a CSV
    /// file has no header row.
    pub fn all_columns(&self) -> bool {
        [Key::Customer, Key::Event, Key::Time]
            .iter()
            .all(|&k| matches!(self.get(k), Some(Field::Column(_))))
    }

    pub(crate) fn get(&self, key: Key) -> Option<&Field> {
        match key {
            Key::Customer => self.customer.as_ref(),
            Key::Event => self.event.as_ref(),
            Key::Time => self.time.as_ref(),
            Key::Id => self.id.as_ref(),
        }
    }

    fn slot(&mut self, key: Key) -> &mut Option<Field> {
        match key {
            Key::Customer => &mut self.customer,
            Key::Event => &mut self.event,
            Key::Time => &mut self.time,
            Key::Id => &mut self.id,
        }
    }

    /// The JSON field name for `key`: the mapped name, or the key itself.
    /// A column number is an error (JSON has no columns).
    pub(crate) fn json_name(map: Option<&FieldMap>, key: Key) -> Result<&str, String> {
        match map.and_then(|m| m.get(key)) {
            None => Ok(key.name()),
            Some(Field::Name(name)) => Ok(name),
            Some(Field::Column(n)) => Err(format!(
                "--map {}={n} is a column number, which only CSV input has; \
                 name the JSON field instead (--map {}=FIELD)",
                key.name(),
                key.name()
            )),
        }
    }
}

/// Parses `--map`: `customer=user_id,event=4,time=ts[,id=FIELD]`. Any
/// subset of the keys may be given; unknown or repeated keys, empty
/// entries and column 0 are errors. Messages do not start with `--map`:
/// the caller says where the text came from (`--map: unknown key …`).
pub fn parse_map(spec: &str) -> Result<FieldMap, String> {
    let mut map = FieldMap::default();
    if spec.trim().is_empty() {
        return Err("it is empty; write for example customer=user_id,event=4,time=ts".into());
    }
    for entry in spec.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(format!(
                "{spec:?} has an empty entry (two commas in a row, or one at the end?)"
            ));
        }
        let Some((key, value)) = entry.split_once('=') else {
            return Err(format!(
                "`{entry}` has no `=`; write KEY=FIELD, for example customer=user_id"
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        let Some(k) = Key::ALL.iter().copied().find(|k| k.name() == key) else {
            return Err(format!(
                "unknown key `{key}` (the keys are customer, event, time and id)"
            ));
        };
        if value.is_empty() {
            return Err(format!(
                "`{key}=` needs a field name or a column number after `=`"
            ));
        }
        let field = if value.bytes().all(|b| b.is_ascii_digit()) {
            match value.parse::<usize>() {
                Ok(0) => {
                    return Err(format!(
                        "`{key}=0`: columns are counted from 1 (the first column is {key}=1)"
                    ))
                }
                Ok(n) => Field::Column(n),
                Err(_) => return Err(format!("`{key}={value}`: column number too large")),
            }
        } else {
            Field::Name(value.to_string())
        };
        let slot = map.slot(k);
        if let Some(before) = slot {
            return Err(format!(
                "`{key}` is given twice ({key}={before} and {key}={field}); keep one"
            ));
        }
        *slot = Some(field);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<Field> {
        Some(Field::Name(s.to_string()))
    }

    #[test]
    fn full_and_partial_maps() {
        let m = parse_map("customer=user_id, event=4 ,time=ts,id=message_id").unwrap();
        assert_eq!(m.customer().cloned(), name("user_id"));
        assert_eq!(m.event(), Some(&Field::Column(4)));
        assert_eq!(m.time().cloned(), name("ts"));
        assert_eq!(m.id().cloned(), name("message_id"));
        assert!(m.uses_columns());
        assert!(!m.all_columns());

        let m = parse_map("customer=1,event=04,time=5").unwrap();
        assert_eq!(m.event(), Some(&Field::Column(4)));
        assert!(m.all_columns());
        assert_eq!(m.id(), None);

        let m = parse_map("customer=uid").unwrap();
        assert_eq!(m.event(), None);
        assert!(!m.uses_columns());
        assert_eq!(FieldMap::json_name(Some(&m), Key::Customer), Ok("uid"));
        assert_eq!(FieldMap::json_name(Some(&m), Key::Event), Ok("event"));
        assert_eq!(FieldMap::json_name(None, Key::Id), Ok("id"));
        let m = parse_map("time=3").unwrap();
        assert!(FieldMap::json_name(Some(&m), Key::Time)
            .unwrap_err()
            .contains("only CSV input has"));
    }

    #[test]
    fn bad_maps_are_explained() {
        let e = |s: &str| parse_map(s).unwrap_err();
        assert!(e("").contains("it is empty"));
        assert!(e("user=a").contains("unknown key `user`"));
        assert!(e("customer=a,customer=b").contains("`customer` is given twice"));
        assert!(e("event=0").contains("counted from 1"));
        assert!(e("customer").contains("has no `=`"));
        assert!(e("customer=").contains("needs a field name"));
        assert!(e("customer=a,,event=b").contains("empty entry"));
        assert!(e("customer=a,").contains("empty entry"));
        assert!(e("event=99999999999999999999999").contains("too large"));
    }
}
