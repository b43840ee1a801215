//! Blocking or async: the two front-ends of each client-side class (`GradientAI`/`AsyncGradientAI`,
//! `SnapshotsResource`/`AsyncSnapshotsResource`, ...) are distinct types that share one implementation and
//! differ only in their [`Calls`]. A page remembers the `Calls` of the client that fetched it.

use std::future::Future;

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::core::Error as CoreError;
use crate::py::runtime::{coroutine, finish, run_blocking, Await};

/// How a front-end runs its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calls {
    /// The GIL released until the answer is in; Ctrl-C still works.
    Blocking,
    /// A coroutine that starts the request when awaited.
    Async,
}

/// A front-end class and the way it runs its calls.
pub trait Front {
    const CALLS: Calls;
}

impl Calls {
    /// Runs a core future the front-end's way. `make` builds the future (a coroutine may build it later, when
    /// awaited, from the event loop).
    pub fn run<'py, M, F, T>(self, py: Python<'py>, make: M) -> PyResult<Bound<'py, PyAny>>
    where
        M: Fn() -> F + Send + Sync + 'static,
        F: Future<Output = Result<T, CoreError>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        match self {
            Calls::Async => coroutine(py, Await::Plain, move || {
                let fut = make();
                async move { finish(fut.await) }
            }),
            Calls::Blocking => run_blocking(py, make())?.into_bound_py_any(py),
        }
    }
}

/// `list`, `retrieve` and `delete` with the SDK's signatures, for a front-end whose `.0` is a
/// `py::calls::Snapshots`. The calls run the front-end's way ([`Front::CALLS`]).
macro_rules! snapshot_calls {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// `GET /v2/snapshots`: one page. Only the parameters given are sent.
            #[pyo3(signature = (*, page = None, per_page = None, resource_type = None, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            #[allow(clippy::too_many_arguments)] // the SDK's signature
            fn list<'py>(
                &self,
                py: Python<'py>,
                page: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                resource_type: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                extra_body: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let _ = extra_body;
                let params = $crate::py::args::list_params(page, per_page, resource_type)?;
                let opts = $crate::py::args::call_options(extra_headers, extra_query, timeout)?;
                $crate::py::calls::Snapshots::list(&self.0, py, <Self as $crate::py::flavor::Front>::CALLS, params, opts)
            }
        }

        $crate::py::flavor::one_snapshot_call!($ty, retrieve, Retrieve, "`GET /v2/snapshots/{snapshot_id}`.");
        $crate::py::flavor::one_snapshot_call!($ty, delete, Delete, "`DELETE /v2/snapshots/{snapshot_id}`: `None` on 204.");
    };
}
pub(crate) use snapshot_calls;

/// A call on one snapshot (`retrieve` or `delete`) with the SDK's signature, in a `#[pymethods]` block of its own.
macro_rules! one_snapshot_call {
    ($ty:ty, $name:ident, $which:ident, $doc:literal) => {
        #[pymethods]
        impl $ty {
            #[doc = $doc]
            #[pyo3(signature = (snapshot_id, *, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            fn $name<'py>(
                &self,
                py: Python<'py>,
                snapshot_id: &Bound<'py, PyAny>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                extra_body: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let _ = extra_body;
                let id = $crate::py::args::snapshot_id(snapshot_id)?;
                let opts = $crate::py::args::call_options(extra_headers, extra_query, timeout)?;
                let calls = <Self as $crate::py::flavor::Front>::CALLS;
                $crate::py::calls::Snapshots::one(&self.0, py, calls, $crate::py::calls::One::$which, id, opts)
            }
        }
    };
}
pub(crate) use one_snapshot_call;
