//! `client.gpu_droplets.snapshots`: one implementation (`py::calls::Snapshots`) behind
//! typed front-ends: `SnapshotsResource` (blocking), `AsyncSnapshotsResource` (coroutines) and their
//! `with_raw_response` twins.

use std::ops::ControlFlow;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::http::HttpClient;
use crate::core::limits;
use crate::core::pagination::{self, ListAllOptions, Listing, Progress};
use crate::core::ratelimit::WaitObserver;
use crate::core::snapshots::CallOptions;
use crate::core::sources::{self, SourceListing, SourceState};
use crate::core::Error as CoreError;
use crate::py::args::{opt_bool, opt_int, opt_resource_type, opt_seconds};
use crate::py::calls::snapshot_calls;
use crate::py::calls::{Answer, Snapshots};
use crate::py::errors::to_pyerr;
use crate::py::flavor::{Flavor, Front};
use crate::py::responses::PySnapshotList;
use crate::py::runtime::{attach_from_worker, coroutine, off_the_runtime, run_blocking, Await};

/// `list_all`'s arguments as Python gave them.
pub struct ListAllArgs<'a, 'py> {
    pub resource_type: Option<&'a Bound<'py, PyAny>>,
    pub per_page: Option<&'a Bound<'py, PyAny>>,
    pub max_concurrency: Option<&'a Bound<'py, PyAny>>,
    pub progress: Option<&'a Bound<'py, PyAny>>,
    pub wait_for_rate_limit: Option<&'a Bound<'py, PyAny>>,
    pub max_attempts: Option<&'a Bound<'py, PyAny>>,
    pub call: CallOptions,
    /// Seconds for the whole listing, or `None`.
    pub deadline: Option<&'a Bound<'py, PyAny>>,
}

/// The first exception the user's progress callback (or its `rate_limit_wait`) raised, kept for the caller to
/// re-raise: the run stops at once (`list_all`) or starts no further delete (`delete_many`). Any exception stops
/// it — `KeyboardInterrupt` and `SystemExit` as well as ordinary ones — and is raised as it was, traceback kept.
#[derive(Clone, Default)]
pub(crate) struct Raised(Arc<std::sync::Mutex<Option<PyErr>>>);

impl Raised {
    fn keep(&self, e: PyErr) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
    }

    fn raised(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The callback's exception, if it raised.
    pub(crate) fn take(&self) -> Option<PyErr> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// `out` as Python sees it: the callback's exception wins over the result or error of the run.
    pub(crate) fn check<T>(&self, out: Result<T, CoreError>) -> PyResult<T> {
        match self.take() {
            Some(e) => Err(e),
            None => out.map_err(to_pyerr),
        }
    }
}

/// What `progress=` becomes: the core's callback, the bar's `close`, the rate-limit-wait observer, and where an
/// exception the callback raised is kept.
pub(crate) struct ProgressHooks {
    pub progress: Option<Progress>,
    pub close: Option<Py<PyAny>>,
    pub on_wait: Option<WaitObserver>,
    pub raised: Raised,
}

