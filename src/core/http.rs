//! The HTTP layer: one reqwest client per `GradientAI`, the SDK's retry policy, rate-limit bookkeeping,
//! bounded bodies and same-origin redirects only (the token never leaves the configured origin).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};

use crate::core::config::{Config, Redactor, Trust};
use crate::core::error::{Error, Result, StatusError};
use crate::core::ratelimit::{Limiter, RateLimit};

/// SDK constants (`_constants.py`).
pub const INITIAL_RETRY_DELAY: f64 = 0.5;
pub const MAX_RETRY_DELAY: f64 = 8.0;
const MAX_REDIRECTS: usize = 10;
const EXCERPT_CHARS: usize = 200;

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

/// A 2xx answer, whole.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub retries_taken: u32,
    pub elapsed: Duration,
    pub rate_limit: Option<RateLimit>,
    pub request_id: Option<String>,
    pub http_version: String,
    /// The token and sensitive headers, to scrub them from anything an error repeats from the body.
    pub(crate) redact: Redactor,
}

impl Response {
    /// A typed error for a 2xx body that doesn't decode.
    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::InvalidResponse {
            status: self.status,
            url: self.url.clone(),
            message: message.into(),
            excerpt: self.redact.redact(&excerpt(&self.body)),
            request_id: self.request_id.clone(),
            headers: self.headers.clone(),
        }
    }
}

pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if out.len() < body.len() {
        out.push('…');
    }
    out
}

/// What one attempt produced.
enum Attempt {
    Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        url: String,
        version: String,
    },
    Failed(Error),
}

/// The SDK's `_should_retry`: `x-should-retry` wins, then 408, 409, 429 and >= 500.
pub fn should_retry(status: u16, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// `retry-after-ms`, else `retry-after` (seconds or an HTTP date), when `0 < value <= 60` seconds.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let secs = get("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|ms| ms / 1000.0)
        .or_else(|| {
            let v = get("retry-after")?;
            v.parse::<f64>().ok().or_else(|| {
                let when = httpdate::parse_http_date(v).ok()?;
                Some(when.duration_since(SystemTime::now()).map_or(0.0, |d| d.as_secs_f64()))
            })
        })?;
    (secs.is_finite() && secs > 0.0 && secs <= 60.0).then(|| Duration::from_secs_f64(secs))
}

/// The SDK's backoff: `min(0.5 * 2**n, 8) * (1 - 0.25 * jitter)` with `jitter` in `[0, 1)`.
pub fn backoff(retries_taken: u32, jitter: f64) -> Duration {
    let base = (INITIAL_RETRY_DELAY * 2f64.powi(retries_taken.min(1000) as i32)).min(MAX_RETRY_DELAY);
    Duration::from_secs_f64(base * (1.0 - 0.25 * jitter))
}

/// A 429 that is the hourly quota (no `retry-after`, `ratelimit-remaining: 0`): retrying can't help.
pub fn is_quota_exhausted(status: u16, headers: &HeaderMap) -> bool {
    status == 429
        && retry_after(headers).is_none()
        && !headers.contains_key("retry-after")
        && !headers.contains_key("retry-after-ms")
        && RateLimit::from_headers(headers).and_then(|r| r.remaining) == Some(0)
}

fn header_pairs(headers: &HeaderMap, redactor: &Redactor) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                redactor.redact(&String::from_utf8_lossy(v.as_bytes())),
            )
        })
        .collect()
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Most requests `list_all` keeps in flight on one HTTP/1.1 origin, which is also the idle pool kept per host.
pub const HTTP1_MAX_CONNECTIONS: usize = 32;

/// The trust settings as reqwest options. On Linux (and other Unixes that are not Apple or Android) the system
/// roots are loaded here, exactly as rustls-platform-verifier would (rustls-native-certs: SSL_CERT_FILE /
/// SSL_CERT_DIR when set, else the system bundle), so that a broken file is a typed error naming it instead of
/// a `log::warn!` from inside the verifier. macOS and Windows use the OS verifier through reqwest.
fn apply_trust(builder: reqwest::ClientBuilder, trust: &Trust) -> Result<reqwest::ClientBuilder> {
    match trust {
        Trust::Insecure => Ok(builder.tls_danger_accept_invalid_certs(true)),
        Trust::CaFile(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::invalid(
                    "verify",
                    format!("cannot read the CA file verify={:?}: {e}", path.display()),
                )
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&bytes)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::invalid(
                        "verify",
                        format!(
                            "verify={:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                            path.display()
                        ),
                    )
                })?;
            Ok(builder.tls_certs_only(certs))
        }
        Trust::System => system_trust(builder),
    }
}

