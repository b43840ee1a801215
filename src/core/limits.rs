//! Every limit on an argument, in one place: what the binding layer (or any other caller) checks a value
//! against, and the message that names the parameter and what is allowed.

use std::time::Duration;

use crate::core::error::{Error, Result};

/// The API's page size limit.
pub const MAX_PER_PAGE: u64 = 200;
/// `list_all`'s parallel page requests.
pub const MAX_CONCURRENCY: u64 = 256;
/// `list_all`'s listings when the account changes underneath it.
pub const MAX_ATTEMPTS: u64 = 10;
/// A timeout of up to a year (anything longer is a mistake, and `Duration` arithmetic stays safe).
pub const MAX_TIMEOUT_SECS: f64 = 86_400.0 * 365.0;

fn in_range(param: &'static str, value: i64, lo: u64, hi: u64) -> Result<u64> {
    u64::try_from(value)
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| out_of_range(param, &value.to_string()))
}

/// The error for an integer argument outside its range; `shown` is the value as the caller wrote it (it may be
/// too large for any integer type here).
pub fn out_of_range(param: &'static str, shown: &str) -> Error {
    let allowed = match param {
        "page" => "an integer >= 1 (at most 2**63 - 1)".to_owned(),
        "per_page" => format!("an integer between 1 and {MAX_PER_PAGE}"),
        "max_concurrency" => format!("None (auto) or an integer between 1 and {MAX_CONCURRENCY}"),
        "max_attempts" => format!("an integer between 1 and {MAX_ATTEMPTS}"),
        "max_retries" => format!("an integer between 0 and {}", u32::MAX),
        "keep_last" | "keep_hourly" | "keep_daily" | "keep_weekly" | "keep_monthly" | "keep_yearly" => {
            format!("an integer between 0 and {}", u32::MAX)
        }
        "requests_per_minute" => format!("an integer between 0 and {} (0 or None: no pacing)", u32::MAX),
        _ => "an integer in range".to_owned(),
    };
    Error::invalid(param, format!("{param} must be {allowed}, got {shown}"))
}

/// A retention count (`keep_last`, `keep_daily`, ...): 0..=u32::MAX.
pub fn keep_count(param: &'static str, value: i64) -> Result<u32> {
    in_range(param, value, 0, u64::from(u32::MAX)).map(|v| v as u32)
}

/// `keep_within`: a positive duration (in microseconds, as exact as the caller has it) of at most
/// `i64::MAX` microseconds — 106,751,991 days, about 292,000 years. `shown` is the value as the caller wrote it.
pub fn keep_within(micros: i128, shown: &str) -> Result<i64> {
    if micros <= 0 {
        return Err(Error::invalid(
            "keep_within",
            format!("keep_within must be a positive duration, got {shown}"),
        ));
    }
    i64::try_from(micros).map_err(|_| {
        Error::invalid(
            "keep_within",
            format!(
                "keep_within must be at most {} days (about 292,000 years: the longest duration this client counts in                  microseconds), got {shown}",
                i64::MAX / crate::core::datetime::MICROS_PER_DAY
            ),
        )
    })
}

/// `page`: 1 or more.
pub fn page(value: i64) -> Result<u64> {
    in_range("page", value, 1, i64::MAX as u64)
}

/// `per_page`: 1..=200.
pub fn per_page(value: i64) -> Result<u64> {
    in_range("per_page", value, 1, MAX_PER_PAGE)
}

/// `max_concurrency`: 1..=256.
pub fn max_concurrency(value: i64) -> Result<u64> {
    in_range("max_concurrency", value, 1, MAX_CONCURRENCY)
}

/// `max_attempts`: 1..=10.
pub fn max_attempts(value: i64) -> Result<u64> {
    in_range("max_attempts", value, 1, MAX_ATTEMPTS)
}

/// `max_retries`: 0..=u32::MAX.
pub fn max_retries(value: i64) -> Result<u32> {
    in_range("max_retries", value, 0, u32::MAX as u64).map(|v| v as u32)
}

/// `requests_per_minute`: 0 turns pacing off (`None`), else 1..=u32::MAX.
pub fn requests_per_minute(value: i64) -> Result<Option<u32>> {
    in_range("requests_per_minute", value, 0, u32::MAX as u64).map(|v| (v > 0).then_some(v as u32))
}

/// A timeout in seconds: positive, finite, at most a year.
pub fn timeout(param: &'static str, secs: f64) -> Result<Duration> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(Error::invalid(
            param,
            format!("{param} must be a positive number of seconds, got {secs}"),
        ))
    }
}

/// `max_rate_limit_wait`: how long a `ratelimit-reset` wait may last, in seconds; 0 or more, finite.
pub fn max_rate_limit_wait(secs: f64) -> Result<Duration> {
    if secs.is_finite() && (0.0..=MAX_TIMEOUT_SECS).contains(&secs) {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(Error::invalid(
            "max_rate_limit_wait",
            format!("max_rate_limit_wait must be a number of seconds >= 0, got {secs}"),
        ))
    }
}

/// `deadline` of a whole listing: like a timeout.
pub fn deadline(secs: f64) -> Result<Duration> {
    timeout("deadline", secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_parameter_and_the_range() {
        assert_eq!(page(3).unwrap(), 3);
        assert_eq!(
            page(0).unwrap_err().to_string(),
            "page must be an integer >= 1 (at most 2**63 - 1), got 0"
        );
        assert_eq!(per_page(200).unwrap(), 200);
        assert_eq!(
            per_page(201).unwrap_err().to_string(),
            "per_page must be an integer between 1 and 200, got 201"
        );
        assert!(out_of_range("page", "10**30").to_string().ends_with("got 10**30"));
        assert!(per_page(0).is_err());
        assert_eq!(max_concurrency(256).unwrap(), 256);
        assert!(max_concurrency(257)
            .unwrap_err()
            .to_string()
            .contains("between 1 and 256"));
        assert!(max_attempts(0).is_err());
        assert_eq!(max_retries(0).unwrap(), 0);
        assert!(max_retries(-1).unwrap_err().to_string().starts_with("max_retries"));
        assert_eq!(requests_per_minute(0).unwrap(), None);
        assert_eq!(requests_per_minute(250).unwrap(), Some(250));
        assert!(requests_per_minute(-5).is_err());
        assert_eq!(timeout("timeout", 1.5).unwrap(), Duration::from_millis(1500));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e12] {
            assert!(timeout("timeout", bad).is_err(), "{bad}");
        }
    }
}
