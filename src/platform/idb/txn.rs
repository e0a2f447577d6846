//! The transactions: batched reads, the write batch (with eviction), purge,
//! clear, and reading the totals. Each function opens exactly one
//! transaction, and awaits only requests of that transaction until it
//! commits, so IndexedDB never auto-commits it early.

use std::future::Future;
use std::rc::Rc;

use indexed_db_futures::database::Database;
use indexed_db_futures::error::Error as IdbError;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use indexed_db_futures::KeyRange;
use wasm_bindgen::JsValue;

use super::batch::Op;
use super::conn::{Shared, State};
use super::js_error;
use super::schema::{self, Bounds, Found, Totals, BY_EXPIRY, BY_WRITTEN, META_STORE};
use crate::{Error, Result};

/// Entries a transaction removed on its own.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Removed {
    pub expired: u64,
    pub evicted: u64,
}

/// A transaction plus its raw handle, to map errors to their cause.
struct Tx<'a> {
    tx: Transaction<'a>,
    raw: web_sys::IdbTransaction,
}

impl<'a> Tx<'a> {
    fn begin(
        state: &State,
        shared: &Shared,
        db: &'a Database,
        stores: &[&str],
        mode: TransactionMode,
    ) -> Result<Self> {
        let tx = state.begin(shared, db, stores, mode)?;
        let raw = tx.as_sys().clone().into();
        Ok(Self { tx, raw })
    }

    fn fail(&self, doing: &'static str) -> impl Fn(IdbError) -> Error + '_ {
        move |e| js_error::in_tx(&self.raw, e, doing)
    }

    fn store(&self, name: &str) -> Result<ObjectStore<'_>> {
        self.tx
            .object_store(name)
            .map_err(self.fail("opening a store"))
    }

    /// Commits and waits for `complete`; an abort reports its cause.
    async fn commit(self) -> Result<()> {
        let Self { tx, raw } = self;
        tx.commit()
            .await
            .map_err(|e| js_error::in_tx(&raw, e, "committing"))
    }
}

/// Issues a lookup of `key` with `getAll(key, 1)`, which (unlike `get`)
/// tells a stored `undefined` from a missing key, so no stored value is
/// unreadable or unremovable. The request goes out now; the future collects it.
fn lookup(
    store: &ObjectStore<'_>,
    key: &str,
) -> indexed_db_futures::Result<impl Future<Output = indexed_db_futures::Result<Option<JsValue>>>> {
    let request = store
        .get_all::<JsValue>()
        .with_query(key)
        .with_limit(1)
        .primitive()?;
    Ok(async move {
        request
            .await
            .and_then(|mut values| values.next().transpose())
    })
}

/// Lets a request run without awaiting it: IndexedDB carries out a
/// transaction's requests in order, and a failure aborts the transaction,
/// which the commit then reports.
fn in_flight<F: Future>(request: F) {
    drop(request);
}

/// How a readwrite transaction leaves the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bookkeeping {
    /// Write the new totals: the normal case.
    Save,
    /// Delete the totals record instead, so the next transaction recounts.
    /// Once an origin is over its quota, Chrome refuses to commit any
    /// transaction that writes data, even a few bytes of totals, but lets
    /// pure deletions through: removals retried this way still free space.
    Forget,
}

/// Runs a transaction that only removes entries; if it fails for quota,
/// runs it again with [`Bookkeeping::Forget`].
pub(super) async fn freeing<T, F, Fut>(removals_only: bool, mut run: F) -> Result<T>
where
    F: FnMut(Bookkeeping) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    match run(Bookkeeping::Save).await {
        Err(Error::QuotaExceeded(_)) if removals_only => run(Bookkeeping::Forget).await,
        result => result,
    }
}

/// The totals, read from the meta store; a missing record (a new database,
/// or one a [`Bookkeeping::Forget`] transaction deleted) is recounted from
/// the entries.
async fn load_totals(
    store: &ObjectStore<'_>,
    meta: &ObjectStore<'_>,
    shared: &Shared,
) -> indexed_db_futures::Result<Totals> {
    match lookup(meta, &shared.store_name)?.await? {
        Some(value) => Ok(Totals::from_js(Some(&value))),
        None => recount(store).await,
    }
}

/// Counts the entries and their sizes with a cursor over the whole store.
async fn recount(store: &ObjectStore<'_>) -> indexed_db_futures::Result<Totals> {
    let mut totals = Totals::default();
    let Some(mut cursor) = store.open_cursor().primitive()?.await? else {
        return Ok(totals);
    };
    while let Some(value) = cursor.next_record::<JsValue>().await? {
        if let Some(size) = schema::accounted(&value) {
            totals.replace(None, size);
        }
        totals.seq = totals.seq.max(schema::written(&value).unwrap_or(0));
    }
    Ok(totals)
}

