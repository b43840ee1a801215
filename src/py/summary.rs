//! `Summary`: count, GB and USD/month per group (`SnapshotList.summary`), a small table with Arrow export, an HTML
//! repr and the model protocol.

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList, PyTuple};
use serde_json::Value;

use crate::core::arrow::{summary_record_batch, summary_schema};
use crate::core::cost::SummaryRow;
use crate::core::models::Entry;
use crate::py::protocol::{model_protocol, Model};
use crate::py::responses::export;

/// Count, GB and USD/month per group (`SnapshotList.summary`): a small table, with Arrow export and an HTML repr.
#[pyclass(frozen, sequence, name = "Summary", module = "gradientai_rs._core")]
pub struct PySummary {
    by: String,
    rate: f64,
    rows: Vec<SummaryRow>,
    /// `rows` as JSON (for the model protocol).
    json_rows: Value,
}

impl PySummary {
    pub fn new(by: String, rate: f64, rows: Vec<SummaryRow>) -> Self {
        // Plain numbers and strings: serialising them can't fail.
        let json_rows = serde_json::to_value(&rows).unwrap_or_default();
        Self {
            by,
            rate,
            rows,
            json_rows,
        }
    }

    /// Rebuilds a pickled summary from its `to_json()`.
    pub fn from_json(data: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Pickled {
            by: String,
            rate_per_gb_month: f64,
            rows: Vec<SummaryRow>,
        }
        let p: Pickled = serde_json::from_str(data).map_err(|e| e.to_string())?;
        Ok(Self::new(p.by, p.rate_per_gb_month, p.rows))
    }

    fn row<'py>(&self, py: Python<'py>, r: &SummaryRow) -> PyResult<Bound<'py, PyTuple>> {
        (r.group.as_str(), r.count, r.size_gigabytes, r.monthly_cost_usd).into_pyobject(py)
    }
}

impl Model for PySummary {
    const NAME: &'static str = "Summary";
    const FIELDS: &'static [&'static str] = &["by", "rate_per_gb_month", "rows"];

    fn entries(&self) -> Vec<(&str, Entry<'_>)> {
        vec![
            ("by", Entry::Str(&self.by)),
            ("rate_per_gb_month", Entry::Float(self.rate)),
            ("rows", Entry::Json(&self.json_rows)),
        ]
    }

    fn extra(&self) -> &[(String, Value)] {
        &[]
    }

    /// `Summary(by='region', groups=3, count=45, size_gigabytes=..., monthly_cost_usd=...)`.
    fn repr(&self, _obj: &Bound<'_, PyAny>) -> PyResult<String> {
        let count: u64 = self.rows.iter().map(|r| r.count).sum();
        let size: f64 = self.rows.iter().map(|r| r.size_gigabytes).sum();
        let usd: f64 = self.rows.iter().map(|r| r.monthly_cost_usd).sum();
        Ok(format!(
            "Summary(by={:?}, groups={}, count={count}, size_gigabytes={size:.2}, monthly_cost_usd={usd:.2})",
            self.by,
            self.rows.len()
        ))
    }
}
model_protocol!(PySummary);

#[pymethods]
impl PySummary {
    #[getter]
    fn by(&self) -> &str {
        &self.by
    }

    #[getter]
    fn rate_per_gb_month(&self) -> f64 {
        self.rate
    }

    /// `(group, count, size_gigabytes, monthly_cost_usd)` per group, the most expensive first.
    #[getter]
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(
            py,
            self.rows
                .iter()
                .map(|r| self.row(py, r))
                .collect::<PyResult<Vec<_>>>()?,
        )
    }

    /// One dict per group: `group`, `count`, `size_gigabytes`, `monthly_cost_usd`.
    fn to_dicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::py::convert::json_to_py(py, &self.json_rows)
    }

    fn __len__(&self) -> usize {
        self.rows.len()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyTuple>> {
        let n = self.rows.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(PyIndexError::new_err("Summary index out of range"));
        }
        self.row(py, &self.rows[j as usize])
    }

    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        crate::py::arrow::batches_capsule(py, summary_schema(), || Ok(vec![summary_record_batch(&self.rows)?]))
    }

    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        export(slf.py(), "to_arrow")?.call1((slf,))
    }

    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        export(slf.py(), "to_arrow")?.call1((slf,))?.call_method0("to_pandas")
    }

    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        export(slf.py(), "to_polars")?.call1((slf,))
    }

    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        export(slf.py(), "summary_html")?.call1((slf,))?.extract()
    }
}
