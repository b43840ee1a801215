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

    /// The first and the last byte of the row's first key (`0` when there is none), read only to bring them into
    /// the cache (a key on the heap can span two cache lines).
    fn key_bytes(self, row: &Snapshot) -> u16 {
        let ends = |s: &Str| match s.as_bytes() {
            [] => 0,
            b => u16::from(b[0]) + u16::from(b[b.len() - 1]),
        };
        let one = |f: &Field<Str>| f.value().map_or(0, ends);
        let first_of = |f: &Field<Vec<Str>>| list(f).first().map_or(0, ends);
        match self {
            Self::ResourceId => one(&row.resource_id),
            Self::ResourceType => one(&row.resource_type),
            Self::Name => one(&row.name),
            Self::Region => first_of(&row.regions),
            Self::Tag => first_of(&row.tags),
            Self::Nothing => 0,
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
///
/// By resource id, name or nothing: [`most_recent_in_table`] (most rows their own group, or a single group). By
/// region, tag or resource type, a few groups each: [`most_recent_in_map`], whose table of a few keys stays in
/// the L1 cache (the other's is sized for one group per row, and half as fast there).
pub fn most_recent_in(rows: &[Snapshot], idx: &[usize], group_by: GroupBy) -> Vec<usize> {
    match group_by {
        GroupBy::ResourceId | GroupBy::Name | GroupBy::Nothing if idx.len() < u32::MAX as usize / 2 => {
            most_recent_in_table(rows, idx, group_by)
        }
        _ => most_recent_in_map(rows, idx, group_by),
    }
}

/// [`most_recent_in`] with a small open-addressing table of its own (a 32-bit tag and
/// a group number per slot, 8 bytes), the groups (key, newest time, position) appended in `Vec`s beside it: the
/// table stays in the L2 cache at 100,000 rows where a `HashMap` of borrowed keys and values (40 bytes a slot)
/// does not, and a key is compared only when its tag matches. Fewer than `u32::MAX / 2` positions.
fn most_recent_in_table(rows: &[Snapshot], idx: &[usize], group_by: GroupBy) -> Vec<usize> {
    let mut groups = Groups::with_rows(idx.len());
    // In blocks of rows, four passes over each: a read of each key's first and last byte (a UUID resource id or
    // a long name is on the heap, a cache miss, often a TLB miss too, and may span two lines: a loop that does
    // nothing else keeps many misses in flight, and safe Rust has no prefetch), the times and the keys' hashes, a
    // read of the table slots they start at (likewise), then the table. With a cold cache (as in
    // `benchmarks/bench_select.py`, where other work runs between calls) the two reads took 100,000 snapshots by
    // resource id from 11.3 ms to 8.1 ms.
    const BLOCK: usize = 128;
    let mut pending: Vec<(Cow<'_, str>, u64, i64, usize)> = Vec::with_capacity(2 * BLOCK);
    let mut touched = 0u64;
    for (b, block) in idx.chunks(BLOCK).enumerate() {
        for &i in block {
            if let Some(row) = rows.get(i) {
                touched = touched.wrapping_add(u64::from(group_by.key_bytes(row)));
            }
        }
        for (k, &i) in block.iter().enumerate() {
            let Some(row) = rows.get(i) else { continue };
            let Some(t) = created_micros(row) else { continue };
            let pos = b * BLOCK + k;
            group_by.for_each_key_ref(row, |key| {
                let h = Groups::hash(&key);
                pending.push((key, h, t, pos));
            });
        }
        let mask = groups.slots.len() - 1;
        for &(_, h, _, _) in &pending {
            touched = touched.wrapping_add(groups.slots[h as usize & mask]);
        }
        for (key, h, t, pos) in pending.drain(..) {
            groups.offer(key, h, t, pos);
        }
    }
    std::hint::black_box(touched);
    // In row order, each row once (a mark per position: no sort).
    let mut chosen = vec![false; idx.len()];
    for &(_, pos) in &groups.best {
        chosen[pos] = true;
    }
    chosen.iter().zip(idx).filter(|(c, _)| **c).map(|(_, &i)| i).collect()
}

/// The groups of [`most_recent_in_table`]: `keys[g]` and `best[g]` (newest `created_at`, its position) for group `g`,
/// found through `slots` (linear probing; a slot is `tag << 32 | (g + 1)`, `0` when empty).
struct Groups<'a> {
    slots: Vec<u64>,
    keys: Vec<Cow<'a, str>>,
    best: Vec<(i64, usize)>,
}

impl<'a> Groups<'a> {
    fn with_rows(n: usize) -> Self {
        // Room for one group per row below the load limit: no growth for single-valued keys.
        let cap = (n + n / 4 + 1).next_power_of_two().max(16);
        Self {
            slots: vec![0; cap],
            keys: Vec::new(),
            best: Vec::new(),
        }
    }

    fn hash(key: &str) -> u64 {
        use std::hash::Hasher;
        let mut h = Fx(0);
        h.write(key.as_bytes());
        // The end marker of `str`'s `Hash`, then MurmurHash3's finaliser: the slot comes from the low bits, the
        // tag from the high ones, and a multiply leaves only the high bits of FxHash well mixed.
        h.write_u8(0xff);
        let x = h.0 ^ (h.0 >> 33);
        let x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    }

    /// `key` has a row at `pos` made at `t`: a new group, or newer than its group's best (ties keep the first).
    /// (`h` is `hash(&key)`.)
    fn offer(&mut self, key: Cow<'a, str>, h: u64, t: i64, pos: usize) {
        let tag = h >> 32;
        let mask = self.slots.len() - 1;
        let mut at = (h as usize) & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if slot >> 32 == tag {
                let g = (slot & 0xffff_ffff) as usize - 1;
                if same(&self.keys[g], &key) {
                    let best = &mut self.best[g];
                    if t > best.0 {
                        *best = (t, pos);
                    }
                    return;
                }
            }
            at = (at + 1) & mask;
        }
        self.slots[at] = tag << 32 | (self.keys.len() as u64 + 1);
        self.keys.push(key);
        self.best.push((t, pos));
        if self.keys.len() * 4 > self.slots.len() * 3 {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let mut slots = vec![0u64; cap];
        for (g, key) in self.keys.iter().enumerate() {
            let h = Self::hash(key);
            let mut at = (h as usize) & (cap - 1);
            while slots[at] != 0 {
                at = (at + 1) & (cap - 1);
            }
            slots[at] = (h >> 32) << 32 | (g as u64 + 1);
        }
        self.slots = slots;
    }
}

/// `a == b`, the lengths first (glibc's `memcmp` is slow on empty slices at a dangling address, which `""` is).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a.as_bytes() == b.as_bytes())
}

/// [`most_recent_in`] with a `HashMap` of borrowed keys: the same answer, the straightforward way (for the
/// tests, and for more rows than the table's 32-bit group numbers hold).
pub fn most_recent_in_map(rows: &[Snapshot], idx: &[usize], group_by: GroupBy) -> Vec<usize> {
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

/// FxHash (rustc's hasher: a multiply and a rotate per word), for the short keys of [`most_recent_in`] and
/// [`most_recent_in_map`]; the keys come from the API, but a slow map only costs the caller time, it can't change
/// a result.
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

    const ALL: [GroupBy; 6] = [
        GroupBy::ResourceId,
        GroupBy::ResourceType,
        GroupBy::Region,
        GroupBy::Tag,
        GroupBy::Name,
        GroupBy::Nothing,
    ];

    /// Many groups per row (the table grows past what the row count sized it for), ties, and keys that are
    /// prefixes of each other or empty.
    #[test]
    fn many_keys_ties_and_growth() {
        let tags: Vec<String> = (0..300).map(|k| "t".repeat(k % 7) + &k.to_string()).collect();
        let rows: Vec<Snapshot> = (0..40)
            .map(|i| Snapshot {
                name: Field::Value(["", "a", "ab", "b"][i % 4].into()),
                created_at: crate::core::models::Timestamp(Field::Value(
                    format!("2024-01-{:02}T00:00:00Z", 1 + (i * 7) % 5).into(),
                )),
                tags: Field::Value(
                    tags.iter()
                        .skip(i * 5)
                        .take(60)
                        .map(|s| Str::from(s.as_str()))
                        .collect(),
                ),
                resource_id: if i % 3 == 0 {
                    Field::Raw(Box::new(serde_json::json!(i % 4)))
                } else {
                    Field::Value((i % 4).to_string().into())
                },
                ..Snapshot::default()
            })
            .collect();
        let idx: Vec<usize> = (0..rows.len()).rev().chain([99, 3, 3]).collect();
        let all: Vec<usize> = (0..rows.len()).collect();
        for by in ALL {
            assert_eq!(
                most_recent_in_table(&rows, &all, by),
                most_recent_in_map(&rows, &all, by),
                "{by:?}"
            );
            assert_eq!(
                most_recent_in_table(&rows, &idx, by),
                most_recent_in_map(&rows, &idx, by),
                "{by:?}"
            );
            assert_eq!(
                most_recent_in(&rows, &idx, by),
                most_recent_in_map(&rows, &idx, by),
                "{by:?}"
            );
        }
        // Days 1, 3, 5, 2, 4, 1, 3, 5, ...: the first of the rows made on day 5 wins.
        assert_eq!(most_recent(&rows, GroupBy::Nothing), vec![2]);
    }

    /// The table answers what the `HashMap` does, for any rows, any keys and any `idx`.
    #[test]
    fn table_is_the_map() {
        use proptest::prelude::*;
        let text = || proptest::sample::select(&["", "a", "b", "ab", "nyc3", "(none)", "0", "1", "é"][..]);
        let field = || {
            prop_oneof![
                4 => text().prop_map(|s| Field::Value(Str::from(s))),
                1 => Just(Field::Absent),
                1 => Just(Field::Null),
                1 => (0u8..3).prop_map(|n| Field::Raw(Box::new(serde_json::json!(n)))),
            ]
        };
        let list = || {
            prop_oneof![
                4 => proptest::collection::vec(text(), 0..4)
                    .prop_map(|v| Field::Value(v.into_iter().map(Str::from).collect())),
                1 => Just(Field::Null),
                1 => Just(Field::Raw(Box::new(serde_json::json!("x")))),
            ]
        };
        let created = proptest::sample::select(
            &[
                "2024-01-01T00:00:00Z",
                "2024-01-02T00:00:00Z",
                "2024-01-01T01:00:00+01:00",
                "2024-01-02T00:00:00.5Z",
                "2024-01-03",
                "nope",
                "",
            ][..],
        )
        .prop_map(|s| crate::core::models::Timestamp(Field::Value(Str::from(s))));
        let row =
            (field(), field(), field(), list(), list(), created).prop_map(|(rid, rtype, name, regions, tags, c)| {
                Snapshot {
                    resource_id: rid,
                    resource_type: rtype,
                    name,
                    regions,
                    tags,
                    created_at: c,
                    ..Snapshot::default()
                }
            });
        let case = proptest::collection::vec(row, 0..40).prop_flat_map(|rows| {
            let n = rows.len();
            (Just(rows), proptest::collection::vec(0..n + 2, 0..50))
        });
        proptest!(ProptestConfig::with_cases(2048), |((rows, idx) in case)| {
            for by in ALL {
                let map = most_recent_in_map(&rows, &idx, by);
                prop_assert_eq!(&most_recent_in_table(&rows, &idx, by), &map, "{:?}", by);
                prop_assert_eq!(&most_recent_in(&rows, &idx, by), &map, "{:?}", by);
            }
        });
    }
}
