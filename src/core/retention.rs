//! Retention plans: which snapshots a policy keeps and which it would delete, with restic's `forget` rules.
//!
//! The chosen rows are split into groups ([`GroupBy::single_key`]: one group per resource id by default; for
//! `region`/`tag` the whole sorted set is the key, like restic's `--group-by tags`, so every snapshot is in
//! exactly one group; rows whose key is missing form one group of their own). In each group, the snapshots are
//! ordered newest first (equal `created_at`: by id, ascending) and a snapshot is kept when any rule keeps it:
//!
//! - `keep_last = n`: the `n` newest.
//! - `keep_hourly/daily/weekly/monthly/yearly = n`: walking from the newest to the oldest, the first (so the
//!   newest) snapshot of each period not seen yet is kept, until `n` periods have one — "for the last n days
//!   which have one or more snapshots, only keep the last one for that day". Periods are UTC calendar hours,
//!   days, ISO weeks (Monday to Sunday, ISO year + week number), months and years.
//! - `keep_within = d`: snapshots created after `now - d` (strictly), which includes anything dated in the
//!   future. Unlike restic, which counts from the newest snapshot, this counts from `now`. (Period rules do count
//!   future-dated snapshots, as restic's do.)
//! - `keep_tags`: snapshots carrying any of these tags.
//!
//! A kept snapshot's reasons are the names of the rules that kept it ([`REASONS`]). Safety rules come first and
//! the snapshots they keep take no part in the other rules (they fill no `last` slot and no period):
//!
//! - a snapshot without an id (absent, null or not a string/number) is kept with reason `no id` — we can't
//!   name what we would delete;
//! - a snapshot whose `created_at` is missing or unparseable is kept with reason `unknown date`.
//!
//! A policy that keeps nothing (every count 0, no `keep_within`, no `keep_tags`) is refused, as restic does.
//! restic ≥ 0.17 also keeps a group's oldest snapshot when a period rule has fewer periods than asked; this plan
//! doesn't.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::core::datetime::{UtcDateTime, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND};
use crate::core::error::{Error, Result};
use crate::core::group::GroupBy;
use crate::core::models::{Snapshot, Str};
use crate::core::select::created_micros;

pub const REASON_LAST: &str = "last";
pub const REASON_HOURLY: &str = "hourly";
pub const REASON_DAILY: &str = "daily";
pub const REASON_WEEKLY: &str = "weekly";
pub const REASON_MONTHLY: &str = "monthly";
pub const REASON_YEARLY: &str = "yearly";
pub const REASON_WITHIN: &str = "within";
pub const REASON_TAG: &str = "tag";
pub const REASON_NO_ID: &str = "no id";
pub const REASON_UNKNOWN_DATE: &str = "unknown date";

/// Every reason, in the order they are listed on a kept snapshot.
pub const REASONS: [&str; 10] = [
    REASON_NO_ID,
    REASON_UNKNOWN_DATE,
    REASON_LAST,
    REASON_HOURLY,
    REASON_DAILY,
    REASON_WEEKLY,
    REASON_MONTHLY,
    REASON_YEARLY,
    REASON_WITHIN,
    REASON_TAG,
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetentionPolicy {
    pub keep_last: u32,
    pub keep_hourly: u32,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
    pub keep_yearly: u32,
    /// Microseconds before `now`.
    pub keep_within: Option<i64>,
    pub keep_tags: Vec<Str>,
}

impl RetentionPolicy {
    /// Whether no rule is set (such a policy would delete everything).
    pub fn keeps_nothing(&self) -> bool {
        self.keep_last == 0
            && self.keep_hourly == 0
            && self.keep_daily == 0
            && self.keep_weekly == 0
            && self.keep_monthly == 0
            && self.keep_yearly == 0
            && self.keep_within.is_none()
            && self.keep_tags.is_empty()
    }

    /// Refuses a policy that keeps nothing, and a `keep_within` that isn't positive.
    pub fn validate(&self) -> Result<()> {
        if let Some(w) = self.keep_within {
            if w <= 0 {
                return Err(Error::invalid("keep_within", "keep_within must be a positive duration"));
            }
        }
        if self.keeps_nothing() {
            return Err(Error::invalid(
                "policy",
                "a policy that keeps nothing is refused: set at least one of keep_last, keep_hourly, keep_daily, \
                 keep_weekly, keep_monthly, keep_yearly, keep_within or keep_tags",
            ));
        }
        Ok(())
    }
}

/// One group of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanGroup {
    /// `None`: the rows whose group key is missing.
    pub key: Option<String>,
    /// Newest first (the order the rules walk).
    pub keep: Vec<usize>,
    pub delete: Vec<usize>,
}

