//! The responses that hold many snapshots: `SnapshotListResponse` (one page, with Stainless-style helpers that
//! fetch the next ones) and `SnapshotList` (everything from `list_all`, a sequence). Both are models of the one
//! protocol (`py::model`) and export to Arrow. Their iterators are in `py::iterators`.

use std::sync::Arc;

use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCapsule, PyDict, PyList, PySlice, PyTuple};
use serde_json::Value;

use crate::core::http::HttpClient;
use crate::core::models::{to_json, Entry, Fields, Obj, Snapshot, SnapshotPage, Str};
use crate::core::pagination::{next_page_params, Change};
use crate::core::snapshots::{self, CallOptions, ListParams};
use crate::core::sources::SourceState;
use crate::py::convert::{entries_to_dict, Mode};
use crate::py::flavor::Flavor;
use crate::py::models::{snapshot_list, PyMetaProperties, PyPageLinks, PySnapshot, Rows};
use crate::py::protocol::{model_protocol, DumpOptions, Model, MODULE};
use crate::py::runtime::{coroutine, finish, run_here, Await};

/// What produced a page, so the next one can be asked with the same filters, the same way.
#[derive(Clone)]
pub struct ListContext {
    pub http: Arc<HttpClient>,
    pub params: ListParams,
    pub opts: CallOptions,
    pub flavor: Flavor,
}

impl ListContext {
    pub async fn fetch(self) -> Result<PySnapshotListResponse, crate::core::Error> {
        let page = snapshots::list(&self.http, &self.params, &self.opts).await?;
        Ok(PySnapshotListResponse::new(page, Some(self)))
    }
}

/// One page of `GET /v2/snapshots`: `meta`, `links`, `snapshots`.
#[pyclass(frozen, name = "SnapshotListResponse", module = "gradientai_rs._core")]
pub struct PySnapshotListResponse {
    /// The answer without its snapshots (moved to `rows`).
    page: SnapshotPage,
    pub(crate) rows: Arc<Rows>,
    /// Whether `snapshots` was a list, `null` or absent in the answer (for `to_dict()` and pickling).
    snapshots_state: Obj<()>,
    list: PyOnceLock<Py<PyList>>,
    ctx: Option<ListContext>,
}

impl PySnapshotListResponse {
    pub fn new(mut page: SnapshotPage, ctx: Option<ListContext>) -> Self {
        let (rows, state) = match std::mem::take(&mut page.snapshots) {
            Obj::Value(v) => (v, Obj::Value(())),
            Obj::Null => (Vec::new(), Obj::Null),
            Obj::Absent => (Vec::new(), Obj::Absent),
        };
        Self {
            page,
            rows: Rows::new(rows),
            snapshots_state: state,
            list: PyOnceLock::new(),
            ctx,
        }
    }

    /// A page with no client behind it (unpickled): it can't fetch more.
    pub fn detached(page: SnapshotPage) -> Self {
        Self::new(page, None)
    }

    pub(crate) fn flavor(&self) -> Option<Flavor> {
        self.ctx.as_ref().map(|c| c.flavor)
    }

    pub(crate) fn next_context(&self) -> Option<ListContext> {
        let ctx = self.ctx.as_ref()?;
        let params = next_page_params(&self.page, self.rows.len(), &ctx.params, &ctx.opts.extra_query)?;
        let mut opts = ctx.opts.clone();
        opts.extra_query.retain(|(k, _)| k != "page");
        Some(ListContext {
            params,
            opts,
            ..ctx.clone()
        })
    }
}

impl Model for PySnapshotListResponse {
    const NAME: &'static str = "SnapshotListResponse";
    const FIELDS: &'static [&'static str] = &["meta", "links", "snapshots"];

    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        let mut out = Vec::with_capacity(3 + self.page.extra.len());
        match self.snapshots_state {
            Obj::Value(()) => out.push(("snapshots", Entry::Snapshots(&self.rows))),
            Obj::Null => out.push(("snapshots", Entry::Null)),
            Obj::Absent => {}
        }
        out.extend(self.page.entries().into_iter().filter(|(k, _)| *k != "snapshots"));
        // Declared order of the SDK model: meta, links, snapshots, then extras (stable sort keeps their order).
        let rank = |k: &str| Self::FIELDS.iter().position(|f| *f == k).unwrap_or(Self::FIELDS.len());
        out.sort_by_key(|(k, _)| rank(k));
        out
    }

    fn extra(&self) -> &[(String, Value)] {
        &self.page.extra
    }
}
model_protocol!(PySnapshotListResponse);

const NO_NEXT: &str = "No next page expected; please check `.has_next_page()` before calling `.get_next_page()`.";

