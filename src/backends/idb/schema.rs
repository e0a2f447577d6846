//! The database layout: names, upgrade steps, the stored shapes and the
//! running totals. The module docs of [`super`] describe the schema.

use indexed_db_futures::database::{Database, VersionChangeEvent};
use indexed_db_futures::prelude::*;
use indexed_db_futures::KeyPath;
use js_sys::{Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::sys::{Envelope, TotalsRecord};

use crate::backend::Entry;
use crate::record::{self, HEADER_LEN};
use crate::{Error, Result};

/// The database version this build creates and opens.
pub(super) const SCHEMA_VERSION: u32 = 1;
/// The store holding the running totals, keyed by the entry store's name.
pub(super) const META_STORE: &str = "edgecache-meta";
/// Index on [`EXPIRES`]: expired entries, soonest first.
pub(super) const BY_EXPIRY: &str = "by-expiry";
/// Index on [`WRITTEN`]: entries in write order, oldest first.
pub(super) const BY_WRITTEN: &str = "by-written";
/// Expired entries a write batch removes on the way, when a purge is due
/// (see [`PURGE_INTERVAL_MS`]) even if no bound presses.
pub(super) const PURGE_PER_WRITE: u32 = 8;
/// A write batch purges a few expired entries only if the last such purge
/// of this handle family was this long ago (by its clock), or removed a
/// full [`PURGE_PER_WRITE`] (so more are probably waiting). Looking costs
/// an extra round trip inside the transaction, which would otherwise double
/// the cost of a lone `set`.
pub(super) const PURGE_INTERVAL_MS: u64 = 1_000;
/// Records fetched per request when reading many (recounting the totals,
/// summing a namespace before clearing it, evicting).
pub(super) const CHUNK: u32 = 128;
/// Write stamps per millisecond: a stamp is `now_ms * STAMPS_PER_MS`, or
/// the last one plus one if that is not more.
pub(super) const STAMPS_PER_MS: u64 = 1_024;
/// The largest stamp (`Number.MAX_SAFE_INTEGER`): stamps are stored as numbers.
pub(super) const MAX_STAMP: u64 = (1 << 53) - 1;

const EXPIRES: &str = "x";
const WRITTEN: &str = "w";

/// `onupgradeneeded`: one step per schema version, from the old version up.
/// Versions above [`SCHEMA_VERSION`] (only reachable through the hidden
/// `db_version` builder option, for upgrade tests) change nothing.
pub(super) fn upgrade(
    event: &VersionChangeEvent,
    db: &Database,
    store: &str,
) -> indexed_db_futures::Result<()> {
    if event.old_version() < 1.0 {
        let entries = db.create_object_store(store).build()?;
        entries
            .create_index(BY_EXPIRY, KeyPath::One(EXPIRES))
            .build()?;
        entries
            .create_index(BY_WRITTEN, KeyPath::One(WRITTEN))
            .build()?;
        db.create_object_store(META_STORE).build()?;
    }
    Ok(())
}

/// Checks that an opened database has our stores: a database created by
/// another program, or for another `store_name`, does not.
pub(super) fn check(db: &Database, db_name: &str, store: &str) -> Result<()> {
    let names: Vec<String> = db.object_store_names().collect();
    for wanted in [store, META_STORE] {
        if !names.iter().any(|n| n == wanted) {
            return Err(Error::InvalidOptions(format!(
                "database \"{db_name}\" has no object store \"{wanted}\" (it holds {names:?}): \
                 it was created by another program or for another store_name; \
                 use one store_name per db_name"
            )));
        }
    }
    Ok(())
}

/// Bytes an entry accounts for: its stored key (UTF-8) and its record.
pub(super) fn entry_size(stored_key: &str, record: &[u8]) -> u64 {
    (stored_key.len() + record.len()) as u64
}

/// The stored object `{ r, x?, w, s }`. `x` is left out without expiry so
/// the expiry index stays sparse.
pub(super) fn envelope(record: &[u8], expires_at: Option<u64>, written: u64, size: u64) -> JsValue {
    let obj: Envelope = Object::new().unchecked_into();
    obj.set_r(&Uint8Array::from(record));
    if let Some(at) = expires_at {
        obj.set_x(at as f64);
    }
    obj.set_w(written as f64);
    obj.set_s(size as f64);
    obj.into()
}

/// A field of a stored value: `undefined` on a primitive, `None` on `null`
/// or `undefined` (reading a property of those throws, and the getter
/// catches it).
fn field(value: &JsValue, get: fn(&Envelope) -> Result<JsValue, JsValue>) -> Option<JsValue> {
    get(value.unchecked_ref()).ok()
}

/// What a stored value turned out to be.
#[derive(Default)]
pub(super) enum Found {
    /// Nothing stored under the key.
    #[default]
    Missing,
    /// A live entry.
    Live(Entry),
    /// A well-formed record whose expiry has passed.
    Expired,
    /// Anything that does not decode: wrong JS type, no `r`, a record that is
    /// truncated, foreign or of another format version.
    Corrupt,
}

/// Decodes a stored value at `now_ms` with [`record::decode`], copying the
/// record out of JavaScript memory once.
pub(super) fn decode(value: Option<&JsValue>, now_ms: u64) -> Found {
    let Some(value) = value else {
        return Found::Missing;
    };
    let Some(bytes) = field(value, Envelope::r).and_then(|r| r.dyn_into::<Uint8Array>().ok())
    else {
        return Found::Corrupt;
    };
    let mut bytes = bytes.to_vec();
    let expires_at = match record::decode(&bytes) {
        Ok(rec) if rec.is_expired(now_ms) => return Found::Expired,
        Ok(rec) => rec.expires_at,
        Err(_) => return Found::Corrupt,
    };
    bytes.drain(..HEADER_LEN.min(bytes.len()));
    Found::Live(Entry {
        value: bytes,
        expires_at,
    })
}

/// The size an entry contributes to the totals, if it is one of ours (it has
/// numeric `w` and `s`). Values that never went through a write batch (put
/// there by another program) were never counted, so they are not discounted.
pub(super) fn accounted(value: &JsValue) -> Option<u64> {
    field(value, Envelope::w)?.as_f64()?;
    let size = field(value, Envelope::s)?.as_f64()?;
    (size.is_finite() && size >= 0.0).then_some(size as u64)
}

/// The write sequence number of one of our entries.
pub(super) fn written(value: &JsValue) -> Option<u64> {
    let w = field(value, Envelope::w)?.as_f64()?;
    (w.is_finite() && w >= 0.0).then_some(w as u64)
}

/// The running totals of an entry store, kept in [`META_STORE`] and changed
/// only inside the readwrite transaction that changes the entries, so every
/// tab sees (and updates) the same numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Totals {
    /// Entries counted.
    pub entries: u64,
    /// Sum of their sizes.
    pub bytes: u64,
    /// The last write sequence number handed out (the `w` of the newest entry).
    pub seq: u64,
}

