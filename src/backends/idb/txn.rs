//! The transactions: batched reads, the write batch (with eviction), purge,
//! clear, reading the totals, and the health check. Each function opens
//! exactly one transaction. Requests go out without being awaited one by
//! one — IndexedDB runs a transaction's requests in order and answers them
//! in order — and a function awaits only the last request it needs before
//! deciding what to do next, so a batch costs one round trip per decision,
//! not one per key.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

use super::batch::{Op, WriteBatch};
use super::conn::{Mode, Names, Shared, State};
use super::events;
use super::js_error;
use super::schema::{self, Bounds, Found, Totals, CHUNK, PURGE_PER_WRITE};
use super::sys::{self, Request, Store};
use crate::{Error, Result};

/// Entries a transaction removed on its own.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Removed {
    pub expired: u64,
    pub evicted: u64,
}

/// One transaction. A readwrite transaction dropped before
/// [`Tx::commit`] (an error half way) is aborted, so no half-applied batch
/// ever commits.
struct Tx {
    raw: sys::Tx,
    names: Rc<Names>,
    doing: &'static str,
    abort_on_drop: bool,
    /// The entry puts issued, whose own errors can name the cause of an
    /// abort better than the transaction's (see [`js_error::in_tx`]).
    puts: RefCell<Vec<Request>>,
}

impl Tx {
    async fn begin(
        state: &Rc<State>,
        shared: &Shared,
        with_meta: bool,
        mode: Mode,
        doing: &'static str,
    ) -> Result<Self> {
        let db = state.database(shared).await?;
        let names = state.names(shared);
        let raw = state.begin(shared, &db, &names, with_meta, mode)?;
        Ok(Self {
            raw,
            names,
            doing,
            abort_on_drop: mode == Mode::Write,
            puts: RefCell::new(Vec::new()),
        })
    }

    /// Maps what a call on this transaction threw.
    fn fail(&self) -> impl Fn(JsValue) -> Error + '_ {
        move |e| js_error::in_tx(self.doing, &self.raw, &self.puts.borrow(), None, &e)
    }

    /// Puts `value` under `key` in `store`, keeping the request (see `puts`).
    fn put(&self, store: &Store, value: &JsValue, key: &str) -> Result<()> {
        let request = store
            .put(value, &JsValue::from_str(key))
            .map_err(self.fail())?;
        self.puts.borrow_mut().push(request);
        Ok(())
    }

    /// The entry store.
    fn entries(&self) -> Result<Store> {
        self.raw
            .object_store(&self.names.store)
            .map_err(self.fail())
    }

    /// The meta store (in the scope of transactions begun `with_meta`).
    fn meta(&self) -> Result<Store> {
        self.raw.object_store(&self.names.meta).map_err(self.fail())
    }

    /// Waits for `request` — and so for every request issued before it —
    /// and returns its result.
    async fn result(&self, request: &Request) -> Result<JsValue> {
        if events::request(request).await.is_err() {
            let e = JsValue::from_str("the request failed");
            return Err(js_error::in_tx(
                self.doing,
                &self.raw,
                &self.puts.borrow(),
                Some(request),
                &e,
            ));
        }
        self.done(request)
    }

    /// The result of a request known to be done (one issued before a
    /// request that has succeeded).
    fn done(&self, request: &Request) -> Result<JsValue> {
        request.result().map_err(self.fail())
    }

    /// For a readonly transaction whose requests are all issued: commit as
    /// soon as they are answered rather than when the task ends.
    fn no_more_requests(&self) {
        let _ = self.raw.commit();
    }

    /// Commits and waits for `complete`; an abort reports its cause.
    async fn commit(&mut self) -> Result<()> {
        self.raw.commit().map_err(self.fail())?;
        self.abort_on_drop = false;
        if events::transaction(&self.raw).await.is_err() {
            let e = JsValue::from_str("the transaction was aborted");
            return Err(js_error::in_tx(
                self.doing,
                &self.raw,
                &self.puts.borrow(),
                None,
                &e,
            ));
        }
        Ok(())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.abort_on_drop {
            let _ = self.raw.abort();
        }
    }
}

