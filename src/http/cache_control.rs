//! Cache directives: parsing `Cache-Control` (RFC 9111 §5.2) and targeted
//! fields such as `CDN-Cache-Control` (RFC 9213), and reading them into one
//! typed [`CacheControl`].
//!
//! ```text
//! Cache-Control   = #cache-directive
//! cache-directive = token [ "=" ( token / quoted-string ) ]
//! ```
//!
//! The rules this module applies, with the RFC's words:
//!
//! - Names: "Cache directives are identified by a token, to be compared
//!   case-insensitively" (§5.2). Arguments: "recipients ought to accept both
//!   forms" (token and quoted-string), so `max-age="5"` is 5.
//! - Unknown directives: "A cache MUST ignore unrecognized cache directives"
//!   (§5.2.3). A list member that is not `token [= value]` is ignored the same
//!   way.
//! - Duplicates and invalid values (§4.2.1): "When there is more than one
//!   value present for a given directive (e.g., two Expires header field lines
//!   or multiple Cache-Control: max-age directives), either the first occurrence
//!   should be used or the response should be considered stale. ... Caches are
//!   encouraged to consider responses that have invalid freshness information
//!   (e.g., a max-age directive with non-integer content) to be stale." Here a
//!   repeated delta-seconds directive with *different* values, or one whose
//!   value is not `1*DIGIT`, is [`Delta::Invalid`]: the policy reads an invalid
//!   `max-age`/`s-maxage` as 0 (stale), an invalid request `max-age` as 0, an
//!   invalid `min-fresh` as "never fresh enough", and an invalid *permission*
//!   (`max-stale`, `stale-while-revalidate`, `stale-if-error`) as no
//!   permission. Repeats with the same value are harmless.
//! - Conflicts: "If directives conflict (e.g., both max-age and no-cache are
//!   present), the most restrictive directive should be honored" — `no-store`
//!   and `no-cache` always win over freshness (see `policy`).
//! - Overflow (§1.2.2): "If a cache receives a delta-seconds value greater than
//!   the greatest integer it can represent ... the cache MUST consider the value
//!   to be 2147483648 (2^31)". Values are clamped to [`MAX_DELTA_SECONDS`].
//! - Arguments on directives that take none (§5.2: "no argument is defined
//!   (nor allowed)"): restrictive directives (`no-store`, `must-revalidate`,
//!   `proxy-revalidate`, `only-if-cached`) still count; permissive ones
//!   (`public`, `must-understand`) are ignored, so a malformed permission never
//!   widens caching. `immutable` counts (RFC 8246 §2: "if any arguments are
//!   present they have no meaning").
//! - `no-cache` and `private` take an optional list of field names (§5.2.2.4,
//!   §5.2.2.7). A list that does not parse as field names is read as the
//!   unqualified (stricter) directive.
//!
//! Targeted fields are Structured Field dictionaries (RFC 9213 §2.1, RFC 8941
//! §3.2) and are parsed as such by [`parse_targeted`], never by the
//! `Cache-Control` parser: "If a targeted field in a given response is empty,
//! or a parsing error is encountered, that field MUST be ignored by the
//! cache". **Decision:** so is a field whose known directive has the wrong
//! member type (`max-age="60"`, `max-age=1.5`, `no-store=1`): the
//! `Cache-Control` field then applies.

use super::headers::{is_token, split_list};

/// RFC 9111 §1.2.2: the value a too-large delta-seconds is taken to be.
pub const MAX_DELTA_SECONDS: u64 = 2_147_483_648;

/// One directive as written: a lowercased name and its argument.
///
/// ```
/// use edgecache::http::cache_control::{parse_directives, Directive};
/// let d = parse_directives(r#"Max-Age="60", no-cache"#);
/// assert_eq!(d[0], Directive { name: "max-age".into(), value: Some("60".into()), malformed: false });
/// assert_eq!(d[1].value, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The directive name, lowercased.
    pub name: String,
    /// The argument (unquoted), if any.
    pub value: Option<String>,
    /// True when the argument is not a valid token or quoted-string (an
    /// unterminated quote, a space inside a token, an empty argument).
    pub malformed: bool,
}

/// A delta-seconds argument (RFC 9111 §1.2.2) after duplicate and validity
/// checks.
///
/// ```
/// use edgecache::http::cache_control::{CacheControl, Delta};
/// assert_eq!(CacheControl::parse("max-age=60").max_age, Some(Delta::Seconds(60)));
/// assert_eq!(CacheControl::parse("max-age=6.5").max_age, Some(Delta::Invalid));
/// assert_eq!(CacheControl::parse("max-age=1, max-age=2").max_age, Some(Delta::Invalid));
/// assert_eq!(CacheControl::parse("max-age=99999999999").max_age, Some(Delta::Seconds(2_147_483_648)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delta {
    /// A valid number of seconds (clamped to [`MAX_DELTA_SECONDS`]).
    Seconds(u64),
    /// Missing, not `1*DIGIT`, or repeated with different values.
    Invalid,
}

impl Delta {
    /// The seconds if valid.
    ///
    /// ```
    /// use edgecache::http::cache_control::Delta;
    /// assert_eq!(Delta::Seconds(5).seconds(), Some(5));
    /// assert_eq!(Delta::Invalid.seconds(), None);
    /// ```
    pub fn seconds(self) -> Option<u64> {
        match self {
            Delta::Seconds(s) => Some(s),
            Delta::Invalid => None,
        }
    }

