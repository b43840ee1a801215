//! `client.gpu_droplets` (its own `list`/`list_all` over `/v2/droplets`, and `snapshots`) and
//! `client.gpu_droplets.volumes` (`list`/`list_all` over `/v2/volumes`), blocking and async front-ends over the
//! same functions. The signatures are the SDK's (`gradient/resources/gpu_droplets/gpu_droplets.py`,
//! `.../volumes/volumes.py`); `list_all` runs on the engine snapshots use (`core::pagination::list_all_of`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::core::droplets::{self, DropletListParams, VolumeListParams};
use crate::core::http::HttpClient;
use crate::core::limits;
use crate::core::pagination::{self, Collection, Listing};
use crate::core::snapshots::CallOptions;
use crate::py::args::{opt_int, opt_str};
use crate::py::compute_models::{PyDropletList, PyGPUDropletListResponse, PyVolumeList, PyVolumeListResponse};
use crate::py::errors::to_pyerr;
use crate::py::flavor::{Flavor, Front};
use crate::py::resources::{ListAllArgs, PyAsyncSnapshotsResource, PySnapshotsResource};
use crate::py::runtime::{coroutine, run_blocking, Await};

/// `gpu_droplets.list()`'s filters, checked (`tag_name` with `name` or `type` is a `ValueError`).
fn droplet_params(
    name: Option<&Bound<'_, PyAny>>,
    page: Option<&Bound<'_, PyAny>>,
    per_page: Option<&Bound<'_, PyAny>>,
    tag_name: Option<&Bound<'_, PyAny>>,
    kind: Option<&Bound<'_, PyAny>>,
) -> PyResult<DropletListParams> {
    DropletListParams {
        name: opt_str(name, "name")?,
        page: opt_int(page, "page", limits::page)?,
        per_page: opt_int(per_page, "per_page", limits::per_page)?,
        tag_name: opt_str(tag_name, "tag_name")?,
        kind: opt_str(kind, "type")?,
    }
    .validate()
    .map_err(to_pyerr)
}

fn volume_params(
    name: Option<&Bound<'_, PyAny>>,
    page: Option<&Bound<'_, PyAny>>,
    per_page: Option<&Bound<'_, PyAny>>,
    region: Option<&Bound<'_, PyAny>>,
) -> PyResult<VolumeListParams> {
    Ok(VolumeListParams {
        name: opt_str(name, "name")?,
        page: opt_int(page, "page", limits::page)?,
        per_page: opt_int(per_page, "per_page", limits::per_page)?,
        region: opt_str(region, "region")?,
    })
}

fn list_droplets<'py>(
    http: &Arc<HttpClient>,
    py: Python<'py>,
    flavor: Flavor,
    params: DropletListParams,
    opts: CallOptions,
) -> PyResult<Bound<'py, PyAny>> {
    let http = Arc::clone(http);
    flavor.run(py, move || {
        let (http, params, opts) = (Arc::clone(&http), params.clone(), opts.clone());
        async move {
            let resp = droplets::list_droplets_raw(&http, &params, &opts).await?;
            Ok(PyGPUDropletListResponse::new(droplets::parse_droplets(&resp)?))
        }
    })
}

fn list_volumes<'py>(
    http: &Arc<HttpClient>,
    py: Python<'py>,
    flavor: Flavor,
    params: VolumeListParams,
    opts: CallOptions,
) -> PyResult<Bound<'py, PyAny>> {
    let http = Arc::clone(http);
    flavor.run(py, move || {
        let (http, params, opts) = (Arc::clone(&http), params.clone(), opts.clone());
        async move {
            let resp = droplets::list_volumes_raw(&http, &params, &opts).await?;
            Ok(PyVolumeListResponse::new(droplets::parse_volumes(&resp)?))
        }
    })
}

