//! Several accounts: `GradientAI.from_doctl` / `AsyncGradientAI.from_doctl` (a client with the token of one of
//! doctl's auth contexts, `core::doctl`) and `_doctl_contexts` (the context names, for `--all-contexts`). No token
//! is ever shown: errors name the file, the context and the known context names only.

use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::core::doctl::{self, DoctlConfig};
use crate::py::client::{PyAsyncGradientAI, PyGradientAI};
use crate::py::errors::to_pyerr;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// doctl's config: from `config_path`, else its default place (`DIGITALOCEAN_CONFIG`, then the user config dir).
fn config(config_path: Option<PathBuf>) -> PyResult<DoctlConfig> {
    // Errors name where the path came from: the argument, the variable, or (unnamed) doctl's default place.
    let (path, origin) = match config_path {
        Some(p) => (p, Some("config_path")),
        None => {
            let path = doctl::default_config_path(env).ok_or_else(|| {
                PyValueError::new_err(
                    "config_path: doctl's config file can't be located (HOME / XDG_CONFIG_HOME unset); pass config_path",
                )
            })?;
            (path, env("DIGITALOCEAN_CONFIG").map(|_| "DIGITALOCEAN_CONFIG"))
        }
    };
    doctl::read_from(&path, origin).map_err(to_pyerr)
}

/// The context names of doctl's config that have a token (`default` first when there is a top-level token).
#[pyfunction]
#[pyo3(signature = (config_path = None))]
pub fn _doctl_contexts(config_path: Option<PathBuf>) -> PyResult<Vec<String>> {
    let cfg = config(config_path)?;
    let mut names = Vec::new();
    if cfg.access_token.is_some() {
        names.push(doctl::DEFAULT_CONTEXT.to_owned());
    }
    names.extend(
        cfg.contexts
            .keys()
            .filter(|k| k.as_str() != doctl::DEFAULT_CONTEXT)
            .cloned(),
    );
    Ok(names)
}

/// `from_doctl` on a client class: `cls(api_key=<token of the context>, **client_kwargs)`.
macro_rules! from_doctl_method {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            /// A client with the token of a doctl auth context: `context` (default: $DIGITALOCEAN_CONTEXT, else
            /// the config's current context, else `default`) from `config_path` (default: doctl's own file).
            #[classmethod]
            #[pyo3(signature = (context = None, config_path = None, **client_kwargs))]
            fn from_doctl<'py>(
                cls: &Bound<'py, PyType>,
                context: Option<&Bound<'py, PyAny>>,
                config_path: Option<PathBuf>,
                client_kwargs: Option<&Bound<'py, PyDict>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let py = cls.py();
                let kwargs = match client_kwargs {
                    Some(d) => d.copy()?,
                    None => PyDict::new(py),
                };
                for key in ["api_key", "access_token"] {
                    if kwargs.contains(key)? {
                        return Err(PyTypeError::new_err(format!(
                            "from_doctl() takes the token from doctl's config; don't pass {key}"
                        )));
                    }
                }
                // A context name may be a token pasted in the wrong place: checked without echoing it.
                let context = crate::py::args::opt_secret(context, "context")?
                    .filter(|c| !c.trim().is_empty())
                    .or_else(|| env("DIGITALOCEAN_CONTEXT"));
                let token = config(config_path)?
                    .token_for(context.as_deref())
                    .map_err(to_pyerr)?;
                kwargs.set_item("api_key", token.expose())?;
                cls.call((), Some(&kwargs))
            }
        }
    };
}

from_doctl_method!(PyGradientAI);
from_doctl_method!(PyAsyncGradientAI);
