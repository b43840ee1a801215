//! Cleaning up on both resource front-ends: `delete_many` (the core's concurrent delete loop, `core::prune`) and
//! `plan_prune` (list everything, select, plan; deletes nothing — `gradientai_rs._hygiene` builds the plan).
//!
//! A blocking `delete_many` interrupted by Ctrl-C re-raises the `KeyboardInterrupt` with the partial result as its
//! `result` attribute (`interrupted=True`), so what was deleted is never lost.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;

use crate::core::limits;
use crate::core::prune::{self, DeleteLog, Outcome};
use crate::core::snapshots::CallOptions;
use crate::core::Error as CoreError;
use crate::py::args::{opt_int, snapshot_id};
use crate::py::calls::Snapshots;
use crate::py::errors::to_pyerr;
use crate::py::flavor::{Calls, Front};
use crate::py::resources::{progress_of, PyAsyncSnapshotsResource, PySnapshotsResource};
use crate::py::runtime::{coroutine, run_blocking, Await};

/// `delete_many`'s default concurrency.
pub const DEFAULT_DELETE_CONCURRENCY: usize = 8;

fn hygiene(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("gradientai_rs._hygiene")
}

/// The ids, each checked like `delete`'s `snapshot_id`, duplicates dropped (order kept).
fn ids_of(ids: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in ids.try_iter()? {
        let id = snapshot_id(&item?)?;
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}

/// A `PruneResult` from the outcomes in `log`: ids in the order given; ids without an outcome were not attempted.
fn result<'py>(py: Python<'py>, ids: &[String], log: &DeleteLog, interrupted: bool) -> PyResult<Bound<'py, PyAny>> {
    let mut outcomes: HashMap<String, Outcome> = log.take().into_iter().collect();
    let (deleted, gone, not_attempted) = (PyList::empty(py), PyList::empty(py), PyList::empty(py));
    let failed = PyDict::new(py);
    for id in ids {
        match outcomes.remove(id) {
            Some(Outcome::Deleted) => deleted.append(id)?,
            Some(Outcome::AlreadyGone) => gone.append(id)?,
            Some(Outcome::Failed(e)) => failed.set_item(id, to_pyerr(e).into_value(py))?,
            None => not_attempted.append(id)?,
        }
    }
    let kw = PyDict::new(py);
    kw.set_item("deleted", deleted)?;
    kw.set_item("already_gone", gone)?;
    kw.set_item("failed", failed)?;
    kw.set_item("not_attempted", not_attempted)?;
    kw.set_item("stopped", log.stopped())?;
    kw.set_item("interrupted", interrupted)?;
    hygiene(py)?.getattr("PruneResult")?.call((), Some(&kw))
}

/// `e` carrying the partial `PruneResult` as its `result` attribute (Ctrl-C, or the progress callback raised).
fn with_result(py: Python<'_>, e: PyErr, res: &Bound<'_, PyAny>) -> PyResult<PyErr> {
    e.value(py).setattr("result", res)?;
    Ok(e)
}

/// `delete_many` on the shared implementation.
fn delete_many<'py>(
    snapshots: &Snapshots,
    py: Python<'py>,
    calls: Calls,
    ids: &Bound<'py, PyAny>,
    max_concurrency: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let ids = Arc::new(ids_of(ids)?);
    let n = opt_int(max_concurrency, "max_concurrency", limits::max_concurrency)?
        .map_or(DEFAULT_DELETE_CONCURRENCY, |c| c as usize);
    let hooks = progress_of(py, progress, "snapshot")?;
    let (progress, close, raised) = (hooks.progress, hooks.close, hooks.raised);
    let http = Arc::clone(&snapshots.http);
    let opts = CallOptions::default();
    match calls {
        Calls::Async => {
            let close = Arc::new(close);
            coroutine(py, Await::Plain, move || {
                let (http, ids, opts, progress, close, raised) = (
                    Arc::clone(&http),
                    Arc::clone(&ids),
                    opts.clone(),
                    progress.clone(),
                    Arc::clone(&close),
                    raised.clone(),
                );
                async move {
                    let log = DeleteLog::new();
                    prune::delete_many(&http, ids.to_vec(), n, &opts, &log, progress).await;
                    move |py: Python<'_>| {
                        if let Some(close) = close.as_ref() {
                            close.call0(py)?;
                        }
                        let res = result(py, &ids, &log, false)?;
                        match raised.take() {
                            Some(e) => Err(with_result(py, e, &res)?),
                            None => res.into_py_any(py),
                        }
                    }
                }
            })
        }
        Calls::Blocking => {
            let log = DeleteLog::new();
            let (task_log, task_ids) = (Arc::clone(&log), ids.to_vec());
            let out = run_blocking(py, async move {
                prune::delete_many(&http, task_ids, n, &opts, &task_log, progress).await;
                Ok::<(), CoreError>(())
            });
            if let Some(close) = close {
                close.call0(py)?;
            }
            let res = result(py, &ids, &log, out.is_err())?;
            match (out, raised.take()) {
                (Ok(()), None) => Ok(res),
                // Ctrl-C, or the progress callback raised: the deletes done so far travel with the exception.
                (Err(e), _) | (Ok(()), Some(e)) => Err(with_result(py, e, &res)?),
            }
        }
    }
}

/// `delete_many` and `plan_prune` for a resource front-end whose `.0` is a `py::calls::Snapshots`.
macro_rules! prune_methods {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// Deletes these snapshots (ids), at most `max_concurrency` at a time, through the client's rate limiter
            /// and retries. 404s are `already_gone`; a 401/403 stops the run (`stopped`, `not_attempted`).
            #[pyo3(signature = (ids, *, max_concurrency = None, progress = None))]
            fn delete_many<'py>(
                &self,
                py: Python<'py>,
                ids: &Bound<'py, PyAny>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                delete_many(&self.0, py, <Self as Front>::CALLS, ids, max_concurrency, progress)
            }

            /// Lists every snapshot, selects (`resource_type` and `select`'s filters), and plans with `policy`;
            /// deletes nothing. Returns a `PrunePlan` (awaitable on `AsyncGradientAI`).
            #[pyo3(signature = (policy, *, resource_type = None, group_by = "resource_id", now = None, **select_filters))]
            fn plan_prune<'py>(
                slf: &Bound<'py, Self>,
                policy: &Bound<'py, PyAny>,
                resource_type: Option<&Bound<'py, PyAny>>,
                group_by: &str,
                now: Option<&Bound<'py, PyAny>>,
                select_filters: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let py = slf.py();
                let helper = match <Self as Front>::CALLS {
                    Calls::Blocking => "plan_prune",
                    Calls::Async => "plan_prune_async",
                };
                let filters = select_filters.map_or_else(|| PyDict::new(py), |d| d.clone());
                hygiene(py)?.getattr(helper)?.call1((slf, policy, resource_type, group_by, now, filters))
            }
        }
    };
}

prune_methods!(PySnapshotsResource);
prune_methods!(PyAsyncSnapshotsResource);