/// `progress=True` (a tqdm bar when tqdm is installed, counting `unit`s), a callable `(done, total)`, or `None`;
/// with the function that closes the bar, and what tells the bar about rate-limit waits (the callable's optional
/// `rate_limit_wait(seconds)`).
pub(crate) fn progress_of(py: Python<'_>, progress: Option<&Bound<'_, PyAny>>, unit: &str) -> PyResult<ProgressHooks> {
    let raised = Raised::default();
    let Some(progress) = progress.filter(|p| !p.is_none()) else {
        return Ok(ProgressHooks {
            progress: None,
            close: None,
            on_wait: None,
            raised,
        });
    };
    let pair = py
        .import("gradientai_rs._export")?
        .getattr("progress_callback")?
        .call1((progress, unit))?;
    let (callback, close): (Py<PyAny>, Option<Py<PyAny>>) = pair.extract()?;
    if callback.is_none(py) {
        return Ok(ProgressHooks {
            progress: None,
            close,
            on_wait: None,
            raised,
        });
    }
    let on_wait: Option<WaitObserver> = callback
        .bind(py)
        .getattr_opt("rate_limit_wait")?
        .filter(|f| f.is_callable())
        .map(|f| {
            let (f, raised) = (f.unbind(), raised.clone());
            Arc::new(move |wait: std::time::Duration| {
                off_the_runtime(|| {
                    attach_from_worker(|py| {
                        if let Err(e) = f.call1(py, (wait.as_secs_f64(),)) {
                            // Seen by the next progress call (which stops the run) or when the run ends.
                            raised.keep(e);
                        }
                    })
                });
            }) as WaitObserver
        });
    // Called synchronously between pages (the next pages wait for it), off the runtime's worker.
    let hook = raised.clone();
    let f: Progress = Arc::new(move |done, total| {
        if hook.raised() {
            return ControlFlow::Break(());
        }
        let ok = off_the_runtime(|| {
            attach_from_worker(|py| match callback.call1(py, (done, total)) {
                Ok(_) => true,
                Err(e) => {
                    hook.keep(e);
                    false
                }
            })
        });
        // Skipped at interpreter exit (`None`): nothing to stop for.
        if ok == Some(false) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    Ok(ProgressHooks {
        progress: Some(f),
        close,
        on_wait,
        raised,
    })
}

impl ListAllArgs<'_, '_> {
    /// The core's options (every range checked by `core::limits`), and the progress bar's `close`.
    pub(crate) fn into_options(self, py: Python<'_>) -> PyResult<(ListAllOptions, Option<Py<PyAny>>, Raised)> {
        let max_concurrency = opt_int(self.max_concurrency, "max_concurrency", limits::max_concurrency)?;
        let max_attempts = opt_int(self.max_attempts, "max_attempts", limits::max_attempts)?;
        let per_page = opt_int(self.per_page, "per_page", limits::per_page)?;
        let resource_type = opt_resource_type(self.resource_type)?;
        let deadline = opt_seconds(self.deadline, "deadline", limits::deadline)?;
        let wait_for_rate_limit = opt_bool(self.wait_for_rate_limit, "wait_for_rate_limit")?.unwrap_or(false);
        let hooks = progress_of(py, self.progress, "page")?;
        let opts = ListAllOptions {
            resource_type,
            per_page: per_page.unwrap_or(limits::MAX_PER_PAGE),
            max_concurrency: max_concurrency.map(|c| c as usize),
            wait_for_rate_limit,
            max_attempts: max_attempts.map_or(pagination::DEFAULT_MAX_ATTEMPTS, |a| a as u32),
            call: self.call,
            progress: hooks.progress,
            deadline,
            on_rate_limit_wait: hooks.on_wait,
        };
        Ok((opts, hooks.close, hooks.raised))
    }
}

/// A finished listing, and with `with_sources=True` its rows' source states and the source listings that were not
/// exact.
pub(crate) type Finished = (Listing, Option<(Vec<SourceState>, Vec<SourceListing>)>);

/// The snapshots, and (`with_sources`) the source listings alongside them (`core::sources`).
pub(crate) async fn run_listing(
    http: &Arc<HttpClient>,
    opts: &ListAllOptions,
    with_sources: bool,
) -> crate::core::Result<Finished> {
    if with_sources {
        let s = sources::list_with_sources(http, opts).await?;
        Ok((s.listing, Some((s.states, s.sources.inexact))))
    } else {
        Ok((pagination::list_all(http, opts).await?, None))
    }
}

fn warn_changed(py: Python<'_>, message: String) -> PyResult<()> {
    let category = py
        .import("gradientai_rs._exceptions")?
        .getattr("ListingChangedWarning")?;
    let msg = std::ffi::CString::new(message).unwrap_or_default();
    // A native function has no frame of its own: level 1 is the Python line that called list_all().
    PyErr::warn(py, &category, &msg, 1)
}

/// Turns a finished listing into a `SnapshotList`, closing the progress bar, and (`warn`) warning from the
/// caller's line when the account kept changing. A source listing that was not exact always warns: its rows are
/// `unknown`.
pub(crate) fn finish_listing(
    py: Python<'_>,
    (listing, sourced): Finished,
    close: Option<&Py<PyAny>>,
    warn: bool,
) -> PyResult<PySnapshotList> {
    if let Some(close) = close {
        close.call0(py)?;
    }
    if let Some(change) = listing.changed.as_ref().filter(|_| warn) {
        warn_changed(py, change.message())?;
    }
    let mut list = PySnapshotList::new(listing.items, listing.total, listing.pages, listing.changed);
    if let Some((states, inexact)) = sourced {
        for which in inexact {
            warn_changed(
                py,
                format!(
                    "the {} listing ({}) changed on every attempt; the snapshots that depend on it are 'unknown', \
                     not orphaned",
                    which.name, which.request
                ),
            )?;
        }
        list = list.with_sources(states);
    }
    Ok(list)
}

/// The list, then `select(**select)` when given.
fn selected<'py>(
    py: Python<'py>,
    list: PySnapshotList,
    select: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let list = Bound::new(py, list)?.into_any();
    match select {
        Some(kwargs) => list.call_method("select", (), Some(kwargs)),
        None => Ok(list),
    }
}

/// `list_all` on the shared implementation; `select`: `select()`'s keyword arguments, applied to the result.
fn list_all<'py>(
    snapshots: &Snapshots,
    py: Python<'py>,
    flavor: Flavor,
    args: ListAllArgs<'_, 'py>,
    with_sources: bool,
    select: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (opts, close, raised) = args.into_options(py)?;
    let http = Arc::clone(&snapshots.http);
    match flavor {
        Flavor::Async => {
            // The warning is raised by the coroutine, on the event loop, pointing at the awaiting line.
            let close = Arc::new(close);
            let select = Arc::new(select.map(Bound::unbind));
            coroutine(py, Await::Listing, move || {
                let (http, opts, close, select, raised) = (
                    Arc::clone(&http),
                    opts.clone(),
                    Arc::clone(&close),
                    Arc::clone(&select),
                    raised.clone(),
                );
                async move {
                    let out = run_listing(&http, &opts, with_sources).await;
                    move |py: Python<'_>| {
                        let done = raised.check(out)?;
                        let select = select.as_ref().as_ref().map(|d| d.bind(py));
                        let list = finish_listing(py, done, close.as_ref().as_ref(), false)?;
                        selected(py, list, select).map(Bound::unbind)
                    }
                }
            })
        }
        Flavor::Blocking => {
            let out = run_blocking(py, async move { Ok(run_listing(&http, &opts, with_sources).await) })?;
            let done = raised.check(out)?;
            let list = finish_listing(py, done, close.as_ref(), true)?;
            selected(py, list, select.as_ref())
        }
    }
}

