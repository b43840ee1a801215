//! Property tests of retention plans: `cargo test --no-default-features --test props_retention`.
//!
//! `plan` is compared with a reference written straight from restic's documented rules (for each rule, list
//! what it keeps, then take the union), on generated histories: two years of timestamps (with ties), several
//! groups plus rows without a group key, random tags, and a few rows without an id or a parseable date. Plus
//! the invariants: kept and deleted partition the input, `keep_last = n` keeps the n newest, `keep_last >= 1`
//! never empties a group, and raising any rule never deletes more. `PROPTEST_CASES` sets the number of cases.

use std::collections::{BTreeMap, BTreeSet};

use _core::core::datetime::{days_from_civil, UtcDateTime};
use _core::core::group::GroupBy;
use _core::core::models::{Field, Snapshot, Str, Timestamp};
use _core::core::retention::{plan, Plan, RetentionPolicy};
use proptest::prelude::*;

mod common;
use common::config;

/// 2024-01-01T00:00:00Z, and "now" two years later.
const START: i64 = 1_704_067_200;
const SPAN: i64 = 2 * 365 * 86_400;
const NOW: i64 = START + SPAN;
const TAGS: [&str; 3] = ["keep", "prod", "weekly"];

#[derive(Debug, Clone)]
struct Row {
    id: Option<u32>,
    secs: Option<i64>,
    group: Option<u8>,
    tags: Vec<&'static str>,
}

fn row() -> impl Strategy<Value = Row> {
    let secs = prop_oneof![
        // Anywhere in two years, on whole hours now and then (ties and same-period neighbours).
        6 => (0..SPAN).prop_map(|s| START + s),
        3 => (0..SPAN / 3600).prop_map(|h| START + h * 3600),
        1 => (0..60i64).prop_map(|d| NOW - d * 86_400),
    ];
    (
        prop_oneof![20 => any::<u16>().prop_map(|v| Some(u32::from(v))), 1 => Just(None)],
        prop_oneof![20 => secs.prop_map(Some), 1 => Just(None)],
        prop_oneof![8 => (0u8..4).prop_map(Some), 1 => Just(None)],
        proptest::sample::subsequence(TAGS.to_vec(), 0..=2),
    )
        .prop_map(|(id, secs, group, tags)| Row { id, secs, group, tags })
}

fn to_snapshot(r: &Row) -> Snapshot {
    let mut s = Snapshot::default();
    s.id = r.id.map_or(Field::Null, |v| Field::Value(Str::from(format!("{v:05}"))));
    s.created_at = Timestamp(Field::Value(Str::from(match r.secs {
        Some(t) => UtcDateTime::from_unix(t, 0).to_rfc3339(),
        None => "yesterday".to_owned(),
    })));
    s.resource_id = r
        .group
        .map_or(Field::Absent, |g| Field::Value(Str::from(format!("res-{g}"))));
    s.tags = Field::Value(r.tags.iter().map(|t| Str::from(*t)).collect());
    s
}

fn policy() -> impl Strategy<Value = RetentionPolicy> {
    (
        prop::array::uniform6(prop_oneof![3 => Just(0u32), 2 => 1u32..5, 1 => 5u32..40]),
        prop_oneof![2 => Just(None), 1 => (1i64..400).prop_map(|d| Some(d * 86_400 * 1_000_000))],
        proptest::sample::subsequence(TAGS.to_vec(), 0..=1),
    )
        .prop_map(|(n, within, tags)| RetentionPolicy {
            keep_last: n[0],
            keep_hourly: n[1],
            keep_daily: n[2],
            keep_weekly: n[3],
            keep_monthly: n[4],
            keep_yearly: n[5],
            keep_within: within,
            keep_tags: tags.into_iter().map(Str::from).collect(),
        })
        .prop_filter("keeps something", |p| p.validate().is_ok())
}

// ------------------------------------------------------------------------------------------ the reference

fn weekday_monday1(days: i64) -> i64 {
    // 1970-01-01 was a Thursday (4).
    (days + 3).rem_euclid(7) + 1
}

fn weeks_in_year(y: i32) -> i64 {
    let jan1 = weekday_monday1(days_from_civil(y, 1, 1));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if jan1 == 4 || (leap && jan1 == 3) {
        53
    } else {
        52
    }
}

