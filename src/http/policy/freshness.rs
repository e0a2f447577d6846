//! Freshness (RFC 9111 §4.2): the freshness lifetime (§4.2.1), heuristic
//! freshness (§4.2.2), age (§4.2.3), the origin's stale windows (RFC 5861)
//! and how long a stored response stays useful.

use super::super::cache_control::{CacheControl, Delta};
use super::super::headers::Headers;
use super::super::stored::StoredResponse;
use super::{has_validator, single_date, Policy, HEURISTICALLY_CACHEABLE};

/// The freshness of a stored response at some instant (RFC 9111 §4.2).
///
/// ```
/// use edgecache::http::Freshness;
/// let f = Freshness { lifetime_ms: 60_000, age_ms: 61_500, heuristic: false };
/// assert!(!f.is_fresh());
/// assert_eq!((f.staleness_ms(), f.remaining_ms(), f.age_secs()), (1_500, 0, 61));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// `freshness_lifetime` (§4.2.1), ms.
    pub lifetime_ms: u64,
    /// `current_age` (§4.2.3), ms.
    pub age_ms: u64,
    /// True when the lifetime is a heuristic (§4.2.2).
    pub heuristic: bool,
}

impl Freshness {
    /// §4.2: `response_is_fresh = (freshness_lifetime > current_age)`.
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 10, age_ms: 10, heuristic: false };
    /// assert!(!f.is_fresh());
    /// ```
    pub fn is_fresh(&self) -> bool {
        self.lifetime_ms > self.age_ms
    }

    /// How long past its lifetime the response is (0 while fresh).
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 10, age_ms: 4, heuristic: false };
    /// assert_eq!(f.staleness_ms(), 0);
    /// ```
    pub fn staleness_ms(&self) -> u64 {
        self.age_ms.saturating_sub(self.lifetime_ms)
    }

    /// How long the response stays fresh (0 once stale).
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 10, age_ms: 4, heuristic: false };
    /// assert_eq!(f.remaining_ms(), 6);
    /// ```
    pub fn remaining_ms(&self) -> u64 {
        self.lifetime_ms.saturating_sub(self.age_ms)
    }

    /// The age in whole seconds, as the `Age` field carries it.
    ///
    /// ```
    /// let f = edgecache::http::Freshness { lifetime_ms: 0, age_ms: 1_999, heuristic: false };
    /// assert_eq!(f.age_secs(), 1);
    /// ```
    pub fn age_secs(&self) -> u64 {
        self.age_ms / 1000
    }
}

impl Policy {
    /// The freshness of a stored response at `now` (§4.2.1, §4.2.2, §4.2.3).
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let policy = Policy::default();
    /// let res = Response::new(200)
    ///     .header("Date", "Tue, 14 Nov 2023 22:13:20 GMT") // = 1_700_000_000_000
    ///     .header("Last-Modified", "Sat, 04 Nov 2023 22:13:20 GMT"); // 10 days before
    /// let t0 = 1_700_000_000_000;
    /// let stored = policy.store(&Request::get("https://a/"), &res, vec![], t0, t0).unwrap();
    /// let f = policy.freshness(&stored, t0);
    /// assert!(f.heuristic);
    /// assert_eq!(f.lifetime_ms, 86_400_000); // 10% of 10 days, capped at one day
    /// ```
    pub fn freshness(&self, stored: &StoredResponse, now: u64) -> Freshness {
        let (cc, targeted) = self.response_directives(&stored.headers);
        self.freshness_with(stored, &cc, targeted, now)
    }

    pub(super) fn freshness_with(
        &self,
        stored: &StoredResponse,
        cc: &CacheControl,
        targeted: bool,
        now: u64,
    ) -> Freshness {
        let (lifetime_ms, heuristic) = self.lifetime(
            stored.status,
            &stored.headers,
            cc,
            targeted,
            stored.response_time,
        );
        Freshness {
            lifetime_ms,
            age_ms: current_age_ms(stored, now),
            heuristic,
        }
    }

    /// §4.2.1: "A cache can calculate the freshness lifetime ... by evaluating
    /// the following rules and using the first match".
    pub(super) fn lifetime(
        &self,
        status: u16,
        headers: &Headers,
        cc: &CacheControl,
        targeted: bool,
        response_time: u64,
    ) -> (u64, bool) {
        // "If the cache is shared and the s-maxage response directive is
        // present, use its value". Invalid (or duplicated differently) → 0:
        // "Caches are encouraged to consider responses that have invalid
        // freshness information ... to be stale."
        if self.options.shared {
            if let Some(d) = cc.s_maxage {
                return (d.millis_or(0), false);
            }
        }
        // "If the max-age response directive is present, use its value"
        if let Some(d) = cc.max_age {
            return (d.millis_or(0), false);
        }
        let date_ms = single_date(headers, "date", response_time)
            .flatten()
            .unwrap_or(response_time);
        // "If the Expires response header field is present, use its value
        // minus the value of the Date response header field (using the time the
        // message was received if it is not present ...)". §5.3: "A cache
        // recipient MUST interpret invalid date formats, especially the value
        // "0", as representing a time in the past". Two lines that differ are
        // invalid too (§4.2.1). A targeted field makes Expires ignored (RFC
        // 9213 §2.2).
        if !targeted {
            if let Some(expires) = single_date(headers, "expires", response_time) {
                return (expires.map_or(0, |e| e.saturating_sub(date_ms)), false);
            }
        }
        // §4.2.2: "heuristics can only be used on responses without explicit
        // freshness whose status codes are defined as heuristically cacheable
        // ... and on responses without explicit freshness that have been marked
        // as explicitly cacheable (e.g., with a public response directive)."
        // "If the response has a Last-Modified header field ..., caches are
        // encouraged to use a heuristic expiration value that is no more than
        // some fraction of the interval since that time."
        let allowed = HEURISTICALLY_CACHEABLE.contains(&status)
            || cc.public
            || (!self.options.shared && cc.private.is_some());
        if allowed && self.options.heuristic_percent > 0 {
            if let Some(Some(last_modified)) = single_date(headers, "last-modified", response_time)
            {
                if date_ms > last_modified {
                    let interval = date_ms - last_modified;
                    let heuristic = (interval / 100)
                        .saturating_mul(u64::from(self.options.heuristic_percent))
                        .min(self.options.heuristic_max_secs.saturating_mul(1000));
                    return (heuristic, true);
                }
            }
        }
        (0, false)
    }

