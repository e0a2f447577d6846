//! Cache keys: the primary key (method and target URI, RFC 9111 §2) and the
//! secondary key built from the request fields a response's `Vary` names
//! (RFC 9111 §4.1).
//!
//! RFC 9111 §2: "The cache key is the information a cache uses to choose a
//! response and is composed from, at a minimum, the request method and target
//! URI ... However, many HTTP caches in common use today only cache GET
//! responses and therefore only use the URI as the cache key." This cache
//! stores responses to GET only and answers GET and HEAD from them (RFC 9110
//! §9.3.1: "a cache MAY use it to satisfy subsequent GET and HEAD requests"),
//! so [`cache_key`] is the normalised target URI for both methods.
//!
//! RFC 9111 §4.1: "the cache MUST NOT use that stored response without
//! revalidation unless all the presented request header fields nominated by
//! that Vary field value match those fields in the original request". Two
//! requests' fields match if one can be turned into the other by
//!
//! - "adding or removing whitespace, where allowed in the header field's
//!   syntax" — here: around the commas of a list and at the ends;
//! - "combining multiple header field lines with the same field name" — lines
//!   are joined with `", "`, empty list members dropped;
//! - "normalizing both header field values in a way that is known to have
//!   identical semantics" — here: `Accept-Encoding` is lowercased (codings
//!   are case-insensitive), loses all whitespace, and drops `q=1` (the
//!   default weight) and trailing zeros of other weights; `Accept-Language`
//!   is parsed (RFC 9110 §12.5.4), its ranges lowercased, its members sorted
//!   by descending weight and written canonically (see
//!   [`normalize_accept_language`]).
//!
//! "If (after any normalization that might take place) a header field is
//! absent from a request, it can only match another request if it is also
//! absent there." — absent and empty are different keys. "A stored response
//! with a Vary header field value containing a member "*" always fails to
//! match." A `Vary` member that is not a field name is treated like `*`.
//!
//! # Storing variants
//!
//! One stored entry per variant: [`entry_key`]`(primary, variant)`. Because a
//! lookup cannot know the `Vary` of a response it has not read yet, a cache
//! that stores variants keeps, under the primary key, the canonical `Vary`
//! value ([`Vary::header_value`]) of the latest response; a lookup reads it,
//! builds the variant key from the request, and reads that entry.
//! Invalidating the primary key (dropping that record) makes every variant
//! unreachable. The stored response also keeps the original request's
//! selecting fields, and `Policy::lookup` checks them again, so a key
//! collision can cause a miss but never a wrong answer.
//!
//! # The language a response was chosen in
//!
//! **Decision:** requests whose `Accept-Language` differ but whose most
//! preferred language range is the stored response's `Content-Language` are
//! the same variant ([`Vary::selects`], [`chosen_language`]): `en-US,
//! fr;q=0.5` and `en-us;q=0.9, de;q=0.1` both get a stored `Content-Language:
//! en-US` response. An origin that honours weights answers both with the
//! language they rank first, and it had that language. Nothing looser is
//! assumed (a request's second choice never selects a stored response: the
//! origin may have its first). Such a response is stored under
//! [`variant_key_for_response`], which writes the field as
//! `accept-language@=LEN:language` (`@` is not a field-name character, so the
//! key stays injective); a lookup tries [`variant_keys`] in order: that form
//! with the request's first choice, then the plain one.

use super::headers::{is_token, split_list, Headers};
use super::uri::Url;
use crate::{Error, Result};

/// A response's `Vary`, parsed.
///
/// ```
/// use edgecache::http::{Headers, Vary};
/// let v = Vary::parse(&Headers::new().with("Vary", "Accept-Encoding, accept-language").with("Vary", "Accept-Encoding"));
/// assert_eq!(v, Vary::Fields(vec!["accept-encoding".into(), "accept-language".into()]));
/// assert_eq!(Vary::parse(&Headers::new().with("Vary", "*")), Vary::Any);
/// assert_eq!(Vary::parse(&Headers::new()), Vary::Fields(vec![]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vary {
    /// The selecting header fields: lowercased, sorted, without duplicates
    /// (empty when the response has no `Vary`).
    Fields(Vec<String>),
    /// `Vary: *` (or a member that is not a field name): never matches.
    Any,
}

