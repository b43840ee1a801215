//! A blocking call's own runtime: a `current_thread` tokio runtime per calling thread, so that a one-request call
//! (`list`, `retrieve`, `delete`, the next page) runs its future where it was called — one write, one wait in
//! `epoll`, one read, on one thread — instead of handing it to the process runtime's worker and waiting for the
//! answer to be handed back (two more wake-ups and context switches per call).
//!
//! hyper runs each connection's task on the runtime that opened it, and a `current_thread` runtime only runs
//! while its thread is inside [`block_on`]; so connections opened here belong to this thread, and the HTTP layer
//! keeps a pool per client and thread for them (`core::http`). Everything that runs many requests at once
//! (`list_all`, the many-account calls, prune) and every async call stays on the process runtime.
//!
//! The runtime is built on a thread's first call, dropped with the thread, and abandoned (leaked, never dropped:
//! its epoll set and sockets are shared with the parent) in a forked child, see [`crate::core::fork`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::AssertUnwindSafe;

use tokio::runtime::Runtime;

struct Here {
    generation: u64,
    rt: Runtime,
}

thread_local! {
    static HERE: RefCell<Option<Here>> = const { RefCell::new(None) };
    /// Set while this thread is inside [`block_on`] (what the HTTP layer asks, to pick the pool).
    static INSIDE: Cell<bool> = const { Cell::new(false) };
    /// Runtimes this thread has built (for the tests).
    static BUILT: Cell<u64> = const { Cell::new(0) };
}

/// How many runtimes this thread has built.
pub fn built_on_this_thread() -> u64 {
    BUILT.with(Cell::get)
}

/// Why [`block_on`] did not run the future.
#[derive(Debug, PartialEq, Eq)]
pub enum NotHere {
    /// This thread is already inside a runtime (a call made from a callback that a call of ours is running):
    /// tokio can't nest, so the caller uses the process runtime.
    Nested,
    /// The runtime could not be built (out of file descriptors for its epoll set).
    Unavailable,
}

/// Whether the current thread is inside [`block_on`] right now.
#[inline]
pub fn inside() -> bool {
    INSIDE.with(Cell::get)
}

struct Leave;
impl Drop for Leave {
    fn drop(&mut self) {
        INSIDE.with(|i| i.set(false));
    }
}

/// This thread's runtime for this process, built if need be.
fn current(slot: &mut Option<Here>) -> Result<&Here, NotHere> {
    let generation = crate::core::fork::generation();
    if slot.as_ref().is_some_and(|h| h.generation != generation) {
        // Built before a fork: its epoll set is the parent's, so dropping it would deregister the parent's
        // sockets. Leaked instead.
        std::mem::forget(slot.take());
    }
    if slot.is_none() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|_| NotHere::Unavailable)?;
        *slot = Some(Here { generation, rt });
        BUILT.with(|b| b.set(b.get() + 1));
    }
    slot.as_ref().ok_or(NotHere::Unavailable)
}

/// Leaks this thread's runtime (in a forked child: see [`crate::core::fork::after_fork_in_child`]).
pub(crate) fn abandon() {
    let _ = HERE.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            std::mem::forget(slot.take());
        }
    });
}

/// Whether [`block_on`] can run a future on this thread now: not inside a runtime, and its runtime is built (or
/// could be). Callers with a fallback ask first, so the future isn't consumed by a call that can't run it.
pub fn available() -> bool {
    if inside() || tokio::runtime::Handle::try_current().is_ok() {
        return false;
    }
    HERE.try_with(|cell| cell.try_borrow_mut().is_ok_and(|mut slot| current(&mut slot).is_ok()))
        .unwrap_or(false)
}

