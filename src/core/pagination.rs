//! `list_all`: every item of a collection (snapshots, droplets, volumes: [`Collection`]) exactly once. Page 1 first, the page count from `meta.total`, the other pages
//! concurrently (bounded, in page order), pages past the expected end while the last one is full, and a new
//! listing when the pages disagree about `meta.total` (the account changed underneath us).

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::core::error::{Error, Result};
use crate::core::http::{HttpClient, Request, Response, HTTP1_MAX_CONNECTIONS};
use crate::core::models::{Obj, Pages, Snapshot, SnapshotPage, Str};
use crate::core::ratelimit::{WaitObserver, WAIT_OBSERVER};
use crate::core::snapshots::{self, CallOptions, ListParams, MAX_PER_PAGE};

/// A paginated collection: its path, the query of one of its pages, and how a page decodes. The engine is generic
/// over it (monomorphised: the snapshot path costs nothing for being shared).
pub trait Collection: Sync {
    type Item: Keyed + Send;
    type Page: ListPage<Item = Self::Item>;
    const PATH: &'static str;
    /// The items' plural noun, for messages ("snapshots").
    const NOUN: &'static str;
    /// The query of page `page` of `per_page`, with `extra_query` merged over it.
    fn page_query(&self, page: u64, per_page: u64, extra: &[(String, String)]) -> Vec<(String, String)>;
    fn parse(resp: &Response) -> Result<Self::Page>;
}

/// One decoded page of a [`Collection`].
pub trait ListPage: Send {
    type Item;
    fn total(&self) -> Option<i64>;
    fn pages(&self) -> Option<&Pages>;
    fn into_items(self) -> Vec<Self::Item>;
}

/// An item's id as text, for deduplication (`None`: no usable id; such items are all kept).
pub trait Keyed {
    fn id_key(&self) -> Option<Str>;
}

impl Keyed for Snapshot {
    fn id_key(&self) -> Option<Str> {
        Snapshot::id_key(self)
    }
}

impl ListPage for SnapshotPage {
    type Item = Snapshot;
    fn total(&self) -> Option<i64> {
        SnapshotPage::total(self)
    }
    fn pages(&self) -> Option<&Pages> {
        SnapshotPage::pages(self)
    }
    fn into_items(self) -> Vec<Snapshot> {
        match self.snapshots {
            Obj::Value(v) => v,
            _ => Vec::new(),
        }
    }
}

/// `GET /v2/snapshots` with `resource_type` (the page and `per_page` of `self` are replaced by the engine's).
impl Collection for ListParams {
    type Item = Snapshot;
    type Page = SnapshotPage;
    const PATH: &'static str = snapshots::PATH;
    const NOUN: &'static str = "snapshots";
    fn page_query(&self, page: u64, per_page: u64, extra: &[(String, String)]) -> Vec<(String, String)> {
        ListParams {
            page: Some(page),
            per_page: Some(per_page),
            resource_type: self.resource_type.clone(),
        }
        .query(extra)
    }
    fn parse(resp: &Response) -> Result<SnapshotPage> {
        snapshots::parse_list(resp)
    }
}

/// `max_concurrency=None` ("auto") over HTTP/1.1: one connection per page in flight, so this many at most (each
/// new connection costs its own TCP and TLS handshakes, and 32 is the idle pool kept per host).
/// See README "Choosing max_concurrency".
pub const DEFAULT_MAX_CONCURRENCY: usize = HTTP1_MAX_CONNECTIONS;
/// `max_concurrency=None` over HTTP/2: streams on one connection are cheap, so every remaining page at once, up to
/// this many (and never more than the limiter admits in a minute).
pub const H2_MAX_IN_FLIGHT: usize = 1_000;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Pages fetched past the expected end, one at a time, while the account keeps growing.
const MAX_TAIL_PAGES: u64 = 1_000;
/// A `meta.total` or `links.pages.last` that means more pages than this is refused as a malformed answer
/// (200 million snapshots at 200 a page); nothing is sized from the server's numbers before this check.
pub const MAX_PAGES: u64 = 1_000_000;

