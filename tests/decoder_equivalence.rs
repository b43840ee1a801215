//! The one-pass scanner behind `decode_page` / `decode_envelope` against the serde decoder it replaces (kept as
//! `decode_page_serde` / `decode_envelope_serde`, the oracle): on every generated or hostile body both give the
//! same models (compared by their `Debug` text, so `-0.0` and `0.0` differ) or the same error message.
//! `cargo test --no-default-features --profile fast --test decoder_equivalence`; `PROPTEST_CASES=100000` for
//! long runs.

use _core::core::models::{decode_envelope, decode_envelope_serde, decode_page, decode_page_serde, scan_page};
use proptest::prelude::*;

mod common;
use common::config;

/// JSON as text, so the generator controls what a `serde_json::Value` can't express: escapes, duplicate keys,
/// whitespace, number spellings.
#[derive(Debug, Clone)]
enum J {
    Lit(&'static str),
    Num(String),
    Str(String, Escape),
    Arr(Vec<J>),
    Obj(Vec<(String, Escape, J)>),
    /// Arrays nested this deep around `null` (serde's recursion limit is 128).
    Deep(usize),
    /// Bytes as they are (possibly invalid JSON).
    Junk(String),
}

#[derive(Debug, Clone, Copy)]
enum Escape {
    /// serde_json's own escaping.
    Plain,
    /// Every character as `\uXXXX` (surrogate pairs above the BMP).
    All,
    /// `\/`, `\b` and friends where they fit.
    Short,
}

fn write_str(out: &mut String, s: &str, esc: Escape) {
    match esc {
        Escape::Plain => out.push_str(&serde_json::to_string(s).unwrap()),
        Escape::All => {
            out.push('"');
            for unit in s.encode_utf16() {
                out.push_str(&format!("\\u{unit:04x}"));
            }
            out.push('"');
        }
        Escape::Short => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '/' => out.push_str("\\/"),
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
    }
}

fn render(j: &J, ws: &str, out: &mut String) {
    match j {
        J::Lit(s) => out.push_str(s),
        J::Num(s) | J::Junk(s) => out.push_str(s),
        J::Str(s, e) => write_str(out, s, *e),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                render(item, ws, out);
            }
            out.push_str(ws);
            out.push(']');
        }
        J::Obj(kv) => {
            out.push('{');
            for (i, (k, e, v)) in kv.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                write_str(out, k, *e);
                out.push_str(ws);
                out.push(':');
                out.push_str(ws);
                render(v, ws, out);
            }
            out.push_str(ws);
            out.push('}');
        }
        J::Deep(n) => {
            out.push_str(&"[".repeat(*n));
            out.push_str("null");
            out.push_str(&"]".repeat(*n));
        }
    }
}

