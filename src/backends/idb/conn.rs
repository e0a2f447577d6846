//! Handles and connections: the `Send + Sync` half a backend handle holds,
//! and the per-thread JavaScript half (the connection and the pending write
//! batch) it finds by id.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;

use indexed_db_futures::database::{Database, VersionChangeEvent};
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::batch::{ReadBatch, WriteBatch};
use super::js_error;
use super::schema::{self, Bounds, MAX_STAMP, PURGE_INTERVAL_MS, STAMPS_PER_MS};
use super::signal::Signal;
use super::sys;
use crate::time::Clock;
use crate::wasm::registry::Registered;
use crate::{Error, Result};

thread_local! {
    /// The last write stamp handed out on this thread, by any backend (see
    /// [`State::stamp`]).
    static LAST_STAMP: Cell<u64> = const { Cell::new(0) };
}

/// What every handle of one backend shares: plain Rust data, so it is
/// `Send + Sync`. The thread's [`State`] lives in the shared registry under
/// `state`; dropping the last handle drops it (closing its connection).
#[derive(Debug)]
pub(super) struct Shared {
    state: Registered,
    pub db_name: String,
    pub store_name: String,
    pub version: u32,
    pub open_timeout_ms: u32,
    pub bounds: Bounds,
    pub clock: Arc<dyn Clock>,
    pub counters: Counters,
}

/// In-memory counters of one handle family.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub inserts: AtomicU64,
    pub evictions: AtomicU64,
    pub expirations: AtomicU64,
    pub transactions: AtomicU64,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

impl Shared {
    pub(super) fn new(
        db_name: String,
        store_name: String,
        version: u32,
        open_timeout_ms: u32,
        bounds: Bounds,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            state: Registered::lazy("the IndexedDB connection"),
            db_name,
            store_name,
            version,
            open_timeout_ms,
            bounds,
            clock,
            counters: Counters::default(),
        }
    }

    /// This thread's state for the backend, created on first use (a handle
    /// moved to another wasm thread gets its own connection there).
    pub(super) fn state(&self) -> Rc<State> {
        self.state.get_or_make(State::default)
    }

    /// This thread's state, if it exists, without creating it.
    pub(super) fn existing_state(&self) -> Option<Rc<State>> {
        self.state.existing()
    }
}

/// The JavaScript half: the memoised connection, the pending batches, and
/// what this thread's writes remember between batches.
#[derive(Default)]
pub(super) struct State {
    conn: RefCell<Conn>,
    /// Writes waiting for this tick's flush.
    pub(super) pending: RefCell<Option<WriteBatch>>,
    /// Reads waiting for this tick's flush.
    pub(super) pending_reads: RefCell<Option<ReadBatch>>,
    /// How many times a transaction found the connection closed.
    stale: Cell<u64>,
    /// When a write batch last looked for expired entries (by the clock),
    /// and whether it found a full [`schema::PURGE_PER_WRITE`].
    last_purge: Cell<Option<(u64, bool)>>,
    /// JavaScript values every transaction needs, made once.
    names: RefCell<Option<Rc<Names>>>,
}

/// The names, modes and options transactions pass, as JavaScript strings
/// made once (a `&str` argument is decoded from UTF-8 on every call).
pub(super) struct Names {
    /// The entry store's name: a transaction scope, and the totals' key.
    pub store: JsValue,
    /// [`schema::META_STORE`].
    pub meta: JsValue,
    /// [`schema::BY_EXPIRY`].
    pub by_expiry: JsValue,
    /// [`schema::BY_WRITTEN`].
    pub by_written: JsValue,
    /// `"prev"`: a cursor direction.
    pub prev: JsValue,
    /// `[store, META_STORE]`.
    both: JsValue,
    readonly: JsValue,
    readwrite: JsValue,
    /// `{ durability: "relaxed" }`.
    relaxed: JsValue,
}

/// A transaction's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Read,
    Write,
}

type Opening = Signal<Result<Database>>;

