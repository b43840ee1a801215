//! `list_all`: every snapshot exactly once. Page 1 first, the page count from `meta.total`, the other pages
//! concurrently (bounded, in page order), pages past the expected end while the last one is full, and a new
//! listing when the pages disagree about `meta.total` (the account changed underneath us).

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::core::error::{Error, Result};
use crate::core::http::HttpClient;
use crate::core::models::{Obj, Snapshot, SnapshotPage};
use crate::core::snapshots::{self, CallOptions, ListParams, MAX_PER_PAGE};

/// Default parallel page requests. See README "Choosing max_concurrency".
pub const DEFAULT_MAX_CONCURRENCY: usize = 32;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Pages fetched past the expected end, one at a time, while the account keeps growing.
const MAX_TAIL_PAGES: u64 = 1_000;
/// Ceiling for a page count taken from `links.pages.last` alone (no `meta.total`).
const MAX_LINKED_PAGES: u64 = 100_000;

pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Clone)]
pub struct ListAllOptions {
    pub resource_type: Option<String>,
    pub per_page: u64,
    pub max_concurrency: usize,
    pub wait_for_rate_limit: bool,
    pub max_attempts: u32,
    pub call: CallOptions,
    pub progress: Option<Progress>,
}

impl Default for ListAllOptions {
    fn default() -> Self {
        Self {
            resource_type: None,
            per_page: MAX_PER_PAGE,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            wait_for_rate_limit: false,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            call: CallOptions::default(),
            progress: None,
        }
    }
}

/// The account changed during every attempt; what was returned is deduplicated but may be off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub first_total: u64,
    pub last_total: u64,
    pub returned: u64,
    pub attempts: u32,
}

impl Change {
    pub fn message(&self) -> String {
        format!(
            "the account changed during the listing: meta.total moved from {} to {} over {} attempt(s); \
             returning {} unique snapshots",
            self.first_total, self.last_total, self.attempts, self.returned
        )
    }
}

#[derive(Debug, Clone)]
pub struct Listing {
    pub snapshots: Vec<Snapshot>,
    /// `meta.total` of the last page answer.
    pub total: u64,
    pub pages: u64,
    pub changed: Option<Change>,
}

