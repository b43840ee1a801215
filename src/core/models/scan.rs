//! The fast path of `decode_page` / `decode_envelope`: one pass over the body's bytes, written for this schema,
//! straight into the models (no `deserialize_any`, no visitor per field, no `serde_json::Value` except for what is
//! kept as sent: `Field::Raw` values and unknown keys, which serde_json parses from their span).
//!
//! It gives exactly what the serde decoder (`decode.rs`) gives, or `None`: for anything it doesn't handle itself
//! (invalid JSON, a structural error, a byte-order mark, very deep nesting), the caller decodes the whole body
//! again with serde, so error messages (with their JSON path and position) and every lenient rule stay the
//! serde decoder's. `tests/props.rs` checks both decoders agree on generated and hostile pages.
//!
//! Numbers: non-negative integers of up to 18 digits and plain decimals of up to 15 significant digits are read
//! here (exact: the mantissa and the power of ten are both exact f64s, so one division is correctly rounded —
//! Clinger's fast path, as in serde_json's own parser); every other number goes to serde_json (`float_roundtrip`).

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::{Field, Links, Meta, Obj, Pages, Snapshot, SnapshotEnvelope, SnapshotPage, Str, Timestamp};

/// Nesting (objects and arrays, the page's own included) past which the scanner hands the body to serde, whose
/// recursion limit (128) then decides.
const MAX_DEPTH: usize = 100;

/// Exact powers of ten for the fast float path.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The list answer, or `None` when serde must decide.
pub fn scan_page(body: &[u8]) -> Option<SnapshotPage> {
    let mut s = Scanner::new(body)?;
    let mut out = SnapshotPage::default();
    s.object(1, |s, key| {
        match key {
            "snapshots" => out.snapshots = s.snapshots()?,
            "links" => out.links = s.obj(|s| s.links())?,
            "meta" => out.meta = s.obj(|s| s.meta())?,
            _ => out.extra.push((key.to_owned(), s.raw(1)?)),
        }
        Some(())
    })?;
    s.end()?;
    Some(out)
}

/// The retrieve answer, or `None` when serde must decide.
pub fn scan_envelope(body: &[u8]) -> Option<SnapshotEnvelope> {
    let mut s = Scanner::new(body)?;
    let mut out = SnapshotEnvelope::default();
    s.object(1, |s, key| {
        match key {
            "snapshot" => {
                out.snapshot = s.obj(|s| {
                    let mut one = Snapshot::default();
                    s.snapshot(2, &mut one).map(|()| one)
                })?
            }
            _ => out.extra.push((key.to_owned(), s.raw(1)?)),
        }
        Some(())
    })?;
    s.end()?;
    Some(out)
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
    /// The strings of the list being read: each list then costs one allocation of its exact size.
    scratch: Vec<Str>,
}

/// A number as the serde decoder's visitor would have received it.
enum Num {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Num {
    fn value(&self) -> Value {
        match *self {
            Num::U64(v) => Value::from(v),
            Num::I64(v) => Value::from(v),
            Num::F64(v) => Value::from(v),
        }
    }
}

impl<'a> Scanner<'a> {
    /// One UTF-8 check of the whole body (as the serde path does); every slice below starts and ends at ASCII.
    fn new(body: &'a [u8]) -> Option<Self> {
        Some(Self {
            text: std::str::from_utf8(body).ok()?,
            at: 0,
            scratch: Vec::new(),
        })
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn ws(&mut self) {
        let b = self.bytes();
        while let Some(c) = b.get(self.at) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// Only whitespace left.
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.at == self.text.len()).then_some(())
    }

    /// An object: `f` reads the value of each key (called after the `:`). `depth` counts this object.
    fn object(&mut self, depth: usize, mut f: impl FnMut(&mut Self, &str) -> Option<()>) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.eat(b':')?;
            self.ws();
            f(self, &key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string (at its opening quote): borrowed when it has no escapes, else unescaped by serde_json.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let b = self.bytes();
        let start = self.at + 1;
        let mut i = start;
        let mut escaped = false;
        // Eight bytes at a time up to the first one that needs a look: `"`, `\\` or a control character.
        while let Some(word) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().ok()?);
            let special =
                zero_byte(w ^ (LANES * u64::from(b'"'))) | zero_byte(w ^ (LANES * u64::from(b'\\'))) | below_space(w);
            if special != 0 {
                i += (special.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        loop {
            match *b.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                c if c < 0x20 => return None,
                _ => i += 1,
            }
        }
        self.at = i + 1;
        if escaped {
            serde_json::from_str::<String>(self.text.get(start - 1..i + 1)?)
                .ok()
                .map(Cow::Owned)
        } else {
            self.text.get(start..i).map(Cow::Borrowed)
        }
    }

