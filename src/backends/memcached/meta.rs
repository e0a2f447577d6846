//! memcached's meta protocol (memcached 1.6+): the request encoder and the
//! reply parser, pure and bounded.
//!
//! A request is one line, `<cm> <key> [<datalen>] <flags>*\r\n`, followed by
//! a data block for `ms`. A reply is one line, `<RC> [<size>] <flags>*\r\n`,
//! followed by a data block for `VA`. The protocol text is memcached's
//! `doc/protocol.txt` ("Meta Commands"); only what the backend sends is
//! encoded, and every reply the server can send is parsed:
//!
//! | reply | meaning | [`Status`] |
//! |---|---|---|
//! | `VA <size> <flags>*` + data | a value (`mg ... v`, `ma ... v`) | [`Status::Value`] |
//! | `HD <flags>*` | success without a value | [`Status::Done`] |
//! | `EN` | miss (`mg`) | [`Status::Miss`] |
//! | `NS` `EX` `NF` | not stored, CAS mismatch, not found | [`Status::NotStored`], [`Status::Exists`], [`Status::NotFound`] |
//! | `MN` | the end of a pipeline (`mn`) | [`Status::NoOp`] |
//! | `STAT <name> <value>`, `END` | `stats settings` | [`Status::Stat`], [`Status::End`] |
//! | `ERROR`, `CLIENT_ERROR <msg>`, `SERVER_ERROR <msg>` | errors | [`Status::Error`] |
//!
//! **Keys.** memcached keys are at most [`MAX_KEY_BYTES`] (250) bytes with
//! no spaces or control characters. [`WireKey::new`] sends a key of plain
//! printable ASCII as it is and any other byte string base64-encoded with
//! the `b` flag (memcached decodes it; the limit then applies to the
//! encoded form, so such a key holds at most 186 bytes). A key that fits
//! neither way is refused here: [`rules`](super::rules) hashes long keys
//! before they get this far.
//!
//! **Bounds.** A reply line longer than [`MAX_LINE_BYTES`] or a value
//! longer than the decoder's limit ([`MAX_VALUE_BYTES`] by default) is a
//! protocol error, as is anything that is not a reply; nothing panics and
//! nothing is allocated before the bytes arrive.

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::{Error, Result};

/// The longest key memcached accepts on the wire, in bytes (its
/// `KEY_MAX_LENGTH`); with the `b` flag, the base64 text counts.
pub const MAX_KEY_BYTES: usize = 250;

/// The longest binary key that fits base64-encoded in [`MAX_KEY_BYTES`].
pub const MAX_BINARY_KEY_BYTES: usize = MAX_KEY_BYTES / 4 * 3;

/// The longest reply line read (flags and tokens included), in bytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

/// The largest value the decoder accepts by default: 1 GiB, memcached's
/// largest item size (`-I 1024m`).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024 * 1024;

/// A key as it goes on the wire: plain text, or base64 with the `b` flag.
///
/// ```
/// use edgecache::memcached::meta::WireKey;
/// assert!(!WireKey::new(b"0::user:42").unwrap().is_binary());
/// let k = WireKey::new("0::ключ".as_bytes()).unwrap();
/// assert!(k.is_binary());
/// assert!(WireKey::new(&[b'a'; 251]).is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireKey {
    text: String,
    binary: bool,
}

impl WireKey {
    /// The wire form of `raw`, or `None` if it is empty or does not fit in
    /// [`MAX_KEY_BYTES`] either way.
    pub fn new(raw: &[u8]) -> Option<Self> {
        if raw.is_empty() {
            return None;
        }
        if raw.len() <= MAX_KEY_BYTES && raw.iter().all(|b| (0x21..=0x7e).contains(b)) {
            // Printable ASCII: the bytes are the text.
            let text = String::from_utf8(raw.to_vec()).ok()?;
            return Some(Self {
                text,
                binary: false,
            });
        }
        if raw.len() > MAX_BINARY_KEY_BYTES {
            return None;
        }
        Some(Self {
            text: STANDARD.encode(raw),
            binary: true,
        })
    }

