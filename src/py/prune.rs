//! Cleaning up on both resource front-ends: `delete_many` (`py::plan::delete_many`) and `plan_prune`: list every
//! snapshot, select, plan with restic's rules (`core::retention`), all in Rust, answering a `PrunePlan` (an
//! `AsyncPrunePlan` coroutine on `AsyncGradientAI`). Deletes nothing.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3::IntoPyObjectExt;

use crate::core::group::GroupBy;
use crate::core::http::HttpClient;
use crate::core::pagination::ListAllOptions;
use crate::core::retention::{self, RetentionPolicy};
use crate::core::select::{self, Filter};
use crate::core::sources;
use crate::py::args::{aware_micros, opt_orphaned, opt_resource_type, policy_of, SelectArgs};
use crate::py::errors::to_pyerr;
use crate::py::flavor::{Flavor, Front};
use crate::py::plan::{delete_many, Plan, PlanParts, PyAsyncPrunePlan, PyPrunePlan};
use crate::py::resources::{finish_listing, run_listing, PyAsyncSnapshotsResource, PySnapshotsResource};
use crate::py::runtime::{coroutine, run_blocking, Await};

/// `plan_prune`'s arguments, checked and converted before anything is listed.
struct PlanRequest {
    policy: RetentionPolicy,
    policy_obj: Py<PyAny>,
    group_by: GroupBy,
    now: Py<PyAny>,
    now_micros: i64,
    filter: Filter,
    /// `orphaned=True|False`: plan over the snapshots whose source is gone (or the others), listed with their
    /// sources.
    orphaned: Option<bool>,
    list: ListAllOptions,
}

/// `select`'s filters of `plan_prune`'s `**select_filters`: an unknown name is a `TypeError`, as an unknown
/// keyword of `select` is.
fn select_filter<'py>(
    resource_type: Option<&Bound<'py, PyAny>>,
    filters: Option<&Bound<'py, PyDict>>,
    now: i64,
) -> PyResult<(Filter, Option<bool>)> {
    let mut held: Vec<(String, Bound<'py, PyAny>)> = Vec::new();
    if let Some(d) = filters {
        for (k, v) in d.iter() {
            let k: String = k.cast::<PyString>()?.to_cow()?.into_owned();
            held.push((k, v));
        }
    }
    let get = |name: &str| held.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    if let Some((k, _)) = held
        .iter()
        .find(|(k, _)| !SelectArgs::NAMES.contains(&k.as_str()) && k != "orphaned")
    {
        return Err(PyTypeError::new_err(format!(
            "plan_prune() got an unexpected keyword argument '{k}' (select's filters are {}, orphaned)",
            SelectArgs::NAMES.join(", ")
        )));
    }
    let orphaned = opt_orphaned(get("orphaned"))?;
    let filter = SelectArgs {
        name: get("name"),
        tags_any: get("tags_any"),
        tags_all: get("tags_all"),
        regions: get("regions"),
        resource_type,
        resource_id: get("resource_id"),
        older_than: get("older_than"),
        newer_than: get("newer_than"),
        min_size_gb: get("min_size_gb"),
    }
    .filter(now)?;
    Ok((filter, orphaned))
}

impl PlanRequest {
    fn new<'py>(
        py: Python<'py>,
        policy: &Bound<'py, PyAny>,
        resource_type: Option<&Bound<'py, PyAny>>,
        group_by: &str,
        now: Option<&Bound<'py, PyAny>>,
        filters: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        let core_policy = policy_of(policy)?;
        let by = GroupBy::parse("group_by", group_by).map_err(to_pyerr)?;
        let now = match now.filter(|n| !n.is_none()) {
            Some(n) => n.clone(),
            None => {
                let dt = py.import("datetime")?;
                let utc = dt.getattr("timezone")?.getattr("utc")?;
                dt.getattr("datetime")?.call_method1("now", (utc,))?
            }
        };
        let now_micros = aware_micros(&now, "now")?;
        let (filter, orphaned) = select_filter(resource_type, filters, now_micros)?;
        let list = ListAllOptions {
            resource_type: opt_resource_type(resource_type)?,
            ..ListAllOptions::default()
        };
        Ok(Self {
            policy: core_policy,
            policy_obj: policy.clone().unbind(),
            group_by: by,
            now: now.unbind(),
            now_micros,
            filter,
            orphaned,
            list,
        })
    }

    /// The plan over a finished listing (selection and plan with the GIL released).
    fn plan(
        self,
        py: Python<'_>,
        listing: crate::py::responses::PySnapshotList,
        http: Arc<HttpClient>,
    ) -> PyResult<Plan> {
        let (filter, policy, by, now) = (&self.filter, &self.policy, self.group_by, self.now_micros);
        let orphaned = self.orphaned;
        let states = listing.source_column();
        let plan = py
            .detach(|| {
                let chosen = select::select(&listing.rows, filter);
                let chosen = match (orphaned, states) {
                    (Some(want), Some(states)) => sources::orphaned_in(states, &chosen, want),
                    _ => chosen,
                };
                retention::plan(&listing.rows, &chosen, policy, by, now)
            })
            .map_err(to_pyerr)?;
        Plan::new(
            py,
            PlanParts {
                listing,
                plan,
                policy: self.policy_obj,
                now: self.now,
                group_by: <&str>::from(self.group_by).to_owned(),
                http,
            },
        )
    }
}

