//! Write coalescing: every `set`/`delete` issued in the same JavaScript tick
//! lands in one batch, written by one readwrite transaction.
//!
//! The first write of a tick creates the batch and spawns its flush; the
//! flush runs after the current task and the microtasks queued before it, so
//! every write made synchronously in the tick (or in tasks spawned in it) has
//! joined. Callers wait on the batch's [`Signal`], which fires when the
//! transaction's `complete` (or `abort`) event has fired.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen_futures::spawn_local;

use super::conn::{Counters, Shared, State};
use super::signal::Signal;
use super::txn;
use crate::Result;

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
pub(super) struct Batch {
    pub ops: Vec<(String, Op)>,
    slots: HashMap<String, usize>,
    done: Signal<Result<()>>,
}

impl Batch {
    fn new() -> Self {
        Self {
            ops: Vec::new(),
            slots: HashMap::new(),
            done: Signal::new(),
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
}

/// Adds `ops` to this tick's batch (scheduling its flush if it is new) and
/// returns the signal that fires once the batch is committed or has failed.
pub(super) fn enqueue(
    state: &Rc<State>,
    shared: &Arc<Shared>,
    ops: impl IntoIterator<Item = (String, Op)>,
) -> Signal<Result<()>> {
    let (done, new) = {
        let mut pending = state.pending.borrow_mut();
        let new = pending.is_none();
        let batch = pending.get_or_insert_with(Batch::new);
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
                        txn::write(&state, &shared, &batch.ops, bookkeeping)
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    batch.done.set(result.map(|removed| {
        Counters::add(&shared.counters.evictions, removed.evicted);
        Counters::add(&shared.counters.expirations, removed.expired);
    }));
}
