//! Keys, namespaces and TTLs: the checks every backend applies to its input,
//! and the injective namespace encoding they share.
//!
//! A stored key is `"{len}:{namespace}:{key}"`, where `len` is the namespace's
//! length in bytes. The length prefix makes the encoding injective: namespace
//! `a` with key `b:c` is `1:a:b:c`, while namespace `a:b` with key `c` is
//! `3:a:b:c`. Keys without a namespace use the empty namespace (`0::key`), so
//! they never meet a namespaced key either.

use std::sync::Arc;
use std::time::Duration;

use crate::decimal::Decimal;
use crate::error::JsNumber;
use crate::time::{Clock, DefaultClock};
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
    out.push_str(Decimal::new(ns.len()).as_str());
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
            "ttlMs must be a positive, finite number of milliseconds, got {}",
            JsNumber(ms)
        )));
    }
    if ms > MAX_TTL.as_millis() as f64 {
        return Err(Error::InvalidOptions(format!(
            "ttlMs of {} is longer than the limit of 100 years",
            JsNumber(ms)
        )));
    }
    // Finite and within range: the conversion cannot fail. A TTL too small to
    // represent is still positive: it must not mean "already expired".
    Ok(Duration::from_secs_f64(ms / 1000.0).max(Duration::from_nanos(1)))
}

/// What the builders of the persistent backends (KV, D1, R2, Redis) take
/// alike — a namespace, a default TTL, a clock — as given, before
/// [`Options::check`].
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// The namespace of the handle built (default: none).
    pub(crate) namespace: Option<String>,
    /// The TTL of writes that give none (default: no expiry).
    pub(crate) default_ttl: Option<Duration>,
    /// The clock that stamps and checks expiry (default [`DefaultClock`]).
    pub(crate) clock: Arc<dyn Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            namespace: None,
            default_ttl: None,
            clock: Arc::new(DefaultClock::default()),
        }
    }
}

impl Options {
    /// Checks the namespace with `check_namespace` (each store adds its own
    /// limits to [`check_namespace`]) and the default TTL with
    /// [`check_ttl`]: the scope of the first handle.
    pub(crate) fn check(self, check_namespace: impl FnOnce(&str) -> Result<()>) -> Result<Scope> {
        if let Some(ns) = &self.namespace {
            check_namespace(ns)?;
        }
        check_ttl(self.default_ttl)?;
        Ok(Scope {
            namespace: self.namespace.map(Arc::from),
            default_ttl: self.default_ttl,
            clock: self.clock,
        })
    }
}

/// The checked namespace, default TTL and clock of one handle of a
/// persistent backend. Plain data: `Send + Sync`, cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    namespace: Option<Arc<str>>,
    default_ttl: Option<Duration>,
    clock: Arc<dyn Clock>,
}

impl Scope {
    /// The namespace (`None`: the empty one).
    pub(crate) fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The TTL of writes that give none.
    pub(crate) fn default_ttl(&self) -> Option<Duration> {
        self.default_ttl
    }

    /// The clock.
    pub(crate) fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The clock's time, in ms since the epoch.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The time to date a write from ([`Clock::write_ms`]).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn write_ms(&self) -> u64 {
        self.clock.write_ms()
    }

    /// The TTL of a write given `ttl`: `ttl`, or else the default.
    pub(crate) fn ttl(&self, ttl: Option<Duration>) -> Option<Duration> {
        ttl.or(self.default_ttl)
    }

    /// The same scope in `namespace`, once `check_namespace` accepts it.
    pub(crate) fn with_namespace(
        &self,
        namespace: &str,
        check_namespace: impl FnOnce(&str) -> Result<()>,
    ) -> Result<Self> {
        check_namespace(namespace)?;
        Ok(Self {
            namespace: Some(Arc::from(namespace)),
            ..self.clone()
        })
    }

    /// `key`, checked with [`check_key`], as stored: [`encode`]`(namespace,
    /// key)`.
    pub(crate) fn stored_key(&self, key: &str) -> Result<String> {
        check_key(key)?;
        Ok(encode(self.namespace(), key))
    }

    /// The [`prefix`] of every stored key of this scope's namespace.
    pub(crate) fn prefix(&self) -> String {
        prefix(self.namespace())
    }
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
    fn namespace_lengths_are_written_in_decimal() {
        assert_eq!(
            encode(Some(&"n".repeat(12)), "k"),
            format!("12:{}:k", "n".repeat(12))
        );
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
    fn options_check_the_namespace_and_ttl_and_scopes_share_the_rest() {
        use crate::time::ManualClock;
        let options = |namespace: Option<&str>, ttl| Options {
            namespace: namespace.map(str::to_owned),
            default_ttl: ttl,
            clock: Arc::new(ManualClock::new(7)),
        };
        let refuse_b = |ns: &str| match ns {
            "b" => Err(Error::InvalidOptions("no b".into())),
            _ => check_namespace(ns),
        };
        let bad = |o: Options| o.check(refuse_b).unwrap_err().code();
        assert_eq!(bad(options(Some(""), None)), "EDGECACHE_INVALID_OPTIONS");
        assert_eq!(bad(options(Some("b"), None)), "EDGECACHE_INVALID_OPTIONS");
        let zero = Some(Duration::ZERO);
        assert_eq!(bad(options(None, zero)), "EDGECACHE_INVALID_OPTIONS");

        let ttl = Some(Duration::from_secs(5));
        let scope = options(Some("a"), ttl).check(refuse_b).unwrap();
        assert_eq!(scope.namespace(), Some("a"));
        assert_eq!(scope.stored_key("k").unwrap(), "1:a:k");
        assert_eq!(scope.prefix(), "1:a:");
        assert_eq!(
            scope.stored_key("").unwrap_err().code(),
            "EDGECACHE_INVALID_KEY"
        );
        assert_eq!(scope.ttl(None), ttl);
        assert_eq!(
            scope.ttl(Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(scope.now_ms(), 7);

        let other = scope.with_namespace("c", refuse_b).unwrap();
        assert_eq!(other.stored_key("k").unwrap(), "1:c:k");
        assert_eq!((other.default_ttl(), other.now_ms()), (ttl, 7));
        assert!(scope.with_namespace("b", refuse_b).is_err());
        let plain = options(None, None).check(refuse_b).unwrap();
        assert_eq!(
            (plain.namespace(), plain.prefix()),
            (None, "0::".to_owned())
        );
        assert_eq!(plain.ttl(None), None);
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
