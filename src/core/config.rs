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

/// Words that make a header or query parameter name a secret (any case): `Authorization`, `Proxy-Authorization`,
/// `X-Auth-*`, `Cookie`, `Set-Cookie`, `X-DO-Password`, `X-Api-Key`, `access_token`, `client_secret`...
const SENSITIVE_WORDS: [&str; 9] = [
    "auth",
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "cookie",
    "session",
    "signature",
];

/// Whether a header name is a secret: it contains one of the sensitive words (see the list above), any case.
/// Request headers with such names have their values redacted everywhere; response headers too (`Set-Cookie`).
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SENSITIVE_WORDS.iter().any(|w| n.contains(w))
}

/// Secrets shorter than this are redacted only where they stand alone (see [`Redactor::redact`]).
pub const SHORT_SECRET: usize = 4;

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

    /// The length in bytes of the longest secret (0 without any).
    pub fn longest(&self) -> usize {
        self.secrets.first().map_or(0, String::len)
    }

    /// Whether `value` is (or holds) one of the secrets.
    pub fn holds_secret(&self, value: &str) -> bool {
        self.redact(value) != value
    }

    /// Replaces every secret in `text` with `***`. The rules:
    /// - on the raw text, and on the text decoded: JSON escapes (`\u0064`, `\/`, `\"`, surrogate pairs) and
    ///   percent escapes (`%64`) are read as the characters they stand for, and a secret spelled that way is
    ///   replaced whole, escapes included;
    /// - a secret of [`SHORT_SECRET`] characters or more is replaced wherever it occurs;
    /// - a shorter one (a 1-character token, say) only where it stands alone: not next to an ASCII letter, digit,
    ///   `-` or `_` (redacting every `a` of a message would make it unreadable, and would say what the token is).
    pub fn redact(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_owned();
        }
        // The fast path: nothing escaped, so the raw text is the decoded text.
        if !text.contains(['\\', '%']) {
            return replace_ranges(text, &self.find(text, None));
        }
        let (decoded, spans) = decode_escapes(text);
        let mut ranges = self.find(text, None);
        ranges.extend(self.find(&decoded, Some(&spans)));
        replace_ranges(text, &ranges)
    }

    /// Byte ranges of `text` (or, with `spans`, of the raw text `text` was decoded from) that hold a secret.
    fn find(&self, text: &str, spans: Option<&[(usize, usize)]>) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for s in &self.secrets {
            let short = s.chars().count() < SHORT_SECRET;
            for (at, m) in text.match_indices(s.as_str()) {
                let end = at + m.len();
                if short && !(stands_alone(text[..at].chars().next_back()) && stands_alone(text[end..].chars().next()))
                {
                    continue;
                }
                out.push(match spans {
                    None => (at, end),
                    Some(spans) => (spans[at].0, spans[end - 1].1),
                });
            }
        }
        out
    }

    /// `url` as it may be shown (errors, logs): userinfo, the values of query parameters with a sensitive name
    /// (`token=`, `api_key=`, `X-Amz-Signature=`...) or holding a secret, and the fragment become `***`, and the
    /// secrets are redacted from the rest. Text that is not a URL is redacted as text, its query cut off.
    pub fn scrub_url(&self, url: &str) -> String {
        self.redact(&scrub_url_with(url, |k, v| {
            is_sensitive_header(k) || self.holds_secret(v)
        }))
    }

    /// Every URL in `text` (`http://` or `https://` up to a space, quote or bracket) through [`Self::scrub_url`],
    /// then the secrets redacted from the rest: for messages that quote URLs (transport errors).
    pub fn scrub_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = [rest.find("http://"), rest.find("https://")]
            .into_iter()
            .flatten()
            .min()
        {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | '(' | '`'))
                .unwrap_or(tail.len());
            out.push_str(&self.scrub_url(&tail[..end]));
            rest = &tail[end..];
        }
        out.push_str(rest);
        self.redact(&out)
    }
}