fn escape() -> impl Strategy<Value = Escape> {
    prop_oneof![6 => Just(Escape::Plain), 1 => Just(Escape::All), 1 => Just(Escape::Short)]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        (0u64..100_000, 0u32..100_000).prop_map(|(a, b)| format!("{a}.{b}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::to_string(&f).unwrap()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        prop::sample::select(
            &[
                "0",
                "-0",
                "-0.0",
                "0.0",
                "1e400",
                "-1e400",
                "1E5",
                "0.1e-2",
                "123456789012345678901234567890",
                "18446744073709551615",
                "18446744073709551616",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "-9223372036854775809",
                "9000000000000000",
                "8999999999999999.0",
                "1.000000000000000000001",
                "0.30000000000000004",
                "999999999999999",
                "9999999999999999",
                "01",
                "1.",
                ".5",
                "-",
                "+1",
                "1e",
                "2.50",
                "100000000000000000",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "[a-z0-9-]{0,30}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
        any::<String>(),
        prop::sample::select(&["", "é", "日本", "🦀", "\u{feff}", "a\"b", "a\\b", "\u{7f}", "\u{2028}"][..])
            .prop_map(str::to_owned),
    ]
}

/// `junk`: the weight of invalid leaves (0: valid JSON only, apart from recursion depth).
fn leaf(junk: u32) -> impl Strategy<Value = J> {
    prop_oneof![
        2 => prop::sample::select(&["null", "true", "false"][..]).prop_map(J::Lit),
        3 => number().prop_map(J::Num),
        4 => (text(), escape()).prop_map(|(s, e)| J::Str(s, e)),
        1 => prop_oneof![Just(90usize), Just(97), Just(99), Just(100), Just(124), Just(125), Just(126), Just(127), Just(128), Just(130)].prop_map(J::Deep),
        junk => prop::sample::select(
            &["nul", "tru", "\"\\ud800\"", "\"\\udc00x\"", "\"\\uZZZZ\"", "\"a\u{1}b\"", "\"\\q\"", "NaN", "[1,]", "{\"a\"}", "\"x"][..]
        )
        .prop_map(|s| J::Junk(s.to_owned())),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(
            &[
                "id", "name", "created_at", "regions", "resource_id", "resource_type", "min_disk_size",
                "size_gigabytes", "tags", "snapshots", "snapshot", "meta", "links", "pages", "total", "first",
                "prev", "next", "last", "extra",
            ][..]
        )
        .prop_map(str::to_owned),
        1 => text(),
    ]
}

fn value(junk: u32) -> impl Strategy<Value = J> {
    leaf(junk).prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(J::Arr),
            // Lists of strings, the shape of `regions` and `tags`.
            prop::collection::vec((text(), escape()).prop_map(|(s, e)| J::Str(s, e)), 0..4).prop_map(J::Arr),
            prop::collection::vec((key(), escape(), inner), 0..5).prop_map(J::Obj),
        ]
    })
}

/// An object of mostly known keys (duplicates possible: it is a list of pairs).
fn object_of(vals: impl Strategy<Value = J>) -> impl Strategy<Value = J> {
    prop::collection::vec((key(), escape(), vals), 0..10).prop_map(J::Obj)
}

fn snapshot(junk: u32) -> impl Strategy<Value = J> {
    prop_oneof![8 => object_of(value(junk)), 1 => value(junk)]
}

/// Something shaped like a list or retrieve answer, with hostile values in every slot.
fn page(junk: u32) -> impl Strategy<Value = J> {
    let snapshots = prop_oneof![
        6 => prop::collection::vec(snapshot(junk), 0..6).prop_map(J::Arr),
        1 => value(junk),
    ];
    let links = prop_oneof![
        3 => object_of(object_of(value(junk))).prop_map(|j| J::Obj(vec![("pages".into(), Escape::Plain, j)])),
        1 => object_of(value(junk)),
        1 => value(junk),
    ];
    let slot = prop_oneof![
        4 => snapshots,
        2 => links,
        2 => object_of(value(junk)),
        1 => snapshot(junk),
        1 => value(junk),
    ];
    prop_oneof![
        10 => prop::collection::vec((key(), escape(), slot), 0..6).prop_map(J::Obj),
        1 => value(junk),
    ]
}

/// A body: `hostile` adds invalid leaves and junk before and after the JSON (a BOM among it).
fn body(hostile: bool) -> impl Strategy<Value = Vec<u8>> {
    let (heads, tails): (&'static [&'static str], &'static [&'static str]) = if hostile {
        (
            &["", "", "", "", " \n", "\u{feff}", "x"],
            &["", "", "", " ", "\n", "\u{feff}", "x", "{}", ",", "\u{0}"],
        )
    } else {
        (&["", " \n"], &["", " ", "\n"])
    };
    (
        page(u32::from(hostile)),
        prop::sample::select(&["", "", "", " ", "\n  ", "\t", "\r\n"][..]),
        prop::sample::select(tails),
        prop::sample::select(heads),
    )
        .prop_map(|(j, ws, tail, head)| {
            let mut out = String::from(head);
            render(&j, ws, &mut out);
            out.push_str(tail);
            out.into_bytes()
        })
}

