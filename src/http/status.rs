//! What the cache did with a request, for the diagnostic response fields:
//! the standard `Cache-Status` (RFC 9211) and our one-token `x-edgecache`.
//!
//! `Cache-Status` is a list with one member per cache on the path, each an
//! RFC 8941 item with parameters (`edgecache; fwd=uri-miss; stored`). A
//! cache "SHOULD add its value to the end" of what it received (RFC 9211
//! §2), so a response keeps the origin's and upstream caches' entries ahead
//! of ours. [`CacheStatusField`] renders our member.
//!
//! **Decision:** `x-edgecache` stays beside it. It is one token (`HIT`,
//! `MISS`, …) that code and log queries can compare without a structured
//! field parser, and it names only this cache, while `Cache-Status` mixes
//! every cache on the path.

use super::{MissReason, RevalidateReason};

/// What the cache did, for the diagnostic response header
/// [`CacheStatus::HEADER`] (`x-edgecache`). See [`Lookup`](super::Lookup) for which outcome
/// maps to which value.
///
/// ```
/// use edgecache::http::CacheStatus;
/// assert_eq!(CacheStatus::HEADER, "x-edgecache");
/// assert_eq!(CacheStatus::Revalidated.to_string(), "REVALIDATED");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheStatus {
    /// Served from the cache, fresh.
    Hit,
    /// Forwarded; nothing usable was stored.
    Miss,
    /// Served from the cache, stale (max-stale, stale-while-revalidate or
    /// stale-if-error).
    Stale,
    /// Served from the cache after the origin answered 304.
    Revalidated,
    /// Not cacheable at all (an unsafe or unknown method), or a response
    /// that may not be stored: forwarded as is.
    Bypass,
    /// Served from another request's origin response, fetched while this
    /// one waited (request collapsing).
    Collapsed,
    /// The origin failed and nothing stored could stand in: a `502`.
    Error,
}

impl CacheStatus {
    /// The diagnostic header's name.
    pub const HEADER: &'static str = "x-edgecache";

    /// The header value: `HIT`, `MISS`, `STALE`, `REVALIDATED`, `BYPASS`,
    /// `COLLAPSED` or `ERROR`.
    ///
    /// ```
    /// assert_eq!(edgecache::http::CacheStatus::Bypass.as_str(), "BYPASS");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Stale => "STALE",
            CacheStatus::Revalidated => "REVALIDATED",
            CacheStatus::Bypass => "BYPASS",
            CacheStatus::Collapsed => "COLLAPSED",
            CacheStatus::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for CacheStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the request went to the origin (RFC 9211 §2.2 `fwd`).
///
/// ```
/// use edgecache::http::status::Forward;
/// use edgecache::http::MissReason;
/// assert_eq!(Forward::from(MissReason::VaryMismatch).as_str(), "vary-miss");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Forward {
    /// "The cache was configured to not handle this request."
    Bypass,
    /// "The request method's semantics require the request to be forwarded."
    Method,
    /// "The cache did not contain any responses that matched the request
    /// URI."
    UriMiss,
    /// "The cache contained a response that matched the request URI, but it
    /// could not select a response based upon this request's header fields
    /// and stored Vary header fields."
    VaryMiss,
    /// "The cache was able to select a fresh response for the request, but
    /// the request's semantics (e.g., Cache-Control request directives) did
    /// not allow its use."
    Request,
    /// "The cache was able to select a response for the request, but it was
    /// stale."
    Stale,
}

impl Forward {
    /// The `fwd` parameter's token.
    ///
    /// ```
    /// assert_eq!(edgecache::http::status::Forward::UriMiss.as_str(), "uri-miss");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Forward::Bypass => "bypass",
            Forward::Method => "method",
            Forward::UriMiss => "uri-miss",
            Forward::VaryMiss => "vary-miss",
            Forward::Request => "request",
            Forward::Stale => "stale",
        }
    }
}

impl std::str::FromStr for Forward {
    type Err = ();

    /// The reason named by its token; `Err(())` for any other text.
    ///
    /// ```
    /// use edgecache::http::status::Forward;
    /// assert_eq!("vary-miss".parse(), Ok(Forward::VaryMiss));
    /// assert!("nope".parse::<Forward>().is_err());
    /// ```
    fn from_str(token: &str) -> Result<Forward, ()> {
        [
            Forward::Bypass,
            Forward::Method,
            Forward::UriMiss,
            Forward::VaryMiss,
            Forward::Request,
            Forward::Stale,
        ]
        .into_iter()
        .find(|fwd| fwd.as_str() == token)
        .ok_or(())
    }
}

impl From<MissReason> for Forward {
    fn from(reason: MissReason) -> Forward {
        match reason {
            MissReason::Method => Forward::Method,
            MissReason::NotStored | MissReason::UrlMismatch => Forward::UriMiss,
            MissReason::VaryMismatch | MissReason::VaryStar => Forward::VaryMiss,
        }
    }
}

impl From<RevalidateReason> for Forward {
    fn from(reason: RevalidateReason) -> Forward {
        match reason {
            // The stored response itself needs validation: it is as good as
            // stale ("no-cache" responses are stale-on-arrival in effect).
            RevalidateReason::NoCache | RevalidateReason::Stale => Forward::Stale,
            RevalidateReason::RequestNoCache
            | RevalidateReason::RequestMaxAge
            | RevalidateReason::RequestMinFresh => Forward::Request,
        }
    }
}

