//! Time as the cache sees it: whole milliseconds since the Unix epoch.
//!
//! `std::time::Instant::now` and `SystemTime::now` panic on
//! `wasm32-unknown-unknown`, so nothing in the crate calls them there. Code
//! that needs the time takes it as an argument (the policy layer) or asks a
//! [`Clock`] (the backends). [`DefaultClock`] is the system clock natively and
//! `Date.now()` on wasm32; tests use [`ManualClock`] and move time by hand.
//!
//! Wall-clock milliseconds (not a monotonic clock) are used because expiry
//! times are stored in persistent records and compared across processes.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A source of the current time, in milliseconds since the Unix epoch.
///
/// ```
/// use edgecache::time::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_000);
/// assert_eq!(clock.now_ms(), 1_000);
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock (`SystemTime`), for native builds.
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))] {
/// use edgecache::time::{Clock, SystemClock};
/// assert!(SystemClock.now_ms() > 1_600_000_000_000);
/// # }
/// ```
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The JavaScript clock (`Date.now()`), for wasm32 builds.
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Default, Clone, Copy)]
pub struct JsClock;

#[cfg(target_arch = "wasm32")]
impl Clock for JsClock {
    fn now_ms(&self) -> u64 {
        // Date.now() is a finite, non-negative integer for any date after 1970.
        let now = js_sys::Date::now();
        if now.is_finite() && now > 0.0 {
            now as u64
        } else {
            0
        }
    }
}

/// The clock a backend uses unless told otherwise.
#[cfg(not(target_arch = "wasm32"))]
pub type DefaultClock = SystemClock;
/// The clock a backend uses unless told otherwise.
#[cfg(target_arch = "wasm32")]
pub type DefaultClock = JsClock;

/// A clock that only moves when told to. Clones share the same time, so a
/// test can hand one to a backend and keep one to drive it.
///
/// ```
/// use edgecache::time::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new(0);
/// let backend_view = clock.clone();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(backend_view.now_ms(), 5_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock that reads `start_ms` until moved.
    pub fn new(start_ms: u64) -> Self {
        Self {
            now_ms: Arc::new(AtomicU64::new(start_ms)),
        }
    }

    /// Moves the clock forward by `by` (rounded down to whole milliseconds).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // fetch_update cannot fail with a closure that always returns Some.
        let _ = self
            .now_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(ms))
            });
    }

    /// Sets the clock to `now_ms`.
    pub fn set(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

/// The absolute expiry (ms since the epoch) of an entry written at `now_ms`
/// with `ttl`, or `None` for no expiry.
///
/// Sub-millisecond TTLs round up, so a positive TTL never means "already
/// expired"; a zero TTL is refused by [`crate::key::check_ttl`] before it gets here.
///
/// ```
/// use edgecache::time::expiry_after;
/// use std::time::Duration;
/// assert_eq!(expiry_after(1_000, Some(Duration::from_micros(1))), Some(1_001));
/// assert_eq!(expiry_after(1_000, None), None);
/// ```
pub fn expiry_after(now_ms: u64, ttl: Option<Duration>) -> Option<u64> {
    let ttl = ttl?;
    let ms = ttl.as_nanos().div_ceil(1_000_000);
    Some(now_ms.saturating_add(u64::try_from(ms).unwrap_or(u64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::new(10);
        let b = a.clone();
        a.advance(Duration::from_millis(5));
        assert_eq!(b.now_ms(), 15);
        b.set(3);
        assert_eq!(a.now_ms(), 3);
    }

    #[test]
    fn manual_clock_saturates_instead_of_overflowing() {
        let c = ManualClock::new(u64::MAX - 1);
        c.advance(Duration::from_secs(10));
        assert_eq!(c.now_ms(), u64::MAX);
    }

    #[test]
    fn expiry_rounds_sub_millisecond_ttls_up_and_saturates() {
        assert_eq!(expiry_after(0, Some(Duration::from_nanos(1))), Some(1));
        assert_eq!(expiry_after(0, Some(Duration::from_millis(7))), Some(7));
        assert_eq!(
            expiry_after(u64::MAX, Some(Duration::from_secs(1))),
            Some(u64::MAX)
        );
    }
}
