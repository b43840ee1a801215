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
/// goes through the byte reader, whose error says where. Only when that fails is the body looked at again for
/// what Python's `json.loads(bytes)` — the SDK's `httpx.Response.json()` — accepts and serde_json does not (see
/// [`repaired`]); the fast path is unchanged.
pub(super) fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, serde_json::Error> {
    let first = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    match first {
        Ok(v) => Ok(v),
        Err(e) => match repaired(body) {
            Some(text) => serde_json::from_str(&text).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// `body` as UTF-8 JSON text when it is JSON that Python's `json` reads and serde_json refuses, else `None`:
/// - a UTF-8 byte order mark is dropped;
/// - a UTF-16 or UTF-32 body (told by its BOM or by where its zero bytes are, as `json.detect_encoding` does) is
///   transcoded to UTF-8;
/// - a lone surrogate escape in a string (`"\ud800"`, a low one alone, a high one not followed by a low one) is
///   replaced with `\ufffd`, U+FFFD REPLACEMENT CHARACTER. Python keeps the lone surrogate in its `str`, but a
///   Rust string can't hold one and no UTF-8 output (a CSV, Arrow, the terminal) could carry it: it becomes U+FFFD
///   as invalid UTF-8 does elsewhere, and the rest of the page is kept. Unpaired surrogates in a UTF-16 body are
///   replaced the same way.
pub fn repaired(body: &[u8]) -> Option<String> {
    let text: std::borrow::Cow<'_, str> = match utf_of(body) {
        Utf::Eight(bom) => std::str::from_utf8(&body[bom..]).ok()?.into(),
        Utf::Sixteen { big, bom } => {
            let units = body[bom..].chunks_exact(2).map(|c| {
                let pair = [c[0], c[1]];
                if big {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            });
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect::<String>()
                .into()
        }
        Utf::ThirtyTwo { big, bom } => body[bom..]
            .chunks_exact(4)
            .map(|c| {
                let quad = [c[0], c[1], c[2], c[3]];
                let v = if big {
                    u32::from_be_bytes(quad)
                } else {
                    u32::from_le_bytes(quad)
                };
                char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect::<String>()
            .into(),
    };
    let fixed = replace_lone_surrogates(&text);
    let changed = fixed.is_some() || !matches!(utf_of(body), Utf::Eight(0));
    changed.then(|| fixed.unwrap_or_else(|| text.into_owned()))
}

/// The encoding of a JSON body as Python's `json.detect_encoding` tells it, with the length of its BOM.
enum Utf {
    Eight(usize),
    Sixteen { big: bool, bom: usize },
    ThirtyTwo { big: bool, bom: usize },
}

fn utf_of(b: &[u8]) -> Utf {
    match b {
        [0, 0, 0xFE, 0xFF, ..] => Utf::ThirtyTwo { big: true, bom: 4 },
        [0xFF, 0xFE, 0, 0, ..] => Utf::ThirtyTwo { big: false, bom: 4 },
        [0xFE, 0xFF, ..] => Utf::Sixteen { big: true, bom: 2 },
        [0xFF, 0xFE, ..] => Utf::Sixteen { big: false, bom: 2 },
        [0xEF, 0xBB, 0xBF, ..] => Utf::Eight(3),
        [0, 0, _, _, ..] => Utf::ThirtyTwo { big: true, bom: 0 },
        [0, _, _, _, ..] => Utf::Sixteen { big: true, bom: 0 },
        [_, 0, 0, 0, ..] => Utf::ThirtyTwo { big: false, bom: 0 },
        [_, 0, _, _, ..] => Utf::Sixteen { big: false, bom: 0 },
        [0, _] => Utf::Sixteen { big: true, bom: 0 },
        [_, 0] => Utf::Sixteen { big: false, bom: 0 },
        _ => Utf::Eight(0),
    }
}

/// `text` with each lone surrogate escape replaced by `\ufffd` (same length), or `None` if it has none. Escapes
/// are only read after an unescaped backslash, so `"\\ud800"` (a backslash, then `ud800`) is left alone.
fn replace_lone_surrogates(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let hex = |at: usize| -> Option<u16> {
        let h = b.get(at..at + 4)?;
        h.iter()
            .all(u8::is_ascii_hexdigit)
            .then(|| u16::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())?
    };
    let mut lone: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match (b.get(i + 1), hex(i + 2)) {
            (Some(b'u'), Some(0xD800..=0xDBFF)) => {
                let paired = b.get(i + 6) == Some(&b'\\')
                    && b.get(i + 7) == Some(&b'u')
                    && hex(i + 8).is_some_and(|lo| (0xDC00..=0xDFFF).contains(&lo));
                if paired {
                    i += 12;
                } else {
                    lone.push(i);
                    i += 6;
                }
            }
            (Some(b'u'), Some(0xDC00..=0xDFFF)) => {
                lone.push(i);
                i += 6;
            }
            (Some(b'u'), Some(_)) => i += 6,
            _ => i += 2,
        }
    }
    if lone.is_empty() {
        return None;
    }
    let mut out = text.as_bytes().to_vec();
    for at in lone {
        out[at..at + 6].copy_from_slice(b"\\ufffd");
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(body: &[u8]) -> Vec<String> {
        decode_page(body)
            .unwrap()
            .snapshots()
            .iter()
            .map(|s| s.name.value().map(|n| n.to_string()).unwrap_or_default())
            .collect()
    }

    const PAGE: &str = r#"{"snapshots":[{"id":"1","name":"web-1"},{"id":"2","name":"b\u00e9"}],"meta":{"total":2}}"#;

    #[test]
    fn lone_surrogates_become_the_replacement_character() {
        for (name, want) in [
            (r"\ud800", "\u{fffd}"),
            (r"a\udc00b", "a\u{fffd}b"),
            (r"\ud800\ud800", "\u{fffd}\u{fffd}"),
            (r"\ud83d\ude00\ud800", "\u{1f600}\u{fffd}"),
            (r"x\ud800\u0041", "x\u{fffd}A"),
            (r"\\ud800", r"\ud800"),
        ] {
            let body = format!(r#"{{"snapshots":[{{"id":"1","name":"{name}"}},{{"id":"2","name":"ok"}}]}}"#);
            assert_eq!(ids(body.as_bytes()), vec![want.to_owned(), "ok".to_owned()], "{name}");
        }
    }

    #[test]
    fn boms_and_utf16_32_bodies_decode() {
        let want = vec!["web-1".to_owned(), "bé".to_owned()];
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(PAGE.as_bytes());
        assert_eq!(ids(&bom), want);
        let utf16 = |big: bool, with_bom: bool| {
            let mut out = Vec::new();
            let units = std::iter::once(0xFEFF).filter(|_| with_bom).chain(PAGE.encode_utf16());
            for u in units {
                out.extend_from_slice(&if big { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            out
        };
        let utf32 = |big: bool, with_bom: bool| {
            let mut out = Vec::new();
            let chars = std::iter::once('\u{feff}').filter(|_| with_bom).chain(PAGE.chars());
            for c in chars {
                let v = c as u32;
                out.extend_from_slice(&if big { v.to_be_bytes() } else { v.to_le_bytes() });
            }
            out
        };
        for big in [true, false] {
            for with_bom in [true, false] {
                assert_eq!(ids(&utf16(big, with_bom)), want, "utf16 big={big} bom={with_bom}");
                assert_eq!(ids(&utf32(big, with_bom)), want, "utf32 big={big} bom={with_bom}");
            }
        }
    }

    #[test]
    fn what_is_not_json_stays_an_error() {
        assert!(decode_page(b"\xEF\xBB\xBFnot json").is_err());
        assert!(decode_page(b"{\"snapshots\":[\"\\ud800").is_err());
        assert!(repaired(PAGE.as_bytes()).is_none());
        assert!(repaired(b"<html>").is_none());
    }
}
