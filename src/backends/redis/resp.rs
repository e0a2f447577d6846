//! The Redis serialization protocol: command encoding and an incremental
//! RESP2 + RESP3 reply parser.
//!
//! Written by hand (no Redis client crate builds for `wasm32-unknown-unknown`
//! without an async runtime), and hardened for replies from a server that may
//! be broken, hostile or not Redis at all:
//!
//! - [`parse`] never panics; `Ok(None)` means "need more bytes", and the
//!   verdict on a prefix is never contradicted by more bytes (an error stays
//!   an error, a value stays the same value). `fuzz/fuzz_targets/resp.rs`
//!   checks both.
//! - Nothing is allocated from a length the input claims: an aggregate or a
//!   bulk string is only materialised once all of its bytes have arrived, so
//!   `*1000000000\r\n` or `$536870912\r\n` costs nothing until the bytes are
//!   there.
//! - Bulk strings are at most [`MAX_BULK_LEN`] (512 MiB, Redis' own
//!   `proto-max-bulk-len` default), lines at most [`MAX_LINE_LEN`], nesting
//!   at most [`MAX_DEPTH`] deep (the parser recurses, so this bounds its
//!   stack).
//! - Types: `+ - : $ *` (RESP2) and `_ , # ! = ( % ~ > |` (RESP3).
//!   Attributes (`|`) are parsed and dropped, so the value they annotate is
//!   what comes back; push frames (`>`) come back as [`Value::Push`] for the
//!   connection to skip, so they never take the place of a reply. Streamed
//!   strings and aggregates (`$?`, `*?`), which Redis never sends, are
//!   refused as protocol errors.
//!
//! [`Decoder`] wraps [`parse`] for a byte stream that arrives in chunks: it
//! only re-parses once enough bytes have arrived to possibly finish the
//! reply, so a large reply arriving in many small chunks costs linear time.

use crate::decimal::Decimal;
use crate::{Error, Result};

/// The longest bulk string accepted, in bytes (512 MiB).
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// The longest line (simple string, error, number, length header) accepted,
/// in bytes, `\r\n` not included.
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// The deepest nesting of aggregates accepted (a top-level value is at
/// depth 1).
pub const MAX_DEPTH: usize = 32;

/// The most elements an aggregate may claim (maps and attributes: pairs).
/// Far above any reply the backend asks for; it keeps element counts the
/// same on 32- and 64-bit targets.
pub const MAX_AGGREGATE_LEN: usize = 1 << 30;

/// One RESP value.
///
/// ```
/// use edgecache::redis::resp::{parse, Value};
/// let (value, used) = parse(b"*2\r\n$3\r\nfoo\r\n_\r\nrest").unwrap().unwrap();
/// assert_eq!(value, Value::Array(vec![Value::Bulk(b"foo".to_vec()), Value::Null]));
/// assert_eq!(used, 16);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `+OK`: a simple string.
    Simple(Vec<u8>),
    /// `-ERR ...` or a RESP3 blob error (`!`): the server's error message.
    Error(Vec<u8>),
    /// `:42`: an integer.
    Integer(i64),
    /// `$3\r\nfoo`: a binary-safe string; also a RESP3 verbatim string
    /// (`=`), without its three-letter format and colon.
    Bulk(Vec<u8>),
    /// RESP3 `_`, and RESP2's null bulk string (`$-1`) and null array (`*-1`).
    Null,
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `,1.5`: a double, as the text the server sent.
    Double(Vec<u8>),
    /// RESP3 `(123...`: a big number, as its digits.
    BigNumber(Vec<u8>),
    /// `*n`: an array; also a RESP3 set (`~`).
    Array(Vec<Value>),
    /// RESP3 `%n`: a map, as key-value pairs in the order sent.
    Map(Vec<(Value, Value)>),
    /// RESP3 `>n`: an out-of-band push frame (pub/sub message, client-side
    /// caching invalidation), which is not the reply to any command.
    Push(Vec<Value>),
}

impl Value {
    /// A short name of the value's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Simple(_) => "simple string",
            Value::Error(_) => "error",
            Value::Integer(_) => "integer",
            Value::Bulk(_) => "bulk string",
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Double(_) => "double",
            Value::BigNumber(_) => "big number",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Push(_) => "push frame",
        }
    }
}

