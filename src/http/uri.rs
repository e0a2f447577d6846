//! Just enough of RFC 3986 for cache keys and invalidation: parsing an
//! absolute URI, normalising it, resolving a reference (such as a relative
//! `Location`) against it, and comparing origins.
//!
//! - Target URI (RFC 9110 §7.1): "The target URI excludes the reference's
//!   fragment component". Fragments are dropped.
//! - Normalisation (RFC 3986 §6.2.2, §6.2.3): scheme and host lowercased,
//!   the scheme's default port dropped, percent-encoding hex digits
//!   uppercased, dot-segments removed, an empty path written `/`. Nothing else
//!   (no percent-decoding, no query reordering): these are the changes that
//!   never alter what a URI identifies.
//! - Resolution: RFC 3986 §5.2 ("Relative Resolution"), the full algorithm
//!   including `remove_dot_segments` (§5.2.4). RFC 9110 §10.2.2: when
//!   `Location` "has the form of a relative reference ..., the final value is
//!   computed by resolving it against the target URI".
//! - Origin (RFC 9110 §4.3.1 / RFC 6454): scheme, host and port, with the
//!   scheme's default port filled in.
//!
//! Only hierarchical URIs with an authority (`scheme://host...`) are accepted
//! as absolute URIs, and only visible ASCII: a browser's `Request.url` is
//! always of this form. URIs with userinfo (`user:pass@`) are refused — fetch
//! itself refuses them, and credentials have no place in a cache key.

/// A parsed, normalised absolute URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Url {
    scheme: String,
    host: String,
    /// An explicit port other than the scheme's default.
    port: Option<u16>,
    path: String,
    query: Option<String>,
}

/// The components of a URI-reference (RFC 3986 Appendix B), fragment dropped.
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// Visible ASCII other than the characters RFC 3986 never allows, with every
/// `%` followed by two hex digits.
fn valid_chars(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        let allowed = (0x21..=0x7E).contains(&b) && !b"\"<>\\^`{|}".contains(&b);
        let pct_ok = b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        allowed && pct_ok
    })
}

fn split(reference: &str) -> Option<Parts<'_>> {
    let s = reference.split_once('#').map_or(reference, |(s, _)| s);
    if !valid_chars(s) {
        return None;
    }
    let (scheme, rest) = match s.find([':', '/', '?']) {
        Some(i) if s.as_bytes().get(i) == Some(&b':') => {
            let scheme = s.get(..i)?;
            let mut chars = scheme.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if !valid {
                return None;
            }
            (Some(scheme), s.get(i + 1..)?)
        }
        _ => (None, s),
    };
    let (authority, rest) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            (Some(after.get(..end)?), after.get(end..)?)
        }
        None => (None, rest),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    Some(Parts {
        scheme,
        authority,
        path,
        query,
    })
}

/// `host [":" port]`, refusing userinfo; returns the lowercased host and the
/// port if one was given.
fn parse_authority(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let host = authority.get(..=end)?;
        let rest = authority.get(end + 1..)?;
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    Some((normalize_pct(&host.to_ascii_lowercase()), port))
}

/// Uppercases the hex digits of percent-encodings (RFC 3986 §6.2.2.1).
fn normalize_pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper_next = 0;
    for c in s.chars() {
        if upper_next > 0 {
            out.push(c.to_ascii_uppercase());
            upper_next -= 1;
        } else {
            if c == '%' {
                upper_next = 2;
            }
            out.push(c);
        }
    }
    out
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path.to_owned();
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            // A.
            input = rest.to_owned();
        } else if input.starts_with("/./") || input == "/." {
            // B.
            input = format!("/{}", input.get(3..).unwrap_or_default());
        } else if input.starts_with("/../") || input == "/.." {
            // C.
            input = format!("/{}", input.get(4..).unwrap_or_default());
            let cut = output.rfind('/').unwrap_or(0);
            output.truncate(cut);
        } else if input == "." || input == ".." {
            // D.
            input.clear();
        } else {
            // E.
            let start = usize::from(input.starts_with('/'));
            let end = input
                .get(start..)
                .and_then(|s| s.find('/'))
                .map_or(input.len(), |i| i + start);
            output.push_str(input.get(..end).unwrap_or_default());
            input = input.get(end..).unwrap_or_default().to_owned();
        }
    }
    output
}

impl Url {
    /// Parses an absolute `scheme://authority/path?query` URI.
    pub(crate) fn parse_absolute(s: &str) -> Option<Url> {
        let parts = split(s)?;
        Url::from_parts(parts.scheme?, parts.authority?, parts.path, parts.query)
    }

