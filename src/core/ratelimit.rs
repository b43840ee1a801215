//! DigitalOcean's rate-limit headers, and the client-side limiter shared by every request of one client:
//! a sliding window of request starts (at most N in any 60 s) and a pause gate that a 429 closes for all workers.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` (unix seconds) from one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<u64>,
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v as u64)
}

impl RateLimit {
    /// `None` when the answer carries none of the three headers. Header names match in any case.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let rl = RateLimit {
            limit: header_u64(headers, "ratelimit-limit"),
            remaining: header_u64(headers, "ratelimit-remaining"),
            reset: header_u64(headers, "ratelimit-reset"),
        };
        (rl != RateLimit::default()).then_some(rl)
    }

    /// How long until `reset`, from now (zero when it has passed or is unknown).
    pub fn until_reset(&self) -> Duration {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Duration::from_secs(self.reset.unwrap_or(now).saturating_sub(now))
    }
}

const WINDOW: Duration = Duration::from_secs(60);

/// Admission control for request starts. Cheap when idle: one mutex, no background task.
#[derive(Debug)]
pub struct Limiter {
    per_minute: Option<u32>,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    starts: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl Limiter {
    pub fn new(per_minute: Option<u32>) -> Self {
        Self {
            per_minute: per_minute.filter(|n| *n > 0),
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// How long the caller must wait before it may start a request; records the start when zero.
    pub fn try_acquire(&self, now: Instant) -> Duration {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = st.paused_until {
            if until > now {
                return until - now;
            }
            st.paused_until = None;
        }
        if let Some(limit) = self.per_minute {
            while st.starts.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                st.starts.pop_front();
            }
            if st.starts.len() >= limit as usize {
                let oldest = *st.starts.front().expect("non-empty window");
                return (oldest + WINDOW)
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(1));
            }
            st.starts.push_back(now);
        }
        Duration::ZERO
    }

    /// Waits until a request may start.
    pub async fn acquire(&self) {
        loop {
            let wait = self.try_acquire(Instant::now());
            if wait.is_zero() {
                return;
            }
            if wait >= Duration::from_secs(1) {
                log::info!(target: "gradientai_rs::ratelimit", "rate limit: waiting {:.1}s before the next request", wait.as_secs_f64());
            } else {
                log::debug!(target: "gradientai_rs::ratelimit", "waiting {:.3}s before the next request", wait.as_secs_f64());
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Closes the gate for every worker of this client (a 429 with retry-after).
    pub fn pause_for(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.paused_until = Some(st.paused_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    #[test]
    fn parses_headers_any_case() {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("ratelimit-limit"),
            HeaderValue::from_static("5000"),
        );
        h.insert(
            HeaderName::from_bytes(b"RateLimit-Remaining").unwrap(),
            HeaderValue::from_static("4816"),
        );
        h.insert(
            HeaderName::from_bytes(b"rateLimit-reset").unwrap(),
            HeaderValue::from_static("1444931833"),
        );
        let rl = RateLimit::from_headers(&h).unwrap();
        assert_eq!(
            rl,
            RateLimit {
                limit: Some(5000),
                remaining: Some(4816),
                reset: Some(1444931833)
            }
        );
        assert!(RateLimit::from_headers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn window_admits_n_per_minute() {
        let lim = Limiter::new(Some(3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(lim.try_acquire(t0), Duration::ZERO);
        }
        let wait = lim.try_acquire(t0 + Duration::from_secs(10));
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(lim.try_acquire(t0 + WINDOW), Duration::ZERO);
    }

    #[test]
    fn pause_gate_blocks_everyone() {
        let lim = Limiter::new(None);
        lim.pause_for(Duration::from_secs(5));
        assert!(lim.try_acquire(Instant::now()) > Duration::from_secs(4));
        assert_eq!(Limiter::new(None).try_acquire(Instant::now()), Duration::ZERO);
    }
}