fn same(body: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(body);
    let fast = decode_page(body).map(|p| format!("{p:?}")).map_err(|e| e.to_string());
    let oracle = decode_page_serde(body)
        .map(|p| format!("{p:?}"))
        .map_err(|e| e.to_string());
    prop_assert_eq!(fast, oracle, "decode_page differs on {}", text);
    let fast = decode_envelope(body)
        .map(|p| format!("{p:?}"))
        .map_err(|e| e.to_string());
    let oracle = decode_envelope_serde(body)
        .map(|p| format!("{p:?}"))
        .map_err(|e| e.to_string());
    prop_assert_eq!(fast, oracle, "decode_envelope differs on {}", text);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scanner_matches_serde_on_generated_pages(body in body(false)) {
        same(&body)?;
    }

    #[test]
    fn scanner_matches_serde_on_hostile_pages(body in body(true)) {
        same(&body)?;
    }

    #[test]
    fn scanner_matches_serde_on_mutated_pages(
        body in body(false),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut body = body;
        for (at, b) in flips {
            if !body.is_empty() {
                let i = at.index(body.len());
                body[i] = b;
            }
        }
        if let Some(cut) = cut {
            body.truncate(cut.index(body.len() + 1));
        }
        same(&body)?;
    }

    #[test]
    fn scanner_matches_serde_on_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
        same(&body)?;
    }
}

/// What the fake serves, 200 snapshots: both decoders agree, and the scanner really decodes it (no fallback).
#[test]
fn scanner_matches_serde_on_a_fake_page() {
    let mut snaps = Vec::new();
    for i in 0..200 {
        snaps.push(serde_json::json!({
            "id": format!("{}", 100_000 + i), "name": format!("web-{i:02}-1595954862243"),
            "created_at": "2020-07-28T16:47:44Z", "regions": ["nyc3", "sfo3"],
            "resource_id": format!("{:08x}-85cf-11e6-a004-000f53315871", i), "resource_type": "volume",
            "min_disk_size": 25, "size_gigabytes": 2.34 + i as f64 / 100.0, "tags": ["web", "env:prod"],
        }));
    }
    let page = serde_json::json!({"snapshots": snaps, "links": {"pages": {"next": "https://h/v2/snapshots?page=2"}},
        "meta": {"total": 10_000}});
    let body = serde_json::to_vec(&page).unwrap();
    same(&body).unwrap();
    assert_eq!(
        scan_page(&body)
            .expect("the scanner reads a plain page")
            .snapshots()
            .len(),
        200
    );
}

/// Every field the models declare (`Fields::FIELDS`), holding a value of each JSON kind, decodes as serde decodes
/// it: a field added to a model but not to the scanner fails here (it would land in `extra`).
#[test]
fn scanner_knows_every_declared_field() {
    use _core::core::models::{Fields, Links, Meta, Pages, Snapshot};
    let values = ["\"x\"", "7", "2.5", "null", "[\"a\",\"b\"]", "{\"k\":1}", "true"];
    type Wrap = fn(&str) -> String;
    let wrap: [(&[&str], Wrap); 4] = [
        (Snapshot::FIELDS, |kv| format!(r#"{{"snapshots":[{{{kv}}}]}}"#)),
        (Meta::FIELDS, |kv| format!(r#"{{"meta":{{{kv}}}}}"#)),
        (Links::FIELDS, |kv| format!(r#"{{"links":{{{kv}}}}}"#)),
        (Pages::FIELDS, |kv| format!(r#"{{"links":{{"pages":{{{kv}}}}}}}"#)),
    ];
    for (fields, page) in wrap {
        for field in fields {
            for v in values {
                let body = page(&format!("\"{field}\":{v}"));
                same(body.as_bytes()).unwrap();
                let scanned = scan_page(body.as_bytes());
                if let Some(p) = &scanned {
                    let text = format!("{p:?}");
                    assert!(
                        !text.contains(&format!("(\"{field}\"")),
                        "{field} went to extra: {text}"
                    );
                }
            }
        }
        let envelope = r#"{"snapshot":{"id":"1","name":"n"}}"#;
        same(envelope.as_bytes()).unwrap();
    }
}
