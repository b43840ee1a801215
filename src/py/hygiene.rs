//! Choosing, pricing and planning over a `SnapshotList`, in Rust over the parsed rows (no Python object per row):
//! `select`, `most_recent`, `sort_by`, `monthly_cost`, `summary` (a `Summary` table), the rows of a retention plan
//! (`_plan`, wrapped by `gradientai_rs._hygiene.PrunePlan`), and the multi-account helpers (`accounts`,
//! `account_of`, `errors`, `_merge`).

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyTuple};
use serde_json::Value;

use crate::core::arrow::{summary_record_batch, summary_schema};
use crate::core::cost::{self, SummaryBy, SummaryRow};
use crate::core::limits;
use crate::core::models::{Entry, Snapshot, Str};
use crate::core::retention::{self, RetentionPolicy};
use crate::core::select::{self, Filter, GroupBy, SortField};
use crate::core::sources::SourceState;
use crate::py::args::{
    cutoff_micros, duration_micros, name_pattern, now_micros, opt_int, opt_resource_type, opt_str, rate, str_list,
};
use crate::py::errors::to_pyerr;
use crate::py::protocol::{model_protocol, Model};
use crate::py::responses::{export, PySnapshotList, NO_SOURCES};

/// A retention policy from the attributes of `gradientai_rs.RetentionPolicy` (or any object that has them).
pub fn policy_of(obj: &Bound<'_, PyAny>) -> PyResult<RetentionPolicy> {
    let count = |param: &'static str| -> PyResult<u32> {
        let v = opt_int(Some(&obj.getattr(param)?), param, Ok)?.unwrap_or(0);
        limits::keep_count(param, v).map_err(to_pyerr)
    };
    let within = obj.getattr("keep_within")?;
    let policy = RetentionPolicy {
        keep_last: count("keep_last")?,
        keep_hourly: count("keep_hourly")?,
        keep_daily: count("keep_daily")?,
        keep_weekly: count("keep_weekly")?,
        keep_monthly: count("keep_monthly")?,
        keep_yearly: count("keep_yearly")?,
        keep_within: if within.is_none() {
            None
        } else {
            Some(duration_micros(&within, "keep_within")?)
        },
        keep_tags: str_list(Some(&obj.getattr("keep_tags")?), "keep_tags")?,
    };
    policy.validate().map_err(to_pyerr)?;
    Ok(policy)
}

/// Checks a `RetentionPolicy` (a policy that keeps nothing is a `ValueError`).
#[pyfunction]
pub fn _validate_policy(policy: &Bound<'_, PyAny>) -> PyResult<()> {
    policy_of(policy).map(drop)
}

/// `min_size_gb`: a number (not a bool).
fn opt_float(obj: Option<&Bound<'_, PyAny>>, param: &str) -> PyResult<Option<f64>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(format!("{param} must be a number, got bool")));
    }
    obj.extract()
        .map(Some)
        .map_err(|_| PyTypeError::new_err(format!("{param} must be a number")))
}

/// `resource_id`: an `int` or a `str`.
fn opt_resource_id(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Str>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyInt>() && !obj.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(Some(Str::from(obj.str()?.to_cow()?.as_ref())));
    }
    opt_str(Some(obj), "resource_id").map(|s| s.map(Str::from))
}

/// The arguments of `select` as Python gave them.
#[derive(Default)]
pub struct SelectArgs<'a, 'py> {
    pub name: Option<&'a Bound<'py, PyAny>>,
    pub tags_any: Option<&'a Bound<'py, PyAny>>,
    pub tags_all: Option<&'a Bound<'py, PyAny>>,
    pub regions: Option<&'a Bound<'py, PyAny>>,
    pub resource_type: Option<&'a Bound<'py, PyAny>>,
    pub resource_id: Option<&'a Bound<'py, PyAny>>,
    pub older_than: Option<&'a Bound<'py, PyAny>>,
    pub newer_than: Option<&'a Bound<'py, PyAny>>,
    pub min_size_gb: Option<&'a Bound<'py, PyAny>>,
}

impl SelectArgs<'_, '_> {
    /// The core's filter; relative ages count back from `now` (unix micros).
    pub fn filter(&self, now: i64) -> PyResult<Filter> {
        Ok(Filter {
            name: name_pattern(self.name)?,
            tags_any: str_list(self.tags_any, "tags_any")?,
            tags_all: str_list(self.tags_all, "tags_all")?,
            regions: str_list(self.regions, "regions")?,
            resource_type: opt_resource_type(self.resource_type)?.map(Str::from),
            resource_id: opt_resource_id(self.resource_id)?,
            older_than: cutoff_micros(self.older_than, "older_than", now)?,
            newer_than: cutoff_micros(self.newer_than, "newer_than", now)?,
            min_size_gb: opt_float(self.min_size_gb, "min_size_gb")?,
        })
    }
}