#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
fn system_trust(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    let loaded = rustls_native_certs::load_native_certs();
    let from_env = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .filter_map(|v| std::env::var_os(v).map(|val| format!("{v}={:?}", val)))
        .collect::<Vec<_>>();
    let source = if from_env.is_empty() {
        "the system CA bundle".to_owned()
    } else {
        from_env.join(", ")
    };
    // A variable the user set that can't be read is a misconfiguration; a stray bad file in a system directory
    // is not (the verifier skips those too).
    if let Some(e) = loaded.errors.first().filter(|_| !from_env.is_empty()) {
        return Err(Error::invalid(
            "verify",
            format!("cannot load CA certificates from {source}: {e}"),
        ));
    }
    for e in &loaded.errors {
        log::debug!(target: "gradientai_rs::tls", "skipping a CA certificate source: {e}");
    }
    let certs: Vec<reqwest::Certificate> = loaded
        .certs
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok())
        .collect();
    if certs.is_empty() {
        return Err(Error::invalid(
            "verify",
            format!(
                "no CA certificates found in {source}; set SSL_CERT_FILE to a PEM bundle or pass verify=\"ca.pem\""
            ),
        ));
    }
    log::debug!(target: "gradientai_rs::tls", "{} CA certificates from {source}", certs.len());
    Ok(builder.tls_certs_only(certs))
}

#[cfg(not(all(unix, not(target_vendor = "apple"), not(target_os = "android"))))]
fn system_trust(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    Ok(builder)
}

fn build_reqwest(config: &Config) -> Result<reqwest::Client> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if attempt
            .previous()
            .first()
            .is_some_and(|first| same_origin(first, attempt.url()))
        {
            attempt.follow()
        } else {
            // A redirect off the configured origin is answered as the 3xx it is: the token never follows.
            attempt.stop()
        }
    });
    let builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(HTTP1_MAX_CONNECTIONS)
        .tcp_nodelay(true)
        .redirect(policy)
        .gzip(true);
    let builder = apply_trust(builder, &config.trust)?;
    builder.build().map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::invalid("verify", format!("cannot set up TLS: {message}"))
    })
}

/// The reqwest client, rebuilt in a forked child: its pool belongs to the parent's runtime.
struct ForkGuarded {
    pid: u32,
    client: reqwest::Client,
}

pub struct HttpClient {
    config: Arc<Config>,
    inner: Mutex<ForkGuarded>,
    default_headers: HeaderMap,
    redactor: Redactor,
    limiter: Arc<Limiter>,
    last_rate_limit: Mutex<Option<RateLimit>>,
    closed: AtomicBool,
    /// Bytes of response bodies being read right now, over all requests of this client.
    buffered: AtomicUsize,
}

/// This response's share of [`HttpClient::buffered`], given back when the body is done or dropped.
struct Held<'a> {
    total: &'a AtomicUsize,
    bytes: usize,
}

