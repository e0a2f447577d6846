//! Coalescing: every `set`/`delete` issued in the same JavaScript tick lands
//! in one write batch, written by one readwrite transaction; every read
//! (`get`, `mget`) issued in the same tick lands in one read batch, read by
//! one readonly transaction.
//!
//! The first call of a tick creates the batch and spawns its flush; the
//! flush runs after the current task and the microtasks queued before it, so
//! every call made synchronously in the tick (or in tasks spawned in it) has
//! joined. Callers wait on the batch's [`Signal`]: a write batch's fires
//! when the transaction's `complete` (or `abort`) event has fired (after an
//! abort that an engine did not fully roll back, once
//! [`txn::undo_leftovers`] has removed what it kept), a read batch's when
//! every value has been read.
//!
//! One batch, one transaction, and one event listener: the flush waits only
//! for the batch's last request (IndexedDB answers a transaction's requests
//! in order). Letting each caller join one transaction and wait for its own
//! request instead measured 1.8x slower for `Promise.all` of a thousand
//! `get`s: every request with a listener costs an event dispatched into
//! JavaScript, where a request without one costs next to nothing.
//!
//! A read batch flushed after a write batch of the same tick starts its
//! transaction after the write's, so IndexedDB runs it after the write:
//! `cache.set(k, v); cache.get(k)` (not awaited in between) reads `v`.
//! From JavaScript, `set`, `delete` and `deleteMany` join the write batch
//! within the call (`IndexedDbBackend::queue_set`), not in a task of their
//! own: the flush is then queued before the microtask in which
//! `js/indexeddb.js` reads what was asked after the write. (A write that
//! joined from a spawned task had its flush queued one microtask later,
//! after such a read, which then answered from before the write.)

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen_futures::spawn_local;

use super::conn::{Counters, Shared, State};
use super::schema::Found;
use super::signal::Signal;
use super::txn;
use crate::{Error, Result};

/// One key's pending change.
pub(super) enum Op {
    /// Store a record (already encoded; `size` as [`super::schema::entry_size`]).
    Put {
        record: Vec<u8>,
        expires_at: Option<u64>,
        size: u64,
    },
    /// Remove the key.
    Delete,
    /// Remove the key if it still holds an expired or undecodable value (a
    /// read found one; a write since then must not be undone).
    Cleanup,
}

/// The writes of one tick, one op per key: a later write of a key replaces
/// an earlier one (a [`Op::Cleanup`] never replaces anything).
pub(super) struct WriteBatch {
    pub ops: Vec<(String, Op)>,
    slots: HashMap<String, usize>,
    done: Signal<Result<()>>,
    /// Set by a [`txn::write`] that failed after one of its puts failed on
    /// its own: the first and last write stamps it gave the batch's puts,
    /// for [`txn::undo_leftovers`].
    pub failed_stamps: Cell<Option<(u64, u64)>>,
}

impl WriteBatch {
    fn new() -> Self {
        Self {
            ops: Vec::new(),
            slots: HashMap::new(),
            done: Signal::new(),
            failed_stamps: Cell::new(None),
        }
    }

    fn push(&mut self, key: String, op: Op) {
        match self.slots.get(&key) {
            Some(&i) => {
                if !matches!(op, Op::Cleanup) {
                    if let Some(slot) = self.ops.get_mut(i) {
                        slot.1 = op;
                    }
                }
            }
            None => {
                self.slots.insert(key.clone(), self.ops.len());
                self.ops.push((key, op));
            }
        }
    }

    /// True if the batch writes (or may remove) `key`.
    pub(super) fn has(&self, key: &str) -> bool {
        self.slots.contains_key(key)
    }
}

/// Adds `ops` to this tick's write batch (scheduling its flush if it is new)
/// and returns the signal that fires once the batch is committed or has
/// failed.
pub(super) fn enqueue(
    state: &Rc<State>,
    shared: &Arc<Shared>,
    ops: impl IntoIterator<Item = (String, Op)>,
) -> Signal<Result<()>> {
    let (done, new) = {
        let mut pending = state.pending.borrow_mut();
        let new = pending.is_none();
        let batch = pending.get_or_insert_with(WriteBatch::new);
        for (key, op) in ops {
            batch.push(key, op);
        }
        (batch.done.clone(), new)
    };
    if new {
        spawn_local(flush(Rc::clone(state), Arc::clone(shared)));
    }
    done
}

async fn flush(state: Rc<State>, shared: Arc<Shared>) {
    // Writes keep joining the batch while the connection opens.
    let opened = state.database(&shared).await;
    let Some(batch) = state.pending.borrow_mut().take() else {
        return;
    };
    let removals_only = batch
        .ops
        .iter()
        .all(|(_, op)| !matches!(op, Op::Put { .. }));
    let result = match opened {
        Ok(_) => {
            state
                .retrying(|| {
                    txn::freeing(removals_only, |bookkeeping| {
                        txn::write(&state, &shared, &batch, bookkeeping)
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    if let (Err(_), Some(stamps)) = (&result, batch.failed_stamps.take()) {
        // Before the callers hear of the failure, so that none of them
        // reads what it left. Outside `retrying`: a closed connection found
        // here must not run the batch again. If this fails too, the batch's
        // own error is still the one to report.
        let _ = txn::undo_leftovers(&state, &shared, &batch, stamps).await;
    }
    batch.done.set(result.map(|removed| {
        Counters::add(&shared.counters.evictions, removed.evicted);
        Counters::add(&shared.counters.expirations, removed.expired);
    }));
}

/// What a read batch found, in the order of its keys; each caller takes its
/// own range out.
type Results = Rc<RefCell<Vec<Found>>>;

/// The reads of one tick: every caller's keys, end to end (a key asked for
/// twice is read twice; each caller gets its own copy).
pub(super) struct ReadBatch {
    keys: Vec<String>,
    done: Signal<Result<Results>>,
}

/// Reads `keys` in this tick's read batch (scheduling its flush if it is
/// new) and returns what was stored under each.
pub(super) async fn read(
    state: &Rc<State>,
    shared: &Arc<Shared>,
    keys: Vec<String>,
) -> Result<Vec<Found>> {
    let len = keys.len();
    let (done, start, new) = {
        let mut pending = state.pending_reads.borrow_mut();
        let new = pending.is_none();
        let batch = pending.get_or_insert_with(|| ReadBatch {
            keys: Vec::new(),
            done: Signal::new(),
        });
        let start = batch.keys.len();
        batch.keys.extend(keys);
        (batch.done.clone(), start, new)
    };
    if new {
        spawn_local(flush_reads(Rc::clone(state), Arc::clone(shared)));
    }
    let results = done.wait().await?;
    let mut results = results.borrow_mut();
    let ours = results
        .get_mut(start..start + len)
        .ok_or_else(|| Error::Backend("a read batch lost its results".into()))?;
    Ok(ours.iter_mut().map(std::mem::take).collect())
}

async fn flush_reads(state: Rc<State>, shared: Arc<Shared>) {
    // Reads keep joining the batch while the connection opens.
    let opened = state.database(&shared).await;
    let Some(batch) = state.pending_reads.borrow_mut().take() else {
        return;
    };
    let result = match opened {
        Ok(_) => {
            state
                .retrying(|| txn::read(&state, &shared, &batch.keys))
                .await
        }
        Err(e) => Err(e),
    };
    batch
        .done
        .set(result.map(|found| Rc::new(RefCell::new(found))));
}
