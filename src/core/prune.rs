//! Deleting many snapshots at once (`delete_many`, a retention plan's `apply`): bounded concurrency, one outcome
//! per id, and a stop on the first 401 or 403.
//!
//! - Each id is deleted once, through the client's `HttpClient` (its rate limiter and its retries).
//! - 204 → [`Outcome::Deleted`]; 404 → [`Outcome::AlreadyGone`] (so applying a plan again is safe); any other
//!   error → [`Outcome::Failed`].
//! - A 401 or 403 means the token can't delete: no further delete is started (those already in flight finish);
//!   the ids never started have no outcome and [`DeleteLog::stopped`] says why.
//! - Outcomes are recorded in a shared [`DeleteLog`] as they arrive, so a caller that aborts the future (Ctrl-C)
//!   still knows what was done.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::stream::{self, StreamExt};

use crate::core::error::Error;
use crate::core::http::HttpClient;
use crate::core::pagination::Progress;
use crate::core::snapshots::{self, CallOptions};

/// What happened to one id.
#[derive(Debug)]
pub enum Outcome {
    Deleted,
    /// 404: deleted before (by us in an earlier run, or by someone else).
    AlreadyGone,
    Failed(Error),
}

/// Outcomes as they arrive (shared with the caller), and why the run stopped early.
#[derive(Debug, Default)]
pub struct DeleteLog {
    outcomes: Mutex<Vec<(String, Outcome)>>,
    stop: AtomicBool,
    reason: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl DeleteLog {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Takes the outcomes recorded so far.
    pub fn take(&self) -> Vec<(String, Outcome)> {
        std::mem::take(&mut *lock(&self.outcomes))
    }

    /// Why no further delete was started (a 401/403), if so.
    pub fn stopped(&self) -> Option<String> {
        lock(&self.reason).clone()
    }

    fn record(&self, id: String, outcome: Outcome) -> usize {
        let mut v = lock(&self.outcomes);
        v.push((id, outcome));
        v.len()
    }
}

/// The status of an HTTP error answer.
fn status_of(e: &Error) -> Option<u16> {
    match e.root() {
        Error::Status(s) => Some(s.status),
        _ => None,
    }
}

/// Deletes `ids` (in this order, at most `max_concurrency` at a time), recording each outcome in `log` and
/// calling `progress(done, total)` after each.
pub async fn delete_many(
    http: &HttpClient,
    ids: Vec<String>,
    max_concurrency: usize,
    opts: &CallOptions,
    log: &DeleteLog,
    progress: Option<Progress>,
) {
    let total = ids.len() as u64;
    stream::iter(ids)
        .map(|id| {
            let progress = progress.clone();
            async move {
                if log.stop.load(Ordering::SeqCst) {
                    return;
                }
                let outcome = match snapshots::delete_raw(http, &id, opts).await {
                    Ok(_) => Outcome::Deleted,
                    Err(e) => match status_of(&e) {
                        Some(404) => Outcome::AlreadyGone,
                        Some(status @ (401 | 403)) => {
                            if !log.stop.swap(true, Ordering::SeqCst) {
                                *lock(&log.reason) = Some(format!(
                                    "HTTP {status} on snapshot {id}: the token may not delete snapshots; no further \
                                     delete was started"
                                ));
                            }
                            Outcome::Failed(e)
                        }
                        _ => Outcome::Failed(e),
                    },
                };
                let done = log.record(id, outcome);
                if let Some(p) = progress {
                    p(done as u64, total);
                }
            }
        })
        .buffer_unordered(max_concurrency.max(1))
        .collect::<()>()
        .await;
}