/// `plan_prune` on the shared implementation.
fn plan_prune<'py>(
    http: &Arc<HttpClient>,
    py: Python<'py>,
    flavor: Flavor,
    request: PlanRequest,
) -> PyResult<Bound<'py, PyAny>> {
    let http = Arc::clone(http);
    match flavor {
        Flavor::Blocking => {
            let opts = request.list.clone();
            let task_http = Arc::clone(&http);
            let with_sources = request.orphaned.is_some();
            let listing = run_blocking(py, async move { run_listing(&task_http, &opts, with_sources).await })?;
            let listing = finish_listing(py, listing, None, true)?;
            Bound::new(py, PyPrunePlan(request.plan(py, listing, http)?)).map(Bound::into_any)
        }
        Flavor::Async => {
            let request = Arc::new(std::sync::Mutex::new(Some(request)));
            coroutine(py, Await::Plain, move || {
                let (http, request) = (Arc::clone(&http), Arc::clone(&request));
                let opts = request
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                    .map(|r| (r.list.clone(), r.orphaned.is_some()));
                async move {
                    let out = match opts {
                        Some((opts, with_sources)) => Some(run_listing(&http, &opts, with_sources).await),
                        None => None,
                    };
                    move |py: Python<'_>| {
                        let Some(out) = out else {
                            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                                "cannot reuse already awaited coroutine",
                            ));
                        };
                        let listing = finish_listing(py, out.map_err(to_pyerr)?, None, true)?;
                        let Some(request) = request.lock().unwrap_or_else(|e| e.into_inner()).take() else {
                            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                                "cannot reuse already awaited coroutine",
                            ));
                        };
                        PyAsyncPrunePlan(request.plan(py, listing, http)?).into_py_any(py)
                    }
                }
            })
        }
    }
}

/// `delete_many` and `plan_prune` for a resource front-end whose `.0` is a `py::calls::Snapshots`.
macro_rules! prune_methods {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// Deletes these snapshots (ids), at most `max_concurrency` at a time, through the client's rate limiter
            /// and retries. 404s are `already_gone`; a 401/403 stops the run (`stopped`, `not_attempted`).
            #[pyo3(signature = (ids, *, max_concurrency = None, progress = None))]
            fn delete_many<'py>(
                &self,
                py: Python<'py>,
                ids: &Bound<'py, PyAny>,
                max_concurrency: Option<&Bound<'py, PyAny>>,
                progress: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                delete_many(&self.0.http, py, <Self as Front>::FLAVOR, ids, max_concurrency, progress)
            }

            /// Lists every snapshot, selects (`resource_type` and `select`'s filters), and plans with `policy`;
            /// deletes nothing. Every argument is checked before anything is listed. Returns a `PrunePlan`
            /// (awaitable `AsyncPrunePlan` on `AsyncGradientAI`).
            #[pyo3(signature = (policy, *, resource_type = None, group_by = "resource_id", now = None, **select_filters))]
            fn plan_prune<'py>(
                &self,
                py: Python<'py>,
                policy: &Bound<'py, PyAny>,
                resource_type: Option<&Bound<'py, PyAny>>,
                group_by: &str,
                now: Option<&Bound<'py, PyAny>>,
                select_filters: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let request = PlanRequest::new(py, policy, resource_type, group_by, now, select_filters)?;
                plan_prune(&self.0.http, py, <Self as Front>::FLAVOR, request)
            }
        }
    };
}

prune_methods!(PySnapshotsResource);
prune_methods!(PyAsyncSnapshotsResource);
