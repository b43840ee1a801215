//! Choosing snapshots: filters, "the newest per group", sorting and age strings.
//!
//! Everything works on a slice of [`Snapshot`]s and answers with row indices, so the caller keeps one copy of the
//! data and can chain steps (`select_in` → `most_recent_in` → `sort_in`). Nothing here allocates per row on the
//! filter path: the name pattern (glob or regex) is compiled once into a [`Regex`], tags and regions are compared
//! in place.
//!
//! Semantics of the filters (all given ones must hold; an empty list or `None` means "no condition"):
//!
//! - `name`: a glob (`*`, `?`, `[...]`, `[!...]`, matched against the whole name and case-sensitively, like
//!   Python's `fnmatch.fnmatchcase`) or a regex (the `regex` crate's syntax, found anywhere in the name, like
//!   `re.search`). A snapshot without a name never matches.
//! - `tags_any`: the snapshot carries at least one of the tags; `tags_all`: it carries every one of them.
//!   Untagged snapshots (`tags` null or absent) match neither.
//! - `regions`: the snapshot is in at least one of the regions.
//! - `resource_type`, `resource_id`: equal (a numeric `resource_id` compares as its decimal text).
//! - `older_than` / `newer_than`: absolute cutoffs in unix microseconds: `created_at < older_than`,
//!   `created_at >= newer_than`. A snapshot whose `created_at` is missing or unparseable matches neither.
//! - `min_size_gb`: `size_gigabytes >= min_size_gb`; a snapshot without a size doesn't match.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use regex::Regex;

use crate::core::error::{Error, Result};
use crate::core::models::{Field, Snapshot, Str};

/// The group of snapshots whose group key (resource id, region, tag...) is missing.
pub const NONE_GROUP: &str = "(none)";

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A compiled name pattern.
#[derive(Debug, Clone)]
pub struct NamePattern {
    regex: Regex,
    /// The pattern as given (for reprs and errors).
    pub source: String,
    pub is_glob: bool,
}

impl NamePattern {
    /// A glob with Python's `fnmatch.fnmatchcase` rules, compiled to an anchored regex.
    pub fn glob(pattern: &str) -> Result<Self> {
        let translated = glob_to_regex(pattern);
        let regex = Regex::new(&translated)
            .map_err(|e| Error::invalid("name", format!("name: cannot compile the glob {pattern:?}: {e}")))?;
        Ok(Self {
            regex,
            source: pattern.to_owned(),
            is_glob: true,
        })
    }

    /// A regex in the `regex` crate's syntax, searched anywhere in the name (`re.search`). Python flags arrive
    /// as inline groups (`(?i)`, `(?m)`, `(?s)`, `(?x)`). Look-around and back-references are not supported by
    /// the crate and give an error saying so.
    pub fn regex(pattern: &str) -> Result<Self> {
        let regex = Regex::new(pattern).map_err(|e| {
            Error::invalid(
                "name",
                format!(
                    "name: the regex {pattern:?} is not supported by the Rust regex engine (no look-around or \
                     back-references): {e}"
                ),
            )
        })?;
        Ok(Self {
            regex,
            source: pattern.to_owned(),
            is_glob: false,
        })
    }

    pub fn is_match(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }

    pub fn as_regex(&self) -> &Regex {
        &self.regex
    }
}

