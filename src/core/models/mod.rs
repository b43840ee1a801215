//! Response models, decoded in one pass from the body with serde (`decode`) and written back to JSON or handed
//! to the binding as borrowed entries (`encode`).
//!
//! Lenient like the SDK: a missing field is `Absent`, a field of an unexpected type keeps its raw JSON value
//! (`Raw`), unknown keys are kept in `extra`. Structure is strict where the rest of the client depends on it:
//! `snapshots` must be a list of objects and `meta`/`links` objects, else decoding fails with the JSON path.
//!
//! # One declaration per model
//!
//! Every model is declared once, with [`lenient_model!`]: the struct, its field-name list ([`Fields::FIELDS`]),
//! its serde decoder and its `entries()` come from that one list, and so (through the `<name>_fields!` macro it
//! defines) do the Python getters, the repr and `to_dict()` of its class (`py::protocol::leaf_model!`), the
//! property tests' keys (`tests/props.rs`), `_core.SNAPSHOT_FIELDS`, and the check of the Arrow columns
//! (`core::arrow`'s tests compare them with `Snapshot::FIELDS`).
//!
//! **A new field** of an existing model: one line in its `lenient_model!` (name and type; the type decides how
//! it decodes and converts). The Python getter, the repr, `to_dict()`, pickling and `model_fields_set` follow.
//! Then the stub (`_core.pyi`; `tests/test_vocabulary.py` fails until it lists the field) and, for a snapshot
//! field that belongs in a table, its Arrow column (`core::arrow::schema` and `build`; a test fails until the
//! columns match the fields).
//!
//! **A new model** (say `Droplet`): one `lenient_model! { pub struct Droplet("droplet") as droplet_fields { .. } }`
//! here; in `src/py/models.rs` the pyclass line `pub struct PyDroplet(pub Droplet);` and
//! `leaf_model!(PyDroplet(Droplet), "Droplet", droplet_fields);`; its name in `py::unpickle`'s `leaf_models!`
//! list, its export in `src/lib.rs`, and its stub.

mod decode;
mod encode;
mod scan;

use serde_json::Value;

use crate::core::datetime::UtcDateTime;

pub use compute::{decode_droplet_page, decode_volume_page, Droplet, DropletPage, Nested, Region, Volume, VolumePage};
#[allow(unused_imports)] // the binding's (left out by `--no-default-features`)
pub(crate) use compute::{droplet_fields, droplet_page_fields, region_fields, volume_fields, volume_page_fields};
/// The serde decoders alone: what [`decode_page`] and [`decode_envelope`] fall back to, and the oracle the
/// property tests compare the fast path with.
pub use decode::{decode_envelope as decode_envelope_serde, decode_page as decode_page_serde};
pub use decode::{repaired, Lenient};
/// The scanner alone (`None`: it hands the body to serde), for the tests that check it doesn't fall back.
pub use scan::{scan_envelope, scan_page};

/// Decodes a list answer: the one-pass scanner (`scan`), or serde for anything it hands over (invalid JSON and
/// structural errors among them, so the error says where the body stops matching).
pub fn decode_page(body: &[u8]) -> Result<SnapshotPage, serde_json::Error> {
    scan::scan_page(body).map_or_else(|| decode_page_serde(body), Ok)
}

/// Decodes a retrieve answer, like [`decode_page`].
pub fn decode_envelope(body: &[u8]) -> Result<SnapshotEnvelope, serde_json::Error> {
    scan::scan_envelope(body).map_or_else(|| decode_envelope_serde(body), Ok)
}
pub use encode::{to_json, EntriesList, Entry, HasEntries, Json, ToEntry};

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

impl Field<Str> {
    /// The field as text: a string as it is, a number as its decimal text (an integer id; allocates only then),
    /// anything else `None`.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Field::Value(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            Field::Raw(v) => match v.as_ref() {
                Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
                _ => None,
            },
            _ => None,
        }
    }
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

/// What every model declared with [`lenient_model!`] has: its field names and its entries.
pub trait Fields {
    /// What the model is called in decoding errors (`snapshot`, `links.pages`, ...).
    const WHAT: &'static str;
    /// The declared fields, in declaration order (the SDK's order): the names of the JSON keys, of the Python
    /// attributes and of the Arrow columns.
    const FIELDS: &'static [&'static str];
    /// The fields as received (absent ones left out), declared order first, then the unknown ones.
    fn entries(&self) -> Vec<(&str, Entry<'_>)>;
    /// Unknown fields, kept as sent.
    fn extra(&self) -> &[(String, Value)];
}

