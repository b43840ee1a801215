//! Response models as Python classes with the SDK's names and fields. Each wraps the parsed Rust data; Python
//! values are made when an attribute is read. Reprs, `==`, pickling, `to_dict()`/`to_json()` are shared.

use std::sync::Arc;

use pyo3::exceptions::{PyAttributeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PySet, PyTuple};

use crate::core::models::{Entry, Field, Links, Meta, Pages, Snapshot, SnapshotEnvelope, Str, ToEntry};
use crate::py::convert::{entries_to_dict, entry_to_py, json_to_py, Mode};

pub(crate) const MODULE: &str = "gradientai_rs._core";

/// `to_dict(...)` over entries with the SDK's options.
pub fn to_dict<'py>(
    py: Python<'py>,
    entries: Vec<(&str, Entry<'_>)>,
    declared: &[&str],
    mode: &str,
    exclude_unset: bool,
    exclude_none: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let mode = Mode::parse(mode)?;
    let mut entries = entries;
    if !exclude_unset {
        for (i, name) in declared.iter().enumerate() {
            if !entries.iter().any(|(k, _)| k == name) {
                entries.insert(i.min(entries.len()), (name, Entry::Null));
            }
        }
    }
    if exclude_none {
        entries.retain(|(_, e)| !matches!(e, Entry::Null | Entry::Json(serde_json::Value::Null)));
    }
    entries_to_dict(py, entries, mode)
}

/// `Name(field=repr, ...)` over every declared field, then the extras.
pub fn repr_of(
    obj: &Bound<'_, PyAny>,
    name: &str,
    declared: &[&str],
    extra: &[(String, serde_json::Value)],
) -> PyResult<String> {
    let mut parts = Vec::with_capacity(declared.len() + extra.len());
    for field in declared {
        parts.push(format!("{field}={}", obj.getattr(*field)?.repr()?));
    }
    for (k, v) in extra {
        parts.push(format!("{k}={}", json_to_py(obj.py(), v)?.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

fn extra_attr<'py>(
    py: Python<'py>,
    extra: &[(String, serde_json::Value)],
    name: &str,
    class: &str,
) -> PyResult<Bound<'py, PyAny>> {
    match extra.iter().find(|(k, _)| k == name) {
        Some((_, v)) => json_to_py(py, v),
        None => Err(PyAttributeError::new_err(format!(
            "'{class}' object has no attribute '{name}'"
        ))),
    }
}

fn fields_set<'py>(py: Python<'py>, entries: Vec<(&str, Entry<'_>)>) -> PyResult<Bound<'py, PySet>> {
    PySet::new(py, entries.iter().map(|(k, _)| *k))
}

fn extra_dict<'py>(py: Python<'py>, extra: &[(String, serde_json::Value)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in extra {
        d.set_item(k, json_to_py(py, v)?)?;
    }
    Ok(d)
}

fn field_py<'py>(py: Python<'py>, f: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
    match f.entry() {
        Some(e) => entry_to_py(py, e, Mode::Python),
        None => Ok(py.None().into_bound(py)),
    }
}

static REBUILD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `__reduce__`: `(_core._model_from_json, (class name, verbatim JSON))`.
fn reduce<'py>(py: Python<'py>, class: &str, entry: Entry<'_>) -> PyResult<Bound<'py, PyTuple>> {
    let f = REBUILD.import(py, MODULE, "_model_from_json")?;
    PyTuple::new(
        py,
        [
            f.clone(),
            PyTuple::new(py, [class, &crate::core::models::to_json(entry, None, false)])?.into_any(),
        ],
    )
}

/// Methods every model has. `$entry` turns `&self` into the model's [`Entry`].
macro_rules! model_methods {
    ($ty:ident, $name:literal, [$($field:literal),*], |$s:ident| $entry:expr, |$s2:ident| $extra:expr) => {
        #[pymethods]
        impl $ty {
            const DECLARED: &'static [&'static str] = &[$($field),*];

            #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false, use_api_names = true, exclude_defaults = false, warnings = true))]
            #[allow(unused_variables, clippy::too_many_arguments)] // pydantic's model_dump signature
            fn to_dict<'py>(&self, py: Python<'py>, mode: &str, exclude_unset: bool, exclude_none: bool, use_api_names: bool, exclude_defaults: bool, warnings: bool) -> PyResult<Bound<'py, PyDict>> {
                let $s = self;
                to_dict(py, entries_of($entry), Self::DECLARED, mode, exclude_unset, exclude_none)
            }

            #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false))]
            fn model_dump<'py>(&self, py: Python<'py>, mode: &str, exclude_unset: bool, exclude_none: bool) -> PyResult<Bound<'py, PyDict>> {
                let $s = self;
                to_dict(py, entries_of($entry), Self::DECLARED, mode, exclude_unset, exclude_none)
            }

            #[pyo3(signature = (*, indent = Some(2)))]
            fn to_json(&self, indent: Option<usize>) -> String {
                let $s = self;
                crate::core::models::to_json($entry, indent, true)
            }

            #[pyo3(signature = (*, indent = None))]
            fn model_dump_json(&self, indent: Option<usize>) -> String {
                let $s = self;
                crate::core::models::to_json($entry, indent, true)
            }

            #[getter]
            fn model_fields_set<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
                let $s = self;
                fields_set(py, entries_of($entry))
            }

            #[getter]
            fn model_extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let $s2 = self;
                extra_dict(py, $extra)
            }

            fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
                let $s2 = self;
                extra_attr(py, $extra, name, $name)
            }

            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                let $s2 = slf.get();
                repr_of(slf.as_any(), $name, Self::DECLARED, $extra)
            }

            fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
                Self::__repr__(slf)
            }

            /// Equal when their JSON is (timestamps compared as instants, so `Z` and `+00:00` are equal).
            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<Self>().is_ok_and(|o| {
                    let $s = self;
                    let a = crate::core::models::to_json($entry, None, true);
                    let $s = o.get();
                    a == crate::core::models::to_json($entry, None, true)
                })
            }

            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let $s = self;
                reduce(py, $name, $entry)
            }
        }
    };
}

