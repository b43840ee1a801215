//! Cleaning up, built in Rust: `PruneResult` (what a delete run did, id by id), `PrunePlan` / `AsyncPrunePlan`
//! (what a retention policy keeps and deletes; `apply()` deletes exactly `delete`), and the one `delete_many`
//! the resources and `apply()` share (the core's concurrent delete loop, `core::prune`).
//!
//! A blocking `delete_many` interrupted by Ctrl-C re-raises the `KeyboardInterrupt` with the partial result as its
//! `result` attribute (`interrupted=True`), so what was deleted is never lost.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::core::arrow::{plan_record_batches, plan_schema_with, ExtraColumns};
use crate::core::cost;
use crate::core::http::HttpClient;
use crate::core::limits;
use crate::core::prune::{self, DeleteLog, Outcome};
use crate::core::snapshots::CallOptions;
use crate::core::Error as CoreError;
use crate::py::args::{now_micros, opt_int, rate, snapshot_id};
use crate::py::errors::to_pyerr;
use crate::py::flavor::{Flavor, Front};
use crate::py::models::Rows;
use crate::py::resources::progress_of;
use crate::py::responses::{export, PySnapshotList};
use crate::py::runtime::{coroutine, run_blocking, Await};

/// `delete_many`'s and `apply()`'s default concurrency.
pub const DEFAULT_DELETE_CONCURRENCY: usize = 8;

/// Python's `html.escape` (quotes included).
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Checks a `RetentionPolicy` (a policy that keeps nothing, or a bad `keep_*`, is a `ValueError`): its
/// `__post_init__` calls this, so the rules are the core's.
#[pyfunction]
pub fn _validate_policy(policy: &Bound<'_, PyAny>) -> PyResult<()> {
    crate::py::args::policy_of(policy).map(drop)
}

// ------------------------------------------------------------------------------------------------ PruneResult

/// What `apply()` / `delete_many()` did, id by id (each list in the order the ids were given).
///
/// `deleted`: 204; `already_gone`: 404 (deleted before — re-running a plan is safe); `failed`: `{id: exception}`
/// after the client's retries; `not_attempted`: never sent, because the run `stopped` (a 401/403: `stopped` says
/// why, and that error is in `failed`) or was `interrupted` (Ctrl-C: the `KeyboardInterrupt` carries this
/// result as `.result`; the deletes in flight at that moment are listed in `not_attempted` too, though they may
/// have gone through — re-running reports them as `already_gone`).
#[pyclass(frozen, name = "PruneResult", module = "gradientai_rs._core")]
pub struct PyPruneResult {
    deleted: Py<PyList>,
    already_gone: Py<PyList>,
    failed: Py<PyDict>,
    not_attempted: Py<PyList>,
    stopped: Option<String>,
    interrupted: bool,
}

fn list_arg(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyList>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(PyList::empty(py).unbind()),
        Some(o) => match o.cast::<PyList>() {
            Ok(l) => Ok(l.clone().unbind()),
            Err(_) => Ok(PyList::new(py, o.try_iter()?.collect::<PyResult<Vec<_>>>()?)?.unbind()),
        },
    }
}

#[pymethods]
impl PyPruneResult {
    #[new]
    #[pyo3(signature = (deleted = None, already_gone = None, failed = None, not_attempted = None, stopped = None, interrupted = false))]
    fn py_new(
        py: Python<'_>,
        deleted: Option<&Bound<'_, PyAny>>,
        already_gone: Option<&Bound<'_, PyAny>>,
        failed: Option<&Bound<'_, PyAny>>,
        not_attempted: Option<&Bound<'_, PyAny>>,
        stopped: Option<String>,
        interrupted: bool,
    ) -> PyResult<Self> {
        let failed = match failed.filter(|o| !o.is_none()) {
            None => PyDict::new(py).unbind(),
            Some(f) => match f.cast::<PyDict>() {
                Ok(d) => d.clone().unbind(),
                Err(_) => PyDict::from_sequence(&f.call_method0("items")?)?.unbind(),
            },
        };
        Ok(Self {
            deleted: list_arg(py, deleted)?,
            already_gone: list_arg(py, already_gone)?,
            failed,
            not_attempted: list_arg(py, not_attempted)?,
            stopped,
            interrupted,
        })
    }