    /// Milliseconds, reading [`Delta::Invalid`] as `invalid_secs`.
    ///
    /// ```
    /// use edgecache::http::cache_control::Delta;
    /// assert_eq!(Delta::Seconds(2).millis_or(0), 2_000);
    /// assert_eq!(Delta::Invalid.millis_or(0), 0);
    /// ```
    pub fn millis_or(self, invalid_secs: u64) -> u64 {
        self.seconds().unwrap_or(invalid_secs).saturating_mul(1000)
    }

    fn from_directive(d: &Directive) -> Delta {
        match &d.value {
            Some(v) if !d.malformed => {
                parse_delta_seconds(v).map_or(Delta::Invalid, Delta::Seconds)
            }
            _ => Delta::Invalid,
        }
    }
}

/// The request `max-stale` directive (RFC 9111 §5.2.1.2).
///
/// ```
/// use edgecache::http::cache_control::{CacheControl, MaxStale};
/// assert_eq!(CacheControl::parse("max-stale").max_stale, Some(MaxStale::Any));
/// assert_eq!(CacheControl::parse("max-stale=30").max_stale, Some(MaxStale::Seconds(30)));
/// assert_eq!(CacheControl::parse("max-stale=soon").max_stale, Some(MaxStale::Invalid));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxStale {
    /// No value: "the client will accept a stale response of any age".
    Any,
    /// Stale by no more than this many seconds.
    Seconds(u64),
    /// Unparsable or contradictory: grants nothing.
    Invalid,
}

/// The argument of `no-cache` or `private`: the whole response, or only some
/// header fields.
///
/// ```
/// use edgecache::http::cache_control::{CacheControl, FieldScope};
/// assert_eq!(CacheControl::parse("private").private, Some(FieldScope::Whole));
/// assert_eq!(
///     CacheControl::parse(r#"private="Set-Cookie, X-User""#).private,
///     Some(FieldScope::Fields(vec!["set-cookie".into(), "x-user".into()]))
/// );
/// // Not a list of field names: read as the stricter, unqualified form.
/// assert_eq!(CacheControl::parse(r#"private="a b""#).private, Some(FieldScope::Whole));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldScope {
    /// Unqualified: the directive applies to the whole response.
    Whole,
    /// Qualified: only these header fields (lowercased).
    Fields(Vec<String>),
}

/// The cache directives of one message, typed.
///
/// ```
/// use edgecache::http::cache_control::{CacheControl, Delta};
/// let cc = CacheControl::parse("public, max-age=300, stale-while-revalidate=60");
/// assert!(cc.public);
/// assert_eq!(cc.max_age, Some(Delta::Seconds(300)));
/// assert_eq!(cc.stale_while_revalidate, Some(Delta::Seconds(60)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheControl {
    /// `max-age` (request §5.2.1.1, response §5.2.2.1).
    pub max_age: Option<Delta>,
    /// `s-maxage` (response, §5.2.2.10).
    pub s_maxage: Option<Delta>,
    /// `max-stale` (request, §5.2.1.2).
    pub max_stale: Option<MaxStale>,
    /// `min-fresh` (request, §5.2.1.3).
    pub min_fresh: Option<Delta>,
    /// `stale-while-revalidate` (response, RFC 5861 §3).
    pub stale_while_revalidate: Option<Delta>,
    /// `stale-if-error` (request or response, RFC 5861 §4).
    pub stale_if_error: Option<Delta>,
    /// `no-cache` (request §5.2.1.4, response §5.2.2.4).
    pub no_cache: Option<FieldScope>,
    /// `private` (response, §5.2.2.7).
    pub private: Option<FieldScope>,
    /// `no-store` (§5.2.1.5, §5.2.2.5).
    pub no_store: bool,
    /// `public` (§5.2.2.9).
    pub public: bool,
    /// `must-revalidate` (§5.2.2.2).
    pub must_revalidate: bool,
    /// `proxy-revalidate` (§5.2.2.8).
    pub proxy_revalidate: bool,
    /// `must-understand` (§5.2.2.3).
    pub must_understand: bool,
    /// `immutable` (RFC 8246).
    pub immutable: bool,
    /// `only-if-cached` (request, §5.2.1.7).
    pub only_if_cached: bool,
    /// `no-transform` (§5.2.1.6, §5.2.2.6).
    pub no_transform: bool,
}

impl CacheControl {
    /// Parses a `Cache-Control` field value (all lines combined with `", "`).
    /// Never fails: garbage is ignored member by member.
    ///
    /// ```
    /// use edgecache::http::cache_control::CacheControl;
    /// let cc = CacheControl::parse(r#"NO-STORE, =oops, "x", max-age=1"#);
    /// assert!(cc.no_store);
    /// ```
    pub fn parse(field_value: &str) -> CacheControl {
        CacheControl::from_directives(&parse_directives(field_value))
    }