/// `orphans()`'s `select` arguments: the caller's filters with `orphaned=True`, checked before anything is listed
/// (on an empty list), so a misspelt filter costs no listing.
fn orphan_filters<'py>(py: Python<'py>, filters: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyDict>> {
    let kwargs = match filters {
        Some(f) => f.copy()?,
        None => PyDict::new(py),
    };
    if kwargs.contains("orphaned")? {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "orphans() got an unexpected keyword argument 'orphaned' (it always selects orphaned=True)",
        ));
    }
    kwargs.set_item("orphaned", true)?;
    let empty = Bound::new(py, PySnapshotList::new(Vec::new(), 0, 0, None).with_sources(Vec::new()))?;
    empty.call_method("select", (), Some(&kwargs))?;
    Ok(kwargs)
}

/// `client.gpu_droplets.snapshots` of `GradientAI`.
#[pyclass(frozen, name = "SnapshotsResource", module = "gradientai_rs._core")]
pub struct PySnapshotsResource(pub(crate) Snapshots);

impl Front for PySnapshotsResource {
    const FLAVOR: Flavor = Flavor::Blocking;
}

/// `client.gpu_droplets.snapshots` of `AsyncGradientAI`: every call returns a coroutine.
#[pyclass(frozen, name = "AsyncSnapshotsResource", module = "gradientai_rs._core")]
pub struct PyAsyncSnapshotsResource(pub(crate) Snapshots);

impl Front for PyAsyncSnapshotsResource {
    const FLAVOR: Flavor = Flavor::Async;
}

