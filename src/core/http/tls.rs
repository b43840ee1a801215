//! Building the reqwest client: trust settings, proxies, same-origin redirects, the connection pool.

use std::time::Duration;

use crate::core::config::{Config, Trust};
use crate::core::error::{Error, Result};
use crate::core::files;

const MAX_REDIRECTS: usize = 10;

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// Most requests `list_all` keeps in flight on one HTTP/1.1 origin, which is also the idle pool kept per host.
pub const HTTP1_MAX_CONNECTIONS: usize = 32;

/// The trust settings as reqwest options. On Linux (and other Unixes that are not Apple or Android) the system
/// roots are loaded here, from the places rustls-platform-verifier would use (rustls-native-certs: SSL_CERT_FILE
/// / SSL_CERT_DIR when set, else the system bundle found by openssl-probe), so that a broken file is a typed
/// error naming it instead of a `log::warn!` from inside the verifier, and so that every file is read by
/// `files::read_bounded` (only regular files, at most 16 MiB each). macOS and Windows use the OS verifier
/// through reqwest.
///
/// Loaded once per client ([`load_roots`]) and kept: every reqwest client built for it (one per thread that makes
/// blocking calls, and again in a forked child) reuses them. Reading a system's CA directory takes milliseconds
/// (4 ms for 292 files here), building a reqwest client from loaded roots a fraction of one.
#[derive(Clone)]
pub(super) enum Roots {
    /// `verify=False`.
    Insecure,
    /// Only these (a `verify=` file, or the system's files on Linux and other Unixes).
    Certs(Vec<reqwest::Certificate>),
    /// The platform verifier, through reqwest (macOS, Windows).
    #[allow(dead_code)] // built on the platforms whose `system_trust` returns it
    Platform,
}

impl Roots {
    fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        match self {
            Roots::Insecure => builder.tls_danger_accept_invalid_certs(true),
            Roots::Certs(certs) => builder.tls_certs_only(certs.iter().cloned()),
            Roots::Platform => builder,
        }
    }
}

/// The trust settings' roots, read from their files.
pub(super) fn load_roots(trust: &Trust) -> Result<Roots> {
    match trust {
        Trust::Insecure => Ok(Roots::Insecure),
        Trust::CaFile(path) => {
            let bytes = files::read_bounded(
                path,
                files::MAX_LOCAL_FILE_BYTES,
                "verify",
                &format!("the CA file verify={:?}", path.display()),
            )?;
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
            Ok(Roots::Certs(certs))
        }
        Trust::System => system_trust(),
    }
}

/// The most bytes read from the CA files of the system trust together (`SSL_CERT_FILE` and every file of
/// `SSL_CERT_DIR`, or the system's bundle and directories): 64 MiB. Each file is also at most
/// `files::MAX_LOCAL_FILE_BYTES`, so at most this plus 16 MiB is ever held. A system's trust is well under 1 MiB.
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
pub const MAX_CA_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// Certificates from the system trust's files, and what went wrong on the way (messages, no file contents).
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
#[derive(Default)]
struct CaLoad {
    certs: Vec<rustls::pki_types::CertificateDer<'static>>,
    errors: Vec<String>,
    bytes: u64,
    /// (device, inode) of the files read, so a bundle linked from a directory is read once.
    seen: std::collections::HashSet<(u64, u64)>,
}

#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
impl CaLoad {
    /// Reads one PEM file (`what` names it in errors), within the per-file and the total limits.
    fn file(&mut self, path: &std::path::Path, what: &str) {
        use rustls::pki_types::pem::{self, PemObject};
        use rustls::pki_types::CertificateDer;
        use std::os::unix::fs::MetadataExt;

        if let Ok(meta) = std::fs::metadata(path) {
            if !self.seen.insert((meta.dev(), meta.ino())) {
                return;
            }
        }
        if self.bytes > MAX_CA_TOTAL_BYTES {
            return; // already reported
        }
        let bytes = match files::read_bounded(path, files::MAX_LOCAL_FILE_BYTES, "verify", what) {
            Ok(b) => b,
            Err(e) => return self.errors.push(e.to_string()),
        };
        self.bytes += bytes.len() as u64;
        if self.bytes > MAX_CA_TOTAL_BYTES {
            self.errors.push(format!(
                "cannot read {what}: the CA files together are larger than {}, the limit for the system trust",
                files::describe_limit(MAX_CA_TOTAL_BYTES)
            ));
            return;
        }
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            match cert {
                Ok(c) => self.certs.push(c),
                Err(e) => {
                    // pki-types' own messages quote the offending line: say what is wrong in our words.
                    let why = match e {
                        pem::Error::MissingSectionEnd { .. } => "a PEM section has no END line",
                        pem::Error::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed",
                        pem::Error::Base64Decode(_) => "a PEM section is not valid base64",
                        _ => "it is not a PEM file",
                    };
                    self.errors.push(format!("failed to read PEM from {what}: {why}"));
                    return;
                }
            }
        }
    }

    /// Every regular file of a directory (as OpenSSL's `c_rehash` directories hold them): anything else in
    /// it (a FIFO, a socket, a subdirectory, a dangling link) is skipped, as rustls-native-certs does.
    fn dir(&mut self, dir: &std::path::Path, what: &str) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return self.errors.push(format!("cannot read the directory {what}: {e}")),
        };
        for entry in entries {
            let path = match entry {
                Ok(entry) => entry.path(),
                Err(e) => {
                    self.errors.push(format!("cannot read the directory {what}: {e}"));
                    continue;
                }
            };
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {
                    self.file(&path, &format!("the file {:?} of {what}", path.display()));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => self
                    .errors
                    .push(format!("cannot read {:?} of {what}: {e}", path.display())),
            }
        }
    }
}

