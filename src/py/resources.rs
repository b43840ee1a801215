//! `client.gpu_droplets.snapshots` (sync and async), and its `with_raw_response` twin.

use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3::IntoPyObjectExt;

use crate::core::http::{HttpClient, Response};
use crate::core::pagination::{self, ListAllOptions, Listing, Progress};
use crate::core::ratelimit::WaitObserver;
use crate::core::snapshots::{self, validate_per_page, CallOptions, ListParams};
use crate::core::Error as CoreError;
use crate::py::convert::{
    json_to_py, opt_int, opt_resource_type, opt_timeout, rate_limit_to_py, snapshot_id, string_pairs,
};
use crate::py::errors::to_pyerr;
use crate::py::models::PySnapshotRetrieveResponse;
use crate::py::pages::{ListContext, PySnapshotList, PySnapshotListResponse};
use crate::py::runtime::{attach_from_worker, coroutine, finish, off_the_runtime, run_blocking, Await};

/// Runs a core future the way the client wants: blocking with the GIL released, or as a coroutine that starts it
/// when awaited. `make` builds the future (the coroutine may call it later, from the event loop).
fn dispatch<'py, M, F, T>(py: Python<'py>, is_async: bool, make: M) -> PyResult<Bound<'py, PyAny>>
where
    M: Fn() -> F + Send + Sync + 'static,
    F: Future<Output = Result<T, CoreError>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    if is_async {
        coroutine(py, Await::Plain, move || {
            let fut = make();
            async move { finish(fut.await) }
        })
    } else {
        run_blocking(py, make())?.into_bound_py_any(py)
    }
}

fn call_options(
    extra_headers: Option<&Bound<'_, PyAny>>,
    extra_query: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
) -> PyResult<CallOptions> {
    Ok(CallOptions {
        extra_headers: string_pairs(extra_headers, "extra_headers")?,
        extra_query: string_pairs(extra_query, "extra_query")?,
        timeout: opt_timeout(timeout, "timeout")?,
    })
}

fn list_params(
    page: Option<&Bound<'_, PyAny>>,
    per_page: Option<&Bound<'_, PyAny>>,
    resource_type: Option<&Bound<'_, PyAny>>,
) -> PyResult<ListParams> {
    Ok(ListParams {
        page: opt_int(
            page,
            "page",
            "an integer >= 1 (at most 2**63 - 1)",
            snapshots::validate_page,
        )?,
        per_page: opt_int(per_page, "per_page", "an integer between 1 and 200", validate_per_page)?,
        resource_type: opt_resource_type(resource_type)?,
    })
}

/// `progress=True` (a tqdm bar when tqdm is installed), a callable `(pages_done, pages_total)`, or `None`.
/// The third item tells the bar about rate-limit waits (the callable's optional `rate_limit_wait(seconds)`).
#[allow(clippy::type_complexity)]
fn progress_of(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Option<Progress>, Option<Py<PyAny>>, Option<WaitObserver>)> {
    let Some(progress) = progress.filter(|p| !p.is_none()) else {
        return Ok((None, None, None));
    };
    let pair = py
        .import("gradientai_rs._export")?
        .getattr("progress_callback")?
        .call1((progress,))?;
    let (callback, close): (Py<PyAny>, Option<Py<PyAny>>) = pair.extract()?;
    if callback.is_none(py) {
        return Ok((None, close, None));
    }
    let on_wait: Option<WaitObserver> = callback
        .bind(py)
        .getattr_opt("rate_limit_wait")?
        .filter(|f| f.is_callable())
        .map(|f| {
            let f = f.unbind();
            Arc::new(move |wait: std::time::Duration| {
                off_the_runtime(|| {
                    attach_from_worker(|py| {
                        if let Err(e) = f.call1(py, (wait.as_secs_f64(),)) {
                            e.write_unraisable(py, Some(f.bind(py)));
                        }
                    })
                });
            }) as WaitObserver
        });
    // Called synchronously between pages (the next pages wait for it), off the runtime's worker.
    let f: Progress = Arc::new(move |done, total| {
        off_the_runtime(|| {
            attach_from_worker(|py| {
                if let Err(e) = callback.call1(py, (done, total)) {
                    e.write_unraisable(py, Some(callback.bind(py)));
                }
            })
        });
    });
    Ok((Some(f), close, on_wait))
}