/// The outcome: every chosen row is in exactly one of `keep` and `delete`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// In the order of the rows given to [`plan`].
    pub keep: Vec<usize>,
    /// In the order of the rows given to [`plan`].
    pub delete: Vec<usize>,
    /// For each kept row (in `keep` order), the rules that keep it, in [`REASONS`] order.
    pub reasons: Vec<(usize, Vec<&'static str>)>,
    /// Groups sorted by key (the missing-key group last).
    pub groups: Vec<PlanGroup>,
}

impl Plan {
    pub fn reasons_for(&self, row: usize) -> Option<&[&'static str]> {
        self.reasons.iter().find(|(i, _)| *i == row).map(|(_, r)| r.as_slice())
    }
}

/// A calendar period of the `keep_hourly` ... `keep_yearly` rules (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Period {
    /// Every period, in the order their reasons are listed.
    pub const ALL: [Period; 5] = [
        Period::Hourly,
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Yearly,
    ];

    /// The reason a snapshot kept by this rule carries.
    pub fn reason(self) -> &'static str {
        match self {
            Period::Hourly => REASON_HOURLY,
            Period::Daily => REASON_DAILY,
            Period::Weekly => REASON_WEEKLY,
            Period::Monthly => REASON_MONTHLY,
            Period::Yearly => REASON_YEARLY,
        }
    }

    /// How many periods `policy` keeps a snapshot of.
    pub fn count(self, policy: &RetentionPolicy) -> u32 {
        match self {
            Period::Hourly => policy.keep_hourly,
            Period::Daily => policy.keep_daily,
            Period::Weekly => policy.keep_weekly,
            Period::Monthly => policy.keep_monthly,
            Period::Yearly => policy.keep_yearly,
        }
    }

    /// The period of a timestamp (unix micros), as a number unique per period.
    pub fn of(self, t: i64) -> i64 {
        match self {
            Period::Hourly => t.div_euclid(MICROS_PER_HOUR),
            Period::Daily => t.div_euclid(MICROS_PER_DAY),
            // ISO weeks run Monday..Sunday: the Monday's day number names the week (1970-01-01 was a Thursday).
            Period::Weekly => {
                let day = t.div_euclid(MICROS_PER_DAY);
                day - (day + 3).rem_euclid(7)
            }
            Period::Monthly => {
                let d = UtcDateTime::from_unix(t.div_euclid(MICROS_PER_SECOND), 0);
                i64::from(d.year) * 12 + i64::from(d.month)
            }
            Period::Yearly => i64::from(UtcDateTime::from_unix(t.div_euclid(MICROS_PER_SECOND), 0).year),
        }
    }
}

