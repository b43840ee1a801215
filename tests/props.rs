//! Property tests of the pure-Rust core: `cargo test --no-default-features --test props`.
//!
//! The decoder never panics (arbitrary bytes, arbitrary JSON, mutated pages), decoded pages round-trip through
//! `to_json`, `page_number` / `page_count` / `dedupe` behave on any input, and `UtcDateTime` parses without
//! panicking and round-trips valid timestamps. `PROPTEST_CASES=100000` for long runs (see scripts/fuzz.sh).

use std::collections::HashSet;

use _core::core::datetime::UtcDateTime;
use _core::core::models::{decode_envelope, decode_page, to_json, Entry, Fields, Snapshot, SnapshotPage};
use _core::core::pagination::{dedupe, implausible, page_count, page_number, MAX_PAGES};
use proptest::prelude::*;
use serde_json::{Map, Value};

mod common;
use common::config;

/// The snapshot's declared fields (`lenient_model!`), the keys the mutated pages are made of.
const KNOWN: &[&str] = Snapshot::FIELDS;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KNOWN).prop_map(str::to_owned),
        1 => proptest::sample::select(&["snapshots", "meta", "links", "pages", "total", "next", "last"][..])
            .prop_map(str::to_owned),
        2 => "\\PC{0,10}",
    ]
}

/// Floats as the API sends them (sizes in GB: few significant digits), which every decoder reads exactly.
/// Full-precision floats have their own property, `floats_decode_exactly`, so that one known imprecision does
/// not mask every other round-trip property.
fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1_000_000_000i64..1_000_000_000, 0u32..7).prop_map(|(m, e)| m as f64 / 10f64.powi(e as i32)),
        Just(0.0),
        Just(-0.0),
        Just(9.0e15),
        Just(1e300),
    ]
}

/// Any finite f64, including values that need 17 significant digits (e.g. `0.1 + 0.2`).
fn any_finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        (-1e6f64..1e6f64),
        Just(0.1 + 0.2),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
    ]
}

/// Any JSON value (nesting bounded).
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f64().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An object with mostly snapshot keys, each holding a value of any JSON type.
fn snapshot_like() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), json()), 0..12).prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

/// Something shaped like a list answer, with arbitrary values in every slot.
fn page_like() -> impl Strategy<Value = Value> {
    let snapshots = prop_oneof![
        4 => prop::collection::vec(prop_oneof![5 => snapshot_like(), 1 => json()], 0..6).prop_map(Value::Array),
        1 => json(),
    ];
    let meta = prop_oneof![
        3 => json().prop_map(|t| serde_json::json!({ "total": t })),
        1 => json(),
    ];
    let links = prop_oneof![
        3 => prop::collection::vec((prop::sample::select(&["first", "prev", "next", "last", "x"][..]), json()), 0..5)
            .prop_map(|kv| serde_json::json!({ "pages": kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>() })),
        1 => json(),
    ];
    (
        proptest::option::of(snapshots),
        proptest::option::of(meta),
        proptest::option::of(links),
        prop::collection::vec((key(), json()), 0..3),
    )
        .prop_map(|(s, m, l, extra)| {
            let mut obj: Map<String, Value> = extra.into_iter().collect();
            for (k, v) in [("snapshots", s), ("meta", m), ("links", l)] {
                if let Some(v) = v {
                    obj.insert(k.to_owned(), v);
                }
            }
            Value::Object(obj)
        })
}

fn rfc3339() -> impl Strategy<Value = String> {
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
}

/// A snapshot with every field of its documented type (some left out), plus unknown keys.
fn valid_snapshot() -> impl Strategy<Value = Value> {
    let strings = prop::collection::vec("\\PC{0,8}", 0..4);
    (
        (
            proptest::option::of(prop_oneof![
                "[0-9]{1,9}",
                "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
            ]),
            proptest::option::of("\\PC{0,20}"),
            proptest::option::of(prop_oneof![rfc3339(), "\\PC{0,12}"]),
            proptest::option::of(strings.clone()),
            proptest::option::of("[0-9]{1,9}"),
        ),
        (
            proptest::option::of(prop::sample::select(&["droplet", "volume"][..])),
            proptest::option::of(0i64..100_000),
            proptest::option::of(finite_f64()),
            proptest::option::of(proptest::option::of(strings)),
            prop::collection::vec(("x_[a-z]{1,6}", json()), 0..3),
        ),
    )
        .prop_map(
            |((id, name, created, regions, rid), (rtype, disk, size, tags, extra))| {
                let mut o = Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        o.insert(k.to_owned(), v);
                    }
                };
                put("id", id.map(Value::from));
                put("name", name.map(Value::from));
                put("created_at", created.map(Value::from));
                put("regions", regions.map(Value::from));
                put("resource_id", rid.map(Value::from));
                put("resource_type", rtype.map(Value::from));
                put("min_disk_size", disk.map(Value::from));
                put("size_gigabytes", size.map(Value::from));
                put("tags", tags.map(|t| t.map_or(Value::Null, Value::from)));
                for (k, v) in extra {
                    o.insert(k, v);
                }
                Value::Object(o)
            },
        )
}

