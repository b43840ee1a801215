//! Pages and listings: `SnapshotListResponse` (one page, with Stainless-style helpers that fetch the next ones)
//! and `SnapshotList` (everything from `list_all`, a sequence with Arrow export).

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCapsule, PyDict, PyList, PySlice, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::core::http::HttpClient;
use crate::core::models::{Entry, Obj, Snapshot, SnapshotPage};
use crate::core::pagination::{next_page_params, Change};
use crate::core::snapshots::{self, CallOptions, ListParams};
use crate::py::convert::Mode;
use crate::py::errors::to_pyerr;
use crate::py::models::{repr_of, snapshot_list, to_dict, PyMetaProperties, PyPageLinks, PySnapshot, Rows, MODULE};
use crate::py::runtime::{coroutine, finish, future_into_py, run_blocking, Await};

/// What produced a page, so the next one can be asked with the same filters.
#[derive(Clone)]
pub struct ListContext {
    pub http: Arc<HttpClient>,
    pub params: ListParams,
    pub opts: CallOptions,
    pub is_async: bool,
}

impl ListContext {
    async fn fetch(self) -> Result<PySnapshotListResponse, crate::core::Error> {
        let page = snapshots::list(&self.http, &self.params, &self.opts).await?;
        Ok(PySnapshotListResponse::new(page, Some(self)))
    }
}