#[derive(Default)]
enum Conn {
    #[default]
    Closed,
    /// `indexedDB.open` is in flight.
    Opening(Opening),
    /// The open request got a `blocked` event and is still waiting for other
    /// connections to close; calls fail fast with [`Error::Blocked`].
    Blocked(Opening),
    Open(OpenDb),
}

/// An open connection with its `versionchange`/`close` handler installed.
struct OpenDb {
    db: sys::Db,
    raw: web_sys::IdbDatabase,
    _on_event: Closure<dyn FnMut(web_sys::Event)>,
}

impl OpenDb {
    fn new(db: &Database, state: Weak<State>) -> Self {
        let raw: web_sys::IdbDatabase = db.as_sys().clone().into();
        let target = raw.clone();
        let on_event = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            // Another connection wants to upgrade or delete the database:
            // step aside so it is not blocked. The next call reopens.
            if event.type_() == "versionchange" {
                target.close();
            }
            if let Some(state) = state.upgrade() {
                state.forget(&target);
            }
        });
        raw.set_onversionchange(Some(on_event.as_ref().unchecked_ref()));
        raw.set_onclose(Some(on_event.as_ref().unchecked_ref()));
        Self {
            db: raw.clone().unchecked_into(),
            raw,
            _on_event: on_event,
        }
    }
}

impl Drop for OpenDb {
    fn drop(&mut self) {
        self.raw.set_onversionchange(None);
        self.raw.set_onclose(None);
    }
}

impl Drop for State {
    fn drop(&mut self) {
        if let Conn::Open(open) = self.conn.get_mut() {
            open.raw.close();
        }
    }
}

/// What `open` needs, owned by the opening task.
struct OpenParams {
    db_name: String,
    store_name: String,
    version: u32,
    timeout_ms: u32,
}

impl State {
    /// The connection: the memoised one, or the one being opened (opening it
    /// if there is none). Fails fast while an upgrade is blocked.
    pub(super) async fn database(self: &Rc<Self>, shared: &Shared) -> Result<sys::Db> {
        let opening = {
            let mut conn = self.conn.borrow_mut();
            match &*conn {
                Conn::Open(open) => return Ok(open.db.clone()),
                Conn::Blocked(_) => return Err(blocked(&shared.db_name)),
                Conn::Opening(opening) => opening.clone(),
                Conn::Closed => {
                    let opening = Opening::new();
                    *conn = Conn::Opening(opening.clone());
                    let params = OpenParams {
                        db_name: shared.db_name.clone(),
                        store_name: shared.store_name.clone(),
                        version: shared.version,
                        timeout_ms: shared.open_timeout_ms,
                    };
                    // The open runs as its own task, so a caller that gives up
                    // waiting never leaves an upgrade half done.
                    spawn_local(open(Rc::downgrade(self), params, opening.clone()));
                    opening
                }
            }
        };
        let db = opening.wait().await?;
        Ok(db.as_sys().clone().unchecked_into())
    }

    /// Forgets the connection if it is `raw` (it closed or is closing).
    fn forget(&self, raw: &JsValue) {
        let old = {
            let mut conn = self.conn.borrow_mut();
            match &*conn {
                Conn::Open(open) if AsRef::<JsValue>::as_ref(&open.raw) == raw => {
                    std::mem::take(&mut *conn)
                }
                _ => return,
            }
        };
        // This may run inside the connection's own event handler: drop the
        // handler closure from a later task, not while it runs.
        spawn_local(async move { drop(old) });
    }

    fn mark_blocked(&self, opening: &Opening) {
        let mut conn = self.conn.borrow_mut();
        if matches!(&*conn, Conn::Opening(o) if o.same(opening)) {
            *conn = Conn::Blocked(opening.clone());
        }
    }

