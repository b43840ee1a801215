//! Core values as Python objects (the way out). Arguments coming in are checked in `args`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFloat, PyList, PyString};

use crate::core::datetime::UtcDateTime;
use crate::core::models::{Entry, Fields};
use crate::core::ratelimit::RateLimit;

static FROMISOFORMAT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static RATE_LIMIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `to_dict()` modes: Python objects, or JSON-compatible values (timestamps as RFC 3339 strings).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Python,
    Json,
}

impl Mode {
    pub fn parse(mode: &str) -> PyResult<Self> {
        match mode {
            "python" => Ok(Mode::Python),
            "json" => Ok(Mode::Json),
            other => Err(PyValueError::new_err(format!(
                "mode must be 'python' or 'json', got {other:?}"
            ))),
        }
    }
}

/// An aware UTC `datetime`: through the datetime C API when it checks out, else `datetime.fromisoformat` on one
/// string (the cheapest Python call, about half the cost of the 8-argument constructor).
pub fn datetime_to_py<'py>(py: Python<'py>, t: &UtcDateTime) -> PyResult<Bound<'py, PyAny>> {
    if let Some(made) = crate::py::datetime_capi::utc_datetime(py, t) {
        return made;
    }
    let fromisoformat = FROMISOFORMAT.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("datetime")?
            .getattr("datetime")?
            .getattr("fromisoformat")?
            .unbind())
    })?;
    fromisoformat.bind(py).call1((t.format("+00:00"),))
}

/// A timestamp field: an aware UTC `datetime` when it parses, else the string as sent.
pub fn time_to_py<'py>(py: Python<'py>, raw: &str, mode: Mode) -> PyResult<Bound<'py, PyAny>> {
    // Python's datetime covers years 1..=9999; anything else stays the string sent.
    match (UtcDateTime::parse(raw).filter(|t| (1..=9999).contains(&t.year)), mode) {
        (Some(t), Mode::Python) => datetime_to_py(py, &t),
        (Some(t), Mode::Json) => Ok(PyString::new(py, &t.to_rfc3339()).into_any()),
        (None, _) => Ok(PyString::new(py, raw).into_any()),
    }
}

pub fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// One field as a Python value. Nested models become dicts (this is the `to_dict()` path).
pub fn entry_to_py<'py>(py: Python<'py>, e: Entry<'_>, mode: Mode) -> PyResult<Bound<'py, PyAny>> {
    Ok(match e {
        Entry::Null => py.None().into_bound(py),
        Entry::Str(s) => PyString::new(py, s).into_any(),
        Entry::Time(s) => time_to_py(py, s, mode)?,
        Entry::Int(i) => i.into_pyobject(py)?.into_any(),
        Entry::Float(f) => PyFloat::new(py, f).into_any(),
        Entry::StrList(items) => PyList::new(py, items.iter().map(|s| s.as_str()))?.into_any(),
        Entry::Json(v) => json_to_py(py, v)?,
        Entry::Meta(m) => entries_to_dict(py, m.entries(), mode)?.into_any(),
        Entry::Links(l) => entries_to_dict(py, l.entries(), mode)?.into_any(),
        Entry::Pages(p) => entries_to_dict(py, p.entries(), mode)?.into_any(),
        Entry::Snapshot(s) => entries_to_dict(py, s.entries(), mode)?.into_any(),
        Entry::Snapshots(items) => {
            let list = PyList::empty(py);
            for s in items {
                list.append(entries_to_dict(py, s.entries(), mode)?)?;
            }
            list.into_any()
        }
        Entry::Fields(fields) => entries_to_dict(py, fields.to_vec(), mode)?.into_any(),
        Entry::IntList(items) => PyList::new(py, items)?.into_any(),
        Entry::Object(o) => entries_to_dict(py, o.nested_entries(), mode)?.into_any(),
        Entry::Objects(items) => {
            let list = PyList::empty(py);
            for o in items.items() {
                list.append(entries_to_dict(py, o.nested_entries(), mode)?)?;
            }
            list.into_any()
        }
    })
}

pub fn entries_to_dict<'py>(
    py: Python<'py>,
    entries: Vec<(&str, Entry<'_>)>,
    mode: Mode,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in entries {
        d.set_item(k, entry_to_py(py, v, mode)?)?;
    }
    Ok(d)
}

pub fn rate_limit_to_py<'py>(py: Python<'py>, r: &RateLimit) -> PyResult<Bound<'py, PyAny>> {
    RATE_LIMIT
        .import(py, "gradientai_rs._types", "RateLimit")?
        .call1((r.limit, r.remaining, r.reset))
}