/// Turns a finished listing into a `SnapshotList`, closing the progress bar, and (`warn`) warning from the
/// caller's line when the account kept changing.
fn finish_listing(listing: Listing, close: Option<&Py<PyAny>>, warn: bool) -> PyResult<PySnapshotList> {
    Python::attach(|py| -> PyResult<()> {
        if let Some(close) = close {
            close.call0(py)?;
        }
        if let Some(change) = listing.changed.as_ref().filter(|_| warn) {
            let category = py
                .import("gradientai_rs._exceptions")?
                .getattr("ListingChangedWarning")?;
            let msg = std::ffi::CString::new(change.message()).unwrap_or_default();
            // A native function has no frame of its own: level 1 is the Python line that called list_all().
            PyErr::warn(py, &category, &msg, 1)?;
        }
        Ok(())
    })?;
    Ok(PySnapshotList::new(
        listing.snapshots,
        listing.total,
        listing.pages,
        listing.changed,
    ))
}

/// The shared implementation of both resource classes.
struct Snapshots {
    http: Arc<HttpClient>,
    is_async: bool,
}

impl Snapshots {
    #[allow(clippy::too_many_arguments)]
    fn list<'py>(
        &self,
        py: Python<'py>,
        page: Option<&Bound<'py, PyAny>>,
        per_page: Option<&Bound<'py, PyAny>>,
        resource_type: Option<&Bound<'py, PyAny>>,
        extra_headers: Option<&Bound<'py, PyAny>>,
        extra_query: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ctx = ListContext {
            http: Arc::clone(&self.http),
            params: list_params(page, per_page, resource_type)?,
            opts: call_options(extra_headers, extra_query, timeout)?,
            is_async: self.is_async,
        };
        dispatch(py, self.is_async, move || {
            let ctx = ctx.clone();
            async move {
                let page = snapshots::list(&ctx.http, &ctx.params, &ctx.opts).await?;
                Ok(PySnapshotListResponse::new(page, Some(ctx)))
            }
        })
    }

    fn retrieve<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>, opts: CallOptions) -> PyResult<Bound<'py, PyAny>> {
        let id = snapshot_id(id)?;
        let http = Arc::clone(&self.http);
        dispatch(py, self.is_async, move || {
            let (http, id, opts) = (Arc::clone(&http), id.clone(), opts.clone());
            async move {
                Ok(PySnapshotRetrieveResponse(
                    snapshots::retrieve(&http, &id, &opts).await?,
                ))
            }
        })
    }

    fn delete<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>, opts: CallOptions) -> PyResult<Bound<'py, PyAny>> {
        let id = snapshot_id(id)?;
        let http = Arc::clone(&self.http);
        dispatch(py, self.is_async, move || {
            let (http, id, opts) = (Arc::clone(&http), id.clone(), opts.clone());
            async move {
                snapshots::delete_raw(&http, &id, &opts).await?;
                Ok(None::<Py<PyAny>>)
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn list_all<'py>(
        &self,
        py: Python<'py>,
        resource_type: Option<&Bound<'py, PyAny>>,
        per_page: Option<&Bound<'py, PyAny>>,
        max_concurrency: Option<&Bound<'py, PyAny>>,
        progress: Option<&Bound<'py, PyAny>>,
        wait_for_rate_limit: bool,
        max_attempts: Option<&Bound<'py, PyAny>>,
        call: CallOptions,
        deadline: Option<std::time::Duration>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let concurrency = opt_int(
            max_concurrency,
            "max_concurrency",
            "None (auto) or an integer between 1 and 256",
            pagination::validate_max_concurrency,
        )?;
        let attempts = opt_int(max_attempts, "max_attempts", "an integer between 1 and 10", |v| {
            u64::try_from(v).ok().filter(|c| (1..=10).contains(c)).ok_or_else(|| {
                CoreError::invalid(
                    "max_attempts",
                    format!("max_attempts must be an integer between 1 and 10, got {v}"),
                )
            })
        })?;
        let (progress, close, on_wait) = progress_of(py, progress)?;
        let opts = ListAllOptions {
            resource_type: opt_resource_type(resource_type)?,
            per_page: opt_int(per_page, "per_page", "an integer between 1 and 200", validate_per_page)?
                .unwrap_or(snapshots::MAX_PER_PAGE),
            max_concurrency: concurrency.map(|c| c as usize),
            wait_for_rate_limit,
            max_attempts: attempts.map_or(pagination::DEFAULT_MAX_ATTEMPTS, |a| a as u32),
            call,
            progress,
            deadline,
            on_rate_limit_wait: on_wait,
        };
        let http = Arc::clone(&self.http);
        if self.is_async {
            // The warning is raised by the coroutine, on the event loop, pointing at the awaiting line.
            let close = Arc::new(close);
            coroutine(py, Await::Listing, move || {
                let (http, opts, close) = (Arc::clone(&http), opts.clone(), Arc::clone(&close));
                async move {
                    let out = pagination::list_all(&http, &opts).await;
                    move |py: Python<'_>| {
                        let listing = out.map_err(to_pyerr)?;
                        finish_listing(listing, close.as_ref().as_ref(), false)?.into_py_any(py)
                    }
                }
            })
        } else {
            let listing = run_blocking(py, async move { pagination::list_all(&http, &opts).await })?;
            Bound::new(py, finish_listing(listing, close.as_ref(), true)?).map(Bound::into_any)
        }
    }

    fn raw(&self) -> RawSnapshots {
        RawSnapshots {
            http: Arc::clone(&self.http),
            is_async: self.is_async,
        }
    }
}

