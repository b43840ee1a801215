//! Rust `log` records go to Python's `logging` through pyo3-log (logger names follow the targets,
//! `gradientai_rs.*`). Levels are cached per logger so disabled records never take the GIL; `_reset_logging()`
//! drops the cache. Records come from runtime threads, so they pass the runtime's exit gate first.

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

use crate::py::runtime::{off_the_runtime, unless_exiting};

struct Gated(pyo3_log::Logger);

impl Log for Gated {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Only the core's own records: a dependency's (rustls' "Sending fatal alert", the platform verifier's
        // "Error loading CA root certificate") would reach Python's last-resort handler and print on stderr.
        metadata.target().starts_with("gradientai_rs") && unless_exiting(|| self.0.enabled(metadata)).unwrap_or(false)
    }
    fn log(&self, record: &Record<'_>) {
        // A record that isn't filtered out (by the cached level) takes the GIL: off the runtime's worker, so
        // requests in flight don't wait for it. Filtered records cost a lookup and nothing else.
        if self.enabled(record.metadata()) {
            off_the_runtime(|| unless_exiting(|| self.0.log(record)));
        }
    }
    fn flush(&self) {}
}

static RESET: std::sync::OnceLock<pyo3_log::ResetHandle> = std::sync::OnceLock::new();

/// The most detailed level the core logs at (`GRADIENTAI_RS_LOG=debug`).
const MAX_LEVEL: LevelFilter = LevelFilter::Debug;

/// Installs the bridge (once per process; a second install, e.g. by another pyo3-log user, is left alone).
pub fn install(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?.filter(MAX_LEVEL);
    let handle = logger.reset_handle();
    if log::set_boxed_logger(Box::new(Gated(logger))).is_ok() {
        log::set_max_level(MAX_LEVEL);
        let _ = RESET.set(handle);
    }
    Ok(())
}

/// Forgets cached Python logger levels (call after changing the level of a `gradientai_rs` logger).
#[pyfunction]
pub fn _reset_logging() {
    if let Some(h) = RESET.get() {
        h.reset();
    }
}
