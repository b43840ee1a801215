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
/// The longest `list_all(wait_for_rate_limit=True)` sleeps for `ratelimit-reset` unless told otherwise.
pub const DEFAULT_MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(3600);
/// Set to `1` (or `true`/`yes`) to allow a cleartext `http://` base URL that is not loopback.
pub const ALLOW_INSECURE_HTTP_ENV: &str = "GRADIENTAI_RS_ALLOW_INSECURE_HTTP";

/// Which certificates a TLS server must chain to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Trust {
    /// The platform's trust (see README "Security"): on Linux the CA files named by SSL_CERT_FILE / SSL_CERT_DIR,
    /// else the system bundle; on macOS and Windows the OS verifier.
    #[default]
    System,
    /// `verify=False`: no certificate checks at all.
    Insecure,
    /// `verify="ca.pem"`: only the CA certificates in this PEM file.
    CaFile(std::path::PathBuf),
}

/// The secrets a client sends: its token and every sensitive header value (see [`is_sensitive_header`]).
/// Anything an error, a repr or a log line repeats from a server or a transport error passes through
/// [`Redactor::redact`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// `Authorization`, and any header whose name contains `token`, `key` or `secret` (any case).
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n == "proxy-authorization" || ["token", "key", "secret"].iter().any(|w| n.contains(w))
}

impl Redactor {
    pub fn new(key: Option<&ApiKey>, headers: &[(String, String)]) -> Self {
        let mut r = Self::default();
        if let Some(k) = key {
            r.add(k.expose());
        }
        r.add_headers(headers);
        r
    }