    /// Parses a message's `Cache-Control` field lines, each on its own, and
    /// merges their directives as one list would be.
    ///
    /// **Decision:** not the lines joined with commas (RFC 9110 §5.3 makes
    /// that equivalent only for well-formed values): a quote left open in
    /// one line must not pair with a quote in another and swallow the
    /// directives between them, such as a later line's `no-cache`.
    ///
    /// ```
    /// use edgecache::http::cache_control::CacheControl;
    /// let lines = ["max-age=60, x=\"a\" b\"", "no-cache, private=\"Age\""];
    /// assert!(CacheControl::parse_lines(lines).no_cache.is_some());
    /// ```
    pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> CacheControl {
        let directives: Vec<Directive> = lines.into_iter().flat_map(parse_directives).collect();
        CacheControl::from_directives(&directives)
    }

    /// Reads parsed directives, merging duplicates as the module docs
    /// describe.
    ///
    /// ```
    /// use edgecache::http::cache_control::{parse_directives, CacheControl, Delta};
    /// let cc = CacheControl::from_directives(&parse_directives("s-maxage=10, s-maxage=10"));
    /// assert_eq!(cc.s_maxage, Some(Delta::Seconds(10)));
    /// ```
    pub fn from_directives(directives: &[Directive]) -> CacheControl {
        let mut cc = CacheControl::default();
        for d in directives {
            match d.name.as_str() {
                "max-age" => merge_delta(&mut cc.max_age, d),
                "s-maxage" => merge_delta(&mut cc.s_maxage, d),
                "min-fresh" => merge_delta(&mut cc.min_fresh, d),
                "stale-while-revalidate" => merge_delta(&mut cc.stale_while_revalidate, d),
                "stale-if-error" => merge_delta(&mut cc.stale_if_error, d),
                "max-stale" => {
                    let new = match &d.value {
                        None => MaxStale::Any,
                        Some(_) => match Delta::from_directive(d) {
                            Delta::Seconds(s) => MaxStale::Seconds(s),
                            Delta::Invalid => MaxStale::Invalid,
                        },
                    };
                    cc.max_stale = Some(match cc.max_stale {
                        Some(old) if old != new => MaxStale::Invalid,
                        _ => new,
                    });
                }
                "no-cache" => merge_scope(&mut cc.no_cache, d),
                "private" => merge_scope(&mut cc.private, d),
                // Restrictive: present whatever the argument.
                "no-store" => cc.no_store = true,
                "must-revalidate" => cc.must_revalidate = true,
                "proxy-revalidate" => cc.proxy_revalidate = true,
                "only-if-cached" => cc.only_if_cached = true,
                "no-transform" => cc.no_transform = true,
                "immutable" => cc.immutable = true,
                // Permissive: an argument (none is allowed) makes them void.
                "public" => cc.public |= d.value.is_none(),
                "must-understand" => cc.must_understand |= d.value.is_none(),
                _ => {}
            }
        }
        cc
    }
}

fn merge_delta(slot: &mut Option<Delta>, d: &Directive) {
    let new = Delta::from_directive(d);
    *slot = Some(match *slot {
        Some(old) if old != new => Delta::Invalid,
        _ => new,
    });
}

fn merge_scope(slot: &mut Option<FieldScope>, d: &Directive) {
    let new = match &d.value {
        None => FieldScope::Whole,
        Some(_) if d.malformed => FieldScope::Whole,
        Some(list) => {
            let names = split_list(list);
            if names.is_empty() || !names.iter().all(|n| is_token(n)) {
                FieldScope::Whole
            } else {
                FieldScope::Fields(names.iter().map(|n| n.to_ascii_lowercase()).collect())
            }
        }
    };
    *slot = Some(match (slot.take(), new) {
        (Some(FieldScope::Fields(mut old)), FieldScope::Fields(more)) => {
            for name in more {
                if !old.contains(&name) {
                    old.push(name);
                }
            }
            FieldScope::Fields(old)
        }
        (Some(FieldScope::Whole), _) | (_, FieldScope::Whole) => FieldScope::Whole,
        (None, fields) => fields,
    });
}

/// `delta-seconds = 1*DIGIT`, clamped to [`MAX_DELTA_SECONDS`].
///
/// RFC 9111 §1.2.2: "If a cache receives a delta-seconds value greater than
/// the greatest integer it can represent, or if any of its subsequent
/// calculations overflows, the cache MUST consider the value to be 2147483648
/// (2^31) or the greatest positive integer it can conveniently represent."
/// **Decision:** any all-digit value above 2^31, of any length (leading zeros
/// included), is 2^31; anything that is not `1*DIGIT` (a sign, a decimal
/// point, an exponent) stays invalid. The result is at most 2^31, so every
/// later `seconds * 1000` (at most 2,147,483,648,000 ms) fits in a `u64` and
/// exactly in a JavaScript number; the policy's sums saturate besides.
///
/// In a targeted field the value is an sf-integer first, and RFC 8941 §4.2.4
/// caps those at 15 digits ("If type is integer and input_number contains more
/// than 15 characters, fail parsing"): such a field does not parse and is
/// ignored whole (see [`parse_targeted`]); 11 to 15 digits are clamped here.
///
/// ```
/// use edgecache::http::cache_control::parse_delta_seconds;
/// assert_eq!(parse_delta_seconds("0"), Some(0));
/// assert_eq!(parse_delta_seconds("-1"), None);
/// assert_eq!(parse_delta_seconds("1e3"), None);
/// assert_eq!(parse_delta_seconds("99999999999999999999999"), Some(2_147_483_648));
/// ```
pub fn parse_delta_seconds(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: u64 = 0;
    for b in s.bytes() {
        value = value
            .saturating_mul(10)
            .saturating_add(u64::from(b - b'0'))
            .min(MAX_DELTA_SECONDS);
    }
    Some(value)
}

