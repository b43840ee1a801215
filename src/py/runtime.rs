//! One tokio runtime per process, shared by the listings (`list_all`, many accounts, prune) and the asyncio path,
//! rebuilt in a forked child (its worker threads don't survive `fork`); blocking one-request calls run on the
//! calling thread's own runtime instead ([`run_here`]). Blocking calls release the GIL and still answer Ctrl-C;
//! async calls go through pyo3-async-runtimes; runtime threads never touch Python once `atexit` has run.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict};
use pyo3::IntoPyObjectExt;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;
use tokio::runtime::Runtime;

use crate::core::Error as CoreError;
use crate::py::errors::to_pyerr;

static RUNTIME: Mutex<Option<(u64, &'static Runtime)>> = Mutex::new(None);

thread_local! {
    /// This thread's copy of [`RUNTIME`] and the fork generation it is for: no lock on the hot path.
    static CACHED: Cell<Option<(u64, &'static Runtime)>> = const { Cell::new(None) };
}

/// How often a blocking call wakes to let Python raise `KeyboardInterrupt`.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The process's runtime. After `fork` the parent's is abandoned (leaked: its threads are gone and dropping it
/// would wait for them) and a new one is built. The fork check is [`crate::core::fork::generation`] (an atomic
/// load, no `getpid`), and each thread keeps the answer, so the lock is taken once per thread and fork.
///
/// One worker thread: it only does I/O and decodes pages (a page of 200 snapshots is a fraction of a millisecond),
/// so a second worker adds no throughput, only cross-thread wake-ups (tokio wakes an idle worker to look for work
/// every time one finds some), which cost about a tenth of a blocking call's CPU. What could keep the worker busy
/// for long — Python code it has to run (progress callbacks, log records) and pages of over a megabyte — goes
/// through [`off_the_runtime`], so a slow callback, a GIL held elsewhere or a huge page never holds up the
/// requests in flight.
pub fn runtime() -> &'static Runtime {
    let generation = crate::core::fork::generation();
    if let Some((cached, rt)) = CACHED.with(Cell::get) {
        if cached == generation {
            return rt;
        }
    }
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = match *slot {
        Some((owner, rt)) if owner == generation => rt,
        _ => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("gradientai-rs")
                .enable_all()
                .build()
                .expect("building the tokio runtime");
            let rt: &'static Runtime = Box::leak(Box::new(rt));
            *slot = Some((generation, rt));
            rt
        }
    };
    CACHED.with(|c| c.set(Some((generation, rt))));
    rt
}

/// Runs a one-request call (`list`, `retrieve`, `delete`, the next page) to completion with the GIL released,
/// on the calling thread (see [`crate::core::thread_runtime`]): no hand-off to the runtime's worker and back.
/// Every [`SIGNAL_POLL`] it takes the GIL for a moment to run Python's signal handlers; if one raises (Ctrl-C),
/// the future is dropped — with its request — and the exception propagates. A panic becomes a `RuntimeError`.
/// Called from inside a runtime (a callback of a call in progress), or where the thread's runtime can't be built,
/// it hands the future over as [`run_blocking`] does.
pub fn run_here<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, CoreError>> + Send + 'static,
    T: Send + 'static,
{
    if !crate::core::thread_runtime::available() {
        return run_blocking(py, fut);
    }
    let ran = py.detach(|| {
        let ran = crate::core::thread_runtime::block_on(async move {
            let mut fut = std::pin::pin!(fut);
            loop {
                match tokio::time::timeout(SIGNAL_POLL, fut.as_mut()).await {
                    Ok(out) => break Ok(out),
                    // Past `atexit` only the finishing thread may take the GIL (see [`EXITING`]).
                    Err(_) if exiting_elsewhere() => {}
                    Err(_) => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            break Err(e);
                        }
                    }
                }
            }
        });
        // As in [`run_blocking`]: a thread that finishes while another finalizes the interpreter stays parked.
        while exiting_elsewhere() {
            std::thread::park();
        }
        ran
    });
    match ran {
        Ok(Ok(outcome)) => outcome?.map_err(to_pyerr),
        Ok(Err(_panic)) => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "gradientai_rs internal error: the request panicked",
        )),
        Err(why) => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "gradientai_rs could not run the call on this thread ({why:?}; out of file descriptors?)"
        ))),
    }
}

