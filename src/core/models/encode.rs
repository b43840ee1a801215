//! Encoding: borrowed [`Entry`] views of the models (for the binding's `to_dict()`) and the one JSON serialiser
//! (`to_json`) every model uses.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::core::datetime::UtcDateTime;

use super::{Field, Fields, Links, Meta, Obj, Pages, Snapshot, Str, Timestamp};

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
    /// Any object given as its entries (envelopes, pages whose rows live elsewhere).
    Fields(&'a [(&'a str, Entry<'a>)]),
    /// A list of integers (a droplet's `snapshot_ids`, a volume's `droplet_ids`).
    IntList(&'a [i64]),
    /// A nested model (a droplet's `region`, a droplet in a page).
    Object(&'a dyn HasEntries),
    /// A list of models (a page's `droplets` or `volumes`).
    Objects(&'a dyn EntriesList),
}

/// A model that lists its own entries (nested models, droplets, volumes).
pub trait HasEntries: std::fmt::Debug + Sync {
    fn nested_entries(&self) -> Vec<(&str, Entry<'_>)>;
}

/// A list of models, each listing its entries.
pub trait EntriesList: std::fmt::Debug + Sync {
    fn items(&self) -> Vec<&dyn HasEntries>;
}

impl<T: super::Fields + std::fmt::Debug + Sync> HasEntries for T {
    fn nested_entries(&self) -> Vec<(&str, Entry<'_>)> {
        super::Fields::entries(self)
    }
}

impl<T: HasEntries> EntriesList for Vec<T> {
    fn items(&self) -> Vec<&dyn HasEntries> {
        self.iter().map(|x| x as &dyn HasEntries).collect()
    }
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

impl ToEntry for Timestamp {
    fn entry(&self) -> Option<Entry<'_>> {
        match &self.0 {
            Field::Value(s) => Some(Entry::Time(s)),
            other => other.entry(),
        }
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
            Entry::Fields(v) => serialize_entries(v.iter().copied(), s, self.canonical),
            Entry::IntList(v) => v.serialize(s),
            Entry::Object(v) => serialize_entries(v.nested_entries(), s, self.canonical),
            Entry::Objects(v) => s.collect_seq(v.items().into_iter().map(|x| wrap(Entry::Object(x)))),
        }
    }
}

fn serialize_entries<'a, S: Serializer>(
    entries: impl IntoIterator<Item = (&'a str, Entry<'a>)>,
    s: S,
    canonical: bool,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(None)?;
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
