//! Blocking or async: the two front-ends of each client-side class (`GradientAI`/`AsyncGradientAI`,
//! `SnapshotsResource`/`AsyncSnapshotsResource`, ...) are distinct types that share one implementation and
//! differ only in their [`Flavor`]. A page remembers the `Flavor` of the client that fetched it.

use std::future::Future;

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::core::Error as CoreError;
use crate::py::runtime::{coroutine, finish, run_here, Await};

/// How a front-end runs its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// The GIL released until the answer is in; Ctrl-C still works.
    Blocking,
    /// A coroutine that starts the request when awaited.
    Async,
}

/// A front-end class and the way it runs its calls.
pub trait Front {
    const FLAVOR: Flavor;
}

impl Flavor {
    /// Runs a core future the front-end's way. `make` builds the future (a coroutine may build it later, when
    /// awaited, from the event loop).
    pub fn run<'py, M, F, T>(self, py: Python<'py>, make: M) -> PyResult<Bound<'py, PyAny>>
    where
        M: Fn() -> F + Send + Sync + 'static,
        F: Future<Output = Result<T, CoreError>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        match self {
            Flavor::Async => coroutine(py, Await::Plain, move || {
                let fut = make();
                async move { finish(fut.await) }
            }),
            Flavor::Blocking => run_here(py, make())?.into_bound_py_any(py),
        }
    }
}
