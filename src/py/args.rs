//! Arguments coming in from Python: type checks here, range checks in the core (one place for every limit).
//!
//! Every parameter of the API goes through one of these helpers, never through pyo3's own extraction, so the rules
//! are the same everywhere: a wrong type is a `TypeError` naming the parameter and what is allowed; `bool` is never
//! taken for a number (`requests_per_minute=True` is refused, not 1); a number out of range (`2**64` included) is a
//! `ValueError` naming the parameter and the range, never an `OverflowError`; text that can't be UTF-8 (a lone
//! surrogate) is a `ValueError` naming the parameter. Secrets (`api_key`, the other keys, `base_url`, which may
//! carry a token in its query, a doctl context name) are never echoed, and no error keeps a reference to them.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

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

/// A keyword argument that may be left out (its default applies) or given (any object, `None` included, which
/// then means something of its own, e.g. `requests_per_minute=None`: no pacing). Checked by the helpers below.
pub enum Given<'py> {
    Absent,
    Value(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Given<'py> {
    type Error = PyErr;
    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Given::Value(obj.to_owned()))
    }
}

impl<'py> Given<'py> {
    /// The object given, `None` when left out.
    pub fn get(&self) -> Option<&Bound<'py, PyAny>> {
        match self {
            Given::Absent => None,
            Given::Value(v) => Some(v),
        }
    }
}

/// An optional `bool` argument: `True`/`False` only (not `1`, not `"yes"`).
pub fn opt_bool(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Option<bool>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    obj.cast::<PyBool>()
        .map(|b| Some(b.is_true()))
        .map_err(|_| PyTypeError::new_err(format!("{param} must be True or False, got {}", type_name(obj))))
}

/// A secret `str` (`api_key`, `access_token`, the other keys, a doctl context name): a wrong type names only the
/// type, a lone surrogate only its position, and the error holds no reference to the text.
pub fn opt_secret(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Option<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "{param} must be a str, got {} (the value is not shown: it may be a secret)",
            type_name(obj)
        )));
    };
    secret_utf8(s, param).map(Some)
}

/// A str as UTF-8 without ever echoing it (see [`opt_secret`]).
fn secret_utf8(s: &Bound<'_, PyString>, param: &str) -> PyResult<String> {
    // `to_cow` raises a UnicodeEncodeError whose `.object` is the whole text: it is dropped here, not chained.
    s.to_cow().map(|c| c.into_owned()).map_err(|_| {
        PyValueError::new_err(format!(
            "{param} must be valid Unicode text: it holds a lone surrogate (\\ud800-\\udfff), which can't be sent; \
             the value is not shown: it may be a secret"
        ))
    })
}

/// `base_url`: a non-empty `str` (`None` or left out: the environment, else the public API). Never echoed here
/// (its query may carry a token); the core checks the URL and scrubs what it shows.
pub fn opt_base_url(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(url) = opt_secret(obj, "base_url")? else {
        return Ok(None);
    };
    if url.trim().is_empty() {
        return Err(PyValueError::new_err(
            "base_url must not be empty: pass None (or leave it out) for $GRADIENT_BASE_URL, else \
             https://api.digitalocean.com",
        ));
    }
    Ok(Some(url))
}

/// An optional number of seconds (`int` or `float`, never `bool`), range-checked by the core's `check`. An `int`
/// too large for a float is out of every range: the core's `ValueError`, not an `OverflowError`.
pub fn opt_seconds<T>(
    obj: Option<&Bound<'_, PyAny>>,
    param: &'static str,
    check: impl Fn(f64) -> Result<T, Error>,
) -> PyResult<Option<T>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let type_error = || {
        PyTypeError::new_err(format!(
            "{param} must be a number of seconds (int or float), got {}",
            type_name(obj)
        ))
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(type_error());
    }
    let secs = if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        // Only a huge int fails here: as far out of range as infinity.
        obj.extract::<f64>().unwrap_or(f64::INFINITY)
    } else {
        // Other numbers (`decimal.Decimal`, numpy floats) through `__float__`, as the SDK's httpx would.
        obj.extract::<f64>().map_err(|_| type_error())?
    };
    check(secs).map(Some).map_err(to_pyerr)
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
    opt_seconds(obj, param, |secs| limits::timeout(param, secs))
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

