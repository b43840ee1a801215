//! What the cargo integration tests share.

use proptest::test_runner::Config;

/// Cases per property: `PROPTEST_CASES` when set, else proptest's default (256).
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