/// The single value of a `getAll(key, 1)` result, if there is one (a stored
/// `undefined` is `Some(undefined)`).
fn only(result: &JsValue) -> Option<JsValue> {
    // One call for a hit; a second only to tell `[undefined]` from `[]`.
    let first = js_sys::Reflect::get_u32(result, 0).ok()?;
    if !first.is_undefined() {
        return Some(first);
    }
    let array = result.dyn_ref::<Array>()?;
    (array.length() > 0).then_some(first)
}

fn array(value: JsValue) -> Array {
    value.dyn_into::<Array>().unwrap_or_else(|_| Array::new())
}

/// How a readwrite transaction leaves the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bookkeeping {
    /// Write the new totals: the normal case.
    Save,
    /// Delete the totals record instead, so the next transaction that needs
    /// it recounts. Once an origin is over its quota, Chrome refuses to
    /// commit any transaction that writes data, even a few bytes of totals,
    /// but lets pure deletions through: removals retried this way still
    /// free space.
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

/// What a readwrite transaction does with the totals record.
#[derive(Clone, Copy, Debug)]
enum Leave {
    /// Write these totals (a bounded store keeps them exact).
    Save(Totals),
    /// Delete the record: entries were removed and the totals were not
    /// kept, so whoever needs them next recounts.
    Invalidate,
    /// Leave it: nothing was removed, and whatever was added carries a
    /// newer write stamp than the record's `q`, which is how a reader tells
    /// the record is stale (see [`TotalsRead`]).
    Untouched,
}

impl Leave {
    /// The totals as `totals` (if kept) and `bookkeeping` require, after a
    /// transaction that removed entries if `removed`.
    fn after(totals: Option<Totals>, removed: bool, bookkeeping: Bookkeeping) -> Self {
        match (totals, bookkeeping) {
            (Some(totals), Bookkeeping::Save) => Leave::Save(totals),
            (Some(_), Bookkeeping::Forget) => Leave::Invalidate,
            (None, _) if removed => Leave::Invalidate,
            (None, _) => Leave::Untouched,
        }
    }
}

fn store_totals(tx: &Tx, meta: &Store, leave: Leave) -> Result<()> {
    let key = &tx.names.store;
    match leave {
        Leave::Save(totals) => meta.put(&totals.to_js(), key),
        Leave::Invalidate => meta.delete(key),
        Leave::Untouched => return Ok(()),
    }
    .map(drop)
    .map_err(tx.fail())
}

/// The two requests that find out whether the stored totals can be trusted:
/// the record, and the newest write stamp in the store (a key cursor from
/// the end of the `by-written` index). Issued together, awaited together.
///
/// The record is trusted if it exists and no entry is newer than its `q`:
/// writers that keep the totals (bounded stores) raise `q` to every stamp
/// they write; writers that do not (unbounded stores) leave the record
/// alone when they only add entries — their stamps, from the clock, are
/// newer — and delete it when they remove any.
struct TotalsRead {
    record: Request,
    newest: Request,
}

impl TotalsRead {
    fn issue(tx: &Tx, store: &Store, meta: &Store) -> Result<Self> {
        let record = meta.get_all(&tx.names.store, 1).map_err(tx.fail())?;
        let newest = store
            .index(&tx.names.by_written)
            .and_then(|index| index.open_key_cursor(&JsValue::UNDEFINED, &tx.names.prev))
            .map_err(tx.fail())?;
        Ok(Self { record, newest })
    }

    /// The request issued last: once it has succeeded, both have.
    fn last(&self) -> &Request {
        &self.newest
    }

    /// The totals, once both requests are done: the record if it can be
    /// trusted, else a recount.
    async fn totals(&self, tx: &Tx, store: &Store) -> Result<Totals> {
        let newest = tx.done(&self.newest)?;
        let newest = if newest.is_object() {
            let cursor: &sys::Cursor = newest.unchecked_ref();
            cursor.key().map_err(tx.fail())?.as_f64()
        } else {
            None
        };
        if let Some(record) = only(&tx.done(&self.record)?) {
            let totals = Totals::from_js(&record);
            if newest.is_none_or(|w| w <= totals.seq as f64) {
                return Ok(totals);
            }
        }
        recount(tx, store).await
    }
}

