//! Grouping snapshots (by resource, region, tag, name or nothing) and "the newest of each group".

use std::borrow::Cow;
use std::collections::HashMap;

use strum::{EnumString, IntoStaticStr, VariantNames};

use crate::core::error::Result;
use crate::core::models::{Field, Snapshot, Str};
use crate::core::select::{created_micros, list};
use crate::core::vocabulary;

/// The group of snapshots whose group key (resource id, region, tag...) is missing.
pub const NONE_GROUP: &str = "(none)";

/// What snapshots are grouped by (in `most_recent`, retention plans and summaries). `region`/`tags` are
/// accepted for `region`/`tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum GroupBy {
    ResourceId,
    ResourceType,
    #[strum(to_string = "region", serialize = "regions")]
    Region,
    #[strum(to_string = "tag", serialize = "tags")]
    Tag,
    Name,
    /// One group for everything.
    #[strum(serialize = "none")]
    Nothing,
}

impl GroupBy {
    /// Parses one of [`GroupBy::VARIANTS`]; `param` names the argument in the error.
    pub fn parse(param: &'static str, s: &str) -> Result<Self> {
        vocabulary::parse(param, s)
    }

    pub fn as_str(self) -> &'static str {
        self.into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::select::tests::rows;

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
}