fn valid_page() -> impl Strategy<Value = Value> {
    let link = "https://api\\.example\\.com/v2/snapshots\\?page=[0-9]{1,4}&per_page=[0-9]{1,3}";
    (
        prop::collection::vec(valid_snapshot(), 0..8),
        proptest::option::of(0i64..1_000_000),
        prop::collection::vec(
            (prop::sample::select(&["first", "prev", "next", "last"][..]), link),
            0..4,
        ),
    )
        .prop_map(|(snaps, total, pages)| {
            let pages: Map<String, Value> = pages.into_iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect();
            let mut page = serde_json::json!({ "snapshots": snaps, "links": {} });
            if !pages.is_empty() {
                page["links"] = serde_json::json!({ "pages": pages });
            }
            if let Some(t) = total {
                page["meta"] = serde_json::json!({ "total": t });
            }
            page
        })
}

/// A decoded page written back out with the library's own `to_json` (verbatim mode), field by field.
fn reencode(page: &SnapshotPage) -> Vec<u8> {
    let mut obj = Map::new();
    for (k, entry) in page.entries() {
        let text = to_json(entry, None, false);
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("to_json wrote invalid JSON {text:?}: {e}"));
        obj.insert(k.to_owned(), v);
    }
    serde_json::to_vec(&Value::Object(obj)).expect("serialise")
}

