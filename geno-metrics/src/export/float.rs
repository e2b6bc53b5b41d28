//! Floats spelled as client_golang spells sample values and `le` bounds.

use std::fmt;

/// An `f64` displayed as client_golang writes sample values and `le` bounds: Go's
/// `strconv.FormatFloat(f, 'g', -1, 64)` (shortest round-trip digits, exponent form below
/// 1e-4 and from 1e+06 on, two-digit exponents at least), `+Inf`, `-Inf`, `NaN`, and `0` for
/// both zeros. For example `0.005`, `1`, `2.5`, `100000`, `1e+06`, `1e-05`, `1.234567e+06`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GoFloat(pub(crate) f64);

impl fmt::Display for GoFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            return f.write_str("NaN");
        }
        if v.is_infinite() {
            return f.write_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        }
        if v == 0.0 {
            return f.write_str("0");
        }
        if v < 0.0 {
            f.write_str("-")?;
        }
        // Rust's `{:e}` gives the shortest round-trip digit count n ("d.ddde-7"). On an exact
        // decimal tie it rounds up where Go rounds to even, so the digits are then taken from
        // the correctly rounded (half-to-even) n-digit form, which is what Go prints. Except at
        // a power of two, where the float below is nearer than the float above: there the
        // nearest n-digit decimal can fall below v yet read back as the float below, and the
        // shortest form (above v) is the only n-digit one that reads back, so Go prints that.
        let mut shortest = Scratch {
            bytes: [0; 32],
            len: 0,
        };
        fmt::Write::write_fmt(&mut shortest, format_args!("{:e}", v.abs()))?;
        let digits = shortest
            .as_str()
            .split('e')
            .next()
            .map_or(1, |m| m.bytes().filter(u8::is_ascii_digit).count());
        let mut scratch = Scratch {
            bytes: [0; 32],
            len: 0,
        };
        let precision = digits.saturating_sub(1);
        fmt::Write::write_fmt(&mut scratch, format_args!("{:.precision$e}", v.abs()))?;
        let rounded = scratch.as_str();
        let text = if rounded != shortest.as_str() && rounded.parse() != Ok(v.abs()) {
            shortest.as_str()
        } else {
            rounded
        };
        let (mantissa, exponent) = text.split_once('e').ok_or(fmt::Error)?;
        let exponent: i32 = exponent.parse().map_err(|_| fmt::Error)?;
        let (lead, rest) = mantissa.split_at(1);
        let rest = rest.strip_prefix('.').unwrap_or("");
        if !(-4..6).contains(&exponent) {
            let sign = if exponent < 0 { '-' } else { '+' };
            f.write_str(lead)?;
            if !rest.is_empty() {
                write!(f, ".{rest}")?;
            }
            return write!(f, "e{sign}{:02}", exponent.unsigned_abs());
        }
        if exponent < 0 {
            f.write_str("0.")?;
            for _ in 0..(-exponent - 1) {
                f.write_str("0")?;
            }
            f.write_str(lead)?;
            return f.write_str(rest);
        }
        // 0 <= exponent < 6: `exponent` digits of `rest` go before the point.
        let int_digits = exponent as usize;
        f.write_str(lead)?;
        if rest.len() <= int_digits {
            f.write_str(rest)?;
            for _ in rest.len()..int_digits {
                f.write_str("0")?;
            }
            Ok(())
        } else {
            let (int_part, frac) = rest.split_at(int_digits);
            write!(f, "{int_part}.{frac}")
        }
    }
}

/// A fixed stack buffer for formatting one float (`{:e}` of an f64 needs at most 23 bytes).
struct Scratch {
    bytes: [u8; 32],
    len: usize,
}

impl Scratch {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Scratch {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(f: f64) -> String {
        GoFloat(f).to_string()
    }

    #[test]
    fn floats_are_spelled_like_go_strconv_g() {
        // Expected values are Go's strconv.FormatFloat(f, 'g', -1, 64).
        let cases: &[(f64, &str)] = &[
            (0.005, "0.005"),
            (0.01, "0.01"),
            (1.0, "1"),
            (-1.0, "-1"),
            (2.5, "2.5"),
            (10.0, "10"),
            (100000.0, "100000"),
            (123456.7, "123456.7"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.000012, "1.2e-05"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-2.5e-10, "-2.5e-10"),
            (u64::MAX as f64, "1.8446744073709552e+19"),
            // Powers of two whose nearest 16-digit decimal reads back as the float below.
            (
                f64::from_bits(0x0060_0000_0000_0000),
                "7.120236347223045e-307",
            ),
            (
                f64::from_bits(0x75e0_0000_0000_0000),
                "6.150157786156811e+259",
            ),
            // An exact decimal tie: Go rounds the last digit to even (Rust's `{:e}` says ...623).
            (
                f64::from_bits(0x4317_9085_685d_83c9),
                "1.6582067800885622e+15",
            ),
            (0.0, "0"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(value, expected) in cases {
            assert_eq!(go(value), expected, "{value:e}");
        }
    }

    #[test]
    fn spelled_floats_read_back_exactly() {
        let mut x = 1.0e-320f64;
        while x < 1e300 {
            for v in [x, -x, x * 1.2345678901234567] {
                let text = go(v);
                let back: f64 = text.parse().unwrap();
                assert_eq!(back.to_bits(), v.to_bits(), "{text}");
            }
            x *= 7.3;
        }
    }
}
