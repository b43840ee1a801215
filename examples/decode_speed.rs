//! How long `decode_page` (and dropping its rows) takes on one page, best of 30 rounds of 200 decodes:
//!
//! ```sh
//! cargo run --release --no-default-features --example decode_speed -- page.json
//! ```
//!
//! `page.json` is a list answer, e.g. `{"snapshots": generate_snapshots(200), "links": {}, "meta": {"total": 200}}`
//! from `gradientai_rs.testing`. For where the time goes, run the binary under `perf record -e cpu-clock` (this
//! VM has no hardware counters) with `CARGO_PROFILE_RELEASE_STRIP=false`.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: printing is its job

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: decode_speed PAGE.json");
        std::process::exit(2);
    };
    let body = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    if let Err(e) = _core::core::models::decode_page(&body) {
        eprintln!("{path}: not a list answer: {e}");
        std::process::exit(2);
    }
    let mut best = std::time::Duration::MAX;
    for _ in 0..30 {
        let t = std::time::Instant::now();
        for _ in 0..200 {
            std::hint::black_box(_core::core::models::decode_page(std::hint::black_box(&body)).ok());
        }
        best = best.min(t.elapsed() / 200);
    }
    println!(
        "decode_page, rows dropped too: {best:?} per page ({} bytes)",
        body.len()
    );
}
