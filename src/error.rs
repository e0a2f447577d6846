//! The crate's one error type.
//!
//! Every fallible operation returns [`Result<T>`]. A cache miss is never an
//! error: it is `Ok(None)`. Each variant carries a `String` payload (so the
//! error is `Send + Sync` and crosses the JavaScript boundary as a message) and
//! maps to a stable [`Error::code`] that JavaScript callers see as
//! `error.code`.

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

#[cfg(test)]
mod tests {
    use super::*;

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
