//! The leaf models as Python classes with the SDK's names and fields: `Snapshot`, `MetaProperties`, `Pages`,
//! `PageLinks`, `SnapshotRetrieveResponse`. Each wraps the parsed Rust data; Python values are made when an
//! attribute is read. Their getters, repr, `==`, pickling and `to_dict()` come from the model protocol
//! (`py::protocol::leaf_model!`), which reads each core model's one field list: a new field needs no edit here,
//! and a new model needs its pyclass line and one `leaf_model!` line.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use crate::core::models::{
    links_fields, meta_fields, pages_fields, snapshot_envelope_fields, snapshot_fields, Links, Meta, Pages, Snapshot,
    SnapshotEnvelope, ToEntry,
};
use crate::py::protocol::{field_py, leaf_getters, leaf_model, Leaf};

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
}

impl Leaf for PySnapshot {
    type Core = Snapshot;
    fn core(&self) -> &Snapshot {
        self.get()
    }
    fn from_core(core: Snapshot) -> Self {
        Self::from_one(core)
    }
    /// `created_at` is read from the rows' block of datetimes (made once, so reading it again gives the same
    /// object).
    fn field<'py>(&self, py: Python<'py>, name: &'static str, value: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
        if name == "created_at" {
            self.rows.created_at(py, self.index)
        } else {
            field_py(py, value)
        }
    }
}
leaf_model!(PySnapshot, "Snapshot", snapshot_fields);

#[pyclass(frozen, name = "MetaProperties", module = "gradientai_rs._core")]
pub struct PyMetaProperties(pub Meta);
leaf_model!(PyMetaProperties(Meta), "MetaProperties", meta_fields);

/// `links.pages`: always has `first`, `prev`, `next` and `last` (each a URL or `None`).
#[pyclass(frozen, name = "Pages", module = "gradientai_rs._core")]
pub struct PyPages(pub Pages);
leaf_model!(PyPages(Pages), "Pages", pages_fields);

#[pyclass(frozen, name = "PageLinks", module = "gradientai_rs._core")]
pub struct PyPageLinks(pub Links);

impl Leaf for PyPageLinks {
    type Core = Links;
    fn core(&self) -> &Links {
        &self.0
    }
    fn from_core(core: Links) -> Self {
        Self(core)
    }
    /// `pages` is always a `Pages` (empty when the answer had none).
    fn field<'py>(&self, py: Python<'py>, _name: &'static str, _value: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, PyPages(self.0.pages.value().cloned().unwrap_or_default()))?.into_any())
    }
}
leaf_model!(PyPageLinks, "PageLinks", links_fields);

/// `GET /v2/snapshots/{id}`: `.snapshot`.
#[pyclass(frozen, name = "SnapshotRetrieveResponse", module = "gradientai_rs._core")]
pub struct PySnapshotRetrieveResponse(pub SnapshotEnvelope);

impl Leaf for PySnapshotRetrieveResponse {
    type Core = SnapshotEnvelope;
    fn core(&self) -> &SnapshotEnvelope {
        &self.0
    }
    fn from_core(core: SnapshotEnvelope) -> Self {
        Self(core)
    }
    /// `snapshot` is a `Snapshot`, or `None`.
    fn field<'py>(&self, py: Python<'py>, _name: &'static str, _value: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
        match self.0.snapshot.value() {
            Some(s) => Ok(Bound::new(py, PySnapshot::from_one(s.clone()))?.into_any()),
            None => Ok(py.None().into_bound(py)),
        }
    }
}
leaf_model!(
    PySnapshotRetrieveResponse,
    "SnapshotRetrieveResponse",
    snapshot_envelope_fields
);

/// A Python list of `Snapshot` objects over shared rows.
pub fn snapshot_list<'py>(py: Python<'py>, rows: &Arc<Rows>) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<Bound<'py, PySnapshot>> = (0..rows.len())
        .map(|i| Bound::new(py, PySnapshot::new(Arc::clone(rows), i)))
        .collect::<PyResult<_>>()?;
    PyList::new(py, items)
}
