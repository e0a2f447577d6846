//! The memcached backend's pure rules: what a key is stored under (the
//! namespace's generation, the namespace, long keys hashed), memcached's
//! TTL in whole seconds, and the generation counter behind `clear_all`.
//!
//! ## Stored keys
//!
//! | what | raw key (bytes) |
//! |---|---|
//! | an entry | `"{generation}:"` + [`key::encode`]`(namespace, key)`, e.g. `1816944000000000000:1:a:user:42` |
//! | the same, when it does not fit memcached's 250 bytes | `"{generation}:#"` + base64url(SHA-256([`key::encode`]`(namespace, key)`)) |
//! | a namespace's generation | `"g:"` + [`key::prefix`]`(namespace)`, e.g. `g:1:a:`; when too long, `"g:#"` + base64url(SHA-256(prefix)) |
//!
//! The raw key goes on the wire as it is when it is printable ASCII of at
//! most 250 bytes, otherwise base64-encoded with the `b` flag
//! ([`WireKey`]). **Decision: long keys are hashed, not refused.** Every
//! key the other backends accept (up to [`MAX_KEY_BYTES`](crate::key::MAX_KEY_BYTES),
//! any UTF-8) works here too; a key whose raw form does not fit either way
//! (more than 250 printable bytes, or more than 186 bytes otherwise) is
//! stored under its SHA-256, so two keys share an item only if SHA-256
//! collides. The encoding is injective: after `"{generation}:"` an entry
//! key goes on with the namespace's length (a digit) and a hashed one with
//! `#`; generation keys start with `g`.
//!
//! ## clear_all: generations
//!
//! memcached cannot list keys, and `flush_all` would empty the whole
//! server. So every namespace has a generation number, stored in memcached
//! under its generation key (no TTL), and mixed into every entry key;
//! `clear_all` increments it (`ma`), which makes every entry of the old
//! generation unreachable at once. The old items stay in memcached until
//! their own TTL or its LRU reclaims them. A generation that is missing (a
//! new namespace, a restarted server, an evicted counter) is created from
//! the current time in milliseconds and random bits ([`initial_generation`]),
//! so it does not come back to a number whose entries may still be stored.
//!
//! ## TTLs
//!
//! memcached's TTL is in whole seconds, and its clock ticks once a second
//! at an arbitrary phase, so an item can expire up to two seconds before
//! `T` seconds have passed. The record header holds the exact expiry
//! ([`record`](crate::record)); memcached gets the ceiling of the TTL plus
//! two seconds ([`ttl_seconds`]), so it never drops a live entry. TTLs over
//! 30 days are sent as `T0` (none): memcached reads a larger `T` as a Unix
//! time, by its own clock; such records still expire exactly by the
//! header, and memcached's LRU reclaims them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::meta::WireKey;
use crate::key;
use crate::{Error, Result};

/// The largest relative TTL memcached takes: 30 days. A larger `T` is read
/// as a Unix time.
pub const MAX_RELATIVE_TTL_SECS: u64 = 30 * 24 * 60 * 60;

/// Seconds added to the ceiling of a TTL for memcached's coarse clock.
pub const TTL_MARGIN_SECS: u64 = 2;

/// The memcached TTL (`T`) for a record with `ttl`: `0` (none) without a
/// TTL or beyond 30 days, otherwise the ceiling in seconds plus
/// [`TTL_MARGIN_SECS`].
///
/// ```
/// use edgecache::memcached::rules::ttl_seconds;
/// use std::time::Duration;
/// assert_eq!(ttl_seconds(None), 0);
/// assert_eq!(ttl_seconds(Some(Duration::from_millis(1))), 3);
/// assert_eq!(ttl_seconds(Some(Duration::from_secs(5))), 7);
/// assert_eq!(ttl_seconds(Some(Duration::from_secs(31 * 86_400))), 0);
/// ```
pub fn ttl_seconds(ttl: Option<std::time::Duration>) -> u32 {
    let Some(ttl) = ttl else { return 0 };
    let secs = ttl
        .as_nanos()
        .div_ceil(1_000_000_000)
        .saturating_add(u128::from(TTL_MARGIN_SECS));
    match u32::try_from(secs) {
        Ok(s) if u64::from(s) <= MAX_RELATIVE_TTL_SECS => s,
        _ => 0,
    }
}

/// `#` + base64url(SHA-256(`bytes`)): 44 printable bytes.
fn digest(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(44);
    out.push('#');
    out.push_str(&URL_SAFE_NO_PAD.encode(Sha256::digest(bytes)));
    out
}

/// `head` + `tail` as a wire key, or `head` + [`digest`]`(tail)` if that
/// does not fit.
fn fitted(head: &str, tail: &str) -> WireKey {
    let mut raw = Vec::with_capacity(head.len() + tail.len());
    raw.extend_from_slice(head.as_bytes());
    raw.extend_from_slice(tail.as_bytes());
    if let Some(key) = WireKey::new(&raw) {
        return key;
    }
    // Printable ASCII of at most 20 + 2 + 44 bytes: always fits.
    WireKey::printable(format!("{head}{}", digest(tail.as_bytes())))
}