impl Vary {
    /// Parses every `Vary` line of a response.
    ///
    /// ```
    /// use edgecache::http::{Headers, Vary};
    /// assert_eq!(Vary::parse(&Headers::new().with("Vary", "User Agent")), Vary::Any);
    /// ```
    pub fn parse(response_headers: &Headers) -> Vary {
        let mut fields: Vec<String> = Vec::new();
        for line in response_headers.get_all("vary") {
            for member in split_list(line) {
                if member == "*" || !is_token(member) {
                    return Vary::Any;
                }
                fields.push(member.to_ascii_lowercase());
            }
        }
        fields.sort();
        fields.dedup();
        Vary::Fields(fields)
    }

    /// True when there is no `Vary` (one variant per URL).
    ///
    /// ```
    /// use edgecache::http::Vary;
    /// assert!(Vary::Fields(vec![]).is_empty());
    /// assert!(!Vary::Any.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, Vary::Fields(f) if f.is_empty())
    }

    /// The canonical field value (`"*"` or sorted lowercase names), suitable
    /// for keeping under the primary key; [`Vary::parse`] reads it back.
    ///
    /// ```
    /// use edgecache::http::{Headers, Vary};
    /// let v = Vary::parse(&Headers::new().with("Vary", "B, a"));
    /// assert_eq!(v.header_value(), "a, b");
    /// assert_eq!(Vary::parse(&Headers::new().with("Vary", v.header_value())), v);
    /// ```
    pub fn header_value(&self) -> String {
        match self {
            Vary::Any => "*".to_owned(),
            Vary::Fields(fields) => fields.join(", "),
        }
    }

    /// True if the presented request's selecting fields match the original
    /// request's (RFC 9111 §4.1). `Vary: *` never matches.
    ///
    /// ```
    /// use edgecache::http::{Headers, Vary};
    /// let vary = Vary::Fields(vec!["accept-encoding".into()]);
    /// let original = Headers::new().with("Accept-Encoding", "gzip,br");
    /// assert!(vary.matches(&original, &Headers::new().with("accept-encoding", "gzip, br")));
    /// assert!(!vary.matches(&original, &Headers::new()));
    /// ```
    pub fn matches(&self, original: &Headers, presented: &Headers) -> bool {
        match self {
            Vary::Any => false,
            Vary::Fields(fields) => fields
                .iter()
                .all(|f| normalized_value(f, original) == normalized_value(f, presented)),
        }
    }

    /// Whether a stored response (its header fields `response`, stored for
    /// a request with fields `original`) may answer a request with fields
    /// `presented`: [`matches`](Vary::matches), or, for `Accept-Language`,
    /// the same most preferred language, which the response is in (see the
    /// module's **Decision**).
    ///
    /// ```
    /// use edgecache::http::{Headers, Vary};
    /// let vary = Vary::Fields(vec!["accept-language".into()]);
    /// let original = Headers::new().with("Accept-Language", "en-US, fr;q=0.5");
    /// let response = Headers::new().with("Content-Language", "en-US");
    /// let presented = Headers::new().with("Accept-Language", "en-us;q=0.9, de;q=0.1");
    /// assert!(!vary.matches(&original, &presented));
    /// assert!(vary.selects(&original, &presented, &response));
    /// let second_choice = Headers::new().with("Accept-Language", "de, en-US;q=0.5");
    /// assert!(!vary.selects(&original, &second_choice, &response));
    /// ```
    pub fn selects(&self, original: &Headers, presented: &Headers, response: &Headers) -> bool {
        match self {
            Vary::Any => false,
            Vary::Fields(fields) => fields.iter().all(|f| {
                normalized_value(f, original) == normalized_value(f, presented)
                    || (is_accept_language(f)
                        && chosen_language(original, response).is_some_and(|language| {
                            first_choice(presented).as_deref() == Some(language.as_str())
                        }))
            }),
        }
    }
}

