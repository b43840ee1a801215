//! The binding layer: Python classes over the core. Arguments are converted to owned Rust values before the
//! GIL is released; Python objects are built after it is taken back.

pub mod arrow;
pub mod client;
pub mod convert;
pub mod datetime_capi;
pub mod errors;
pub mod logging;
pub mod models;
pub mod pages;
pub mod resources;
pub mod runtime;
