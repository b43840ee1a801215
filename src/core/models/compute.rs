//! Droplets and volumes (`GET /v2/droplets`, `GET /v2/volumes`): lenient like [`Snapshot`](super::Snapshot).
//! The typed fields are the ones the cleanup code reads and the SDK types
//! (`gradient/types/shared/droplet.py`, `gradient/types/gpu_droplets/volume_list_response.py`); every other
//! field (`image`, `size`, `networks`, `description`, ...) is kept as sent in `extra`.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::decode::{self, Lenient};
use super::encode::{Entry, HasEntries, ToEntry};
use super::{Field, Fields, Links, Meta, Obj, Pages, Str, Timestamp};

/// A nested object field (a droplet's `region`): the object decoded into `T`, `null`, absent, or anything else
/// kept as sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Nested<T>(pub Field<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        macro_rules! raw {
            ($name:ident, $ty:ty) => {
                fn $name<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                    Ok(Nested(Field::Raw(Box::new(Value::from(v)))))
                }
            };
        }
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Nested<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            // An object decodes straight into `T` (its own lenient decoder never fails on a value's type).
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Nested(Field::Value(t)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nested(Field::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nested(Field::Null))
            }
            raw!(visit_bool, bool);
            raw!(visit_i64, i64);
            raw!(visit_u64, u64);
            raw!(visit_f64, f64);
            raw!(visit_str, &str);
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(|v| Nested(Field::Raw(Box::new(v))))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T: HasEntries> ToEntry for Nested<T> {
    fn entry(&self) -> Option<Entry<'_>> {
        match &self.0 {
            Field::Absent => None,
            Field::Null => Some(Entry::Null),
            Field::Value(v) => Some(Entry::Object(v)),
            Field::Raw(v) => Some(Entry::Json(v)),
        }
    }
}

lenient_model! {
    /// `region` of a droplet or volume (`gradient/types/shared/region.py`); `available` is kept in `extra`.
    pub struct Region("region") as region_fields {
        name: Field<Str>,
        slug: Field<Str>,
        sizes: Field<Vec<Str>>,
        features: Field<Vec<Str>>,
    }
}

lenient_model! {
    /// One droplet (`gradient/types/shared/droplet.py`, the typed fields in its order): `id` is an integer there,
    /// `created_at` a datetime, `region` a `Region`.
    pub struct Droplet("droplet") as droplet_fields {
        id: Field<i64>,
        created_at: Timestamp,
        disk: Field<i64>,
        memory: Field<i64>,
        name: Field<Str>,
        region: Nested<Region>,
        size_slug: Field<Str>,
        snapshot_ids: Field<Vec<i64>>,
        status: Field<Str>,
        tags: Field<Vec<Str>>,
        vcpus: Field<i64>,
        volume_ids: Field<Vec<Str>>,
    }
}

lenient_model! {
    /// One block storage volume (`gradient/types/gpu_droplets/volume_list_response.py`, in its order): `id` is a
    /// UUID string, `created_at` a string (the SDK doesn't parse it), `droplet_ids` integers.
    pub struct Volume("volume") as volume_fields {
        id: Field<Str>,
        created_at: Field<Str>,
        droplet_ids: Field<Vec<i64>>,
        name: Field<Str>,
        region: Nested<Region>,
        size_gigabytes: Field<i64>,
        tags: Field<Vec<Str>>,
    }
}

impl Region {
    pub fn slug(&self) -> Option<&str> {
        self.slug.value().map(Str::as_str)
    }
}

impl Droplet {
    /// The region's slug (`region.slug`).
    pub fn region_slug(&self) -> Option<&str> {
        self.region.0.value().and_then(Region::slug)
    }
}

impl Volume {
    pub fn region_slug(&self) -> Option<&str> {
        self.region.0.value().and_then(Region::slug)
    }
}

lenient_model! {
    /// `GET /v2/droplets` (the SDK's `GPUDropletListResponse`: `meta`, `droplets`, `links`).
    pub struct DropletPage("response") as droplet_page_fields {
        meta: Obj<Meta>,
        droplets: Obj<Vec<Droplet>>,
        links: Obj<Links>,
    }
}

lenient_model! {
    /// `GET /v2/volumes` (the SDK's `VolumeListResponse`: `meta`, `volumes`, `links`).
    pub struct VolumePage("response") as volume_page_fields {
        meta: Obj<Meta>,
        volumes: Obj<Vec<Volume>>,
        links: Obj<Links>,
    }
}

macro_rules! page_accessors {
    ($ty:ident, $items:ident, $item:ty) => {
        impl $ty {
            pub fn $items(&self) -> &[$item] {
                self.$items.value().map_or(&[], Vec::as_slice)
            }
            pub fn total(&self) -> Option<i64> {
                self.meta.value().and_then(|m| m.total.value().copied())
            }
            pub fn pages(&self) -> Option<&Pages> {
                self.links.value().and_then(|l| l.pages.value())
            }
        }
    };
}
page_accessors!(DropletPage, droplets, Droplet);
page_accessors!(VolumePage, volumes, Volume);

