//! One attempt of a request: its headers, sending it, reading its body within the size limits, and turning
//! what went wrong into a typed error (status, transport, certificate, too large).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};

use super::retry::format_seconds;
use super::{HttpClient, Request};
use crate::core::config::Redactor;
use crate::core::error::{Error, StatusError};
use crate::core::ratelimit::RateLimit;

pub(super) const EXCERPT_CHARS: usize = 200;

/// The first [`EXCERPT_CHARS`] characters of `body` for an error message, redacted *before* they are cut (a
/// token straddling the cut can't leave half of itself). Only a window of the body is decoded and redacted: the
/// excerpt's bytes plus room for the longest secret, escaped (6 bytes a character as `\uXXXX`).
pub fn excerpt(body: &[u8], redactor: &Redactor) -> String {
    let window = EXCERPT_CHARS * 4 + redactor.longest() * 12 + 16;
    let text = redactor.redact(&String::from_utf8_lossy(&body[..body.len().min(window)]));
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if out.len() < text.len() || body.len() > window {
        out.push('…');
    }
    out
}

/// What one attempt produced.
pub(super) enum Attempt {
    Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        url: String,
        version: reqwest::Version,
    },
    Failed(Error),
}

pub(super) fn header_pairs(headers: &HeaderMap, redactor: &Redactor) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            // `Set-Cookie`, `WWW-Authenticate`...: a credential by name, whatever its value.
            let value = if crate::core::config::is_sensitive_header(k.as_str()) {
                "***".to_owned()
            } else {
                redactor.redact(&String::from_utf8_lossy(v.as_bytes()))
            };
            (k.as_str().to_owned(), value)
        })
        .collect()
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

/// A non-2xx answer as the core's error: the body redacted and kept, the request id from the body or the header.
pub(super) fn status_error(
    at: &Attempting<'_>,
    url: String,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    rate_limit: Option<RateLimit>,
) -> Error {
    let (req, redactor, retries_taken) = (at.req, at.redactor, at.retries_taken);
    // JSON that Python's `json` reads (a BOM, UTF-16, a lone surrogate escape) is kept as JSON.
    let text = match crate::core::models::repaired(body) {
        Some(json) if serde_json::from_str::<serde_json::Value>(&json).is_ok() => redactor.redact(&json),
        _ => redactor.redact(&String::from_utf8_lossy(body)),
    };
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
        url: redactor.scrub_url(&url),
        body: text,
        headers: header_pairs(headers, redactor),
        request_id,
        rate_limit,
        retries_taken,
    }))
}

/// What one attempt needs to know: the request, where it goes, with which token and extra headers, its timeout,
/// how many retries came before it, and what to redact from errors.
pub(super) struct Attempting<'a> {
    pub req: &'a Request,
    pub url: &'a url::Url,
    /// `Bearer <token>`, marked sensitive.
    pub auth: &'a HeaderValue,
    pub extra: &'a HeaderMap,
    pub timeout: Duration,
    pub retries_taken: u32,
    pub redactor: &'a Redactor,
}

impl Attempting<'_> {
    fn transport_error(&self, e: &reqwest::Error) -> Error {
        transport_error(self.req.method.as_str(), self.url, self.timeout, e, self.redactor)
    }
}

/// The header values every request of a client sends, made when the client is built instead of per attempt.
pub(super) struct FixedHeaders {
    /// `None`: the token can't be sent in a header (the request is refused with a clear error).
    pub auth: Option<HeaderValue>,
    user_agent: Option<HeaderValue>,
    /// `x-stainless-read-timeout` for the client's own timeout (a per-call `timeout=` makes its own).
    read_timeout: Option<HeaderValue>,
    timeout: Duration,
}

impl FixedHeaders {
    pub fn new(config: &crate::core::config::Config) -> Self {
        let auth = config.api_key.as_ref().and_then(|key| {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", key.expose())).ok()?;
            v.set_sensitive(true);
            Some(v)
        });
        Self {
            auth,
            user_agent: HeaderValue::from_str(&config.user_agent).ok(),
            read_timeout: HeaderValue::from_str(&format_seconds(config.timeout)).ok(),
            timeout: config.timeout,
        }
    }
}