macro_rules! snapshots_resource {
    ($ty:ident, $name:literal, $is_async:expr) => {
        #[pyclass(frozen, name = $name, module = "gradientai_rs._core")]
        pub struct $ty(Snapshots);

        impl $ty {
            pub fn new(http: Arc<HttpClient>) -> Self {
                Self(Snapshots { http, is_async: $is_async })
            }
        }

        #[pymethods]
        impl $ty {
            /// `GET /v2/snapshots`: one page. Only the parameters given are sent.
            #[pyo3(signature = (*, page = None, per_page = None, resource_type = None, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            #[allow(clippy::too_many_arguments)]
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
                self.0.list(py, page, per_page, resource_type, extra_headers, extra_query, timeout)
            }

            /// `GET /v2/snapshots/{snapshot_id}`.
            #[pyo3(signature = (snapshot_id, *, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            fn retrieve<'py>(
                &self,
                py: Python<'py>,
                snapshot_id: &Bound<'py, PyAny>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                extra_body: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let _ = extra_body;
                self.0.retrieve(py, snapshot_id, call_options(extra_headers, extra_query, timeout)?)
            }

            /// `DELETE /v2/snapshots/{snapshot_id}`: `None` on 204.
            #[pyo3(signature = (snapshot_id, *, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            fn delete<'py>(
                &self,
                py: Python<'py>,
                snapshot_id: &Bound<'py, PyAny>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                extra_body: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let _ = extra_body;
                self.0.delete(py, snapshot_id, call_options(extra_headers, extra_query, timeout)?)
            }

            /// Every snapshot, exactly once: page 1, then the rest concurrently, in page order.
            #[pyo3(signature = (*, resource_type = None, per_page = None, max_concurrency = None, progress = None, wait_for_rate_limit = false, max_attempts = None, extra_headers = None, extra_query = None, timeout = None, deadline = None))]
            #[allow(clippy::too_many_arguments)]
            fn list_all<'py>(
                &self,
                py: Python<'py>,
                resource_type: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
                wait_for_rate_limit: bool,
                max_attempts: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
                deadline: Option<f64>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let call = call_options(extra_headers, extra_query, timeout)?;
                let deadline = deadline.map(pagination::deadline_from_secs).transpose().map_err(to_pyerr)?;
                self.0.list_all(py, resource_type, per_page, max_concurrency, progress, wait_for_rate_limit, max_attempts, call, deadline)
            }

            /// The same calls, answering an `APIResponse` (status, headers, body) instead of the parsed model.
            #[getter]
            fn with_raw_response(&self) -> RawSnapshots {
                self.0.raw()
            }
        }
    };
}

