//! Arguments coming in from Python: type checks here, range checks in the core (one place for every limit).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};

use std::time::Duration;

use crate::core::limits;
use crate::core::snapshots::{self, CallOptions, ListParams};
use crate::core::Error;
use crate::py::errors::to_pyerr;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// An optional integer argument: `None` → `None`; `bool` and non-integers → `TypeError`; the range check is the
/// core's ([`crate::core::limits`], a `ValueError`). Integers too large for i64 get the core's message too.
pub fn opt_int<T>(
    obj: Option<&Bound<'_, PyAny>>,
    param: &'static str,
    check: fn(i64) -> Result<T, Error>,
) -> PyResult<Option<T>> {
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
    let value = match obj.extract::<i64>() {
        Ok(v) => v,
        // Beyond i64: out of every range; the core words the message.
        Err(_) => return Err(to_pyerr(limits::out_of_range(param, &obj.repr()?.to_string()))),
    };
    check(value).map(Some).map_err(to_pyerr)
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
    snapshots::validate_resource_type(&utf8(s, "resource_type")?)
        .map(Some)
        .map_err(to_pyerr)
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
    snapshots::validate_snapshot_id(&id).map_err(to_pyerr)?;
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

/// A timeout in seconds: a number (not a bool), range-checked by the core; `None` for the caller's default.
pub fn opt_timeout(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Option<Duration>> {
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
    limits::timeout(param, secs).map(Some).map_err(to_pyerr)
}

/// The options every call takes: `extra_headers`, `extra_query`, `timeout`.
pub fn call_options(
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

/// `list()`'s query parameters.
pub fn list_params(
    page: Option<&Bound<'_, PyAny>>,
    per_page: Option<&Bound<'_, PyAny>>,
    resource_type: Option<&Bound<'_, PyAny>>,
) -> PyResult<ListParams> {
    Ok(ListParams {
        page: opt_int(page, "page", limits::page)?,
        per_page: opt_int(per_page, "per_page", limits::per_page)?,
        resource_type: opt_resource_type(resource_type)?,
    })
}