/// Translates a glob to an anchored regex, following `fnmatch.translate`: `*` any run, `?` any one character,
/// `[seq]` / `[!seq]` a class (a `]` right after the opening bracket is literal; reversed ranges such as `z-a`
/// are dropped, and a class left empty matches nothing), an unclosed `[` is a literal bracket.
pub fn glob_to_regex(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() * 2 + 12);
    out.push_str(r"(?s)\A(?:");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                while i < chars.len() && chars[i] == '*' {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                // Find the closing bracket: a `!` and then a `]` right after `[` are part of the class.
                let mut j = i;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str(r"\[");
                    continue;
                }
                let body = &chars[i..j];
                i = j + 1;
                let (negate, body) = match body.first() {
                    Some('!') => (true, &body[1..]),
                    _ => (false, body),
                };
                let mut class = String::new();
                let mut k = 0;
                while k < body.len() {
                    if k + 2 < body.len() && body[k + 1] == '-' {
                        let (lo, hi) = (body[k], body[k + 2]);
                        if lo <= hi {
                            push_class_char(&mut class, lo);
                            class.push('-');
                            push_class_char(&mut class, hi);
                        }
                        k += 3;
                    } else {
                        push_class_char(&mut class, body[k]);
                        k += 1;
                    }
                }
                match (class.is_empty(), negate) {
                    // An empty class matches nothing.
                    (true, false) => out.push_str(r"[^\s\S]"),
                    (true, true) => out.push('.'),
                    (false, false) => {
                        out.push('[');
                        out.push_str(&class);
                        out.push(']');
                    }
                    (false, true) => {
                        out.push_str("[^");
                        out.push_str(&class);
                        out.push(']');
                    }
                }
            }
            other => {
                let mut buf = [0u8; 4];
                out.push_str(&regex::escape(other.encode_utf8(&mut buf)));
            }
        }
    }
    out.push_str(r")\z");
    out
}

fn push_class_char(class: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        class.push('\\');
    }
    class.push(c);
}

/// What to keep. Build it with struct-update syntax from `Filter::default()`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub name: Option<NamePattern>,
    pub tags_any: Vec<Str>,
    pub tags_all: Vec<Str>,
    /// Any of these regions.
    pub regions: Vec<Str>,
    pub resource_type: Option<Str>,
    pub resource_id: Option<Str>,
    /// `created_at` strictly before this (unix micros).
    pub older_than: Option<i64>,
    /// `created_at` at or after this (unix micros).
    pub newer_than: Option<i64>,
    pub min_size_gb: Option<f64>,
}

/// `created_at` in unix microseconds, when it parses.
pub fn created_micros(row: &Snapshot) -> Option<i64> {
    row.created_at
        .0
        .value()
        .and_then(|s| crate::core::datetime::UtcDateTime::parse_micros(s))
}

fn list(f: &Field<Vec<Str>>) -> &[Str] {
    f.value().map_or(&[], Vec::as_slice)
}

fn has(list: &[Str], wanted: &str) -> bool {
    list.iter().any(|s| s == wanted)
}

impl Filter {
    /// Whether one snapshot passes every condition.
    pub fn matches(&self, row: &Snapshot) -> bool {
        if let Some(rt) = &self.resource_type {
            if row.resource_type.value() != Some(rt) {
                return false;
            }
        }
        if let Some(rid) = &self.resource_id {
            match row.resource_id.text() {
                Some(v) if v == rid.as_str() => {}
                _ => return false,
            }
        }
        if let Some(min) = self.min_size_gb {
            match row.size_gigabytes.value() {
                Some(v) if *v >= min => {}
                _ => return false,
            }
        }
        if !self.regions.is_empty() {
            let regions = list(&row.regions);
            if !self.regions.iter().any(|r| has(regions, r)) {
                return false;
            }
        }
        if !self.tags_any.is_empty() || !self.tags_all.is_empty() {
            let tags = list(&row.tags);
            if !self.tags_any.is_empty() && !self.tags_any.iter().any(|t| has(tags, t)) {
                return false;
            }
            if !self.tags_all.iter().all(|t| has(tags, t)) {
                return false;
            }
        }
        if self.older_than.is_some() || self.newer_than.is_some() {
            let Some(t) = created_micros(row) else {
                return false;
            };
            if self.older_than.is_some_and(|c| t >= c) || self.newer_than.is_some_and(|c| t < c) {
                return false;
            }
        }
        if let Some(p) = &self.name {
            match row.name.value() {
                Some(n) if p.is_match(n) => {}
                _ => return false,
            }
        }
        true
    }
}

/// Indices of the rows that pass `f`, in row order.
pub fn select(rows: &[Snapshot], f: &Filter) -> Vec<usize> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| f.matches(r))
        .map(|(i, _)| i)
        .collect()
}

