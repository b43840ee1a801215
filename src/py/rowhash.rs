//! `_row_hashes(account)` on `SnapshotList`, `DropletList` and `VolumeList`: one stable 64-bit content hash per
//! row (`core::rowhash`), for the scd2 row version column of `gradientai_rs.dlt`. Returned as one `bytes` of
//! little-endian `int64`s that pyarrow wraps without a Python object per row.
//!
//! A row's hash covers its account, its canonical JSON (every field as received, unknown ones included;
//! timestamps as RFC 3339 UTC) and, for snapshots listed `with_sources=True`, its source state (a snapshot whose
//! droplet is destroyed is a new version: "orphaned since"). Nothing volatile (fetch time, ages) goes in.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::core::models::{to_json, Entry, Fields};
use crate::core::rowhash::row_hash;
use crate::py::compute_models::{PyDropletList, PyVolumeList};
use crate::py::responses::PySnapshotList;

/// One little-endian `int64` per row, from `(account, canonical JSON, source state)`.
fn hashes<'py, 'a>(
    py: Python<'py>,
    rows: impl ExactSizeIterator<Item = (&'a str, String, &'a str)>,
) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(rows.len() * 8);
    for (account, json, state) in rows {
        out.extend_from_slice(&row_hash(&[account.as_bytes(), json.as_bytes(), state.as_bytes()]).to_le_bytes());
    }
    PyBytes::new(py, &out)
}

#[pymethods]
impl PySnapshotList {
    /// The hash of each row of this list, in order; `account` is used for lists of one account (a list of
    /// several accounts hashes each row's own).
    #[pyo3(signature = (account = None))]
    fn _row_hashes<'py>(&self, py: Python<'py>, account: Option<&str>) -> Bound<'py, PyBytes> {
        let accounts = self.account_column();
        let sources = self.source_column();
        let idx = self.indices();
        let rows = idx.iter().map(|&row| {
            (
                accounts.map_or(account.unwrap_or(""), |a| a[row].as_str()),
                to_json(Entry::Snapshot(&self.rows[row]), None, true),
                sources.map_or("", |s| s[row].as_str()),
            )
        });
        hashes(py, rows)
    }
}

macro_rules! item_row_hashes {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// The hash of each item of this list, in order, with `account`.
            #[pyo3(signature = (account = None))]
            fn _row_hashes<'py>(&self, py: Python<'py>, account: Option<&str>) -> Bound<'py, PyBytes> {
                let account = account.unwrap_or("");
                let rows = self
                    .items
                    .iter()
                    .map(|item| (account, to_json(Entry::Fields(&item.entries()), None, true), ""));
                hashes(py, rows)
            }
        }
    };
}
item_row_hashes!(PyDropletList);
item_row_hashes!(PyVolumeList);
