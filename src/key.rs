//! Keys, namespaces and TTLs: the checks every backend applies to its input,
//! and the injective namespace encoding they share.
//!
//! A stored key is `"{len}:{namespace}:{key}"`, where `len` is the namespace's
//! length in bytes. The length prefix makes the encoding injective: namespace
//! `a` with key `b:c` is `1:a:b:c`, while namespace `a:b` with key `c` is
//! `3:a:b:c`. Keys without a namespace use the empty namespace (`0::key`), so
//! they never meet a namespaced key either.

use std::time::Duration;

use crate::{Error, Result};

/// The longest key accepted, in UTF-8 bytes (the namespace not included).
pub const MAX_KEY_BYTES: usize = 16 * 1024;

/// The longest namespace accepted, in UTF-8 bytes.
pub const MAX_NAMESPACE_BYTES: usize = 256;

/// The longest TTL accepted: 100 years. Longer TTLs are almost always a unit
/// mistake (seconds passed as milliseconds twice over), so they are refused.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// Checks that `key` can be stored: not empty and at most
/// [`MAX_KEY_BYTES`] long.
///
/// ```
/// use edgecache::key::check_key;
/// assert!(check_key("user:42").is_ok());
/// assert_eq!(check_key("").unwrap_err().code(), "EDGECACHE_INVALID_KEY");
/// ```
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidKey("keys must not be empty".into()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::InvalidKey(format!(
            "key is {} bytes long; the limit is {MAX_KEY_BYTES} bytes (UTF-8)",
            key.len()
        )));
    }
    Ok(())
}

/// Checks a namespace: not empty and at most [`MAX_NAMESPACE_BYTES`] long.
///
/// ```
/// use edgecache::key::check_namespace;
/// assert!(check_namespace("sessions").is_ok());
/// assert!(check_namespace("").is_err());
/// ```
pub fn check_namespace(namespace: &str) -> Result<()> {
    if namespace.is_empty() {
        return Err(Error::InvalidOptions(
            "namespace must not be empty (leave it out for no namespace)".into(),
        ));
    }
    if namespace.len() > MAX_NAMESPACE_BYTES {
        return Err(Error::InvalidOptions(format!(
            "namespace is {} bytes long; the limit is {MAX_NAMESPACE_BYTES} bytes",
            namespace.len()
        )));
    }
    Ok(())
}

/// The stored form of `key` in `namespace` (`None` is the empty namespace).
///
/// ```
/// use edgecache::key::encode;
/// assert_eq!(encode(Some("a"), "b:c"), "1:a:b:c");
/// assert_eq!(encode(Some("a:b"), "c"), "3:a:b:c");
/// assert_eq!(encode(None, "k"), "0::k");
/// ```
pub fn encode(namespace: Option<&str>, key: &str) -> String {
    let ns = namespace.unwrap_or("");
    let digits = ns.len().checked_ilog10().map_or(1, |d| d as usize + 1);
    let mut out = String::with_capacity(digits + ns.len() + key.len() + 2);
    out.push_str(&ns.len().to_string());
    out.push(':');
    out.push_str(ns);
    out.push(':');
    out.push_str(key);
    out
}

/// The prefix every stored key of `namespace` starts with (and no other
/// namespace's keys do).
///
/// ```
/// use edgecache::key::{encode, prefix};
/// assert!(encode(Some("a"), "x").starts_with(&prefix(Some("a"))));
/// assert!(!encode(Some("ab"), "x").starts_with(&prefix(Some("a"))));
/// ```
pub fn prefix(namespace: Option<&str>) -> String {
    encode(namespace, "")
}