/// The totals: the stored record if it can be trusted, else a recount.
async fn load_totals(tx: &Tx, store: &Store, meta: &Store) -> Result<Totals> {
    let read = TotalsRead::issue(tx, store, meta)?;
    tx.result(read.last()).await?;
    read.totals(tx, store).await
}

/// Counts our entries (numeric `w` and `s`) and their sizes over the whole
/// store, [`CHUNK`] records per request.
async fn recount(tx: &Tx, store: &Store) -> Result<Totals> {
    let mut totals = Totals::default();
    scan(tx, store, None, None, |value| {
        if let Some(size) = schema::accounted(value) {
            totals.replace(None, size);
        }
        totals.seq = totals.seq.max(schema::written(value).unwrap_or(0));
    })
    .await?;
    Ok(totals)
}

/// Calls `each` with every value whose key is in `[lower, upper)` (either
/// end open-ended if `None`), in key order, [`CHUNK`] records per request.
async fn scan(
    tx: &Tx,
    store: &Store,
    lower: Option<JsValue>,
    upper: Option<&JsValue>,
    mut each: impl FnMut(&JsValue),
) -> Result<()> {
    let mut from = lower.map(|l| (l, false));
    loop {
        let range = match (&from, upper) {
            (None, None) => Ok(JsValue::UNDEFINED),
            (None, Some(upper)) => sys::upper_bound(upper, true),
            (Some((lower, open)), None) => sys::lower_bound(lower, *open),
            (Some((lower, open)), Some(upper)) => sys::bound(lower, upper, *open, true),
        }
        .map_err(tx.fail())?;
        let values = store.get_all(&range, CHUNK).map_err(tx.fail())?;
        let keys = store.get_all_keys(&range, CHUNK).map_err(tx.fail())?;
        let keys = array(tx.result(&keys).await?);
        let values = array(tx.done(&values)?);
        values.for_each(&mut |value, _, _| each(&value));
        if keys.length() < CHUNK {
            return Ok(());
        }
        from = Some((keys.get(keys.length() - 1), true));
    }
}

/// Reads `keys` (a read batch) in one readonly transaction, issuing every
/// request before awaiting any and then waiting once, for the last.
///
/// One key is read with `getAll(key, 1)`, which answers exactly in one
/// request. Many are read with `get`, which costs less per request in a
/// batch but answers `undefined` both for a missing key and for a stored
/// `undefined` (never ours, but a foreign value must not be unreadable and
/// unremovable): if any key came back `undefined`, one `count(key)` per such
/// key tells them apart, for one more round trip in the same transaction.
pub(super) async fn read(
    state: &Rc<State>,
    shared: &Shared,
    keys: &[String],
) -> Result<Vec<Found>> {
    let tx = Tx::begin(state, shared, false, Mode::Read, "reading").await?;
    let store = tx.entries()?;
    let keys: Vec<JsValue> = keys.iter().map(|k| JsValue::from_str(k)).collect();
    let now = shared.clock.now_ms();
    if let [key] = keys.as_slice() {
        let request = store.get_all(key, 1).map_err(tx.fail())?;
        tx.no_more_requests();
        let value = only(&tx.result(&request).await?);
        return Ok(vec![schema::decode(value.as_ref(), now)]);
    }
    let requests = keys
        .iter()
        .map(|key| store.get(key))
        .collect::<Result<Vec<_>, _>>()
        .map_err(tx.fail())?;
    let Some(last) = requests.last() else {
        return Ok(Vec::new());
    };
    tx.result(last).await?;
    let values = requests
        .iter()
        .map(|request| tx.done(request))
        .collect::<Result<Vec<_>>>()?;
    // Which of the `undefined`s are stored ones.
    let counts = keys
        .iter()
        .zip(&values)
        .filter(|(_, value)| value.is_undefined())
        .map(|(key, _)| store.count(key))
        .collect::<Result<Vec<_>, _>>()
        .map_err(tx.fail())?;
    tx.no_more_requests();
    if let Some(last) = counts.last() {
        tx.result(last).await?;
    }
    let mut counts = counts.iter();
    values
        .iter()
        .map(|value| {
            if !value.is_undefined() {
                return Ok(schema::decode(Some(value), now));
            }
            let stored = match counts.next() {
                Some(count) => tx.done(count)?.as_f64().unwrap_or(0.0) > 0.0,
                None => false,
            };
            Ok(schema::decode(stored.then_some(value), now))
        })
        .collect()
}

