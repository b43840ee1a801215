//! ISO 8601 timestamps as DigitalOcean sends them (`2020-07-28T16:47:44Z`), normalised to UTC.
//! Hand-written because the format is narrow and this sits on the hot path of every snapshot. Also the time
//! constants and the age strings (`"30d"`, `"1d12h"`) of `select` and retention policies.

use crate::core::error::{Error, Result};

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_HOUR: i64 = 3_600 * MICROS_PER_SECOND;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// The one conversion of a duration given as days, seconds and microseconds (a Python `timedelta`'s parts) to
/// microseconds. Exact: `i128` holds any of them (`timedelta.max` is about 8.6e19 µs, beyond `i64`), so
/// nothing wraps; each caller then decides what a duration beyond `i64` means ([`cutoff`], or an error).
pub fn duration_micros(days: i64, seconds: i64, micros: i64) -> i128 {
    i128::from(days) * i128::from(MICROS_PER_DAY)
        + i128::from(seconds) * i128::from(MICROS_PER_SECOND)
        + i128::from(micros)
}

/// The cutoff `now - age` (unix micros), clamped to the `i64` range: an age beyond it puts the cutoff before (or,
/// negative, after) every date there is, so `created_at < cutoff` holds for none (for every one) and
/// `created_at >= cutoff` for every one (for none). `older_than=timedelta.max` thus matches nothing.
pub fn cutoff(now: i64, age: i128) -> i64 {
    let c = i128::from(now) - age;
    i64::try_from(c).unwrap_or(if c < 0 { i64::MIN } else { i64::MAX })
}

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micro: u32,
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    s.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl UtcDateTime {
    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.f{1,9}]]` and `Z`, `±HH:MM`,
    /// `±HHMM` or `±HH`. A time without an offset is taken as UTC. Anything else gives `None`.
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(t) = Self::fields_fixed(s.as_bytes()) {
            return Some(t);
        }
        Self::parse_unix(s).map(|(secs, micro)| Self::from_unix(secs, micro))
    }

    /// [`UtcDateTime::parse`] of the layout [`UtcDateTime::parse_fixed`] reads: the fields as written (it is
    /// UTC already), without going through seconds since the epoch and back (what each `created_at` a notebook
    /// touches costs).
    #[inline]
    fn fields_fixed(b: &[u8]) -> Option<Self> {
        Self::parse_fixed(b)?;
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        Some(Self {
            year: i32::from(two(0)) * 100 + i32::from(two(2)),
            month: two(5),
            day: two(8),
            hour: two(11),
            minute: two(14),
            second: two(17),
            micro: 0,
        })
    }

    /// `parse(s)?.unix_micros()` without building the calendar date back from the seconds (what sorting and
    /// grouping by `created_at` need, once per row).
    pub fn parse_micros(s: &str) -> Option<i64> {
        if let Some(secs) = Self::parse_fixed(s.as_bytes()) {
            return Some(secs * 1_000_000);
        }
        Self::parse_unix(s).map(|(secs, micro)| secs * 1_000_000 + i64::from(micro))
    }

    /// The layout DigitalOcean sends, `YYYY-MM-DDTHH:MM:SSZ` exactly (20 bytes), in seconds since the epoch,
    /// without the general parser's branches; `None` for anything else, which [`UtcDateTime::parse_unix`] then
    /// reads (and rejects if invalid: the same answer either way, `tests::fixed_layout_is_the_general_parser`).
    #[inline]
    fn parse_fixed(b: &[u8]) -> Option<i64> {
        let b: &[u8; 20] = b.try_into().ok()?;
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return None;
        }
        let d = |i: usize| {
            let v = b[i].wrapping_sub(b'0');
            (v < 10).then_some(u32::from(v))
        };
        let two = |i: usize| Some(d(i)? * 10 + d(i + 1)?);
        let year = two(0)? * 100 + two(2)?;
        let (month, day) = (two(5)?, two(8)?);
        let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year as i32, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        // `days_from_civil` in unsigned arithmetic (the year is 0..=9999; one era of 400 years added keeps it
        // positive in January and February of year 0).
        let y = year + 400 - u32::from(month <= 2);
        let (era, yoe) = (y / 400, y % 400);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = i64::from(era) * 146_097 + i64::from(doe) - 719_468 - 146_097;
        Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
    }

    /// Seconds since the epoch and microseconds of what [`UtcDateTime::parse`] reads.
    fn parse_unix(s: &str) -> Option<(i64, u32)> {
        let b = s.trim().as_bytes();
        let year = digits(b, 0, 4)? as i32;
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let (month, day) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let (mut hour, mut minute, mut second, mut micro, mut offset) = (0u32, 0u32, 0u32, 0u32, 0i64);
        let mut i = 10;
        if i < b.len() {
            if !matches!(b[i], b'T' | b't' | b' ') {
                return None;
            }
            hour = digits(b, i + 1, 2)?;
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            minute = digits(b, i + 4, 2)?;
            i += 6;
            if b.get(i) == Some(&b':') {
                second = digits(b, i + 1, 2)?;
                i += 3;
                if matches!(b.get(i), Some(b'.' | b',')) {
                    i += 1;
                    let start = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        if i - start < 6 {
                            micro = micro * 10 + u32::from(b[i] - b'0');
                        }
                        i += 1;
                    }
                    let n = i - start;
                    if n == 0 || n > 9 {
                        return None;
                    }
                    micro *= 10u32.pow(6u32.saturating_sub(n as u32));
                }
            }
            if hour > 23 || minute > 59 || second > 59 {
                return None;
            }
            match b.get(i) {
                None => {}
                Some(b'Z' | b'z') if i + 1 == b.len() => {}
                Some(sign @ (b'+' | b'-')) => {
                    let oh = digits(b, i + 1, 2)?;
                    let om = match b.len() - (i + 3) {
                        0 => 0,
                        3 if b[i + 3] == b':' => digits(b, i + 4, 2)?,
                        2 => digits(b, i + 3, 2)?,
                        _ => return None,
                    };
                    if oh > 23 || om > 59 {
                        return None;
                    }
                    let off = i64::from(oh * 3600 + om * 60);
                    offset = if *sign == b'+' { off } else { -off };
                }
                _ => return None,
            }
        }
        let secs = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
        Some((secs, micro))
    }

    pub fn from_unix(secs: i64, micro: u32) -> Self {
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            micro,
        }
    }

    pub fn unix_micros(&self) -> i64 {
        let days = days_from_civil(self.year, u32::from(self.month), u32::from(self.day));
        (days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)) * 1_000_000
            + i64::from(self.micro)
    }

    /// RFC 3339 in UTC with `Z`, microseconds only when non-zero (as DigitalOcean and pydantic write it).
    pub fn to_rfc3339(&self) -> String {
        self.format("Z")
    }

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]` and `zone`, written digit by digit (this runs once per `created_at` read).
    pub fn format(&self, zone: &str) -> String {
        fn push(out: &mut String, value: u32, width: u32) {
            for i in (0..width).rev() {
                out.push(char::from(b'0' + (value / 10u32.pow(i) % 10) as u8));
            }
        }
        let mut out = String::with_capacity(32);
        if !(0..=9999).contains(&self.year) {
            // Outside what four digits hold: let the formatter deal with the sign and width.
            out.push_str(&format!("{:04}", self.year));
        } else {
            push(&mut out, self.year as u32, 4);
        }
        for (sep, value) in [
            ('-', self.month),
            ('-', self.day),
            ('T', self.hour),
            (':', self.minute),
            (':', self.second),
        ] {
            out.push(sep);
            push(&mut out, u32::from(value), 2);
        }
        if self.micro != 0 {
            out.push('.');
            push(&mut out, self.micro, 6);
        }
        out.push_str(zone);
        out
    }
}

