//! Which process we are in, without a system call: a counter that the embedding bumps in a forked child.
//!
//! Anything built for one process that must not be used in a forked child (the runtimes, whose threads and
//! epoll set stay with the parent; the reqwest pools, whose sockets the parent shares) records the generation it
//! was built in and compares it with [`generation`], one relaxed atomic load, instead of calling `getpid` on
//! every request. The binding layer calls [`after_fork_in_child`] from `os.register_at_fork(after_in_child=...)`,
//! which CPython runs in every child that goes on running Python (`os.fork`, multiprocessing's `fork`, and any C
//! code that forks and then calls `PyOS_AfterFork_Child`).

use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The number of forks between the first process and this one.
#[inline]
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

/// Call once in a forked child, on the thread that forked (the child's only thread), before it uses the core:
/// everything built before the fork is then rebuilt. That thread's own runtime and pools
/// ([`crate::core::thread_runtime`], the HTTP layer's per-thread pools) are leaked here and now, not merely
/// replaced later: a child that exits normally destroys its thread-locals, and dropping them would deregister the
/// parent's sockets from the epoll set the two processes share.
pub fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    crate::core::thread_runtime::abandon();
    crate::core::http::abandon_thread_pools();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fork_moves_the_generation_on() {
        let before = super::generation();
        super::after_fork_in_child();
        assert!(super::generation() > before);
    }
}
