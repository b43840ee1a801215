//! Client configuration: where the token and base URL come from, timeouts, retries, limits.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::core::error::{Error, Result};

pub const DEFAULT_BASE_URL: &str = "https://api.digitalocean.com";
/// Environment variables read for the token, in order (gradient, then do_gradientai).
pub const TOKEN_ENV_VARS: [&str; 2] = ["DIGITALOCEAN_ACCESS_TOKEN", "GRADIENTAI_API_KEY"];
/// Environment variables read for the base URL, in order (gradient, then do_gradientai).
pub const BASE_URL_ENV_VARS: [&str; 2] = ["GRADIENT_BASE_URL", "GRADIENT_AI_BASE_URL"];
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The SDK's `httpx.Timeout(60, connect=5.0)`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// DigitalOcean's burst limit: 250 requests in any minute per token (reference §1.5).
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 250;
/// A decoded body larger than this is refused (a 200-snapshot page is ~60 KB; this leaves room for 50 MB pages
/// while a gzip bomb is stopped long before it eats memory).
pub const DEFAULT_MAX_BODY_BYTES: usize = 128 * 1024 * 1024;

/// A bearer token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Replaces every occurrence of the token in `text` (servers sometimes echo headers in error pages).
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() >= 4 && text.contains(&self.0) {
            text.replace(&self.0, "***")
        } else {
            text.to_owned()
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub api_key: Option<ApiKey>,
    /// Normalised: no trailing slash, path prefix kept (`http://host/custom`).
    pub base_url: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub default_headers: Vec<(String, String)>,
    /// `None` turns the client-side limiter off.
    pub requests_per_minute: Option<u32>,
    pub max_body_bytes: usize,
    pub user_agent: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            default_headers: Vec::new(),
            requests_per_minute: Some(DEFAULT_REQUESTS_PER_MINUTE),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: format!("gradientai-rs/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// The token: the argument, else the first non-empty variable of [`TOKEN_ENV_VARS`].
pub fn resolve_api_key(arg: Option<String>, env: impl Fn(&str) -> Option<String>) -> Option<ApiKey> {
    non_empty(arg)
        .or_else(|| TOKEN_ENV_VARS.iter().find_map(|name| non_empty(env(name))))
        .map(ApiKey::new)
}

/// The base URL: the argument, else the first non-empty variable of [`BASE_URL_ENV_VARS`], else the default.
pub fn resolve_base_url(arg: Option<String>, env: impl Fn(&str) -> Option<String>) -> Result<String> {
    let raw = non_empty(arg)
        .or_else(|| BASE_URL_ENV_VARS.iter().find_map(|name| non_empty(env(name))))
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    normalize_base_url(&raw)
}

pub fn normalize_base_url(raw: &str) -> Result<String> {
    let parsed = Url::parse(raw.trim()).map_err(|e| {
        Error::invalid(
            "base_url",
            format!("base_url must be an absolute http(s) URL, got {raw:?} ({e})"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::invalid(
            "base_url",
            format!("base_url must be an absolute http(s) URL, got {raw:?}"),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::invalid(
            "base_url",
            format!("base_url must not carry a query or fragment, got {raw:?}"),
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

impl Config {
    /// `base_url` + `path` (which starts with `/`), never doubling the slash.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn token_precedence() {
        let env = env_of(&[("DIGITALOCEAN_ACCESS_TOKEN", "a"), ("GRADIENTAI_API_KEY", "b")]);
        assert_eq!(resolve_api_key(Some("x".into()), &env).unwrap().expose(), "x");
        assert_eq!(resolve_api_key(None, &env).unwrap().expose(), "a");
        let env = env_of(&[("DIGITALOCEAN_ACCESS_TOKEN", ""), ("GRADIENTAI_API_KEY", "b")]);
        assert_eq!(resolve_api_key(None, &env).unwrap().expose(), "b");
        assert!(resolve_api_key(None, env_of(&[])).is_none());
    }

    #[test]
    fn api_key_never_formats() {
        let key = ApiKey::new("dop_v1_secret");
        assert_eq!(format!("{key:?}"), "ApiKey(***)");
        assert_eq!(key.redact("echo dop_v1_secret!"), "echo ***!");
    }

    #[test]
    fn base_url_rules() {
        let none = env_of(&[]);
        assert_eq!(resolve_base_url(None, &none).unwrap(), "https://api.digitalocean.com");
        assert_eq!(
            resolve_base_url(Some("http://127.0.0.1:9/custom/".into()), &none).unwrap(),
            "http://127.0.0.1:9/custom"
        );
        let env = env_of(&[("GRADIENT_BASE_URL", "http://a"), ("GRADIENT_AI_BASE_URL", "http://b")]);
        assert_eq!(resolve_base_url(None, &env).unwrap(), "http://a");
        let env = env_of(&[("GRADIENT_AI_BASE_URL", "http://b/")]);
        assert_eq!(resolve_base_url(None, &env).unwrap(), "http://b");
        assert!(resolve_base_url(Some("ftp://x".into()), &none).is_err());
        assert!(resolve_base_url(Some("not a url".into()), &none).is_err());
        let cfg = Config {
            base_url: "http://h/p".into(),
            ..Config::default()
        };
        assert_eq!(cfg.endpoint("/v2/snapshots"), "http://h/p/v2/snapshots");
    }
}