/// One page of `GET /v2/snapshots`: `meta`, `links`, `snapshots`.
#[pyclass(frozen, name = "SnapshotListResponse", module = "gradientai_rs._core")]
pub struct PySnapshotListResponse {
    /// The answer without its snapshots (moved to `rows`).
    page: SnapshotPage,
    rows: Arc<Rows>,
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

    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        let mut out = Vec::with_capacity(3 + self.page.extra.len());
        match self.snapshots_state {
            Obj::Value(()) => out.push(("snapshots", Entry::Snapshots(&self.rows))),
            Obj::Null => out.push(("snapshots", Entry::Null)),
            Obj::Absent => {}
        }
        for (k, e) in self.page.entries() {
            if k != "snapshots" {
                out.push((k, e));
            }
        }
        // Declared order of the SDK model: meta, links, snapshots, then extras.
        let rank = |k: &str| match k {
            "meta" => 0,
            "links" => 1,
            "snapshots" => 2,
            _ => 3,
        };
        out.sort_by_key(|(k, _)| rank(k));
        out
    }

    fn json(&self, indent: Option<usize>, canonical: bool) -> String {
        let mut map = serde_json::Map::new();
        for (k, e) in self.entries() {
            let text = crate::core::models::to_json(e, None, canonical);
            map.insert(
                k.to_owned(),
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            );
        }
        let v = serde_json::Value::Object(map);
        match indent {
            None => v.to_string(),
            Some(_) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        }
    }

    fn next_context(&self) -> Option<ListContext> {
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

const NO_NEXT: &str = "No next page expected; please check `.has_next_page()` before calling `.get_next_page()`.";

#[pymethods]
impl PySnapshotListResponse {
    #[getter]
    fn meta(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.page.meta.value() {
            Some(m) => Ok(Py::new(py, PyMetaProperties(m.clone()))?.into_any()),
            None => Ok(py.None()),
        }
    }

    /// Always a `PageLinks` (the API leaves `links` out for single pages; the SDK then gives `None`).
    #[getter]
    fn links(&self) -> PyPageLinks {
        PyPageLinks(self.page.links.value().cloned().unwrap_or_default())
    }

    /// The snapshots of this page: a real `list`, the same object on every access.
    #[getter]
    fn snapshots(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if matches!(self.snapshots_state, Obj::Null | Obj::Absent) {
            return Ok(py.None());
        }
        let list = self
            .list
            .get_or_try_init(py, || snapshot_list(py, &self.rows).map(Bound::unbind))?;
        Ok(list.clone_ref(py).into_any())
    }

    fn has_next_page(&self) -> bool {
        self.next_context().is_some()
    }

    /// The next page, with the same filters and `per_page`. Awaitable on pages of `AsyncGradientAI`.
    fn get_next_page<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let Some(ctx) = self.next_context() else {
            return Err(PyRuntimeError::new_err(NO_NEXT));
        };
        if ctx.is_async {
            coroutine(py, Await::Plain, move || {
                let ctx = ctx.clone();
                async move { finish(ctx.fetch().await) }
            })
        } else {
            Ok(Bound::new(py, run_blocking(py, ctx.fetch())?)?.into_any())
        }
    }

    /// This page and every later one, fetched one at a time when reached (`async for` on async pages).
    fn iter_pages(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let cursor = PageCursor {
            state: Arc::new(Mutex::new(PageState::First(slf.clone().unbind()))),
        };
        if slf.get().ctx.as_ref().is_some_and(|c| c.is_async) {
            Ok(Py::new(py, AsyncPageIterator(cursor))?.into_any())
        } else {
            Ok(Py::new(py, PageIterator(cursor))?.into_any())
        }
    }

    /// Every snapshot of this page and the later ones (not field pairs, as iterating a pydantic model gives).
    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<SnapshotIterator> {
        if slf.get().ctx.as_ref().is_some_and(|c| c.is_async) {
            return Err(PyTypeError::new_err(
                "pages of AsyncGradientAI are iterated with `async for`",
            ));
        }
        Ok(SnapshotIterator(SnapshotCursor::from_page(slf.get())))
    }

    fn __aiter__(&self) -> AsyncSnapshotIterator {
        AsyncSnapshotIterator(SnapshotCursor::from_page(self))
    }

    #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false, use_api_names = true, exclude_defaults = false, warnings = true))]
    #[allow(unused_variables, clippy::too_many_arguments)]
    fn to_dict<'py>(
        &self,
        py: Python<'py>,
        mode: &str,
        exclude_unset: bool,
        exclude_none: bool,
        use_api_names: bool,
        exclude_defaults: bool,
        warnings: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        to_dict(
            py,
            self.entries(),
            &["meta", "links", "snapshots"],
            mode,
            exclude_unset,
            exclude_none,
        )
    }

    #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false))]
    fn model_dump<'py>(
        &self,
        py: Python<'py>,
        mode: &str,
        exclude_unset: bool,
        exclude_none: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        to_dict(
            py,
            self.entries(),
            &["meta", "links", "snapshots"],
            mode,
            exclude_unset,
            exclude_none,
        )
    }

    #[pyo3(signature = (*, indent = Some(2)))]
    fn to_json(&self, indent: Option<usize>) -> String {
        self.json(indent, true)
    }

    #[pyo3(signature = (*, indent = None))]
    fn model_dump_json(&self, indent: Option<usize>) -> String {
        self.json(indent, true)
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.page.extra.iter().find(|(k, _)| k == name) {
            Some((_, v)) => crate::py::convert::json_to_py(py, v),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "'SnapshotListResponse' object has no attribute '{name}'"
            ))),
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_of(
            slf.as_any(),
            "SnapshotListResponse",
            &["meta", "links", "snapshots"],
            &slf.get().page.extra,
        )
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::__repr__(slf)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .is_ok_and(|o| o.get().json(None, false) == self.json(None, false))
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let f = py.import(MODULE)?.getattr("_model_from_json")?;
        PyTuple::new(
            py,
            [
                f,
                PyTuple::new(py, ["SnapshotListResponse", &self.json(None, false)])?.into_any(),
            ],
        )
    }
}

/// A pure-Python helper of `gradientai_rs._export`.
fn export<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("gradientai_rs._export")?.getattr(name)
}

/// The exports of a class that holds `rows`: the Arrow C stream, `to_arrow`/`to_pandas`/`to_polars`, and the
/// notebook repr (`$html` names its helper in `_export`).
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
                crate::py::arrow::stream_capsule(py, &self.rows)
            }

            fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_arrow")?.call1((slf,))
            }

            #[pyo3(signature = (*, lists = "arrow"))]
            fn to_pandas<'py>(slf: &Bound<'py, Self>, lists: &str) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_pandas")?.call1((slf, lists))
            }

            fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_polars")?.call1((slf,))
            }

            fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
                export(slf.py(), $html)?.call1((slf,))?.extract()
            }
        }
    };
}

export_methods!(PySnapshotListResponse, "page_html");
export_methods!(PySnapshotList, "list_html");

