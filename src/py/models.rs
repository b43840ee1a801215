//! The leaf models as Python classes with the SDK's names and fields: `Snapshot`, `MetaProperties`, `Pages`,
//! `PageLinks`, `SnapshotRetrieveResponse`. Each wraps the parsed Rust data; Python values are made when an
//! attribute is read. Everything else about them comes from the model protocol (`py::model`).

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::core::models::{Entry, Field, Links, Meta, Pages, Snapshot, SnapshotEnvelope, Str};
use crate::py::model::{field_py, model_protocol, Model};

/// [`Model`] for a `PyX(pub CoreStruct)` newtype whose core struct lists its own entries and extras.
macro_rules! leaf_model {
    ($ty:ty, $name:literal, [$($field:literal),*]) => {
        impl Model for $ty {
            const NAME: &'static str = $name;
            const FIELDS: &'static [&'static str] = &[$($field),*];
            fn entries(&self) -> Vec<(&str, Entry<'_>)> {
                self.0.entries()
            }
            fn extra(&self) -> &[(String, Value)] {
                &self.0.extra
            }
        }
        model_protocol!($ty);
    };
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
impl Model for PySnapshot {
    const NAME: &'static str = "Snapshot";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "created_at",
        "regions",
        "resource_id",
        "resource_type",
        "min_disk_size",
        "size_gigabytes",
        "tags",
    ];
    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        self.get().entries()
    }
    fn extra(&self) -> &[(String, Value)] {
        &self.get().extra
    }
}
model_protocol!(PySnapshot);

#[pyclass(frozen, name = "MetaProperties", module = "gradientai_rs._core")]
pub struct PyMetaProperties(pub Meta);

#[pymethods]
impl PyMetaProperties {
    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        field_py(py, &self.0.total)
    }
}
leaf_model!(PyMetaProperties, "MetaProperties", ["total"]);

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
leaf_model!(PyPages, "Pages", ["first", "prev", "next", "last"]);

#[pyclass(frozen, name = "PageLinks", module = "gradientai_rs._core")]
pub struct PyPageLinks(pub Links);

#[pymethods]
impl PyPageLinks {
    #[getter]
    fn pages(&self) -> PyPages {
        PyPages(self.0.pages.value().cloned().unwrap_or_default())
    }
}
leaf_model!(PyPageLinks, "PageLinks", ["pages"]);

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

leaf_model!(PySnapshotRetrieveResponse, "SnapshotRetrieveResponse", ["snapshot"]);

/// A Python list of `Snapshot` objects over shared rows.
pub fn snapshot_list<'py>(py: Python<'py>, rows: &Arc<Rows>) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PySnapshot>> = (0..rows.len())
        .map(|i| Bound::new(py, PySnapshot::new(Arc::clone(rows), i)))
        .collect::<PyResult<_>>()?;
    PyList::new(py, items)
}
