//! Building the reqwest client: trust settings, proxies, same-origin redirects, the connection pool.

use std::time::Duration;

use crate::core::config::{Config, Trust};
use crate::core::error::{Error, Result};

const MAX_REDIRECTS: usize = 10;

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Most requests `list_all` keeps in flight on one HTTP/1.1 origin, which is also the idle pool kept per host.
pub const HTTP1_MAX_CONNECTIONS: usize = 32;

/// The trust settings as reqwest options. On Linux (and other Unixes that are not Apple or Android) the system
/// roots are loaded here, exactly as rustls-platform-verifier would (rustls-native-certs: SSL_CERT_FILE /
/// SSL_CERT_DIR when set, else the system bundle), so that a broken file is a typed error naming it instead of
/// a `log::warn!` from inside the verifier. macOS and Windows use the OS verifier through reqwest.
fn apply_trust(builder: reqwest::ClientBuilder, trust: &Trust) -> Result<reqwest::ClientBuilder> {
    match trust {
        Trust::Insecure => Ok(builder.tls_danger_accept_invalid_certs(true)),
        Trust::CaFile(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::invalid(
                    "verify",
                    format!("cannot read the CA file verify={:?}: {e}", path.display()),
                )
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&bytes)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::invalid(
                        "verify",
                        format!(
                            "verify={:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                            path.display()
                        ),
                    )
                })?;
            Ok(builder.tls_certs_only(certs))
        }
        Trust::System => system_trust(builder),
    }
}

#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
fn system_trust(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    let loaded = rustls_native_certs::load_native_certs();
    let from_env = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .filter_map(|v| std::env::var_os(v).map(|val| format!("{v}={:?}", val)))
        .collect::<Vec<_>>();
    let source = if from_env.is_empty() {
        "the system CA bundle".to_owned()
    } else {
        from_env.join(", ")
    };
    // A variable the user set that can't be read is a misconfiguration; a stray bad file in a system directory
    // is not (the verifier skips those too).
    if let Some(e) = loaded.errors.first().filter(|_| !from_env.is_empty()) {
        return Err(Error::invalid(
            "verify",
            format!("cannot load CA certificates from {source}: {e}"),
        ));
    }
    for e in &loaded.errors {
        log::debug!(target: "gradientai_rs::tls", "skipping a CA certificate source: {e}");
    }
    let certs: Vec<reqwest::Certificate> = loaded
        .certs
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok())
        .collect();
    if certs.is_empty() {
        return Err(Error::invalid(
            "verify",
            format!(
                "no CA certificates found in {source}; set SSL_CERT_FILE to a PEM bundle or pass verify=\"ca.pem\""
            ),
        ));
    }
    log::debug!(target: "gradientai_rs::tls", "{} CA certificates from {source}", certs.len());
    Ok(builder.tls_certs_only(certs))
}

#[cfg(not(all(unix, not(target_vendor = "apple"), not(target_os = "android"))))]
fn system_trust(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    Ok(builder)
}

pub(super) fn build_reqwest(config: &Config) -> Result<reqwest::Client> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if attempt
            .previous()
            .first()
            .is_some_and(|first| same_origin(first, attempt.url()))
        {
            attempt.follow()
        } else {
            // A redirect off the configured origin is answered as the 3xx it is: the token never follows.
            attempt.stop()
        }
    });
    let builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(HTTP1_MAX_CONNECTIONS)
        .tcp_nodelay(true)
        .redirect(policy)
        // reqwest's own retries (HTTP/2 GOAWAY and REFUSED_STREAM, within a 20 % budget) are off: every re-send
        // goes through `HttpClient::send` (one place for retries, their count and the connections they open;
        // reqwest's re-sends each raced a new TLS connection: 62 for 30 pages in our GOAWAY test).
        .retry(reqwest::retry::never())
        .gzip(true);
    let builder = apply_trust(builder, &config.trust)?;
    builder.build().map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::invalid("verify", format!("cannot set up TLS: {message}"))
    })
}
