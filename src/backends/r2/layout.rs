//! How the R2 backend lays out its objects, as pure Rust (no JavaScript):
//! object keys, the `customMetadata` that carries the exact expiry and the
//! `clear_all` paging rules. The wasm32 glue (`R2Backend`, in `backend.rs`
//! beside this file) only moves these values across to an R2 bucket binding;
//! its bounded concurrency is the shared `concurrent::batched`.
//!
//! ## Object keys
//!
//! `{prefix}{len}:{namespace}:{key}`: the caller's fixed `prefix` (empty, or
//! ending in `/` and free of `:`), then [`key::encode`]. The whole mapping
//! `(prefix, namespace, key) → object key` is injective: the first `:` of an
//! object key ends the decimal length that follows the prefix's last `/`, so
//! the prefix, the namespace and the key can all be read back. Hence
//! `clear_all` of one `(prefix, namespace)` lists exactly its own objects, and
//! never another prefix's or namespace's, even when one prefix starts with
//! another (`a/` and `a/b/`).
//!
//! ## Metadata
//!
//! The body of an object is exactly the value's bytes (so a value written by
//! `set` can be read by a stream and the other way round); the expiry is in
//! the object's `customMetadata`, whose values R2 keeps as strings:
//! `{ v: "1" }`, or `{ v: "1", expiresAt: "<ms since the epoch>" }`.
//! [`Metadata::decode`] is strict: anything else (no metadata, another
//! version, an extra field, `"0123"`, `" 5"`, `"1e3"`) is not an edgecache
//! object, and the backend answers a miss.
//!
//! [`key::encode`]: crate::key::encode

use crate::key;
use crate::{Error, Result};

/// The longest object key R2 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1_024;

/// The largest body one R2 `put` accepts: 5 GiB less 5 MiB. (A value that
/// passes through the wasm core is bounded far lower by wasm32's 4 GiB of
/// memory, which must also hold the value while it is copied out.)
pub const MAX_VALUE_BYTES: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;

/// Keys per `list` page and per `delete([...])` call (R2's maximum for both).
pub const PAGE_KEYS: usize = 1_000;

/// The `customMetadata` field holding the format version.
pub const VERSION_FIELD: &str = "v";

/// The `customMetadata` field holding the absolute expiry (ms, decimal).
pub const EXPIRES_AT_FIELD: &str = "expiresAt";

/// The metadata format this build writes and reads.
pub const VERSION: &str = "1";

/// The object key `health_check` reads under a prefix: it starts with a
/// letter, so it is no namespace's key (those start with a digit).
pub const HEALTH_CHECK_KEY: &str = "edgecache:health-check";

/// Checks a key prefix: empty, or at most [`MAX_KEY_BYTES`]` - 4` bytes,
/// ending in `/` and without `:` (what keeps object keys injective across
/// prefixes; see the module docs).
///
/// ```
/// use edgecache::backends::r2::layout::check_prefix;
/// assert!(check_prefix("").is_ok());
/// assert!(check_prefix("cache/v2/").is_ok());
/// assert!(check_prefix("cache").is_err()); // must end in '/'
/// assert!(check_prefix("a:b/").is_err()); // no ':'
/// ```
pub fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    if !prefix.ends_with('/') || prefix.contains(':') {
        return Err(Error::InvalidOptions(format!(
            "the R2 key prefix must end in '/' and contain no ':' (so caches under \
             different prefixes never share an object), got {:?}",
            quote(prefix)
        )));
    }
    // The shortest object key under a prefix is "{prefix}0::k".
    if prefix.len() + 4 > MAX_KEY_BYTES {
        return Err(Error::InvalidOptions(format!(
            "the R2 key prefix is {} bytes long, leaving no room in R2's {MAX_KEY_BYTES}-byte \
             keys",
            prefix.len()
        )));
    }
    Ok(())
}

/// Checks that `namespace` is a valid namespace that leaves room for a key
/// under `prefix`.
///
/// ```
/// use edgecache::backends::r2::layout::check_namespace;
/// assert!(check_namespace("", "pages").is_ok());
/// assert!(check_namespace("", "").is_err());
/// ```
pub fn check_namespace(prefix: &str, namespace: &str) -> Result<()> {
    key::check_namespace(namespace)?;
    let taken = list_prefix(prefix, Some(namespace)).len();
    if taken >= MAX_KEY_BYTES {
        return Err(Error::InvalidOptions(format!(
            "the R2 key prefix and namespace take {taken} bytes of R2's {MAX_KEY_BYTES}-byte \
             keys, leaving no room"
        )));
    }
    Ok(())
}

