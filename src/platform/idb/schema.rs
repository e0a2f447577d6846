//! The database layout: names, upgrade steps, the stored shapes and the
//! running totals. The module docs of [`super`] describe the schema.

use indexed_db_futures::database::{Database, VersionChangeEvent};
use indexed_db_futures::prelude::*;
use indexed_db_futures::KeyPath;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

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
/// Expired entries every write batch removes even when no bound presses.
pub(super) const PURGE_PER_WRITE: usize = 8;

const RECORD: &str = "r";
const EXPIRES: &str = "x";
const WRITTEN: &str = "w";
const SIZE: &str = "s";

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
pub(super) fn envelope(
    record: &[u8],
    expires_at: Option<u64>,
    written: u64,
    size: u64,
) -> Result<JsValue> {
    let obj = Object::new();
    set(&obj, RECORD, &Uint8Array::from(record))?;
    if let Some(at) = expires_at {
        set(&obj, EXPIRES, &JsValue::from_f64(at as f64))?;
    }
    set(&obj, WRITTEN, &JsValue::from_f64(written as f64))?;
    set(&obj, SIZE, &JsValue::from_f64(size as f64))?;
    Ok(obj.into())
}

fn set(obj: &Object, name: &str, value: &JsValue) -> Result<()> {
    Reflect::set(obj, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(|_| Error::Backend(format!("cannot set field {name} of a stored object")))
}

fn field(value: &JsValue, name: &str) -> Option<JsValue> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &JsValue::from_str(name)).ok()
}

/// What a stored value turned out to be.
pub(super) enum Found {
    /// Nothing stored under the key.
    Missing,
    /// A live entry.
    Live(Entry),
    /// A well-formed record whose expiry has passed.
    Expired,
    /// Anything that does not decode: wrong JS type, no `r`, a record that is
    /// truncated, foreign or of another format version.
    Corrupt,
}

/// Decodes a stored value at `now_ms` with [`record::decode`], copying only
/// the value out of JavaScript memory.
pub(super) fn decode(value: Option<&JsValue>, now_ms: u64) -> Found {
    let Some(value) = value else {
        return Found::Missing;
    };
    let Some(bytes) = field(value, RECORD).and_then(|r| r.dyn_into::<Uint8Array>().ok()) else {
        return Found::Corrupt;
    };
    let len = bytes.length();
    let header_len = u32::try_from(HEADER_LEN).unwrap_or(u32::MAX);
    let header = bytes.subarray(0, len.min(header_len)).to_vec();
    let Ok(rec) = record::decode(&header) else {
        return Found::Corrupt;
    };
    if rec.is_expired(now_ms) {
        return Found::Expired;
    }
    Found::Live(Entry {
        value: bytes.subarray(header_len, len).to_vec(),
        expires_at: rec.expires_at,
    })
}

/// The size an entry contributes to the totals, if it is one of ours (it has
/// numeric `w` and `s`). Values that never went through a write batch (put
/// there by another program) were never counted, so they are not discounted.
pub(super) fn accounted(value: &JsValue) -> Option<u64> {
    field(value, WRITTEN)?.as_f64()?;
    let size = field(value, SIZE)?.as_f64()?;
    (size.is_finite() && size >= 0.0).then_some(size as u64)
}

/// The write sequence number of one of our entries.
pub(super) fn written(value: &JsValue) -> Option<u64> {
    let w = field(value, WRITTEN)?.as_f64()?;
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
    const ENTRIES: &'static str = "n";
    const BYTES: &'static str = "b";
    const SEQ: &'static str = "q";

    /// Reads the stored object; missing or malformed fields count as zero.
    pub(super) fn from_js(value: Option<&JsValue>) -> Self {
        let num = |name| {
            value
                .and_then(|v| field(v, name))
                .and_then(|v| v.as_f64())
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map_or(0, |n| n as u64)
        };
        Self {
            entries: num(Self::ENTRIES),
            bytes: num(Self::BYTES),
            seq: num(Self::SEQ),
        }
    }

    pub(super) fn to_js(self) -> Result<JsValue> {
        let obj = Object::new();
        set(&obj, Self::ENTRIES, &JsValue::from_f64(self.entries as f64))?;
        set(&obj, Self::BYTES, &JsValue::from_f64(self.bytes as f64))?;
        set(&obj, Self::SEQ, &JsValue::from_f64(self.seq as f64))?;
        Ok(obj.into())
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
    pub(super) fn exceeded(&self, t: &Totals) -> bool {
        self.max_entries.is_some_and(|m| t.entries > m)
            || self.max_bytes.is_some_and(|m| t.bytes > m)
    }
}