/// Like [`select`], among the rows `idx` (order kept). Indices out of range are skipped.
pub fn select_in(rows: &[Snapshot], idx: &[usize], f: &Filter) -> Vec<usize> {
    idx.iter()
        .copied()
        .filter(|&i| rows.get(i).is_some_and(|r| f.matches(r)))
        .collect()
}

/// What snapshots are grouped by (in `most_recent`, retention plans and summaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    ResourceId,
    ResourceType,
    Region,
    Tag,
    Name,
    /// One group for everything.
    Nothing,
}

impl GroupBy {
    pub const NAMES: [&'static str; 6] = ["resource_id", "resource_type", "region", "tag", "name", "none"];

    /// Parses `resource_id`, `resource_type`, `region`, `tag`, `name` or `none`; `param` names the argument in
    /// the error.
    pub fn parse(param: &'static str, s: &str) -> Result<Self> {
        Ok(match s {
            "resource_id" => Self::ResourceId,
            "resource_type" => Self::ResourceType,
            "region" | "regions" => Self::Region,
            "tag" | "tags" => Self::Tag,
            "name" => Self::Name,
            "none" => Self::Nothing,
            other => {
                return Err(Error::invalid(
                    param,
                    format!("{param} must be one of {}, got {other:?}", Self::NAMES.join(", ")),
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResourceId => "resource_id",
            Self::ResourceType => "resource_type",
            Self::Region => "region",
            Self::Tag => "tag",
            Self::Name => "name",
            Self::Nothing => "none",
        }
    }

    /// Calls `each` with every group the row belongs to: one key for single-valued fields, one per region / tag
    /// (duplicates within a row are skipped), [`NONE_GROUP`] when the field is missing or empty, `""` for
    /// [`GroupBy::Nothing`].
    pub fn for_each_key(self, row: &Snapshot, mut each: impl FnMut(&str)) {
        self.for_each_key_ref(row, |key| each(&key));
    }

    /// [`GroupBy::for_each_key`], the keys borrowed from the row when they can be (to keep them).
    pub fn for_each_key_ref<'a>(self, row: &'a Snapshot, mut each: impl FnMut(Cow<'a, str>)) {
        let multi = |list: &'a [Str], each: &mut dyn FnMut(Cow<'a, str>)| {
            if list.is_empty() {
                each(Cow::Borrowed(NONE_GROUP));
            }
            for (i, s) in list.iter().enumerate() {
                if !list[..i].contains(s) {
                    each(Cow::Borrowed(s.as_str()));
                }
            }
        };
        let one = |f: &'a Field<Str>| Cow::Borrowed(f.value().map_or(NONE_GROUP, Str::as_str));
        match self {
            Self::ResourceId => each(row.resource_id.text().unwrap_or(Cow::Borrowed(NONE_GROUP))),
            Self::ResourceType => each(one(&row.resource_type)),
            Self::Name => each(one(&row.name)),
            Self::Region => multi(list(&row.regions), &mut each),
            Self::Tag => multi(list(&row.tags), &mut each),
            Self::Nothing => each(Cow::Borrowed("")),
        }
    }

    /// The single group of a row for retention: single-valued fields as they are, regions and tags as the sorted,
    /// de-duplicated set joined with `,` (like restic's `--group-by tags`), so every row is in exactly one group.
    /// `None` when the field is missing (or the list empty): those rows form one group of their own.
    pub fn single_key(self, row: &Snapshot) -> Option<String> {
        self.single_key_ref(row).map(Cow::into_owned)
    }

    /// [`GroupBy::single_key`], borrowed from the row when it can be.
    pub fn single_key_ref(self, row: &Snapshot) -> Option<Cow<'_, str>> {
        match self {
            Self::ResourceId => row.resource_id.text(),
            Self::ResourceType => row.resource_type.value().map(|s| Cow::Borrowed(s.as_str())),
            Self::Name => row.name.value().map(|s| Cow::Borrowed(s.as_str())),
            Self::Region => joined_set(list(&row.regions)),
            Self::Tag => joined_set(list(&row.tags)),
            Self::Nothing => Some(Cow::Borrowed("")),
        }
    }
}

/// A list as one group key: `None` when empty, else its sorted, de-duplicated items joined with `,`.
fn joined_set(list: &[Str]) -> Option<Cow<'_, str>> {
    match list {
        [] => None,
        [one] => Some(Cow::Borrowed(one.as_str())),
        _ => {
            let mut v: Vec<&str> = list.iter().map(Str::as_str).collect();
            v.sort_unstable();
            v.dedup();
            Some(Cow::Owned(v.join(",")))
        }
    }
}

/// The newest row of each group (see [`GroupBy::for_each_key`]; with `region`/`tag` a row can be the newest of
/// several groups and is listed once). Rows whose `created_at` is missing or unparseable are never chosen; ties
/// on `created_at` go to the row that comes first. Answered in row order.
pub fn most_recent(rows: &[Snapshot], group_by: GroupBy) -> Vec<usize> {
    let all: Vec<usize> = (0..rows.len()).collect();
    most_recent_in(rows, &all, group_by)
}

/// Like [`most_recent`], among the rows `idx`; answered in the order of `idx`.
pub fn most_recent_in(rows: &[Snapshot], idx: &[usize], group_by: GroupBy) -> Vec<usize> {
    // Keys borrowed from the rows, hashed with FxHash (no allocation per group, no SipHash per row).
    let mut best: HashMap<Cow<'_, str>, (i64, usize), FxBuild> =
        HashMap::with_capacity_and_hasher(idx.len() / 2, FxBuild);
    for (pos, &i) in idx.iter().enumerate() {
        let Some(row) = rows.get(i) else { continue };
        let Some(t) = created_micros(row) else { continue };
        group_by.for_each_key_ref(row, |key| match best.get_mut(key.as_ref()) {
            Some(slot) => {
                if t > slot.0 {
                    *slot = (t, pos);
                }
            }
            None => {
                best.insert(key, (t, pos));
            }
        });
    }
    let mut chosen: Vec<usize> = best.into_values().map(|(_, pos)| pos).collect();
    chosen.sort_unstable();
    chosen.dedup();
    chosen.into_iter().map(|pos| idx[pos]).collect()
}

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    Name,
    SizeGigabytes,
    MinDiskSize,
    Id,
    ResourceId,
    ResourceType,
}

impl SortField {
    pub const NAMES: [&'static str; 7] = [
        "created_at",
        "name",
        "size_gigabytes",
        "min_disk_size",
        "id",
        "resource_id",
        "resource_type",
    ];