/// ISO 8601 (year, week) by the textbook rule: week = (ordinal − weekday + 10) / 7.
fn iso_week(t: &UtcDateTime) -> (i32, i64) {
    let days = days_from_civil(t.year, u32::from(t.month), u32::from(t.day));
    let ordinal = days - days_from_civil(t.year, 1, 1) + 1;
    let week = (ordinal - weekday_monday1(days) + 10) / 7;
    if week < 1 {
        (t.year - 1, weeks_in_year(t.year - 1))
    } else if week > weeks_in_year(t.year) {
        (t.year + 1, 1)
    } else {
        (t.year, week)
    }
}

fn period(kind: usize, secs: i64) -> String {
    let t = UtcDateTime::from_unix(secs, 0);
    match kind {
        0 => format!("{:04}-{:02}-{:02}T{:02}", t.year, t.month, t.day, t.hour),
        1 => format!("{:04}-{:02}-{:02}", t.year, t.month, t.day),
        2 => {
            let (y, w) = iso_week(&t);
            format!("{y:04}-W{w:02}")
        }
        3 => format!("{:04}-{:02}", t.year, t.month),
        _ => format!("{:04}", t.year),
    }
}

const NAMES: [&str; 5] = ["hourly", "daily", "weekly", "monthly", "yearly"];

/// Row index → reasons, for the kept rows.
fn reference(rows: &[Row], policy: &RetentionPolicy) -> BTreeMap<usize, BTreeSet<&'static str>> {
    let mut kept: BTreeMap<usize, BTreeSet<&'static str>> = BTreeMap::new();
    let mut groups: BTreeMap<Option<u8>, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.id.is_none() {
            kept.entry(i).or_default().insert("no id");
        }
        if r.secs.is_none() {
            kept.entry(i).or_default().insert("unknown date");
        }
        if r.id.is_none() || r.secs.is_none() {
            if r.tags.iter().any(|t| policy.keep_tags.iter().any(|k| k == t)) {
                kept.entry(i).or_default().insert("tag");
            }
            continue;
        }
        groups.entry(r.group).or_default().push(i);
    }
    for members in groups.values() {
        let mut sorted = members.clone();
        sorted.sort_by_key(|&i| {
            (
                std::cmp::Reverse(rows[i].secs.unwrap()),
                format!("{:05}", rows[i].id.unwrap()),
            )
        });
        for &i in sorted.iter().take(policy.keep_last as usize) {
            kept.entry(i).or_default().insert("last");
        }
        let counts = [
            policy.keep_hourly,
            policy.keep_daily,
            policy.keep_weekly,
            policy.keep_monthly,
            policy.keep_yearly,
        ];
        for (kind, &n) in counts.iter().enumerate() {
            // The distinct periods, newest first; the newest snapshot of each of the first n.
            let mut newest_of: Vec<(String, usize)> = Vec::new();
            for &i in &sorted {
                let p = period(kind, rows[i].secs.unwrap());
                if !newest_of.iter().any(|(q, _)| *q == p) {
                    newest_of.push((p, i));
                }
            }
            for (_, i) in newest_of.into_iter().take(n as usize) {
                kept.entry(i).or_default().insert(NAMES[kind]);
            }
        }
        for &i in &sorted {
            let t = rows[i].secs.unwrap() * 1_000_000;
            if policy.keep_within.is_some_and(|w| t > NOW * 1_000_000 - w) {
                kept.entry(i).or_default().insert("within");
            }
            if rows[i].tags.iter().any(|t| policy.keep_tags.iter().any(|k| k == t)) {
                kept.entry(i).or_default().insert("tag");
            }
        }
    }
    kept
}

fn run(rows: &[Row], policy: &RetentionPolicy) -> Plan {
    let snaps: Vec<Snapshot> = rows.iter().map(to_snapshot).collect();
    let idx: Vec<usize> = (0..rows.len()).collect();
    plan(&snaps, &idx, policy, GroupBy::ResourceId, NOW * 1_000_000).unwrap()
}

