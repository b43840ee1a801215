//! The one model protocol. Every Python model class implements [`Model`] (its name, declared fields, entries and
//! extras) and gets the rest from here through [`model_protocol!`]: the pydantic-style repr, `==`, the hash
//! policy, pickling, `to_dict`/`model_dump`, `to_json`/`model_dump_json`, `model_fields_set`, `model_extra` and
//! attribute access to unknown fields.
//!
//! * `==` means: the same class and the same canonical JSON (timestamps compared as instants, so `Z` and
//!   `+00:00` are equal; unknown fields included). Models are mutable-looking pydantic models in the SDK, so they
//!   are unhashable here too.
//! * Pickling writes the JSON as received and rebuilds with `_core._model_from_json(name, json)` (a listing adds
//!   its counts).
//! * `to_json(indent=n)` indents by `n` on every class (default 2, the SDK's); `model_dump_json` is compact.
//!
//! A class over one core model ([`Leaf`]) gets all of that and its getters, one per declared field, from
//! [`leaf_model!`], which reads the core's field list (`core::models::lenient_model!`): no field name is written
//! here or in `models.rs`.

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PySet, PyTuple};
use serde_json::Value;

use crate::core::models::{to_json, Entry, Fields, ToEntry};
use crate::py::convert::{entries_to_dict, entry_to_py, json_to_py, Mode};

pub const MODULE: &str = "gradientai_rs._core";

/// What a Python model class is made of.
pub trait Model {
    /// The Python class name.
    const NAME: &'static str;
    /// The fields the SDK declares, in its order (the repr shows them all, set or not).
    const FIELDS: &'static [&'static str];

    /// The fields as received (absent ones left out), declared order first, then the unknown ones.
    fn entries(&self) -> Vec<(&str, Entry<'_>)>;

    /// Unknown fields, kept as sent.
    fn extra(&self) -> &[(String, Value)];

    /// The whole model as one JSON value. Objects are their entries; a root model (a list) overrides this.
    fn json(&self, indent: Option<usize>, canonical: bool) -> String {
        to_json(Entry::Fields(&self.entries()), indent, canonical)
    }

    /// `to_dict()`: a dict of the fields, or (root models) the root value.
    fn dump<'py>(&self, py: Python<'py>, opts: DumpOptions<'_>) -> PyResult<Bound<'py, PyAny>> {
        let mode = Mode::parse(opts.mode)?;
        let mut entries = self.entries();
        if !opts.exclude_unset {
            for (i, name) in Self::FIELDS.iter().enumerate() {
                if !entries.iter().any(|(k, _)| k == name) {
                    entries.insert(i.min(entries.len()), (name, Entry::Null));
                }
            }
        }
        if opts.exclude_none {
            entries.retain(|(_, e)| !matches!(e, Entry::Null | Entry::Json(Value::Null)));
        }
        entries_to_dict(py, entries, mode).map(Bound::into_any)
    }

    /// `__reduce__`: `(_core._model_from_json, (name, JSON as received))`.
    fn reduce<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let f = REBUILD.import(py, MODULE, "_model_from_json")?;
        PyTuple::new(
            py,
            [
                f.clone(),
                PyTuple::new(py, [Self::NAME, &self.json(None, false)])?.into_any(),
            ],
        )
    }

    /// `Name(field=repr, ...)`: every declared field (read as an attribute), then the unknown ones.
    fn repr(&self, obj: &Bound<'_, PyAny>) -> PyResult<String> {
        let py = obj.py();
        let mut parts = Vec::with_capacity(Self::FIELDS.len() + self.extra().len());
        for field in Self::FIELDS {
            parts.push(format!("{field}={}", obj.getattr(*field)?.repr()?));
        }
        for (k, v) in self.extra() {
            parts.push(format!("{k}={}", json_to_py(py, v)?.repr()?));
        }
        Ok(format!("{}({})", Self::NAME, parts.join(", ")))
    }
}

/// `to_dict()`'s options (pydantic's `model_dump` names).
#[derive(Clone, Copy)]
pub struct DumpOptions<'a> {
    pub mode: &'a str,
    pub exclude_unset: bool,
    pub exclude_none: bool,
}

/// An unknown field read as an attribute, else `AttributeError`.
pub fn extra_attr<'py, M: Model>(py: Python<'py>, m: &M, name: &str) -> PyResult<Bound<'py, PyAny>> {
    match m.extra().iter().find(|(k, _)| k == name) {
        Some((_, v)) => json_to_py(py, v),
        None => Err(PyAttributeError::new_err(format!(
            "'{}' object has no attribute '{name}'",
            M::NAME
        ))),
    }
}

pub fn fields_set<'py, M: Model>(py: Python<'py>, m: &M) -> PyResult<Bound<'py, PySet>> {
    PySet::new(py, m.entries().iter().map(|(k, _)| *k))
}

pub fn extra_dict<'py, M: Model>(py: Python<'py>, m: &M) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in m.extra() {
        d.set_item(k, json_to_py(py, v)?)?;
    }
    Ok(d)
}

pub fn equal<M: Model>(a: &M, b: &M) -> bool {
    a.json(None, true) == b.json(None, true)
}

pub fn unhashable<M: Model>() -> PyErr {
    PyTypeError::new_err(format!("unhashable type: '{}'", M::NAME))
}

static REBUILD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An optional field as a Python value (`None` when absent).
pub fn field_py<'py>(py: Python<'py>, f: &impl crate::core::models::ToEntry) -> PyResult<Bound<'py, PyAny>> {
    match f.entry() {
        Some(e) => entry_to_py(py, e, Mode::Python),
        None => Ok(py.None().into_bound(py)),
    }
}

