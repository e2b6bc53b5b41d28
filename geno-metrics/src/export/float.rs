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
        if let Some(n) = integral(v.abs()) {
            return write_integral(f, n);
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

/// Every integer up to 2^53 is an `f64`, and the doubles there are at most 1 apart.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// `v` as an integer, when it is one below 2^53: the common case of a gauge or a process
/// metric (counts, bytes, file descriptors), spelled without the general path's two passes.
pub(crate) fn integral(v: f64) -> Option<u64> {
    (v.fract() == 0.0 && v.abs() < EXACT_INTEGERS).then_some(v.abs() as u64)
}

/// Go's shortest `'g'` spelling of the integer `n` below 2^53. Its shortest round-trip digits
/// are its own digits without trailing zeros: another decimal with fewer digits differs from
/// it by at least 1, which is no less than the gap between two doubles there, so it reads
/// back as another double. Below 10^6 they are written out (`100000`), from there on in the
/// exponent form (`1e+06`, `1.234567e+06`).
fn write_integral(f: &mut fmt::Formatter<'_>, n: u64) -> fmt::Result {
    if n < 1_000_000 {
        return write!(f, "{n}");
    }
    let mut digits = Scratch {
        bytes: [0; 32],
        len: 0,
    };
    fmt::Write::write_fmt(&mut digits, format_args!("{n}"))?;
    let text = digits.as_str();
    let exponent = text.len() - 1;
    let significant = text.trim_end_matches('0');
    let (lead, rest) = significant.split_at(1);
    f.write_str(lead)?;
    if !rest.is_empty() {
        f.write_str(".")?;
        f.write_str(rest)?;
    }
    write!(f, "e+{exponent:02}")
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

    /// The general path, without the integer one: what `write_integral` must agree with.
    fn general(v: f64) -> String {
        struct General(f64);
        impl fmt::Display for General {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // The shortest digits, then Go's layout, as `GoFloat` spells a non-integer.
                let text = format!("{:e}", self.0);
                let (mantissa, exponent) = text.split_once('e').unwrap();
                let exponent: i32 = exponent.parse().unwrap();
                let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
                if exponent >= 6 {
                    let (lead, rest) = digits.split_at(1);
                    let rest = if rest.is_empty() {
                        String::new()
                    } else {
                        format!(".{rest}")
                    };
                    write!(f, "{lead}{rest}e+{exponent:02}")
                } else {
                    write!(f, "{}", self.0)
                }
            }
        }
        General(v).to_string()
    }

    #[test]
    fn integers_are_spelled_as_the_general_path_spells_them() {
        let mut checked = 0;
        let mut n: u64 = 1;
        while (n as f64) < EXACT_INTEGERS {
            for m in [n, n + 1, n.saturating_sub(1), n * 10, n * 10 + 7, n / 3 * 3] {
                let v = m as f64;
                if m == 0 || v >= EXACT_INTEGERS {
                    continue;
                }
                assert_eq!(go(v), general(v), "{m}");
                assert_eq!(go(-v), format!("-{}", general(v)), "-{m}");
                checked += 1;
            }
            n = n * 3 + n / 7 + 1;
        }
        assert!(checked > 100, "{checked}");
        // Just below 2^53 and at it: the last integers the fast path takes, the first it leaves.
        assert_eq!(go(9_007_199_254_740_991.0), "9.007199254740991e+15");
        assert_eq!(go(9_007_199_254_740_992.0), "9.007199254740992e+15");
        assert_eq!(integral(9_007_199_254_740_992.0), None);
        assert_eq!(integral(1e6), Some(1_000_000));
        assert_eq!(integral(0.5), None);
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
