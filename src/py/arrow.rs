//! The Arrow PyCapsule stream interface (`__arrow_c_stream__`) over parsed snapshots and summaries.

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, SchemaRef};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::core::arrow::{record_batches_with, schema_with, ExtraColumns};
use crate::core::models::Snapshot;

/// A stream capsule over record batches built (with the GIL released) by `build`.
pub fn batches_capsule<'py>(
    py: Python<'py>,
    schema: SchemaRef,
    build: impl FnOnce() -> Result<Vec<RecordBatch>, ArrowError> + Send,
) -> PyResult<Bound<'py, PyCapsule>> {
    let batches = py.detach(build).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    let stream = FFI_ArrowArrayStream::new(Box::new(reader));
    PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
}

/// The rows `idx` (all when `None`) with the extra columns of `extras` (none: the plain snapshot schema).
pub fn stream_capsule<'py>(
    py: Python<'py>,
    rows: &[Snapshot],
    idx: Option<&[usize]>,
    extras: ExtraColumns<'_>,
) -> PyResult<Bound<'py, PyCapsule>> {
    batches_capsule(py, schema_with(&extras), || record_batches_with(rows, idx, &extras))
}
