//! The optional event schema (tracking plan), a TOML file named in
//! `trig.toml` (`[catalogs] schema`). With it, unknown events and
//! properties, and wrong types, are errors at check time:
//!
//! ```toml
//! [customer]
//! first_name = "string"
//! unsubscribed = "bool"
//!
//! [events."cart.abandoned"]
//! value = "number"
//! cart_id = "string"
//! context = { page = { url = "string" } }   # nested objects
//! ```
//! Types: `string number bool timestamp duration list any`.

use std::collections::BTreeMap;

use super::ir::Type;

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Scalar(Type),
    Object(BTreeMap<String, Field>),
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub events: BTreeMap<String, BTreeMap<String, Field>>,
    /// `None` when the schema says nothing about customers (then any
    /// attribute is accepted).
    pub customer: Option<BTreeMap<String, Field>>,
}

/// What the schema says about a property path.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Type(Type),
    /// The path names a nested object, not a value.
    Object,
    /// Not defined; `candidates` are the names defined at that level.
    Unknown {
        segment: usize,
        candidates: Vec<String>,
    },
}

impl Schema {
    pub fn parse(text: &str) -> Result<Schema, SchemaError> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| (e.message().to_string(), e.span().map(|r| (r.start, r.end))))?;
        let mut schema = Schema::default();
        for (key, value) in table {
            match (key.as_str(), value) {
                ("customer", toml::Value::Table(t)) => schema.customer = Some(fields(&t, text)?),
                ("events", toml::Value::Table(t)) => {
                    for (name, props) in t {
                        let toml::Value::Table(props) = props else {
                            return Err((format!("event `{name}` must be a table of properties"), locate(text, &name)));
                        };
                        schema.events.insert(name, fields(&props, text)?);
                    }
                }
                (other, _) => {
                    return Err((
                        format!("unknown key `{other}`: a schema has `[customer]` and `[events.\"NAME\"]` tables"),
                        locate(text, other),
                    ))
                }
            }
        }
        Ok(schema)
    }

    pub fn has_event(&self, name: &str) -> bool {
        self.events.contains_key(name)
    }

    pub fn event_prop(&self, event: &str, path: &[String]) -> Option<Lookup> {
        self.events.get(event).map(|props| lookup(props, path))
    }

    pub fn customer_attr(&self, path: &[String]) -> Option<Lookup> {
        self.customer.as_ref().map(|attrs| lookup(attrs, path))
    }
}

fn lookup(fields: &BTreeMap<String, Field>, path: &[String]) -> Lookup {
    let mut level = fields;
    for (i, seg) in path.iter().enumerate() {
        match level.get(seg) {
            Some(Field::Scalar(t)) if i + 1 == path.len() => return Lookup::Type(*t),
            // Below a scalar there is nothing, except inside `any`.
            Some(Field::Scalar(Type::Any)) => return Lookup::Type(Type::Any),
            Some(Field::Scalar(_)) => {
                return Lookup::Unknown {
                    segment: i + 1,
                    candidates: Vec::new(),
                }
            }
            Some(Field::Object(inner)) => level = inner,
            None => {
                return Lookup::Unknown {
                    segment: i,
                    candidates: level.keys().cloned().collect(),
                }
            }
        }
    }
    Lookup::Object
}

/// A schema problem: message and byte range.
type SchemaError = (String, Option<(usize, usize)>);

fn fields(t: &toml::Table, text: &str) -> Result<BTreeMap<String, Field>, SchemaError> {
    let mut out = BTreeMap::new();
    for (k, v) in t {
        let field = match v {
            toml::Value::String(s) => Field::Scalar(type_name(s).ok_or_else(|| {
                (
                    format!("`{s}` is not a type (use string, number, bool, timestamp, duration, list or any)"),
                    locate(text, s),
                )
            })?),
            toml::Value::Table(inner) => Field::Object(fields(inner, text)?),
            _ => return Err((format!("property `{k}` must be a type name or a table"), locate(text, k))),
        };
        out.insert(k.clone(), field);
    }
    Ok(out)
}

fn type_name(s: &str) -> Option<Type> {
    Some(match s {
        "string" => Type::Str,
        "number" => Type::Num,
        "bool" => Type::Bool,
        "timestamp" => Type::Time,
        "duration" => Type::Dur,
        "list" => Type::List,
        "any" => Type::Any,
        _ => return None,
    })
}

fn locate(text: &str, needle: &str) -> Option<(usize, usize)> {
    text.find(needle).map(|i| (i, i + needle.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lookup() {
        let s = Schema::parse("[events.\"page.viewed\"]\nurl = \"string\"\ncontext = { page = { path = \"string\" } }\n").unwrap();
        let p = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s.event_prop("page.viewed", &p(&["url"])),
            Some(Lookup::Type(Type::Str))
        );
        assert_eq!(
            s.event_prop("page.viewed", &p(&["context", "page", "path"])),
            Some(Lookup::Type(Type::Str))
        );
        assert!(matches!(
            s.event_prop("page.viewed", &p(&["uri"])),
            Some(Lookup::Unknown { segment: 0, .. })
        ));
        assert_eq!(s.event_prop("nope", &p(&["x"])), None);
    }

    #[test]
    fn bad_type_is_an_error() {
        assert!(Schema::parse("[customer]\nage = \"integer\"\n").is_err());
    }
}
