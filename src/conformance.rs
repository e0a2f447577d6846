//! The backend conformance suite: trait-level behaviour every
//! [`CacheBackend`] must show, run by each backend's tests (natively, in the
//! browser and in workerd).
//!
//! The suite reports the first failed expectation as `Err(String)` instead of
//! panicking, so it can run inside a wasm instance and return its verdict.
//!
//! ```
//! use edgecache::{conformance, time::ManualClock, MemoryBackend};
//!
//! let clock = ManualClock::new(1_000_000);
//! let store = MemoryBackend::builder().clock(clock.clone()).build().unwrap();
//! pollster::block_on(conformance::run(
//!     |ns| match ns {
//!         Some(ns) => store.with_namespace(ns),
//!         None => Ok(store.clone()),
//!     },
//!     &clock,
//! ))
//! .unwrap();
//! ```

use std::fmt::Debug;
use std::time::Duration;

use crate::time::ManualClock;
use crate::{CacheBackend, Result};

type Outcome = std::result::Result<(), String>;

macro_rules! expect_eq {
    ($left:expr, $right:expr, $what:expr) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!("{}: got {:?}, expected {:?}", $what, left, right));
        }
    }};
}

fn ok<T>(what: &str, r: Result<T>) -> std::result::Result<T, String> {
    r.map_err(|e| format!("{what}: unexpected error {e}"))
}

fn code<T: Debug>(what: &str, r: Result<T>, expected: &str) -> Outcome {
    match r {
        Err(e) if e.code() == expected => Ok(()),
        other => Err(format!(
            "{what}: got {other:?}, expected an {expected} error"
        )),
    }
}

/// Runs every check. `make(None)` returns a handle without a namespace and
/// `make(Some(ns))` one in namespace `ns`, all on the same store; `clock` is
/// the clock the backend reads.
pub async fn run<B, F>(make: F, clock: &ManualClock) -> Outcome
where
    B: CacheBackend,
    F: Fn(Option<&str>) -> Result<B>,
{
    let root = ok("make(None)", make(None))?;
    basics(&root).await?;
    binary_values(&root).await?;
    ttl(&root, clock).await?;
    batches(&root).await?;
    invalid_input(&root).await?;
    namespaces(&make).await?;
    clear(&make).await?;
    expect_eq!(
        ok("health_check", root.health_check().await)?,
        true,
        "health_check"
    );
    Ok(())
}

/// Misses, roundtrips, overwrites and deletes.
pub async fn basics<B: CacheBackend>(c: &B) -> Outcome {
    expect_eq!(
        ok("get missing", c.get("basics:missing").await)?,
        None,
        "get of a missing key"
    );
    expect_eq!(
        ok("exists missing", c.exists("basics:missing").await)?,
        false,
        "exists of a missing key"
    );
    ok("set", c.set("basics:k", b"v1".to_vec(), None).await)?;
    expect_eq!(
        ok("get", c.get("basics:k").await)?,
        Some(b"v1".to_vec()),
        "get after set"
    );
    expect_eq!(
        ok("exists", c.exists("basics:k").await)?,
        true,
        "exists after set"
    );
    ok("overwrite", c.set("basics:k", b"v2".to_vec(), None).await)?;
    expect_eq!(
        ok("get", c.get("basics:k").await)?,
        Some(b"v2".to_vec()),
        "get after overwrite"
    );
    ok("delete", c.delete("basics:k").await)?;
    expect_eq!(
        ok("get", c.get("basics:k").await)?,
        None,
        "get after delete"
    );
    ok("delete missing", c.delete("basics:k").await)?;
    // The clone is another handle on the same store.
    let other = c.clone();
    ok(
        "set via clone",
        other.set("basics:shared", b"x".to_vec(), None).await,
    )?;
    expect_eq!(
        ok("get", c.get("basics:shared").await)?,
        Some(b"x".to_vec()),
        "clone shares the store"
    );
    ok("delete", c.delete("basics:shared").await)
}