/// What the two resources have beyond the three calls: `list_all` and `with_raw_response` (typed `$raw`).
macro_rules! resource_methods {
    ($ty:ident, $raw:ident) => {
        impl $ty {
            pub fn new(http: Arc<HttpClient>) -> Self {
                Self(Snapshots::new(http, Answer::Model))
            }
        }

        snapshot_calls!($ty);

        #[pymethods]
        impl $ty {
            /// Every snapshot, exactly once: page 1, then the rest concurrently, in page order. `with_sources=True`
            /// also lists, concurrently, the droplets (both the default listing and `type="gpus"`) and volumes the
            /// snapshots may come from, so every row knows whether its source exists (`select(orphaned=...)`,
            /// `summary(by="source")`, `source_exists`).
            #[pyo3(signature = (*, resource_type = None, per_page = None, max_concurrency = None, progress = None, wait_for_rate_limit = None, max_attempts = None, extra_headers = None, extra_query = None, timeout = None, deadline = None, with_sources = false))]
            #[allow(clippy::too_many_arguments)] // keyword arguments of the Python API
            fn list_all<'py>(
                &self,
                py: Python<'py>,
                resource_type: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
                wait_for_rate_limit: Option<&Bound<'py, PyAny>>,
                max_attempts: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
                deadline: Option<&Bound<'py, PyAny>>,
                with_sources: bool,
            ) -> PyResult<Bound<'py, PyAny>> {
                let args = ListAllArgs {
                    resource_type,
                    per_page,
                    max_concurrency,
                    progress,
                    wait_for_rate_limit,
                    max_attempts,
                    call: crate::py::args::call_options(extra_headers, extra_query, timeout)?,
                    deadline,
                };
                list_all(&self.0, py, Self::FLAVOR, args, with_sources, None)
            }

            /// The snapshots whose droplet or volume is gone: `list_all(with_sources=True)` then
            /// `select(orphaned=True, **select_filters)`. A source listing that fails or is refused raises (it
            /// never counts as "no droplets").
            #[pyo3(signature = (*, resource_type = None, progress = None, max_concurrency = None, deadline = None, **select_filters))]
            fn orphans<'py>(
                &self,
                py: Python<'py>,
                resource_type: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                deadline: Option<&Bound<'py, PyAny>>,
                select_filters: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let select = orphan_filters(py, select_filters)?;
                let args = ListAllArgs {
                    resource_type,
                    per_page: None,
                    max_concurrency,
                    progress,
                    wait_for_rate_limit: None,
                    max_attempts: None,
                    call: CallOptions::default(),
                    deadline,
                };
                list_all(&self.0, py, Self::FLAVOR, args, true, Some(select))
            }

            /// The same calls, answering an `APIResponse` (status, headers, body) instead of the parsed model.
            #[getter]
            fn with_raw_response(&self) -> $raw {
                $raw(Snapshots::new(Arc::clone(&self.0.http), Answer::Raw))
            }
        }
    };
}

/// `client.gpu_droplets.snapshots.with_raw_response` of `GradientAI`.
#[pyclass(frozen, name = "SnapshotsResourceWithRawResponse", module = "gradientai_rs._core")]
pub struct PySnapshotsWithRawResponse(Snapshots);

impl Front for PySnapshotsWithRawResponse {
    const FLAVOR: Flavor = Flavor::Blocking;
}
snapshot_calls!(PySnapshotsWithRawResponse);

/// `client.gpu_droplets.snapshots.with_raw_response` of `AsyncGradientAI`: every call returns a coroutine.
#[pyclass(
    frozen,
    name = "AsyncSnapshotsResourceWithRawResponse",
    module = "gradientai_rs._core"
)]
pub struct PyAsyncSnapshotsWithRawResponse(Snapshots);

impl Front for PyAsyncSnapshotsWithRawResponse {
    const FLAVOR: Flavor = Flavor::Async;
}
snapshot_calls!(PyAsyncSnapshotsWithRawResponse);

resource_methods!(PySnapshotsResource, PySnapshotsWithRawResponse);
resource_methods!(PyAsyncSnapshotsResource, PyAsyncSnapshotsWithRawResponse);