    /// `text`, known to be printable ASCII of at most [`MAX_KEY_BYTES`]
    /// (a hashed key), sent as it is.
    pub(super) fn printable(text: String) -> Self {
        Self {
            text,
            binary: false,
        }
    }

    /// True if the key is sent base64-encoded, with the `b` flag.
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// `ms` modes (the `M` flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `ME`: store only if the key holds nothing (`add`).
    Add,
    /// `MS`: store (the default).
    Set,
}

/// A request flag. Only flags the backend uses exist, so no caller can put
/// a space or a line break into a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `v`: return the value.
    Value,
    /// `q`: no reply for the common outcome (a miss for `mg`, success for
    /// `ms`/`md`); errors are always sent.
    Quiet,
    /// `O<n>`: an opaque number echoed in the reply.
    Opaque(u32),
    /// `T<s>`: TTL in seconds (`0`: none).
    Ttl(u32),
    /// `N<s>`: on a miss, create an empty item with this TTL and answer
    /// `W` to this caller only (stampede protection).
    Vivify(u32),
    /// `R<s>`: answer `W` to one caller once the item's remaining TTL is
    /// below this.
    Recache(u32),
    /// `t`: return the remaining TTL in seconds.
    ReturnTtl,
    /// `c`: return the CAS value.
    ReturnCas,
    /// `C<n>`: store only if the CAS value matches.
    CompareCas(u64),
    /// `M<mode>`: the `ms` mode.
    Mode(Mode),
    /// `N<s>` for `ma`: create on a miss with this TTL.
    Create(u32),
    /// `J<n>`: `ma`'s initial value when it creates the item.
    Initial(u64),
    /// `D<n>`: `ma`'s delta.
    Delta(u64),
}

impl Flag {
    fn write(self, out: &mut String) {
        // Writing to a String never fails.
        let _ = match self {
            Flag::Value => write!(out, " v"),
            Flag::Quiet => write!(out, " q"),
            Flag::Opaque(n) => write!(out, " O{n}"),
            Flag::Ttl(s) => write!(out, " T{s}"),
            Flag::Vivify(s) | Flag::Create(s) => write!(out, " N{s}"),
            Flag::Recache(s) => write!(out, " R{s}"),
            Flag::ReturnTtl => write!(out, " t"),
            Flag::ReturnCas => write!(out, " c"),
            Flag::CompareCas(n) => write!(out, " C{n}"),
            Flag::Mode(Mode::Add) => write!(out, " ME"),
            Flag::Mode(Mode::Set) => write!(out, " MS"),
            Flag::Initial(n) => write!(out, " J{n}"),
            Flag::Delta(n) => write!(out, " D{n}"),
        };
    }
}

fn line(out: &mut Vec<u8>, command: &str, key: &WireKey, size: Option<usize>, flags: &[Flag]) {
    let mut text = String::with_capacity(command.len() + key.text.len() + 32);
    text.push_str(command);
    text.push(' ');
    text.push_str(&key.text);
    if let Some(size) = size {
        let _ = write!(text, " {size}");
    }
    if key.binary {
        text.push_str(" b");
    }
    for flag in flags {
        flag.write(&mut text);
    }
    text.push_str("\r\n");
    out.extend_from_slice(text.as_bytes());
}

/// Appends `mg <key> <flags>*`.
///
/// ```
/// use edgecache::memcached::meta::{self, Flag, WireKey};
/// let mut out = Vec::new();
/// meta::mg(&mut out, &WireKey::new(b"k").unwrap(), &[Flag::Value, Flag::Quiet, Flag::Opaque(3)]);
/// assert_eq!(out, b"mg k v q O3\r\n");
/// ```
pub fn mg(out: &mut Vec<u8>, key: &WireKey, flags: &[Flag]) {
    line(out, "mg", key, None, flags);
}