/// One element of a list of `T` objects, decoded straight into `T`; anything but an object is an error naming
/// the list (`$key`) and the index.
struct ItemAt<T> {
    index: usize,
    key: &'static str,
    what: &'static str,
    item: std::marker::PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> de::DeserializeSeed<'de> for ItemAt<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ItemAt<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} object", self.what)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Err(self.wrong("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Err(self.wrong("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Err(self.wrong("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Err(self.wrong("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
        Err(self.wrong("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Err(self.wrong("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<T, A::Error> {
        Err(self.wrong("a list"))
    }
}

impl<T> ItemAt<T> {
    fn wrong<E: de::Error>(&self, got: &str) -> E {
        E::custom(format!(
            "{}[{}]: expected a {} object, got {got}",
            self.key, self.index, self.what
        ))
    }
}

/// A list of objects of one kind (`droplets`, `volumes`): each element must be an object (the error names its
/// index), `null` is `Null`.
macro_rules! items_deserialize {
    ($item:ty, $key:literal, $what:literal) => {
        impl<'de> Deserialize<'de> for Obj<Vec<$item>> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Seq;
                impl<'de> Visitor<'de> for Seq {
                    type Value = Obj<Vec<$item>>;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str(concat!("`", $key, "` to be a list of ", $what, " objects"))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                        Ok(Obj::Null)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                        let mut out: Vec<$item> = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                        let at = |index| ItemAt {
                            index,
                            key: $key,
                            what: $what,
                            item: std::marker::PhantomData,
                        };
                        while let Some(item) = seq.next_element_seed(at(out.len()))? {
                            out.push(item);
                        }
                        Ok(Obj::Value(out))
                    }
                }
                d.deserialize_any(Seq)
            }
        }
    };
}
items_deserialize!(Droplet, "droplets", "droplet");
items_deserialize!(Volume, "volumes", "volume");

impl ToEntry for Obj<Vec<Droplet>> {
    fn entry(&self) -> Option<Entry<'_>> {
        match self {
            Obj::Absent => None,
            Obj::Null => Some(Entry::Null),
            Obj::Value(v) => Some(Entry::Objects(v)),
        }
    }
}

impl ToEntry for Obj<Vec<Volume>> {
    fn entry(&self) -> Option<Entry<'_>> {
        match self {
            Obj::Absent => None,
            Obj::Null => Some(Entry::Null),
            Obj::Value(v) => Some(Entry::Objects(v)),
        }
    }
}

/// A list of integers; a list with anything else in it is kept as sent.
impl Lenient for Vec<i64> {
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Result<Self, Value>, A::Error> {
        let mut raw: Vec<Value> = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            raw.push(v);
        }
        match raw.iter().map(Value::as_i64).collect::<Option<Vec<i64>>>() {
            Some(ints) if raw.iter().all(|v| !v.is_f64()) => Ok(Ok(ints)),
            _ => Ok(Err(Value::Array(raw))),
        }
    }
}

impl ToEntry for Field<Vec<i64>> {
    fn entry(&self) -> Option<Entry<'_>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(Entry::Null),
            Field::Value(v) => Some(Entry::IntList(v)),
            Field::Raw(v) => Some(Entry::Json(v)),
        }
    }
}

/// As `decode_page` decodes snapshot pages: one UTF-8 check, then the `&str` reader, and only if that fails the
/// text leniency of [`decode::repaired`] (a BOM, UTF-16/32, lone surrogates).
pub fn decode_droplet_page(body: &[u8]) -> Result<DropletPage, serde_json::Error> {
    decode::decode(body)
}

pub fn decode_volume_page(body: &[u8]) -> Result<VolumePage, serde_json::Error> {
    decode::decode(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_droplet_with_its_extras() {
        let body = br#"{"droplets":[{"id":3164444,"name":"gpu-1","status":"active","created_at":"2020-07-21T18:37:44Z",
            "region":{"name":"New York 3","slug":"nyc3","sizes":["s-1vcpu-1gb"],"features":["backups"],"available":true},
            "size_slug":"gpu-h100x1-80gb","vcpus":20,"memory":245760,"disk":720,"tags":["ml"],"snapshot_ids":[7,8],
            "volume_ids":["506f78a4-e098-11e5-ad9f-000f53306ae1"],"image":{"id":1},"gpu_info":{"count":1}}],
            "links":{},"meta":{"total":1}}"#;
        let page = decode_droplet_page(body).unwrap();
        assert_eq!(page.total(), Some(1));
        let d = &page.droplets()[0];
        assert_eq!(d.id, Field::Value(3164444));
        assert_eq!(d.region_slug(), Some("nyc3"));
        assert_eq!(d.snapshot_ids, Field::Value(vec![7, 8]));
        assert_eq!(d.extra.len(), 2);
        assert_eq!(
            d.region.0.value().unwrap().extra,
            vec![("available".to_owned(), Value::Bool(true))]
        );
        let json = super::super::to_json(Entry::Object(d), None, false);
        assert_eq!(Droplet::FIELDS[..2], ["id", "created_at"]);
        let back: Droplet = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, d);
    }

    #[test]
    fn lenient_fields_and_structural_errors() {
        let page = decode_volume_page(
            br#"{"volumes":[{"id":"v1","region":"nyc1","droplet_ids":[1,"x"],"size_gigabytes":10.0,"created_at":5}]}"#,
        )
        .unwrap();
        let v = &page.volumes()[0];
        assert_eq!(v.region.0, Field::Raw(Box::new(Value::String("nyc1".into()))));
        assert_eq!(v.droplet_ids, Field::Raw(Box::new(serde_json::json!([1, "x"]))));
        assert_eq!(v.size_gigabytes, Field::Value(10));
        assert_eq!(v.created_at, Field::Raw(Box::new(serde_json::json!(5))));
        let err = decode_volume_page(br#"{"volumes":[{"id":"v1"},3]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("volumes[1]: expected a volume object, got a number"),
            "{err}"
        );
        assert!(decode_droplet_page(br#"{"droplets":{}}"#).is_err());
        assert!(decode_droplet_page(br#"{"droplets":null}"#)
            .unwrap()
            .droplets()
            .is_empty());
    }
}
