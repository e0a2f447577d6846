//! The per-thread table of JavaScript-side state behind `Send + Sync`
//! handles.
//!
//! A backend handle must be `Send + Sync`, but a JavaScript object (a KV, D1
//! or R2 binding, the Redis opener function or socket) is not, nor is Rust
//! state that holds one (IndexedDB's connection and pending batches). So the
//! object lives in this thread's table under a numeric id, and the handle
//! holds a [`Registered`]: the id alone, plain data. Dropping the
//! [`Registered`] removes the entry. wasm32 runs one thread, so every handle
//! finds its entry; no `unsafe impl Send` is involved.
//!
//! An entry is either a JavaScript object registered once
//! ([`Registered::new`], [`Registered::get`]) or Rust state made on first use
//! on each thread ([`Registered::lazy`], [`Registered::get_or_make`]).

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasm_bindgen::JsValue;

use crate::{Error, Result};

/// A per-thread table keyed by ids the crate hands out itself (this
/// table's, the executor's tasks, the sockets' inboxes).
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// The hasher of an [`IdMap`]: one multiply by 2^64 / φ (Fibonacci
/// hashing, Knuth, TAOCP vol. 3, 6.4), which spreads ids handed out in
/// sequence over the table. SipHash, the default, resists keys chosen to
/// collide, which these ids, never taken from input, do not need; it cost
/// a Redis get several hundred nanoseconds in wasm (a lookup for each
/// socket read and write, task poll and delivered reply).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

thread_local! {
    /// Every registered entry on this thread, by id.
    static ENTRIES: RefCell<IdMap<Rc<dyn Any>>> = RefCell::new(IdMap::default());
}

/// The next id handed out (ids are never reused).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One entry in this thread's table, removed when this is dropped.
#[derive(Debug)]
pub(crate) struct Registered {
    /// The key of the entry in the table.
    id: u64,
    /// What the entry is, for error messages ("the KV binding").
    what: &'static str,
}

impl Registered {
    /// Keeps `value` in this thread's table. `what` names it in errors
    /// ("the KV binding").
    pub(crate) fn new(value: JsValue, what: &'static str) -> Result<Self> {
        let this = Self::lazy(what);
        if insert(this.id, Rc::new(value)) {
            Ok(this)
        } else {
            Err(Error::Unavailable(format!(
                "cannot keep {what}: this thread is shutting down"
            )))
        }
    }

    /// An id with nothing registered yet: each thread makes its own entry on
    /// first use ([`Registered::get_or_make`]).
    pub(crate) fn lazy(what: &'static str) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            what,
        }
    }

    /// The object, if this is the thread that registered it.
    pub(crate) fn get(&self) -> Result<JsValue> {
        self.with(JsValue::clone)
    }

    /// `f` of the object, if this is the thread that registered it: what
    /// [`get`](Self::get) does without a handle of its own on the object
    /// (which costs a slot of wasm-bindgen's table of JavaScript values).
    /// The table is not borrowed while `f` runs, so `f` may call JavaScript
    /// that calls back in.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&JsValue) -> R) -> Result<R> {
        let value = self.existing::<JsValue>().ok_or_else(|| {
            Error::Unavailable(format!(
                "{} of this backend lives on another thread (JavaScript objects cannot \
                 cross threads): build the backend on the thread that uses it",
                self.what
            ))
        })?;
        Ok(f(&value))
    }

    /// This thread's entry, made by `make` if there is none yet. While the
    /// thread shuts down (the table is gone) the value is made but not kept.
    pub(crate) fn get_or_make<T: 'static>(&self, make: impl FnOnce() -> T) -> Rc<T> {
        if let Some(existing) = self.existing::<T>() {
            return existing;
        }
        let made = Rc::new(make());
        insert(self.id, Rc::clone(&made) as Rc<dyn Any>);
        made
    }

    /// This thread's entry, if it has one of type `T`.
    pub(crate) fn existing<T: 'static>(&self) -> Option<Rc<T>> {
        let entry = ENTRIES
            .try_with(|table| table.try_borrow().ok()?.get(&self.id).cloned())
            .ok()
            .flatten()?;
        entry.downcast::<T>().ok()
    }

    /// Removes the object from the table and hands it back (`None` on
    /// another thread, or while the thread shuts down).
    pub(crate) fn take(self) -> Option<JsValue> {
        let entry = remove(self.id)?;
        entry
            .downcast::<JsValue>()
            .ok()
            .map(|value| JsValue::clone(&value))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // Taken out under the borrow, dropped after it ends.
        drop(remove(self.id));
    }
}

/// Puts `entry` under `id`; false while the thread shuts down.
fn insert(id: u64, entry: Rc<dyn Any>) -> bool {
    ENTRIES
        .try_with(|table| {
            table
                .try_borrow_mut()
                .map(|mut table| table.insert(id, entry))
                .is_ok()
        })
        .unwrap_or(false)
}

/// Takes the entry of `id` out of this thread's table.
fn remove(id: u64) -> Option<Rc<dyn Any>> {
    ENTRIES
        .try_with(|table| table.try_borrow_mut().ok()?.remove(&id))
        .ok()
        .flatten()
}