/// Told `(done, total)` after each page (or delete). [`ControlFlow::Break`] stops the run: `list_all` returns
/// [`Error::Stopped`] at once, `delete_many` starts no further delete (the binding's callback breaks when the
/// user's callback raised, and re-raises that exception).
pub type Progress = Arc<dyn Fn(u64, u64) -> ControlFlow<()> + Send + Sync>;

#[derive(Clone)]
pub struct ListAllOptions {
    /// Snapshots only ([`list_all`]); other collections carry their filters in the [`Collection`] value.
    pub resource_type: Option<String>,
    pub per_page: u64,
    /// Pages in flight at once; `None` is "auto" ([`auto_concurrency`]).
    pub max_concurrency: Option<usize>,
    pub wait_for_rate_limit: bool,
    pub max_attempts: u32,
    pub call: CallOptions,
    pub progress: Option<Progress>,
    /// The whole listing, retries and rate-limit waits included, must finish within this.
    pub deadline: Option<Duration>,
    /// Told about each wait of a second or more for the rate limiter (the progress bar shows it).
    pub on_rate_limit_wait: Option<WaitObserver>,
}

impl Default for ListAllOptions {
    fn default() -> Self {
        Self {
            resource_type: None,
            per_page: MAX_PER_PAGE,
            max_concurrency: None,
            wait_for_rate_limit: false,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            call: CallOptions::default(),
            progress: None,
            deadline: None,
            on_rate_limit_wait: None,
        }
    }
}

/// Pages in flight for the remaining `rest` pages: explicit `max_concurrency` as given; "auto" is every page at once
/// over HTTP/2 (at most [`H2_MAX_IN_FLIGHT`] and the limiter's per-minute budget), [`DEFAULT_MAX_CONCURRENCY`]
/// connections over HTTP/1.1.
pub fn auto_concurrency(explicit: Option<usize>, http2: bool, rest: u64, per_minute: Option<u32>) -> usize {
    let rest = usize::try_from(rest).unwrap_or(usize::MAX).max(1);
    match explicit {
        Some(n) => n.max(1),
        None if http2 => {
            let budget = per_minute.map_or(usize::MAX, |n| n.max(1) as usize);
            rest.min(H2_MAX_IN_FLIGHT).min(budget)
        }
        None => rest.min(DEFAULT_MAX_CONCURRENCY),
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
        self.message_for("snapshots")
    }

    /// The message for a listing of `noun` ("droplets").
    pub fn message_for(&self, noun: &str) -> String {
        format!(
            "the account changed during the listing: meta.total moved from {} to {} over {} attempt(s); \
             returning {} unique {noun}",
            self.first_total, self.last_total, self.attempts, self.returned
        )
    }
}