#[pymethods]
impl PySnapshotListResponse {
    #[getter]
    fn meta(&self, py: Python<'_>) -> PyResult<Option<Py<PyMetaProperties>>> {
        self.page
            .meta
            .value()
            .map(|m| Py::new(py, PyMetaProperties(m.clone())))
            .transpose()
    }

    /// Always a `PageLinks` (the API leaves `links` out for single pages; the SDK then gives `None`).
    #[getter]
    fn links(&self) -> PyPageLinks {
        PyPageLinks(self.page.links.value().cloned().unwrap_or_default())
    }

    /// The snapshots of this page: always a real `list` (empty when the answer had none), the same object on
    /// every access.
    #[getter]
    fn snapshots(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let list = self
            .list
            .get_or_try_init(py, || snapshot_list(py, &self.rows).map(Bound::unbind))?;
        Ok(list.clone_ref(py))
    }

    fn has_next_page(&self) -> bool {
        self.next_context().is_some()
    }

    /// The next page, with the same filters and `per_page`. Awaitable on pages of `AsyncGradientAI`.
    fn get_next_page<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let Some(ctx) = self.next_context() else {
            return Err(PyRuntimeError::new_err(NO_NEXT));
        };
        match ctx.flavor {
            Flavor::Async => coroutine(py, Await::Plain, move || {
                let ctx = ctx.clone();
                async move { finish(ctx.fetch().await) }
            }),
            Flavor::Blocking => Ok(Bound::new(py, run_here(py, ctx.fetch())?)?.into_any()),
        }
    }
}

/// A pure-Python helper of `gradientai_rs._export`.
pub(crate) fn export<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("gradientai_rs._export")?.getattr(name)
}

/// The exports of a class that holds `rows`: the Arrow C stream, `to_arrow`/`to_pandas`/`to_polars` (with the
/// opt-in `age_days` and `monthly_cost_usd` columns), and the notebook repr (`$html` names its helper in
/// `_export`). The class gives its `account` column (if any) through `account_column()`.
macro_rules! export_methods {
    ($ty:ty, $html:literal) => {
        #[pymethods]
        impl $ty {
            #[pyo3(signature = (requested_schema = None))]
            fn __arrow_c_stream__<'py>(
                &self,
                py: Python<'py>,
                requested_schema: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyCapsule>> {
                let _ = requested_schema;
                self._arrow_stream(py, false, false, None, None, false)
            }

            /// The C stream with the extra columns asked for (`now`: an aware datetime, default the current time;
            /// `source_exists` needs a listing made with `with_sources=True`).
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
                let source = if source_exists {
                    Some(self.source_column().ok_or_else(|| pyo3::exceptions::PyValueError::new_err(NO_SOURCES))?)
                } else {
                    None
                };
                let extras = crate::core::arrow::ExtraColumns {
                    account: self.account_column(),
                    age_days_now: if age_days {
                        Some(crate::py::args::now_micros(now)?)
                    } else {
                        None
                    },
                    rate: if monthly_cost {
                        Some(crate::py::args::rate(rate_per_gb_month)?)
                    } else {
                        None
                    },
                    source,
                };
                crate::py::arrow::stream_capsule(py, &self.rows, self.view_slice(), extras)
            }

            /// `age_days=False, monthly_cost=False, now=None, rate_per_gb_month=None` (checked by `_export`).
            #[pyo3(signature = (**extras))]
            fn to_arrow<'py>(
                slf: &Bound<'py, Self>,
                extras: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_arrow")?.call((slf,), extras)
            }

            /// `lists="arrow"` and `to_arrow`'s extras.
            #[pyo3(signature = (**extras))]
            fn to_pandas<'py>(
                slf: &Bound<'py, Self>,
                extras: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_pandas")?.call((slf,), extras)
            }

            #[pyo3(signature = (**extras))]
            fn to_polars<'py>(
                slf: &Bound<'py, Self>,
                extras: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_polars")?.call((slf,), extras)
            }

            fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
                export(slf.py(), $html)?.call1((slf,))?.extract()
            }
        }
    };
}

pub(crate) use crate::core::sources::NO_SOURCES;

impl PySnapshotListResponse {
    fn account_column(&self) -> Option<&[Str]> {
        None
    }
    fn source_column(&self) -> Option<&[SourceState]> {
        None
    }
    fn view_slice(&self) -> Option<&[usize]> {
        None
    }
}

export_methods!(PySnapshotListResponse, "page_html");
export_methods!(PySnapshotList, "list_html");