/// Queues the write (or, for [`Bookkeeping::Forget`], the deletion) of the
/// totals (see [`in_flight`]).
fn store_totals(
    meta: &ObjectStore<'_>,
    shared: &Shared,
    totals: Totals,
    bookkeeping: Bookkeeping,
    fail: &impl Fn(IdbError) -> Error,
) -> Result<()> {
    let key = shared.store_name.as_str();
    match bookkeeping {
        Bookkeeping::Save => in_flight(
            meta.put(totals.to_js()?)
                .with_key(key)
                .primitive()
                .map_err(fail)?,
        ),
        Bookkeeping::Forget => in_flight(meta.delete(key).primitive().map_err(fail)?),
    }
    Ok(())
}

/// Reads `keys` in one readonly transaction.
pub(super) async fn read(
    state: &Rc<State>,
    shared: &Shared,
    keys: &[String],
) -> Result<Vec<Found>> {
    let db = state.database(shared).await?;
    let tx = Tx::begin(
        state,
        shared,
        &db,
        &[&shared.store_name],
        TransactionMode::Readonly,
    )?;
    let store = tx.store(&shared.store_name)?;
    // Issue every request before awaiting any: they run back to back.
    let requests = keys
        .iter()
        .map(|key| lookup(&store, key))
        .collect::<indexed_db_futures::Result<Vec<_>>>()
        .map_err(tx.fail("reading"))?;
    let now = shared.clock.now_ms();
    let mut found = Vec::with_capacity(keys.len());
    for request in requests {
        let value = request.await.map_err(tx.fail("reading"))?;
        found.push(schema::decode(value.as_ref(), now));
    }
    // Nothing to commit: dropping a readonly transaction aborts it, harmlessly.
    Ok(found)
}

/// Writes one batch: reads the totals and each key's old value (for its
/// size), applies the ops, removes expired entries (a few always, more while
/// a bound is exceeded) and then the oldest-written ones while a bound is
/// still exceeded, saves the totals, and commits.
pub(super) async fn write(
    state: &Rc<State>,
    shared: &Shared,
    ops: &[(String, Op)],
    bookkeeping: Bookkeeping,
) -> Result<Removed> {
    let db = state.database(shared).await?;
    let stores = [shared.store_name.as_str(), META_STORE];
    let tx = Tx::begin(state, shared, &db, &stores, TransactionMode::Readwrite)?;
    let store = tx.store(&shared.store_name)?;
    let meta = tx.store(META_STORE)?;
    let fail = tx.fail("writing");

    let mut totals = load_totals(&store, &meta, shared).await.map_err(&fail)?;
    let olds = ops
        .iter()
        .map(|(key, _)| lookup(&store, key))
        .collect::<indexed_db_futures::Result<Vec<_>>>()
        .map_err(&fail)?;
    let now = shared.clock.now_ms();
    let mut removed = Removed::default();
    for ((key, op), old) in ops.iter().zip(olds) {
        let old = old.await.map_err(&fail)?;
        let old_size = old.as_ref().and_then(schema::accounted);
        match op {
            Op::Put {
                record,
                expires_at,
                size,
            } => {
                totals.seq = totals.seq.saturating_add(1);
                let value = schema::envelope(record, *expires_at, totals.seq, *size)?;
                // Not awaited one by one: a failure aborts the transaction,
                // and the commit reports it.
                in_flight(
                    store
                        .put(value)
                        .with_key(key.as_str())
                        .primitive()
                        .map_err(&fail)?,
                );
                totals.replace(old_size, *size);
            }
            Op::Delete => {
                in_flight(store.delete(key.as_str()).primitive().map_err(&fail)?);
                totals.remove(old_size);
            }
            Op::Cleanup => {
                let stale = match schema::decode(old.as_ref(), now) {
                    Found::Expired => {
                        removed.expired += 1;
                        true
                    }
                    Found::Corrupt => true,
                    Found::Live(_) | Found::Missing => false,
                };
                if stale {
                    in_flight(store.delete(key.as_str()).primitive().map_err(&fail)?);
                    totals.remove(old_size);
                }
            }
        }
    }
    make_room(&store, &mut totals, now, &shared.bounds, &mut removed)
        .await
        .map_err(&fail)?;
    store_totals(&meta, shared, totals, bookkeeping, &fail)?;
    drop(fail);
    tx.commit().await?;
    Ok(removed)
}

