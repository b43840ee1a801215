//! Response models, decoded in one pass from the body with serde.
//!
//! Lenient like the SDK: a missing field is `Absent`, a field of an unexpected type keeps its raw JSON value
//! (`Raw`), unknown keys are kept in `extra`. Structure is strict where the rest of the client depends on it:
//! `snapshots` must be a list of objects and `meta`/`links` objects, else decoding fails with the JSON path.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::core::datetime::UtcDateTime;

/// Strings of the models: up to 24 bytes inline (ids, timestamps, slugs, most names), so a snapshot costs a few
/// allocations instead of a dozen.
pub type Str = compact_str::CompactString;

/// One field of a lenient model.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field<T> {
    /// Not in the JSON (left out of `to_dict()`, like the SDK's `exclude_unset`).
    #[default]
    Absent,
    /// Explicit `null`.
    Null,
    Value(T),
    /// Present with a type other than the one the API documents; kept as sent (boxed: rare, and `Value` is big).
    Raw(Box<Value>),
}

impl<T> Field<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }
}

/// How a scalar or list of the documented type is recognised in JSON; anything else becomes `Field::Raw`.
pub trait Lenient: Sized {
    fn from_str(_: &str) -> Option<Self> {
        None
    }
    fn from_i64(_: i64) -> Option<Self> {
        None
    }
    fn from_u64(v: u64) -> Option<Self> {
        i64::try_from(v).ok().and_then(Self::from_i64)
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
    /// A JSON array: `Ok` when it has the documented shape, else its raw value.
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Result<Self, Value>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Err)
    }
}

impl Lenient for Str {
    fn from_str(s: &str) -> Option<Self> {
        Some(Str::new(s))
    }
}

impl Lenient for i64 {
    fn from_i64(v: i64) -> Option<Self> {
        Some(v)
    }
    fn from_f64(v: f64) -> Option<Self> {
        (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
    }
}

impl Lenient for f64 {
    fn from_i64(v: i64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_u64(v: u64) -> Option<Self> {
        Some(v as f64)
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v)
    }
}

impl Lenient for Vec<Str> {
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Result<Self, Value>, A::Error> {
        let mut out: Vec<Str> = Vec::new();
        while let Some(item) = seq.next_element::<Field<Str>>()? {
            match item {
                Field::Value(s) => out.push(s),
                other => {
                    // Not all strings: keep the whole list as sent.
                    let mut raw: Vec<Value> = out.into_iter().map(|s| Value::String(s.into())).collect();
                    raw.push(field_to_value(other));
                    while let Some(v) = seq.next_element::<Value>()? {
                        raw.push(v);
                    }
                    return Ok(Err(Value::Array(raw)));
                }
            }
        }
        out.shrink_to_fit();
        Ok(Ok(out))
    }
}

fn field_to_value(f: Field<Str>) -> Value {
    match f {
        Field::Absent | Field::Null => Value::Null,
        Field::Value(v) => Value::String(v.into()),
        Field::Raw(v) => *v,
    }
}

struct LenientVisitor<T>(PhantomData<T>);

macro_rules! scalar {
    ($name:ident, $ty:ty, $from:ident, $raw:expr) => {
        fn $name<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            Ok(T::$from(v).map_or_else(|| Field::Raw(Box::new($raw(v))), Field::Value))
        }
    };
}

impl<'de, T: Lenient> Visitor<'de> for LenientVisitor<T> {
    type Value = Field<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    scalar!(visit_str, &str, from_str, |v: &str| Value::String(v.to_owned()));
    scalar!(visit_i64, i64, from_i64, Value::from);
    scalar!(visit_u64, u64, from_u64, Value::from);
    scalar!(visit_f64, f64, from_f64, Value::from);
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Field::Raw(Box::new(Value::Bool(v))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok(T::from_seq(seq)?.map_or_else(|v| Field::Raw(Box::new(v)), Field::Value))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(|v| Field::Raw(Box::new(v)))
    }
}