    #[getter]
    fn deleted(&self, py: Python<'_>) -> Py<PyList> {
        self.deleted.clone_ref(py)
    }
    #[getter]
    fn already_gone(&self, py: Python<'_>) -> Py<PyList> {
        self.already_gone.clone_ref(py)
    }
    #[getter]
    fn failed(&self, py: Python<'_>) -> Py<PyDict> {
        self.failed.clone_ref(py)
    }
    #[getter]
    fn not_attempted(&self, py: Python<'_>) -> Py<PyList> {
        self.not_attempted.clone_ref(py)
    }
    #[getter]
    fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }
    #[getter]
    fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Every id is deleted or already gone.
    #[getter]
    fn ok(&self, py: Python<'_>) -> bool {
        self.failed.bind(py).is_empty() && self.not_attempted.bind(py).is_empty()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let mut extra = String::new();
        if let Some(s) = self.stopped.as_deref().filter(|s| !s.is_empty()) {
            extra.push_str(&format!(", stopped={}", py_repr(py, s)));
        }
        if self.interrupted {
            extra.push_str(", interrupted=True");
        }
        format!(
            "PruneResult(deleted={}, already_gone={}, failed={}, not_attempted={}{extra})",
            self.deleted.bind(py).len(),
            self.already_gone.bind(py).len(),
            self.failed.bind(py).len(),
            self.not_attempted.bind(py).len(),
        )
    }

    fn _repr_html_(&self, py: Python<'_>) -> String {
        let rows = [
            ("deleted", self.deleted.bind(py).len()),
            ("already gone (404)", self.already_gone.bind(py).len()),
            ("failed", self.failed.bind(py).len()),
            ("not attempted", self.not_attempted.bind(py).len()),
        ];
        let body: String = rows
            .iter()
            .map(|(k, v)| {
                format!(
                    "<tr><td>{}</td><td style='text-align:right'>{v}</td></tr>",
                    html_escape(k)
                )
            })
            .collect();
        let mut note = String::new();
        if let Some(s) = self.stopped.as_deref().filter(|s| !s.is_empty()) {
            note.push_str(&format!(
                "<br><span style='color:#b00'>stopped: {}</span>",
                html_escape(s)
            ));
        }
        if self.interrupted {
            note.push_str("<br><span style='color:#b00'>interrupted (Ctrl-C)</span>");
        }
        format!("<div class='gradientai-rs'><b>PruneResult</b>{note}<table>{body}</table></div>")
    }

    /// The same class and equal fields (as a dataclass compares).
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(o) = other.cast::<Self>() else {
            return Ok(py.NotImplemented());
        };
        let o = o.get();
        let same = self.stopped == o.stopped
            && self.interrupted == o.interrupted
            && self.deleted.bind(py).eq(o.deleted.bind(py))?
            && self.already_gone.bind(py).eq(o.already_gone.bind(py))?
            && self.failed.bind(py).eq(o.failed.bind(py))?
            && self.not_attempted.bind(py).eq(o.not_attempted.bind(py))?;
        same.into_py_any(py)
    }

    /// Unhashable, like the frozen dataclass it replaces (its lists are).
    fn __hash__(&self) -> PyResult<isize> {
        Err(PyTypeError::new_err("unhashable type: 'PruneResult'"))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let r = slf.get();
        let args = (
            r.deleted.clone_ref(py),
            r.already_gone.clone_ref(py),
            r.failed.clone_ref(py),
            r.not_attempted.clone_ref(py),
            r.stopped.clone(),
            r.interrupted,
        )
            .into_pyobject(py)?;
        PyTuple::new(py, [slf.get_type().into_any(), args.into_any()])
    }
}