fn is_accept_language(field: &str) -> bool {
    field.eq_ignore_ascii_case("accept-language")
}

/// A request's most preferred language range: the first of the highest
/// weight, lowercased; `None` if `Accept-Language` is absent or does not
/// parse, or if that range is `*` or has weight 0.
///
/// ```
/// use edgecache::http::{vary::first_choice, Headers};
/// let h = |v: &str| Headers::new().with("Accept-Language", v);
/// assert_eq!(first_choice(&h("fr;q=0.5, EN-us")).as_deref(), Some("en-us"));
/// assert_eq!(first_choice(&h("*, en;q=0.5")), None);
/// assert_eq!(first_choice(&h("en_US")), None);
/// ```
pub fn first_choice(request_headers: &Headers) -> Option<String> {
    let combined = request_headers.combined("accept-language")?;
    let members = split_list(&combined);
    let parsed: Option<Vec<(String, u16)>> = members.iter().map(|m| language_member(m)).collect();
    let mut parsed = parsed?;
    parsed.sort_by_key(|(_, q)| std::cmp::Reverse(*q));
    let (range, q) = parsed.into_iter().next()?;
    (q > 0 && range != "*").then_some(range)
}

/// The stored response's language when it is the request's
/// [`first_choice`]: its `Content-Language` is that one language tag
/// (compared case-insensitively).
///
/// ```
/// use edgecache::http::{vary::chosen_language, Headers};
/// let request = Headers::new().with("Accept-Language", "en-GB, en;q=0.8");
/// let en_gb = Headers::new().with("Content-Language", "en-GB");
/// assert_eq!(chosen_language(&request, &en_gb).as_deref(), Some("en-gb"));
/// let en = Headers::new().with("Content-Language", "en");
/// assert_eq!(chosen_language(&request, &en), None);
/// ```
pub fn chosen_language(request_headers: &Headers, response_headers: &Headers) -> Option<String> {
    let content = response_headers.combined("content-language")?;
    let content = content.trim_matches([' ', '\t']).to_ascii_lowercase();
    let first = first_choice(request_headers)?;
    (first == content).then_some(first)
}

/// A request field's value normalised for Vary matching, or `None` when the
/// field is absent (see the module docs for the rules).
///
/// ```
/// use edgecache::http::{vary::normalized_value, Headers};
/// let h = Headers::new().with("Accept", "text/html ,  application/json").with("accept", "");
/// assert_eq!(normalized_value("accept", &h).as_deref(), Some("text/html, application/json"));
/// let l = Headers::new().with("Accept-Language", "EN-gb ; q=1.0, fr;q=0.50");
/// assert_eq!(normalized_value("accept-language", &l).as_deref(), Some("en-gb, fr;q=0.5"));
/// let l = Headers::new().with("Accept-Language", "fr;q=0.5, EN-gb");
/// assert_eq!(normalized_value("accept-language", &l).as_deref(), Some("en-gb, fr;q=0.5"));
/// assert_eq!(normalized_value("cookie", &h), None);
/// ```
pub fn normalized_value(field: &str, request_headers: &Headers) -> Option<String> {
    let combined = request_headers.combined(field)?;
    let members = split_list(&combined);
    if field.eq_ignore_ascii_case("accept-language") {
        return Some(normalize_accept_language(&members));
    }
    let weighted = field.eq_ignore_ascii_case("accept-encoding");
    let members: Vec<String> = if weighted {
        members.into_iter().map(normalize_weighted).collect()
    } else {
        members.into_iter().map(str::to_owned).collect()
    };
    Some(members.join(", "))
}

