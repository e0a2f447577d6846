//! Header fields: an ordered list of field lines with case-insensitive names.
//!
//! RFC 9110 §5.1: "Field names are case-insensitive". §5.3: "A recipient MAY
//! combine multiple field lines within a field section that have the same
//! field name into one field line ... by appending each subsequent field line
//! value to the initial field line value in order, separated by a comma". So
//! [`Headers`] keeps every line as received (order and spelling preserved) and
//! offers both views: [`Headers::get_all`] line by line and
//! [`Headers::combined`] joined with `", "`.

/// An ordered multimap of header field lines, compared case-insensitively by
/// name.
///
/// Values are stored without leading or trailing whitespace (RFC 9110 §5.5:
/// field values exclude leading and trailing OWS).
///
/// ```
/// use edgecache::http::Headers;
///
/// let mut h = Headers::new().with("Vary", "Accept").with("vary", " Accept-Language ");
/// assert_eq!(h.get("VARY"), Some("Accept"));
/// assert_eq!(h.combined("vary").as_deref(), Some("Accept, Accept-Language"));
/// h.set("Age", "3");
/// assert!(h.remove("vary"));
/// assert_eq!(h.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    lines: Vec<(String, String)>,
}

fn trim_ows(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

impl Headers {
    /// An empty header list.
    ///
    /// ```
    /// assert!(edgecache::http::Headers::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder form of [`Headers::append`].
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("ETag", "\"v1\"");
    /// assert_eq!(h.get("etag"), Some("\"v1\""));
    /// ```
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl AsRef<str>) -> Self {
        self.append(name, value);
        self
    }

    /// Adds a field line after the existing ones.
    ///
    /// ```
    /// let mut h = edgecache::http::Headers::new();
    /// h.append("Set-Cookie", "a=1");
    /// h.append("Set-Cookie", "b=2");
    /// assert_eq!(h.get_all("set-cookie").count(), 2);
    /// ```
    pub fn append(&mut self, name: impl Into<String>, value: impl AsRef<str>) {
        self.lines
            .push((name.into(), trim_ows(value.as_ref()).to_owned()));
    }

    /// Replaces every line named `name` with one line.
    ///
    /// ```
    /// let mut h = edgecache::http::Headers::new().with("Age", "1").with("age", "2");
    /// h.set("AGE", "7");
    /// assert_eq!(h.get_all("age").collect::<Vec<_>>(), ["7"]);
    /// ```
    pub fn set(&mut self, name: impl Into<String>, value: impl AsRef<str>) {
        let name = name.into();
        self.remove(&name);
        self.append(name, value);
    }

    /// Removes every line named `name`; true if there was one.
    ///
    /// ```
    /// let mut h = edgecache::http::Headers::new().with("TE", "trailers");
    /// assert!(h.remove("te"));
    /// assert!(!h.remove("te"));
    /// ```
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.lines.len() != before
    }

    /// The first line's value.
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("Date", "x").with("Date", "y");
    /// assert_eq!(h.get("date"), Some("x"));
    /// assert_eq!(h.get("expires"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every line's value, in order.
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("A", "1").with("B", "2").with("a", "3");
    /// assert_eq!(h.get_all("a").collect::<Vec<_>>(), ["1", "3"]);
    /// ```
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All lines of `name` combined into one value, separated by `", "`
    /// (RFC 9110 §5.3), or `None` when the field is absent.
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("Cache-Control", "public").with("cache-control", "max-age=5");
    /// assert_eq!(h.combined("cache-control").as_deref(), Some("public, max-age=5"));
    /// ```
    pub fn combined(&self, name: &str) -> Option<String> {
        let mut values = self.get_all(name);
        let first = values.next()?;
        let mut out = first.to_owned();
        for value in values {
            out.push_str(", ");
            out.push_str(value);
        }
        Some(out)
    }

    /// True if at least one line is named `name`.
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("Authorization", "Bearer x");
    /// assert!(h.contains("authorization"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every line as `(name, value)`, in order.
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("A", "1");
    /// assert_eq!(h.iter().collect::<Vec<_>>(), [("A", "1")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of field lines.
    ///
    /// ```
    /// assert_eq!(edgecache::http::Headers::new().with("A", "1").len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when there are no field lines.
    ///
    /// ```
    /// assert!(edgecache::http::Headers::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines, for handing to JavaScript or another HTTP library.
    ///
    /// ```
    /// let h = edgecache::http::Headers::new().with("A", "1");
    /// assert_eq!(h.into_vec(), vec![("A".to_string(), "1".to_string())]);
    /// ```
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.lines
    }
}