/// Values are arbitrary bytes, including empty ones; keys are any UTF-8.
pub async fn binary_values<B: CacheBackend>(c: &B) -> Outcome {
    let all_bytes: Vec<u8> = (0..=255).collect();
    ok("set bytes", c.set("bin:all", all_bytes.clone(), None).await)?;
    expect_eq!(
        ok("get bytes", c.get("bin:all").await)?,
        Some(all_bytes),
        "every byte value roundtrips"
    );
    ok("set empty", c.set("bin:empty", Vec::new(), None).await)?;
    expect_eq!(
        ok("get empty", c.get("bin:empty").await)?,
        Some(Vec::new()),
        "an empty value is not a miss"
    );
    ok(
        "set unicode key",
        c.set("bin:ключ🔑", b"u".to_vec(), None).await,
    )?;
    expect_eq!(
        ok("get unicode key", c.get("bin:ключ🔑").await)?,
        Some(b"u".to_vec()),
        "unicode key"
    );
    ok(
        "mdelete",
        c.mdelete(&["bin:all", "bin:empty", "bin:ключ🔑"]).await,
    )
}

/// Entries expire exactly at their TTL (on a truncating clock: never before
/// it, and within a millisecond after); `None` with no default never expires.
pub async fn ttl<B: CacheBackend>(c: &B, clock: &ManualClock) -> Outcome {
    ok(
        "set ttl",
        c.set("ttl:short", b"s".to_vec(), Some(Duration::from_secs(5)))
            .await,
    )?;
    ok(
        "set forever",
        c.set("ttl:forever", b"f".to_vec(), None).await,
    )?;
    clock.advance(Duration::from_millis(4_999));
    expect_eq!(
        ok("get", c.get("ttl:short").await)?,
        Some(b"s".to_vec()),
        "live 1 ms before its TTL"
    );
    clock.advance(Duration::from_millis(1));
    expect_eq!(
        ok("get", c.get("ttl:short").await)?,
        None,
        "expired at its TTL"
    );
    expect_eq!(
        ok("exists", c.exists("ttl:short").await)?,
        false,
        "exists after expiry"
    );
    // An overwrite restarts the TTL.
    ok(
        "set",
        c.set("ttl:re", b"1".to_vec(), Some(Duration::from_secs(1)))
            .await,
    )?;
    clock.advance(Duration::from_millis(600));
    ok(
        "overwrite",
        c.set("ttl:re", b"2".to_vec(), Some(Duration::from_secs(1)))
            .await,
    )?;
    clock.advance(Duration::from_millis(600));
    expect_eq!(
        ok("get", c.get("ttl:re").await)?,
        Some(b"2".to_vec()),
        "overwrite restarts the TTL"
    );
    // Never early on a real, truncating clock: written 0.9 ms into a
    // millisecond, an entry lives until its whole TTL has passed (the clock
    // then reads one millisecond short of write + TTL), and is gone within
    // the next millisecond.
    clock.advance(Duration::from_micros(900));
    ok(
        "set",
        c.set("ttl:exact", b"e".to_vec(), Some(Duration::from_secs(2)))
            .await,
    )?;
    clock.advance(Duration::from_micros(1_999_600));
    expect_eq!(
        ok("get", c.get("ttl:exact").await)?,
        Some(b"e".to_vec()),
        "live 0.4 ms before its TTL, though the clock reads write + TTL"
    );
    clock.advance(Duration::from_micros(500));
    expect_eq!(
        ok("get", c.get("ttl:exact").await)?,
        None,
        "gone 0.1 ms after its TTL"
    );
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    expect_eq!(
        ok("get", c.get("ttl:forever").await)?,
        Some(b"f".to_vec()),
        "no TTL never expires"
    );
    ok("mdelete", c.mdelete(&["ttl:forever", "ttl:re"]).await)
}

/// `mget` keeps order and reports misses; `mdelete` removes every key.
pub async fn batches<B: CacheBackend>(c: &B) -> Outcome {
    ok("set a", c.set("batch:a", b"A".to_vec(), None).await)?;
    ok("set c", c.set("batch:c", b"C".to_vec(), None).await)?;
    let got = ok(
        "mget",
        c.mget(&["batch:a", "batch:b", "batch:c", "batch:a"]).await,
    )?;
    expect_eq!(
        got,
        vec![
            Some(b"A".to_vec()),
            None,
            Some(b"C".to_vec()),
            Some(b"A".to_vec())
        ],
        "mget in order"
    );
    expect_eq!(
        ok("mget empty", c.mget(&[]).await)?,
        Vec::<Option<Vec<u8>>>::new(),
        "mget of nothing"
    );
    ok(
        "mdelete",
        c.mdelete(&["batch:a", "batch:b", "batch:c"]).await,
    )?;
    let got = ok("mget", c.mget(&["batch:a", "batch:c"]).await)?;
    expect_eq!(got, vec![None, None], "mget after mdelete");
    Ok(())
}

