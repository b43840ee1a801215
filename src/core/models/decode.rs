//! Decoding: the lenient field visitor, the struct decoders, and `decode_page`/`decode_envelope`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Field, Links, Meta, Obj, Pages, Snapshot, SnapshotEnvelope, SnapshotPage, Str, Timestamp};

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

/// Deserialises an object with known keys, collecting the rest in `extra`. `$what` names it in errors.
macro_rules! deserialize_struct {
    ($ty:ident, $what:literal, { $($field:ident),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str(concat!($what, " object"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut out = $ty::default();
                        while let Some(key) = map.next_key::<$crate::core::models::decode::Key>()? {
                            match key.0.as_ref() {
                                $(stringify!($field) => out.$field = map.next_value()?,)*
                                _ => {
                                    let v: serde_json::Value = map.next_value()?;
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
                        serde::de::Error::custom(format!("{}: {}", $what, msg))
                    } else {
                        e
                    }
                })
            }
        }
    };
}
pub(crate) use deserialize_struct;

/// A map key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

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

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Field::deserialize(d).map(Timestamp)
    }
}

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
