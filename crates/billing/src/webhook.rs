//! Verification of Stripe's `Stripe-Signature` header: an HMAC-SHA256 of
//! `"{t}.{raw body}"` under the endpoint's `whsec_` secret, hex-encoded in
//! one or more `v1=` fields, with `t` within a tolerance of now in either
//! direction. The header format is described at
//! <https://docs.stripe.com/webhooks#verify-manually>.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's own libraries accept a signature timestamp up to five minutes
/// from now.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    MissingHeader,
    #[error("the Stripe-Signature header is malformed: {0}")]
    Malformed(String),
    #[error("the Stripe-Signature header has no v1 signature")]
    NoV1Signature,
    #[error("no v1 signature matches the body under the configured webhook secret(s)")]
    Mismatch,
    /// `skew` is the signature time minus now, in seconds: negative for an
    /// old delivery, positive for one from a clock running ahead.
    #[error("the signature timestamp is {} s {} the server clock, outside the {tolerance} s tolerance", skew.abs(), if *skew < 0 { "behind" } else { "ahead of" })]
    OutsideTolerance { skew: i64, tolerance: i64 },
}

/// The parts of a `Stripe-Signature` header that matter for `v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub v1: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Parses `t=...,v1=...[,v1=...][,v0=...]`; unknown schemes are skipped.
    ///
    /// # Errors
    /// `Malformed` for a missing or repeated `t`, or a `v1` that is not hex;
    /// `NoV1Signature` when no `v1` is present.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for part in header.split(',') {
            let Some((key, value)) = part.trim().split_once('=') else {
                return Err(SignatureError::Malformed(format!("{part:?} is not key=value")));
            };
            match key {
                "t" => {
                    if timestamp.is_some() {
                        return Err(SignatureError::Malformed("t appears twice".into()));
                    }
                    let seconds = value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed(format!("t={value:?} is not Unix seconds")))?;
                    timestamp = Some(seconds);
                }
                "v1" => {
                    let bytes = hex::decode(value)
                        .map_err(|_| SignatureError::Malformed(format!("v1={value:?} is not hex")))?;
                    v1.push(bytes);
                }
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or_else(|| SignatureError::Malformed("t is missing".into()))?;
        if v1.is_empty() {
            return Err(SignatureError::NoV1Signature);
        }
        Ok(Self { timestamp, v1 })
    }
}

/// Checks `header` against `body` and each of `secrets` (several during a
/// secret rotation). Returns the signature timestamp.
///
/// The HMAC comparison is constant-time (`Mac::verify_slice`). The tolerance
/// is checked after a signature matches, so a skewed clock is reported as
/// such and not as a bad secret.
///
/// # Errors
/// The first reason the delivery cannot be trusted.
pub fn verify(
    secrets: &[String],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<i64, SignatureError> {
    let header = SignatureHeader::parse(header.ok_or(SignatureError::MissingHeader)?)?;
    let matched = secrets.iter().any(|secret| {
        header.v1.iter().any(|signature| {
            signed_payload_mac(secret, header.timestamp, body)
                .verify_slice(signature)
                .is_ok()
        })
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let skew = header.timestamp - now;
    if skew.abs() > tolerance {
        return Err(SignatureError::OutsideTolerance { skew, tolerance });
    }
    Ok(header.timestamp)
}

fn signed_payload_mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Builds a `Stripe-Signature` header value for `body`, as Stripe and
/// `stripe listen` do. Used by tests and benchmarks.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let signature = signed_payload_mac(secret, timestamp, body)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex::encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    fn secrets() -> Vec<String> {
        vec![SECRET.to_owned()]
    }

    #[test]
    fn valid_signature_is_accepted() {
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(verify(&secrets(), Some(&header), BODY, NOW, 300), Ok(NOW));
    }

    #[test]
    fn wrong_secret_is_rejected() {
        let header = sign("whsec_other", NOW, BODY);
        assert_eq!(
            verify(&secrets(), Some(&header), BODY, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn one_changed_byte_is_rejected() {
        let header = sign(SECRET, NOW, BODY);
        let mut body = BODY.to_vec();
        body[10] ^= 1;
        assert_eq!(
            verify(&secrets(), Some(&header), &body, NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn tolerance_applies_both_ways() {
        for (offset, accepted) in [(-301, false), (-300, true), (0, true), (300, true), (301, false)] {
            let header = sign(SECRET, NOW + offset, BODY);
            let result = verify(&secrets(), Some(&header), BODY, NOW, 300);
            assert_eq!(result.is_ok(), accepted, "offset {offset}: {result:?}");
            if !accepted {
                assert_eq!(
                    result,
                    Err(SignatureError::OutsideTolerance {
                        skew: offset,
                        tolerance: 300
                    })
                );
            }
        }
    }

    #[test]
    fn second_v1_may_be_the_valid_one() {
        let good = sign(SECRET, NOW, BODY);
        let good_v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t={NOW},v1={},v1={good_v1},v0=abcd", "00".repeat(32));
        assert_eq!(verify(&secrets(), Some(&header), BODY, NOW, 300), Ok(NOW));
    }

    #[test]
    fn rotated_secret_list_accepts_either() {
        let header = sign(SECRET, NOW, BODY);
        let rotated = vec!["whsec_new".to_owned(), SECRET.to_owned()];
        assert_eq!(verify(&rotated, Some(&header), BODY, NOW, 300), Ok(NOW));
    }

    #[test]
    fn malformed_headers_are_rejected() {
        let cases = [
            ("", "not key=value"),
            ("v1=00", "t is missing"),
            ("t=abc,v1=00", "not Unix seconds"),
            ("t=1,t=2,v1=00", "twice"),
            ("t=1,v1=zz", "not hex"),
        ];
        for (header, expected) in cases {
            let error = verify(&secrets(), Some(header), BODY, NOW, 300).unwrap_err();
            assert!(error.to_string().contains(expected), "{header:?}: {error}");
        }
        assert_eq!(
            verify(&secrets(), Some(&format!("t={NOW},v0=00")), BODY, NOW, 300),
            Err(SignatureError::NoV1Signature)
        );
        assert_eq!(
            verify(&secrets(), None, BODY, NOW, 300),
            Err(SignatureError::MissingHeader)
        );
    }
}