impl From<Vec<(String, String)>> for Headers {
    /// Takes lines as given (values trimmed of surrounding whitespace).
    ///
    /// ```
    /// let h = edgecache::http::Headers::from(vec![("A".to_string(), " 1 ".to_string())]);
    /// assert_eq!(h.get("a"), Some("1"));
    /// ```
    fn from(lines: Vec<(String, String)>) -> Self {
        lines.into_iter().collect()
    }
}

impl<K: Into<String>, V: AsRef<str>> FromIterator<(K, V)> for Headers {
    /// Collects `(name, value)` pairs.
    ///
    /// ```
    /// let h: edgecache::http::Headers = [("A", "1"), ("B", "2")].into_iter().collect();
    /// assert_eq!(h.len(), 2);
    /// ```
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut headers = Headers::new();
        for (name, value) in iter {
            headers.append(name, value);
        }
        headers
    }
}

/// Fields that are never stored (RFC 9111 §3.1): the hop-by-hop fields of
/// RFC 9110 §7.6.1 and the proxy-specific fields of RFC 9111 §3.1.
///
/// RFC 9111 §3.1: "The Connection header field and fields whose names are
/// listed in it are required by Section 7.6.1 of [HTTP] to be removed before
/// forwarding the message. This MAY be implemented by doing so before
/// storage." and "Header fields that are specific to the proxy that a cache
/// uses when forwarding a request MUST NOT be stored ... Proxy-Authenticate,
/// Proxy-Authentication-Info, and Proxy-Authorization".
pub(crate) const NEVER_STORED: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
    "trailer",
    "proxy-authenticate",
    "proxy-authentication-info",
    "proxy-authorization",
];

/// The field names listed in `Connection` (RFC 9110 §7.6.1: "Connection
/// options are case-insensitive"), lowercased.
pub(crate) fn connection_options(headers: &Headers) -> Vec<String> {
    headers
        .get_all("connection")
        .flat_map(|v| v.split(','))
        .map(|o| trim_ows(o).to_ascii_lowercase())
        .filter(|o| !o.is_empty())
        .collect()
}