// ------------------------------------------------------------------------------------------ selecting and ages

use crate::core::datetime::{self, parse_age_for};
use crate::core::glob::{NamePattern, PyFlags};
use crate::core::models::Str;
use crate::core::retention::RetentionPolicy;
use crate::core::select::Filter;

fn datetime_module<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
    py.import("datetime")
}

/// A `timedelta` in microseconds, exactly (the core's one conversion: `i128`, so `timedelta.max` doesn't wrap).
fn timedelta_micros(td: &Bound<'_, PyAny>) -> PyResult<i128> {
    let days: i64 = td.getattr("days")?.extract()?;
    let seconds: i64 = td.getattr("seconds")?.extract()?;
    let micros: i64 = td.getattr("microseconds")?.extract()?;
    Ok(datetime::duration_micros(days, seconds, micros))
}

/// An aware `datetime` as unix microseconds; a naive one is a `ValueError` naming `param`.
pub fn aware_micros(obj: &Bound<'_, PyAny>, param: &str) -> PyResult<i64> {
    let dt = datetime_module(obj.py())?;
    if !obj.is_instance(&dt.getattr("datetime")?)? {
        return Err(PyTypeError::new_err(format!(
            "{param} must be an aware datetime.datetime, got {}",
            type_name(obj)
        )));
    }
    if obj.call_method0("utcoffset")?.is_none() {
        return Err(PyValueError::new_err(format!(
            "{param} must be an aware datetime (with tzinfo, e.g. datetime.timezone.utc), got a naive one: {}",
            obj.repr()?
        )));
    }
    let utc = dt.getattr("timezone")?.getattr("utc")?;
    let epoch = dt.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
    // Years 1..=9999 are about ±2.5e17 µs from 1970: always within i64.
    let micros = timedelta_micros(&obj.call_method1("__sub__", (epoch,))?)?;
    match i64::try_from(micros) {
        Ok(m) => Ok(m),
        Err(_) => Err(PyValueError::new_err(format!(
            "{param} is out of range: {}",
            obj.repr()?
        ))),
    }
}

/// `now`: an aware `datetime`, or `None` for the current time, in unix microseconds.
pub fn now_micros(obj: Option<&Bound<'_, PyAny>>) -> PyResult<i64> {
    match obj.filter(|o| !o.is_none()) {
        Some(o) => aware_micros(o, "now"),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)),
    }
}

/// A duration: a `timedelta` or a string such as `"30d"`, `"12h"`, `"2w"` (the core's `parse_age`), in
/// microseconds, exactly: a string past `i64` microseconds is an error naming `param`, a `timedelta` is converted
/// without wrapping and its caller decides what a duration that long means (a cutoff before every date, or an
/// error).
pub fn duration_micros(obj: &Bound<'_, PyAny>, param: &'static str) -> PyResult<i128> {
    if let Ok(s) = obj.cast::<PyString>() {
        return parse_age_for(param, &utf8(s, param)?).map(i128::from).map_err(to_pyerr);
    }
    if obj.is_instance(&datetime_module(obj.py())?.getattr("timedelta")?)? {
        return timedelta_micros(obj);
    }
    Err(PyTypeError::new_err(format!(
        "{param} must be a datetime.timedelta or a duration string such as \"30d\", got {}",
        type_name(obj)
    )))
}