fn deleted(p: &Plan) -> BTreeSet<usize> {
    p.delete.iter().copied().collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn matches_the_reference(rows in prop::collection::vec(row(), 0..120), policy in policy()) {
        let p = run(&rows, &policy);
        let want = reference(&rows, &policy);
        let got: BTreeMap<usize, BTreeSet<&'static str>> =
            p.reasons.iter().map(|(i, r)| (*i, r.iter().copied().collect())).collect();
        prop_assert_eq!(&got, &want);
        // Each reason once.
        for (_, r) in &p.reasons {
            let set: BTreeSet<_> = r.iter().collect();
            prop_assert_eq!(set.len(), r.len());
        }
    }

    #[test]
    fn partitions_the_input(rows in prop::collection::vec(row(), 0..120), policy in policy()) {
        let p = run(&rows, &policy);
        let keep: BTreeSet<usize> = p.keep.iter().copied().collect();
        let del = deleted(&p);
        prop_assert_eq!(keep.len(), p.keep.len());
        prop_assert_eq!(del.len(), p.delete.len());
        prop_assert!(keep.is_disjoint(&del));
        prop_assert_eq!(keep.len() + del.len(), rows.len());
        prop_assert_eq!(p.reasons.len(), p.keep.len());
        // Both lists follow the input order.
        prop_assert!(p.keep.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(p.delete.windows(2).all(|w| w[0] < w[1]));
        // Rows we can't identify or date are never deleted.
        for (i, r) in rows.iter().enumerate() {
            if r.id.is_none() || r.secs.is_none() {
                prop_assert!(keep.contains(&i));
            }
        }
        let in_groups: usize = p.groups.iter().map(|g| g.keep.len() + g.delete.len()).sum();
        prop_assert_eq!(in_groups, rows.len());
    }

    #[test]
    fn keep_last_keeps_the_n_newest(rows in prop::collection::vec(row(), 0..120), n in 1u32..10) {
        let policy = RetentionPolicy { keep_last: n, ..RetentionPolicy::default() };
        let p = run(&rows, &policy);
        for g in &p.groups {
            let mut dated: Vec<usize> = g.keep.iter().chain(&g.delete).copied()
                .filter(|&i| rows[i].id.is_some() && rows[i].secs.is_some())
                .collect();
            dated.sort_by_key(|&i| (std::cmp::Reverse(rows[i].secs.unwrap()), rows[i].id.unwrap()));
            let expect: BTreeSet<usize> = dated.iter().take(n as usize).copied().collect();
            let kept_dated: BTreeSet<usize> = g.keep.iter().copied()
                .filter(|&i| rows[i].id.is_some() && rows[i].secs.is_some())
                .collect();
            prop_assert_eq!(kept_dated.len(), dated.len().min(n as usize));
            prop_assert_eq!(kept_dated, expect);
            // No group is emptied.
            prop_assert!(!g.keep.is_empty());
        }
    }

    #[test]
    fn raising_a_rule_never_deletes_more(
        rows in prop::collection::vec(row(), 0..120),
        policy in policy(),
        which in 0usize..8,
        by in 1u32..20,
    ) {
        let before = deleted(&run(&rows, &policy));
        let mut more = policy.clone();
        match which {
            0 => more.keep_last += by,
            1 => more.keep_hourly += by,
            2 => more.keep_daily += by,
            3 => more.keep_weekly += by,
            4 => more.keep_monthly += by,
            5 => more.keep_yearly += by,
            6 => more.keep_within = Some(more.keep_within.unwrap_or(0) + i64::from(by) * 86_400 * 1_000_000),
            _ => more.keep_tags.push(Str::from(TAGS[by as usize % TAGS.len()])),
        }
        let after = deleted(&run(&rows, &more));
        prop_assert!(after.is_subset(&before), "{:?} deleted more than {:?}", more, policy);
    }

    #[test]
    fn any_keep_last_spares_every_group(rows in prop::collection::vec(row(), 1..120), policy in policy()) {
        let mut policy = policy;
        policy.keep_last = policy.keep_last.max(1);
        let p = run(&rows, &policy);
        for g in &p.groups {
            prop_assert!(!g.keep.is_empty(), "group {:?} emptied", g.key);
        }
    }
}

#[test]
fn iso_week_reference_is_right() {
    let w = |s: &str| iso_week(&UtcDateTime::parse(s).unwrap());
    assert_eq!(w("2021-01-03T00:00:00Z"), (2020, 53));
    assert_eq!(w("2021-01-04T00:00:00Z"), (2021, 1));
    assert_eq!(w("2024-12-30T00:00:00Z"), (2025, 1));
    assert_eq!(w("2026-12-31T00:00:00Z"), (2026, 53));
    assert_eq!(w("2025-06-15T00:00:00Z"), (2025, 24));
}