fn entries_of(e: Entry<'_>) -> Vec<(&str, Entry<'_>)> {
    match e {
        Entry::Meta(m) => m.entries(),
        Entry::Links(l) => l.entries(),
        Entry::Pages(p) => p.entries(),
        Entry::Snapshot(s) => s.entries(),
        _ => Vec::new(),
    }
}

/// Rows of snapshots shared by a page (or a listing) and every `Snapshot` object made from it, with their
/// `created_at` datetimes, made a block at a time on first read (so reading it again gives the same object).
pub struct Rows {
    data: Vec<Snapshot>,
    dates: Vec<PyOnceLock<Py<PyList>>>,
}

const DATE_BLOCK: usize = 256;

impl Rows {
    pub fn new(data: Vec<Snapshot>) -> Arc<Self> {
        let dates = (0..data.len().div_ceil(DATE_BLOCK))
            .map(|_| PyOnceLock::new())
            .collect();
        Arc::new(Self { data, dates })
    }

    fn created_at<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        let block = index / DATE_BLOCK;
        let list = self.dates[block].get_or_try_init(py, || {
            let rows = &self.data[block * DATE_BLOCK..((block + 1) * DATE_BLOCK).min(self.data.len())];
            created_at_block(py, rows).map(Bound::unbind)
        })?;
        list.bind(py).get_item(index % DATE_BLOCK)
    }
}

impl std::ops::Deref for Rows {
    type Target = [Snapshot];
    fn deref(&self) -> &[Snapshot] {
        &self.data
    }
}

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

/// `created_at` of each row: datetimes for the timestamps Python can hold, the value as sent otherwise.
fn created_at_block<'py>(py: Python<'py>, rows: &[Snapshot]) -> PyResult<Bound<'py, PyList>> {
    let items = rows.iter().map(
        |row| match row.created_at.parsed().filter(|t| (1..=9999).contains(&t.year)) {
            Some(t) => crate::py::convert::datetime_to_py(py, &t),
            None => field_py(py, &row.created_at),
        },
    );
    PyList::new(py, items.collect::<PyResult<Vec<_>>>()?)
}

/// One snapshot. Rows share the page's parsed data (`Arc`), so a list of them costs one pointer each.
#[pyclass(frozen, name = "Snapshot", module = "gradientai_rs._core")]
pub struct PySnapshot {
    rows: Arc<Rows>,
    index: usize,
}