impl Held<'_> {
    /// Counts `n` more bytes; `false` when that would take all bodies in flight past `limit`.
    fn take(&mut self, n: usize, limit: usize) -> bool {
        let before = self.total.fetch_add(n, Ordering::SeqCst);
        self.bytes += n;
        before + n <= limit
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.total.fetch_sub(self.bytes, Ordering::SeqCst);
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
        let client = build_reqwest(&config)?;
        if config.trust == Trust::Insecure {
            log::warn!(
                target: "gradientai_rs::tls",
                "verify=False: TLS certificates are NOT checked for {}; anyone on the network path can read the token",
                config.base_url
            );
        }
        let redactor = config.redactor();
        Ok(Self {
            config: Arc::new(config),
            inner: Mutex::new(ForkGuarded {
                pid: std::process::id(),
                client,
            }),
            default_headers,
            redactor,
            limiter,
            last_rate_limit: Mutex::new(None),
            closed: AtomicBool::new(false),
            buffered: AtomicUsize::new(0),
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

    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The token and sensitive default headers, for scrubbing text.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    fn reqwest(&self) -> Result<reqwest::Client> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let pid = std::process::id();
        if g.pid != pid {
            // Dropping the parent's pool here would deregister its sockets from an epoll set the parent shares.
            let old = std::mem::replace(&mut g.client, build_reqwest(&self.config)?);
            std::mem::forget(old);
            g.pid = pid;
        }
        Ok(g.client.clone())
    }

    /// Sends `req`, retrying as the SDK does, and returns a 2xx answer or a typed error.
    pub async fn send(&self, req: &Request) -> Result<Response> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let api_key = self.config.api_key.as_ref().ok_or(Error::MissingApiKey)?;
        if HeaderValue::from_str(api_key.expose()).is_err() {
            return Err(Error::invalid(
                "api_key",
                "api_key contains characters that cannot be sent in an HTTP header (a newline?)",
            ));
        }
        let extra = header_map(&req.headers, "extra_headers")?;
        let redactor = if req
            .headers
            .iter()
            .any(|(k, _)| crate::core::config::is_sensitive_header(k))
        {
            let mut r = self.redactor.clone();
            r.add_headers(&req.headers);
            std::borrow::Cow::Owned(r)
        } else {
            std::borrow::Cow::Borrowed(&self.redactor)
        };
        let redactor: &Redactor = &redactor;
        let mut url = url::Url::parse(&self.config.endpoint(&req.path))
            .map_err(|e| Error::invalid("base_url", format!("cannot build a URL: {e}")))?;
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query.iter());
        }
        let timeout = req.timeout.unwrap_or(self.config.timeout);
        let started = Instant::now();
        let max_retries = self.config.max_retries;
        let mut retries_taken = 0u32;
        loop {
            self.limiter.acquire().await;
            let attempt = self
                .attempt(req, &url, api_key.expose(), &extra, timeout, retries_taken, redactor)
                .await;
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
                            method: req.method.to_string(),
                            url: final_url,
                            request_id: headers
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned),
                            headers: header_pairs(&headers, redactor),
                            body,
                            retries_taken,
                            elapsed: started.elapsed(),
                            rate_limit,
                            http_version: version,
                            redact: redactor.clone(),
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
                    let err = status_error(
                        req,
                        final_url,
                        code,
                        &headers,
                        &body,
                        rate_limit,
                        retries_taken,
                        redactor,
                    );
                    (
                        retry,
                        hinted.unwrap_or_else(|| backoff(retries_taken, rand::random::<f64>())),
                        err,
                    )
                }
                Attempt::Failed(err) => {
                    let retry = remaining > 0
                        && matches!(err, Error::Timeout { .. } | Error::Connection { permanent: false, .. });
                    (retry, backoff(retries_taken, rand::random::<f64>()), err)
                }
            };
            if !retry {
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
            retries_taken += 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn status_error(
    req: &Request,
    url: String,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    rate_limit: Option<RateLimit>,
    retries_taken: u32,
    redactor: &Redactor,
) -> Error {
    let text = redactor.redact(&String::from_utf8_lossy(body));
    let request_id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("request_id").and_then(|r| r.as_str()).map(str::to_owned))
        .or_else(|| {
            headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    Error::Status(Box::new(StatusError {
        status,
        method: req.method.to_string(),
        url,
        body: text,
        headers: header_pairs(headers, redactor),
        request_id,
        rate_limit,
        retries_taken,
    }))
}

impl HttpClient {
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        req: &Request,
        url: &url::Url,
        token: &str,
        extra: &HeaderMap,
        timeout: Duration,
        retries_taken: u32,
        redactor: &Redactor,
    ) -> Attempt {
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap_or_else(|_| HeaderValue::from_static(""));
        auth.set_sensitive(true);
        let mut headers = HeaderMap::with_capacity(8 + self.default_headers.len() + extra.len());
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(if req.method == Method::DELETE {
                "*/*"
            } else {
                "application/json"
            }),
        );
        if req.method != Method::GET {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Ok(ua) = HeaderValue::from_str(&self.config.user_agent) {
            headers.insert(USER_AGENT, ua);
        }
        headers.insert(AUTHORIZATION, auth);
        headers.insert("x-stainless-lang", HeaderValue::from_static("python"));
        headers.insert("x-stainless-retry-count", HeaderValue::from(retries_taken));
        if let Ok(v) = HeaderValue::from_str(&format_seconds(timeout)) {
            headers.insert("x-stainless-read-timeout", v);
        }
        for (k, v) in self.default_headers.iter().chain(extra.iter()) {
            headers.insert(k.clone(), v.clone());
        }
        let method = req.method.to_string();
        let client = match self.reqwest() {
            Ok(c) => c,
            Err(e) => return Attempt::Failed(e),
        };
        let builder = client.request(req.method.clone(), url.clone()).headers(headers);
        let max = self.config.max_body_bytes;
        let fut = async {
            let mut resp = builder
                .send()
                .await
                .map_err(|e| transport_error(&method, url, timeout, &e, redactor))?;
            let status = resp.status();
            let headers = std::mem::take(resp.headers_mut());
            let final_url = resp.url().to_string();
            let version = format!("{:?}", resp.version());
            let too_big = || too_large(status, &final_url, max, &headers, redactor);
            if resp.content_length().is_some_and(|n| n > max as u64) {
                return Err(too_big());
            }
            let mut held = Held {
                total: &self.buffered,
                bytes: 0,
            };
            // A body that arrives in one chunk (most pages) is kept as it is; more chunks are joined.
            let mut first: Option<Bytes> = None;
            let mut joined: Option<BytesMut> = None;
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| transport_error(&method, url, timeout, &e, redactor))?
            {
                // Each body is capped, and so is the sum of the bodies being read at once (concurrent pages).
                if held.bytes + chunk.len() > max || !held.take(chunk.len(), max) {
                    return Err(too_big());
                }
                match (&mut joined, first.take()) {
                    (Some(body), _) => body.extend_from_slice(&chunk),
                    (None, None) => first = Some(chunk),
                    (None, Some(one)) => {
                        // Sized from what arrived, never from a length the server announced.
                        let mut body = BytesMut::with_capacity(2 * (one.len() + chunk.len()));
                        body.extend_from_slice(&one);
                        body.extend_from_slice(&chunk);
                        joined = Some(body);
                    }
                }
            }
            let body = match joined {
                Some(body) => body.freeze(),
                None => first.unwrap_or_default(),
            };
            Ok(Attempt::Answer {
                status,
                headers,
                body,
                url: final_url,
                version,
            })
        };
        // One timer for the whole attempt (connect, headers and body).
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => Attempt::Failed(e),
            Err(_) => Attempt::Failed(Error::Timeout {
                method,
                url: url.to_string(),
                timeout,
            }),
        }
    }
}