/// Appends `ms <key> <datalen> <flags>*` and the data block, the
/// concatenation of `data` (so a header and a value need no copy first).
///
/// ```
/// use edgecache::memcached::meta::{self, Flag, WireKey};
/// let mut out = Vec::new();
/// meta::ms(&mut out, &WireKey::new(b"k").unwrap(), &[b"ab", b"c"], &[Flag::Ttl(5)]);
/// assert_eq!(out, b"ms k 3 T5\r\nabc\r\n");
/// ```
pub fn ms(out: &mut Vec<u8>, key: &WireKey, data: &[&[u8]], flags: &[Flag]) {
    let size = data.iter().map(|d| d.len()).sum();
    line(out, "ms", key, Some(size), flags);
    for d in data {
        out.extend_from_slice(d);
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `md <key> <flags>*`.
pub fn md(out: &mut Vec<u8>, key: &WireKey, flags: &[Flag]) {
    line(out, "md", key, None, flags);
}

/// Appends `ma <key> <flags>*`.
pub fn ma(out: &mut Vec<u8>, key: &WireKey, flags: &[Flag]) {
    line(out, "ma", key, None, flags);
}

/// Appends `mn`, whose `MN` reply ends a pipeline.
pub fn mn(out: &mut Vec<u8>) {
    out.extend_from_slice(b"mn\r\n");
}

/// Appends `stats settings` (answered by `STAT` lines and `END`).
pub fn stats_settings(out: &mut Vec<u8>) {
    out.extend_from_slice(b"stats settings\r\n");
}

/// The kind of an error reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `ERROR`: an unknown command.
    Command,
    /// `CLIENT_ERROR`: the request was malformed.
    Client,
    /// `SERVER_ERROR`: the server could not do it (out of memory, object
    /// too large, ...).
    Server,
}

/// What a reply says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// `VA`: a value.
    Value(Vec<u8>),
    /// `HD`: done, no value.
    Done,
    /// `EN`: miss.
    Miss,
    /// `NS`: not stored.
    NotStored,
    /// `EX`: the CAS value did not match.
    Exists,
    /// `NF`: not found.
    NotFound,
    /// `MN`: the no-op that ends a pipeline.
    NoOp,
    /// `STAT <name> <value>`.
    Stat {
        /// The setting's name.
        name: String,
        /// Its value, as text.
        value: String,
    },
    /// `END`: the end of a `stats` answer.
    End,
    /// An error line.
    Error {
        /// Which error.
        kind: ErrorKind,
        /// The server's message (empty for `ERROR`).
        message: String,
    },
}

/// One reply: its status and the flags returned with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// What the reply says.
    pub status: Status,
    /// The flags, in order: the letter and its token (possibly empty).
    pub flags: Vec<(u8, String)>,
}

impl Reply {
    /// The token of flag `letter`, if the reply has it.
    ///
    /// ```
    /// use edgecache::memcached::meta::Decoder;
    /// let mut d = Decoder::new();
    /// d.feed(b"HD O7 W\r\n");
    /// let reply = d.decode().unwrap().unwrap();
    /// assert_eq!(reply.flag(b'O'), Some("7"));
    /// assert!(reply.has(b'W') && !reply.has(b'Z'));
    /// ```
    pub fn flag(&self, letter: u8) -> Option<&str> {
        self.flags
            .iter()
            .find(|(l, _)| *l == letter)
            .map(|(_, t)| t.as_str())
    }

    /// True if the reply has flag `letter`.
    pub fn has(&self, letter: u8) -> bool {
        self.flag(letter).is_some()
    }

    /// The `O` token as a number.
    pub fn opaque(&self) -> Option<u32> {
        self.flag(b'O')?.parse().ok()
    }
}