/// Runs `fut` to completion with the GIL released. The future runs as a task on the runtime's worker, next to
/// the I/O driver, and hands its result over a channel; the caller just waits on the channel (no runtime entered
/// on its thread, no timer), waking every [`SIGNAL_POLL`] to take the GIL for a moment and run Python's signal
/// handlers. If one raises (Ctrl-C), the task is aborted — dropping its requests — and the exception propagates.
/// A panic in the task becomes a `RuntimeError`; it never unwinds into Python.
pub fn run_blocking<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, CoreError>> + Send + 'static,
    T: Send + 'static,
{
    let outcome: Result<Result<T, CoreError>, PyErr> = py.detach(|| {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let task = runtime().spawn(async move {
            let _ = tx.send(fut.await);
        });
        let outcome = loop {
            match rx.recv_timeout(SIGNAL_POLL) {
                Ok(out) => break Ok(out),
                // Past `atexit` only the finishing thread may take the GIL (see [`EXITING`]).
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if exiting_elsewhere() => {}
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        task.abort();
                        break Err(e);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    break Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "gradientai_rs internal error: the request task ended without an answer (a panic)",
                    ));
                }
            }
        };
        // A Python thread (a daemon thread's call) that finishes while another thread finalizes the interpreter
        // must not take the GIL back: CPython < 3.14 ends it with `pthread_exit`, whose forced unwind runs our
        // drops against a dying interpreter (SIGSEGV, seen in the installed wheel). Park it, as CPython 3.14 does.
        // (A thread started and joined by a later `atexit` handler would wait here too: abi3 can't ask
        // `Py_IsFinalizing` without the GIL.)
        while exiting_elsewhere() {
            std::thread::park();
        }
        outcome
    });
    outcome?.map_err(to_pyerr)
}

/// Why a worker thread must not take the GIL once `atexit` has run: CPython (before 3.14) ends a foreign thread
/// that waits for the GIL during finalization with `pthread_exit`, and unwinding pyo3's attach guard then aborts
/// the process ("PyGILState_Release: thread state must be current"). So every attach from a runtime thread goes
/// through [`unless_exiting`], and the `atexit` hook closes the gate and waits for those inside to leave.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Runtime threads inside [`unless_exiting`] right now.
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// How long the `atexit` hook waits for runtime threads that are attached (they only deliver results).
const EXIT_GRACE: Duration = Duration::from_secs(2);

thread_local! {
    /// Set on the thread that ran the `atexit` hook: it is the one finalizing, so it may still use Python.
    static EXIT_THREAD: Cell<bool> = const { Cell::new(false) };
}

struct Leave;
impl Drop for Leave {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `f` (which may attach to Python) on a thread Python doesn't own, unless the interpreter is shutting down;
/// then `f` is skipped and `None` comes back.
pub fn unless_exiting<R>(f: impl FnOnce() -> R) -> Option<R> {
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave;
    if EXITING.load(Ordering::SeqCst) {
        return None;
    }
    Some(f())
}

pub use crate::core::blocking::off_the_runtime;

/// `Python::attach` for runtime threads: skipped (`None`) once the interpreter is shutting down.
pub fn attach_from_worker<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    unless_exiting(|| Python::attach(f))
}

fn exiting_elsewhere() -> bool {
    EXITING.load(Ordering::SeqCst) && !EXIT_THREAD.with(Cell::get)
}

/// Registered with `atexit`: from now on runtime threads leave Python alone; those already attached finish first
/// (the GIL is released while waiting, at most [`EXIT_GRACE`]).
#[pyfunction]
fn _before_exit(py: Python<'_>) {
    EXIT_THREAD.with(|t| t.set(true));
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + EXIT_GRACE;
        while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Registered with `os.register_at_fork`: the parent's runtime threads are not in the child, and whatever was
/// built for the parent (runtimes, pools) is rebuilt ([`crate::core::fork`]).
#[pyfunction]
fn _after_fork_in_child() {
    crate::core::fork::after_fork_in_child();
    INSIDE.store(0, Ordering::SeqCst);
}

/// Registers the exit and fork hooks; called once from the module's init.
pub fn install_hooks(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    py.import("atexit")?
        .call_method1("register", (wrap_pyfunction!(_before_exit, m)?,))?;
    let os = py.import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = PyDict::new(py);
        kwargs.set_item("after_in_child", wrap_pyfunction!(_after_fork_in_child, m)?)?;
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    }
    Ok(())
}

