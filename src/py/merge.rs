//! Lists of several accounts (`list_all_accounts`): `SnapshotList._merge` makes one list of the accounts' lists
//! (the rows copied once, each with its account and, when every account was listed `with_sources=True`, its
//! source state), and `accounts`, `account_of(i)` and `errors` read it back.

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::core::models::Str;
use crate::py::responses::PySnapshotList;

#[pymethods]
impl PySnapshotList {
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
        let mut states = (!parts.is_empty() && parts.iter().all(|(_, l)| l.source_column().is_some()))
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
            Some(states) => merged.with_sources(states),
            None => merged,
        }
    }
}
