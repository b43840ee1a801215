//! What snapshots cost and how old they are, and summaries by group.
//!
//! DigitalOcean bills snapshots by stored size: $0.06 per GB-month ([`DEFAULT_RATE_PER_GB_MONTH`]) since July
//! 2022. A snapshot's monthly cost is `size_gigabytes × rate`; one without a size costs nothing here.
//!
//! Summaries group the chosen rows ([`SummaryBy`]):
//!
//! - `resource_type`, `resource_id`: one group per value; a missing value is the group `(none)`.
//! - `region`, `tag`: multi-valued fields count in **every** group they name (a snapshot in `nyc3` and `sfo3`
//!   adds its count, size and cost to both), so the groups' sums can exceed the total. Untagged (tags null,
//!   absent or empty) / region-less rows are the group `(none)`. A tag repeated within one snapshot counts once.
//! - `age`: one bucket per row, by days since `created_at` at `now`: `< 7d`, `7-30d`, `30-90d`, `90-365d`,
//!   `> 1y` (365 days or more), and `(unknown)` when `created_at` is missing or unparseable. A row dated in the
//!   future is `< 7d`. Lower bounds are inclusive (exactly 7 days old is `7-30d`).
//!
//! Groups are sorted by monthly cost, highest first, then by name.

use std::collections::HashMap;

use strum::{EnumString, IntoStaticStr, VariantNames};

use crate::core::datetime::MICROS_PER_DAY;
use crate::core::error::{Error, Result};
use crate::core::group::{GroupBy, NONE_GROUP};
use crate::core::models::{Snapshot, Str};
use crate::core::select::created_micros;
use crate::core::sources::{summary_by_source, SourceState, NO_SOURCES};
use crate::core::vocabulary;

/// DigitalOcean snapshot storage: USD per GB per month (since July 2022).
pub const DEFAULT_RATE_PER_GB_MONTH: f64 = 0.06;

/// Age buckets in order, youngest first.
pub const AGE_BUCKETS: [&str; 6] = ["< 7d", "7-30d", "30-90d", "90-365d", "> 1y", "(unknown)"];

/// `size_gigabytes × rate` summed over `idx` (indices out of range are skipped; rows without a size cost 0).
pub fn monthly_cost(rows: &[Snapshot], idx: &[usize], rate: f64) -> f64 {
    total_size(rows, idx) * rate
}

/// `size_gigabytes` summed over `idx`.
pub fn total_size(rows: &[Snapshot], idx: &[usize]) -> f64 {
    idx.iter().filter_map(|&i| rows.get(i)).map(size_of).sum()
}

fn size_of(row: &Snapshot) -> f64 {
    row.size_gigabytes.value().copied().unwrap_or(0.0)
}

/// Days (fractional) from `created_at` to `now_micros`; negative for a snapshot dated in the future; `None` when
/// `created_at` is missing or unparseable.
pub fn age_days(row: &Snapshot, now_micros: i64) -> Option<f64> {
    created_micros(row).map(|t| (now_micros - t) as f64 / MICROS_PER_DAY as f64)
}

/// The age bucket of a row (one of [`AGE_BUCKETS`]).
pub fn age_bucket(row: &Snapshot, now_micros: i64) -> &'static str {
    match age_days(row, now_micros) {
        None => AGE_BUCKETS[5],
        Some(d) if d < 7.0 => AGE_BUCKETS[0],
        Some(d) if d < 30.0 => AGE_BUCKETS[1],
        Some(d) if d < 90.0 => AGE_BUCKETS[2],
        Some(d) if d < 365.0 => AGE_BUCKETS[3],
        Some(_) => AGE_BUCKETS[4],
    }
}

/// What a summary groups by. `region`/`tags` are accepted for `region`/`tag`; `account` groups a list of several
/// accounts by account ([`summary_by_account`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum SummaryBy {
    ResourceType,
    #[strum(to_string = "region", serialize = "regions")]
    Region,
    ResourceId,
    #[strum(to_string = "tag", serialize = "tags")]
    Tag,
    Age,
    Account,
    /// `exists` / `gone` / `unknown`, for listings made with `with_sources=True` ([`crate::core::sources`]).
    Source,
}

impl SummaryBy {
    /// Parses one of [`SummaryBy::VARIANTS`]; `param` names the argument in the error.
    pub fn parse(param: &'static str, s: &str) -> Result<Self> {
        vocabulary::parse(param, s)
    }
}