/// `older_than` / `newer_than`: an age (`timedelta` or `"30d"`, counted back from `now`) or an aware `datetime`
/// (the cutoff itself), as unix microseconds. An age too long for any date (`timedelta.max`) puts the cutoff
/// before every date: `older_than` then matches nothing, `newer_than` every dated snapshot (`core::datetime::cutoff`).
pub fn cutoff_micros(obj: Option<&Bound<'_, PyAny>>, param: &'static str, now: i64) -> PyResult<Option<i64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance(&datetime_module(obj.py())?.getattr("datetime")?)? {
        return aware_micros(obj, param).map(Some);
    }
    let age = duration_micros(obj, param).map_err(|e| {
        if e.is_instance_of::<PyTypeError>(obj.py()) {
            PyTypeError::new_err(format!(
                "{param} must be a datetime.timedelta, an aware datetime.datetime or a duration string such as \
                 \"30d\", got {}",
                type_name(obj)
            ))
        } else {
            e
        }
    })?;
    Ok(Some(datetime::cutoff(now, age)))
}

/// `name`: a glob (`str`, `fnmatch.fnmatchcase` rules) or a compiled `re.Pattern` (searched, `re.search` rules:
/// `core::python_re` translates it, or refuses it saying why).
pub fn name_pattern(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<NamePattern>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return NamePattern::glob(&utf8(s, "name")?).map(Some).map_err(to_pyerr);
    }
    if !obj.is_instance(&obj.py().import("re")?.getattr("Pattern")?)? {
        return Err(PyTypeError::new_err(format!(
            "name must be a str (a glob such as \"web-*\") or a compiled re.Pattern (a regex), got {}",
            type_name(obj)
        )));
    }
    let source = obj.getattr("pattern")?;
    let Ok(source) = source.cast::<PyString>() else {
        return Err(PyTypeError::new_err(
            "name: a bytes regex can't match snapshot names; compile a str pattern",
        ));
    };
    let flags: i64 = obj.getattr("flags")?.extract()?;
    let text = utf8(source, "name")?;
    let flags = PyFlags::from_bits(flags)
        .map_err(|why| PyValueError::new_err(format!("name: the regex {text:?} is refused: {why}")))?;
    NamePattern::regex(&text, flags).map(Some).map_err(to_pyerr)
}

/// A retention policy from the attributes of `gradientai_rs.RetentionPolicy` (or any object that has them).
pub fn policy_of(obj: &Bound<'_, PyAny>) -> PyResult<RetentionPolicy> {
    let attr = |name: &str| {
        obj.getattr(name).map_err(|_| {
            PyTypeError::new_err(format!(
                "policy must be a gradientai_rs.RetentionPolicy (or have its keep_* attributes), got {}",
                type_name(obj)
            ))
        })
    };
    let count = |param: &'static str| -> PyResult<u32> {
        let v = opt_int(Some(&attr(param)?), param, Ok)?.unwrap_or(0);
        limits::keep_count(param, v).map_err(to_pyerr)
    };
    let within = attr("keep_within")?;
    let policy = RetentionPolicy {
        keep_last: count("keep_last")?,
        keep_hourly: count("keep_hourly")?,
        keep_daily: count("keep_daily")?,
        keep_weekly: count("keep_weekly")?,
        keep_monthly: count("keep_monthly")?,
        keep_yearly: count("keep_yearly")?,
        keep_within: if within.is_none() {
            None
        } else {
            let micros = duration_micros(&within, "keep_within")?;
            Some(limits::keep_within(micros, &within.repr()?.to_string()).map_err(to_pyerr)?)
        },
        keep_tags: str_list(Some(&attr("keep_tags")?), "keep_tags")?,
    };
    policy.validate().map_err(to_pyerr)?;
    Ok(policy)
}

/// `min_size_gb`: a number (not a bool).
fn opt_float(obj: Option<&Bound<'_, PyAny>>, param: &str) -> PyResult<Option<f64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(format!("{param} must be a number, got bool")));
    }
    obj.extract()
        .map(Some)
        .map_err(|_| PyTypeError::new_err(format!("{param} must be a number")))
}