    pub fn add(&mut self, secret: &str) {
        let s = secret.trim();
        if s.is_empty() {
            return;
        }
        // `Bearer abc`: the credential alone is secret too.
        for part in std::iter::once(s).chain(s.split_whitespace().skip(1)) {
            if !self.secrets.iter().any(|x| x == part) {
                self.secrets.push(part.to_owned());
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    pub fn add_headers(&mut self, headers: &[(String, String)]) {
        for (k, v) in headers {
            if is_sensitive_header(k) {
                self.add(v);
            }
        }
    }

    /// Replaces every secret of at least 4 characters in `text` with `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = None::<String>;
        for s in self.secrets.iter().filter(|s| s.len() >= 4) {
            let cur = out.as_deref().unwrap_or(text);
            if cur.contains(s.as_str()) {
                out = Some(cur.replace(s.as_str(), "***"));
            }
        }
        out.unwrap_or_else(|| text.to_owned())
    }
}

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
    /// Which server certificates are trusted (`verify=`).
    pub trust: Trust,
    /// A cleartext base URL that is not loopback is refused unless this is set (or [`ALLOW_INSECURE_HTTP_ENV`]).
    pub allow_insecure_http: bool,
    /// Upper bound on one `ratelimit-reset` wait of `list_all(wait_for_rate_limit=True)`.
    pub max_rate_limit_wait: Duration,
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
            trust: Trust::System,
            allow_insecure_http: false,
            max_rate_limit_wait: DEFAULT_MAX_RATE_LIMIT_WAIT,
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

/// `raw` for an error message, with anything that looks like `user:pass@` masked.
fn shown(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return format!("{raw:?}");
    };
    let start = raw.find("://").map_or(0, |i| i + 3);
    if start <= at {
        format!("{:?}", format!("{}***{}", &raw[..start], &raw[at..]))
    } else {
        "(a URL with credentials)".to_owned()
    }
}

pub fn normalize_base_url(raw: &str) -> Result<String> {
    let raw = raw.trim();
    let parsed = Url::parse(raw).map_err(|e| {
        Error::invalid(
            "base_url",
            format!("base_url must be an absolute http(s) URL, got {} ({e})", shown(raw)),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::invalid(
            "base_url",
            format!("base_url must be an absolute http(s) URL, got {}", shown(raw)),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid(
            "base_url",
            "base_url must not contain credentials (user:password@); pass the token as api_key",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::invalid(
            "base_url",
            format!("base_url must not carry a query or fragment, got {}", shown(raw)),
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Whether `base_url` (already normalised) names this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(base_url: &str) -> bool {
    match Url::parse(base_url).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// Whether the variable [`ALLOW_INSECURE_HTTP_ENV`] turns cleartext on.
pub fn env_allows_insecure_http(env: impl Fn(&str) -> Option<String>) -> bool {
    env(ALLOW_INSECURE_HTTP_ENV).is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

impl Config {
    /// Refuses a cleartext base URL off this machine: the token would cross the network readable by anyone on
    /// the path. Loopback, `allow_insecure_http` and [`ALLOW_INSECURE_HTTP_ENV`] are the ways round it.
    pub fn check_transport(&self, env: impl Fn(&str) -> Option<String>) -> Result<()> {
        if self.base_url.starts_with("http://")
            && !is_loopback(&self.base_url)
            && !self.allow_insecure_http
            && !env_allows_insecure_http(env)
        {
            return Err(Error::invalid(
                "base_url",
                format!(
                    "refusing cleartext base_url {:?}: the token would be sent unencrypted. Use https://, or pass \
                     allow_insecure_http=True (or set {ALLOW_INSECURE_HTTP_ENV}=1) if this network is trusted",
                    self.base_url
                ),
            ));
        }
        Ok(())
    }

    /// The redactor for this configuration's token and sensitive default headers.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.api_key.as_ref(), &self.default_headers)
    }

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

    #[test]
    fn credentials_in_the_url_are_refused_unechoed() {
        for raw in [
            "https://user:hunter22@h/",
            "https://hunter22@h",
            "http://user:hunter22@127.0.0.1:1",
        ] {
            let msg = normalize_base_url(raw).unwrap_err().to_string();
            assert!(msg.contains("credentials") && !msg.contains("hunter22"), "{msg}");
        }
        let msg = normalize_base_url("ht!tp://u:hunter22@h").unwrap_err().to_string();
        assert!(!msg.contains("hunter22"), "{msg}");
    }

    #[test]
    fn cleartext_off_loopback_is_refused() {
        let none = env_of(&[]);
        let cfg = |url: &str, allow: bool| Config {
            base_url: normalize_base_url(url).unwrap(),
            allow_insecure_http: allow,
            ..Config::default()
        };
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:1",
            "http://localhost",
            "http://a.localhost:1",
            "https://example.com",
        ] {
            assert!(cfg(ok, false).check_transport(&none).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
        ] {
            let err = cfg(bad, false).check_transport(&none).unwrap_err().to_string();
            assert!(err.contains("allow_insecure_http"), "{err}");
            assert!(cfg(bad, true).check_transport(&none).is_ok());
            assert!(cfg(bad, false)
                .check_transport(env_of(&[(ALLOW_INSECURE_HTTP_ENV, "1")]))
                .is_ok());
            assert!(cfg(bad, false)
                .check_transport(env_of(&[(ALLOW_INSECURE_HTTP_ENV, "0")]))
                .is_err());
        }
    }

    #[test]
    fn redactor_hides_token_and_sensitive_headers() {
        let headers = vec![
            ("Authorization".to_owned(), "Bearer s3cr3t-value".to_owned()),
            ("X-Api-KEY".to_owned(), "abcd1234".to_owned()),
            ("x-session-token".to_owned(), "tok-999".to_owned()),
            ("X-Client-Secret".to_owned(), "shh-shh".to_owned()),
            ("X-Trace".to_owned(), "visible-trace".to_owned()),
        ];
        let r = Redactor::new(Some(&ApiKey::new("dop_v1_tok")), &headers);
        let out = r.redact("dop_v1_tok s3cr3t-value abcd1234 tok-999 shh-shh visible-trace");
        assert_eq!(out, "*** *** *** *** *** visible-trace");
        assert!(!format!("{r:?}").contains("abcd"));
        assert!(is_sensitive_header("X-API-Key") && is_sensitive_header("authorization"));
        assert!(!is_sensitive_header("x-request-id"));
    }
}
