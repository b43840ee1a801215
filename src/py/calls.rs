//! The calls on `/v2/snapshots` behind every resource front-end (`SnapshotsResource`, `AsyncSnapshotsResource`
//! and their `with_raw_response` twins): one implementation that answers models or, for the raw twins,
//! `APIResponse` (status, headers, body, `.parse()`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3::IntoPyObjectExt;

use crate::core::http::{HttpClient, Response};
use crate::core::snapshots::{self, CallOptions, ListParams};
use crate::py::convert::{json_to_py, rate_limit_to_py};
use crate::py::errors::to_pyerr;
use crate::py::flavor::Flavor;
use crate::py::models::PySnapshotRetrieveResponse;
use crate::py::responses::{ListContext, PySnapshotListResponse};

/// The calls on one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum One {
    Retrieve,
    Delete,
}

/// What the calls answer: the parsed model, or the whole HTTP answer (`with_raw_response`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Model,
    Raw,
}

/// What a raw call parses into.
#[derive(Clone, Copy)]
enum RawKind {
    List,
    Retrieve,
    Delete,
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

/// The shared implementation of the four resource front-ends.
pub struct Snapshots {
    pub(crate) http: Arc<HttpClient>,
    answer: Answer,
}

impl Snapshots {
    pub fn new(http: Arc<HttpClient>, answer: Answer) -> Self {
        Self { http, answer }
    }

    /// `GET /v2/snapshots`: one page.
    pub fn list<'py>(
        &self,
        py: Python<'py>,
        flavor: Flavor,
        params: ListParams,
        opts: CallOptions,
    ) -> PyResult<Bound<'py, PyAny>> {
        let answer = self.answer;
        let opts = if answer == Answer::Raw {
            with_raw_header(opts)
        } else {
            opts
        };
        let ctx = ListContext {
            http: Arc::clone(&self.http),
            params,
            opts,
            flavor,
        };
        flavor.run(py, move || {
            let ctx = ctx.clone();
            async move {
                Ok(match answer {
                    Answer::Model => Answered::Page(ctx.fetch().await?),
                    Answer::Raw => {
                        let resp = snapshots::list_raw(&ctx.http, &ctx.params, &ctx.opts).await?;
                        Answered::Raw(PyAPIResponse {
                            resp,
                            kind: RawKind::List,
                            ctx: Some(ctx),
                        })
                    }
                })
            }
        })
    }

    /// `GET` or `DELETE /v2/snapshots/{id}`.
    pub fn one<'py>(
        &self,
        py: Python<'py>,
        flavor: Flavor,
        which: One,
        id: String,
        opts: CallOptions,
    ) -> PyResult<Bound<'py, PyAny>> {
        let answer = self.answer;
        let opts = if answer == Answer::Raw {
            with_raw_header(opts)
        } else {
            opts
        };
        let http = Arc::clone(&self.http);
        flavor.run(py, move || {
            let (http, id, opts) = (Arc::clone(&http), id.clone(), opts.clone());
            async move {
                let resp = match which {
                    One::Delete => snapshots::delete_raw(&http, &id, &opts).await?,
                    One::Retrieve => snapshots::retrieve_raw(&http, &id, &opts).await?,
                };
                let kind = if which == One::Delete {
                    RawKind::Delete
                } else {
                    RawKind::Retrieve
                };
                Ok(match answer {
                    Answer::Raw => Answered::Raw(PyAPIResponse { resp, kind, ctx: None }),
                    Answer::Model => Answered::One(parse_one(&resp, kind)?),
                })
            }
        })
    }
}

/// The model of a `retrieve` answer, `None` for `delete`.
fn parse_one(resp: &Response, kind: RawKind) -> Result<Option<PySnapshotRetrieveResponse>, crate::core::Error> {
    match kind {
        RawKind::Retrieve => Ok(Some(PySnapshotRetrieveResponse(snapshots::parse_retrieve(resp)?))),
        _ => Ok(None),
    }
}

/// What a call answered, as one Python object.
enum Answered {
    Page(PySnapshotListResponse),
    /// `retrieve`'s model, or `None` for `delete`.
    One(Option<PySnapshotRetrieveResponse>),
    Raw(PyAPIResponse),
}

impl<'py> IntoPyObject<'py> for Answered {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Answered::Page(page) => page.into_bound_py_any(py),
            Answered::One(one) => one.into_bound_py_any(py),
            Answered::Raw(raw) => raw.into_bound_py_any(py),
        }
    }
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
        for (k, v) in self.resp.headers() {
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
        self.resp.method.as_str()
    }
    #[getter]
    fn http_version(&self) -> String {
        self.resp.http_version()
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
        // As lenient as `decode_page`: what Python's `json.loads(bytes)` reads (a BOM, UTF-16, a lone surrogate).
        let v: serde_json::Value = serde_json::from_slice(&self.resp.body)
            .or_else(|e| match crate::core::models::repaired(&self.resp.body) {
                Some(text) => serde_json::from_str(&text).map_err(|_| e),
                None => Err(e),
            })
            .map_err(|e| to_pyerr(self.resp.invalid(e.to_string())))?;
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

/// `list`, `retrieve` and `delete` with the SDK's signatures, for a front-end whose `.0` is a
/// `py::calls::Snapshots`. The calls run the front-end's way ([`Front::FLAVOR`]).
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
                $crate::py::calls::Snapshots::list(&self.0, py, <Self as $crate::py::flavor::Front>::FLAVOR, params, opts)
            }
        }

        $crate::py::calls::one_snapshot_call!($ty, retrieve, Retrieve, "`GET /v2/snapshots/{snapshot_id}`.");
        $crate::py::calls::one_snapshot_call!($ty, delete, Delete, "`DELETE /v2/snapshots/{snapshot_id}`: `None` on 204.");
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
                let calls = <Self as $crate::py::flavor::Front>::FLAVOR;
                $crate::py::calls::Snapshots::one(&self.0, py, calls, $crate::py::calls::One::$which, id, opts)
            }
        }
    };
}
pub(crate) use one_snapshot_call;
