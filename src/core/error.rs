//! The one error type of the core. The binding layer maps each variant onto the SDK's exception classes.

use std::time::Duration;

use crate::core::ratelimit::RateLimit;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An HTTP answer outside 2xx, kept whole: status, raw body, headers, request id.
#[derive(Debug, Clone)]
pub struct StatusError {
    pub status: u16,
    pub method: String,
    pub url: String,
    /// The body as text (lossy UTF-8), with the token redacted.
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// From the body's `request_id`, else the `x-request-id` header.
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub retries_taken: u32,
}

/// Whether a local argument error is about the type (Python `TypeError`) or the value (`ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    Type,
    Value,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "Could not resolve authentication method. Expected api_key (or access_token) to be set, or the \
         DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY environment variable"
    )]
    MissingApiKey,

    #[error("{message}")]
    InvalidArgument {
        param: &'static str,
        kind: ArgKind,
        message: String,
    },

    #[error("Error code: {}", .0.status)]
    Status(Box<StatusError>),

    #[error("Request timed out after {timeout:?}: {method} {url}")]
    Timeout {
        method: String,
        url: String,
        timeout: Duration,
    },

    #[error("Connection error: {message}")]
    Connection {
        method: String,
        url: String,
        message: String,
        /// A problem retrying can't fix (the server's certificate is not trusted, say): never retried.
        permanent: bool,
        /// The server refused the request before processing it: an HTTP/2 stream above a graceful GOAWAY's
        /// `last_stream_id`, or reset with REFUSED_STREAM (RFC 9113 §6.8, §8.7). Safe to send again, and sent
        /// again at once without costing a retry (a bounded number of times).
        unprocessed: bool,
    },

    /// `list_all(deadline=…)` ran out of time; whatever was in flight is dropped.
    #[error("list_all did not finish within its deadline of {}s ({method} {url})", .deadline.as_secs_f64())]
    DeadlineExceeded {
        method: String,
        url: String,
        deadline: Duration,
    },

    /// A 2xx answer that is not the JSON we expect (or is too large).
    #[error("Invalid response body from {url} (status {status}): {message}")]
    InvalidResponse {
        status: u16,
        url: String,
        message: String,
        /// The first bytes of the body, for the error message.
        excerpt: String,
        request_id: Option<String>,
        headers: Vec<(String, String)>,
    },

    /// `list_all` would need more requests than the hourly quota has left.
    #[error(
        "rate limit: listing needs {needed} more requests but ratelimit-remaining is {remaining}{}; \
         pass wait_for_rate_limit=True to wait for the reset",
        reset_suffix(*.reset)
    )]
    QuotaInsufficient {
        needed: u64,
        remaining: u64,
        reset: Option<u64>,
    },

    /// A page of a multi-page listing failed after its retries; nothing partial is returned.
    #[error("page {page} failed: {source}")]
    Page { page: u64, source: Box<Error> },

    /// A source listing of `snapshots.list_all(with_sources=True)` failed: which one, and the token scope it needs.
    #[error("the {listing} listing ({request}, needs the {scope} scope) failed, so no snapshot can be called orphaned: {source}")]
    Source {
        listing: &'static str,
        request: &'static str,
        scope: &'static str,
        source: Box<Error>,
    },

    #[error("the client has been closed")]
    Closed,

    /// The progress callback asked to stop (in the binding: it raised; that exception is what Python sees).
    #[error("stopped by the progress callback")]
    Stopped,
}

fn reset_suffix(reset: Option<u64>) -> String {
    reset.map(|r| format!(" (resets at unix time {r})")).unwrap_or_default()
}

impl Error {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            param,
            kind: ArgKind::Value,
            message: message.into(),
        }
    }

    /// The error at the bottom of any `Page` (or `Source`) wrapping.
    pub fn root(&self) -> &Error {
        match self {
            Error::Page { source, .. } | Error::Source { source, .. } => source.root(),
            other => other,
        }
    }

    /// The page number when the error came from a multi-page listing.
    pub fn page(&self) -> Option<u64> {
        match self {
            Error::Page { page, .. } => Some(*page),
            Error::Source { source, .. } => source.page(),
            _ => None,
        }
    }

    /// The source listing (name, request, scope) when the error came from one.
    pub fn source_listing(&self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Error::Source {
                listing,
                request,
                scope,
                ..
            } => Some((listing, request, scope)),
            _ => None,
        }
    }
}
