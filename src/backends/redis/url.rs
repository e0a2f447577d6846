//! `redis://` and `rediss://` URLs, read by the same rules as the JavaScript
//! side (`parseUrl` in `js/redis.js`), so a URL that works in one works in
//! the other.
//!
//! `redis[s]://[username[:password]@]host[:port][/0]`, or a bare
//! `host[:port]` (read as `redis://host[:port]`). Credentials are
//! percent-decoded; the port defaults to 6379; an IPv6 literal is written in
//! brackets (`redis://[::1]:6379`). Refused with
//! [`Error::InvalidOptions`]: database numbers other than 0 (use
//! namespaces), query strings and fragments, other schemes.
//!
//! Written by hand rather than with the `url` crate: we need five fields of
//! one URL shape, and `url` brings IDNA with its Unicode tables (a dozen
//! crates) for host names we pass to the resolver as they are.

use crate::{Error, Result};

/// Redis' port unless the URL names another.
pub const DEFAULT_PORT: u16 = 6379;

/// A DNS name has at most 253 characters; an IP literal fewer.
const MAX_HOSTNAME: usize = 253;

/// Credentials go into every `AUTH` command; far longer than any real one.
const MAX_CREDENTIAL_BYTES: usize = 4096;

/// What a Redis URL says: where the server is, whether to speak TLS, and
/// the credentials to send with `AUTH`. Read by the same rules as
/// `EdgeCache.redis({ connect })` in JavaScript:
///
/// - `redis[s]://[username[:password]@]host[:port][/0]`, or a bare
///   `host[:port]` (read as `redis://`); credentials percent-decoded; port
///   6379 unless given; an IPv6 address in brackets (`redis://[::1]:6379`);
///   host names in ASCII (an internationalised name in its `xn--` form).
/// - Refused with [`Error::InvalidOptions`]: a database other than 0 (use
///   namespaces), query strings and fragments, other schemes, bad ports and
///   host names, credentials over 4 KiB.
///
/// ```
/// use edgecache::redis::RedisUrl;
///
/// let url = RedisUrl::parse("rediss://app:p%40ss@cache.internal:6380")?;
/// assert_eq!(url.host, "cache.internal");
/// assert_eq!(url.port, 6380);
/// assert!(url.tls);
/// assert_eq!(url.username.as_deref(), Some("app"));
/// assert_eq!(url.password.as_deref(), Some("p@ss"));
///
/// let err = RedisUrl::parse("redis://localhost/2").unwrap_err();
/// assert_eq!(err.code(), "EDGECACHE_INVALID_OPTIONS");
/// # Ok::<(), edgecache::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// Host name or IP address (an IPv6 literal without its brackets).
    pub host: String,
    /// TCP port (default [`DEFAULT_PORT`]).
    pub port: u16,
    /// True for `rediss://`: the connection speaks TLS.
    pub tls: bool,
    /// The ACL user, if the URL names one (percent-decoded).
    pub username: Option<String>,
    /// The password, if the URL has one (percent-decoded).
    pub password: Option<String>,
}

impl std::fmt::Debug for RedisUrl {
    // The password is left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidOptions(format!("connect: {message}"))
}

impl RedisUrl {
    /// Reads `text`: `redis[s]://[username[:password]@]host[:port][/0]` or
    /// a bare `host[:port]`; see [`RedisUrl`] for what is refused.
    pub fn parse(text: &str) -> Result<Self> {
        let (tls, rest) = match text.split_once("://") {
            None => (false, text),
            Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
                "redis" => (false, rest),
                "rediss" => (true, rest),
                _ => {
                    return Err(invalid(format!(
                        "only redis:// and rediss:// URLs are supported, got {:?}",
                        format!("{scheme}:")
                    )))
                }
            },
        };
        // The authority ends at the first '/', '?' or '#'.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (path, extra) = match tail.find(['?', '#']) {
            Some(i) => tail.split_at(i),
            None => (tail, ""),
        };
        if !matches!(path, "" | "/" | "/0") {
            return Err(invalid(format!(
                "database selection is not supported (use namespaces), got {path:?}"
            )));
        }
        if !extra.is_empty() {
            return Err(invalid(format!(
                "URL parameters are not supported, got {extra:?}"
            )));
        }
        // As in WHATWG URLs, the last '@' ends the credentials.
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(userinfo) => {
                let (user, pass) = match userinfo.split_once(':') {
                    Some((user, pass)) => (user, Some(pass)),
                    None => (userinfo, None),
                };
                (
                    credential(user, "the URL's username")?,
                    match pass {
                        Some(pass) => credential(pass, "the URL's password")?,
                        None => None,
                    },
                )
            }
        };
        let (host, port) = split_host_port(hostport)?;
        Ok(Self {
            host,
            port,
            tls,
            username,
            password,
        })
    }
}