    pub fn parse(param: &'static str, s: &str) -> Result<Self> {
        Ok(match s {
            "created_at" => Self::CreatedAt,
            "name" => Self::Name,
            "size_gigabytes" => Self::SizeGigabytes,
            "min_disk_size" => Self::MinDiskSize,
            "id" => Self::Id,
            "resource_id" => Self::ResourceId,
            "resource_type" => Self::ResourceType,
            other => {
                return Err(Error::invalid(
                    param,
                    format!("{param} must be one of {}, got {other:?}", Self::NAMES.join(", ")),
                ))
            }
        })
    }
}

/// FxHash (rustc's hasher: a multiply and a rotate per word), for the short keys of [`most_recent_in`]; the keys
/// come from the API, but a slow map only costs the caller time, it can't change a result.
#[derive(Default, Clone, Copy)]
struct FxBuild;

#[derive(Default)]
struct Fx(u64);

impl std::hash::BuildHasher for FxBuild {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }
    fn finish(&self) -> u64 {
        // The multiply leaves the high bits well mixed and the low ones poor; hashbrown picks buckets with the
        // low bits (rustc-hash 2 rotates likewise).
        self.0.rotate_left(26)
    }
}

/// Rows with the sort key, by their position in `idx`, sorted (unstable sort on (key, position): positions are
/// unique, so equal keys keep their order in either direction, as a stable sort would); then the rows without it.
fn sorted<K>(
    idx: &[usize],
    mut keyed: Vec<(K, usize)>,
    missing: Vec<usize>,
    cmp: impl Fn(&K, &K) -> Ordering,
    reverse: bool,
) -> Vec<usize> {
    keyed.sort_unstable_by(|a, b| {
        let by_key = cmp(&a.0, &b.0);
        if reverse { by_key.reverse() } else { by_key }.then(a.1.cmp(&b.1))
    });
    keyed
        .into_iter()
        .map(|(_, pos)| idx[pos])
        .chain(missing.into_iter().map(|pos| idx[pos]))
        .collect()
}

