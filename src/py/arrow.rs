//! The Arrow PyCapsule stream interface (`__arrow_c_stream__`) over parsed snapshots.

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::RecordBatchIterator;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::core::arrow::{record_batches, schema};
use crate::core::models::Snapshot;

pub fn stream_capsule<'py>(py: Python<'py>, rows: &[Snapshot]) -> PyResult<Bound<'py, PyCapsule>> {
    let batches = py
        .detach(|| record_batches(rows))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema());
    let stream = FFI_ArrowArrayStream::new(Box::new(reader));
    PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
}
