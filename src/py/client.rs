//! `GradientAI` and `AsyncGradientAI`: configuration, one HTTP client each, and the resource tree.

use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt};
use pyo3::IntoPyObjectExt;

use crate::core::config::{
    rate_limit_wait_from_secs, resolve_api_key, resolve_base_url, Config, Trust, DEFAULT_REQUESTS_PER_MINUTE,
};
use crate::core::http::HttpClient;
use crate::core::ApiKey;
use crate::py::convert::{opt_timeout, rate_limit_to_py, string_pairs};
use crate::py::errors::to_pyerr;
use crate::py::resources::PyGpuDroplets;
use crate::py::runtime::{coroutine, future_into_py, Await};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn max_retries(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u32>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() || obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "max_retries must be an int >= 0, got {}",
            obj.repr()?
        )));
    }
    let n: i64 = obj.extract().unwrap_or(-1);
    u32::try_from(n).map(Some).map_err(|_| {
        PyValueError::new_err(format!(
            "max_retries must be an int between 0 and {}, got {}",
            u32::MAX,
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

/// `verify=`: `True` (the platform's trust), `False` (no checks: warns), or a path to a PEM CA bundle.
fn trust_of(py: Python<'_>, verify: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Trust>> {
    let Some(v) = verify.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Some(if b.is_true() { Trust::System } else { Trust::Insecure }));
    }
    let shown = v.repr()?.to_string();
    let path: std::path::PathBuf = py
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

/// Transport settings shared by the constructors and `with_options`.
#[derive(Default)]
struct Transport {
    trust: Option<Trust>,
    allow_insecure_http: Option<bool>,
    max_rate_limit_wait: Option<f64>,
}

impl Transport {
    fn new(
        py: Python<'_>,
        verify: Option<&Bound<'_, PyAny>>,
        allow_insecure_http: Option<bool>,
        max_rate_limit_wait: Option<f64>,
    ) -> PyResult<Self> {
        Ok(Self {
            trust: trust_of(py, verify)?,
            allow_insecure_http,
            max_rate_limit_wait,
        })
    }

    fn apply(&self, py: Python<'_>, config: &mut Config) -> PyResult<()> {
        if let Some(t) = &self.trust {
            config.trust = t.clone();
            if *t == Trust::Insecure {
                let msg = c"verify=False: TLS certificates are not checked; anyone on the network path can read the token and the answers";
                PyErr::warn(
                    py,
                    &py.import("gradientai_rs._exceptions")?.getattr("InsecureTLSWarning")?,
                    msg,
                    1,
                )?;
            }
        }
        if let Some(a) = self.allow_insecure_http {
            config.allow_insecure_http = a;
        }
        if let Some(w) = self.max_rate_limit_wait {
            config.max_rate_limit_wait = rate_limit_wait_from_secs(w).map_err(to_pyerr)?;
        }
        Ok(())
    }
}

/// What a client was built from, so `with_options()` can change some of it.
#[derive(Clone)]
struct Settings {
    config: Config,
}

/// State common to both clients.
pub struct ClientState {
    http: Arc<HttpClient>,
    settings: Settings,
    gpu_droplets: PyOnceLock<Py<PyGpuDroplets>>,
    is_async: bool,
}

impl ClientState {
    #[allow(clippy::too_many_arguments)]
    fn build(
        base: Option<&Settings>,
        limiter_from: Option<&HttpClient>,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        retries: Option<&Bound<'_, PyAny>>,
        default_headers: Option<&Bound<'_, PyAny>>,
        rpm: Option<Option<u32>>,
        transport: Transport,
        is_async: bool,
    ) -> PyResult<Self> {
        let mut config = base.map_or_else(Config::default, |b| b.config.clone());
        if base.is_none() {
            config.api_key = resolve_api_key(api_key, env);
            config.base_url = resolve_base_url(base_url, env).map_err(to_pyerr)?;
        } else {
            if let Some(key) = api_key.filter(|k| !k.is_empty()) {
                config.api_key = Some(ApiKey::new(key));
            }
            if let Some(url) = base_url {
                config.base_url = crate::core::config::normalize_base_url(&url).map_err(to_pyerr)?;
            }
        }
        if let Some(t) = opt_timeout(timeout, "timeout")? {
            config.timeout = t;
        }
        if let Some(n) = max_retries(retries)? {
            config.max_retries = n;
        }
        if default_headers.is_some_and(|h| !h.is_none()) {
            config.default_headers = string_pairs(default_headers, "default_headers")?;
        }
        if let Some(r) = rpm {
            config.requests_per_minute = r;
        }
        Python::attach(|py| transport.apply(py, &mut config))?;
        // A copy for the same token and limit shares the limiter: the API counts per token.
        let limiter = limiter_from
            .filter(|h| {
                h.config().api_key == config.api_key && h.config().requests_per_minute == config.requests_per_minute
            })
            .map(|h| Arc::clone(h.limiter()));
        let http = HttpClient::with_limiter(config.clone(), limiter).map_err(to_pyerr)?;
        Ok(Self {
            http: Arc::new(http),
            settings: Settings { config },
            gpu_droplets: PyOnceLock::new(),
            is_async,
        })
    }

    fn gpu_droplets(&self, py: Python<'_>) -> PyResult<Py<PyGpuDroplets>> {
        let gd = self.gpu_droplets.get_or_try_init(py, || {
            Py::new(py, PyGpuDroplets::new(py, Arc::clone(&self.http), self.is_async)?)
        })?;
        Ok(gd.clone_ref(py))
    }

    fn repr(&self, name: &str) -> String {
        let c = &self.settings.config;
        format!(
            "{name}(base_url='{}', api_key={}, timeout={}, max_retries={})",
            c.base_url,
            if c.api_key.is_some() { "'***'" } else { "None" },
            c.timeout.as_secs_f64(),
            c.max_retries
        )
    }
}

macro_rules! client_class {
    ($ty:ident, $name:literal, $is_async:expr) => {
        #[pyclass(frozen, name = $name, module = "gradientai_rs._core")]
        pub struct $ty(ClientState);

        #[pymethods]
        impl $ty {
            /// Token: `api_key` (or `access_token`), else DIGITALOCEAN_ACCESS_TOKEN, else GRADIENTAI_API_KEY.
            /// Base URL: `base_url`, else GRADIENT_BASE_URL, else GRADIENT_AI_BASE_URL, else the public API.
            #[new]
            #[pyo3(signature = (api_key = None, *, access_token = None, base_url = None, timeout = None, max_retries = None,
                default_headers = None, requests_per_minute = Some(DEFAULT_REQUESTS_PER_MINUTE), inference_key = None, agent_key = None,
                model_access_key = None, agent_access_key = None, verify = None, allow_insecure_http = false, max_rate_limit_wait = None))]
            #[allow(clippy::too_many_arguments)]
            fn py_new(
                api_key: Option<String>,
                access_token: Option<String>,
                base_url: Option<String>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<&Bound<'_, PyAny>>,
                default_headers: Option<&Bound<'_, PyAny>>,
                requests_per_minute: Option<u32>,
                inference_key: Option<String>,
                agent_key: Option<String>,
                model_access_key: Option<String>,
                agent_access_key: Option<String>,
                verify: Option<&Bound<'_, PyAny>>,
                allow_insecure_http: bool,
                max_rate_limit_wait: Option<f64>,
            ) -> PyResult<Self> {
                let transport = Python::attach(|py| Transport::new(py, verify, Some(allow_insecure_http), max_rate_limit_wait))?;
                // Keys for other GradientAI services are accepted for drop-in compatibility; snapshots don't use them.
                let _ = (inference_key, agent_key, model_access_key, agent_access_key);
                if api_key.is_some() && access_token.is_some() && api_key != access_token {
                    return Err(PyValueError::new_err("pass api_key or access_token, not both"));
                }
                let rpm = Some(requests_per_minute.filter(|n| *n > 0));
                ClientState::build(None, None, api_key.or(access_token), base_url, timeout, max_retries, default_headers, rpm, transport, $is_async).map(Self)
            }

            /// A new client with some settings changed (same limiter when the token is unchanged).
            #[pyo3(signature = (*, api_key = None, access_token = None, base_url = None, timeout = None, max_retries = None,
                default_headers = None, requests_per_minute = None, verify = None, allow_insecure_http = None, max_rate_limit_wait = None))]
            #[allow(clippy::too_many_arguments)]
            fn with_options(
                &self,
                api_key: Option<String>,
                access_token: Option<String>,
                base_url: Option<String>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<&Bound<'_, PyAny>>,
                default_headers: Option<&Bound<'_, PyAny>>,
                requests_per_minute: Option<u32>,
                verify: Option<&Bound<'_, PyAny>>,
                allow_insecure_http: Option<bool>,
                max_rate_limit_wait: Option<f64>,
            ) -> PyResult<Self> {
                let rpm = requests_per_minute.map(|n| (n > 0).then_some(n));
                let transport = Python::attach(|py| Transport::new(py, verify, allow_insecure_http, max_rate_limit_wait))?;
                ClientState::build(
                    Some(&self.0.settings),
                    Some(&self.0.http),
                    api_key.or(access_token),
                    base_url,
                    timeout,
                    max_retries,
                    default_headers,
                    rpm,
                    transport,
                    $is_async,
                )
                .map(Self)
            }

            /// Alias of `with_options`.
            #[pyo3(signature = (*, api_key = None, access_token = None, base_url = None, timeout = None, max_retries = None,
                default_headers = None, requests_per_minute = None, verify = None, allow_insecure_http = None, max_rate_limit_wait = None))]
            #[allow(clippy::too_many_arguments)]
            fn copy(
                &self,
                api_key: Option<String>,
                access_token: Option<String>,
                base_url: Option<String>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<&Bound<'_, PyAny>>,
                default_headers: Option<&Bound<'_, PyAny>>,
                requests_per_minute: Option<u32>,
                verify: Option<&Bound<'_, PyAny>>,
                allow_insecure_http: Option<bool>,
                max_rate_limit_wait: Option<f64>,
            ) -> PyResult<Self> {
                self.with_options(api_key, access_token, base_url, timeout, max_retries, default_headers, requests_per_minute, verify, allow_insecure_http, max_rate_limit_wait)
            }

            #[getter]
            fn gpu_droplets(&self, py: Python<'_>) -> PyResult<Py<PyGpuDroplets>> {
                self.0.gpu_droplets(py)
            }

            #[getter]
            fn base_url(&self) -> &str {
                &self.0.settings.config.base_url
            }

            #[getter]
            fn timeout(&self) -> f64 {
                self.0.settings.config.timeout.as_secs_f64()
            }

            #[getter]
            fn max_retries(&self) -> u32 {
                self.0.settings.config.max_retries
            }

            #[getter]
            fn max_rate_limit_wait(&self) -> f64 {
                self.0.settings.config.max_rate_limit_wait.as_secs_f64()
            }

            #[getter]
            fn requests_per_minute(&self) -> Option<u32> {
                self.0.settings.config.requests_per_minute
            }

            /// The `ratelimit-*` headers of the latest answer (`RateLimit(limit, remaining, reset)`), or `None`.
            #[getter]
            fn rate_limit<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
                self.0.http.rate_limit().map(|r| rate_limit_to_py(py, &r)).transpose()
            }

            fn is_closed(&self) -> bool {
                self.0.http.is_closed()
            }

            fn __repr__(&self) -> String {
                self.0.repr($name)
            }

            fn __reduce__(&self) -> PyResult<()> {
                Err(PyTypeError::new_err(concat!(
                    "cannot pickle '", $name, "': it holds a token and a connection pool; create a client in each process"
                )))
            }
        }
    };
}

client_class!(PyGradientAI, "GradientAI", false);
client_class!(PyAsyncGradientAI, "AsyncGradientAI", true);

#[pymethods]
impl PyGradientAI {
    /// Closes the client: later requests raise `ClientClosedError`.
    fn close(&self) {
        self.0.http.close();
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.0.http.close();
        false
    }
}

#[pymethods]
impl PyAsyncGradientAI {
    /// `await client.close()`.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.http.close();
        coroutine(py, Await::Plain, || async { |py: Python<'_>| Ok(py.None()) })
    }
    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        future_into_py(py, async move { move |_py: Python<'_>| Ok(slf.into_any()) })
    }
    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(&self, py: Python<'py>, _args: &Bound<'py, pyo3::types::PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.0.http.close();
        future_into_py(py, async { |py: Python<'_>| false.into_py_any(py) })
    }
}