    fn finish_open(self: &Rc<Self>, opening: &Opening, result: &Result<Database>) {
        let mut conn = self.conn.borrow_mut();
        let ours = matches!(&*conn, Conn::Opening(o) | Conn::Blocked(o) if o.same(opening));
        match (ours, result) {
            (true, Ok(db)) => *conn = Conn::Open(OpenDb::new(db, Rc::downgrade(self))),
            (true, Err(_)) => *conn = Conn::Closed,
            (false, Ok(db)) => db.clone().close(),
            (false, Err(_)) => {}
        }
    }

    /// Closes the connection if it is open; the next call reopens.
    pub(super) fn close(&self) {
        let old = {
            let mut conn = self.conn.borrow_mut();
            if !matches!(&*conn, Conn::Open(_)) {
                return;
            }
            std::mem::take(&mut *conn)
        };
        if let Conn::Open(open) = old {
            open.raw.close();
        }
    }

    /// The open connection, if any.
    pub(super) fn raw_database(&self) -> Option<web_sys::IdbDatabase> {
        match &*self.conn.borrow() {
            Conn::Open(open) => Some(open.raw.clone()),
            _ => None,
        }
    }

    /// The store names and options as JavaScript values.
    pub(super) fn names(&self, shared: &Shared) -> Rc<Names> {
        let mut names = self.names.borrow_mut();
        Rc::clone(names.get_or_insert_with(|| {
            let store = JsValue::from_str(&shared.store_name);
            let relaxed = Object::new();
            // A cache can lose its last writes in a power cut; it need not
            // wait for a disk flush.
            let _ = Reflect::set(&relaxed, &"durability".into(), &"relaxed".into());
            let meta = JsValue::from_str(schema::META_STORE);
            Rc::new(Names {
                both: Array::of2(&store, &meta).into(),
                store,
                meta,
                by_expiry: JsValue::from_str(schema::BY_EXPIRY),
                by_written: JsValue::from_str(schema::BY_WRITTEN),
                prev: JsValue::from_str("prev"),
                readonly: JsValue::from_str("readonly"),
                readwrite: JsValue::from_str("readwrite"),
                relaxed: relaxed.into(),
            })
        }))
    }

    /// Starts a transaction on `db` over the entry store, and the meta store
    /// too if `with_meta`. A connection closed behind our back
    /// (`InvalidStateError`) is forgotten, so [`State::retrying`] reopens.
    pub(super) fn begin(
        &self,
        shared: &Shared,
        db: &sys::Db,
        names: &Names,
        with_meta: bool,
        mode: Mode,
    ) -> Result<sys::Tx> {
        let scope = if with_meta { &names.both } else { &names.store };
        let started = match mode {
            Mode::Read => db.transaction(scope, &names.readonly, &JsValue::UNDEFINED),
            Mode::Write => db.transaction(scope, &names.readwrite, &names.relaxed),
        };
        match started {
            Ok(tx) => {
                Counters::add(&shared.counters.transactions, 1);
                Ok(tx)
            }
            Err(e) if js_error::dom_name(&e).as_deref() == Some("InvalidStateError") => {
                self.stale.set(self.stale.get().wrapping_add(1));
                self.forget(db);
                Err(Error::Backend(format!(
                    "the connection to database \"{}\" was closed",
                    shared.db_name
                )))
            }
            Err(e) => Err(js_error::thrown("starting a transaction", &e)),
        }
    }

    /// A write stamp for an entry written at `now_ms`: `now_ms *
    /// STAMPS_PER_MS`, raised to at least `floor` and past the last stamp
    /// any backend on this thread handed out, so stamps increase with every
    /// write in this tab (whichever backend, bounded or not, wrote it) and
    /// follow the clock across tabs.
    pub(super) fn stamp(&self, now_ms: u64, floor: u64) -> u64 {
        LAST_STAMP.with(|last| {
            let stamp = now_ms
                .saturating_mul(STAMPS_PER_MS)
                .max(floor)
                .max(last.get().saturating_add(1))
                .min(MAX_STAMP);
            last.set(stamp);
            stamp
        })
    }

