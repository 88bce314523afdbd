//! Decimal number text, as Terraform writes a number that is neither an exact integer
//! nor an exact 64-bit float: checked for its grammar and brought to one canonical
//! spelling, so that `1.50`, `15e-1` and the float `1.5` compare equal and no digit
//! is ever dropped.

/// Powers of ten beyond which the canonical form switches to scientific notation.
/// Every finite `f64` lies well inside (its decimal point is at most 309 digits
/// from its first digit), so a float and a decimal of the same value always meet in
/// the plain form.
const PLAIN_LIMIT: i64 = 400;

/// The largest exponent accepted, of the literal and of the value in scientific
/// notation (so that every canonical text reads back); Terraform's numbers (Go's
/// `big.Float`) cannot go past a 32-bit binary exponent either.
const MAX_EXPONENT: i64 = 1_000_000_000;

/// The canonical text of a decimal literal (`-`? digits (`.` digits)? (`e` (`+`|`-`)?
/// digits)?), or `None` when `text` is not one.
///
/// The canonical form has no leading or trailing zeros, no `+` and no `-0`; it is
/// plain (`0.001`, `1500`) unless the value's decimal point lies more than
/// [`PLAIN_LIMIT`] digits away, then scientific (`1.5e1000`).
pub(crate) fn canonical(text: &str) -> Option<String> {
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match magnitude.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)?),
        None => (magnitude, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !is_digits(int) || (mantissa.contains('.') && !is_digits(frac)) {
        return None;
    }
    // value = digits × 10^scale
    let all: String = [int, frac].concat();
    let leading = all.trim_start_matches('0');
    let digits = leading.trim_end_matches('0');
    if digits.is_empty() {
        return Some("0".to_string());
    }
    let trailing_zeros = i64::try_from(leading.len() - digits.len()).ok()?;
    let scale = exponent
        .checked_sub(i64::try_from(frac.len()).ok()?)?
        .checked_add(trailing_zeros)?;
    // `0.001e-1000000000` is 1e-1000000003: its canonical text would be refused.
    let point = i64::try_from(digits.len()).ok()?.checked_add(scale)?;
    if (point - 1).abs() > MAX_EXPONENT {
        return None;
    }
    Some(render(negative, digits, scale))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !is_digits(digits) || digits.len() > 12 {
        return None;
    }
    let value: i64 = text.parse().ok()?;
    (value.abs() <= MAX_EXPONENT).then_some(value)
}

/// `digits` × 10^`scale`, where `digits` has no leading or trailing zero.
fn render(negative: bool, digits: &str, scale: i64) -> String {
    let sign = if negative { "-" } else { "" };
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    // How many digits stand before the decimal point (zero or less: it is a fraction
    // with that many zeros after the point).
    let point = len.saturating_add(scale);
    if !(-PLAIN_LIMIT..=PLAIN_LIMIT).contains(&point) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        return format!("{sign}{first}{dot}{rest}e{}", point - 1);
    }
    if scale >= 0 {
        let zeros = "0".repeat(usize::try_from(scale).unwrap_or(0));
        return format!("{sign}{digits}{zeros}");
    }
    if point > 0 {
        let (whole, fraction) = digits.split_at(usize::try_from(point).unwrap_or(0));
        return format!("{sign}{whole}.{fraction}");
    }
    let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
    format!("{sign}0.{zeros}{digits}")
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn spellings_of_one_value_meet() {
        for text in ["1.5", "1.50", "15e-1", "0.15E+1", "001.5", "150e-2"] {
            assert_eq!(canonical(text).as_deref(), Some("1.5"), "{text}");
        }
        for text in ["0", "-0", "0.000", "0e10"] {
            assert_eq!(canonical(text).as_deref(), Some("0"), "{text}");
        }
        assert_eq!(canonical("1500").as_deref(), Some("1500"));
        assert_eq!(canonical("15e2").as_deref(), Some("1500"));
        assert_eq!(canonical("-0.001").as_deref(), Some("-0.001"));
    }

    #[test]
    fn keeps_every_digit() {
        let long = "123456789012345678901234567890.123456789012345678901";
        assert_eq!(canonical(long).as_deref(), Some(long));
        assert_eq!(
            canonical("1e30").as_deref(),
            Some("1000000000000000000000000000000")
        );
    }

    #[test]
    fn far_exponents_are_scientific() {
        assert_eq!(canonical("1e400").as_deref(), Some("1e400"));
        assert_eq!(canonical("12.5e1000").as_deref(), Some("1.25e1001"));
        assert_eq!(canonical("-3e-500").as_deref(), Some("-3e-500"));
        assert_eq!(canonical("1e399").as_deref().map(str::len), Some(400));
    }

    // Found by the value_json and value_msgpack fuzz targets' round trips (reproduced
    // with `0.00001e-1000000000`): a literal within the exponent bound whose value is
    // not was written back as `1e-1000000005`, which no decoder here reads.
    #[test]
    fn canonical_text_always_reads_back() {
        for text in [
            "0.00001e-1000000000",
            "100e999999999",
            "1000000000000000000000e999999990",
        ] {
            assert_eq!(canonical(text), None, "{text}");
        }
        for text in [
            "1e-1000000000",
            "1e1000000000",
            "-0.1e-999999999",
            "12.5e1000",
            "0.000",
            "123456789012345678901234567890.5",
        ] {
            let c = canonical(text).unwrap();
            assert_eq!(canonical(&c).as_deref(), Some(c.as_str()), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_decimal_literal() {
        for text in [
            "",
            "-",
            ".5",
            "5.",
            "1e",
            "1e+",
            "+1",
            "1.2.3",
            "0x10",
            "NaN",
            "inf",
            "1_000",
            " 1",
            "1e99999999999",
        ] {
            assert_eq!(canonical(text), None, "{text:?}");
        }
    }
}
