//! Rebuilding pickled models: `__reduce__` names one of these functions and the JSON as received.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::PyClass;
use serde::de::DeserializeOwned;

use crate::core::models::{decode_page, Droplet, Snapshot, Volume};
use crate::core::pagination::Change;
use crate::core::sources::SourceState;
use crate::py::compute_models::{
    PyDroplet, PyDropletList, PyGPUDropletListResponse, PyRegion, PyVolume, PyVolumeList, PyVolumeListResponse,
};
use crate::py::models::{PyMetaProperties, PyPageLinks, PyPages, PySnapshot, PySnapshotRetrieveResponse};
use crate::py::protocol::{Leaf, Model};
use crate::py::responses::{PySnapshotList, PySnapshotListResponse};
use crate::py::summary::PySummary;

/// A leaf class rebuilt from the JSON of its core model.
fn leaf<T>(py: Python<'_>, data: &str) -> Result<Py<PyAny>, RebuildError>
where
    T: Leaf + PyClass + Into<PyClassInitializer<T>>,
    T::Core: DeserializeOwned,
{
    let core: T::Core = serde_json::from_str(data).map_err(|e| RebuildError::Json(e.to_string()))?;
    Ok(Py::new(py, T::from_core(core)).map_err(RebuildError::Py)?.into_any())
}

enum RebuildError {
    Json(String),
    Py(PyErr),
}

type Rebuild = fn(Python<'_>, &str) -> Result<Py<PyAny>, RebuildError>;

/// Every class over one core model (`leaf_model!`), by its Python name.
macro_rules! leaf_models {
    ($($ty:ty),* $(,)?) => {
        [$((<$ty as Model>::NAME, leaf::<$ty> as Rebuild)),*]
    };
}

/// Rebuilds any model from the JSON its `__reduce__` wrote.
#[pyfunction]
pub fn _model_from_json(py: Python<'_>, kind: &str, data: &str) -> PyResult<Py<PyAny>> {
    let bad = |e: String| PyValueError::new_err(format!("cannot rebuild {kind}: {e}"));
    let leaves = leaf_models![
        PySnapshot,
        PyMetaProperties,
        PyPages,
        PyPageLinks,
        PySnapshotRetrieveResponse,
        PyDroplet,
        PyVolume,
        PyRegion,
        PyGPUDropletListResponse,
        PyVolumeListResponse,
    ];
    if let Some((_, rebuild)) = leaves.iter().find(|(name, _)| *name == kind) {
        return rebuild(py, data).map_err(|e| match e {
            RebuildError::Json(e) => bad(e),
            RebuildError::Py(e) => e,
        });
    }
    Ok(match kind {
        "SnapshotListResponse" => Py::new(
            py,
            PySnapshotListResponse::detached(decode_page(data.as_bytes()).map_err(|e| bad(e.to_string()))?),
        )?
        .into_any(),
        "DropletList" => {
            let items: Vec<Droplet> = serde_json::from_str(data).map_err(|e| bad(e.to_string()))?;
            let n = items.len() as u64;
            Py::new(py, PyDropletList::new(items, n, 0, None))?.into_any()
        }
        "VolumeList" => {
            let items: Vec<Volume> = serde_json::from_str(data).map_err(|e| bad(e.to_string()))?;
            let n = items.len() as u64;
            Py::new(py, PyVolumeList::new(items, n, 0, None))?.into_any()
        }
        "Summary" => Py::new(py, PySummary::from_json(data).map_err(bad)?)?.into_any(),
        other => return Err(PyValueError::new_err(format!("unknown model {other:?}"))),
    })
}

/// Rebuilds a `SnapshotList` with its counts.
#[pyfunction]
#[pyo3(signature = (data, total, pages, changed = None, accounts = None, sources = None))]
pub fn _snapshot_list_from_json(
    data: &str,
    total: u64,
    pages: u64,
    changed: Option<(u64, u64, u64, u32)>,
    accounts: Option<Vec<String>>,
    sources: Option<Vec<String>>,
) -> PyResult<PySnapshotList> {
    let rows: Vec<Snapshot> = serde_json::from_str(data).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let changed = changed.map(|(first_total, last_total, returned, attempts)| Change {
        first_total,
        last_total,
        returned,
        attempts,
    });
    let n = rows.len();
    let mut list = PySnapshotList::new(rows, total, pages, changed);
    if let Some(states) = sources {
        let states = states
            .iter()
            .map(|s| SourceState::parse(s).ok_or_else(|| PyValueError::new_err(format!("unknown source state {s:?}"))))
            .collect::<PyResult<Vec<_>>>()?;
        if states.len() != n {
            return Err(PyValueError::new_err(format!(
                "{} source states for {n} snapshots",
                states.len()
            )));
        }
        list = list.with_sources(states);
    }
    match accounts {
        None => Ok(list),
        Some(a) if a.len() == n => Ok(list.with_accounts(a.into_iter().map(Into::into).collect(), None)),
        Some(a) => Err(PyValueError::new_err(format!("{} accounts for {n} snapshots", a.len()))),
    }
}
