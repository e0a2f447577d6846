//! The crate's one error type.
//!
//! Every fallible operation returns [`Result<T>`]. A cache miss is never an
//! error: it is `Ok(None)`. Each variant carries a `String` payload (so the
//! error is `Send + Sync` and crosses the JavaScript boundary as a message) and
//! maps to a stable [`Error::code`] that JavaScript callers see as
//! `error.code`.

use std::fmt;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, and what to do about it.
///
/// The enum is `#[non_exhaustive]`: match on [`Error::code`] or use a
/// wildcard arm, so new failure kinds can be added without breaking callers.
///
/// ```
/// use edgecache::Error;
///
/// let err = Error::InvalidKey("keys must not be empty".into());
/// assert_eq!(err.code(), "EDGECACHE_INVALID_KEY");
/// assert!(err.to_string().contains("must not be empty"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key is empty, too long or not representable. Fix the caller: the
    /// same key will always be refused.
    #[error("invalid key: {0}")]
    InvalidKey(String),

    /// The value has the wrong type or cannot be encoded. Fix the caller.
    #[error("invalid value: {0}")]
    InvalidValue(String),

    /// An option or TTL is out of range, misspelt or of the wrong type.
    #[error("invalid options: {0}")]
    InvalidOptions(String),

    /// The entry (key + value + per-entry overhead) is larger than the cache's
    /// byte bound, so storing it would mean evicting everything. Raise
    /// `max_bytes` or store a smaller value.
    #[error("value too large: the entry needs {size} bytes but the cache holds at most {limit}")]
    ValueTooLarge {
        /// Bytes the entry would account for.
        size: u64,
        /// The cache's byte bound.
        limit: u64,
    },

    /// A stored value could not be decoded (for example `getJson` on bytes
    /// that are not JSON). The stored data is left as it is.
    #[error("cannot decode stored value: {0}")]
    Decode(String),

    /// The storage behind the cache failed. The message is the backend's own;
    /// the operation may succeed if retried.
    #[error("backend failure: {0}")]
    Backend(String),

    /// The storage is not available here (no IndexedDB in this runtime, a
    /// private mode that disables it, a binding that is missing), or cannot
    /// be reached now (a Redis server that is down, a connection that timed
    /// out or dropped mid-reply: the next call reconnects).
    #[error("storage unavailable: {0}")]
    Unavailable(String),

    /// The storage is out of space (the browser's quota). The write did not
    /// happen; earlier data is intact. Clear space or lower the bounds.
    #[error("storage quota exceeded: {0}")]
    QuotaExceeded(String),

    /// Opening the database is blocked by another connection (another tab
    /// holding an older version open). Close the other tab or retry later.
    #[error("database upgrade blocked: {0}")]
    Blocked(String),

    /// The server refused the credentials (Redis `AUTH`: wrong password or
    /// ACL user, or a password the server does not require). Retrying with
    /// the same credentials fails the same way.
    #[error("authentication refused: {0}")]
    Auth(String),

    /// The backend does not implement this operation.
    #[error("unsupported operation: {0}")]
    Unsupported(String),
}

impl Error {
    /// Every code [`Error::code`] can return, with the name JavaScript's
    /// `ErrorCode` object gives it (`ErrorCode.INVALID_KEY`). The npm
    /// package's `ErrorCode` and its TypeScript types are generated from this
    /// list at build time (`scripts/js_constants.rs`).
    ///
    /// ```
    /// # use edgecache::Error;
    /// assert!(Error::CODES.contains(&("AUTH", "EDGECACHE_AUTH")));
    /// ```
    pub const CODES: [(&'static str, &'static str); 11] = [
        ("INVALID_KEY", "EDGECACHE_INVALID_KEY"),
        ("INVALID_VALUE", "EDGECACHE_INVALID_VALUE"),
        ("INVALID_OPTIONS", "EDGECACHE_INVALID_OPTIONS"),
        ("VALUE_TOO_LARGE", "EDGECACHE_VALUE_TOO_LARGE"),
        ("DECODE", "EDGECACHE_DECODE"),
        ("BACKEND", "EDGECACHE_BACKEND"),
        ("UNAVAILABLE", "EDGECACHE_UNAVAILABLE"),
        ("QUOTA_EXCEEDED", "EDGECACHE_QUOTA_EXCEEDED"),
        ("BLOCKED", "EDGECACHE_BLOCKED"),
        ("AUTH", "EDGECACHE_AUTH"),
        ("UNSUPPORTED", "EDGECACHE_UNSUPPORTED"),
    ];

