//! The HTTP layer: one reqwest client per `GradientAI` for the process runtime (plus one per thread that makes
//! blocking one-request calls, for the connections of that thread's runtime), the SDK's retry policy, rate-limit bookkeeping,
//! bounded bodies and same-origin redirects only (the token never leaves the configured origin).
//!
//! `mod.rs` holds the client and its retry loop; `retry` the SDK's retry policy (what to retry, how long to
//! wait); `attempt` one attempt (headers, sending, reading a bounded body, typed transport errors); `tls` how the
//! reqwest client is built (trust, proxies, redirects, pool).

mod attempt;
mod retry;
mod tls;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;

use crate::core::config::{Config, Redactor, Trust};
use crate::core::error::{Error, Result};
use crate::core::ratelimit::{Limiter, RateLimit};

pub use attempt::excerpt;
use attempt::{header_pairs, status_error, Attempt, Attempting};
pub use retry::{backoff, is_quota_exhausted, retry_after, should_retry, INITIAL_RETRY_DELAY, MAX_RETRY_DELAY};
pub use tls::HTTP1_MAX_CONNECTIONS;
use tls::{build_reqwest, load_roots, Roots};

/// How many times one request is sent again, without costing a retry and without waiting, after the server refused
/// it unprocessed (an HTTP/2 graceful GOAWAY, REFUSED_STREAM). Each such re-send goes to a new connection (the
/// refusing one takes no new streams; concurrent re-sends share the one new HTTP/2 connection), so this also bounds
/// the connections one request can open that way; past it, a refusal is an ordinary retryable connection error.
pub const MAX_UNPROCESSED_RESENDS: u32 = 8;

/// One request as the resources describe it; the client adds auth, retries and limits.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Starts with `/`; appended to the base URL.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub timeout: Option<Duration>,
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            timeout: None,
        }
    }
}

/// A 2xx answer, whole. What only a raw response or an error shows (the headers as redacted text, the HTTP
/// version as text) is made when asked for, not for every model answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub method: Method,
    pub url: String,
    /// As received; [`Response::headers`] gives them redacted.
    pub(crate) raw_headers: HeaderMap,
    pub body: Bytes,
    pub retries_taken: u32,
    pub elapsed: Duration,
    pub rate_limit: Option<RateLimit>,
    pub request_id: Option<String>,
    pub(crate) version: reqwest::Version,
    /// The token and sensitive headers, to scrub them from anything an error repeats from the body.
    pub(crate) redact: Arc<Redactor>,
}

impl Response {
    /// The headers as `(lower-case name, value)` pairs, secrets redacted.
    pub fn headers(&self) -> Vec<(String, String)> {
        header_pairs(&self.raw_headers, &self.redact)
    }

    /// `HTTP/1.1`, `HTTP/2.0`...
    pub fn http_version(&self) -> String {
        format!("{:?}", self.version)
    }

    pub fn is_http2(&self) -> bool {
        self.version == reqwest::Version::HTTP_2
    }

    /// A typed error for a 2xx body that doesn't decode.
    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::InvalidResponse {
            status: self.status,
            url: self.redact.scrub_url(&self.url),
            message: self.redact.redact(&message.into()),
            excerpt: excerpt(&self.body, &self.redact),
            request_id: self.request_id.clone(),
            headers: self.headers(),
        }
    }
}

/// The reqwest client of the process runtime, rebuilt in a forked child: its pool belongs to the parent's runtime.
struct ForkGuarded {
    generation: u64,
    client: reqwest::Client,
}

/// The pools of one thread's blocking calls (see [`crate::core::thread_runtime`]): a reqwest client for each
/// `HttpClient` used from a one-request call on this thread, since the connections it opens are tasks of this
/// thread's runtime. Dropped with the thread; an entry goes with its `HttpClient` (at this thread's next call).
#[derive(Default)]
struct ThreadPools {
    generation: u64,
    pools: Vec<(std::sync::Weak<AtomicBool>, reqwest::Client)>,
}