/// A Python class over one core model: its [`Model`] comes from the core's [`Fields`], and its getters from
/// [`leaf_model!`].
pub trait Leaf {
    type Core: Fields;
    fn core(&self) -> &Self::Core;
    /// The class over a decoded core model (unpickling).
    fn from_core(core: Self::Core) -> Self;

    /// The Python value of the field `name`. By default the field converted as it is (`None` when absent);
    /// a class overrides it for the fields that are richer objects (a cached `datetime`, a nested model).
    fn field<'py>(&self, py: Python<'py>, name: &'static str, value: &impl ToEntry) -> PyResult<Bound<'py, PyAny>> {
        let _ = name;
        field_py(py, value)
    }
}

/// One getter per declared field of the core model, each calling [`Leaf::field`] (used through the core's
/// `<name>_fields!` macro: `snapshot_fields!(leaf_getters!(PySnapshot,))`).
macro_rules! leaf_getters {
    ($py_ty:ty, $core:ident $what:literal { $($field:ident : $fty:ty),* }) => {
        #[pymethods]
        impl $py_ty {
            $(
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let core = $crate::py::protocol::Leaf::core(self);
                    $crate::py::protocol::Leaf::field(self, py, stringify!($field), &core.$field)
                }
            )*
        }
    };
}
pub(crate) use leaf_getters;

/// Everything a class over one core model needs: [`Model`] (name, the core's field list, entries, extras),
/// [`model_protocol!`] and the getters. `leaf_model!(PyX(Core), "X", core_fields)` also writes the [`Leaf`] of a
/// newtype; `leaf_model!(PyX, "X", core_fields)` expects a hand-written one (to override [`Leaf::field`]).
macro_rules! leaf_model {
    ($py_ty:ident($core:ty), $name:literal, $fields:ident) => {
        impl $crate::py::protocol::Leaf for $py_ty {
            type Core = $core;
            fn core(&self) -> &$core {
                &self.0
            }
            fn from_core(core: $core) -> Self {
                Self(core)
            }
        }
        $crate::py::protocol::leaf_model!($py_ty, $name, $fields);
    };
    ($py_ty:ident, $name:literal, $fields:ident) => {
        impl $crate::py::protocol::Model for $py_ty {
            const NAME: &'static str = $name;
            const FIELDS: &'static [&'static str] =
                <<$py_ty as $crate::py::protocol::Leaf>::Core as $crate::core::models::Fields>::FIELDS;
            fn entries(&self) -> Vec<(&str, $crate::core::models::Entry<'_>)> {
                $crate::core::models::Fields::entries($crate::py::protocol::Leaf::core(self))
            }
            fn extra(&self) -> &[(String, serde_json::Value)] {
                $crate::core::models::Fields::extra($crate::py::protocol::Leaf::core(self))
            }
        }
        $crate::py::protocol::model_protocol!($py_ty);
        $fields!(leaf_getters!($py_ty,));
    };
}
pub(crate) use leaf_model;

/// The protocol's Python methods for a `#[pyclass(frozen)]` that implements [`Model`]. Only delegation: the
/// behaviour is in the functions above and the trait's provided methods.
macro_rules! model_protocol {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false, use_api_names = true, exclude_defaults = false, warnings = true))]
            #[allow(unused_variables, clippy::too_many_arguments)] // the SDK's `to_dict` signature
            fn to_dict<'py>(
                &self,
                py: Python<'py>,
                mode: &str,
                exclude_unset: bool,
                exclude_none: bool,
                use_api_names: bool,
                exclude_defaults: bool,
                warnings: bool,
            ) -> PyResult<Bound<'py, PyAny>> {
                $crate::py::protocol::Model::dump(self, py, $crate::py::protocol::DumpOptions { mode, exclude_unset, exclude_none })
            }

            #[pyo3(signature = (*, mode = "python", exclude_unset = true, exclude_none = false))]
            fn model_dump<'py>(&self, py: Python<'py>, mode: &str, exclude_unset: bool, exclude_none: bool) -> PyResult<Bound<'py, PyAny>> {
                $crate::py::protocol::Model::dump(self, py, $crate::py::protocol::DumpOptions { mode, exclude_unset, exclude_none })
            }

            #[pyo3(signature = (*, indent = Some(2)))]
            fn to_json(&self, indent: Option<usize>) -> String {
                $crate::py::protocol::Model::json(self, indent, true)
            }

            #[pyo3(signature = (*, indent = None))]
            fn model_dump_json(&self, indent: Option<usize>) -> String {
                $crate::py::protocol::Model::json(self, indent, true)
            }

            #[getter]
            fn model_fields_set<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PySet>> {
                $crate::py::protocol::fields_set(py, self)
            }

            #[getter]
            fn model_extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
                $crate::py::protocol::extra_dict(py, self)
            }

            fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
                $crate::py::protocol::extra_attr(py, self, name)
            }

            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                $crate::py::protocol::Model::repr(slf.get(), slf.as_any())
            }

            fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
                $crate::py::protocol::Model::repr(slf.get(), slf.as_any())
            }

            /// Same class and same canonical JSON.
            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<Self>().is_ok_and(|o| $crate::py::protocol::equal(self, o.get()))
            }

            fn __hash__(&self) -> PyResult<isize> {
                Err($crate::py::protocol::unhashable::<Self>())
            }

            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
                $crate::py::protocol::Model::reduce(self, py)
            }
        }
    };
}
pub(crate) use model_protocol;