/// The `page` query parameter of a link (only read to count pages; links are never requested).
pub fn page_number(link: &str) -> Option<u64> {
    let url = url::Url::parse(link)
        .or_else(|_| url::Url::parse("http://x").and_then(|b| b.join(link)))
        .ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

/// The page number of `links.pages.last`, if any.
pub fn last_page_link(page: &SnapshotPage) -> Option<u64> {
    page.pages().and_then(|p| p.last.value()).and_then(|l| page_number(l))
}

/// Pages needed for `total` snapshots, cross-checked with `links.pages.last`.
pub fn page_count(total: Option<i64>, from_links: Option<u64>, per_page: u64) -> u64 {
    match (total, from_links) {
        (Some(total), linked) => {
            let counted = (u64::try_from(total).unwrap_or(0)).div_ceil(per_page).max(1);
            if let Some(l) = linked.filter(|l| *l != counted) {
                log::warn!(target: "gradientai_rs::pagination", "meta.total says {counted} pages, links.pages.last says {l}; using meta.total");
            }
            counted
        }
        (None, Some(l)) => l.clamp(1, MAX_LINKED_PAGES),
        (None, None) => 1,
    }
}

struct PageResult {
    page: u64,
    total: Option<i64>,
    last_link: Option<u64>,
    snapshots: Vec<Snapshot>,
}

async fn fetch(http: &HttpClient, opts: &ListAllOptions, page: u64) -> Result<PageResult> {
    let params = ListParams {
        page: Some(page),
        per_page: Some(opts.per_page),
        resource_type: opts.resource_type.clone(),
    };
    let result = snapshots::list(http, &params, &opts.call).await;
    let parsed = result.map_err(|e| Error::Page {
        page,
        source: Box::new(e),
    })?;
    let total = parsed.total();
    let last_link = last_page_link(&parsed);
    let snapshots = match parsed.snapshots {
        Obj::Value(v) => v,
        _ => Vec::new(),
    };
    log::debug!(target: "gradientai_rs::pagination", "page {page}: {} snapshots", snapshots.len());
    Ok(PageResult {
        page,
        total,
        last_link,
        snapshots,
    })
}

struct Attempt {
    snapshots: Vec<Snapshot>,
    first_total: u64,
    last_total: u64,
    pages: u64,
    consistent: bool,
}

/// One listing. `sequential`: pages one at a time in ascending order — used for the last attempt when the account
/// keeps changing, because snapshots inserted at the front only push others to later pages, which an ascending
/// walk still reaches (concurrent pages answered out of order could each miss a pushed snapshot).
async fn attempt(http: &HttpClient, opts: &ListAllOptions, sequential: bool) -> Result<Attempt> {
    let first_page = fetch(http, opts, 1).await?;
    let first_total_raw = first_page.total;
    let mut expected = page_count(first_page.total, first_page.last_link, opts.per_page);
    let first_total = first_page.total.and_then(|t| u64::try_from(t).ok());
    let report = |done: u64, total: u64| {
        if let Some(p) = &opts.progress {
            p(done, total);
        }
    };
    report(1, expected);
    let rest = expected.saturating_sub(1);
    if rest > 0 {
        if let Some(rl) = http.rate_limit() {
            if let Some(remaining) = rl.remaining.filter(|r| *r < rest) {
                if opts.wait_for_rate_limit {
                    let wait = rl.until_reset();
                    log::info!(target: "gradientai_rs::ratelimit", "{rest} pages to fetch, {remaining} requests left: waiting {}s for ratelimit-reset", wait.as_secs());
                    tokio::time::sleep(wait).await;
                } else {
                    return Err(Error::QuotaInsufficient {
                        needed: rest,
                        remaining,
                        reset: rl.reset,
                    });
                }
            }
        }
    }
    let mut pages: Vec<PageResult> = Vec::with_capacity(expected as usize);
    pages.push(first_page);
    let mut done = 1;
    let mut stream = stream::iter(2..=expected)
        .map(|p| fetch(http, opts, p))
        .buffered(if sequential { 1 } else { opts.max_concurrency.max(1) });
    while let Some(page) = stream.try_next().await? {
        done += 1;
        report(done, expected);
        pages.push(page);
    }
    drop(stream);
    // More pages than counted: the account grew, or meta.total was short. Go on while pages are full and the
    // answers don't already account for every snapshot.
    let mut tail = 0;
    let settled = |pages: &[PageResult]| {
        let fetched: usize = pages.iter().map(|p| p.snapshots.len()).sum();
        pages.iter().all(|p| p.total == first_total_raw) && first_total_raw.is_some_and(|t| t <= fetched as i64)
    };
    while pages.last().is_some_and(|p| p.snapshots.len() as u64 >= opts.per_page)
        && !settled(&pages)
        && tail < MAX_TAIL_PAGES
    {
        let next = pages.last().map_or(1, |p| p.page + 1);
        let page = fetch(http, opts, next).await?;
        tail += 1;
        expected = expected.max(next);
        done += 1;
        report(done, expected);
        let empty = page.snapshots.is_empty();
        pages.push(page);
        if empty {
            break;
        }
    }
    let last_total = pages
        .iter()
        .rev()
        .find_map(|p| p.total)
        .and_then(|t| u64::try_from(t).ok())
        .unwrap_or(0);
    let totals_agree = pages
        .iter()
        .all(|p| p.total.and_then(|t| u64::try_from(t).ok()) == first_total);
    let page_count = pages.len() as u64;
    let fetched: usize = pages.iter().map(|p| p.snapshots.len()).sum();
    let snapshots = dedupe(pages.into_iter().flat_map(|p| p.snapshots), fetched);
    let consistent =
        totals_agree && first_total.is_none_or(|t| t == snapshots.len() as u64) && snapshots.len() == fetched;
    Ok(Attempt {
        snapshots,
        first_total: first_total.unwrap_or(0),
        last_total,
        pages: page_count,
        consistent,
    })
}

/// The parameters of the page after `page` (answered to `params` + `extra_query`), or `None` on the last page.
/// Like Stainless' `has_next_page()`: an empty page has no next; otherwise `meta.total` decides, and without it
/// `links.pages.next`.
pub fn next_page_params(
    page: &SnapshotPage,
    count: usize,
    params: &ListParams,
    extra_query: &[(String, String)],
) -> Option<ListParams> {
    if count == 0 {
        return None;
    }
    let query = params.query(extra_query);
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let current = get("page").unwrap_or(1);
    let per_page = get("per_page").unwrap_or(snapshots::DEFAULT_PER_PAGE);
    let more = match page.total() {
        Some(total) => current.saturating_mul(per_page) < u64::try_from(total).unwrap_or(0),
        None => page
            .pages()
            .is_some_and(|p| matches!(p.next, crate::core::models::Field::Value(_))),
    };
    more.then(|| ListParams {
        page: Some(current + 1),
        ..params.clone()
    })
}

/// Keeps the first occurrence of each id, in page order. Snapshots without an id are all kept.
pub fn dedupe(items: impl Iterator<Item = Snapshot>, capacity: usize) -> Vec<Snapshot> {
    let mut seen: HashSet<crate::core::models::Str> = HashSet::with_capacity(capacity);
    let mut out = Vec::with_capacity(capacity);
    for s in items {
        if s.id_key().is_none_or(|id| seen.insert(id)) {
            out.push(s);
        }
    }
    out
}

pub async fn list_all(http: &HttpClient, opts: &ListAllOptions) -> Result<Listing> {
    let attempts = opts.max_attempts.max(1);
    let mut first_total = None;
    for n in 1..=attempts {
        let a = attempt(http, opts, n > 1 && n == attempts).await?;
        first_total.get_or_insert(a.first_total);
        if a.consistent || n == attempts {
            let changed = (!a.consistent).then(|| Change {
                first_total: first_total.unwrap_or(a.first_total),
                last_total: a.last_total,
                returned: a.snapshots.len() as u64,
                attempts: n,
            });
            return Ok(Listing {
                total: a.last_total,
                pages: a.pages,
                snapshots: a.snapshots,
                changed,
            });
        }
        log::info!(target: "gradientai_rs::pagination", "the account changed during listing attempt {n}; listing again");
    }
    unreachable!("the loop returns on its last attempt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::models::decode_page;

    #[test]
    fn page_numbers_from_links() {
        assert_eq!(
            page_number("https://api.digitalocean.com/v2/snapshots?page=171&per_page=1"),
            Some(171)
        );
        assert_eq!(page_number("/v2/snapshots?per_page=2&page=3"), Some(3));
        assert_eq!(page_number("https://h/v2/snapshots"), None);
    }

    #[test]
    fn page_count_prefers_meta_total() {
        let count = |body: &[u8]| {
            let p = decode_page(body).unwrap();
            page_count(p.total(), last_page_link(&p), 200)
        };
        assert_eq!(count(br#"{"snapshots":[],"meta":{"total":401}}"#), 3);
        assert_eq!(count(br#"{"snapshots":[],"meta":{"total":0}}"#), 1);
        assert_eq!(
            count(br#"{"snapshots":[],"links":{"pages":{"last":"https://h/v2/snapshots?page=7"}}}"#),
            7
        );
        assert_eq!(
            count(
                br#"{"snapshots":[],"links":{"pages":{"last":"https://h/v2/snapshots?page=9"}},"meta":{"total":400}}"#
            ),
            2
        );
        assert_eq!(
            count(br#"{"snapshots":[],"links":{"pages":{"last":"https://h/v2/snapshots?page=99999999"}}}"#),
            100_000
        );
    }

    #[test]
    fn next_page_follows_meta_total_then_links() {
        let p = decode_page(br#"{"snapshots":[{"id":"a"}],"meta":{"total":41}}"#).unwrap();
        let params = ListParams {
            per_page: Some(20),
            ..Default::default()
        };
        assert_eq!(next_page_params(&p, 1, &params, &[]).unwrap().page, Some(2));
        let third = ListParams {
            page: Some(3),
            ..params.clone()
        };
        assert!(next_page_params(&p, 1, &third, &[]).is_none());
        assert!(next_page_params(&p, 0, &params, &[]).is_none());
        let extra = [("per_page".to_owned(), "41".to_owned())];
        assert!(next_page_params(&p, 1, &params, &extra).is_none());
        let linked = decode_page(br#"{"snapshots":[{"id":"a"}],"links":{"pages":{"next":"x"}}}"#).unwrap();
        assert_eq!(
            next_page_params(&linked, 1, &ListParams::default(), &[]).unwrap().page,
            Some(2)
        );
        let last = decode_page(br#"{"snapshots":[{"id":"a"}],"links":{"pages":{"prev":"x"}}}"#).unwrap();
        assert!(next_page_params(&last, 1, &ListParams::default(), &[]).is_none());
    }

    #[test]
    fn dedupe_keeps_first_in_order() {
        let page = decode_page(
            br#"{"snapshots":[{"id":"a"},{"id":"b"},{"id":"a"},{"name":"no id"},{"name":"no id"},{"id":"c"}]}"#,
        )
        .unwrap();
        let out = dedupe(page.snapshots().iter().cloned(), 6);
        let ids: Vec<_> = out.iter().map(|s| s.id_key()).collect();
        assert_eq!(
            ids,
            vec![Some("a".into()), Some("b".into()), None, None, Some("c".into())]
        );
    }
}