impl HttpClient {
    /// The headers of one attempt, as the SDK sends them; `default_headers` and `extra_headers` go last and win.
    fn attempt_headers(&self, at: &Attempting<'_>) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(8 + self.default_headers.len() + at.extra.len());
        let accept = if at.req.method == Method::DELETE {
            "*/*"
        } else {
            "application/json"
        };
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        if at.req.method != Method::GET {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(ua) = &self.fixed.user_agent {
            headers.insert(USER_AGENT, ua.clone());
        }
        headers.insert(AUTHORIZATION, at.auth.clone());
        headers.insert("x-stainless-lang", HeaderValue::from_static("python"));
        headers.insert("x-stainless-retry-count", HeaderValue::from(at.retries_taken));
        let read_timeout = if at.timeout == self.fixed.timeout {
            self.fixed.read_timeout.clone()
        } else {
            HeaderValue::from_str(&format_seconds(at.timeout)).ok()
        };
        if let Some(v) = read_timeout {
            headers.insert("x-stainless-read-timeout", v);
        }
        for (k, v) in self.default_headers.iter().chain(at.extra.iter()) {
            headers.insert(k.clone(), v.clone());
        }
        headers
    }

    /// One attempt, under one timer for the whole of it (connect, headers and body).
    pub(super) async fn attempt(&self, at: &Attempting<'_>) -> Attempt {
        let client = match self.reqwest() {
            Ok(c) => c,
            Err(e) => return Attempt::Failed(e),
        };
        let builder = client
            .request(at.req.method.clone(), at.url.clone())
            .headers(self.attempt_headers(at));
        match tokio::time::timeout(at.timeout, self.send_and_read(at, builder)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => Attempt::Failed(e),
            Err(_) => Attempt::Failed(Error::Timeout {
                method: at.req.method.to_string(),
                url: at.redactor.scrub_url(at.url.as_str()),
                timeout: at.timeout,
            }),
        }
    }

    async fn send_and_read(&self, at: &Attempting<'_>, builder: reqwest::RequestBuilder) -> Result<Attempt, Error> {
        let mut resp = builder.send().await.map_err(|e| at.transport_error(&e))?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let url = resp.url().as_str().to_owned();
        let version = resp.version();
        let max = self.config.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large(status, &url, max, &headers, at.redactor));
        }
        match self.read_body(at, &mut resp, max).await {
            Ok(body) => Ok(Attempt::Answer {
                status,
                headers,
                body,
                url,
                version,
            }),
            Err(BodyError::TooLarge) => Err(too_large(status, &url, max, &headers, at.redactor)),
            Err(BodyError::Transport(e)) => Err(at.transport_error(&e)),
        }
    }

    /// The body, within `max` bytes and within the client's budget for all bodies being read at once. A body that
    /// arrives in one chunk (most pages) is kept as it is; more chunks are joined.
    async fn read_body(
        &self,
        _at: &Attempting<'_>,
        resp: &mut reqwest::Response,
        max: usize,
    ) -> Result<Bytes, BodyError> {
        let mut held = Held {
            total: &self.buffered,
            bytes: 0,
        };
        let mut first: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
            // Each body is capped, and so is the sum of the bodies being read at once (concurrent pages).
            if held.bytes + chunk.len() > max || !held.take(chunk.len(), max) {
                return Err(BodyError::TooLarge);
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
        Ok(match joined {
            Some(body) => body.freeze(),
            None => first.unwrap_or_default(),
        })
    }
}

/// Why a body could not be read.
enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

/// Whether a transport error is an HTTP/2 stream the server refused without processing it: a graceful GOAWAY
/// (`NO_ERROR`) sent while the stream was above its `last_stream_id`, or a `REFUSED_STREAM` reset. RFC 9113 §6.8:
/// such streams "can be safely retried"; §8.7: REFUSED_STREAM means "no application processing has occurred".
/// hyper surfaces both as the `h2::Error` at the bottom of reqwest's error chain (`is_go_away`/`is_reset`,
/// `is_remote`, `reason`).
fn refused_unprocessed(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<h2::Error>() {
            return h.is_remote()
                && ((h.is_go_away() && h.reason() == Some(h2::Reason::NO_ERROR))
                    || (h.is_reset() && h.reason() == Some(h2::Reason::REFUSED_STREAM)));
        }
        source = s.source();
    }
    false
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
            url: redactor.scrub_url(e.url().unwrap_or(url).as_str()),
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
    // The URL that failed (a redirect's target, perhaps) and every URL the message quotes are scrubbed.
    Error::Connection {
        method: method.to_owned(),
        url: redactor.scrub_url(e.url().unwrap_or(url).as_str()),
        message: redactor.scrub_text(&message),
        permanent,
        unprocessed: !permanent && refused_unprocessed(e),
    }
}

fn too_large(status: StatusCode, url: &str, max: usize, headers: &HeaderMap, redactor: &Redactor) -> Error {
    Error::InvalidResponse {
        status: status.as_u16(),
        url: redactor.scrub_url(url),
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