/// Bad keys and TTLs are refused with their codes, and change nothing.
pub async fn invalid_input<B: CacheBackend>(c: &B) -> Outcome {
    code("get empty key", c.get("").await, "EDGECACHE_INVALID_KEY")?;
    code(
        "set empty key",
        c.set("", vec![1], None).await,
        "EDGECACHE_INVALID_KEY",
    )?;
    code(
        "delete empty key",
        c.delete("").await,
        "EDGECACHE_INVALID_KEY",
    )?;
    let huge = "k".repeat(crate::key::MAX_KEY_BYTES + 1);
    code(
        "set huge key",
        c.set(&huge, vec![1], None).await,
        "EDGECACHE_INVALID_KEY",
    )?;
    code(
        "mget with a bad key",
        c.mget(&["ok", ""]).await,
        "EDGECACHE_INVALID_KEY",
    )?;
    ok("set", c.set("bad:k", b"kept".to_vec(), None).await)?;
    code(
        "zero TTL",
        c.set("bad:k", b"lost".to_vec(), Some(Duration::ZERO)).await,
        "EDGECACHE_INVALID_OPTIONS",
    )?;
    expect_eq!(
        ok("get", c.get("bad:k").await)?,
        Some(b"kept".to_vec()),
        "a refused write changes nothing"
    );
    ok("delete", c.delete("bad:k").await)
}

/// Namespaces never see each other's keys, even when the encoded forms could
/// be confused (`a` + `b:c` against `a:b` + `c`).
pub async fn namespaces<B, F>(make: &F) -> Outcome
where
    B: CacheBackend,
    F: Fn(Option<&str>) -> Result<B>,
{
    let a = ok("make(a)", make(Some("a")))?;
    let ab = ok("make(a:b)", make(Some("a:b")))?;
    let root = ok("make(None)", make(None))?;
    ok("set", a.set("b:c", b"from a".to_vec(), None).await)?;
    expect_eq!(
        ok("get", ab.get("c").await)?,
        None,
        "namespace a:b sees a's b:c"
    );
    expect_eq!(
        ok("get", root.get("a:b:c").await)?,
        None,
        "root sees a's key"
    );
    ok("set", ab.set("c", b"from a:b".to_vec(), None).await)?;
    expect_eq!(
        ok("get", a.get("b:c").await)?,
        Some(b"from a".to_vec()),
        "a keeps its value"
    );
    expect_eq!(
        ok("get", ab.get("c").await)?,
        Some(b"from a:b".to_vec()),
        "a:b keeps its value"
    );
    ok("delete", a.delete("b:c").await)?;
    ok("delete", ab.delete("c").await)
}

/// `clear_all` clears its own namespace and nothing else.
pub async fn clear<B, F>(make: &F) -> Outcome
where
    B: CacheBackend,
    F: Fn(Option<&str>) -> Result<B>,
{
    let x = ok("make(x)", make(Some("clear-x")))?;
    let y = ok("make(y)", make(Some("clear-y")))?;
    let root = ok("make(None)", make(None))?;
    for i in 0..20 {
        ok("set x", x.set(&format!("k{i}"), vec![1], None).await)?;
    }
    ok("set y", y.set("k0", vec![2], None).await)?;
    ok("set root", root.set("clear:k0", vec![3], None).await)?;
    ok("clear x", x.clear_all().await)?;
    expect_eq!(ok("get", x.get("k0").await)?, None, "cleared namespace");
    expect_eq!(ok("get", x.get("k19").await)?, None, "cleared namespace");
    expect_eq!(
        ok("get", y.get("k0").await)?,
        Some(vec![2]),
        "other namespace survives clear"
    );
    expect_eq!(
        ok("get", root.get("clear:k0").await)?,
        Some(vec![3]),
        "root survives a namespace's clear"
    );
    ok("clear root", root.clear_all().await)?;
    expect_eq!(ok("get", root.get("clear:k0").await)?, None, "root cleared");
    expect_eq!(
        ok("get", y.get("k0").await)?,
        Some(vec![2]),
        "namespace survives root's clear"
    );
    ok("clear y", y.clear_all().await)
}
