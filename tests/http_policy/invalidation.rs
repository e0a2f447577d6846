//! RFC 9111 §4.4 Invalidation.

use edgecache::http::{cache_key, invalidations, Request, Response};

use super::{check_all, expect_eq, hs};
pub(super) struct InvalidationRow {
    pub(super) name: &'static str,
    method: &'static str,
    url: &'static str,
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    want: Vec<&'static str>,
}

pub(super) fn invalidation_rows() -> Vec<InvalidationRow> {
    let row = |name, method, status, headers, want| InvalidationRow {
        name,
        method,
        url: "https://example.com/a/b",
        status,
        headers,
        want,
    };
    let target = "https://example.com/a/b";
    vec![
        row(
            "rfc9111_4_4_post_2xx_invalidates_target_uri",
            "POST",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_put_invalidates_target_uri",
            "PUT",
            204,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_delete_invalidates_target_uri",
            "DELETE",
            202,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_patch_invalidates_target_uri",
            "PATCH",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_unknown_method_invalidates_target_uri",
            "FROBNICATE",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9110_9_1_method_is_case_sensitive_so_lowercase_get_is_unknown",
            "get",
            200,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_3xx_is_a_non_error_response",
            "POST",
            303,
            vec![],
            vec![target],
        ),
        row(
            "rfc9111_4_4_4xx_error_does_not_invalidate",
            "POST",
            404,
            vec![],
            vec![],
        ),
        row(
            "rfc9111_4_4_5xx_error_does_not_invalidate",
            "DELETE",
            500,
            vec![],
            vec![],
        ),
        row(
            "rfc9111_4_4_1xx_does_not_invalidate",
            "POST",
            100,
            vec![],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_get_is_safe_no_invalidation",
            "GET",
            200,
            vec![("Location", "/z")],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_head_is_safe_no_invalidation",
            "HEAD",
            200,
            vec![],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_options_is_safe_no_invalidation",
            "OPTIONS",
            200,
            vec![],
            vec![],
        ),
        row(
            "rfc9110_9_2_1_trace_is_safe_no_invalidation",
            "TRACE",
            200,
            vec![],
            vec![],
        ),
        row(
            "rfc9111_4_4_same_origin_absolute_location_invalidated",
            "POST",
            201,
            vec![("Location", "https://example.com/new")],
            vec![target, "https://example.com/new"],
        ),
        row(
            "rfc9111_4_4_relative_location_resolved_against_target_uri",
            "POST",
            201,
            vec![("Location", "../c?d=1#frag")],
            vec![target, "https://example.com/c?d=1"],
        ),
        row(
            "rfc9111_4_4_path_absolute_location_resolved",
            "POST",
            201,
            vec![("Location", "/items/7")],
            vec![target, "https://example.com/items/7"],
        ),
        row(
            "rfc9111_4_4_same_origin_content_location_invalidated",
            "PUT",
            200,
            vec![("Content-Location", "/a/b.json")],
            vec![target, "https://example.com/a/b.json"],
        ),
        row(
            "rfc9111_4_4_location_and_content_location_both_invalidated",
            "POST",
            201,
            vec![("Location", "x"), ("Content-Location", "y")],
            vec![target, "https://example.com/a/x", "https://example.com/a/y"],
        ),
        row(
            "rfc9111_4_4_cross_origin_location_not_invalidated",
            "POST",
            201,
            vec![("Location", "https://evil.example/a/b")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_cross_origin_content_location_not_invalidated",
            "PUT",
            200,
            vec![("Content-Location", "https://other.example.com/a")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_other_scheme_is_another_origin",
            "POST",
            201,
            vec![("Location", "http://example.com/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_other_scheme_on_the_same_port_is_another_origin",
            "POST",
            201,
            vec![("Location", "http://example.com:443/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_other_port_is_another_origin",
            "POST",
            201,
            vec![("Location", "https://example.com:8443/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_network_path_reference_to_other_host_not_invalidated",
            "POST",
            201,
            vec![("Location", "//evil.example/new")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_explicit_default_port_is_same_origin",
            "POST",
            201,
            vec![("Location", "HTTPS://EXAMPLE.COM:443/new")],
            vec![target, "https://example.com/new"],
        ),
        row(
            "rfc9111_4_4_unparsable_location_ignored",
            "POST",
            201,
            vec![("Location", "http://exa mple.com/")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_location_with_several_lines_ignored",
            "POST",
            201,
            vec![("Location", "/p"), ("Location", "/q")],
            vec![target],
        ),
        row(
            "rfc9111_4_4_location_equal_to_target_listed_once",
            "POST",
            200,
            vec![("Location", "/a/b#x")],
            vec![target],
        ),
    ]
}

#[test]
fn rfc9111_4_4_invalidating_stored_responses() {
    check_all(
        &invalidation_rows(),
        |r| r.name,
        |r| {
            let request = Request::new(r.method, r.url);
            let response = Response {
                status: r.status,
                headers: hs(&r.headers),
            };
            let got = invalidations(&request, &response);
            expect_eq(
                got.iter().map(String::as_str).collect::<Vec<_>>(),
                r.want.clone(),
            )?;
            // Every key is the GET cache key of that URI, so deleting it removes the entry.
            for key in &got {
                expect_eq(cache_key("GET", key).as_deref().ok(), Some(key.as_str()))?;
            }
            Ok(())
        },
    );
}