/// `token [ ";" "q=" qvalue ]` with whitespace removed, lowercased, `q=1`
/// dropped and trailing zeros trimmed.
fn normalize_weighted(member: &str) -> String {
    let compact: String = member
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let mut parts = compact.split(';');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for param in parts {
        match param.strip_prefix("q=") {
            Some(q) if q.contains('.') || q == "1" || q == "0" => {
                let q = q.trim_end_matches('0').trim_end_matches('.');
                match q {
                    "1" => {}
                    "" => out.push_str(";q=0"),
                    q => {
                        out.push_str(";q=");
                        out.push_str(q);
                    }
                }
            }
            _ => {
                out.push(';');
                out.push_str(param);
            }
        }
    }
    out
}

/// `Accept-Language` in canonical form, from its list members (split at
/// commas, trimmed, empty ones dropped).
///
/// RFC 9110 §12.5.4 and §12.4.2:
///
/// ```text
/// Accept-Language = #( language-range [ weight ] )
/// language-range  = ( 1*8ALPHA *( "-" 1*8alphanum ) ) / "*"   ; RFC 4647 §2.1
/// weight          = OWS ";" OWS "q=" qvalue
/// qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
/// ```
///
/// Each member is parsed; ranges are lowercased (RFC 4647 §2: "Language
/// ranges ... are case-insensitive"); members are sorted by descending
/// weight, keeping the received order among equal weights (a stable sort:
/// **Decision:** the order of equal weights is kept, since a server may read
/// it as a preference); weights are written without trailing zeros and
/// `q=1`, the default ("If no "q" parameter is present, the default weight
/// is 1"), is left out. A `q=0` member stays (RFC 9110 §12.4.2: "A weight of
/// 0 means "not acceptable"", which is not the same as leaving it out when
/// `*` is present), written `;q=0`, so it sorts last.
///
/// If any member does not parse (another parameter, a weight out of range, a
/// range that is not `1*8ALPHA *("-" 1*8alphanum)`), nothing is assumed about
/// the value's meaning: it is kept as received, with only the list's
/// whitespace normalised (`", "` between members), like any other field.
///
/// ```
/// use edgecache::http::vary::normalize_accept_language;
/// assert_eq!(normalize_accept_language(&["fr;q=0.5", "EN-us"]), "en-us, fr;q=0.5");
/// assert_eq!(normalize_accept_language(&["de;q=0", "*;q=0.100"]), "*;q=0.1, de;q=0");
/// assert_eq!(normalize_accept_language(&["en_US", "FR"]), "en_US, FR");
/// ```
pub fn normalize_accept_language(members: &[&str]) -> String {
    let parsed: Option<Vec<(String, u16)>> = members.iter().map(|m| language_member(m)).collect();
    let Some(mut parsed) = parsed else {
        return members.join(", ");
    };
    // Stable: equal weights keep their order.
    parsed.sort_by_key(|(_, q)| std::cmp::Reverse(*q));
    let rendered: Vec<String> = parsed
        .into_iter()
        .map(|(range, q)| match q {
            1000 => range,
            0 => format!("{range};q=0"),
            q => {
                let digits = format!("{q:03}");
                format!("{range};q=0.{}", digits.trim_end_matches('0'))
            }
        })
        .collect();
    rendered.join(", ")
}

/// `language-range [ weight ]`: the lowercased range and the weight in
/// thousandths, or `None` if the member does not parse.
fn language_member(member: &str) -> Option<(String, u16)> {
    let (range, weight) = match member.split_once(';') {
        Some((range, weight)) => (range.trim_end_matches([' ', '\t']), Some(weight)),
        None => (member, None),
    };
    if !is_language_range(range) {
        return None;
    }
    let q = match weight {
        None => 1000,
        Some(w) => {
            let w = w.trim_start_matches([' ', '\t']);
            // ABNF string literals such as "q=" are case-insensitive (RFC
            // 5234 §2.3).
            let value = w.get(..2).filter(|p| p.eq_ignore_ascii_case("q="))?;
            qvalue(w.get(value.len()..)?)?
        }
    };
    Some((range.to_ascii_lowercase(), q))
}