/// The object key of `key` in `namespace` under `prefix`, refused with
/// [`Error::InvalidKey`] if it is empty, over the crate's key limit, or over
/// R2's 1,024 bytes once prefixed and encoded.
///
/// ```
/// use edgecache::backends::r2::layout::object_key;
/// assert_eq!(object_key("c/", Some("ns"), "k").unwrap(), "c/2:ns:k");
/// assert_eq!(object_key("", None, "k").unwrap(), "0::k");
/// let long = "k".repeat(1_022);
/// assert_eq!(object_key("", None, &long).unwrap_err().code(), "EDGECACHE_INVALID_KEY");
/// ```
pub fn object_key(prefix: &str, namespace: Option<&str>, key: &str) -> Result<String> {
    key::check_key(key)?;
    let encoded = key::encode(namespace, key);
    let len = prefix.len().saturating_add(encoded.len());
    if len > MAX_KEY_BYTES {
        return Err(Error::InvalidKey(format!(
            "key is {len} bytes as an R2 object key with its prefix and namespace encoding \
             ({:?}); the limit is {MAX_KEY_BYTES} bytes (UTF-8)",
            quote(&list_prefix(prefix, namespace))
        )));
    }
    let mut out = String::with_capacity(len);
    out.push_str(prefix);
    out.push_str(&encoded);
    Ok(out)
}

/// The `list` prefix matching every object of `namespace` under `prefix`
/// and nothing else.
///
/// ```
/// use edgecache::backends::r2::layout::{list_prefix, object_key};
/// let p = list_prefix("c/", Some("a"));
/// assert!(object_key("c/", Some("a"), "x").unwrap().starts_with(&p));
/// assert!(!object_key("c/", Some("ab"), "x").unwrap().starts_with(&p));
/// assert!(!object_key("c/a/", None, "y").unwrap().starts_with(&p));
/// ```
pub fn list_prefix(prefix: &str, namespace: Option<&str>) -> String {
    let mut out = String::from(prefix);
    out.push_str(&key::prefix(namespace));
    out
}

/// The object key `health_check` reads under `prefix`.
pub fn health_check_key(prefix: &str) -> String {
    let mut out = String::from(prefix);
    out.push_str(HEALTH_CHECK_KEY);
    out
}

/// What edgecache keeps in an object's `customMetadata`.
///
/// ```
/// use edgecache::backends::r2::layout::Metadata;
/// let meta = Metadata { expires_at: Some(1_500) };
/// let fields = meta.encode();
/// assert_eq!(fields, vec![("v", "1".to_string()), ("expiresAt", "1500".to_string())]);
/// let back = Metadata::decode(fields.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
/// assert_eq!(back, meta);
/// assert!(!back.is_expired(1_499) && back.is_expired(1_500));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Absolute expiry in ms since the epoch, or `None`.
    pub expires_at: Option<u64>,
}

impl Metadata {
    /// The `customMetadata` fields, in order: `v`, then `expiresAt` if the
    /// object expires.
    pub fn encode(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![(VERSION_FIELD, VERSION.to_string())];
        if let Some(at) = self.expires_at {
            fields.push((EXPIRES_AT_FIELD, at.to_string()));
        }
        fields
    }

    /// Parses `customMetadata` fields, strictly: `v` must be `"1"`,
    /// `expiresAt` (optional) a canonical decimal number of ms no larger
    /// than 2^53 (what JavaScript numbers hold exactly), and there must be no
    /// other field. Anything else is [`Error::Decode`]: the object is not one
    /// this build wrote.
    ///
    /// ```
    /// use edgecache::backends::r2::layout::Metadata;
    /// assert!(Metadata::decode([("v", "1")]).is_ok());
    /// assert!(Metadata::decode([("v", "2")]).is_err());
    /// assert!(Metadata::decode([("v", "1"), ("expiresAt", "007")]).is_err());
    /// assert!(Metadata::decode([]).is_err());
    /// ```
    pub fn decode<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Metadata> {
        let mut version = None;
        let mut expires_at = None;
        for (name, value) in fields {
            let slot = match name {
                VERSION_FIELD => &mut version,
                EXPIRES_AT_FIELD => &mut expires_at,
                other => {
                    return Err(Error::Decode(format!(
                        "unexpected customMetadata field {:?}",
                        quote(other)
                    )))
                }
            };
            if slot.replace(value).is_some() {
                return Err(Error::Decode(format!(
                    "customMetadata field {name:?} appears twice"
                )));
            }
        }
        match version {
            Some(VERSION) => {}
            Some(other) => {
                return Err(Error::Decode(format!(
                    "customMetadata version {:?}; this build reads {VERSION:?}",
                    quote(other)
                )))
            }
            None => {
                return Err(Error::Decode(
                    "no edgecache version in customMetadata".into(),
                ))
            }
        }
        let expires_at = expires_at.map(parse_ms).transpose()?;
        Ok(Metadata { expires_at })
    }

