//! The stored-record codec shared by the persistent backends (IndexedDB, KV,
//! D1, Redis; R2 keeps the same expiry in object metadata instead).
//!
//! A record is a small fixed header followed by the value's bytes:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | magic `0xEC` |
//! | 1 | 1 | format version (`1`) |
//! | 2 | 1 | flags: bit 0 = has expiry; other bits must be 0 |
//! | 3 | 8 | absolute expiry, ms since the epoch, little-endian (0 without expiry) |
//! | 11 | .. | the value |
//!
//! The expiry travels with the value, so a backend whose own TTL is coarse
//! (Workers KV: at least 60 s) or absent still expires entries exactly: readers
//! decode the header and treat an expired record as a miss. Anything that does
//! not decode — foreign data, truncation, a newer format — is an
//! [`Error::Decode`], which backends treat as a miss (`live` does both
//! checks). IndexedDB also deletes such a record; the others leave it to the
//! next write, a purge or `clear_all`, since a read that deletes could erase
//! a value another writer just stored.

use crate::backend::Entry;
use crate::{Error, Result};

/// First byte of every record.
pub const MAGIC: u8 = 0xEC;
/// The format version this build writes and reads.
pub const VERSION: u8 = 1;
/// Bytes before the value.
pub const HEADER_LEN: usize = 11;

const FLAG_HAS_EXPIRY: u8 = 0b0000_0001;

/// A decoded record, borrowing its value from the encoded bytes.
///
/// ```
/// use edgecache::record::{self, Record};
/// let bytes = record::encode(Some(1_000), b"hi");
/// let rec = record::decode(&bytes).unwrap();
/// assert_eq!(rec, Record { expires_at: Some(1_000), value: b"hi" });
/// assert!(!rec.is_expired(999) && rec.is_expired(1_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Absolute expiry in ms since the epoch, or `None`.
    pub expires_at: Option<u64>,
    /// The stored value.
    pub value: &'a [u8],
}

impl Record<'_> {
    /// True once `now_ms` has reached the expiry.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expires_at.is_some_and(|at| at <= now_ms)
    }

    /// Milliseconds left before expiry at `now_ms` (`None` without expiry,
    /// `Some(0)` once expired).
    ///
    /// ```
    /// use edgecache::record;
    /// let bytes = record::encode(Some(5_000), b"");
    /// assert_eq!(record::decode(&bytes).unwrap().remaining_ms(1_000), Some(4_000));
    /// ```
    pub fn remaining_ms(&self, now_ms: u64) -> Option<u64> {
        self.expires_at.map(|at| at.saturating_sub(now_ms))
    }
}

/// Encodes `value` with its expiry.
///
/// ```
/// use edgecache::record;
/// assert_eq!(record::encode(None, b"v").len(), record::HEADER_LEN + 1);
/// ```
pub fn encode(expires_at: Option<u64>, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + value.len());
    out.push(MAGIC);
    out.push(VERSION);
    out.push(if expires_at.is_some() {
        FLAG_HAS_EXPIRY
    } else {
        0
    });
    out.extend_from_slice(&expires_at.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// Decodes a record, refusing anything this build did not write.
///
/// ```
/// use edgecache::record;
/// assert_eq!(record::decode(b"not a record").unwrap_err().code(), "EDGECACHE_DECODE");
/// ```
pub fn decode(bytes: &[u8]) -> Result<Record<'_>> {
    let Some((header, value)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(Error::Decode(format!(
            "record is {} bytes, shorter than its {HEADER_LEN}-byte header",
            bytes.len()
        )));
    };
    let [magic, version, flags, expiry @ ..] = *header;
    if magic != MAGIC {
        return Err(Error::Decode(
            "not an edgecache record (bad magic byte)".into(),
        ));
    }
    if version != VERSION {
        return Err(Error::Decode(format!(
            "record format version {version} is not readable by this build (version {VERSION})"
        )));
    }
    if flags & !FLAG_HAS_EXPIRY != 0 {
        return Err(Error::Decode(format!("unknown record flags {flags:#04x}")));
    }
    let expiry = u64::from_le_bytes(expiry);
    // Exactly one spelling per record: without the flag, encode writes 0.
    // (A non-zero expiry without the flag is not something this build wrote:
    // the bytes were corrupted, or a writer disagrees about the format.)
    if flags & FLAG_HAS_EXPIRY == 0 && expiry != 0 {
        return Err(Error::Decode(
            "record has an expiry but its flag says it has none".into(),
        ));
    }
    Ok(Record {
        expires_at: (flags & FLAG_HAS_EXPIRY != 0).then_some(expiry),
        value,
    })
}