/// Our member of `Cache-Status` (RFC 9211 §2), rendered by `Display`.
///
/// ```
/// use edgecache::http::status::{CacheStatusField, Forward};
/// let miss = CacheStatusField { fwd: Some(Forward::UriMiss), fwd_status: Some(200), stored: true, ..Default::default() };
/// assert_eq!(miss.to_string(), "edgecache; fwd=uri-miss; fwd-status=200; stored");
/// let hit = CacheStatusField { hit: true, ttl: Some(-3), ..Default::default() };
/// assert_eq!(hit.to_string(), "edgecache; hit; ttl=-3");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStatusField {
    /// Served from the cache without going to the origin (`hit`).
    pub hit: bool,
    /// Why the request went to the origin (`fwd`).
    pub fwd: Option<Forward>,
    /// The status of the origin's response (`fwd-status`).
    pub fwd_status: Option<u16>,
    /// The origin's response was stored (`stored`).
    pub stored: bool,
    /// Served from another request's origin response (`collapsed`).
    pub collapsed: bool,
    /// Remaining freshness in seconds, negative when stale (`ttl`).
    pub ttl: Option<i64>,
    /// More detail (`detail`), such as `stale-if-error`. Written as an RFC
    /// 8941 token when it is one, else as a string.
    pub detail: Option<String>,
}

impl CacheStatusField {
    /// The cache's name in `Cache-Status` (an RFC 8941 token).
    pub const NAME: &'static str = "edgecache";
    /// The field's name.
    pub const HEADER: &'static str = "cache-status";
}

impl std::fmt::Display for CacheStatusField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(Self::NAME)?;
        if self.hit {
            f.write_str("; hit")?;
        }
        if let Some(fwd) = self.fwd {
            write!(f, "; fwd={}", fwd.as_str())?;
        }
        if let Some(status) = self.fwd_status {
            write!(f, "; fwd-status={status}")?;
        }
        if self.stored {
            f.write_str("; stored")?;
        }
        if self.collapsed {
            f.write_str("; collapsed")?;
        }
        if let Some(ttl) = self.ttl {
            write!(f, "; ttl={ttl}")?;
        }
        if let Some(detail) = &self.detail {
            f.write_str("; detail=")?;
            write_token_or_string(f, detail)?;
        }
        Ok(())
    }
}

/// An RFC 8941 sf-token if `value` is one (§3.3.4: `( ALPHA / "*" ) *(
/// tchar / ":" / "/" )`), else an sf-string with `"` and `\\` escaped and
/// anything outside printable ASCII dropped (§3.3.3).
fn write_token_or_string(f: &mut std::fmt::Formatter<'_>, value: &str) -> std::fmt::Result {
    let bytes = value.as_bytes();
    let is_token = bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'*')
        && bytes
            .iter()
            .all(|&b| super::headers::is_tchar(b) || b == b':' || b == b'/');
    if is_token {
        return f.write_str(value);
    }
    f.write_str("\"")?;
    for c in value.chars().filter(|c| (' '..='~').contains(c)) {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9211_forward_reasons() {
        let rows = [
            (Forward::from(MissReason::Method), "method"),
            (Forward::from(MissReason::NotStored), "uri-miss"),
            (Forward::from(MissReason::UrlMismatch), "uri-miss"),
            (Forward::from(MissReason::VaryMismatch), "vary-miss"),
            (Forward::from(MissReason::VaryStar), "vary-miss"),
            (Forward::from(RevalidateReason::Stale), "stale"),
            (Forward::from(RevalidateReason::NoCache), "stale"),
            (Forward::from(RevalidateReason::RequestNoCache), "request"),
            (Forward::from(RevalidateReason::RequestMaxAge), "request"),
            (Forward::from(RevalidateReason::RequestMinFresh), "request"),
            (Forward::Bypass, "bypass"),
        ];
        for (fwd, want) in rows {
            assert_eq!(fwd.as_str(), want, "{fwd:?}");
        }
    }

    #[test]
    fn rfc9211_members_render_as_sf_items_with_parameters() {
        let rows = [
            (CacheStatusField::default(), "edgecache"),
            (
                CacheStatusField {
                    fwd: Some(Forward::Stale),
                    fwd_status: Some(304),
                    ttl: Some(60),
                    ..Default::default()
                },
                "edgecache; fwd=stale; fwd-status=304; ttl=60",
            ),
            (
                CacheStatusField {
                    fwd: Some(Forward::UriMiss),
                    collapsed: true,
                    ttl: Some(10),
                    ..Default::default()
                },
                "edgecache; fwd=uri-miss; collapsed; ttl=10",
            ),
            (
                CacheStatusField {
                    fwd: Some(Forward::Stale),
                    fwd_status: Some(503),
                    ttl: Some(-30),
                    detail: Some("stale-if-error".into()),
                    ..Default::default()
                },
                "edgecache; fwd=stale; fwd-status=503; ttl=-30; detail=stale-if-error",
            ),
            (
                CacheStatusField {
                    detail: Some("origin said \"no\" \u{7f}".into()),
                    ..Default::default()
                },
                "edgecache; detail=\"origin said \\\"no\\\" \"",
            ),
        ];
        for (field, want) in rows {
            assert_eq!(field.to_string(), want);
        }
    }
}
