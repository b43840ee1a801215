//! Choosing snapshots: filters and sorting. (Name patterns are in `glob`, "the newest per group" in `group`,
//! ages in `datetime`.)
//!
//! Everything works on a slice of [`Snapshot`]s and answers with row indices, so the caller keeps one copy of the
//! data and can chain steps (`select_in` → `group::most_recent_in` → `sort_in`). Nothing here allocates per row on
//! the filter path: the name pattern (glob or regex) is compiled once into a `Regex`, tags and regions are
//! compared in place.
//!
//! Semantics of the filters (all given ones must hold; an empty list or `None` means "no condition"):
//!
//! - `name`: a glob (`*`, `?`, `[...]`, `[!...]`, matched against the whole name and case-sensitively, like
//!   Python's `fnmatch.fnmatchcase`) or a Python regex (found anywhere in the name: exactly `re.search`'s
//!   answer, `core::python_re`). A snapshot without a name never matches.
//! - `tags_any`: the snapshot carries at least one of the tags; `tags_all`: it carries every one of them.
//!   Untagged snapshots (`tags` null or absent) match neither.
//! - `regions`: the snapshot is in at least one of the regions.
//! - `resource_type`, `resource_id`: equal (a numeric `resource_id` compares as its decimal text).
//! - `older_than` / `newer_than`: absolute cutoffs in unix microseconds: `created_at < older_than`,
//!   `created_at >= newer_than`. A snapshot whose `created_at` is missing or unparseable matches neither.
//! - `min_size_gb`: `size_gigabytes >= min_size_gb`; a snapshot without a size doesn't match.

use std::borrow::Cow;
use std::cmp::Ordering;

use strum::{EnumString, IntoStaticStr, VariantNames};

use crate::core::error::Result;
pub use crate::core::glob::NamePattern;
use crate::core::models::{Field, Snapshot, Str};
use crate::core::vocabulary;

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

pub(crate) fn list(f: &Field<Vec<Str>>) -> &[Str] {
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

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "snake_case")]
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
    /// Parses one of [`SortField::VARIANTS`]; `param` names the argument in the error.
    pub fn parse(param: &'static str, s: &str) -> Result<Self> {
        vocabulary::parse(param, s)
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::group::GroupBy;
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

    pub(crate) fn rows() -> Vec<Snapshot> {
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

    pub(crate) fn t(s: &str) -> i64 {
        crate::core::datetime::UtcDateTime::parse(s).unwrap().unix_micros()
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