/// `resource_id`: an `int` or a `str`.
fn opt_resource_id(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Str>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyInt>() && !obj.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(Some(Str::from(obj.str()?.to_cow()?.as_ref())));
    }
    opt_str(Some(obj), "resource_id").map(|s| s.map(Str::from))
}

/// The arguments of `select` as Python gave them (`plan_prune` passes its `**select_filters` on as these).
#[derive(Default)]
pub struct SelectArgs<'a, 'py> {
    pub name: Option<&'a Bound<'py, PyAny>>,
    pub tags_any: Option<&'a Bound<'py, PyAny>>,
    pub tags_all: Option<&'a Bound<'py, PyAny>>,
    pub regions: Option<&'a Bound<'py, PyAny>>,
    pub resource_type: Option<&'a Bound<'py, PyAny>>,
    pub resource_id: Option<&'a Bound<'py, PyAny>>,
    pub older_than: Option<&'a Bound<'py, PyAny>>,
    pub newer_than: Option<&'a Bound<'py, PyAny>>,
    pub min_size_gb: Option<&'a Bound<'py, PyAny>>,
}

impl SelectArgs<'_, '_> {
    /// The filters a caller may pass on by name (`resource_type` is a parameter of its own everywhere).
    pub const NAMES: [&'static str; 8] = [
        "name",
        "tags_any",
        "tags_all",
        "regions",
        "resource_id",
        "older_than",
        "newer_than",
        "min_size_gb",
    ];

    /// The core's filter; relative ages count back from `now` (unix micros).
    pub fn filter(&self, now: i64) -> PyResult<Filter> {
        Ok(Filter {
            name: name_pattern(self.name)?,
            tags_any: str_list(self.tags_any, "tags_any")?,
            tags_all: str_list(self.tags_all, "tags_all")?,
            regions: str_list(self.regions, "regions")?,
            resource_type: opt_resource_type(self.resource_type)?.map(Str::from),
            resource_id: opt_resource_id(self.resource_id)?,
            older_than: cutoff_micros(self.older_than, "older_than", now)?,
            newer_than: cutoff_micros(self.newer_than, "newer_than", now)?,
            min_size_gb: opt_float(self.min_size_gb, "min_size_gb")?,
        })
    }
}

/// A list of strings: `None` → empty, one `str` → itself, else an iterable of `str`.
pub fn str_list(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Vec<Str>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![Str::from(utf8(s, param)?)]);
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{param} must be a str or an iterable of str, got {}",
            type_name(obj)
        ))
    })? {
        let item = item?;
        let s = item
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err(format!("{param} items must be str, got {}", type_name(&item))))?;
        out.push(Str::from(utf8(s, param)?));
    }
    Ok(out)
}

/// An optional `str` argument.
pub fn opt_str(obj: Option<&Bound<'_, PyAny>>, param: &'static str) -> PyResult<Option<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let s = obj
        .cast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("{param} must be a str, got {}", type_name(obj))))?;
    utf8(s, param).map(Some)
}

/// A rate in USD per GB-month: a finite number >= 0.
pub fn rate(obj: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(crate::core::cost::DEFAULT_RATE_PER_GB_MONTH);
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("rate_per_gb_month must be a number, got bool"));
    }
    let v: f64 = obj
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("rate_per_gb_month must be a number, got {}", type_name(obj))))?;
    if !v.is_finite() || v < 0.0 {
        return Err(PyValueError::new_err(format!(
            "rate_per_gb_month must be a finite number >= 0, got {v}"
        )));
    }
    Ok(v)
}

/// `orphaned`: `True`, `False` or `None` (not a filter).
pub fn opt_orphaned(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bool>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    obj.cast::<pyo3::types::PyBool>()
        .map(|b| Some(b.is_true()))
        .map_err(|_| PyTypeError::new_err(format!("orphaned must be True, False or None, got {}", type_name(obj))))
}