/// Removes expired entries through the expiry index (at least
/// [`schema::PURGE_PER_WRITE`], more while a bound is exceeded), then the
/// oldest-written entries through the written index while a bound is still
/// exceeded.
async fn make_room(
    store: &ObjectStore<'_>,
    totals: &mut Totals,
    now: u64,
    bounds: &Bounds,
    removed: &mut Removed,
) -> indexed_db_futures::Result<()> {
    removed.expired += delete_expired(store, totals, now, |n, t| {
        n < schema::PURGE_PER_WRITE || bounds.exceeded(t)
    })
    .await?;
    if !bounds.exceeded(totals) {
        return Ok(());
    }
    let by_written = store.index(BY_WRITTEN)?;
    let Some(mut cursor) = by_written.open_cursor().primitive()?.await? else {
        return Ok(());
    };
    while bounds.exceeded(totals) {
        let Some(value) = cursor.next_record::<JsValue>().await? else {
            // Every entry is gone, so the true totals are zero: the stored
            // ones had drifted (entries removed by another program).
            totals.entries = 0;
            totals.bytes = 0;
            break;
        };
        in_flight(cursor.delete()?);
        totals.remove(schema::accounted(&value));
        removed.evicted += 1;
    }
    Ok(())
}

/// Deletes entries whose expiry (`x`) is at or before `now`, soonest first,
/// while `more(deleted so far, totals)` holds. Visits only the expiry index's
/// range, never the live entries.
async fn delete_expired(
    store: &ObjectStore<'_>,
    totals: &mut Totals,
    now: u64,
    more: impl Fn(usize, &Totals) -> bool,
) -> indexed_db_futures::Result<u64> {
    let by_expiry = store.index(BY_EXPIRY)?;
    let Some(mut cursor) = by_expiry
        .open_cursor()
        .with_query::<f64, _>(KeyRange::UpperBound(now as f64, false))
        .primitive()?
        .await?
    else {
        return Ok(0);
    };
    let mut deleted = 0;
    while more(deleted, totals) {
        let Some(value) = cursor.next_record::<JsValue>().await? else {
            break;
        };
        in_flight(cursor.delete()?);
        totals.remove(schema::accounted(&value));
        deleted += 1;
    }
    Ok(deleted as u64)
}

/// Removes every expired entry of the store; returns how many.
pub(super) async fn purge(
    state: &Rc<State>,
    shared: &Shared,
    bookkeeping: Bookkeeping,
) -> Result<u64> {
    let db = state.database(shared).await?;
    let stores = [shared.store_name.as_str(), META_STORE];
    let tx = Tx::begin(state, shared, &db, &stores, TransactionMode::Readwrite)?;
    let store = tx.store(&shared.store_name)?;
    let meta = tx.store(META_STORE)?;
    let fail = tx.fail("purging");
    let mut totals = load_totals(&store, &meta, shared).await.map_err(&fail)?;
    let now = shared.clock.now_ms();
    let purged = delete_expired(&store, &mut totals, now, |_, _| true)
        .await
        .map_err(&fail)?;
    store_totals(&meta, shared, totals, bookkeeping, &fail)?;
    drop(fail);
    tx.commit().await?;
    Ok(purged)
}

/// Removes every key starting with `prefix` (one namespace) with a key range
/// on the primary key, keeping the totals right.
pub(super) async fn clear(
    state: &Rc<State>,
    shared: &Shared,
    prefix: &str,
    bookkeeping: Bookkeeping,
) -> Result<()> {
    // Keys with the prefix are exactly those in [prefix, end): `end` is the
    // prefix with its last character (':') bumped to the next one (';').
    let end = match prefix.strip_suffix(':') {
        Some(head) => format!("{head};"),
        None => format!("{prefix}\u{10FFFF}"),
    };
    let range = KeyRange::Bound(prefix, false, end.as_str(), true);
    let db = state.database(shared).await?;
    let stores = [shared.store_name.as_str(), META_STORE];
    let tx = Tx::begin(state, shared, &db, &stores, TransactionMode::Readwrite)?;
    let store = tx.store(&shared.store_name)?;
    let meta = tx.store(META_STORE)?;
    let fail = tx.fail("clearing");
    let mut totals = load_totals(&store, &meta, shared).await.map_err(&fail)?;
    // Sizes first (for the totals), then one range delete.
    if let Some(mut cursor) = store
        .open_cursor()
        .with_query::<&str, _>(range.clone())
        .primitive()
        .map_err(&fail)?
        .await
        .map_err(&fail)?
    {
        while let Some(value) = cursor.next_record::<JsValue>().await.map_err(&fail)? {
            totals.remove(schema::accounted(&value));
        }
    }
    in_flight(store.delete::<&str, _>(range).primitive().map_err(&fail)?);
    store_totals(&meta, shared, totals, bookkeeping, &fail)?;
    drop(fail);
    tx.commit().await?;
    Ok(())
}

/// The stored totals (recounted if missing), in a readonly transaction.
pub(super) async fn totals(state: &Rc<State>, shared: &Shared) -> Result<Totals> {
    let db = state.database(shared).await?;
    let stores = [shared.store_name.as_str(), META_STORE];
    let tx = Tx::begin(state, shared, &db, &stores, TransactionMode::Readonly)?;
    let store = tx.store(&shared.store_name)?;
    let meta = tx.store(META_STORE)?;
    load_totals(&store, &meta, shared)
        .await
        .map_err(tx.fail("reading the totals"))
}