/// An incremental reply parser: [`feed`](Decoder::feed) it the bytes as
/// they arrive, [`decode`](Decoder::decode) until it answers `Ok(None)`
/// (more bytes needed).
///
/// ```
/// use edgecache::memcached::meta::{Decoder, Status};
/// let mut d = Decoder::new();
/// d.feed(b"VA 2 t-1\r\nh");
/// assert_eq!(d.decode().unwrap(), None);
/// d.feed(b"i\r\nMN\r\n");
/// assert_eq!(d.decode().unwrap().unwrap().status, Status::Value(b"hi".to_vec()));
/// assert_eq!(d.decode().unwrap().unwrap().status, Status::NoOp);
/// ```
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already parsed (dropped on the next `feed`).
    start: usize,
    max_value: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

fn protocol(what: impl std::fmt::Display) -> Error {
    Error::Backend(format!("memcached protocol error: {what}"))
}

/// The bytes of `line` as text for an error message (at most 64).
fn show(line: &[u8]) -> String {
    let cut = line.get(..64).unwrap_or(line);
    format!("{:?}", String::from_utf8_lossy(cut))
}

impl Decoder {
    /// A decoder accepting values up to [`MAX_VALUE_BYTES`].
    pub fn new() -> Self {
        Self::with_max_value(MAX_VALUE_BYTES)
    }

    /// A decoder accepting values up to `max_value` bytes.
    pub fn with_max_value(max_value: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_value,
        }
    }

    /// Appends bytes received from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet parsed.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// The next whole reply, `Ok(None)` if more bytes are needed, or a
    /// protocol error ([`Error::Backend`]) for bytes that are not a reply;
    /// after an error the stream is out of step and must be dropped.
    pub fn decode(&mut self) -> Result<Option<Reply>> {
        let rest = self.buf.get(self.start..).unwrap_or_default();
        // Only the first MAX_LINE_BYTES + 2 bytes can hold the line's end.
        let window = rest.get(..MAX_LINE_BYTES + 2).unwrap_or(rest);
        let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
            if window.len() == MAX_LINE_BYTES + 2 {
                return Err(protocol(format!(
                    "a reply line longer than {MAX_LINE_BYTES} bytes"
                )));
            }
            return Ok(None);
        };
        let line = rest.get(..end).unwrap_or_default();
        let after_line = end + 2;
        let (reply, used) = parse_line(
            line,
            rest.get(after_line..).unwrap_or_default(),
            self.max_value,
        )?;
        match reply {
            Some(reply) => {
                self.start += after_line + used;
                Ok(Some(reply))
            }
            None => Ok(None),
        }
    }
}

/// Parses one reply line; `data` is what follows it. Returns the reply
/// (`None`: the value's data block has not all arrived) and the bytes of
/// `data` it used.
fn parse_line(line: &[u8], data: &[u8], max_value: usize) -> Result<(Option<Reply>, usize)> {
    let text = std::str::from_utf8(line)
        .map_err(|_| protocol(format!("a reply line that is not UTF-8: {}", show(line))))?;
    if let Some(message) = text.strip_prefix("CLIENT_ERROR") {
        return Ok((Some(error(ErrorKind::Client, message)), 0));
    }
    if let Some(message) = text.strip_prefix("SERVER_ERROR") {
        return Ok((Some(error(ErrorKind::Server, message)), 0));
    }
    if text == "ERROR" {
        return Ok((Some(error(ErrorKind::Command, "")), 0));
    }
    if let Some(stat) = text.strip_prefix("STAT ") {
        let (name, value) = stat.split_once(' ').unwrap_or((stat, ""));
        let status = Status::Stat {
            name: name.to_owned(),
            value: value.to_owned(),
        };
        return Ok((
            Some(Reply {
                status,
                flags: Vec::new(),
            }),
            0,
        ));
    }
    if text == "END" {
        return Ok((
            Some(Reply {
                status: Status::End,
                flags: Vec::new(),
            }),
            0,
        ));
    }
    let mut tokens = text.split(' ');
    let code = tokens.next().unwrap_or_default();
    let mut used = 0;
    let status = match code {
        "VA" => {
            let size = tokens
                .next()
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| protocol(format!("a VA reply without a size: {}", show(line))))?;
            if size > max_value {
                return Err(protocol(format!(
                    "a value of {size} bytes, over the limit of {max_value}"
                )));
            }
            let Some(block) = data.get(..size.saturating_add(2)) else {
                return Ok((None, 0));
            };
            let (value, tail) = block.split_at(size);
            if tail != b"\r\n" {
                return Err(protocol("a value not followed by \\r\\n"));
            }
            used = size + 2;
            Status::Value(value.to_vec())
        }
        "HD" => Status::Done,
        "EN" => Status::Miss,
        "NS" => Status::NotStored,
        "EX" => Status::Exists,
        "NF" => Status::NotFound,
        "MN" => Status::NoOp,
        _ => return Err(protocol(format!("not a reply: {}", show(line)))),
    };
    let mut flags = Vec::new();
    for token in tokens {
        let mut chars = token.bytes();
        match chars.next() {
            Some(letter) if letter.is_ascii_alphabetic() => {
                flags.push((letter, token.get(1..).unwrap_or_default().to_owned()));
            }
            _ => return Err(protocol(format!("a malformed flag in {}", show(line)))),
        }
    }
    Ok((Some(Reply { status, flags }), used))
}

