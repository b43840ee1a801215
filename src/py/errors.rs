//! The one mapping from the core's [`Error`] to Python exceptions, exhaustive over its variants. The classes are
//! declared in `gradientai_rs._exceptions` (plain Python, so they pickle and carry attributes under abi3), imported
//! once and cached here; every message is built here, once.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

use crate::core::error::{ArgKind, StatusError};
use crate::core::Error;
use crate::py::convert::{json_to_py, rate_limit_to_py};

/// The exception classes of `gradientai_rs._exceptions` that errors are raised as.
#[derive(Clone, Copy)]
enum Class {
    Status,
    BadRequest,
    Authentication,
    PermissionDenied,
    NotFound,
    Conflict,
    UnprocessableEntity,
    RateLimit,
    InternalServer,
    Connection,
    Timeout,
    ResponseValidation,
    MissingApiKey,
    ClientClosed,
}

const CLASSES: [&str; 14] = [
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "MissingAPIKeyError",
    "ClientClosedError",
];

static LOADED: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

impl Class {
    fn for_status(status: u16) -> Self {
        match status {
            400 => Class::BadRequest,
            401 => Class::Authentication,
            403 => Class::PermissionDenied,
            404 => Class::NotFound,
            409 => Class::Conflict,
            422 => Class::UnprocessableEntity,
            429 => Class::RateLimit,
            500.. => Class::InternalServer,
            _ => Class::Status,
        }
    }

    fn get(self, py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
        let all = LOADED.get_or_try_init(py, || -> PyResult<Vec<Py<PyAny>>> {
            let module = py.import("gradientai_rs._exceptions")?;
            CLASSES.iter().map(|name| Ok(module.getattr(*name)?.unbind())).collect()
        })?;
        Ok(all[self as usize].bind(py))
    }
}

/// The Python exception for a core error (taking the GIL if needed).
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

/// `body` as the SDK gives it (the parsed JSON, else the text) and its message: `Error code: 404 - {...}`.
fn status_body_and_message<'py>(py: Python<'py>, s: &StatusError) -> PyResult<(Bound<'py, PyAny>, String)> {
    let parsed = (!s.body.is_empty())
        .then(|| serde_json::from_str::<serde_json::Value>(&s.body).ok())
        .flatten();
    Ok(match parsed {
        None if s.body.is_empty() => (PyString::new(py, "").into_any(), format!("Error code: {}", s.status)),
        None => (PyString::new(py, &s.body).into_any(), s.body.clone()),
        Some(serde_json::Value::String(text)) => (PyString::new(py, &text).into_any(), text),
        Some(value) => {
            let body = json_to_py(py, &value)?;
            let message = format!("Error code: {} - {}", s.status, body.repr()?);
            (body, message)
        }
    })
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let page = err.page();
    let source = err.source_listing();
    let prefixed = |message: String| {
        let message = match page {
            Some(p) => format!("page {p}: {message}"),
            None => message,
        };
        match source {
            Some((listing, request, scope)) => format!(
                "the {listing} listing ({request}, needs the {scope} scope) failed, so no snapshot can be called orphaned: {message}"
            ),
            None => message,
        }
    };
    let kw = PyDict::new(py);
    kw.set_item("page", page)?;
    let (class, message) = match err.root() {
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
        Error::MissingApiKey => (Class::MissingApiKey, err.root().to_string()),
        Error::Closed => (Class::ClientClosed, err.root().to_string()),
        // The binding raises the callback's own exception instead (`py::resources::Raised`); this is the fallback.
        Error::Stopped => return Ok(pyo3::exceptions::PyRuntimeError::new_err(err.root().to_string())),
        Error::Status(s) => {
            let (body, message) = status_body_and_message(py, s)?;
            kw.set_item("body", body)?;
            kw.set_item("status_code", s.status)?;
            kw.set_item("headers", headers_dict(py, &s.headers)?)?;
            kw.set_item("request_id", &s.request_id)?;
            kw.set_item("method", &s.method)?;
            kw.set_item("url", &s.url)?;
            kw.set_item("retries_taken", s.retries_taken)?;
            kw.set_item(
                "rate_limit",
                s.rate_limit.map(|r| rate_limit_to_py(py, &r)).transpose()?,
            )?;
            (Class::for_status(s.status), prefixed(message))
        }
        Error::Timeout { method, url, timeout } => {
            kw.set_item("method", method)?;
            kw.set_item("url", url)?;
            kw.set_item("timeout", timeout.as_secs_f64())?;
            (Class::Timeout, prefixed(err.root().to_string()))
        }
        Error::DeadlineExceeded { method, url, deadline } => {
            kw.set_item("method", method)?;
            kw.set_item("url", url)?;
            kw.set_item("timeout", deadline.as_secs_f64())?;
            (Class::Timeout, prefixed(err.root().to_string()))
        }
        Error::Connection { method, url, .. } => {
            kw.set_item("method", method)?;
            kw.set_item("url", url)?;
            (Class::Connection, prefixed(err.root().to_string()))
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
            (Class::ResponseValidation, prefixed(err.root().to_string()))
        }
        Error::QuotaInsufficient {
            needed,
            remaining,
            reset,
        } => {
            kw.set_item("needed", needed)?;
            kw.set_item("remaining", remaining)?;
            kw.set_item("reset", reset)?;
            kw.set_item("status_code", 429)?;
            kw.set_item("body", py.None())?;
            (Class::RateLimit, prefixed(err.root().to_string()))
        }
        Error::Page { .. } | Error::Source { .. } => unreachable!("Error::root() unwraps pages and source listings"),
    };
    if matches!(class, Class::MissingApiKey | Class::ClientClosed) {
        kw.clear();
    }
    let exc = class.get(py)?.call((message,), Some(&kw))?;
    if let Some((listing, _, scope)) = source {
        exc.setattr("listing", listing)?;
        exc.setattr("scope", scope)?;
    }
    Ok(PyErr::from_value(exc))
}

/// `text` with each of `secrets` redacted by the core's one redactor (decoded escapes, URLs, short secrets where
/// they stand alone): for Python code that prints what it did not get from the client (the CLI's messages).
#[pyfunction]
pub fn _redact(text: &str, secrets: Vec<String>) -> String {
    let mut r = crate::core::config::Redactor::default();
    for s in &secrets {
        r.add(s);
    }
    r.scrub_text(text)
}