impl Totals {
    /// Reads the stored object; missing or malformed fields count as zero.
    pub(super) fn from_js(value: &JsValue) -> Self {
        let record: Option<&TotalsRecord> = value.is_object().then(|| value.unchecked_ref());
        let num = |get: fn(&TotalsRecord) -> Result<JsValue, JsValue>| {
            record
                .and_then(|r| get(r).ok())
                .and_then(|v| v.as_f64())
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map_or(0, |n| n as u64)
        };
        Self {
            entries: num(TotalsRecord::n),
            bytes: num(TotalsRecord::b),
            seq: num(TotalsRecord::q),
        }
    }

    pub(super) fn to_js(self) -> JsValue {
        let obj: TotalsRecord = Object::new().unchecked_into();
        obj.set_n(self.entries as f64);
        obj.set_b(self.bytes as f64);
        obj.set_q(self.seq as f64);
        obj.into()
    }

    /// Accounts for a value replacing `old` (its [`accounted`] size).
    pub(super) fn replace(&mut self, old: Option<u64>, size: u64) {
        self.remove(old);
        self.entries = self.entries.saturating_add(1);
        self.bytes = self.bytes.saturating_add(size);
    }

    /// Accounts for removing a value whose [`accounted`] size is `old`.
    pub(super) fn remove(&mut self, old: Option<u64>) {
        if let Some(size) = old {
            self.entries = self.entries.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(size);
        }
    }
}

/// The optional bounds of the persistent store.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Bounds {
    pub max_entries: Option<u64>,
    pub max_bytes: Option<u64>,
}

impl Bounds {
    /// True if either bound is set: writes then keep exact totals.
    pub(super) fn any(&self) -> bool {
        self.max_entries.is_some() || self.max_bytes.is_some()
    }

    pub(super) fn exceeded(&self, t: &Totals) -> bool {
        self.max_entries.is_some_and(|m| t.entries > m)
            || self.max_bytes.is_some_and(|m| t.bytes > m)
    }
}