#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
fn system_trust() -> Result<Roots> {
    // rustls-native-certs' rules: SSL_CERT_FILE (when set) and SSL_CERT_DIR (when it names a directory), else
    // the bundle and directories openssl-probe finds.
    let env_file = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let env_dirs: Vec<std::path::PathBuf> = std::env::var_os("SSL_CERT_DIR")
        .map(|d| {
            std::env::split_paths(&d)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    let from_env = env_file.is_some() || !env_dirs.is_empty();
    let mut load = CaLoad::default();
    if from_env {
        if let Some(file) = &env_file {
            load.file(file, &format!("SSL_CERT_FILE={:?}", file.display()));
        }
        if let Some(dirs) = std::env::var_os("SSL_CERT_DIR").filter(|_| !env_dirs.is_empty()) {
            for dir in &env_dirs {
                load.dir(dir, &format!("SSL_CERT_DIR={dirs:?}"));
            }
        }
    } else {
        let probe = openssl_probe::probe();
        if let Some(file) = &probe.cert_file {
            load.file(file, &format!("the system CA file {:?}", file.display()));
        }
        for dir in &probe.cert_dir {
            load.dir(dir, &format!("the system CA directory {:?}", dir.display()));
        }
    }
    let source = if from_env {
        ["SSL_CERT_FILE", "SSL_CERT_DIR"]
            .iter()
            .filter_map(|v| std::env::var_os(v).map(|val| format!("{v}={val:?}")))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        "the system CA bundle".to_owned()
    };
    // A variable the user set that can't be read is a misconfiguration; a stray bad file in a system directory
    // is not (the verifier skips those too).
    if let Some(e) = load.errors.first().filter(|_| from_env) {
        return Err(Error::invalid(
            "verify",
            format!("cannot load CA certificates from {source}: {e}"),
        ));
    }
    for e in &load.errors {
        log::debug!(target: "gradientai_rs::tls", "skipping a CA certificate source: {e}");
    }
    load.certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    load.certs.dedup();
    let certs: Vec<reqwest::Certificate> = load
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
    Ok(Roots::Certs(certs))
}

#[cfg(not(all(unix, not(target_vendor = "apple"), not(target_os = "android"))))]
fn system_trust() -> Result<Roots> {
    Ok(Roots::Platform)
}

pub(super) fn build_reqwest(config: &Config, roots: &Roots) -> Result<reqwest::Client> {
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
    roots.apply(builder).build().map_err(|e| {
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

#[cfg(all(test, unix, not(target_vendor = "apple"), not(target_os = "android")))]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("gradientai-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn ssl_cert_file_must_be_a_small_regular_file() {
        let mut load = CaLoad::default();
        load.file(std::path::Path::new("/dev/zero"), "SSL_CERT_FILE=\"/dev/zero\"");
        assert_eq!(
            load.errors,
            ["cannot read SSL_CERT_FILE=\"/dev/zero\": it is a character device; only regular files are read"]
        );
    }

    #[test]
    fn a_certificate_directory_skips_special_files_and_is_bounded_in_total() {
        let dir = tmp("dir");
        assert!(std::process::Command::new("mkfifo")
            .arg(dir.join("fifo.pem"))
            .status()
            .unwrap()
            .success());
        let _sock = std::os::unix::net::UnixListener::bind(dir.join("sock.pem")).unwrap();
        std::fs::create_dir(dir.join("sub")).unwrap();
        let mut load = CaLoad::default();
        load.dir(&dir, "SSL_CERT_DIR=\"d\"");
        assert!(load.errors.is_empty() && load.certs.is_empty(), "{:?}", load.errors);
        // Five sparse files of 15 MiB each (no PEM in them): the fifth goes over the 64 MiB total.
        for i in 0..5 {
            let f = std::fs::File::create(dir.join(format!("z{i}.pem"))).unwrap();
            f.set_len(15 * 1024 * 1024).unwrap();
        }
        let mut load = CaLoad::default();
        load.dir(&dir, "SSL_CERT_DIR=\"d\"");
        assert_eq!(load.errors.len(), 1, "{:?}", load.errors);
        assert!(
            load.errors[0].ends_with("the CA files together are larger than 64 MiB, the limit for the system trust"),
            "{:?}",
            load.errors
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