    /// True if a write batch at `now_ms` should look for a few expired
    /// entries: the first batch, a batch [`PURGE_INTERVAL_MS`] after the last
    /// look, or the next batch after a look that found a full chunk.
    pub(super) fn purge_due(&self, now_ms: u64) -> bool {
        match self.last_purge.get() {
            None => true,
            Some((at, full)) => {
                full || now_ms < at || now_ms >= at.saturating_add(PURGE_INTERVAL_MS)
            }
        }
    }

    /// Records a write batch's look for expired entries.
    pub(super) fn purged(&self, now_ms: u64, full: bool) {
        self.last_purge.set(Some((now_ms, full)));
    }

    /// Runs `op`, and runs it once more if it failed because the connection
    /// turned out to be closed (nothing was done then; the retry reopens).
    pub(super) async fn retrying<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let stale = self.stale.get();
        match op().await {
            Err(_) if self.stale.get() != stale => op().await,
            result => result,
        }
    }
}

fn blocked(db_name: &str) -> Error {
    Error::Blocked(format!(
        "opening database \"{db_name}\" waits for other connections (another tab) to close; \
         close them or retry later"
    ))
}

/// The opening task: opens (upgrading as needed), checks the schema, and
/// installs the connection, or reports why not. If the open neither
/// completes nor reports `blocked` within the timeout (it is queued behind
/// another tab's pending upgrade or deletion, which fires no event at us),
/// callers get [`Error::Blocked`] as for `blocked`, and the open goes on.
async fn open(state: Weak<State>, params: OpenParams, opening: Opening) {
    let mut attempt = pin!(open_checked(&state, &params, &opening));
    let mut timer = pin!(timer(params.timeout_ms));
    let mut timed_out = false;
    let result = poll_fn(|cx| {
        if let Poll::Ready(result) = attempt.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        if !timed_out && timer.as_mut().poll(cx).is_ready() {
            timed_out = true;
            if let Some(state) = state.upgrade() {
                state.mark_blocked(&opening);
            }
            opening.set(Err(Error::Blocked(format!(
                "database \"{}\" did not open within {} ms: another connection (another tab) \
                 holds it while an upgrade or deletion waits; close it or retry later",
                params.db_name, params.timeout_ms
            ))));
        }
        Poll::Pending
    })
    .await;
    match state.upgrade() {
        Some(state) => state.finish_open(&opening, &result),
        // Every handle is gone: nobody will use the connection.
        None => {
            if let Ok(db) = &result {
                db.clone().close();
            }
        }
    }
    // No-op if `blocked` or the timeout already answered the callers.
    opening.set(result);
}

/// Resolves after `ms` milliseconds (the global scope's `setTimeout`, in a
/// window or a worker); never, where there is no `setTimeout`.
async fn timer(ms: u32) {
    let global = js_sys::global();
    let set_timeout = Reflect::get(&global, &JsValue::from_str("setTimeout"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(set_timeout) = set_timeout else {
        return std::future::pending().await;
    };
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = set_timeout.call2(&global, &resolve, &JsValue::from(ms));
    });
    let _ = JsFuture::from(promise).await;
}

async fn open_checked(
    state: &Weak<State>,
    params: &OpenParams,
    opening: &Opening,
) -> Result<Database> {
    let on_blocked = {
        let state = state.clone();
        let opening = opening.clone();
        let db_name = params.db_name.clone();
        move |_: VersionChangeEvent| {
            if let Some(state) = state.upgrade() {
                state.mark_blocked(&opening);
            }
            opening.set(Err(blocked(&db_name)));
            Ok(())
        }
    };
    let store = params.store_name.clone();
    let fail = |e| js_error::open(e, &params.db_name, params.version);
    let db = Database::open(params.db_name.as_str())
        .with_version(params.version)
        .with_on_blocked(on_blocked)
        .with_on_upgrade_needed(move |event, db| schema::upgrade(&event, &db, &store))
        .build()
        .map_err(fail)?
        .await
        .map_err(fail)?;
    if let Err(e) = schema::check(&db, &params.db_name, &params.store_name) {
        db.close();
        return Err(e);
    }
    Ok(db)
}