impl<'de, T: Lenient> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// A nested object whose structure the client relies on: object, `null` or absent; anything else is an error.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Obj<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Obj<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Obj::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Deserialises an object with known keys, collecting the rest in `extra`. `$what` names it in errors.
macro_rules! lenient_struct {
    ($ty:ident, $what:literal, { $($field:ident),* $(,)? }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(concat!($what, " object"))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut out = $ty::default();
                        while let Some(key) = map.next_key::<Key>()? {
                            match key.0.as_ref() {
                                $(stringify!($field) => out.$field = map.next_value()?,)*
                                _ => {
                                    let v: Value = map.next_value()?;
                                    out.extra.push((key.0.into_owned(), v));
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V).map_err(|e| {
                    let msg = e.to_string();
                    if msg.starts_with("invalid type") {
                        de::Error::custom(format!("{}: {}", $what, msg))
                    } else {
                        e
                    }
                })
            }
        }

        impl $ty {
            /// Fields in declaration order, then the unknown ones, for `to_dict()`/`to_json()`.
            pub fn entries(&self) -> Vec<(&str, Entry<'_>)> {
                let mut out: Vec<(&str, Entry<'_>)> = Vec::new();
                $(if let Some(e) = self.$field.entry() { out.push((stringify!($field), e)); })*
                out.extend(self.extra.iter().map(|(k, v)| (k.as_str(), Entry::Json(v))));
                out
            }
        }
    };
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KV;
        impl<'de> Visitor<'de> for KV {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(v.to_owned().into()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
        }
        d.deserialize_str(KV)
    }
}

/// A borrowed view of one field, for serialisation by either side.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Null,
    Str(&'a str),
    /// `created_at`: a timestamp string that the binding may turn into a `datetime`.
    Time(&'a str),
    Int(i64),
    Float(f64),
    StrList(&'a [Str]),
    Json(&'a Value),
    Meta(&'a Meta),
    Links(&'a Links),
    Pages(&'a Pages),
    Snapshot(&'a Snapshot),
    Snapshots(&'a [Snapshot]),
}

pub trait ToEntry {
    fn entry(&self) -> Option<Entry<'_>>;
}

macro_rules! field_entry {
    ($ty:ty, $variant:ident) => {
        impl ToEntry for Field<$ty> {
            fn entry(&self) -> Option<Entry<'_>> {
                match self {
                    Field::Absent => None,
                    Field::Null => Some(Entry::Null),
                    Field::Value(v) => Some(Entry::$variant(v)),
                    Field::Raw(v) => Some(Entry::Json(v)),
                }
            }
        }
    };
}
impl ToEntry for Field<Str> {
    fn entry(&self) -> Option<Entry<'_>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Entry::Null),
            Field::Value(v) => Some(Entry::Str(v.as_str())),
            Field::Raw(v) => Some(Entry::Json(v)),
        }
    }
}
field_entry!(Vec<Str>, StrList);
impl ToEntry for Field<i64> {
    fn entry(&self) -> Option<Entry<'_>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Entry::Null),
            Field::Value(v) => Some(Entry::Int(*v)),
            Field::Raw(v) => Some(Entry::Json(v)),
        }
    }
}
impl ToEntry for Field<f64> {
    fn entry(&self) -> Option<Entry<'_>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Entry::Null),
            Field::Value(v) => Some(Entry::Float(*v)),
            Field::Raw(v) => Some(Entry::Json(v)),
        }
    }
}
macro_rules! obj_entry {
    ($ty:ty, $variant:ident) => {
        impl ToEntry for Obj<$ty> {
            fn entry(&self) -> Option<Entry<'_>> {
                match self {
                    Obj::Absent => None,
                    Obj::Null => Some(Entry::Null),
                    Obj::Value(v) => Some(Entry::$variant(v)),
                }
            }
        }
    };
}
obj_entry!(Meta, Meta);
obj_entry!(Links, Links);
obj_entry!(Pages, Pages);
obj_entry!(Snapshot, Snapshot);
obj_entry!(Vec<Snapshot>, Snapshots);

/// `created_at` is a string field whose entry is marked as a timestamp.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timestamp(pub Field<Str>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Field::deserialize(d).map(Timestamp)
    }
}

