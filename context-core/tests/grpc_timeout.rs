//! The `grpc-timeout` codec: round trips (property-style, over a seeded
//! random sweep), every malformed form of the gRPC spec rejected with a
//! reason, and no panic on any byte string.
#![cfg(all(feature = "http", not(loom)))]

use std::time::Duration;

use context_core::http::grpc_timeout::{decode, encode, DecodeError};

mod common;
use common::Rng;

fn unit_nanos(encoded: &str) -> u128 {
    match encoded.as_bytes()[encoded.len() - 1] {
        b'n' => 1,
        b'u' => 1_000,
        b'm' => 1_000_000,
        b'S' => 1_000_000_000,
        b'M' => 60_000_000_000,
        b'H' => 3_600_000_000_000,
        u => panic!("unit {u}"),
    }
}

#[test]
fn round_trip_never_shortens_and_stays_within_one_unit() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut cases: Vec<Duration> = vec![
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_nanos(99_999_999),
        Duration::from_nanos(100_000_000),
        Duration::from_millis(1500),
        Duration::from_secs(86_400 * 365),
        Duration::from_secs(99_999_999 * 3600),
        // Past what a u64 of nanoseconds holds (584 years): hours from the
        // seconds, still rounded up.
        Duration::new(18_446_744_074, 1),
        Duration::new(3600 * 5_124_096 + 1, 0),
        Duration::new(3600 * 5_124_096, 1),
    ];
    for _ in 0..100_000 {
        // spread over every magnitude, from nanoseconds to years
        let bits = rng.next() % 62;
        cases.push(Duration::from_nanos(rng.next() >> (63 - bits.max(1))));
    }
    for d in cases {
        let v = encode(d);
        let s = v.to_str().unwrap();
        assert!(s.len() >= 2 && s.len() <= 9, "{s}");
        let back = decode(v.as_bytes()).unwrap();
        assert!(back >= d, "{d:?} -> {s} -> {back:?}");
        assert!(
            back.as_nanos() - d.as_nanos() < unit_nanos(s),
            "{d:?} -> {s} -> {back:?}"
        );
    }
}

#[test]
fn encode_saturates() {
    assert_eq!(encode(Duration::MAX), "99999999H");
    assert_eq!(
        decode(b"99999999H").unwrap(),
        Duration::from_secs(99_999_999 * 3600)
    );
}

#[test]
fn every_malformed_form_is_rejected_with_a_reason() {
    let cases: &[(&[u8], DecodeError)] = &[
        (b"", DecodeError::Empty),
        (b"S", DecodeError::NoDigits),
        (b"123456789S", DecodeError::TooManyDigits),
        (b"12", DecodeError::BadUnit(b'2')),
        (b"10s", DecodeError::BadUnit(b's')),
        (b"10x", DecodeError::BadUnit(b'x')),
        (b"-1S", DecodeError::NotADigit(b'-')),
        (b"+1S", DecodeError::NotADigit(b'+')),
        (b"1.5S", DecodeError::NotADigit(b'.')),
        (b" 1S", DecodeError::NotADigit(b' ')),
        (b"1 S", DecodeError::NotADigit(b' ')),
        (b"\xd9\xa1S", DecodeError::NotADigit(0xd9)), // a non-ASCII digit
        (b"1S ", DecodeError::BadUnit(b' ')),
    ];
    for (input, want) in cases {
        let got = decode(input).unwrap_err();
        assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(input));
        let reason = got.to_string();
        assert!(
            reason.starts_with("malformed grpc-timeout: ") && reason.len() > 26,
            "{reason}"
        );
    }
}

#[test]
fn no_panic_on_any_byte_string() {
    let mut rng = Rng(7);
    for _ in 0..200_000 {
        let len = (rng.next() % 12) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.next() % 4 {
                0 => b"0123456789"[(rng.next() % 10) as usize],
                1 => b"HMSmun"[(rng.next() % 6) as usize],
                _ => rng.next() as u8,
            })
            .collect();
        if let Ok(d) = decode(&bytes) {
            assert!(d <= Duration::from_secs(99_999_999 * 3600));
        }
    }
}