/// Parses a `Cache-Control` field value into directives, in order.
///
/// Members are split at commas outside quoted strings; each is
/// `token [ "=" ( token / quoted-string ) ]` (whitespace around `=` is
/// tolerated). A member whose name is not a token is dropped; a member whose
/// argument is not a token or a complete quoted-string is kept with
/// `malformed: true`.
///
/// ```
/// use edgecache::http::cache_control::parse_directives;
/// let d = parse_directives(r#"no-cache="a, b", max-age=5 6, x="unterminated"#);
/// assert_eq!(d[0].value.as_deref(), Some("a, b"));
/// assert!(d[1].malformed && d[2].malformed);
/// ```
pub fn parse_directives(field_value: &str) -> Vec<Directive> {
    split_list(field_value)
        .into_iter()
        .filter_map(parse_member)
        .collect()
}

fn parse_member(member: &str) -> Option<Directive> {
    let (name, value) = match member.split_once('=') {
        Some((name, value)) => (
            name.trim_end_matches([' ', '\t']),
            Some(value.trim_start_matches([' ', '\t'])),
        ),
        None => (member, None),
    };
    if !is_token(name) {
        return None;
    }
    let (value, malformed) = match value {
        None => (None, false),
        Some(v) if v.starts_with('"') => match unquote(v) {
            Some(inner) => (Some(inner), false),
            None => (Some(v.to_owned()), true),
        },
        Some(v) => (Some(v.to_owned()), !is_token(v)),
    };
    Some(Directive {
        name: name.to_ascii_lowercase(),
        value,
        malformed,
    })
}

