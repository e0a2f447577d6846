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
//!
//! # Exact expiry
//!
//! An entry is gone once `expires_at <= now_ms`, and is never gone before
//! its TTL has passed. Real clocks truncate to whole milliseconds: a write at
//! a true time of 1000.9 ms reads 1000, and an expiry of `1000 + ttl` would
//! be reached up to a millisecond early. So a write is dated by
//! [`Clock::write_ms`], the end of the clock's current millisecond for a
//! truncating clock (the start of the next one), and reads by
//! [`Clock::now_ms`]. An exact clock such as [`ManualClock`] dates both the
//! same, so tests read like a story: write at 1 000 with a 100 ms TTL, gone
//! at 1 100. A real clock expires an entry within a millisecond after its TTL.

use std::fmt;
use std::sync::{Arc, Mutex};
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
    /// Milliseconds since the Unix epoch (rounded down).
    fn now_ms(&self) -> u64;

    /// The time to date a write from: the first whole millisecond that is
    /// not before the true time. For an exact clock (the default) that is
    /// [`now_ms`](Clock::now_ms); a clock that truncates returns the next
    /// millisecond unless the true time is exactly on one (see the module's
    /// "Exact expiry").
    ///
    /// ```
    /// use edgecache::time::{Clock, ManualClock};
    /// assert_eq!(ManualClock::new(1_000).write_ms(), 1_000);
    /// ```
    fn write_ms(&self) -> u64 {
        self.now_ms()
    }
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
impl SystemClock {
    fn since_epoch() -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(Self::since_epoch().as_millis()).unwrap_or(u64::MAX)
    }

    /// The true time rounded up to whole milliseconds.
    fn write_ms(&self) -> u64 {
        u64::try_from(Self::since_epoch().as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
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

    /// `Date.now()` truncates and hides the fraction: [`js_write_ms`] of it.
    fn write_ms(&self) -> u64 {
        js_write_ms(self.now_ms())
    }
}

/// The write time (see [`Clock::write_ms`]) for a JavaScript `Date.now()`
/// reading: the next millisecond, since `Date.now()` truncates the true time
/// and its fraction is unknown.
///
/// ```
/// assert_eq!(edgecache::time::js_write_ms(1_000), 1_001);
/// ```
pub fn js_write_ms(date_now: u64) -> u64 {
    date_now.saturating_add(1)
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
/// It keeps microseconds: on a whole millisecond it is exact
/// ([`write_ms`](Clock::write_ms) equals [`now_ms`](Clock::now_ms)); moved
/// part-way into one it behaves like a real, truncating clock (`now_ms`
/// rounds down, `write_ms` up), which is how tests check that nothing
/// expires early.
///
/// ```
/// use edgecache::time::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new(0);
/// let backend_view = clock.clone();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(backend_view.now_ms(), 5_000);
/// clock.advance(Duration::from_micros(900));
/// assert_eq!((clock.now_ms(), clock.write_ms()), (5_000, 5_001));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    /// (whole milliseconds, microseconds into the next one: 0..1000)
    now: Arc<Mutex<(u64, u32)>>,
}

impl ManualClock {
    /// A clock that reads `start_ms` until moved.
    pub fn new(start_ms: u64) -> Self {
        Self {
            now: Arc::new(Mutex::new((start_ms, 0))),
        }
    }

    fn time(&self) -> std::sync::MutexGuard<'_, (u64, u32)> {
        // A test that panicked while holding the lock left a valid time.
        self.now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`, to the microsecond (saturating).
    pub fn advance(&self, by: Duration) {
        let mut now = self.time();
        let micros = u128::from(now.1) + by.as_micros();
        let ms = u64::try_from(micros / 1_000).unwrap_or(u64::MAX);
        now.0 = now.0.saturating_add(ms);
        // Below 1000 by construction.
        now.1 = if now.0 == u64::MAX {
            0
        } else {
            (micros % 1_000) as u32
        };
    }

    /// Sets the clock to `now_ms`, on the millisecond.
    pub fn set(&self, now_ms: u64) {
        *self.time() = (now_ms, 0);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.time().0
    }

    fn write_ms(&self) -> u64 {
        let now = self.time();
        now.0.saturating_add(u64::from(now.1 > 0))
    }
}

/// The absolute expiry (ms since the epoch) of an entry written at `now_ms`
/// (a [`Clock::write_ms`]) with `ttl`, or `None` for no expiry.
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
    // The TTL in milliseconds, rounded up: whole seconds are whole
    // milliseconds, so only the sub-second part rounds. In u64 arithmetic:
    // `as_nanos()` is a u128, whose division would put compiler_builtins'
    // u128 divider (about 1 KiB) into every .wasm, the browser's included.
    let ms = ttl
        .as_secs()
        .saturating_mul(1_000)
        .saturating_add(u64::from(ttl.subsec_nanos().div_ceil(1_000_000)));
    Some(now_ms.saturating_add(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_after_rounds_the_ttl_up_to_whole_milliseconds_and_saturates() {
        for (ttl, ms) in [
            (Duration::from_nanos(1), 1),
            (Duration::from_millis(1), 1),
            (Duration::from_nanos(1_000_001), 2),
            (Duration::new(3, 0), 3_000),
            (Duration::new(3, 999_999_999), 4_000),
            (Duration::new(3, 999_000_001), 4_000),
            (Duration::new(3, 999_000_000), 3_999),
        ] {
            assert_eq!(expiry_after(10, Some(ttl)), Some(10 + ms), "{ttl:?}");
            assert_eq!(
                u128::from(ms),
                ttl.as_nanos().div_ceil(1_000_000),
                "the u128 reference, {ttl:?}"
            );
        }
        assert_eq!(expiry_after(10, Some(Duration::MAX)), Some(u64::MAX));
        assert_eq!(
            expiry_after(u64::MAX - 5, Some(Duration::from_millis(10))),
            Some(u64::MAX)
        );
    }

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
    fn manual_clock_keeps_microseconds_and_rounds_writes_up() {
        let c = ManualClock::new(1_000);
        assert_eq!((c.now_ms(), c.write_ms()), (1_000, 1_000));
        c.advance(Duration::from_micros(900));
        assert_eq!((c.now_ms(), c.write_ms()), (1_000, 1_001));
        c.advance(Duration::from_micros(100));
        assert_eq!((c.now_ms(), c.write_ms()), (1_001, 1_001));
        c.advance(Duration::from_micros(2_500));
        assert_eq!((c.now_ms(), c.write_ms()), (1_003, 1_004));
        c.set(7);
        assert_eq!((c.now_ms(), c.write_ms()), (7, 7));
    }

    /// Issue 14 §7: written at any true time, an entry is alive until its
    /// TTL has passed and gone within a millisecond after.
    #[test]
    fn expiry_is_never_early_and_at_most_one_millisecond_late() {
        for write_us in [0u64, 1, 499, 500, 999] {
            for ttl_ms in [1u64, 2, 1_000] {
                let clock = ManualClock::new(1_000);
                clock.advance(Duration::from_micros(write_us));
                let at =
                    expiry_after(clock.write_ms(), Some(Duration::from_millis(ttl_ms))).unwrap();
                for elapsed_us in 0..(ttl_ms + 2) * 1_000 {
                    let read = ManualClock::new(1_000);
                    read.advance(Duration::from_micros(write_us + elapsed_us));
                    let expired = at <= read.now_ms();
                    if elapsed_us < ttl_ms * 1_000 {
                        assert!(!expired, "early: write +{write_us} us, ttl {ttl_ms} ms, read after {elapsed_us} us");
                    }
                    if elapsed_us >= (ttl_ms + 1) * 1_000 {
                        assert!(expired, "late: write +{write_us} us, ttl {ttl_ms} ms, read after {elapsed_us} us");
                    }
                }
            }
        }
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