/// Decoded → to_json → decoded again must be equal, and `to_json` must also survive canonical and pretty modes.
fn check_round_trip(page: &SnapshotPage) -> Result<(), TestCaseError> {
    let again = decode_page(&reencode(page));
    prop_assert!(again.is_ok(), "re-encoded page no longer decodes: {:?}", again.err());
    prop_assert_eq!(&again.unwrap(), page);
    for s in page.snapshots() {
        let text = to_json(Entry::Snapshot(s), None, false);
        let back: Snapshot = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, s);
        let canonical = to_json(Entry::Snapshot(s), Some(2), true);
        prop_assert!(
            serde_json::from_str::<Value>(&canonical).is_ok(),
            "canonical to_json is not JSON: {}",
            canonical
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decoder_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_page(&bytes);
        let _ = decode_envelope(&bytes);
    }

    #[test]
    fn decoder_never_panics_on_json_and_round_trips(v in prop_oneof![3 => page_like(), 1 => json()]) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let _ = decode_envelope(&bytes);
        if let Ok(page) = decode_page(&bytes) {
            check_round_trip(&page)?;
        }
    }

    #[test]
    fn decoder_never_panics_on_mutated_pages(
        v in valid_page(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        truncate in any::<bool>(),
    ) {
        let mut bytes = serde_json::to_vec(&v).unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        if let Ok(page) = decode_page(&bytes) {
            check_round_trip(&page)?;
        }
    }

    #[test]
    fn valid_pages_decode_and_round_trip(v in valid_page()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let page = decode_page(&bytes);
        prop_assert!(page.is_ok(), "valid page refused: {:?}\n{}", page.as_ref().err(), String::from_utf8_lossy(&bytes));
        let page = page.unwrap();
        let expected = v["snapshots"].as_array().unwrap();
        prop_assert_eq!(page.snapshots().len(), expected.len());
        prop_assert_eq!(page.total(), v.get("meta").and_then(|m| m["total"].as_i64()));
        for (s, raw) in page.snapshots().iter().zip(expected) {
            prop_assert_eq!(s.id_key(), raw.get("id").and_then(Value::as_str).map(Into::into));
            // Every key of the input survives, in the verbatim JSON of the snapshot.
            let written: Value = serde_json::from_str(&to_json(Entry::Snapshot(s), None, false)).unwrap();
            let keys: HashSet<&String> = written.as_object().unwrap().keys().collect();
            prop_assert_eq!(keys, raw.as_object().unwrap().keys().collect::<HashSet<_>>());
        }
        check_round_trip(&page)?;
    }

    /// A float in a snapshot decodes to exactly the f64 its shortest representation denotes (as Python's `json`
    /// does), so `to_json()` / pickling (which re-decode `to_json` output) never drift a value.
    #[test]
    fn floats_decode_exactly(x in any_finite_f64(), python_repr in any::<bool>()) {
        // Rust's `{:?}` and Python's `repr` both write the shortest round-tripping digits; the exponent forms differ.
        let text = if python_repr { format!("{x:e}") } else { serde_json::to_string(&x).unwrap() };
        let body = format!(r#"{{"snapshots":[{{"size_gigabytes":{text},"x":[{text}]}}]}}"#);
        let page = decode_page(body.as_bytes()).unwrap();
        let s = &page.snapshots()[0];
        let got = s.size_gigabytes.value().copied();
        prop_assert_eq!(got.map(f64::to_bits), Some(x.to_bits()), "{} decoded as {:?}", text, got);
        prop_assert_eq!(&s.extra[0].1[0], &Value::from(x), "{} in an unknown field", text);
    }

    #[test]
    fn page_number_never_panics(s in prop_oneof![
        "\\PC{0,40}",
        any::<String>(),
        "(https?://[a-z.]{1,10}(:[0-9]{1,6})?)?/v2/snapshots\\?((page|per_page|x)=[-0-9a-z%+]{0,22}&?){0,4}",
    ]) {
        let _ = page_number(&s);
    }

    #[test]
    fn page_number_reads_the_page(n in any::<u64>(), per in 1u32..300, first in any::<bool>()) {
        let link = if first {
            format!("https://api.digitalocean.com/v2/snapshots?page={n}&per_page={per}")
        } else {
            format!("/v2/snapshots?per_page={per}&page={n}")
        };
        prop_assert_eq!(page_number(&link), Some(n));
    }

    #[test]
    fn page_count_is_sane(total in proptest::option::of(any::<i64>()), linked in proptest::option::of(any::<u64>()), per_page in 1u64..=u64::MAX) {
        let n = page_count(total, linked, per_page);
        prop_assert!(n >= 1);
        match (total, linked) {
            (Some(t), _) => prop_assert_eq!(n, u64::try_from(t).unwrap_or(0).div_ceil(per_page).clamp(1, MAX_PAGES)),
            (None, Some(l)) => prop_assert_eq!(n, l.clamp(1, MAX_PAGES)),
            (None, None) => prop_assert_eq!(n, 1),
        }
        // Whatever the count, more than MAX_PAGES pages is refused before anything is sized from it.
        let pages_t = total.and_then(|t| u64::try_from(t).ok()).map(|t| t.div_ceil(per_page));
        let too_many = pages_t.is_some_and(|p| p > MAX_PAGES) || linked.is_some_and(|l| l > MAX_PAGES);
        prop_assert_eq!(implausible(total, linked, per_page).is_some(), too_many);
    }

    #[test]
    fn dedupe_keeps_first_of_each_id_in_order(ids in prop::collection::vec(proptest::option::of(prop_oneof![
        "[a-c]".prop_map(Value::from), (0i64..3).prop_map(Value::from)
    ]), 0..40)) {
        let snaps: Vec<Value> = ids.iter().enumerate().map(|(i, id)| match id {
            Some(id) => serde_json::json!({ "id": id, "name": i.to_string() }),
            None => serde_json::json!({ "name": i.to_string() }),
        }).collect();
        let page = decode_page(&serde_json::to_vec(&serde_json::json!({ "snapshots": snaps })).unwrap()).unwrap();
        let out = dedupe(page.snapshots().iter().cloned(), page.snapshots().len());
        let mut seen = HashSet::new();
        let expected: Vec<&Snapshot> = page.snapshots().iter()
            .filter(|s| s.id_key().is_none_or(|k| seen.insert(k)))
            .collect();
        prop_assert_eq!(out.iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn datetime_parse_never_panics(s in prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{1,3}(:[0-9]{1,3}(:[0-9]{1,3}([.,][0-9]{0,12})?)?)?([Zz]|[+-][0-9]{0,3}(:?[0-9]{0,3})?)?)?.{0,2}",
    ]) {
        if let Some(t) = UtcDateTime::parse(&s) {
            let _ = t.to_rfc3339();
            let _ = t.unix_micros();
        }
    }

    #[test]
    fn valid_timestamps_round_trip(
        (year, month, day) in (1i32..=9999, 1u8..=12).prop_flat_map(|(y, m)| {
            let days = match m { 2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29, 2 => 28, 4 | 6 | 9 | 11 => 30, _ => 31 };
            (Just(y), Just(m), 1u8..=days)
        }),
        hour in 0u8..24, minute in 0u8..60, second in 0u8..60, micro in prop_oneof![Just(0u32), 0u32..1_000_000],
        offset_min in prop_oneof![Just(None::<i32>), (-(23 * 60 + 59)..=(23 * 60 + 59i32)).prop_map(Some)],
    ) {
        let base = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        let canonical = if micro == 0 { format!("{base}Z") } else { format!("{base}.{micro:06}Z") };
        let t = UtcDateTime::parse(&canonical);
        prop_assert!(t.is_some(), "valid timestamp refused: {}", canonical);
        let t = t.unwrap();
        prop_assert_eq!(t.to_rfc3339(), canonical.clone());
        prop_assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second, t.micro), (year, month, day, hour, minute, second, micro));
        prop_assert_eq!(UtcDateTime::from_unix(t.unix_micros().div_euclid(1_000_000), micro), t);
        if let Some(off) = offset_min {
            // The same instant written in local time with an offset parses to the same UTC instant.
            let local_secs = t.unix_micros().div_euclid(1_000_000) + i64::from(off) * 60;
            let local = UtcDateTime::from_unix(local_secs, micro);
            if (1..=9999).contains(&local.year) {
                let frac = if micro == 0 { String::new() } else { format!(".{micro:06}") };
                let sign = if off < 0 { '-' } else { '+' };
                let (oh, om) = (off.abs() / 60, off.abs() % 60);
                let text = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{sign}{oh:02}:{om:02}",
                    local.year, local.month, local.day, local.hour, local.minute, local.second
                );
                prop_assert_eq!(UtcDateTime::parse(&text), Some(t), "{}", text);
            }
        }
    }
}
