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
    /// The end of the latest wait that was logged at INFO (one line per wait, not one per waiting request).
    logged_until: Option<Instant>,
}

/// Why a request has to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The client-side window: `requests_per_minute` starts in the last 60 s.
    Window(u32),
    /// A 429 with `retry-after` paused every request of this client.
    Paused,
}

/// Told about every limiter wait of more than a second (`list_all`'s progress bar shows it).
pub type WaitObserver = std::sync::Arc<dyn Fn(Duration) + Send + Sync>;

tokio::task_local! {
    /// Set by `list_all` around its requests: the limiter tells it about long waits.
    pub static WAIT_OBSERVER: WaitObserver;
}

/// Waits longer than this are logged at INFO and reported to [`WAIT_OBSERVER`].
pub const VISIBLE_WAIT: Duration = Duration::from_secs(1);

impl Limiter {
    pub fn new(per_minute: Option<u32>) -> Self {
        Self {
            per_minute: per_minute.filter(|n| *n > 0),
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// The configured requests per minute (`None`: no client-side pacing).
    pub fn per_minute(&self) -> Option<u32> {
        self.per_minute
    }

    /// How long the caller must wait before it may start a request; records the start when zero.
    pub fn try_acquire(&self, now: Instant) -> Duration {
        self.try_acquire_why(now).0
    }

    fn try_acquire_why(&self, now: Instant) -> (Duration, Option<WaitReason>, bool) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (wait, reason) = 'wait: {
            if let Some(until) = st.paused_until {
                if until > now {
                    break 'wait (until - now, Some(WaitReason::Paused));
                }
                st.paused_until = None;
            }
            if let Some(limit) = self.per_minute {
                while st.starts.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    st.starts.pop_front();
                }
                if st.starts.len() >= limit as usize {
                    let oldest = *st.starts.front().expect("non-empty window");
                    let wait = (oldest + WINDOW)
                        .saturating_duration_since(now)
                        .max(Duration::from_millis(1));
                    break 'wait (wait, Some(WaitReason::Window(limit)));
                }
                st.starts.push_back(now);
            }
            (Duration::ZERO, None)
        };
        // The first request to meet a new long wait reports it; the others waiting with it stay quiet.
        let end = now + wait;
        let first = wait >= VISIBLE_WAIT && st.logged_until.is_none_or(|l| end > l + VISIBLE_WAIT);
        if first {
            st.logged_until = Some(end);
        }
        (wait, reason, first)
    }

    /// Waits until a request may start. A wait of a second or more is logged at INFO (once per wait, with the
    /// reason) and reported to the [`WAIT_OBSERVER`] of the calling task, if any.
    pub async fn acquire(&self) {
        loop {
            let (wait, reason, first) = self.try_acquire_why(Instant::now());
            if wait.is_zero() {
                return;
            }
            if first {
                let why = match reason {
                    Some(WaitReason::Window(n)) => format!(
                        "client-side pacing: {n} requests were started in the last 60 s (requests_per_minute={n}; \
                         pass requests_per_minute=None to turn pacing off)"
                    ),
                    _ => "the server answered 429 with retry-after; every request of this client waits".to_owned(),
                };
                log::info!(target: "gradientai_rs::ratelimit", "rate limit: waiting {:.1} s before the next request: {why}", wait.as_secs_f64());
                let _ = WAIT_OBSERVER.try_with(|observer| observer(wait));
            } else if wait < VISIBLE_WAIT {
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
    fn a_long_wait_is_reported_once() {
        let lim = Limiter::new(Some(1));
        let t0 = Instant::now();
        assert_eq!(lim.try_acquire_why(t0).0, Duration::ZERO);
        let (wait, reason, first) = lim.try_acquire_why(t0);
        assert_eq!((wait, reason, first), (WINDOW, Some(WaitReason::Window(1)), true));
        let (_, _, again) = lim.try_acquire_why(t0 + Duration::from_millis(10));
        assert!(!again, "the same wait is reported once");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_observer_hears_about_long_waits() {
        let lim = std::sync::Arc::new(Limiter::new(None));
        lim.pause_for(Duration::from_millis(1100));
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let observer: WaitObserver = std::sync::Arc::new(move |d| s2.lock().unwrap().push(d));
        WAIT_OBSERVER
            .scope(observer, async {
                lim.acquire().await;
                lim.acquire().await;
            })
            .await;
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(seen[0] > Duration::from_secs(1), "{seen:?}");
    }

    #[test]
    fn pause_gate_blocks_everyone() {
        let lim = Limiter::new(None);
        lim.pause_for(Duration::from_secs(5));
        assert!(lim.try_acquire(Instant::now()) > Duration::from_secs(4));
        assert_eq!(Limiter::new(None).try_acquire(Instant::now()), Duration::ZERO);
    }
}