impl ThreadPools {
    /// Drops the pools of clients that are gone or closed. Pools opened before a fork are forgotten instead:
    /// their sockets and the epoll set they are registered with are the parent's, and dropping them would
    /// deregister the parent's sockets.
    fn sweep(&mut self) {
        let generation = crate::core::fork::generation();
        if self.generation != generation {
            std::mem::forget(std::mem::take(&mut self.pools));
            self.generation = generation;
        }
        self.pools
            .retain(|(owner, _)| owner.upgrade().is_some_and(|open| open.load(Ordering::Relaxed)));
    }
}

thread_local! {
    static THREAD_POOLS: std::cell::RefCell<ThreadPools> = std::cell::RefCell::default();
}

/// Leaks this thread's pools (in a forked child: see [`crate::core::fork::after_fork_in_child`]).
pub(crate) fn abandon_thread_pools() {
    let _ = THREAD_POOLS.try_with(|cell| {
        if let Ok(mut here) = cell.try_borrow_mut() {
            std::mem::forget(std::mem::take(&mut here.pools));
        }
    });
}

pub struct HttpClient {
    config: Arc<Config>,
    inner: Mutex<ForkGuarded>,
    /// `true` until [`HttpClient::close`]; also this client's identity in the threads' pools ([`ThreadPools`]),
    /// which hold it weakly.
    open: Arc<AtomicBool>,
    /// The trust roots, read once: what every reqwest client of this one is built with.
    roots: Roots,
    default_headers: HeaderMap,
    /// Header values that are the same for every request of this client, made once.
    fixed: attempt::FixedHeaders,
    /// The URL of the last path requested, parsed (a listing asks for the same path page after page).
    last_url: Mutex<Option<(String, url::Url)>>,
    redactor: Arc<Redactor>,
    limiter: Arc<Limiter>,
    last_rate_limit: Mutex<Option<RateLimit>>,
    /// Bytes of response bodies being read right now, over all requests of this client.
    buffered: AtomicUsize,
    /// Requests the server refused unprocessed are sent again one at a time until one gets through (on the new
    /// connection it opens); those waiting then go at once, on that connection. Without this, each re-send
    /// opens its own connection (hyper's pool does not share a connection still being made: 73 TLS connections for
    /// 30 pages in our test, where 6 do).
    reconnect: tokio::sync::Mutex<()>,
    /// Re-sends that got through (any answer): a change tells a waiting re-send a new connection is up.
    reconnected: std::sync::atomic::AtomicU64,
}

impl Drop for HttpClient {
    fn drop(&mut self) {
        // Gone: its pool on this thread is swept now (it is still `open` to the sweep until marked).
        self.open.store(false, Ordering::SeqCst);
        Self::release_thread_pools();
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

fn header_map(pairs: &[(String, String)], param: &'static str) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| Error::invalid(param, format!("invalid header name {k:?}")))?;
        let mut value =
            HeaderValue::from_str(v).map_err(|_| Error::invalid(param, format!("invalid value for header {k:?}")))?;
        if crate::core::config::is_sensitive_header(k) {
            value.set_sensitive(true);
        }
        map.insert(name, value);
    }
    Ok(map)
}

impl HttpClient {
    pub fn new(config: Config) -> Result<Self> {
        Self::with_limiter(config, None)
    }

