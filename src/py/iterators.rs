//! Iterators over pages and snapshots, sync and async: `iter_pages()`, `for s in page`, `async for s in page`,
//! `for s in snapshot_list`. They fetch later pages when they reach them, the way their page's client runs calls.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::py::errors::to_pyerr;
use crate::py::flavor::Flavor;
use crate::py::models::{PySnapshot, Rows};
use crate::py::responses::{ListContext, PySnapshotList, PySnapshotListResponse};
use crate::py::runtime::{finish, future_into_py, run_here};

/// The iterator constructors live here, beside the iterators (a second `#[pymethods]` block of the classes).
#[pymethods]
impl PySnapshotListResponse {
    /// This page and every later one, fetched one at a time when reached (`async for` on async pages).
    fn iter_pages(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let cursor = PageCursor {
            state: Arc::new(Mutex::new(PageState::First(slf.clone().unbind()))),
        };
        match slf.get().flavor() {
            Some(Flavor::Async) => Ok(Py::new(py, AsyncPageIterator(cursor))?.into_any()),
            _ => Ok(Py::new(py, PageIterator(cursor))?.into_any()),
        }
    }

    /// Every snapshot of this page and the later ones (not field pairs, as iterating a pydantic model gives).
    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<SnapshotIterator> {
        if slf.get().flavor() == Some(Flavor::Async) {
            return Err(PyTypeError::new_err(
                "pages of AsyncGradientAI are iterated with `async for`",
            ));
        }
        Ok(SnapshotIterator(SnapshotCursor::from_page(slf.get())))
    }

    fn __aiter__(&self) -> AsyncSnapshotIterator {
        AsyncSnapshotIterator(SnapshotCursor::from_page(self))
    }
}

#[pymethods]
impl PySnapshotList {
    fn __iter__(&self) -> SnapshotIterator {
        SnapshotIterator(SnapshotCursor::over(Arc::clone(&self.rows), self.view.clone(), None))
    }
}

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
                let page = run_here(py, ctx.fetch())?;
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
    /// The rows to walk, when not all of them (a selection).
    view: Option<Arc<Vec<usize>>>,
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
    fn over(rows: Arc<Rows>, view: Option<Arc<Vec<usize>>>, next: Option<ListContext>) -> Self {
        Self(Arc::new(Mutex::new(SnapshotState {
            rows,
            view,
            index: 0,
            next,
        })))
    }

    fn from_page(page: &PySnapshotListResponse) -> Self {
        Self::over(Arc::clone(&page.rows), None, page.next_context())
    }

    fn step(&self) -> Step {
        let mut st = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = st.view.as_ref().map_or(st.rows.len(), |v| v.len());
        if st.index < n {
            let row = st.view.as_ref().map_or(st.index, |v| v[st.index]);
            st.index += 1;
            return Step::Item(PySnapshot::new(Arc::clone(&st.rows), row));
        }
        st.next.take().map_or(Step::End, Step::Fetch)
    }

    fn load(&self, page: &PySnapshotListResponse) {
        let mut st = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *st = SnapshotState {
            rows: Arc::clone(&page.rows),
            view: None,
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
                let page = run_here(py, ctx.fetch())?;
                self.0.load(&page);
                run_here(py, self.0.clone().next())
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