impl PySnapshot {
    pub fn new(rows: Arc<Rows>, index: usize) -> Self {
        debug_assert!(index < rows.len());
        Self { rows, index }
    }
    pub fn from_one(s: Snapshot) -> Self {
        Self::new(Rows::new(vec![s]), 0)
    }
    pub fn get(&self) -> &Snapshot {
        &self.rows[self.index]
    }
}

#[pymethods]
impl PySnapshot {
    /// `Snapshot(id=..., name=..., ...)`: builds one from keyword arguments (as pydantic's constructor does).
    #[new]
    #[pyo3(signature = (**data))]
    fn py_new(py: Python<'_>, data: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let value: serde_json::Value = match data {
            Some(d) => {
                // Datetimes (as `to_dict()` gives them) go back to their ISO 8601 text.
                let datetime = py.import("datetime")?.getattr("datetime")?;
                let plain = PyDict::new(py);
                for (k, v) in d.iter() {
                    let v = if v.is_instance(&datetime)? {
                        v.call_method0("isoformat")?
                    } else {
                        v
                    };
                    plain.set_item(k, v)?;
                }
                pythonize::depythonize(plain.as_any()).map_err(|e| PyValueError::new_err(e.to_string()))?
            }
            None => serde_json::Value::Object(Default::default()),
        };
        let text = value.to_string();
        serde_json::from_str::<Snapshot>(&text)
            .map(Self::from_one)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().id)
    }
    #[getter]
    fn name<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().name)
    }
    #[getter]
    fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.rows.created_at(py, self.index)
    }
    #[getter]
    fn regions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().regions)
    }
    #[getter]
    fn resource_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().resource_id)
    }
    #[getter]
    fn resource_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().resource_type)
    }
    #[getter]
    fn min_disk_size<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().min_disk_size)
    }
    #[getter]
    fn size_gigabytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().size_gigabytes)
    }
    #[getter]
    fn tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.get().tags)
    }
}
model_methods!(
    PySnapshot,
    "Snapshot",
    [
        "id",
        "name",
        "created_at",
        "regions",
        "resource_id",
        "resource_type",
        "min_disk_size",
        "size_gigabytes",
        "tags"
    ],
    |s| Entry::Snapshot(s.get()),
    |s| &s.get().extra
);

#[pyclass(frozen, name = "MetaProperties", module = "gradientai_rs._core")]
pub struct PyMetaProperties(pub Meta);

#[pymethods]
impl PyMetaProperties {
    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.0.total)
    }
}
model_methods!(
    PyMetaProperties,
    "MetaProperties",
    ["total"],
    |s| Entry::Meta(&s.0),
    |s| &s.0.extra
);

/// `links.pages`: always has `first`, `prev`, `next` and `last` (each a URL or `None`).
#[pyclass(frozen, name = "Pages", module = "gradientai_rs._core")]
pub struct PyPages(pub Pages);

fn link(py: Python<'_>, f: &Field<Str>) -> PyResult<Py<PyAny>> {
    Ok(field_py(py, f)?.unbind())
}

#[pymethods]
impl PyPages {
    #[getter]
    fn first(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        link(py, &self.0.first)
    }
    #[getter]
    fn prev(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        link(py, &self.0.prev)
    }
    #[getter]
    fn next(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        link(py, &self.0.next)
    }
    #[getter]
    fn last(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        link(py, &self.0.last)
    }
}
model_methods!(
    PyPages,
    "Pages",
    ["first", "prev", "next", "last"],
    |s| Entry::Pages(&s.0),
    |s| &s.0.extra
);

#[pyclass(frozen, name = "PageLinks", module = "gradientai_rs._core")]
pub struct PyPageLinks(pub Links);

#[pymethods]
impl PyPageLinks {
    #[getter]
    fn pages(&self) -> PyPages {
        PyPages(self.0.pages.value().cloned().unwrap_or_default())
    }
}
model_methods!(PyPageLinks, "PageLinks", ["pages"], |s| Entry::Links(&s.0), |s| &s
    .0
    .extra);

/// `GET /v2/snapshots/{id}`: `.snapshot`.
#[pyclass(frozen, name = "SnapshotRetrieveResponse", module = "gradientai_rs._core")]
pub struct PySnapshotRetrieveResponse(pub SnapshotEnvelope);