/// Every snapshot from `list_all`: a read-only sequence of `Snapshot`, with Arrow export. A root model: its
/// `to_dict()` is the list of snapshot dicts and its `to_json()` a JSON array.
///
/// A selection (`select`, `sort_by`, a plan's `keep`/`delete`, ...) shares its parent's rows and holds the indices
/// of its own (`view`), so choosing costs no copy of a snapshot; `accounts` is parallel to the shared rows.
#[pyclass(frozen, sequence, name = "SnapshotList", module = "gradientai_rs._core")]
pub struct PySnapshotList {
    pub(crate) rows: Arc<Rows>,
    pub(crate) total: u64,
    pub(crate) pages: u64,
    changed: Option<Change>,
    /// The rows of this list, in order, when it is a selection of `rows`; `None`: all of them.
    pub(crate) view: Option<Arc<Vec<usize>>>,
    /// For lists that merge several accounts (`list_all_accounts`): the account of each row.
    pub(crate) accounts: Option<Arc<Vec<Str>>>,
    /// `list_all_accounts(errors="collect")`: the accounts that failed, `{name: exception}`.
    pub(crate) errors: Option<Py<PyAny>>,
    /// `list_all(with_sources=True)`: the source state of each shared row.
    pub(crate) sources: Option<Arc<Vec<SourceState>>>,
}

impl PySnapshotList {
    pub fn new(rows: Vec<Snapshot>, total: u64, pages: u64, changed: Option<Change>) -> Self {
        Self {
            rows: Rows::new(rows),
            total,
            pages,
            changed,
            view: None,
            accounts: None,
            errors: None,
            sources: None,
        }
    }

    /// A list whose row `i`'s source is in state `states[i]`.
    pub fn with_sources(mut self, states: Vec<SourceState>) -> Self {
        debug_assert_eq!(states.len(), self.rows.len());
        self.sources = Some(Arc::new(states));
        self
    }

    /// The source state of each shared row (not only this list's).
    pub(crate) fn source_column(&self) -> Option<&[SourceState]> {
        self.sources.as_deref().map(Vec::as_slice)
    }

    /// A list whose row `i` belongs to `accounts[i]`.
    pub fn with_accounts(mut self, accounts: Vec<Str>, errors: Option<Py<PyAny>>) -> Self {
        debug_assert_eq!(accounts.len(), self.rows.len());
        self.accounts = Some(Arc::new(accounts));
        self.errors = errors;
        self
    }

    /// A selection: the shared rows `idx` (indices into `rows`, in that order); `total` is its length.
    pub fn subset(&self, idx: Vec<usize>) -> Self {
        Self {
            rows: Arc::clone(&self.rows),
            total: idx.len() as u64,
            pages: self.pages,
            changed: self.changed.clone(),
            view: Some(Arc::new(idx)),
            accounts: self.accounts.clone(),
            errors: None,
            sources: self.sources.clone(),
        }
    }

    /// The account of each shared row (not only this list's).
    pub(crate) fn account_column(&self) -> Option<&[Str]> {
        self.accounts.as_deref().map(Vec::as_slice)
    }

    /// The shared rows of this list, in order (indices into `rows`).
    pub(crate) fn indices(&self) -> std::borrow::Cow<'_, [usize]> {
        match &self.view {
            Some(v) => std::borrow::Cow::Borrowed(v.as_slice()),
            None => std::borrow::Cow::Owned((0..self.rows.len()).collect()),
        }
    }

    /// This list's rows as indices for Arrow (`None`: all of them).
    fn view_slice(&self) -> Option<&[usize]> {
        self.view.as_deref().map(Vec::as_slice)
    }

    pub(crate) fn len(&self) -> usize {
        self.view.as_ref().map_or(self.rows.len(), |v| v.len())
    }

    /// The shared row of item `i`.
    pub(crate) fn row_index(&self, i: usize) -> usize {
        self.view.as_ref().map_or(i, |v| v[i])
    }

    /// The snapshots of this list (borrowed, or copied for a selection).
    fn snapshots(&self) -> std::borrow::Cow<'_, [Snapshot]> {
        match &self.view {
            None => std::borrow::Cow::Borrowed(&self.rows[..]),
            Some(v) => std::borrow::Cow::Owned(v.iter().map(|&i| self.rows[i].clone()).collect()),
        }
    }

    fn item(&self, i: usize) -> PySnapshot {
        PySnapshot::new(Arc::clone(&self.rows), self.row_index(i))
    }
}

