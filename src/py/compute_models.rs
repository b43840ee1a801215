//! Droplets and volumes as Python models with the SDK's names and attribute types: `Droplet`
//! (`gradient/types/shared/droplet.py`), `Volume` (`gradient/types/gpu_droplets/volume_list_response.py`), `Region`,
//! the one-page answers `GPUDropletListResponse(meta, links, droplets)` and `VolumeListResponse(meta, links,
//! volumes)`, and the `list_all` results `DropletList` / `VolumeList` (sequences with Arrow export). Everything
//! else about them comes from the model protocol (`py::protocol`): one `lenient_model!` declaration per core model
//! (`core::models::compute`) gives the getters, repr, `==`, pickling and `to_dict()`.

use std::sync::Arc;

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCapsule, PyDict, PyList, PySlice, PyTuple};
use serde_json::Value;

use crate::core::arrow::BATCH_ROWS;
use crate::core::arrow_compute::{droplet_batch, droplet_schema, volume_batch, volume_schema};
use crate::core::models::{
    droplet_fields, droplet_page_fields, region_fields, to_json, volume_fields, volume_page_fields, Droplet,
    DropletPage, Entry, Field, HasEntries, Nested, Region, ToEntry, Volume, VolumePage,
};
use crate::core::pagination::Change;
use crate::py::convert::{entries_to_dict, time_to_py, Mode};
use crate::py::models::{PyMetaProperties, PyPageLinks};
use crate::py::protocol::{field_py, leaf_getters, leaf_model, model_protocol, DumpOptions, Leaf, Model, MODULE};
use crate::py::responses::export;

/// `region`: a `Region` model for an object, else the value as sent (`None` when absent).
fn region_py<'py>(py: Python<'py>, f: &Nested<Region>) -> PyResult<Bound<'py, PyAny>> {
    match &f.0 {
        Field::Value(r) => Ok(Bound::new(py, PyRegion(r.clone()))?.into_any()),
        _ => field_py(py, f),
    }
}

/// A droplet's or volume's `region` (`gradient/types/shared/region.py`); `available` and any other key are kept.
#[pyclass(frozen, name = "Region", module = "gradientai_rs._core")]
pub struct PyRegion(pub Region);
leaf_model!(PyRegion(Region), "Region", region_fields);

/// One droplet: `id` is an `int`, `created_at` a `datetime`, `region` a `Region` (as in the SDK).
#[pyclass(frozen, name = "Droplet", module = "gradientai_rs._core")]
pub struct PyDroplet(pub Droplet);

impl Leaf for PyDroplet {
    type Core = Droplet;
    fn core(&self) -> &Droplet {
        &self.0
    }
    fn from_core(core: Droplet) -> Self {
        Self(core)
    }
    /// `created_at` is a `datetime` when it parses; `region` a `Region`.
    fn field<'py>(&self, py: Python<'py>, name: &'static str, value: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
        match (name, &self.0.created_at.0) {
            ("created_at", Field::Value(s)) => time_to_py(py, s, Mode::Python),
            ("region", _) => region_py(py, &self.0.region),
            _ => field_py(py, value),
        }
    }
}
leaf_model!(PyDroplet, "Droplet", droplet_fields);

/// One block storage volume: `id` and `created_at` are `str` (as in the SDK), `droplet_ids` a list of `int`.
#[pyclass(frozen, name = "Volume", module = "gradientai_rs._core")]
pub struct PyVolume(pub Volume);

impl Leaf for PyVolume {
    type Core = Volume;
    fn core(&self) -> &Volume {
        &self.0
    }
    fn from_core(core: Volume) -> Self {
        Self(core)
    }
    /// `region` is a `Region`.
    fn field<'py>(&self, py: Python<'py>, name: &'static str, value: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
        match name {
            "region" => region_py(py, &self.0.region),
            _ => field_py(py, value),
        }
    }
}
leaf_model!(PyVolume, "Volume", volume_fields);