/// True if `name` is never stored given the message's `Connection` options.
pub(crate) fn is_never_stored(name: &str, connection: &[String]) -> bool {
    NEVER_STORED.iter().any(|n| n.eq_ignore_ascii_case(name))
        || connection.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// `headers` without the hop-by-hop and proxy-specific fields, nor the
/// fields `Connection` names (RFC 9111 §3.1, RFC 9110 §7.6.1).
pub(crate) fn without_hop_by_hop(headers: &Headers) -> Headers {
    let connection = connection_options(headers);
    headers
        .iter()
        .filter(|(name, _)| !is_never_stored(name, &connection))
        .collect()
}

/// RFC 9110 §5.6.2: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
/// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 §5.6.2: `token = 1*tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Splits a list-based field value (RFC 9110 §5.6.1) at commas outside
/// quoted strings, trims each member of OWS and drops empty members ("a
/// recipient MUST parse and ignore a reasonable number of empty list
/// elements").
///
/// A quoted string that never closes is not a quoted string: from its
/// opening quote on, the value is split at every comma. Otherwise one stray
/// `"` would swallow the rest of the field, and with it every later member —
/// including a `private` or `no-store` on a later field line, since lines are
/// combined with `", "` before parsing. (Found by the `cache_control` fuzz
/// target.) The fallback is a single linear pass, never a rescan per quote.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    // Where the open quoted string began; past it, quotes are plain text.
    let mut open_quote = None;
    let mut plain_from = usize::MAX;
    let mut i = 0;
    let bytes = value.as_bytes();
    // Only ASCII bytes are compared, so byte offsets are char boundaries.
    while let Some(&c) = bytes.get(i) {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_quotes = false;
            }
        } else if c == b'"' && i < plain_from {
            in_quotes = true;
            open_quote = Some(i);
        } else if c == b',' {
            if let Some(member) = value.get(start..i) {
                members.push(member);
            }
            start = i + 1;
        }
        i += 1;
        if i == bytes.len() && in_quotes {
            // Unterminated: go back to the opening quote, once, and split the
            // rest at every comma. Members before it are already pushed, and
            // `start` is still the start of the member holding the quote.
            let Some(q) = open_quote else { break };
            in_quotes = false;
            escaped = false;
            plain_from = q;
            i = q + 1;
        }
    }
    if let Some(member) = value.get(start..) {
        members.push(member);
    }
    members
        .into_iter()
        .map(trim_ows)
        .filter(|m| !m.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/fuzz_targets/cache_control.rs`: `%"` followed by
    /// `, private` was one member, so the `private` was never seen.
    #[test]
    fn an_unterminated_quote_does_not_swallow_later_members() {
        assert_eq!(split_list("%\", private"), ["%\"", "private"]);
        assert_eq!(split_list("a=\"x, no-store, b"), ["a=\"x", "no-store", "b"]);
        // A backslash cannot escape the comma out of the fallback either.
        assert_eq!(split_list("a=\"x\\, private"), ["a=\"x\\", "private"]);
        // The last quote is the unterminated one; the pair before it is a string.
        assert_eq!(
            split_list("a=\"x, b=\"y, c\", d"),
            ["a=\"x, b=\"y", "c\"", "d"]
        );
        // Past an unterminated quote, quotes (escaped or not) are plain text.
        assert_eq!(split_list("a=\"x\\\", b"), ["a=\"x\\\"", "b"]);
        // Terminated quoted strings still keep their commas.
        assert_eq!(split_list("a=\"x, y\", b"), ["a=\"x, y\"", "b"]);
        assert_eq!(split_list("a=\"\\\"\", b"), ["a=\"\\\"\"", "b"]);
        // Many stray quotes and escapes stay linear (one fallback pass).
        let hostile = "\"\\".repeat(50_000) + ", private";
        assert_eq!(split_list(&hostile).last(), Some(&"private"));
    }

    #[test]
    fn names_are_case_insensitive_and_lines_keep_order() {
        let h = Headers::new()
            .with("Set-Cookie", "a=1")
            .with("X", "y")
            .with("set-cookie", "b=2");
        assert_eq!(h.get_all("SET-COOKIE").collect::<Vec<_>>(), ["a=1", "b=2"]);
        assert_eq!(h.combined("set-cookie").as_deref(), Some("a=1, b=2"));
        assert_eq!(h.combined("missing"), None);
    }

    #[test]
    fn hop_by_hop_and_connection_named_fields_are_dropped() {
        let h = Headers::new()
            .with("Connection", "close, X-Secret")
            .with("x-secret", "1")
            .with("Keep-Alive", "5")
            .with("Transfer-Encoding", "chunked")
            .with("Proxy-Authenticate", "Basic")
            .with("Content-Type", "text/plain");
        let kept = without_hop_by_hop(&h);
        assert_eq!(
            kept.iter().collect::<Vec<_>>(),
            [("Content-Type", "text/plain")]
        );
    }

    #[test]
    fn list_split_respects_quotes_and_drops_empty_members() {
        assert_eq!(
            split_list(r#" a , ,b="x, \"y\"" ,, c "#),
            ["a", r#"b="x, \"y\"""#, "c"]
        );
        assert!(split_list(" , ").is_empty());
    }
}
