//! Work that may take a while on a runtime worker: big decodes here, Python callbacks in the binding layer.

/// Runs `f`, which may block or take long (a huge page to decode, the user's code), on the current thread. On a
/// worker of a multi-thread runtime, the worker's other tasks and the I/O driver are first handed to another thread
/// (`tokio::task::block_in_place`), so requests in flight keep going while `f` runs; anywhere else `f` just runs.
pub fn off_the_runtime<R>(f: impl FnOnce() -> R) -> R {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::off_the_runtime;

    #[test]
    fn runs_outside_a_runtime() {
        assert_eq!(off_the_runtime(|| 7), 7);
    }

    #[test]
    fn runs_on_a_current_thread_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(async { off_the_runtime(|| 8) }), 8);
    }

    #[test]
    fn other_tasks_go_on_while_it_blocks() {
        use std::sync::mpsc::channel;
        use std::time::Duration;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (started_tx, started_rx) = channel::<()>();
        let (tx, rx) = channel::<()>();
        // Takes the only worker and blocks it until a task spawned afterwards has run (or 10 s have passed).
        let blocked = rt.spawn(async move {
            off_the_runtime(|| {
                started_tx.send(()).unwrap();
                rx.recv_timeout(Duration::from_secs(10))
            })
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let other = rt.spawn(async move { tx.send(()).unwrap() });
        rt.block_on(async {
            other.await.unwrap();
            assert!(
                blocked.await.unwrap().is_ok(),
                "the other task ran only after the blocking one gave up"
            );
        });
    }
}