/// Applies `policy` to the rows `idx` (duplicates and indices out of range are ignored) grouped by `group_by`,
/// at `now_micros`. Errors only for a policy [`RetentionPolicy::validate`] refuses.
pub fn plan(
    rows: &[Snapshot],
    idx: &[usize],
    policy: &RetentionPolicy,
    group_by: GroupBy,
    now_micros: i64,
) -> Result<Plan> {
    policy.validate()?;
    let mut seen = vec![false; rows.len()];
    let order: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| i < rows.len() && !std::mem::replace(&mut seen[i], true))
        .collect();

    let mut groups: HashMap<Option<Cow<'_, str>>, Vec<usize>> = HashMap::new();
    for &i in &order {
        groups.entry(group_by.single_key_ref(&rows[i])).or_default().push(i);
    }

    // Row index → the reasons it is kept (`None`: deleted, or not chosen).
    let mut reasons: Vec<Option<Vec<&'static str>>> = vec![None; rows.len()];
    let mut plan_groups: Vec<PlanGroup> = Vec::with_capacity(groups.len());
    let counts = Period::ALL.map(|p| p.count(policy));
    let cutoff = policy.keep_within.map(|w| now_micros.saturating_sub(w));
    let has_tag = |row: &Snapshot| {
        !policy.keep_tags.is_empty()
            && row
                .tags
                .value()
                .is_some_and(|tags| tags.iter().any(|t| policy.keep_tags.contains(t)))
    };

    for (key, members) in groups {
        let mut dated: Vec<(i64, Cow<'_, str>, usize)> = Vec::with_capacity(members.len());
        let mut safe: Vec<usize> = Vec::new();
        for &i in &members {
            let row = &rows[i];
            let id = row.id.text();
            let t = created_micros(row);
            let mut why: Vec<&'static str> = Vec::new();
            if id.is_none() {
                why.push(REASON_NO_ID);
            }
            if t.is_none() {
                why.push(REASON_UNKNOWN_DATE);
            }
            match (id, t) {
                (Some(id), Some(t)) => dated.push((t, id, i)),
                _ => {
                    if has_tag(row) {
                        why.push(REASON_TAG);
                    }
                    reasons[i] = Some(why);
                    safe.push(i);
                }
            }
        }
        // Newest first; equal times by id.
        dated.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut left = counts;
        let mut last_period: [Option<i64>; 5] = [None; 5];
        let mut keep: Vec<usize> = safe;
        let mut delete: Vec<usize> = Vec::new();
        for (n, (t, _, i)) in dated.iter().enumerate() {
            let mut why: Vec<&'static str> = Vec::new();
            if (n as u64) < u64::from(policy.keep_last) {
                why.push(REASON_LAST);
            }
            for (k, period) in Period::ALL.into_iter().enumerate() {
                if left[k] == 0 {
                    continue;
                }
                let p = period.of(*t);
                if last_period[k] != Some(p) {
                    last_period[k] = Some(p);
                    left[k] -= 1;
                    why.push(period.reason());
                }
            }
            if cutoff.is_some_and(|c| *t > c) {
                why.push(REASON_WITHIN);
            }
            if has_tag(&rows[*i]) {
                why.push(REASON_TAG);
            }
            if why.is_empty() {
                delete.push(*i);
            } else {
                reasons[*i] = Some(why);
                keep.push(*i);
            }
        }
        plan_groups.push(PlanGroup {
            key: key.map(Cow::into_owned),
            keep,
            delete,
        });
    }
    plan_groups.sort_by(|a, b| match (&a.key, &b.key) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });

    let mut out = Plan {
        groups: plan_groups,
        ..Plan::default()
    };
    for i in order {
        match reasons[i].take() {
            Some(why) => {
                out.keep.push(i);
                out.reasons.push((i, why));
            }
            None => out.delete.push(i),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::datetime::UtcDateTime;
    use crate::core::models::Field;
    use crate::core::select::tests::snap;

    fn at(s: &str) -> i64 {
        UtcDateTime::parse(s).unwrap().unix_micros()
    }

    fn history(times: &[&str]) -> Vec<Snapshot> {
        times
            .iter()
            .enumerate()
            .map(|(n, t)| snap(&format!("s{n:02}"), "x", t, "r1", "droplet", &["nyc3"], Some(&[]), 1.0))
            .collect()
    }

    fn run(rows: &[Snapshot], policy: &RetentionPolicy) -> Plan {
        let all: Vec<usize> = (0..rows.len()).collect();
        plan(rows, &all, policy, GroupBy::ResourceId, at("2016-01-20T00:00:00Z")).unwrap()
    }

    /// restic's documentation example: daily backups for two weeks and a few extra, `--keep-daily 5`.
    #[test]
    fn keep_daily_keeps_the_last_of_each_day() {
        let rows = history(&[
            "2016-01-01T07:08:03Z",
            "2016-01-04T07:08:03Z",
            "2016-01-04T12:30:00Z",
            "2016-01-05T07:08:03Z",
            "2016-01-06T07:08:03Z",
            "2016-01-06T20:00:00Z",
            "2016-01-07T07:08:03Z",
            "2016-01-08T07:08:03Z",
            "2016-01-09T07:08:03Z",
        ]);
        let p = run(
            &rows,
            &RetentionPolicy {
                keep_daily: 5,
                ..RetentionPolicy::default()
            },
        );
        // Days 9, 8, 7, 6 (its 20:00 one), 5.
        assert_eq!(p.keep, vec![3, 5, 6, 7, 8]);
        assert_eq!(p.delete, vec![0, 1, 2, 4]);
        assert_eq!(p.reasons_for(5), Some(&["daily"][..]));
    }

    /// restic's documentation: one backup every Sunday for 12 weeks; `--keep-daily 4` keeps the last four.
    #[test]
    fn restic_doc_twelve_sundays() {
        let days = [
            "2019-09-01",
            "2019-09-08",
            "2019-09-15",
            "2019-09-22",
            "2019-09-29",
            "2019-10-06",
            "2019-10-13",
            "2019-10-20",
            "2019-10-27",
            "2019-11-03",
            "2019-11-10",
            "2019-11-17",
        ];
        let times: Vec<String> = days.iter().map(|d| format!("{d}T11:00:00Z")).collect();
        let rows = history(&times.iter().map(String::as_str).collect::<Vec<_>>());
        let p = run(
            &rows,
            &RetentionPolicy {
                keep_daily: 4,
                ..RetentionPolicy::default()
            },
        );
        assert_eq!(p.keep, vec![8, 9, 10, 11]);
        assert_eq!(p.delete, (0..8).collect::<Vec<_>>());
        assert!(p.reasons.iter().all(|(_, r)| r == &["daily"]));
    }

    /// restic's documentation: daily backups, `--keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly n`
    /// keeps 7 dailies, 4 more Sundays (the dailies hold one), 11 or 12 month ends and the year ends not kept yet.
    #[test]
    fn restic_doc_daily_backups() {
        // Every day at 11:00 from 2017-01-01 to Sunday 2019-11-17.
        let start = at("2017-01-01T11:00:00Z");
        let end = at("2019-11-17T11:00:00Z");
        let times: Vec<String> = (0..)
            .map(|d| start + d * MICROS_PER_DAY)
            .take_while(|t| *t <= end)
            .map(|t| UtcDateTime::from_unix(t / 1_000_000, 0).to_rfc3339())
            .collect();
        let rows = history(&times.iter().map(String::as_str).collect::<Vec<_>>());
        let p = run(
            &rows,
            &RetentionPolicy {
                keep_daily: 7,
                keep_weekly: 5,
                keep_monthly: 12,
                keep_yearly: 3,
                ..RetentionPolicy::default()
            },
        );
        let kept: Vec<&str> = p.keep.iter().map(|&i| &times[i][..10]).collect();
        assert_eq!(
            kept,
            [
                "2017-12-31", // yearly (2018's and 2019's year ends are already kept)
                "2018-12-31",
                "2019-01-31",
                "2019-02-28",
                "2019-03-31",
                "2019-04-30",
                "2019-05-31",
                "2019-06-30",
                "2019-07-31",
                "2019-08-31",
                "2019-09-30", // month ends
                "2019-10-20",
                "2019-10-27", // Sundays
                "2019-10-31", // a month end
                "2019-11-03",
                "2019-11-10", // Sundays
                "2019-11-11",
                "2019-11-12",
                "2019-11-13",
                "2019-11-14",
                "2019-11-15",
                "2019-11-16",
                "2019-11-17", // the 7 dailies
            ]
        );
        assert_eq!(
            p.reasons_for(*p.keep.last().unwrap()),
            Some(&["daily", "weekly", "monthly", "yearly"][..])
        );
        assert_eq!(p.reasons_for(p.keep[1]), Some(&["monthly", "yearly"][..]));
        assert_eq!(p.delete.len(), rows.len() - 23);
    }

    #[test]
    fn rules_combine_and_reasons_add_up() {
        let mut rows = history(&[
            "2015-06-01T00:00:00Z", // 0: yearly 2015 (newest of 2015 is row 1)
            "2015-12-31T23:00:00Z", // 1
            "2016-01-04T10:00:00Z", // 2: Monday, ISO week 1 of 2016
            "2016-01-10T10:00:00Z", // 3: Sunday, same ISO week
            "2016-01-11T10:00:00Z", // 4: Monday, week 2
            "2016-01-19T10:00:00Z", // 5
            "2016-01-19T11:00:00Z", // 6
        ]);
        rows[0].tags = Field::Value(vec!["keep".into()]);
        let policy = RetentionPolicy {
            keep_last: 1,
            keep_weekly: 3,
            keep_yearly: 2,
            keep_within: Some(MICROS_PER_DAY),
            keep_tags: vec!["keep".into()],
            ..RetentionPolicy::default()
        };
        let p = run(&rows, &policy);
        assert_eq!(p.keep, vec![0, 1, 3, 4, 5, 6]);
        assert_eq!(p.delete, vec![2]);
        assert_eq!(p.reasons_for(6), Some(&["last", "weekly", "yearly", "within"][..]));
        assert_eq!(p.reasons_for(5), Some(&["within"][..]));
        assert_eq!(p.reasons_for(4), Some(&["weekly"][..]));
        assert_eq!(p.reasons_for(3), Some(&["weekly"][..]));
        assert_eq!(p.reasons_for(1), Some(&["yearly"][..]));
        assert_eq!(p.reasons_for(0), Some(&["tag"][..]));
    }

    #[test]
    fn iso_weeks_cross_years() {
        // 2020-12-31 (Thu) and 2021-01-03 (Sun) are both in ISO week 53 of 2020; 2021-01-04 starts week 1.
        let rows = history(&["2020-12-31T12:00:00Z", "2021-01-03T12:00:00Z", "2021-01-04T12:00:00Z"]);
        let p = run(
            &rows,
            &RetentionPolicy {
                keep_weekly: 10,
                ..RetentionPolicy::default()
            },
        );
        assert_eq!((p.keep, p.delete), (vec![1, 2], vec![0]));
        let p = run(
            &rows,
            &RetentionPolicy {
                keep_monthly: 10,
                ..RetentionPolicy::default()
            },
        );
        assert_eq!((p.keep, p.delete), (vec![0, 2], vec![1]));
    }

    #[test]
    fn safety_rules_and_groups() {
        let mut rows = history(&["2016-01-01T00:00:00Z", "2016-01-02T00:00:00Z", "2016-01-03T00:00:00Z"]);
        rows.push(snap("x1", "x", "garbage", "r1", "droplet", &[], None, 1.0));
        let mut no_id = snap("", "x", "2016-01-04T00:00:00Z", "r1", "droplet", &[], None, 1.0);
        no_id.id = Field::Null;
        rows.push(no_id);
        let mut other = snap("o1", "x", "2016-01-01T00:00:00Z", "", "droplet", &[], None, 1.0);
        other.resource_id = Field::Absent;
        rows.push(other.clone());
        other.id = Field::Value("o2".into());
        rows.push(other);
        let policy = RetentionPolicy {
            keep_last: 1,
            ..RetentionPolicy::default()
        };
        let p = run(&rows, &policy);
        // r1: 2 is the newest dated one; 3 (unknown date) and 4 (no id) are kept regardless and don't use the
        // "last" slot. The missing-resource-id group keeps its own newest (a tie: the smaller id, o1).
        assert_eq!(p.keep, vec![2, 3, 4, 5]);
        assert_eq!(p.delete, vec![0, 1, 6]);
        assert_eq!(p.reasons_for(3), Some(&["unknown date"][..]));
        assert_eq!(p.reasons_for(4), Some(&["no id"][..]));
        assert_eq!(p.groups.len(), 2);
        assert_eq!(p.groups[0].key.as_deref(), Some("r1"));
        assert_eq!(p.groups[1].key, None);
        assert_eq!(p.groups[1].keep, vec![5]);
        // Duplicates and out-of-range indices are ignored.
        let p2 = plan(&rows, &[2, 2, 99, 1], &policy, GroupBy::ResourceId, 0).unwrap();
        assert_eq!((p2.keep, p2.delete), (vec![2], vec![1]));
    }

    #[test]
    fn refuses_a_policy_that_keeps_nothing() {
        let err = plan(&[], &[], &RetentionPolicy::default(), GroupBy::ResourceId, 0).unwrap_err();
        assert!(
            err.to_string().contains("a policy that keeps nothing is refused"),
            "{err}"
        );
        let err = RetentionPolicy {
            keep_within: Some(0),
            ..RetentionPolicy::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("positive"));
        assert!(RetentionPolicy {
            keep_tags: vec!["keep".into()],
            ..RetentionPolicy::default()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn plans_100k_rows_quickly() {
        let start = at("2024-01-01T00:00:00Z");
        let rows: Vec<Snapshot> = (0..100_000i64)
            .map(|n| {
                let t = UtcDateTime::from_unix((start + n * 613 * 1_000_000) / 1_000_000, 0).to_rfc3339();
                snap(
                    &format!("{n}"),
                    "x",
                    &t,
                    &format!("r{}", n % 500),
                    "droplet",
                    &["nyc3"],
                    None,
                    1.0,
                )
            })
            .collect();
        let all: Vec<usize> = (0..rows.len()).collect();
        let policy = RetentionPolicy {
            keep_last: 3,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            keep_yearly: 2,
            ..RetentionPolicy::default()
        };
        let began = std::time::Instant::now();
        let p = plan(&rows, &all, &policy, GroupBy::ResourceId, at("2026-01-01T00:00:00Z")).unwrap();
        let took = began.elapsed();
        eprintln!("plan over 100,000 rows: {took:?}");
        assert_eq!(p.groups.len(), 500);
        assert_eq!(p.keep.len() + p.delete.len(), rows.len());
        assert!(took.as_millis() < 5_000, "{took:?}");
    }
}