const AGE_UNITS: &str = "s (seconds), m (minutes), h (hours), d (days), w (weeks), y (365 days)";

/// [`parse_age_for`] naming the argument `age`.
pub fn parse_age(s: &str) -> Result<i64> {
    parse_age_for("age", s)
}

/// A duration such as `30d`, `12h`, `2w`, `90m`, `45s`, `1y` (365 days) or a sum of them (`1d12h`), in
/// microseconds. Whole numbers only; units are case-insensitive; spaces around the parts are allowed.
pub fn parse_age_for(param: &'static str, s: &str) -> Result<i64> {
    let bad = |why: &str| {
        Error::invalid(
            param,
            format!(
                "{param}: invalid duration {s:?} ({why}); expected a whole number and a unit, e.g. \"30d\" or \
                 \"1d12h\"; units: {AGE_UNITS}"
            ),
        )
    };
    let text = s.trim();
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let b = text.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(bad("a number is missing"));
        }
        let n: i64 = text[start..i].parse().map_err(|_| bad("number too large"))?;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let unit_secs: i64 = match b.get(i).map(u8::to_ascii_lowercase) {
            Some(b's') => 1,
            Some(b'm') => 60,
            Some(b'h') => 3_600,
            Some(b'd') => 86_400,
            Some(b'w') => 7 * 86_400,
            Some(b'y') => 365 * 86_400,
            Some(_) => return Err(bad("unknown unit")),
            None => return Err(bad("the unit is missing")),
        };
        i += 1;
        total = n
            .checked_mul(unit_secs * MICROS_PER_SECOND)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("too large"))?;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_micros_is_parse_then_unix_micros() {
        for s in [
            "2020-07-28T16:47:44Z",
            "2020-07-28T16:47:44.5+05:30",
            "1970-01-01T00:00:00-23:59",
            "0000-03-01T00:00:00.000001Z",
            "9999-12-31T23:59:59.999999-23:59",
            "2020-02-29",
            "2021-02-29T00:00:00Z",
            "2020-07-28 16:47",
            "garbage",
        ] {
            assert_eq!(
                UtcDateTime::parse_micros(s),
                UtcDateTime::parse(s).map(|t| t.unix_micros()),
                "{s}"
            );
        }
    }

    /// The fixed-layout fast path answers exactly what the general parser does whenever it answers, and the two
    /// together what the general parser alone does.
    #[test]
    fn fixed_layout_is_the_general_parser() {
        use proptest::prelude::*;
        let slow = |s: &str| UtcDateTime::parse_unix(s).map(|(secs, micro)| secs * 1_000_000 + i64::from(micro));
        let check = |s: &str| {
            if let Some(secs) = UtcDateTime::parse_fixed(s.as_bytes()) {
                assert_eq!(Some(secs * 1_000_000), slow(s), "{s:?}");
            }
            assert_eq!(UtcDateTime::parse_micros(s), slow(s), "{s:?}");
            assert_eq!(
                UtcDateTime::parse(s),
                UtcDateTime::parse_unix(s).map(|(secs, micro)| UtcDateTime::from_unix(secs, micro)),
                "{s:?}"
            );
        };
        for s in [
            "2020-07-28T16:47:44Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2020-02-29T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2020-00-10T00:00:00Z",
            "2020-13-10T00:00:00Z",
            "2020-04-31T00:00:00Z",
            "2020-04-00T00:00:00Z",
            "2020-07-28T24:00:00Z",
            "2020-07-28T23:60:00Z",
            "2020-07-28T23:59:60Z",
            "2020-07-28t16:47:44Z",
            "2020-07-28 16:47:44Z",
            "2020-07-28T16:47:44z",
            "2020-07-28T16:47:44+00",
            " 2020-07-28T16:47:44Z",
            "2020-07-28T16:47:44Z ",
            "2020-07-28T16:47:4:Z",
            "2020-07-28T16:47:4/Z",
            "２020-07-28T16:47:44Z",
        ] {
            check(s);
        }
        assert_eq!(UtcDateTime::parse_fixed(b"2020-07-28T16:47:44Z"), Some(1_595_954_864));
        let cfg = ProptestConfig::with_cases(4096);
        // The fixed layout with any digits (most dates invalid), or any character in any position.
        let digits = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z";
        let near = "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-5][0-9]:[0-6][0-9](Z|z|\\.[0-9]{1,3}Z|[+-][0-9]{2}:?[0-9]{2})?";
        let any = "[0-9T:Z+. -]{18,22}|\\PC{0,24}";
        proptest!(cfg, |(s in prop_oneof![digits, near, any])| check(&s));
        proptest!(cfg, |(y in 0u32..10_000, mo in 1u32..13, d in 1u32..32, h in 0u32..24, mi in 0u32..60, se in 0u32..60)| {
            check(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}Z"));
        });
    }

    #[test]
    fn durations_never_wrap() {
        // timedelta.max: 999999999 days, 86399 s, 999999 µs.
        let max = duration_micros(999_999_999, 86_399, 999_999);
        assert_eq!(max, 86_400_000_000_000_000_000 - 1);
        assert_eq!(duration_micros(-999_999_999, 0, 0), -86_399_999_913_600_000_000);
        let now = 1_700_000_000 * MICROS_PER_SECOND;
        assert_eq!(cutoff(now, max), i64::MIN);
        assert_eq!(cutoff(now, -max), i64::MAX);
        assert_eq!(cutoff(now, duration_micros(1, 0, 0)), now - MICROS_PER_DAY);
        // 213,503,985 days is just past 2**64 µs: wrapping made it about 2.7 days.
        assert_eq!(cutoff(now, duration_micros(213_503_985, 0, 0)), i64::MIN);
    }

    #[test]
    fn ages() {
        let s = MICROS_PER_SECOND;
        assert_eq!(parse_age("45s").unwrap(), 45 * s);
        assert_eq!(parse_age("90m").unwrap(), 90 * 60 * s);
        assert_eq!(parse_age("12h").unwrap(), 12 * 3600 * s);
        assert_eq!(parse_age("30d").unwrap(), 30 * MICROS_PER_DAY);
        assert_eq!(parse_age("2w").unwrap(), 14 * MICROS_PER_DAY);
        assert_eq!(parse_age("1y").unwrap(), 365 * MICROS_PER_DAY);
        assert_eq!(parse_age(" 1d 12H ").unwrap(), 36 * 3600 * s);
        assert_eq!(parse_age("0d").unwrap(), 0);
        for bad in [
            "",
            "30",
            "d",
            "1.5d",
            "-1d",
            "3x",
            "1d2",
            "99999999999999999999d",
            "9999999999y",
        ] {
            let err = parse_age_for("older_than", bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("older_than: invalid duration"), "{bad:?}: {msg}");
            assert!(msg.contains("y (365 days)"), "{msg}");
        }
    }

    #[test]
    fn parses_do_format() {
        let t = UtcDateTime::parse("2020-07-28T16:47:44Z").unwrap();
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second, t.micro),
            (2020, 7, 28, 16, 47, 44, 0)
        );
        assert_eq!(t.unix_micros(), 1_595_954_864_000_000);
        assert_eq!(t.to_rfc3339(), "2020-07-28T16:47:44Z");
        assert_eq!(
            UtcDateTime::from_unix(-62_135_596_800 - 86_400, 5).to_rfc3339(),
            "0000-12-31T00:00:00.000005Z"
        );
        assert_eq!(t.format("+00:00"), "2020-07-28T16:47:44+00:00");
    }

    #[test]
    fn fractions_offsets_and_naive() {
        assert_eq!(UtcDateTime::parse("2020-07-28T16:47:44.123Z").unwrap().micro, 123_000);
        assert_eq!(
            UtcDateTime::parse("2020-07-28T16:47:44.1234567Z").unwrap().micro,
            123_456
        );
        let t = UtcDateTime::parse("2020-07-28T22:17:44+05:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-07-28T16:47:44Z");
        assert_eq!(UtcDateTime::parse("2020-07-28T16:47:44-0100").unwrap().hour, 17);
        assert_eq!(UtcDateTime::parse("2020-07-28 16:47:44").unwrap().hour, 16);
        assert_eq!(
            UtcDateTime::parse("2020-07-28").unwrap().to_rfc3339(),
            "2020-07-28T00:00:00Z"
        );
        assert_eq!(
            UtcDateTime::parse("2021-01-01T00:30:00+01:00").unwrap().to_rfc3339(),
            "2020-12-31T23:30:00Z"
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "not-a-date",
            "2020-13-01",
            "2021-02-29",
            "2020-07-28T25:00:00Z",
            "2020-07-28T16:47:44Zx",
            "2020-07-28X",
            "2020-07-28T16:47:44.Z",
            "１２３４-07-28",
        ] {
            assert!(UtcDateTime::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 11_016, 18_471, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, u32::from(m), u32::from(d)), days);
        }
    }
}