    /// `null` (the next value is known to start with `n`).
    fn null(&mut self) -> Option<()> {
        (self.bytes().get(self.at..self.at + 4)? == b"null").then(|| self.at += 4)
    }

    /// Any value, as serde_json's `Value` (parsed from its span). `depth`: the containers around it.
    fn raw(&mut self, depth: usize) -> Option<Value> {
        let start = self.at;
        self.skip(depth)?;
        serde_json::from_str(self.text.get(start..self.at)?).ok()
    }

    /// Moves past one value without reading it (serde_json validates the span afterwards).
    fn skip(&mut self, depth: usize) -> Option<()> {
        let b = self.bytes();
        let mut nesting = 0usize;
        loop {
            match *b.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    loop {
                        match *b.get(self.at)? {
                            b'"' => break,
                            b'\\' => self.at += 2,
                            _ => self.at += 1,
                        }
                    }
                    self.at += 1;
                }
                b'{' | b'[' => {
                    nesting += 1;
                    if depth + nesting > MAX_DEPTH {
                        return None;
                    }
                    self.at += 1;
                    continue;
                }
                b'}' | b']' => {
                    nesting = nesting.checked_sub(1)?;
                    self.at += 1;
                }
                b',' | b':' | b' ' | b'\n' | b'\r' | b'\t' if nesting > 0 => {
                    self.at += 1;
                    continue;
                }
                _ => {
                    // A scalar: up to the next delimiter.
                    while let Some(c) = b.get(self.at) {
                        if matches!(
                            c,
                            b',' | b':' | b'}' | b']' | b'"' | b' ' | b'\n' | b'\r' | b'\t' | b'{' | b'['
                        ) {
                            break;
                        }
                        self.at += 1;
                    }
                }
            }
            if nesting == 0 {
                return Some(());
            }
        }
    }

    /// A number (at its first byte), as serde_json would hand it to a visitor.
    fn number(&mut self) -> Option<Num> {
        let b = self.bytes();
        let start = self.at;
        while let Some(c) = b.get(self.at) {
            if !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                break;
            }
            self.at += 1;
        }
        let span = &b[start..self.at];
        if let Some(n) = fast_number(span) {
            return Some(n);
        }
        let n: Number = serde_json::from_str(self.text.get(start..self.at)?).ok()?;
        if let Some(v) = n.as_u64() {
            Some(Num::U64(v))
        } else if let Some(v) = n.as_i64() {
            Some(Num::I64(v))
        } else {
            n.as_f64().map(Num::F64)
        }
    }

    /// A field of the documented type `T`, by the rules of the serde decoder's `Lenient`.
    fn field<T>(
        &mut self,
        depth: usize,
        from_str: impl FnOnce(Cow<'a, str>) -> Result<T, Cow<'a, str>>,
        from_num: impl FnOnce(&Num) -> Option<T>,
    ) -> Option<Field<T>> {
        Some(match self.bytes().get(self.at)? {
            b'n' => {
                self.null()?;
                Field::Null
            }
            b'"' => {
                // `from_str` hands the text back when it is not the documented type.
                match from_str(self.string()?) {
                    Ok(v) => Field::Value(v),
                    Err(s) => Field::Raw(Box::new(Value::String(s.into_owned()))),
                }
            }
            b'-' | b'0'..=b'9' => {
                let n = self.number()?;
                match from_num(&n) {
                    Some(v) => Field::Value(v),
                    None => Field::Raw(Box::new(n.value())),
                }
            }
            _ => Field::Raw(Box::new(self.raw(depth)?)),
        })
    }

    fn text(&mut self, depth: usize) -> Option<Field<Str>> {
        self.field(depth, |s| Ok(Str::from(s.as_ref())), |_| None)
    }

    fn int(&mut self, depth: usize) -> Option<Field<i64>> {
        self.field(depth, Err, |n| match *n {
            Num::U64(v) => i64::try_from(v).ok(),
            Num::I64(v) => Some(v),
            Num::F64(v) => (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64),
        })
    }

    fn float(&mut self, depth: usize) -> Option<Field<f64>> {
        self.field(depth, Err, |n| {
            Some(match *n {
                Num::U64(v) => v as f64,
                Num::I64(v) => v as f64,
                Num::F64(v) => v,
            })
        })
    }

    /// A list of strings; any other element keeps the whole list as sent.
    fn texts(&mut self, depth: usize) -> Option<Field<Vec<Str>>> {
        if self.bytes().get(self.at)? != &b'[' {
            return self.field(depth, Err, |_| None);
        }
        if depth + 1 > MAX_DEPTH {
            return None;
        }
        let start = self.at;
        self.at += 1;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Field::Value(Vec::new()));
        }
        self.scratch.clear();
        loop {
            if self.peek()? != b'"' {
                self.at = start;
                return Some(Field::Raw(Box::new(self.raw(depth)?)));
            }
            let s = Str::from(self.string()?.as_ref());
            self.scratch.push(s);
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Field::Value(self.scratch.drain(..).collect()));
                }
                _ => return None,
            }
        }
    }

    /// A nested object the client relies on: object or `null`; anything else is serde's error to report.
    fn obj<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Obj<T>> {
        match self.bytes().get(self.at)? {
            b'n' => self.null().map(|()| Obj::Null),
            b'{' => f(self).map(Obj::Value),
            _ => None,
        }
    }

    fn snapshots(&mut self) -> Option<Obj<Vec<Snapshot>>> {
        match self.bytes().get(self.at)? {
            b'n' => return self.null().map(|()| Obj::Null),
            b'[' => self.at += 1,
            _ => return None,
        }
        let mut out = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Obj::Value(out));
        }
        loop {
            if self.peek()? != b'{' {
                return None;
            }
            let start = self.at;
            // Read straight into its place in the vector: a row is a few hundred bytes, and building it on the
            // stack first cost two copies of each (a tenth of the decode).
            out.push(Snapshot::default());
            self.snapshot(3, out.last_mut()?)?;
            if out.len() == 1 {
                // Room for as many more as would fit in the rest of the body if they were as long as this one
                // (a page's snapshots are much alike), instead of growing by doubling.
                let len = (self.at - start).max(64);
                out.reserve((self.text.len() - self.at) / len + 1);
            }
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    if out.capacity() - out.len() > out.len() / 8 {
                        out.shrink_to_fit();
                    }
                    return Some(Obj::Value(out));
                }
                _ => return None,
            }
        }
    }

    /// A snapshot object into `out` (a default one); `depth` counts it.
    fn snapshot(&mut self, depth: usize, out: &mut Snapshot) -> Option<()> {
        self.object(depth, |s, key| {
            match key {
                "id" => out.id = s.text(depth)?,
                "name" => out.name = s.text(depth)?,
                "created_at" => out.created_at = Timestamp(s.text(depth)?),
                "regions" => out.regions = s.texts(depth)?,
                "resource_id" => out.resource_id = s.text(depth)?,
                "resource_type" => out.resource_type = s.text(depth)?,
                "min_disk_size" => out.min_disk_size = s.int(depth)?,
                "size_gigabytes" => out.size_gigabytes = s.float(depth)?,
                "tags" => out.tags = s.texts(depth)?,
                _ => out.extra.push((key.to_owned(), s.raw(depth)?)),
            }
            Some(())
        })
    }

    fn meta(&mut self) -> Option<Meta> {
        let mut out = Meta::default();
        self.object(2, |s, key| {
            match key {
                "total" => out.total = s.int(2)?,
                _ => out.extra.push((key.to_owned(), s.raw(2)?)),
            }
            Some(())
        })?;
        Some(out)
    }

    fn links(&mut self) -> Option<Links> {
        let mut out = Links::default();
        self.object(2, |s, key| {
            match key {
                "pages" => out.pages = s.obj(|s| s.pages())?,
                _ => out.extra.push((key.to_owned(), s.raw(2)?)),
            }
            Some(())
        })?;
        Some(out)
    }

    fn pages(&mut self) -> Option<Pages> {
        let mut out = Pages::default();
        self.object(3, |s, key| {
            match key {
                "first" => out.first = s.text(3)?,
                "prev" => out.prev = s.text(3)?,
                "next" => out.next = s.text(3)?,
                "last" => out.last = s.text(3)?,
                _ => out.extra.push((key.to_owned(), s.raw(3)?)),
            }
            Some(())
        })?;
        Some(out)
    }
}