    /// `limiter`: share one with another client of the same token (`with_options` copies), else a new one.
    pub fn with_limiter(config: Config, limiter: Option<Arc<Limiter>>) -> Result<Self> {
        config.check_transport(|name| std::env::var(name).ok())?;
        let default_headers = header_map(&config.default_headers, "default_headers")?;
        let limiter = limiter.unwrap_or_else(|| Arc::new(Limiter::new(config.requests_per_minute)));
        let roots = load_roots(&config.trust)?;
        let client = build_reqwest(&config, &roots)?;
        if config.trust == Trust::Insecure {
            log::warn!(
                target: "gradientai_rs::tls",
                "verify=False: TLS certificates are NOT checked for {}; anyone on the network path can read the token",
                config.base_url
            );
        }
        let redactor = config.redactor();
        let fixed = attempt::FixedHeaders::new(&config);
        Ok(Self {
            config: Arc::new(config),
            inner: Mutex::new(ForkGuarded {
                generation: crate::core::fork::generation(),
                client,
            }),
            open: Arc::new(AtomicBool::new(true)),
            roots,
            default_headers,
            fixed,
            last_url: Mutex::new(None),
            redactor: Arc::new(redactor),
            limiter,
            last_rate_limit: Mutex::new(None),
            buffered: AtomicUsize::new(0),
            reconnect: tokio::sync::Mutex::new(()),
            reconnected: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.limiter
    }

    /// The rate-limit headers of the latest answer that had them.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        *self.last_rate_limit.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record_rate_limit(&self, rl: Option<RateLimit>) {
        if let Some(rl) = rl {
            *self.last_rate_limit.lock().unwrap_or_else(|e| e.into_inner()) = Some(rl);
        }
    }

    /// No more requests. This thread's idle connections of this client close now; other threads' at their next
    /// blocking call (or when they end).
    pub fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
        Self::release_thread_pools();
    }

    /// Sweeps this thread's pools and lets its runtime run the closing connections' tasks, so their sockets are
    /// closed now rather than at the thread's next call. Nothing when this thread has no runtime of its own, or is
    /// inside one (a drop inside a call), or is ending.
    fn release_thread_pools() {
        let swept = THREAD_POOLS
            .try_with(|cell| {
                cell.try_borrow_mut().map(|mut here| {
                    let before = here.pools.len();
                    here.sweep();
                    here.pools.len() != before
                })
            })
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false);
        if swept {
            crate::core::thread_runtime::settle();
        }
    }

    pub fn is_closed(&self) -> bool {
        !self.open.load(Ordering::SeqCst)
    }

    /// The token and sensitive default headers, for scrubbing text.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The reqwest client for a request about to be sent: this thread's own inside a blocking call on its
    /// runtime, else the process runtime's.
    fn reqwest(&self) -> Result<reqwest::Client> {
        if crate::core::thread_runtime::inside() {
            return THREAD_POOLS.with(|cell| {
                let mut here = cell.borrow_mut();
                here.sweep();
                let me = Arc::as_ptr(&self.open);
                if let Some((_, client)) = here.pools.iter().find(|(owner, _)| std::ptr::eq(owner.as_ptr(), me)) {
                    return Ok(client.clone());
                }
                let client = build_reqwest(&self.config, &self.roots)?;
                here.pools.push((Arc::downgrade(&self.open), client.clone()));
                Ok(client)
            });
        }
        let generation = crate::core::fork::generation();
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.generation != generation {
            // Dropping the parent's pool here would deregister its sockets from an epoll set the parent shares.
            let old = std::mem::replace(&mut g.client, build_reqwest(&self.config, &self.roots)?);
            std::mem::forget(old);
            g.generation = generation;
        }
        Ok(g.client.clone())
    }

    /// The base URL joined with `path`, parsed once per path in a row.
    fn url_of(&self, path: &str) -> Result<url::Url> {
        let mut last = self.last_url.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((p, url)) = last.as_ref() {
            if p == path {
                return Ok(url.clone());
            }
        }
        let url = url::Url::parse(&self.config.endpoint(path))
            .map_err(|e| Error::invalid("base_url", format!("cannot build a URL: {e}")))?;
        *last = Some((path.to_owned(), url.clone()));
        Ok(url)
    }