/// The wire key of `key` in `namespace` at `generation` (the key already
/// checked with [`key::check_key`]).
///
/// ```
/// use edgecache::memcached::rules::item_key;
/// assert_eq!(item_key(7, Some("a"), "user:1").as_str(), "7:1:a:user:1");
/// assert!(item_key(7, None, "é").is_binary());
/// assert!(item_key(7, None, &"k".repeat(300)).as_str().starts_with("7:#"));
/// ```
pub fn item_key(generation: u64, namespace: Option<&str>, key: &str) -> WireKey {
    fitted(&format!("{generation}:"), &key::encode(namespace, key))
}

/// The wire key of `namespace`'s generation counter.
///
/// ```
/// use edgecache::memcached::rules::generation_key;
/// assert_eq!(generation_key(Some("a")).as_str(), "g:1:a:");
/// assert_eq!(generation_key(None).as_str(), "g:0::");
/// ```
pub fn generation_key(namespace: Option<&str>) -> WireKey {
    fitted("g:", &key::prefix(namespace))
}

/// The generation a missing counter is created with: the current time in
/// ms times 2^20, plus 20 random bits (`salt`'s low bits). A recreated
/// counter so never returns to a number whose entries may still be stored,
/// unless more than a million `clear_all`s per millisecond went before it,
/// or it is recreated within the millisecond it was made and the random
/// bits meet.
///
/// ```
/// use edgecache::memcached::rules::initial_generation;
/// assert_eq!(initial_generation(1, 5), (1 << 20) | 5);
/// assert_eq!(initial_generation(0, 0), 1);
/// ```
pub fn initial_generation(now_ms: u64, salt: u64) -> u64 {
    (now_ms.saturating_mul(1 << 20) | (salt & 0xF_FFFF)).max(1)
}

/// A generation counter's stored value (decimal digits, as `ma` keeps it).
///
/// ```
/// use edgecache::memcached::rules::parse_generation;
/// assert_eq!(parse_generation(b"42").unwrap(), 42);
/// assert!(parse_generation(b"x").is_err());
/// ```
pub fn parse_generation(value: &[u8]) -> Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            Error::Backend(format!(
                "the memcached generation counter holds {:?}, not a number",
                String::from_utf8_lossy(value.get(..32).unwrap_or(value))
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ttls_round_up_with_a_margin_and_long_ones_are_left_to_the_record() {
        assert_eq!(ttl_seconds(Some(Duration::from_nanos(1))), 3);
        assert_eq!(ttl_seconds(Some(Duration::from_millis(1_001))), 4);
        let max = Duration::from_secs(MAX_RELATIVE_TTL_SECS - TTL_MARGIN_SECS);
        assert_eq!(ttl_seconds(Some(max)), MAX_RELATIVE_TTL_SECS as u32);
        assert_eq!(ttl_seconds(Some(max + Duration::from_millis(1))), 0);
        assert_eq!(ttl_seconds(Some(crate::key::MAX_TTL)), 0);
    }

    #[test]
    fn keys_are_injective_across_generations_namespaces_and_hashing() {
        let keys = [
            item_key(1, None, "a"),
            item_key(11, None, "a"),
            item_key(1, Some("1"), "a"),
            item_key(1, Some("a"), "b:c"),
            item_key(1, Some("a:b"), "c"),
            item_key(1, None, "#x"),
            item_key(1, None, &"x".repeat(300)),
            item_key(1, None, &"x".repeat(301)),
            generation_key(None),
            generation_key(Some("a")),
            generation_key(Some(&"n".repeat(256))),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in keys.get(i + 1..).unwrap_or_default() {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn every_key_fits_the_wire() {
        let ns = "n".repeat(crate::key::MAX_NAMESPACE_BYTES);
        for key in [
            "k".to_owned(),
            "k".repeat(crate::key::MAX_KEY_BYTES),
            "ключ 🔑".repeat(100),
            "\u{0}\r\n ".to_owned(),
        ] {
            for ns in [None, Some(ns.as_str()), Some("é")] {
                let w = item_key(u64::MAX, ns, &key);
                assert!(w.as_str().len() <= super::super::meta::MAX_KEY_BYTES);
                assert!(w.as_str().bytes().all(|b| (0x21..=0x7e).contains(&b)));
            }
        }
        // The longest plain key is kept, one more byte is hashed.
        let head = "1:0::".len();
        let fits = "k".repeat(250 - head);
        assert_eq!(item_key(1, None, &fits).as_str(), format!("1:0::{fits}"));
        assert!(item_key(1, None, &format!("{fits}k"))
            .as_str()
            .starts_with("1:#"));
    }

    #[test]
    fn generations_start_at_the_clock_and_parse_strictly() {
        assert_eq!(initial_generation(0, 0), 1);
        let g = initial_generation(1_700_000_000_000, u64::MAX);
        assert_eq!(g >> 20, 1_700_000_000_000);
        assert_eq!(g & 0xF_FFFF, 0xF_FFFF);
        // Far-future clocks saturate rather than wrap.
        assert_eq!(initial_generation(u64::MAX, 0), u64::MAX);
        assert_eq!(parse_generation(b"18446744073709551615").unwrap(), u64::MAX);
        for bad in [&b""[..], b"-1", b"1 2", b"18446744073709551616", b"\xff"] {
            assert_eq!(
                parse_generation(bad).unwrap_err().code(),
                "EDGECACHE_BACKEND"
            );
        }
    }
}