/// Issues the requests for up to `count` entries of `index` in `range`
/// (index order): their primary keys, and their values if `values`.
fn index_chunk(
    tx: &Tx,
    store: &Store,
    index: &JsValue,
    range: &JsValue,
    count: u32,
    values: bool,
) -> Result<(Request, Option<Request>)> {
    let index = store.index(index).map_err(tx.fail())?;
    let values = values
        .then(|| index.get_all(range, count))
        .transpose()
        .map_err(tx.fail())?;
    let keys = index.get_all_keys(range, count).map_err(tx.fail())?;
    Ok((keys, values))
}

/// Entries at or before `now` in the expiry index.
fn expired_range(tx: &Tx, now: u64) -> Result<JsValue> {
    sys::upper_bound(&JsValue::from_f64(now as f64), false).map_err(tx.fail())
}

/// The requests of a look for a few expired entries: up to
/// [`PURGE_PER_WRITE`] primary keys from the expiry index, and their values
/// when the totals are kept.
struct ExpiredRead {
    keys: Request,
    values: Option<Request>,
}

impl ExpiredRead {
    fn issue(tx: &Tx, store: &Store, now: u64, with_values: bool) -> Result<Self> {
        let range = expired_range(tx, now)?;
        let (keys, values) = index_chunk(
            tx,
            store,
            &tx.names.by_expiry,
            &range,
            PURGE_PER_WRITE,
            with_values,
        )?;
        Ok(Self { keys, values })
    }

    /// Deletes what was found, except keys the batch writes (it decides
    /// their fate, and accounts for their old values); returns how many.
    fn apply(
        &self,
        tx: &Tx,
        store: &Store,
        batch: &WriteBatch,
        totals: &mut Totals,
        state: &State,
        now: u64,
    ) -> Result<u64> {
        let keys = array(tx.done(&self.keys)?);
        let values = self
            .values
            .as_ref()
            .map(|v| tx.done(v).map(array))
            .transpose()?;
        let mut deleted = 0;
        for (i, key) in keys.iter().enumerate() {
            if key.as_string().is_some_and(|k| batch.has(&k)) {
                continue;
            }
            store.delete(&key).map_err(tx.fail())?;
            if let Some(values) = &values {
                totals.remove(schema::accounted(&values.get(i as u32)));
            }
            deleted += 1;
        }
        state.purged(now, keys.length() >= PURGE_PER_WRITE);
        Ok(deleted)
    }
}

/// Writes one batch in one readwrite transaction.
///
/// Unbounded, puts and deletes are written blind: nothing is read or
/// awaited before the commit, and the totals record is left alone (it is
/// deleted if the batch removed anything). Bounded, the totals and each
/// key's old value are read first (all at once, one wait), so the totals
/// stay exact and the bounds can be enforced. Either way, a [`Op::Cleanup`]
/// reads the key's value first (it deletes only a value still stale), and
/// when a look for expired entries is due ([`State::purge_due`]) the batch
/// deletes up to [`PURGE_PER_WRITE`] of them: read along with the other
/// reads, or, with nothing else to read, after the batch's own requests so
/// that they are not held up. Then, bounded, it removes expired entries and
/// then the oldest-written while a bound is exceeded, saves the totals, and
/// commits.
///
/// If the transaction fails after one of its puts failed on its own (not
/// with the `AbortError` of an aborted transaction), the range of write
/// stamps the batch gave its puts is left in the batch's `failed_stamps`,
/// for [`undo_leftovers`].
pub(super) async fn write(
    state: &Rc<State>,
    shared: &Shared,
    batch: &WriteBatch,
    bookkeeping: Bookkeeping,
) -> Result<Removed> {
    batch.failed_stamps.set(None);
    let mut tx = Tx::begin(state, shared, true, Mode::Write, "writing").await?;
    let mut stamps = None;
    let result = match write_in(state, shared, &tx, batch, bookkeeping, &mut stamps).await {
        Ok(removed) => tx.commit().await.map(|()| removed),
        Err(e) => Err(e),
    };
    if result.is_err() && tx.puts.borrow().iter().any(js_error::failed_itself) {
        batch.failed_stamps.set(stamps);
    }
    // Dropped here: aborted unless committed, before anyone starts another.
    drop(tx);
    result
}