impl ToEntry for Timestamp {
    fn entry(&self) -> Option<Entry<'_>> {
        match &self.0 {
            Field::Value(s) => Some(Entry::Time(s)),
            other => other.entry(),
        }
    }
}

impl Timestamp {
    pub fn parsed(&self) -> Option<UtcDateTime> {
        self.0.value().and_then(|s| UtcDateTime::parse(s))
    }
}

/// One snapshot (`resources/snapshots/models/snapshots.yml`).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Snapshot {
    pub id: Field<Str>,
    pub name: Field<Str>,
    pub created_at: Timestamp,
    pub regions: Field<Vec<Str>>,
    pub resource_id: Field<Str>,
    pub resource_type: Field<Str>,
    pub min_disk_size: Field<i64>,
    pub size_gigabytes: Field<f64>,
    pub tags: Field<Vec<Str>>,
    pub extra: Vec<(String, Value)>,
}
lenient_struct!(Snapshot, "snapshot", { id, name, created_at, regions, resource_id, resource_type, min_disk_size, size_gigabytes, tags });

impl Snapshot {
    /// The id as a string whatever its JSON type (droplet snapshot ids are sometimes numbers elsewhere in the API).
    pub fn id_key(&self) -> Option<Str> {
        match &self.id {
            Field::Value(s) => Some(s.clone()),
            Field::Raw(v) => match v.as_ref() {
                Value::Number(n) => Some(Str::from(n.to_string())),
                _ => None,
            },
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Meta {
    pub total: Field<i64>,
    pub extra: Vec<(String, Value)>,
}
lenient_struct!(Meta, "meta", { total });

#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Pages {
    pub first: Field<Str>,
    pub prev: Field<Str>,
    pub next: Field<Str>,
    pub last: Field<Str>,
    pub extra: Vec<(String, Value)>,
}
lenient_struct!(Pages, "links.pages", { first, prev, next, last });

#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Links {
    pub pages: Obj<Pages>,
    pub extra: Vec<(String, Value)>,
}
lenient_struct!(Links, "links", { pages });

/// `GET /v2/snapshots`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SnapshotPage {
    pub snapshots: Obj<Vec<Snapshot>>,
    pub links: Obj<Links>,
    pub meta: Obj<Meta>,
    pub extra: Vec<(String, Value)>,
}

lenient_struct!(SnapshotPage, "response", { snapshots, links, meta });

/// `GET /v2/snapshots/{id}`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SnapshotEnvelope {
    pub snapshot: Obj<Snapshot>,
    pub extra: Vec<(String, Value)>,
}
lenient_struct!(SnapshotEnvelope, "response", { snapshot });

/// One element of `snapshots`, decoded straight into a [`Snapshot`]; a non-object names its index.
struct SnapshotAt(usize);