/// Checks a TTL: `None` is fine (the backend's default applies); otherwise it
/// must be positive and at most [`MAX_TTL`].
///
/// ```
/// use edgecache::key::check_ttl;
/// use std::time::Duration;
/// assert!(check_ttl(Some(Duration::from_secs(5))).is_ok());
/// assert!(check_ttl(Some(Duration::ZERO)).is_err());
/// ```
pub fn check_ttl(ttl: Option<Duration>) -> Result<()> {
    match ttl {
        Some(ttl) if ttl.is_zero() => Err(Error::InvalidOptions(
            "TTL must be positive (delete the key to drop it now)".into(),
        )),
        Some(ttl) if ttl > MAX_TTL => Err(Error::InvalidOptions(format!(
            "TTL of {}s is longer than the limit of 100 years",
            ttl.as_secs()
        ))),
        _ => Ok(()),
    }
}

/// Converts a TTL in milliseconds as JavaScript passes it (`ttlMs`) into a
/// checked `Duration`. `NaN`, infinities, zero, negative numbers and values
/// over [`MAX_TTL`] are refused with `EDGECACHE_INVALID_OPTIONS`.
///
/// ```
/// use edgecache::key::ttl_from_ms;
/// use std::time::Duration;
/// assert_eq!(ttl_from_ms(1500.0).unwrap(), Duration::from_millis(1500));
/// assert!(ttl_from_ms(f64::NAN).is_err());
/// assert!(ttl_from_ms(-1.0).is_err());
/// ```
pub fn ttl_from_ms(ms: f64) -> Result<Duration> {
    if !ms.is_finite() || ms <= 0.0 {
        return Err(Error::InvalidOptions(format!(
            "ttlMs must be a positive, finite number of milliseconds, got {ms}"
        )));
    }
    if ms > MAX_TTL.as_millis() as f64 {
        return Err(Error::InvalidOptions(format!(
            "ttlMs of {ms} is longer than the limit of 100 years"
        )));
    }
    // Finite and within range: the conversion cannot fail. A TTL too small to
    // represent is still positive: it must not mean "already expired".
    Ok(Duration::from_secs_f64(ms / 1000.0).max(Duration::from_nanos(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_encoding_is_injective_on_colon_ambiguity() {
        assert_ne!(encode(Some("a"), "b:c"), encode(Some("a:b"), "c"));
        assert_ne!(encode(None, "1:a:x"), encode(Some("a"), "x"));
        assert_ne!(encode(Some("0"), ":k"), encode(None, "k"));
    }

    #[test]
    fn prefix_of_one_namespace_does_not_match_another() {
        let p = prefix(Some("ab"));
        assert!(!encode(Some("a"), "b").starts_with(&p));
        assert!(!encode(Some("abc"), "x").starts_with(&p));
        assert!(encode(Some("ab"), "x").starts_with(&p));
    }

    #[test]
    fn namespace_lengths_over_nine_encode_with_all_digits() {
        let ns = "n".repeat(12);
        assert_eq!(encode(Some(&ns), "k"), format!("12:{ns}:k"));
    }

    #[test]
    fn key_limits_are_in_utf8_bytes() {
        assert!(check_key(&"a".repeat(MAX_KEY_BYTES)).is_ok());
        assert!(check_key(&"a".repeat(MAX_KEY_BYTES + 1)).is_err());
        // 'é' is two bytes in UTF-8.
        assert!(check_key(&"é".repeat(MAX_KEY_BYTES / 2 + 1)).is_err());
    }

    #[test]
    fn ttl_from_ms_refuses_out_of_range_numbers() {
        for bad in [
            0.0,
            -0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2f64.powi(53),
        ] {
            assert_eq!(
                ttl_from_ms(bad).unwrap_err().code(),
                "EDGECACHE_INVALID_OPTIONS",
                "{bad}"
            );
        }
        assert_eq!(ttl_from_ms(0.5).unwrap(), Duration::from_micros(500));
        assert_eq!(ttl_from_ms(1e-12).unwrap(), Duration::from_nanos(1));
        assert_eq!(
            ttl_from_ms(f64::MIN_POSITIVE).unwrap(),
            Duration::from_nanos(1)
        );
    }
}