/// Whether a transport error is a certificate the client refused (unknown issuer, expired, wrong name...).
fn certificate_problem(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>());
        if let Some(rustls::Error::InvalidCertificate(_)) = s.downcast_ref::<rustls::Error>().or(inner) {
            return true;
        }
        source = s.source();
    }
    false
}

fn transport_error(method: &str, url: &url::Url, timeout: Duration, e: &reqwest::Error, redactor: &Redactor) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            method: method.to_owned(),
            url: url.to_string(),
            timeout,
        };
    }
    // The chain of sources says what actually failed (refused, reset, body cut short, bad gzip...).
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // rustls' own wording, for when the error crossed a boxed layer that hides its type.
    let permanent = certificate_problem(e) || message.contains("invalid peer certificate");
    if permanent {
        message.push_str(
            " (the server's TLS certificate is not trusted: pass verify=\"ca.pem\" or set SSL_CERT_FILE for a \
                 private CA; not retried)",
        );
    }
    Error::Connection {
        method: method.to_owned(),
        url: url.to_string(),
        message: redactor.redact(&message),
        permanent,
    }
}

fn too_large(status: StatusCode, url: &str, max: usize, headers: &HeaderMap, redactor: &Redactor) -> Error {
    Error::InvalidResponse {
        status: status.as_u16(),
        url: url.to_owned(),
        message: format!(
            "the response body is larger than {max} bytes (decompressed; the limit also holds for all bodies read at \
             once); refusing to read it"
        ),
        excerpt: String::new(),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        headers: header_pairs(headers, redactor),
    }
}

/// `60` for whole seconds, `12.5` otherwise, as the SDK writes `x-stainless-read-timeout`.
fn format_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(excerpt(b"short"), "short");
        let long = vec![b'x'; 1000];
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS + 1);
    }
}
