//! The SDK's retry policy: which answers are retried, how long to wait (`retry-after-ms`/`retry-after`, else
//! exponential backoff with jitter), and which 429s are the hourly quota (not retried).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::core::ratelimit::RateLimit;

/// SDK constants (`_constants.py`).
pub const INITIAL_RETRY_DELAY: f64 = 0.5;
pub const MAX_RETRY_DELAY: f64 = 8.0;

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

/// `60` for whole seconds, `12.5` otherwise, as the SDK writes `x-stainless-read-timeout`.
pub(super) fn format_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}