enum PageState {
    First(Py<PySnapshotListResponse>),
    Next(ListContext),
    Done,
}

#[derive(Clone)]
struct PageCursor {
    state: Arc<Mutex<PageState>>,
}

impl PageCursor {
    /// What to answer next: the first page (in hand), a page to fetch (then `advance`), or the end.
    fn take(&self) -> PageState {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let taken = std::mem::replace(&mut *st, PageState::Done);
        if let PageState::First(page) = &taken {
            *st = page.get().next_context().map_or(PageState::Done, PageState::Next);
        }
        taken
    }

    fn advance(&self, page: &PySnapshotListResponse) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *st = page.next_context().map_or(PageState::Done, PageState::Next);
    }
}

#[pyclass(frozen, name = "PageIterator", module = "gradientai_rs._core")]
pub struct PageIterator(PageCursor);

#[pymethods]
impl PageIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PySnapshotListResponse>>> {
        match self.0.take() {
            PageState::First(page) => Ok(Some(page)),
            PageState::Done => Ok(None),
            PageState::Next(ctx) => {
                let page = run_blocking(py, ctx.fetch())?;
                self.0.advance(&page);
                Ok(Some(Py::new(py, page)?))
            }
        }
    }
}

#[pyclass(frozen, name = "AsyncPageIterator", module = "gradientai_rs._core")]
pub struct AsyncPageIterator(PageCursor);

#[pymethods]
impl AsyncPageIterator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let cursor = self.0.clone();
        match cursor.take() {
            PageState::First(page) => future_into_py(py, async move { move |py: Python<'_>| page.into_py_any(py) }),
            PageState::Done => Err(PyStopAsyncIteration::new_err(())),
            PageState::Next(ctx) => future_into_py(py, async move {
                let out = ctx.fetch().await;
                if let Ok(page) = &out {
                    cursor.advance(page);
                }
                finish(out)
            }),
        }
    }
}

struct SnapshotState {
    rows: Arc<Rows>,
    index: usize,
    next: Option<ListContext>,
}

/// Walks snapshots across pages; shared by the sync and async iterators.
#[derive(Clone)]
struct SnapshotCursor(Arc<Mutex<SnapshotState>>);

enum Step {
    Item(PySnapshot),
    Fetch(ListContext),
    End,
}

impl SnapshotCursor {
    fn from_page(page: &PySnapshotListResponse) -> Self {
        Self(Arc::new(Mutex::new(SnapshotState {
            rows: Arc::clone(&page.rows),
            index: 0,
            next: page.next_context(),
        })))
    }

    fn step(&self) -> Step {
        let mut st = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if st.index < st.rows.len() {
            st.index += 1;
            return Step::Item(PySnapshot::new(Arc::clone(&st.rows), st.index - 1));
        }
        st.next.take().map_or(Step::End, Step::Fetch)
    }

    fn load(&self, page: &PySnapshotListResponse) {
        let mut st = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *st = SnapshotState {
            rows: Arc::clone(&page.rows),
            index: 0,
            next: page.next_context(),
        };
    }

    /// The next snapshot, fetching pages as needed (skips empty pages).
    async fn next(self) -> Result<Option<PySnapshot>, crate::core::Error> {
        loop {
            match self.step() {
                Step::Item(s) => return Ok(Some(s)),
                Step::End => return Ok(None),
                Step::Fetch(ctx) => {
                    let page = ctx.fetch().await?;
                    self.load(&page);
                }
            }
        }
    }
}

#[pyclass(frozen, name = "SnapshotIterator", module = "gradientai_rs._core")]
pub struct SnapshotIterator(SnapshotCursor);

#[pymethods]
impl SnapshotIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PySnapshot>> {
        // Snapshots already fetched come without releasing the GIL; only a page fetch blocks.
        match self.0.step() {
            Step::Item(s) => Ok(Some(s)),
            Step::End => Ok(None),
            Step::Fetch(ctx) => {
                let page = run_blocking(py, ctx.fetch())?;
                self.0.load(&page);
                run_blocking(py, self.0.clone().next())
            }
        }
    }
}

#[pyclass(frozen, name = "AsyncSnapshotIterator", module = "gradientai_rs._core")]
pub struct AsyncSnapshotIterator(SnapshotCursor);

