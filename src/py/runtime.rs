//! One tokio runtime per process, shared by the blocking path and the asyncio path, rebuilt in a forked child
//! (its worker threads don't survive `fork`). Blocking calls release the GIL and still answer Ctrl-C.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;
use tokio::runtime::Runtime;

use crate::core::Error as CoreError;
use crate::py::errors::to_pyerr;

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// How often a blocking call wakes to let Python raise `KeyboardInterrupt`.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The process's runtime. After `fork` the parent's is abandoned (leaked: its threads are gone and dropping it
/// would wait for them) and a new one is built.
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    match *slot {
        Some((owner, rt)) if owner == pid => rt,
        _ => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("gradientai-rs")
                .enable_all()
                .build()
                .expect("building the tokio runtime");
            let rt: &'static Runtime = Box::leak(Box::new(rt));
            *slot = Some((pid, rt));
            rt
        }
    }
}

/// Runs `fut` to completion with the GIL released. The future runs as a task on the runtime's workers, next to
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
        loop {
            match rx.recv_timeout(SIGNAL_POLL) {
                Ok(out) => return Ok(out),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        task.abort();
                        return Err(e);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "gradientai_rs internal error: the request task ended without an answer (a panic)",
                    ));
                }
            }
        }
    });
    outcome?.map_err(to_pyerr)
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

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let handle = runtime().spawn_blocking(f);
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

/// Wraps a core future as an asyncio awaitable. Must be called with a running event loop; cancelling the
/// awaitable drops the Rust future and with it every HTTP request it has in flight.
pub fn future_into_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    require_running_loop(py)?;
    pyo3_async_runtimes::generic::future_into_py::<ForkSafeRuntime, F, T>(py, fut)
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
pub fn coroutine<'py, M, F, T>(py: Python<'py>, kind: Await, make: M) -> PyResult<Bound<'py, PyAny>>
where
    M: Fn() -> F + Send + Sync + 'static,
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    static PLAIN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static LISTING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let start = pyo3::types::PyCFunction::new_closure(py, None, None, move |args, _kwargs| -> PyResult<Py<PyAny>> {
        future_into_py(args.py(), make()).map(Bound::unbind)
    })?;
    let wrapper = match kind {
        Await::Plain => PLAIN.import(py, "gradientai_rs._aio", "await_later")?,
        Await::Listing => LISTING.import(py, "gradientai_rs._aio", "await_listing")?,
    };
    wrapper.call1((start,))
}