/// Not part of a token: a short secret next to one of these (or at either end) stands alone.
fn stands_alone(c: Option<char>) -> bool {
    c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// `text` with each of `ranges` (merged where they overlap) replaced by `***`.
fn replace_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    if ranges.is_empty() {
        return text.to_owned();
    }
    let mut ranges = ranges.to_vec();
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end) in ranges {
        if end <= pos {
            continue;
        }
        out.push_str(&text[pos..start.max(pos)]);
        if start >= pos {
            out.push_str("***");
        }
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// `text` with JSON escapes (`\uXXXX`, surrogate pairs, `\/`, `\"`, `\\`, `\n`...) and ASCII percent escapes
/// (`%41`) decoded, and for each byte of the result the byte range of `text` it came from. An escape that decodes
/// to nothing valid (a lone surrogate, `%zz`) is kept as written.
fn decode_escapes(text: &str) -> (String, Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(text.len());
    let hex4 = |at: usize| -> Option<u32> {
        let h = text.get(at..at + 4)?;
        h.bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(h, 16).ok())?
    };
    let push = |out: &mut String, spans: &mut Vec<(usize, usize)>, c: char, from: usize, to: usize| {
        out.push(c);
        spans.extend(std::iter::repeat_n((from, to), c.len_utf8()));
    };
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'\\' if i + 1 < bytes.len() => match bytes[i + 1] {
                b'u' => hex4(i + 2).and_then(|hi| {
                    if (0xD800..0xDC00).contains(&hi) && text.get(i + 6..i + 8) == Some("\\u") {
                        let lo = hex4(i + 8).filter(|lo| (0xDC00..0xE000).contains(lo))?;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).map(|c| (c, 12))
                    } else {
                        char::from_u32(hi).map(|c| (c, 6))
                    }
                }),
                b'/' => Some(('/', 2)),
                b'\\' => Some(('\\', 2)),
                b'"' => Some(('"', 2)),
                b'n' => Some(('\n', 2)),
                b'r' => Some(('\r', 2)),
                b't' => Some(('\t', 2)),
                b'b' => Some(('\u{8}', 2)),
                b'f' => Some(('\u{c}', 2)),
                _ => None,
            },
            b'%' => text
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(u8::is_ascii)
                .map(|b| (b as char, 3)),
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                push(&mut out, &mut spans, c, i, i + len);
                i += len;
            }
            None => {
                let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                push(&mut out, &mut spans, c, i, i + c.len_utf8());
                i += c.len_utf8();
            }
        }
    }
    (out, spans)
}

