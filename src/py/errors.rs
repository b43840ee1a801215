//! The single mapping from core errors to Python exceptions. The classes live in `gradientai_rs._exceptions`
//! (plain Python, so they pickle and carry attributes under abi3); this module only fills in their fields.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::core::error::ArgKind;
use crate::core::Error;
use crate::py::convert::rate_limit_to_py;

static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub fn to_pyerr(err: Error) -> PyErr {
    Python::attach(|py| build(py, &err).unwrap_or_else(|e| e))
}

fn headers_dict<'py>(py: Python<'py>, headers: &[(String, String)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in headers {
        d.set_item(k, v)?;
    }
    Ok(d)
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let kw = PyDict::new(py);
    let kind = match err.root() {
        Error::InvalidArgument {
            kind: ArgKind::Type,
            message,
            ..
        } => return Ok(PyTypeError::new_err(message.clone())),
        Error::InvalidArgument {
            kind: ArgKind::Value,
            message,
            ..
        } => return Ok(PyValueError::new_err(message.clone())),
        Error::MissingApiKey => "missing_api_key",
        Error::Closed => "closed",
        Error::Status(s) => {
            kw.set_item("status_code", s.status)?;
            kw.set_item("body_text", &s.body)?;
            kw.set_item("headers", headers_dict(py, &s.headers)?)?;
            kw.set_item("request_id", &s.request_id)?;
            kw.set_item("method", &s.method)?;
            kw.set_item("url", &s.url)?;
            kw.set_item("retries_taken", s.retries_taken)?;
            kw.set_item(
                "rate_limit",
                s.rate_limit.map(|r| rate_limit_to_py(py, &r)).transpose()?,
            )?;
            "status"
        }
        Error::Timeout { method, url, timeout } => {
            kw.set_item("method", method)?;
            kw.set_item("url", url)?;
            kw.set_item("timeout", timeout.as_secs_f64())?;
            "timeout"
        }
        Error::DeadlineExceeded { method, url, deadline } => {
            kw.set_item("method", method)?;
            kw.set_item("url", url)?;
            kw.set_item("timeout", deadline.as_secs_f64())?;
            "timeout"
        }
        Error::Connection { method, url, .. } => {
            kw.set_item("method", method)?;
            kw.set_item("url", url)?;
            "connection"
        }
        Error::InvalidResponse {
            status,
            url,
            excerpt,
            request_id,
            headers,
            ..
        } => {
            kw.set_item("status_code", status)?;
            kw.set_item("url", url)?;
            kw.set_item("body", excerpt)?;
            kw.set_item("request_id", request_id)?;
            kw.set_item("headers", headers_dict(py, headers)?)?;
            "invalid_response"
        }
        Error::QuotaInsufficient {
            needed,
            remaining,
            reset,
        } => {
            kw.set_item("needed", needed)?;
            kw.set_item("remaining", remaining)?;
            kw.set_item("reset", reset)?;
            "quota"
        }
        Error::Page { .. } => unreachable!("root() unwraps pages"),
    };
    kw.set_item("page", err.page())?;
    let factory = FACTORY.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("gradientai_rs._exceptions")?.getattr("_from_core")?.unbind())
    })?;
    let message = match err {
        Error::Page { page, source } => format!("page {page}: {}", source.root()),
        other => other.to_string(),
    };
    let exc = factory.bind(py).call((kind, message), Some(&kw))?;
    Ok(PyErr::from_value(exc))
}
