//! Input shapes shared by the fuzz targets in `fuzz_targets/`.
//!
//! Plain byte strings rarely spell `Cache-Control: private, s-maxage=60`, so
//! the HTTP targets build their headers from these `Arbitrary` enums: mostly
//! meaningful directives, field names and dates, with an escape hatch
//! (`Raw`, `Other`) for arbitrary text so that nothing is out of reach.

use arbitrary::Arbitrary;
use edgecache::http::{date, Headers};

/// The time every HTTP target starts from: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000_000;

/// A header field name: the ones the policy reads, plus anything.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Name {
    CacheControl,
    CdnCacheControl,
    /// The targeted field configured in the policy (`Fuzz-Cache-Control`).
    Targeted,
    Pragma,
    Authorization,
    Cookie,
    SetCookie,
    Vary,
    Date,
    Expires,
    LastModified,
    ETag,
    Age,
    Connection,
    IfNoneMatch,
    IfModifiedSince,
    Location,
    ContentLocation,
    AcceptEncoding,
    AcceptLanguage,
    XUser,
    TransferEncoding,
    Other(String),
}

/// The targeted field name the policy target configures.
pub const TARGETED_FIELD: &str = "Fuzz-Cache-Control";

impl Name {
    /// The canonical spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Name::CacheControl => "Cache-Control",
            Name::CdnCacheControl => "CDN-Cache-Control",
            Name::Targeted => TARGETED_FIELD,
            Name::Pragma => "Pragma",
            Name::Authorization => "Authorization",
            Name::Cookie => "Cookie",
            Name::SetCookie => "Set-Cookie",
            Name::Vary => "Vary",
            Name::Date => "Date",
            Name::Expires => "Expires",
            Name::LastModified => "Last-Modified",
            Name::ETag => "ETag",
            Name::Age => "Age",
            Name::Connection => "Connection",
            Name::IfNoneMatch => "If-None-Match",
            Name::IfModifiedSince => "If-Modified-Since",
            Name::Location => "Location",
            Name::ContentLocation => "Content-Location",
            Name::AcceptEncoding => "Accept-Encoding",
            Name::AcceptLanguage => "Accept-Language",
            Name::XUser => "X-User",
            Name::TransferEncoding => "Transfer-Encoding",
            Name::Other(s) => s,
        }
    }
}

/// One cache directive, rendered into a `Cache-Control`-like value.
#[derive(Arbitrary, Debug, Clone)]
pub enum Directive {
    Private,
    PrivateFields(Vec<Name>),
    Public,
    NoStore,
    NoCache,
    NoCacheFields(Vec<Name>),
    MaxAge(Delta),
    SMaxage(Delta),
    MustRevalidate,
    ProxyRevalidate,
    MustUnderstand,
    Immutable,
    StaleWhileRevalidate(Delta),
    StaleIfError(Delta),
    MaxStale(Option<Delta>),
    MinFresh(Delta),
    OnlyIfCached,
    /// A directive name with an argument in quotes.
    Quoted(String, String),
    /// Anything at all.
    Raw(String),
}

/// A delta-seconds argument: usually small, sometimes huge or invalid.
#[derive(Arbitrary, Debug, Clone)]
pub enum Delta {
    Small(u8),
    Secs(u32),
    Huge,
    Quoted(u16),
    Text(String),
}

impl Delta {
    fn render(&self) -> String {
        match self {
            Delta::Small(n) => n.to_string(),
            Delta::Secs(n) => n.to_string(),
            Delta::Huge => "99999999999999999999999".into(),
            Delta::Quoted(n) => format!("\"{n}\""),
            Delta::Text(s) => s.clone(),
        }
    }
}