impl<'de> de::DeserializeSeed<'de> for SnapshotAt {
    type Value = Snapshot;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Snapshot, D::Error> {
        struct V(usize);
        impl V {
            fn wrong<E: de::Error>(&self, what: &str) -> E {
                E::custom(format!("snapshots[{}]: expected a snapshot object, got {what}", self.0))
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = Snapshot;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a snapshot object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Snapshot, A::Error> {
                Snapshot::deserialize(MapAccessDeserializer::new(map))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Snapshot, E> {
                Err(self.wrong("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Snapshot, E> {
                Err(self.wrong("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Snapshot, E> {
                Err(self.wrong("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Snapshot, E> {
                Err(self.wrong("a number"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Snapshot, E> {
                Err(self.wrong("a string"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Snapshot, E> {
                Err(self.wrong("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Snapshot, A::Error> {
                Err(self.wrong("a list"))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

impl<'de> Deserialize<'de> for Obj<Vec<Snapshot>> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Obj<Vec<Snapshot>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`snapshots` to be a list of snapshot objects")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Obj::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(s) = seq.next_element_seed(SnapshotAt(out.len()))? {
                    out.push(s);
                }
                Ok(Obj::Value(out))
            }
        }
        d.deserialize_any(V)
    }
}

macro_rules! obj_deserialize {
    ($($ty:ty),*) => {$(
        impl<'de> Deserialize<'de> for Obj<$ty> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Option::<$ty>::deserialize(d).map(|o| o.map_or(Obj::Null, Obj::Value))
            }
        }
    )*};
}
obj_deserialize!(Meta, Links, Pages, Snapshot);

/// Decodes a list answer. The error says where the body stops matching.
pub fn decode_page(body: &[u8]) -> Result<SnapshotPage, serde_json::Error> {
    decode(body)
}

pub fn decode_envelope(body: &[u8]) -> Result<SnapshotEnvelope, serde_json::Error> {
    decode(body)
}

/// One UTF-8 check of the whole body, then the `&str` reader (which doesn't re-check every string); invalid UTF-8
/// goes through the byte reader, whose error says where.
fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

impl SnapshotPage {
    pub fn snapshots(&self) -> &[Snapshot] {
        self.snapshots.value().map_or(&[], Vec::as_slice)
    }
    pub fn total(&self) -> Option<i64> {
        self.meta.value().and_then(|m| m.total.value().copied())
    }
    pub fn pages(&self) -> Option<&Pages> {
        self.links.value().and_then(|l| l.pages.value())
    }
}

/// An entry on its way to JSON. `canonical` writes parsable timestamps as RFC 3339 UTC (the SDK's `to_json()`);
/// without it they are written exactly as received (pickling keeps the object identical).
#[derive(Clone, Copy)]
pub struct Json<'a> {
    pub entry: Entry<'a>,
    pub canonical: bool,
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let wrap = |entry| Json {
            entry,
            canonical: self.canonical,
        };
        match self.entry {
            Entry::Null => s.serialize_unit(),
            Entry::Str(v) => s.serialize_str(v),
            Entry::Time(v) => match UtcDateTime::parse(v).filter(|_| self.canonical) {
                Some(t) => s.serialize_str(&t.to_rfc3339()),
                None => s.serialize_str(v),
            },
            Entry::Int(v) => s.serialize_i64(v),
            Entry::Float(v) => s.serialize_f64(v),
            Entry::StrList(v) => v.serialize(s),
            Entry::Json(v) => v.serialize(s),
            Entry::Meta(v) => serialize_entries(v.entries(), s, self.canonical),
            Entry::Links(v) => serialize_entries(v.entries(), s, self.canonical),
            Entry::Pages(v) => serialize_entries(v.entries(), s, self.canonical),
            Entry::Snapshot(v) => serialize_entries(v.entries(), s, self.canonical),
            Entry::Snapshots(v) => s.collect_seq(v.iter().map(|x| wrap(Entry::Snapshot(x)))),
        }
    }
}

fn serialize_entries<S: Serializer>(entries: Vec<(&str, Entry<'_>)>, s: S, canonical: bool) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(entries.len()))?;
    for (k, entry) in entries {
        m.serialize_entry(k, &Json { entry, canonical })?;
    }
    m.end()
}

/// `to_json()` of any model: `indent=None` is compact.
pub fn to_json(entry: Entry<'_>, indent: Option<usize>, canonical: bool) -> String {
    let value = Json { entry, canonical };
    match indent {
        None => serde_json::to_string(&value),
        Some(n) => {
            let pad = vec![b' '; n];
            let mut buf = Vec::new();
            let mut ser =
                serde_json::Serializer::with_formatter(&mut buf, serde_json::ser::PrettyFormatter::with_indent(&pad));
            value
                .serialize(&mut ser)
                .map(|()| String::from_utf8(buf).unwrap_or_default())
        }
    }
    .unwrap_or_else(|e| format!("\"<unserialisable: {e}>\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{"snapshots":[
      {"id":"6372321","name":"web-01-1595954862243","created_at":"2020-07-28T16:47:44Z","regions":["nyc3","sfo3"],
       "resource_id":"200776916","resource_type":"droplet","min_disk_size":25,"size_gigabytes":2.34,"tags":["web","env:prod"]},
      {"id":"fbe805e8-866b-11e6-96bf-000f53315a41","name":"pvc-01-1595954862243","created_at":"2019-09-28T23:14:30Z",
       "regions":["nyc1"],"resource_id":"89bcc42f-85cf-11e6-a004-000f53315871","resource_type":"volume",
       "min_disk_size":2,"size_gigabytes":0.1008,"tags":["k8s"]}],
     "links":{},"meta":{"total":2}}"#;

    #[test]
    fn decodes_the_spec_example() {
        let page = decode_page(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(page.total(), Some(2));
        let s = &page.snapshots()[0];
        assert_eq!(s.id, Field::Value("6372321".into()));
        assert_eq!(s.regions, Field::Value(vec!["nyc3".into(), "sfo3".into()]));
        assert_eq!(s.min_disk_size, Field::Value(25));
        assert_eq!(s.size_gigabytes, Field::Value(2.34));
        assert_eq!(s.created_at.parsed().unwrap().to_rfc3339(), "2020-07-28T16:47:44Z");
        assert!(page.links.value().unwrap().pages == Obj::Absent);
        assert!(page.extra.is_empty());
    }

    #[test]
    fn lenient_fields_and_extras() {
        let body = br#"{"meta":{"total":1,"pages":1},"snapshots":[{"id":6372321,"size_gigabytes":1,"tags":null,
            "regions":["nyc1",3],"min_disk_size":"25","created_at":"not-a-date","new_field":{"a":[1]}}]}"#;
        let page = decode_page(body).unwrap();
        let s = &page.snapshots()[0];
        assert_eq!(s.id, Field::Raw(Box::new(serde_json::json!(6372321))));
        assert_eq!(s.id_key().as_deref(), Some("6372321"));
        assert_eq!(s.size_gigabytes, Field::Value(1.0));
        assert_eq!(s.tags, Field::Null);
        assert_eq!(s.regions, Field::Raw(Box::new(serde_json::json!(["nyc1", 3]))));
        assert_eq!(s.min_disk_size, Field::Raw(Box::new(serde_json::json!("25"))));
        assert!(s.created_at.parsed().is_none());
        assert!(s.name.is_absent());
        assert_eq!(s.extra, vec![("new_field".to_owned(), serde_json::json!({"a": [1]}))]);
        assert_eq!(page.meta.value().unwrap().extra[0].0, "pages");
        assert_eq!(page.links, Obj::Absent);
        let json = to_json(Entry::Snapshot(s), None, true);
        let round: Snapshot = serde_json::from_str(&to_json(Entry::Snapshot(s), None, false)).unwrap();
        assert_eq!(&round, s);
        assert_eq!(
            json,
            r#"{"id":6372321,"created_at":"not-a-date","regions":["nyc1",3],"min_disk_size":"25","size_gigabytes":1.0,"tags":null,"new_field":{"a":[1]}}"#
        );
    }

    #[test]
    fn structural_errors_name_the_path() {
        let cases: [(&[u8], &str); 6] = [
            (br#"{"snapshots":{}}"#, "snapshots"),
            (
                br#"{"snapshots":[{"id":"1"},5]}"#,
                "snapshots[1]: expected a snapshot object, got a number",
            ),
            (br#"{"meta":"x"}"#, "meta"),
            (br#"[1,2]"#, "response"),
            (br#"{"snapshots":[{"id":"1"}"#, "EOF"),
            (b"", "EOF"),
        ];
        for (body, needle) in cases {
            let err = decode_page(body).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} should contain {needle:?}");
        }
    }

    #[test]
    fn pretty_json_and_links() {
        let body = br#"{"snapshots":[],"links":{"pages":{"first":"https://h/v2/snapshots?page=1","prev":"p","next":"n","last":"l"}},"meta":{"total":0}}"#;
        let page = decode_page(body).unwrap();
        assert_eq!(page.pages().unwrap().next, Field::Value("n".into()));
        let pretty = to_json(Entry::Meta(page.meta.value().unwrap()), Some(2), true);
        assert_eq!(pretty, "{\n  \"total\": 0\n}");
    }
}