    /// True if the object has expired at `now_ms` (its expiry is not after
    /// `now_ms`).
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expires_at.is_some_and(|at| at <= now_ms)
    }
}

/// The largest expiry accepted back: 2^53 ms, beyond which JavaScript
/// numbers (and so every other reader of the metadata) lose precision.
const MAX_EXPIRES_AT: u64 = 1 << 53;

/// A canonical decimal (no sign, no leading zero, ASCII digits only).
fn parse_ms(s: &str) -> Result<u64> {
    let canonical = !s.is_empty()
        && s.len() <= 16
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    let parsed = if canonical {
        s.parse::<u64>().ok()
    } else {
        None
    };
    match parsed {
        Some(ms) if ms <= MAX_EXPIRES_AT => Ok(ms),
        _ => Err(Error::Decode(format!(
            "customMetadata expiresAt {:?} is not a canonical number of ms",
            quote(s)
        ))),
    }
}

/// Where `clear_all` goes after a `list` page: `Ok(None)` when done,
/// `Ok(Some(cursor))` for the next page. A page that is truncated without a
/// cursor, or hands back the cursor it was given, is an [`Error::Backend`]
/// (instead of stopping early or looping forever).
///
/// ```
/// use edgecache::backends::r2::layout::next_page;
/// assert_eq!(next_page(false, None, None).unwrap(), None);
/// assert_eq!(next_page(true, Some("c2"), Some("c1")).unwrap(), Some("c2".to_string()));
/// assert!(next_page(true, None, None).is_err());
/// assert!(next_page(true, Some("c1"), Some("c1")).is_err());
/// ```
pub fn next_page(
    truncated: bool,
    cursor: Option<&str>,
    previous: Option<&str>,
) -> Result<Option<String>> {
    if !truncated {
        return Ok(None);
    }
    match cursor.filter(|c| !c.is_empty()) {
        None => Err(Error::Backend(
            "R2 list answered truncated: true without a cursor".into(),
        )),
        Some(c) if Some(c) == previous => Err(Error::Backend(
            "R2 list returned the cursor it was given; stopping instead of looping".into(),
        )),
        Some(c) => Ok(Some(c.to_string())),
    }
}