impl Directive {
    /// The directive as it appears in a field value.
    pub fn render(&self) -> String {
        let names = |v: &[Name]| {
            v.iter()
                .map(|n| n.as_str().to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Directive::Private => "private".into(),
            Directive::PrivateFields(v) => format!("private=\"{}\"", names(v)),
            Directive::Public => "public".into(),
            Directive::NoStore => "no-store".into(),
            Directive::NoCache => "no-cache".into(),
            Directive::NoCacheFields(v) => format!("no-cache=\"{}\"", names(v)),
            Directive::MaxAge(d) => format!("max-age={}", d.render()),
            Directive::SMaxage(d) => format!("s-maxage={}", d.render()),
            Directive::MustRevalidate => "must-revalidate".into(),
            Directive::ProxyRevalidate => "proxy-revalidate".into(),
            Directive::MustUnderstand => "must-understand".into(),
            Directive::Immutable => "immutable".into(),
            Directive::StaleWhileRevalidate(d) => format!("stale-while-revalidate={}", d.render()),
            Directive::StaleIfError(d) => format!("stale-if-error={}", d.render()),
            Directive::MaxStale(None) => "max-stale".into(),
            Directive::MaxStale(Some(d)) => format!("max-stale={}", d.render()),
            Directive::MinFresh(d) => format!("min-fresh={}", d.render()),
            Directive::OnlyIfCached => "only-if-cached".into(),
            Directive::Quoted(name, arg) => format!("{name}=\"{arg}\""),
            Directive::Raw(s) => s.clone(),
        }
    }
}

/// A header field value.
#[derive(Arbitrary, Debug, Clone)]
pub enum Value {
    Directives(Vec<Directive>),
    /// An HTTP-date this many seconds after (or before) [`T0`].
    Date(i32),
    /// `"tag"` or `W/"tag"`.
    ETag(bool, String),
    /// A list of field names (for `Vary`, `Connection`).
    Names(Vec<Name>),
    /// A small integer (for `Age`).
    Number(u32),
    /// A same-origin or foreign URL reference (for `Location`).
    Url(UrlChoice),
    Text(String),
}

impl Value {
    /// The rendered field value.
    pub fn render(&self) -> String {
        match self {
            Value::Directives(d) => d
                .iter()
                .map(Directive::render)
                .collect::<Vec<_>>()
                .join(", "),
            Value::Date(offset) => {
                date::format(T0.saturating_add_signed(i64::from(*offset) * 1000))
            }
            Value::ETag(true, tag) => format!("W/\"{tag}\""),
            Value::ETag(false, tag) => format!("\"{tag}\""),
            Value::Names(names) => names
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect::<Vec<_>>()
                .join(", "),
            Value::Number(n) => n.to_string(),
            Value::Url(u) => u.render(),
            Value::Text(s) => s.clone(),
        }
    }
}

/// A target URL: a few fixed ones (so requests meet stored responses) or
/// anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum UrlChoice {
    Page,
    PageQuery,
    Other,
    Foreign,
    Relative(String),
    Raw(String),
}

impl UrlChoice {
    /// The URL (or reference) as text.
    pub fn render(&self) -> String {
        match self {
            UrlChoice::Page => "https://example.com/page".into(),
            UrlChoice::PageQuery => "HTTPS://Example.com:443/a/../page?q=1#frag".into(),
            UrlChoice::Other => "https://example.com/other".into(),
            UrlChoice::Foreign => "https://evil.example/page".into(),
            UrlChoice::Relative(s) => s.clone(),
            UrlChoice::Raw(s) => s.clone(),
        }
    }
}

/// One header field line; `lower` spells the name in lowercase.
#[derive(Arbitrary, Debug, Clone)]
pub struct Line {
    pub name: Name,
    pub value: Value,
    pub lower: bool,
}

/// Builds a header list from lines.
pub fn headers(lines: &[Line]) -> Headers {
    let mut h = Headers::new();
    for line in lines {
        let name = if line.lower {
            line.name.as_str().to_ascii_lowercase()
        } else {
            line.name.as_str().to_owned()
        };
        h.append(name, line.value.render());
    }
    h
}

/// Runs a future that never waits (the memory backend's never do).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}
