//! The one way the package reads a local file: [`read_bounded`].
//!
//! The rules, for every local file (the CA bundle of `verify="ca.pem"`, `SSL_CERT_FILE`, the files of
//! `SSL_CERT_DIR` and the system CA locations, doctl's config from `config_path=` or `DIGITALOCEAN_CONFIG`):
//!
//! - only a regular file is read (a symlink to one is fine). A FIFO, a socket, a character or block device
//!   (`/dev/zero`, `/dev/stdin`) or a directory is refused from its metadata, before it is opened, so nothing
//!   can block: the file is then opened with `O_NONBLOCK` and the opened file's own metadata is checked again,
//!   so a path swapped for a FIFO in between can't block either;
//! - at most `limit` bytes are read ([`MAX_LOCAL_FILE_BYTES`], 16 MiB, for every caller today): a file larger
//!   than that is refused, from its size when the metadata tells it and otherwise after `limit + 1` bytes, so
//!   memory stays bounded whatever the file is;
//! - every refusal is an `InvalidArgument` error naming the parameter or environment variable the path came
//!   from and the limit. Nothing of the file's contents is ever put in a message.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

use crate::core::error::{Error, Result};

/// The most bytes read from any local file: 16 MiB. A CA bundle is about 0.2 MiB (Debian's
/// `ca-certificates.crt`, 140-odd roots) and doctl's config a few KiB, so this is two orders of magnitude of
/// headroom while keeping a mistaken path (`/dev/zero`, a disk image) from taking the machine's memory.
pub const MAX_LOCAL_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// `limit` for a message: "16 MiB" (or bytes when it isn't a whole number of MiB).
pub fn describe_limit(limit: u64) -> String {
    if limit >= 1024 * 1024 && limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    }
}

/// What kind of file `meta` describes, when it isn't a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever. On a regular file it
    // changes nothing (POSIX: "the O_NONBLOCK flag ... shall have no effect" on regular files' reads).
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// Reads the regular file at `path`, at most `limit` bytes of it (see the module's rules). Errors are
/// `InvalidArgument(param)` with the message `cannot read {what}: {why}`; `what` names the file and where its
/// path came from (`the CA file verify="ca.pem"`, `SSL_CERT_FILE="/dev/zero"`).
pub fn read_bounded(path: &Path, limit: u64, param: &'static str, what: &str) -> Result<Vec<u8>> {
    let fail = |why: String| Error::invalid(param, format!("cannot read {what}: {why}"));
    let too_large = || {
        fail(format!(
            "it is larger than {}, the limit for a local file",
            describe_limit(limit)
        ))
    };
    let check = |meta: &Metadata| -> Result<()> {
        if let Some(kind) = not_regular(meta) {
            return Err(fail(format!("it is {kind}; only regular files are read")));
        }
        if meta.len() > limit {
            return Err(too_large());
        }
        Ok(())
    };
    // Before opening: a FIFO or a device is never opened at all.
    check(&std::fs::metadata(path).map_err(|e| fail(e.to_string()))?)?;
    let file = open_nonblocking(path).map_err(|e| fail(e.to_string()))?;
    // After opening: the file we hold is the one that was checked (or at least also a small regular file).
    check(&file.metadata().map_err(|e| fail(e.to_string()))?)?;
    let mut buf = Vec::new();
    // `limit + 1` so that a file which grew (or a /proc file reporting size 0) is seen to be too large.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| fail(e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("gradientai-files-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn err(path: &Path, limit: u64) -> String {
        read_bounded(path, limit, "verify", "the CA file verify=\"x\"")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_regular_files_up_to_the_limit() {
        let dir = tmp("regular");
        let path = dir.join("a.txt");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10, "verify", "x").unwrap(), b"0123456789");
        assert_eq!(
            err(&path, 9),
            "cannot read the CA file verify=\"x\": it is larger than 9 bytes, the limit for a local file"
        );
        // A symlink to a regular file is read.
        #[cfg(unix)]
        {
            let link = dir.join("link");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            assert_eq!(read_bounded(&link, 10, "verify", "x").unwrap(), b"0123456789");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_over_16_mib_is_refused_from_its_size() {
        let dir = tmp("big");
        let path = dir.join("big.pem");
        let f = File::create(&path).unwrap();
        // Sparse: 17 MiB of length, no blocks written.
        f.set_len(17 * 1024 * 1024).unwrap();
        let e = err(&path, MAX_LOCAL_FILE_BYTES);
        assert!(
            e.ends_with("it is larger than 16 MiB, the limit for a local file"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directories_are_refused() {
        let dir = tmp("dir");
        let e = err(&dir, MAX_LOCAL_FILE_BYTES);
        assert!(e.ends_with("it is a directory; only regular files are read"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_files_name_the_parameter() {
        let e = read_bounded(Path::new("/nonexistent/x.pem"), 5, "verify", "the CA file verify=\"x\"").unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { param: "verify", .. }));
        assert!(
            e.to_string().starts_with("cannot read the CA file verify=\"x\": "),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_sockets_are_refused_without_blocking() {
        let t0 = Instant::now();
        let e = err(Path::new("/dev/zero"), MAX_LOCAL_FILE_BYTES);
        assert!(
            e.ends_with("it is a character device; only regular files are read"),
            "{e}"
        );

        let dir = tmp("special");
        let fifo = dir.join("fifo");
        // libc::mkfifo would need `unsafe`, which the crate denies: the coreutils tool makes it.
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let e = err(&fifo, MAX_LOCAL_FILE_BYTES);
        assert!(
            e.ends_with("it is a FIFO (named pipe); only regular files are read"),
            "{e}"
        );

        let sock = dir.join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let e = err(&sock, MAX_LOCAL_FILE_BYTES);
        assert!(e.ends_with("it is a socket; only regular files are read"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(5));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_proc_file_reporting_size_zero_is_still_bounded() {
        // /proc/self/maps is a regular file whose metadata says 0 bytes; the read itself stops at limit + 1.
        let e = err(Path::new("/proc/self/maps"), 16);
        assert!(
            e.ends_with("it is larger than 16 bytes, the limit for a local file"),
            "{e}"
        );
    }
}