fn py_repr(py: Python<'_>, s: &str) -> String {
    pyo3::types::PyString::new(py, s)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

// ------------------------------------------------------------------------------------------------ delete_many

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
fn result(py: Python<'_>, ids: &[String], log: &DeleteLog, interrupted: bool) -> PyResult<PyPruneResult> {
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
    Ok(PyPruneResult {
        deleted: deleted.unbind(),
        already_gone: gone.unbind(),
        failed: failed.unbind(),
        not_attempted: not_attempted.unbind(),
        stopped: log.stopped(),
        interrupted,
    })
}

/// `e` carrying the partial `PruneResult` as its `result` attribute (Ctrl-C, or the progress callback raised).
fn with_result(py: Python<'_>, e: PyErr, res: &Bound<'_, PyAny>) -> PyResult<PyErr> {
    e.value(py).setattr("result", res)?;
    Ok(e)
}

/// `delete_many` (and `apply()`): deletes `ids` concurrently through the client's rate limiter and retries, the
/// `flavor`'s way; answers a `PruneResult` (a coroutine of one when async).
pub fn delete_many<'py>(
    http: &Arc<HttpClient>,
    py: Python<'py>,
    flavor: Flavor,
    ids: &Bound<'py, PyAny>,
    max_concurrency: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let ids = Arc::new(ids_of(ids)?);
    let n = opt_int(max_concurrency, "max_concurrency", limits::max_concurrency)?
        .map_or(DEFAULT_DELETE_CONCURRENCY, |c| c as usize);
    let hooks = progress_of(py, progress, "snapshot")?;
    let (progress, close, raised) = (hooks.progress, hooks.close, hooks.raised);
    let http = Arc::clone(http);
    let opts = CallOptions::default();
    match flavor {
        Flavor::Async => {
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
                        let res = Bound::new(py, result(py, &ids, &log, false)?)?.into_any();
                        match raised.take() {
                            // The progress callback raised: the deletes done so far travel with its exception.
                            Some(e) => Err(with_result(py, e, &res)?),
                            None => res.into_py_any(py),
                        }
                    }
                }
            })
        }
        Flavor::Blocking => {
            let log = DeleteLog::new();
            let (task_log, task_ids) = (Arc::clone(&log), ids.to_vec());
            let out = run_blocking(py, async move {
                prune::delete_many(&http, task_ids, n, &opts, &task_log, progress).await;
                Ok::<(), CoreError>(())
            });
            if let Some(close) = close {
                close.call0(py)?;
            }
            let res = Bound::new(py, result(py, &ids, &log, out.is_err())?)?.into_any();
            match (out, raised.take()) {
                (Ok(()), None) => Ok(res),
                // Ctrl-C, or the progress callback raised: the deletes done so far travel with the exception.
                (Err(e), _) | (Ok(()), Some(e)) => Err(with_result(py, e, &res)?),
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------ the plans

/// What both plan classes hold.
pub struct Plan {
    keep: Py<PySnapshotList>,
    delete: Py<PySnapshotList>,
    /// `{id: [reasons]}` of the kept snapshots.
    reasons: Py<PyDict>,
    policy: Py<PyAny>,
    now: Py<PyAny>,
    group_by: String,
    http: Arc<HttpClient>,
    /// For the Arrow export: the shared rows, the kept and deleted rows in them, and each kept row's reasons
    /// (`[]` for a row without an id, as `reasons` has no key for it).
    rows: Arc<Rows>,
    keep_idx: Vec<usize>,
    delete_idx: Vec<usize>,
    keep_reasons: Vec<Vec<&'static str>>,
}

/// A retention plan's parts, as `plan_prune` computed them.
pub struct PlanParts {
    pub listing: PySnapshotList,
    pub plan: crate::core::retention::Plan,
    pub policy: Py<PyAny>,
    pub now: Py<PyAny>,
    pub group_by: String,
    pub http: Arc<HttpClient>,
}

impl Plan {
    pub fn new(py: Python<'_>, parts: PlanParts) -> PyResult<Self> {
        let PlanParts {
            listing,
            plan,
            policy,
            now,
            group_by,
            http,
        } = parts;
        let reasons = PyDict::new(py);
        let mut keep_reasons = Vec::with_capacity(plan.keep.len());
        for (i, why) in &plan.reasons {
            match listing.rows[*i].id.text() {
                Some(id) => {
                    reasons.set_item(id.as_ref(), PyList::new(py, why)?)?;
                    keep_reasons.push(why.clone());
                }
                None => keep_reasons.push(Vec::new()),
            }
        }
        Ok(Self {
            keep: Py::new(py, listing.subset(plan.keep.clone()))?,
            delete: Py::new(py, listing.subset(plan.delete.clone()))?,
            reasons: reasons.unbind(),
            policy,
            now,
            group_by,
            http,
            rows: Arc::clone(&listing.rows),
            keep_idx: plan.keep,
            delete_idx: plan.delete,
            keep_reasons,
        })
    }

    fn delete_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let ids: Vec<Bound<'py, PyAny>> = self
            .delete_idx
            .iter()
            .map(|&i| match self.rows[i].id.text() {
                Some(id) => Ok(pyo3::types::PyString::new(py, &id).into_any()),
                None => crate::py::protocol::field_py(py, &self.rows[i].id)?
                    .str()
                    .map(Bound::into_any),
            })
            .collect::<PyResult<_>>()?;
        PyList::new(py, ids)
    }

    fn freed_gigabytes(&self) -> f64 {
        cost::total_size(&self.rows, &self.delete_idx) + 0.0
    }

    fn freed_monthly_cost(&self, rate_per_gb_month: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
        Ok(cost::monthly_cost(&self.rows, &self.delete_idx, rate(rate_per_gb_month)?) + 0.0)
    }

    fn repr(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        Ok(format!(
            "{name}(keep={}, delete={}, freed_gigabytes={:.2}, freed_monthly_cost={:.2}, policy={}, now={})",
            self.keep_idx.len(),
            self.delete_idx.len(),
            self.freed_gigabytes(),
            self.freed_monthly_cost(None)?,
            self.policy.bind(py).repr()?,
            self.now.bind(py).call_method0("isoformat")?,
        ))
    }

    fn stream<'py>(
        &self,
        py: Python<'py>,
        age_days: bool,
        monthly_cost: bool,
        now: Option<&Bound<'py, PyAny>>,
        rate_per_gb_month: Option<&Bound<'py, PyAny>>,
        source_exists: bool,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let source = match (source_exists, self.keep.get().source_column()) {
            (false, _) => None,
            (true, Some(states)) => Some(states),
            (true, None) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    crate::core::sources::NO_SOURCES,
                ));
            }
        };
        let extras = ExtraColumns {
            source,
            account: self.keep.get().account_column(),
            age_days_now: if age_days { Some(now_micros(now)?) } else { None },
            rate: if monthly_cost {
                Some(rate(rate_per_gb_month)?)
            } else {
                None
            },
        };
        crate::py::arrow::batches_capsule(py, plan_schema_with(&extras), || {
            plan_record_batches(
                &self.rows,
                &self.keep_idx,
                &self.delete_idx,
                &self.keep_reasons,
                &extras,
            )
        })
    }
}