snapshots_resource!(PySnapshotsResource, "SnapshotsResource", false);
snapshots_resource!(PyAsyncSnapshotsResource, "AsyncSnapshotsResource", true);

/// `client.gpu_droplets`: holds `snapshots`.
#[pyclass(frozen, name = "GpuDropletsResource", module = "gradientai_rs._core")]
pub struct PyGpuDroplets {
    snapshots: Py<PyAny>,
}

impl PyGpuDroplets {
    pub fn new(py: Python<'_>, http: Arc<HttpClient>, is_async: bool) -> PyResult<Self> {
        let snapshots = if is_async {
            Py::new(py, PyAsyncSnapshotsResource::new(http))?.into_any()
        } else {
            Py::new(py, PySnapshotsResource::new(http))?.into_any()
        };
        Ok(Self { snapshots })
    }
}

#[pymethods]
impl PyGpuDroplets {
    #[getter]
    fn snapshots(&self, py: Python<'_>) -> Py<PyAny> {
        self.snapshots.clone_ref(py)
    }
}

/// What a raw call parses into.
#[derive(Clone, Copy)]
enum RawKind {
    List,
    Retrieve,
    Delete,
}

/// `with_raw_response`: the same calls, answering `APIResponse`.
#[pyclass(frozen, name = "SnapshotsResourceWithRawResponse", module = "gradientai_rs._core")]
pub struct RawSnapshots {
    http: Arc<HttpClient>,
    is_async: bool,
}

#[pymethods]
impl RawSnapshots {
    #[pyo3(signature = (*, page = None, per_page = None, resource_type = None, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
    #[allow(clippy::too_many_arguments)]
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
        let ctx = ListContext {
            http: Arc::clone(&self.http),
            params: list_params(page, per_page, resource_type)?,
            opts: with_raw_header(call_options(extra_headers, extra_query, timeout)?),
            is_async: self.is_async,
        };
        dispatch(py, self.is_async, move || {
            let ctx = ctx.clone();
            async move {
                let resp = snapshots::list_raw(&ctx.http, &ctx.params, &ctx.opts).await?;
                Ok(PyAPIResponse {
                    resp,
                    kind: RawKind::List,
                    ctx: Some(ctx),
                })
            }
        })
    }

    #[pyo3(signature = (snapshot_id, *, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
    fn retrieve<'py>(
        &self,
        py: Python<'py>,
        snapshot_id: &Bound<'py, PyAny>,
        extra_headers: Option<&Bound<'py, PyAny>>,
        extra_query: Option<&Bound<'py, PyAny>>,
        extra_body: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = extra_body;
        let id = crate::py::convert::snapshot_id(snapshot_id)?;
        let opts = with_raw_header(call_options(extra_headers, extra_query, timeout)?);
        let http = Arc::clone(&self.http);
        dispatch(py, self.is_async, move || {
            let (http, id, opts) = (Arc::clone(&http), id.clone(), opts.clone());
            async move {
                let resp = snapshots::retrieve_raw(&http, &id, &opts).await?;
                Ok(PyAPIResponse {
                    resp,
                    kind: RawKind::Retrieve,
                    ctx: None,
                })
            }
        })
    }

    #[pyo3(signature = (snapshot_id, *, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
    fn delete<'py>(
        &self,
        py: Python<'py>,
        snapshot_id: &Bound<'py, PyAny>,
        extra_headers: Option<&Bound<'py, PyAny>>,
        extra_query: Option<&Bound<'py, PyAny>>,
        extra_body: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = extra_body;
        let id = crate::py::convert::snapshot_id(snapshot_id)?;
        let opts = with_raw_header(call_options(extra_headers, extra_query, timeout)?);
        let http = Arc::clone(&self.http);
        dispatch(py, self.is_async, move || {
            let (http, id, opts) = (Arc::clone(&http), id.clone(), opts.clone());
            async move {
                let resp = snapshots::delete_raw(&http, &id, &opts).await?;
                Ok(PyAPIResponse {
                    resp,
                    kind: RawKind::Delete,
                    ctx: None,
                })
            }
        })
    }
}