    fn from_parts(scheme: &str, authority: &str, path: &str, query: Option<&str>) -> Option<Url> {
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = parse_authority(authority)?;
        let port = port.filter(|p| Some(*p) != default_port(&scheme));
        let path = match remove_dot_segments(path) {
            p if p.is_empty() => "/".to_owned(),
            p => normalize_pct(&p),
        };
        Some(Url {
            scheme,
            host,
            port,
            path,
            query: query.map(normalize_pct),
        })
    }

    /// Resolves a URI-reference against this URI (RFC 3986 §5.2.2).
    pub(crate) fn resolve(&self, reference: &str) -> Option<Url> {
        let r = split(reference.trim_matches([' ', '\t']))?;
        if let Some(scheme) = r.scheme {
            return Url::from_parts(scheme, r.authority?, r.path, r.query);
        }
        if let Some(authority) = r.authority {
            return Url::from_parts(&self.scheme, authority, r.path, r.query);
        }
        let (path, query) = if r.path.is_empty() {
            (self.path.clone(), r.query.or(self.query.as_deref()))
        } else if r.path.starts_with('/') {
            (r.path.to_owned(), r.query)
        } else {
            // merge (§5.2.3): the base path up to its last "/", then the reference.
            let dir = self
                .path
                .rfind('/')
                .map_or("", |i| self.path.get(..=i).unwrap_or_default());
            (format!("{dir}{}", r.path), r.query)
        };
        let mut url = self.clone();
        url.path = match remove_dot_segments(&path) {
            p if p.is_empty() => "/".to_owned(),
            p => normalize_pct(&p),
        };
        url.query = query.map(normalize_pct);
        Some(url)
    }

    /// Same scheme, host and port (RFC 6454 §4).
    pub(crate) fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme
            && self.host == other.host
            && self.port.or(default_port(&self.scheme))
                == other.port.or(default_port(&other.scheme))
    }

    /// The normalised URI as a string, used as the primary cache key.
    pub(crate) fn to_key(&self) -> String {
        let mut out = format!("{}://{}", self.scheme, self.host);
        if let Some(port) = self.port {
            out.push(':');
            out.push_str(&port.to_string());
        }
        out.push_str(&self.path);
        if let Some(query) = &self.query {
            out.push('?');
            out.push_str(query);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<String> {
        Url::parse_absolute(s).map(|u| u.to_key())
    }

    #[test]
    fn normalises_case_default_port_dots_and_fragment() {
        assert_eq!(
            key("HTTPS://Example.COM:443/a/./b/../c?x=%2f#frag").as_deref(),
            Some("https://example.com/a/c?x=%2F")
        );
        assert_eq!(
            key("http://example.com").as_deref(),
            Some("http://example.com/")
        );
        assert_eq!(
            key("http://example.com:8080/?").as_deref(),
            Some("http://example.com:8080/?")
        );
        assert_eq!(key("http://[::1]:80/").as_deref(), Some("http://[::1]/"));
    }

    #[test]
    fn refuses_relative_userinfo_spaces_and_bad_ports() {
        for bad in [
            "/path",
            "example.com/x",
            "http://u:p@h/",
            "http://h/a b",
            "http://h:99999/",
            "http:///x",
            "http://h:x/",
            "1http://h/",
            "http://h/%zz",
            "http://h/\n",
        ] {
            assert_eq!(key(bad), None, "{bad:?}");
        }
    }

    /// RFC 3986 §5.4.1 normal examples (base "http://a/b/c/d;p?q").
    #[test]
    fn rfc3986_5_4_1_normal_examples() {
        let base = Url::parse_absolute("http://a/b/c/d;p?q").unwrap();
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            (";x", "http://a/b/c/;x"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            ("./../g", "http://a/b/g"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("https://other/x", "https://other/x"),
        ];
        for (reference, want) in cases {
            assert_eq!(
                base.resolve(reference).map(|u| u.to_key()).as_deref(),
                Some(want),
                "{reference:?}"
            );
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_effective_port() {
        let a = Url::parse_absolute("https://example.com/x").unwrap();
        assert!(a.same_origin(&Url::parse_absolute("https://EXAMPLE.com:443/y").unwrap()));
        assert!(!a.same_origin(&Url::parse_absolute("http://example.com/x").unwrap()));
        assert!(!a.same_origin(&Url::parse_absolute("https://example.com:8443/x").unwrap()));
        assert!(!a.same_origin(&Url::parse_absolute("https://evil.example.com/x").unwrap()));
    }
}
