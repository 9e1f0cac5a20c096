//! The `grpc-timeout` header codec: 1 to 8 ASCII digits, then one unit of
//! `H` (hours), `M` (minutes), `S` (seconds), `m` (milliseconds), `u`
//! (microseconds) or `n` (nanoseconds), as the gRPC HTTP/2 protocol spec
//! defines it. It is the one deadline header that grpc-go, grpc-java,
//! tonic and Envoy all read.

use std::fmt;
use std::time::Duration;

use http::{HeaderName, HeaderValue};

/// The header's name.
pub const GRPC_TIMEOUT: &str = "grpc-timeout";

/// The name, made once: a lookup by `&str` parses it on every call.
pub(crate) const NAME: HeaderName = HeaderName::from_static(GRPC_TIMEOUT);

const MAX_DIGITS: usize = 8;
/// The longest value: 8 digits and the unit.
pub(crate) const MAX_LEN: usize = MAX_DIGITS + 1;
const MAX_VALUE: u64 = 99_999_999;

/// The units, finest first, with their length in nanoseconds.
const UNITS: [(u8, u64); 6] = [
    (b'n', 1),
    (b'u', 1_000),
    (b'm', 1_000_000),
    (b'S', 1_000_000_000),
    (b'M', 60_000_000_000),
    (b'H', 3_600_000_000_000),
];

/// Encodes `timeout` in the finest unit that fits in 8 digits, rounding
/// up, so the receiver never gets less time than the sender had:
/// `decode(encode(d)) >= d`, by less than one unit. Saturates at
/// `99999999H` (over 11,000 years).
///
/// ```
/// use std::time::Duration;
/// use context::http::grpc_timeout::{decode, encode};
///
/// assert_eq!(encode(Duration::from_millis(1500)), "1500000u");
/// assert_eq!(encode(Duration::from_secs(200_000)), "200000S");
/// assert_eq!(decode(b"250m").unwrap(), Duration::from_millis(250));
/// ```
pub fn encode(timeout: Duration) -> HeaderValue {
    let mut buf = [0u8; MAX_LEN];
    HeaderValue::from_bytes(encode_into(timeout, &mut buf))
        .expect("digits and a unit letter are a valid header value")
}

/// Writes the value into `buf`, digits then unit, and returns the part
/// written. Integer arithmetic on `u64` below 584 years: the `u128`
/// division per unit it replaces was most of the encoder's cost.
pub(crate) fn encode_into(timeout: Duration, buf: &mut [u8; MAX_LEN]) -> &[u8] {
    let (unit, value) = match u64::try_from(timeout.as_nanos()) {
        Ok(nanos) => UNITS
            .iter()
            .find_map(|&(unit, len)| {
                let value = nanos.div_ceil(len);
                (value <= MAX_VALUE).then_some((unit, value))
            })
            .expect("u64::MAX nanoseconds is 5124096 hours"),
        // Past 584 years: hours, from the seconds, saturating.
        Err(_) => {
            let part = !timeout.as_secs().is_multiple_of(3600) || timeout.subsec_nanos() != 0;
            let hours = timeout.as_secs() / 3600 + u64::from(part);
            (b'H', hours.min(MAX_VALUE))
        }
    };
    let mut at = MAX_DIGITS;
    let mut v = value;
    buf[at] = unit;
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[at..]
}

/// Why a `grpc-timeout` value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The value is empty.
    Empty,
    /// No digits before the unit.
    NoDigits,
    /// More than 8 digits.
    TooManyDigits,
    /// A byte that is not an ASCII digit where digits go.
    NotADigit(u8),
    /// The last byte is not one of `H M S m u n`.
    BadUnit(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed grpc-timeout: ")?;
        match self {
            DecodeError::Empty => f.write_str("empty value"),
            DecodeError::NoDigits => f.write_str("no digits before the unit"),
            DecodeError::TooManyDigits => f.write_str("more than 8 digits"),
            // A byte, not a char: `\xe9`, never the Latin-1 reading `é`.
            DecodeError::NotADigit(b) => {
                write!(f, "byte '{}' is not an ASCII digit", b.escape_ascii())
            }
            DecodeError::BadUnit(b) => {
                write!(f, "unit '{}' is not one of H M S m u n", b.escape_ascii())
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a `grpc-timeout` value. Any byte string is accepted as input;
/// anything but 1-8 ASCII digits and a unit is an error with a reason.
pub fn decode(value: &[u8]) -> Result<Duration, DecodeError> {
    let (&unit, digits) = value.split_last().ok_or(DecodeError::Empty)?;
    let len = UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, len)| *len)
        .ok_or(DecodeError::BadUnit(unit))?;
    if digits.is_empty() {
        return Err(DecodeError::NoDigits);
    }
    if digits.len() > MAX_DIGITS {
        return Err(DecodeError::TooManyDigits);
    }
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(DecodeError::NotADigit(b));
        }
        n = n * 10 + u64::from(b - b'0');
    }
    // At most 99999999 hours: 3.6e20 ns overflows a `u64` of nanoseconds,
    // not a `Duration` of seconds.
    Ok(match unit {
        b'n' => Duration::from_nanos(n),
        b'u' => Duration::from_micros(n),
        b'm' => Duration::from_millis(n),
        _ => Duration::from_secs(n * (len / 1_000_000_000)),
    })
}