/// The entry in stored `bytes`, if they decode as a record that is live at
/// `now_ms`. Anything else — an expired record, foreign bytes, a record of a
/// newer format — is `None`: a miss, which the persistent backends leave for
/// the store's own TTL, the next `set` or `clear_all`. The header is dropped
/// in place: the value is not copied.
pub(crate) fn live(mut bytes: Vec<u8>, now_ms: u64) -> Option<Entry> {
    let (expires_at, expired) = match decode(&bytes) {
        Ok(rec) => (rec.expires_at, rec.is_expired(now_ms)),
        Err(_) => return None,
    };
    if expired {
        return None;
    }
    // The record decoded, so it is at least a header long.
    bytes.drain(..HEADER_LEN.min(bytes.len()));
    Some(Entry {
        value: bytes,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_with_and_without_expiry() {
        for expires_at in [None, Some(0), Some(1), Some(u64::MAX)] {
            for value in [&b""[..], b"x", &[0u8; 1000][..]] {
                let bytes = encode(expires_at, value);
                assert_eq!(decode(&bytes).unwrap(), Record { expires_at, value });
            }
        }
    }

    #[test]
    fn header_layout_is_stable() {
        assert_eq!(
            encode(Some(0x0102), b"v"),
            [0xEC, 1, 1, 0x02, 0x01, 0, 0, 0, 0, 0, 0, b'v']
        );
        assert_eq!(encode(None, b""), [0xEC, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn refuses_truncated_foreign_and_future_records() {
        let good = encode(Some(5), b"value");
        for len in 0..HEADER_LEN {
            assert!(decode(&good[..len]).is_err(), "truncated to {len}");
        }
        let mut foreign = good.clone();
        foreign[0] = b'{';
        assert!(decode(&foreign).is_err());
        let mut future = good.clone();
        future[1] = 2;
        assert!(decode(&future).is_err());
        let mut flags = good;
        flags[2] = 0b10;
        assert!(decode(&flags).is_err());
    }

    /// Found by `fuzz/fuzz_targets/record_decode.rs`: `ec 01 00` followed by a
    /// non-zero expiry field decoded as "no expiry", so two different byte
    /// strings meant the same record and corrupted headers went unnoticed.
    #[test]
    fn refuses_an_expiry_field_without_its_flag() {
        let bytes = [0xEC, 1, 0, 0, 0, 0, 0, 0, 0, 0x1F, 0xEC, 0xEC];
        assert_eq!(decode(&bytes).unwrap_err().code(), "EDGECACHE_DECODE");
        let mut no_expiry = encode(None, b"v");
        assert!(decode(&no_expiry).is_ok());
        for i in 3..HEADER_LEN {
            no_expiry[i] = 1;
            assert!(
                decode(&no_expiry).is_err(),
                "expiry byte {i} set without the flag"
            );
            no_expiry[i] = 0;
        }
    }

    #[test]
    fn live_is_the_value_of_a_live_record_and_none_otherwise() {
        let live_at = |bytes: &[u8], now| live(bytes.to_vec(), now);
        assert_eq!(
            live_at(&encode(Some(100), b"v"), 99),
            Some(Entry {
                value: b"v".to_vec(),
                expires_at: Some(100)
            })
        );
        assert_eq!(live_at(&encode(Some(100), b"v"), 100), None);
        assert_eq!(
            live_at(&encode(None, b""), u64::MAX),
            Some(Entry {
                value: Vec::new(),
                expires_at: None
            })
        );
        assert_eq!(live_at(b"not a record", 0), None);
        assert_eq!(live_at(&encode(None, b"v")[..HEADER_LEN - 1], 0), None);
    }

    #[test]
    fn expiry_is_inclusive_and_remaining_saturates() {
        let bytes = encode(Some(100), b"");
        let rec = decode(&bytes).unwrap();
        assert!(!rec.is_expired(99));
        assert!(rec.is_expired(100));
        assert_eq!(rec.remaining_ms(150), Some(0));
        let forever = encode(None, b"");
        assert!(!decode(&forever).unwrap().is_expired(u64::MAX));
    }
}