/// `url` with userinfo, the values of the query parameters `secret(name, value)` picks, and the fragment replaced
/// by `***`. Text that doesn't parse as a URL is cut at its first `?` or `#` (and its `user:pass@` masked).
fn scrub_url_with(url: &str, secret: impl Fn(&str, &str) -> bool) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        let cut = url.find(['?', '#']).unwrap_or(url.len());
        let mut out = url[..cut].to_owned();
        if let Some(at) = out.rfind('@') {
            let start = out.find("://").map_or(0, |i| i + 3);
            out = if start <= at {
                format!("{}***{}", &out[..start], &out[at..])
            } else {
                "(a URL with credentials)".to_owned()
            };
        }
        if cut < url.len() {
            out.push_str("?***");
        }
        return out;
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let _ = parsed.set_username("***");
        let _ = parsed.set_password(None);
    }
    if parsed.fragment().is_some() {
        parsed.set_fragment(Some("***"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k, &v) {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        let changed = pairs.iter().any(|(_, v)| v == "***");
        if changed {
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    parsed.to_string()
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
    /// The token redacted from `text` by the one [`Redactor`] (its rules: decoded escapes, short tokens).
    pub fn redact(&self, text: &str) -> String {
        Redactor::new(Some(self), &[]).redact(text)
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

/// `raw` for an error message: userinfo, every query value and the fragment masked (a base URL carrying a token
/// in `?token=` is not echoed), quoted.
fn shown(raw: &str) -> String {
    format!("{:?}", scrub_url_with(raw, |_, _| true))
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

    fn token(t: &str) -> Redactor {
        Redactor::new(Some(&ApiKey::new(t)), &[])
    }

    #[test]
    fn redaction_runs_on_decoded_text() {
        let r = token("dop_v1_secret/42");
        let escaped: String = "dop_v1_secret/42"
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        for body in [
            format!(r#"{{"message":"bad token {escaped}"}}"#),
            r#"{"message":"bad token dop_v1_secret\/42"}"#.to_owned(),
            r#"{"message":"bad token dop_v1_s\u0065cret\/42!"}"#.to_owned(),
            "token=dop_v1_secret%2F42&x=1".to_owned(),
            "plain dop_v1_secret/42".to_owned(),
        ] {
            let out = r.redact(&body);
            assert!(out.contains("***"), "{body} -> {out}");
            let decoded = serde_json::from_str::<serde_json::Value>(&out)
                .map(|v| v.to_string())
                .unwrap_or_default();
            assert!(
                !out.contains("secret") && !decoded.contains("secret"),
                "{body} -> {out}"
            );
        }
        // The JSON stays JSON.
        let out = r.redact(&format!(r#"{{"message":"{escaped}","id":"x"}}"#));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["message"], "***");
        // Escapes that are not the token are left alone.
        assert_eq!(
            r.redact(r#"{"a":"\u00e9\/x %zz \ud800"}"#),
            r#"{"a":"\u00e9\/x %zz \ud800"}"#
        );
    }

    #[test]
    fn short_tokens_are_redacted_where_they_stand_alone() {
        let r = token("t");
        assert_eq!(r.redact("t"), "***");
        assert_eq!(r.redact("bad token: t."), "bad token: ***.");
        assert_eq!(r.redact(r#"{"echo":"\u0074"}"#), r#"{"echo":"***"}"#);
        assert_eq!(r.redact("the t-shirt"), "the t-shirt");
        let r = token("ab1");
        assert_eq!(r.redact("Bearer ab1 / ab12 / xab1"), "Bearer *** / ab12 / xab1");
        assert_eq!(r.scrub_url("https://h/x?q=ab1"), "https://h/x?q=***");
    }

    #[test]
    fn urls_are_scrubbed() {
        let r = token("dop_v1_tok");
        for (url, hidden) in [
            ("https://h/v2/snapshots?token=other-secret&page=2", "other-secret"),
            ("https://h/v2/snapshots?region=dop_v1_tok", "dop_v1_tok"),
            ("https://h/v2/snapshots?X-Amz-Signature=abcdef&page=2", "abcdef"),
            ("https://user:pw-123@h/v2/", "pw-123"),
            ("https://h/v2/#frag-secret", "frag-secret"),
            ("https://h/v2/dop_v1_tok/x", "dop_v1_tok"),
        ] {
            let out = r.scrub_url(url);
            assert!(!out.contains(hidden) && out.contains("***"), "{url} -> {out}");
        }
        assert_eq!(
            r.scrub_url("https://h/v2/snapshots?page=2"),
            "https://h/v2/snapshots?page=2"
        );
        let msg = r.scrub_text("error sending request for url (https://h/v2/x?access_token=zzz9): boom");
        assert_eq!(
            msg,
            "error sending request for url (https://h/v2/x?access_token=***): boom"
        );
    }

    #[test]
    fn secret_header_names() {
        for name in [
            "Cookie",
            "Set-Cookie",
            "X-Auth-Token",
            "X-Auth",
            "X-DO-Password",
            "Proxy-Authorization",
            "authorization",
            "X-Api-Key",
        ] {
            assert!(is_sensitive_header(name), "{name}");
        }
        for name in ["x-request-id", "content-type", "ratelimit-remaining", "user-agent"] {
            assert!(!is_sensitive_header(name), "{name}");
        }
    }

    #[test]
    fn a_base_url_with_a_token_in_its_query_is_not_echoed() {
        for raw in [
            "https://h/?token=dop_v1_abc",
            "https://h/#dop_v1_abc",
            "ht!tp://h/?token=dop_v1_abc",
        ] {
            let msg = normalize_base_url(raw).unwrap_err().to_string();
            assert!(!msg.contains("dop_v1_abc"), "{msg}");
        }
    }
}