    /// One re-send of a request the server refused unprocessed. If no other re-send has got through since the
    /// refusal (`seen`), this one goes alone, holding the gate, and opens the new connection; otherwise a new
    /// connection is up and it goes at once.
    async fn resend(&self, at: &Attempting<'_>, seen: u64) -> Attempt {
        let gate = self.reconnect.lock().await;
        if self.reconnected.load(Ordering::SeqCst) != seen {
            drop(gate);
            return self.attempt(at).await;
        }
        let out = self.attempt(at).await;
        if !matches!(out, Attempt::Failed(Error::Connection { unprocessed: true, .. })) {
            self.reconnected.fetch_add(1, Ordering::SeqCst);
        }
        out
    }

    /// Sends `req`, retrying as the SDK does, and returns a 2xx answer or a typed error.
    pub async fn send(&self, req: &Request) -> Result<Response> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        if self.config.api_key.is_none() {
            return Err(Error::MissingApiKey);
        }
        let Some(auth) = &self.fixed.auth else {
            return Err(Error::invalid(
                "api_key",
                "api_key contains characters that cannot be sent in an HTTP header (a newline?)",
            ));
        };
        let extra = header_map(&req.headers, "extra_headers")?;
        let redactor = if req
            .headers
            .iter()
            .any(|(k, _)| crate::core::config::is_sensitive_header(k))
        {
            let mut r = Redactor::clone(&self.redactor);
            r.add_headers(&req.headers);
            Arc::new(r)
        } else {
            Arc::clone(&self.redactor)
        };
        let mut url = self.url_of(&req.path)?;
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query.iter());
        }
        let timeout = req.timeout.unwrap_or(self.config.timeout);
        let started = Instant::now();
        let max_retries = self.config.max_retries;
        let mut retries_taken = 0u32;
        let mut resends = 0u32;
        // Set after a refusal: the count of re-sends that had got through when it came.
        let mut resend_after: Option<u64> = None;
        loop {
            self.limiter.acquire().await;
            // Closed while waiting for the limiter: nothing of this request was sent yet.
            if retries_taken == 0 && self.is_closed() {
                return Err(Error::Closed);
            }
            let at = Attempting {
                req,
                url: &url,
                auth,
                extra: &extra,
                timeout,
                retries_taken,
                redactor: &redactor,
            };
            let attempt = match resend_after.take() {
                Some(seen) => self.resend(&at, seen).await,
                None => self.attempt(&at).await,
            };
            let remaining = max_retries.saturating_sub(retries_taken);
            let (retry, delay, err) = match attempt {
                Attempt::Answer {
                    status,
                    headers,
                    body,
                    url: final_url,
                    version,
                } => {
                    let rate_limit = RateLimit::from_headers(&headers);
                    self.record_rate_limit(rate_limit);
                    if status.is_success() {
                        return Ok(Response {
                            status: status.as_u16(),
                            method: req.method.clone(),
                            url: final_url,
                            request_id: headers
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned),
                            raw_headers: headers,
                            body,
                            retries_taken,
                            elapsed: started.elapsed(),
                            rate_limit,
                            version,
                            redact: redactor,
                        });
                    }
                    let code = status.as_u16();
                    let quota = is_quota_exhausted(code, &headers);
                    let hinted = retry_after(&headers);
                    let retry = !quota && remaining > 0 && should_retry(code, &headers);
                    if retry && code == 429 {
                        if let Some(d) = hinted {
                            self.limiter.pause_for(d);
                        }
                    }
                    let err = status_error(&at, final_url, code, &headers, &body, rate_limit);
                    (
                        retry,
                        hinted.unwrap_or_else(|| backoff(retries_taken, rand::random::<f64>())),
                        err,
                    )
                }
                Attempt::Failed(Error::Connection { unprocessed: true, .. })
                    if resends < MAX_UNPROCESSED_RESENDS && !self.is_closed() =>
                {
                    resends += 1;
                    resend_after = Some(self.reconnected.load(Ordering::SeqCst));
                    log::debug!(
                        target: "gradientai_rs::http",
                        "{} {}: refused unprocessed by the server (HTTP/2 GOAWAY or REFUSED_STREAM); sending it again ({resends} of {MAX_UNPROCESSED_RESENDS}, not a retry)",
                        req.method,
                        url.path()
                    );
                    continue;
                }
                Attempt::Failed(err) => {
                    let retry = remaining > 0
                        && matches!(err, Error::Timeout { .. } | Error::Connection { permanent: false, .. });
                    (retry, backoff(retries_taken, rand::random::<f64>()), err)
                }
            };
            // A closed client retries nothing (the last answer is the error: the request was sent).
            if !retry || self.is_closed() {
                return Err(err);
            }
            log::info!(
                target: "gradientai_rs::http",
                "retrying {} {} in {:.3}s ({} left): {}",
                req.method,
                url.path(),
                delay.as_secs_f64(),
                remaining - 1,
                err
            );
            tokio::time::sleep(delay).await;
            if self.is_closed() {
                return Err(err);
            }
            retries_taken += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::retry::format_seconds;
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn retry_statuses_match_the_sdk() {
        let none = HeaderMap::new();
        for s in [408, 409, 429, 500, 502, 503, 504, 599] {
            assert!(should_retry(s, &none), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!should_retry(s, &none), "{s}");
        }
        assert!(should_retry(403, &headers(&[("x-should-retry", "true")])));
        assert!(!should_retry(500, &headers(&[("x-should-retry", "false")])));
    }

    #[test]
    fn retry_after_rules() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "29")])),
            Some(Duration::from_secs(29))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0.25")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500"), ("retry-after", "3")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "120")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "0")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(10));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(8) && d <= Duration::from_secs(10), "{d:?}");
    }

    #[test]
    fn backoff_is_the_sdk_formula() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(5, 0.0), Duration::from_secs(8));
        assert_eq!(backoff(0, 1.0), Duration::from_millis(375));
        assert_eq!(backoff(40, 0.5), Duration::from_secs(7));
    }

    #[test]
    fn quota_vs_burst() {
        assert!(is_quota_exhausted(429, &headers(&[("ratelimit-remaining", "0")])));
        assert!(!is_quota_exhausted(
            429,
            &headers(&[("ratelimit-remaining", "0"), ("retry-after", "29")])
        ));
        assert!(!is_quota_exhausted(429, &headers(&[("ratelimit-remaining", "12")])));
        assert!(!is_quota_exhausted(500, &headers(&[("ratelimit-remaining", "0")])));
    }

    #[test]
    fn seconds_format() {
        assert_eq!(format_seconds(Duration::from_secs(60)), "60");
        assert_eq!(format_seconds(Duration::from_millis(12_500)), "12.5");
    }

    #[test]
    fn excerpt_is_bounded() {
        let none = Redactor::default();
        assert_eq!(excerpt(b"short", &none), "short");
        let long = vec![b'x'; 1000];
        assert_eq!(excerpt(&long, &none).chars().count(), attempt::EXCERPT_CHARS + 1);
    }

    #[test]
    fn excerpt_is_cut_after_redacting() {
        let token = "dop_v1_0123456789abcdef";
        let r = Redactor::new(Some(&crate::core::config::ApiKey::new(token)), &[]);
        // The token straddles the 200th character, raw and escaped.
        for spelled in [
            token.to_owned(),
            token.chars().map(|c| format!("\\u{:04x}", c as u32)).collect(),
        ] {
            let body = format!("{}{spelled} and more", "x".repeat(attempt::EXCERPT_CHARS - 5));
            let out = excerpt(body.as_bytes(), &r);
            assert!(!out.contains("dop_v1") && !out.contains("0123"), "{out}");
            assert!(out.contains("x***") && out.ends_with('…'), "{out}");
        }
    }
}
