//! Go's `time.Duration` text: parse and canonical format (`1m` → `1m0s`).

use std::fmt;
use std::str::FromStr;

/// A duration as Go's `time.ParseDuration` reads it and `Duration.String` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration {
    nanos: i64,
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(String);

const NS: i64 = 1;
const US: i64 = 1_000;
const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;

impl GoDuration {
    /// A duration of `nanos` nanoseconds.
    pub fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// The length in nanoseconds.
    pub fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// The length as a `std::time::Duration` (zero for negative durations).
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.nanos).unwrap_or(0))
    }

    /// Parses Go duration syntax: `300ms`, `1.5h`, `2h45m`, `-1m`, `0`.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let err = |why: &str| DurationError(format!("not a Go duration ({why})"));
        let (negative, mut rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if rest == "0" {
            return Ok(Self { nanos: 0 });
        }
        if rest.is_empty() {
            return Err(err("empty"));
        }
        // Go's bound: the magnitude of i64::MIN is one more than i64::MAX.
        let limit = i128::from(i64::MAX) + i128::from(negative);
        let mut total: i128 = 0;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let number = &rest[..number_len];
            if number.is_empty() || number == "." || number.matches('.').count() > 1 {
                return Err(err("expected a number"));
            }
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let unit = match &rest[..unit_len] {
                "ns" => NS,
                "us" | "µs" | "μs" => US,
                "ms" => MS,
                "s" => S,
                "m" => M,
                "h" => H,
                "" => return Err(err("missing unit")),
                _ => return Err(err("unknown unit")),
            };
            rest = &rest[unit_len..];
            let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
            let whole: i128 = if whole.is_empty() {
                0
            } else {
                whole.parse().map_err(|_| err("number out of range"))?
            };
            // Beyond this no unit keeps the total in range, and `whole * unit` below could
            // overflow even an i128.
            if whole > limit {
                return Err(err("out of range"));
            }
            let mut value = whole * i128::from(unit);
            let mut scale = i128::from(unit);
            for digit in frac.bytes() {
                scale /= 10;
                value += i128::from(digit - b'0') * scale;
            }
            total += value;
            if total > limit {
                return Err(err("out of range"));
            }
        }
        let nanos = i64::try_from(if negative { -total } else { total })
            .map_err(|_| err("out of range"))?;
        Ok(Self { nanos })
    }
}

impl FromStr for GoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for GoDuration {
    /// Go's `Duration.String`: `1m0s`, `1h0m0s`, `1.5s`, `500ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.nanos < 0;
        let u = self.nanos.unsigned_abs();
        let sign = if negative { "-" } else { "" };
        if u == 0 {
            return f.write_str("0s");
        }
        if u < 1_000 {
            return write!(f, "{sign}{u}ns");
        }
        if u < 1_000_000 {
            return write!(f, "{sign}{}µs", fraction(u, 1_000));
        }
        if u < 1_000_000_000 {
            return write!(f, "{sign}{}ms", fraction(u, 1_000_000));
        }
        let seconds = fraction(u % 60_000_000_000, 1_000_000_000);
        let minutes_total = u / 60_000_000_000;
        let hours = minutes_total / 60;
        let minutes = minutes_total % 60;
        if hours > 0 {
            write!(f, "{sign}{hours}h{minutes}m{seconds}s")
        } else if minutes > 0 {
            write!(f, "{sign}{minutes}m{seconds}s")
        } else {
            write!(f, "{sign}{seconds}s")
        }
    }
}

/// `value / unit` with the fraction's trailing zeros dropped, as Go prints it.
fn fraction(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let rest = value % unit;
    if rest == 0 {
        return whole.to_string();
    }
    let width = unit.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::GoDuration;

    #[test]
    fn go_duration_canonical_forms_match_go() {
        for (input, canonical) in [
            ("1m", "1m0s"),
            ("1m0s", "1m0s"),
            ("10m", "10m0s"),
            ("90s", "1m30s"),
            ("1h", "1h0m0s"),
            ("1.5h", "1h30m0s"),
            ("2h45m30.5s", "2h45m30.5s"),
            ("300ms", "300ms"),
            ("1.5s", "1.5s"),
            ("1500ms", "1.5s"),
            ("0", "0s"),
            ("0s", "0s"),
            ("-1m", "-1m0s"),
            ("100us", "100µs"),
            ("5ns", "5ns"),
            (".5m", "30s"),
        ] {
            let d = GoDuration::parse(input).unwrap();
            assert_eq!(d.to_string(), canonical, "{input}");
        }
    }

    // Found by the go_duration fuzz target: a number of more than 30 digits overflowed
    // the i128 product with its unit (a panic in debug builds, a wrong value in release).
    #[test]
    fn go_duration_huge_numbers_are_out_of_range() {
        for input in [
            "1339222036892220368547755477587m",
            "99999999999999999999999999999999999999h",
            "9223372036854775808ns",
            "170141183460469231731687303715884105727h",
        ] {
            let err = GoDuration::parse(input).unwrap_err();
            assert!(err.to_string().contains("out of range"), "{input}: {err}");
        }
        assert_eq!(
            GoDuration::parse("9223372036854775807ns")
                .unwrap()
                .as_nanos(),
            i64::MAX
        );
    }

    // Found by the go_duration fuzz target: the shortest duration formats as
    // -2562047h47m16.854775808s, which Go parses and this parser refused.
    #[test]
    fn go_duration_minimum_round_trips() {
        let min = GoDuration::from_nanos(i64::MIN);
        assert_eq!(min.to_string(), "-2562047h47m16.854775808s");
        assert_eq!(GoDuration::parse(&min.to_string()).unwrap(), min);
        assert_eq!(GoDuration::parse("-9223372036854775808ns").unwrap(), min);
        assert!(GoDuration::parse("2562047h47m16.854775808s").is_err());
        assert!(GoDuration::parse("-9223372036854775809ns").is_err());
    }

    #[test]
    fn go_duration_bad_syntax_is_rejected() {
        for input in ["", "1", "m", "1x", "1.2.3s", "one minute", "5 m", "-"] {
            assert!(GoDuration::parse(input).is_err(), "{input:?}");
        }
    }
}