/// A one-page answer (`$page` core type) whose `$items` are `$item` models; `links` is always a `PageLinks` (as on
/// `SnapshotListResponse`), the items always a list, the same object on every access.
macro_rules! page_model {
    ($ty:ident, $name:literal, $page:ty, $items:ident, $item:ident, $fields:ident) => {
        #[pyclass(frozen, name = $name, module = "gradientai_rs._core")]
        pub struct $ty {
            pub(crate) page: $page,
            list: PyOnceLock<Py<PyList>>,
        }

        impl $ty {
            pub fn new(page: $page) -> Self {
                Self {
                    page,
                    list: PyOnceLock::new(),
                }
            }
        }

        impl Leaf for $ty {
            type Core = $page;
            fn core(&self) -> &$page {
                &self.page
            }
            fn from_core(core: $page) -> Self {
                Self::new(core)
            }
            fn field<'py>(
                &self,
                py: Python<'py>,
                name: &'static str,
                _value: &impl ToEntry,
            ) -> PyResult<Bound<'py, PyAny>> {
                match name {
                    "meta" => match self.page.meta.value() {
                        Some(m) => Ok(Bound::new(py, PyMetaProperties(m.clone()))?.into_any()),
                        None => Ok(py.None().into_bound(py)),
                    },
                    "links" => Ok(Bound::new(
                        py,
                        PyPageLinks(self.page.links.value().cloned().unwrap_or_default()),
                    )?
                    .into_any()),
                    _ => {
                        let list = self.list.get_or_try_init(py, || {
                            let items = self
                                .page
                                .$items()
                                .iter()
                                .map(|d| Bound::new(py, $item(d.clone())))
                                .collect::<PyResult<Vec<_>>>()?;
                            PyList::new(py, items).map(Bound::unbind)
                        })?;
                        Ok(list.bind(py).clone().into_any())
                    }
                }
            }
        }
        leaf_model!($ty, $name, $fields);
    };
}
page_model!(
    PyGPUDropletListResponse,
    "GPUDropletListResponse",
    DropletPage,
    droplets,
    PyDroplet,
    droplet_page_fields
);
page_model!(
    PyVolumeListResponse,
    "VolumeListResponse",
    VolumePage,
    volumes,
    PyVolume,
    volume_page_fields
);