/// RFC 4647 §2.1 `language-range`: `"*"` or `1*8ALPHA *("-" 1*8alphanum)`.
fn is_language_range(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    let mut subtags = s.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// RFC 9110 §12.4.2 `qvalue`, in thousandths.
fn qvalue(s: &str) -> Option<u16> {
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (s, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The secondary key: the request's normalised values of the fields `vary`
/// names, or `None` for `Vary: *` (such a response can never be chosen, so it
/// is not stored).
///
/// The encoding is injective: each field is `name=LEN:value` (LEN in bytes)
/// or `name!` when absent, joined with `;`. No `Vary` gives `""`.
///
/// ```
/// use edgecache::http::{vary::variant_key, Headers, Vary};
/// let vary = Vary::Fields(vec!["accept-encoding".into(), "x-mode".into()]);
/// let key = variant_key(&vary, &Headers::new().with("Accept-Encoding", "gzip"));
/// assert_eq!(key.as_deref(), Some("accept-encoding=4:gzip;x-mode!"));
/// assert_eq!(variant_key(&Vary::Fields(vec![]), &Headers::new()).as_deref(), Some(""));
/// assert_eq!(variant_key(&Vary::Any, &Headers::new()), None);
/// ```
pub fn variant_key(vary: &Vary, request_headers: &Headers) -> Option<String> {
    key_with_language(vary, request_headers, None)
}

/// The variant key to store a response under: [`variant_key`], except that
/// when the response is in the request's first-choice language
/// ([`chosen_language`]) `Accept-Language` is written as that language
/// (`accept-language@=LEN:language`), so any request with the same first
/// choice finds it through [`variant_keys`].
///
/// ```
/// use edgecache::http::{vary::{variant_key_for_response, variant_keys}, Headers, Vary};
/// let vary = Vary::Fields(vec!["accept-language".into()]);
/// let request = Headers::new().with("Accept-Language", "en-US, fr;q=0.5");
/// let response = Headers::new().with("Content-Language", "en-US");
/// let key = variant_key_for_response(&vary, &request, &response).unwrap();
/// assert_eq!(key, "accept-language@=5:en-us");
/// let other = Headers::new().with("Accept-Language", "en-US;q=0.9, de;q=0.1");
/// assert!(variant_keys(&vary, &other).contains(&key));
/// ```
pub fn variant_key_for_response(
    vary: &Vary,
    request_headers: &Headers,
    response_headers: &Headers,
) -> Option<String> {
    let language = chosen_language(request_headers, response_headers);
    key_with_language(vary, request_headers, language.as_deref())
}

/// The variant keys a request may find a stored response under, in the
/// order to try them: with `Accept-Language` in `vary` and a first-choice
/// language, the language form of [`variant_key_for_response`] first; then
/// [`variant_key`]. Empty for `Vary: *`.
///
/// ```
/// use edgecache::http::{vary::variant_keys, Headers, Vary};
/// let vary = Vary::Fields(vec!["accept-language".into()]);
/// let keys = variant_keys(&vary, &Headers::new().with("Accept-Language", "fr"));
/// assert_eq!(keys, ["accept-language@=2:fr", "accept-language=2:fr"]);
/// assert!(variant_keys(&Vary::Any, &Headers::new()).is_empty());
/// ```
pub fn variant_keys(vary: &Vary, request_headers: &Headers) -> Vec<String> {
    let Vary::Fields(fields) = vary else {
        return Vec::new();
    };
    let language = fields
        .iter()
        .any(|f| is_accept_language(f))
        .then(|| first_choice(request_headers))
        .flatten();
    let by_language = language.and_then(|l| key_with_language(vary, request_headers, Some(&l)));
    by_language
        .into_iter()
        .chain(variant_key(vary, request_headers))
        .collect()
}

/// The variant key, with `Accept-Language` written as `language` when given.
fn key_with_language(
    vary: &Vary,
    request_headers: &Headers,
    language: Option<&str>,
) -> Option<String> {
    let Vary::Fields(fields) = vary else {
        return None;
    };
    let parts: Vec<String> = fields
        .iter()
        .map(|f| {
            match (
                language.filter(|_| is_accept_language(f)),
                normalized_value(f, request_headers),
            ) {
                (Some(l), _) => format!("{f}@={}:{l}", l.len()),
                (None, Some(v)) => format!("{f}={}:{v}", v.len()),
                (None, None) => format!("{f}!"),
            }
        })
        .collect();
    Some(parts.join(";"))
}

/// The primary cache key for a request: the normalised target URI (see the
/// `uri` rules in the module docs of [`crate::http`]).
///
/// GET and HEAD share a key (a HEAD is answered from the stored GET
/// response). Other methods have no key: their responses are not stored
/// ([`Error::Unsupported`]). A URL that is not an absolute
/// `scheme://host/...` URI of visible ASCII is [`Error::InvalidKey`].
///
/// ```
/// use edgecache::http::cache_key;
/// assert_eq!(cache_key("GET", "HTTPS://Example.com:443/a/../b?q#frag").unwrap(), "https://example.com/b?q");
/// assert_eq!(cache_key("HEAD", "https://example.com/b?q").unwrap(), "https://example.com/b?q");
/// assert_eq!(cache_key("POST", "https://example.com/").unwrap_err().code(), "EDGECACHE_UNSUPPORTED");
/// assert_eq!(cache_key("GET", "/relative").unwrap_err().code(), "EDGECACHE_INVALID_KEY");
/// ```
pub fn cache_key(method: &str, url: &str) -> Result<String> {
    if method != "GET" && method != "HEAD" {
        return Err(Error::Unsupported(format!(
            "responses to {method} requests are not cached (only GET, answered for GET and HEAD)"
        )));
    }
    normalized_url(url)
}

/// The normalised target URI, for any method.
pub(crate) fn normalized_url(url: &str) -> Result<String> {
    Url::parse_absolute(url)
        .map(|u| u.to_key())
        .ok_or_else(|| Error::InvalidKey(format!("not an absolute http(s) URL: {url:?}")))
}

/// The storage key of one variant: the primary key alone when there is no
/// `Vary`, otherwise `primary + "\n" + variant` (a normalised URL never
/// contains a newline, so this is injective).
///
/// ```
/// use edgecache::http::entry_key;
/// assert_eq!(entry_key("https://a/", ""), "https://a/");
/// assert_eq!(entry_key("https://a/", "x!"), "https://a/\nx!");
/// ```
pub fn entry_key(primary: &str, variant: &str) -> String {
    if variant.is_empty() {
        primary.to_owned()
    } else {
        format!("{primary}\n{variant}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_keys_are_injective_for_tricky_values() {
        let vary = Vary::Fields(vec!["a".into(), "b".into()]);
        let k1 = variant_key(&vary, &Headers::new().with("a", "1;b=1:x")).unwrap();
        let k2 = variant_key(&vary, &Headers::new().with("a", "1").with("b", "x")).unwrap();
        assert_ne!(k1, k2);
        let empty = variant_key(&vary, &Headers::new().with("a", "")).unwrap();
        let absent = variant_key(&vary, &Headers::new()).unwrap();
        assert_ne!(empty, absent);
    }

    /// RFC 9110 §12.5.4 / RFC 9111 §4.1: Accept-Language values with the
    /// same meaning normalise to the same canonical value.
    #[test]
    fn rfc9110_12_5_4_accept_language_normalised_for_the_variant_key() {
        // (Accept-Language lines, normalised value)
        let rows: &[(&[&str], &str)] = &[
            // The conformance suite's pair.
            (&["en-US,fr;q=0.5"], "en-us, fr;q=0.5"),
            (&["fr;q=0.5, en-us"], "en-us, fr;q=0.5"),
            // Case, whitespace, weights written differently, lines combined.
            (&["FR ; Q=0.500 ,EN-us"], "en-us, fr;q=0.5"),
            (&["fr;q=0.5", "en-US"], "en-us, fr;q=0.5"),
            (&["\tfr\t;\tq=0.5\t,\ten-US\t"], "en-us, fr;q=0.5"),
            (&["en;q=1.000, fr;q=1., de;q=1"], "en, fr, de"),
            (&["en;q=0.7, en-gb;q=0.8, da"], "da, en-gb;q=0.8, en;q=0.7"),
            (&["da, en-gb;q=0.8, en;q=0.7"], "da, en-gb;q=0.8, en;q=0.7"),
            (
                &["de;q=0.05, en;q=0.055, fr;q=0.5"],
                "fr;q=0.5, en;q=0.055, de;q=0.05",
            ),
            (
                &["zh-Hant-TW, x-Klingon;q=0.1, *;q=0.01"],
                "zh-hant-tw, x-klingon;q=0.1, *;q=0.01",
            ),
            // Equal weights keep their order.
            (&["fr, en"], "fr, en"),
            (&["en;q=0.5, fr;q=0.50, de"], "de, en;q=0.5, fr;q=0.5"),
            // q=0 ("not acceptable") is kept, normalised, and sorts last.
            (&["fr;q=0, en"], "en, fr;q=0"),
            (&["*, fr;q=0.000"], "*, fr;q=0"),
            (&["fr;q=0., en;q=0.001"], "en;q=0.001, fr;q=0"),
            // Empty members dropped; empty stays empty.
            (&["en,, ,fr;q=0.5,"], "en, fr;q=0.5"),
            (&[""], ""),
            // Unparsable anywhere: kept as received, list whitespace only.
            (&["en;q=2, FR"], "en;q=2, FR"),
            (&["en;q=1.5"], "en;q=1.5"),
            (&["en-US, fr;q=.5"], "en-US, fr;q=.5"),
            (&["en;q=0.5000, fr"], "en;q=0.5000, fr"),
            (&["en;q=-0.5"], "en;q=-0.5"),
            (&["en;x=1,  fr;q=0.5"], "en;x=1, fr;q=0.5"),
            (&["en;q=0.5;x=1"], "en;q=0.5;x=1"),
            (&["en;;q=0.5"], "en;;q=0.5"),
            (&["en;q"], "en;q"),
            (&["en ;", "FR"], "en ;, FR"),
            (&["EN_us , fr;q=0.5"], "EN_us, fr;q=0.5"),
            (&["abcdefghi, en"], "abcdefghi, en"),
            (&["en-, fr"], "en-, fr"),
            (&["1en"], "1en"),
            (&["en-abcdefghi"], "en-abcdefghi"),
            (&["\"en\""], "\"en\""),
            (&["\u{e9}n"], "\u{e9}n"),
        ];
        for (lines, want) in rows {
            let mut h = Headers::new();
            for line in *lines {
                h.append("Accept-Language", line);
            }
            let got = normalized_value("accept-language", &h);
            assert_eq!(got.as_deref(), Some(*want), "{lines:?}");
        }
        assert_eq!(normalized_value("accept-language", &Headers::new()), None);
    }

    /// The variant key and the match agree: same meaning, same key.
    #[test]
    fn rfc9111_4_1_accept_language_variant_keys() {
        let vary = Vary::Fields(vec!["accept-language".into()]);
        // (first, second, same variant)
        let rows: &[(&str, &str, bool)] = &[
            ("en-US,fr;q=0.5", "fr;q=0.5, en-us", true),
            ("en-US,fr;q=0.5", "EN-us , FR;q=0.50", true),
            ("da, en;q=0.7, en-gb;q=0.8", "en-GB;q=0.8,da,en;q=0.7", true),
            ("fr;q=0, en", "en, fr;q=0.0", true),
            ("en, fr;q=0.5", "fr, en;q=0.5", false),
            ("en, fr", "fr, en", false),
            ("en, fr;q=0", "en", false),
            ("en;q=2", "EN;q=2", false),
        ];
        for (a, b, same) in rows {
            let ha = Headers::new().with("Accept-Language", *a);
            let hb = Headers::new().with("Accept-Language", *b);
            let (ka, kb) = (variant_key(&vary, &ha), variant_key(&vary, &hb));
            assert_eq!(ka == kb, *same, "{a:?} vs {b:?}: {ka:?} {kb:?}");
            assert_eq!(vary.matches(&ha, &hb), *same, "{a:?} vs {b:?}");
        }
    }

    /// Issue 13 defect 8: a stored response in the request's first-choice
    /// language answers any request with that first choice; keys and
    /// `selects` agree.
    #[test]
    fn rfc9110_12_5_4_first_choice_language_selects_the_stored_response() {
        let vary = Vary::Fields(vec!["accept-encoding".into(), "accept-language".into()]);
        let stored_request = |al: &str| {
            Headers::new()
                .with("Accept-Language", al)
                .with("Accept-Encoding", "gzip")
        };
        // (stored request's Accept-Language, Content-Language, presented Accept-Language, selected)
        let rows: &[(&str, &str, &str, bool)] = &[
            ("en-US,fr;q=0.5", "en-US", "en-us;q=0.9, de;q=0.1", true),
            ("en-US,fr;q=0.5", "en-US", "EN-US", true),
            ("en-US,fr;q=0.5", "en-us", "fr;q=0.2, en-US", true),
            ("en-US,fr;q=0.5", "en-US", "de, en-US;q=0.5", false),
            ("en-US,fr;q=0.5", "en-US", "en", false),
            ("en-US,fr;q=0.5", "en-US", "*", false),
            // The origin answered in another language: only an equal header matches.
            ("de, en;q=0.5", "en", "en", false),
            ("de, en;q=0.5", "en", "en;q=0.5, de", true),
            // Several languages, or none: only an equal header matches.
            ("en", "en, fr", "en;q=0.9", false),
            ("en", "", "en;q=0.9", false),
            ("en;q=0", "en", "en", false),
        ];
        for (original, content, presented, want) in rows {
            let original = stored_request(original);
            let response = if content.is_empty() {
                Headers::new()
            } else {
                Headers::new().with("Content-Language", *content)
            };
            let presented_h = stored_request(presented);
            assert_eq!(
                vary.selects(&original, &presented_h, &response),
                *want,
                "{original:?} {content:?} {presented:?}"
            );
            let stored_key = variant_key_for_response(&vary, &original, &response).unwrap();
            let found = variant_keys(&vary, &presented_h).contains(&stored_key);
            assert_eq!(
                found,
                *want,
                "keys: {stored_key:?} vs {:?}",
                variant_keys(&vary, &presented_h)
            );
        }
        // Another Accept-Encoding still misses.
        let original = stored_request("en");
        let response = Headers::new().with("Content-Language", "en");
        let presented = Headers::new()
            .with("Accept-Language", "en")
            .with("Accept-Encoding", "br");
        assert!(!vary.selects(&original, &presented, &response));
    }

    #[test]
    fn weights_normalise_without_changing_meaning() {
        assert_eq!(normalize_weighted("GZIP ; Q=0.800"), "gzip;q=0.8");
        assert_eq!(normalize_weighted("br;q=0"), "br;q=0");
        assert_eq!(normalize_weighted("br;q=0.000"), "br;q=0");
        assert_eq!(normalize_weighted("br;q=1.000"), "br");
        assert_eq!(normalize_weighted("de;x=1"), "de;x=1");
    }
}