/// The requests of [`write()`] in `tx`, up to the commit; `stamps` gets the
/// first and last write stamps given to the batch's puts.
async fn write_in(
    state: &Rc<State>,
    shared: &Shared,
    tx: &Tx,
    batch: &WriteBatch,
    bookkeeping: Bookkeeping,
    stamps: &mut Option<(u64, u64)>,
) -> Result<Removed> {
    let store = tx.entries()?;
    let meta = tx.meta()?;
    let exact = shared.bounds.any();
    let now = shared.clock.now_ms();
    let purge = state.purge_due(now);
    let reads_first = exact || batch.ops.iter().any(|(_, op)| matches!(op, Op::Cleanup));

    // Every read the batch needs before writing, issued before any is awaited.
    let mut last_read = None;
    let totals_read = if exact {
        let read = TotalsRead::issue(tx, &store, &meta)?;
        last_read = Some(read.last().clone());
        Some(read)
    } else {
        None
    };
    let old_reads = batch
        .ops
        .iter()
        .map(|(key, op)| {
            if !exact && !matches!(op, Op::Cleanup) {
                return Ok(None);
            }
            let request = store
                .get_all(&JsValue::from_str(key), 1)
                .map_err(tx.fail())?;
            last_read = Some(request.clone());
            Ok(Some(request))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut expired_read = if purge && reads_first {
        let read = ExpiredRead::issue(tx, &store, now, exact)?;
        last_read = Some(read.keys.clone());
        Some(read)
    } else {
        None
    };
    if let Some(request) = &last_read {
        tx.result(request).await?;
    }

    let mut totals = match &totals_read {
        Some(read) => read.totals(tx, &store).await?,
        None => Totals::default(),
    };
    let mut removed = Removed::default();
    let mut removed_any = false;
    if let Some(read) = expired_read.take() {
        let deleted = read.apply(tx, &store, batch, &mut totals, state, now)?;
        removed.expired += deleted;
        removed_any |= deleted > 0;
    }

    for ((key, op), old) in batch.ops.iter().zip(&old_reads) {
        let old = match old {
            Some(request) => only(&tx.done(request)?),
            None => None,
        };
        let old_size = old.as_ref().and_then(schema::accounted);
        match op {
            Op::Put {
                record,
                expires_at,
                size,
            } => {
                let floor = if exact {
                    totals.seq.saturating_add(1)
                } else {
                    0
                };
                let written = state.stamp(now, floor);
                *stamps = Some((stamps.map_or(written, |(first, _)| first), written));
                totals.seq = totals.seq.max(written);
                let value = schema::envelope(record, *expires_at, written, *size);
                tx.put(&store, &value, key)?;
                totals.replace(old_size, *size);
            }
            Op::Delete => {
                store.delete(&JsValue::from_str(key)).map_err(tx.fail())?;
                totals.remove(old_size);
                removed_any = true;
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
                    store.delete(&JsValue::from_str(key)).map_err(tx.fail())?;
                    totals.remove(old_size);
                    removed_any = true;
                }
            }
        }
    }
    if purge && !reads_first {
        // Nothing else was read: look after the batch's requests, which go
        // ahead meanwhile.
        let read = ExpiredRead::issue(tx, &store, now, exact)?;
        tx.result(&read.keys).await?;
        let deleted = read.apply(tx, &store, batch, &mut totals, state, now)?;
        removed.expired += deleted;
        removed_any |= deleted > 0;
    }
    if exact {
        make_room(tx, &store, &mut totals, now, &shared.bounds, &mut removed).await?;
    }
    let leave = Leave::after(exact.then_some(totals), removed_any, bookkeeping);
    store_totals(tx, &meta, leave)?;
    Ok(removed)
}

/// Removes what a failed write batch left stored, where the engine kept it.
///
/// Firefox (153 ESR) keeps part of a transaction whose put failed for
/// quota: the store's SQLite database rolls its whole transaction back when
/// a write runs out of space, Firefox then runs the requests issued after
/// the failed put outside any transaction, each committed on its own, and
/// the abort that follows has nothing left to roll back. The batch's puts
/// before the failed one are gone; those after it stay stored, although
/// every caller of the batch was told it failed. (tests/browsers has a
/// raw-IndexedDB reproduction.)
///
/// This transaction deletes the entries of the batch's keys whose write
/// stamp is one the batch gave out (`first..=last`, read through the
/// `by-written` index: one request, no values read), and the totals record
/// if it removed any or the failed batch wrote the record (its `q` is in
/// that range), so that the next reader recounts. In an engine that rolled
/// the batch back it finds nothing and changes nothing. What it cannot undo:
/// a key the batch overwrote after the failed put then reads as missing
/// rather than as its older value (Firefox replaced that value for good),
/// and removals the batch issued after the failed put (deletes, evictions)
/// stay done.
pub(super) async fn undo_leftovers(
    state: &Rc<State>,
    shared: &Shared,
    batch: &WriteBatch,
    (first, last): (u64, u64),
) -> Result<()> {
    let mut tx = Tx::begin(state, shared, true, Mode::Write, "undoing a failed write").await?;
    let store = tx.entries()?;
    let meta = tx.meta()?;
    let range = sys::bound(
        &JsValue::from_f64(first as f64),
        &JsValue::from_f64(last as f64),
        false,
        false,
    )
    .map_err(tx.fail())?;
    // A count of 0 asks for every key in the range.
    let (keys, _) = index_chunk(&tx, &store, &tx.names.by_written, &range, 0, false)?;
    let record = meta.get_all(&tx.names.store, 1).map_err(tx.fail())?;
    tx.result(&record).await?;
    let mut removed = false;
    for key in array(tx.done(&keys)?).iter() {
        if key.as_string().is_some_and(|k| batch.has(&k)) {
            store.delete(&key).map_err(tx.fail())?;
            removed = true;
        }
    }
    let wrote_totals = only(&tx.done(&record)?).is_some_and(|r| Totals::from_js(&r).seq >= first);
    if removed || wrote_totals {
        store_totals(&tx, &meta, Leave::Invalidate)?;
    }
    tx.commit().await
}

/// While a bound is exceeded, removes expired entries (soonest first), then
/// the oldest-written ones.
async fn make_room(
    tx: &Tx,
    store: &Store,
    totals: &mut Totals,
    now: u64,
    bounds: &Bounds,
    removed: &mut Removed,
) -> Result<()> {
    if !bounds.exceeded(totals) {
        return Ok(());
    }
    let expired = expired_range(tx, now)?;
    removed.expired += evict(tx, store, &tx.names.by_expiry, &expired, totals, bounds)
        .await?
        .0;
    if !bounds.exceeded(totals) {
        return Ok(());
    }
    let (evicted, ran_out) = evict(
        tx,
        store,
        &tx.names.by_written,
        &JsValue::UNDEFINED,
        totals,
        bounds,
    )
    .await?;
    removed.evicted += evicted;
    if ran_out {
        // Every entry is gone, so the true totals are zero: the stored ones
        // had drifted (entries removed by another program).
        totals.entries = 0;
        totals.bytes = 0;
    }
    Ok(())
}

/// Deletes entries of `index` in `range`, in index order, while a bound is
/// exceeded. Returns how many, and whether the range ran out first.
async fn evict(
    tx: &Tx,
    store: &Store,
    index: &JsValue,
    range: &JsValue,
    totals: &mut Totals,
    bounds: &Bounds,
) -> Result<(u64, bool)> {
    let mut deleted = 0;
    let mut count = excess(totals, bounds);
    loop {
        // Each chunk is read after the previous one's deletions, so the
        // same range yields the next entries.
        let (keys, values) = index_chunk(tx, store, index, range, count, true)?;
        let keys = array(tx.result(&keys).await?);
        let values = match &values {
            Some(v) => array(tx.done(v)?),
            None => Array::new(),
        };
        for (i, key) in keys.iter().enumerate() {
            if !bounds.exceeded(totals) {
                return Ok((deleted, false));
            }
            store.delete(&key).map_err(tx.fail())?;
            totals.remove(schema::accounted(&values.get(i as u32)));
            deleted += 1;
        }
        if keys.length() < count {
            return Ok((deleted, bounds.exceeded(totals)));
        }
        count = count.saturating_mul(2).min(CHUNK);
    }
}

/// About how many entries must go for the totals to fit the bounds (at
/// least 1, at most [`CHUNK`]): the first eviction read asks for that many.
fn excess(totals: &Totals, bounds: &Bounds) -> u32 {
    let by_entries = bounds
        .max_entries
        .map_or(0, |max| totals.entries.saturating_sub(max));
    let by_bytes = bounds.max_bytes.map_or(0, |max| {
        let average = (totals.bytes / totals.entries.max(1)).max(1);
        totals.bytes.saturating_sub(max).div_ceil(average)
    });
    u32::try_from(by_entries.max(by_bytes))
        .unwrap_or(CHUNK)
        .clamp(1, CHUNK)
}

/// Removes every expired entry of the store, [`CHUNK`] per request through
/// the expiry index; returns how many.
pub(super) async fn purge(
    state: &Rc<State>,
    shared: &Shared,
    bookkeeping: Bookkeeping,
) -> Result<u64> {
    let mut tx = Tx::begin(state, shared, true, Mode::Write, "purging").await?;
    let store = tx.entries()?;
    let meta = tx.meta()?;
    let exact = shared.bounds.any();
    let mut totals = if exact {
        Some(load_totals(&tx, &store, &meta).await?)
    } else {
        None
    };
    let range = expired_range(&tx, shared.clock.now_ms())?;
    let mut purged = 0;
    loop {
        let (keys, values) = index_chunk(&tx, &store, &tx.names.by_expiry, &range, CHUNK, exact)?;
        let keys = array(tx.result(&keys).await?);
        let values = values.as_ref().map(|v| tx.done(v).map(array)).transpose()?;
        for (i, key) in keys.iter().enumerate() {
            store.delete(&key).map_err(tx.fail())?;
            if let (Some(totals), Some(values)) = (&mut totals, &values) {
                totals.remove(schema::accounted(&values.get(i as u32)));
            }
            purged += 1;
        }
        if keys.length() < CHUNK {
            break;
        }
    }
    store_totals(&tx, &meta, Leave::after(totals, purged > 0, bookkeeping))?;
    tx.commit().await?;
    Ok(purged)
}

/// Removes every key starting with `prefix` (one namespace) with one range
/// delete on the primary key; bounded, it first sums what the range holds,
/// to keep the totals exact.
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
    let (lower, upper) = (JsValue::from_str(prefix), JsValue::from_str(&end));
    let mut tx = Tx::begin(state, shared, true, Mode::Write, "clearing").await?;
    let store = tx.entries()?;
    let meta = tx.meta()?;
    let totals = if shared.bounds.any() {
        let mut totals = load_totals(&tx, &store, &meta).await?;
        scan(&tx, &store, Some(lower.clone()), Some(&upper), |value| {
            totals.remove(schema::accounted(value));
        })
        .await?;
        Some(totals)
    } else {
        None
    };
    let range = sys::bound(&lower, &upper, false, true).map_err(tx.fail())?;
    store.delete(&range).map_err(tx.fail())?;
    // Whether or not the range held anything: finding out would cost a read.
    store_totals(&tx, &meta, Leave::after(totals, true, bookkeeping))?;
    tx.commit().await
}

/// The totals (recounted if the record is missing), in a readonly transaction.
pub(super) async fn totals(state: &Rc<State>, shared: &Shared) -> Result<Totals> {
    let tx = Tx::begin(state, shared, true, Mode::Read, "reading the totals").await?;
    let store = tx.entries()?;
    let meta = tx.meta()?;
    load_totals(&tx, &store, &meta).await
}

/// Opens the database if needed and answers one request.
pub(super) async fn ping(state: &Rc<State>, shared: &Shared) -> Result<()> {
    let tx = Tx::begin(state, shared, true, Mode::Read, "checking health").await?;
    let request = tx.meta()?.count(&JsValue::UNDEFINED).map_err(tx.fail())?;
    tx.no_more_requests();
    tx.result(&request).await.map(drop)
}