/// Everything `list_all` found: a read-only sequence of `$item`, a root model (`to_dict()` is the list of dicts),
/// with `total`, `pages`, `changed` and Arrow export (`$schema`/`$batch`).
macro_rules! item_list {
    ($ty:ident, $name:literal, $core:ty, $item:ident, $noun:literal, $schema:ident, $batch:ident) => {
        #[pyclass(frozen, sequence, name = $name, module = "gradientai_rs._core")]
        pub struct $ty {
            pub(crate) items: Arc<Vec<$core>>,
            total: u64,
            pages: u64,
            changed: Option<Change>,
        }

        impl $ty {
            pub fn new(items: Vec<$core>, total: u64, pages: u64, changed: Option<Change>) -> Self {
                Self {
                    items: Arc::new(items),
                    total,
                    pages,
                    changed,
                }
            }

            fn item(&self, i: usize) -> $item {
                $item(self.items[i].clone())
            }
        }

        impl Model for $ty {
            const NAME: &'static str = $name;
            const FIELDS: &'static [&'static str] = &[];
            fn entries(&self) -> Vec<(&str, Entry<'_>)> {
                Vec::new()
            }
            fn extra(&self) -> &[(String, Value)] {
                &[]
            }
            fn json(&self, indent: Option<usize>, canonical: bool) -> String {
                to_json(Entry::Objects(self.items.as_ref()), indent, canonical)
            }
            fn dump<'py>(&self, py: Python<'py>, opts: DumpOptions<'_>) -> PyResult<Bound<'py, PyAny>> {
                let mode = Mode::parse(opts.mode)?;
                let list = PyList::empty(py);
                for d in self.items.iter() {
                    let mut entries = HasEntries::nested_entries(d);
                    if opts.exclude_none {
                        entries.retain(|(_, e)| !matches!(e, Entry::Null | Entry::Json(Value::Null)));
                    }
                    list.append(entries_to_dict(py, entries, mode)?)?;
                }
                Ok(list.into_any())
            }
            fn reduce<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let f = py.import(MODULE)?.getattr("_model_from_json")?;
                let args = ($name, self.json(None, false)).into_pyobject(py)?;
                PyTuple::new(py, [f, args.into_any()])
            }
            fn repr(&self, obj: &Bound<'_, PyAny>) -> PyResult<String> {
                const SHOWN: usize = 3;
                let py = obj.py();
                let mut parts = Vec::new();
                for i in 0..self.items.len().min(SHOWN) {
                    parts.push(Bound::new(py, self.item(i))?.repr()?.to_string());
                }
                if self.items.len() > SHOWN {
                    parts.push(format!("... {} more", self.items.len() - SHOWN));
                }
                Ok(format!(
                    concat!($name, "(len={}, total={}, [{}])"),
                    self.items.len(),
                    self.total,
                    parts.join(", ")
                ))
            }
        }
        model_protocol!($ty);

        #[pymethods]
        impl $ty {
            /// `meta.total` as the API reported it on the last page.
            #[getter]
            fn total(&self) -> u64 {
                self.total
            }

            /// Pages requested in the successful attempt.
            #[getter]
            fn pages(&self) -> u64 {
                self.pages
            }

            /// `None`, or why the listing may be off (also raised as a `ListingChangedWarning`).
            #[getter]
            fn changed(&self) -> Option<String> {
                self.changed.as_ref().map(|c| c.message_for($noun))
            }

            fn __len__(&self) -> usize {
                self.items.len()
            }

            fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                if let Ok(slice) = key.cast::<PySlice>() {
                    let ind = slice.indices(self.items.len() as isize)?;
                    let list = PyList::empty(py);
                    let mut i = ind.start;
                    for _ in 0..ind.slicelength {
                        list.append(self.item(i as usize))?;
                        i += ind.step;
                    }
                    return Ok(list.into_any().unbind());
                }
                let i: isize = key
                    .extract()
                    .map_err(|_| PyTypeError::new_err(concat!($name, " indices must be integers or slices")))?;
                let n = self.items.len() as isize;
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return Err(PyIndexError::new_err(concat!($name, " index out of range")));
                }
                Ok(Py::new(py, self.item(j as usize))?.into_any())
            }

            fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let items = (0..self.items.len())
                    .map(|i| Bound::new(py, self.item(i)))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, items)?.try_iter().map(Bound::into_any)
            }

            /// Every item as a dict (`mode="json"` for JSON-ready values); the same as `to_dict()`.
            #[pyo3(signature = (*, mode = "python"))]
            fn to_dicts<'py>(&self, py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyAny>> {
                self.dump(
                    py,
                    DumpOptions {
                        mode,
                        exclude_unset: true,
                        exclude_none: false,
                    },
                )
            }

            #[pyo3(signature = (requested_schema = None))]
            fn __arrow_c_stream__<'py>(
                &self,
                py: Python<'py>,
                requested_schema: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyCapsule>> {
                let _ = requested_schema;
                let items = Arc::clone(&self.items);
                crate::py::arrow::batches_capsule(py, $schema(), move || {
                    if items.is_empty() {
                        return Ok(vec![$batch(&[])?]);
                    }
                    items.chunks(BATCH_ROWS).map($batch).collect()
                })
            }

            /// A `pyarrow.Table` (the schema is in docs/finding-waste.md).
            fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_arrow")?.call1((slf,))
            }

            /// A `pandas.DataFrame` through Arrow (`lists="arrow"` or `"python"`, as for snapshots).
            #[pyo3(signature = (**options))]
            fn to_pandas<'py>(
                slf: &Bound<'py, Self>,
                options: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_pandas")?.call((slf,), options)
            }

            fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
                export(slf.py(), "to_polars")?.call1((slf,))
            }
        }
    };
}
item_list!(
    PyDropletList,
    "DropletList",
    Droplet,
    PyDroplet,
    "droplets",
    droplet_schema,
    droplet_batch
);
item_list!(
    PyVolumeList,
    "VolumeList",
    Volume,
    PyVolume,
    "volumes",
    volume_schema,
    volume_batch
);