/// One group of a summary (its JSON form is what `Summary.to_dict()`/`to_json()` and pickling use).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SummaryRow {
    pub group: String,
    pub count: u64,
    pub size_gigabytes: f64,
    pub monthly_cost_usd: f64,
}

/// Count, size and monthly cost per group of the rows `idx` (see the module docs for multi-valued fields,
/// `(none)` and the age buckets). `now_micros` is only read for `by = age`; `accounts` (the account of each row,
/// parallel to `rows`) only for `by = account`, which is an error without it; `sources` (each row's source state)
/// likewise for `by = source`.
pub fn summary(
    rows: &[Snapshot],
    idx: &[usize],
    by: SummaryBy,
    rate: f64,
    now_micros: i64,
    accounts: Option<&[Str]>,
    sources: Option<&[SourceState]>,
) -> Result<Vec<SummaryRow>> {
    let mut groups: HashMap<String, (u64, f64)> = HashMap::new();
    let mut add = |key: &str, size: f64| match groups.get_mut(key) {
        Some(g) => {
            g.0 += 1;
            g.1 += size;
        }
        None => {
            groups.insert(key.to_owned(), (1, size));
        }
    };
    let group_by = match by {
        SummaryBy::ResourceType => Some(GroupBy::ResourceType),
        SummaryBy::Region => Some(GroupBy::Region),
        SummaryBy::ResourceId => Some(GroupBy::ResourceId),
        SummaryBy::Tag => Some(GroupBy::Tag),
        SummaryBy::Age => None,
        SummaryBy::Account => {
            return match accounts {
                Some(accounts) => Ok(summary_by_account(rows, idx, accounts, rate)),
                None => Err(Error::invalid(
                    "by",
                    "by='account' needs a list of several accounts (gradientai_rs.list_all_accounts)",
                )),
            }
        }
        SummaryBy::Source => {
            return match sources {
                Some(states) => Ok(summary_by_source(rows, idx, states, rate)),
                None => Err(Error::invalid("by", NO_SOURCES)),
            }
        }
    };
    for row in idx.iter().filter_map(|&i| rows.get(i)) {
        let size = size_of(row);
        match group_by {
            Some(g) => g.for_each_key(row, |key| add(key, size)),
            None => add(age_bucket(row, now_micros), size),
        }
    }
    Ok(sorted(
        groups.into_iter().map(|(group, (count, size))| (group, count, size)),
        rate,
    ))
}

/// Count, size and monthly cost per account, for lists that merge several accounts: `accounts[i]` is the
/// account of row `i` (a slice parallel to `rows`; a row past its end is the group `(none)`). Sorted like
/// [`summary`].
pub fn summary_by_account(rows: &[Snapshot], idx: &[usize], accounts: &[Str], rate: f64) -> Vec<SummaryRow> {
    let mut groups: HashMap<&str, (u64, f64)> = HashMap::new();
    for &i in idx {
        let Some(row) = rows.get(i) else { continue };
        let key = accounts.get(i).map_or(NONE_GROUP, Str::as_str);
        let g = groups.entry(key).or_insert((0, 0.0));
        g.0 += 1;
        g.1 += size_of(row);
    }
    sorted(
        groups
            .into_iter()
            .map(|(group, (count, size))| (group.to_owned(), count, size)),
        rate,
    )
}