/// Runs `fut` to completion on this thread's runtime. `Ok(Err(panic))` when the future panicked: the runtime is
/// then dropped (and rebuilt by the next call), and the panic's payload is given back, never unwound through the
/// caller.
pub fn block_on<F: Future>(fut: F) -> Result<std::thread::Result<F::Output>, NotHere> {
    if inside() || tokio::runtime::Handle::try_current().is_ok() {
        return Err(NotHere::Nested);
    }
    HERE.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return Err(NotHere::Nested);
        };
        let here = current(&mut slot)?;
        INSIDE.with(|i| i.set(true));
        let _leave = Leave;
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
            here.rt.block_on(async {
                // Twice round the scheduler first (each `yield_now` makes it poll the I/O driver without waiting,
                // then run what woke): the tasks of the connections this thread keeps idle learn what happened
                // since its last call — a closed socket, the end of the last body — so the pool hands out a live
                // connection instead of one the server has closed, or a new one.
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
                fut.await
            })
        }));
        if out.is_err() {
            drop(_leave);
            *slot = None;
        }
        Ok(out)
    })
}

/// Runs this thread's runtime for a moment, if it has one and isn't inside it: the tasks of connections whose pool
/// was just dropped then end and close their sockets (instead of at the thread's next call).
pub fn settle() {
    if inside() || tokio::runtime::Handle::try_current().is_ok() {
        return;
    }
    let _ = HERE.try_with(|cell| {
        let Ok(slot) = cell.try_borrow() else { return };
        let Some(here) = slot
            .as_ref()
            .filter(|h| h.generation == crate::core::fork::generation())
        else {
            return;
        };
        INSIDE.with(|i| i.set(true));
        let _leave = Leave;
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            here.rt.block_on(async {
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
            })
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_the_calling_thread() {
        let me = std::thread::current().id();
        let out = block_on(async move {
            assert!(inside());
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            std::thread::current().id()
        });
        assert_eq!(out.unwrap().unwrap(), me);
        assert!(!inside());
    }

    #[test]
    fn one_runtime_per_thread_kept_between_calls() {
        block_on(async {}).unwrap().unwrap();
        let built = built_on_this_thread();
        for _ in 0..3 {
            let flavor = block_on(async { tokio::runtime::Handle::current().runtime_flavor() })
                .unwrap()
                .unwrap();
            assert_eq!(flavor, tokio::runtime::RuntimeFlavor::CurrentThread);
        }
        assert_eq!(built_on_this_thread(), built);
        // A task left pending by one call goes on in the next: the same runtime.
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let handle = block_on(async { tokio::runtime::Handle::current() }).unwrap().unwrap();
        let task = handle.spawn(async move { rx.await.unwrap_or(0) + 1 });
        tx.send(41).unwrap();
        assert_eq!(block_on(task).unwrap().unwrap().unwrap(), 42);
        let other = std::thread::spawn(|| {
            block_on(async {}).unwrap().unwrap();
            built_on_this_thread()
        });
        assert_eq!(other.join().unwrap(), 1);
    }

    #[test]
    fn available_outside_a_runtime_only() {
        assert!(available());
        assert!(!block_on(async { available() }).unwrap().unwrap());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert!(!rt.block_on(async { available() }));
    }

    #[test]
    fn nesting_is_refused_not_a_panic() {
        let out = block_on(async { block_on(async { 1 }) }).unwrap().unwrap();
        assert_eq!(out.err(), Some(NotHere::Nested));
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(
            rt.block_on(async { block_on(async { 2 }) }).err(),
            Some(NotHere::Nested)
        );
    }

    #[test]
    fn a_panic_comes_back_as_a_value_and_the_next_call_works() {
        let out = block_on(async {
            if inside() {
                panic!("boom");
            }
        })
        .unwrap();
        assert!(out.is_err());
        assert!(!inside());
        let built = built_on_this_thread();
        assert_eq!(block_on(async { 3 }).unwrap().unwrap(), 3);
        assert_eq!(built_on_this_thread(), built + 1, "the panicked runtime is not reused");
    }

    #[test]
    fn a_fork_generation_change_builds_a_new_runtime() {
        block_on(async {}).unwrap().unwrap();
        let built = built_on_this_thread();
        crate::core::fork::after_fork_in_child();
        block_on(async {}).unwrap().unwrap();
        assert_eq!(built_on_this_thread(), built + 1);
    }
}