#[derive(Debug, Clone)]
pub struct Listing<T = Snapshot> {
    pub items: Vec<T>,
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
pub fn last_page_link<P: ListPage>(page: &P) -> Option<u64> {
    page.pages().and_then(|p| p.last.value()).and_then(|l| page_number(l))
}

/// Why a page's `meta.total` or `links.pages.last` can't be believed: more than [`MAX_PAGES`] pages.
pub fn implausible(total: Option<i64>, from_links: Option<u64>, per_page: u64) -> Option<String> {
    let pages = |t: u64| t.div_ceil(per_page.max(1));
    if let Some(t) = total
        .and_then(|t| u64::try_from(t).ok())
        .filter(|t| pages(*t) > MAX_PAGES)
    {
        return Some(format!(
            "meta.total is {t}, which is {} pages of {per_page}; more than {MAX_PAGES} pages is not a plausible answer",
            pages(t)
        ));
    }
    if let Some(l) = from_links.filter(|l| *l > MAX_PAGES) {
        return Some(format!(
            "links.pages.last points at page {l}; more than {MAX_PAGES} pages is not a plausible answer"
        ));
    }
    None
}

/// Pages needed for `total` snapshots, cross-checked with `links.pages.last` (both already checked by
/// [`implausible`]; anything larger is clamped to [`MAX_PAGES`] all the same).
pub fn page_count(total: Option<i64>, from_links: Option<u64>, per_page: u64) -> u64 {
    match (total, from_links) {
        (Some(total), linked) => {
            let counted = (u64::try_from(total).unwrap_or(0))
                .div_ceil(per_page.max(1))
                .clamp(1, MAX_PAGES);
            if let Some(l) = linked.filter(|l| *l != counted) {
                log::warn!(target: "gradientai_rs::pagination", "meta.total says {counted} pages, links.pages.last says {l}; using meta.total");
            }
            counted
        }
        (None, Some(l)) => l.clamp(1, MAX_PAGES),
        (None, None) => 1,
    }
}

struct PageResult<T> {
    page: u64,
    total: Option<i64>,
    last_link: Option<u64>,
    snapshots: Vec<T>,
    http2: bool,
}

async fn fetch<C: Collection>(
    http: &HttpClient,
    what: &C,
    opts: &ListAllOptions,
    page: u64,
) -> Result<PageResult<C::Item>> {
    let request = Request {
        method: reqwest::Method::GET,
        path: C::PATH.to_owned(),
        query: what.page_query(page, opts.per_page, &opts.call.extra_query),
        headers: opts.call.extra_headers.clone(),
        timeout: opts.call.timeout,
    };
    let wrap = |e| Error::Page {
        page,
        source: Box::new(e),
    };
    let resp = http.send(&request).await.map_err(wrap)?;
    let parsed = C::parse(&resp).map_err(wrap)?;
    let total = parsed.total();
    let last_link = last_page_link(&parsed);
    if let Some(why) = implausible(total, last_link, opts.per_page) {
        return Err(wrap(resp.invalid(why)));
    }
    let http2 = resp.is_http2();
    let snapshots = parsed.into_items();
    log::debug!(target: "gradientai_rs::pagination", "page {page}: {} {} ({})", snapshots.len(), C::NOUN, C::PATH);
    Ok(PageResult {
        page,
        total,
        last_link,
        snapshots,
        http2,
    })
}

struct Attempt<T> {
    snapshots: Vec<T>,
    first_total: u64,
    last_total: u64,
    pages: u64,
    consistent: bool,
    /// Every page agreed on `meta.total` (or none had one) and no snapshot came twice: if the count still differs
    /// from `meta.total`, the server's count is off, unless a second listing sees something else.
    stable: bool,
}

/// One listing. `sequential`: pages one at a time in ascending order — used for the last attempt when the account
/// keeps changing, because snapshots inserted at the front only push others to later pages, which an ascending
/// walk still reaches (concurrent pages answered out of order could each miss a pushed snapshot).
async fn attempt<C: Collection>(
    http: &HttpClient,
    what: &C,
    opts: &ListAllOptions,
    sequential: bool,
) -> Result<Attempt<C::Item>> {
    let first_page = fetch(http, what, opts, 1).await?;
    let first_total_raw = first_page.total;
    let mut expected = page_count(first_page.total, first_page.last_link, opts.per_page);
    let first_total = first_page.total.and_then(|t| u64::try_from(t).ok());
    let report = |done: u64, total: u64| match &opts.progress {
        Some(p) if p(done, total).is_break() => Err(Error::Stopped),
        _ => Ok(()),
    };
    report(1, expected)?;
    let rest = expected.saturating_sub(1);
    if rest > 0 {
        if let Some(rl) = http.rate_limit() {
            if let Some(remaining) = rl.remaining.filter(|r| *r < rest) {
                if opts.wait_for_rate_limit {
                    let cap = http.config().max_rate_limit_wait;
                    let wait = rl.until_reset().min(cap);
                    log::info!(target: "gradientai_rs::ratelimit", "rate limit: {rest} pages to fetch, {remaining} requests left this hour: waiting {} s for ratelimit-reset (max_rate_limit_wait={} s)", wait.as_secs(), cap.as_secs_f64());
                    if wait >= crate::core::ratelimit::VISIBLE_WAIT {
                        if let Some(observer) = &opts.on_rate_limit_wait {
                            observer(wait);
                        }
                    }
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
    let in_flight = if sequential {
        1
    } else {
        auto_concurrency(
            opts.max_concurrency,
            first_page.http2,
            rest,
            http.limiter().per_minute(),
        )
    };
    log::debug!(target: "gradientai_rs::pagination", "{rest} more pages, {in_flight} at once (http2: {})", first_page.http2);
    // Grown as pages arrive: never sized from the page count the server announced.
    let mut pages: Vec<PageResult<C::Item>> = vec![first_page];
    let mut done = 1;
    let mut stream = stream::iter(2..=expected)
        .map(|p| fetch(http, what, opts, p))
        .buffered(in_flight);
    while let Some(page) = stream.try_next().await? {
        done += 1;
        report(done, expected)?;
        pages.push(page);
    }
    drop(stream);
    // More pages than counted: the account grew, or meta.total was short. Go on while pages are full and the
    // answers don't already account for every snapshot.
    let mut tail = 0;
    let settled = |pages: &[PageResult<C::Item>]| {
        let fetched: usize = pages.iter().map(|p| p.snapshots.len()).sum();
        pages.iter().all(|p| p.total == first_total_raw) && first_total_raw.is_some_and(|t| t <= fetched as i64)
    };
    while pages.last().is_some_and(|p| p.snapshots.len() as u64 >= opts.per_page)
        && !settled(&pages)
        && tail < MAX_TAIL_PAGES
    {
        let next = pages.last().map_or(1, |p| p.page + 1);
        let page = fetch(http, what, opts, next).await?;
        tail += 1;
        expected = expected.max(next);
        done += 1;
        report(done, expected)?;
        let empty = page.snapshots.is_empty();
        pages.push(page);
        if empty {
            break;
        }
    }
    let any_total = pages.iter().any(|p| p.total.is_some());
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
    let stable = totals_agree && snapshots.len() == fetched;
    let consistent = stable && first_total.is_none_or(|t| t == snapshots.len() as u64);
    // Without `meta.total` the count is what the pages held.
    let last_total = if any_total { last_total } else { snapshots.len() as u64 };
    Ok(Attempt {
        snapshots,
        first_total: first_total.unwrap_or(last_total),
        last_total,
        pages: page_count,
        consistent,
        stable,
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

/// Keeps the first occurrence of each id, in page order. Items without an id are all kept.
pub fn dedupe<T: Keyed>(items: impl Iterator<Item = T>, capacity: usize) -> Vec<T> {
    let mut seen: HashSet<crate::core::models::Str> = HashSet::with_capacity(capacity);
    let mut out = Vec::with_capacity(capacity);
    for s in items {
        if s.id_key().is_none_or(|id| seen.insert(id)) {
            out.push(s);
        }
    }
    out
}

/// Every snapshot once (with `opts.resource_type`). With `opts.deadline`, the whole listing is bounded: when it
/// runs out, the requests in flight are dropped and [`Error::DeadlineExceeded`] names the deadline.
pub async fn list_all(http: &Arc<HttpClient>, opts: &ListAllOptions) -> Result<Listing> {
    let what = ListParams {
        resource_type: opts.resource_type.clone(),
        ..ListParams::default()
    };
    list_all_of(http, &what, opts).await
}

/// Every item of `what` once, the way [`list_all`] lists snapshots (`opts.resource_type` is not used), bounded by
/// `opts.deadline` as [`bounded`] says.
pub async fn list_all_of<C>(http: &Arc<HttpClient>, what: &C, opts: &ListAllOptions) -> Result<Listing<C::Item>>
where
    C: Collection + Clone + Send + 'static,
    C::Item: 'static,
{
    let (task_http, task_what, task_opts) = (Arc::clone(http), what.clone(), opts.clone());
    bounded(opts.deadline, || http.config().endpoint(C::PATH), async move {
        list_all_unbounded(&task_http, &task_what, &task_opts).await
    })
    .await
}

/// `listing`, within `deadline` when there is one: when it runs out, the listing is cancelled (whatever was in
/// flight is dropped) and [`Error::DeadlineExceeded`] names the deadline and `url()`.
///
/// The deadline bounds the user's code too (progress callbacks, log handlers): with a deadline the listing runs on
/// a task of its own, where those callbacks run through `off_the_runtime` (a thread of their own while they run),
/// and the deadline is kept by the task that awaits this function, which no callback can hold up. A callback still
/// blocked when the deadline passes keeps its thread until it returns; the listing is cancelled there and then
/// (the task is aborted), and so it is when whoever awaits this goes away (Ctrl-C, a cancelled coroutine).
pub async fn bounded<T, F>(deadline: Option<Duration>, url: impl FnOnce() -> String, listing: F) -> Result<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T>> + Send + 'static,
{
    let Some(deadline) = deadline else {
        return listing.await;
    };
    let mut task = AbortOnDrop(tokio::spawn(listing));
    match tokio::time::timeout(deadline, &mut task.0).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_)) | Err(_) => Err(Error::DeadlineExceeded {
            method: "GET".to_owned(),
            url: url(),
            deadline,
        }),
    }
}

/// A spawned listing, aborted when whoever awaits it goes away (deadline, Ctrl-C, a cancelled coroutine).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// [`list_all_of`] without its deadline, on the caller's task: for listings run inside one bounded whole
/// (`core::sources::list_with_sources`).
pub async fn list_all_unbounded<C: Collection>(
    http: &HttpClient,
    what: &C,
    opts: &ListAllOptions,
) -> Result<Listing<C::Item>> {
    match &opts.on_rate_limit_wait {
        Some(observer) => {
            WAIT_OBSERVER
                .scope(Arc::clone(observer), list_all_inner(http, what, opts))
                .await
        }
        None => list_all_inner(http, what, opts).await,
    }
}

async fn list_all_inner<C: Collection>(http: &HttpClient, what: &C, opts: &ListAllOptions) -> Result<Listing<C::Item>> {
    let attempts = opts.max_attempts.max(1);
    let mut first_total = None;
    let mut previous: Option<(u64, u64, usize)> = None;
    for n in 1..=attempts {
        let a = attempt(http, what, opts, n > 1 && n == attempts).await?;
        first_total.get_or_insert(a.first_total);
        // Two listings in a row that saw the same thing: nothing changed, the server's meta.total is just off.
        let seen = (a.first_total, a.last_total, a.snapshots.len());
        let repeated = a.stable && previous == Some(seen);
        if repeated {
            log::info!(target: "gradientai_rs::pagination", "meta.total says {} but two listings both returned the same {} {}; keeping them", a.last_total, a.snapshots.len(), C::NOUN);
        }
        previous = a.stable.then_some(seen);
        if a.consistent || repeated || n == attempts {
            let a = Attempt {
                consistent: a.consistent || repeated,
                ..a
            };
            let changed = (!a.consistent).then(|| Change {
                first_total: first_total.unwrap_or(a.first_total),
                last_total: a.last_total,
                returned: a.snapshots.len() as u64,
                attempts: n,
            });
            return Ok(Listing {
                total: a.last_total,
                pages: a.pages,
                items: a.snapshots,
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
            MAX_PAGES
        );
        assert_eq!(page_count(Some(i64::MAX), None, 1), MAX_PAGES);
        assert_eq!(page_count(Some(-5), None, 200), 1);
    }

    #[test]
    fn implausible_counts_are_named() {
        assert!(implausible(Some(200_000_000), None, 200).is_none());
        let why = implausible(Some(1_000_000_000_000), None, 200).unwrap();
        assert!(why.contains("1000000000000"), "{why}");
        assert!(implausible(Some(i64::MAX), None, 1).is_some());
        assert!(implausible(Some(-1), None, 200).is_none());
        let why = implausible(None, Some(1_000_001), 200).unwrap();
        assert!(why.contains("1000001"), "{why}");
        assert!(implausible(None, Some(u64::MAX), 200).is_some());
    }

    #[test]
    fn auto_concurrency_rules() {
        assert_eq!(auto_concurrency(Some(4), true, 100, Some(250)), 4);
        assert_eq!(auto_concurrency(None, true, 49, Some(250)), 49);
        assert_eq!(auto_concurrency(None, true, 5000, Some(250)), 250);
        assert_eq!(auto_concurrency(None, true, 5000, None), H2_MAX_IN_FLIGHT);
        assert_eq!(auto_concurrency(None, false, 49, Some(250)), DEFAULT_MAX_CONCURRENCY);
        assert_eq!(auto_concurrency(None, false, 3, None), 3);
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
