//! What a [`RocksDbBackend`](super::RocksDbBackend) stores where: column
//! families, the per-entry metadata, the two index keys, write stamps,
//! namespace ranges and the bounds rule. Pure: no RocksDB calls, tested
//! natively.

use crate::{Error, Result};

/// Column family of the records: stored key → [`record`](crate::record).
pub const ENTRIES: &str = "entries";
/// Column family of each entry's metadata: stored key → [`Meta::encode`].
pub const META: &str = "meta";
/// Index by write stamp: [`written_key`] → empty (oldest first).
pub const BY_WRITTEN: &str = "by-written";
/// Index by expiry, expiring entries only: [`expiry_key`] → empty.
pub const BY_EXPIRY: &str = "by-expiry";
/// Every column family the backend opens (RocksDB's `default` one too,
/// which it requires and we leave empty).
pub const COLUMN_FAMILIES: [&str; 4] = [ENTRIES, META, BY_WRITTEN, BY_EXPIRY];

/// Version byte of [`Meta`]'s encoding.
const META_VERSION: u8 = 1;
/// Bytes of an encoded [`Meta`].
pub const META_LEN: usize = 25;

/// What the backend keeps beside each record, so that an overwrite, a
/// delete or an eviction finds the index keys to remove and the bytes to
/// uncount without reading the (possibly large) record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    /// When it was written ([`next_stamp`]); its [`written_key`].
    pub stamp: u64,
    /// The bytes it is charged: [`charge`].
    pub size: u64,
    /// Absolute expiry in ms since the epoch, if any; its [`expiry_key`].
    pub expires_at: Option<u64>,
}

impl Meta {
    /// `[version][stamp u64 LE][size u64 LE][expiry u64 LE, 0 = none]`.
    ///
    /// ```
    /// use edgecache::backends::rocksdb::layout::Meta;
    /// let meta = Meta { stamp: 7, size: 30, expires_at: Some(9) };
    /// assert_eq!(Meta::decode(&meta.encode()).unwrap(), meta);
    /// ```
    pub fn encode(&self) -> [u8; META_LEN] {
        let mut out = [0u8; META_LEN];
        let (version, rest) = out.split_at_mut(1);
        let (stamp, rest) = rest.split_at_mut(8);
        let (size, expiry) = rest.split_at_mut(8);
        version.copy_from_slice(&[META_VERSION]);
        stamp.copy_from_slice(&self.stamp.to_le_bytes());
        size.copy_from_slice(&self.size.to_le_bytes());
        expiry.copy_from_slice(&self.expires_at.unwrap_or(0).to_le_bytes());
        out
    }

    /// Decodes [`encode`](Self::encode)'s bytes; anything else is
    /// [`Error::Decode`].
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let Some((&[version], rest)) = bytes.split_first_chunk::<1>() else {
            return Err(Error::Decode("RocksDB entry metadata is empty".into()));
        };
        let fields: Option<&[u8; META_LEN - 1]> = rest.try_into().ok();
        match (version, fields) {
            (META_VERSION, Some(fields)) => {
                let [s0, s1, s2, s3, s4, s5, s6, s7, z0, z1, z2, z3, z4, z5, z6, z7, e0, e1, e2, e3, e4, e5, e6, e7] =
                    *fields;
                let expiry = u64::from_le_bytes([e0, e1, e2, e3, e4, e5, e6, e7]);
                Ok(Self {
                    stamp: u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
                    size: u64::from_le_bytes([z0, z1, z2, z3, z4, z5, z6, z7]),
                    expires_at: (expiry != 0).then_some(expiry),
                })
            }
            _ => Err(Error::Decode(format!(
                "RocksDB entry metadata is not version {META_VERSION} of {META_LEN} bytes \
                 (version {version}, {} bytes)",
                bytes.len()
            ))),
        }
    }
}

/// The bytes an entry is charged against `max_bytes`: its stored key plus
/// its record (header and value), as IndexedDB charges.
pub fn charge(stored_key: &[u8], record_len: usize) -> u64 {
    u64::try_from(stored_key.len().saturating_add(record_len)).unwrap_or(u64::MAX)
}