impl Model for PySnapshotList {
    const NAME: &'static str = "SnapshotList";
    const FIELDS: &'static [&'static str] = &[];

    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        Vec::new()
    }

    fn extra(&self) -> &[(String, Value)] {
        &[]
    }

    fn json(&self, indent: Option<usize>, canonical: bool) -> String {
        to_json(Entry::Snapshots(&self.snapshots()), indent, canonical)
    }

    fn dump<'py>(&self, py: Python<'py>, opts: DumpOptions<'_>) -> PyResult<Bound<'py, PyAny>> {
        let mode = Mode::parse(opts.mode)?;
        let list = PyList::empty(py);
        for i in self.indices().iter() {
            let mut entries = self.rows[*i].entries();
            if opts.exclude_none {
                entries.retain(|(_, e)| !matches!(e, Entry::Null | Entry::Json(Value::Null)));
            }
            list.append(entries_to_dict(py, entries, mode)?)?;
        }
        Ok(list.into_any())
    }

    /// With `total`, `pages` and `changed`, through `_core._snapshot_list_from_json`.
    fn reduce<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let f = py.import(MODULE)?.getattr("_snapshot_list_from_json")?;
        let changed = self
            .changed
            .as_ref()
            .map(|c| (c.first_total, c.last_total, c.returned, c.attempts));
        let accounts = self
            .account_column()
            .map(|a| self.indices().iter().map(|&i| a[i].as_str()).collect::<Vec<_>>());
        let sources = self
            .source_column()
            .map(|s| self.indices().iter().map(|&i| s[i].as_str()).collect::<Vec<_>>());
        let args = (
            self.json(None, false),
            self.total,
            self.pages,
            changed,
            accounts,
            sources,
        )
            .into_pyobject(py)?;
        PyTuple::new(py, [f, args.into_any()])
    }

    /// `SnapshotList(len=N, total=T, [first three, ... N more])`.
    fn repr(&self, obj: &Bound<'_, PyAny>) -> PyResult<String> {
        const SHOWN: usize = 3;
        let py = obj.py();
        let mut parts = Vec::new();
        for i in 0..self.len().min(SHOWN) {
            parts.push(Bound::new(py, self.item(i))?.repr()?.to_string());
        }
        if self.len() > SHOWN {
            parts.push(format!("... {} more", self.len() - SHOWN));
        }
        Ok(format!(
            "SnapshotList(len={}, total={}, [{}])",
            self.len(),
            self.total,
            parts.join(", ")
        ))
    }
}
model_protocol!(PySnapshotList);

#[pymethods]
impl PySnapshotList {
    /// `SnapshotList(snapshots)`: from an iterable of `Snapshot` (e.g. after filtering).
    #[new]
    #[pyo3(signature = (snapshots = None, *, total = None))]
    fn py_new(snapshots: Option<&Bound<'_, PyAny>>, total: Option<u64>) -> PyResult<Self> {
        let mut rows = Vec::new();
        if let Some(items) = snapshots {
            for item in items.try_iter()? {
                let item = item?;
                let s = item
                    .cast::<PySnapshot>()
                    .map_err(|_| PyTypeError::new_err("SnapshotList items must be Snapshot objects"))?;
                rows.push(s.get().get().clone());
            }
        }
        let n = rows.len() as u64;
        Ok(Self::new(rows, total.unwrap_or(n), 0, None))
    }

    /// `meta.total` as the API reported it on the last page.
    #[getter]
    fn total(&self) -> u64 {
        self.total
    }

    /// Pages requested in the successful attempt.
    #[getter]
    fn pages(&self) -> u64 {
        self.pages
    }

    /// `None`, or why the listing may be off (also raised as a `ListingChangedWarning`).
    #[getter]
    fn changed(&self) -> Option<String> {
        self.changed.as_ref().map(Change::message)
    }

    fn __len__(&self) -> usize {
        self.len()
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let ind = slice.indices(self.len() as isize)?;
            let list = PyList::empty(py);
            let mut i = ind.start;
            for _ in 0..ind.slicelength {
                list.append(self.item(i as usize))?;
                i += ind.step;
            }
            return Ok(list.into_any().unbind());
        }
        let i: isize = key
            .extract()
            .map_err(|_| PyTypeError::new_err("SnapshotList indices must be integers or slices"))?;
        let n = self.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(PyIndexError::new_err("SnapshotList index out of range"));
        }
        Ok(Py::new(py, self.item(j as usize))?.into_any())
    }

    /// Every snapshot as a dict (`mode="json"` for JSON-ready values); the same as `to_dict()`.
    #[pyo3(signature = (*, mode = "python"))]
    fn to_dicts<'py>(&self, py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyAny>> {
        self.dump(
            py,
            DumpOptions {
                mode,
                exclude_unset: true,
                exclude_none: false,
            },
        )
    }
}