/// A complete quoted-string (RFC 9110 §5.6.4) and nothing after it, with
/// quoted-pairs resolved.
fn unquote(s: &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().is_empty().then_some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

/// Parses a targeted field (RFC 9213) as a Structured Field Dictionary (RFC
/// 8941 §4.2.2) and maps its members to directives (RFC 9213 §2.1).
///
/// RFC 9213 §2.2: "If a targeted field in a given response is empty, or a
/// parsing error is encountered, that field MUST be ignored by the cache
/// (i.e., it behaves as if the field were not present, likely falling back to
/// other cache-control mechanisms present)." Returns `None` then.
///
/// RFC 9213 §2.1 infers each directive's type from its definition: "the
/// max-age directive ... has an integer value; no-store ... always has a
/// Boolean true value, and no-cache ... has a value that can either be a
/// Boolean true or a string containing a comma-delimited list of field
/// names", and implementations "SHOULD NOT consume values that violate these
/// inferred constraints". **Decision:** a known directive whose member has
/// the wrong type makes the whole field ignored, like a parsing error, so the
/// response falls back to `Cache-Control` (where `no-store` still wins)
/// rather than being cached under a field that means something else to every
/// other cache. The types (`member_fits`):
///
/// - `max-age`, `s-maxage`, `stale-while-revalidate`, `stale-if-error`: a
///   non-negative sf-integer (delta-seconds);
/// - `no-cache`, `private`: a Boolean or an sf-string (field names);
/// - `no-store`, `no-transform`, `must-revalidate`, `proxy-revalidate`,
///   `must-understand`, `public`, `immutable`, `only-if-cached`: a Boolean;
/// - anything else: any type (unknown directives are ignored, RFC 9111
///   §5.2.3).
///
/// Then: Boolean true → no argument, Integer/Token → token argument, String
/// → quoted argument; any other type (only possible on an unknown key) is
/// kept as `malformed`. A member set to Boolean false is dropped. Parameters
/// are ignored ("Parameters received on directives are to be ignored"). A
/// repeated key keeps its last value (RFC 8941 §4.2.2: "overwrite any
/// existing value"), and only that value's type counts.
///
/// Hand-written, not the `sfv` crate: we need the dictionary grammar and the
/// member types only, `sfv` 0.16 needs Rust 1.95 (this crate: 1.85) and adds
/// `base64`, `ref-cast` and `indexmap`, and it parses RFC 9651 (Dates, Display
/// Strings), which RFC 9213's RFC 8941 grammar does not have.
///
/// ```
/// use edgecache::http::cache_control::parse_targeted;
/// let d = parse_targeted(r#"max-age=600, stale-if-error=60, no-cache="set-cookie""#).unwrap();
/// assert_eq!(d.len(), 3);
/// assert_eq!(d[2].value.as_deref(), Some("set-cookie"));
/// // Not a valid dictionary: uppercase key, a trailing comma, empty.
/// assert!(parse_targeted("Max-Age=600").is_none());
/// assert!(parse_targeted("max-age=600,").is_none());
/// assert!(parse_targeted("").is_none());
/// // A valid dictionary, but max-age is a String, not an Integer.
/// assert!(parse_targeted(r#"max-age="600""#).is_none());
/// ```
pub fn parse_targeted(field_value: &str) -> Option<Vec<Directive>> {
    let mut p = SfParser {
        s: field_value.as_bytes(),
        i: 0,
    };
    p.skip_sp();
    if p.at_end() {
        return None;
    }
    let mut members: Vec<(String, SfValue)> = Vec::new();
    loop {
        let key = p.key()?;
        let value = if p.eat(b'=') {
            p.member_value()?
        } else {
            p.parameters()?;
            SfValue::Bool(true)
        };
        // A repeated key overwrites the earlier member.
        members.retain(|(k, _)| *k != key);
        members.push((key, value));
        p.skip_ows();
        if p.at_end() {
            break;
        }
        if !p.eat(b',') {
            return None;
        }
        p.skip_ows();
        if p.at_end() {
            return None; // trailing comma
        }
    }
    if !members.iter().all(|(key, value)| member_fits(key, value)) {
        return None;
    }
    Some(
        members
            .into_iter()
            .filter_map(|(name, value)| {
                let (value, malformed) = match value {
                    SfValue::Bool(false) => return None,
                    SfValue::Bool(true) => (None, false),
                    SfValue::Integer(v) | SfValue::Token(v) | SfValue::String(v) => {
                        (Some(v), false)
                    }
                    SfValue::Other(v) => (Some(v), true),
                };
                Some(Directive {
                    name,
                    value,
                    malformed,
                })
            })
            .collect(),
    )
}

/// Whether a targeted field's member has the type RFC 9213 §2.1 infers for
/// its directive (see [`parse_targeted`]).
fn member_fits(key: &str, value: &SfValue) -> bool {
    match key {
        // delta-seconds = 1*DIGIT: an sf-integer, and not a negative one.
        "max-age" | "s-maxage" | "stale-while-revalidate" | "stale-if-error" => {
            matches!(value, SfValue::Integer(_))
        }
        // "a Boolean true or a string containing a comma-delimited list of
        // field names"
        "no-cache" | "private" => matches!(value, SfValue::Bool(_) | SfValue::String(_)),
        // "always has a Boolean true value"; `?0` is a Boolean too (the
        // member is then absent).
        "no-store" | "no-transform" | "must-revalidate" | "proxy-revalidate"
        | "must-understand" | "public" | "immutable" | "only-if-cached" => {
            matches!(value, SfValue::Bool(_))
        }
        _ => true,
    }
}

enum SfValue {
    Bool(bool),
    /// A non-negative Integer, as written.
    Integer(String),
    Token(String),
    String(String),
    /// A negative Integer, a Decimal, a Byte Sequence or an Inner List, as
    /// written.
    Other(String),
}

struct SfParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl SfParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into_owned()
    }
    /// `key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`
    fn key(&mut self) -> Option<String> {
        if !matches!(self.peek(), Some(b'a'..=b'z' | b'*')) {
            return None;
        }
        Some(
            self.take_while(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')),
        )
    }
    fn parameters(&mut self) -> Option<()> {
        while self.eat(b';') {
            self.skip_sp();
            self.key()?;
            if self.eat(b'=') {
                self.bare_item()?;
            }
        }
        Some(())
    }
    fn member_value(&mut self) -> Option<SfValue> {
        if self.peek() == Some(b'(') {
            let start = self.i;
            self.bump();
            loop {
                self.skip_sp();
                if self.eat(b')') {
                    break;
                }
                self.bare_item()?;
                self.parameters()?;
                if !matches!(self.peek(), Some(b' ' | b')')) {
                    return None;
                }
            }
            self.parameters()?;
            let text = String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default());
            return Some(SfValue::Other(text.into_owned()));
        }
        let item = self.bare_item()?;
        self.parameters()?;
        Some(item)
    }
    fn bare_item(&mut self) -> Option<SfValue> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string(),
            b'?' => {
                self.bump();
                match self.bump()? {
                    b'1' => Some(SfValue::Bool(true)),
                    b'0' => Some(SfValue::Bool(false)),
                    _ => None,
                }
            }
            b':' => {
                let start = self.i;
                self.bump();
                self.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
                if !self.eat(b':') {
                    return None;
                }
                let text = String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default());
                Some(SfValue::Other(text.into_owned()))
            }
            b if b.is_ascii_alphabetic() || b == b'*' => {
                Some(SfValue::Token(self.take_while(|b| {
                    super::headers::is_tchar(b) || b == b':' || b == b'/'
                })))
            }
            _ => None,
        }
    }
    /// RFC 8941 §4.2.4: at most 15 integer digits; decimals have at most 12
    /// integer and 1-3 fractional digits.
    fn number(&mut self) -> Option<SfValue> {
        let negative = self.eat(b'-');
        let int = self.take_while(|b| b.is_ascii_digit());
        if int.is_empty() {
            return None;
        }
        if self.eat(b'.') {
            let frac = self.take_while(|b| b.is_ascii_digit());
            if int.len() > 12 || frac.is_empty() || frac.len() > 3 {
                return None;
            }
            let sign = if negative { "-" } else { "" };
            return Some(SfValue::Other(format!("{sign}{int}.{frac}")));
        }
        if int.len() > 15 {
            return None;
        }
        Some(if negative {
            SfValue::Other(format!("-{int}"))
        } else {
            SfValue::Integer(int)
        })
    }
    /// `sf-string = DQUOTE *chr DQUOTE`, printable ASCII, `\"` and `\\` only.
    fn string(&mut self) -> Option<SfValue> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump()? {
                b'"' => return Some(SfValue::String(out)),
                b'\\' => match self.bump()? {
                    c @ (b'"' | b'\\') => out.push(char::from(c)),
                    _ => return None,
                },
                c @ 0x20..=0x7E => out.push(char::from(c)),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_unknowns_ignored() {
        let cc = CacheControl::parse("Public, MAX-AGE=10, x-custom=\"y\", community=\"UCI\"");
        assert!(cc.public);
        assert_eq!(cc.max_age, Some(Delta::Seconds(10)));
    }

    #[test]
    fn quoted_pairs_and_commas_inside_quotes() {
        let d = parse_directives(r#"no-cache="a,\"b", private"#);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].value.as_deref(), Some("a,\"b"));
        // `"b` is not a field name, so the scope widens to the whole response.
        assert_eq!(
            CacheControl::from_directives(&d).no_cache,
            Some(FieldScope::Whole)
        );
    }

    #[test]
    fn field_scopes_merge_and_whole_wins() {
        let cc = CacheControl::parse(r#"private="a", private="B, a""#);
        assert_eq!(
            cc.private,
            Some(FieldScope::Fields(vec!["a".into(), "b".into()]))
        );
        let cc = CacheControl::parse(r#"no-cache="a", no-cache"#);
        assert_eq!(cc.no_cache, Some(FieldScope::Whole));
    }

    #[test]
    fn duplicates_with_equal_values_are_fine_different_are_invalid() {
        assert_eq!(
            CacheControl::parse("max-age=5, max-age=\"5\"").max_age,
            Some(Delta::Seconds(5))
        );
        assert_eq!(
            CacheControl::parse("max-age=5, max-age=6").max_age,
            Some(Delta::Invalid)
        );
        assert_eq!(
            CacheControl::parse("max-stale, max-stale=5").max_stale,
            Some(MaxStale::Invalid)
        );
        assert_eq!(CacheControl::parse("max-age").max_age, Some(Delta::Invalid));
        assert_eq!(
            CacheControl::parse("max-age=").max_age,
            Some(Delta::Invalid)
        );
    }

    #[test]
    fn permissive_directives_with_arguments_are_void() {
        let cc = CacheControl::parse("public=yes, must-understand=1, no-store=x, immutable=1");
        assert!(!cc.public && !cc.must_understand);
        assert!(cc.no_store && cc.immutable);
    }

    #[test]
    fn targeted_fields_follow_structured_field_rules() {
        let d = parse_targeted("max-age=60;foo=1, no-store=?0, private").unwrap();
        let cc = CacheControl::from_directives(&d);
        assert_eq!(cc.max_age, Some(Delta::Seconds(60)));
        assert!(!cc.no_store);
        assert_eq!(cc.private, Some(FieldScope::Whole));
        // A Decimal s-maxage: the whole field is ignored (RFC 9213 §2.1).
        assert!(parse_targeted("max-age=60, s-maxage=1.5").is_none());
        // Last value wins for a repeated key.
        let cc = CacheControl::from_directives(&parse_targeted("max-age=1, max-age=2").unwrap());
        assert_eq!(cc.max_age, Some(Delta::Seconds(2)));
        for bad in [
            "max-age=\"unterminated",
            "max-age=1 2",
            "max-age=(1",
            "1x=2",
            " ",
            "a=?2",
            "a=\"\u{e9}\"",
        ] {
            assert!(parse_targeted(bad).is_none(), "{bad:?}");
        }
        assert!(parse_targeted("a=(1 2);q=1, b=:YWJj:, c=-5").is_some());
    }

    /// RFC 9213 §2.1/§2.2 and RFC 8941 §4.2.2: a targeted field is a strict
    /// sf-dictionary whose known directives have their inferred types; any
    /// other value is ignored as a whole.
    #[test]
    fn rfc9213_2_1_targeted_field_is_a_typed_sf_dictionary() {
        /// The directives read, as (name, argument); `None`: field ignored.
        type Read = Option<&'static [(&'static str, Option<&'static str>)]>;
        let rows: &[(&str, Read)] = &[
            // Valid dictionaries.
            ("max-age=60", Some(&[("max-age", Some("60"))])),
            (
                "max-age=60, no-store",
                Some(&[("max-age", Some("60")), ("no-store", None)]),
            ),
            ("max-age=60;foo=1", Some(&[("max-age", Some("60"))])),
            ("max-age=60;foo=1;bar", Some(&[("max-age", Some("60"))])),
            ("max-age=60; foo=\"x\"", Some(&[("max-age", Some("60"))])),
            ("no-store;a=1", Some(&[("no-store", None)])),
            (
                "max-age=60,no-store",
                Some(&[("max-age", Some("60")), ("no-store", None)]),
            ),
            (
                "max-age=60 ,\t no-store",
                Some(&[("max-age", Some("60")), ("no-store", None)]),
            ),
            ("  max-age=60  ", Some(&[("max-age", Some("60"))])),
            ("max-age=0", Some(&[("max-age", Some("0"))])),
            ("no-store=?1", Some(&[("no-store", None)])),
            ("no-store=?0, max-age=5", Some(&[("max-age", Some("5"))])),
            ("private=?1", Some(&[("private", None)])),
            (
                "no-cache=\"set-cookie, x-a\"",
                Some(&[("no-cache", Some("set-cookie, x-a"))]),
            ),
            (
                "stale-while-revalidate=30",
                Some(&[("stale-while-revalidate", Some("30"))]),
            ),
            (
                "stale-if-error=300",
                Some(&[("stale-if-error", Some("300"))]),
            ),
            (
                "public, immutable",
                Some(&[("public", None), ("immutable", None)]),
            ),
            // Duplicate keys are valid: the last one wins, its type counts.
            ("max-age=60, max-age=120", Some(&[("max-age", Some("120"))])),
            (
                "max-age=\"x\", max-age=60",
                Some(&[("max-age", Some("60"))]),
            ),
            ("no-store, no-store=?0", Some(&[])),
            // Unknown directives may have any type.
            (
                "x-ext=\"a\", max-age=60",
                Some(&[("x-ext", Some("a")), ("max-age", Some("60"))]),
            ),
            ("x-ext=tok", Some(&[("x-ext", Some("tok"))])),
            ("x-ext=1.5", Some(&[("x-ext", Some("1.5"))])),
            ("none", Some(&[("none", None)])),
            // Wrong member type for a known directive: ignored as a whole.
            ("max-age=\"10000\"", None),
            ("max-age=1.5", None),
            ("max-age=ten", None),
            ("max-age=-1", None),
            ("max-age", None),
            ("max-age=?1", None),
            ("max-age=(60)", None),
            ("max-age=:AAAA:", None),
            ("s-maxage=\"60\", no-store", None),
            ("stale-if-error=1.0", None),
            ("max-age=60, max-age=\"x\"", None),
            ("no-store=1", None),
            ("no-store=\"yes\"", None),
            ("public=yes", None),
            ("private=set-cookie", None),
            ("no-cache=1", None),
            ("no-cache=(\"a\")", None),
            // Not a dictionary at all: ignored as a whole.
            ("max-age=60,", None),
            ("max-age=60, ", None),
            (",max-age=60", None),
            ("max-age=60,,no-store", None),
            ("Max-Age=60", None),
            ("max-age=60, No-Store", None),
            ("max-age = 60", None),
            ("max-age=60 ;foo=1", None),
            ("max-age=60;Foo=1", None),
            ("max-age=60 no-store", None),
            ("\tmax-age=60", None),
            ("", None),
            ("   ", None),
        ];
        for (value, want) in rows {
            let got = parse_targeted(value).map(|d| {
                d.iter()
                    .map(|d| (d.name.clone(), d.value.clone()))
                    .collect::<Vec<_>>()
            });
            let want = want.map(|w| {
                w.iter()
                    .map(|(n, v)| ((*n).to_owned(), v.map(str::to_owned)))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, want, "{value:?}");
        }
    }

    /// The conformance suite's case: an ignored targeted field leaves
    /// `Cache-Control` in charge, so its `no-store` wins.
    #[test]
    fn rfc9213_2_2_an_ignored_targeted_field_falls_back_to_cache_control() {
        use crate::http::{NotStorable, Policy, Request, Response};
        let policy = Policy::default();
        let request = Request::get("https://example.com/");
        // (Cache-Control, CDN-Cache-Control, storable, lifetime in s if stored)
        let rows: &[(&str, &str, Result<(), NotStorable>, u64)] = &[
            (
                "no-store",
                "max-age=\"10000\"",
                Err(NotStorable::NoStore),
                0,
            ),
            ("no-store", "max-age=1.5", Err(NotStorable::NoStore), 0),
            ("no-store", "max-age=10000,", Err(NotStorable::NoStore), 0),
            ("no-store", "Max-Age=10000", Err(NotStorable::NoStore), 0),
            ("no-store", "max-age=10000", Ok(()), 10_000),
            ("max-age=60", "max-age=1.5", Ok(()), 60),
            ("max-age=60", "s-maxage=\"600\"", Ok(()), 60),
            ("max-age=60", "max-age=600;foo=1", Ok(()), 600),
            ("max-age=60", "max-age=1, max-age=600", Ok(()), 600),
        ];
        for (cc, cdn, storable, lifetime) in rows {
            let response = Response::new(200)
                .header("Cache-Control", *cc)
                .header("CDN-Cache-Control", *cdn);
            assert_eq!(
                policy.storable(&request, &response, 0),
                *storable,
                "{cc} / {cdn}"
            );
            if let Ok(stored) = policy.store(&request, &response, vec![], 0, 0) {
                let got = policy.freshness(&stored, 0).lifetime_ms;
                assert_eq!(got, lifetime * 1000, "{cc} / {cdn}");
            }
        }
    }

    /// RFC 9111 §1.2.2: a delta-seconds above 2^31 is 2^31, in every
    /// delta-seconds directive and in targeted fields alike; non-digits stay
    /// invalid.
    #[test]
    fn rfc9111_1_2_2_delta_seconds_overflow_is_two_to_the_31() {
        const MAX: Option<Delta> = Some(Delta::Seconds(MAX_DELTA_SECONDS));
        /// (max-age, s-maxage)
        type Read = (Option<Delta>, Option<Delta>);
        // (Cache-Control value, max-age, s-maxage)
        let rows: &[(&str, Option<Delta>, Option<Delta>)] = &[
            (
                "max-age=2147483647",
                Some(Delta::Seconds(2_147_483_647)),
                None,
            ),
            ("max-age=2147483648", MAX, None),
            ("max-age=2147483649", MAX, None),
            ("max-age=99999999999", MAX, None),
            ("max-age=\"99999999999\"", MAX, None),
            (
                "max-age=99999999999999999999999999999999999999999",
                MAX,
                None,
            ),
            (
                "max-age=0000000000000000000000000000060",
                Some(Delta::Seconds(60)),
                None,
            ),
            ("s-maxage=2147483648", None, MAX),
            ("s-maxage=2147483649", None, MAX),
            ("s-maxage=99999999999", None, MAX),
            ("max-age=99999999999, s-maxage=2147483649", MAX, MAX),
            // Both clamp to 2^31: the same value, not a conflict (§4.2.1).
            ("max-age=2147483649, max-age=99999999999", MAX, None),
            // Still not delta-seconds.
            ("max-age=-2147483649", Some(Delta::Invalid), None),
            ("max-age=+2147483649", Some(Delta::Invalid), None),
            ("max-age=2147483649.0", Some(Delta::Invalid), None),
            ("max-age=1e10", Some(Delta::Invalid), None),
            ("max-age=99999999999x", Some(Delta::Invalid), None),
            ("s-maxage=\"99999999999 \"", None, Some(Delta::Invalid)),
        ];
        for (value, max_age, s_maxage) in rows {
            let cc = CacheControl::parse(value);
            assert_eq!((cc.max_age, cc.s_maxage), (*max_age, *s_maxage), "{value}");
        }
        // CDN-Cache-Control: the same clamp up to RFC 8941's 15 digits; past
        // them the dictionary does not parse and the field is ignored.
        // (targeted value, max-age, s-maxage; None: the field is ignored)
        let targeted: &[(&str, Option<Read>)] = &[
            (
                "max-age=2147483647",
                Some((Some(Delta::Seconds(2_147_483_647)), None)),
            ),
            ("max-age=2147483648", Some((MAX, None))),
            ("max-age=2147483649", Some((MAX, None))),
            ("max-age=99999999999", Some((MAX, None))),
            ("max-age=999999999999999", Some((MAX, None))),
            ("s-maxage=2147483648", Some((None, MAX))),
            ("s-maxage=2147483649", Some((None, MAX))),
            ("s-maxage=99999999999", Some((None, MAX))),
            ("max-age=9999999999999999", None),
            ("s-maxage=9999999999999999", None),
        ];
        for (value, want) in targeted {
            let got = parse_targeted(value).map(|d| {
                let cc = CacheControl::from_directives(&d);
                (cc.max_age, cc.s_maxage)
            });
            assert_eq!(got, *want, "{value}");
        }
        // Downstream: seconds to milliseconds cannot overflow.
        assert_eq!(MAX.map(|d| d.millis_or(0)), Some(2_147_483_648_000));
        assert_eq!(Delta::Seconds(u64::MAX).millis_or(0), u64::MAX);
        assert_eq!(
            Delta::Invalid.millis_or(MAX_DELTA_SECONDS),
            2_147_483_648_000
        );
    }

    /// The conformance suite's case end to end: such a response is stored,
    /// fresh for 2^31 seconds, from `Cache-Control` and `CDN-Cache-Control`.
    #[test]
    fn rfc9111_1_2_2_overflowing_max_age_is_stored_and_fresh() {
        use crate::http::{Policy, Request, Response};
        let policy = Policy::default();
        let request = Request::get("https://example.com/");
        let now = 1_700_000_000_000;
        // (field, value)
        let rows: &[(&str, &str)] = &[
            ("Cache-Control", "max-age=2147483648"),
            ("Cache-Control", "max-age=2147483649"),
            ("Cache-Control", "max-age=99999999999"),
            ("Cache-Control", "s-maxage=2147483648"),
            ("Cache-Control", "s-maxage=99999999999"),
            ("CDN-Cache-Control", "max-age=2147483649"),
            ("CDN-Cache-Control", "s-maxage=99999999999"),
        ];
        for (field, value) in rows {
            let response = Response::new(200).header(*field, *value);
            let stored = policy.store(&request, &response, vec![], now, now);
            let lifetime = stored.map(|s| policy.freshness(&s, now).lifetime_ms);
            assert_eq!(lifetime, Ok(2_147_483_648_000), "{field}: {value}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "",
            ",,,",
            "=",
            "==",
            "\"",
            "\\",
            "a=\"\\",
            "max-age=\"\\\"",
            "\u{0}\u{7f}",
            "a=(",
            "a=((",
            "a=:",
            "a=?",
            "a=-",
            "a=1.",
            "a=1.2345",
            "*",
            "*=*",
            "\u{1F600}=\u{1F600}",
        ];
        for s in samples {
            let _ = CacheControl::parse(s);
            let _ = parse_targeted(s);
        }
    }
}