/// The stamp of a write at `now_ms`, after the last one handed out:
/// `now_ms × 1024`, raised past `last` so stamps strictly increase even
/// within a millisecond or if the clock steps back.
///
/// ```
/// use edgecache::backends::rocksdb::layout::next_stamp;
/// assert_eq!(next_stamp(1, 0), 1024);
/// assert_eq!(next_stamp(1, 1024), 1025);
/// assert_eq!(next_stamp(0, 5_000), 5_001);
/// ```
pub fn next_stamp(now_ms: u64, last: u64) -> u64 {
    now_ms.saturating_mul(1024).max(last.saturating_add(1))
}

/// The stamp a [`written_key`] starts with, and the stored key after it.
fn split_u64(key: &[u8]) -> Option<(u64, &[u8])> {
    let (head, rest) = key.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*head), rest))
}

fn prefixed(n: u64, stored_key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + stored_key.len());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(stored_key);
    out
}

/// The `by-written` key: the stamp big-endian (so keys sort oldest
/// first), then the stored key.
///
/// ```
/// use edgecache::backends::rocksdb::layout::{split_index_key, written_key};
/// let k = written_key(258, b"0::a");
/// assert_eq!(k, [0, 0, 0, 0, 0, 0, 1, 2, b'0', b':', b':', b'a']);
/// assert_eq!(split_index_key(&k), Some((258, &b"0::a"[..])));
/// assert!(written_key(1, b"z") < written_key(2, b"a"));
/// ```
pub fn written_key(stamp: u64, stored_key: &[u8]) -> Vec<u8> {
    prefixed(stamp, stored_key)
}

/// The `by-expiry` key: the expiry big-endian (soonest first), then the
/// stored key.
pub fn expiry_key(expires_at: u64, stored_key: &[u8]) -> Vec<u8> {
    prefixed(expires_at, stored_key)
}

/// The number and the stored key of a [`written_key`] or [`expiry_key`];
/// `None` if it is shorter than 8 bytes.
pub fn split_index_key(key: &[u8]) -> Option<(u64, &[u8])> {
    split_u64(key)
}

/// The key range `[start, end)` holding exactly the stored keys that begin
/// with `prefix` (a [`key::prefix`](crate::key::prefix), which ends in
/// `':'`): `end` is `prefix` with its last byte incremented. `None` for an
/// empty prefix or one ending in `0xFF` (never a key prefix).
///
/// ```
/// use edgecache::backends::rocksdb::layout::prefix_range;
/// let (start, end) = prefix_range(b"2:ns:").unwrap();
/// assert_eq!((start.as_slice(), end.as_slice()), (&b"2:ns:"[..], &b"2:ns;"[..]));
/// ```
pub fn prefix_range(prefix: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (&last, head) = prefix.split_last()?;
    let bumped = last.checked_add(1)?;
    let mut end = head.to_vec();
    end.push(bumped);
    Some((prefix.to_vec(), end))
}

/// A backend's optional limits on the whole database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// At most this many entries.
    pub max_entries: Option<u64>,
    /// At most this many bytes ([`charge`]).
    pub max_bytes: Option<u64>,
}

impl Bounds {
    /// True if either limit is set.
    pub fn is_bounded(&self) -> bool {
        self.max_entries.is_some() || self.max_bytes.is_some()
    }

    /// True if `entries` entries of `bytes` bytes break a limit.
    ///
    /// ```
    /// use edgecache::backends::rocksdb::layout::Bounds;
    /// let b = Bounds { max_entries: Some(2), max_bytes: Some(100) };
    /// assert!(!b.exceeded(2, 100));
    /// assert!(b.exceeded(3, 10) && b.exceeded(1, 101));
    /// ```
    pub fn exceeded(&self, entries: u64, bytes: u64) -> bool {
        self.max_entries.is_some_and(|m| entries > m) || self.max_bytes.is_some_and(|m| bytes > m)
    }
}

/// Entries and bytes ([`charge`]) the metadata column family accounts for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Entries with metadata (live, or expired and not yet removed).
    pub entries: u64,
    /// The sum of their [`Meta::size`].
    pub bytes: u64,
}

