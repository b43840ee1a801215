//! `GradientAI` and `AsyncGradientAI`: two typed front-ends over one [`ClientState`] (configuration and one HTTP
//! client each). They differ in how calls run (`py::flavor`), in `close`/context-manager methods, and in the type
//! of their `gpu_droplets`.

use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyTuple};

use crate::core::config::{normalize_base_url, resolve_api_key, resolve_base_url, Config, Trust};
use crate::core::http::HttpClient;
use crate::core::{limits, ApiKey};
use crate::py::args::{opt_base_url, opt_bool, opt_int, opt_seconds, opt_secret, opt_timeout, string_pairs, Given};
use crate::py::convert::rate_limit_to_py;
use crate::py::droplets::{PyAsyncGpuDroplets, PyGpuDroplets};
use crate::py::errors::to_pyerr;
use crate::py::runtime::{coroutine, future_into_py, Await};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The constructor's (and `with_options`') arguments as Python gave them; `None` leaves a setting as it is.
/// Every one is checked by a `py::args` helper in [`ClientState::build`].
pub struct ClientArgs<'a, 'py> {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub timeout: Option<&'a Bound<'py, PyAny>>,
    pub max_retries: Option<&'a Bound<'py, PyAny>>,
    pub default_headers: Option<&'a Bound<'py, PyAny>>,
    /// `None`: unchanged (a new client's default is 250); given, a Python `None` or `0` turns pacing off.
    pub requests_per_minute: Option<&'a Bound<'py, PyAny>>,
    /// `True` (the platform's trust), `False` (no checks: warns), or a path to a PEM CA bundle.
    pub verify: Option<&'a Bound<'py, PyAny>>,
    pub allow_insecure_http: Option<&'a Bound<'py, PyAny>>,
    pub max_rate_limit_wait: Option<&'a Bound<'py, PyAny>>,
}

/// `verify=`: `True` (the platform's trust), `False` (no checks: warns), or a path to a PEM CA bundle.
fn trust_of(verify: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Trust>> {
    let Some(v) = verify.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Some(if b.is_true() { Trust::System } else { Trust::Insecure }));
    }
    let shown = v.repr()?.to_string();
    let path: std::path::PathBuf = v
        .py()
        .import("os")?
        .call_method1("fspath", (v,))
        .and_then(|p| p.extract())
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "verify must be True, False or a path to a CA bundle, got {shown}"
            ))
        })?;
    Ok(Some(Trust::CaFile(path)))
}

/// `verify=False`: a loud warning (the class is `gradientai_rs.InsecureTLSWarning`) from the caller's line.
fn warn_insecure(py: Python<'_>) -> PyResult<()> {
    let msg = c"verify=False: TLS certificates are not checked; anyone on the network path can read the token and the answers";
    PyErr::warn(
        py,
        &py.import("gradientai_rs._exceptions")?.getattr("InsecureTLSWarning")?,
        msg,
        1,
    )
}

/// State common to both clients.
pub struct ClientState {
    http: Arc<HttpClient>,
    config: Config,
}

impl ClientState {
    /// A new client's state: from the arguments and the environment (`base` is `None`), or from `base`'s settings
    /// with the arguments applied over them (`with_options`).
    fn build(py: Python<'_>, base: Option<&ClientState>, args: ClientArgs<'_, '_>) -> PyResult<Self> {
        let mut config = base.map_or_else(Config::default, |b| b.config.clone());
        match base {
            None => {
                config.api_key = resolve_api_key(args.api_key, env);
                config.base_url = resolve_base_url(args.base_url, env).map_err(to_pyerr)?;
            }
            Some(_) => {
                if let Some(key) = args.api_key.filter(|k| !k.is_empty()) {
                    config.api_key = Some(ApiKey::new(key));
                }
                if let Some(url) = args.base_url {
                    config.base_url = normalize_base_url(&url).map_err(to_pyerr)?;
                }
            }
        }
        if let Some(t) = opt_timeout(args.timeout, "timeout")? {
            config.timeout = t;
        }
        if let Some(n) = opt_int(args.max_retries, "max_retries", limits::max_retries)? {
            config.max_retries = n;
        }
        if args.default_headers.is_some_and(|h| !h.is_none()) {
            config.default_headers = string_pairs(args.default_headers, "default_headers")?;
        }
        if let Some(rpm) = args.requests_per_minute {
            // Given: `None` turns pacing off, as 0 does.
            config.requests_per_minute =
                opt_int(Some(rpm), "requests_per_minute", limits::requests_per_minute)?.flatten();
        }
        if let Some(trust) = trust_of(args.verify)? {
            if trust == Trust::Insecure {
                warn_insecure(py)?;
            }
            config.trust = trust;
        }
        if let Some(allow) = opt_bool(args.allow_insecure_http, "allow_insecure_http")? {
            config.allow_insecure_http = allow;
        }
        if let Some(wait) = opt_seconds(
            args.max_rate_limit_wait,
            "max_rate_limit_wait",
            limits::max_rate_limit_wait,
        )? {
            config.max_rate_limit_wait = wait;
        }
        // A copy for the same token and limit shares the limiter: the API counts per token.
        let limiter = base
            .map(|b| &b.http)
            .filter(|h| {
                h.config().api_key == config.api_key && h.config().requests_per_minute == config.requests_per_minute
            })
            .map(|h| Arc::clone(h.limiter()));
        let http = HttpClient::with_limiter(config.clone(), limiter).map_err(to_pyerr)?;
        Ok(Self {
            http: Arc::new(http),
            config,
        })
    }