    /// The longest staleness the origin allows (`stale-while-revalidate`,
    /// `stale-if-error`), 0 under `must-revalidate` or `no-cache`.
    pub(super) fn stale_window_ms(&self, cc: &CacheControl) -> u64 {
        if cc.must_revalidate || cc.no_cache.is_some() {
            return 0;
        }
        let swr = cc
            .stale_while_revalidate
            .and_then(Delta::seconds)
            .unwrap_or(0);
        let sie = match cc.stale_if_error {
            Some(d) => d.seconds().unwrap_or(0),
            // The configured default, where it can apply (see lookup.rs).
            None if !self.client_may_not_take_stale(cc) => self.options.stale_if_error_secs,
            None => 0,
        };
        swr.max(sie).saturating_mul(1000)
    }

    /// Until when (ms since the epoch) a stored response can still be of use:
    /// `None` if it has a validator (it can always be revalidated; keep it
    /// while space allows), otherwise the end of its freshness plus the
    /// longest `stale-while-revalidate` / `stale-if-error` window. Use it as
    /// the storage TTL.
    ///
    /// ```
    /// use edgecache::http::{Policy, Request, Response};
    /// let policy = Policy::default();
    /// let res = Response::new(200).header("Cache-Control", "max-age=60, stale-if-error=300");
    /// let stored = policy.store(&Request::get("https://a/"), &res, vec![], 0, 0).unwrap();
    /// assert_eq!(policy.useful_until(&stored), Some(360_000));
    /// ```
    pub fn useful_until(&self, stored: &StoredResponse) -> Option<u64> {
        if has_validator(&stored.headers) {
            return None;
        }
        let (cc, targeted) = self.response_directives(&stored.headers);
        let (lifetime_ms, _) = self.lifetime(
            stored.status,
            &stored.headers,
            &cc,
            targeted,
            stored.response_time,
        );
        let born = stored.response_time.saturating_sub(initial_age_ms(
            &stored.headers,
            stored.request_time,
            stored.response_time,
        ));
        Some(
            born.saturating_add(lifetime_ms)
                .saturating_add(self.stale_window_ms(&cc)),
        )
    }
}

/// §4.2.3 `age_value`: "The Age field value is a non-negative integer" ...
/// "a cache encountering a message with a list-based Age field value SHOULD
/// use the first member of the field value, discarding subsequent ones." ...
/// "If the field value ... is invalid ..., a cache SHOULD ignore the field."
fn age_value_ms(headers: &Headers) -> u64 {
    headers
        .get("age")
        .and_then(|v| v.split(',').next())
        .and_then(|v| super::super::cache_control::parse_delta_seconds(v.trim_matches([' ', '\t'])))
        .unwrap_or(0)
        .saturating_mul(1000)
}

/// §4.2.3 `corrected_initial_age`, in ms.
///
/// ```text
/// apparent_age = max(0, response_time - date_value);
/// response_delay = response_time - request_time;
/// corrected_age_value = age_value + response_delay;
/// corrected_initial_age = max(apparent_age, corrected_age_value);
/// ```
pub(super) fn initial_age_ms(headers: &Headers, request_time: u64, response_time: u64) -> u64 {
    let date_value = single_date(headers, "date", response_time)
        .flatten()
        .unwrap_or(response_time);
    let apparent_age = response_time.saturating_sub(date_value);
    let response_delay = response_time.saturating_sub(request_time);
    let corrected_age_value = age_value_ms(headers).saturating_add(response_delay);
    apparent_age.max(corrected_age_value)
}

/// §4.2.3 `current_age`, in ms.
///
/// ```text
/// resident_time = now - response_time;
/// current_age = corrected_initial_age + resident_time;
/// ```
pub(crate) fn current_age_ms(stored: &StoredResponse, now: u64) -> u64 {
    let resident_time = now.saturating_sub(stored.response_time);
    initial_age_ms(&stored.headers, stored.request_time, stored.response_time)
        .saturating_add(resident_time)
}

#[cfg(test)]
mod tests {
    use super::super::super::cache_control::MAX_DELTA_SECONDS;
    use super::*;

    #[test]
    fn age_value_takes_the_first_member_and_ignores_garbage() {
        assert_eq!(age_value_ms(&Headers::new().with("Age", "5, 9")), 5_000);
        assert_eq!(age_value_ms(&Headers::new().with("Age", "-5")), 0);
        assert_eq!(
            age_value_ms(&Headers::new().with("Age", "99999999999999999999")),
            MAX_DELTA_SECONDS * 1000
        );
    }
}