impl Totals {
    /// Counts `meta` in.
    pub fn add(&mut self, meta: &Meta) {
        self.entries = self.entries.saturating_add(1);
        self.bytes = self.bytes.saturating_add(meta.size);
    }

    /// Counts `meta` out.
    pub fn remove(&mut self, meta: &Meta) {
        self.entries = self.entries.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(meta.size);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::key;

    #[test]
    fn meta_round_trips_and_refuses_other_bytes() {
        for meta in [
            Meta {
                stamp: 0,
                size: 0,
                expires_at: None,
            },
            Meta {
                stamp: u64::MAX,
                size: u64::MAX,
                expires_at: Some(u64::MAX),
            },
            Meta {
                stamp: 1 << 40,
                size: 11,
                expires_at: Some(1),
            },
        ] {
            assert_eq!(Meta::decode(&meta.encode()).unwrap(), meta);
        }
        assert!(Meta::decode(&[]).is_err());
        assert!(Meta::decode(&[1; 24]).is_err());
        assert!(Meta::decode(&[1; 26]).is_err());
        let mut other_version = Meta {
            stamp: 1,
            size: 2,
            expires_at: None,
        }
        .encode();
        other_version[0] = 2;
        assert_eq!(
            Meta::decode(&other_version).unwrap_err().code(),
            "EDGECACHE_DECODE"
        );
    }

    #[test]
    fn index_keys_sort_by_number_then_key() {
        let mut keys = [
            written_key(1 << 32, b"a"),
            written_key(255, b"b"),
            written_key(256, b"a"),
            written_key(255, b"a"),
        ];
        keys.sort();
        let order: Vec<_> = keys.iter().map(|k| split_index_key(k).unwrap()).collect();
        assert_eq!(
            order,
            [
                (255, &b"a"[..]),
                (255, &b"b"[..]),
                (256, &b"a"[..]),
                (1 << 32, &b"a"[..])
            ]
        );
        assert_eq!(split_index_key(b"short"), None);
        assert_eq!(split_index_key(&expiry_key(9, b"")), Some((9, &b""[..])));
    }

    #[test]
    fn a_namespace_range_holds_its_keys_and_no_other() {
        for ns in [None, Some("a"), Some("ab"), Some("a:b"), Some("é")] {
            let (start, end) = prefix_range(key::prefix(ns).as_bytes()).unwrap();
            let inside = key::encode(ns, "k");
            assert!(start.as_slice() <= inside.as_bytes() && inside.as_bytes() < end.as_slice());
            let longest = key::encode(ns, &"\u{10FFFF}".repeat(100));
            assert!(longest.as_bytes() < end.as_slice());
            for other in [
                None,
                Some("a"),
                Some("ab"),
                Some("a:b"),
                Some("b"),
                Some("é"),
            ] {
                if other == ns {
                    continue;
                }
                let outside = key::encode(other, "k");
                assert!(
                    !(start.as_slice() <= outside.as_bytes()
                        && outside.as_bytes() < end.as_slice()),
                    "{other:?} inside {ns:?}'s range"
                );
            }
        }
        assert_eq!(prefix_range(b""), None);
        assert_eq!(prefix_range(&[0xFF]), None);
    }

    #[test]
    fn stamps_strictly_increase() {
        let mut last = 0;
        for now in [5, 5, 5, 4, 6, 6] {
            let stamp = next_stamp(now, last);
            assert!(stamp > last);
            last = stamp;
        }
        assert_eq!(next_stamp(u64::MAX, 0), u64::MAX);
    }

    #[test]
    fn totals_and_bounds() {
        let mut t = Totals::default();
        let m = Meta {
            stamp: 1,
            size: 40,
            expires_at: None,
        };
        t.add(&m);
        t.add(&m);
        assert_eq!(
            t,
            Totals {
                entries: 2,
                bytes: 80
            }
        );
        t.remove(&m);
        assert_eq!(
            t,
            Totals {
                entries: 1,
                bytes: 40
            }
        );
        assert!(!Bounds::default().is_bounded());
        assert!(!Bounds::default().exceeded(u64::MAX, u64::MAX));
        assert_eq!(charge(b"0::k", 12), 16);
    }
}
