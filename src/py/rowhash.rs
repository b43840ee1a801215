//! `SnapshotList._row_hashes()`: one stable 64-bit content hash per row (`core::rowhash`), for the scd2 row
//! version column of `gradientai_rs.dlt`. Returned as one `bytes` of little-endian `int64`s that pyarrow wraps
//! without a Python object per row.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::core::models::{to_json, Entry};
use crate::core::rowhash::row_hash;
use crate::py::responses::PySnapshotList;

#[pymethods]
impl PySnapshotList {
    /// The hash of each row of this list, in order, of: its account (the list's own for lists of several
    /// accounts, else `account`), its canonical JSON (every field as received, unknown ones included; timestamps
    /// as RFC 3339 UTC), and `extra` (columns the caller adds, one string per row). Nothing volatile (fetch time,
    /// ages) goes in.
    #[pyo3(signature = (account = None, extra = None))]
    fn _row_hashes<'py>(
        &self,
        py: Python<'py>,
        account: Option<&str>,
        extra: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let idx = self.indices();
        if let Some(e) = &extra {
            if e.len() != idx.len() {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "extra has {} entries for {} rows",
                    e.len(),
                    idx.len()
                )));
            }
        }
        let accounts = self.account_column();
        let mut out = Vec::with_capacity(idx.len() * 8);
        for (i, &row) in idx.iter().enumerate() {
            let json = to_json(Entry::Snapshot(&self.rows[row]), None, true);
            let account = accounts.map_or(account.unwrap_or(""), |a| a[row].as_str());
            let more = extra.as_ref().map_or("", |e| e[i].as_str());
            out.extend_from_slice(&row_hash(&[account.as_bytes(), json.as_bytes(), more.as_bytes()]).to_le_bytes());
        }
        Ok(PyBytes::new(py, &out))
    }
}