/// What a finished Rust future becomes in Python. It runs where pyo3-async-runtimes hands results to the event
/// loop (a blocking-pool thread with the GIL, behind the exit gate), never on a runtime worker.
pub type Finish = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// The usual [`Finish`]: the value converted, or the core error raised as its Python exception.
pub fn finish<T>(out: Result<T, CoreError>) -> impl FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send + 'static
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    move |py| out.map_err(to_pyerr)?.into_py_any(py)
}

/// A [`Finish`] as pyo3-async-runtimes' result value: converting it runs the closure.
struct Later(Finish);

impl<'py> IntoPyObject<'py> for Later {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        (self.0)(py).map(|obj| obj.into_bound(py))
    }
}

/// pyo3-async-runtimes glue for our own runtime (its built-in one can't be replaced after a fork).
pub struct ForkSafeRuntime;

pub struct JoinErr(tokio::task::JoinError);

impl JoinError for JoinErr {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<TaskLocals>;
}

impl GenericRuntime for ForkSafeRuntime {
    type JoinError = JoinErr;
    type JoinHandle = Pin<Box<dyn Future<Output = Result<(), JoinErr>> + Send>>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = runtime().spawn(fut);
        Box::pin(async move { handle.await.map_err(JoinErr) })
    }

    /// pyo3-async-runtimes attaches to Python only in these closures (to hand a result to the event loop), so
    /// this is where its runtime threads pass the exit gate.
    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let handle = runtime().spawn_blocking(move || {
            unless_exiting(f);
        });
        Box::pin(async move { handle.await.map_err(JoinErr) })
    }
}

impl ContextExt for ForkSafeRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|c| c.get().cloned()).unwrap_or_default()
    }
}

fn require_running_loop(py: Python<'_>) -> PyResult<()> {
    pyo3_async_runtimes::get_running_loop(py).map(drop).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!(
            "AsyncGradientAI methods must be awaited inside a running asyncio event loop (use asyncio.run(...) or \
             await them in a coroutine); for blocking code use GradientAI instead ({e})"
        ))
    })
}

/// Wraps a Rust future as an asyncio awaitable (pyo3-async-runtimes on our runtime). Must be called with a
/// running event loop; cancelling the awaitable drops the Rust future and with it every HTTP request it has in
/// flight. The future's result is made into Python by its [`Finish`] closure, off the runtime's workers.
pub fn future_into_py<'py, F, R>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = R> + Send + 'static,
    R: FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send + 'static,
{
    require_running_loop(py)?;
    pyo3_async_runtimes::generic::future_into_py::<ForkSafeRuntime, _, Later>(py, async move {
        let finish: Finish = Box::new(fut.await);
        Ok(Later(finish))
    })
}

/// Which coroutine of `gradientai_rs._aio` wraps the future.
#[derive(Clone, Copy)]
pub enum Await {
    Plain,
    /// Warns with `ListingChangedWarning` from the awaiting line when the listing says so.
    Listing,
}

/// A coroutine that starts `make()`'s future only when awaited, like the SDK's `async def` methods (so
/// `asyncio.run(client.gpu_droplets.snapshots.list())` and `asyncio.create_task(...)` work). Driving it without a
/// running event loop raises a `RuntimeError` that says so.
pub fn coroutine<'py, M, F, R>(py: Python<'py>, kind: Await, make: M) -> PyResult<Bound<'py, PyAny>>
where
    M: Fn() -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send + 'static,
{
    static PLAIN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static LISTING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let start = PyCFunction::new_closure(py, None, None, move |args, _kwargs| -> PyResult<Py<PyAny>> {
        future_into_py(args.py(), make()).map(Bound::unbind)
    })?;
    let wrapper = match kind {
        Await::Plain => PLAIN.import(py, "gradientai_rs._aio", "await_later")?,
        Await::Listing => LISTING.import(py, "gradientai_rs._aio", "await_listing")?,
    };
    wrapper.call1((start,))
}