/// `0x0101…01`: one in each byte of a `u64`.
const LANES: u64 = u64::MAX / 255;

/// The high bit of each byte of `w` that is zero. The lowest marked byte is always a zero one (a borrow can only
/// mark bytes above a real one), which is all the string scan needs.
fn zero_byte(w: u64) -> u64 {
    w.wrapping_sub(LANES) & !w & (LANES << 7)
}

/// Like [`zero_byte`], for bytes below 0x20 (control characters, which a JSON string must not hold raw).
fn below_space(w: u64) -> u64 {
    w.wrapping_sub(LANES * 0x20) & !w & (LANES << 7)
}

/// Integers of up to 18 digits and plain decimals of up to 15 digits, read exactly; `None` for anything else
/// (including what JSON forbids: leading zeros, a bare `.`), which serde_json then reads or refuses.
fn fast_number(span: &[u8]) -> Option<Num> {
    let (int, frac) = match span.iter().position(|&c| c == b'.') {
        Some(dot) => (&span[..dot], Some(&span[dot + 1..])),
        None => (span, None),
    };
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digits = |d: &[u8]| d.iter().fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));
    match frac {
        None if int.len() <= 18 => Some(Num::U64(digits(int))),
        Some(frac) if !frac.is_empty() && int.len() + frac.len() <= 15 && frac.iter().all(u8::is_ascii_digit) => {
            let mantissa = digits(int) * 10u64.pow(frac.len() as u32) + digits(frac);
            Some(Num::F64(mantissa as f64 / POW10[frac.len()]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_scan_finds_the_first_special_byte() {
        for (text, end) in [
            (&b"\"abcdefghijklmnop\""[..], Some("abcdefghijklmnop")),
            (b"\"abcdefg\"", Some("abcdefg")),
            (b"\"abcdefgh\"xx", Some("abcdefgh")),
            (b"\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", Some("ééééé")),
            (b"\"abc\x1fdefghijk\"", None),
            (b"\"abcdefghijk\x7f\"", Some("abcdefghijk\x7f")),
            (b"\"ab\\\"cdefghijklm\"", Some("ab\"cdefghijklm")),
        ] {
            let mut s = Scanner::new(text).unwrap();
            assert_eq!(s.string().as_deref(), end, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn fast_numbers() {
        assert!(matches!(fast_number(b"25"), Some(Num::U64(25))));
        assert!(matches!(fast_number(b"0"), Some(Num::U64(0))));
        assert!(matches!(fast_number(b"2.34"), Some(Num::F64(v)) if v == 2.34));
        assert!(matches!(fast_number(b"0.1008"), Some(Num::F64(v)) if v == 0.1008));
        for slow in [
            &b"01"[..],
            b"-1",
            b"1e3",
            b"1.",
            b".5",
            b"1.2.3",
            b"1234567890123456789",
            b"0.1234567890123456",
        ] {
            assert!(fast_number(slow).is_none(), "{}", String::from_utf8_lossy(slow));
        }
    }

    #[test]
    fn hands_unusual_bodies_to_serde() {
        for body in [
            &b""[..],
            b"\xef\xbb\xbf{}",
            b"{\"snapshots\":{}}",
            b"{\"snapshots\":[1]}",
            b"{\"a\":1,}",
            b"{} x",
            b"{\"a\":\"\x01\"}",
            b"{\"a\":nul}",
        ] {
            assert!(scan_page(body).is_none(), "{}", String::from_utf8_lossy(body));
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(120), "]".repeat(120));
        assert!(scan_page(deep.as_bytes()).is_none());
    }

    #[test]
    fn reads_a_page() {
        let body = br#" {"snapshots":[{"id":"1","name":"a\u00e9","regions":["nyc1"],"tags":[],"min_disk_size":2.0,
            "size_gigabytes":3,"x":{"y":[1,"]"]}}],"meta":{"total":1},"links":{"pages":null}} "#;
        let page = scan_page(body).unwrap();
        let s = &page.snapshots()[0];
        assert_eq!(s.name, Field::Value("a\u{e9}".into()));
        assert_eq!(s.min_disk_size, Field::Value(2));
        assert_eq!(s.size_gigabytes, Field::Value(3.0));
        assert_eq!(s.tags, Field::Value(vec![]));
        assert_eq!(s.extra, vec![("x".to_owned(), serde_json::json!({"y": [1, "]"]}))]);
        assert_eq!(page.total(), Some(1));
        assert_eq!(page.links.value().unwrap().pages, Obj::Null);
    }
}