fn sorted(groups: impl Iterator<Item = (String, u64, f64)>, rate: f64) -> Vec<SummaryRow> {
    let mut out: Vec<SummaryRow> = groups
        .map(|(group, count, size)| SummaryRow {
            group,
            count,
            size_gigabytes: size,
            monthly_cost_usd: size * rate,
        })
        .collect();
    out.sort_by(|a, b| {
        b.monthly_cost_usd
            .total_cmp(&a.monthly_cost_usd)
            .then_with(|| a.group.cmp(&b.group))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::Field;
    use crate::core::select::tests::snap;

    fn now() -> i64 {
        crate::core::datetime::UtcDateTime::parse("2024-12-31T00:00:00Z")
            .unwrap()
            .unix_micros()
    }

    fn rows() -> Vec<Snapshot> {
        vec![
            snap(
                "1",
                "a",
                "2024-12-30T00:00:00Z",
                "r1",
                "droplet",
                &["nyc3", "sfo3"],
                Some(&["prod", "web"]),
                10.0,
            ),
            snap(
                "2",
                "b",
                "2024-12-24T00:00:00Z",
                "r1",
                "droplet",
                &["nyc3"],
                Some(&["web", "web"]),
                20.0,
            ),
            snap("3", "c", "2024-10-01T00:00:00Z", "v1", "volume", &[], None, 5.0),
            snap(
                "4",
                "d",
                "2023-01-01T00:00:00Z",
                "v1",
                "volume",
                &["ams3"],
                Some(&[]),
                2.5,
            ),
            snap("5", "e", "junk", "v2", "volume", &["ams3"], Some(&["prod"]), 0.0),
        ]
    }

    fn brief(s: &[SummaryRow]) -> Vec<(&str, u64, f64)> {
        s.iter()
            .map(|r| (r.group.as_str(), r.count, r.size_gigabytes))
            .collect()
    }

    #[test]
    fn cost_and_age() {
        let rows = rows();
        let all: Vec<usize> = (0..rows.len()).collect();
        assert!((monthly_cost(&rows, &all, DEFAULT_RATE_PER_GB_MONTH) - 37.5 * 0.06).abs() < 1e-12);
        assert_eq!(monthly_cost(&rows, &[0, 99], 1.0), 10.0);
        assert_eq!(age_days(&rows[0], now()), Some(1.0));
        assert_eq!(age_days(&rows[4], now()), None);
        assert_eq!(age_days(&rows[0], now() - 2 * MICROS_PER_DAY), Some(-1.0));
        let mut r = rows[0].clone();
        r.size_gigabytes = Field::Null;
        assert_eq!(monthly_cost(&[r], &[0], 1.0), 0.0);
    }

    #[test]
    fn summaries() {
        let rows = rows();
        let all: Vec<usize> = (0..rows.len()).collect();
        let s = summary(&rows, &all, SummaryBy::ResourceType, 1.0, now(), None, None).unwrap();
        assert_eq!(brief(&s), vec![("droplet", 2, 30.0), ("volume", 3, 7.5)]);
        assert_eq!(s[0].monthly_cost_usd, 30.0);
        let s = summary(&rows, &all, SummaryBy::Region, 1.0, now(), None, None).unwrap();
        assert_eq!(
            brief(&s),
            vec![
                ("nyc3", 2, 30.0),
                ("sfo3", 1, 10.0),
                ("(none)", 1, 5.0),
                ("ams3", 2, 2.5)
            ]
        );
        let s = summary(&rows, &all, SummaryBy::Tag, 1.0, now(), None, None).unwrap();
        assert_eq!(brief(&s), vec![("web", 2, 30.0), ("prod", 2, 10.0), ("(none)", 2, 7.5)]);
        let s = summary(&rows, &all, SummaryBy::Age, 1.0, now(), None, None).unwrap();
        assert_eq!(
            brief(&s),
            vec![
                ("7-30d", 1, 20.0),
                ("< 7d", 1, 10.0),
                ("90-365d", 1, 5.0),
                ("> 1y", 1, 2.5),
                ("(unknown)", 1, 0.0)
            ]
        );
        let s = summary(&rows, &[2, 3, 4], SummaryBy::ResourceId, 0.0, now(), None, None).unwrap();
        // Equal costs: by name.
        assert_eq!(brief(&s), vec![("v1", 2, 7.5), ("v2", 1, 0.0)]);
        let accounts: Vec<Str> = vec!["work".into(), "home".into(), "work".into()];
        let s = summary_by_account(&rows, &all, &accounts, 1.0);
        assert_eq!(
            brief(&s),
            vec![("home", 1, 20.0), ("work", 2, 15.0), ("(none)", 2, 2.5)]
        );
        assert!(SummaryBy::parse("by", "size")
            .unwrap_err()
            .to_string()
            .contains("resource_type, region"));
        assert_eq!(SummaryBy::parse("by", "tags").unwrap(), SummaryBy::Tag);
        let by_account = summary(&rows, &all, SummaryBy::Account, 1.0, 0, Some(&accounts), None).unwrap();
        assert_eq!(by_account, summary_by_account(&rows, &all, &accounts, 1.0));
        assert!(summary(&rows, &all, SummaryBy::Account, 1.0, 0, None, None)
            .unwrap_err()
            .to_string()
            .contains("list_all_accounts"));
    }
}