    fn repr(&self, name: &str) -> String {
        let c = &self.config;
        format!(
            "{name}(base_url='{}', api_key={}, timeout={}, max_retries={})",
            c.base_url,
            if c.api_key.is_some() { "'***'" } else { "None" },
            c.timeout.as_secs_f64(),
            c.max_retries
        )
    }
}

/// A client: its state and its `gpu_droplets` (made on first use), of type `G` for each front-end.
pub struct Client<G> {
    state: ClientState,
    gpu_droplets: PyOnceLock<Py<G>>,
}

/// The blocking client: every call returns its result.
#[pyclass(frozen, name = "GradientAI", module = "gradientai_rs._core")]
pub struct PyGradientAI(Client<PyGpuDroplets>);

/// The asyncio client: every call returns a coroutine.
#[pyclass(frozen, name = "AsyncGradientAI", module = "gradientai_rs._core")]
pub struct PyAsyncGradientAI(Client<PyAsyncGpuDroplets>);

/// What both clients have: the constructor, `with_options`/`copy`, the settings, `rate_limit`, repr and the
/// refusal to pickle. `$gpu` is the client's `gpu_droplets` class.
macro_rules! client_methods {
    ($ty:ident, $name:literal, $gpu:ident) => {
        impl $ty {
            fn from_state(state: ClientState) -> Self {
                Self(Client {
                    state,
                    gpu_droplets: PyOnceLock::new(),
                })
            }
        }

        #[pymethods]
        impl $ty {
            /// Token: `api_key` (or `access_token`), else DIGITALOCEAN_ACCESS_TOKEN, else GRADIENTAI_API_KEY.
            /// Base URL: `base_url`, else GRADIENT_BASE_URL, else GRADIENT_AI_BASE_URL, else the public API.
            #[new]
            #[pyo3(signature = (api_key = None, *, access_token = None, base_url = None, timeout = None, max_retries = None,
                default_headers = None, requests_per_minute = Given::Absent, inference_key = None, agent_key = None,
                model_access_key = None, agent_access_key = None, verify = None, allow_insecure_http = None, max_rate_limit_wait = None))]
            #[allow(clippy::too_many_arguments)] // the SDK's constructor
            fn py_new(
                py: Python<'_>,
                api_key: Option<&Bound<'_, PyAny>>,
                access_token: Option<&Bound<'_, PyAny>>,
                base_url: Option<&Bound<'_, PyAny>>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<&Bound<'_, PyAny>>,
                default_headers: Option<&Bound<'_, PyAny>>,
                requests_per_minute: Given<'_>,
                inference_key: Option<&Bound<'_, PyAny>>,
                agent_key: Option<&Bound<'_, PyAny>>,
                model_access_key: Option<&Bound<'_, PyAny>>,
                agent_access_key: Option<&Bound<'_, PyAny>>,
                verify: Option<&Bound<'_, PyAny>>,
                allow_insecure_http: Option<&Bound<'_, PyAny>>,
                max_rate_limit_wait: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Self> {
                // Keys for other GradientAI services are accepted for drop-in compatibility; snapshots don't use
                // them, but they are checked like the token.
                for (key, name) in [
                    (inference_key, "inference_key"),
                    (agent_key, "agent_key"),
                    (model_access_key, "model_access_key"),
                    (agent_access_key, "agent_access_key"),
                ] {
                    opt_secret(key, name)?;
                }
                let api_key = opt_secret(api_key, "api_key")?;
                let access_token = opt_secret(access_token, "access_token")?;
                if api_key.is_some() && access_token.is_some() && api_key != access_token {
                    return Err(PyValueError::new_err("pass api_key or access_token, not both"));
                }
                let args = ClientArgs {
                    api_key: api_key.or(access_token),
                    base_url: opt_base_url(base_url)?,
                    timeout,
                    max_retries,
                    default_headers,
                    // Left out: the default (250); `None` turns pacing off, as 0 does.
                    requests_per_minute: requests_per_minute.get(),
                    verify,
                    allow_insecure_http,
                    max_rate_limit_wait,
                };
                ClientState::build(py, None, args).map(Self::from_state)
            }

            /// A new client with some settings changed (same limiter when the token is unchanged).
            #[pyo3(signature = (*, api_key = None, access_token = None, base_url = None, timeout = None, max_retries = None,
                default_headers = None, requests_per_minute = None, verify = None, allow_insecure_http = None, max_rate_limit_wait = None))]
            #[allow(clippy::too_many_arguments)] // the SDK's with_options
            fn with_options(
                &self,
                py: Python<'_>,
                api_key: Option<&Bound<'_, PyAny>>,
                access_token: Option<&Bound<'_, PyAny>>,
                base_url: Option<&Bound<'_, PyAny>>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<&Bound<'_, PyAny>>,
                default_headers: Option<&Bound<'_, PyAny>>,
                requests_per_minute: Option<&Bound<'_, PyAny>>,
                verify: Option<&Bound<'_, PyAny>>,
                allow_insecure_http: Option<&Bound<'_, PyAny>>,
                max_rate_limit_wait: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Self> {
                let api_key = opt_secret(api_key, "api_key")?;
                let access_token = opt_secret(access_token, "access_token")?;
                let args = ClientArgs {
                    api_key: api_key.or(access_token),
                    base_url: opt_base_url(base_url)?,
                    timeout,
                    max_retries,
                    default_headers,
                    // `None` (or left out) leaves it as it is; 0 turns pacing off.
                    requests_per_minute: requests_per_minute.filter(|r| !r.is_none()),
                    verify,
                    allow_insecure_http,
                    max_rate_limit_wait,
                };
                ClientState::build(py, Some(&self.0.state), args).map(Self::from_state)
            }

            /// Alias of `with_options`.
            #[pyo3(signature = (**kwargs))]
            fn copy<'py>(slf: &Bound<'py, Self>, kwargs: Option<&Bound<'py, pyo3::types::PyDict>>) -> PyResult<Bound<'py, PyAny>> {
                slf.call_method("with_options", (), kwargs)
            }

            #[getter]
            fn gpu_droplets(&self, py: Python<'_>) -> PyResult<Py<$gpu>> {
                let gd = self
                    .0
                    .gpu_droplets
                    .get_or_try_init(py, || Py::new(py, $gpu::new(py, Arc::clone(&self.0.state.http))?))?;
                Ok(gd.clone_ref(py))
            }

            #[getter]
            fn base_url(&self) -> &str {
                &self.0.state.config.base_url
            }

            #[getter]
            fn timeout(&self) -> f64 {
                self.0.state.config.timeout.as_secs_f64()
            }

            #[getter]
            fn max_retries(&self) -> u32 {
                self.0.state.config.max_retries
            }

            /// The longest wait for `ratelimit-reset` (seconds); longer ones raise `RateLimitError` at once.
            #[getter]
            fn max_rate_limit_wait(&self) -> f64 {
                self.0.state.config.max_rate_limit_wait.as_secs_f64()
            }

            #[getter]
            fn requests_per_minute(&self) -> Option<u32> {
                self.0.state.config.requests_per_minute
            }

            /// The `ratelimit-*` headers of the latest answer (`RateLimit(limit, remaining, reset)`), or `None`.
            #[getter]
            fn rate_limit<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
                self.0.state.http.rate_limit().map(|r| rate_limit_to_py(py, &r)).transpose()
            }

            fn is_closed(&self) -> bool {
                self.0.state.http.is_closed()
            }

            fn __repr__(&self) -> String {
                self.0.state.repr($name)
            }

            fn __reduce__(&self) -> PyResult<()> {
                Err(PyTypeError::new_err(concat!(
                    "cannot pickle '", $name, "': it holds a token and a connection pool; create a client in each process"
                )))
            }
        }
    };
}

client_methods!(PyGradientAI, "GradientAI", PyGpuDroplets);
client_methods!(PyAsyncGradientAI, "AsyncGradientAI", PyAsyncGpuDroplets);

#[pymethods]
impl PyGradientAI {
    /// Closes the client: later requests raise `ClientClosedError`.
    fn close(&self) {
        self.0.state.http.close();
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    /// Closes the client; exceptions propagate.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) {
        self.0.state.http.close();
    }
}

#[pymethods]
impl PyAsyncGradientAI {
    /// `await client.close()`.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.state.http.close();
        coroutine(py, Await::Plain, || async { |py: Python<'_>| Ok(py.None()) })
    }
    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        future_into_py(py, async move { move |_py: Python<'_>| Ok(slf.into_any()) })
    }
    /// Closes the client; exceptions propagate.
    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(&self, py: Python<'py>, _args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.0.state.http.close();
        future_into_py(py, async { |py: Python<'_>| Ok(py.None()) })
    }
}
