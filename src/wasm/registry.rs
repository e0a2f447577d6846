//! The per-thread table of JavaScript objects behind `Send + Sync` handles.
//!
//! A backend handle must be `Send + Sync`, but a JavaScript object (a KV, D1
//! or R2 binding, the Redis opener function or socket) is not. So the object
//! lives in this thread's table under a numeric id, and the handle holds a
//! [`Registered`]: the id alone, plain data. Dropping the [`Registered`]
//! removes the object. wasm32 runs one thread, so every handle finds its
//! object; no `unsafe impl Send` is involved.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use wasm_bindgen::JsValue;

use crate::{Error, Result};

thread_local! {
    /// Every registered object on this thread, by id.
    static OBJECTS: RefCell<HashMap<u64, JsValue>> = RefCell::new(HashMap::new());
}

/// The next id handed out (ids are never reused).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One object in this thread's table, removed when this is dropped.
#[derive(Debug)]
pub(crate) struct Registered {
    /// The key of the object in the table.
    id: u64,
    /// What the object is, for error messages ("the KV binding").
    what: &'static str,
}

impl Registered {
    /// Keeps `value` in this thread's table. `what` names it in errors
    /// ("the KV binding").
    pub(crate) fn new(value: JsValue, what: &'static str) -> Result<Self> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let stored = OBJECTS
            .try_with(|table| {
                table
                    .try_borrow_mut()
                    .map(|mut table| table.insert(id, value))
                    .is_ok()
            })
            .unwrap_or(false);
        if stored {
            Ok(Self { id, what })
        } else {
            Err(Error::Unavailable(format!(
                "cannot keep {what}: this thread is shutting down"
            )))
        }
    }

    /// The object, if this is the thread that registered it.
    pub(crate) fn get(&self) -> Result<JsValue> {
        OBJECTS
            .try_with(|table| table.try_borrow().ok()?.get(&self.id).cloned())
            .ok()
            .flatten()
            .ok_or_else(|| {
                Error::Unavailable(format!(
                    "{} of this backend lives on another thread (JavaScript objects cannot \
                     cross threads): build the backend on the thread that uses it",
                    self.what
                ))
            })
    }

    /// Removes the object from the table and hands it back (`None` on
    /// another thread, or while the thread shuts down).
    pub(crate) fn take(self) -> Option<JsValue> {
        remove(self.id)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // Taken out under the borrow, dropped after it ends.
        drop(remove(self.id));
    }
}

/// Takes the object of `id` out of this thread's table.
fn remove(id: u64) -> Option<JsValue> {
    OBJECTS
        .try_with(|table| table.try_borrow_mut().ok()?.remove(&id))
        .ok()
        .flatten()
}
