//! Keys (RFC 9111 §2, §4.1) and the stored form.

use edgecache::http::{cache_key, entry_key, variant_key, Headers, Policy, StoredResponse, Vary};

use super::{check_all, expect_eq, get, hs, res, T0, URL};
#[test]
fn rfc9111_2_cache_key_is_the_normalised_target_uri() {
    let rows = [
        (
            "rfc9110_7_1_fragment_is_not_part_of_the_target_uri",
            "https://example.com/x#a",
            Ok("https://example.com/x"),
        ),
        (
            "rfc3986_6_2_2_scheme_and_host_case_normalised",
            "HTTPS://Example.COM/x",
            Ok("https://example.com/x"),
        ),
        (
            "rfc3986_6_2_3_default_port_removed",
            "https://example.com:443/x",
            Ok("https://example.com/x"),
        ),
        (
            "rfc3986_6_2_3_empty_path_is_slash",
            "https://example.com",
            Ok("https://example.com/"),
        ),
        (
            "rfc3986_6_2_2_3_dot_segments_removed",
            "https://example.com/a/./b/../x",
            Ok("https://example.com/a/x"),
        ),
        (
            "rfc3986_6_2_2_1_percent_encoding_hex_uppercased",
            "https://example.com/%7e?q=%2f",
            Ok("https://example.com/%7E?q=%2F"),
        ),
        (
            "rfc9111_2_query_is_part_of_the_key",
            "https://example.com/x?b=2&a=1",
            Ok("https://example.com/x?b=2&a=1"),
        ),
        (
            "rfc9111_2_non_default_port_kept",
            "https://example.com:8443/x",
            Ok("https://example.com:8443/x"),
        ),
        (
            "rfc9111_2_relative_url_has_no_key",
            "/x",
            Err("EDGECACHE_INVALID_KEY"),
        ),
        (
            "rfc9111_2_url_with_credentials_has_no_key",
            "https://u:p@example.com/",
            Err("EDGECACHE_INVALID_KEY"),
        ),
        (
            "rfc9111_2_url_with_user_name_has_no_key",
            "https://user@example.com/",
            Err("EDGECACHE_INVALID_KEY"),
        ),
        (
            "rfc9111_2_url_with_control_characters_has_no_key",
            "https://example.com/\nx",
            Err("EDGECACHE_INVALID_KEY"),
        ),
    ];
    check_all(
        &rows,
        |r| r.0,
        |&(_, url, want)| {
            expect_eq(
                cache_key("GET", url).map_err(|e| e.code()),
                want.map(String::from),
            )
        },
    );
    assert_eq!(
        cache_key("HEAD", URL).unwrap(),
        cache_key("GET", URL).unwrap()
    );
    assert_eq!(
        cache_key("POST", URL).unwrap_err().code(),
        "EDGECACHE_UNSUPPORTED"
    );
}

#[test]
fn rfc9111_4_1_variant_keys_follow_vary() {
    let vary = Vary::parse(&hs(&[("Vary", "Accept-Encoding, X-Mode")]));
    let key = |h: &[(&str, &str)]| variant_key(&vary, &hs(h)).unwrap();
    // Same normalised values → same key; any difference → a different key.
    assert_eq!(
        key(&[("accept-encoding", "gzip ,br"), ("X-Mode", "a")]),
        key(&[("Accept-Encoding", "gzip, br"), ("x-mode", "a")])
    );
    assert_ne!(
        key(&[("Accept-Encoding", "gzip")]),
        key(&[("Accept-Encoding", "br")])
    );
    assert_ne!(key(&[("Accept-Encoding", "")]), key(&[]));
    assert_eq!(
        variant_key(&Vary::parse(&hs(&[("Vary", "*")])), &Headers::new()),
        None
    );
    // §4.1: "always fails to match", even identical requests.
    assert!(!Vary::Any.matches(&Headers::new(), &Headers::new()));
    let primary = cache_key("GET", URL).unwrap();
    assert_eq!(entry_key(&primary, ""), primary);
    assert_ne!(entry_key(&primary, &key(&[])), primary);
}

struct DecodeRow {
    name: &'static str,
    bytes: Vec<u8>,
    ok: bool,
}