/// The SDK sends `X-Stainless-Raw-Response: raw` for these calls.
fn with_raw_header(mut opts: CallOptions) -> CallOptions {
    if !opts
        .extra_headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-stainless-raw-response"))
    {
        opts.extra_headers
            .push(("x-stainless-raw-response".into(), "raw".into()));
    }
    opts
}

/// A whole HTTP answer: status, headers, body, and `.parse()` for the usual model.
#[pyclass(frozen, name = "APIResponse", module = "gradientai_rs._core")]
pub struct PyAPIResponse {
    resp: Response,
    kind: RawKind,
    ctx: Option<ListContext>,
}

#[pymethods]
impl PyAPIResponse {
    #[getter]
    fn status_code(&self) -> u16 {
        self.resp.status
    }
    /// Response headers, names lower-cased.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.resp.headers {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
    #[getter]
    fn url(&self) -> &str {
        &self.resp.url
    }
    #[getter]
    fn method(&self) -> &str {
        &self.resp.method
    }
    #[getter]
    fn http_version(&self) -> &str {
        &self.resp.http_version
    }
    #[getter]
    fn retries_taken(&self) -> u32 {
        self.resp.retries_taken
    }
    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.resp.request_id.as_deref()
    }
    /// Time from the first attempt to the answer, as a `datetime.timedelta`.
    #[getter]
    fn elapsed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let td = py.import("datetime")?.getattr("timedelta")?;
        let kw = PyDict::new(py);
        kw.set_item("microseconds", self.resp.elapsed.as_micros() as u64)?;
        td.call((), Some(&kw))
    }
    /// `ratelimit-limit`, `-remaining`, `-reset` of this answer, or `None`.
    #[getter]
    fn rate_limit<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.resp.rate_limit.map(|r| rate_limit_to_py(py, &r)).transpose()
    }
    #[getter]
    fn is_closed(&self) -> bool {
        true
    }
    fn read<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyBytes> {
        pyo3::types::PyBytes::new(py, &self.resp.body)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.resp.body).into_owned()
    }
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v: serde_json::Value =
            serde_json::from_slice(&self.resp.body).map_err(|e| to_pyerr(self.resp.invalid(e.to_string())))?;
        json_to_py(py, &v)
    }
    /// The model the plain call returns (`None` for `delete`).
    #[pyo3(signature = (*, to = None))]
    fn parse(&self, py: Python<'_>, to: Option<&Bound<'_, PyType>>) -> PyResult<Py<PyAny>> {
        let _ = to;
        Ok(match self.kind {
            RawKind::List => {
                let page = snapshots::parse_list(&self.resp).map_err(to_pyerr)?;
                Py::new(py, PySnapshotListResponse::new(page, self.ctx.clone()))?.into_any()
            }
            RawKind::Retrieve => Py::new(
                py,
                PySnapshotRetrieveResponse(snapshots::parse_retrieve(&self.resp).map_err(to_pyerr)?),
            )?
            .into_any(),
            RawKind::Delete => py.None(),
        })
    }
    fn close(&self) {}
    fn __repr__(&self) -> String {
        let what = match self.kind {
            RawKind::List => "SnapshotListResponse",
            RawKind::Retrieve => "SnapshotRetrieveResponse",
            RawKind::Delete => "NoneType",
        };
        format!("<APIResponse [{}] type={what}>", self.resp.status)
    }
}