/// `list_all` of any collection: the listing `wrap`ped into its Python list, the progress bar closed, and (blocking
/// calls; the async coroutine warns itself) a `ListingChangedWarning` when the account kept changing.
fn list_all_of<'py, C, L>(
    http: &Arc<HttpClient>,
    py: Python<'py>,
    flavor: Flavor,
    what: C,
    args: ListAllArgs<'_, 'py>,
    wrap: fn(Listing<C::Item>) -> L,
) -> PyResult<Bound<'py, PyAny>>
where
    C: Collection + Clone + Send + 'static,
    C::Item: 'static,
    L: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let (opts, close, raised) = args.into_options(py)?;
    let http = Arc::clone(http);
    match flavor {
        Flavor::Async => {
            let close = Arc::new(close);
            coroutine(py, Await::Listing, move || {
                let (http, what, opts, close, raised) = (
                    Arc::clone(&http),
                    what.clone(),
                    opts.clone(),
                    Arc::clone(&close),
                    raised.clone(),
                );
                async move {
                    let out = pagination::list_all_of(&http, &what, &opts).await;
                    move |py: Python<'_>| {
                        if let Some(close) = close.as_ref() {
                            close.call0(py)?;
                        }
                        wrap(raised.check(out)?).into_py_any(py)
                    }
                }
            })
        }
        Flavor::Blocking => {
            let out = run_blocking(
                py,
                async move { Ok(pagination::list_all_of(&http, &what, &opts).await) },
            )?;
            let listing = raised.check(out)?;
            if let Some(close) = close {
                close.call0(py)?;
            }
            if let Some(change) = &listing.changed {
                let category = py
                    .import("gradientai_rs._exceptions")?
                    .getattr("ListingChangedWarning")?;
                let msg = std::ffi::CString::new(change.message_for(C::NOUN)).unwrap_or_default();
                PyErr::warn(py, &category, &msg, 1)?;
            }
            wrap(listing).into_bound_py_any(py)
        }
    }
}

fn droplet_list(l: Listing<crate::core::models::Droplet>) -> PyDropletList {
    PyDropletList::new(l.items, l.total, l.pages, l.changed)
}

fn volume_list(l: Listing<crate::core::models::Volume>) -> PyVolumeList {
    PyVolumeList::new(l.items, l.total, l.pages, l.changed)
}

/// `GradientAI().gpu_droplets`: `list`/`list_all` of droplets, `snapshots`, `volumes`.
#[pyclass(frozen, name = "GpuDropletsResource", module = "gradientai_rs._core")]
pub struct PyGpuDroplets {
    #[pyo3(get)]
    snapshots: Py<PySnapshotsResource>,
    #[pyo3(get)]
    volumes: Py<PyVolumesResource>,
    http: Arc<HttpClient>,
}

/// `AsyncGradientAI().gpu_droplets`: every call returns a coroutine.
#[pyclass(frozen, name = "AsyncGpuDropletsResource", module = "gradientai_rs._core")]
pub struct PyAsyncGpuDroplets {
    #[pyo3(get)]
    snapshots: Py<PyAsyncSnapshotsResource>,
    #[pyo3(get)]
    volumes: Py<PyAsyncVolumesResource>,
    http: Arc<HttpClient>,
}

/// `GradientAI().gpu_droplets.volumes`.
#[pyclass(frozen, name = "VolumesResource", module = "gradientai_rs._core")]
pub struct PyVolumesResource {
    http: Arc<HttpClient>,
}

/// `AsyncGradientAI().gpu_droplets.volumes`: every call returns a coroutine.
#[pyclass(frozen, name = "AsyncVolumesResource", module = "gradientai_rs._core")]
pub struct PyAsyncVolumesResource {
    http: Arc<HttpClient>,
}

impl Front for PyGpuDroplets {
    const FLAVOR: Flavor = Flavor::Blocking;
}
impl Front for PyAsyncGpuDroplets {
    const FLAVOR: Flavor = Flavor::Async;
}
impl Front for PyVolumesResource {
    const FLAVOR: Flavor = Flavor::Blocking;
}
impl Front for PyAsyncVolumesResource {
    const FLAVOR: Flavor = Flavor::Async;
}

impl PyGpuDroplets {
    pub fn new(py: Python<'_>, http: Arc<HttpClient>) -> PyResult<Self> {
        Ok(Self {
            snapshots: Py::new(py, PySnapshotsResource::new(Arc::clone(&http)))?,
            volumes: Py::new(
                py,
                PyVolumesResource {
                    http: Arc::clone(&http),
                },
            )?,
            http,
        })
    }
}

impl PyAsyncGpuDroplets {
    pub fn new(py: Python<'_>, http: Arc<HttpClient>) -> PyResult<Self> {
        Ok(Self {
            snapshots: Py::new(py, PyAsyncSnapshotsResource::new(Arc::clone(&http)))?,
            volumes: Py::new(
                py,
                PyAsyncVolumesResource {
                    http: Arc::clone(&http),
                },
            )?,
            http,
        })
    }
}