#[pymethods]
impl PySnapshotRetrieveResponse {
    #[getter]
    fn snapshot(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.0.snapshot.value() {
            Some(s) => Ok(Py::new(py, PySnapshot::from_one(s.clone()))?.into_any()),
            None => Ok(py.None()),
        }
    }
}

impl PySnapshotRetrieveResponse {
    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        self.0.entries()
    }
}

#[pymethods]
impl PySnapshotRetrieveResponse {
    #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false))]
    fn to_dict<'py>(
        &self,
        py: Python<'py>,
        mode: &str,
        exclude_unset: bool,
        exclude_none: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self.entries(), &["snapshot"], mode, exclude_unset, exclude_none)
    }
    #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false))]
    fn model_dump<'py>(
        &self,
        py: Python<'py>,
        mode: &str,
        exclude_unset: bool,
        exclude_none: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.to_dict(py, mode, exclude_unset, exclude_none)
    }
    #[pyo3(signature = (*, indent = Some(2)))]
    fn to_json(&self, indent: Option<usize>) -> String {
        envelope_json(&self.0, indent, true)
    }
    #[pyo3(signature = (*, indent = None))]
    fn model_dump_json(&self, indent: Option<usize>) -> String {
        envelope_json(&self.0, indent, true)
    }
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        extra_attr(py, &self.0.extra, name, "SnapshotRetrieveResponse")
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_of(
            slf.as_any(),
            "SnapshotRetrieveResponse",
            &["snapshot"],
            &slf.get().0.extra,
        )
    }
    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::__repr__(slf)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|o| o.get().0 == self.0)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let f = REBUILD.import(py, MODULE, "_model_from_json")?;
        PyTuple::new(
            py,
            [
                f.clone(),
                PyTuple::new(py, ["SnapshotRetrieveResponse", &envelope_json(&self.0, None, false)])?.into_any(),
            ],
        )
    }
}

/// JSON of an envelope (not an [`Entry`] kind of its own: `{"snapshot": ..., extras}`).
pub fn envelope_json(env: &SnapshotEnvelope, indent: Option<usize>, canonical: bool) -> String {
    let mut map = serde_json::Map::new();
    for (k, e) in env.entries() {
        let text = crate::core::models::to_json(e, None, canonical);
        map.insert(
            k.to_owned(),
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        );
    }
    let v = serde_json::Value::Object(map);
    match indent {
        None => v.to_string(),
        Some(_) => serde_json::to_string_pretty(&v).unwrap_or_default(),
    }
}

/// Rebuilds any model from the JSON its `__reduce__` wrote.
#[pyfunction]
pub fn _model_from_json(py: Python<'_>, kind: &str, data: &str) -> PyResult<Py<PyAny>> {
    let bad = |e: serde_json::Error| PyValueError::new_err(format!("cannot rebuild {kind}: {e}"));
    Ok(match kind {
        "Snapshot" => Py::new(py, PySnapshot::from_one(serde_json::from_str(data).map_err(bad)?))?.into_any(),
        "MetaProperties" => Py::new(py, PyMetaProperties(serde_json::from_str(data).map_err(bad)?))?.into_any(),
        "Pages" => Py::new(py, PyPages(serde_json::from_str(data).map_err(bad)?))?.into_any(),
        "PageLinks" => Py::new(py, PyPageLinks(serde_json::from_str(data).map_err(bad)?))?.into_any(),
        "SnapshotRetrieveResponse" => {
            Py::new(py, PySnapshotRetrieveResponse(serde_json::from_str(data).map_err(bad)?))?.into_any()
        }
        "SnapshotListResponse" => {
            let page = crate::core::models::decode_page(data.as_bytes()).map_err(bad)?;
            Py::new(py, crate::py::pages::PySnapshotListResponse::detached(page))?.into_any()
        }
        other => return Err(PyValueError::new_err(format!("unknown model {other:?}"))),
    })
}

/// A Python list of `Snapshot` objects over shared rows.
pub fn snapshot_list<'py>(py: Python<'py>, rows: &Arc<Rows>) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PySnapshot>> = (0..rows.len())
        .map(|i| Bound::new(py, PySnapshot::new(Arc::clone(rows), i)))
        .collect::<PyResult<_>>()?;
    PyList::new(py, items)
}