/// Each row of `idx` with its key (`None`: missing), by position.
fn keyed<'a, K>(
    rows: &'a [Snapshot],
    idx: &[usize],
    key: impl Fn(&'a Snapshot) -> Option<K>,
) -> (Vec<(K, usize)>, Vec<usize>) {
    let mut keyed = Vec::with_capacity(idx.len());
    let mut missing = Vec::new();
    for (pos, &i) in idx.iter().enumerate() {
        let Some(row) = rows.get(i) else { continue };
        match key(row) {
            Some(k) => keyed.push((k, pos)),
            None => missing.push(pos),
        }
    }
    (keyed, missing)
}

/// Row indices sorted by `field` (ascending, or descending with `reverse`). Stable: equal keys keep their order
/// in either direction (like Python's `sorted(..., reverse=True)`). Rows without the field (missing, null, an
/// unexpected type, an unparseable `created_at`) come last, in their original order. Strings compare by
/// code point.
pub fn sort_by(rows: &[Snapshot], field: SortField, reverse: bool) -> Vec<usize> {
    let all: Vec<usize> = (0..rows.len()).collect();
    sort_in(rows, &all, field, reverse)
}

/// Like [`sort_by`], for the rows `idx` (indices out of range are dropped).
pub fn sort_in(rows: &[Snapshot], idx: &[usize], field: SortField, reverse: bool) -> Vec<usize> {
    let text = |f: fn(&Snapshot) -> Option<Cow<'_, str>>| {
        let (k, m) = keyed(rows, idx, f);
        sorted(idx, k, m, |a, b| a.cmp(b), reverse)
    };
    fn borrowed(f: &Field<Str>) -> Option<Cow<'_, str>> {
        f.value().map(|s| Cow::Borrowed(s.as_str()))
    }
    match field {
        SortField::CreatedAt | SortField::MinDiskSize => {
            let int = |row: &Snapshot| match field {
                SortField::CreatedAt => created_micros(row),
                _ => row.min_disk_size.value().copied(),
            };
            let (k, m) = keyed(rows, idx, int);
            sorted(idx, k, m, i64::cmp, reverse)
        }
        SortField::SizeGigabytes => {
            let (k, m) = keyed(rows, idx, |row| row.size_gigabytes.value().copied());
            sorted(idx, k, m, f64::total_cmp, reverse)
        }
        SortField::Name => text(|row| borrowed(&row.name)),
        SortField::ResourceType => text(|row| borrowed(&row.resource_type)),
        SortField::Id => text(|row| row.id.text()),
        SortField::ResourceId => text(|row| row.resource_id.text()),
    }
}

const AGE_UNITS: &str = "s (seconds), m (minutes), h (hours), d (days), w (weeks), y (365 days)";

/// [`parse_age_for`] naming the argument `age`.
pub fn parse_age(s: &str) -> Result<i64> {
    parse_age_for("age", s)
}

