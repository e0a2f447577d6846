//! The stored form of a response: status, header fields and content in one
//! compact binary record, with what the policy needs later (the target URI,
//! the request's selecting header fields, and the request and response times
//! of RFC 9111 §4.2.3).
//!
//! All integers are little-endian; `varint` is unsigned LEB128 (at most 10
//! bytes); strings are UTF-8.
//!
//! | field | encoding |
//! |---|---|
//! | magic | `0x48` (`'H'`) |
//! | format version | `1` |
//! | status | `u16` |
//! | request_time | `u64`, ms since the epoch |
//! | response_time | `u64`, ms since the epoch |
//! | target URI | `varint` length, bytes |
//! | response header count | `varint`, then per line: name (`varint` length, bytes), value (`varint` length, bytes) |
//! | selecting request header count | `varint`, then lines as above |
//! | content | `varint` length, bytes |
//!
//! Nothing may follow the content. Decoding never panics and never allocates
//! more than the input could describe: every length is checked against the
//! bytes that remain, and anything malformed — truncation, trailing bytes,
//! a bad varint, invalid UTF-8, a foreign magic byte, a newer version — is
//! [`Error::Decode`].
//!
//! Hop-by-hop fields (RFC 9110 §7.6.1: `Connection` and the fields it names,
//! `Keep-Alive`, `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade`,
//! `Trailer`) and proxy-specific fields (RFC 9111 §3.1:
//! `Proxy-Authenticate`, `Proxy-Authentication-Info`, `Proxy-Authorization`)
//! are never written, and are dropped if found when reading.

use super::headers::{without_hop_by_hop, Headers};
use super::policy::current_age_ms;
use crate::{Error, Result};

/// First byte of every stored response.
pub const MAGIC: u8 = b'H';
/// The format version this build writes and reads.
pub const VERSION: u8 = 1;

/// A response as stored by the cache.
///
/// Build one with `Policy::store`, which checks storability, strips what must
/// not be stored and fills in a missing `Date`.
///
/// ```
/// use edgecache::http::{Headers, StoredResponse};
///
/// let stored = StoredResponse {
///     url: "https://example.com/".into(),
///     status: 200,
///     headers: Headers::new().with("Content-Type", "text/plain"),
///     request_headers: Headers::new(),
///     body: b"hello".to_vec(),
///     request_time: 1_000,
///     response_time: 1_050,
/// };
/// let bytes = stored.encode();
/// assert_eq!(StoredResponse::decode(&bytes).unwrap(), stored);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// The normalised target URI (the primary cache key).
    pub url: String,
    /// The status code.
    pub status: u16,
    /// The stored response header fields.
    pub headers: Headers,
    /// The original request's lines of the fields the response's `Vary`
    /// names (empty without `Vary`).
    pub request_headers: Headers,
    /// The content.
    pub body: Vec<u8>,
    /// "The value of the clock at the time of the request that resulted in
    /// the stored response" (RFC 9111 §4.2.3), ms since the epoch.
    pub request_time: u64,
    /// "The value of the clock at the time the response was received", ms
    /// since the epoch.
    pub response_time: u64,
}