/// Appends one command to `out`: an array of bulk strings, binary-safe.
///
/// ```
/// use edgecache::redis::resp::encode_command;
/// let mut out = Vec::new();
/// encode_command(&mut out, &[b"GET", b"a\r\nb"]);
/// assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n");
/// ```
pub fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.reserve(args.iter().map(|a| a.len() + 16).sum::<usize>() + 16);
    push_array_header(out, args.len());
    for arg in args {
        push_bulk(out, arg);
    }
}

/// Like [`encode_command`], with each argument given as pieces that are
/// sent back to back, so a large argument (a record header and its value)
/// is copied once, into `out`, instead of being assembled first.
///
/// ```
/// use edgecache::redis::resp::{encode_command, encode_command_parts};
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// encode_command(&mut a, &[b"SET", b"k", b"headervalue"]);
/// encode_command_parts(&mut b, &[&[b"SET"], &[b"k"], &[b"header", b"value"]]);
/// assert_eq!(a, b);
/// ```
pub fn encode_command_parts(out: &mut Vec<u8>, args: &[&[&[u8]]]) {
    let total: usize = args
        .iter()
        .map(|parts| parts.iter().map(|p| p.len() + 16).sum::<usize>())
        .sum();
    out.reserve(total + 16);
    push_array_header(out, args.len());
    for parts in args {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        push_bulk_header(out, len);
        for part in *parts {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends a command's header: `*<count>\r\n`, for `count` arguments (its
/// name included) that follow as [`push_bulk`]s.
pub(crate) fn push_array_header(out: &mut Vec<u8>, count: usize) {
    out.push(b'*');
    out.extend_from_slice(Decimal::new(count).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends one argument of a command: a bulk string.
pub(crate) fn push_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    push_bulk_header(out, bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// `$<len>\r\n`.
fn push_bulk_header(out: &mut Vec<u8>, len: usize) {
    out.push(b'$');
    out.extend_from_slice(Decimal::new(len).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Parses one value from the start of `buf`: `Ok(Some((value, bytes
/// used)))`, `Ok(None)` if `buf` is a proper prefix of a value (more bytes
/// are needed), or [`Error::Backend`] if it can never be a valid value.
///
/// ```
/// use edgecache::redis::resp::{parse, Value};
/// assert_eq!(parse(b"$5\r\nhel").unwrap(), None);
/// assert_eq!(parse(b":-7\r\n").unwrap(), Some((Value::Integer(-7), 5)));
/// assert_eq!(parse(b"?\r\n").unwrap_err().code(), "EDGECACHE_BACKEND");
/// ```
pub fn parse(buf: &[u8]) -> Result<Option<(Value, usize)>> {
    match parse_value(buf, 0, 1, Mode::Check)? {
        Step::Need(_) => Ok(None),
        Step::Done(_, end) => match parse_value(buf, 0, 1, Mode::Build)? {
            Step::Done(Some(value), built_end) if built_end == end => Ok(Some((value, end))),
            // Both passes run the same code over the same bytes.
            _ => Err(protocol("inconsistent parse (a bug in edgecache)")),
        },
    }
}

/// Buffer capacity a [`Decoder`] keeps between replies; a larger buffer
/// (left by a large reply) is shrunk once it has been consumed.
const RETAINED_CAPACITY: usize = 64 * 1024;

/// An incremental parser over a byte stream that arrives in chunks.
///
/// ```
/// use edgecache::redis::resp::{Decoder, Value};
/// let mut d = Decoder::new();
/// d.feed(b"+PO");
/// assert_eq!(d.decode().unwrap(), None);
/// d.feed(b"NG\r\n:1\r\n");
/// assert_eq!(d.decode().unwrap(), Some(Value::Simple(b"PONG".to_vec())));
/// assert_eq!(d.decode().unwrap(), Some(Value::Integer(1)));
/// assert_eq!(d.decode().unwrap(), None);
/// ```
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already returned as values.
    start: usize,
    /// `buf[start..]` must be at least this long before a parse can finish.
    need: usize,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes received from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete value, `Ok(None)` until one has fully arrived, or
    /// the protocol error (after which the stream is unusable).
    pub fn decode(&mut self) -> Result<Option<Value>> {
        let rest = self.buf.get(self.start..).unwrap_or_default();
        if rest.is_empty() || rest.len() < self.need {
            return Ok(None);
        }
        match parse_value(rest, 0, 1, Mode::Check)? {
            Step::Need(need) => {
                self.need = need;
                Ok(None)
            }
            Step::Done(_, end) => match parse_value(rest, 0, 1, Mode::Build)? {
                Step::Done(Some(value), built_end) if built_end == end => {
                    self.start = self.start.saturating_add(end);
                    self.need = 0;
                    if self.start >= self.buf.len() {
                        // Everything was consumed: forget the bytes, and
                        // give back the memory of a large reply.
                        self.start = 0;
                        self.buf.clear();
                        self.buf.shrink_to(RETAINED_CAPACITY);
                    }
                    Ok(Some(value))
                }
                _ => Err(protocol("inconsistent parse (a bug in edgecache)")),
            },
        }
    }

    /// Bytes received but not yet returned as values.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }
}

/// Whether a pass only checks that a value is complete (allocating nothing)
/// or also builds it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Check,
    Build,
}

/// The outcome of parsing at a position.
enum Step {
    /// A value (`None` in [`Mode::Check`]) ending at this offset.
    Done(Option<Value>, usize),
    /// Incomplete: the buffer must be at least this long to get further.
    Need(usize),
}

fn protocol(what: &str) -> Error {
    Error::Backend(format!("invalid reply from the Redis server: {what}"))
}

/// The line starting at `pos` (without its `\r\n`) and the offset after it.
fn line(buf: &[u8], pos: usize) -> Result<std::result::Result<(&[u8], usize), usize>> {
    let rest = buf.get(pos..).unwrap_or_default();
    let window = rest.get(..MAX_LINE_LEN + 2).unwrap_or(rest);
    match window.iter().position(|&b| b == b'\n') {
        Some(nl) => {
            let content = window.get(..nl).unwrap_or_default();
            let Some((&b'\r', content)) = content.split_last() else {
                return Err(protocol("a line ends in a bare \\n"));
            };
            if content.contains(&b'\r') {
                return Err(protocol("a line holds a bare \\r"));
            }
            Ok(Ok((content, pos + nl + 1)))
        }
        None if window.len() > MAX_LINE_LEN + 1 => Err(protocol(&format!(
            "a line is longer than {MAX_LINE_LEN} bytes"
        ))),
        None => Ok(Err(buf.len() + 1)),
    }
}

/// A decimal `i64`: an optional sign and 1 to 19 digits, nothing else.
fn integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    // At most 19 digits are below 10^19 < u64::MAX: no step overflows a
    // u64, so no overflow-checked i64 multiply, which wasm32 makes a call to
    // compiler_builtins' 128-bit `__multi3` per digit (every reply's length
    // headers go through here).
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude * 10 + u64::from(d - b'0');
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// A length header: `-1` is `None` (null); other negatives, and lengths
/// over `max`, are refused.
fn length(text: &[u8], what: &str, max: usize) -> Result<Option<usize>> {
    match integer(text) {
        Some(-1) => Ok(None),
        Some(n) if n < 0 => Err(protocol(&format!("negative {what} length {n}"))),
        Some(n) => match usize::try_from(n) {
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(protocol(&format!(
                "{what} length {n} is over the limit of {max}"
            ))),
        },
        None => Err(protocol(&format!(
            "{what} length {:?} is not a number",
            String::from_utf8_lossy(text)
        ))),
    }
}

/// Parses the value at `pos`. Attributes before it are parsed and dropped.
fn parse_value(buf: &[u8], mut pos: usize, depth: usize, mode: Mode) -> Result<Step> {
    if depth > MAX_DEPTH {
        return Err(protocol(&format!(
            "aggregates nested more than {MAX_DEPTH} deep"
        )));
    }
    loop {
        let Some(&kind) = buf.get(pos) else {
            return Ok(Step::Need(pos + 1));
        };
        let (text, after) = match line(buf, pos + 1)? {
            Ok(found) => found,
            Err(need) => return Ok(Step::Need(need)),
        };
        let build = mode == Mode::Build;
        let keep = |bytes: &[u8]| build.then(|| bytes.to_vec());
        let value = match kind {
            b'+' => keep(text).map(Value::Simple),
            b'-' => keep(text).map(Value::Error),
            b':' => match integer(text) {
                Some(n) => Some(Value::Integer(n)),
                None => return Err(protocol("an integer reply is not a number")),
            },
            b'_' if text.is_empty() => Some(Value::Null),
            b'_' => return Err(protocol("a null has content")),
            b'#' => match text {
                b"t" => Some(Value::Boolean(true)),
                b"f" => Some(Value::Boolean(false)),
                _ => return Err(protocol("a boolean is neither t nor f")),
            },
            b',' => {
                if !is_double(text) {
                    return Err(protocol("a double is not a number"));
                }
                keep(text).map(Value::Double)
            }
            b'(' => {
                let digits = text.strip_prefix(b"-").unwrap_or(text);
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return Err(protocol("a big number is not a number"));
                }
                keep(text).map(Value::BigNumber)
            }
            b'$' | b'!' | b'=' => {
                if text == b"?" {
                    return Err(protocol("streamed strings are not supported"));
                }
                let Some(len) = length(text, "string", MAX_BULK_LEN)? else {
                    if kind == b'$' {
                        return Ok(Step::Done(Some(Value::Null), after));
                    }
                    return Err(protocol("a null blob error or verbatim string"));
                };
                let end = after.saturating_add(len);
                let Some(tail) = buf.get(end..end.saturating_add(2)) else {
                    return Ok(Step::Need(end.saturating_add(2)));
                };
                if tail != b"\r\n" {
                    return Err(protocol("a string is not followed by \\r\\n"));
                }
                let bytes = buf.get(after..end).unwrap_or_default();
                let value = match kind {
                    b'$' => keep(bytes).map(Value::Bulk),
                    b'!' => keep(bytes).map(Value::Error),
                    _ => match bytes.get(3) {
                        Some(b':') => keep(bytes.get(4..).unwrap_or_default()).map(Value::Bulk),
                        _ => return Err(protocol("a verbatim string has no format prefix")),
                    },
                };
                return Ok(Step::Done(value, end.saturating_add(2)));
            }
            b'*' | b'~' | b'%' | b'>' | b'|' => {
                if text == b"?" {
                    return Err(protocol("streamed aggregates are not supported"));
                }
                let Some(count) = length(text, "aggregate", MAX_AGGREGATE_LEN)? else {
                    if kind == b'*' {
                        return Ok(Step::Done(Some(Value::Null), after));
                    }
                    return Err(protocol("a null map, set, push or attribute"));
                };
                let pairs = matches!(kind, b'%' | b'|');
                let items = if pairs {
                    count.saturating_mul(2)
                } else {
                    count
                };
                // Every element takes at least three bytes, and nothing is
                // built before they all arrived: the capacity is bounded by
                // the bytes actually received.
                let mut elements =
                    Vec::with_capacity(if build { items.min(buf.len() / 3) } else { 0 });
                let mut at = after;
                for _ in 0..items {
                    match parse_value(buf, at, depth + 1, mode)? {
                        Step::Need(need) => return Ok(Step::Need(need)),
                        Step::Done(element, end) => {
                            elements.extend(element);
                            at = end;
                        }
                    }
                }
                if kind == b'|' {
                    // An attribute annotates the value after it: drop it
                    // and parse that value (still at this depth).
                    pos = at;
                    continue;
                }
                let value = build.then(|| match kind {
                    b'%' => Value::Map(pairs_of(elements)),
                    b'>' => Value::Push(elements),
                    _ => Value::Array(elements),
                });
                return Ok(Step::Done(value, at));
            }
            other => {
                return Err(protocol(&format!(
                    "unknown type byte {:?}",
                    char::from(other)
                )))
            }
        };
        return Ok(Step::Done(value, after));
    }
}

fn pairs_of(elements: Vec<Value>) -> Vec<(Value, Value)> {
    let mut pairs = Vec::with_capacity(elements.len() / 2);
    let mut it = elements.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        pairs.push((k, v));
    }
    pairs
}

/// RESP3 doubles: a decimal or exponent number, `inf`, `-inf` or `nan`.
fn is_double(text: &[u8]) -> bool {
    matches!(text, b"inf" | b"-inf" | b"nan")
        || (!text.is_empty()
            && text
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
            && std::str::from_utf8(text).is_ok_and(|s| s.parse::<f64>().is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(b: &[u8]) -> Value {
        Value::Bulk(b.to_vec())
    }

    /// Every reply shape, each with the value it parses to.
    fn samples() -> Vec<(&'static [u8], Value)> {
        vec![
            (b"+OK\r\n", Value::Simple(b"OK".to_vec())),
            (b"+\r\n", Value::Simple(Vec::new())),
            (
                b"-ERR unknown command\r\n",
                Value::Error(b"ERR unknown command".to_vec()),
            ),
            (b":0\r\n", Value::Integer(0)),
            (b":-9223372036854775808\r\n", Value::Integer(i64::MIN)),
            (b":+12\r\n", Value::Integer(12)),
            (b"$0\r\n\r\n", bulk(b"")),
            (b"$4\r\na\r\nb\r\n", bulk(b"a\r\nb")),
            (b"$-1\r\n", Value::Null),
            (b"*-1\r\n", Value::Null),
            (b"_\r\n", Value::Null),
            (b"#t\r\n", Value::Boolean(true)),
            (b"#f\r\n", Value::Boolean(false)),
            (b",1.5e3\r\n", Value::Double(b"1.5e3".to_vec())),
            (b",-inf\r\n", Value::Double(b"-inf".to_vec())),
            (
                b"(-123456789012345678901234567890\r\n",
                Value::BigNumber(b"-123456789012345678901234567890".to_vec()),
            ),
            (
                b"!9\r\nSYNTAX x\n\r\n",
                Value::Error(b"SYNTAX x\n".to_vec()),
            ),
            (b"=8\r\ntxt:a\r\nb\r\n", bulk(b"a\r\nb")),
            (b"*0\r\n", Value::Array(Vec::new())),
            (
                b"*3\r\n$1\r\na\r\n$-1\r\n:5\r\n",
                Value::Array(vec![bulk(b"a"), Value::Null, Value::Integer(5)]),
            ),
            (
                b"~2\r\n+a\r\n+b\r\n",
                Value::Array(vec![
                    Value::Simple(b"a".to_vec()),
                    Value::Simple(b"b".to_vec()),
                ]),
            ),
            (
                b"%2\r\n+k\r\n:1\r\n+j\r\n*1\r\n_\r\n",
                Value::Map(vec![
                    (Value::Simple(b"k".to_vec()), Value::Integer(1)),
                    (
                        Value::Simple(b"j".to_vec()),
                        Value::Array(vec![Value::Null]),
                    ),
                ]),
            ),
            (
                b">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n",
                Value::Push(vec![
                    Value::Simple(b"invalidate".to_vec()),
                    Value::Array(vec![bulk(b"k")]),
                ]),
            ),
            // An attribute is dropped; the value it annotates is returned.
            (b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", bulk(b"v")),
            (
                b"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n",
                Value::Array(vec![Value::Integer(1), Value::Integer(2)]),
            ),
        ]
    }

    #[test]
    fn parses_every_type() {
        for (bytes, expected) in samples() {
            let got = parse(bytes).unwrap();
            assert_eq!(
                got,
                Some((expected, bytes.len())),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn every_proper_prefix_needs_more_bytes() {
        for (bytes, _) in samples() {
            for cut in 0..bytes.len() {
                assert_eq!(
                    parse(&bytes[..cut]).unwrap(),
                    None,
                    "{:?} cut at {cut}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }

    #[test]
    fn decoder_split_at_every_byte_gives_the_same_values() {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (bytes, value) in samples() {
            stream.extend_from_slice(bytes);
            expected.push(value);
        }
        for split in 0..=stream.len() {
            let mut d = Decoder::new();
            let mut got = Vec::new();
            for part in [&stream[..split], &stream[split..]] {
                d.feed(part);
                while let Some(v) = d.decode().unwrap() {
                    got.push(v);
                }
            }
            assert_eq!(got, expected, "split at {split}");
            assert_eq!(d.buffered(), 0);
        }
        // One byte at a time.
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for b in &stream {
            d.feed(std::slice::from_ref(b));
            while let Some(v) = d.decode().unwrap() {
                got.push(v);
            }
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn refuses_malformed_replies() {
        let bad: &[&[u8]] = &[
            b"?\r\n",
            b"+a\nb\r\n",
            b"+a\rb\r\n",
            b":12a\r\n",
            b":\r\n",
            b":99999999999999999999\r\n",
            b"$-2\r\n",
            b"$x\r\n",
            b"$3\r\nabcd\r\n",
            b"$536870913\r\n",
            b"*-2\r\n",
            b"*?\r\n",
            b"$?\r\n",
            b"%-1\r\n",
            b"_x\r\n",
            b"#x\r\n",
            b",1.2.3\r\n",
            b",\r\n",
            b"(12a\r\n",
            b"=3\r\nabc\r\n",
            b"!-1\r\n",
            b"*1\r\n?\r\n",
        ];
        for bytes in bad {
            let err = parse(bytes).unwrap_err();
            assert_eq!(
                err.code(),
                "EDGECACHE_BACKEND",
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn claimed_lengths_allocate_nothing_until_the_bytes_arrive() {
        // Huge claims with few bytes are just incomplete.
        assert!(parse(b"*4294967295\r\n").is_err());
        assert_eq!(parse(b"*1073741824\r\n:1\r\n").unwrap(), None);
        assert_eq!(parse(b"%1073741824\r\n").unwrap(), None);
        assert_eq!(parse(b"$536870912\r\nabc").unwrap(), None);
        assert!(parse(b"*1073741825\r\n").is_err());
        assert!(parse(b"%9223372036854775807\r\n").is_err());
        // The decoder does not re-parse before the claimed bytes can be there.
        let mut d = Decoder::new();
        d.feed(b"$1000\r\n");
        assert_eq!(d.decode().unwrap(), None);
        assert_eq!(d.need, 1000 + 7 + 2);
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "*1\r\n".repeat(MAX_DEPTH - 1) + ":1\r\n";
        assert!(parse(ok.as_bytes()).unwrap().is_some());
        let deep = "*1\r\n".repeat(MAX_DEPTH) + ":1\r\n";
        assert!(parse(deep.as_bytes()).is_err());
        // Deeper than that is refused before the bytes run out.
        let deeper = "*1\r\n".repeat(100_000);
        assert!(parse(deeper.as_bytes()).is_err());
    }

    #[test]
    fn long_lines_are_refused_and_short_ones_wait() {
        let mut line = b"+".to_vec();
        line.extend(std::iter::repeat_n(b'a', MAX_LINE_LEN));
        assert_eq!(parse(&line).unwrap(), None);
        line.extend_from_slice(b"\r\n");
        assert!(parse(&line).unwrap().is_some());
        let mut long = b"+".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_LINE_LEN + 2));
        assert!(parse(&long).is_err());
    }

    #[test]
    fn encoded_commands_parse_back_binary_safe() {
        let all: Vec<u8> = (0..=255).collect();
        let args: Vec<&[u8]> = vec![b"SET", b"k\r\n", &all, b""];
        let mut out = Vec::new();
        encode_command(&mut out, &args);
        let (value, used) = parse(&out).unwrap().unwrap();
        assert_eq!(used, out.len());
        assert_eq!(value, Value::Array(args.iter().map(|a| bulk(a)).collect()));
    }

    #[test]
    fn integers_are_exact_to_the_ends_of_i64() {
        let cases: &[(&[u8], Option<i64>)] = &[
            (b"0", Some(0)),
            (b"+7", Some(7)),
            (b"-0", Some(0)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"9223372036854775808", None),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"-9223372036854775809", None),
            (b"9999999999999999999", None),
            (b"-9999999999999999999", None),
            (b"10000000000000000000", None),
            (b"0000000000000000001", Some(1)),
            (b"", None),
            (b"-", None),
            (b"+", None),
            (b"1-", None),
            (b" 1", None),
            (b"--1", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(
                integer(text),
                expected,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn decoder_gives_back_the_memory_of_a_large_reply() {
        let mut d = Decoder::new();
        let big = vec![7u8; 1 << 20];
        let mut bytes = Vec::new();
        encode_command(&mut bytes, &[&big]);
        d.feed(&bytes);
        assert_eq!(d.decode().unwrap(), Some(Value::Array(vec![bulk(&big)])));
        assert_eq!(d.buffered(), 0);
        assert!(d.buf.capacity() <= RETAINED_CAPACITY);
    }

    #[test]
    fn decoder_reports_errors_and_keeps_values_before_them() {
        let mut d = Decoder::new();
        d.feed(b":1\r\n@oops\r\n");
        assert_eq!(d.decode().unwrap(), Some(Value::Integer(1)));
        assert!(d.decode().is_err());
    }
}
