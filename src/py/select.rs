//! Choosing and pricing over a `SnapshotList`, in Rust over the parsed rows (no Python object per row):
//! `select`, `most_recent`, `sort_by`, `monthly_cost`, `size_gigabytes` and `summary` (a `Summary` table). A
//! selection shares its parent's rows through an index view, so it copies no snapshot.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::core::cost::{self, SummaryBy};
use crate::core::group::{self, GroupBy};
use crate::core::models::Snapshot;
use crate::core::select::{self, SortField};
use crate::core::sources::{self, NO_SOURCES};
use crate::py::args::{now_micros, opt_orphaned, rate, SelectArgs};
use crate::py::errors::to_pyerr;
use crate::py::responses::PySnapshotList;
use crate::py::summary::PySummary;

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
        let orphaned = match opt_orphaned(orphaned)? {
            None => None,
            Some(want) => Some((
                want,
                self.source_column().ok_or_else(|| PyValueError::new_err(NO_SOURCES))?,
            )),
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
                Some((want, states)) => sources::orphaned_in(states, &chosen, want),
            }
        }))
    }

    /// The newest snapshot of each group (`resource_id`, `resource_type`, `region`, `tag`, `name` or `none`).
    #[pyo3(signature = (group_by = "resource_id"))]
    fn most_recent(&self, py: Python<'_>, group_by: &str) -> PyResult<PySnapshotList> {
        let by = GroupBy::parse("group_by", group_by).map_err(to_pyerr)?;
        Ok(self.pick(py, |rows, idx| group::most_recent_in(rows, idx, by)))
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
}