impl StoredResponse {
    /// Encodes the response (hop-by-hop fields left out).
    ///
    /// ```
    /// use edgecache::http::{Headers, StoredResponse};
    /// let mut s = StoredResponse {
    ///     url: "https://a/".into(), status: 200, headers: Headers::new(),
    ///     request_headers: Headers::new(), body: vec![], request_time: 0, response_time: 0,
    /// };
    /// s.headers.append("Transfer-Encoding", "chunked");
    /// let back = StoredResponse::decode(&s.encode()).unwrap();
    /// assert!(back.headers.is_empty());
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let headers = without_hop_by_hop(&self.headers);
        let request_headers = without_hop_by_hop(&self.request_headers);
        let mut out = Vec::with_capacity(64 + self.url.len() + self.body.len());
        out.push(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&self.request_time.to_le_bytes());
        out.extend_from_slice(&self.response_time.to_le_bytes());
        put_bytes(&mut out, self.url.as_bytes());
        put_headers(&mut out, &headers);
        put_headers(&mut out, &request_headers);
        put_bytes(&mut out, &self.body);
        out
    }

    /// Decodes a stored response, refusing anything this build did not
    /// write.
    ///
    /// ```
    /// use edgecache::http::StoredResponse;
    /// assert_eq!(StoredResponse::decode(b"{\"status\":200}").unwrap_err().code(), "EDGECACHE_DECODE");
    /// assert!(StoredResponse::decode(&[]).is_err());
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<StoredResponse> {
        let mut r = Reader { bytes };
        let [magic, version] = r.array::<2>()?;
        if magic != MAGIC {
            return Err(Error::Decode(
                "not an edgecache stored response (bad magic byte)".into(),
            ));
        }
        if version != VERSION {
            return Err(Error::Decode(format!(
                "stored response format version {version} is not readable by this build (version {VERSION})"
            )));
        }
        let status = u16::from_le_bytes(r.array()?);
        let request_time = u64::from_le_bytes(r.array()?);
        let response_time = u64::from_le_bytes(r.array()?);
        let url = r.string()?;
        let headers = without_hop_by_hop(&r.headers()?);
        let request_headers = without_hop_by_hop(&r.headers()?);
        let body = r.bytes()?.to_vec();
        if !r.bytes.is_empty() {
            return Err(Error::Decode(format!(
                "{} unexpected bytes after the stored response",
                r.bytes.len()
            )));
        }
        Ok(StoredResponse {
            url,
            status,
            headers,
            request_headers,
            body,
            request_time,
            response_time,
        })
    }

    /// The header fields to serve at `now`: the stored ones with `Age` set
    /// to the current age in whole seconds.
    ///
    /// RFC 9111 §4: "When a stored response is used to satisfy a request
    /// without validation, a cache MUST generate an Age header field ...,
    /// replacing any present in the response with a value equal to the
    /// stored response's current_age".
    ///
    /// ```
    /// use edgecache::http::{Headers, StoredResponse};
    /// let s = StoredResponse {
    ///     url: "https://a/".into(), status: 200,
    ///     headers: Headers::new().with("Age", "10"),
    ///     request_headers: Headers::new(), body: vec![], request_time: 0, response_time: 0,
    /// };
    /// assert_eq!(s.headers_at(5_500).get("age"), Some("15"));
    /// assert_eq!(s.headers_at(5_500).get("content-length"), Some("0"));
    /// ```
    ///
    /// `Content-Length` is the stored content's length (RFC 9110 §8.6),
    /// whatever the origin's said: the runtime may have decoded a
    /// `Content-Encoding` in between, and a 304 never changes it (§3.2).
    /// Statuses that never have content (`204`, `304`) get none.
    pub fn headers_at(&self, now: u64) -> Headers {
        let mut headers = self.headers.clone();
        headers.set("Age", (current_age_ms(self, now) / 1000).to_string());
        if self.status == 204 || self.status == 304 {
            headers.remove("content-length");
        } else {
            headers.set("Content-Length", self.body.len().to_string());
        }
        headers
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_headers(out: &mut Vec<u8>, headers: &Headers) {
    put_varint(out, headers.len() as u64);
    for (name, value) in headers.iter() {
        put_bytes(out, name.as_bytes());
        put_bytes(out, value.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

fn truncated(what: &str) -> Error {
    Error::Decode(format!("stored response is truncated (in {what})"))
}

impl<'a> Reader<'a> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or_else(|| truncated("the fixed header"))?;
        self.bytes = rest;
        Ok(*head)
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value: u64 = 0;
        for i in 0..10u32 {
            let (&byte, rest) = self
                .bytes
                .split_first()
                .ok_or_else(|| truncated("a length"))?;
            self.bytes = rest;
            let bits = u64::from(byte & 0x7F);
            if i == 9 && bits > 1 {
                return Err(Error::Decode("length does not fit in 64 bits".into()));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Error::Decode("length is longer than 10 bytes".into()))
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let len = self.varint()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= self.bytes.len())
            .ok_or_else(|| truncated("a string or the content"))?;
        let (head, rest) = self
            .bytes
            .split_at_checked(len)
            .ok_or_else(|| truncated("a string"))?;
        self.bytes = rest;
        Ok(head)
    }

    fn string(&mut self) -> Result<String> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| Error::Decode("a stored string is not valid UTF-8".into()))
    }

    fn headers(&mut self) -> Result<Headers> {
        let count = self.varint()?;
        // Each line takes at least two bytes: refuse counts the input cannot hold
        // before allocating anything for them.
        if count > (self.bytes.len() / 2) as u64 {
            return Err(truncated("the header fields"));
        }
        let mut headers = Headers::new();
        for _ in 0..count {
            let name = self.string()?;
            let value = self.string()?;
            headers.append(name, value);
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredResponse {
        StoredResponse {
            url: "https://example.com/a?b".into(),
            status: 203,
            headers: Headers::new()
                .with("Content-Type", "text/html; charset=utf-8")
                .with("Set-Cookie", "a=1")
                .with("set-cookie", "b=2")
                .with("Vary", "Accept-Encoding"),
            request_headers: Headers::new().with("Accept-Encoding", "gzip"),
            body: (0..=255).collect(),
            request_time: 1_700_000_000_000,
            response_time: 1_700_000_000_123,
        }
    }

    #[test]
    fn roundtrips_and_layout_starts_with_magic_version_status() {
        let s = sample();
        let bytes = s.encode();
        assert_eq!(bytes[..4], [b'H', 1, 203, 0]);
        assert_eq!(StoredResponse::decode(&bytes).unwrap(), s);
        let empty = StoredResponse {
            url: String::new(),
            status: 0,
            headers: Headers::new(),
            request_headers: Headers::new(),
            body: vec![],
            request_time: u64::MAX,
            response_time: 0,
        };
        assert_eq!(StoredResponse::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn every_truncation_and_any_trailing_byte_is_refused() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            assert!(
                StoredResponse::decode(&bytes[..len]).is_err(),
                "truncated to {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(StoredResponse::decode(&longer).is_err());
        let mut future = bytes;
        future[1] = 2;
        assert_eq!(
            StoredResponse::decode(&future).unwrap_err().code(),
            "EDGECACHE_DECODE"
        );
    }

    #[test]
    fn hostile_lengths_fail_without_allocating() {
        // Header count 2^63: refused before any allocation.
        let mut b = vec![b'H', 1, 200, 0];
        b.extend_from_slice(&[0; 16]);
        b.push(0); // empty url
        b.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert!(StoredResponse::decode(&b).is_err());
        // A body length larger than usize / the input.
        let mut c = vec![b'H', 1, 200, 0];
        c.extend_from_slice(&[0; 16]);
        c.extend_from_slice(&[0, 0, 0]);
        c.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        assert!(StoredResponse::decode(&c).is_err());
        // An 11-byte varint.
        let mut d = vec![b'H', 1, 200, 0];
        d.extend_from_slice(&[0; 16]);
        d.extend_from_slice(&[0x80; 11]);
        assert!(StoredResponse::decode(&d).is_err());
        // Invalid UTF-8 in the url.
        let mut e = vec![b'H', 1, 200, 0];
        e.extend_from_slice(&[0; 16]);
        e.extend_from_slice(&[1, 0xFF, 0, 0, 0]);
        assert!(StoredResponse::decode(&e).is_err());
    }

    #[test]
    fn pseudo_random_garbage_never_panics() {
        // xorshift: deterministic, no dev-dependency needed here.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let good = sample().encode();
        for round in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut bytes = if round % 2 == 0 {
                good.clone()
            } else {
                vec![b'H', 1]
            };
            let len = (x % 64) as usize;
            for i in 0..len {
                let pos = ((x >> (i % 48)) as usize) % (bytes.len() + 1);
                bytes.insert(pos, (x >> (i % 56)) as u8);
            }
            let _ = StoredResponse::decode(&bytes);
        }
    }
}