/// Declares a model once: the struct (every field `pub`, plus `extra` for unknown keys), its [`Fields`] (the
/// name list and `entries()`), its serde decoder, and a macro named after `as` that hands the field list to
/// the binding, so `src/py` writes no field name of its own:
///
/// ```ignore
/// lenient_model! {
///     /// One droplet (`resources/droplets/models/droplet.yml`).
///     pub struct Droplet("droplet") as droplet_fields {
///         id: Field<i64>,
///         name: Field<Str>,
///     }
/// }
/// ```
///
/// `droplet_fields!(then!(args))` expands to `then!(args Droplet "droplet" { id: Field<i64>, name: Field<Str> })`
/// (`py::protocol::leaf_model!` uses it for the getters). A field's type must implement `Deserialize` (every
/// `Field<T>` whose `T` is [`Lenient`], `Obj<T>`, [`Timestamp`]) and [`ToEntry`].
macro_rules! lenient_model {
    (
        $(#[$attr:meta])*
        pub struct $ty:ident($what:literal) as $fields:ident {
            $($(#[$fattr:meta])* $field:ident : $fty:ty),* $(,)?
        }
    ) => {
        lenient_model!(@with_dollar ($) $(#[$attr])* $ty $what $fields { $($(#[$fattr])* $field : $fty),* });
    };
    (@with_dollar ($d:tt) $(#[$attr:meta])* $ty:ident $what:literal $fields:ident {
        $($(#[$fattr:meta])* $field:ident : $fty:ty),*
    }) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Default)]
        #[non_exhaustive]
        pub struct $ty {
            $($(#[$fattr])* pub $field: $fty,)*
            /// Unknown keys, kept as sent, in the order received.
            pub extra: Vec<(String, Value)>,
        }

        impl Fields for $ty {
            const WHAT: &'static str = $what;
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn entries(&self) -> Vec<(&str, Entry<'_>)> {
                let mut out: Vec<(&str, Entry<'_>)> = Vec::with_capacity(Self::FIELDS.len() + self.extra.len());
                $(if let Some(e) = ToEntry::entry(&self.$field) { out.push((stringify!($field), e)); })*
                out.extend(self.extra.iter().map(|(k, v)| (k.as_str(), Entry::Json(v))));
                out
            }
            fn extra(&self) -> &[(String, Value)] {
                &self.extra
            }
        }

        decode::deserialize_struct!($ty, $what, { $($field),* });

        #[doc = concat!("The field list of [`", stringify!($ty), "`]: `", stringify!($fields),
            "!(then!(args))` is `then!(args ", stringify!($ty), " \"", $what, "\" { field: Type, ... })`.")]
        #[allow(unused_macros)] // used by the binding, which `--no-default-features` leaves out
        macro_rules! $fields {
            ($d then:ident!($d($d arg:tt)*)) => {
                $d then! { $d($d arg)* $ty $what { $($field : $fty),* } }
            };
        }
        #[allow(unused_imports)]
        pub(crate) use $fields;
    };
}

mod compute;

/// `created_at` is a string field whose entry is marked as a timestamp.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timestamp(pub Field<Str>);

impl Timestamp {
    pub fn parsed(&self) -> Option<UtcDateTime> {
        self.0.value().and_then(|s| UtcDateTime::parse(s))
    }
}

lenient_model! {
    /// One snapshot (`resources/snapshots/models/snapshots.yml`).
    pub struct Snapshot("snapshot") as snapshot_fields {
        id: Field<Str>,
        name: Field<Str>,
        created_at: Timestamp,
        regions: Field<Vec<Str>>,
        resource_id: Field<Str>,
        resource_type: Field<Str>,
        min_disk_size: Field<i64>,
        size_gigabytes: Field<f64>,
        tags: Field<Vec<Str>>,
    }
}

impl Snapshot {
    /// The id as a string whatever its JSON type (droplet snapshot ids are sometimes numbers elsewhere in the API).
    pub fn id_key(&self) -> Option<Str> {
        match &self.id {
            Field::Value(s) => Some(s.clone()),
            other => other.text().map(Str::from),
        }
    }
}

lenient_model! {
    /// `meta` of a list answer.
    pub struct Meta("meta") as meta_fields {
        total: Field<i64>,
    }
}

lenient_model! {
    /// `links.pages`: the URLs of the neighbouring pages.
    pub struct Pages("links.pages") as pages_fields {
        first: Field<Str>,
        prev: Field<Str>,
        next: Field<Str>,
        last: Field<Str>,
    }
}

lenient_model! {
    /// `links` of a list answer.
    pub struct Links("links") as links_fields {
        pages: Obj<Pages>,
    }
}

lenient_model! {
    /// `GET /v2/snapshots`.
    pub struct SnapshotPage("response") as snapshot_page_fields {
        snapshots: Obj<Vec<Snapshot>>,
        links: Obj<Links>,
        meta: Obj<Meta>,
    }
}

lenient_model! {
    /// `GET /v2/snapshots/{id}`.
    pub struct SnapshotEnvelope("response") as snapshot_envelope_fields {
        snapshot: Obj<Snapshot>,
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