fn decode_rows() -> Vec<DecodeRow> {
    let good = sample_stored().encode();
    let mut future = good.clone();
    if let Some(version) = future.get_mut(1) {
        *version = 2;
    }
    let mut trailing = good.clone();
    trailing.push(0);
    vec![
        DecodeRow {
            name: "stored_form_roundtrip_decodes",
            bytes: good.clone(),
            ok: true,
        },
        DecodeRow {
            name: "stored_form_empty_input_is_decode_error",
            bytes: vec![],
            ok: false,
        },
        DecodeRow {
            name: "stored_form_json_is_decode_error",
            bytes: br#"{"status":200,"headers":[]}"#.to_vec(),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_base64_text_is_decode_error",
            bytes: b"SGVsbG8gd29ybGQ=".to_vec(),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_edgecache_record_is_decode_error",
            bytes: edgecache::record::encode(Some(1), b"x"),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_newer_version_is_decode_error",
            bytes: future,
            ok: false,
        },
        DecodeRow {
            name: "stored_form_trailing_byte_is_decode_error",
            bytes: trailing,
            ok: false,
        },
        DecodeRow {
            name: "stored_form_truncated_content_is_decode_error",
            bytes: good
                .split_last()
                .map(|(_, rest)| rest.to_vec())
                .unwrap_or_default(),
            ok: false,
        },
        DecodeRow {
            name: "stored_form_all_ff_is_decode_error",
            bytes: vec![0xFF; 64],
            ok: false,
        },
    ]
}

fn sample_stored() -> StoredResponse {
    StoredResponse {
        url: "https://example.com/x?y".into(),
        status: 200,
        headers: hs(&[
            ("Content-Type", "text/plain"),
            ("Vary", "Accept-Encoding"),
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]),
        request_headers: hs(&[("accept-encoding", "gzip")]),
        body: "héllo\u{0}wörld".as_bytes().to_vec(),
        request_time: T0 - 20,
        response_time: T0,
    }
}

#[test]
fn stored_form_decode_never_panics_and_roundtrips() {
    check_all(
        &decode_rows(),
        |r| r.name,
        |r| {
            let decoded = StoredResponse::decode(&r.bytes);
            match (&decoded, r.ok) {
                (Ok(s), true) => expect_eq(s, &sample_stored()),
                (Err(e), false) => expect_eq(e.code(), "EDGECACHE_DECODE"),
                _ => Err(format!("got {decoded:?}")),
            }
        },
    );
}

#[test]
fn rfc9111_3_1_hop_by_hop_fields_never_stored() {
    let policy = Policy::default();
    let response = res(
        200,
        &[
            ("Cache-Control", "max-age=60"),
            ("Connection", "close, X-Conn"),
            ("X-Conn", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "h2c"),
            ("Trailer", "X-Sum"),
            ("Proxy-Authenticate", "Basic"),
            ("Proxy-Authorization", "Basic x"),
            ("Content-Type", "text/plain"),
        ],
    );
    let stored = policy.store(&get(&[]), &response, vec![], T0, T0).unwrap();
    let decoded = StoredResponse::decode(&stored.encode()).unwrap();
    for s in [&stored, &decoded] {
        let mut names: Vec<String> = s
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(names, ["cache-control", "content-type", "date"]);
    }
    // Even a hand-built stored response never writes them.
    let mut manual = sample_stored();
    manual.headers.append("Transfer-Encoding", "chunked");
    manual.headers.append("Connection", "x-a");
    manual.headers.append("X-A", "1");
    let bytes = manual.encode();
    for name in [&b"Transfer-Encoding"[..], b"chunked", b"Connection", b"X-A"] {
        assert!(
            !bytes.windows(name.len()).any(|w| w == name),
            "{:?} written",
            String::from_utf8_lossy(name)
        );
    }
    let back = StoredResponse::decode(&bytes).unwrap();
    assert_eq!(back.headers, sample_stored().headers);
}

/// Found by the policy fuzz target: a `Vary` naming a hop-by-hop field kept
/// it among the selecting request fields, which the stored form drops, so a
/// stored response and its decoded copy matched different requests.
#[test]
fn rfc9111_3_1_hop_by_hop_selecting_fields_are_not_kept_either() {
    let policy = Policy::default();
    let request = get(&[("Transfer-Encoding", "2"), ("Accept", "text/html")]);
    let response = res(
        200,
        &[
            ("Cache-Control", "max-age=60"),
            ("Vary", "Transfer-Encoding, Accept"),
        ],
    );
    let stored = policy.store(&request, &response, vec![], T0, T0).unwrap();
    assert_eq!(stored.request_headers, hs(&[("accept", "text/html")]));
    assert_eq!(StoredResponse::decode(&stored.encode()).unwrap(), stored);
}