    /// The stable machine-readable code for this error, shared with
    /// JavaScript (`error.code`).
    ///
    /// ```
    /// # use edgecache::Error;
    /// let err = Error::ValueTooLarge { size: 10, limit: 5 };
    /// assert_eq!(err.code(), "EDGECACHE_VALUE_TOO_LARGE");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidKey(_) => "EDGECACHE_INVALID_KEY",
            Error::InvalidValue(_) => "EDGECACHE_INVALID_VALUE",
            Error::InvalidOptions(_) => "EDGECACHE_INVALID_OPTIONS",
            Error::ValueTooLarge { .. } => "EDGECACHE_VALUE_TOO_LARGE",
            Error::Decode(_) => "EDGECACHE_DECODE",
            Error::Backend(_) => "EDGECACHE_BACKEND",
            Error::Unavailable(_) => "EDGECACHE_UNAVAILABLE",
            Error::QuotaExceeded(_) => "EDGECACHE_QUOTA_EXCEEDED",
            Error::Blocked(_) => "EDGECACHE_BLOCKED",
            Error::Auth(_) => "EDGECACHE_AUTH",
            Error::Unsupported(_) => "EDGECACHE_UNSUPPORTED",
        }
    }
}

/// A number from JavaScript as it writes it (`1.5`, `-3`, `NaN`,
/// `Infinity`, `1e+21`), near enough for an error message: integers below
/// 10^19 exactly, fractions to six places, larger numbers in exponent form.
///
/// Written by hand because `{}` on an `f64` pulls core's float formatting
/// (about 20 KB of code and tables) into every `.wasm`, and numbers from
/// JavaScript are the only floats our messages show.
pub(crate) struct JsNumber(pub(crate) f64);

impl fmt::Display for JsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            return f.write_str("NaN");
        }
        if v < 0.0 {
            f.write_str("-")?;
        }
        let v = v.abs();
        if v.is_infinite() {
            return f.write_str("Infinity");
        }
        if v >= 1e19 {
            // An exponent form like JavaScript's (which starts at 1e21; from
            // 1e19 here, so the integer part below fits a u64).
            let (mut m, mut e) = (v, 0u32);
            while m >= 10.0 {
                m /= 10.0;
                e += 1;
            }
            return write!(f, "{}e+{e}", JsNumber(round6(m)));
        }
        // Below 1e19 the integer part fits a u64 exactly.
        let whole = v.trunc();
        let mut frac = ((v - whole) * 1e6).round() as u64;
        let mut whole = whole as u64;
        if frac == 1_000_000 {
            whole += 1;
            frac = 0;
        }
        write!(f, "{whole}")?;
        if frac > 0 {
            let mut digits = format!("{frac:06}");
            while digits.ends_with('0') {
                digits.pop();
            }
            write!(f, ".{digits}")?;
        }
        Ok(())
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_numbers_read_as_javascript_writes_them() {
        let cases: [(f64, &str); 12] = [
            (0.0, "0"),
            (-3.0, "-3"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-0.25, "-0.25"),
            (1.0 / 3.0, "0.333333"),
            (0.9999999, "1"),
            (3_153_600_000_001.0, "3153600000001"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1e21, "1e+21"),
            (2.5e300, "2.5e+300"),
        ];
        for (v, text) in cases {
            assert_eq!(JsNumber(v).to_string(), text, "{v:?}");
        }
    }

    #[test]
    fn codes_lists_every_variant_once_with_its_name() {
        // One value of each variant: adding a variant without a code in
        // CODES fails here (and the match in `code` makes it exhaustive).
        let all = [
            Error::InvalidKey(String::new()),
            Error::InvalidValue(String::new()),
            Error::InvalidOptions(String::new()),
            Error::ValueTooLarge { size: 0, limit: 0 },
            Error::Decode(String::new()),
            Error::Backend(String::new()),
            Error::Unavailable(String::new()),
            Error::QuotaExceeded(String::new()),
            Error::Blocked(String::new()),
            Error::Auth(String::new()),
            Error::Unsupported(String::new()),
        ];
        assert_eq!(all.len(), Error::CODES.len());
        for (error, (name, code)) in all.iter().zip(Error::CODES) {
            assert_eq!(error.code(), code);
            assert_eq!(format!("EDGECACHE_{name}"), code);
        }
    }

    #[test]
    fn every_variant_has_a_distinct_stable_code() {
        let all = [
            Error::InvalidKey(String::new()),
            Error::InvalidValue(String::new()),
            Error::InvalidOptions(String::new()),
            Error::ValueTooLarge { size: 2, limit: 1 },
            Error::Decode(String::new()),
            Error::Backend(String::new()),
            Error::Unavailable(String::new()),
            Error::QuotaExceeded(String::new()),
            Error::Blocked(String::new()),
            Error::Auth(String::new()),
            Error::Unsupported(String::new()),
        ];
        let mut codes: Vec<_> = all.iter().map(Error::code).collect();
        assert!(codes.iter().all(|c| c.starts_with("EDGECACHE_")));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn error_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }
}
