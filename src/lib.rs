//! gradientai-rs: DigitalOcean snapshots for Python with a Rust core.
//!
//! `core` is plain Rust (no pyo3); `py` is the binding layer; this file only declares the Python module.

pub mod core;
#[cfg(feature = "python")]
mod py;

#[cfg(feature = "python")]
#[pyo3::pymodule(gil_used = false)]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::py::accounts::_doctl_contexts;
    #[pymodule_export]
    use crate::py::calls::PyAPIResponse;
    #[pymodule_export]
    use crate::py::client::{PyAsyncGradientAI, PyGradientAI};
    #[pymodule_export]
    use crate::py::compute_models::{
        PyDroplet, PyDropletList, PyGPUDropletListResponse, PyRegion, PyVolume, PyVolumeList, PyVolumeListResponse,
    };
    #[pymodule_export]
    use crate::py::droplets::{PyAsyncGpuDroplets, PyAsyncVolumesResource, PyGpuDroplets, PyVolumesResource};
    #[pymodule_export]
    use crate::py::errors::_redact;
    #[pymodule_export]
    use crate::py::iterators::{AsyncPageIterator, AsyncSnapshotIterator, PageIterator, SnapshotIterator};
    #[pymodule_export]
    use crate::py::logging::_reset_logging;
    #[pymodule_export]
    use crate::py::models::{PyMetaProperties, PyPageLinks, PyPages, PySnapshot, PySnapshotRetrieveResponse};
    #[pymodule_export]
    use crate::py::plan::{_validate_policy, PyAsyncPrunePlan, PyPrunePlan, PyPruneResult};
    #[pymodule_export]
    use crate::py::resources::{
        PyAsyncSnapshotsResource, PyAsyncSnapshotsWithRawResponse, PySnapshotsResource, PySnapshotsWithRawResponse,
    };
    #[pymodule_export]
    use crate::py::responses::{PySnapshotList, PySnapshotListResponse};
    #[pymodule_export]
    use crate::py::summary::PySummary;
    #[pymodule_export]
    use crate::py::unpickle::{_model_from_json, _snapshot_list_from_json};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add(
            "DEFAULT_MAX_CONCURRENCY",
            crate::core::pagination::DEFAULT_MAX_CONCURRENCY,
        )?;
        m.add("DEBUG_BUILD", cfg!(debug_assertions))?;
        m.add(
            "DEFAULT_RATE_PER_GB_MONTH",
            crate::core::cost::DEFAULT_RATE_PER_GB_MONTH,
        )?;
        crate::py::vocabulary::add_to(m)?;
        crate::py::logging::install(m.py())?;
        crate::py::runtime::install_hooks(m)
    }
}
