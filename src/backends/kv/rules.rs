//! Workers KV's rules, in pure Rust (natively tested): its limits, the
//! `expirationTtl` we give it, and the key and namespace checks made before
//! any call reaches the binding.

use std::time::Duration;

use crate::key::{self, Scope};
use crate::record;
use crate::{Error, Result};

/// The longest stored key Workers KV accepts, in UTF-8 bytes, with the
/// namespace encoding (`"{len}:{namespace}:"`, `"0::"` without one)
/// included.
pub const MAX_KEY_BYTES: usize = 512;

/// The largest value Workers KV accepts (25 MiB), in bytes, with the
/// record header ([`record::HEADER_LEN`], 11 bytes) included.
pub const MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;

/// The shortest `expirationTtl` Workers KV accepts, in seconds. Shorter
/// TTLs are still exact: the record header carries the exact expiry.
pub const MIN_EXPIRATION_TTL_SECS: u64 = 60;

/// The key `health_check` reads. It has no `"{len}:"` prefix, so it is
/// outside every namespace's keys.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) const HEALTH_CHECK_KEY: &str = "edgecache:health-check";

/// The longest `expirationTtl` the KV binding takes, in seconds: it is a
/// 32-bit signed integer ("Value out of range. Must be between -2147483648
/// and 2147483647"), about 68 years. Longer TTLs (up to `key::MAX_TTL`'s
/// 100 years) are clamped: KV may reclaim the key then, which is a miss.
pub const MAX_EXPIRATION_TTL_SECS: u64 = i32::MAX as u64;

/// KV's `expirationTtl` for `ttl`: whole seconds, rounded up, at least
/// [`MIN_EXPIRATION_TTL_SECS`] and at most [`MAX_EXPIRATION_TTL_SECS`]. KV
/// only uses it to reclaim the key; the exact expiry is in the record.
///
/// ```
/// use edgecache::backends::kv::rules::expiration_ttl;
/// use std::time::Duration;
/// assert_eq!(expiration_ttl(Duration::from_millis(5)), 60);
/// assert_eq!(expiration_ttl(Duration::from_millis(90_001)), 91);
/// assert_eq!(expiration_ttl(Duration::from_secs(3_153_600_000)), 2_147_483_647);
/// ```
pub fn expiration_ttl(ttl: Duration) -> u64 {
    let secs = ttl
        .as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0));
    secs.clamp(MIN_EXPIRATION_TTL_SECS, MAX_EXPIRATION_TTL_SECS)
}

/// Checks a namespace: the usual checks, and room left for a key in KV's
/// 512-byte keys.
///
/// ```
/// use edgecache::backends::kv::rules::check_namespace;
/// assert!(check_namespace("pages").is_ok());
/// assert!(check_namespace(&"n".repeat(256)).is_ok());
/// ```
pub fn check_namespace(namespace: &str) -> Result<()> {
    key::check_namespace(namespace)?;
    let prefix = key::prefix(Some(namespace)).len();
    if prefix >= MAX_KEY_BYTES {
        return Err(Error::InvalidOptions(format!(
            "namespace takes {prefix} bytes of Workers KV's {MAX_KEY_BYTES}-byte keys, leaving no room"
        )));
    }
    Ok(())
}

/// The key as stored in KV under `scope`, refused with
/// [`Error::InvalidKey`] if KV would refuse it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn stored_key(scope: &Scope, key: &str) -> Result<String> {
    let stored = scope.stored_key(key)?;
    if stored.len() > MAX_KEY_BYTES {
        return Err(Error::InvalidKey(format!(
            "key is {} bytes in Workers KV with its namespace encoding ({:?}); the limit \
             is {MAX_KEY_BYTES} bytes (UTF-8)",
            stored.len(),
            scope.prefix(),
        )));
    }
    Ok(stored)
}

/// Refuses a value of `len` bytes whose record (header + value) KV would
/// refuse, with [`Error::ValueTooLarge`].
///
/// ```
/// use edgecache::backends::kv::rules::check_value_len;
/// assert!(check_value_len(1024).is_ok());
/// assert!(check_value_len(25 * 1024 * 1024).is_err()); // the header does not fit
/// ```
pub fn check_value_len(len: usize) -> Result<()> {
    let size = len.saturating_add(record::HEADER_LEN);
    if size > MAX_VALUE_BYTES {
        return Err(Error::ValueTooLarge {
            size: u64::try_from(size).unwrap_or(u64::MAX),
            limit: MAX_VALUE_BYTES as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Options;

    #[test]
    fn expiration_ttl_is_whole_seconds_rounded_up_from_sixty_to_i32_max() {
        assert_eq!(expiration_ttl(Duration::from_millis(1)), 60);
        assert_eq!(expiration_ttl(Duration::from_secs(60)), 60);
        assert_eq!(expiration_ttl(Duration::from_millis(60_001)), 61);
        // KV's binding takes a signed 32-bit integer.
        assert_eq!(expiration_ttl(Duration::from_secs(1 << 31)), 2_147_483_647);
        assert_eq!(expiration_ttl(Duration::MAX), 2_147_483_647);
        assert_eq!(expiration_ttl(Duration::from_secs(3_600)), 3_600);
    }

    #[test]
    fn a_namespace_must_leave_room_for_a_key() {
        // "{len}:{ns}:" for a 256-byte namespace is 261 bytes: room is left.
        assert!(check_namespace(&"n".repeat(256)).is_ok());
        assert!(matches!(check_namespace(""), Err(Error::InvalidOptions(_))));
    }

    #[test]
    fn stored_keys_are_bounded_with_their_namespace_encoding() {
        let scope = Options {
            namespace: Some("ns".into()),
            ..Options::default()
        }
        .check(check_namespace)
        .unwrap();
        // "2:ns:" is 5 bytes, so 507 bytes of key fit and 508 do not.
        assert_eq!(stored_key(&scope, &"k".repeat(507)).unwrap().len(), 512);
        assert!(matches!(
            stored_key(&scope, &"k".repeat(508)),
            Err(Error::InvalidKey(_))
        ));
        // Multi-byte keys count in UTF-8 bytes.
        assert!(matches!(
            stored_key(&scope, &"é".repeat(254)),
            Err(Error::InvalidKey(_))
        ));
    }

    #[test]
    fn records_over_twenty_five_mib_are_refused() {
        assert!(check_value_len(MAX_VALUE_BYTES - record::HEADER_LEN).is_ok());
        assert!(matches!(
            check_value_len(MAX_VALUE_BYTES - record::HEADER_LEN + 1),
            Err(Error::ValueTooLarge { limit, .. }) if limit == MAX_VALUE_BYTES as u64
        ));
        assert!(check_value_len(usize::MAX).is_err());
    }
}
