//! The pure-Rust core: configuration, HTTP with retries and rate limits, lenient models, the snapshots
//! resource and pagination. Nothing in here knows about Python; `src/py/` is the only binding layer.

pub mod arrow;
pub mod arrow_compute;
pub mod blocking;
pub mod config;
pub mod cost;
pub mod datetime;
pub mod doctl;
pub mod droplets;
pub mod error;
pub mod files;
pub mod fork;
pub mod glob;
pub mod group;
pub mod http;
pub mod limits;
pub mod models;
pub mod pagination;
pub mod prune;
pub mod python_re;
pub mod ratelimit;
pub mod retention;
pub mod rowhash;
pub mod select;
pub mod snapshots;
pub mod sources;
pub mod thread_runtime;
pub mod vocabulary;

pub use config::{ApiKey, Config};
pub use error::{Error, Result};