impl PySnapshotList {
    /// A selection of this list's rows (`choose` gets the shared rows and this list's indices into them), made
    /// with the GIL released.
    fn pick(&self, py: Python<'_>, choose: impl FnOnce(&[Snapshot], &[usize]) -> Vec<usize> + Send) -> PySnapshotList {
        py.detach(|| self.subset(choose(&self.rows, &self.indices())))
    }
}

#[pymethods]
impl PySnapshotList {
    /// The snapshots that pass every filter given, as a new `SnapshotList` (in this list's order). `orphaned=True`:
    /// only those whose source is gone; `False`: the others (source exists or unknown); it needs a listing made with
    /// `with_sources=True`.
    #[pyo3(signature = (*, name = None, tags_any = None, tags_all = None, regions = None, resource_type = None,
        resource_id = None, older_than = None, newer_than = None, min_size_gb = None, now = None, orphaned = None))]
    #[allow(clippy::too_many_arguments)] // keyword arguments of the Python API
    fn select<'py>(
        &self,
        py: Python<'py>,
        name: Option<&Bound<'py, PyAny>>,
        tags_any: Option<&Bound<'py, PyAny>>,
        tags_all: Option<&Bound<'py, PyAny>>,
        regions: Option<&Bound<'py, PyAny>>,
        resource_type: Option<&Bound<'py, PyAny>>,
        resource_id: Option<&Bound<'py, PyAny>>,
        older_than: Option<&Bound<'py, PyAny>>,
        newer_than: Option<&Bound<'py, PyAny>>,
        min_size_gb: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
        orphaned: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<PySnapshotList> {
        let orphaned = match orphaned.filter(|o| !o.is_none()) {
            None => None,
            Some(o) => {
                let Ok(b) = o.cast::<pyo3::types::PyBool>() else {
                    return Err(PyTypeError::new_err(format!(
                        "orphaned must be True, False or None, got {}",
                        o.get_type().name()?
                    )));
                };
                let states = self
                    .source_column()
                    .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(NO_SOURCES))?;
                Some((b.is_true(), states))
            }
        };
        let args = SelectArgs {
            name,
            tags_any,
            tags_all,
            regions,
            resource_type,
            resource_id,
            older_than,
            newer_than,
            min_size_gb,
        };
        let filter = args.filter(now_micros(now)?)?;
        Ok(self.pick(py, |rows, idx| {
            let chosen = select::select_in(rows, idx, &filter);
            match orphaned {
                None => chosen,
                Some((want, states)) => chosen
                    .into_iter()
                    .filter(|&i| (states[i] == SourceState::Gone) == want)
                    .collect(),
            }
        }))
    }

    /// The newest snapshot of each group (`resource_id`, `resource_type`, `region`, `tag`, `name` or `none`).
    #[pyo3(signature = (group_by = "resource_id"))]
    fn most_recent(&self, py: Python<'_>, group_by: &str) -> PyResult<PySnapshotList> {
        let by = GroupBy::parse("group_by", group_by).map_err(to_pyerr)?;
        Ok(self.pick(py, |rows, idx| select::most_recent_in(rows, idx, by)))
    }

    /// A sorted copy (stable; rows without the field last).
    #[pyo3(signature = (field, reverse = false))]
    fn sort_by(&self, py: Python<'_>, field: &str, reverse: bool) -> PyResult<PySnapshotList> {
        let f = SortField::parse("field", field).map_err(to_pyerr)?;
        Ok(self.pick(py, |rows, idx| select::sort_in(rows, idx, f, reverse)))
    }

    /// What these snapshots cost per month: `size_gigabytes × rate_per_gb_month`, summed (USD).
    #[pyo3(signature = (rate_per_gb_month = None))]
    fn monthly_cost(&self, rate_per_gb_month: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
        // `+ 0.0`: an empty sum is -0.0.
        Ok(cost::monthly_cost(&self.rows, &self.indices(), rate(rate_per_gb_month)?) + 0.0)
    }

    /// `size_gigabytes` summed.
    #[getter]
    fn size_gigabytes(&self) -> f64 {
        cost::total_size(&self.rows, &self.indices()) + 0.0
    }

    /// Count, GB and USD/month per group: `by` is `resource_type`, `region`, `resource_id`, `tag`, `age` (buckets
    /// at `now`), `source` (`exists`/`gone`/`unknown`, for listings made with `with_sources=True`) or, for lists of
    /// several accounts, `account`.
    #[pyo3(signature = (by = "resource_type", *, rate_per_gb_month = None, now = None))]
    fn summary(
        &self,
        by: &str,
        rate_per_gb_month: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySummary> {
        let rate = rate(rate_per_gb_month)?;
        let kind = SummaryBy::parse("by", by).map_err(to_pyerr)?;
        let now = match kind {
            SummaryBy::Account | SummaryBy::Source => 0,
            _ => now_micros(now)?,
        };
        let rows = cost::summary(
            &self.rows,
            &self.indices(),
            kind,
            rate,
            now,
            self.account_column(),
            self.source_column(),
        )
        .map_err(to_pyerr)?;
        Ok(PySummary::new(by.to_owned(), rate, rows))
    }

    /// The source state of each row (`"exists"`, `"gone"` or `"unknown"`) for listings made with
    /// `with_sources=True`, else `None`.
    #[getter]
    fn source_states(&self) -> Option<Vec<&'static str>> {
        self.source_column()
            .map(|s| self.indices().iter().map(|&i| s[i].as_str()).collect())
    }

    /// The account of each row (lists from `list_all_accounts`), else `None`.
    #[getter]
    fn accounts(&self) -> Option<Vec<&str>> {
        self.account_column()
            .map(|a| self.indices().iter().map(|&i| a[i].as_str()).collect())
    }

    /// The account of row `i`, or `None` for a list of one account.
    fn account_of(&self, i: isize) -> PyResult<Option<&str>> {
        let n = self.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(PyIndexError::new_err("SnapshotList index out of range"));
        }
        Ok(self.account_column().map(|a| a[self.row_index(j as usize)].as_str()))
    }

    /// `list_all_accounts(errors="collect")`: `{account: exception}` of the accounts that failed (else `{}`).
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.errors {
            Some(e) => Ok(e.bind(py).call_method0("copy")?),
            None => Ok(PyDict::new(py).into_any()),
        }
    }

    /// One list of several accounts' lists: `parts` is `[(account, SnapshotList), ...]`.
    #[staticmethod]
    #[pyo3(signature = (parts, errors = None))]
    fn _merge(parts: Vec<(String, PyRef<'_, PySnapshotList>)>, errors: Option<Py<PyAny>>) -> PySnapshotList {
        let n: usize = parts.iter().map(|(_, l)| l.len()).sum();
        let mut rows = Vec::with_capacity(n);
        let mut accounts = Vec::with_capacity(n);
        // Each account's verdicts come from its own listings; a part without them makes the merge have none.
        let mut states = parts
            .iter()
            .all(|(_, l)| l.sources.is_some())
            .then(|| Vec::with_capacity(n));
        let (mut total, mut pages) = (0, 0);
        for (name, list) in &parts {
            let name = Str::from(name.as_str());
            if let (Some(out), Some(src)) = (states.as_mut(), list.source_column()) {
                out.extend(list.indices().iter().map(|&i| src[i]));
            }
            rows.extend(list.indices().iter().map(|&i| list.rows[i].clone()));
            accounts.extend(std::iter::repeat_n(name, list.len()));
            total += list.total;
            pages += list.pages;
        }
        let merged = PySnapshotList::new(rows, total, pages, None).with_accounts(accounts, errors);
        match states {
            Some(states) if !parts.is_empty() => merged.with_sources(states),
            _ => merged,
        }
    }

    /// A retention plan over these rows: `(keep, delete, {id: [reasons]})`.
    #[pyo3(signature = (policy, group_by = "resource_id", now = None))]
    fn _plan<'py>(
        &self,
        py: Python<'py>,
        policy: &Bound<'py, PyAny>,
        group_by: &str,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let policy = policy_of(policy)?;
        let by = GroupBy::parse("group_by", group_by).map_err(to_pyerr)?;
        let now = now_micros(now)?;
        let plan = py
            .detach(|| retention::plan(&self.rows, &self.indices(), &policy, by, now))
            .map_err(to_pyerr)?;
        let reasons = PyDict::new(py);
        for (i, why) in &plan.reasons {
            if let Some(id) = self.rows[*i].id.text() {
                reasons.set_item(id.as_ref(), PyList::new(py, why)?)?;
            }
        }
        let keep = Bound::new(py, self.subset(plan.keep))?;
        let delete = Bound::new(py, self.subset(plan.delete))?;
        PyTuple::new(py, [keep.into_any(), delete.into_any(), reasons.into_any()])
    }
}

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
