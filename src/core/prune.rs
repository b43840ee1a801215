//! Deleting many snapshots at once (`delete_many`, a retention plan's `apply`): bounded concurrency, one outcome
//! per id, and a stop on the first 401 or 403.
//!
//! - Each id is deleted once, through the client's `HttpClient` (its rate limiter and its retries).
//! - 204 → [`Outcome::Deleted`]; 404 → [`Outcome::AlreadyGone`] (so applying a plan again is safe); any other
//!   error → [`Outcome::Failed`].
//! - A 401 or 403 means the token can't delete: no further delete is started (those already in flight finish);
//!   the ids never started have no outcome and [`DeleteLog::stopped`] says why.
//! - The client closed during the run (`close()` from another thread): a delete the client refused to send
//!   ([`Error::Closed`]) has no outcome either (it is `not_attempted`, never `failed`), no further delete is
//!   started, and [`DeleteLog::stopped`] says the client was closed.
//! - [`DeleteLog::stop`] (a progress callback that raised, in the binding) stops the run the same way.
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

    /// Starts no further delete (those in flight finish); the first reason given is kept.
    pub fn stop(&self, reason: impl Into<String>) {
        if !self.stop.swap(true, Ordering::SeqCst) {
            *lock(&self.reason) = Some(reason.into());
        }
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
                    // Never sent: not attempted, and nothing more will be.
                    Err(Error::Closed) => {
                        log.stop(format!(
                            "the client was closed before snapshot {id} was deleted; no further delete was started"
                        ));
                        return;
                    }
                    Err(e) => match status_of(&e) {
                        Some(404) => Outcome::AlreadyGone,
                        Some(status @ (401 | 403)) => {
                            log.stop(format!(
                                "HTTP {status} on snapshot {id}: the token may not delete snapshots; no further \
                                 delete was started"
                            ));
                            Outcome::Failed(e)
                        }
                        _ => Outcome::Failed(e),
                    },
                };
                let done = log.record(id, outcome);
                if let Some(p) = progress {
                    if p(done as u64, total).is_break() {
                        log.stop("the progress callback raised; no further delete was started");
                    }
                }
            }
        })
        .buffer_unordered(max_concurrency.max(1))
        .collect::<()>()
        .await;
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::core::config::{ApiKey, Config};

    /// A server that answers `DELETE /v2/snapshots/{id}`: `gone*` → 404, `deny*` → 403, `boom*` → 500, else 204.
    async fn server(hits: Arc<AtomicUsize>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let hits = Arc::clone(&hits);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let id = head
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    hits.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    let status = match () {
                        _ if id.starts_with("gone") => "404 Not Found",
                        _ if id.starts_with("deny") => "403 Forbidden",
                        _ if id.starts_with("boom") => "500 Internal Server Error",
                        _ => "204 No Content",
                    };
                    let body = if status.starts_with("204") {
                        ""
                    } else {
                        "{\"id\":\"x\",\"message\":\"no\"}"
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                });
            }
        });
        url
    }

    fn client(url: String) -> HttpClient {
        HttpClient::new(Config {
            api_key: Some(ApiKey::new("t")),
            base_url: url,
            max_retries: 0,
            requests_per_minute: None,
            ..Config::default()
        })
        .unwrap()
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn one_outcome_per_id() {
        let hits = Arc::new(AtomicUsize::new(0));
        let http = client(server(Arc::clone(&hits)).await);
        let log = DeleteLog::new();
        let done = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&done);
        let progress: Progress = Arc::new(move |d, t| {
            assert_eq!(t, 4);
            seen.fetch_max(d as usize, Ordering::SeqCst);
            std::ops::ControlFlow::Continue(())
        });
        delete_many(
            &http,
            ids(&["a", "gone1", "boom1", "b"]),
            3,
            &CallOptions::default(),
            &log,
            Some(progress),
        )
        .await;
        let mut out = log.take();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let kinds: Vec<(&str, &str)> = out
            .iter()
            .map(|(id, o)| {
                let k = match o {
                    Outcome::Deleted => "deleted",
                    Outcome::AlreadyGone => "gone",
                    Outcome::Failed(_) => "failed",
                };
                (id.as_str(), k)
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("a", "deleted"),
                ("b", "deleted"),
                ("boom1", "failed"),
                ("gone1", "gone")
            ]
        );
        assert_eq!(hits.load(Ordering::SeqCst), 4);
        assert_eq!(done.load(Ordering::SeqCst), 4);
        assert!(log.stopped().is_none());
    }

    #[tokio::test]
    async fn closing_the_client_leaves_the_rest_not_attempted() {
        let hits = Arc::new(AtomicUsize::new(0));
        let http = Arc::new(client(server(Arc::clone(&hits)).await));
        let log = DeleteLog::new();
        let closer = Arc::clone(&http);
        // Closed from the progress callback after the first delete: the others are never sent.
        let progress: Progress = Arc::new(move |done, _| {
            if done == 1 {
                closer.close();
            }
            std::ops::ControlFlow::Continue(())
        });
        delete_many(
            &http,
            ids(&["a", "b", "c", "d"]),
            1,
            &CallOptions::default(),
            &log,
            Some(progress),
        )
        .await;
        let out = log.take();
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(matches!(out[0], (ref id, Outcome::Deleted) if id == "a"));
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        let why = log.stopped().unwrap();
        assert!(why.contains("closed"), "{why}");
    }

    #[tokio::test]
    async fn a_403_stops_the_run() {
        let hits = Arc::new(AtomicUsize::new(0));
        let http = client(server(Arc::clone(&hits)).await);
        let log = DeleteLog::new();
        delete_many(
            &http,
            ids(&["a", "deny1", "b", "c", "d"]),
            1,
            &CallOptions::default(),
            &log,
            None,
        )
        .await;
        let out = log.take();
        let got: Vec<&str> = out.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(got, vec!["a", "deny1"]);
        assert!(matches!(out[1].1, Outcome::Failed(_)));
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        let why = log.stopped().unwrap();
        assert!(why.contains("403") && why.contains("deny1"), "{why}");
    }
}
