//! The core's vocabularies as `_core` tuples, for the CLI's choices and for `tests/test_vocabulary.py` (which
//! checks the stub's `Literal`s against them): `SORT_FIELDS`, `GROUP_BY_KEYS`, `SUMMARY_KEYS`, `RESOURCE_TYPES`
//! and `SNAPSHOT_FIELDS`. Each is read from where the core declares it (`core::vocabulary`, `lenient_model!`).

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use strum::VariantNames;

use crate::core::cost::SummaryBy;
use crate::core::group::GroupBy;
use crate::core::models::{Fields, Snapshot};
use crate::core::select::SortField;
use crate::core::snapshots::ResourceType;

/// Adds the tuples to the module.
pub fn add_to(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let lists: [(&str, &[&str]); 5] = [
        ("SORT_FIELDS", SortField::VARIANTS),
        ("GROUP_BY_KEYS", GroupBy::VARIANTS),
        ("SUMMARY_KEYS", SummaryBy::VARIANTS),
        ("RESOURCE_TYPES", ResourceType::VARIANTS),
        ("SNAPSHOT_FIELDS", Snapshot::FIELDS),
    ];
    for (name, names) in lists {
        m.add(name, PyTuple::new(py, names)?)?;
    }
    Ok(())
}