/// The two plan classes: blocking `PrunePlan`, async `AsyncPrunePlan` (whose `apply()` is awaited).
macro_rules! plan_class {
    ($ty:ident, $name:literal, $flavor:expr, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, name = $name, module = "gradientai_rs._core")]
        pub struct $ty(pub Plan);

        impl Front for $ty {
            const FLAVOR: Flavor = $flavor;
        }

        #[pymethods]
        impl $ty {
            #[getter]
            fn keep(&self, py: Python<'_>) -> Py<PySnapshotList> {
                self.0.keep.clone_ref(py)
            }
            #[getter]
            fn delete(&self, py: Python<'_>) -> Py<PySnapshotList> {
                self.0.delete.clone_ref(py)
            }
            /// `{id: [rules that keep it]}` for the kept snapshots.
            #[getter]
            fn reasons(&self, py: Python<'_>) -> Py<PyDict> {
                self.0.reasons.clone_ref(py)
            }
            #[getter]
            fn policy(&self, py: Python<'_>) -> Py<PyAny> {
                self.0.policy.clone_ref(py)
            }
            #[getter]
            fn now(&self, py: Python<'_>) -> Py<PyAny> {
                self.0.now.clone_ref(py)
            }
            #[getter]
            fn group_by(&self) -> &str {
                &self.0.group_by
            }
            /// The ids `apply()` deletes, in plan order.
            #[getter]
            fn delete_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
                self.0.delete_ids(py)
            }
            #[getter]
            fn freed_gigabytes(&self) -> f64 {
                self.0.freed_gigabytes()
            }
            /// USD per month no longer billed once `delete` is gone.
            #[pyo3(signature = (rate_per_gb_month = None))]
            fn freed_monthly_cost(&self, rate_per_gb_month: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
                self.0.freed_monthly_cost(rate_per_gb_month)
            }

            /// Deletes exactly `delete` (`snapshots.delete_many`, through the client's rate limiter and retries).
            /// A 401/403 stops the run (`result.stopped`); Ctrl-C raises `KeyboardInterrupt` whose `.result` is the
            /// partial `PruneResult`. Applying the same plan again is safe (404s are `already_gone`).
            #[pyo3(signature = (*, max_concurrency = None, progress = None))]
            #[pyo3(text_signature = "($self, *, max_concurrency=8, progress=None)")]
            fn apply<'py>(
                &self,
                py: Python<'py>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let ids = self.0.delete_ids(py)?;
                delete_many(
                    &self.0.http,
                    py,
                    Self::FLAVOR,
                    ids.as_any(),
                    max_concurrency,
                    progress,
                )
            }

            #[pyo3(signature = (requested_schema = None))]
            fn __arrow_c_stream__<'py>(
                &self,
                py: Python<'py>,
                requested_schema: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyCapsule>> {
                let _ = requested_schema;
                self.0.stream(py, false, false, None, None, false)
            }

            /// Every planned snapshot (kept, then deleted) with `action` and `reasons` columns after the others.
            #[pyo3(signature = (age_days = false, monthly_cost = false, now = None, rate_per_gb_month = None, source_exists = false))]
            fn _arrow_stream<'py>(
                &self,
                py: Python<'py>,
                age_days: bool,
                monthly_cost: bool,
                now: Option<&Bound<'py, PyAny>>,
                rate_per_gb_month: Option<&Bound<'py, PyAny>>,
                source_exists: bool,
            ) -> PyResult<Bound<'py, PyCapsule>> {
                self.0.stream(py, age_days, monthly_cost, now, rate_per_gb_month, source_exists)
            }

            /// Every planned snapshot with `action` (`keep`/`delete`) and `reasons` columns (needs pyarrow).
            #[pyo3(signature = (**extras))]
            fn to_arrow<'py>(
                slf: &Bound<'py, Self>,
                extras: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_arrow")?.call((slf,), extras)
            }

            #[pyo3(signature = (**extras))]
            fn to_pandas<'py>(
                slf: &Bound<'py, Self>,
                extras: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_arrow")?
                    .call((slf,), extras)?
                    .call_method0("to_pandas")
            }

            #[pyo3(signature = (**extras))]
            fn to_polars<'py>(
                slf: &Bound<'py, Self>,
                extras: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_polars")?.call((slf,), extras)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                self.0.repr(py, $name)
            }

            fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
                export(slf.py(), "plan_html")?.call1((slf,))?.extract()
            }

            fn __reduce__(&self) -> PyResult<()> {
                Err(PyTypeError::new_err(concat!(
                    "cannot pickle '",
                    $name,
                    "': it holds the client that apply() deletes with (pickle its keep/delete lists instead)"
                )))
            }
        }
    };
}

plan_class!(
    PyPrunePlan,
    "PrunePlan",
    Flavor::Blocking,
    "What a `RetentionPolicy` keeps and deletes (`snapshots.plan_prune`). Nothing is deleted until `apply()`, \
     which deletes exactly `delete`.\n\n`keep` / `delete`: `SnapshotList`; `reasons`: `{id: [rules that keep it]}` \
     for the kept snapshots (`last`, `hourly`, `daily`, `weekly`, `monthly`, `yearly`, `within`, `tag`, and the \
     safety rules `no id` / `unknown date`)."
);
plan_class!(
    PyAsyncPrunePlan,
    "AsyncPrunePlan",
    Flavor::Async,
    "A plan of `AsyncGradientAI`: `await plan.apply()`."
);