fn error(kind: ErrorKind, message: &str) -> Reply {
    Reply {
        status: Status::Error {
            kind,
            message: message.trim().to_owned(),
        },
        flags: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Result<Vec<Reply>> {
        let mut d = Decoder::new();
        d.feed(bytes);
        let mut out = Vec::new();
        while let Some(r) = d.decode()? {
            out.push(r);
        }
        assert_eq!(d.buffered(), 0, "all consumed");
        Ok(out)
    }

    #[test]
    fn keys_go_plain_or_base64_and_never_over_250_bytes() {
        let plain = WireKey::new(b"1:a:b").unwrap();
        assert_eq!((plain.as_str(), plain.is_binary()), ("1:a:b", false));
        for raw in [&b"a b"[..], b"a\r\nb", b"\x00", "é".as_bytes(), b"\x7f"] {
            let k = WireKey::new(raw).unwrap();
            assert!(k.is_binary(), "{raw:?}");
            assert_eq!(STANDARD.decode(k.as_str()).unwrap(), raw);
        }
        assert!(WireKey::new(&[b'a'; 250]).is_some());
        assert!(WireKey::new(&[b'a'; 251]).is_none());
        assert_eq!(MAX_BINARY_KEY_BYTES, 186);
        let k = WireKey::new(&[0; MAX_BINARY_KEY_BYTES]).unwrap();
        assert!(k.as_str().len() <= MAX_KEY_BYTES);
        assert!(WireKey::new(&[0; MAX_BINARY_KEY_BYTES + 1]).is_none());
        assert!(WireKey::new(b"").is_none());
    }

    #[test]
    fn requests_are_encoded_with_the_b_flag_for_binary_keys() {
        let mut out = Vec::new();
        let k = WireKey::new(b"a b").unwrap();
        mg(
            &mut out,
            &k,
            &[
                Flag::Value,
                Flag::Vivify(30),
                Flag::ReturnTtl,
                Flag::ReturnCas,
            ],
        );
        ms(
            &mut out,
            &k,
            &[b"xy"],
            &[Flag::Ttl(0), Flag::Mode(Mode::Add), Flag::CompareCas(9)],
        );
        md(&mut out, &k, &[Flag::Quiet]);
        ma(
            &mut out,
            &k,
            &[
                Flag::Create(0),
                Flag::Initial(5),
                Flag::Delta(0),
                Flag::Value,
            ],
        );
        mn(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "mg YSBi b v N30 t c\r\nms YSBi 2 b T0 ME C9\r\nxy\r\nmd YSBi b q\r\n\
             ma YSBi b N0 J5 D0 v\r\nmn\r\n"
        );
    }

    #[test]
    fn every_reply_kind_parses() {
        let got = all(
            b"VA 2 O1 t-1 W\r\nhi\r\nVA 0 Z\r\n\r\nHD\r\nEN\r\nEN kabc\r\nNS\r\nEX\r\nNF\r\nMN\r\n\
              STAT item_size_max 1048576\r\nEND\r\nERROR\r\nCLIENT_ERROR bad command line format\r\n\
              SERVER_ERROR object too large for cache\r\n",
        )
        .unwrap();
        let statuses: Vec<_> = got.iter().map(|r| r.status.clone()).collect();
        assert_eq!(
            statuses,
            vec![
                Status::Value(b"hi".to_vec()),
                Status::Value(Vec::new()),
                Status::Done,
                Status::Miss,
                Status::Miss,
                Status::NotStored,
                Status::Exists,
                Status::NotFound,
                Status::NoOp,
                Status::Stat {
                    name: "item_size_max".into(),
                    value: "1048576".into()
                },
                Status::End,
                Status::Error {
                    kind: ErrorKind::Command,
                    message: String::new()
                },
                Status::Error {
                    kind: ErrorKind::Client,
                    message: "bad command line format".into()
                },
                Status::Error {
                    kind: ErrorKind::Server,
                    message: "object too large for cache".into()
                },
            ]
        );
        assert_eq!(got[0].opaque(), Some(1));
        assert_eq!(got[0].flag(b't'), Some("-1"));
        assert!(got[0].has(b'W') && got[1].has(b'Z'));
        assert_eq!(got[4].flag(b'k'), Some("abc"));
    }

    #[test]
    fn values_may_hold_any_bytes_and_arrive_in_pieces() {
        let value: Vec<u8> = b"\r\nVA 1\r\nx\r\n\x00\xff".to_vec();
        let mut wire = format!("VA {}\r\n", value.len()).into_bytes();
        wire.extend_from_slice(&value);
        wire.extend_from_slice(b"\r\nMN\r\n");
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for byte in &wire {
            d.feed(std::slice::from_ref(byte));
            while let Some(r) = d.decode().unwrap() {
                got.push(r.status);
            }
        }
        assert_eq!(got, vec![Status::Value(value), Status::NoOp]);
    }

    #[test]
    fn garbage_and_oversized_replies_are_protocol_errors() {
        for bad in [
            &b"HELLO\r\n"[..],
            b"VA\r\n",
            b"VA x\r\n",
            b"VA 2\r\nhiXX",
            b"HD 7\r\n",
            b"HD \r\n",
            b"\xff\r\n",
            b"\r\n",
        ] {
            let err = all(bad).unwrap_err();
            assert_eq!(err.code(), "EDGECACHE_BACKEND", "{bad:?}");
        }
        // A line of exactly MAX_LINE_BYTES is read, in pieces too; one byte
        // more is refused, with or without its end.
        let line = |n: usize| format!("HD O{}", "x".repeat(n - 4)).into_bytes();
        let mut d = Decoder::new();
        d.feed(&line(MAX_LINE_BYTES));
        d.feed(b"\r");
        assert_eq!(d.decode().unwrap(), None);
        d.feed(b"\n");
        assert_eq!(d.decode().unwrap().unwrap().status, Status::Done);
        let mut d = Decoder::new();
        d.feed(&line(MAX_LINE_BYTES + 1));
        d.feed(b"\r");
        assert!(d.decode().is_err());
        let mut d = Decoder::with_max_value(4);
        d.feed(b"VA 5\r\n");
        assert!(d
            .decode()
            .unwrap_err()
            .to_string()
            .contains("over the limit"));
        let mut d = Decoder::new();
        d.feed(b"VA 18446744073709551615\r\n");
        assert!(d.decode().is_err());
    }
}