/// `host[:port]`, with an IPv6 literal in brackets.
fn split_host_port(hostport: &str) -> Result<(String, u16)> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(invalid(format!(
                "an IPv6 address needs its closing ']', got {hostport:?}"
            )));
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(invalid(format!(
                "only an IPv6 address goes in brackets, got {host:?}"
            )));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => {
                    return Err(invalid(format!(
                        "expected ':port' after the IPv6 address, got {after:?}"
                    )))
                }
            },
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    // (A bracketed host was checked as an IPv6 address above.)
    let bracketed = hostport.starts_with('[');
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if !bracketed && (host.is_empty() || host.len() > MAX_HOSTNAME || !host.chars().all(valid_char))
    {
        return Err(invalid(format!(
            "hostname must be 1 to {MAX_HOSTNAME} letters, digits, '-', '.' or '_' \
             (an IPv6 address in brackets), got {host:?}"
        )));
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(digits) => match digits.parse::<u16>() {
            Ok(port) if port > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => port,
            _ => {
                return Err(invalid(format!(
                    "port must be an integer from 1 to 65535, got {digits:?}"
                )))
            }
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// A percent-decoded username or password: `None` if empty, else at most
/// [`MAX_CREDENTIAL_BYTES`] of UTF-8.
fn credential(raw: &str, name: &str) -> Result<Option<String>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let bytes = percent_decode(raw).ok_or_else(|| {
        invalid("the URL's credentials are not valid percent-encoding".to_string())
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| invalid("the URL's credentials are not valid percent-encoding".to_string()))?;
    if text.len() > MAX_CREDENTIAL_BYTES {
        return Err(Error::InvalidOptions(format!(
            "{name} must be a non-empty, well-formed string of at most \
             {MAX_CREDENTIAL_BYTES} bytes, got {} bytes",
            text.len()
        )));
    }
    Ok(Some(text))
}

/// `%XX` escapes decoded; `None` if one is malformed.
fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ok(text: &str) -> RedisUrl {
        RedisUrl::parse(text).unwrap()
    }

    fn err(text: &str) -> String {
        let e = RedisUrl::parse(text).unwrap_err();
        assert_eq!(e.code(), "EDGECACHE_INVALID_OPTIONS", "{text}");
        e.to_string()
    }

    #[test]
    fn reads_every_form() {
        let u = ok("redis://localhost");
        assert_eq!((u.host.as_str(), u.port, u.tls), ("localhost", 6379, false));
        assert_eq!((u.username, u.password), (None, None));

        let u = ok("redis://user:pass@Cache.Example:6380/0");
        assert_eq!((u.host.as_str(), u.port), ("cache.example", 6380));
        assert_eq!(u.username.as_deref(), Some("user"));
        assert_eq!(u.password.as_deref(), Some("pass"));

        let u = ok("redis://:only-pass@h/");
        assert_eq!(
            (u.username, u.password.as_deref()),
            (None, Some("only-pass"))
        );

        let u = ok("rediss://[::1]:7000");
        assert_eq!((u.host.as_str(), u.port, u.tls), ("::1", 7000, true));

        let u = ok("127.0.0.1:6390");
        assert_eq!((u.host.as_str(), u.port, u.tls), ("127.0.0.1", 6390, false));

        let u = ok("REDIS://h");
        assert!(!u.tls);

        // Percent-decoding, and the last '@' ends the credentials.
        let u = ok("redis://a%3Ab:p@ss%2F%F0%9F%94%91@h");
        assert_eq!(u.username.as_deref(), Some("a:b"));
        assert_eq!(u.password.as_deref(), Some("p@ss/🔑"));
    }

    #[test]
    fn refuses_what_javascript_refuses() {
        assert!(err("redis://h/1")
            .contains("database selection is not supported (use namespaces), got \"/1\""));
        assert!(err("redis://h/00").contains("database selection"));
        assert!(err("redis://h?db=1").contains("URL parameters are not supported, got \"?db=1\""));
        assert!(err("redis://h/#x").contains("URL parameters are not supported"));
        assert!(err("http://h")
            .contains("only redis:// and rediss:// URLs are supported, got \"http:\""));
        assert!(err("redis://u:%zz@h").contains("not valid percent-encoding"));
        assert!(err("redis://u:%ff@h").contains("not valid percent-encoding"));
        assert!(err("redis://h:0").contains("port must be an integer from 1 to 65535"));
        assert!(err("redis://h:65536").contains("got \"65536\""));
        assert!(err("redis://h:+1").contains("port must be"));
        assert!(err("redis://").contains("hostname must be"));
        assert!(err("redis://exa mple").contains("hostname must be"));
        assert!(err("redis://a:b:6379").contains("hostname must be"));
        assert!(err("redis://[::1").contains("closing ']'"));
        assert!(err("redis://[example.com]").contains("only an IPv6 address goes in brackets"));
        assert!(err("redis://bücher.example").contains("hostname must be"));
        assert!(err("redis://[::1]x").contains("expected ':port'"));
        let long = format!("redis://:{}@h", "p".repeat(4097));
        assert!(err(&long).contains("at most 4096 bytes, got 4097 bytes"));
    }

    #[test]
    fn debug_hides_the_password() {
        let text = format!("{:?}", ok("redis://u:secret@h"));
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("<hidden>"));
    }
}