/// `list` and `list_all` of droplets on a `gpu_droplets` front-end.
macro_rules! droplet_methods {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// `GET /v2/droplets`: one page. Without `type="gpus"` the API returns only non-GPU droplets.
            #[pyo3(signature = (*, name = None, page = None, per_page = None, tag_name = None, r#type = None, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            #[allow(clippy::too_many_arguments)] // the SDK's signature
            fn list<'py>(
                &self,
                py: Python<'py>,
                name: Option<&Bound<'py, PyAny>>,
                page: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                tag_name: Option<&Bound<'py, PyAny>>,
                r#type: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                extra_body: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let _ = extra_body;
                let params = droplet_params(name, page, per_page, tag_name, r#type)?;
                let opts = crate::py::args::call_options(extra_headers, extra_query, timeout)?;
                list_droplets(&self.http, py, <Self as Front>::FLAVOR, params, opts)
            }

            /// Every droplet of this filter, exactly once (the engine of `snapshots.list_all`).
            #[pyo3(signature = (*, name = None, tag_name = None, r#type = None, per_page = None, max_concurrency = None, progress = None, wait_for_rate_limit = None, max_attempts = None, extra_headers = None, extra_query = None, timeout = None, deadline = None))]
            #[allow(clippy::too_many_arguments)] // keyword arguments of the Python API
            fn list_all<'py>(
                &self,
                py: Python<'py>,
                name: Option<&Bound<'py, PyAny>>,
                tag_name: Option<&Bound<'py, PyAny>>,
                r#type: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
                wait_for_rate_limit: Option<&Bound<'py, PyAny>>,
                max_attempts: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
                deadline: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let what = droplet_params(name, None, None, tag_name, r#type)?;
                let args = ListAllArgs {
                    resource_type: None,
                    per_page,
                    max_concurrency,
                    progress,
                    wait_for_rate_limit,
                    max_attempts,
                    call: crate::py::args::call_options(extra_headers, extra_query, timeout)?,
                    deadline,
                };
                list_all_of(&self.http, py, <Self as Front>::FLAVOR, what, args, droplet_list)
            }
        }
    };
}
droplet_methods!(PyGpuDroplets);
droplet_methods!(PyAsyncGpuDroplets);

/// `list` and `list_all` on a `volumes` front-end.
macro_rules! volume_methods {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// `GET /v2/volumes`: one page, optionally of one `region` or `name`.
            #[pyo3(signature = (*, name = None, page = None, per_page = None, region = None, extra_headers = None, extra_query = None, extra_body = None, timeout = None))]
            #[allow(clippy::too_many_arguments)] // the SDK's signature
            fn list<'py>(
                &self,
                py: Python<'py>,
                name: Option<&Bound<'py, PyAny>>,
                page: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                region: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                extra_body: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let _ = extra_body;
                let params = volume_params(name, page, per_page, region)?;
                let opts = crate::py::args::call_options(extra_headers, extra_query, timeout)?;
                list_volumes(&self.http, py, <Self as Front>::FLAVOR, params, opts)
            }

            /// Every volume of this filter, exactly once.
            #[pyo3(signature = (*, name = None, region = None, per_page = None, max_concurrency = None, progress = None, wait_for_rate_limit = None, max_attempts = None, extra_headers = None, extra_query = None, timeout = None, deadline = None))]
            #[allow(clippy::too_many_arguments)] // keyword arguments of the Python API
            fn list_all<'py>(
                &self,
                py: Python<'py>,
                name: Option<&Bound<'py, PyAny>>,
                region: Option<&Bound<'py, PyAny>>,
                per_page: Option<&Bound<'py, PyAny>>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
                wait_for_rate_limit: Option<&Bound<'py, PyAny>>,
                max_attempts: Option<&Bound<'py, PyAny>>,
                extra_headers: Option<&Bound<'py, PyAny>>,
                extra_query: Option<&Bound<'py, PyAny>>,
                timeout: Option<&Bound<'py, PyAny>>,
                deadline: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let what = volume_params(name, None, None, region)?;
                let args = ListAllArgs {
                    resource_type: None,
                    per_page,
                    max_concurrency,
                    progress,
                    wait_for_rate_limit,
                    max_attempts,
                    call: crate::py::args::call_options(extra_headers, extra_query, timeout)?,
                    deadline,
                };
                list_all_of(&self.http, py, <Self as Front>::FLAVOR, what, args, volume_list)
            }
        }
    };
}
volume_methods!(PyVolumesResource);
volume_methods!(PyAsyncVolumesResource);
