//! Conversions between core values and Python objects, and argument checking for the Python surface.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::core::datetime::UtcDateTime;
use crate::core::models::Entry;
use crate::core::ratelimit::RateLimit;
use crate::core::Error;

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

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// An optional integer argument: `None` → `None`; `bool` and non-integers → `TypeError`; the range check is the
/// core's (`ValueError`). Integers too large for i64 are reported as out of range by `check`.
pub fn opt_int(
    obj: Option<&Bound<'_, PyAny>>,
    param: &'static str,
    allowed: &str,
    check: fn(i64) -> Result<u64, Error>,
) -> PyResult<Option<u64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{param} must be an int, got {} ({})",
            type_name(obj),
            obj.repr()?
        )));
    }
    let Ok(value) = obj.extract::<i64>() else {
        return Err(PyValueError::new_err(format!(
            "{param} must be {allowed}, got {}",
            obj.repr()?
        )));
    };
    check(value).map(Some).map_err(crate::py::errors::to_pyerr)
}

pub fn opt_resource_type(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "resource_type must be a str, 'droplet' or 'volume', got {} ({})",
            type_name(obj),
            obj.repr()?
        )));
    };
    crate::core::snapshots::validate_resource_type(&utf8(s, "resource_type")?)
        .map(Some)
        .map_err(crate::py::errors::to_pyerr)
}

/// A snapshot id: `int` (droplet snapshots) or `str` (volume snapshots).
pub fn snapshot_id(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyBool>() || !(obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyString>()) {
        return Err(PyTypeError::new_err(format!(
            "snapshot_id must be an int or a str, got {}",
            type_name(obj)
        )));
    }
    let id = utf8(&obj.str()?, "snapshot_id")?;
    crate::core::snapshots::validate_snapshot_id(&id).map_err(crate::py::errors::to_pyerr)?;
    Ok(id)
}

/// A value as the SDK puts it in a query string: `True` → `true`, others with `str()`.
fn query_value(v: &Bound<'_, PyAny>, param: &str) -> PyResult<String> {
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
    }
    utf8(&v.str()?, param)
}

/// A str as UTF-8; lone surrogates (`"\ud800"`) can't be sent and are a `ValueError` naming the parameter.
fn utf8(s: &Bound<'_, PyString>, param: &str) -> PyResult<String> {
    s.to_cow().map(|c| c.into_owned()).map_err(|_| {
        PyValueError::new_err(format!(
            "{param} must hold valid Unicode text (no lone surrogates), got {}",
            s.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

/// `extra_query` / `extra_headers` / `default_headers`: a mapping of str to values, `None` values dropped.
pub fn string_pairs(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let Ok(d) = obj.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "{param} must be a dict, got {}",
            type_name(obj)
        )));
    };
    let mut out = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        if v.is_none() {
            continue;
        }
        let key = k
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("{param} keys must be str, got {}", type_name(&k))))?;
        out.push((utf8(key, param)?, query_value(&v, param)?));
    }
    Ok(out)
}

/// A timeout in seconds: a positive number, or `None` for the default of the caller.
pub fn opt_timeout(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Option<std::time::Duration>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{param} must be a number of seconds, got bool"
        )));
    }
    let secs: f64 = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{param} must be a number of seconds, got {}", type_name(obj))))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0 * 365.0) {
        return Err(PyValueError::new_err(format!(
            "{param} must be a positive number of seconds, got {secs}"
        )));
    }
    Ok(Some(std::time::Duration::from_secs_f64(secs)))
}