/// A duration such as `30d`, `12h`, `2w`, `90m`, `45s`, `1y` (365 days) or a sum of them (`1d12h`), in
/// microseconds. Whole numbers only; units are case-insensitive; spaces around the parts are allowed.
pub fn parse_age_for(param: &'static str, s: &str) -> Result<i64> {
    let bad = |why: &str| {
        Error::invalid(
            param,
            format!(
                "{param}: invalid duration {s:?} ({why}); expected a whole number and a unit, e.g. \"30d\" or \
                 \"1d12h\"; units: {AGE_UNITS}"
            ),
        )
    };
    let text = s.trim();
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let b = text.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(bad("a number is missing"));
        }
        let n: i64 = text[start..i].parse().map_err(|_| bad("number too large"))?;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let unit_secs: i64 = match b.get(i).map(u8::to_ascii_lowercase) {
            Some(b's') => 1,
            Some(b'm') => 60,
            Some(b'h') => 3_600,
            Some(b'd') => 86_400,
            Some(b'w') => 7 * 86_400,
            Some(b'y') => 365 * 86_400,
            Some(_) => return Err(bad("unknown unit")),
            None => return Err(bad("the unit is missing")),
        };
        i += 1;
        total = n
            .checked_mul(unit_secs * MICROS_PER_SECOND)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("too large"))?;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
    }
    Ok(total)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::models::decode_page;

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn snap(
        id: &str,
        name: &str,
        created: &str,
        rid: &str,
        rtype: &str,
        regions: &[&str],
        tags: Option<&[&str]>,
        size: f64,
    ) -> Snapshot {
        Snapshot {
            id: Field::Value(id.into()),
            name: Field::Value(name.into()),
            created_at: crate::core::models::Timestamp(Field::Value(created.into())),
            resource_id: Field::Value(rid.into()),
            resource_type: Field::Value(rtype.into()),
            regions: Field::Value(regions.iter().map(|r| Str::from(*r)).collect()),
            tags: tags.map_or(Field::Null, |t| Field::Value(t.iter().map(|r| Str::from(*r)).collect())),
            size_gigabytes: Field::Value(size),
            ..Snapshot::default()
        }
    }

    fn rows() -> Vec<Snapshot> {
        vec![
            snap(
                "1",
                "web-01",
                "2024-01-01T00:00:00Z",
                "100",
                "droplet",
                &["nyc3"],
                Some(&["prod", "web"]),
                10.0,
            ),
            snap(
                "2",
                "web-02",
                "2024-02-01T00:00:00Z",
                "100",
                "droplet",
                &["nyc3", "sfo3"],
                Some(&["web"]),
                20.0,
            ),
            snap(
                "3",
                "pvc-01",
                "2024-03-01T00:00:00Z",
                "u-1",
                "volume",
                &["ams3"],
                None,
                1.5,
            ),
            snap("4", "Web-03", "not a date", "200", "droplet", &[], Some(&[]), 5.0),
        ]
    }

    fn t(s: &str) -> i64 {
        crate::core::datetime::UtcDateTime::parse(s).unwrap().unix_micros()
    }

    #[test]
    fn globs_follow_fnmatchcase() {
        let cases: &[(&str, &str, bool)] = &[
            ("web-*", "web-01", true),
            ("web-*", "Web-01", false),
            ("web-0?", "web-01", true),
            ("web-0?", "web-011", false),
            ("*", "", true),
            ("*.tar", "a\nb.tar", true),
            ("[wW]eb*", "Web-03", true),
            ("[!w]eb*", "Web-03", true),
            ("[!w]eb*", "web-03", false),
            ("[]]", "]", true),
            ("[!]]", "a", true),
            ("[a-c]x", "bx", true),
            ("[z-a]x", "bx", false),
            ("[", "[", true),
            ("a[b", "a[b", true),
            ("a.b+c(d)", "a.b+c(d)", true),
            ("a.b", "axb", false),
            ("données-*", "données-ñ", true),
            ("[\\]x", "\\x", true),
            ("[^a]", "^", true),
            ("[a-]", "-", true),
            ("**b", "ab", true),
        ];
        for (pat, name, want) in cases {
            let p = NamePattern::glob(pat).unwrap();
            assert_eq!(
                p.is_match(name),
                *want,
                "glob {pat:?} on {name:?} ({})",
                glob_to_regex(pat)
            );
        }
    }

    #[test]
    fn regex_searches_and_reports_unsupported() {
        let p = NamePattern::regex("eb-0[12]").unwrap();
        assert!(p.is_match("web-01") && !p.is_match("web-03"));
        assert!(NamePattern::regex("(?i)^WEB").unwrap().is_match("web-1"));
        let err = NamePattern::regex("web(?=-)").unwrap_err();
        match &err {
            Error::InvalidArgument { param, message, .. } => {
                assert_eq!(*param, "name");
                assert!(message.contains("not supported"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filters() {
        let rows = rows();
        let f = |f: Filter| select(&rows, &f);
        assert_eq!(f(Filter::default()), vec![0, 1, 2, 3]);
        assert_eq!(
            f(Filter {
                name: Some(NamePattern::glob("web-*").unwrap()),
                ..Filter::default()
            }),
            vec![0, 1]
        );
        assert_eq!(
            f(Filter {
                tags_any: vec!["prod".into(), "nope".into()],
                ..Filter::default()
            }),
            vec![0]
        );
        assert_eq!(
            f(Filter {
                tags_all: vec!["web".into()],
                ..Filter::default()
            }),
            vec![0, 1]
        );
        assert_eq!(
            f(Filter {
                tags_all: vec!["web".into(), "prod".into()],
                ..Filter::default()
            }),
            vec![0]
        );
        assert_eq!(
            f(Filter {
                regions: vec!["sfo3".into(), "ams3".into()],
                ..Filter::default()
            }),
            vec![1, 2]
        );
        assert_eq!(
            f(Filter {
                resource_type: Some("droplet".into()),
                resource_id: Some("100".into()),
                ..Filter::default()
            }),
            vec![0, 1]
        );
        assert_eq!(
            f(Filter {
                older_than: Some(t("2024-02-01T00:00:00Z")),
                ..Filter::default()
            }),
            vec![0]
        );
        assert_eq!(
            f(Filter {
                newer_than: Some(t("2024-02-01T00:00:00Z")),
                ..Filter::default()
            }),
            vec![1, 2]
        );
        assert_eq!(
            f(Filter {
                min_size_gb: Some(10.0),
                ..Filter::default()
            }),
            vec![0, 1]
        );
        assert_eq!(
            select_in(
                &rows,
                &[3, 1, 9],
                &Filter {
                    min_size_gb: Some(1.0),
                    ..Filter::default()
                }
            ),
            vec![3, 1]
        );
    }

    #[test]
    fn numeric_resource_ids_compare_as_text() {
        let page =
            decode_page(br#"{"snapshots":[{"id":1,"resource_id":200776916,"created_at":"2020-01-01T00:00:00Z"}]}"#)
                .unwrap();
        let f = Filter {
            resource_id: Some("200776916".into()),
            ..Filter::default()
        };
        assert_eq!(select(page.snapshots(), &f), vec![0]);
        assert_eq!(
            GroupBy::ResourceId.single_key(&page.snapshots()[0]).as_deref(),
            Some("200776916")
        );
    }

    #[test]
    fn most_recent_per_group() {
        let rows = rows();
        assert_eq!(most_recent(&rows, GroupBy::ResourceId), vec![1, 2]);
        assert_eq!(most_recent(&rows, GroupBy::ResourceType), vec![1, 2]);
        // nyc3 → 1, sfo3 → 1, ams3 → 2; row 3 has no date.
        assert_eq!(most_recent(&rows, GroupBy::Region), vec![1, 2]);
        // prod → 0, web → 1, (none) → 2
        assert_eq!(most_recent(&rows, GroupBy::Tag), vec![0, 1, 2]);
        assert_eq!(most_recent(&rows, GroupBy::Nothing), vec![2]);
        assert_eq!(most_recent_in(&rows, &[2, 0], GroupBy::ResourceId), vec![2, 0]);
    }

    #[test]
    fn sorting_is_stable_and_missing_last() {
        let mut rows = rows();
        rows[2].size_gigabytes = Field::Value(10.0);
        assert_eq!(sort_by(&rows, SortField::CreatedAt, false), vec![0, 1, 2, 3]);
        assert_eq!(sort_by(&rows, SortField::CreatedAt, true), vec![2, 1, 0, 3]);
        assert_eq!(sort_by(&rows, SortField::SizeGigabytes, false), vec![3, 0, 2, 1]);
        assert_eq!(sort_by(&rows, SortField::SizeGigabytes, true), vec![1, 0, 2, 3]);
        assert_eq!(sort_by(&rows, SortField::Name, false), vec![3, 2, 0, 1]);
        rows[0].name = Field::Null;
        assert_eq!(sort_by(&rows, SortField::Name, true), vec![1, 2, 3, 0]);
        assert_eq!(sort_in(&rows, &[3, 1, 7], SortField::Id, false), vec![1, 3]);
        // Equal keys keep the order of `idx` (not of the row numbers), ascending and descending; missing last.
        for r in &mut rows {
            r.min_disk_size = Field::Value(5);
        }
        rows[1].min_disk_size = Field::Value(9);
        rows[2].min_disk_size = Field::Absent;
        assert_eq!(
            sort_in(&rows, &[3, 2, 1, 0], SortField::MinDiskSize, false),
            vec![3, 0, 1, 2]
        );
        assert_eq!(
            sort_in(&rows, &[3, 2, 1, 0], SortField::MinDiskSize, true),
            vec![1, 3, 0, 2]
        );
        let sizes: Vec<usize> = (0..200).map(|i| (i * 7919) % 13).collect();
        let many: Vec<Snapshot> = sizes
            .iter()
            .map(|&k| Snapshot {
                size_gigabytes: Field::Value(k as f64),
                ..Snapshot::default()
            })
            .collect();
        let mut stable: Vec<usize> = (0..200).collect();
        stable.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]));
        assert_eq!(sort_by(&many, SortField::SizeGigabytes, true), stable);
    }

    #[test]
    fn parse_names() {
        assert_eq!(GroupBy::parse("group_by", "tag").unwrap(), GroupBy::Tag);
        let err = GroupBy::parse("group_by", "host").unwrap_err().to_string();
        assert!(
            err.contains("group_by must be one of resource_id") && err.contains("\"host\""),
            "{err}"
        );
        assert_eq!(
            SortField::parse("sort", "size_gigabytes").unwrap(),
            SortField::SizeGigabytes
        );
        assert!(SortField::parse("sort", "size")
            .unwrap_err()
            .to_string()
            .contains("created_at"));
    }

    #[test]
    fn ages() {
        let s = MICROS_PER_SECOND;
        assert_eq!(parse_age("45s").unwrap(), 45 * s);
        assert_eq!(parse_age("90m").unwrap(), 90 * 60 * s);
        assert_eq!(parse_age("12h").unwrap(), 12 * 3600 * s);
        assert_eq!(parse_age("30d").unwrap(), 30 * MICROS_PER_DAY);
        assert_eq!(parse_age("2w").unwrap(), 14 * MICROS_PER_DAY);
        assert_eq!(parse_age("1y").unwrap(), 365 * MICROS_PER_DAY);
        assert_eq!(parse_age(" 1d 12H ").unwrap(), 36 * 3600 * s);
        assert_eq!(parse_age("0d").unwrap(), 0);
        for bad in [
            "",
            "30",
            "d",
            "1.5d",
            "-1d",
            "3x",
            "1d2",
            "99999999999999999999d",
            "9999999999y",
        ] {
            let err = parse_age_for("older_than", bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("older_than: invalid duration"), "{bad:?}: {msg}");
            assert!(msg.contains("y (365 days)"), "{msg}");
        }
    }

    #[test]
    fn select_100k_rows_is_fast() {
        let base = rows();
        let rows: Vec<Snapshot> = (0..100_000).map(|i| base[i % base.len()].clone()).collect();
        let f = Filter {
            name: Some(NamePattern::glob("web-*").unwrap()),
            tags_any: vec!["web".into()],
            regions: vec!["nyc3".into()],
            newer_than: Some(t("2023-01-01T00:00:00Z")),
            ..Filter::default()
        };
        let start = std::time::Instant::now();
        let got = select(&rows, &f);
        let took = start.elapsed();
        assert_eq!(got.len(), 50_000);
        eprintln!("select over 100,000 rows: {took:?}");
        // Generous bound (debug builds, shared machines); the fast profile takes a few milliseconds.
        assert!(took.as_millis() < 2_000, "{took:?}");
    }
}