#[pymethods]
impl AsyncSnapshotIterator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let cursor = self.0.clone();
        future_into_py(py, async move {
            let out = cursor.next().await;
            move |py: Python<'_>| match out.map_err(to_pyerr)? {
                Some(s) => s.into_py_any(py),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }
}

/// Every snapshot from `list_all`: a read-only sequence of `Snapshot`, with Arrow export.
#[pyclass(frozen, sequence, name = "SnapshotList", module = "gradientai_rs._core")]
pub struct PySnapshotList {
    rows: Arc<Rows>,
    total: u64,
    pages: u64,
    changed: Option<Change>,
}

impl PySnapshotList {
    pub fn new(rows: Vec<Snapshot>, total: u64, pages: u64, changed: Option<Change>) -> Self {
        Self {
            rows: Rows::new(rows),
            total,
            pages,
            changed,
        }
    }
}

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
        self.rows.len()
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let ind = slice.indices(self.rows.len() as isize)?;
            let list = PyList::empty(py);
            let mut i = ind.start;
            for _ in 0..ind.slicelength {
                list.append(PySnapshot::new(Arc::clone(&self.rows), i as usize))?;
                i += ind.step;
            }
            return Ok(list.into_any().unbind());
        }
        let i: isize = key
            .extract()
            .map_err(|_| PyTypeError::new_err("SnapshotList indices must be integers or slices"))?;
        let n = self.rows.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(PyIndexError::new_err("SnapshotList index out of range"));
        }
        Ok(Py::new(py, PySnapshot::new(Arc::clone(&self.rows), j as usize))?.into_any())
    }

    fn __iter__(&self) -> SnapshotIterator {
        SnapshotIterator(SnapshotCursor(Arc::new(Mutex::new(SnapshotState {
            rows: Arc::clone(&self.rows),
            index: 0,
            next: None,
        }))))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|o| o.get().rows == self.rows)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        const SHOWN: usize = 3;
        let mut parts = Vec::new();
        for i in 0..self.rows.len().min(SHOWN) {
            parts.push(
                Bound::new(py, PySnapshot::new(Arc::clone(&self.rows), i))?
                    .repr()?
                    .to_string(),
            );
        }
        if self.rows.len() > SHOWN {
            parts.push(format!("... {} more", self.rows.len() - SHOWN));
        }
        Ok(format!(
            "SnapshotList(len={}, total={}, [{}])",
            self.rows.len(),
            self.total,
            parts.join(", ")
        ))
    }

    /// Every snapshot as a dict (`mode="json"` for JSON-ready values).
    #[pyo3(signature = (*, mode = "python"))]
    fn to_dicts<'py>(&self, py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyList>> {
        let mode = Mode::parse(mode)?;
        let list = PyList::empty(py);
        for s in self.rows.iter() {
            list.append(crate::py::convert::entries_to_dict(py, s.entries(), mode)?)?;
        }
        Ok(list)
    }

    /// A JSON array of the snapshots.
    #[pyo3(signature = (*, indent = None))]
    fn to_json(&self, indent: Option<usize>) -> String {
        crate::core::models::to_json(Entry::Snapshots(&self.rows), indent, true)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let f = py.import(MODULE)?.getattr("_snapshot_list_from_json")?;
        let json = crate::core::models::to_json(Entry::Snapshots(&self.rows), None, false);
        let changed = self
            .changed
            .as_ref()
            .map(|c| (c.first_total, c.last_total, c.returned, c.attempts));
        PyTuple::new(
            py,
            [f, (json, self.total, self.pages, changed).into_pyobject(py)?.into_any()],
        )
    }
}

#[pyfunction]
#[pyo3(signature = (data, total, pages, changed = None))]
pub fn _snapshot_list_from_json(
    data: &str,
    total: u64,
    pages: u64,
    changed: Option<(u64, u64, u64, u32)>,
) -> PyResult<PySnapshotList> {
    let rows: Vec<Snapshot> =
        serde_json::from_str(data).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let changed = changed.map(|(first_total, last_total, returned, attempts)| Change {
        first_total,
        last_total,
        returned,
        attempts,
    });
    Ok(PySnapshotList::new(rows, total, pages, changed))
}
