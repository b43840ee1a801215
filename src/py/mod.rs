//! The binding layer: Python classes over the core. Arguments are converted to owned Rust values before the
//! GIL is released; Python objects are built after it is taken back.
//!
//! Modules by job (each uses only the ones listed before it):
//! `datetime_capi`, `vocabulary` (the core's name lists as `_core` tuples), `convert` (core values → Python),
//! `errors` (the one mapping of core errors), `args` (Python arguments → core values), `runtime` (the tokio
//! runtime, blocking and async calls), `flavor` (`Flavor`: blocking vs async front-ends), `protocol` (the one
//! model protocol), `models` (leaf models), `arrow`, `responses` (pages and listings), `rowhash`
//! (stable row hashes for warehouse loads), `compute_models`
//! (droplets, volumes and their pages and lists), `summary` (`Summary`), `select` (select, sort, cost and summaries
//! over a listing), `merge` (lists of several accounts), `iterators`, `unpickle`, `calls` (the calls behind every
//! resource, `APIResponse`), `resources`, `droplets` (`gpu_droplets` itself and `gpu_droplets.volumes`), `plan`
//! (`PruneResult`, `PrunePlan`, `AsyncPrunePlan`, the shared `delete_many`), `prune` (`delete_many` and
//! `plan_prune` on the resources), `client`, `accounts` (`from_doctl`), `logging`.

pub mod accounts;
pub mod args;
pub mod arrow;
pub mod calls;
pub mod client;
pub mod compute_models;
pub mod convert;
pub mod datetime_capi;
pub mod droplets;
pub mod errors;
pub mod flavor;
pub mod iterators;
pub mod logging;
pub mod merge;
pub mod models;
pub mod plan;
pub mod protocol;
pub mod prune;
pub mod resources;
pub mod responses;
pub mod rowhash;
pub mod runtime;
pub mod select;
pub mod summary;
pub mod unpickle;
pub mod vocabulary;