/// At most 200 characters of a foreign string, for error messages.
fn quote(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut short: String = s.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(fields: &[(&str, &str)]) -> Result<Metadata> {
        Metadata::decode(fields.iter().copied())
    }

    #[test]
    fn metadata_roundtrips_with_and_without_expiry() {
        for meta in [
            Metadata { expires_at: None },
            Metadata {
                expires_at: Some(0),
            },
            Metadata {
                expires_at: Some(1_700_000_000_123),
            },
            Metadata {
                expires_at: Some(MAX_EXPIRES_AT),
            },
        ] {
            let fields = meta.encode();
            let back = Metadata::decode(fields.iter().map(|(k, v)| (*k, v.as_str())));
            assert_eq!(back.unwrap(), meta);
        }
    }

    #[test]
    fn foreign_or_garbled_metadata_is_a_decode_error() {
        let bad: &[&[(&str, &str)]] = &[
            &[],
            &[("expiresAt", "5")],
            &[("v", "")],
            &[("v", "2")],
            &[("v", "1 ")],
            &[("v", "1"), ("v", "1")],
            &[("v", "1"), ("expiresAt", "")],
            &[("v", "1"), ("expiresAt", "-5")],
            &[("v", "1"), ("expiresAt", "+5")],
            &[("v", "1"), ("expiresAt", "05")],
            &[("v", "1"), ("expiresAt", "5.0")],
            &[("v", "1"), ("expiresAt", "1e3")],
            &[("v", "1"), ("expiresAt", " 5")],
            &[("v", "1"), ("expiresAt", "٣")],
            &[("v", "1"), ("expiresAt", "9007199254740993")],
            &[("v", "1"), ("expiresAt", "99999999999999999999")],
            &[("v", "1"), ("expiresAt", "1"), ("expiresAt", "2")],
            &[("v", "1"), ("owner", "someone else")],
            &[("contentType", "text/plain")],
        ];
        for fields in bad {
            let err = decode(fields).unwrap_err();
            assert_eq!(err.code(), "EDGECACHE_DECODE", "{fields:?}");
        }
    }

    #[test]
    fn expiry_is_exclusive_of_the_expiry_instant() {
        let meta = decode(&[("v", "1"), ("expiresAt", "1000")]).unwrap();
        assert!(!meta.is_expired(999));
        assert!(meta.is_expired(1_000));
        assert!(!decode(&[("v", "1")]).unwrap().is_expired(u64::MAX));
    }

    #[test]
    fn prefixes_must_end_in_a_slash_and_have_no_colon() {
        for good in ["", "/", "a/", "cache/v2/", "ключ/"] {
            assert!(check_prefix(good).is_ok(), "{good:?}");
        }
        for bad in ["a", "a/b", "a:/", ":/", "a/0"] {
            assert_eq!(
                check_prefix(bad).unwrap_err().code(),
                "EDGECACHE_INVALID_OPTIONS",
                "{bad:?}"
            );
        }
        let long = format!("{}/", "p".repeat(MAX_KEY_BYTES - 4));
        assert!(check_prefix(&long).is_err());
        let fits = format!("{}/", "p".repeat(MAX_KEY_BYTES - 5));
        assert!(check_prefix(&fits).is_ok());
        assert!(object_key(&fits, None, "k").is_ok());
    }

    #[test]
    fn object_keys_are_injective_across_prefixes_and_namespaces() {
        // Every (prefix, namespace, key) triple here is distinct; so must be
        // their object keys, and a clear_all of one (prefix, namespace) must
        // match only its own.
        let prefixes = ["", "a/", "a/0::x/", "a/1:b:/", "1/", "a/b/"];
        let namespaces = [None, Some("a"), Some("a:b"), Some("b"), Some("0")];
        let keys = ["x", "b:x", ":x", "0::x", "1:a:x", "x/", "a/b/0::x"];
        let mut seen = std::collections::HashMap::new();
        let valid: Vec<&str> = prefixes
            .iter()
            .copied()
            .filter(|p| check_prefix(p).is_ok())
            .collect();
        assert_eq!(valid, ["", "a/", "1/", "a/b/"]);
        for p in &valid {
            for ns in namespaces {
                for k in keys {
                    let object = object_key(p, ns, k).unwrap();
                    if let Some(other) = seen.insert(object.clone(), (*p, ns, k)) {
                        panic!("{object:?} from both {other:?} and {:?}", (p, ns, k));
                    }
                }
            }
        }
        for (object, owner) in &seen {
            for p in &valid {
                for ns in namespaces {
                    let matches = object.starts_with(&list_prefix(p, ns));
                    assert_eq!(
                        matches,
                        (owner.0, owner.1) == (*p, ns),
                        "{object:?} of {owner:?} against ({p:?}, {ns:?})"
                    );
                }
            }
        }
    }

    #[test]
    fn the_health_check_key_is_outside_every_namespace() {
        for p in ["", "c/"] {
            let key = health_check_key(p);
            for ns in [None, Some("a"), Some("edgecache")] {
                assert!(!key.starts_with(&list_prefix(p, ns)));
            }
        }
    }

    #[test]
    fn object_keys_count_utf8_bytes_with_prefix_and_encoding() {
        // "c/" + "0::" = 5 bytes of overhead.
        let fits = "k".repeat(MAX_KEY_BYTES - 5);
        assert_eq!(object_key("c/", None, &fits).unwrap().len(), MAX_KEY_BYTES);
        let over = "k".repeat(MAX_KEY_BYTES - 4);
        assert_eq!(
            object_key("c/", None, &over).unwrap_err().code(),
            "EDGECACHE_INVALID_KEY"
        );
        // 'é' is two bytes: 510 of them + "0::" = 1,023 bytes.
        assert!(object_key("", None, &"é".repeat(510)).is_ok());
        assert!(object_key("", None, &"é".repeat(511)).is_err());
        assert_eq!(
            object_key("", None, "").unwrap_err().code(),
            "EDGECACHE_INVALID_KEY"
        );
    }

    #[test]
    fn namespaces_must_leave_room_for_a_key() {
        let prefix = format!("{}/", "p".repeat(700));
        assert!(check_namespace(&prefix, &"n".repeat(256)).is_ok());
        let prefix = format!("{}/", "p".repeat(770));
        assert_eq!(
            check_namespace(&prefix, &"n".repeat(256))
                .unwrap_err()
                .code(),
            "EDGECACHE_INVALID_OPTIONS"
        );
    }

    #[test]
    fn paging_stops_on_the_last_page_and_refuses_bad_cursors() {
        assert_eq!(next_page(false, Some("ignored"), None).unwrap(), None);
        assert_eq!(
            next_page(true, Some("x"), None).unwrap().as_deref(),
            Some("x")
        );
        assert!(next_page(true, Some(""), None).is_err());
        assert_eq!(
            next_page(true, Some("x"), Some("x")).unwrap_err().code(),
            "EDGECACHE_BACKEND"
        );
    }
}
